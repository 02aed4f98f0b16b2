//===- FuzzFormat.cpp - libFuzzer target: the formatter -------------------===//
//
// A file that parses formats to a file that parses to the same tokens (but
// for trailing blanks in comments), formatting is idempotent
// (fmt(fmt(x)) == fmt(x)), and a file that checks clean still checks clean
// after formatting and evaluates to the same configuration in every
// environment.
//
//===----------------------------------------------------------------------===//

#include "deployc/Parse/Formatter.h"
#include "deployc/Parse/Parser.h"
#include "deployc/Plan/Config.h"
#include "deployc/Sema/Sema.h"
#include <cstdint>
#include <cstdlib>

using namespace deployc;

static std::vector<std::string> tokens(const SourceManager &SM, FileID F) {
  std::vector<std::string> Out;
  for (const parse::LexedToken &T : parse::lexFile(SM, F))
    Out.push_back(SM.getText(T.Range).rtrim().str()); // Comments lose trailing blanks.
  return Out;
}

/// The evaluated configuration of every environment, or nullopt when the
/// spec has errors. Both versions of a file get the same path, so that only
/// the text differs.
static std::optional<std::vector<std::string>> evaluate(llvm::StringRef Text) {
  SourceManager SM;
  DiagnosticEngine Diags(SM);
  FileID F = SM.addBuffer("/nonexistent/fuzz/main.deploy", Text.str());
  sema::FrontEndOptions Opts;
  Opts.StdlibPath = DEPLOYC_STDLIB_DIR;
  auto Prog = sema::runFrontEnd(SM, Diags, {F}, Opts);
  if (!Prog || Diags.hasErrors())
    return std::nullopt;
  std::vector<std::string> Configs;
  for (const sema::EnvironmentModel &M : Prog->Environments)
    Configs.push_back(plan::evaluatedConfigJSON(*Prog, M));
  return Configs;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  SourceManager SM;
  DiagnosticEngine Diags(SM);
  FileID F = SM.addBuffer("fuzz.deploy", std::string(reinterpret_cast<const char *>(Data), Size));
  if (parse::findInvalidUTF8(SM.getBuffer(F)) >= 0)
    return 0;
  std::optional<std::string> Once = parse::formatFile(SM, F, Diags);
  if (!Once)
    return 0;
  FileID G = SM.addBuffer("fuzz-formatted.deploy", *Once);
  std::optional<std::string> Twice = parse::formatFile(SM, G, Diags);
  if (!Twice || *Twice != *Once)
    abort(); // Formatting changed a file that parsed into one that does not, or is not stable.
  if (tokens(SM, F) != tokens(SM, G))
    abort(); // Formatting may change white space only.
  if (auto Before = evaluate(SM.getBuffer(F)))
    if (evaluate(*Once) != Before)
      abort(); // Formatting changed what a clean spec means.
  return 0;
}
