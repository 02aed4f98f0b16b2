//===- SourceManager.h - Owns source buffers and maps offsets -----*- C++ -*-===//
//
// Every node and diagnostic carries a byte-offset SourceRange into a buffer owned
// here; line/column (1-based, byte columns) and UTF-16 columns for the language
// server are computed on demand from a per-file line table.
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_BASIC_SOURCEMANAGER_H
#define DEPLOYC_BASIC_SOURCEMANAGER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <string>
#include <vector>

namespace deployc {

/// Identifies a buffer in a SourceManager; 0 means "no file".
using FileID = uint32_t;

/// A half-open byte range [Begin, End) in one file. An empty range is a point.
struct SourceRange {
  FileID File = 0;
  uint32_t Begin = 0;
  uint32_t End = 0;

  SourceRange() = default;
  SourceRange(FileID File, uint32_t Begin, uint32_t End)
      : File(File), Begin(Begin), End(End) {}
  bool isValid() const { return File != 0; }
  SourceRange start() const { return {File, Begin, Begin}; }
  /// The smallest range covering both; invalid parts are ignored.
  SourceRange join(SourceRange Other) const;
  bool contains(uint32_t Offset) const { return Offset >= Begin && Offset <= End; }
  friend bool operator==(const SourceRange &, const SourceRange &) = default;
};

/// 1-based line and byte column.
struct LineCol {
  unsigned Line = 0;
  unsigned Col = 0;
};

class SourceManager {
public:
  SourceManager();
  ~SourceManager();

  /// Takes a copy of Contents. Path is what diagnostics print. FileIDs are
  /// unique in the process, so a buffer can be shared between managers.
  FileID addBuffer(std::string Path, std::string Contents);
  /// Makes File of Other (with the same FileID) available here too; the text
  /// is shared, not copied. Used to reuse parsed files across compilations.
  void adoptBuffer(const SourceManager &Other, FileID File);
  /// Replaces the contents of an existing buffer (used by the language server).
  void replaceBuffer(FileID File, std::string Contents);

  llvm::StringRef getPath(FileID File) const;
  llvm::StringRef getBuffer(FileID File) const;
  unsigned getNumFiles() const { return Files.size(); }
  bool hasFile(FileID File) const { return Files.count(File); }

  LineCol getLineCol(FileID File, uint32_t Offset) const;
  /// The text of the 1-based line Line, without its terminator.
  llvm::StringRef getLineText(FileID File, unsigned Line) const;
  /// Offset of the start of a 1-based line (clamped to the buffer end).
  uint32_t getLineOffset(FileID File, unsigned Line) const;
  unsigned getNumLines(FileID File) const;
  llvm::StringRef getText(SourceRange Range) const;

private:
  struct FileEntry;
  const FileEntry &entry(FileID File) const;
  std::unordered_map<FileID, std::shared_ptr<FileEntry>> Files;
};

/// The largest input deployc reads (64 MiB, docs/cli.md): source offsets
/// are 32-bit, and an input far larger than any spec is a mistake (a log, a
/// disk image, a device) that must not exhaust memory.
constexpr uint64_t MaxInputFileSize = uint64_t(64) << 20;

/// Reads the user's file at Path whole: every reader of user files (inputs,
/// imports, `fmt`, the language server) goes through here. The file is opened
/// with O_NONBLOCK, so a FIFO with no writer cannot hang the command; then
/// anything but a regular file (a directory, FIFO, device, socket) and a file
/// over MaxInputFileSize is refused before a byte is read. The error's message
/// is the reason for a diagnostic ("it is a FIFO, not a regular file"); its
/// error_code is the errno (no_such_file_or_directory when there is no file).
llvm::Expected<std::string> readInputFile(llvm::StringRef Path);

/// Reads standard input to its end, refusing more than MaxInputFileSize bytes.
llvm::Expected<std::string> readStandardInput();

} // namespace deployc

#endif
