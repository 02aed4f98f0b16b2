//===- ParserImpl.h - What lib/Parse's two parsers share ----------*- C++ -*-===//
//
// Internal to lib/Parse. Files are parsed by a hand-written recursive-descent
// parser (DirectParser.cpp) that builds the AST straight from the tokens; at
// the first thing it does not accept it gives up, and ANTLR's parser generated
// from grammar/DeployParser.g4 (Parser.cpp) parses the file again, reports
// the syntax errors and recovers. Both build literals, names and doc comments
// with the functions below, so they agree by construction where the grammar
// leaves the building to code.
//
//===----------------------------------------------------------------------===//

#ifndef DEPLOYC_LIB_PARSE_PARSERIMPL_H
#define DEPLOYC_LIB_PARSE_PARSERIMPL_H

#include "deployc/AST/AST.h"
#include "deployc/Basic/Diagnostic.h"
#include "deployc/Parse/Parser.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include <optional>
#include <string>
#include <vector>

namespace deployc::parse {

/// A range of a buffer decoded into code points (what both lexers read),
/// with the byte offset of each code point to map tokens back.
struct DecodedText {
  std::u32string Chars;
  std::vector<uint32_t> ByteOffsets; ///< One per code point, plus the end.
};

/// Decodes Text, which starts at byte Base of its buffer. Invalid UTF-8
/// becomes U+FFFD, one per byte, so offsets stay exact.
DecodedText decode(llvm::StringRef Text, uint32_t Base);

/// The literal an INT, FLOAT or QUANTITY token spells (D-code on overflow).
ast::Expr *buildNumberLiteral(ast::ASTContext &Ctx, DiagnosticEngine &Diags,
                              SourceRange R, llvm::StringRef Text);

/// Parses the expression of an interpolation, bytes [Begin, End) of File, with
/// the parser Kind names. Null when it is not one expression: after reporting
/// why, or silently when Kind is DirectOnly and the hand-written parser gave up.
ast::Expr *parseInterpolation(const SourceManager &SM, FileID File, uint32_t Begin,
                              uint32_t End, ast::ASTContext &Ctx,
                              DiagnosticEngine &Diags, ParserKind Kind);

/// Parses the expression of one `${...}`: bytes [Begin, End) of the buffer.
using InterpolationParser = llvm::function_ref<ast::Expr *(uint32_t Begin, uint32_t End)>;

/// The literal a STRING or TRIPLE_STRING token at R spells: escapes decoded,
/// multi-line text dedented, each `${...}` parsed by ParseInterp.
ast::StringLiteral *buildStringLiteral(const SourceManager &SM, ast::ASTContext &Ctx,
                                       DiagnosticEngine &Diags, SourceRange R,
                                       InterpolationParser ParseInterp);

/// An entry key or label written as a string: its text, quoted. Reports an
/// interpolation, which names cannot have.
ast::Ident buildQuotedName(const SourceManager &SM, ast::ASTContext &Ctx,
                           DiagnosticEngine &Diags, SourceRange R,
                           InterpolationParser ParseInterp);

/// The bounds both parsers check before parsing, as the parsers and the
/// builder recurse over the input: bracket nesting (MaxNestingDepth) and
/// operator chains without brackets between them (MaxOperatorChain).
class NestingBounds {
public:
  /// Counts the next token, of DeployLexer's type Type: the bound it goes
  /// past, or 0.
  unsigned count(size_t Type);

private:
  unsigned Nesting = 0;
  unsigned Chain = 0;
};

/// The operator a token of DeployLexer's type spells, if it is a binary one.
std::optional<ast::BinaryOp> binaryOpFor(size_t TokenType);

/// A comment token between two tokens.
struct CommentToken {
  SourceRange Range;
  bool IsDoc; ///< `///`
};

/// The documentation of the declaration or entry starting at byte Start: the
/// `///` lines among Comments (the comments right before it, in source order)
/// that end directly above it, markers and trailing blanks removed.
std::string docCommentText(const SourceManager &SM,
                           llvm::ArrayRef<CommentToken> Comments, uint32_t Start);

/// The hand-written parser (DirectParser.cpp). Each returns null, reporting
/// nothing, when bytes [Begin, End) of File have a syntax error, or anything
/// else it leaves to ANTLR's parser; otherwise the same tree and diagnostics
/// as ANTLR's parser and its builder. Kind is Default or DirectOnly and says
/// how to parse interpolations.
ast::Module *parseModuleDirectly(const SourceManager &SM, FileID File, uint32_t Begin,
                                 uint32_t End, ast::ASTContext &Ctx,
                                 DiagnosticEngine &Diags, ParserKind Kind);
ast::Expr *parseExprDirectly(const SourceManager &SM, FileID File, uint32_t Begin,
                             uint32_t End, ast::ASTContext &Ctx, DiagnosticEngine &Diags,
                             ParserKind Kind);

} // namespace deployc::parse

#endif
