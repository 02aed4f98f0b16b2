//===- HelmCommand.cpp - deployc emit --format=helm -------------------------===//
//
// A chart per environment. Its templates are the environment's manifests as
// `emit` writes them, with each string parameter that can be a value
// replaced by a `.Values` reference. Which can is found by rendering: a
// parameter rendered as two different markers must give the same manifests
// but for the markers, and as its value the manifests of the plain run (a
// parameter hashed into a checksum, or checked against a pattern, cannot);
// the others stay fixed at their values, and values.yaml says so.
//
//===----------------------------------------------------------------------===//

#include "Compilation.h"
#include "deployc/Emit/Emit.h"
#include "deployc/Emit/Helm.h"
#include "deployc/Interp/OutputWriter.h"
#include "deployc/Plan/Plan.h"
#include "llvm/Support/Path.h"
#include <map>

using namespace deployc;
using namespace deployc::driver;

namespace {

/// Each environment's manifest files (name in templates/ to text), in order.
using Rendered = std::vector<std::pair<std::string, std::vector<emit::EmittedFile>>>;

struct Render {
  Rendered Envs;
  /// The string parameters and their values, and the other parameters.
  std::vector<std::pair<std::string, std::string>> StringParams;
  std::vector<std::string> OtherParams;
};

/// The manifests for Opts; nothing when the spec has errors, which Err
/// shows when given.
std::optional<Render> render(const DriverOptions &Opts, llvm::raw_ostream *Err, int &Code) {
  Compilation C(Opts);
  bool Loaded = C.loadInputs();
  llvm::raw_ostream &Diag = Err ? *Err : llvm::nulls();
  auto fail = [&](int Why) -> std::optional<Render> {
    Code = Why;
    if (Err) {
      renderDiagnosticsText(*Err, C.SM, C.Diags.getDiagnostics(), C.useColor(*Err));
      renderDiagnosticSummary(*Err, C.Diags.getNumErrors(), C.Diags.getNumWarnings());
    }
    return std::nullopt;
  };
  if (!C.runFrontEnd(sema::Phase::All, Diag, sema::FrontEndOptions::Keep::Values))
    return fail(ExitUsage);
  if (!Loaded || C.hasUsageErrors())
    return fail(ExitUsage);
  if (C.Diags.hasErrors())
    return fail(ExitErrors);
  Render R;
  if (!C.Prog->Environments.empty())
    for (const auto &[Name, V] : C.Prog->Environments.front().Params)
      if (V.is(sema::Value::Kind::String))
        R.StringParams.emplace_back(Name, V.getString());
      else
        R.OtherParams.push_back(Name);
  for (size_t I = 0, N = C.Prog->Environments.size(); I != N; ++I) {
    plan::Environment Env = plan::lowerEnvironment(*C.Prog, C.Prog->Environments[I]);
    if (!emitsManifests(C.Diags, Env, Opts))
      continue;
    // A chart is installed on its own: it carries the cluster-scoped
    // objects it needs.
    emit::ClusterObjects Cluster;
    std::vector<emit::EmittedFile> Files;
    for (emit::EmittedFile &F : emit::emitKubernetes(Env, C.Diags, Opts.Jobs, &Cluster))
      if (!emit::isKustomization(F))
        Files.push_back({llvm::sys::path::filename(F.Path).str(), std::move(F.Contents)});
    std::string ClusterText = Cluster.stream();
    if (!ClusterText.empty())
      Files.insert(Files.begin(), {"cluster-scoped.yaml", std::move(ClusterText)});
    R.Envs.emplace_back(Env.Name, std::move(Files));
  }
  if (C.Diags.hasErrors())
    return fail(ExitErrors);
  if (Err && C.Diags.getNumWarnings())
    renderDiagnosticsText(*Err, C.SM, C.Diags.getDiagnostics(), C.useColor(*Err));
  return R;
}

std::string replaceAll(std::string Text, llvm::StringRef From, llvm::StringRef To) {
  for (size_t Pos = 0; (Pos = Text.find(From.data(), Pos, From.size())) != std::string::npos;
       Pos += To.size())
    Text.replace(Pos, From.size(), To.data(), To.size());
  return Text;
}

/// Whether Marked, with each marker of Values replaced by Replacement(V),
/// is Expected, file for file.
template <typename Fn>
bool sameBut(const Rendered &Marked, const Rendered &Expected,
             const std::vector<emit::HelmValue> &Values, Fn Replacement) {
  if (Marked.size() != Expected.size())
    return false;
  for (size_t E = 0; E != Marked.size(); ++E) {
    const auto &A = Marked[E].second, &B = Expected[E].second;
    if (A.size() != B.size())
      return false;
    for (size_t F = 0; F != A.size(); ++F) {
      std::string Text = A[F].Contents;
      for (const emit::HelmValue &V : Values)
        Text = replaceAll(std::move(Text), V.Marker, Replacement(V));
      if (A[F].Path != B[F].Path || Text != B[F].Contents)
        return false;
    }
  }
  return true;
}

bool mentions(const Rendered &R, llvm::StringRef Marker) {
  for (const auto &[Env, Files] : R)
    for (const emit::EmittedFile &F : Files)
      if (F.Contents.find(Marker.str()) != std::string::npos)
        return true;
  return false;
}

DriverOptions withValues(DriverOptions Opts, const std::vector<emit::HelmValue> &Values,
                         unsigned Variant) {
  for (const emit::HelmValue &V : Values)
    Opts.Overrides.push_back(V.Name + "=" + emit::helmMarker(&V - Values.data(), Variant));
  return Opts;
}

} // namespace

int driver::runEmitHelm(const DriverOptions &Opts, llvm::StringRef OutDir,
                        llvm::raw_ostream &Err) {
  int Code = ExitSuccess;
  std::optional<Render> Base = render(Opts, &Err, Code);
  if (!Base)
    return Code;

  // Which parameters can be values, one at a time.
  std::vector<emit::HelmValue> Values;
  std::vector<std::pair<std::string, std::string>> Fixed;
  for (const std::string &Name : Base->OtherParams)
    Fixed.emplace_back(Name, "only string parameters are values");
  for (const auto &[Name, Value] : Base->StringParams) {
    std::vector<emit::HelmValue> One{{Name, emit::helmMarker(0, 0), Value}};
    int Ignored;
    std::optional<Render> A = render(withValues(Opts, One, 0), nullptr, Ignored);
    std::optional<Render> B = render(withValues(Opts, One, 1), nullptr, Ignored);
    if (!A || !B) {
      Fixed.emplace_back(Name, "the spec checks its value");
      continue;
    }
    if (!mentions(A->Envs, One[0].Marker)) {
      Fixed.emplace_back(Name, "no manifest uses it");
      continue;
    }
    std::string Other = emit::helmMarker(0, 1);
    if (!sameBut(A->Envs, B->Envs, One, [&](const emit::HelmValue &) { return Other; }) ||
        !sameBut(A->Envs, Base->Envs, One, [](const emit::HelmValue &V) { return V.Default; })) {
      Fixed.emplace_back(Name, "the manifests derive more than its text from it");
      continue;
    }
    Values.push_back({Name, "", Value});
  }
  for (emit::HelmValue &V : Values)
    V.Marker = emit::helmMarker(&V - Values.data(), 0);

  // All of them at once; that must give the plain manifests back.
  Rendered Templates = Base->Envs;
  if (!Values.empty()) {
    int Ignored;
    std::optional<Render> All = render(withValues(Opts, Values, 0), nullptr, Ignored);
    if (All && sameBut(All->Envs, Base->Envs, Values,
                       [](const emit::HelmValue &V) { return V.Default; })) {
      Templates = std::move(All->Envs);
    } else {
      for (const emit::HelmValue &V : Values)
        Fixed.emplace_back(V.Name, "the parameters together change the manifests");
      Values.clear();
    }
  }

  auto Writer = interp::AtomicDirectoryWriter::create(OutDir);
  std::string Failure;
  if (!Writer)
    Failure = llvm::toString(Writer.takeError());
  std::string Stem = llvm::sys::path::stem(Opts.Inputs.front()).str();
  for (const auto &[Env, Files] : Templates) {
    if (!Failure.empty())
      break;
    // Helm wants the chart's folder named as the chart.
    std::string Name = sema::kubernetesName(Stem + "-" + Env);
    std::string Folder = "helm/" + Name + "/";
    std::vector<emit::EmittedFile> Chart;
    Chart.push_back({Folder + "Chart.yaml",
                     emit::helmChartFile(Name,
                                         "Environment `" + Env + "` of " + Stem +
                                             ".deploy, emitted by deployc")});
    Chart.push_back({Folder + "values.yaml", emit::helmValuesFile(Values, Fixed)});
    for (const emit::EmittedFile &F : Files) {
      std::optional<std::string> T = emit::helmTemplate(F.Contents, Values);
      // A marker where no value can go: the file keeps the values it was
      // emitted with (the plain manifests, escaped).
      if (!T) {
        for (const auto &[BaseEnv, BaseFiles] : Base->Envs)
          if (BaseEnv == Env)
            for (const emit::EmittedFile &P : BaseFiles)
              if (P.Path == F.Path)
                T = emit::helmTemplate(P.Contents, {});
      }
      Chart.push_back({Folder + "templates/" + F.Path, T ? *T : std::string()});
    }
    for (const emit::EmittedFile &F : Chart)
      if (llvm::Error E = (*Writer)->add(F)) {
        Failure = llvm::toString(std::move(E));
        break;
      }
  }
  if (Failure.empty())
    if (llvm::Error E = (*Writer)->commit())
      Failure = llvm::toString(std::move(E));
  if (!Failure.empty()) {
    SourceManager SM;
    DiagnosticEngine Diags(SM);
    Diags.report(DiagID::CannotWriteOutput, {}, {OutDir.str(), Failure});
    renderDiagnosticsText(Err, SM, Diags.getDiagnostics(), useColor(Opts.Color, Err));
    renderDiagnosticSummary(Err, Diags.getNumErrors(), Diags.getNumWarnings());
    return ExitUsage;
  }
  return ExitSuccess;
}
