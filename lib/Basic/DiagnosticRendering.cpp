//===- DiagnosticRendering.cpp - Text, JSON and SARIF output --------------===//

#include "deployc/Basic/DiagnosticRendering.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Regex.h"
#include <map>
#include <nlohmann/json.hpp>

using namespace deployc;
using json = nlohmann::ordered_json;

namespace {

/// Display column of a byte offset in a line: UTF-8 continuation bytes do not
/// advance the cursor on a terminal.
unsigned displayColumn(llvm::StringRef Line, unsigned ByteCol) {
  unsigned Col = 0;
  for (unsigned I = 0; I + 1 < ByteCol && I < Line.size(); ++I)
    if ((static_cast<unsigned char>(Line[I]) & 0xC0) != 0x80)
      ++Col;
  return Col + 1;
}

constexpr unsigned MaxSnippetWidth = 160;

struct Snippet {
  std::string Line;
  std::string Caret;
  std::string FixIt;
};

/// Builds the source line, caret/underline line and an optional fix-it line.
/// Very long lines are cut to a window around the caret.
Snippet buildSnippet(const SourceManager &SM, SourceRange Range,
                     const std::vector<FixIt> &FixIts) {
  Snippet S;
  LineCol Start = SM.getLineCol(Range.File, Range.Begin);
  LineCol End = SM.getLineCol(Range.File, Range.End);
  llvm::StringRef Line = SM.getLineText(Range.File, Start.Line);
  unsigned StartByte = Start.Col - 1;
  unsigned EndByte = End.Line == Start.Line ? End.Col - 1 : Line.size();
  if (EndByte < StartByte)
    EndByte = StartByte;

  unsigned WindowBegin = 0;
  if (Line.size() > MaxSnippetWidth) {
    WindowBegin = StartByte > MaxSnippetWidth / 2 ? StartByte - MaxSnippetWidth / 2 : 0;
    while (WindowBegin > 0 &&
           (static_cast<unsigned char>(Line[WindowBegin]) & 0xC0) == 0x80)
      --WindowBegin;
    unsigned WindowEnd = std::min<unsigned>(Line.size(), WindowBegin + MaxSnippetWidth);
    Line = Line.slice(WindowBegin, WindowEnd);
    StartByte -= WindowBegin;
    EndByte = std::min<unsigned>(EndByte - WindowBegin, Line.size());
  }

  for (char C : Line)
    S.Line += (static_cast<unsigned char>(C) < 0x20 && C != '\t') ? ' ' : C;
  // Keep tabs in the caret line so it lines up under the source line.
  for (unsigned I = 0; I < StartByte && I < Line.size(); ++I) {
    unsigned char C = Line[I];
    if ((C & 0xC0) == 0x80)
      continue;
    S.Caret += C == '\t' ? '\t' : ' ';
  }
  std::string Indent = S.Caret;
  S.Caret += '^';
  for (unsigned I = StartByte + 1; I < EndByte; ++I)
    if ((static_cast<unsigned char>(Line[I]) & 0xC0) != 0x80)
      S.Caret += '~';

  for (const FixIt &F : FixIts) {
    if (F.Range.File != Range.File)
      continue;
    LineCol FStart = SM.getLineCol(F.Range.File, F.Range.Begin);
    if (FStart.Line != Start.Line || F.Replacement.find('\n') != std::string::npos)
      continue;
    unsigned FByte = FStart.Col - 1;
    if (FByte < WindowBegin)
      continue;
    std::string Pad;
    for (unsigned I = 0; I < FByte - WindowBegin && I < Line.size(); ++I) {
      unsigned char C = Line[I];
      if ((C & 0xC0) != 0x80)
        Pad += C == '\t' ? '\t' : ' ';
    }
    S.FixIt = Pad + F.Replacement;
    break;
  }
  (void)Indent;
  return S;
}

void printLocation(llvm::raw_ostream &OS, const SourceManager &SM,
                   SourceRange Range) {
  if (!Range.isValid()) {
    OS << "deployc: ";
    return;
  }
  LineCol LC = SM.getLineCol(Range.File, Range.Begin);
  OS << SM.getPath(Range.File) << ':' << LC.Line << ':' << LC.Col << ": ";
}

void printOne(llvm::raw_ostream &OS, const SourceManager &SM, SourceRange Range,
              Severity Sev, llvm::StringRef Code, llvm::StringRef Message,
              const std::vector<FixIt> &FixIts, bool Color) {
  if (Color)
    OS.changeColor(llvm::raw_ostream::SAVEDCOLOR, /*Bold=*/true);
  printLocation(OS, SM, Range);
  if (Color) {
    switch (Sev) {
    case Severity::Error: OS.changeColor(llvm::raw_ostream::RED, true); break;
    case Severity::Warning: OS.changeColor(llvm::raw_ostream::MAGENTA, true); break;
    case Severity::Note: OS.changeColor(llvm::raw_ostream::CYAN, true); break;
    }
  }
  OS << getSeverityName(Sev);
  if (!Code.empty())
    OS << '[' << Code << ']';
  OS << ": ";
  if (Color)
    OS.changeColor(llvm::raw_ostream::SAVEDCOLOR, true);
  OS << Message;
  if (Color)
    OS.resetColor();
  OS << '\n';
  if (!Range.isValid())
    return;
  Snippet S = buildSnippet(SM, Range, FixIts);
  OS << S.Line << '\n';
  if (Color)
    OS.changeColor(llvm::raw_ostream::GREEN, true);
  OS << S.Caret;
  if (Color)
    OS.resetColor();
  OS << '\n';
  if (!S.FixIt.empty()) {
    if (Color)
      OS.changeColor(llvm::raw_ostream::GREEN, false);
    OS << S.FixIt;
    if (Color)
      OS.resetColor();
    OS << '\n';
  }
}

json rangeToJSON(const SourceManager &SM, SourceRange Range) {
  LineCol B = SM.getLineCol(Range.File, Range.Begin);
  LineCol E = SM.getLineCol(Range.File, Range.End);
  return json{{"start", {{"line", B.Line}, {"column", B.Col}}},
              {"end", {{"line", E.Line}, {"column", E.Col}}},
              {"offset", Range.Begin},
              {"length", Range.End - Range.Begin}};
}

/// 1-based column in Unicode code points, as SARIF's `unicodeCodePoints`.
unsigned codePointColumn(const SourceManager &SM, FileID File, uint32_t Offset) {
  LineCol LC = SM.getLineCol(File, Offset);
  return displayColumn(SM.getLineText(File, LC.Line), LC.Col);
}

json sarifRegion(const SourceManager &SM, SourceRange Range) {
  LineCol B = SM.getLineCol(Range.File, Range.Begin);
  LineCol E = SM.getLineCol(Range.File, Range.End);
  return json{{"startLine", B.Line},
              {"startColumn", codePointColumn(SM, Range.File, Range.Begin)},
              {"endLine", E.Line},
              {"endColumn", codePointColumn(SM, Range.File, Range.End)}};
}

/// SARIF artifact locations are URIs: absolute paths become file:// URIs,
/// stdlib files are relative to the DEPLOYC_STDLIB base, the rest stay
/// relative (to the working directory, SARIF's default base).
json sarifArtifact(llvm::StringRef Path) {
  std::string Encoded;
  auto encode = [&](llvm::StringRef P) {
    for (unsigned char C : P) {
      if (llvm::isAlnum(C) || llvm::StringRef("/-._~").contains(C))
        Encoded += C;
      else
        Encoded += "%" + llvm::utohexstr(C, /*LowerCase=*/false, 2);
    }
  };
  if (Path.consume_front("<stdlib>/")) {
    encode(Path);
    return json{{"uri", Encoded}, {"uriBaseId", "DEPLOYC_STDLIB"}};
  }
  if (Path.startswith("/")) {
    Encoded = "file://";
    encode(Path);
    return json{{"uri", Encoded}};
  }
  encode(Path);
  return json{{"uri", Encoded}};
}

json sarifLocation(const SourceManager &SM, SourceRange Range) {
  return json{{"physicalLocation",
               {{"artifactLocation", sarifArtifact(SM.getPath(Range.File))},
                {"region", sarifRegion(SM, Range)}}}};
}

llvm::StringRef sarifLevel(Severity Sev) {
  switch (Sev) {
  case Severity::Error: return "error";
  case Severity::Warning: return "warning";
  case Severity::Note: return "note";
  }
  return "none";
}

} // namespace

void deployc::renderDiagnosticsText(llvm::raw_ostream &OS,
                                    const SourceManager &SM,
                                    llvm::ArrayRef<Diagnostic> Diags,
                                    bool Color) {
  for (const Diagnostic &D : Diags) {
    printOne(OS, SM, D.Range, D.Sev, D.getCode(), D.Message, D.FixIts, Color);
    for (const DiagNote &N : D.Notes)
      printOne(OS, SM, N.Range, Severity::Note, "", N.Message, {}, Color);
  }
}

void deployc::renderDiagnosticSummary(llvm::raw_ostream &OS, unsigned Errors,
                                      unsigned Warnings) {
  if (!Errors && !Warnings)
    return;
  if (Warnings)
    OS << Warnings << (Warnings == 1 ? " warning" : " warnings");
  if (Warnings && Errors)
    OS << " and ";
  if (Errors)
    OS << Errors << (Errors == 1 ? " error" : " errors");
  OS << " generated.\n";
}

void deployc::renderDiagnosticsJSON(llvm::raw_ostream &OS,
                                    const SourceManager &SM,
                                    llvm::ArrayRef<Diagnostic> Diags) {
  json List = json::array();
  unsigned Errors = 0, Warnings = 0;
  for (const Diagnostic &D : Diags) {
    json J;
    J["code"] = D.getCode().str();
    J["severity"] = getSeverityName(D.Sev).str();
    J["stage"] = getStageName(getDiagInfo(D.ID).Stage).str();
    J["message"] = D.Message;
    if (D.Range.isValid()) {
      J["file"] = SM.getPath(D.Range.File).str();
      J["range"] = rangeToJSON(SM, D.Range);
    }
    json Notes = json::array();
    for (const DiagNote &N : D.Notes) {
      json JN{{"message", N.Message}};
      if (N.Range.isValid()) {
        JN["file"] = SM.getPath(N.Range.File).str();
        JN["range"] = rangeToJSON(SM, N.Range);
      }
      Notes.push_back(std::move(JN));
    }
    J["notes"] = std::move(Notes);
    json Fixes = json::array();
    for (const FixIt &F : D.FixIts)
      Fixes.push_back({{"file", SM.getPath(F.Range.File).str()},
                       {"range", rangeToJSON(SM, F.Range)},
                       {"replacement", F.Replacement}});
    J["fixits"] = std::move(Fixes);
    List.push_back(std::move(J));
    Errors += D.Sev == Severity::Error;
    Warnings += D.Sev == Severity::Warning;
  }
  json Root{{"diagnostics", std::move(List)},
            {"errors", Errors},
            {"warnings", Warnings}};
  OS << Root.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
}

void deployc::renderDiagnosticsSARIF(llvm::raw_ostream &OS,
                                     const SourceManager &SM,
                                     llvm::ArrayRef<Diagnostic> Diags,
                                     llvm::StringRef ToolVersion) {
  // Rules: every code that occurs, in table order, so indices are stable.
  std::map<size_t, size_t> RuleIndex;
  for (const Diagnostic &D : Diags)
    RuleIndex[size_t(D.ID)] = 0;
  json Rules = json::array();
  for (auto &[ID, Index] : RuleIndex) {
    Index = Rules.size();
    const DiagInfo &Info = getDiagInfo(DiagID(ID));
    // The message template with its placeholders shown as "...".
    std::string Short;
    for (size_t I = 0; I < Info.Message.size(); ++I) {
      if (Info.Message[I] == '{' && I + 2 < Info.Message.size() &&
          llvm::isDigit(Info.Message[I + 1]) && Info.Message[I + 2] == '}') {
        Short += "...";
        I += 2;
        continue;
      }
      Short += Info.Message[I];
    }
    Rules.push_back(
        {{"id", Info.Code.str()},
         {"name", Info.Name.str()},
         {"shortDescription", {{"text", Short}}},
         {"help", {{"text", "run `deployc explain " + Info.Code.str() + "`"}}},
         {"defaultConfiguration", {{"level", sarifLevel(Info.DefaultSeverity).str()}}},
         {"properties", {{"stage", getStageName(Info.Stage).str()}}}});
  }
  json Results = json::array();
  for (const Diagnostic &D : Diags) {
    json R{{"ruleId", D.getCode().str()},
           {"ruleIndex", RuleIndex[size_t(D.ID)]},
           {"level", sarifLevel(D.Sev).str()},
           {"message", {{"text", D.Message}}}};
    if (D.Range.isValid())
      R["locations"] = json::array({sarifLocation(SM, D.Range)});
    json Related = json::array();
    for (const DiagNote &N : D.Notes) {
      if (!N.Range.isValid())
        continue;
      json L = sarifLocation(SM, N.Range);
      L["id"] = Related.size();
      L["message"] = {{"text", N.Message}};
      Related.push_back(std::move(L));
    }
    if (!Related.empty())
      R["relatedLocations"] = std::move(Related);
    if (!D.FixIts.empty()) {
      json Changes = json::array();
      for (const FixIt &F : D.FixIts)
        Changes.push_back(
            {{"artifactLocation", sarifArtifact(SM.getPath(F.Range.File))},
             {"replacements",
              json::array({{{"deletedRegion", sarifRegion(SM, F.Range)},
                            {"insertedContent", {{"text", F.Replacement}}}}})}});
      R["fixes"] = json::array(
          {{{"description", {{"text", "apply the suggested fix"}}},
            {"artifactChanges", std::move(Changes)}}});
    }
    Results.push_back(std::move(R));
  }
  json Run{{"tool",
            {{"driver",
              {{"name", "deployc"},
               {"version", ToolVersion.str()},
               {"rules", std::move(Rules)}}}}},
           {"columnKind", "unicodeCodePoints"},
           {"results", std::move(Results)}};
  json Log{{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
           {"version", "2.1.0"},
           {"runs", json::array({std::move(Run)})}};
  OS << Log.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
}

//===----------------------------------------------------------------------===//
// -verify
//===----------------------------------------------------------------------===//

namespace {

struct Expectation {
  FileID File;
  unsigned Line;
  unsigned DirectiveLine;
  Severity Sev;
  std::string Code;
  std::string Text;
  bool Matched = false;
};

struct Seen {
  FileID File;
  unsigned Line;
  Severity Sev;
  std::string Code;
  std::string Message;
  bool Matched = false;
};

} // namespace

bool deployc::verifyDiagnostics(llvm::raw_ostream &OS, const SourceManager &SM,
                                llvm::ArrayRef<FileID> Files,
                                llvm::ArrayRef<Diagnostic> Diags) {
  static const llvm::Regex Directive(
      "expected-(error|warning|note)(@[-+]?[0-9]+)?[ \t]*(D[0-9]{4})?[ \t]*"
      "\\{\\{(.*)$");
  std::vector<Expectation> Expected;
  std::set<FileID> FilesWithNotes;
  std::set<FileID> Checked(Files.begin(), Files.end());
  bool Ok = true;

  for (FileID F : Files) {
    bool SawAny = false, SawNone = false;
    for (unsigned L = 1, E = SM.getNumLines(F); L <= E; ++L) {
      llvm::StringRef Line = SM.getLineText(F, L);
      size_t Comment = std::min(Line.find("//"), Line.find("/*"));
      if (Comment == llvm::StringRef::npos)
        continue;
      llvm::StringRef Rest = Line.substr(Comment);
      if (Rest.contains("expected-no-diagnostics"))
        SawNone = true;
      size_t Pos;
      while ((Pos = Rest.find("expected-")) != llvm::StringRef::npos) {
        Rest = Rest.substr(Pos);
        llvm::SmallVector<llvm::StringRef, 5> M;
        if (!Directive.match(Rest, &M)) {
          // A directive that does not parse must fail the test, not vanish.
          if (Rest.startswith("expected-error") || Rest.startswith("expected-warning") ||
              Rest.startswith("expected-note")) {
            OS << SM.getPath(F) << ':' << L
               << ": error: malformed expected- directive; write `expected-error[@+N] "
                  "[Dxxxx] {{text}}`\n";
            Ok = false;
          }
          Rest = Rest.drop_front(9);
          continue;
        }
        llvm::StringRef Body = M[4];
        size_t Close = Body.find("}}");
        if (Close == llvm::StringRef::npos) {
          OS << SM.getPath(F) << ':' << L
             << ": error: missing `}}` in expected- directive\n";
          Ok = false;
          break;
        }
        Expectation X;
        X.File = F;
        X.DirectiveLine = L;
        X.Line = L;
        if (!M[2].empty()) {
          llvm::StringRef Loc = M[2].drop_front();
          int N = 0;
          if (Loc.startswith("+") || Loc.startswith("-")) {
            Loc.drop_front().getAsInteger(10, N);
            X.Line = Loc.startswith("-") ? L - N : L + N;
          } else {
            Loc.getAsInteger(10, N);
            X.Line = N;
          }
        }
        X.Sev = M[1] == "error" ? Severity::Error
                : M[1] == "warning" ? Severity::Warning
                                    : Severity::Note;
        if (X.Sev == Severity::Note)
          FilesWithNotes.insert(F);
        X.Code = M[3].str();
        X.Text = Body.take_front(Close).str();
        Expected.push_back(std::move(X));
        SawAny = true;
        Rest = Body.drop_front(Close + 2);
      }
    }
    if (SawNone && SawAny) {
      OS << SM.getPath(F)
         << ": error: expected-no-diagnostics together with expected- directives\n";
      Ok = false;
    }
  }

  std::vector<Seen> Actual;
  auto addSeen = [&](SourceRange R, Severity Sev, llvm::StringRef Code,
                     llvm::StringRef Msg) {
    Seen S{R.File, R.isValid() ? SM.getLineCol(R.File, R.Begin).Line : 0, Sev,
           Code.str(), Msg.str()};
    Actual.push_back(std::move(S));
  };
  for (const Diagnostic &D : Diags) {
    addSeen(D.Range, D.Sev, D.getCode(), D.Message);
    for (const DiagNote &N : D.Notes)
      addSeen(N.Range, Severity::Note, "", N.Message);
  }

  for (Expectation &X : Expected)
    for (Seen &S : Actual) {
      if (S.Matched || S.File != X.File || S.Line != X.Line || S.Sev != X.Sev)
        continue;
      if (!X.Code.empty() && X.Code != S.Code)
        continue;
      if (llvm::StringRef(S.Message).find(X.Text) == llvm::StringRef::npos)
        continue;
      S.Matched = X.Matched = true;
      break;
    }

  for (const Expectation &X : Expected)
    if (!X.Matched) {
      Ok = false;
      OS << "error: '" << getSeverityName(X.Sev)
         << "' diagnostic expected but not seen: " << SM.getPath(X.File)
         << " line " << X.Line << ": " << (X.Code.empty() ? "" : X.Code + " ")
         << X.Text << '\n';
    }
  for (const Seen &S : Actual) {
    if (S.Matched)
      continue;
    if (S.Sev == Severity::Note && !FilesWithNotes.count(S.File))
      continue;
    // Diagnostics in files outside the checked set (the stdlib) are still
    // unexpected: a test must not hide them.
    Ok = false;
    OS << "error: '" << getSeverityName(S.Sev)
       << "' diagnostic seen but not expected: ";
    if (S.File)
      OS << SM.getPath(S.File) << " line " << S.Line << ": ";
    OS << (S.Code.empty() ? "" : S.Code + " ") << S.Message << '\n';
  }
  return Ok;
}
