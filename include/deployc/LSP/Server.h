//===- Server.h - deployc's language server -----------------------*- C++ -*-===//
//
// LSP 3.17 over stdio with Content-Length framing (or, for lit tests,
// `---`-separated messages without headers, as clangd's -lit-test). The reader
// thread only reads and queues; requests run in order on a request thread
// (so `$/cancelRequest` can drop queued ones), and diagnostics are recomputed
// on a worker thread after edits settle, so slow analysis never blocks reading.
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_LSP_SERVER_H
#define DEPLOYC_LSP_SERVER_H

#include <istream>
#include <ostream>
#include <string>

namespace deployc::lsp {

struct ServerOptions {
  std::string StdlibPath;
  /// Messages are `---`-separated JSON without headers; output is pretty
  /// printed and diagnostics are published synchronously (deterministic).
  bool LitTest = false;
  /// Delay after the last edit before diagnostics are recomputed. Edits that
  /// arrive while a compilation runs are coalesced into the next one anyway.
  unsigned DebounceMs = 0;
};

/// Serves until `exit`; returns the process exit code (0 after `shutdown`,
/// 1 otherwise, as the protocol asks).
int runLanguageServer(std::istream &In, std::ostream &Out, const ServerOptions &Opts);

} // namespace deployc::lsp

#endif
