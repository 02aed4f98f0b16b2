//===- FuzzParser.cpp - libFuzzer target: the parser ----------------------===//
//
// Any bytes: lexing and parsing end with a module (maybe with diagnostics),
// the token stream the editor features use covers the text, the hand-written
// lexer agrees with the one ANTLR generates from the grammar, and the
// hand-written parser gives the same tree and diagnostics as ANTLR's parser
// (or gives up).
//
//===----------------------------------------------------------------------===//

#include "deployc/AST/ASTDumper.h"
#include "deployc/Parse/Parser.h"
#include <cstdint>
#include <cstdlib>
#include <optional>

using namespace deployc;

namespace {

/// The exhaustive dump and the diagnostics of Text parsed by Kind.
std::optional<std::string> parseWith(llvm::StringRef Text, parse::ParserKind Kind) {
  SourceManager SM;
  DiagnosticEngine Diags(SM);
  FileID F = SM.addBuffer("fuzz.deploy", Text.str());
  ast::ASTContext Ctx;
  ast::Module *M = parse::parseModule(SM, F, Ctx, Diags, Kind);
  if (!M)
    return std::nullopt;
  std::string Out;
  llvm::raw_string_ostream OS(Out);
  ast::DumpOptions Opts;
  Opts.Exhaustive = true;
  ast::dumpModule(OS, SM, *M, Opts);
  for (const Diagnostic &D : Diags.getDiagnostics())
    OS << D.getCode() << ' ' << D.Range.Begin << '-' << D.Range.End << ' ' << D.Message
       << '\n';
  return Out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  llvm::StringRef Text(reinterpret_cast<const char *>(Data), Size);
  std::optional<std::string> Default = parseWith(Text, parse::ParserKind::Default);
  std::optional<std::string> Reference = parseWith(Text, parse::ParserKind::Reference);
  if (!Default || !Reference || *Default != *Reference)
    abort();
  std::optional<std::string> Direct = parseWith(Text, parse::ParserKind::DirectOnly);
  if (Direct && *Direct != *Reference)
    abort();

  SourceManager SM;
  FileID F = SM.addBuffer("fuzz.deploy", Text.str());
  for (const parse::LexedToken &T : parse::lexFile(SM, F))
    if (T.Range.End > Size || T.Range.Begin > T.Range.End)
      abort();
  if (parse::lexRuleTokens(Text, false) != parse::lexRuleTokens(Text, true))
    abort();
  return 0;
}
