//===- Positions.cpp - LSP positions and document edits -------------------===//

#include "deployc/LSP/Positions.h"
#include <algorithm>

using namespace deployc;
using namespace deployc::lsp;

/// Length of the UTF-8 sequence starting with byte C (1 for invalid bytes).
static size_t sequenceLength(unsigned char C) {
  if (C < 0x80)
    return 1;
  if ((C & 0xE0) == 0xC0)
    return 2;
  if ((C & 0xF0) == 0xE0)
    return 3;
  if ((C & 0xF8) == 0xF0)
    return 4;
  return 1;
}

size_t lsp::offsetAt(llvm::StringRef Text, Position P) {
  size_t Offset = 0;
  for (int L = 0; L < P.Line; ++L) {
    size_t NL = Text.find('\n', Offset);
    if (NL == llvm::StringRef::npos)
      return Text.size();
    Offset = NL + 1;
  }
  int Units = 0;
  while (Offset < Text.size() && Text[Offset] != '\n' && Units < P.Character) {
    size_t Len = std::min(sequenceLength(Text[Offset]), Text.size() - Offset);
    // Code points beyond the basic plane take two UTF-16 units.
    Units += Len == 4 ? 2 : 1;
    Offset += Len;
  }
  return Offset;
}

Position lsp::positionAt(llvm::StringRef Text, size_t Offset) {
  Offset = std::min(Offset, Text.size());
  Position P;
  size_t LineStart = 0;
  for (size_t I = 0; I < Offset; ++I)
    if (Text[I] == '\n') {
      ++P.Line;
      LineStart = I + 1;
    }
  for (size_t I = LineStart; I < Offset;) {
    size_t Len = std::min(sequenceLength(Text[I]), Text.size() - I);
    P.Character += Len == 4 ? 2 : 1;
    I += Len;
  }
  return P;
}

PositionMapper::PositionMapper(llvm::StringRef Text) : Text(Text) {
  LineStarts.push_back(0);
  for (size_t I = 0; I < Text.size(); ++I)
    if (Text[I] == '\n')
      LineStarts.push_back(I + 1);
}

Position PositionMapper::positionAt(size_t Offset) {
  Offset = std::min(Offset, Text.size());
  size_t Line = std::upper_bound(LineStarts.begin(), LineStarts.end(), Offset) -
                LineStarts.begin() - 1;
  size_t From = LineStarts[Line];
  Position P;
  P.Line = int(Line);
  if (size_t(Last.Line) == Line && LastOffset <= Offset && LastOffset >= From) {
    From = LastOffset;
    P.Character = Last.Character;
  }
  for (size_t I = From; I < Offset;) {
    size_t Len = std::min(sequenceLength(Text[I]), Text.size() - I);
    P.Character += Len == 4 ? 2 : 1;
    I += Len;
  }
  LastOffset = Offset;
  Last = P;
  return P;
}

void lsp::applyChange(std::string &Text, std::optional<Range> R, llvm::StringRef NewText) {
  if (!R) {
    Text = NewText.str();
    return;
  }
  size_t Begin = offsetAt(Text, R->Start);
  size_t End = offsetAt(Text, R->End);
  if (End < Begin)
    std::swap(Begin, End);
  Text.replace(Begin, End - Begin, NewText.str());
}
