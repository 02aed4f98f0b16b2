//===- Parser.cpp - From source text to the AST ---------------------------===//
//
// Lexes with the hand-written equivalent of the generated DeployLexer (Lexer.h),
// filters lexical errors into diagnostics, parses with two-stage SLL->LL
// prediction (SLL with a bail-out strategy is fast and almost always right; on
// failure we reparse with full LL and recovery), and converts the parse tree
// into our AST with the typed builder below. ANTLR works on UTF-32 code
// points, so a code point -> byte offset table maps every token back to byte
// ranges in the buffer.
//
// ANTLR throws; nothing may escape this file, so every entry point catches.
//
//===----------------------------------------------------------------------===//

#include "deployc/Parse/Parser.h"
#include "deployc/AST/ASTDumper.h"
#include "Lexer.h"
#include "ParserImpl.h"
#include "DeployLexer.h"
#include "DeployParser.h"
#include "antlr4-runtime.h"
#include "llvm/ADT/StringExtras.h"
#include <charconv>
#include <typeinfo>

using namespace deployc;
using namespace deployc::ast;
using deployc_antlr::DeployLexer;
using deployc_antlr::DeployParser;
using deployc::parse::Lexeme;
using deployc::parse::lexCodePoints;
using deployc::parse::DecodedText;

int64_t parse::findInvalidUTF8(llvm::StringRef Text) {
  const auto *S = reinterpret_cast<const unsigned char *>(Text.data());
  size_t N = Text.size();
  for (size_t I = 0; I < N;) {
    unsigned char C = S[I];
    if (C < 0x80) {
      ++I;
      continue;
    }
    unsigned Len = (C & 0xE0) == 0xC0 ? 2 : (C & 0xF0) == 0xE0 ? 3 : (C & 0xF8) == 0xF0 ? 4 : 0;
    if (Len == 0 || I + Len > N)
      return I;
    uint32_t CP = C & (0x7F >> Len);
    for (unsigned K = 1; K < Len; ++K) {
      if ((S[I + K] & 0xC0) != 0x80)
        return I;
      CP = (CP << 6) | (S[I + K] & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid too.
    if ((Len == 2 && CP < 0x80) || (Len == 3 && CP < 0x800) ||
        (Len == 4 && CP < 0x10000) || CP > 0x10FFFF ||
        (CP >= 0xD800 && CP <= 0xDFFF))
      return I;
    I += Len;
  }
  return -1;
}

parse::DecodedText parse::decode(llvm::StringRef Text, uint32_t Base) {
  DecodedText D;
  D.Chars.reserve(Text.size());
  D.ByteOffsets.reserve(Text.size() + 1);
  const auto *S = reinterpret_cast<const unsigned char *>(Text.data());
  size_t N = Text.size();
  for (size_t I = 0; I < N;) {
    D.ByteOffsets.push_back(Base + I);
    unsigned char C = S[I];
    if (C < 0x80) {
      D.Chars.push_back(C);
      ++I;
      continue;
    }
    int64_t Bad = parse::findInvalidUTF8(Text.substr(I, 4).take_front(
        (C & 0xE0) == 0xC0 ? 2 : (C & 0xF0) == 0xE0 ? 3 : 4));
    unsigned Len = (C & 0xE0) == 0xC0 ? 2 : (C & 0xF0) == 0xE0 ? 3 : (C & 0xF8) == 0xF0 ? 4 : 0;
    if (Len == 0 || I + Len > N || Bad == 0) {
      D.Chars.push_back(0xFFFD);
      ++I;
      continue;
    }
    uint32_t CP = C & (0x7F >> Len);
    for (unsigned K = 1; K < Len; ++K)
      CP = (CP << 6) | (S[I + K] & 0x3F);
    D.Chars.push_back(CP);
    I += Len;
  }
  D.ByteOffsets.push_back(Base + N);
  return D;
}

namespace {

using antlr4::Token;

/// An input stream over already-decoded code points (ANTLR's own decoder throws
/// on invalid UTF-8; ours substitutes U+FFFD and keeps offsets).
class CodePointStream : public antlr4::ANTLRInputStream {
public:
  explicit CodePointStream(std::u32string Data) {
    _data = std::move(Data);
    p = 0;
  }
};

class ParseSession;

class SyntaxErrorListener : public antlr4::BaseErrorListener {
public:
  explicit SyntaxErrorListener(ParseSession &S) : S(S) {}
  void syntaxError(antlr4::Recognizer *R, Token *Offending, size_t Line,
                   size_t Col, const std::string &Msg,
                   std::exception_ptr E) override;

private:
  ParseSession &S;
};

constexpr unsigned MaxSyntaxErrorsPerFile = 20;

bool isOpening(size_t T) {
  return T == DeployLexer::LBRACE || T == DeployLexer::LBRACK || T == DeployLexer::LPAREN;
}
bool isClosing(size_t T) {
  return T == DeployLexer::RBRACE || T == DeployLexer::RBRACK || T == DeployLexer::RPAREN;
}

/// Recovery that respects brackets. ANTLR's default deletes a surprising token
/// when the one after it fits, and skips tokens up to anything that may follow;
/// both can eat half of a `{ ... }` group, so the group's `}` closes the
/// enclosing block and every later entry becomes an error. Here a surprising
/// opening bracket is skipped together with its whole group, closing brackets
/// are never deleted, and skipping stops at a closing bracket of the enclosing
/// block.
class DeployErrorStrategy : public antlr4::DefaultErrorStrategy {
protected:
  Token *singleTokenDeletion(antlr4::Parser *P) override {
    if (isClosing(P->getInputStream()->LA(1)))
      return nullptr;
    return DefaultErrorStrategy::singleTokenDeletion(P);
  }

  void sync(antlr4::Parser *P) override {
    auto *In = P->getInputStream();
    size_t T = In->LA(1);
    if (isOpening(T) && !inErrorRecoveryMode(P) && !P->getExpectedTokens().contains(T)) {
      reportUnwantedToken(P);
      skipGroup(P);
    }
    DefaultErrorStrategy::sync(P);
  }

  void consumeUntil(antlr4::Parser *P, const antlr4::misc::IntervalSet &Set) override {
    auto *In = P->getInputStream();
    for (size_t T = In->LA(1); T != Token::EOF; T = In->LA(1)) {
      if (Set.contains(T) || isClosing(T))
        return;
      if (isOpening(T))
        skipGroup(P);
      else
        P->consume();
    }
  }

private:
  static void skipGroup(antlr4::Parser *P) {
    auto *In = P->getInputStream();
    int Depth = 0;
    for (size_t T = In->LA(1); T != Token::EOF; T = In->LA(1)) {
      if (isOpening(T))
        ++Depth;
      else if (isClosing(T))
        --Depth;
      P->consume();
      if (Depth <= 0)
        return;
    }
  }
};

/// C as the generated context class T, or null. ANTLR's context classes are
/// leaves of their hierarchy, so an exact type test suffices and is cheaper
/// than dynamic_cast's walk of the hierarchy (2% of a check).
template <typename T> T *alternativeAs(antlr4::ParserRuleContext *C) {
  return C && typeid(*C) == typeid(T) ? static_cast<T *>(C) : nullptr;
}

/// Parses one range of one buffer: a whole file, or an interpolation.
class ParseSession {
public:
  ParseSession(const SourceManager &SM, FileID File, uint32_t Begin,
               uint32_t End, ASTContext &Ctx, DiagnosticEngine &Diags,
               parse::ParserKind Kind)
      : SM(SM), File(File), Buffer(SM.getBuffer(File)), Begin(Begin), End(End), Ctx(Ctx),
        Diags(Diags), Kind(Kind) {}

  Module *parseFile();
  Expr *parseExprOnly();

  // Used by the error listener.
  void reportSyntaxError(antlr4::Parser *P, Token *Offending,
                         std::exception_ptr E);

private:
  bool lexAndFilter();
  void setUpParser();
  template <typename RuleFn> auto runTwoStage(RuleFn Rule) -> decltype(Rule());

  // Builder.
  Module *buildFile(DeployParser::FileContext *C);
  ImportDecl *buildImport(DeployParser::ImportDeclContext *C);
  Decl *buildDecl(DeployParser::DeclContext *C);
  TypeExpr *buildType(DeployParser::TypeExprContext *C);
  Block *buildBlock(DeployParser::BlockContext *C);
  Entry *buildEntry(DeployParser::EntryContext *C);
  Expr *buildExpr(DeployParser::ExprContext *C);
  Expr *buildExprUnguarded(DeployParser::ExprContext *C);
  /// How deep buildExpr is: error recovery can join operator chains the
  /// token filter counted apart, so the builder bounds its own recursion.
  unsigned ExprDepth = 0;
  bool ExprTooDeep = false;
  Expr *buildPrimary(DeployParser::PrimaryContext *C);
  Expr *parseInterpolation(uint32_t Begin, uint32_t End) {
    return parse::parseInterpolation(SM, File, Begin, End, Ctx, Diags, Kind);
  }
  StringLiteral *buildString(Token *T) {
    return parse::buildStringLiteral(
        SM, Ctx, Diags, rangeOf(T),
        [&](uint32_t Begin, uint32_t End) { return parseInterpolation(Begin, End); });
  }
  Expr *buildNumber(Token *T) {
    return parse::buildNumberLiteral(Ctx, Diags, rangeOf(T), textOf(T));
  }
  std::optional<Ident> buildIdent(DeployParser::IdentContext *C);
  std::optional<Ident> buildKeyOrLabel(antlr4::ParserRuleContext *C);
  /// An entry's label, kept by the context (null when malformed).
  const Ident *buildLabel(antlr4::ParserRuleContext *C) {
    std::optional<Ident> L = buildKeyOrLabel(C);
    return L ? Ctx.createLabel(std::move(*L)) : nullptr;
  }
  std::string docCommentBefore(antlr4::ParserRuleContext *C);
  Expr *errorExpr(antlr4::ParserRuleContext *C) {
    return Ctx.create<ErrorExpr>(C ? rangeOf(C) : SourceRange(File, 0, 0));
  }

  uint32_t byteOffset(size_t CodePoint) const {
    if (CodePoint >= Text.ByteOffsets.size())
      return Text.ByteOffsets.back();
    return Text.ByteOffsets[CodePoint];
  }
  SourceRange rangeOf(Token *T) const {
    if (!T || T->getType() == Token::EOF) {
      uint32_t End = Text.ByteOffsets.back();
      return {File, End, End};
    }
    return {File, byteOffset(T->getStartIndex()), byteOffset(T->getStopIndex() + 1)};
  }
  SourceRange rangeOf(antlr4::ParserRuleContext *C) const {
    SourceRange B = rangeOf(C->getStart());
    Token *Stop = C->getStop();
    if (!Stop || Stop->getTokenIndex() < C->getStart()->getTokenIndex() ||
        Stop->getType() == Token::EOF)
      return B;
    return B.join(rangeOf(Stop));
  }
  llvm::StringRef textOf(Token *T) const { return SM.getText(rangeOf(T)); }

  const SourceManager &SM;
  FileID File;
  llvm::StringRef Buffer;
  uint32_t Begin, End;
  ASTContext &Ctx;
  DiagnosticEngine &Diags;
  parse::ParserKind Kind;
  // Only the ANTLR path needs these.
  DecodedText Text;
  std::unique_ptr<CodePointStream> Input;
  std::unique_ptr<DeployLexer> Lexer;
  std::unique_ptr<antlr4::ListTokenSource> Source;
  std::unique_ptr<antlr4::CommonTokenStream> Tokens;
  std::unique_ptr<DeployParser> Parser;
  std::unique_ptr<SyntaxErrorListener> Listener;
  unsigned NumSyntaxErrors = 0;
  bool ReportErrors = true;

public:
  bool IsInterpolation = false;
};

void SyntaxErrorListener::syntaxError(antlr4::Recognizer *R, Token *Offending,
                                      size_t, size_t, const std::string &,
                                      std::exception_ptr E) {
  S.reportSyntaxError(dynamic_cast<antlr4::Parser *>(R), Offending, E);
}

/// A short description of a token type for "expected ..." lists.
std::string describeTokenType(const antlr4::dfa::Vocabulary &Vocab, size_t Type) {
  switch (Type) {
  case Token::EOF: return "end of file";
  case DeployLexer::IDENT: return "a name";
  case DeployLexer::STRING:
  case DeployLexer::TRIPLE_STRING: return "a string";
  case DeployLexer::INT: return "an integer";
  case DeployLexer::FLOAT: return "a number";
  case DeployLexer::QUANTITY: return "a quantity";
  default: break;
  }
  std::string Lit = Vocab.getLiteralName(Type);
  if (Lit.size() >= 2 && Lit.front() == '\'')
    return "`" + Lit.substr(1, Lit.size() - 2) + "`";
  return Vocab.getDisplayName(Type);
}

void ParseSession::reportSyntaxError(antlr4::Parser *P, Token *Offending,
                                     std::exception_ptr) {
  if (!ReportErrors || NumSyntaxErrors >= MaxSyntaxErrorsPerFile)
    return;
  ++NumSyntaxErrors;
  SourceRange Range = rangeOf(Offending);
  // At the end of the file, point just after the last token, not at a blank line.
  if ((!Offending || Offending->getType() == Token::EOF) && Tokens) {
    for (size_t I = Tokens->size(); I-- > 0;) {
      Token *T = Tokens->get(I);
      if (T->getType() != Token::EOF && T->getChannel() == Token::DEFAULT_CHANNEL) {
        uint32_t End = rangeOf(T).End;
        Range = {File, End, End};
        break;
      }
    }
  }
  auto *Ctx = P ? dynamic_cast<antlr4::ParserRuleContext *>(P->getContext()) : nullptr;

  // `replicas` alone: a key followed by the end of the block or the next key.
  if ((dynamic_cast<DeployParser::EntryContext *>(Ctx) ||
       dynamic_cast<DeployParser::BlockContext *>(Ctx)) &&
      Offending && Tokens && Offending->getTokenIndex() != size_t(-1)) {
    Token *Prev = nullptr;
    for (size_t I = Offending->getTokenIndex(); I-- > 0;) {
      Token *T = Tokens->get(I);
      if (T->getChannel() == Token::DEFAULT_CHANNEL) {
        Prev = T;
        break;
      }
    }
    size_t Off = Offending->getType();
    if (Prev &&
        (Prev->getType() == DeployLexer::IDENT || Prev->getType() == DeployLexer::STRING) &&
        (Off == DeployLexer::RBRACE || Off == DeployLexer::IDENT ||
         Off == DeployLexer::STRING || Off == Token::EOF)) {
      Diags.report(DiagID::MissingEntryValue, rangeOf(Prev), {textOf(Prev).str()});
      return;
    }
  }

  std::string Found;
  if (!Offending || Offending->getType() == Token::EOF) {
    Found = IsInterpolation ? "end of `${...}`" : "end of file";
  } else {
    llvm::StringRef T = textOf(Offending);
    std::string Shown = T.size() > 24 ? T.take_front(21).str() + "..." : T.str();
    Found = "`" + Shown + "`";
  }

  std::string Expected;
  size_t Rule = Ctx ? Ctx->getRuleIndex() : size_t(-1);
  switch (Rule) {
  case DeployParser::RuleBlock:
  case DeployParser::RuleEntry:
    Expected = "a field such as `name = value` or `name { ... }`, or `}`";
    break;
  case DeployParser::RuleExpr:
  case DeployParser::RulePrimary:
  case DeployParser::RuleExprOnly:
    Expected = "a value";
    break;
  case DeployParser::RuleFile:
  case DeployParser::RuleDecl:
    Expected = "a declaration such as `service NAME { ... }`";
    break;
  default: {
    std::vector<std::string> Names;
    if (P) {
      for (size_t T : P->getExpectedTokens().toList())
        Names.push_back(describeTokenType(P->getVocabulary(), T));
    }
    std::sort(Names.begin(), Names.end());
    Names.erase(std::unique(Names.begin(), Names.end()), Names.end());
    if (Names.empty())
      Expected = "something else";
    for (size_t I = 0; I < Names.size() && I < 6; ++I) {
      if (I)
        Expected += I + 1 == Names.size() ? " or " : ", ";
      Expected += Names[I];
    }
    if (Names.size() > 6)
      Expected += ", ...";
  }
  }
  Diags.report(DiagID::SyntaxError, Range, {Found, Expected});
}

bool ParseSession::lexAndFilter() {
  Text = parse::decode(Buffer.slice(Begin, End), Begin);
  Input = std::make_unique<CodePointStream>(Text.Chars);
  Lexer = std::make_unique<DeployLexer>(Input.get());
  Lexer->removeErrorListeners();
  std::vector<Lexeme> Lexemes;
  lexCodePoints(Text.Chars, [&](const Lexeme &L) { Lexemes.push_back(L); });
  std::vector<std::unique_ptr<Token>> Kept;
  Kept.reserve(Lexemes.size());
  parse::NestingBounds Bounds;
  bool TooDeep = false;
  Token *PrevSlash = nullptr;
  for (const Lexeme &L : Lexemes) {
    std::unique_ptr<Token> T = Lexer->getTokenFactory()->create(
        {Lexer.get(), Input.get()}, L.Type, "",
        L.Hidden ? Token::HIDDEN_CHANNEL : Token::DEFAULT_CHANNEL, L.Start, L.Stop,
        L.Line, L.Column);
    size_t Type = T->getType();
    if (Type == Token::EOF) {
      Kept.push_back(std::move(T));
      break;
    }
    // A `/*` that the BLOCK_COMMENT rule did not take has no `*/`.
    if (Type == DeployLexer::STAR && PrevSlash &&
        PrevSlash->getStopIndex() + 1 == T->getStartIndex()) {
      SourceRange R = rangeOf(PrevSlash).join(rangeOf(T.get()));
      Diags.report(DiagID::UnterminatedComment, R);
      Kept.pop_back();
      // Everything after is inside the comment: stop here.
      auto Eof = Lexer->getTokenFactory()->create(
          {Lexer.get(), Input.get()}, Token::EOF, "", Token::DEFAULT_CHANNEL,
          Input->size(), Input->size() - 1, 0, 0);
      Kept.push_back(std::move(Eof));
      break;
    }
    PrevSlash = Type == DeployLexer::SLASH ? T.get() : nullptr;
    switch (Type) {
    case DeployLexer::UNEXPECTED_CHAR: {
      llvm::StringRef C = textOf(T.get());
      std::string Shown;
      for (unsigned char Ch : C) {
        if (Ch < 0x20 || Ch == 0x7F)
          Shown += "\\x" + llvm::utohexstr(Ch, /*LowerCase=*/true, 2);
        else
          Shown += char(Ch);
      }
      Diags.report(DiagID::UnexpectedCharacter, rangeOf(T.get()), {Shown});
      continue;
    }
    case DeployLexer::UNTERMINATED_STRING: {
      Diags.report(DiagID::UnterminatedString, rangeOf(T.get()));
      if (auto *W = dynamic_cast<antlr4::WritableToken *>(T.get()))
        W->setType(DeployLexer::STRING);
      break;
    }
    default:
      break;
    }
    if (unsigned Bound = Bounds.count(Type); Bound && !TooDeep) {
      TooDeep = true;
      Diags.report(DiagID::NestingTooDeep, rangeOf(T.get()), {std::to_string(Bound)});
    }
    Kept.push_back(std::move(T));
  }
  if (TooDeep)
    return false;
  Source = std::make_unique<antlr4::ListTokenSource>(std::move(Kept));
  Tokens = std::make_unique<antlr4::CommonTokenStream>(Source.get());
  Tokens->fill();
  return true;
}

namespace {
/// What ANTLR's adaptive prediction learns while it parses: a DFA per decision
/// and a cache of prediction contexts. The generated parser shares one set
/// between all its instances; each thread keeps its own instead, so that
/// files can be parsed on several threads with no shared mutable state (the
/// ATN itself is read-only).
struct ThreadPrediction {
  explicit ThreadPrediction(const antlr4::atn::ATN &ATN) {
    DFAs.reserve(ATN.getNumberOfDecisions());
    for (size_t I = 0; I < ATN.getNumberOfDecisions(); ++I)
      DFAs.emplace_back(ATN.getDecisionState(I), I);
  }
  std::vector<antlr4::dfa::DFA> DFAs;
  antlr4::atn::PredictionContextCache Contexts;
};
} // namespace

void ParseSession::setUpParser() {
  Parser = std::make_unique<DeployParser>(Tokens.get());
  thread_local ThreadPrediction Prediction(Parser->getATN());
  // setInterpreter deletes the simulator the generated constructor made.
  Parser->setInterpreter(new antlr4::atn::ParserATNSimulator(
      Parser.get(), Parser->getATN(), Prediction.DFAs, Prediction.Contexts));
  Parser->removeErrorListeners();
  Listener = std::make_unique<SyntaxErrorListener>(*this);
}

template <typename RuleFn>
auto ParseSession::runTwoStage(RuleFn Rule) -> decltype(Rule()) {
  Parser->getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
      antlr4::atn::PredictionMode::SLL);
  Parser->setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
  try {
    return Rule();
  } catch (antlr4::ParseCancellationException &) {
  }
  // SLL failed: either a real syntax error or an input needing full LL.
  Tokens->seek(0);
  Parser->reset();
  Parser->addErrorListener(Listener.get());
  Parser->getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
      antlr4::atn::PredictionMode::LL);
  Parser->setErrorHandler(std::make_shared<DeployErrorStrategy>());
  return Rule();
}

Module *ParseSession::parseFile() {
  if (Kind != parse::ParserKind::Reference) {
    if (Module *M = parse::parseModuleDirectly(SM, File, Begin, End, Ctx, Diags, Kind))
      return M;
    if (Kind == parse::ParserKind::DirectOnly)
      return nullptr;
  }
  Module *M = nullptr;
  try {
    if (!lexAndFilter()) {
      M = Ctx.createModule();
      M->File = File;
      M->Path = SM.getPath(File).str();
      return M;
    }
    setUpParser();
    auto *Tree = runTwoStage([&] { return Parser->file(); });
    return buildFile(Tree);
  } catch (std::exception &) {
    // Only reachable on an ANTLR internal failure; keep what we have.
  }
  if (!M) {
    M = Ctx.createModule();
    M->File = File;
    M->Path = SM.getPath(File).str();
  }
  return M;
}

Expr *ParseSession::parseExprOnly() {
  if (Kind != parse::ParserKind::Reference) {
    if (Expr *E = parse::parseExprDirectly(SM, File, Begin, End, Ctx, Diags, Kind))
      return E;
    if (Kind == parse::ParserKind::DirectOnly)
      return nullptr;
  }
  try {
    if (!lexAndFilter())
      return nullptr;
    setUpParser();
    unsigned Before = Diags.getNumErrors();
    auto *Tree = runTwoStage([&] { return Parser->exprOnly(); });
    if (!Tree || !Tree->expr() || Diags.getNumErrors() != Before)
      return nullptr;
    return buildExpr(Tree->expr());
  } catch (std::exception &) {
    return nullptr;
  }
}

//===----------------------------------------------------------------------===//
// Builder: parse tree -> AST
//===----------------------------------------------------------------------===//

std::string ParseSession::docCommentBefore(antlr4::ParserRuleContext *C) {
  if (!C || !C->getStart())
    return "";
  std::vector<parse::CommentToken> Comments;
  for (Token *T : Tokens->getHiddenTokensToLeft(C->getStart()->getTokenIndex(),
                                                Token::HIDDEN_CHANNEL))
    Comments.push_back({rangeOf(T), T->getType() == DeployLexer::DOC_COMMENT});
  return parse::docCommentText(SM, Comments, rangeOf(C->getStart()).Begin);
}

Module *ParseSession::buildFile(DeployParser::FileContext *C) {
  Module *M = Ctx.createModule();
  M->File = File;
  M->Path = SM.getPath(File).str();
  if (!C)
    return M;
  for (auto *I : C->importDecl())
    if (ImportDecl *D = buildImport(I))
      M->Imports.push_back(D);
  for (auto *D : C->decl())
    if (Decl *X = buildDecl(D))
      M->Decls.push_back(X);
  return M;
}

std::optional<Ident> ParseSession::buildIdent(DeployParser::IdentContext *C) {
  if (!C || !C->IDENT() || C->IDENT()->getSymbol()->getTokenIndex() == size_t(-1))
    return std::nullopt;
  Token *T = C->IDENT()->getSymbol();
  // Tokens conjured by error recovery have no text in the buffer.
  if (T->getStartIndex() == size_t(-1) || T->getStartIndex() > T->getStopIndex())
    return std::nullopt;
  return Ident{textOf(T).str(), rangeOf(T), false};
}

std::optional<Ident> ParseSession::buildKeyOrLabel(antlr4::ParserRuleContext *C) {
  if (!C)
    return std::nullopt;
  DeployParser::IdentContext *I = nullptr;
  antlr4::tree::TerminalNode *S = nullptr;
  if (auto *K = alternativeAs<DeployParser::EntryKeyContext>(C)) {
    I = K->ident();
    S = K->STRING();
  } else if (auto *L = alternativeAs<DeployParser::EntryLabelContext>(C)) {
    I = L->ident();
    S = L->STRING();
  }
  if (I)
    return buildIdent(I);
  if (S)
    return parse::buildQuotedName(
        SM, Ctx, Diags, rangeOf(S->getSymbol()),
        [&](uint32_t Begin, uint32_t End) { return parseInterpolation(Begin, End); });
  return std::nullopt;
}

ImportDecl *ParseSession::buildImport(DeployParser::ImportDeclContext *C) {
  auto *D = Ctx.create<ImportDecl>(rangeOf(C));
  if (auto *F = alternativeAs<DeployParser::ImportFileContext>(C)) {
    if (!F->path)
      return nullptr;
    StringLiteral *Lit = buildString(F->path);
    D->FilePath = Lit->getPlainText();
    D->FilePathRange = rangeOf(F->path);
    return D;
  }
  auto *M = alternativeAs<DeployParser::ImportModuleContext>(C);
  if (!M)
    return nullptr;
  for (auto *I : M->ident())
    if (auto Id = buildIdent(I))
      D->ModulePath.push_back(*Id);
  if (D->ModulePath.empty())
    return nullptr;
  if (M->STAR()) {
    D->Wildcard = true;
  } else if (auto *Names = M->importNames()) {
    for (auto *I : Names->ident())
      if (auto Id = buildIdent(I))
        D->Names.push_back(*Id);
  } else {
    // `import std.secrets.database_credentials`: the last segment is a name.
    // A single segment (`import std`) names no module; Sema reports it.
    if (D->ModulePath.size() > 1) {
      D->Names.push_back(D->ModulePath.back());
      D->ModulePath.pop_back();
    }
  }
  return D;
}

Decl *ParseSession::buildDecl(DeployParser::DeclContext *C) {
  if (auto *P = alternativeAs<DeployParser::ParamDeclContext>(C)) {
    auto Name = buildIdent(P->name);
    if (!Name)
      return nullptr;
    TypeExpr *T = P->typeExpr() ? buildType(P->typeExpr()) : nullptr;
    Expr *Default = P->expr() ? buildExpr(P->expr()) : nullptr;
    auto *D = Ctx.create<ParamDecl>(rangeOf(C), *Name, T, Default);
    D->Doc = docCommentBefore(C);
    return D;
  }
  auto *B = alternativeAs<DeployParser::BlockDeclContext>(C);
  if (!B)
    return nullptr;
  auto KindName = buildIdent(B->kind);
  auto Name = buildIdent(B->name);
  if (!KindName || !Name || !B->block())
    return nullptr;
  std::vector<Ident> TypeName;
  if (auto *Q = B->qualifiedName())
    for (auto *I : Q->ident())
      if (auto Id = buildIdent(I))
        TypeName.push_back(*Id);
  Block *Body = buildBlock(B->block());
  auto *D = Ctx.create<BlockDecl>(rangeOf(C), *KindName,
                                  lookupDeclKind(KindName->Name), *Name,
                                  std::move(TypeName), Body);
  D->Doc = docCommentBefore(C);
  return D;
}

TypeExpr *ParseSession::buildType(DeployParser::TypeExprContext *C) {
  if (auto *N = alternativeAs<DeployParser::NamedTypeContext>(C)) {
    auto Id = buildIdent(N->ident());
    if (!Id)
      return nullptr;
    return Ctx.create<NamedType>(rangeOf(C), *Id);
  }
  if (auto *L = alternativeAs<DeployParser::ListTypeContext>(C)) {
    TypeExpr *El = L->typeExpr() ? buildType(L->typeExpr()) : nullptr;
    if (!El)
      return nullptr;
    return Ctx.create<ListType>(rangeOf(C), El);
  }
  return nullptr;
}

Block *ParseSession::buildBlock(DeployParser::BlockContext *C) {
  std::vector<Entry *> Entries;
  for (auto *E : C->entry())
    if (Entry *X = buildEntry(E))
      Entries.push_back(X);
  return Ctx.create<Block>(rangeOf(C), std::move(Entries));
}

Entry *ParseSession::buildEntry(DeployParser::EntryContext *C) {
  Entry *Result = nullptr;
  if (auto *A = alternativeAs<DeployParser::AssignEntryContext>(C)) {
    auto Key = buildKeyOrLabel(A->key);
    if (!Key)
      return nullptr;
    const Ident *Label = A->label ? buildLabel(A->label) : nullptr;
    Expr *V = A->expr() ? buildExpr(A->expr()) : errorExpr(C);
    Result = Ctx.create<AssignEntry>(rangeOf(C), *Key, Label, V);
  } else if (auto *B = alternativeAs<DeployParser::BlockEntryContext>(C)) {
    auto Key = buildKeyOrLabel(B->key);
    if (!Key || !B->block())
      return nullptr;
    const Ident *Label = B->label ? buildLabel(B->label) : nullptr;
    Result = Ctx.create<BlockEntry>(rangeOf(C), *Key, Label, buildBlock(B->block()));
  } else if (auto *Cd = alternativeAs<DeployParser::ConditionEntryContext>(C)) {
    auto Key = buildKeyOrLabel(Cd->key);
    if (!Key || !Cd->op)
      return nullptr;
    auto Op = parse::binaryOpFor(Cd->op->getType());
    if (!Op)
      return nullptr;
    Expr *V = Cd->expr() ? buildExpr(Cd->expr()) : errorExpr(C);
    Result = Ctx.create<ConditionEntry>(rangeOf(C), *Key, *Op, rangeOf(Cd->op), V);
  } else if (auto *F = alternativeAs<DeployParser::FieldEntryContext>(C)) {
    auto Key = buildKeyOrLabel(F->key);
    auto Label = F->label ? buildKeyOrLabel(F->label) : std::nullopt;
    TypeExpr *T = F->typeExpr() ? buildType(F->typeExpr()) : nullptr;
    if (!Key || !Label || !T)
      return nullptr;
    Expr *Default = F->expr() ? buildExpr(F->expr()) : nullptr;
    Block *Options = F->block() ? buildBlock(F->block()) : nullptr;
    Result = Ctx.create<FieldEntry>(rangeOf(C), *Key, Ctx.createLabel(*Label), T, Default,
                                    Options);
  }
  if (Result)
    Result->Doc = Ctx.save(docCommentBefore(C));
  return Result;
}

Expr *ParseSession::buildExpr(DeployParser::ExprContext *C) {
  if (ExprDepth >= parse::MaxOperatorChain) {
    if (!ExprTooDeep && C)
      Diags.report(DiagID::NestingTooDeep, rangeOf(C), {std::to_string(parse::MaxOperatorChain)});
    ExprTooDeep = true;
    return errorExpr(C);
  }
  ++ExprDepth;
  Expr *E = buildExprUnguarded(C);
  --ExprDepth;
  return E;
}

Expr *ParseSession::buildExprUnguarded(DeployParser::ExprContext *C) {
  if (!C || C->exception)
    return errorExpr(C);
  if (auto *P = alternativeAs<DeployParser::PrimaryExprContext>(C))
    return P->primary() ? buildPrimary(P->primary()) : errorExpr(C);
  if (auto *M = alternativeAs<DeployParser::MemberExprContext>(C)) {
    auto Member = buildIdent(M->ident());
    if (!Member || !M->expr())
      return errorExpr(C);
    return Ctx.create<MemberExpr>(rangeOf(C), buildExpr(M->expr()), *Member);
  }
  if (auto *U = alternativeAs<DeployParser::UnaryExprContext>(C)) {
    if (!U->expr() || !U->op)
      return errorExpr(C);
    UnaryOp Op = U->op->getType() == DeployLexer::BANG ? UnaryOp::Not : UnaryOp::Negate;
    return Ctx.create<UnaryExpr>(rangeOf(C), Op, buildExpr(U->expr()));
  }
  if (auto *B = alternativeAs<DeployParser::BinaryExprContext>(C)) {
    if (B->expr().size() != 2 || !B->op)
      return errorExpr(C);
    auto Op = parse::binaryOpFor(B->op->getType());
    if (!Op)
      return errorExpr(C);
    // Operands in source order, so are their diagnostics (argument order
    // is unspecified).
    Expr *LHS = buildExpr(B->expr(0));
    Expr *RHS = buildExpr(B->expr(1));
    return Ctx.create<BinaryExpr>(rangeOf(C), *Op, rangeOf(B->op), LHS, RHS);
  }
  if (auto *R = alternativeAs<DeployParser::RangeExprContext>(C)) {
    if (R->expr().size() != 2)
      return errorExpr(C);
    Expr *Low = buildExpr(R->expr(0));
    Expr *High = buildExpr(R->expr(1));
    return Ctx.create<RangeExpr>(rangeOf(C), Low, High);
  }
  if (auto *I = alternativeAs<DeployParser::IfExprContext>(C)) {
    if (I->expr().size() != 3)
      return errorExpr(C);
    Expr *Cond = buildExpr(I->expr(0));
    Expr *Then = buildExpr(I->expr(1));
    Expr *Else = buildExpr(I->expr(2));
    return Ctx.create<IfExpr>(rangeOf(C), Cond, Then, Else);
  }
  return errorExpr(C);
}

Expr *ParseSession::buildPrimary(DeployParser::PrimaryContext *C) {
  if (!C || C->exception)
    return errorExpr(C);
  if (auto *I = alternativeAs<DeployParser::IntLiteralContext>(C))
    return buildNumber(I->INT()->getSymbol());
  if (auto *F = alternativeAs<DeployParser::FloatLiteralContext>(C))
    return buildNumber(F->FLOAT()->getSymbol());
  if (auto *Q = alternativeAs<DeployParser::QuantityLiteralContext>(C))
    return buildNumber(Q->QUANTITY()->getSymbol());
  if (auto *B = alternativeAs<DeployParser::BoolLiteralContext>(C))
    return Ctx.create<BoolLiteral>(rangeOf(C), B->TRUE() != nullptr);
  if (auto *S = alternativeAs<DeployParser::StringLiteralContext>(C)) {
    auto *T = S->STRING() ? S->STRING() : S->TRIPLE_STRING();
    return T ? buildString(T->getSymbol()) : errorExpr(C);
  }
  if (auto *L = alternativeAs<DeployParser::ListLiteralContext>(C)) {
    std::vector<Expr *> Elements;
    for (auto *E : L->expr())
      Elements.push_back(buildExpr(E));
    return Ctx.create<ListExpr>(rangeOf(C), std::move(Elements));
  }
  if (auto *Call = alternativeAs<DeployParser::CallExprContext>(C)) {
    auto Callee = buildIdent(Call->ident());
    if (!Callee)
      return errorExpr(C);
    std::vector<Expr *> Args;
    for (auto *E : Call->expr())
      Args.push_back(buildExpr(E));
    Block *Options = Call->block() ? buildBlock(Call->block()) : nullptr;
    return Ctx.create<CallExpr>(rangeOf(C), *Callee, std::move(Args), Options);
  }
  if (auto *K = alternativeAs<DeployParser::ConstructorExprContext>(C)) {
    auto Name = buildIdent(K->ident());
    if (!Name || !K->block())
      return errorExpr(C);
    return Ctx.create<ConstructorExpr>(rangeOf(C), *Name, buildBlock(K->block()));
  }
  if (auto *N = alternativeAs<DeployParser::NameExprContext>(C)) {
    auto Name = buildIdent(N->ident());
    if (!Name)
      return errorExpr(C);
    return Ctx.create<NameExpr>(rangeOf(C), *Name);
  }
  if (auto *P = alternativeAs<DeployParser::ParenExprContext>(C))
    return P->expr() ? buildExpr(P->expr()) : errorExpr(C);
  if (auto *B = alternativeAs<DeployParser::BlockLiteralContext>(C))
    return B->block() ? Ctx.create<BlockExpr>(rangeOf(C), buildBlock(B->block()))
                      : errorExpr(C);
  return errorExpr(C);
}

} // namespace

Expr *parse::buildNumberLiteral(ASTContext &Ctx, DiagnosticEngine &Diags, SourceRange R,
                                llvm::StringRef Text) {
  std::string Digits;
  size_t I = 0;
  for (; I < Text.size() && (llvm::isDigit(Text[I]) || Text[I] == '_' || Text[I] == '.'); ++I)
    if (Text[I] != '_')
      Digits += Text[I];
  std::string Unit = Text.substr(I).str();
  if (!Unit.empty())
    return Ctx.create<QuantityLiteral>(R, Digits, Unit);
  if (Digits.find('.') != std::string::npos)
    return Ctx.create<FloatLiteral>(R, std::strtod(Digits.c_str(), nullptr));
  int64_t Value = 0;
  auto [Ptr, Ec] = std::from_chars(Digits.data(), Digits.data() + Digits.size(), Value);
  if (Ec != std::errc()) {
    Diags.report(DiagID::IntegerTooLarge, R, {Text.str()});
    return Ctx.create<ErrorExpr>(R);
  }
  return Ctx.create<IntLiteral>(R, Value);
}

StringLiteral *parse::buildStringLiteral(const SourceManager &SM, ASTContext &Ctx,
                                         DiagnosticEngine &Diags, SourceRange R,
                                         InterpolationParser ParseInterp) {
  FileID File = R.File;
  llvm::StringRef Buffer = SM.getBuffer(File);
  llvm::StringRef Raw = SM.getText(R);
  bool Triple = Raw.startswith("\"\"\"") && Raw.size() >= 6 && Raw.endswith("\"\"\"");
  uint32_t ContentBegin = R.Begin + (Triple ? 3 : 1);
  uint32_t ContentEnd = R.End;
  if (Triple)
    ContentEnd -= 3;
  else if (Raw.size() >= 2 && Raw.endswith("\""))
    ContentEnd -= 1;
  if (ContentEnd < ContentBegin)
    ContentEnd = ContentBegin;
  llvm::StringRef Content = Buffer.slice(ContentBegin, ContentEnd);

  // Multi-line strings drop a leading newline, a trailing whitespace-only line
  // and the indentation common to all non-blank lines.
  size_t Indent = 0;
  if (Triple) {
    if (Content.startswith("\n")) {
      Content = Content.drop_front();
      ++ContentBegin;
    } else if (Content.startswith("\r\n")) {
      Content = Content.drop_front(2);
      ContentBegin += 2;
    }
    size_t LastNL = Content.rfind('\n');
    if (LastNL != llvm::StringRef::npos &&
        Content.substr(LastNL + 1).trim(" \t").empty()) {
      Content = Content.take_front(LastNL + 1);
      ContentEnd = ContentBegin + Content.size();
    }
    Indent = SIZE_MAX;
    llvm::SmallVector<llvm::StringRef, 16> Lines;
    Content.split(Lines, '\n');
    for (llvm::StringRef L : Lines) {
      if (L.trim(" \t\r").empty())
        continue;
      Indent = std::min(Indent, L.size() - L.ltrim(" \t").size());
    }
    if (Indent == SIZE_MAX)
      Indent = 0;
  }

  std::vector<StringLiteral::Part> Parts;
  std::string Text;
  uint32_t TextBegin = ContentBegin;
  auto flushText = [&](uint32_t End) {
    if (!Text.empty())
      Parts.push_back({std::move(Text), nullptr, {File, TextBegin, End}});
    Text.clear();
  };
  size_t LineStart = 0;
  for (size_t I = 0; I < Content.size();) {
    if (Triple && I == LineStart) {
      size_t Skip = 0;
      while (Skip < Indent && I + Skip < Content.size() &&
             (Content[I + Skip] == ' ' || Content[I + Skip] == '\t'))
        ++Skip;
      I += Skip;
      if (I >= Content.size())
        break;
    }
    char C = Content[I];
    uint32_t Here = ContentBegin + I;
    if (C == '\n')
      LineStart = I + 1;
    if (C == '\\' && I + 1 < Content.size()) {
      char E = Content[I + 1];
      switch (E) {
      case 'n': Text += '\n'; break;
      case 't': Text += '\t'; break;
      case 'r': Text += '\r'; break;
      case '\\': Text += '\\'; break;
      case '"': Text += '"'; break;
      case '$': Text += '$'; break;
      default:
        Diags.report(DiagID::InvalidEscape, {File, Here, Here + 2},
                     {std::string(1, E)});
        Text += E;
      }
      I += 2;
      continue;
    }
    if (C == '$' && I + 1 < Content.size() && Content[I + 1] == '{') {
      size_t Close = Content.find('}', I + 2);
      if (Close == llvm::StringRef::npos) {
        Diags.report(DiagID::MalformedInterpolation,
                     {File, Here, uint32_t(ContentBegin + Content.size())},
                     {Content.substr(I + 2).str(), "missing `}`"});
        Text += Content.substr(I).str();
        break;
      }
      flushText(Here);
      uint32_t ExprBegin = Here + 2, ExprEnd = ContentBegin + Close;
      llvm::StringRef Inner = Content.slice(I + 2, Close);
      Expr *E = nullptr;
      if (Inner.trim().empty()) {
        Diags.report(DiagID::MalformedInterpolation, {File, Here, ExprEnd + 1},
                     {"", "write an expression between `${` and `}`"});
      } else {
        E = ParseInterp(ExprBegin, ExprEnd);
      }
      if (!E)
        E = Ctx.create<ErrorExpr>(SourceRange{File, ExprBegin, ExprEnd});
      Parts.push_back({"", E, {File, Here, ExprEnd + 1}});
      I = Close + 1;
      TextBegin = ContentBegin + I;
      continue;
    }
    if (Text.empty())
      TextBegin = Here;
    Text += C;
    ++I;
  }
  flushText(ContentEnd);
  return Ctx.create<StringLiteral>(R, std::move(Parts), Triple);
}

unsigned parse::NestingBounds::count(size_t Type) {
  switch (Type) {
  case DeployLexer::LBRACE: case DeployLexer::LBRACK: case DeployLexer::LPAREN:
    Chain = 0;
    return ++Nesting > MaxNestingDepth ? MaxNestingDepth : 0;
  case DeployLexer::RBRACE: case DeployLexer::RBRACK: case DeployLexer::RPAREN:
    Chain = 0;
    if (Nesting > 0)
      --Nesting;
    return 0;
  // Operators without brackets between them nest too: `- - - 1`,
  // `a + b + ...`, `if a then b else if ...` build trees as deep as the
  // chain is long.
  case DeployLexer::EQ: case DeployLexer::NE: case DeployLexer::LE: case DeployLexer::GE:
  case DeployLexer::LT: case DeployLexer::GT: case DeployLexer::ANDAND:
  case DeployLexer::OROR: case DeployLexer::BANG: case DeployLexer::PLUS:
  case DeployLexer::MINUS: case DeployLexer::STAR: case DeployLexer::SLASH:
  case DeployLexer::IF: case DeployLexer::DOT: case DeployLexer::DOTDOT:
    return ++Chain > MaxOperatorChain ? MaxOperatorChain : 0;
  case DeployLexer::ASSIGN: case DeployLexer::COMMA: case DeployLexer::SEMI:
  case DeployLexer::COLON:
    Chain = 0;
    return 0;
  default:
    return 0;
  }
}

std::optional<BinaryOp> parse::binaryOpFor(size_t TokenType) {
  switch (TokenType) {
  case DeployLexer::STAR: return BinaryOp::Mul;
  case DeployLexer::SLASH: return BinaryOp::Div;
  case DeployLexer::PLUS: return BinaryOp::Add;
  case DeployLexer::MINUS: return BinaryOp::Sub;
  case DeployLexer::LT: return BinaryOp::Lt;
  case DeployLexer::LE: return BinaryOp::Le;
  case DeployLexer::GT: return BinaryOp::Gt;
  case DeployLexer::GE: return BinaryOp::Ge;
  case DeployLexer::EQ: return BinaryOp::Eq;
  case DeployLexer::NE: return BinaryOp::Ne;
  case DeployLexer::ANDAND: return BinaryOp::And;
  case DeployLexer::OROR: return BinaryOp::Or;
  default: return std::nullopt;
  }
}

Ident parse::buildQuotedName(const SourceManager &SM, ASTContext &Ctx,
                             DiagnosticEngine &Diags, SourceRange R,
                             InterpolationParser ParseInterp) {
  StringLiteral *Lit = buildStringLiteral(SM, Ctx, Diags, R, ParseInterp);
  Ident Id{Lit->getPlainText(), R, true};
  if (!Lit->isPlain())
    Diags.report(DiagID::MalformedInterpolation, R, {"...", "names cannot be interpolated"});
  return Id;
}

std::string parse::docCommentText(const SourceManager &SM,
                                  llvm::ArrayRef<CommentToken> Comments, uint32_t Start) {
  std::vector<llvm::StringRef> Lines;
  // A blank line ends a doc comment: a file's header is not the first
  // declaration's documentation.
  uint32_t Next = Start;
  for (auto It = Comments.rbegin(); It != Comments.rend(); ++It) {
    if (!It->IsDoc)
      break;
    SourceRange R = It->Range;
    llvm::StringRef Comment = SM.getText(R).rtrim("\r\n");
    if (SM.getText(SourceRange(R.File, R.Begin + Comment.size(), Next)).count('\n') > 1)
      break;
    Next = R.Begin;
    Lines.push_back(Comment.drop_front(3));
  }
  std::string Doc;
  for (auto It = Lines.rbegin(); It != Lines.rend(); ++It) {
    llvm::StringRef L = *It;
    if (L.startswith(" "))
      L = L.drop_front();
    if (!Doc.empty())
      Doc += '\n';
    Doc += L.rtrim().str();
  }
  return Doc;
}

Module *parse::parseModule(const SourceManager &SM, FileID File,
                           ASTContext &Ctx, DiagnosticEngine &Diags, ParserKind Kind) {
  llvm::StringRef Buf = SM.getBuffer(File);
  ParseSession S(SM, File, 0, Buf.size(), Ctx, Diags, Kind);
  return S.parseFile();
}

Expr *parse::parseStandaloneExpr(const SourceManager &SM, FileID File,
                                 ASTContext &Ctx, DiagnosticEngine &Diags, ParserKind Kind) {
  llvm::StringRef Buf = SM.getBuffer(File);
  ParseSession S(SM, File, 0, Buf.size(), Ctx, Diags, Kind);
  return S.parseExprOnly();
}

Expr *parse::parseInterpolation(const SourceManager &SM, FileID File, uint32_t Begin,
                                uint32_t End, ASTContext &Ctx, DiagnosticEngine &Diags,
                                ParserKind Kind) {
  ParseSession S(SM, File, Begin, End, Ctx, Diags, Kind);
  S.IsInterpolation = true;
  return S.parseExprOnly();
}

std::optional<parse::ParseDescription> parse::describeParse(llvm::StringRef Text,
                                                           ParserKind Kind) {
  SourceManager SM;
  DiagnosticEngine Diags(SM);
  FileID F = SM.addBuffer("t.deploy", Text.str());
  ASTContext Ctx;
  Module *M = parseModule(SM, F, Ctx, Diags, Kind);
  if (!M)
    return std::nullopt;
  ParseDescription Out;
  llvm::raw_string_ostream OS(Out.Text);
  DumpOptions Opts;
  Opts.Exhaustive = true;
  dumpModule(OS, SM, *M, Opts);
  for (const Diagnostic &D : Diags.getDiagnostics())
    OS << D.getCode() << " @" << D.Range.Begin << '-' << D.Range.End << ' ' << D.Message
       << '\n';
  Out.HasDiagnostics = !Diags.getDiagnostics().empty();
  return Out;
}

std::vector<parse::LexedToken> parse::lexFile(const SourceManager &SM,
                                              FileID File) {
  std::vector<LexedToken> Out;
  llvm::StringRef Buf = SM.getBuffer(File);
  DecodedText Text = parse::decode(Buf, 0);
  auto offset = [&](size_t CP) {
    return CP < Text.ByteOffsets.size() ? Text.ByteOffsets[CP] : Text.ByteOffsets.back();
  };
  lexCodePoints(Text.Chars, [&](const Lexeme &L) {
    if (L.Type == Token::EOF)
      return;
    TokenClass Class;
    switch (L.Type) {
    case DeployLexer::IMPORT: case DeployLexer::PARAM: case DeployLexer::IF:
    case DeployLexer::THEN: case DeployLexer::ELSE: case DeployLexer::TRUE:
    case DeployLexer::FALSE:
      Class = TokenClass::Keyword; break;
    case DeployLexer::IDENT: Class = TokenClass::Identifier; break;
    case DeployLexer::STRING: case DeployLexer::TRIPLE_STRING:
      Class = TokenClass::String; break;
    case DeployLexer::INT: case DeployLexer::FLOAT: Class = TokenClass::Number; break;
    case DeployLexer::QUANTITY: Class = TokenClass::Quantity; break;
    case DeployLexer::DOC_COMMENT: Class = TokenClass::DocComment; break;
    case DeployLexer::LINE_COMMENT: case DeployLexer::BLOCK_COMMENT:
      Class = TokenClass::Comment; break;
    case DeployLexer::LBRACE: case DeployLexer::RBRACE: case DeployLexer::LBRACK:
    case DeployLexer::RBRACK: case DeployLexer::LPAREN: case DeployLexer::RPAREN:
    case DeployLexer::COMMA: case DeployLexer::SEMI: case DeployLexer::COLON:
    case DeployLexer::DOT:
      Class = TokenClass::Punctuation; break;
    case DeployLexer::UNEXPECTED_CHAR: case DeployLexer::UNTERMINATED_STRING:
      Class = TokenClass::Invalid; break;
    default: Class = TokenClass::Operator; break;
    }
    Out.push_back({Class, {File, offset(L.Start), offset(L.Stop + 1)}});
  });
  return Out;
}

std::vector<parse::RuleToken> parse::lexRuleTokens(llvm::StringRef Text,
                                                  bool WithReferenceLexer) {
  std::vector<RuleToken> Out;
  DecodedText Decoded = parse::decode(Text, 0);
  CodePointStream Input(Decoded.Chars);
  DeployLexer Lexer(&Input);
  Lexer.removeErrorListeners();
  const antlr4::dfa::Vocabulary &Vocab = Lexer.getVocabulary();
  auto add = [&](size_t Type, bool Hidden, size_t Start, size_t Stop) {
    if (Type == Token::EOF)
      return;
    Out.push_back({Vocab.getSymbolicName(Type), Hidden, Decoded.ByteOffsets[Start],
                   Decoded.ByteOffsets[Stop + 1]});
  };
  if (!WithReferenceLexer) {
    // As the parser does: ASCII text is lexed as bytes.
    auto onLexeme = [&](const Lexeme &L) { add(L.Type, L.Hidden, L.Start, L.Stop); };
    if (llvm::all_of(Text, [](char C) { return uint8_t(C) < 0x80; }))
      parse::lexASCII({Text.data(), Text.size()}, onLexeme);
    else
      lexCodePoints(Decoded.Chars, onLexeme);
    return Out;
  }
  try {
    for (;;) {
      std::unique_ptr<Token> T = Lexer.nextToken();
      if (T->getType() == Token::EOF)
        break;
      add(T->getType(), T->getChannel() == Token::HIDDEN_CHANNEL, T->getStartIndex(),
          T->getStopIndex());
    }
  } catch (...) {
    Out.push_back({"<the reference lexer threw>", false, 0, 0});
  }
  return Out;
}
