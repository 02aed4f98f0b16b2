//===- FuzzParser.cpp - libFuzzer target: the parser ----------------------===//
//
// Any bytes: lexing and parsing end with a module (maybe with diagnostics),
// the token stream the editor features use covers the text, and the
// hand-written lexer agrees with the one ANTLR generates from the grammar.
//
//===----------------------------------------------------------------------===//

#include "deployc/AST/AST.h"
#include "deployc/Parse/Parser.h"
#include <cstdint>
#include <cstdlib>

using namespace deployc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  SourceManager SM;
  DiagnosticEngine Diags(SM);
  FileID F = SM.addBuffer("fuzz.deploy", std::string(reinterpret_cast<const char *>(Data), Size));
  ast::ASTContext Ctx;
  if (!parse::parseModule(SM, F, Ctx, Diags))
    abort();
  for (const parse::LexedToken &T : parse::lexFile(SM, F))
    if (T.Range.End > Size || T.Range.Begin > T.Range.End)
      abort();
  llvm::StringRef Text = SM.getBuffer(F);
  if (parse::lexRuleTokens(Text, false) != parse::lexRuleTokens(Text, true))
    abort();
  return 0;
}
