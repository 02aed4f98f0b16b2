//===- Parser.h - From source text to the AST ---------------------*- C++ -*-===//
//
// The only entry points into lib/Parse; no ANTLR type appears here. Parsing never
// throws and never fails: syntax errors become diagnostics and the returned tree
// holds whatever could be recovered (ErrorExpr where an expression was lost).
// Well-formed files are parsed by hand-written code, the rest by ANTLR's
// parser (see ParserKind).
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_PARSE_PARSER_H
#define DEPLOYC_PARSE_PARSER_H

#include "deployc/AST/AST.h"
#include "deployc/Basic/Diagnostic.h"
#include <optional>
#include <vector>

namespace deployc::parse {

/// Deeper nesting of brackets is rejected before parsing (the parser recurses).
constexpr unsigned MaxNestingDepth = 256;
/// Longer chains of operators without brackets between them are rejected too:
/// each operator is one more level of the expression tree.
constexpr unsigned MaxOperatorChain = 1000;

/// Which parser builds the tree. Both give the same trees and diagnostics;
/// tests and the parser fuzz target hold them to that.
enum class ParserKind : uint8_t {
  /// The hand-written recursive-descent parser, which builds the AST straight
  /// from the tokens; at the first thing it does not accept (a syntax error,
  /// say), ANTLR's parser, which reports and recovers.
  Default,
  /// Only ANTLR's parser generated from grammar/DeployParser.g4.
  Reference,
  /// Only the hand-written parser: null where it gives up (for tests).
  DirectOnly,
};

/// Parses the whole buffer File. The returned module is owned by Ctx; null
/// only with ParserKind::DirectOnly.
ast::Module *parseModule(const SourceManager &SM, FileID File,
                         ast::ASTContext &Ctx, DiagnosticEngine &Diags,
                         ParserKind Kind = ParserKind::Default);

/// Parses one expression spanning all of File (used for `--set` values).
/// Returns null after reporting a diagnostic when the text is not one expression.
ast::Expr *parseStandaloneExpr(const SourceManager &SM, FileID File,
                               ast::ASTContext &Ctx, DiagnosticEngine &Diags,
                               ParserKind Kind = ParserKind::Default);

/// What parsing Text with Kind gives, as one string: the exhaustive dump of
/// the tree and every diagnostic with its byte range. Tests and the parser
/// fuzz target compare the parsers with it.
struct ParseDescription {
  std::string Text;
  bool HasDiagnostics = false;
};
/// nullopt when Kind is DirectOnly and the hand-written parser gave up.
std::optional<ParseDescription> describeParse(llvm::StringRef Text, ParserKind Kind);

/// Token classes for the formatter and semantic highlighting.
enum class TokenClass : uint8_t {
  Keyword, Identifier, String, Number, Quantity, Comment, DocComment,
  Punctuation, Operator, Invalid
};

struct LexedToken {
  TokenClass Class;
  SourceRange Range;
};

/// Lexes File, comments included. Never fails; bad input gives Invalid tokens.
std::vector<LexedToken> lexFile(const SourceManager &SM, FileID File);

/// A token named by its rule in grammar/DeployLexer.g4, for comparing lexers.
struct RuleToken {
  std::string Rule;
  bool Hidden;
  uint32_t Begin, End; ///< Byte offsets.
  bool operator==(const RuleToken &) const = default;
};

/// Lexes Text with the lexer the parser uses, or with the lexer ANTLR generates
/// from the same grammar (the reference it must agree with).
std::vector<RuleToken> lexRuleTokens(llvm::StringRef Text, bool WithReferenceLexer);

/// Returns the byte offset of the first invalid UTF-8 sequence, or -1.
int64_t findInvalidUTF8(llvm::StringRef Text);

} // namespace deployc::parse

#endif
