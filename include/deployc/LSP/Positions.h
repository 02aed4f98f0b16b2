//===- Positions.h - LSP positions and document edits -------------*- C++ -*-===//
//
// LSP counts columns in UTF-16 code units; the front end counts bytes. These
// conversions clamp out-of-range positions (past the end of a line or of the
// document) instead of failing: editors send them while text is changing.
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_LSP_POSITIONS_H
#define DEPLOYC_LSP_POSITIONS_H

#include "llvm/ADT/StringRef.h"
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace deployc::lsp {

/// 0-based line and UTF-16 column.
struct Position {
  int Line = 0;
  int Character = 0;
  friend bool operator==(const Position &, const Position &) = default;
};

struct Range {
  Position Start, End;
};

/// Byte offset of P in Text, clamped to the end of its line (or of Text).
size_t offsetAt(llvm::StringRef Text, Position P);

/// The position of a byte offset (clamped to the text).
Position positionAt(llvm::StringRef Text, size_t Offset);

/// Positions of many offsets of one text: each costs a binary search over
/// line starts and, for increasing offsets on one line, only the bytes since
/// the previous one (semantic tokens ask for every token of a document).
class PositionMapper {
public:
  explicit PositionMapper(llvm::StringRef Text);
  Position positionAt(size_t Offset);

private:
  llvm::StringRef Text;
  std::vector<size_t> LineStarts;
  size_t LastOffset = 0;
  Position Last;
};

/// Applies one `contentChanges` entry: replaces Range (or, without a range,
/// the whole text) with NewText.
void applyChange(std::string &Text, std::optional<Range> R, llvm::StringRef NewText);

} // namespace deployc::lsp

#endif
