//===- SourceManagerTest.cpp - Offsets, lines and columns -----------------===//

#include "deployc/Basic/SourceManager.h"
#include <gtest/gtest.h>

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
