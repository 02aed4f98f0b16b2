//===- PositionsTest.cpp - UTF-16 positions and incremental edits ---------===//

#include "deployc/LSP/Positions.h"
#include <gtest/gtest.h>

using namespace deployc::lsp;

TEST(PositionsTest, AsciiRoundTrip) {
  std::string T = "ab\ncde\n";
  EXPECT_EQ(offsetAt(T, {1, 2}), 5u);
  EXPECT_EQ(positionAt(T, 5), (Position{1, 2}));
  EXPECT_EQ(positionAt(T, 0), (Position{0, 0}));
}

TEST(PositionsTest, Utf16CountsSurrogatePairs) {
  // "é" is one UTF-16 unit (two bytes); "😀" is two units (four bytes).
  std::string T = "é😀x\n";
  EXPECT_EQ(offsetAt(T, {0, 1}), 2u);
  EXPECT_EQ(offsetAt(T, {0, 3}), 6u);
  EXPECT_EQ(positionAt(T, 6), (Position{0, 3}));
  EXPECT_EQ(positionAt(T, 7), (Position{0, 4}));
}

TEST(PositionsTest, OutOfRangePositionsClamp) {
  std::string T = "ab\ncd";
  EXPECT_EQ(offsetAt(T, {0, 99}), 2u);   // End of line 0.
  EXPECT_EQ(offsetAt(T, {99, 0}), 5u);   // End of text.
  EXPECT_EQ(offsetAt(T, {-3, -3}), 0u);  // Negative: start.
  EXPECT_EQ(positionAt(T, 999), (Position{1, 2}));
}

TEST(PositionsTest, InvalidUtf8DoesNotOverrun) {
  std::string T = "a\xF0\x9F";
  EXPECT_LE(offsetAt(T, {0, 10}), T.size());
  Position P = positionAt(T, T.size());
  EXPECT_EQ(P.Line, 0);
}

TEST(PositionsTest, IncrementalEdits) {
  std::string T = "service a {\n  replicas = 1\n}\n";
  applyChange(T, Range{{1, 13}, {1, 14}}, "3");
  EXPECT_EQ(T, "service a {\n  replicas = 3\n}\n");
  applyChange(T, Range{{1, 2}, {1, 2}}, "image = \"x\"\n  ");
  EXPECT_EQ(T, "service a {\n  image = \"x\"\n  replicas = 3\n}\n");
  // Inverted range: treated as the same range.
  applyChange(T, Range{{2, 14}, {2, 13}}, "4");
  EXPECT_EQ(T, "service a {\n  image = \"x\"\n  replicas = 4\n}\n");
  // Whole-document change.
  applyChange(T, std::nullopt, "x");
  EXPECT_EQ(T, "x");
  // Past the end appends.
  applyChange(T, Range{{5, 0}, {9, 9}}, "y");
  EXPECT_EQ(T, "xy");
}
