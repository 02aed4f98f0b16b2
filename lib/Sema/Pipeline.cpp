//===- Pipeline.cpp - The front end's passes, in order --------------------===//
//
// The one place the order of the passes is written down. Each pass hands the
// next a richer Program; none calls another.
//
//===----------------------------------------------------------------------===//

#include "deployc/Parse/Parser.h"
#include "deployc/Sema/Sema.h"
#include "llvm/Support/Timer.h"
#include <map>

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
  /// One timer per pass, accumulating over the environments it runs on.
  std::map<std::string, std::unique_ptr<llvm::Timer>> Timers;
  llvm::Timer *get(const char *Name) {
    if (!Enabled)
      return nullptr;
    auto &T = Timers[Name];
    if (!T)
      T = std::make_unique<llvm::Timer>(Name, Name, Group);
    return T.get();
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
  // Most of the expression types serve only the language server; evaluation
  // is where memory peaks.
  if (Opts.Keeps != FrontEndOptions::Keep::Everything)
    P->dropTypesEvaluationIgnores();

  // Each environment is validated as soon as it is evaluated, so that with
  // Keep::Diagnostics memory holds the values of one environment at a time. All
  // stages run, so one pass reports every independent problem; checks skip
  // values that failed earlier. Diagnostics are regrouped so that they read as
  // if each stage ran over every environment before the next one: evaluation,
  // then the four validation stages in the order the language defines.
  enum StageIndex { Evaluation, Schema, Reference, Security, Compatibility, NumStages };
  const Phase StagePhases[NumStages] = {Phase::Eval, Phase::Schema, Phase::Reference,
                                        Phase::Security, Phase::Compatibility};
  const char *StageNames[NumStages] = {"evaluation", "schema stage", "reference stage",
                                       "security stage", "compatibility stage"};
  size_t Base = Diags.getDiagnostics().size();
  std::vector<Diagnostic> ByStage[NumStages];
  auto collect = [&](StageIndex S) {
    for (Diagnostic &D : Diags.takeDiagnostics(Base))
      ByStage[S].push_back(std::move(D));
  };
  auto runs = [&](StageIndex S) {
    return StagePhases[S] <= Opts.StopAfter && !Diags.hasReachedErrorLimit();
  };
  auto validate = [&](EnvironmentModel &M) {
    collect(Evaluation);
    // The evaluation timer pauses while this environment is validated.
    llvm::Timer *EvalTimer = Timers.get(StageNames[Evaluation]);
    if (EvalTimer)
      EvalTimer->stopTimer();
    auto stage = [&](StageIndex S, void (*Run)(Program &, const EnvironmentModel &)) {
      if (!runs(S))
        return;
      timed(StageNames[S], [&] { Run(*P, M); });
      collect(S);
    };
    stage(Schema, runSchemaStage);
    stage(Reference, runReferenceStage);
    stage(Security, runSecurityStage);
    stage(Compatibility, runCompatibilityStage);
    if (Opts.Keeps == FrontEndOptions::Keep::Diagnostics)
      M.dropValues();
    if (EvalTimer)
      EvalTimer->startTimer();
  };
  timed(StageNames[Evaluation], [&] { evaluateEnvironments(*P, Opts, validate); });
  collect(Evaluation);
  if (Opts.Keeps != FrontEndOptions::Keep::Everything)
    P->dropTypeFacts();
  if (runs(Reference)) {
    // Unused declarations lead the reference stage, as when it ran on its own.
    checkUnusedDeclarations(*P);
    std::vector<Diagnostic> Unused = Diags.takeDiagnostics(Base);
    ByStage[Reference].insert(ByStage[Reference].begin(),
                              std::make_move_iterator(Unused.begin()),
                              std::make_move_iterator(Unused.end()));
  }
  for (std::vector<Diagnostic> &Stage : ByStage)
    Diags.appendTaken(std::move(Stage));
  return P;
}
