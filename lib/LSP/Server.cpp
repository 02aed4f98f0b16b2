//===- Server.cpp - deployc's language server -----------------------------===//
//
// Three threads: the reader parses frames and queues messages; the request
// thread runs them in order (document changes included, so a request always
// sees the edits sent before it); the diagnostics worker recompiles changed
// documents once edits settle and publishes the result if the document has
// not moved on meanwhile. Malformed input of any kind is answered with a
// JSON-RPC error or ignored, never allowed to stop the server.
//
//===----------------------------------------------------------------------===//

#include "deployc/LSP/Server.h"
#include "Analysis.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/thread.h"
#include <algorithm>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

using namespace deployc;
using namespace deployc::lsp;

namespace {

enum ErrorCode {
  ParseError = -32700,
  InvalidRequest = -32600,
  MethodNotFound = -32601,
  InvalidParams = -32602,
  InternalError = -32603,
  ServerNotInitialized = -32002,
  RequestCancelled = -32800,
  RequestFailed = -32803,
};

/// Thrown by handlers for invalid params; caught at the dispatch boundary.
struct LSPError {
  int Code;
  std::string Message;
};

constexpr size_t MaxMessageBytes = 64u << 20;

class Transport {
public:
  Transport(std::istream &In, std::ostream &Out, bool LitTest)
      : In(In), Out(Out), LitTest(LitTest) {}

  /// Reads the next message body; false at the end of input.
  bool read(std::string &Body) {
    return LitTest ? readDelimited(Body) : readFramed(Body);
  }

  void write(const json &Msg) {
    std::string Text = LitTest ? Msg.dump(2, ' ', false, json::error_handler_t::replace)
                               : Msg.dump(-1, ' ', false, json::error_handler_t::replace);
    std::lock_guard<std::mutex> G(Lock);
    Out << "Content-Length: " << Text.size() << "\r\n\r\n" << Text;
    if (LitTest)
      Out << "\n";
    Out.flush();
  }

private:
  bool readFramed(std::string &Body) {
    for (;;) {
      std::string Line;
      long Length = -1;
      bool SawHeader = false;
      // Headers end with an empty line. Unknown headers are ignored.
      while (std::getline(In, Line)) {
        if (!Line.empty() && Line.back() == '\r')
          Line.pop_back();
        if (Line.empty()) {
          if (SawHeader)
            break;
          continue;
        }
        SawHeader = true;
        llvm::StringRef L(Line);
        if (L.consume_front_insensitive("content-length:")) {
          long long V;
          if (!L.trim().getAsInteger(10, V) && V >= 0)
            Length = V;
        }
      }
      if (!In)
        return false;
      if (Length < 0 || size_t(Length) > MaxMessageBytes) {
        // No usable length: the frame cannot be read; resynchronise on the
        // next header block.
        continue;
      }
      Body.assign(Length, '\0');
      In.read(Body.data(), Length);
      if (In.gcount() != Length)
        return false;
      return true;
    }
  }

  bool readDelimited(std::string &Body) {
    Body.clear();
    std::string Line;
    bool Any = false;
    while (std::getline(In, Line)) {
      if (llvm::StringRef(Line).trim() == "---") {
        if (Any)
          return true;
        continue;
      }
      // Lit tests use `#` comments for RUN and CHECK lines.
      if (llvm::StringRef(Line).ltrim().startswith("#"))
        continue;
      Body += Line + "\n";
      if (!llvm::StringRef(Line).trim().empty())
        Any = true;
    }
    return Any;
  }

  std::istream &In;
  std::ostream &Out;
  bool LitTest;
  std::mutex Lock;
};

struct Document {
  std::string Text;
  int64_t Version = 0;
};

class Server {
public:
  Server(Transport &T, const ServerOptions &Opts) : T(T), Opts(Opts) {}

  int run() {
    // The front end recurses over its input: deep input must meet a large
    // stack, as on the command line.
    const llvm::Optional<unsigned> Stack(256u << 20);
    llvm::thread Requests(Stack, [this] { requestLoop(); });
    llvm::thread Diagnostics;
    if (!Opts.LitTest)
      Diagnostics = llvm::thread(Stack, [this] { diagnosticsLoop(); });
    std::string Body;
    while (!ExitRequested && T.read(Body))
      receive(Body);
    {
      std::lock_guard<std::mutex> G(QueueLock);
      Stopping = true;
    }
    QueueCV.notify_all();
    DirtyCV.notify_all();
    Requests.join();
    if (Diagnostics.joinable())
      Diagnostics.join();
    return ShutdownReceived ? 0 : 1;
  }

private:
  //===--------------------------------------------------------------------===//
  // Reading and queueing
  //===--------------------------------------------------------------------===//

  void receive(const std::string &Body) {
    json Msg;
    try {
      Msg = json::parse(Body);
    } catch (...) {
      replyError(nullptr, ParseError, "invalid JSON");
      return;
    }
    if (!Msg.is_object() || !Msg.contains("method") || !Msg["method"].is_string()) {
      // Responses to our requests (we send none) and junk.
      if (Msg.is_object() && Msg.contains("id") && !Msg.contains("result") &&
          !Msg.contains("error"))
        replyError(Msg["id"], InvalidRequest, "a request needs a string `method`");
      else if (!Msg.is_object())
        replyError(nullptr, InvalidRequest, "a message must be a JSON object");
      return;
    }
    std::string Method = Msg["method"];
    // Ids are integers or strings; anything else is answered with a null id
    // here, before a cancellation could echo it.
    if (Msg.contains("id") && !Msg["id"].is_number_integer() && !Msg["id"].is_string()) {
      replyError(nullptr, InvalidRequest, "`id` must be a number or a string");
      return;
    }
    if (Method == "$/cancelRequest") {
      cancel(Msg.value("params", json::object()));
      // Sent as a request by mistake: `$/` requests get MethodNotFound.
      if (Msg.contains("id"))
        replyError(Msg["id"], MethodNotFound, "$/cancelRequest is a notification");
      return;
    }
    if (Method == "exit") {
      ExitRequested = true;
      return;
    }
    {
      std::lock_guard<std::mutex> G(QueueLock);
      Queue.push_back(std::move(Msg));
    }
    QueueCV.notify_one();
    if (Opts.LitTest)
      waitForQueue(); // Deterministic order of output in lit tests.
  }

  void waitForQueue() {
    std::unique_lock<std::mutex> L(QueueLock);
    IdleCV.wait(L, [&] { return Queue.empty() && !Busy; });
  }

  void cancel(const json &Params) {
    if (!Params.is_object() || !Params.contains("id") ||
        !(Params["id"].is_number_integer() || Params["id"].is_string()))
      return;
    json Id = Params["id"];
    std::lock_guard<std::mutex> G(QueueLock);
    for (auto It = Queue.begin(); It != Queue.end(); ++It)
      if (It->contains("id") && (*It)["id"] == Id) {
        Queue.erase(It);
        replyError(Id, RequestCancelled, "cancelled");
        return;
      }
  }

  void requestLoop() {
    for (;;) {
      json Msg;
      {
        std::unique_lock<std::mutex> L(QueueLock);
        QueueCV.wait(L, [&] { return Stopping || !Queue.empty(); });
        if (Queue.empty()) {
          if (Stopping)
            return;
          continue;
        }
        Msg = std::move(Queue.front());
        Queue.pop_front();
        Busy = true;
      }
      dispatch(Msg);
      {
        std::lock_guard<std::mutex> G(QueueLock);
        Busy = false;
      }
      IdleCV.notify_all();
    }
  }

  //===--------------------------------------------------------------------===//
  // Dispatch
  //===--------------------------------------------------------------------===//

  void reply(const json &Id, json Result) {
    T.write({{"jsonrpc", "2.0"}, {"id", Id}, {"result", std::move(Result)}});
  }

  void replyError(const json &Id, int Code, const std::string &Message) {
    T.write({{"jsonrpc", "2.0"},
             {"id", Id},
             {"error", {{"code", Code}, {"message", Message}}}});
  }

  void notify(const std::string &Method, json Params) {
    T.write({{"jsonrpc", "2.0"}, {"method", Method}, {"params", std::move(Params)}});
  }

  using Handler = json (Server::*)(const json &);

  void dispatch(const json &Msg) {
    static const std::map<std::string, Handler> Requests = {
        {"initialize", &Server::onInitialize},
        {"shutdown", &Server::onShutdown},
        {"textDocument/hover", &Server::onHover},
        {"textDocument/definition", &Server::onDefinition},
        {"textDocument/references", &Server::onReferences},
        {"textDocument/prepareRename", &Server::onPrepareRename},
        {"textDocument/rename", &Server::onRename},
        {"textDocument/completion", &Server::onCompletion},
        {"textDocument/documentSymbol", &Server::onDocumentSymbol},
        {"textDocument/semanticTokens/full", &Server::onSemanticTokens},
        {"textDocument/formatting", &Server::onFormatting},
        {"textDocument/codeAction", &Server::onCodeAction},
        {"textDocument/signatureHelp", &Server::onSignatureHelp},
    };
    static const std::map<std::string, Handler> Notifications = {
        {"initialized", &Server::onInitialized},
        {"textDocument/didOpen", &Server::onDidOpen},
        {"textDocument/didChange", &Server::onDidChange},
        {"textDocument/didClose", &Server::onDidClose},
        {"textDocument/didSave", &Server::onDidSave},
        {"workspace/didChangeConfiguration", &Server::onDidChangeConfiguration},
    };
    const std::string Method = Msg["method"];
    bool IsRequest = Msg.contains("id");
    json Id = IsRequest ? Msg["id"] : json();
    if (IsRequest && !Id.is_number_integer() && !Id.is_string()) {
      replyError(nullptr, InvalidRequest, "`id` must be a number or a string");
      return;
    }
    json Params = Msg.value("params", json::object());
    try {
      if (IsRequest) {
        auto It = Requests.find(Method);
        if (It == Requests.end()) {
          replyError(Id, MethodNotFound, "method not found: " + Method);
          return;
        }
        if (!Initialized && Method != "initialize") {
          replyError(Id, ServerNotInitialized, "the server is not initialized");
          return;
        }
        if (ShutdownReceived) {
          replyError(Id, InvalidRequest, "the server is shutting down");
          return;
        }
        reply(Id, (this->*It->second)(Params));
        return;
      }
      auto It = Notifications.find(Method);
      if (It != Notifications.end() && Initialized && !ShutdownReceived)
        (this->*It->second)(Params);
      // Unknown notifications ($/setTrace, ...) are ignored, as the protocol asks.
    } catch (const LSPError &E) {
      if (IsRequest)
        replyError(Id, E.Code, E.Message);
    } catch (const json::exception &E) {
      if (IsRequest)
        replyError(Id, InvalidParams, std::string("invalid params: ") + E.what());
    } catch (const std::exception &E) {
      if (IsRequest)
        replyError(Id, InternalError, E.what());
    }
  }

  //===--------------------------------------------------------------------===//
  // Lifecycle
  //===--------------------------------------------------------------------===//

  json onInitialize(const json &Params) {
    Initialized = true;
    if (Params.is_object()) {
      // Workspace folders: where to look for the files that import a document.
      if (Params.contains("workspaceFolders") && Params["workspaceFolders"].is_array())
        for (const json &F : Params["workspaceFolders"])
          if (F.is_object() && F.contains("uri") && F["uri"].is_string())
            WorkspaceRoots.push_back(pathFromUri(F["uri"].get<std::string>()));
      if (WorkspaceRoots.empty() && Params.contains("rootUri") && Params["rootUri"].is_string())
        WorkspaceRoots.push_back(pathFromUri(Params["rootUri"].get<std::string>()));
      const json &InitOpts = Params.value("initializationOptions", json::object());
      if (InitOpts.is_object() && InitOpts.contains("environment") &&
          InitOpts["environment"].is_string())
        Environment = InitOpts["environment"];
    }
    json Capabilities = {
        {"positionEncoding", "utf-16"},
        {"textDocumentSync",
         {{"openClose", true}, {"change", 2}, {"save", {{"includeText", false}}}}},
        {"hoverProvider", true},
        {"definitionProvider", true},
        {"referencesProvider", true},
        {"renameProvider", {{"prepareProvider", true}}},
        {"completionProvider", {{"triggerCharacters", {".", "=", " "}}}},
        {"documentSymbolProvider", true},
        {"semanticTokensProvider", {{"legend", semanticTokensLegend()}, {"full", true}}},
        {"documentFormattingProvider", true},
        {"codeActionProvider", {{"codeActionKinds", {"quickfix"}}}},
        {"signatureHelpProvider", {{"triggerCharacters", {"(", ","}}}},
    };
    return {{"capabilities", Capabilities},
            {"serverInfo", {{"name", "deployc"}, {"version", DEPLOYC_VERSION}}}};
  }

  json onInitialized(const json &) { return nullptr; }

  json onShutdown(const json &) {
    ShutdownReceived = true;
    return nullptr;
  }

  json onDidChangeConfiguration(const json &Params) {
    const json &Settings = Params.value("settings", json::object());
    if (Settings.is_object() && Settings.contains("deployc") &&
        Settings["deployc"].is_object() && Settings["deployc"].contains("environment") &&
        Settings["deployc"]["environment"].is_string()) {
      std::lock_guard<std::mutex> G(DocsLock);
      Environment = Settings["deployc"]["environment"];
      Cache.clear();
    }
    return nullptr;
  }

  //===--------------------------------------------------------------------===//
  // Documents
  //===--------------------------------------------------------------------===//

  static std::string uriOf(const json &Params) {
    if (!Params.is_object() || !Params.contains("textDocument") ||
        !Params["textDocument"].is_object() || !Params["textDocument"].contains("uri") ||
        !Params["textDocument"]["uri"].is_string())
      throw LSPError{InvalidParams, "missing textDocument.uri"};
    return Params["textDocument"]["uri"];
  }

  /// A `uinteger` field, clamped into [0, INT_MAX]: clients may send any
  /// number (negative, huge, fractional) and converting those is undefined.
  static int uinteger(const json &Obj, const char *Key) {
    if (!Obj.contains(Key))
      return 0;
    const json &V = Obj[Key];
    if (V.is_number_unsigned())
      return int(std::min<uint64_t>(V.get<uint64_t>(), INT_MAX));
    if (V.is_number_integer())
      return int(std::clamp<int64_t>(V.get<int64_t>(), 0, INT_MAX));
    if (V.is_number_float()) {
      double D = V.get<double>();
      return D > 0 && D < double(INT_MAX) ? int(D) : (D >= double(INT_MAX) ? INT_MAX : 0);
    }
    throw LSPError{InvalidParams, std::string("`") + Key + "` must be a number"};
  }

  static Position positionOf(const json &Params) {
    if (!Params.contains("position") || !Params["position"].is_object())
      throw LSPError{InvalidParams, "missing position"};
    const json &P = Params["position"];
    Position Pos;
    Pos.Line = uinteger(P, "line");
    Pos.Character = uinteger(P, "character");
    return Pos;
  }

  json onDidOpen(const json &Params) {
    std::string Uri = uriOf(Params);
    const json &Doc = Params["textDocument"];
    {
      std::lock_guard<std::mutex> G(DocsLock);
      Document &D = Docs[Uri];
      D.Text = Doc.value("text", "");
      D.Version = Doc.contains("version") && Doc["version"].is_number_integer()
                      ? Doc["version"].get<int64_t>()
                      : 0;
    }
    changed(Uri);
    return nullptr;
  }

  json onDidChange(const json &Params) {
    std::string Uri = uriOf(Params);
    {
      std::lock_guard<std::mutex> G(DocsLock);
      auto It = Docs.find(Uri);
      if (It == Docs.end())
        return nullptr; // A change to a document never opened.
      Document &D = It->second;
      // All the changes apply, or none: a malformed one leaves the text as
      // it was (json::exception reaches dispatch).
      std::string Text = D.Text;
      for (const json &C : Params.value("contentChanges", json::array())) {
        if (!C.is_object() || !C.contains("text") || !C["text"].is_string())
          continue;
        std::optional<Range> R;
        if (C.contains("range") && C["range"].is_object()) {
          const json &J = C["range"];
          auto pos = [](const json &P) {
            Position X;
            if (P.is_object()) {
              X.Line = uinteger(P, "line");
              X.Character = uinteger(P, "character");
            }
            return X;
          };
          R = Range{pos(J.value("start", json::object())), pos(J.value("end", json::object()))};
        }
        applyChange(Text, R, C["text"].get<std::string>());
      }
      D.Text = std::move(Text);
      if (Params["textDocument"].contains("version") &&
          Params["textDocument"]["version"].is_number_integer())
        D.Version = Params["textDocument"]["version"];
      else if (D.Version < INT64_MAX)
        ++D.Version;
    }
    changed(Uri);
    return nullptr;
  }

  json onDidClose(const json &Params) {
    std::string Uri = uriOf(Params);
    {
      std::lock_guard<std::mutex> G(DocsLock);
      Docs.erase(Uri);
      Cache.erase(Uri);
      Dirty.erase(Uri);
    }
    notify("textDocument/publishDiagnostics", {{"uri", Uri}, {"diagnostics", json::array()}});
    return nullptr;
  }

  json onDidSave(const json &Params) {
    // Saved files may be imported by other open documents: recheck them all.
    uriOf(Params);
    std::vector<std::string> All;
    {
      std::lock_guard<std::mutex> G(DocsLock);
      Cache.clear();
      MainOf.clear(); // Imports may have changed.
      for (auto &[U, D] : Docs)
        All.push_back(U);
    }
    for (const std::string &U : All)
      changed(U);
    return nullptr;
  }

  /// Schedules new diagnostics for Uri (and, since it may be imported, for the
  /// other open documents as well).
  void changed(const std::string &Uri) {
    if (Opts.LitTest) {
      publish(Uri);
      return;
    }
    {
      std::lock_guard<std::mutex> G(DocsLock);
      Dirty.insert(Uri);
      LastChange = std::chrono::steady_clock::now();
    }
    DirtyCV.notify_one();
  }

  std::optional<std::string> openText(llvm::StringRef Path) {
    std::lock_guard<std::mutex> G(DocsLock);
    for (auto &[U, D] : Docs)
      if (pathFromUri(U) == Path)
        return D.Text;
    return std::nullopt;
  }

  /// The file whose program includes Path: a file importing it (transitively),
  /// learned from earlier analyses or found in the workspace; else Path itself.
  std::string mainFor(const std::string &Path) {
    {
      std::lock_guard<std::mutex> G(DocsLock);
      auto It = MainOf.find(Path);
      if (It != MainOf.end())
        return It->second;
    }
    std::string Main = findImporterInWorkspace(Path);
    std::lock_guard<std::mutex> G(DocsLock);
    MainOf[Path] = Main;
    return Main;
  }

  /// Follows `import "..."` edges of the workspace's .deploy files upwards.
  std::string findImporterInWorkspace(const std::string &Path) {
    std::map<std::string, std::vector<std::string>> ImportedBy;
    unsigned Budget = 2000;
    for (const std::string &Root : WorkspaceRoots) {
      std::error_code EC;
      for (llvm::sys::fs::recursive_directory_iterator It(Root, EC), End;
           It != End && !EC && Budget; It.increment(EC)) {
        if (llvm::sys::path::extension(It->path()) != ".deploy")
          continue;
        --Budget;
        std::optional<std::string> Text = openText(It->path());
        if (!Text) {
          if (auto Read = readInputFile(It->path()))
            Text = std::move(*Read);
          else
            llvm::consumeError(Read.takeError());
        }
        if (!Text)
          continue;
        llvm::SmallVector<llvm::StringRef, 64> Lines;
        llvm::StringRef(*Text).split(Lines, '\n');
        for (llvm::StringRef L : Lines) {
          // `import "PATH"` at the start of a line.
          L = L.ltrim();
          if (!L.consume_front("import") || L.empty() || !llvm::isSpace(L.front()))
            continue;
          L = L.ltrim();
          if (!L.consume_front("\""))
            continue;
          size_t Quote = L.find('"');
          if (Quote == llvm::StringRef::npos || Quote == 0)
            continue;
          llvm::SmallString<256> Target(llvm::sys::path::parent_path(It->path()));
          llvm::sys::path::append(Target, L.take_front(Quote));
          llvm::sys::path::remove_dots(Target, /*remove_dot_dot=*/true);
          ImportedBy[std::string(Target)].push_back(It->path());
        }
      }
    }
    std::string Cur = Path;
    std::set<std::string> Seen{Cur};
    for (;;) {
      auto It = ImportedBy.find(Cur);
      if (It == ImportedBy.end())
        break;
      std::vector<std::string> &Importers = It->second;
      std::sort(Importers.begin(), Importers.end());
      if (!Seen.insert(Importers.front()).second)
        break;
      Cur = Importers.front();
    }
    return Cur;
  }

  /// The analysis of Uri at its current version, computed if needed.
  std::shared_ptr<const Analysis> analysis(const std::string &Uri) {
    std::string Text;
    int64_t Version;
    std::string Env;
    {
      std::lock_guard<std::mutex> G(DocsLock);
      auto It = Docs.find(Uri);
      if (It == Docs.end())
        throw LSPError{InvalidParams, "document is not open: " + Uri};
      auto C = Cache.find(Uri);
      if (C != Cache.end() && C->second->getVersion() == It->second.Version)
        return C->second;
      Text = It->second.Text;
      Version = It->second.Version;
      Env = Environment;
    }
    std::string Main = uriFromPath(mainFor(pathFromUri(Uri)));
    if (pathFromUri(Main) == pathFromUri(Uri))
      Main = Uri;
    std::shared_ptr<const Analysis> A;
    {
      // One compilation at a time: they share parsed files.
      std::lock_guard<std::mutex> G(AnalysisLock);
      A = std::make_shared<const Analysis>(
          Uri, Text, Version, Opts.StdlibPath,
          [this](llvm::StringRef Path) { return openText(Path); }, Env, Main, &Parses);
    }
    std::vector<std::string> Follow;
    {
      std::lock_guard<std::mutex> G(DocsLock);
      auto It = Docs.find(Uri);
      if (It != Docs.end() && It->second.Version == Version)
        Cache[Uri] = A;
      // Files this program loads belong to its main file from now on; open
      // ones analysed on their own so far are rechecked.
      std::string MainPath = pathFromUri(A->getMainUri());
      for (const std::string &P : A->loadedPaths()) {
        if (P == MainPath)
          continue;
        std::string &Known = MainOf[P];
        if (Known == MainPath)
          continue;
        Known = MainPath;
        std::string U = uriFromPath(P);
        if (Docs.count(U)) {
          Cache.erase(U);
          Follow.push_back(U);
        }
      }
    }
    for (const std::string &U : Follow)
      if (!Opts.LitTest)
        changed(U);
    return A;
  }

  void publish(const std::string &Uri) {
    std::shared_ptr<const Analysis> A;
    try {
      A = analysis(Uri);
    } catch (...) {
      return;
    }
    {
      // Publish only if no newer edit arrived while we were compiling.
      std::lock_guard<std::mutex> G(DocsLock);
      auto It = Docs.find(Uri);
      if (It == Docs.end() || It->second.Version != A->getVersion())
        return;
    }
    notify("textDocument/publishDiagnostics", A->diagnostics());
  }

  void diagnosticsLoop() {
    for (;;) {
      std::set<std::string> Work;
      {
        std::unique_lock<std::mutex> L(DocsLock);
        DirtyCV.wait(L, [&] { return Stopping || !Dirty.empty(); });
        if (Stopping)
          return;
        // Debounce: wait until edits have settled.
        while (!Stopping && std::chrono::steady_clock::now() - LastChange <
                                std::chrono::milliseconds(Opts.DebounceMs))
          DirtyCV.wait_for(L, std::chrono::milliseconds(Opts.DebounceMs));
        if (Stopping)
          return;
        Work.swap(Dirty);
      }
      for (const std::string &Uri : Work)
        publish(Uri);
    }
  }

  //===--------------------------------------------------------------------===//
  // Features
  //===--------------------------------------------------------------------===//

  json onHover(const json &P) { return analysis(uriOf(P))->hover(positionOf(P)); }
  json onDefinition(const json &P) { return analysis(uriOf(P))->definition(positionOf(P)); }
  json onReferences(const json &P) {
    bool Decl = P.contains("context") && P["context"].is_object() &&
                P["context"].value("includeDeclaration", false);
    return analysis(uriOf(P))->references(positionOf(P), Decl);
  }
  json onPrepareRename(const json &P) {
    return analysis(uriOf(P))->prepareRename(positionOf(P));
  }
  json onRename(const json &P) {
    if (!P.contains("newName") || !P["newName"].is_string())
      throw LSPError{InvalidParams, "missing newName"};
    std::string Error;
    json R = analysis(uriOf(P))->rename(positionOf(P), P["newName"], Error);
    if (!Error.empty())
      throw LSPError{RequestFailed, Error};
    return R;
  }
  json onCompletion(const json &P) { return analysis(uriOf(P))->completion(positionOf(P)); }
  json onDocumentSymbol(const json &P) { return analysis(uriOf(P))->documentSymbols(); }
  json onSemanticTokens(const json &P) { return analysis(uriOf(P))->semanticTokens(); }
  json onFormatting(const json &P) { return analysis(uriOf(P))->formatting(); }
  json onSignatureHelp(const json &P) {
    return analysis(uriOf(P))->signatureHelp(positionOf(P));
  }

  /// Quick fixes: the fix-its carried in the diagnostics' data.
  json onCodeAction(const json &P) {
    std::string Uri = uriOf(P);
    json Actions = json::array();
    const json &Ctx = P.value("context", json::object());
    if (!Ctx.is_object())
      return Actions;
    for (const json &D : Ctx.value("diagnostics", json::array())) {
      if (!D.is_object() || !D.contains("data") || !D["data"].is_object())
        continue;
      const json &Fixes = D["data"].value("fixits", json::array());
      if (!Fixes.is_array() || Fixes.empty())
        continue;
      std::string Title = "Apply fix";
      if (Fixes.size() == 1 && Fixes[0].contains("newText"))
        Title = "Replace with `" + Fixes[0]["newText"].get<std::string>() + "`";
      Actions.push_back({{"title", Title},
                         {"kind", "quickfix"},
                         {"diagnostics", json::array({D})},
                         {"isPreferred", true},
                         {"edit", {{"changes", {{Uri, Fixes}}}}}});
    }
    return Actions;
  }

  Transport &T;
  const ServerOptions &Opts;
  bool Initialized = false;
  std::atomic<bool> ShutdownReceived{false};
  std::atomic<bool> ExitRequested{false};

  std::mutex QueueLock;
  std::condition_variable QueueCV, IdleCV;
  std::deque<json> Queue;
  bool Busy = false;
  bool Stopping = false;

  std::mutex DocsLock;
  std::condition_variable DirtyCV;
  std::map<std::string, Document> Docs;
  std::map<std::string, std::shared_ptr<const Analysis>> Cache;
  std::set<std::string> Dirty;
  std::chrono::steady_clock::time_point LastChange;
  std::string Environment;
  std::vector<std::string> WorkspaceRoots;
  std::mutex AnalysisLock;
  ParseCache Parses;
  std::map<std::string, std::string> MainOf; ///< file path -> main file path
};

} // namespace

int lsp::runLanguageServer(std::istream &In, std::ostream &Out, const ServerOptions &Opts) {
  Transport T(In, Out, Opts.LitTest);
  Server S(T, Opts);
  return S.run();
}
