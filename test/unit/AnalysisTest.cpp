//===- AnalysisTest.cpp - The language server's index queries -------------===//

#include "../../lib/LSP/Analysis.h"
#include <gtest/gtest.h>

using namespace deployc;
using namespace deployc::lsp;

namespace {
const char *Spec = "param tag: string = \"1\"\n"                       // 0
                   "service api {\n"                                   // 1
                   "  image = \"r/api:${tag}\"\n"                       // 2
                   "  port http = 8080\n"                              // 3
                   "  health { liveness = http_get(\"/\", http) }\n"   // 4
                   "}\n"                                               // 5
                   "service web { image = \"r/${tag}\" }\n";           // 6

Analysis analyze(const std::string &Text) {
  return Analysis("file:///tmp/analysis-test.deploy", Text, 1, DEPLOYC_STDLIB_DIR, nullptr, "");
}
} // namespace

TEST(AnalysisTest, DefinitionOfAParameterUse) {
  Analysis A = analyze(Spec);
  json D = A.definition({2, 21});
  ASSERT_TRUE(D.is_object()) << D.dump();
  EXPECT_EQ(D["range"]["start"]["line"], 0);
  EXPECT_EQ(D["range"]["start"]["character"], 6);
}

TEST(AnalysisTest, ReferencesFindEveryUse) {
  Analysis A = analyze(Spec);
  json Refs = A.references({0, 7}, /*IncludeDeclaration=*/true);
  ASSERT_EQ(Refs.size(), 3u) << Refs.dump();
  EXPECT_EQ(Refs[1]["range"]["start"]["line"], 2);
  EXPECT_EQ(Refs[2]["range"]["start"]["line"], 6);
}

TEST(AnalysisTest, RenameEditsDeclarationAndUses) {
  Analysis A = analyze(Spec);
  std::string Error;
  json Edit = A.rename({6, 27}, "version", Error);
  ASSERT_TRUE(Error.empty()) << Error;
  json Edits = Edit["changes"]["file:///tmp/analysis-test.deploy"];
  EXPECT_EQ(Edits.size(), 3u);
  for (const json &E : Edits)
    EXPECT_EQ(E["newText"], "version");
  A.rename({6, 27}, "if", Error);
  EXPECT_FALSE(Error.empty());
}

TEST(AnalysisTest, HoverOnAnEntryKeyShowsItsType) {
  Analysis A = analyze(Spec);
  json H = A.hover({2, 3});
  ASSERT_TRUE(H.is_object());
  EXPECT_NE(H["contents"]["value"].get<std::string>().find("`image`: a string"),
            std::string::npos);
}

TEST(AnalysisTest, DiagnosticsCarryFixIts) {
  Analysis A = analyze("service s { image = \"x\"  replicaz = 2 }\n");
  json D = A.diagnostics();
  ASSERT_EQ(D["diagnostics"].size(), 1u) << D.dump();
  EXPECT_EQ(D["diagnostics"][0]["code"], "D2002");
  EXPECT_EQ(D["diagnostics"][0]["data"]["fixits"][0]["newText"], "replicas");
}

TEST(AnalysisTest, CompletionOffersFieldsOfTheEnclosingBlock) {
  Analysis A = analyze("service s {\n  health {\n    \n  }\n}\n");
  json C = A.completion({2, 4});
  std::vector<std::string> Labels;
  for (const json &I : C["items"])
    Labels.push_back(I["label"]);
  EXPECT_NE(std::find(Labels.begin(), Labels.end(), "readiness"), Labels.end());
  EXPECT_EQ(std::find(Labels.begin(), Labels.end(), "replicas"), Labels.end());
}
