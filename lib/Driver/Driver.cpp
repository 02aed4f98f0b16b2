//===- Driver.cpp - The deployc commands over the pipeline ----------------===//

#include "deployc/Driver/Driver.h"
#include "Compilation.h"
#include "TextDiff.h"
#include "deployc/Driver/Inputs.h"
#include "deployc/AST/ASTDumper.h"
#include "deployc/Parse/Formatter.h"
#include "deployc/Parse/Parser.h"
#include "deployc/Sema/Sema.h"
#include "deployc/Interp/OutputWriter.h"
#include "deployc/Emit/Emit.h"
#include "deployc/Plan/Config.h"
#include "deployc/Plan/Plan.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Signals.h"
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>
#include <set>

using namespace deployc;
using namespace deployc::driver;

std::string driver::findStdlib(llvm::StringRef Explicit) {
  if (!Explicit.empty())
    return Explicit.str();
  if (auto Env = llvm::sys::Process::GetEnv("DEPLOYC_STDLIB"); Env && !Env->empty())
    return *Env;
  return "";
}

std::string driver::findInstalledStdlib(llvm::StringRef Argv0, void *MainAddr) {
  std::string Exe = llvm::sys::fs::getMainExecutable(Argv0.str().c_str(), MainAddr);
  llvm::SmallString<256> Dir(llvm::sys::path::parent_path(Exe));
  llvm::sys::path::append(Dir, "..", "share", "deployc", "stdlib");
  llvm::SmallString<256> Real;
  if (!llvm::sys::fs::real_path(Dir, Real) && llvm::sys::fs::is_directory(Real))
    return std::string(Real);
  return "";
}


/// `check -verify`: the inputs as one program, compared with the
/// `expected-...` comments in them.
static int verifyOneProgram(const DriverOptions &Opts, llvm::raw_ostream &Out,
                            llvm::raw_ostream &Err) {
  Compilation C(Opts);
  bool Loaded = C.loadInputs();
  if (!C.runFrontEnd(sema::Phase::All, Err, sema::FrontEndOptions::Keep::Diagnostics))
    return ExitUsage;
  bool Verified = C.emitDiagnostics(Out, Err);
  return Verified && Loaded ? ExitSuccess : ExitErrors;
}

int driver::runCheck(const DriverOptions &Opts, llvm::raw_ostream &Out,
                     llvm::raw_ostream &Err) {
  if (Opts.Verify)
    return verifyOneProgram(Opts, Out, Err);
  ExpandedInputs In = expandInputs(Opts.Inputs);
  for (const std::string &Dir : In.EmptyFolders)
    Err << "deployc: error: no .deploy files in `" << Dir << "`\n";
  if (!In.EmptyFolders.empty())
    return ExitUsage;

  // Each program is compiled on its own; their diagnostics are merged into
  // one list (program by program, entry points sorted) so the output is one
  // document. A shared module's diagnostics, the same in every program that
  // imports it, are printed once.
  SourceManager Merged;
  std::vector<Diagnostic> All;
  std::set<std::string> Seen;
  unsigned Errors = 0, Warnings = 0;
  bool Loaded = true;
  for (const std::string &Entry : findPrograms(In.Files)) {
    DriverOptions PO = Opts;
    PO.Inputs = {Entry};
    Compilation C(PO);
    Loaded &= C.loadInputs();
    // An unreadable entry has no program: checking an empty one would only
    // add noise such as "no environment named ...".
    if (!C.InputFiles.empty() &&
        !C.runFrontEnd(sema::Phase::All, Err, sema::FrontEndOptions::Keep::Diagnostics))
      return ExitUsage;
    for (const Diagnostic &D : C.Diags.getDiagnostics()) {
      std::string Key;
      llvm::raw_string_ostream KS(Key);
      auto addRange = [&](SourceRange R) {
        if (R.isValid())
          KS << C.SM.getPath(R.File) << ':' << R.Begin << ':' << R.End;
        KS << '\0';
      };
      addRange(D.Range);
      KS << int(D.ID) << '\0' << int(D.Sev) << '\0' << D.Message << '\0';
      for (const DiagNote &N : D.Notes) {
        addRange(N.Range);
        KS << N.Message << '\0';
      }
      if (!Seen.insert(KS.str()).second)
        continue;
      auto adopt = [&](SourceRange R) {
        if (R.isValid() && !Merged.hasFile(R.File))
          Merged.adoptBuffer(C.SM, R.File);
      };
      adopt(D.Range);
      for (const DiagNote &N : D.Notes)
        adopt(N.Range);
      for (const FixIt &F : D.FixIts)
        adopt(F.Range);
      // D0007 is not one of the errors it counts, as in the engine.
      Errors += D.Sev == Severity::Error && D.ID != DiagID::TooManyErrors;
      Warnings += D.Sev == Severity::Warning;
      All.push_back(D);
    }
  }
  switch (Opts.Format) {
  case DiagFormat::Text:
    renderDiagnosticsText(Err, Merged, All, useColor(Opts.Color, Err));
    renderDiagnosticSummary(Err, Errors, Warnings);
    break;
  case DiagFormat::JSON:
    renderDiagnosticsJSON(Out, Merged, All);
    break;
  case DiagFormat::SARIF:
    renderDiagnosticsSARIF(Out, Merged, All, DEPLOYC_VERSION);
    break;
  }
  if (!Loaded || isUsageErrorOnly(All))
    return ExitUsage;
  return Errors ? ExitErrors : ExitSuccess;
}

int driver::runEval(const DriverOptions &Opts, llvm::raw_ostream &Out,
                    llvm::raw_ostream &Err) {
  Compilation C(Opts);
  bool Loaded = C.loadInputs();
  if (!C.runFrontEnd(sema::Phase::All, Err))
    return ExitUsage;
  // Diagnostics go to stderr; JSON only when the configuration is sound.
  renderDiagnosticsText(Err, C.SM, C.Diags.getDiagnostics(), C.useColor(Err));
  renderDiagnosticSummary(Err, C.Diags.getNumErrors(), C.Diags.getNumWarnings());
  if (!Loaded || C.hasUsageErrors())
    return ExitUsage;
  if (C.Diags.hasErrors())
    return ExitErrors;
  Out << plan::renderEvaluatedJSON(*C.Prog, Opts.Environment);
  return ExitSuccess;
}

int driver::runDumpAST(const DriverOptions &Opts, llvm::raw_ostream &Out,
                       llvm::raw_ostream &Err) {
  Compilation C(Opts);
  bool Loaded = C.loadInputs();
  C.runFrontEnd(sema::Phase::Parse, Err);
  for (ast::Module *M : C.Prog->Modules)
    ast::dumpModule(Out, C.SM, *M);
  C.emitDiagnostics(Out, Err);
  if (!Loaded)
    return ExitUsage;
  return C.Diags.hasErrors() ? ExitErrors : ExitSuccess;
}

void driver::reportEmbeddedSecrets(DiagnosticEngine &Diags, const plan::Environment &Env,
                                   bool CanEncrypt) {
  // The embedded vault is a file on this machine, which no cluster reads: an
  // ExternalSecret for it would never be filled.
  if (CanEncrypt && !Env.AgeRecipients.empty())
    return;
  for (const plan::Secret &S : Env.Secrets)
    if (S.BackendKind == "embedded")
      Diags.report(DiagID::EmbeddedSecretInCluster, S.Where, {S.Name, Env.Name});
}

bool driver::emitsManifests(DiagnosticEngine &Diags, const plan::Environment &Env,
                            const DriverOptions &Opts) {
  if (!Env.Cluster) {
    if (!Opts.Environment.empty())
      Diags.report(DiagID::EnvironmentNotInCluster, {}, {Env.Name});
    return false;
  }
  reportEmbeddedSecrets(Diags, Env);
  return true;
}

/// Relative paths between the first spec's folder and the output folder.
static emit::SourceLocation sourceLocation(llvm::StringRef Spec, llvm::StringRef OutDir) {
  auto absolute = [](llvm::StringRef P) {
    llvm::SmallString<256> A(P);
    llvm::sys::fs::make_absolute(A);
    llvm::sys::path::remove_dots(A, /*remove_dot_dot=*/true);
    return std::string(A);
  };
  std::string From = absolute(OutDir), To = absolute(llvm::sys::path::parent_path(
                                                         absolute(Spec)));
  auto relative = [](llvm::StringRef Base, llvm::StringRef Target) {
    llvm::SmallVector<llvm::StringRef, 16> B, T;
    Base.split(B, '/', -1, false);
    Target.split(T, '/', -1, false);
    size_t Common = 0;
    while (Common < B.size() && Common < T.size() && B[Common] == T[Common])
      ++Common;
    std::string Out;
    for (size_t I = Common; I < B.size(); ++I)
      Out += Out.empty() ? ".." : "/..";
    for (size_t I = Common; I < T.size(); ++I)
      Out += (Out.empty() ? "" : "/") + T[I].str();
    return Out.empty() ? std::string(".") : Out;
  };
  return {relative(From, To), relative(To, From)};
}

namespace {
/// The text of `emit -o -`, printed only when every file succeeded. It waits
/// in an unnamed temporary file (under $TMPDIR) rather than in memory, which
/// would otherwise grow with the output (45 MB at 10,000 services).
class HeldOutput {
public:
  HeldOutput() {
    int FD;
    llvm::SmallString<128> Path;
    if (std::error_code EC = llvm::sys::fs::createTemporaryFile("deployc-emit", "yaml", FD, Path)) {
      Error = EC.message();
      return;
    }
    llvm::sys::fs::remove(Path);
    File = fdopen(FD, "w+b");
    if (!File) {
      Error = std::strerror(errno);
      ::close(FD);
    }
  }
  ~HeldOutput() {
    if (File)
      std::fclose(File);
  }
  HeldOutput(const HeldOutput &) = delete;
  HeldOutput &operator=(const HeldOutput &) = delete;

  /// Appends Text; returns a description of the failure, or "".
  std::string add(llvm::StringRef Text) {
    if (Error.empty() && std::fwrite(Text.data(), 1, Text.size(), File) != Text.size())
      Error = std::strerror(errno);
    return failure();
  }
  /// Writes everything added to Out; returns a description of the failure, or "".
  std::string copyTo(llvm::raw_ostream &Out) {
    if (Error.empty() && (std::fflush(File) != 0 || std::fseek(File, 0, SEEK_SET) != 0))
      Error = std::strerror(errno);
    if (!Error.empty())
      return failure();
    char Buf[1 << 16];
    while (size_t N = std::fread(Buf, 1, sizeof Buf, File))
      Out.write(Buf, N);
    if (std::ferror(File))
      Error = std::strerror(errno);
    return failure();
  }

private:
  std::string failure() const {
    return Error.empty() ? Error : "cannot hold the output in a temporary file: " + Error;
  }
  std::FILE *File = nullptr;
  std::string Error;
};
} // namespace

int driver::runEmit(const DriverOptions &Opts, unsigned Targets, llvm::StringRef OutDir,
                    llvm::raw_ostream &Out, llvm::raw_ostream &Err) {
  Compilation C(Opts);
  bool Loaded = C.loadInputs();
  if (!C.runFrontEnd(sema::Phase::All, Err, sema::FrontEndOptions::Keep::Values))
    return ExitUsage;
  auto finish = [&](int Code) {
    renderDiagnosticsText(Err, C.SM, C.Diags.getDiagnostics(), C.useColor(Err));
    renderDiagnosticSummary(Err, C.Diags.getNumErrors(), C.Diags.getNumWarnings());
    return Code;
  };
  if (!Loaded || C.hasUsageErrors())
    return finish(ExitUsage);
  if (C.Diags.hasErrors())
    return finish(ExitErrors);

  // Files go to a temporary folder as they are rendered, and it replaces
  // OutDir only when everything succeeded: nothing changes on an error, and
  // memory holds one file at a time.
  std::unique_ptr<interp::AtomicDirectoryWriter> Writer;
  std::string WriteFailure;
  auto haveWriter = [&] {
    if (Writer)
      return true;
    auto W = interp::AtomicDirectoryWriter::create(OutDir);
    if (!W) {
      WriteFailure = llvm::toString(W.takeError());
      return false;
    }
    Writer = std::move(*W);
    return true;
  };
  auto write = [&](const emit::EmittedFile &F) {
    if (!WriteFailure.empty() || C.Diags.hasErrors() || !haveWriter())
      return;
    if (llvm::Error E = Writer->add(F))
      WriteFailure = llvm::toString(std::move(E));
  };
  emit::SourceLocation Src = sourceLocation(Opts.Inputs.front(), OutDir);
  std::optional<HeldOutput> Stream;
  if (OutDir == "-")
    Stream.emplace();
  bool SharedDone = false;
  emit::ClusterObjects Cluster;
  std::vector<std::string> EnvNames;
  for (size_t I = 0, N = C.Prog->Environments.size(); I != N; ++I) {
    plan::Environment Env = plan::lowerEnvironment(*C.Prog, std::move(C.Prog->Environments[I]));
    bool Manifests = (Targets & emit::TargetKubernetes) && emitsManifests(C.Diags, Env, Opts);
    if (Manifests)
      EnvNames.push_back(Env.Name);
    // Only the plan is read from here on. After the last environment the
    // program goes too: its syntax trees are the larger part of memory
    // while the files are rendered and held.
    if (I + 1 == N)
      C.Prog.reset();
    else
      C.Prog->Environments[I].dropValues();
    if (Manifests) {
      if (OutDir == "-")
        emit::emitKubernetes(
            Env, C.Diags,
            [&](const emit::EmittedFile &F) {
              if (WriteFailure.empty() && !C.Diags.hasErrors() && !emit::isKustomization(F))
                WriteFailure = Stream->add(F.Contents);
            },
            Opts.Jobs, &Cluster);
      else
        emit::emitKubernetes(Env, C.Diags, write, Opts.Jobs, &Cluster);
    }
    // Builds and dev containers do not vary by environment: emit them once.
    if (SharedDone || OutDir == "-")
      continue;
    SharedDone = true;
    if (Targets & emit::TargetDocker)
      for (const emit::EmittedFile &F : emit::emitDocker(Env, Src))
        write(F);
    if (Targets & emit::TargetDevContainer)
      for (const emit::EmittedFile &F : emit::emitDevContainers(Env, Src))
        write(F);
  }
  if (C.Diags.hasErrors())
    return finish(ExitErrors);
  // Cluster-scoped objects first: the environments' objects name them.
  if (Stream && WriteFailure.empty()) {
    Out << Cluster.stream();
    WriteFailure = Stream->copyTo(Out);
  }
  if (!Stream && !EnvNames.empty())
    for (const emit::EmittedFile &F : Cluster.files(EnvNames))
      write(F);
  // With no file at all the folder still becomes an (empty) output folder.
  if (OutDir != "-" && WriteFailure.empty() && haveWriter())
    if (llvm::Error E = Writer->commit())
      WriteFailure = llvm::toString(std::move(E));
  if (!WriteFailure.empty()) {
    C.Diags.report(DiagID::CannotWriteOutput, {}, {OutDir.str(), WriteFailure});
    return finish(ExitUsage);
  }
  return finish(ExitSuccess);
}

/// Replaces the file at Path by Text the way an editor saving it would: a
/// symlink is followed and the file it names replaced, the link itself kept;
/// the new file gets the old one's permission bits (and owner, for root); it
/// is written to a temporary file beside the target, synced, then renamed
/// over it, so an interrupted or failed run leaves the old file whole and no
/// temporary file behind.
static llvm::Error replaceFile(llvm::StringRef Path, llvm::StringRef Text) {
  auto failure = [](int Errno) {
    return llvm::createStringError(std::error_code(Errno, std::generic_category()),
                                   std::strerror(Errno));
  };
  llvm::SmallString<256> Target;
  if (std::error_code EC = llvm::sys::fs::real_path(Path, Target))
    return llvm::errorCodeToError(EC);
  struct stat Old;
  if (::stat(Target.c_str(), &Old) != 0)
    return failure(errno);
  llvm::SmallString<256> Temp;
  int FD;
  if (std::error_code EC =
          llvm::sys::fs::createUniqueFile(Target + ".deployc-fmt-%%%%%%", FD, Temp))
    return llvm::errorCodeToError(EC);
  llvm::sys::RemoveFileOnSignal(Temp);
  auto fail = [&](int Errno) {
    ::close(FD);
    llvm::sys::fs::remove(Temp);
    llvm::sys::DontRemoveFileOnSignal(Temp);
    return failure(Errno);
  };
  // fchmod is not limited by the umask, which the new file's mode was.
  if (::fchmod(FD, Old.st_mode & 07777) != 0)
    return fail(errno);
  if (::geteuid() == 0 && ::fchown(FD, Old.st_uid, Old.st_gid) != 0)
    return fail(errno);
  for (llvm::StringRef Rest = Text; !Rest.empty();) {
    ssize_t N = ::write(FD, Rest.data(), Rest.size());
    if (N < 0 && errno == EINTR)
      continue;
    if (N < 0)
      return fail(errno);
    Rest = Rest.drop_front(N);
  }
  if (::fsync(FD) != 0)
    return fail(errno);
  if (::close(FD) != 0) {
    int Errno = errno;
    llvm::sys::fs::remove(Temp);
    llvm::sys::DontRemoveFileOnSignal(Temp);
    return failure(Errno);
  }
  std::error_code EC = llvm::sys::fs::rename(Temp, Target);
  if (EC)
    llvm::sys::fs::remove(Temp);
  llvm::sys::DontRemoveFileOnSignal(Temp);
  return llvm::errorCodeToError(EC);
}

int driver::runFormat(const std::vector<std::string> &Inputs, bool Check, bool Diff,
                      ColorMode Color, llvm::raw_ostream &Out, llvm::raw_ostream &Err) {
  ExpandedInputs In = expandInputs(Inputs);
  for (const std::string &Dir : In.EmptyFolders)
    Err << "deployc: error: no .deploy files in `" << Dir << "`\n";
  if (!In.EmptyFolders.empty())
    return ExitUsage;
  // --diff writes nothing either: it is --check that shows the change.
  Check = Check || Diff;
  SourceManager SM;
  DiagnosticEngine Diags(SM);
  int Result = ExitSuccess;
  std::vector<std::string> Changed;
  for (const std::string &Path : In.Files) {
    auto Text = Path == "-" ? readStandardInput() : readInputFile(Path);
    if (!Text) {
      Diags.report(DiagID::CannotReadFile, {}, {Path, llvm::toString(Text.takeError())});
      Result = ExitUsage;
      continue;
    }
    FileID F = SM.addBuffer(Path == "-" ? "<stdin>" : Path, std::move(*Text));
    llvm::StringRef Original = SM.getBuffer(F);
    if (int64_t Bad = parse::findInvalidUTF8(Original); Bad >= 0) {
      Diags.report(DiagID::InvalidUTF8, {F, uint32_t(Bad), uint32_t(Bad + 1)},
                   {Path, std::to_string(Bad)});
      Result = std::max(Result, int(ExitErrors));
      continue;
    }
    std::optional<std::string> Formatted = parse::formatFile(SM, F, Diags);
    if (!Formatted) {
      // A file that does not parse is left exactly as it is.
      Result = std::max(Result, int(ExitErrors));
      continue;
    }
    if (Path == "-") {
      if (Check && *Formatted != Original) {
        Changed.push_back("<stdin>");
        if (Diff)
          printUnifiedDiff(Out, "<stdin>", Original, *Formatted);
        continue;
      }
      if (!Check)
        Out << *Formatted;
      continue;
    }
    if (*Formatted == Original)
      continue;
    Changed.push_back(Path);
    if (Diff)
      printUnifiedDiff(Out, Path, Original, *Formatted);
    if (Check)
      continue;
    if (llvm::Error E = replaceFile(Path, *Formatted)) {
      Diags.report(DiagID::CannotWriteOutput, {}, {Path, llvm::toString(std::move(E))});
      Result = ExitUsage;
    }
  }
  renderDiagnosticsText(Err, SM, Diags.getDiagnostics(), useColor(Color, Err));
  if (Check) {
    if (!Diff)
      for (const std::string &P : Changed)
        Out << P << "\n";
    if (!Changed.empty())
      Result = std::max(Result, int(ExitErrors));
  }
  return Result;
}

std::string driver::escapeInvalidUTF8(llvm::StringRef Text) {
  std::string Out;
  while (!Text.empty()) {
    int64_t Bad = parse::findInvalidUTF8(Text);
    if (Bad < 0) {
      Out += Text;
      break;
    }
    Out += Text.take_front(Bad);
    Out += llvm::formatv("\\x{0:X-2}", unsigned(uint8_t(Text[Bad]))).str();
    Text = Text.drop_front(Bad + 1);
  }
  return Out;
}

bool driver::checkArgumentsAreUTF8(const std::vector<ArgumentText> &Args, llvm::raw_ostream &Err) {
  SourceManager SM;
  DiagnosticEngine Diags(SM);
  for (const ArgumentText &A : Args)
    if (int64_t Bad = parse::findInvalidUTF8(A.Text); Bad >= 0)
      Diags.report(DiagID::InvalidUTF8Argument, {},
                   {A.What, escapeInvalidUTF8(A.Text), std::to_string(Bad)});
  if (!Diags.hasErrors())
    return true;
  renderDiagnosticsText(Err, SM, Diags.getDiagnostics(), Err.has_colors());
  renderDiagnosticSummary(Err, Diags.getNumErrors(), Diags.getNumWarnings());
  return false;
}

int driver::runExplain(llvm::StringRef Code, bool List, llvm::raw_ostream &Out,
                       llvm::raw_ostream &Err) {
  if (List) {
    for (const DiagInfo &Info : getAllDiagInfos()) {
      if (Info.Code.empty())
        continue;
      Out << Info.Code << ' ' << getSeverityName(Info.DefaultSeverity) << ' '
          << getStageName(Info.Stage) << ' ' << Info.Name << '\n';
    }
    return ExitSuccess;
  }
  auto ID = lookupDiagCode(Code);
  if (!ID) {
    Err << "deployc: error: unknown diagnostic code `" << Code
        << "`; `deployc explain --list` shows all codes\n";
    return ExitUsage;
  }
  const DiagInfo &Info = getDiagInfo(*ID);
  llvm::StringRef Text = getDiagExplanation(Info.Code);
  Out << Info.Code << " (" << getSeverityName(Info.DefaultSeverity) << ", "
      << getStageName(Info.Stage) << " stage): " << Info.Message << "\n";
  if (!Text.empty()) {
    Out << '\n' << Text;
    if (!Text.endswith("\n"))
      Out << '\n';
  }
  return ExitSuccess;
}
