//===- YAMLWriter.cpp - Ordered JSON documents to YAML --------------------===//
//
// Writes the block style yaml-cpp's emitter writes (two-space indentation,
// sequences indented under their key, `{}` and `[]` for empty collections),
// directly into one string: yaml-cpp checked every scalar with its regular
// expression engine, which was half the time of `deployc emit`. The unit
// tests compare this writer with yaml-cpp's emitter and read its output back
// with yaml-cpp's parser.
//
//===----------------------------------------------------------------------===//

#include "YAMLWriter.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringRef.h"
#include <cstdint>
#include <cstring>
#include <sstream>

using namespace deployc;
using namespace deployc::emit;

namespace {

bool isOneOf(llvm::StringRef S, std::initializer_list<llvm::StringRef> Words) {
  for (llvm::StringRef W : Words)
    if (S == W)
      return true;
  return false;
}

bool isDigit(char C) { return C >= '0' && C <= '9'; }

/// A YAML 1.1 or 1.2 number, as a plain scalar would be read:
/// `[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?`, hex, octal,
/// infinities, NaN and sexagesimal `1:20:30`.
bool looksNumeric(llvm::StringRef S) {
  llvm::StringRef T = S;
  if (T.consume_front("0x"))
    return !T.empty() && llvm::all_of(T, [](char C) { return llvm::isHexDigit(C); });
  if (S.startswith("0o") || (S.size() > 1 && S[0] == '0' && isDigit(S[1]))) {
    llvm::StringRef O = S.startswith("0o") ? S.drop_front(2) : S.drop_front(1);
    if (!O.empty() && llvm::all_of(O, [](char C) { return C >= '0' && C <= '7'; }))
      return true;
  }
  if (isOneOf(T.ltrim("+-"), {".inf", ".Inf", ".INF"}) && T.size() - T.ltrim("+-").size() <= 1)
    return true;
  if (isOneOf(S, {".nan", ".NaN", ".NAN"}))
    return true;
  // Sexagesimal: digits, then one or more `:` with one or two digits (0-59).
  {
    size_t I = 0;
    while (I < S.size() && isDigit(S[I]))
      ++I;
    if (I > 0 && I < S.size() && S[I] == ':') {
      bool Ok = true;
      while (Ok && I < S.size()) {
        if (S[I] != ':') {
          Ok = false;
          break;
        }
        size_t J = ++I;
        while (I < S.size() && isDigit(S[I]))
          ++I;
        size_t N = I - J;
        Ok = N == 1 || (N == 2 && S[J] <= '5');
      }
      if (Ok)
        return true;
    }
  }
  size_t I = 0;
  if (I < S.size() && (S[I] == '-' || S[I] == '+'))
    ++I;
  bool Mantissa = false;
  if (I < S.size() && S[I] == '.') {
    ++I;
    size_t Start = I;
    while (I < S.size() && isDigit(S[I]))
      ++I;
    Mantissa = I > Start;
  } else if (I < S.size() && isDigit(S[I])) {
    Mantissa = true;
    while (I < S.size() && (isDigit(S[I]) || S[I] == '_'))
      ++I;
    if (I < S.size() && S[I] == '.') {
      ++I;
      while (I < S.size() && (isDigit(S[I]) || S[I] == '_'))
        ++I;
    }
  }
  if (!Mantissa)
    return false;
  if (I < S.size() && (S[I] == 'e' || S[I] == 'E')) {
    ++I;
    if (I < S.size() && (S[I] == '-' || S[I] == '+'))
      ++I;
    size_t Start = I;
    while (I < S.size() && isDigit(S[I]))
      ++I;
    if (I == Start)
      return false;
  }
  return I == S.size();
}

/// YAML 1.1 booleans and null (`true`, `no`, `y`, `null`, `~`), in the three
/// spellings the spec gives each: lower case, capitalized, upper case. Most
/// keys and values are rejected by their first letter: this runs for each.
bool isYAML11Word(llvm::StringRef S) {
  if (S.size() > 5 || !llvm::StringRef("tfynoTFYNO~").contains(S.front()))
    return false;
  if (S == "~")
    return true;
  auto isUpper = [](char C) { return C >= 'A' && C <= 'Z'; };
  char Lower[5];
  size_t Upper = 0;
  for (size_t I = 0; I < S.size(); ++I) {
    if (!llvm::isAlpha(S[I]))
      return false;
    Upper += isUpper(S[I]);
    Lower[I] = llvm::toLower(S[I]);
  }
  if (Upper != 0 && Upper != S.size() && !(Upper == 1 && isUpper(S[0])))
    return false;
  llvm::StringRef L(Lower, S.size());
  return L == "true" || L == "false" || L == "yes" || L == "no" || L == "on" || L == "off" ||
         L == "y" || L == "n" || L == "null";
}

/// True when a plain scalar with this text would not read back as this string.
/// One pass over the text: it runs for every key and string emitted.
bool needsQuotes(llvm::StringRef S) {
  if (S.empty())
    return true;
  char First = S.front();
  if (isYAML11Word(S))
    return true;
  // Numbers start with a digit, a sign or a dot.
  if ((isDigit(First) || First == '-' || First == '+' || First == '.') && looksNumeric(S))
    return true;
  // Leading indicators change the meaning of a plain scalar.
  switch (First) {
  case ',': case '[': case ']': case '{': case '}': case '#': case '&': case '*':
  case '!': case '|': case '>': case '\'': case '"': case '%': case '@': case '`':
  case ' ':
    return true;
  default:
    break;
  }
  if (S.back() == ' ' || S.back() == ':')
    return true;
  // `-`, `?` and `:` start a block only when a space follows.
  if ((First == '-' || First == '?' || First == ':') && (S.size() == 1 || S[1] == ' '))
    return true;
  // Embedded `: ` and ` #`, and what a plain scalar cannot hold: controls
  // (tab, line breaks), C1 controls, a byte order mark. Eight bytes at a time
  // while none of them is a space, a colon, a control or outside ASCII.
  size_t I = 0, E = S.size();
  for (; I + 8 <= E; I += 8) {
    uint64_t W;
    std::memcpy(&W, S.data() + I, 8);
    constexpr uint64_t Ones = 0x0101010101010101, High = 0x8080808080808080;
    uint64_t BelowBang = (W - Ones * 0x21) & ~W & High;
    uint64_t AboveTilde = ((W + Ones * (0x7F - 0x7E)) | W) & High;
    uint64_t Colons = W ^ (Ones * ':');
    uint64_t Colon = (Colons - Ones) & ~Colons & High;
    if (BelowBang | AboveTilde | Colon)
      break;
  }
  for (; I < E; ++I) {
    unsigned char C = S[I];
    if (C > ' ' && C < 0x7F && C != ':')
      continue;
    if (C < 0x20 || C == 0x7F)
      return true;
    unsigned char Next = I + 1 < E ? S[I + 1] : 0;
    if ((C == ':' && Next == ' ') || (C == ' ' && Next == '#'))
      return true;
    if (C == 0xC2 && Next >= 0x80 && Next <= 0x9F && Next != 0x85)
      return true;
    if (C == 0xEF && S.substr(I, 3) == "\xEF\xBB\xBF")
      return true;
  }
  return false;
}

/// Decodes one UTF-8 sequence at I (advancing it); U+FFFD for invalid input.
unsigned nextCodePoint(llvm::StringRef S, size_t &I) {
  unsigned char C = S[I++];
  if (C < 0x80)
    return C;
  int Extra = C >= 0xF0 && C < 0xF8 ? 3 : C >= 0xE0 ? 2 : C >= 0xC0 ? 1 : -1;
  if (Extra < 0)
    return 0xFFFD;
  unsigned CP = C & (0x3F >> Extra);
  for (int K = 0; K < Extra; ++K) {
    if (I >= S.size() || ((unsigned char)S[I] & 0xC0) != 0x80)
      return 0xFFFD;
    CP = (CP << 6) | ((unsigned char)S[I++] & 0x3F);
  }
  return CP;
}

void appendCodePoint(std::string &Out, unsigned CP) {
  if (CP < 0x80) {
    Out += char(CP);
  } else if (CP < 0x800) {
    Out += char(0xC0 | (CP >> 6));
    Out += char(0x80 | (CP & 0x3F));
  } else if (CP < 0x10000) {
    Out += char(0xE0 | (CP >> 12));
    Out += char(0x80 | ((CP >> 6) & 0x3F));
    Out += char(0x80 | (CP & 0x3F));
  } else {
    Out += char(0xF0 | (CP >> 18));
    Out += char(0x80 | ((CP >> 12) & 0x3F));
    Out += char(0x80 | ((CP >> 6) & 0x3F));
    Out += char(0x80 | (CP & 0x3F));
  }
}

void writeDoubleQuoted(std::string &Out, llvm::StringRef S) {
  static const char Hex[] = "0123456789abcdef";
  Out += '"';
  for (size_t I = 0; I < S.size();) {
    unsigned CP = nextCodePoint(S, I);
    switch (CP) {
    case '"': Out += "\\\""; continue;
    case '\\': Out += "\\\\"; continue;
    case '\n': Out += "\\n"; continue;
    case '\t': Out += "\\t"; continue;
    case '\r': Out += "\\r"; continue;
    case '\b': Out += "\\b"; continue;
    case '\f': Out += "\\f"; continue;
    default: break;
    }
    if (CP < 0x20 || (CP >= 0x80 && CP <= 0xA0) || CP == 0xFEFF) {
      int Digits = CP < 0xFF ? 2 : CP < 0xFFFF ? 4 : 8;
      Out += '\\';
      Out += Digits == 2 ? 'x' : Digits == 4 ? 'u' : 'U';
      for (int D = Digits; D > 0; --D)
        Out += Hex[(CP >> (4 * (D - 1))) & 0xF];
      continue;
    }
    appendCodePoint(Out, CP);
  }
  Out += '"';
}

/// A literal block (`|`, `|-` or `|+` as the trailing line breaks need), its
/// lines indented to Indent.
void writeLiteral(std::string &Out, llvm::StringRef S, size_t Indent) {
  size_t Trailing = S.size() - S.rtrim('\n').size();
  Out += Trailing == 1 ? "|" : Trailing == 0 ? "|-" : "|+";
  llvm::StringRef Body = Trailing ? S.drop_back(1) : S;
  for (size_t Pos = 0;;) {
    size_t NL = Body.find('\n', Pos);
    llvm::StringRef Line = Body.slice(Pos, NL);
    Out += '\n';
    if (!Line.empty())
      Out.append(Indent, ' ').append(Line.data(), Line.size());
    if (NL == llvm::StringRef::npos)
      break;
    Pos = NL + 1;
  }
}

bool isCollection(const json &J) { return (J.is_object() || J.is_array()) && !J.empty(); }

class Writer {
public:
  explicit Writer(std::string &Out) : Out(Out) {}

  /// A value after `key:` or `- ` at indentation Indent (of the key or dash).
  void scalar(const json &J, size_t Indent) {
    switch (J.type()) {
    case json::value_t::object: Out += "{}"; return;
    case json::value_t::array: Out += "[]"; return;
    case json::value_t::string: {
      llvm::StringRef S = J.get_ref<const std::string &>();
      if (fitsLiteral(S))
        writeLiteral(Out, S, Indent + 2);
      else if (needsQuotes(S))
        writeDoubleQuoted(Out, S);
      else
        Out.append(S.data(), S.size());
      return;
    }
    case json::value_t::boolean: Out += J.get<bool>() ? "true" : "false"; return;
    case json::value_t::number_integer: Out += std::to_string(J.get<int64_t>()); return;
    case json::value_t::number_unsigned: Out += std::to_string(J.get<uint64_t>()); return;
    case json::value_t::number_float: {
      std::ostringstream OS;
      OS.precision(17);
      OS << J.get<double>();
      Out += OS.str();
      return;
    }
    default: Out += "~"; return;
    }
  }

  /// A non-empty collection whose first line continues the current line
  /// (after `- `) at column Indent.
  void collection(const json &J, size_t Indent) {
    bool First = true;
    auto startLine = [&] {
      if (!First) {
        Out += '\n';
        Out.append(Indent, ' ');
      }
      First = false;
    };
    if (J.is_object()) {
      for (auto It = J.begin(); It != J.end(); ++It) {
        startLine();
        const std::string &Key = It.key();
        if (needsQuotes(Key))
          writeDoubleQuoted(Out, Key);
        else
          Out += Key;
        Out += ':';
        const json &V = It.value();
        if (isCollection(V)) {
          // Sequences and maps under a key go on the next lines, two deeper.
          Out += '\n';
          Out.append(Indent + 2, ' ');
          collection(V, Indent + 2);
        } else {
          Out += ' ';
          scalar(V, Indent);
        }
      }
      return;
    }
    for (const json &V : J) {
      startLine();
      Out += "- ";
      if (isCollection(V))
        collection(V, Indent + 2);
      else
        scalar(V, Indent);
    }
  }

private:
  /// A multi-line string that a literal block keeps exactly: no other
  /// control characters, and its first non-empty line does not start with a
  /// space (the block's indentation is read from that line).
  static bool fitsLiteral(llvm::StringRef S) {
    if (!S.contains('\n'))
      return false;
    llvm::StringRef Content = S.ltrim('\n');
    if (Content.empty() || Content.front() == ' ')
      return false;
    for (char C : S)
      if ((unsigned char)C < 0x20 && C != '\n')
        return false;
    return true;
  }

  std::string &Out;
};

} // namespace

std::string emit::toYAML(const json &Doc) {
  std::string Out;
  Writer W(Out);
  if (isCollection(Doc))
    W.collection(Doc, 0);
  else
    W.scalar(Doc, 0);
  Out += '\n';
  return Out;
}

std::string emit::toYAMLStream(const std::vector<json> &Docs) {
  std::string Out;
  for (const json &D : Docs) {
    Out += "---\n";
    Out += toYAML(D);
  }
  return Out;
}

std::string emit::toJSONText(const json &Doc) {
  return Doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}
