//===- Lexer.cpp - The lexer of grammar/DeployLexer.g4, by hand -----------===//
//
// Each case below names the lexer rules it stands for. ANTLR picks the longest
// match over all rules and the rule listed first on a tie; where several rules
// can match at one position (numbers, strings, comments) all candidates are
// measured and compared the same way.
//
//===----------------------------------------------------------------------===//

#include "Lexer.h"
#include "DeployLexer.h"

using namespace deployc;
using namespace deployc::parse;
using deployc_antlr::DeployLexer;

namespace {

bool isDigit(char32_t C) { return C >= '0' && C <= '9'; }
bool isLetter(char32_t C) { return (C >= 'a' && C <= 'z') || (C >= 'A' && C <= 'Z'); }
bool isIdentStart(char32_t C) { return isLetter(C) || C == '_'; }
bool isIdentPart(char32_t C) { return isIdentStart(C) || isDigit(C); }
bool isUnitChar(char32_t C) { return isLetter(C) || C == '%'; }
bool isLineEnd(char32_t C) { return C == '\r' || C == '\n'; }

/// Over code points (char32_t) or, for ASCII text, straight over its bytes.
template <typename CharT> class LexerImpl {
public:
  LexerImpl(std::basic_string_view<CharT> S, llvm::function_ref<void(const Lexeme &)> Emit)
      : S(S), N(S.size()), Emit(Emit) {}

  void run() {
    while (I < N) {
      char32_t C = ch(I);
      if (C == ' ' || C == '\t' || C == '\r' || C == '\n' || C == '\f') {
        advanceTo(I + 1); // WS -> skip
        continue;
      }
      lexToken(C);
    }
    Emit({antlr4::Token::EOF, false, N, N - 1, Line, Column});
  }

private:
  char32_t ch(size_t K) const { return char32_t(std::make_unsigned_t<CharT>(S[K])); }
  char32_t at(size_t K) const { return K < N ? ch(K) : char32_t(-1); }

  /// Whether the ASCII string Needle is at K.
  bool matchesAt(std::string_view Needle, size_t K) const {
    if (K + Needle.size() > N)
      return false;
    for (size_t L = 0; L < Needle.size(); ++L)
      if (ch(K + L) != char32_t(Needle[L]))
        return false;
    return true;
  }

  /// The first occurrence of Needle at or after From.
  size_t find(std::string_view Needle, size_t From) const {
    for (size_t K = From; K + Needle.size() <= N; ++K)
      if (matchesAt(Needle, K))
        return K;
    return std::string_view::npos;
  }

  void emit(size_t Type, size_t Len, bool Hidden = false) {
    Emit({Type, Hidden, I, I + Len - 1, Line, Column});
    advanceTo(I + Len);
  }

  void advanceTo(size_t End) {
    for (; I < End; ++I) {
      if (ch(I) == '\n') {
        ++Line;
        Column = 0;
      } else {
        ++Column;
      }
    }
  }

  void lexToken(char32_t C) {
    switch (C) {
    case '{': return emit(DeployLexer::LBRACE, 1);
    case '}': return emit(DeployLexer::RBRACE, 1);
    case '[': return emit(DeployLexer::LBRACK, 1);
    case ']': return emit(DeployLexer::RBRACK, 1);
    case '(': return emit(DeployLexer::LPAREN, 1);
    case ')': return emit(DeployLexer::RPAREN, 1);
    case ',': return emit(DeployLexer::COMMA, 1);
    case ';': return emit(DeployLexer::SEMI, 1);
    case ':': return emit(DeployLexer::COLON, 1);
    case '+': return emit(DeployLexer::PLUS, 1);
    case '-': return emit(DeployLexer::MINUS, 1);
    case '*': return emit(DeployLexer::STAR, 1);
    case '.':
      return at(I + 1) == '.' ? emit(DeployLexer::DOTDOT, 2) : emit(DeployLexer::DOT, 1);
    case '=':
      return at(I + 1) == '=' ? emit(DeployLexer::EQ, 2) : emit(DeployLexer::ASSIGN, 1);
    case '!':
      return at(I + 1) == '=' ? emit(DeployLexer::NE, 2) : emit(DeployLexer::BANG, 1);
    case '<':
      return at(I + 1) == '=' ? emit(DeployLexer::LE, 2) : emit(DeployLexer::LT, 1);
    case '>':
      return at(I + 1) == '=' ? emit(DeployLexer::GE, 2) : emit(DeployLexer::GT, 1);
    case '&':
      return at(I + 1) == '&' ? emit(DeployLexer::ANDAND, 2)
                              : emit(DeployLexer::UNEXPECTED_CHAR, 1);
    case '|':
      return at(I + 1) == '|' ? emit(DeployLexer::OROR, 2)
                              : emit(DeployLexer::UNEXPECTED_CHAR, 1);
    case '/':
      return lexSlash();
    case '"':
      return lexString();
    default:
      break;
    }
    if (isDigit(C))
      return lexNumber();
    if (isIdentStart(C))
      return lexIdentifier();
    emit(DeployLexer::UNEXPECTED_CHAR, 1);
  }

  /// SLASH, DOC_COMMENT, LINE_COMMENT, BLOCK_COMMENT.
  void lexSlash() {
    if (at(I + 1) == '/') {
      size_t End = I + 2;
      while (End < N && !isLineEnd(ch(End)))
        ++End;
      // Equal lengths: DOC_COMMENT is listed first.
      size_t Type = at(I + 2) == '/' ? DeployLexer::DOC_COMMENT : DeployLexer::LINE_COMMENT;
      return emit(Type, End - I, /*Hidden=*/true);
    }
    if (at(I + 1) == '*') {
      // '/*' .*? '*/': the first '*/' after the opening ends it.
      size_t Close = find("*/", I + 2);
      if (Close != std::string_view::npos)
        return emit(DeployLexer::BLOCK_COMMENT, Close + 2 - I, /*Hidden=*/true);
    }
    emit(DeployLexer::SLASH, 1);
  }

  /// QUANTITY, FLOAT, INT.
  void lexNumber() {
    auto digitsEnd = [&](size_t K) {
      ++K; // DIGITS : [0-9] [0-9_]*
      while (K < N && (isDigit(ch(K)) || ch(K) == '_'))
        ++K;
      return K;
    };
    auto unitEnd = [&](size_t K) {
      while (K < N && isUnitChar(ch(K)))
        ++K;
      return K;
    };
    size_t IntEnd = digitsEnd(I);
    if (at(IntEnd) == '.' && isDigit(at(IntEnd + 1))) {
      size_t FracEnd = digitsEnd(IntEnd + 1);
      if (isUnitChar(at(FracEnd)))
        return emit(DeployLexer::QUANTITY, unitEnd(FracEnd) - I);
      return emit(DeployLexer::FLOAT, FracEnd - I);
    }
    if (isUnitChar(at(IntEnd)))
      return emit(DeployLexer::QUANTITY, unitEnd(IntEnd) - I);
    emit(DeployLexer::INT, IntEnd - I);
  }

  /// The keywords, IDENT.
  void lexIdentifier() {
    size_t End = I + 1;
    while (End < N && isIdentPart(ch(End)))
      ++End;
    static constexpr std::pair<std::string_view, size_t> Keywords[] = {
        {"import", DeployLexer::IMPORT}, {"param", DeployLexer::PARAM},
        {"if", DeployLexer::IF},         {"then", DeployLexer::THEN},
        {"else", DeployLexer::ELSE},     {"true", DeployLexer::TRUE},
        {"false", DeployLexer::FALSE}};
    // Equal lengths: the keyword rules are listed before IDENT.
    size_t Type = DeployLexer::IDENT;
    for (const auto &[Keyword, KeywordType] : Keywords)
      if (Keyword.size() == End - I && matchesAt(Keyword, I))
        Type = KeywordType;
    emit(Type, End - I);
  }

  /// TRIPLE_STRING, STRING, UNTERMINATED_STRING (in that order on ties).
  void lexString() {
    size_t Triple = 0;
    if (at(I + 1) == '"' && at(I + 2) == '"') {
      // '"""' .*? '"""': the first '"""' after the opening ends it.
      size_t Close = find("\"\"\"", I + 3);
      if (Close != std::string_view::npos)
        Triple = Close + 3 - I;
    }
    size_t String = stringLength();
    size_t Unterminated = unterminatedLength();
    if (Triple && Triple >= String && Triple >= Unterminated)
      return emit(DeployLexer::TRIPLE_STRING, Triple);
    if (String && String >= Unterminated)
      return emit(DeployLexer::STRING, String);
    emit(DeployLexer::UNTERMINATED_STRING, Unterminated);
  }

  /// The longest match of
  ///   '"' ( ESCAPE | '${' ~[}\r\n]* '}' | '$' | ~["\\\r\n$] )* '"'
  /// or 0. The alternatives overlap ('$' alone, or the start of '${'; a '"'
  /// inside '${...}'), so this follows every alternative at once like the ATN.
  size_t stringLength() const {
    enum : unsigned { Text = 1, Escape = 2, Dollar = 4, Interp = 8 };
    unsigned States = Text;
    size_t Longest = 0;
    for (size_t K = I + 1; K < N && States; ++K) {
      char32_t C = ch(K);
      unsigned Next = 0;
      if (States & Text) {
        if (C == '"')
          Longest = K + 1 - I;
        else if (C == '\\')
          Next |= Escape;
        else if (C == '$')
          Next |= Text | Dollar;
        else if (!isLineEnd(C))
          Next |= Text;
      }
      if (States & Escape)
        Next |= Text; // ESCAPE : '\\' . takes any character, line ends too.
      if ((States & Dollar) && C == '{')
        Next |= Interp;
      if (States & Interp) {
        if (C == '}')
          Next |= Text;
        else if (!isLineEnd(C))
          Next |= Interp;
      }
      States = Next;
    }
    return Longest;
  }

  /// The longest match of '"' ( ESCAPE | ~["\\\r\n] )*.
  size_t unterminatedLength() const {
    size_t K = I + 1;
    while (K < N) {
      char32_t C = ch(K);
      if (C == '\\') {
        if (K + 1 >= N)
          break;
        K += 2;
      } else if (C == '"' || isLineEnd(C)) {
        break;
      } else {
        ++K;
      }
    }
    return K - I;
  }

  std::basic_string_view<CharT> S;
  size_t N;
  llvm::function_ref<void(const Lexeme &)> Emit;
  size_t I = 0;
  size_t Line = 1;
  size_t Column = 0;
};

} // namespace

void parse::lexCodePoints(std::u32string_view Chars,
                          llvm::function_ref<void(const Lexeme &)> Emit) {
  LexerImpl<char32_t>(Chars, Emit).run();
}

void parse::lexASCII(std::string_view Text, llvm::function_ref<void(const Lexeme &)> Emit) {
  LexerImpl<char>(Text, Emit).run();
}
