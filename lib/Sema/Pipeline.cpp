//===- Pipeline.cpp - The front end's passes, in order --------------------===//
//
// The one place the order of the passes is written down. Each pass hands the
// next a richer Program; none calls another.
//
//===----------------------------------------------------------------------===//

#include "deployc/Parse/Parser.h"
#include "deployc/Sema/Sema.h"
#include "llvm/Support/Timer.h"

using namespace deployc;
using namespace deployc::sema;

namespace {
struct PhaseName {
  Phase P;
  const char *Name;
};
const PhaseName PhaseNames[] = {
    {Phase::Parse, "parse"},         {Phase::Resolve, "resolve"},
    {Phase::TypeCheck, "typecheck"}, {Phase::Eval, "eval"},
    {Phase::Schema, "schema"},       {Phase::Reference, "reference"},
    {Phase::Security, "security"},   {Phase::Compatibility, "compatibility"},
};
} // namespace

std::optional<Phase> sema::lookupPhase(llvm::StringRef Name) {
  for (const PhaseName &P : PhaseNames)
    if (Name == P.Name)
      return P.P;
  return std::nullopt;
}

llvm::StringRef sema::getPhaseName(Phase P) {
  for (const PhaseName &N : PhaseNames)
    if (N.P == P)
      return N.Name;
  return "";
}

namespace {
/// `DEPLOYC_TIME_PASSES=1` prints the time of each pass (like -ftime-report).
struct PassTimers {
  bool Enabled = std::getenv("DEPLOYC_TIME_PASSES") != nullptr;
  llvm::TimerGroup Group{"deployc", "deployc front end passes"};
  std::vector<std::unique_ptr<llvm::Timer>> Timers;
  llvm::Timer *get(const char *Name) {
    if (!Enabled)
      return nullptr;
    Timers.push_back(std::make_unique<llvm::Timer>(Name, Name, Group));
    return Timers.back().get();
  }
};
} // namespace

std::unique_ptr<Program> sema::runFrontEnd(SourceManager &SM, DiagnosticEngine &Diags,
                                           llvm::ArrayRef<FileID> InputFiles,
                                           const FrontEndOptions &Opts) {
  PassTimers Timers;
  auto timed = [&](const char *Name, auto &&Fn) {
    llvm::Timer *T = Timers.get(Name);
    if (T)
      T->startTimer();
    Fn();
    if (T)
      T->stopTimer();
  };
  auto P = std::make_unique<Program>(SM, Diags);
  timed("parse inputs", [&] {
    for (FileID F : InputFiles) {
      ast::Module *M = Opts.LoadModule
                           ? Opts.LoadModule(SM.getPath(F), SM.getBuffer(F).str(), SM, Diags)
                           : parse::parseModule(SM, F, P->Ctx, Diags);
      P->Modules.push_back(M);
      P->UserFiles.push_back(M->File);
    }
  });
  auto stopAfter = [&](Phase Ph) { return Opts.StopAfter == Ph || Diags.hasReachedErrorLimit(); };
  if (stopAfter(Phase::Parse))
    return P;

  // Imports before declarations: the symbol table spans every loaded module.
  timed("imports", [&] { loadImports(*P, Opts); });
  // Declarations before types: bodies refer to names declared anywhere.
  timed("declarations", [&] { collectDeclarations(*P); });
  if (stopAfter(Phase::Resolve))
    return P;

  // Types before evaluation: evaluation trusts resolutions and types.
  timed("types", [&] { checkTypes(*P); });
  if (stopAfter(Phase::TypeCheck))
    return P;

  timed("evaluation", [&] { evaluateEnvironments(*P, Opts); });
  if (stopAfter(Phase::Eval))
    return P;

  // The four validation stages, in the order the language defines. Later stages
  // assume the shape the earlier ones check, but all run, so one pass reports
  // every independent problem; checks skip values that failed earlier.
  timed("schema stage", [&] { runSchemaStage(*P); });
  if (stopAfter(Phase::Schema))
    return P;
  timed("reference stage", [&] { runReferenceStage(*P); });
  if (stopAfter(Phase::Reference))
    return P;
  timed("security stage", [&] { runSecurityStage(*P); });
  if (stopAfter(Phase::Security))
    return P;
  timed("compatibility stage", [&] { runCompatibilityStage(*P); });
  return P;
}
