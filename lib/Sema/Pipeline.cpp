//===- Pipeline.cpp - The front end's passes, in order --------------------===//
//
// The one place the order of the passes is written down. Each pass hands the
// next a richer Program; none calls another.
//
//===----------------------------------------------------------------------===//

#include "deployc/Parse/Parser.h"
#include "deployc/Sema/Sema.h"

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

std::unique_ptr<Program> sema::runFrontEnd(SourceManager &SM, DiagnosticEngine &Diags,
                                           llvm::ArrayRef<FileID> InputFiles,
                                           const FrontEndOptions &Opts) {
  auto P = std::make_unique<Program>(SM, Diags);
  for (FileID F : InputFiles) {
    ast::Module *M = parse::parseModule(SM, F, P->Ctx, Diags);
    P->Modules.push_back(M);
    P->UserFiles.push_back(F);
  }
  auto stopAfter = [&](Phase Ph) { return Opts.StopAfter == Ph || Diags.hasReachedErrorLimit(); };
  if (stopAfter(Phase::Parse))
    return P;

  // Imports before declarations: the symbol table spans every loaded module.
  loadImports(*P, Opts);
  // Declarations before types: bodies refer to names declared anywhere.
  collectDeclarations(*P);
  if (stopAfter(Phase::Resolve))
    return P;

  // Types before evaluation: evaluation trusts resolutions and types.
  checkTypes(*P);
  if (stopAfter(Phase::TypeCheck))
    return P;

  evaluateEnvironments(*P, Opts);
  if (stopAfter(Phase::Eval))
    return P;

  // The four validation stages, in the order the language defines. Later stages
  // assume the shape the earlier ones check, but all run, so one pass reports
  // every independent problem; checks skip values that failed earlier.
  runSchemaStage(*P);
  if (stopAfter(Phase::Schema))
    return P;
  runReferenceStage(*P);
  if (stopAfter(Phase::Reference))
    return P;
  runSecurityStage(*P);
  if (stopAfter(Phase::Security))
    return P;
  runCompatibilityStage(*P);
  return P;
}
