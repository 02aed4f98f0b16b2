//===- Inputs.cpp - Which files and programs a command works on -----------===//
//
// Folder expansion with `.deployignore`, the cheap import scan and the reverse
// import graph that `check` uses to check each file in the program it belongs
// to. The language server has its own, older walk (lib/LSP/Server.cpp,
// findImporterInWorkspace) that prefers open editor buffers over the disk; it
// follows one importer only and is left as it is.
//
//===----------------------------------------------------------------------===//

#include "deployc/Driver/Inputs.h"
#include "deployc/Basic/SourceManager.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include <algorithm>
#include <deque>
#include <optional>
#include <set>

using namespace deployc;
using namespace deployc::driver;

namespace fs = llvm::sys::fs;
namespace path = llvm::sys::path;

namespace {

/// A walk stops after this many folder entries: a spec outside any
/// repository takes its own folder as the root, which may be a large one
/// such as a home folder or /tmp.
constexpr unsigned WalkBudget = 200000;

std::string absolutePath(llvm::StringRef P) {
  llvm::SmallString<256> A(P);
  fs::make_absolute(A);
  path::remove_dots(A, /*remove_dot_dot=*/true);
  return std::string(A);
}

bool isUnder(llvm::StringRef Path, llvm::StringRef Dir) {
  if (Dir == "/")
    return Path.startswith("/");
  return Path.size() > Dir.size() && Path.startswith(Dir) && Path[Dir.size()] == '/';
}

/// One `[...]` set at P (just after the `[`); advances P past the `]`.
/// Returns whether C is in the set, or nullopt for a set without `]`.
std::optional<bool> matchSet(llvm::StringRef &P, char C) {
  size_t I = 0;
  bool Negated = I < P.size() && (P[I] == '!' || P[I] == '^');
  if (Negated)
    ++I;
  bool Found = false;
  bool First = true;
  for (; I < P.size() && (First || P[I] != ']'); ++I, First = false) {
    char Lo = P[I];
    if (I + 2 < P.size() && P[I + 1] == '-' && P[I + 2] != ']') {
      Found |= Lo <= C && C <= P[I + 2];
      I += 2;
    } else {
      Found |= Lo == C;
    }
  }
  if (I >= P.size())
    return std::nullopt;
  P = P.drop_front(I + 1);
  return Found != Negated;
}

/// The (pattern, subject) suffixes, by length, known not to match.
using GlobFailures = llvm::DenseSet<std::pair<unsigned, unsigned>>;

bool matchGlobFrom(llvm::StringRef P, llvm::StringRef S, GlobFailures &Failed);

/// One step of matchGlob, each star tried through matchGlobFrom.
bool matchGlobStep(llvm::StringRef P, llvm::StringRef S, GlobFailures &Failed) {
  while (!P.empty()) {
    if (P.startswith("**")) {
      P = P.drop_front(2);
      bool Slash = P.consume_front("/");
      if (P.empty())
        return true;
      for (size_t I = 0; I <= S.size(); ++I)
        if ((I == 0 || S[I - 1] == '/' || !Slash) && matchGlobFrom(P, S.drop_front(I), Failed))
          return true;
      return false;
    }
    char C = P.front();
    if (C == '*') {
      P = P.drop_front();
      for (size_t I = 0; I <= S.size(); ++I) {
        if (matchGlobFrom(P, S.drop_front(I), Failed))
          return true;
        if (I < S.size() && S[I] == '/')
          return false;
      }
      return false;
    }
    if (S.empty())
      return false;
    if (C == '?') {
      if (S.front() == '/')
        return false;
    } else if (C == '[') {
      llvm::StringRef Rest = P.drop_front();
      std::optional<bool> In = matchSet(Rest, S.front());
      if (In) {
        if (!*In || S.front() == '/')
          return false;
        P = Rest;
        S = S.drop_front();
        continue;
      }
      if (S.front() != '[')
        return false;
    } else {
      if (C == '\\' && P.size() > 1) {
        P = P.drop_front();
        C = P.front();
      }
      if (S.front() != C)
        return false;
    }
    P = P.drop_front();
    S = S.drop_front();
  }
  return S.empty();
}

/// Each pair of suffixes is tried once: a pattern of many stars (a cloned
/// repository's `.deployignore`) costs |P|·|S| steps, not |S| to the power
/// of its stars.
bool matchGlobFrom(llvm::StringRef P, llvm::StringRef S, GlobFailures &Failed) {
  std::pair<unsigned, unsigned> Key{unsigned(P.size()), unsigned(S.size())};
  if (Failed.count(Key))
    return false;
  if (matchGlobStep(P, S, Failed))
    return true;
  Failed.insert(Key);
  return false;
}

/// gitignore-style glob: `*`, `?` and `[...]` stay within a segment, `**`
/// spans segments.
bool matchGlob(llvm::StringRef P, llvm::StringRef S) {
  GlobFailures Failed;
  return matchGlobFrom(P, S, Failed);
}

/// The rules of the `.deployignore` in Dir, if there is one.
std::optional<IgnoreRules> readIgnoreFile(const std::string &Dir) {
  llvm::SmallString<256> File(Dir);
  path::append(File, ".deployignore");
  // Read as sources are: a FIFO or device named .deployignore never blocks.
  llvm::Expected<std::string> Text = readInputFile(File);
  if (!Text) {
    llvm::consumeError(Text.takeError());
    return std::nullopt;
  }
  return IgnoreRules(Dir, *Text);
}

/// Whether the rules, outermost first, exclude Path: deeper files override
/// shallower ones and later patterns earlier ones.
bool isIgnored(const std::vector<IgnoreRules> &Rules, llvm::StringRef Path, bool IsDir) {
  int Verdict = 0;
  for (const IgnoreRules &R : Rules)
    if (int V = R.match(Path, IsDir))
      Verdict = V;
  return Verdict > 0;
}

/// The `.deployignore` rules that apply inside Dir: those of the folders
/// from Dir's repository root down to Dir.
std::vector<IgnoreRules> rulesAbove(const std::string &Dir) {
  std::string Root = findRepositoryRoot(Dir);
  std::vector<std::string> Chain;
  for (llvm::StringRef D = Dir; !D.empty(); D = path::parent_path(D)) {
    Chain.push_back(D.str());
    if (D == Root)
      break;
  }
  std::vector<IgnoreRules> Rules;
  for (auto It = Chain.rbegin(); It != Chain.rend(); ++It)
    if (std::optional<IgnoreRules> R = readIgnoreFile(*It))
      Rules.push_back(std::move(*R));
  return Rules;
}

/// Collects the `.deploy` files under Dir (absolute) into Out, sorted by
/// path. Rules hold the `.deployignore` rules of the folders above Dir.
void walk(const std::string &Dir, std::vector<IgnoreRules> &Rules,
          std::vector<std::string> &Out, unsigned &Budget) {
  bool Pushed = false;
  if (std::optional<IgnoreRules> R = readIgnoreFile(Dir)) {
    Rules.push_back(std::move(*R));
    Pushed = true;
  }
  std::vector<std::pair<std::string, bool>> Entries;
  std::error_code EC;
  for (fs::directory_iterator It(Dir, EC, /*follow_symlinks=*/false), End;
       It != End && !EC && Budget; It.increment(EC)) {
    --Budget;
    llvm::StringRef Name = path::filename(It->path());
    if (Name == ".git")
      continue;
    fs::file_type Type = It->type();
    // A link to a folder is not followed: it could lead back up.
    if (Type == fs::file_type::symlink_file) {
      fs::file_status St;
      if (fs::status(It->path(), St) || St.type() != fs::file_type::regular_file)
        continue;
      Type = fs::file_type::regular_file;
    }
    bool IsDir = Type == fs::file_type::directory_file;
    if (!IsDir && (Type != fs::file_type::regular_file || path::extension(Name) != ".deploy"))
      continue;
    if (isIgnored(Rules, It->path(), IsDir))
      continue;
    Entries.emplace_back(It->path(), IsDir);
  }
  std::sort(Entries.begin(), Entries.end());
  for (auto &[P, IsDir] : Entries) {
    if (IsDir)
      walk(P, Rules, Out, Budget);
    else
      Out.push_back(P);
  }
  if (Pushed)
    Rules.pop_back();
}

} // namespace

IgnoreRules::IgnoreRules(std::string BaseDir, llvm::StringRef Text) : Base(std::move(BaseDir)) {
  llvm::SmallVector<llvm::StringRef, 32> Lines;
  Text.split(Lines, '\n');
  for (llvm::StringRef L : Lines) {
    L = L.rtrim("\r");
    // Trailing blanks are not part of a pattern unless escaped.
    while (L.endswith(" ") && !L.endswith("\\ "))
      L = L.drop_back();
    if (L.empty() || L.startswith("#"))
      continue;
    Pattern P;
    P.Negated = L.consume_front("!");
    P.DirOnly = L.consume_back("/");
    P.Anchored = L.contains('/');
    L.consume_front("/");
    if (L.empty())
      continue;
    P.Glob = L.str();
    Patterns.push_back(std::move(P));
  }
}

int IgnoreRules::match(llvm::StringRef Path, bool IsDir) const {
  if (!isUnder(Path, Base))
    return 0;
  llvm::StringRef Rel = Path.drop_front(Base == "/" ? 1 : Base.size() + 1);
  llvm::StringRef Name = path::filename(Rel);
  int Verdict = 0;
  for (const Pattern &P : Patterns) {
    if (P.DirOnly && !IsDir)
      continue;
    if (matchGlob(P.Glob, P.Anchored ? Rel : Name))
      Verdict = P.Negated ? -1 : 1;
  }
  return Verdict;
}

std::string driver::findRepositoryRoot(llvm::StringRef Dir) {
  std::string Marked;
  for (llvm::StringRef D = Dir; !D.empty(); D = path::parent_path(D)) {
    llvm::SmallString<256> Git(D);
    path::append(Git, ".git");
    if (fs::exists(Git))
      return D.str();
    llvm::SmallString<256> Ignore(D);
    path::append(Ignore, ".deployignore");
    if (Marked.empty() && fs::exists(Ignore))
      Marked = D.str();
    if (D == path::parent_path(D))
      break;
  }
  return Marked.empty() ? Dir.str() : Marked;
}

std::vector<std::string> driver::scanFileImports(llvm::StringRef Text) {
  std::vector<std::string> Paths;
  Text.consume_front("\xEF\xBB\xBF");
  auto skipBlanks = [&] {
    for (;;) {
      Text = Text.ltrim(" \t\r\n\f");
      if (Text.startswith("//")) {
        Text = Text.drop_until([](char C) { return C == '\n'; });
      } else if (Text.startswith("/*")) {
        size_t End = Text.find("*/", 2);
        Text = End == llvm::StringRef::npos ? llvm::StringRef() : Text.drop_front(End + 2);
      } else {
        return;
      }
    }
  };
  auto isIdentChar = [](char C) { return llvm::isAlnum(C) || C == '_'; };
  for (;;) {
    skipBlanks();
    if (!Text.startswith("import") || (Text.size() > 6 && isIdentChar(Text[6])))
      break;
    Text = Text.drop_front(6);
    skipBlanks();
    if (Text.consume_front("\"")) {
      size_t I = 0;
      while (I < Text.size() && Text[I] != '"' && Text[I] != '\n')
        I += Text[I] == '\\' ? 2 : 1;
      if (I >= Text.size() || Text[I] != '"')
        break;
      if (I != 0)
        Paths.push_back(Text.take_front(I).str());
      Text = Text.drop_front(I + 1);
      continue;
    }
    // `import std.a.b`, `.*` or `.{x, y}`: nothing in the repository.
    Text = Text.drop_while([&](char C) { return isIdentChar(C) || C == '.' || C == '*'; });
    if (Text.startswith("{")) {
      size_t Close = Text.find('}');
      if (Close == llvm::StringRef::npos)
        break;
      Text = Text.drop_front(Close + 1);
    }
  }
  return Paths;
}

ImportGraph ImportGraph::scan(llvm::StringRef Root) {
  ImportGraph G;
  std::vector<IgnoreRules> Rules = rulesAbove(path::parent_path(Root).str());
  unsigned Budget = WalkBudget;
  walk(Root.str(), Rules, G.Files, Budget);
  for (const std::string &File : G.Files) {
    llvm::Expected<std::string> Text = readInputFile(File);
    if (!Text) {
      llvm::consumeError(Text.takeError());
      continue;
    }
    for (const std::string &Import : scanFileImports(*Text)) {
      llvm::SmallString<256> Target(Import);
      if (!path::is_absolute(Target)) {
        Target = path::parent_path(File);
        path::append(Target, Import);
      }
      path::remove_dots(Target, /*remove_dot_dot=*/true);
      G.ImportedBy[std::string(Target)].push_back(File);
    }
  }
  return G;
}

std::vector<std::string> ImportGraph::entryPoints(const std::string &File) const {
  std::set<std::string> Seen{File}, Roots;
  std::deque<std::string> Work{File};
  while (!Work.empty()) {
    std::string Cur = std::move(Work.front());
    Work.pop_front();
    auto It = ImportedBy.find(Cur);
    if (It == ImportedBy.end()) {
      Roots.insert(Cur);
      continue;
    }
    for (const std::string &Importer : It->second)
      if (Seen.insert(Importer).second)
        Work.push_back(Importer);
  }
  if (Roots.empty())
    return {File};
  return std::vector<std::string>(Roots.begin(), Roots.end());
}

ExpandedInputs driver::expandInputs(const std::vector<std::string> &Inputs) {
  ExpandedInputs R;
  for (const std::string &In : Inputs) {
    if (In == "-" || !fs::is_directory(In)) {
      R.Files.push_back(In);
      continue;
    }
    std::string Dir = absolutePath(In);
    std::vector<IgnoreRules> Rules = rulesAbove(path::parent_path(Dir).str());
    std::vector<std::string> Found;
    unsigned Budget = WalkBudget;
    walk(Dir, Rules, Found, Budget);
    if (Found.empty())
      R.EmptyFolders.push_back(In);
    // Shown the way the folder was written: `deploy/a.deploy` for `deploy`,
    // `a.deploy` for `.`.
    for (const std::string &F : Found) {
      llvm::SmallString<256> Shown(In);
      // Dir ends in a separator only when it is the root.
      path::append(Shown, llvm::StringRef(F).drop_front(
                              Dir.size() + (llvm::StringRef(Dir).endswith("/") ? 0 : 1)));
      path::remove_dots(Shown, /*remove_dot_dot=*/false);
      R.Files.push_back(std::string(Shown));
    }
  }
  return R;
}

std::vector<std::string> driver::findPrograms(const std::vector<std::string> &Files) {
  llvm::SmallString<256> Cwd;
  fs::current_path(Cwd);
  std::map<std::string, std::string> Given; // absolute -> as given
  for (const std::string &F : Files)
    if (F != "-")
      Given.emplace(absolutePath(F), F);
  auto shown = [&](const std::string &Abs) {
    if (auto It = Given.find(Abs); It != Given.end())
      return It->second;
    if (isUnder(Abs, Cwd))
      return Abs.substr(Cwd.size() == 1 ? 1 : Cwd.size() + 1);
    return Abs;
  };
  std::map<std::string, ImportGraph> Graphs; // by root
  std::set<std::string> Entries;
  for (const std::string &F : Files) {
    if (F == "-" || !fs::is_regular_file(F)) {
      Entries.insert(F);
      continue;
    }
    std::string Abs = absolutePath(F);
    std::string Root = findRepositoryRoot(path::parent_path(Abs));
    auto It = Graphs.find(Root);
    if (It == Graphs.end())
      It = Graphs.emplace(Root, ImportGraph::scan(Root)).first;
    for (const std::string &E : It->second.entryPoints(Abs))
      Entries.insert(shown(E));
  }
  return std::vector<std::string>(Entries.begin(), Entries.end());
}
