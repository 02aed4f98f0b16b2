//===- ParserTest.cpp - Parsing into the AST ------------------------------===//

#include "deployc/AST/AST.h"
#include "deployc/Parse/Parser.h"
#include <gtest/gtest.h>

using namespace deployc;
using namespace deployc::ast;

namespace {
struct Parsed {
  SourceManager SM;
  DiagnosticEngine Diags{SM};
  ASTContext Ctx;
  Module *M = nullptr;
  explicit Parsed(std::string Text) {
    FileID F = SM.addBuffer("t.deploy", std::move(Text));
    M = parse::parseModule(SM, F, Ctx, Diags);
  }
};
} // namespace

TEST(ParserTest, BlockDeclWithEntries) {
  Parsed P("service orders {\n  replicas = 3\n  port http = 8080\n"
           "  health { liveness = http_get(\"/healthz\", http) }\n}\n");
  ASSERT_FALSE(P.Diags.hasErrors());
  ASSERT_EQ(P.M->Decls.size(), 1u);
  auto *D = llvm::dyn_cast<BlockDecl>(P.M->Decls[0]);
  ASSERT_NE(D, nullptr);
  EXPECT_EQ(D->Kind, DeclKind::Service);
  EXPECT_EQ(D->Name.Name, "orders");
  ASSERT_EQ(D->Body->Entries.size(), 3u);
  auto *Port = llvm::dyn_cast<AssignEntry>(D->Body->Entries[1]);
  ASSERT_NE(Port, nullptr);
  ASSERT_TRUE(Port->Label);
  EXPECT_EQ(Port->Label->Name, "http");
  EXPECT_TRUE(llvm::isa<BlockEntry>(D->Body->Entries[2]));
}

TEST(ParserTest, QuantitiesKeepTheirUnit) {
  Parsed P("service s { pause = 5m  memory = 1.5Gi  weight = 25% }");
  ASSERT_FALSE(P.Diags.hasErrors());
  auto *D = llvm::cast<BlockDecl>(P.M->Decls[0]);
  auto *Q = llvm::dyn_cast<QuantityLiteral>(llvm::cast<AssignEntry>(D->Body->Entries[1])->Value);
  ASSERT_NE(Q, nullptr);
  EXPECT_EQ(Q->Number, "1.5");
  EXPECT_EQ(Q->Unit, "Gi");
}

TEST(ParserTest, RangesAreNotFloats) {
  Parsed P("service s { scaling { replicas = 2..20 } }");
  ASSERT_FALSE(P.Diags.hasErrors());
  auto *D = llvm::cast<BlockDecl>(P.M->Decls[0]);
  auto *S = llvm::cast<BlockEntry>(D->Body->Entries[0]);
  auto *R = llvm::dyn_cast<RangeExpr>(llvm::cast<AssignEntry>(S->Body->Entries[0])->Value);
  ASSERT_NE(R, nullptr);
  EXPECT_EQ(llvm::cast<IntLiteral>(R->Low)->Value, 2);
  EXPECT_EQ(llvm::cast<IntLiteral>(R->High)->Value, 20);
}

TEST(ParserTest, InterpolationRangesPointIntoTheFile) {
  Parsed P("param tag = \"x\"\nservice s { image = \"r/o:${tag}\" }\n");
  ASSERT_FALSE(P.Diags.hasErrors());
  auto *D = llvm::cast<BlockDecl>(P.M->Decls[1]);
  auto *S = llvm::cast<StringLiteral>(llvm::cast<AssignEntry>(D->Body->Entries[0])->Value);
  ASSERT_EQ(S->Parts.size(), 2u);
  EXPECT_EQ(S->Parts[0].Text, "r/o:");
  auto *N = llvm::dyn_cast<NameExpr>(S->Parts[1].Interp);
  ASSERT_NE(N, nullptr);
  EXPECT_EQ(P.SM.getText(N->getRange()), "tag");
}

TEST(ParserTest, MultilineStringsAreDedented) {
  Parsed P("service s { content = \"\"\"\n    a: 1\n      b: 2\n    \"\"\" }");
  ASSERT_FALSE(P.Diags.hasErrors());
  auto *D = llvm::cast<BlockDecl>(P.M->Decls[0]);
  auto *S = llvm::cast<StringLiteral>(llvm::cast<AssignEntry>(D->Body->Entries[0])->Value);
  EXPECT_EQ(S->getPlainText(), "a: 1\n  b: 2\n");
}

TEST(ParserTest, ImportForms) {
  Parsed P("import std.tiers.*\nimport std.secrets.database_credentials\n"
           "import std.x.{a, b}\nimport \"./common.deploy\"\n");
  ASSERT_FALSE(P.Diags.hasErrors());
  ASSERT_EQ(P.M->Imports.size(), 4u);
  EXPECT_TRUE(P.M->Imports[0]->Wildcard);
  EXPECT_EQ(P.M->Imports[1]->getModuleName(), "std.secrets");
  EXPECT_EQ(P.M->Imports[1]->Names[0].Name, "database_credentials");
  EXPECT_EQ(P.M->Imports[2]->Names.size(), 2u);
  EXPECT_EQ(P.M->Imports[3]->FilePath, "./common.deploy");
}

TEST(ParserTest, DocCommentsAttachToDeclarations) {
  Parsed P("/// The order service.\n/// Second line.\nservice s {}\n");
  auto *D = llvm::cast<BlockDecl>(P.M->Decls[0]);
  EXPECT_EQ(D->Doc, "The order service.\nSecond line.");
}

TEST(ParserTest, SyntaxErrorsRecoverAndReportOnce) {
  Parsed P("service a { replicas = }\nservice b { replicas = 2 }\n");
  EXPECT_TRUE(P.Diags.hasErrors());
  EXPECT_EQ(P.Diags.getNumErrors(), 1u);
  ASSERT_EQ(P.M->Decls.size(), 2u);
}

TEST(ParserTest, DeepNestingIsRejectedNotOverflowed) {
  std::string Deep = "service s { x = " + std::string(10000, '[') +
                     std::string(10000, ']') + " }";
  Parsed P(Deep);
  ASSERT_EQ(P.Diags.getDiagnostics().size(), 1u);
  EXPECT_EQ(P.Diags.getDiagnostics()[0].ID, DiagID::NestingTooDeep);
}

TEST(ParserTest, InvalidUTF8IsDetected) {
  EXPECT_EQ(parse::findInvalidUTF8("ok \xC3\xA9"), -1);
  EXPECT_EQ(parse::findInvalidUTF8("ab\xFF"), 2);
  EXPECT_EQ(parse::findInvalidUTF8("\xC0\x80"), 0); // Overlong NUL.
  Parsed P("service s { x = \"\xFF\" }");
  EXPECT_FALSE(P.Diags.hasErrors()); // The parser substitutes; the driver reports.
}
