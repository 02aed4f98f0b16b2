//===- TextDiff.cpp - Unified diffs for `fmt --diff` -----------------------===//
//
// A line diff: the common head and tail are cut off, and the middle is
// aligned by a longest common subsequence. Formatting changes are local, so
// the middle is usually small; when it is too large for the table (over
// 16 million cells) it is shown as one replaced block, which is still a
// correct diff, only not the shortest.
//
//===----------------------------------------------------------------------===//

#include "TextDiff.h"
#include "llvm/ADT/SmallVector.h"
#include <algorithm>
#include <vector>

using namespace deployc;
using namespace deployc::driver;

namespace {

constexpr size_t MaxTableCells = size_t(1) << 24;
constexpr size_t Context = 3;

std::vector<llvm::StringRef> splitLines(llvm::StringRef Text) {
  std::vector<llvm::StringRef> Lines;
  while (!Text.empty()) {
    size_t NL = Text.find('\n');
    if (NL == llvm::StringRef::npos) {
      Lines.push_back(Text);
      break;
    }
    Lines.push_back(Text.take_front(NL + 1));
    Text = Text.drop_front(NL + 1);
  }
  return Lines;
}

struct Edit {
  char Op; // ' ', '-' or '+'
  llvm::StringRef Line;
};

std::vector<Edit> diffLines(const std::vector<llvm::StringRef> &A,
                            const std::vector<llvm::StringRef> &B) {
  size_t Head = 0;
  while (Head < A.size() && Head < B.size() && A[Head] == B[Head])
    ++Head;
  size_t Tail = 0;
  while (Tail < A.size() - Head && Tail < B.size() - Head &&
         A[A.size() - 1 - Tail] == B[B.size() - 1 - Tail])
    ++Tail;
  std::vector<Edit> Edits;
  for (size_t I = 0; I < Head; ++I)
    Edits.push_back({' ', A[I]});
  size_t N = A.size() - Head - Tail, M = B.size() - Head - Tail;
  auto a = [&](size_t I) { return A[Head + I]; };
  auto b = [&](size_t J) { return B[Head + J]; };
  if ((N + 1) * (M + 1) <= MaxTableCells) {
    // L[I][J]: the longest common subsequence of a[I..] and b[J..].
    std::vector<uint32_t> L((N + 1) * (M + 1), 0);
    auto at = [&](size_t I, size_t J) -> uint32_t & { return L[I * (M + 1) + J]; };
    for (size_t I = N; I-- > 0;)
      for (size_t J = M; J-- > 0;)
        at(I, J) = a(I) == b(J) ? at(I + 1, J + 1) + 1 : std::max(at(I + 1, J), at(I, J + 1));
    size_t I = 0, J = 0;
    while (I < N || J < M) {
      if (I < N && J < M && a(I) == b(J)) {
        Edits.push_back({' ', a(I++)});
        ++J;
      } else if (J < M && (I == N || at(I, J + 1) >= at(I + 1, J))) {
        Edits.push_back({'+', b(J++)});
      } else {
        Edits.push_back({'-', a(I++)});
      }
    }
    // Deletions before insertions within a run of changes, as diff prints them.
    for (size_t K = Head; K < Edits.size();) {
      size_t End = K;
      while (End < Edits.size() && Edits[End].Op != ' ')
        ++End;
      std::stable_partition(Edits.begin() + K, Edits.begin() + End,
                            [](const Edit &E) { return E.Op == '-'; });
      K = End == K ? K + 1 : End;
    }
  } else {
    for (size_t I = 0; I < N; ++I)
      Edits.push_back({'-', a(I)});
    for (size_t J = 0; J < M; ++J)
      Edits.push_back({'+', b(J)});
  }
  for (size_t I = A.size() - Tail; I < A.size(); ++I)
    Edits.push_back({' ', A[I]});
  return Edits;
}

void printLine(llvm::raw_ostream &OS, char Op, llvm::StringRef Line) {
  OS << Op << Line;
  if (!Line.endswith("\n"))
    OS << "\n\\ No newline at end of file\n";
}

} // namespace

void driver::printUnifiedDiff(llvm::raw_ostream &OS, llvm::StringRef Path,
                              llvm::StringRef Before, llvm::StringRef After) {
  if (Before == After)
    return;
  std::vector<Edit> Edits = diffLines(splitLines(Before), splitLines(After));
  OS << "--- " << Path << "\n+++ " << Path << "\n";
  size_t K = 0;
  while (K < Edits.size()) {
    while (K < Edits.size() && Edits[K].Op == ' ')
      ++K;
    if (K == Edits.size())
      break;
    // A hunk: from Context lines before this change to Context lines after
    // the last change that is at most 2 * Context unchanged lines away.
    size_t Begin = K >= Context ? K - Context : 0;
    size_t End = K;
    for (;;) {
      while (End < Edits.size() && Edits[End].Op != ' ')
        ++End;
      size_t Same = End;
      while (Same < Edits.size() && Edits[Same].Op == ' ')
        ++Same;
      if (Same == Edits.size() || Same - End > 2 * Context) {
        End = std::min(End + Context, Same);
        break;
      }
      End = Same;
    }
    size_t OldStart = 1, NewStart = 1;
    for (size_t I = 0; I < Begin; ++I) {
      OldStart += Edits[I].Op != '+';
      NewStart += Edits[I].Op != '-';
    }
    size_t OldLen = 0, NewLen = 0;
    for (size_t I = Begin; I < End; ++I) {
      OldLen += Edits[I].Op != '+';
      NewLen += Edits[I].Op != '-';
    }
    // An empty side starts at the line before it, as diff -u writes it.
    OS << "@@ -" << (OldLen ? OldStart : OldStart - 1) << ',' << OldLen << " +"
       << (NewLen ? NewStart : NewStart - 1) << ',' << NewLen << " @@\n";
    for (size_t I = Begin; I < End; ++I)
      printLine(OS, Edits[I].Op, Edits[I].Line);
    K = End;
  }
}
