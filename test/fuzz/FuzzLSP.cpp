//===- FuzzLSP.cpp - libFuzzer target: the language server ----------------===//
//
// The bytes follow an `initialize` and `initialized`, as a client's stream:
// framed when they start with a `Content-Length` header, else `---`-separated
// as in the lit tests. The server must answer and stop at the end of input.
//
//===----------------------------------------------------------------------===//

#include "deployc/LSP/Server.h"
#include "llvm/ADT/StringRef.h"
#include <cstdint>
#include <sstream>

using namespace deployc;

static std::string frame(const std::string &Body) {
  return "Content-Length: " + std::to_string(Body.size()) + "\r\n\r\n" + Body;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  static const std::string Init =
      R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"capabilities":{}}})";
  static const std::string Initialized = R"({"jsonrpc":"2.0","method":"initialized","params":{}})";
  std::string Rest(reinterpret_cast<const char *>(Data), Size);
  lsp::ServerOptions Opts;
  Opts.StdlibPath = DEPLOYC_STDLIB_DIR;
  Opts.LitTest = !llvm::StringRef(Rest).startswith_insensitive("content-length");
  std::string Input = Opts.LitTest ? Init + "\n---\n" + Initialized + "\n---\n" + Rest
                                   : frame(Init) + frame(Initialized) + Rest;
  std::istringstream In(Input);
  std::ostringstream Out;
  lsp::runLanguageServer(In, Out, Opts);
  return 0;
}
