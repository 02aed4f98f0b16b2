//===- Analysis.h - One compilation of an open document -----------*- C++ -*-===//
//
// The front end run over one open document (its imports read from open
// buffers first), plus the queries the language server answers from it. An
// Analysis is immutable once built and may be shared between threads.
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_LIB_LSP_ANALYSIS_H
#define DEPLOYC_LIB_LSP_ANALYSIS_H

#include "deployc/LSP/Positions.h"
#include "deployc/Sema/Sema.h"
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

namespace deployc::lsp {

using json = nlohmann::json;

std::string uriFromPath(llvm::StringRef Path);
std::string pathFromUri(llvm::StringRef Uri);

/// Parsed files by path and text, shared by the analyses of one server so an
/// edit re-parses only the file that changed. Thread-safe.
class ParseCache {
public:
  struct ParsedFile {
    std::string Text;
    SourceManager SM;
    ast::ASTContext Ctx;
    ast::Module *M = nullptr;
    std::vector<Diagnostic> Diags; ///< Syntax errors, replayed into each user.
  };
  std::shared_ptr<ParsedFile> get(const std::string &Path, const std::string &Text);

private:
  std::mutex Lock;
  std::map<std::string, std::shared_ptr<ParsedFile>> Files;
};

class Analysis {
public:
  /// Reads an open document's text by absolute path, or nothing.
  using Overlay = std::function<std::optional<std::string>(llvm::StringRef Path)>;

  /// Compiles the document Uri. When MainUri names another document that
  /// imports it (the spec's entry point), the program is compiled from there,
  /// so names the main file declares are known; queries still answer for Uri.
  Analysis(std::string Uri, std::string Text, int64_t Version,
           const std::string &StdlibPath, const Overlay &Open,
           const std::string &Environment, const std::string &MainUri = "",
           ParseCache *Cache = nullptr);

  const std::string &getUri() const { return Uri; }
  const std::string &getMainUri() const { return MainUri; }
  int64_t getVersion() const { return Version; }
  llvm::StringRef getText() const { return SM.getBuffer(Root); }
  /// Absolute paths of every user file the program loaded.
  std::vector<std::string> loadedPaths() const;

  /// publishDiagnostics params for the root document.
  json diagnostics() const;

  json hover(Position P) const;
  json definition(Position P) const;
  json references(Position P, bool IncludeDeclaration) const;
  json prepareRename(Position P) const;
  json rename(Position P, const std::string &NewName, std::string &Error) const;
  json completion(Position P) const;
  json documentSymbols() const;
  json semanticTokens() const;
  json formatting() const;
  json signatureHelp(Position P) const;

private:
  struct Target;
  std::optional<Target> targetAt(size_t Offset) const;
  std::vector<std::pair<FileID, SourceRange>> referencesTo(const ast::Decl *D) const;
  json location(SourceRange R) const;
  json range(SourceRange R) const;
  const sema::EnvironmentModel *environment() const;
  std::string uriOf(FileID F) const;
  /// Whether F is a stdlib file built into the binary: it has no file an
  /// editor could open, so no location points into it.
  bool isEmbeddedStdlib(FileID F) const;

  std::string Uri;
  std::string MainUri;
  int64_t Version;
  std::string EnvironmentName;
  SourceManager SM;
  DiagnosticEngine Diags{SM};
  FileID Root = 0;
  std::unique_ptr<sema::Program> Prog;
  std::string StdlibPath;
  std::vector<std::shared_ptr<ParseCache::ParsedFile>> KeepAlive;
};

/// The legend of semanticTokens, as advertised at initialize.
json semanticTokensLegend();

} // namespace deployc::lsp

#endif
