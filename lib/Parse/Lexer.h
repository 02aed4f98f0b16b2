//===- Lexer.h - The lexer of grammar/DeployLexer.g4, by hand -----*- C++ -*-===//
//
// Internal to lib/Parse. ANTLR's generated lexer simulates an ATN per token and
// took a quarter of a cold `deployc check`; this one implements the same rules
// directly. The generated lexer stays the reference: tests and the parser fuzz
// target compare both on every input.
//
//===----------------------------------------------------------------------===//

#ifndef DEPLOYC_LIB_PARSE_LEXER_H
#define DEPLOYC_LIB_PARSE_LEXER_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include <cstddef>
#include <string_view>

namespace deployc::parse {

/// One token as the rules of grammar/DeployLexer.g4 define it, over decoded
/// code points (the indices ANTLR's token streams use).
struct Lexeme {
  size_t Type;    ///< DeployLexer's token type.
  bool Hidden;    ///< On ANTLR's hidden channel (comments).
  size_t Start;   ///< First code point.
  size_t Stop;    ///< Last code point (inclusive, as in ANTLR).
  size_t Line;    ///< 1-based, counting '\n'.
  size_t Column;  ///< 0-based code points since the last '\n'.
};

/// Splits Chars into tokens exactly as DeployLexer would: the longest match
/// wins, the earlier rule on a tie; whitespace is skipped. The last lexeme is
/// EOF (type antlr4::Token::EOF, Start = Chars.size(), Stop = Start - 1).
void lexCodePoints(std::u32string_view Chars,
                   llvm::function_ref<void(const Lexeme &)> Emit);

/// The same for Text when all of it is ASCII, where bytes are code points:
/// no decoding.
void lexASCII(std::string_view Text, llvm::function_ref<void(const Lexeme &)> Emit);

} // namespace deployc::parse

#endif
