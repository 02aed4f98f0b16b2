//===- Inputs.h - Which files and programs a command works on ----*- C++ -*-===//
//
// `check` and `fmt` take files and folders. This file turns them into work:
// folders become the `.deploy` files under them (honouring `.deployignore`),
// and for `check` each file becomes the programs it belongs to, found by
// following `import "..."` edges upwards through the files of its repository
// to the entry points nothing imports. docs/cli.md ("Inputs") describes the
// rules; the functions here read the file system and never throw.
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_DRIVER_INPUTS_H
#define DEPLOYC_DRIVER_INPUTS_H

#include "llvm/ADT/StringRef.h"
#include <map>
#include <string>
#include <vector>

namespace deployc::driver {

/// The patterns of one `.deployignore` file: a subset of gitignore. Blank
/// lines and lines starting with `#` are skipped; `!` re-includes; a trailing
/// `/` matches folders only; a pattern holding a `/` (other than a trailing
/// one) is anchored to the file's folder, else it matches a name at any depth;
/// `*` and `?` match within one path segment, `**` any number of segments,
/// `[...]` one character of a set. The last matching pattern decides.
class IgnoreRules {
public:
  /// Base is the folder holding the file (absolute, no trailing slash).
  IgnoreRules(std::string Base, llvm::StringRef Text);

  /// The verdict of these rules for Path (absolute): 1 ignored, -1 re-included
  /// by a `!` pattern, 0 no pattern matches.
  int match(llvm::StringRef Path, bool IsDir) const;

private:
  struct Pattern {
    std::string Glob;
    bool Negated = false;
    bool DirOnly = false;
    bool Anchored = false;
  };
  std::string Base;
  std::vector<Pattern> Patterns;
};

/// The folder whose files can import each other: the nearest folder upwards
/// from Dir (absolute) holding `.git`, else the nearest holding
/// `.deployignore`, else Dir itself.
std::string findRepositoryRoot(llvm::StringRef Dir);

/// The paths of the `import "PATH"` declarations at the head of a .deploy
/// file's text, as written. Reads only the imports (they precede every other
/// declaration) and skips comments; module imports (`import std.x`) have no
/// file in the repository and are left out.
std::vector<std::string> scanFileImports(llvm::StringRef Text);

/// The `.deploy` files of one repository and who imports whom.
struct ImportGraph {
  /// Absolute, dot-free paths of the files found, sorted.
  std::vector<std::string> Files;
  /// For each file imported by a file found, the files importing it.
  std::map<std::string, std::vector<std::string>> ImportedBy;

  /// Walks Root (absolute) for `.deploy` files, skipping `.git` and what the
  /// `.deployignore` files on the way exclude, and reads their imports.
  static ImportGraph scan(llvm::StringRef Root);

  /// The files nothing imports that import File, transitively, sorted; File
  /// itself when nothing imports it (or only a cycle through it does).
  std::vector<std::string> entryPoints(const std::string &File) const;
};

/// The inputs of `check` or `fmt` with folders expanded.
struct ExpandedInputs {
  /// Files in the order given; a folder's files sorted by path. `-` and paths
  /// that do not exist are kept as they are, to be reported when read.
  std::vector<std::string> Files;
  /// Folders given that hold no `.deploy` file (a usage error).
  std::vector<std::string> EmptyFolders;
};

/// Replaces each folder in Inputs by the `.deploy` files under it, recursively,
/// leaving out what `.deployignore` files (from the repository root down)
/// exclude. A file given by name is always kept.
ExpandedInputs expandInputs(const std::vector<std::string> &Inputs);

/// The entry files to check so that every file of Files is checked in the
/// program it belongs to: for each file, the entry points of its repository's
/// import graph. Each entry appears once, in a deterministic order (sorted);
/// `-` stays a program of its own. Paths under the current folder are printed
/// relative to it, others absolute; a file given keeps the spelling it was
/// given in.
std::vector<std::string> findPrograms(const std::vector<std::string> &Files);

} // namespace deployc::driver

#endif
