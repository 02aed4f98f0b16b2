//===- Diagnostic.h - Diagnostic ids, records and the engine ------*- C++ -*-===//
//
// Diagnostics are defined once in DiagnosticKinds.def and referenced by DiagID.
// Phases report into a DiagnosticEngine, which formats the message, applies
// -Werror and the error limit, drops exact duplicates (a base value checked once
// per environment must not be reported three times) and keeps the records for a
// renderer (text, JSON, SARIF) or the -verify checker.
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_BASIC_DIAGNOSTIC_H
#define DEPLOYC_BASIC_DIAGNOSTIC_H

#include "deployc/Basic/SourceManager.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace deployc {

enum class DiagID : uint16_t {
#define DIAG(Name, Code, Severity, Stage, Message) Name,
#define NOTE(Name, Message) Name,
#include "deployc/Basic/DiagnosticKinds.def"
  NumDiagIDs
};

enum class Severity : uint8_t { Note, Warning, Error };

/// The phase or validation stage a diagnostic belongs to, in pipeline order.
enum class DiagStage : uint8_t {
  None,
  Driver,
  Syntax,
  Import,
  Resolve,
  Type,
  Eval,
  Schema,
  Reference,
  Security,
  Compatibility,
  Emit,
  Engine ///< Running what was applied (`apply`, the local engine).
};

struct DiagInfo {
  llvm::StringRef Name;
  llvm::StringRef Code; ///< Empty for notes.
  Severity DefaultSeverity;
  DiagStage Stage;
  llvm::StringRef Message;
};

const DiagInfo &getDiagInfo(DiagID ID);
llvm::ArrayRef<DiagInfo> getAllDiagInfos();
std::optional<DiagID> lookupDiagCode(llvm::StringRef Code);
llvm::StringRef getStageName(DiagStage Stage);
llvm::StringRef getSeverityName(Severity Sev);

/// The long explanation of a code (docs/diagnostics/<CODE>.md, embedded at
/// build time); empty when there is none.
llvm::StringRef getDiagExplanation(llvm::StringRef Code);

/// Substitutes {0}, {1}, ... in Format. `{{` is not special: messages never
/// need literal braces next to digits.
std::string formatDiagMessage(llvm::StringRef Format,
                              llvm::ArrayRef<std::string> Args);

struct FixIt {
  SourceRange Range;
  std::string Replacement;
};

struct DiagNote {
  SourceRange Range;
  std::string Message;
};

struct Diagnostic {
  DiagID ID;
  Severity Sev;
  SourceRange Range;
  std::string Message;
  std::vector<DiagNote> Notes;
  std::vector<FixIt> FixIts;

  llvm::StringRef getCode() const { return getDiagInfo(ID).Code; }
};

class DiagnosticEngine;

/// Collects notes and fix-its for one diagnostic; commits it when destroyed.
class DiagnosticBuilder {
public:
  DiagnosticBuilder(DiagnosticEngine *Engine, Diagnostic D)
      : Engine(Engine), D(std::move(D)) {}
  DiagnosticBuilder(DiagnosticBuilder &&Other) noexcept
      : Engine(Other.Engine), D(std::move(Other.D)) {
    Other.Engine = nullptr;
  }
  DiagnosticBuilder(const DiagnosticBuilder &) = delete;
  DiagnosticBuilder &operator=(const DiagnosticBuilder &) = delete;
  ~DiagnosticBuilder();

  DiagnosticBuilder &note(DiagID Note, SourceRange Range,
                          std::initializer_list<std::string> Args = {});
  DiagnosticBuilder &fixIt(SourceRange Range, std::string Replacement);

private:
  DiagnosticEngine *Engine;
  Diagnostic D;
};

class DiagnosticEngine {
public:
  explicit DiagnosticEngine(const SourceManager &SM) : SM(SM) {}

  DiagnosticBuilder report(DiagID ID, SourceRange Range,
                           std::initializer_list<std::string> Args = {});

  /// Reports an already-formed diagnostic again (from a cached parse).
  void replay(const Diagnostic &D) { commit(D); }

  /// Every later diagnostic reported at exactly At gets Note: where a value
  /// used at At was written (a parameter's default, say). The first note
  /// registered for a place is kept.
  void addLocationNote(SourceRange At, DiagNote Note);

  void setWarningsAsErrors(bool Value) { WarningsAsErrors = Value; }
  /// 0 means no limit.
  void setErrorLimit(unsigned Limit) { ErrorLimit = Limit; }
  /// Suppresses everything while set (used to evaluate speculatively).
  void setSuppressAll(bool Value) { SuppressAll = Value; }

  bool hasErrors() const { return NumErrors != 0; }
  unsigned getNumErrors() const { return NumErrors; }
  unsigned getNumWarnings() const { return NumWarnings; }
  /// True once the error limit was hit; phases may stop early.
  bool hasReachedErrorLimit() const { return LimitReached; }

  llvm::ArrayRef<Diagnostic> getDiagnostics() const { return Diags; }
  /// Removes the diagnostics from position Begin on and returns them; with
  /// appendTaken, passes that run interleaved still report in their own order.
  std::vector<Diagnostic> takeDiagnostics(size_t Begin);
  /// Puts back diagnostics taken before (they stay counted).
  void appendTaken(std::vector<Diagnostic> Taken);
  const SourceManager &getSourceManager() const { return SM; }
  void clear();

private:
  friend class DiagnosticBuilder;
  void commit(Diagnostic D);

  const SourceManager &SM;
  std::vector<Diagnostic> Diags;
  std::set<std::tuple<uint16_t, FileID, uint32_t, uint32_t, std::string>> Seen;
  std::map<std::tuple<FileID, uint32_t, uint32_t>, DiagNote> LocationNotes;
  unsigned NumErrors = 0;
  unsigned NumWarnings = 0;
  unsigned ErrorLimit = 0;
  bool WarningsAsErrors = false;
  bool LimitReached = false;
  bool SuppressAll = false;
};

/// "; did you mean `X`?" when a candidate is close to Name, else "". Suggestion
/// receives the chosen candidate for a fix-it.
std::string didYouMean(llvm::StringRef Name,
                       llvm::ArrayRef<std::string> Candidates,
                       std::string *Suggestion = nullptr);

/// The items as alternatives in a message: "`a`, `b` or `c`" (without
/// backticks when Quote is false).
std::string joinAlternatives(llvm::ArrayRef<std::string> Items, bool Quote = true);

} // namespace deployc

#endif
