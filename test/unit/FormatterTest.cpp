//===- FormatterTest.cpp - The formatter never loses a token --------------===//
//
// Formats every .deploy file of the examples, the stdlib and the test suite and
// checks that the token stream (comments included, up to trailing blanks) is
// unchanged and that formatting the result again changes nothing.
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
