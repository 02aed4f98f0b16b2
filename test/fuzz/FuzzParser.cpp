//===- FuzzParser.cpp - libFuzzer target: the parser ----------------------===//
//
// Any bytes: lexing and parsing end with a module (maybe with diagnostics),
// the token stream the editor features use covers the text, the hand-written
// lexer agrees with the one ANTLR generates from the grammar, and the
// hand-written parser gives the same tree and diagnostics as ANTLR's parser
// (or gives up).
//
//===----------------------------------------------------------------------===//

#include "deployc/Parse/Parser.h"
#include <cstdint>
#include <cstdlib>

using namespace deployc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  llvm::StringRef Text(reinterpret_cast<const char *>(Data), Size);
  auto Default = parse::describeParse(Text, parse::ParserKind::Default);
  auto Reference = parse::describeParse(Text, parse::ParserKind::Reference);
  if (!Default || !Reference || Default->Text != Reference->Text)
    abort();
  auto Direct = parse::describeParse(Text, parse::ParserKind::DirectOnly);
  if (Direct && Direct->Text != Reference->Text)
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
