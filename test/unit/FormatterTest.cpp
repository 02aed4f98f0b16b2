//===- FormatterTest.cpp - The formatter never loses a token --------------===//
//
// Formats every .deploy file of the examples, the stdlib and the test suite and
// checks that the token stream (comments included, up to trailing blanks) is
// unchanged and that formatting the result again changes nothing; and the
// layouts the fuzzers found unstable, one by one.
//
//===----------------------------------------------------------------------===//

#include "RepositoryFiles.h"
#include "deployc/Parse/Formatter.h"
#include "deployc/Parse/Parser.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include <gtest/gtest.h>

using namespace deployc;

namespace {

std::vector<std::string> tokensOf(const SourceManager &SM, FileID F) {
  std::vector<std::string> Out;
  for (const parse::LexedToken &T : parse::lexFile(SM, F))
    Out.push_back(SM.getText(T.Range).rtrim().str()); // Comments lose trailing blanks.
  return Out;
}

} // namespace

TEST(FormatterTest, KeepsEveryTokenAndIsIdempotent) {
  std::vector<std::string> Files = test::repositoryDeployFiles();
  ASSERT_GT(Files.size(), 20u);
  unsigned Formatted = 0;
  for (const std::string &Path : Files) {
    auto Buf = llvm::MemoryBuffer::getFile(Path);
    ASSERT_TRUE(bool(Buf)) << Path;
    SourceManager SM;
    DiagnosticEngine Diags(SM);
    FileID F = SM.addBuffer(Path, (*Buf)->getBuffer().str());
    if (parse::findInvalidUTF8(SM.getBuffer(F)) >= 0)
      continue;
    std::optional<std::string> Once = parse::formatFile(SM, F, Diags);
    if (!Once)
      continue; // Inputs with syntax errors are never rewritten.
    ++Formatted;
    FileID F1 = SM.addBuffer(Path + " (formatted)", *Once);
    EXPECT_EQ(tokensOf(SM, F), tokensOf(SM, F1)) << Path;
    std::optional<std::string> Twice = parse::formatFile(SM, F1, Diags);
    ASSERT_TRUE(Twice.has_value()) << Path;
    EXPECT_EQ(*Once, *Twice) << Path;
  }
  EXPECT_GT(Formatted, 20u);
}

namespace {
std::string format(llvm::StringRef Text) {
  SourceManager SM;
  DiagnosticEngine Diags(SM);
  FileID F = SM.addBuffer("t.deploy", Text.str());
  std::optional<std::string> Out = parse::formatFile(SM, F, Diags);
  EXPECT_TRUE(Out.has_value()) << Text.str();
  return Out.value_or("");
}
} // namespace

// Found by the layout fuzzer: a list too long for its line is expanded, and
// its element, a block written on one line, was judged to fit at column 0
// (its indentation is not written yet when it is measured) while the block
// nested in it was judged at its real column and expanded. The element then
// spanned lines, so the second run expanded it too. A block or list on one
// line now keeps everything nested in it on that line.
TEST(FormatterTest, NestedBlockInAOneLineListElementStaysOnItsLine) {
  std::string Once = format(
      "service api {\n"
      "  patch \"Deployment\" {\n"
      "    spec {\n"
      "      template {\n"
      "        spec {\n"
      "          containers = [{ name = \"api\"  imagePullPolicy = \"yyyyAlways\"  resources "
      "{ limits { cpu = \"1\" } } }]\n"
      "        }\n"
      "      }\n"
      "    }\n"
      "  }\n"
      "}\n");
  EXPECT_NE(Once.find("            { name = \"api\"  imagePullPolicy = \"yyyyAlways\"  resources "
                      "{ limits { cpu = \"1\" } } }\n"),
            std::string::npos)
      << Once;
  EXPECT_EQ(format(Once), Once);
}

// Found by the layout fuzzer: an empty block whose `}` is on the next line
// prints as `{ }`, on one line, but the alignment of `=` in a group counted
// the entry as multi-line; the second run saw it on one line and aligned it.
TEST(FormatterTest, EmptyBlockClosedOnTheNextLineIsAlignedAtOnce) {
  std::string Once = format("service web {\n"
                            "  port http = 8080\n"
                            "  strategy = blue_green {\n"
                            "  }\n"
                            "}\n");
  EXPECT_EQ(Once, "service web {\n"
                  "  port http = 8080\n"
                  "  strategy  = blue_green { }\n"
                  "}\n");
  EXPECT_EQ(format(Once), Once);
}
