//===- DirectParserTest.cpp - The hand-written parser agrees with ANTLR's -===//
//
// Files are parsed by a hand-written parser that gives up on anything it does
// not accept, and then by ANTLR's parser generated from the grammar, the
// reference. Whatever the input, both paths must give the same tree, compared
// through an exhaustive dump (every range, name, operator, string part and
// doc comment), and the same diagnostics; and the hand-written parser must not
// give up on well-formed files, or the speed it exists for is lost.
//
//===----------------------------------------------------------------------===//

#include "RepositoryFiles.h"
#include "deployc/Parse/Parser.h"
#include "llvm/Support/MemoryBuffer.h"
#include <gtest/gtest.h>
#include <optional>
#include <random>

using namespace deployc;
using parse::ParserKind;

namespace {

enum class Expect { SameTree, DirectParses };

void expectSameTree(llvm::StringRef Text, Expect E = Expect::SameTree) {
  parse::ParseDescription Reference = *parse::describeParse(Text, ParserKind::Reference);
  EXPECT_EQ(parse::describeParse(Text, ParserKind::Default)->Text, Reference.Text)
      << "input: " << Text.str();
  std::optional<parse::ParseDescription> Direct =
      parse::describeParse(Text, ParserKind::DirectOnly);
  if (Direct)
    EXPECT_EQ(Direct->Text, Reference.Text) << "input: " << Text.str();
  else if (E == Expect::DirectParses && !Reference.HasDiagnostics)
    ADD_FAILURE() << "the hand-written parser gave up on a well-formed input: "
                  << Text.str();
}

} // namespace

TEST(DirectParserTest, PrecedenceAndAssociativityFollowTheGrammar) {
  for (const char *Value : {
           "-a.b * c", "!a && b || c", "a || b && c", "a + b * c - d / e",
           "a - b - c", "a / b / c", "1..5", "a..b..c", "a + 1..b * 2", "a < b == c > d",
           "a == b != c", "-(a + b).c", "(a).b", "((a)).b.c", "- - a", "!!a", "-a * -b",
           "if a then b else c + d", "x + if a then b else c || d",
           "-if a then b else c", "if if a then b else c then d else e",
           "if a then if b then c else d else e", "a.b.c(1)", "f()", "f(1, 2,)", "f(x) { a = 1 }",
           "T { a = 1 }", "{ a = 1 }", "[]", "[1, [2, 3], ]", "[a.b, -c, (d)]",
           "\"a ${b + c} d ${e.f}\"", "\"\"\"\n  multi\n    line ${x}\n  \"\"\"",
           "\"\\n\\t\\$\"", "1.5Gi", "500m", "2.5", "1_000", "true && false",
           "a.b < c.d", "x + (y)", "(x) + y", "f(a)(b)"})
    expectSameTree(std::string("service s {\n  v = ") + Value + "\n}\n", Expect::DirectParses);
}

TEST(DirectParserTest, EveryFormOfDeclarationAndEntry) {
  for (const char *Text : {
           "import \"a.deploy\"\nimport std.secrets\nimport std.x.*\nimport std.y.{a, b,}\n"
           "import std\nimport a.b.c\n",
           "/// Doc.\n/// More.\nparam replicas: int = 3\nparam p\nparam l: [[string]]\n",
           "// header\n\n/// doc\nservice web: std.Base {\n  /// entry doc\n  a = 1,\n  b = 2;\n"
           "  c { d = 3 }\n  e \"label\" = 4\n  f g { }\n  replicas >= 2\n  x == 1\n"
           "  field f: int = 3 { min = 1 }\n  field g: [int]\n  field h: T = T { }\n"
           "  \"quoted key\" = 5\n  k = f(1) { opt = 2 }\n}\n",
           "environment prod {}\nenvironment dev { overlay web { replicas = 1 } }\n",
           "service s { a = /* inline */ 1 /// not a doc\n  b = 2 }\n",
           "service s { x = 99999999999999999999 }\n",     // IntegerTooLarge
           "service s { x = \"bad \\q escape\" }\n",        // InvalidEscape
           "service s { \"${x}\" = 1 }\n",                  // names cannot be interpolated
           "service s { x = \"${}\" y = \"${a +}\" z = \"${a\" }\n",
           "",
       })
    expectSameTree(Text, Expect::DirectParses);
}

TEST(DirectParserTest, ErrorsAreLeftToTheReference) {
  for (const char *Text : {
           "service s { replicas = }\n", "service s { a = 1 ", "service { }",
           "import x\nservice s {} import y\n", "service s { a b c }", "param = 3",
           "service s { a = f(1,,) }", "service s { a = [1 2] }", "service s { a = \"open",
           "service s { a = 1 } /* open", "service s { a = @ }", "service s { , }",
           "service s { a = if x then y }", "service s { x.y = 1 }", "import std.{}",
           "service s { a = 1..}", "service s { a < }", "service s { a b: = 1 }",
       })
    expectSameTree(Text);
}

TEST(DirectParserTest, NestingBoundsAreLeftToTheReference) {
  expectSameTree("service s { x = " + std::string(300, '[') + std::string(300, ']') + " }");
  std::string Chain = "service s { x = 1";
  for (int I = 0; I < 1200; ++I)
    Chain += " + 1";
  expectSameTree(Chain + " }");
  std::string Deep = "service s { x = 1";
  for (int I = 0; I < 300; ++I)
    Deep = "service s { x = (" + Deep.substr(16) + ")";
  expectSameTree(Deep + " }");
}

TEST(DirectParserTest, AgreesOnEveryRepositoryFile) {
  unsigned Files = 0;
  for (const std::string &Path : test::repositoryDeployFiles()) {
    auto Buf = llvm::MemoryBuffer::getFile(Path);
    ASSERT_TRUE(bool(Buf)) << Path;
    SCOPED_TRACE(Path);
    expectSameTree((*Buf)->getBuffer(), Expect::DirectParses);
    ++Files;
  }
  EXPECT_GT(Files, 50u);
}

namespace {

/// Random well-formed expressions over every alternative of `expr` and
/// `primary`, bracketed or not, to hold the precedence climbing to ANTLR's.
class ExprGenerator {
public:
  explicit ExprGenerator(unsigned Seed) : Rng(Seed) {}

  std::string expr(int Depth) {
    if (Depth <= 0)
      return leaf();
    switch (Rng() % 9) {
    case 0: return leaf();
    case 1: return pick({"-", "!"}) + expr(Depth - 1);
    case 2: return expr(Depth - 1) + "." + pick({"a", "b", "c"});
    case 3:
      return expr(Depth - 1) + " " +
             pick({"*", "/", "+", "-", "..", "<", "<=", ">", ">=", "==", "!=", "&&", "||"}) +
             " " + expr(Depth - 1);
    case 4:
      return "if " + expr(Depth - 1) + " then " + expr(Depth - 1) + " else " + expr(Depth - 1);
    case 5: return "(" + expr(Depth - 1) + ")";
    case 6: return "[" + expr(Depth - 1) + ", " + expr(Depth - 1) + "]";
    case 7: return "f(" + expr(Depth - 1) + ")" + (Rng() % 2 ? " { k = " + expr(Depth - 1) + " }" : "");
    default: return "\"s ${" + expr(Depth - 1) + "} t\"";
    }
  }

private:
  std::string leaf() { return pick({"1", "2.5", "3Gi", "true", "x", "y.z", "\"s\"", "T { }"}); }
  std::string pick(std::initializer_list<const char *> Options) {
    return *(Options.begin() + Rng() % Options.size());
  }
  std::mt19937 Rng;
};

} // namespace

TEST(DirectParserTest, AgreesOnRandomExpressions) {
  ExprGenerator Gen(7);
  for (int Round = 0; Round < 1500; ++Round) {
    expectSameTree("service s {\n  v = " + Gen.expr(4) + "\n  w " + Gen.expr(2) +
                       " = 1\n}\n",
                   Expect::SameTree);
    expectSameTree("service s {\n  v = " + Gen.expr(4) + "\n}\n", Expect::DirectParses);
    if (HasFailure())
      break;
  }
}

TEST(DirectParserTest, AgreesOnMutatedFiles) {
  // Every way of breaking a real file a token at a time must end the same.
  llvm::SmallString<256> Path(DEPLOYC_SOURCE_DIR);
  llvm::sys::path::append(Path, "examples", "shop", "shop.deploy");
  auto Buf = llvm::MemoryBuffer::getFile(Path);
  ASSERT_TRUE(bool(Buf));
  std::string Original = (*Buf)->getBuffer().str();
  const std::vector<std::string> Pieces = {"{", "}", "(", ")", "[", "]", ",", "=", ".", "-",
                                           "if", "x", "\"", "${", "1", "//", "\n", ":"};
  std::mt19937 Rng(11);
  for (int Round = 0; Round < 300; ++Round) {
    std::string Text = Original;
    size_t At = Rng() % Text.size();
    switch (Rng() % 3) {
    case 0: Text.erase(At, 1 + Rng() % 8); break;
    case 1: Text.insert(At, Pieces[Rng() % Pieces.size()]); break;
    default: Text.resize(At); break;
    }
    expectSameTree(Text);
    if (HasFailure())
      break;
  }
}
