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
#include <nlohmann/json.hpp>

namespace deployc::lsp {

using json = nlohmann::json;

std::string uriFromPath(llvm::StringRef Path);
std::string pathFromUri(llvm::StringRef Uri);

class Analysis {
public:
  /// Reads an open document's text by absolute path, or nothing.
  using Overlay = std::function<std::optional<std::string>(llvm::StringRef Path)>;

  Analysis(std::string Uri, std::string Text, int64_t Version,
           const std::string &StdlibPath, const Overlay &Open,
           const std::string &Environment);

  const std::string &getUri() const { return Uri; }
  int64_t getVersion() const { return Version; }
  llvm::StringRef getText() const { return SM.getBuffer(Root); }

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

  std::string Uri;
  int64_t Version;
  std::string EnvironmentName;
  SourceManager SM;
  DiagnosticEngine Diags{SM};
  FileID Root = 0;
  std::unique_ptr<sema::Program> Prog;
  std::string StdlibPath;
};

/// The legend of semanticTokens, as advertised at initialize.
json semanticTokensLegend();

} // namespace deployc::lsp

#endif
