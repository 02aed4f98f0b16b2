//===- LexerTest.cpp - The hand-written lexer agrees with ANTLR's ---------===//
//
// The parser lexes with a hand-written lexer; the lexer ANTLR generates from
// grammar/DeployLexer.g4 is the reference. Both must give the same tokens on
// every .deploy file of the repository, on the cases where the rules overlap,
// and on random text made of the characters those rules care about.
//
//===----------------------------------------------------------------------===//

#include "RepositoryFiles.h"
#include "deployc/Parse/Parser.h"
#include "llvm/Support/MemoryBuffer.h"
#include <gtest/gtest.h>
#include <random>

using namespace deployc;

namespace {

std::string describe(const std::vector<parse::RuleToken> &Tokens, llvm::StringRef Text) {
  std::string Out;
  for (const parse::RuleToken &T : Tokens)
    Out += T.Rule + (T.Hidden ? "(hidden)" : "") + "`" +
           Text.slice(T.Begin, T.End).str() + "` ";
  return Out;
}

void expectSameTokens(llvm::StringRef Text) {
  std::vector<parse::RuleToken> Ours = parse::lexRuleTokens(Text, false);
  std::vector<parse::RuleToken> Reference = parse::lexRuleTokens(Text, true);
  EXPECT_EQ(Ours, Reference) << "input: " << Text.str() << "\nours:      "
                             << describe(Ours, Text) << "\nreference: "
                             << describe(Reference, Text);
}

} // namespace

TEST(LexerTest, OverlappingRulesResolveLikeANTLR) {
  for (const char *Text : {
           // Keywords against identifiers, numbers against quantities.
           "if iff import imports true truex _ _1 a_b9",
           "1 1_000 1.5 1.5.3 1..5 1.x 1e 1e5 1.5Gi 80% 5m30s 1_a 0.5_ 2..10",
           // Comments.
           "/ // x\n/// doc\n//// four\n/* a */ /*/ x */ /* open",
           "a /* one */ b /**/ c /*** ** */",
           // Strings: escapes, interpolations, and where they end.
           R"("" "a" "\"" "a\nb" "${x}" "${x" "$" "$x" "${"}" "${a"b" "a\)" "\)" "\)",
           "\"unterminated\n\"escaped line end\\\nstill\" \"ends at eof\\",
           "\"${x\\\"abc",
           "\"\"\"triple\"\"\" \"\"\"\"\"\" \"\"\"a\"\"\"\" \"\"\"open",
           "\"\"\"multi\nline\"\"\"",
           // Everything else is one UNEXPECTED_CHAR per code point.
           "& | &&& ||| @ # ` ~ ? ^ \\ é \xF0\x9F\x98\x80 \xFF\xFE x",
           "a\x00" "b\tc\fd\r\ne",
       })
    expectSameTokens(Text);
}

TEST(LexerTest, AgreesOnEveryRepositoryFile) {
  unsigned Files = 0;
  for (const std::string &Path : test::repositoryDeployFiles()) {
    auto Buf = llvm::MemoryBuffer::getFile(Path);
    ASSERT_TRUE(bool(Buf)) << Path;
    SCOPED_TRACE(Path);
    expectSameTokens((*Buf)->getBuffer());
    ++Files;
  }
  EXPECT_GT(Files, 50u);
}

TEST(LexerTest, AgreesOnRandomText) {
  // The characters where rules start, end or overlap, plus some filler.
  const std::vector<std::string> Pieces = {
      "\"", "\"\"\"", "$", "${", "}", "{", "\\", "\n", "\r", " ", "/", "//", "///",
      "/*", "*/", "*", ".", "..", "0", "12", "_", "a", "if", "Gi", "%", "=", "!", "<",
      ">", "&", "|", "é", "\t"};
  std::mt19937 Rng(42);
  for (int Round = 0; Round < 3000; ++Round) {
    std::string Text;
    int Len = 1 + Rng() % 24;
    for (int I = 0; I < Len; ++I)
      Text += Pieces[Rng() % Pieces.size()];
    expectSameTokens(Text);
    if (HasFailure())
      break;
  }
}
