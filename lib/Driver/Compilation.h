//===- Compilation.h - One run of the front end for a command -----*- C++ -*-===//
#ifndef DEPLOYC_LIB_DRIVER_COMPILATION_H
#define DEPLOYC_LIB_DRIVER_COMPILATION_H

#include "deployc/Driver/Driver.h"
#include "deployc/Parse/Parser.h"
#include "deployc/Sema/Sema.h"
#include "deployc/Plan/Plan.h"
#include "llvm/Support/BuryPointer.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Process.h"

namespace deployc::driver {

/// Whether text on Err is coloured: `--color=auto` colours a terminal unless
/// NO_COLOR is set to anything non-empty (https://no-color.org).
/// Reports D7007 for the embedded() secrets of an environment whose
/// manifests go to a cluster; with CanEncrypt (a command that reads the
/// vault), only when the environment has no age recipients to deliver them to.
void reportEmbeddedSecrets(DiagnosticEngine &Diags, const plan::Environment &Env,
                           bool CanEncrypt = false);

/// Whether `emit` writes Kubernetes manifests for Env: not for one that runs
/// only on this machine (D7008 when it was asked for by name). For those it
/// writes, its embedded secrets are reported (D7007).
bool emitsManifests(DiagnosticEngine &Diags, const plan::Environment &Env,
                    const DriverOptions &Opts);

inline bool useColor(ColorMode Mode, llvm::raw_ostream &Err) {
  switch (Mode) {
  case ColorMode::Always: return true;
  case ColorMode::Never: return false;
  case ColorMode::Auto: {
    auto NoColor = llvm::sys::Process::GetEnv("NO_COLOR");
    return Err.has_colors() && (!NoColor || NoColor->empty());
  }
  }
  return false;
}

/// Whether D is a mistake on the command line rather than in the spec: an
/// unknown `--env`, or a `--set` that is malformed, names no parameter or
/// gives a value its type cannot read. check, eval and emit exit with 2 for
/// them, like other usage errors, when the spec has no errors of its own: a
/// spec that does not parse may have lost the environment named.
/// Compared by their stable codes: naming their DiagIDs here would count as a
/// second reporting place (test/check_diagnostics.py).
inline bool isUsageDiagnostic(const Diagnostic &D) {
  llvm::StringRef Code = D.getCode();
  return Code == "D0002" || Code == "D0003" || Code == "D0004" || Code == "D0005";
}

/// Whether Diags hold a usage error (isUsageDiagnostic) and no other error.
inline bool isUsageErrorOnly(llvm::ArrayRef<Diagnostic> Diags) {
  bool Usage = false;
  for (const Diagnostic &D : Diags) {
    if (isUsageDiagnostic(D))
      Usage = true;
    else if (D.Sev == Severity::Error && D.ID != DiagID::TooManyErrors)
      return false;
  }
  return Usage;
}

/// One run of the front end over the inputs.
struct Compilation {
  explicit Compilation(const DriverOptions &Opts) : Opts(Opts), Diags(SM) {
    Diags.setWarningsAsErrors(Opts.WarningsAsErrors);
    Diags.setErrorLimit(Opts.ErrorLimit);
  }
  ~Compilation() {
    if (Opts.DisableFree)
      llvm::BuryPointer(std::move(Prog));
  }
  Compilation(const Compilation &) = delete;
  Compilation &operator=(const Compilation &) = delete;

  /// Reads and parses the inputs; false on an I/O error (exit code 2).
  bool loadInputs() {
    bool Ok = true;
    for (const std::string &Path : Opts.Inputs) {
      auto Text = Path == "-" ? readStandardInput() : readInputFile(Path);
      if (!Text) {
        Diags.report(DiagID::CannotReadFile, {}, {Path, llvm::toString(Text.takeError())});
        Ok = false;
        continue;
      }
      FileID F = SM.addBuffer(Path == "-" ? "<stdin>" : Path, std::move(*Text));
      InputFiles.push_back(F);
      int64_t Bad = parse::findInvalidUTF8(SM.getBuffer(F));
      if (Bad >= 0)
        Diags.report(DiagID::InvalidUTF8, {F, uint32_t(Bad), uint32_t(Bad + 1)},
                     {Path, std::to_string(Bad)});
    }
    return Ok;
  }

  /// Runs the front end up to StopAfter (or --stop-after when earlier).
  /// Keeps says what the command reads afterwards (see FrontEndOptions).
  /// Returns false on a usage error in the options.
  bool runFrontEnd(sema::Phase StopAfter, llvm::raw_ostream &Err,
                   sema::FrontEndOptions::Keep Keeps = sema::FrontEndOptions::Keep::Everything) {
    sema::FrontEndOptions FO;
    FO.Keeps = Keeps;
    FO.StdlibPath = Opts.StdlibPath;
    FO.OnlyEnvironment = Opts.Environment;
    FO.StopAfter = StopAfter;
    if (!Opts.StopAfter.empty()) {
      auto Ph = sema::lookupPhase(Opts.StopAfter);
      if (!Ph) {
        Err << "deployc: error: unknown phase `" << Opts.StopAfter
            << "` for --stop-after; phases are parse, resolve, typecheck, eval, "
               "schema, reference, security, compatibility\n";
        return false;
      }
      FO.StopAfter = std::min(*Ph, StopAfter);
    }
    for (const std::string &S : Opts.Overrides) {
      size_t Eq = S.find('=');
      if (Eq == std::string::npos || Eq == 0) {
        Diags.report(DiagID::MalformedSetOption, {}, {S});
        continue;
      }
      std::string Name = S.substr(0, Eq), Value = S.substr(Eq + 1);
      // The value would end up in JSON and YAML, which hold UTF-8 only. The
      // escaped text stands in for it, so that the parameter still has a
      // value (no "has no value" error follows).
      if (int64_t Bad = parse::findInvalidUTF8(Value); Bad >= 0) {
        Value = escapeInvalidUTF8(Value);
        Diags.report(DiagID::InvalidParamOverride, {},
                     {Name, Value,
                      "the value is not valid UTF-8 (first bad byte at offset " +
                          std::to_string(Bad) + "); pass UTF-8 text"});
      }
      FO.Overrides.emplace_back(std::move(Name), std::move(Value));
    }
    Prog = sema::runFrontEnd(SM, Diags, InputFiles, FO);
    return true;
  }

  /// Whether the errors are usage errors only (isUsageErrorOnly).
  bool hasUsageErrors() const { return isUsageErrorOnly(Diags.getDiagnostics()); }

  bool useColor(llvm::raw_ostream &Err) const { return driver::useColor(Opts.Color, Err); }

  /// Renders diagnostics in the chosen format; returns true when -verify passed
  /// (or was not requested).
  bool emitDiagnostics(llvm::raw_ostream &Out, llvm::raw_ostream &Err) {
    if (Opts.Verify)
      return verifyDiagnostics(Err, SM, Prog ? Prog->UserFiles : InputFiles,
                               Diags.getDiagnostics());
    switch (Opts.Format) {
    case DiagFormat::Text:
      renderDiagnosticsText(Err, SM, Diags.getDiagnostics(), useColor(Err));
      renderDiagnosticSummary(Err, Diags.getNumErrors(), Diags.getNumWarnings());
      break;
    case DiagFormat::JSON:
      renderDiagnosticsJSON(Out, SM, Diags.getDiagnostics());
      break;
    case DiagFormat::SARIF:
      renderDiagnosticsSARIF(Out, SM, Diags.getDiagnostics(), DEPLOYC_VERSION);
      break;
    }
    return true;
  }

  const DriverOptions &Opts;
  SourceManager SM;
  DiagnosticEngine Diags;
  std::vector<FileID> InputFiles;
  std::unique_ptr<sema::Program> Prog;
};


} // namespace deployc::driver

#endif
