//===- SourceManagerTest.cpp - Offsets, lines and columns; reading inputs -===//

#include "deployc/Basic/SourceManager.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

using namespace deployc;

TEST(SourceManagerTest, LineAndColumnAreOneBased) {
  SourceManager SM;
  FileID F = SM.addBuffer("a.deploy", "ab\ncd\n\nef");
  EXPECT_EQ(SM.getLineCol(F, 0).Line, 1u);
  EXPECT_EQ(SM.getLineCol(F, 0).Col, 1u);
  EXPECT_EQ(SM.getLineCol(F, 4).Line, 2u);
  EXPECT_EQ(SM.getLineCol(F, 4).Col, 2u);
  EXPECT_EQ(SM.getLineCol(F, 7).Line, 4u);
  EXPECT_EQ(SM.getLineText(F, 2), "cd");
  EXPECT_EQ(SM.getLineText(F, 3), "");
  EXPECT_EQ(SM.getLineText(F, 4), "ef");
  EXPECT_EQ(SM.getNumLines(F), 4u);
}

TEST(SourceManagerTest, OffsetsPastTheEndAreClamped) {
  SourceManager SM;
  FileID F = SM.addBuffer("a.deploy", "x\n");
  LineCol LC = SM.getLineCol(F, 1000);
  EXPECT_EQ(LC.Line, 2u);
  EXPECT_EQ(SM.getText({F, 1, 1000}), "\n");
  EXPECT_EQ(SM.getLineText(F, 99), "");
}

TEST(SourceManagerTest, ReplaceBufferRecomputesLines) {
  SourceManager SM;
  FileID F = SM.addBuffer("a.deploy", "one line");
  EXPECT_EQ(SM.getNumLines(F), 1u);
  SM.replaceBuffer(F, "two\nlines");
  EXPECT_EQ(SM.getNumLines(F), 2u);
  EXPECT_EQ(SM.getLineText(F, 2), "lines");
}

TEST(SourceManagerTest, JoinCoversBothRanges) {
  SourceRange A{1, 5, 8}, B{1, 2, 6};
  SourceRange J = A.join(B);
  EXPECT_EQ(J.Begin, 2u);
  EXPECT_EQ(J.End, 8u);
  EXPECT_EQ(SourceRange().join(A), A);
}

//===----------------------------------------------------------------------===//
// readInputFile
//===----------------------------------------------------------------------===//

namespace {
/// A fresh folder under the system's temporary folder, removed at the end.
struct TempDir {
  llvm::SmallString<128> Path;
  TempDir() { EXPECT_FALSE(llvm::sys::fs::createUniqueDirectory("deployc-sm", Path)); }
  ~TempDir() { llvm::sys::fs::remove_directories(Path); }
  std::string file(llvm::StringRef Name) const { return (Path + "/" + Name).str(); }
};

std::string readError(llvm::StringRef Path) {
  llvm::Expected<std::string> Text = readInputFile(Path);
  if (Text)
    return "read " + std::to_string(Text->size()) + " bytes";
  return llvm::toString(Text.takeError());
}
} // namespace

TEST(ReadInputFileTest, ReadsARegularFileAndFollowsSymlinks) {
  TempDir D;
  {
    std::ofstream(D.file("a.deploy")) << "service a {}\n";
  }
  ASSERT_FALSE(llvm::sys::fs::create_link("a.deploy", D.file("link.deploy")));
  for (llvm::StringRef Name : {"a.deploy", "link.deploy"}) {
    llvm::Expected<std::string> Text = readInputFile(D.file(Name));
    ASSERT_TRUE(bool(Text)) << llvm::toString(Text.takeError());
    EXPECT_EQ(*Text, "service a {}\n");
  }
}

TEST(ReadInputFileTest, AMissingFileIsNoSuchFile) {
  TempDir D;
  llvm::Expected<std::string> Text = readInputFile(D.file("missing.deploy"));
  ASSERT_FALSE(bool(Text));
  std::error_code EC = llvm::errorToErrorCode(Text.takeError());
  EXPECT_EQ(EC, std::errc::no_such_file_or_directory);
}

TEST(ReadInputFileTest, RefusesWhatIsNotARegularFile) {
  TempDir D;
  ASSERT_EQ(::mkfifo(D.file("fifo").c_str(), 0600), 0);
  // Without O_NONBLOCK, opening the FIFO would wait for a writer forever.
  EXPECT_EQ(readError(D.file("fifo")), "it is a FIFO, not a regular file");
  EXPECT_EQ(readError(D.Path), "it is a directory, not a regular file");
  EXPECT_EQ(readError("/dev/zero"), "it is a character device, not a regular file");
  EXPECT_EQ(readError("/dev/urandom"), "it is a character device, not a regular file");
  // A socket cannot even be opened (ENXIO); the reason still says what it is.
  int Sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(Sock, 0);
  sockaddr_un Addr{};
  Addr.sun_family = AF_UNIX;
  std::string SockPath = D.file("sock");
  ASSERT_LT(SockPath.size(), sizeof Addr.sun_path);
  std::strcpy(Addr.sun_path, SockPath.c_str());
  ASSERT_EQ(::bind(Sock, reinterpret_cast<sockaddr *>(&Addr), sizeof Addr), 0);
  EXPECT_EQ(readError(SockPath), "it is a socket, not a regular file");
  ::close(Sock);
}

TEST(ReadInputFileTest, RefusesAFileOverTheLimitBeforeReadingIt) {
  TempDir D;
  int FD = ::open(D.file("big").c_str(), O_WRONLY | O_CREAT, 0600);
  ASSERT_GE(FD, 0);
  // Sparse: the size is all that is read.
  ASSERT_EQ(::ftruncate(FD, MaxInputFileSize + 1), 0);
  ::close(FD);
  EXPECT_EQ(readError(D.file("big")),
            "it is 67108865 bytes, over the 64 MiB limit for inputs");
}
