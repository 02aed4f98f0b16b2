//===- OutputWriter.cpp - All-or-nothing output directories ---------------===//

#include "deployc/Interp/OutputWriter.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"
#include <csignal>

using namespace deployc;
using namespace llvm;

static const char *const MarkerName = ".deployc-emit";

void interp::crashPoint(StringRef Point) {
  if (auto At = sys::Process::GetEnv("DEPLOYC_CRASH_AT"); At && *At == Point) {
    outs().flush();
    errs().flush();
    ::raise(SIGKILL);
  }
}

static Error errorFor(const Twine &What, std::error_code EC) {
  return createStringError(EC, What + ": " + EC.message());
}

Expected<std::unique_ptr<interp::AtomicDirectoryWriter>>
interp::AtomicDirectoryWriter::create(StringRef Dir) {
  std::unique_ptr<AtomicDirectoryWriter> W(new AtomicDirectoryWriter());
  SmallString<256> &Target = W->Target;
  Target = Dir;
  sys::path::remove_dots(Target, /*remove_dot_dot=*/true);
  if (Target.empty())
    Target = ".";
  SmallString<256> &Parent = W->Parent;
  Parent = sys::path::parent_path(Target);
  if (Parent.empty())
    Parent = ".";
  if (std::error_code EC = sys::fs::create_directories(Parent))
    return errorFor(Parent, EC);

  // A unique sibling: same filesystem, so the final rename is atomic.
  SmallString<256> &Temp = W->Temp;
  std::string Stem = (sys::path::filename(Target) + ".deployc-tmp-%%%%%%").str();
  SmallString<256> Model(Parent);
  sys::path::append(Model, Stem);
  // createUniqueDirectory would put a relative model under the system temp
  // folder: make the unique name here, beside the target.
  std::error_code MkEC;
  for (int Attempt = 0; Attempt < 100; ++Attempt) {
    sys::fs::createUniquePath(Model, Temp, /*MakeAbsolute=*/false);
    MkEC = sys::fs::create_directory(Temp, /*IgnoreExisting=*/false);
    if (MkEC != std::errc::file_exists)
      break;
  }
  if (MkEC) {
    W->Done = true; // Nothing to clean up.
    return errorFor(Temp, MkEC);
  }
  // The old folder's name is chosen now too, so that a write-ahead record can
  // name both before commit() renames anything.
  SmallString<256> OldModel(Parent);
  sys::path::append(OldModel, (sys::path::filename(Target) + ".deployc-old-%%%%%%").str());
  sys::fs::createUniquePath(OldModel, W->Old, /*MakeAbsolute=*/false);

  // Only a folder deployc wrote (it holds the marker) or an empty one may be
  // replaced: emitting into a source tree must not delete the user's files.
  if (sys::fs::is_directory(Target)) {
    SmallString<256> Marker(Target);
    sys::path::append(Marker, MarkerName);
    std::error_code EC;
    sys::fs::directory_iterator It(Target, EC);
    bool Empty = !EC && It == sys::fs::directory_iterator();
    if (!Empty && !sys::fs::exists(Marker))
      return createStringError(
          std::errc::file_exists,
          "the folder exists and was not written by `deployc emit` (no %s in it); "
          "choose another folder or remove it",
          MarkerName);
  } else if (sys::fs::exists(Target)) {
    return createStringError(std::errc::not_a_directory, "not a directory");
  }
  SmallString<256> Marker(Temp);
  sys::path::append(Marker, MarkerName);
  std::error_code EC;
  raw_fd_ostream OS(Marker, EC, sys::fs::OF_None);
  if (EC)
    return errorFor(Marker, EC);
  OS << "This folder is written by `deployc emit`; each run replaces all of it.\n";
  return std::move(W);
}

interp::AtomicDirectoryWriter::~AtomicDirectoryWriter() {
  if (!Done)
    sys::fs::remove_directories(Temp);
}

Error interp::AtomicDirectoryWriter::add(const emit::EmittedFile &F) {
  SmallString<256> Path(Temp);
  sys::path::append(Path, sys::path::Style::posix, F.Path);
  if (std::error_code EC = sys::fs::create_directories(sys::path::parent_path(Path)))
    return errorFor(Path, EC);
  std::error_code EC;
  raw_fd_ostream OS(Path, EC, sys::fs::OF_None);
  if (EC)
    return errorFor(Path, EC);
  OS << F.Contents;
  OS.close();
  if (OS.has_error()) {
    std::error_code WriteEC = OS.error();
    OS.clear_error();
    return errorFor(Path, WriteEC);
  }
  return Error::success();
}

interp::DirectorySwitch interp::AtomicDirectoryWriter::plannedSwitch() const {
  return {std::string(Target), std::string(Temp), std::string(Old)};
}

Error interp::AtomicDirectoryWriter::commit() {
  crashPoint("staged");
  // Swap: the old directory steps aside, the new one takes its name.
  bool HadOld = sys::fs::exists(Target);
  if (HadOld)
    if (std::error_code EC = sys::fs::rename(Target, Old))
      return errorFor(Target, EC);
  crashPoint("between-renames");
  if (std::error_code EC = sys::fs::rename(Temp, Target)) {
    if (HadOld)
      sys::fs::rename(Old, Target);
    return errorFor(Target, EC);
  }
  Done = true;
  crashPoint("switched");
  if (HadOld)
    sys::fs::remove_directories(Old);
  return Error::success();
}

Expected<bool> interp::recoverDirectorySwitch(const DirectorySwitch &S) {
  bool Forward = !sys::fs::exists(S.Staged);
  // Target missing while Old exists: the first rename happened, the second
  // did not (or failed): Old is the folder as it was.
  if (!sys::fs::exists(S.Target) && sys::fs::exists(S.Old)) {
    if (std::error_code EC = sys::fs::rename(S.Old, S.Target))
      return errorFor("cannot move " + S.Old + " back to " + S.Target, EC);
    Forward = false;
  }
  if (!Forward) {
    if (std::error_code EC = sys::fs::remove_directories(S.Staged))
      return errorFor("cannot remove " + S.Staged, EC);
    return false;
  }
  if (std::error_code EC = sys::fs::remove_directories(S.Old))
    return errorFor("cannot remove " + S.Old, EC);
  return true;
}

Error interp::writeDirectoryAtomically(StringRef Dir,
                                       const std::vector<emit::EmittedFile> &Files) {
  auto W = AtomicDirectoryWriter::create(Dir);
  if (!W)
    return W.takeError();
  for (const emit::EmittedFile &F : Files)
    if (Error E = (*W)->add(F))
      return E;
  return (*W)->commit();
}
