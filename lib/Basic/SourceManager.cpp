//===- SourceManager.cpp - Owns source buffers and maps offsets ----------===//

#include "deployc/Basic/SourceManager.h"
#include <algorithm>
#include <atomic>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace deployc;

SourceRange SourceRange::join(SourceRange Other) const {
  if (!isValid())
    return Other;
  if (!Other.isValid() || Other.File != File)
    return *this;
  return {File, std::min(Begin, Other.Begin), std::max(End, Other.End)};
}

struct SourceManager::FileEntry {
  std::string Path;
  std::string Contents;
  mutable std::vector<uint32_t> LineStarts; // Computed lazily.

  const std::vector<uint32_t> &lineStarts() const {
    if (LineStarts.empty()) {
      LineStarts.push_back(0);
      for (uint32_t I = 0, E = Contents.size(); I != E; ++I)
        if (Contents[I] == '\n')
          LineStarts.push_back(I + 1);
    }
    return LineStarts;
  }
};

SourceManager::SourceManager() = default;
SourceManager::~SourceManager() = default;

static std::atomic<FileID> NextFileID{1};

FileID SourceManager::addBuffer(std::string Path, std::string Contents) {
  auto Entry = std::make_shared<FileEntry>();
  Entry->Path = std::move(Path);
  Entry->Contents = std::move(Contents);
  FileID ID = NextFileID++;
  Files.emplace(ID, std::move(Entry));
  return ID;
}

void SourceManager::adoptBuffer(const SourceManager &Other, FileID File) {
  auto It = Other.Files.find(File);
  assert(It != Other.Files.end() && "adopting an unknown file");
  // Compute the line table before sharing: lookups must not race on it.
  It->second->lineStarts();
  Files.emplace(File, It->second);
}

void SourceManager::replaceBuffer(FileID File, std::string Contents) {
  auto It = Files.find(File);
  assert(It != Files.end() && "invalid FileID");
  auto Entry = std::make_shared<FileEntry>();
  Entry->Path = It->second->Path;
  Entry->Contents = std::move(Contents);
  It->second = std::move(Entry);
}

const SourceManager::FileEntry &SourceManager::entry(FileID File) const {
  auto It = Files.find(File);
  assert(It != Files.end() && "invalid FileID");
  return *It->second;
}

llvm::StringRef SourceManager::getPath(FileID File) const {
  return entry(File).Path;
}

llvm::StringRef SourceManager::getBuffer(FileID File) const {
  return entry(File).Contents;
}

LineCol SourceManager::getLineCol(FileID File, uint32_t Offset) const {
  const auto &Starts = entry(File).lineStarts();
  Offset = std::min<uint32_t>(Offset, entry(File).Contents.size());
  auto It = std::upper_bound(Starts.begin(), Starts.end(), Offset);
  unsigned Line = It - Starts.begin();
  return {Line, Offset - Starts[Line - 1] + 1};
}

unsigned SourceManager::getNumLines(FileID File) const {
  return entry(File).lineStarts().size();
}

uint32_t SourceManager::getLineOffset(FileID File, unsigned Line) const {
  const auto &Starts = entry(File).lineStarts();
  if (Line == 0)
    return 0;
  if (Line > Starts.size())
    return entry(File).Contents.size();
  return Starts[Line - 1];
}

llvm::StringRef SourceManager::getLineText(FileID File, unsigned Line) const {
  const auto &E = entry(File);
  const auto &Starts = E.lineStarts();
  if (Line == 0 || Line > Starts.size())
    return {};
  uint32_t Begin = Starts[Line - 1];
  uint32_t End = Line < Starts.size() ? Starts[Line] - 1 : E.Contents.size();
  llvm::StringRef Text(E.Contents.data() + Begin, End - Begin);
  return Text.rtrim("\r");
}

llvm::StringRef SourceManager::getText(SourceRange Range) const {
  if (!Range.isValid())
    return {};
  llvm::StringRef Buf = getBuffer(Range.File);
  uint32_t Begin = std::min<uint32_t>(Range.Begin, Buf.size());
  uint32_t End = std::min<uint32_t>(std::max(Range.End, Begin), Buf.size());
  return Buf.slice(Begin, End);
}

//===----------------------------------------------------------------------===//
// Reading input files
//===----------------------------------------------------------------------===//

static llvm::Error inputError(int Errno, const llvm::Twine &Reason) {
  return llvm::createStringError(std::error_code(Errno, std::generic_category()), Reason);
}

/// What a file that is not a regular file is, for "it is a FIFO, not a regular file".
static const char *describeFileType(mode_t Mode) {
  if (S_ISDIR(Mode))
    return "a directory";
  if (S_ISFIFO(Mode))
    return "a FIFO";
  if (S_ISCHR(Mode))
    return "a character device";
  if (S_ISBLK(Mode))
    return "a block device";
  if (S_ISSOCK(Mode))
    return "a socket";
  return "not a file";
}

static std::string overLimit() {
  return "over the " + std::to_string(MaxInputFileSize >> 20) + " MiB limit for inputs";
}

/// Reads FD to its end into Out, failing once more than MaxInputFileSize
/// bytes came (a regular file may grow after fstat; a pipe has no size).
static llvm::Error readBounded(int FD, std::string &Out) {
  char Buf[1 << 16];
  for (;;) {
    ssize_t N = ::read(FD, Buf, sizeof Buf);
    if (N < 0) {
      if (errno == EINTR)
        continue;
      return inputError(errno, std::strerror(errno));
    }
    if (N == 0)
      return llvm::Error::success();
    if (Out.size() + N > MaxInputFileSize)
      return inputError(EFBIG, "it is " + overLimit());
    Out.append(Buf, N);
  }
}

static llvm::Error notRegularFile(mode_t Mode) {
  return inputError(EINVAL,
                    llvm::Twine("it is ") + describeFileType(Mode) + ", not a regular file");
}

llvm::Expected<std::string> deployc::readInputFile(llvm::StringRef Path) {
  std::string Name = Path.str();
  // Devices are refused before they are opened: opening some (a tape, a
  // serial line) already does something. A socket cannot be opened at all.
  struct stat St;
  if (::stat(Name.c_str(), &St) == 0 && !S_ISREG(St.st_mode))
    return notRegularFile(St.st_mode);
  int FD;
  do
    FD = ::open(Name.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  while (FD < 0 && errno == EINTR);
  if (FD < 0)
    return inputError(errno, std::strerror(errno));
  struct FDCloser {
    int FD;
    ~FDCloser() { ::close(FD); }
  } Closer{FD};
  // Checked again on what was opened: the path may have been replaced since.
  if (::fstat(FD, &St) != 0)
    return inputError(errno, std::strerror(errno));
  if (!S_ISREG(St.st_mode))
    return notRegularFile(St.st_mode);
  if (uint64_t(St.st_size) > MaxInputFileSize)
    return inputError(EFBIG,
                      "it is " + llvm::Twine(uint64_t(St.st_size)) + " bytes, " + overLimit());
  std::string Contents;
  Contents.reserve(St.st_size);
  if (llvm::Error E = readBounded(FD, Contents))
    return std::move(E);
  return Contents;
}

llvm::Expected<std::string> deployc::readStandardInput() {
  std::string Contents;
  if (llvm::Error E = readBounded(STDIN_FILENO, Contents))
    return std::move(E);
  return Contents;
}
