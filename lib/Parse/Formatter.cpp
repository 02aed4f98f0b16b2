//===- Formatter.cpp - Canonical layout of .deploy files ------------------===//
//
// The formatter reprints the file's tokens in order, changing only the white
// space between them: every token, comments included, is printed exactly once
// with its original spelling. The syntax tree decides the layout: where a line
// ends, how deep it is indented, whether a block or list stays on one line.
//
//   * one declaration per line group, entries one per line in multi-line
//     blocks, two spaces between entries in a one-line block;
//   * a block or list written on one line stays on one line when it fits in
//     the column limit and holds no line comment; otherwise it is expanded;
//   * blank lines between declarations and entries are kept (at most one);
//   * a line comment after code stays after it, two spaces apart.
//
//===----------------------------------------------------------------------===//

#include "deployc/Parse/Formatter.h"
#include "deployc/Parse/Parser.h"
#include <map>

using namespace deployc;
using namespace deployc::ast;
using namespace deployc::parse;

namespace {

class Printer {
public:
  Printer(const SourceManager &SM, FileID File, const FormatOptions &Opts)
      : SM(SM), File(File), Buf(SM.getBuffer(File)), Opts(Opts),
        Toks(lexFile(SM, File)) {}

  std::string run(const Module &M) {
    std::vector<const Node *> Items;
    for (const ImportDecl *I : M.Imports)
      Items.push_back(I);
    for (const Decl *D : M.Decls)
      Items.push_back(D);
    std::sort(Items.begin(), Items.end(), [](const Node *A, const Node *B) {
      return A->getRange().Begin < B->getRange().Begin;
    });
    for (const Node *N : Items) {
      startLine();
      if (auto *B = llvm::dyn_cast<BlockDecl>(N)) {
        printBlockDecl(*B);
      } else if (auto *P = llvm::dyn_cast<ParamDecl>(N)) {
        ParamColon = true; // `param tag: string`
        if (P->Default) {
          printUntil(P->Default->getRange().Begin);
          ParamColon = false;
          printExpr(*P->Default);
        }
        printUntil(N->getRange().End);
        ParamColon = false;
      } else {
        InImport = true; // `import std.x.{a, b}`: no spaces inside the braces.
        printUntil(N->getRange().End);
        InImport = false;
      }
      printSeparator();
      printTrailingComment();
      endLine();
    }
    printUntil(UINT32_MAX);
    endLine();
    // Exactly one newline at the end; no blank lines at the start.
    while (Out.size() > 1 && Out[Out.size() - 1] == '\n' && Out[Out.size() - 2] == '\n')
      Out.pop_back();
    size_t Lead = Out.find_first_not_of('\n');
    return Lead == std::string::npos ? std::string() : Out.substr(Lead);
  }

private:
  //===--------------------------------------------------------------------===//
  // Output primitives
  //===--------------------------------------------------------------------===//

  unsigned column() const {
    size_t NL = Out.rfind('\n');
    return NL == std::string::npos ? Out.size() : Out.size() - NL - 1;
  }

  bool atLineStart() const { return Out.empty() || Out.back() == '\n'; }

  void endLine() {
    while (!Out.empty() && Out.back() == ' ')
      Out.pop_back();
    if (!atLineStart())
      Out += '\n';
    PendingSpace = false;
  }

  /// Begins a new line for an entry or declaration, keeping one blank line if
  /// the source had at least one before the next token.
  void startLine() {
    endLine();
    if (Cur < Toks.size() && blankLineBefore(Cur))
      blankLine();
  }

  /// Ends the line and makes sure exactly one blank line precedes what comes
  /// next (none at the start of the file or right after an opening bracket).
  void blankLine() {
    endLine();
    if (Out.empty() || justOpened())
      return;
    if (Out.size() >= 2 && Out[Out.size() - 2] == '\n')
      return;
    Out += '\n';
  }

  bool justOpened() const {
    // No blank line right after an opening `{` or `[` line.
    if (Out.size() < 2)
      return true;
    size_t End = Out.size() - 1; // The newline.
    return End > 0 && (Out[End - 1] == '{' || Out[End - 1] == '[');
  }

  bool blankLineBefore(size_t I) const {
    uint32_t Prev = I == 0 ? 0 : Toks[I - 1].Range.End;
    uint32_t Begin = Toks[I].Range.Begin;
    if (I == 0)
      return false;
    unsigned Newlines = 0;
    for (uint32_t P = Prev; P < Begin && P < Buf.size(); ++P)
      Newlines += Buf[P] == '\n';
    return Newlines >= 2;
  }

  bool sameSourceLine(uint32_t A, uint32_t B) const {
    for (uint32_t P = std::min(A, B); P < std::max(A, B) && P < Buf.size(); ++P)
      if (Buf[P] == '\n')
        return false;
    return true;
  }

  llvm::StringRef text(size_t I) const { return SM.getText(Toks[I].Range); }

  bool isComment(size_t I) const {
    return Toks[I].Class == TokenClass::Comment || Toks[I].Class == TokenClass::DocComment;
  }

  bool isLineComment(size_t I) const { return isComment(I) && text(I).startswith("//"); }

  void write(llvm::StringRef S) {
    if (atLineStart()) {
      Out.append(Indent * Opts.IndentWidth, ' ');
      PendingSpace = false;
    } else if (PendingSpace) {
      Out += ' ';
    }
    PendingSpace = false;
    Out += S.str();
  }

  /// Whether a space separates token I from the one printed before it.
  bool spaceBefore(size_t I) const {
    if (atLineStart() || LastTok == SIZE_MAX)
      return false;
    llvm::StringRef T = text(I), P = text(LastTok);
    if (T == "," || T == ";" || T == ")" || T == "]" || T == "." || T == "..")
      return false;
    if (P == "(" || P == "[" || P == "." || P == "..")
      return false;
    if (InImport && (P == "{" || T == "}"))
      return false;
    if (T == "(" && Toks[LastTok].Class == TokenClass::Identifier)
      return false; // A call.
    if (T == ":")
      return !ParamColon; // `param x: T`, but `secret s : T`.
    if ((P == "-" || P == "!") && UnaryLast)
      return false;
    return true;
  }

  /// Prints token Cur (and comments before it) and advances.
  void printToken() {
    if (Cur >= Toks.size())
      return;
    if (isComment(Cur)) {
      printComment();
      return;
    }
    bool Space = spaceBefore(Cur);
    UnaryLast = isUnary(Cur);
    if (Space && !atLineStart())
      PendingSpace = true;
    write(text(Cur));
    LastTok = Cur;
    ++Cur;
  }

  bool isUnary(size_t I) const {
    llvm::StringRef T = text(I);
    if (T != "-" && T != "!")
      return false;
    if (LastTok == SIZE_MAX)
      return true;
    llvm::StringRef P = text(LastTok);
    TokenClass C = Toks[LastTok].Class;
    if (C == TokenClass::Operator || C == TokenClass::Punctuation)
      return P != ")" && P != "]" && P != "}";
    return C == TokenClass::Keyword && P != "true" && P != "false";
  }

  void printComment() {
    bool Line = isLineComment(Cur);
    bool Trailing = LastTok != SIZE_MAX && !atLineStart() &&
                    sameSourceLine(Toks[LastTok].Range.End, Toks[Cur].Range.Begin);
    if (Trailing) {
      Out += Line ? "  " : " ";
      Out += text(Cur).str();
    } else {
      if (!atLineStart())
        endLine();
      if (blankLineBefore(Cur))
        blankLine();
      write(text(Cur));
    }
    if (Line)
      endLine();
    else
      PendingSpace = true;
    LastTok = Cur;
    ++Cur;
  }

  /// Prints every token that starts before Offset.
  void printUntil(uint32_t Offset) {
    while (Cur < Toks.size() && Toks[Cur].Range.Begin < Offset)
      printToken();
  }

  /// Prints comments that come before Offset (and nothing else).
  void printCommentsBefore(uint32_t Offset) {
    while (Cur < Toks.size() && isComment(Cur) && Toks[Cur].Range.Begin < Offset)
      printToken();
  }

  /// An optional `,` or `;` after an entry.
  void printSeparator() {
    size_t I = Cur;
    if (I < Toks.size() && (text(I) == "," || text(I) == ";"))
      printToken();
  }

  /// Prints a trailing line comment that sits on the same source line.
  void printTrailingComment() {
    if (Cur < Toks.size() && isComment(Cur) && LastTok != SIZE_MAX &&
        sameSourceLine(Toks[LastTok].Range.End, Toks[Cur].Range.Begin))
      printToken();
  }

  //===--------------------------------------------------------------------===//
  // Layout
  //===--------------------------------------------------------------------===//

  /// The width of Range printed on one line, or -1 when it cannot be
  /// (it holds a line comment or a multi-line string).
  int flatWidth(SourceRange R) const {
    int Width = 0;
    for (size_t I = Cur; I < Toks.size() && Toks[I].Range.Begin < R.End; ++I) {
      if (Toks[I].Range.Begin < R.Begin)
        continue;
      llvm::StringRef T = text(I);
      if (isLineComment(I) || T.contains('\n'))
        return -1;
      Width += T.size() + 2;
    }
    return Width;
  }

  bool writtenOnOneLine(SourceRange R) const {
    return sameSourceLine(R.Begin, R.End > R.Begin ? R.End - 1 : R.Begin);
  }

  /// Whether the expression in R prints on one line. The printer joins the
  /// line breaks of an expression (`a +` NEWLINE `b`) except inside a list or
  /// block written over several lines; comments and multi-line strings are
  /// flatWidth's business.
  bool printsOnOneLine(SourceRange R) const {
    int Depth = 0;
    uint32_t PrevEnd = UINT32_MAX;
    // Whether only comments came since the last `{` or `[`: an empty block
    // or list prints on one line even when its closing bracket was on the
    // next line (`{` NEWLINE `}` becomes `{ }`).
    bool Empty = false;
    for (size_t I = Cur; I < Toks.size() && Toks[I].Range.Begin < R.End; ++I) {
      if (Toks[I].Range.Begin < R.Begin)
        continue;
      llvm::StringRef T = text(I);
      bool Closes = T == "}" || T == "]";
      if (Depth > 0 && PrevEnd != UINT32_MAX && !sameSourceLine(PrevEnd, Toks[I].Range.Begin) &&
          !(Closes && Empty))
        return false;
      if (T == "{" || T == "[") {
        ++Depth;
        Empty = true;
      } else if (!isComment(I)) {
        Empty = false;
        if (Closes && Depth > 0)
          --Depth;
      }
      PrevEnd = Toks[I].Range.End;
    }
    return true;
  }

  bool fits(SourceRange R) const {
    int W = flatWidth(R);
    return W >= 0 && column() + W <= Opts.ColumnLimit;
  }

  void printBlockDecl(const BlockDecl &D) {
    ParamColon = false;
    printUntil(D.Body->getRange().Begin);
    printBlock(*D.Body);
  }

  void printBlock(const Block &B) {
    SourceRange R = B.getRange();
    bool Inline = InlineDepth > 0 || B.Entries.empty() || (writtenOnOneLine(R) && fits(R));
    printToken(); // `{`
    if (Inline) {
      ++InlineDepth;
      for (size_t I = 0; I < B.Entries.size(); ++I) {
        if (I)
          Out += " "; // Two spaces between entries on one line.
        printEntry(*B.Entries[I]);
        printSeparator();
      }
      printUntil(R.End - 1);
      printToken(); // `}`
      --InlineDepth;
      return;
    }
    printTrailingComment();
    endLine();
    ++Indent;
    computeAlignment(B);
    for (const Entry *E : B.Entries) {
      printCommentsBefore(E->getRange().Begin);
      startLine();
      printEntry(*E);
      printSeparator();
      printTrailingComment();
      endLine();
    }
    printCommentsBefore(R.End - 1);
    --Indent;
    endLine();
    printUntil(R.End - 1);
    printToken(); // `}`
  }

  /// Width of `key [label]` as written.
  unsigned keyWidth(const Entry &E) const {
    unsigned W = SM.getText(E.Key.Range).size();
    if (E.Label)
      W += 1 + SM.getText(E.Label->Range).size();
    return W;
  }

  /// Aligns the `=` of consecutive one-line assignments, as gofmt aligns
  /// struct fields. Blank lines, comments and multi-line entries end a group.
  void computeAlignment(const Block &B) {
    std::vector<const Entry *> Group;
    auto flush = [&] {
      unsigned Width = 0;
      for (const Entry *E : Group)
        Width = std::max(Width, keyWidth(*E));
      for (const Entry *E : Group)
        AlignTo[E] = Group.size() > 1 ? Width : 0;
      Group.clear();
    };
    // An entry stays in a group only if it will print on one line even when
    // padded to the widest key of the block; else formatting twice differs.
    unsigned MaxKey = 0;
    for (const Entry *E : B.Entries)
      MaxKey = std::max(MaxKey, keyWidth(*E));
    // Only the value keeps its line breaks (key and label are re-spaced), so
    // the decision must not depend on how the key was laid out.
    auto staysOnOneLine = [&](const Entry *E) {
      auto *A = llvm::cast<AssignEntry>(E);
      SourceRange R = E->getRange();
      llvm::StringRef Head = Buf.slice(R.Begin, A->Value->getRange().Begin);
      if (Head.contains("//") || Head.contains("/*") || !printsOnOneLine(A->Value->getRange()))
        return false;
      int ValueWidth = flatWidth(A->Value->getRange());
      return ValueWidth >= 0 &&
             Indent * Opts.IndentWidth + MaxKey + 3 + ValueWidth <= Opts.ColumnLimit;
    };
    uint32_t PrevEnd = 0;
    for (const Entry *E : B.Entries) {
      bool Breaks = !llvm::isa<AssignEntry>(E) || !staysOnOneLine(E);
      if (!Group.empty()) {
        llvm::StringRef Between = Buf.slice(PrevEnd, E->getRange().Begin);
        if (Between.count('\n') >= 2 || Between.contains("//") || Between.contains("/*"))
          flush();
      }
      if (Breaks) {
        flush();
      } else {
        Group.push_back(E);
      }
      PrevEnd = E->getRange().End;
    }
    flush();
  }

  void printEntry(const Entry &E) {
    switch (E.getKind()) {
    case NK::AssignEntry: {
      auto &A = llvm::cast<AssignEntry>(E);
      auto Align = AlignTo.find(&E);
      if (Align != AlignTo.end() && Align->second) {
        // Everything up to the `=`, then padding to the group's column.
        size_t Eq = Cur;
        while (Eq < Toks.size() && text(Eq) != "=")
          ++Eq;
        if (Eq < Toks.size()) {
          printUntil(Toks[Eq].Range.Begin);
          unsigned Target = Indent * Opts.IndentWidth + Align->second;
          while (column() < Target)
            Out += ' ';
        }
      }
      printUntil(A.Value->getRange().Begin);
      printExpr(*A.Value);
      break;
    }
    case NK::BlockEntry: {
      auto &B = llvm::cast<BlockEntry>(E);
      printUntil(B.Body->getRange().Begin);
      printBlock(*B.Body);
      break;
    }
    case NK::ConditionEntry: {
      auto &C = llvm::cast<ConditionEntry>(E);
      printUntil(C.Value->getRange().Begin);
      printExpr(*C.Value);
      break;
    }
    case NK::FieldEntry: {
      auto &F = llvm::cast<FieldEntry>(E);
      // `component port: port = 5432`: no space before the colon.
      ParamColon = true;
      if (F.Default) {
        printUntil(F.Default->getRange().Begin);
        ParamColon = false;
        printExpr(*F.Default);
      }
      ParamColon = true;
      if (F.Options) {
        printUntil(F.Options->getRange().Begin);
        ParamColon = false;
        printBlock(*F.Options);
      }
      printUntil(E.getRange().End);
      ParamColon = false;
      break;
    }
    default:
      printUntil(E.getRange().End);
    }
    printUntil(E.getRange().End);
  }

  void printExpr(const Expr &E) {
    SourceRange R = E.getRange();
    switch (E.getKind()) {
    case NK::ListExpr:
      printList(llvm::cast<ListExpr>(E));
      return;
    case NK::ConstructorExpr: {
      auto &C = llvm::cast<ConstructorExpr>(E);
      printUntil(C.Body->getRange().Begin);
      printBlock(*C.Body);
      return;
    }
    case NK::BlockExpr:
      printUntil(R.Begin);
      printBlock(*llvm::cast<BlockExpr>(E).Body);
      return;
    case NK::CallExpr: {
      auto &C = llvm::cast<CallExpr>(E);
      for (const Expr *A : C.Args) {
        printUntil(A->getRange().Begin);
        printExpr(*A);
      }
      if (C.Options) {
        printUntil(C.Options->getRange().Begin);
        printBlock(*C.Options);
      }
      printUntil(R.End);
      return;
    }
    case NK::IfExpr: {
      auto &I = llvm::cast<IfExpr>(E);
      for (const Expr *Part : {I.Cond, I.Then, I.Else}) {
        printUntil(Part->getRange().Begin);
        printExpr(*Part);
      }
      return;
    }
    case NK::BinaryExpr: {
      auto &B = llvm::cast<BinaryExpr>(E);
      printExpr(*B.LHS);
      printUntil(B.RHS->getRange().Begin);
      printExpr(*B.RHS);
      printUntil(R.End);
      return;
    }
    default:
      printUntil(R.End);
    }
  }

  void printList(const ListExpr &L) {
    SourceRange R = L.getRange();
    bool Inline = InlineDepth > 0 || L.Elements.empty() || (writtenOnOneLine(R) && fits(R));
    printUntil(R.Begin);
    printToken(); // `[`
    if (Inline) {
      ++InlineDepth;
      for (const Expr *El : L.Elements) {
        printUntil(El->getRange().Begin);
        printExpr(*El);
      }
      printUntil(R.End);
      --InlineDepth;
      return;
    }
    printTrailingComment();
    endLine();
    ++Indent;
    for (const Expr *El : L.Elements) {
      printCommentsBefore(El->getRange().Begin);
      startLine();
      printExpr(*El);
      if (Cur < Toks.size() && text(Cur) == ",")
        printToken();
      printTrailingComment();
      endLine();
    }
    printCommentsBefore(R.End - 1);
    --Indent;
    endLine();
    printUntil(R.End);
  }

  const SourceManager &SM;
  FileID File;
  llvm::StringRef Buf;
  const FormatOptions &Opts;
  std::vector<LexedToken> Toks;
  size_t Cur = 0;
  size_t LastTok = SIZE_MAX;
  std::string Out;
  unsigned Indent = 0;
  bool PendingSpace = false;
  bool UnaryLast = false;
  bool ParamColon = false;
  bool InImport = false;
  /// Inside a block or list printed on one line, everything nested stays on
  /// that line too. Each is measured at its own column, and a nested one
  /// expanded inside a one-line parent would make the second run expand the
  /// parent as well: formatting twice would differ.
  unsigned InlineDepth = 0;
  std::map<const Entry *, unsigned> AlignTo;
};

} // namespace

std::optional<std::string> parse::formatFile(const SourceManager &SM, FileID File,
                                             DiagnosticEngine &Diags,
                                             const FormatOptions &Opts) {
  ASTContext Ctx;
  unsigned Before = Diags.getNumErrors();
  Module *M = parseModule(SM, File, Ctx, Diags);
  if (Diags.getNumErrors() != Before)
    return std::nullopt;
  return Printer(SM, File, Opts).run(*M);
}
