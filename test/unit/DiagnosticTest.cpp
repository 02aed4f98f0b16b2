//===- DiagnosticTest.cpp - The diagnostic table and engine ---------------===//

#include "deployc/Basic/Diagnostic.h"
#include "deployc/Basic/DiagnosticRendering.h"
#include "llvm/Support/raw_ostream.h"
#include <gtest/gtest.h>
#include <set>

using namespace deployc;

TEST(DiagnosticTest, CodesAreUniqueAndWellFormed) {
  std::set<std::string> Codes;
  for (const DiagInfo &Info : getAllDiagInfos()) {
    if (Info.Code.empty()) {
      EXPECT_EQ(Info.DefaultSeverity, Severity::Note) << Info.Name.str();
      continue;
    }
    EXPECT_TRUE(Codes.insert(Info.Code.str()).second) << "duplicate " << Info.Code.str();
    EXPECT_EQ(Info.Code.size(), 5u);
    EXPECT_EQ(Info.Code[0], 'D');
    // Wording guide: lower-case start, no trailing period.
    ASSERT_FALSE(Info.Message.empty());
    EXPECT_FALSE(Info.Message.endswith(".")) << Info.Code.str();
    char First = Info.Message[0];
    EXPECT_FALSE(First >= 'A' && First <= 'Z') << Info.Code.str();
  }
}

TEST(DiagnosticTest, LookupIsCaseInsensitive) {
  auto ID = lookupDiagCode("d2002");
  ASSERT_TRUE(ID.has_value());
  EXPECT_EQ(getDiagInfo(*ID).Code, "D2002");
  EXPECT_FALSE(lookupDiagCode("D9999").has_value());
}

TEST(DiagnosticTest, FormatSubstitutesArguments) {
  EXPECT_EQ(formatDiagMessage("`{0}` and `{1}`", {"a", "b"}), "`a` and `b`");
  EXPECT_EQ(formatDiagMessage("{0}{0}", {"x"}), "xx");
  EXPECT_EQ(formatDiagMessage("no {1}", {"x"}), "no ");
}

TEST(DiagnosticTest, EngineDropsExactDuplicatesAndCountsSeverities) {
  SourceManager SM;
  FileID F = SM.addBuffer("a.deploy", "service x {}\n");
  DiagnosticEngine Diags(SM);
  Diags.report(DiagID::UnknownName, {F, 0, 7}, {"x", ""});
  Diags.report(DiagID::UnknownName, {F, 0, 7}, {"x", ""});
  Diags.report(DiagID::UnusedSecret, {F, 8, 9}, {"x"});
  EXPECT_EQ(Diags.getDiagnostics().size(), 2u);
  EXPECT_EQ(Diags.getNumErrors(), 1u);
  EXPECT_EQ(Diags.getNumWarnings(), 1u);
}

TEST(DiagnosticTest, WerrorPromotesWarnings) {
  SourceManager SM;
  FileID F = SM.addBuffer("a.deploy", "x");
  DiagnosticEngine Diags(SM);
  Diags.setWarningsAsErrors(true);
  Diags.report(DiagID::UnusedSecret, {F, 0, 1}, {"x"});
  EXPECT_EQ(Diags.getNumErrors(), 1u);
  EXPECT_EQ(Diags.getDiagnostics()[0].Sev, Severity::Error);
}

TEST(DiagnosticTest, ErrorLimitStopsWithOneFinalDiagnostic) {
  SourceManager SM;
  FileID F = SM.addBuffer("a.deploy", "abcdef");
  DiagnosticEngine Diags(SM);
  Diags.setErrorLimit(2);
  for (uint32_t I = 0; I < 5; ++I)
    Diags.report(DiagID::UnknownName, {F, I, I + 1}, {std::to_string(I), ""});
  EXPECT_TRUE(Diags.hasReachedErrorLimit());
  ASSERT_EQ(Diags.getDiagnostics().size(), 3u);
  EXPECT_EQ(Diags.getDiagnostics().back().ID, DiagID::TooManyErrors);
}

TEST(DiagnosticTest, DidYouMeanPicksTheClosestCandidate) {
  std::string S;
  EXPECT_EQ(didYouMean("readines", {"liveness", "readiness", "startup"}, &S),
            "; did you mean `readiness`?");
  EXPECT_EQ(S, "readiness");
  EXPECT_EQ(didYouMean("zzzzzz", {"readiness"}), "");
}

TEST(DiagnosticTest, TextRenderingShowsCaretAndFixIt) {
  SourceManager SM;
  FileID F = SM.addBuffer("a.deploy", "health {\n  readines = 1\n}\n");
  DiagnosticEngine Diags(SM);
  Diags.report(DiagID::UnknownField, {F, 11, 19}, {"readines", "`health`", ""})
      .fixIt({F, 11, 19}, "readiness");
  std::string Out;
  llvm::raw_string_ostream OS(Out);
  renderDiagnosticsText(OS, SM, Diags.getDiagnostics(), false);
  EXPECT_EQ(OS.str(), "a.deploy:2:3: error[D2002]: `readines` is not a field of `health`\n"
                      "  readines = 1\n"
                      "  ^~~~~~~~\n"
                      "  readiness\n");
}
