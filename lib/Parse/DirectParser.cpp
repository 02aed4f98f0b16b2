//===- DirectParser.cpp - grammar/DeployParser.g4 by recursive descent ----===//
//
// ANTLR's parser builds a parse tree that the builder in Parser.cpp then turns
// into the AST; building and freeing that tree was most of the time of a large
// `deployc emit`. This parser implements the same grammar by recursive descent
// and builds the AST directly, for files without errors. At the first token
// it does not expect it gives up, reporting nothing, and the file is parsed
// again by ANTLR's parser, which reports and recovers. It also leaves to ANTLR
// whatever its token filter would report (lexical errors, too deep nesting).
//
// Expressions follow ANTLR's rewriting of the left-recursive `expr` rule: the
// alternatives have precedences 11 (primary) down to 1 (`if`) in the order
// the grammar lists them; a prefix operator's operand and a binary operator's
// right side are parsed at the precedence of their alternative (plus one for
// left associativity), and only the last operand of a prefix alternative
// (`if ... else E`) takes one. Where the grammar is ambiguous (`x = T { ... }`
// after a field's type, say) ANTLR takes the earlier alternative, which here
// is the greedy choice.
//
// Diagnostics of the building (bad escapes, huge integers) go to a private
// engine and reach the caller's only when the whole text parsed.
//
//===----------------------------------------------------------------------===//

#include "Lexer.h"
#include "ParserImpl.h"
#include "DeployLexer.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include <algorithm>

using namespace deployc;
using namespace deployc::ast;
using namespace deployc::parse;
using deployc_antlr::DeployLexer;

namespace {

/// ANTLR's precedence of each alternative of `expr` that continues an
/// expression on its left: 0 when Type continues none.
unsigned infixPrecedence(size_t Type) {
  switch (Type) {
  case DeployLexer::DOT: return 10;
  case DeployLexer::STAR: case DeployLexer::SLASH: return 8;
  case DeployLexer::PLUS: case DeployLexer::MINUS: return 7;
  case DeployLexer::DOTDOT: return 6;
  case DeployLexer::LT: case DeployLexer::LE: case DeployLexer::GT: case DeployLexer::GE:
    return 5;
  case DeployLexer::EQ: case DeployLexer::NE: return 4;
  case DeployLexer::ANDAND: return 3;
  case DeployLexer::OROR: return 2;
  default: return 0;
  }
}
constexpr unsigned UnaryPrecedence = 9;
constexpr unsigned ElsePrecedence = 1;

/// Beyond these the parser gives up and lets ANTLR's path (which bounds and
/// reports nesting) decide; no real file comes near them.
constexpr unsigned MaxRecursion = 256;
constexpr unsigned MaxExprDepth = parse::MaxOperatorChain / 2;

class DirectParser {
public:
  DirectParser(const SourceManager &SM, FileID File, uint32_t Begin, uint32_t End,
               ASTContext &Ctx, ParserKind Kind)
      : SM(SM), File(File), Buffer(SM.getBuffer(File)), Begin(Begin), End(End), Ctx(Ctx),
        Kind(Kind), Diags(SM) {}

  /// Lexes bytes [Begin, End); false when the token filter of the ANTLR path
  /// would report something.
  bool lex();
  Module *parseFile();
  Expr *parseExprOnly();
  const DiagnosticEngine &diagnostics() const { return Diags; }

private:
  struct Token {
    size_t Type;          ///< DeployLexer's token type.
    uint32_t Begin, End;  ///< Bytes.
    uint32_t CommentsEnd; ///< Comments before and this one: [previous's, this).
  };

  /// An expression with the tokens it spans, brackets included: the range of
  /// ANTLR's context for it, which can be wider than the node's own (`(a).b`).
  struct Parsed {
    Expr *E = nullptr;
    uint32_t Begin = 0, End = 0;
    unsigned Depth = 0; ///< At least the nesting the ANTLR builder would count.
    explicit operator bool() const { return E; }
  };

  size_t type() const { return Toks[Pos].Type; }
  bool at(size_t T) const { return Toks[Pos].Type == T; }
  size_t typeAfter() const { return Toks[std::min(Pos + 1, Toks.size() - 1)].Type; }
  bool accept(size_t T) {
    if (!at(T))
      return false;
    ++Pos;
    return true;
  }
  SourceRange tokenRange(size_t I) const { return {File, Toks[I].Begin, Toks[I].End}; }
  /// From the start of token First to the end of the last token consumed.
  SourceRange rangeFrom(size_t First) const {
    return {File, Toks[First].Begin, Toks[Pos - 1].End};
  }
  llvm::StringRef tokenText(size_t I) const {
    return Buffer.slice(Toks[I].Begin, Toks[I].End);
  }

  std::optional<Ident> ident();
  std::optional<Ident> keyOrLabel();
  std::string docComment(size_t First) const;
  Expr *parseInterpolation(uint32_t Begin, uint32_t End);
  StringLiteral *stringLiteral(size_t I);

  ImportDecl *parseImport();
  Decl *parseDecl();
  TypeExpr *parseType();
  Block *parseBlock(unsigned &Depth);
  Entry *parseEntry(unsigned &Depth);
  Parsed parseExpr(unsigned MinPrecedence);
  Parsed parsePrefix();
  Parsed parsePrimary();
  bool parseExprList(size_t Close, std::vector<Expr *> &Out, unsigned &Depth);

  const SourceManager &SM;
  FileID File;
  llvm::StringRef Buffer;
  uint32_t Begin, End;
  ASTContext &Ctx;
  ParserKind Kind;
  DiagnosticEngine Diags;
  std::vector<Token> Toks; ///< The default channel; the last is EOF.
  std::vector<CommentToken> Comments;
  size_t Pos = 0;
  unsigned Recursion = 0;
  bool GaveUp = false;
};

bool DirectParser::lex() {
  NestingBounds Bounds;
  bool Ok = true;
  size_t PrevType = 0;
  uint32_t PrevEnd = 0;
  llvm::StringRef Text = Buffer.slice(Begin, End);
  // Code points are bytes in ASCII text, which most specs are: no decoding.
  bool IsASCII = llvm::all_of(Text, [](char C) { return uint8_t(C) < 0x80; });
  DecodedText Decoded;
  if (!IsASCII)
    Decoded = decode(Text, Begin);
  auto byteOffset = [&](size_t CodePoint) -> uint32_t {
    if (IsASCII)
      return Begin + std::min(CodePoint, Text.size());
    return Decoded.ByteOffsets[std::min(CodePoint, Decoded.ByteOffsets.size() - 1)];
  };
  Toks.reserve(Text.size() / 4);
  auto onLexeme = [&](const Lexeme &L) {
    if (!Ok)
      return;
    uint32_t TokBegin = byteOffset(L.Start), TokEnd = byteOffset(L.Stop + 1);
    if (L.Type == antlr4::Token::EOF) {
      Toks.push_back({DeployLexer::EOF, TokEnd, TokEnd, uint32_t(Comments.size())});
      return;
    }
    if (L.Hidden) {
      Comments.push_back({{File, TokBegin, TokEnd}, L.Type == DeployLexer::DOC_COMMENT});
      return;
    }
    switch (L.Type) {
    case DeployLexer::UNEXPECTED_CHAR:
    case DeployLexer::UNTERMINATED_STRING:
      Ok = false;
      return;
    case DeployLexer::STAR: // `/*` without `*/`.
      if (PrevType == DeployLexer::SLASH && PrevEnd == TokBegin)
        Ok = false;
      break;
    default:
      break;
    }
    if (Bounds.count(L.Type))
      Ok = false;
    PrevType = L.Type;
    PrevEnd = TokEnd;
    Toks.push_back({L.Type, TokBegin, TokEnd, uint32_t(Comments.size())});
  };
  if (IsASCII)
    lexASCII({Text.data(), Text.size()}, onLexeme);
  else
    lexCodePoints(Decoded.Chars, onLexeme);
  return Ok && !Toks.empty() && Toks.back().Type == DeployLexer::EOF;
}

std::optional<Ident> DirectParser::ident() {
  if (!at(DeployLexer::IDENT))
    return std::nullopt;
  ++Pos;
  return Ident{tokenText(Pos - 1).str(), tokenRange(Pos - 1), false};
}

Expr *DirectParser::parseInterpolation(uint32_t Begin, uint32_t End) {
  Expr *E = parse::parseInterpolation(SM, File, Begin, End, Ctx, Diags, Kind);
  // Only DirectOnly returns null without a diagnostic, and then so must we.
  if (!E && Kind == ParserKind::DirectOnly)
    GaveUp = true;
  return E;
}

StringLiteral *DirectParser::stringLiteral(size_t I) {
  return buildStringLiteral(SM, Ctx, Diags, tokenRange(I), [&](uint32_t B, uint32_t E) {
    return parseInterpolation(B, E);
  });
}

std::optional<Ident> DirectParser::keyOrLabel() {
  if (at(DeployLexer::IDENT))
    return ident();
  if (!at(DeployLexer::STRING))
    return std::nullopt;
  ++Pos;
  return buildQuotedName(SM, Ctx, Diags, tokenRange(Pos - 1),
                         [&](uint32_t B, uint32_t E) { return parseInterpolation(B, E); });
}

std::string DirectParser::docComment(size_t First) const {
  uint32_t CommentsBegin = First ? Toks[First - 1].CommentsEnd : 0;
  if (CommentsBegin == Toks[First].CommentsEnd)
    return "";
  return docCommentText(SM,
                        llvm::ArrayRef(Comments).slice(
                            CommentsBegin, Toks[First].CommentsEnd - CommentsBegin),
                        Toks[First].Begin);
}

Module *DirectParser::parseFile() {
  std::vector<ImportDecl *> Imports;
  std::vector<Decl *> Decls;
  while (at(DeployLexer::IMPORT)) {
    ImportDecl *D = parseImport();
    if (!D)
      return nullptr;
    Imports.push_back(D);
  }
  while (!at(DeployLexer::EOF)) {
    Decl *D = parseDecl();
    if (!D)
      return nullptr;
    Decls.push_back(D);
  }
  if (GaveUp)
    return nullptr;
  Module *M = Ctx.createModule();
  M->File = File;
  M->Path = SM.getPath(File).str();
  M->Imports = std::move(Imports);
  M->Decls = std::move(Decls);
  return M;
}

Expr *DirectParser::parseExprOnly() {
  Parsed P = parseExpr(0);
  if (!P || !at(DeployLexer::EOF) || GaveUp)
    return nullptr;
  return P.E;
}

ImportDecl *DirectParser::parseImport() {
  size_t First = Pos++;
  if (at(DeployLexer::STRING)) {
    StringLiteral *Path = stringLiteral(Pos++);
    auto *D = Ctx.create<ImportDecl>(rangeFrom(First));
    D->FilePath = Path->getPlainText();
    D->FilePathRange = tokenRange(Pos - 1);
    return D;
  }
  std::vector<Ident> Path;
  std::vector<Ident> Names;
  bool Wildcard = false;
  do {
    std::optional<Ident> Segment = ident();
    if (!Segment)
      return nullptr;
    Path.push_back(std::move(*Segment));
    if (!at(DeployLexer::DOT))
      break;
    if (typeAfter() == DeployLexer::STAR) {
      Pos += 2;
      Wildcard = true;
      break;
    }
    if (typeAfter() == DeployLexer::LBRACE) {
      Pos += 2;
      do {
        std::optional<Ident> Name = ident();
        if (!Name)
          return nullptr;
        Names.push_back(std::move(*Name));
      } while (accept(DeployLexer::COMMA) && !at(DeployLexer::RBRACE));
      if (!accept(DeployLexer::RBRACE))
        return nullptr;
      break;
    }
    ++Pos;
  } while (true);
  auto *D = Ctx.create<ImportDecl>(rangeFrom(First));
  D->ModulePath = std::move(Path);
  D->Wildcard = Wildcard;
  D->Names = std::move(Names);
  // `import std.secrets.database_credentials`: the last segment is a name.
  // A single segment (`import std`) names no module; Sema reports it.
  if (!Wildcard && D->Names.empty() && D->ModulePath.size() > 1) {
    D->Names.push_back(D->ModulePath.back());
    D->ModulePath.pop_back();
  }
  return D;
}

Decl *DirectParser::parseDecl() {
  size_t First = Pos;
  if (accept(DeployLexer::PARAM)) {
    std::optional<Ident> Name = ident();
    if (!Name)
      return nullptr;
    TypeExpr *Type = nullptr;
    if (accept(DeployLexer::COLON) && !(Type = parseType()))
      return nullptr;
    Expr *Default = nullptr;
    if (accept(DeployLexer::ASSIGN)) {
      Parsed P = parseExpr(0);
      if (!P)
        return nullptr;
      Default = P.E;
    }
    auto *D = Ctx.create<ParamDecl>(rangeFrom(First), std::move(*Name), Type, Default);
    D->Doc = docComment(First);
    return D;
  }
  std::optional<Ident> KindName = ident();
  if (!KindName)
    return nullptr;
  std::optional<Ident> Name = ident();
  if (!Name)
    return nullptr;
  std::vector<Ident> TypeName;
  if (accept(DeployLexer::COLON)) {
    do {
      std::optional<Ident> Segment = ident();
      if (!Segment)
        return nullptr;
      TypeName.push_back(std::move(*Segment));
    } while (accept(DeployLexer::DOT));
  }
  unsigned Depth = 0;
  Block *Body = parseBlock(Depth);
  if (!Body)
    return nullptr;
  DeclKind DK = lookupDeclKind(KindName->Name);
  auto *D = Ctx.create<BlockDecl>(rangeFrom(First), std::move(*KindName), DK,
                                  std::move(*Name), std::move(TypeName), Body);
  D->Doc = docComment(First);
  return D;
}

TypeExpr *DirectParser::parseType() {
  size_t First = Pos;
  if (accept(DeployLexer::LBRACK)) {
    if (++Recursion > MaxRecursion)
      return nullptr;
    TypeExpr *Element = parseType();
    --Recursion;
    if (!Element || !accept(DeployLexer::RBRACK))
      return nullptr;
    return Ctx.create<ListType>(rangeFrom(First), Element);
  }
  std::optional<Ident> Name = ident();
  if (!Name)
    return nullptr;
  return Ctx.create<NamedType>(rangeFrom(First), std::move(*Name));
}

Block *DirectParser::parseBlock(unsigned &Depth) {
  size_t First = Pos;
  if (!accept(DeployLexer::LBRACE) || ++Recursion > MaxRecursion)
    return nullptr;
  // Gathered here and copied once: a large spec has a hundred thousand
  // blocks, and a vector grown by doubling keeps up to half its room unused.
  llvm::SmallVector<Entry *, 16> Entries;
  while (!accept(DeployLexer::RBRACE)) {
    Entry *E = parseEntry(Depth);
    if (!E)
      return nullptr;
    Entries.push_back(E);
    if (!accept(DeployLexer::COMMA))
      accept(DeployLexer::SEMI);
  }
  --Recursion;
  return Ctx.create<Block>(rangeFrom(First), std::vector<Entry *>(Entries.begin(), Entries.end()));
}

Entry *DirectParser::parseEntry(unsigned &Depth) {
  size_t First = Pos;
  std::optional<Ident> Key = keyOrLabel();
  if (!Key)
    return nullptr;
  auto value = [&]() -> Expr * {
    Parsed P = parseExpr(0);
    if (P)
      Depth = std::max(Depth, P.Depth);
    return P.E;
  };
  Entry *Result = nullptr;
  if (std::optional<BinaryOp> Op = binaryOpFor(type());
      Op && infixPrecedence(type()) >= 4 && infixPrecedence(type()) <= 5) {
    SourceRange OpRange = tokenRange(Pos++);
    Expr *V = value();
    if (!V)
      return nullptr;
    Result = Ctx.create<ConditionEntry>(rangeFrom(First), std::move(*Key), *Op, OpRange, V);
  } else {
    std::optional<Ident> Label;
    if (at(DeployLexer::IDENT) || at(DeployLexer::STRING))
      Label = keyOrLabel();
    if (accept(DeployLexer::ASSIGN)) {
      Expr *V = value();
      if (!V)
        return nullptr;
      Result = Ctx.create<AssignEntry>(rangeFrom(First), std::move(*Key),
                                       Label ? Ctx.createLabel(std::move(*Label)) : nullptr, V);
    } else if (at(DeployLexer::LBRACE)) {
      Block *Body = parseBlock(Depth);
      if (!Body)
        return nullptr;
      Result = Ctx.create<BlockEntry>(rangeFrom(First), std::move(*Key),
                                      Label ? Ctx.createLabel(std::move(*Label)) : nullptr,
                                      Body);
    } else if (Label && accept(DeployLexer::COLON)) {
      TypeExpr *Type = parseType();
      if (!Type)
        return nullptr;
      Expr *Default = nullptr;
      if (accept(DeployLexer::ASSIGN) && !(Default = value()))
        return nullptr;
      Block *Options = nullptr;
      if (at(DeployLexer::LBRACE) && !(Options = parseBlock(Depth)))
        return nullptr;
      Result = Ctx.create<FieldEntry>(rangeFrom(First), std::move(*Key),
                                      Ctx.createLabel(std::move(*Label)), Type, Default,
                                      Options);
    } else {
      return nullptr;
    }
  }
  Result->Doc = Ctx.save(docComment(First));
  return Result;
}

DirectParser::Parsed DirectParser::parseExpr(unsigned MinPrecedence) {
  if (++Recursion > MaxRecursion)
    return {};
  Parsed L = parsePrefix();
  while (L) {
    unsigned Precedence = infixPrecedence(type());
    if (!Precedence || Precedence < MinPrecedence)
      break;
    size_t OpIndex = Pos++;
    if (Toks[OpIndex].Type == DeployLexer::DOT) {
      std::optional<Ident> Member = ident();
      if (!Member)
        return {};
      SourceRange Range{File, L.Begin, Toks[Pos - 1].End};
      L = {Ctx.create<MemberExpr>(Range, L.E, std::move(*Member)), Range.Begin, Range.End,
           L.Depth + 1};
      continue;
    }
    Parsed R = parseExpr(Precedence + 1);
    if (!R)
      return {};
    SourceRange Range{File, L.Begin, R.End};
    unsigned Depth = std::max(L.Depth, R.Depth) + 1;
    if (Toks[OpIndex].Type == DeployLexer::DOTDOT)
      L = {Ctx.create<RangeExpr>(Range, L.E, R.E), L.Begin, R.End, Depth};
    else
      L = {Ctx.create<BinaryExpr>(Range, *binaryOpFor(Toks[OpIndex].Type),
                                  tokenRange(OpIndex), L.E, R.E),
           L.Begin, R.End, Depth};
  }
  --Recursion;
  if (L.Depth > MaxExprDepth)
    return {};
  return L;
}

DirectParser::Parsed DirectParser::parsePrefix() {
  size_t First = Pos;
  if (at(DeployLexer::BANG) || at(DeployLexer::MINUS)) {
    UnaryOp Op = at(DeployLexer::BANG) ? UnaryOp::Not : UnaryOp::Negate;
    ++Pos;
    Parsed Operand = parseExpr(UnaryPrecedence);
    if (!Operand)
      return {};
    return {Ctx.create<UnaryExpr>(SourceRange{File, Toks[First].Begin, Operand.End}, Op,
                                  Operand.E),
            Toks[First].Begin, Operand.End, Operand.Depth + 1};
  }
  if (accept(DeployLexer::IF)) {
    Parsed Cond = parseExpr(0);
    if (!Cond || !accept(DeployLexer::THEN))
      return {};
    Parsed Then = parseExpr(0);
    if (!Then || !accept(DeployLexer::ELSE))
      return {};
    Parsed Else = parseExpr(ElsePrecedence);
    if (!Else)
      return {};
    SourceRange Range{File, Toks[First].Begin, Else.End};
    return {Ctx.create<IfExpr>(Range, Cond.E, Then.E, Else.E), Range.Begin, Range.End,
            std::max({Cond.Depth, Then.Depth, Else.Depth}) + 1};
  }
  return parsePrimary();
}

bool DirectParser::parseExprList(size_t Close, std::vector<Expr *> &Out, unsigned &Depth) {
  while (!accept(Close)) {
    Parsed P = parseExpr(0);
    if (!P)
      return false;
    Out.push_back(P.E);
    Depth = std::max(Depth, P.Depth);
    if (!accept(DeployLexer::COMMA) && !at(Close))
      return false;
  }
  return true;
}

DirectParser::Parsed DirectParser::parsePrimary() {
  size_t First = Pos;
  auto done = [&](Expr *E, unsigned InnerDepth) -> Parsed {
    if (!E)
      return {};
    return {E, Toks[First].Begin, Toks[Pos - 1].End, InnerDepth + 1};
  };
  switch (type()) {
  case DeployLexer::INT:
  case DeployLexer::FLOAT:
  case DeployLexer::QUANTITY:
    ++Pos;
    return done(buildNumberLiteral(Ctx, Diags, tokenRange(First), tokenText(First)), 0);
  case DeployLexer::TRUE:
  case DeployLexer::FALSE:
    ++Pos;
    return done(
        Ctx.create<BoolLiteral>(tokenRange(First), Toks[First].Type == DeployLexer::TRUE), 0);
  case DeployLexer::STRING:
  case DeployLexer::TRIPLE_STRING:
    ++Pos;
    return done(stringLiteral(First), 0);
  case DeployLexer::LBRACK: {
    ++Pos;
    std::vector<Expr *> Elements;
    unsigned Depth = 0;
    if (!parseExprList(DeployLexer::RBRACK, Elements, Depth))
      return {};
    return done(Ctx.create<ListExpr>(rangeFrom(First), std::move(Elements)), Depth + 1);
  }
  case DeployLexer::IDENT: {
    std::optional<Ident> Name = ident();
    if (accept(DeployLexer::LPAREN)) {
      std::vector<Expr *> Args;
      unsigned Depth = 0;
      if (!parseExprList(DeployLexer::RPAREN, Args, Depth))
        return {};
      Block *Options = nullptr;
      if (at(DeployLexer::LBRACE) && !(Options = parseBlock(Depth)))
        return {};
      return done(Ctx.create<CallExpr>(rangeFrom(First), std::move(*Name), std::move(Args),
                                       Options),
                  Depth + 1);
    }
    if (at(DeployLexer::LBRACE)) {
      unsigned Depth = 0;
      Block *Body = parseBlock(Depth);
      if (!Body)
        return {};
      return done(Ctx.create<ConstructorExpr>(rangeFrom(First), std::move(*Name), Body),
                  Depth + 1);
    }
    return done(Ctx.create<NameExpr>(rangeFrom(First), std::move(*Name)), 0);
  }
  case DeployLexer::LPAREN: {
    ++Pos;
    Parsed Inner = parseExpr(0);
    if (!Inner || !accept(DeployLexer::RPAREN))
      return {};
    // The node keeps its own range; the brackets widen only what encloses it.
    return {Inner.E, Toks[First].Begin, Toks[Pos - 1].End, Inner.Depth + 1};
  }
  case DeployLexer::LBRACE: {
    unsigned Depth = 0;
    Block *Body = parseBlock(Depth);
    if (!Body)
      return {};
    return done(Ctx.create<BlockExpr>(rangeFrom(First), Body), Depth + 1);
  }
  default:
    return {};
  }
}

/// Runs Rule over bytes [Begin, End) of File; its diagnostics reach Diags
/// only when it succeeds.
template <typename NodeT>
NodeT *parseWith(NodeT *(DirectParser::*Rule)(), const SourceManager &SM, FileID File,
                 uint32_t Begin, uint32_t End, ASTContext &Ctx, DiagnosticEngine &Diags,
                 ParserKind Kind) {
  DirectParser P(SM, File, Begin, End, Ctx, Kind);
  if (!P.lex())
    return nullptr;
  NodeT *Node = (P.*Rule)();
  if (Node)
    for (const Diagnostic &D : P.diagnostics().getDiagnostics())
      Diags.replay(D);
  return Node;
}

} // namespace

Module *parse::parseModuleDirectly(const SourceManager &SM, FileID File, uint32_t Begin,
                                   uint32_t End, ASTContext &Ctx, DiagnosticEngine &Diags,
                                   ParserKind Kind) {
  return parseWith(&DirectParser::parseFile, SM, File, Begin, End, Ctx, Diags, Kind);
}

Expr *parse::parseExprDirectly(const SourceManager &SM, FileID File, uint32_t Begin,
                               uint32_t End, ASTContext &Ctx, DiagnosticEngine &Diags,
                               ParserKind Kind) {
  return parseWith(&DirectParser::parseExprOnly, SM, File, Begin, End, Ctx, Diags, Kind);
}
