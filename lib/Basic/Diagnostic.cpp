//===- Diagnostic.cpp - Diagnostic table and engine -----------------------===//

#include "deployc/Basic/Diagnostic.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

using namespace deployc;

static constexpr DiagInfo DiagTable[] = {
#define DIAG(Name, Code, Sev, Stage, Message)                                  \
  {#Name, Code, Severity::Sev, DiagStage::Stage, Message},
#define NOTE(Name, Message) {#Name, "", Severity::Note, DiagStage::None, Message},
#include "deployc/Basic/DiagnosticKinds.def"
};

static_assert(std::size(DiagTable) == size_t(DiagID::NumDiagIDs),
              "diagnostic table out of sync");

const DiagInfo &deployc::getDiagInfo(DiagID ID) {
  return DiagTable[size_t(ID)];
}

llvm::ArrayRef<DiagInfo> deployc::getAllDiagInfos() { return DiagTable; }

std::optional<DiagID> deployc::lookupDiagCode(llvm::StringRef Code) {
  for (size_t I = 0; I != std::size(DiagTable); ++I)
    if (!DiagTable[I].Code.empty() && DiagTable[I].Code.equals_insensitive(Code))
      return DiagID(I);
  return std::nullopt;
}

llvm::StringRef deployc::getStageName(DiagStage Stage) {
  switch (Stage) {
  case DiagStage::None: return "note";
  case DiagStage::Driver: return "driver";
  case DiagStage::Syntax: return "syntax";
  case DiagStage::Import: return "import";
  case DiagStage::Resolve: return "resolve";
  case DiagStage::Type: return "type";
  case DiagStage::Eval: return "eval";
  case DiagStage::Schema: return "schema";
  case DiagStage::Reference: return "reference";
  case DiagStage::Security: return "security";
  case DiagStage::Compatibility: return "compatibility";
  case DiagStage::Emit: return "emit";
  case DiagStage::Engine: return "engine";
  }
  return "";
}

llvm::StringRef deployc::getSeverityName(Severity Sev) {
  switch (Sev) {
  case Severity::Note: return "note";
  case Severity::Warning: return "warning";
  case Severity::Error: return "error";
  }
  return "";
}

std::string deployc::formatDiagMessage(llvm::StringRef Format,
                                       llvm::ArrayRef<std::string> Args) {
  std::string Out;
  Out.reserve(Format.size() + 16);
  for (size_t I = 0; I < Format.size(); ++I) {
    char C = Format[I];
    if (C == '{' && I + 2 < Format.size() && llvm::isDigit(Format[I + 1]) &&
        Format[I + 2] == '}') {
      unsigned Index = Format[I + 1] - '0';
      if (Index < Args.size())
        Out += Args[Index];
      I += 2;
      continue;
    }
    Out += C;
  }
  return Out;
}

DiagnosticBuilder::~DiagnosticBuilder() {
  if (Engine)
    Engine->commit(std::move(D));
}

DiagnosticBuilder &DiagnosticBuilder::note(DiagID Note, SourceRange Range,
                                           std::initializer_list<std::string> Args) {
  D.Notes.push_back(
      {Range, formatDiagMessage(getDiagInfo(Note).Message,
                                std::vector<std::string>(Args))});
  return *this;
}

DiagnosticBuilder &DiagnosticBuilder::fixIt(SourceRange Range,
                                            std::string Replacement) {
  D.FixIts.push_back({Range, std::move(Replacement)});
  return *this;
}

DiagnosticBuilder DiagnosticEngine::report(DiagID ID, SourceRange Range,
                                           std::initializer_list<std::string> Args) {
  const DiagInfo &Info = getDiagInfo(ID);
  Diagnostic D;
  D.ID = ID;
  D.Sev = Info.DefaultSeverity;
  D.Range = Range;
  D.Message = formatDiagMessage(Info.Message, std::vector<std::string>(Args));
  return DiagnosticBuilder(this, std::move(D));
}

std::vector<Diagnostic> DiagnosticEngine::takeDiagnostics(size_t Begin) {
  std::vector<Diagnostic> Taken(std::make_move_iterator(Diags.begin() + Begin),
                                std::make_move_iterator(Diags.end()));
  Diags.erase(Diags.begin() + Begin, Diags.end());
  return Taken;
}

void DiagnosticEngine::appendTaken(std::vector<Diagnostic> Taken) {
  Diags.insert(Diags.end(), std::make_move_iterator(Taken.begin()),
               std::make_move_iterator(Taken.end()));
}

void DiagnosticEngine::commit(Diagnostic D) {
  if (SuppressAll || LimitReached)
    return;
  if (D.Sev == Severity::Warning && WarningsAsErrors)
    D.Sev = Severity::Error;
  auto Key = std::make_tuple(uint16_t(D.ID), D.Range.File, D.Range.Begin,
                             D.Range.End, D.Message);
  if (!Seen.insert(std::move(Key)).second)
    return;
  if (D.Sev != Severity::Note && !LocationNotes.empty()) {
    auto It = LocationNotes.find({D.Range.File, D.Range.Begin, D.Range.End});
    if (It != LocationNotes.end())
      D.Notes.push_back(It->second);
  }
  if (D.Sev == Severity::Error) {
    if (ErrorLimit && NumErrors >= ErrorLimit) {
      LimitReached = true;
      Diagnostic Stop;
      Stop.ID = DiagID::TooManyErrors;
      Stop.Sev = Severity::Error;
      Stop.Message = std::string(getDiagInfo(DiagID::TooManyErrors).Message);
      Diags.push_back(std::move(Stop));
      return;
    }
    ++NumErrors;
  } else if (D.Sev == Severity::Warning) {
    ++NumWarnings;
  }
  Diags.push_back(std::move(D));
}

void DiagnosticEngine::addLocationNote(SourceRange At, DiagNote Note) {
  if (At.isValid())
    LocationNotes.try_emplace({At.File, At.Begin, At.End}, std::move(Note));
}

void DiagnosticEngine::clear() {
  Diags.clear();
  Seen.clear();
  LocationNotes.clear();
  NumErrors = NumWarnings = 0;
  LimitReached = false;
}

std::string deployc::didYouMean(llvm::StringRef Name,
                                llvm::ArrayRef<std::string> Candidates,
                                std::string *Suggestion) {
  // Allow roughly one edit per three characters, as clang's typo correction does.
  unsigned MaxDistance = std::max<unsigned>(1, (Name.size() + 2) / 3);
  const std::string *Best = nullptr;
  unsigned BestDistance = MaxDistance + 1;
  for (const std::string &C : Candidates) {
    if (C == Name)
      continue;
    unsigned D = Name.edit_distance(C, /*AllowReplacements=*/true, MaxDistance);
    // Case-only differences are the likeliest typo of all.
    if (Name.equals_insensitive(C))
      D = 0;
    if (D < BestDistance) {
      BestDistance = D;
      Best = &C;
    }
  }
  if (!Best)
    return "";
  if (Suggestion)
    *Suggestion = *Best;
  return "; did you mean `" + *Best + "`?";
}

std::string deployc::joinAlternatives(llvm::ArrayRef<std::string> Items, bool Quote) {
  std::string Out;
  for (size_t I = 0; I < Items.size(); ++I) {
    if (I)
      Out += I + 1 == Items.size() ? " or " : ", ";
    Out += Quote ? "`" + Items[I] + "`" : Items[I];
  }
  return Out;
}
