#!/usr/bin/env node
// End-to-end tests of `deployc lsp` driven by a real LSP client library
// (vscode-languageserver-protocol / vscode-jsonrpc, pinned in package.json).
//
//   cp -r test/lsp-client/. DIR && (cd DIR && npm ci)
//   node DIR/client.mjs --deployc build/bin/deployc --workspace test/lsp-client/workspace
//
// Starts the server as a child process, speaks LSP 3.17 to it over stdio
// (Content-Length framing) and walks one scenario after another, printing
// `ok - NAME` or `not ok - NAME` for each and a closing `N passed, N failed`
// line. Exits 1 if any scenario failed. Every request has a timeout and the
// whole run is bounded, so a hung server fails the run instead of blocking it.
//
// The documents come from the workspace folder (main.deploy imports
// lib.deploy and std.tiers); positions are found by searching their text, so
// editing the workspace does not mean renumbering lines here.

import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import jsonrpc from 'vscode-jsonrpc/node.js';
import protocol from 'vscode-languageserver-protocol/node.js';

const { StreamMessageReader, StreamMessageWriter, ResponseError } = jsonrpc;
const {
  createProtocolConnection,
  InitializeRequest,
  InitializedNotification,
  ShutdownRequest,
  ExitNotification,
  DidOpenTextDocumentNotification,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  PublishDiagnosticsNotification,
  HoverRequest,
  DefinitionRequest,
  ReferencesRequest,
  PrepareRenameRequest,
  RenameRequest,
  CompletionRequest,
  CodeActionRequest,
  DocumentFormattingRequest,
  DocumentSymbolRequest,
  SemanticTokensRequest,
  SignatureHelpRequest,
  TextDocumentSyncKind,
  CompletionItemKind,
  SymbolKind,
  ErrorCodes,
} = protocol;

//===----------------------------------------------------------------------===//
// Options
//===----------------------------------------------------------------------===//

const { values: opts } = parseArgs({
  options: {
    deployc: { type: 'string' },
    workspace: { type: 'string' },
    'request-timeout': { type: 'string', default: '10000' },
    'total-timeout': { type: 'string', default: '60000' },
    verbose: { type: 'boolean', short: 'v', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help || !opts.deployc || !opts.workspace) {
  console.error(
    'usage: node client.mjs --deployc PATH --workspace DIR ' +
      '[--request-timeout MS] [--total-timeout MS] [--verbose]');
  process.exit(opts.help ? 0 : 2);
}
const DEPLOYC = path.resolve(opts.deployc);
const WORKSPACE = path.resolve(opts.workspace);
const REQUEST_TIMEOUT = Number(opts['request-timeout']);
const TOTAL_TIMEOUT = Number(opts['total-timeout']);
for (const f of [DEPLOYC, path.join(WORKSPACE, 'main.deploy'), path.join(WORKSPACE, 'lib.deploy')])
  if (!existsSync(f)) {
    console.error(`client.mjs: ${f} does not exist`);
    process.exit(2);
  }

const MAIN_PATH = path.join(WORKSPACE, 'main.deploy');
const LIB_PATH = path.join(WORKSPACE, 'lib.deploy');
const MAIN_URI = pathToFileURL(MAIN_PATH).href;
const LIB_URI = pathToFileURL(LIB_PATH).href;
const MAIN_TEXT = readFileSync(MAIN_PATH, 'utf8');
const LIB_TEXT = readFileSync(LIB_PATH, 'utf8');

//===----------------------------------------------------------------------===//
// Text helpers (positions are UTF-16 code units, as JS strings are)
//===----------------------------------------------------------------------===//

/** Offset -> LSP position. */
function positionAt(text, offset) {
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}

/** LSP position -> offset; throws on positions outside the text. */
function offsetAt(text, pos) {
  const lines = text.split('\n');
  assert.ok(pos.line >= 0 && pos.line < lines.length, `line ${pos.line} is outside the text`);
  assert.ok(pos.character >= 0 && pos.character <= lines[pos.line].length,
            `character ${pos.character} is outside line ${pos.line}`);
  let offset = 0;
  for (let i = 0; i < pos.line; ++i) offset += lines[i].length + 1;
  return offset + pos.character;
}

/**
 * Position of the n-th occurrence of `needle` in `text`, moved `delta` code
 * units into it (e.g. 1 = inside the word rather than at its start).
 */
function find(text, needle, { nth = 0, delta = 0 } = {}) {
  let at = -1;
  for (let i = 0; i <= nth; ++i) {
    at = text.indexOf(needle, at + 1);
    assert.ok(at >= 0, `\`${needle}\` (occurrence ${nth}) not found in the document`);
  }
  return positionAt(text, at + delta);
}

/** The range of the n-th occurrence of `needle`, narrowed to `part` of it. */
function rangeOf(text, needle, { nth = 0, part = needle } = {}) {
  const inner = needle.indexOf(part);
  assert.ok(inner >= 0);
  const start = find(text, needle, { nth, delta: inner });
  return { start, end: { line: start.line, character: start.character + part.length } };
}

function textAt(text, range) {
  return text.slice(offsetAt(text, range.start), offsetAt(text, range.end));
}

/** Applies TextEdits (non-overlapping, positions in the original text). */
function applyEdits(text, edits) {
  const spans = edits
    .map((e) => ({ begin: offsetAt(text, e.range.start), end: offsetAt(text, e.range.end), newText: e.newText }))
    .sort((a, b) => b.begin - a.begin || b.end - a.end);
  for (let i = 1; i < spans.length; ++i)
    assert.ok(spans[i].end <= spans[i - 1].begin, 'edits overlap');
  for (const s of spans) {
    assert.ok(s.begin <= s.end, 'edit range is inverted');
    text = text.slice(0, s.begin) + s.newText + text.slice(s.end);
  }
  return text;
}

/** One incremental content change applied as the protocol says. */
function applyChange(text, change) {
  if (!change.range) return change.text;
  return applyEdits(text, [{ range: change.range, newText: change.text }]);
}

function samePath(uri, file) {
  assert.ok(typeof uri === 'string' && uri.startsWith('file://'), `not a file URI: ${uri}`);
  return path.resolve(fileURLToPath(uri)) === path.resolve(file);
}

function isRange(r) {
  return r && Number.isInteger(r.start?.line) && Number.isInteger(r.start?.character) &&
    Number.isInteger(r.end?.line) && Number.isInteger(r.end?.character);
}

/** `deployc fmt` of some text: the canonical form the server should produce. */
function canonical(text) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'deployc-lsp-fmt-'));
  try {
    const file = path.join(dir, 'doc.deploy');
    writeFileSync(file, text);
    execFileSync(DEPLOYC, ['fmt', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    return readFileSync(file, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `deployc check` over a set of files written to a temporary folder. */
function check(files, main) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'deployc-lsp-check-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
    execFileSync(DEPLOYC, ['check', path.join(dir, main)], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new Error(`deployc check failed on the edited files:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const show = (v) => JSON.stringify(v);

//===----------------------------------------------------------------------===//
// A server session
//===----------------------------------------------------------------------===//

class Session {
  constructor(name) {
    this.name = name;
    this.stderr = '';
    this.published = []; // every publishDiagnostics, in order
    this.waiters = new Set();
    this.child = spawn(DEPLOYC, ['lsp'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => resolve({ code, signal }));
      this.child.on('error', (err) => resolve({ code: null, signal: null, error: err }));
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (d) => {
      this.stderr = (this.stderr + d).slice(-8000);
    });
    // A server that dies makes writes fail; the scenario reports that.
    this.child.stdin.on('error', () => {});
    // Every message the server sends is looked at before the connection
    // dispatches it: duplicate responses and frames the reader cannot parse
    // would otherwise be dropped or only logged.
    this.protocolProblems = [];
    this.answered = new Set();
    const reader = new StreamMessageReader(this.child.stdout);
    const listen = reader.listen.bind(reader);
    reader.listen = (callback) => listen((msg) => {
      this.observe(msg);
      callback(msg);
    });
    reader.onError((err) => this.protocolProblems.push(`unreadable output: ${err?.message ?? err}`));
    const logger = {
      error: (m) => this.protocolProblems.push(`client library: ${m}`),
      warn: () => {}, info: () => {}, log: () => {},
    };
    this.connection = createProtocolConnection(reader, new StreamMessageWriter(this.child.stdin), logger);
    this.connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
      this.published.push(params);
      for (const w of this.waiters) w();
    });
    this.connection.onError(([err]) => {
      if (opts.verbose) console.error(`# ${this.name}: connection error: ${err?.message ?? err}`);
    });
    if (opts.verbose)
      this.connection.trace(protocol.Trace.Verbose, { log: (m, d) => console.error(`# ${m}${d ? `\n${d}` : ''}`) });
    this.connection.listen();
  }

  observe(msg) {
    if (msg?.jsonrpc !== '2.0') this.protocolProblems.push(`a message without "jsonrpc": "2.0": ${show(msg)}`);
    if (msg && 'id' in msg && !('method' in msg)) {
      const key = show(msg.id);
      if (msg.id !== null && this.answered.has(key))
        this.protocolProblems.push(`a second response to id ${key}: ${show(msg).slice(0, 300)}`);
      this.answered.add(key);
      if (('result' in msg) === ('error' in msg))
        this.protocolProblems.push(`a response needs exactly one of result and error: ${show(msg).slice(0, 300)}`);
    }
  }

  /** Sends a request; rejects when no answer comes within the timeout. */
  async request(type, params, timeout = REQUEST_TIMEOUT) {
    const method = typeof type === 'string' ? type : type.method;
    let timer;
    const timedOut = new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no response to ${method} within ${timeout} ms`)), timeout);
    });
    const exited = this.exited.then(({ code, signal }) => {
      throw new Error(`the server exited (code ${code}, signal ${signal}) before answering ${method}`);
    });
    exited.catch(() => {}); // Settles long after the answer, when the server exits.
    const answer = this.connection.sendRequest(type, params);
    answer.catch(() => {}); // If the race is lost, a later rejection is no news.
    try {
      return await Promise.race([answer, timedOut, exited]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends a request that must fail; returns the ResponseError. */
  async requestError(type, params) {
    try {
      const result = await this.request(type, params);
      assert.fail(`expected an error response, got the result ${show(result)}`);
    } catch (e) {
      if (e instanceof ResponseError) return e;
      throw e;
    }
  }

  notify(type, params) {
    return this.connection.sendNotification(type, params);
  }

  /** A mark: waitForDiagnostics only looks at what is published after it. */
  mark() {
    return this.published.length;
  }

  /** The first publishDiagnostics for uri after mark that satisfies pred. */
  waitForDiagnostics(uri, mark, pred, timeout = REQUEST_TIMEOUT) {
    return new Promise((resolve, reject) => {
      let next = mark;
      const poll = () => {
        for (; next < this.published.length; ++next) {
          const p = this.published[next];
          if (p.uri === uri && pred(p)) {
            done();
            resolve(p);
            return;
          }
        }
      };
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(poll);
      };
      const timer = setTimeout(() => {
        done();
        const seen = this.published.slice(mark).filter((p) => p.uri === uri);
        reject(new Error(`no matching publishDiagnostics for ${uri} within ${timeout} ms; ` +
                         `received: ${show(seen)}`));
      }, timeout);
      this.waiters.add(poll);
      poll();
    });
  }

  /** Waits for the process to end; its exit code and signal. */
  async waitForExit(timeout = REQUEST_TIMEOUT) {
    let timer;
    const timedOut = new Promise((resolve) => {
      timer = setTimeout(() => resolve(null), timeout);
    });
    const r = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (r === null) throw new Error(`the server did not exit within ${timeout} ms`);
    if (r.error) throw r.error;
    return r;
  }

  kill() {
    this.connection.dispose();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

//===----------------------------------------------------------------------===//
// Running scenarios
//===----------------------------------------------------------------------===//

let passed = 0;
let failed = 0;
const sessions = [];

async function scenario(name, fn) {
  try {
    await fn();
    ++passed;
    console.log(`ok - ${name}`);
  } catch (e) {
    ++failed;
    console.log(`not ok - ${name}`);
    const detail = (e && e.stack) || String(e);
    const data = e instanceof ResponseError ? `\nerror response: code ${e.code}: ${e.message}` : '';
    console.log(`${detail}${data}`.split('\n').map((l) => `#   ${l}`).join('\n'));
  }
}

function finish(code) {
  for (const s of sessions) {
    if (code !== 0 && s.stderr.trim())
      console.log(`# stderr of ${s.name}:\n${s.stderr.trim().split('\n').map((l) => `#   ${l}`).join('\n')}`);
    s.kill();
  }
  process.exit(code);
}

// A dead server makes writes fail in places no scenario awaits: note it (the
// scenarios report what went wrong) instead of crashing the run.
let stray = 0;
process.on('unhandledRejection', (e) => {
  ++stray;
  console.log(`# unhandled rejection: ${e?.message ?? e}`);
});

// Never leave a server behind, whatever ends this process.
process.on('exit', () => {
  for (const s of sessions)
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
});

const overall = setTimeout(() => {
  console.log(`not ok - the whole run finished within ${TOTAL_TIMEOUT} ms`);
  ++failed;
  console.log(`lsp-client: ${passed} passed, ${failed} failed`);
  finish(1);
}, TOTAL_TIMEOUT);

//===----------------------------------------------------------------------===//
// Session 1: the features, then shutdown and exit
//===----------------------------------------------------------------------===//

const s = new Session('session 1');
sessions.push(s);

// The document as the server should have it, kept in step with our edits.
let doc = MAIN_TEXT;
let version = 1;
let typoDiagnostic = null;
const GOOD_ENTRY = 'replicas = 2';
const TYPO_ENTRY = 'replicaz = 2';

await scenario('initialize advertises the capabilities', async () => {
  const result = await s.request(InitializeRequest.type, {
    processId: process.pid,
    clientInfo: { name: 'deployc-lsp-client-test' },
    rootUri: pathToFileURL(WORKSPACE).href,
    workspaceFolders: [{ uri: pathToFileURL(WORKSPACE).href, name: 'workspace' }],
    capabilities: {
      general: { positionEncodings: ['utf-16'] },
      textDocument: {
        synchronization: { dynamicRegistration: false, didSave: true },
        hover: { contentFormat: ['markdown', 'plaintext'] },
        completion: { completionItem: { documentationFormat: ['markdown'] } },
        rename: { prepareSupport: true },
        publishDiagnostics: { relatedInformation: true, versionSupport: true },
        codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix'] } } },
        semanticTokens: { requests: { full: true }, tokenTypes: [], tokenModifiers: [], formats: ['relative'] },
      },
    },
  });
  const c = result?.capabilities;
  assert.ok(c, `no capabilities in ${show(result)}`);
  assert.equal(c.positionEncoding ?? 'utf-16', 'utf-16');
  const sync = c.textDocumentSync;
  assert.equal(typeof sync, 'object', 'textDocumentSync should be TextDocumentSyncOptions');
  assert.equal(sync.openClose, true);
  assert.equal(sync.change, TextDocumentSyncKind.Incremental);
  assert.equal(c.hoverProvider, true);
  assert.equal(c.definitionProvider, true);
  assert.equal(c.referencesProvider, true);
  assert.equal(c.renameProvider?.prepareProvider, true);
  assert.ok(c.completionProvider, 'completionProvider');
  assert.ok(c.completionProvider.triggerCharacters?.includes('='), 'completion triggers on `=`');
  assert.ok(c.documentSymbolProvider, 'documentSymbolProvider');
  assert.ok(c.documentFormattingProvider, 'documentFormattingProvider');
  assert.ok(c.codeActionProvider?.codeActionKinds?.includes('quickfix'), 'quickfix code actions');
  assert.ok(c.signatureHelpProvider?.triggerCharacters?.includes('('), 'signature help on `(`');
  const legend = c.semanticTokensProvider?.legend;
  assert.ok(Array.isArray(legend?.tokenTypes) && legend.tokenTypes.length > 0, 'semantic token types');
  assert.ok(Array.isArray(legend?.tokenModifiers), 'semantic token modifiers');
  assert.ok(c.semanticTokensProvider.full, 'semanticTokens/full');
  s.legend = legend;
  assert.equal(result.serverInfo?.name, 'deployc');
});

await scenario('initialized', async () => {
  await s.notify(InitializedNotification.type, {});
});

await scenario('didOpen of a document with an error publishes D2002 with a fix-it', async () => {
  assert.ok(doc.includes(GOOD_ENTRY), `main.deploy should contain \`${GOOD_ENTRY}\``);
  doc = doc.replace(GOOD_ENTRY, TYPO_ENTRY);
  const mark = s.mark();
  await s.notify(DidOpenTextDocumentNotification.type, {
    textDocument: { uri: MAIN_URI, languageId: 'deploy', version, text: doc },
  });
  const p = await s.waitForDiagnostics(MAIN_URI, mark, (p) => p.version === version);
  const typo = rangeOf(doc, TYPO_ENTRY, { part: 'replicaz' });
  const d = p.diagnostics.find((d) => d.code === 'D2002');
  assert.ok(d, `no D2002 in ${show(p.diagnostics)}`);
  assert.equal(p.diagnostics.length, 1, `only the typo is wrong: ${show(p.diagnostics)}`);
  assert.equal(d.severity, 1);
  assert.equal(d.source, 'deployc');
  assert.deepEqual(d.range, typo);
  assert.match(d.message, /`replicaz`.*did you mean `replicas`/);
  const fixits = d.data?.fixits;
  assert.ok(Array.isArray(fixits) && fixits.length === 1, `one fix-it in data: ${show(d.data)}`);
  assert.deepEqual(fixits[0], { range: typo, newText: 'replicas' });
  typoDiagnostic = d;
});

await scenario('codeAction on the diagnostic offers a quickfix whose edit fixes it', async () => {
  assert.ok(typoDiagnostic, 'needs the diagnostic of the previous scenario');
  const actions = await s.request(CodeActionRequest.type, {
    textDocument: { uri: MAIN_URI },
    range: typoDiagnostic.range,
    context: { diagnostics: [typoDiagnostic], only: ['quickfix'] },
  });
  assert.ok(Array.isArray(actions) && actions.length === 1, `one action: ${show(actions)}`);
  const a = actions[0];
  assert.equal(a.kind, 'quickfix');
  assert.equal(a.title, 'Replace with `replicas`');
  assert.equal(a.isPreferred, true);
  assert.deepEqual(a.diagnostics, [typoDiagnostic]);
  const uris = Object.keys(a.edit?.changes ?? {});
  assert.deepEqual(uris, [MAIN_URI], `the edit touches only this document: ${show(a.edit)}`);
  assert.equal(applyEdits(doc, a.edit.changes[MAIN_URI]), MAIN_TEXT);
});

await scenario('an incremental didChange fixing the error empties the diagnostics', async () => {
  // Two changes in one notification, each relative to the text left by the
  // one before: fix the typo, then type a character and delete it again.
  const typo = rangeOf(doc, TYPO_ENTRY, { part: 'z' });
  const at = find(doc, 'batch = 1', { delta: 'batch = '.length });
  const changes = [
    { range: typo, text: 's' },
    { range: { start: at, end: at }, text: '0' },
    { range: { start: at, end: { line: at.line, character: at.character + 1 } }, text: '' },
  ];
  for (const c of changes) doc = applyChange(doc, c);
  assert.equal(doc, MAIN_TEXT);
  ++version;
  const mark = s.mark();
  await s.notify(DidChangeTextDocumentNotification.type, {
    textDocument: { uri: MAIN_URI, version },
    contentChanges: changes,
  });
  const p = await s.waitForDiagnostics(MAIN_URI, mark, (p) => p.version === version);
  assert.deepEqual(p.diagnostics, []);
});

await scenario('hover over a parameter shows its declaration', async () => {
  const pos = find(doc, '${tag}', { delta: 3 });
  const h = await s.request(HoverRequest.type, { textDocument: { uri: MAIN_URI }, position: pos });
  assert.ok(h, 'a hover');
  assert.equal(h.contents?.kind, 'markdown');
  assert.match(h.contents.value, /```deploy\nparam tag: /);
  assert.match(h.contents.value, /The image tag/);
  assert.deepEqual(h.range, rangeOf(doc, '${tag}', { part: 'tag' }));
});

await scenario('hover after characters outside the BMP (UTF-16 columns)', async () => {
  const pos = find(doc, 'db.url', { delta: 1 });
  const h = await s.request(HoverRequest.type, { textDocument: { uri: MAIN_URI }, position: pos });
  assert.ok(h, 'a hover');
  assert.equal(h.contents?.kind, 'markdown');
  assert.match(h.contents.value, /secret db : database_credentials/);
  assert.match(h.contents.value, /The API's database credentials/);
  assert.deepEqual(h.range, rangeOf(doc, 'db.url', { part: 'db' }));
});

await scenario('definition of a name declared in the imported file', async () => {
  for (const [needle, name] of [['${tag}', 'tag'], ['db.url', 'db']]) {
    const pos = find(doc, needle, { delta: needle.indexOf(name) + 1 });
    const loc = await s.request(DefinitionRequest.type, { textDocument: { uri: MAIN_URI }, position: pos });
    assert.ok(loc && (!Array.isArray(loc) || loc.length === 1), `one location: ${show(loc)}`);
    const l = Array.isArray(loc) ? loc[0] : loc;
    assert.ok(samePath(l.uri, LIB_PATH), `${name}: expected lib.deploy, got ${l.uri}`);
    assert.ok(isRange(l.range));
    assert.equal(textAt(LIB_TEXT, l.range), name);
    const declLine = LIB_TEXT.split('\n')[l.range.start.line];
    assert.match(declLine, name === 'tag' ? /^param tag\b/ : /^secret db\b/);
  }
});

await scenario('definition into the stdlib (operational -> tiers.deploy)', async () => {
  const pos = find(doc, 'tier = operational', { delta: 'tier = '.length + 2 });
  const loc = await s.request(DefinitionRequest.type, { textDocument: { uri: MAIN_URI }, position: pos });
  const l = Array.isArray(loc) ? loc[0] : loc;
  assert.ok(l, 'a location');
  assert.ok(l.uri.endsWith('/tiers.deploy'), `expected .../tiers.deploy, got ${l.uri}`);
  const stdlibText = readFileSync(fileURLToPath(l.uri), 'utf8');
  assert.equal(textAt(stdlibText, l.range), 'operational');
  assert.match(stdlibText.split('\n')[l.range.start.line], /^tier operational\b/);
});

await scenario('references across files, with and without the declaration', async () => {
  const pos = find(doc, 'db.url', { delta: 1 });
  const withDecl = await s.request(ReferencesRequest.type, {
    textDocument: { uri: MAIN_URI }, position: pos, context: { includeDeclaration: true },
  });
  assert.ok(Array.isArray(withDecl) && withDecl.length === 2, `two locations: ${show(withDecl)}`);
  const inLib = withDecl.filter((l) => samePath(l.uri, LIB_PATH));
  const inMain = withDecl.filter((l) => samePath(l.uri, MAIN_PATH));
  assert.equal(inLib.length, 1, `the declaration in lib.deploy: ${show(withDecl)}`);
  assert.equal(inMain.length, 1, `the use in main.deploy: ${show(withDecl)}`);
  assert.deepEqual(inLib[0].range, rangeOf(LIB_TEXT, 'secret db', { part: 'db' }));
  assert.deepEqual(inMain[0].range, rangeOf(doc, 'db.url', { part: 'db' }));
  const without = await s.request(ReferencesRequest.type, {
    textDocument: { uri: MAIN_URI }, position: pos, context: { includeDeclaration: false },
  });
  assert.deepEqual(without, inMain);
});

await scenario('prepareRename and rename of a service edit both files', async () => {
  const decl = rangeOf(doc, 'service api', { part: 'api' });
  const pos = { line: decl.start.line, character: decl.start.character + 1 };
  const prep = await s.request(PrepareRenameRequest.type, { textDocument: { uri: MAIN_URI }, position: pos });
  assert.ok(prep, 'prepareRename should allow renaming `api`');
  assert.deepEqual(prep.range ?? prep, decl);
  if (prep.placeholder !== undefined) assert.equal(prep.placeholder, 'api');

  const edit = await s.request(RenameRequest.type, {
    textDocument: { uri: MAIN_URI }, position: pos, newName: 'web',
  });
  assert.ok(edit?.changes, `a WorkspaceEdit with changes: ${show(edit)}`);
  const uris = Object.keys(edit.changes);
  assert.equal(uris.length, 2, `two files: ${show(uris)}`);
  const mainUri = uris.find((u) => samePath(u, MAIN_PATH));
  const libUri = uris.find((u) => samePath(u, LIB_PATH));
  assert.ok(mainUri && libUri, `main.deploy and lib.deploy: ${show(uris)}`);
  for (const e of [...edit.changes[mainUri], ...edit.changes[libUri]]) {
    assert.equal(e.newText, 'web');
  }
  const newMain = applyEdits(doc, edit.changes[mainUri]);
  const newLib = applyEdits(LIB_TEXT, edit.changes[libUri]);
  assert.match(newMain, /^service web \{$/m);
  assert.doesNotMatch(newMain, /^service api\b/m);
  assert.match(newLib, /readers = \[web\]/);
  check({ 'main.deploy': newMain, 'lib.deploy': newLib }, 'main.deploy');
});

await scenario('rename refuses stdlib declarations and invalid names', async () => {
  const stdPos = find(doc, 'tier = operational', { delta: 'tier = '.length + 1 });
  const prep = await s.request(PrepareRenameRequest.type, { textDocument: { uri: MAIN_URI }, position: stdPos });
  assert.equal(prep, null, `stdlib names cannot be renamed: ${show(prep)}`);
  const e1 = await s.requestError(RenameRequest.type, {
    textDocument: { uri: MAIN_URI }, position: stdPos, newName: 'prod_tier',
  });
  assert.match(e1.message, /stdlib/);
  const apiPos = find(doc, 'service api', { delta: 'service '.length + 1 });
  const e2 = await s.requestError(RenameRequest.type, {
    textDocument: { uri: MAIN_URI }, position: apiPos, newName: '1-not a name',
  });
  assert.match(e2.message, /not a valid name/);
});

await scenario('completion at the start of an entry lists the block\'s fields with details', async () => {
  const pos = find(doc, '  replicas = 2', { delta: 2 });
  const r = await s.request(CompletionRequest.type, { textDocument: { uri: MAIN_URI }, position: pos });
  const items = Array.isArray(r) ? r : r?.items;
  assert.ok(Array.isArray(items) && items.length > 0, `completion items: ${show(r)}`);
  const byLabel = new Map(items.map((i) => [i.label, i]));
  for (const field of ['image', 'replicas', 'health', 'env', 'strategy', 'scaling', 'resources']) {
    const it = byLabel.get(field);
    assert.ok(it, `field \`${field}\` offered; got ${show([...byLabel.keys()])}`);
    assert.equal(it.kind, CompletionItemKind.Field, `${field} is a field`);
    assert.ok(typeof it.detail === 'string' && it.detail.length > 0, `${field} has a detail`);
  }
  assert.match(byLabel.get('replicas').detail, /integer/);
  assert.match(byLabel.get('health').detail, /health/);
  assert.ok(byLabel.has('on'), 'overlays (`on`) offered at the top level of a service');
  assert.ok(!byLabel.has('tier'), 'environment fields are not offered in a service');
});

await scenario('completion after `isolation = ` in a network block lists the enum members', async () => {
  const pos = find(doc, 'isolation = strict', { delta: 'isolation = '.length });
  const r = await s.request(CompletionRequest.type, { textDocument: { uri: MAIN_URI }, position: pos });
  const items = Array.isArray(r) ? r : r?.items;
  assert.ok(Array.isArray(items), `completion items: ${show(r)}`);
  const members = items.filter((i) => i.kind === CompletionItemKind.EnumMember).map((i) => i.label).sort();
  assert.deepEqual(members, ['namespace', 'none', 'strict']);
  assert.ok(!items.some((i) => i.label === 'routing' || i.label === 'egress'), 'no field names here');
});

await scenario('documentSymbol outlines the declarations', async () => {
  const syms = await s.request(DocumentSymbolRequest.type, { textDocument: { uri: MAIN_URI } });
  assert.ok(Array.isArray(syms), show(syms));
  assert.deepEqual(syms.map((x) => x.name), ['staging', 'prod', 'api']);
  for (const sym of syms) {
    assert.ok(isRange(sym.range) && isRange(sym.selectionRange), `ranges of ${sym.name}`);
    assert.equal(textAt(doc, sym.selectionRange), sym.name);
    assert.ok(offsetAt(doc, sym.range.start) <= offsetAt(doc, sym.selectionRange.start) &&
              offsetAt(doc, sym.selectionRange.end) <= offsetAt(doc, sym.range.end),
              `selectionRange inside range for ${sym.name}`);
  }
  const api = syms[2];
  assert.equal(api.kind, SymbolKind.Class);
  assert.equal(api.detail, 'service');
  assert.equal(syms[0].detail, 'environment');
  const children = (api.children ?? []).map((c) => c.name);
  for (const c of ['image', 'replicas', 'port http', 'health', 'env', 'strategy', 'on validation'])
    assert.ok(children.includes(c), `child \`${c}\` of api: ${show(children)}`);
});

await scenario('semanticTokens/full: well-formed data that classifies names', async () => {
  const r = await s.request(SemanticTokensRequest.type, { textDocument: { uri: MAIN_URI } });
  const data = r?.data;
  assert.ok(Array.isArray(data) && data.length > 0, `token data: ${show(r)}`);
  assert.equal(data.length % 5, 0, `data length ${data.length} is a multiple of 5`);
  const legend = s.legend ?? { tokenTypes: [], tokenModifiers: [] };
  const lines = doc.split('\n');
  const tokens = [];
  let line = 0;
  let ch = 0;
  for (let i = 0; i < data.length; i += 5) {
    const [dl, dc, len, type, mods] = data.slice(i, i + 5);
    assert.ok(dl >= 0 && dc >= 0 && len > 0, `token ${i / 5}: ${show(data.slice(i, i + 5))}`);
    line += dl;
    ch = dl ? dc : ch + dc;
    assert.ok(line < lines.length && ch + len <= lines[line].length,
              `token ${i / 5} (line ${line}, char ${ch}, length ${len}) lies inside its line`);
    assert.ok(type < legend.tokenTypes.length, `token type ${type} in the legend`);
    assert.ok(mods < 1 << legend.tokenModifiers.length, `modifiers ${mods} in the legend`);
    tokens.push({ line, ch, len, type: legend.tokenTypes[type], mods, text: lines[line].slice(ch, ch + len) });
  }
  const at = (pos) => tokens.find((t) => t.line === pos.line && t.ch === pos.character);
  const kw = at(find(doc, 'import std.tiers'));
  assert.ok(kw && kw.text === 'import' && kw.type === 'keyword', `\`import\` is a keyword: ${show(kw)}`);
  const decl = at(find(doc, 'service api', { delta: 'service '.length }));
  const declBit = 1 << legend.tokenModifiers.indexOf('declaration');
  assert.ok(decl && decl.text === 'api' && decl.type === 'class' && (decl.mods & declBit),
            `the service's name is a class declaration: ${show(decl)}`);
  const std = at(find(doc, 'tier = operational', { delta: 'tier = '.length }));
  const libBit = 1 << legend.tokenModifiers.indexOf('defaultLibrary');
  assert.ok(std && std.text === 'operational' && (std.mods & libBit),
            `a stdlib name has the defaultLibrary modifier: ${show(std)}`);
  const db = at(find(doc, 'db.url'));
  assert.ok(db && db.text === 'db', `\`db\` after characters outside the BMP: ${show(db)}`);
});

await scenario('signatureHelp inside `http_get(`', async () => {
  const call = 'readiness = http_get(';
  const first = find(doc, call, { delta: call.length });
  const h = await s.request(SignatureHelpRequest.type, { textDocument: { uri: MAIN_URI }, position: first });
  assert.ok(h && Array.isArray(h.signatures) && h.signatures.length === 1, `a signature: ${show(h)}`);
  const sig = h.signatures[0];
  assert.equal(sig.label, 'http_get(path: string, port: port)');
  assert.equal(h.activeParameter ?? sig.activeParameter ?? 0, 0);
  const params = sig.parameters.map((p) => (Array.isArray(p.label) ? sig.label.slice(...p.label) : p.label));
  assert.deepEqual(params, ['path: string', 'port: port']);
  const second = find(doc, 'http_get("/ready", ', { delta: 'http_get("/ready", '.length });
  const h2 = await s.request(SignatureHelpRequest.type, { textDocument: { uri: MAIN_URI }, position: second });
  assert.equal(h2?.activeParameter, 1, `after the comma: ${show(h2)}`);
  const none = await s.request(SignatureHelpRequest.type, {
    textDocument: { uri: MAIN_URI }, position: find(doc, 'replicas = 2'),
  });
  assert.equal(none, null, `no signature outside a call: ${show(none)}`);
});

await scenario('formatting returns a TextEdit producing the canonical text', async () => {
  const edits = await s.request(DocumentFormattingRequest.type, {
    textDocument: { uri: MAIN_URI }, options: { tabSize: 2, insertSpaces: true },
  });
  assert.ok(Array.isArray(edits) && edits.length > 0, `edits for a non-canonical file: ${show(edits)}`);
  const formatted = applyEdits(doc, edits);
  assert.equal(formatted, canonical(doc), 'the same text as `deployc fmt`');
  assert.match(formatted, /^ {2}image {5}= /m, '`image` aligned with `replicas` and `port`');
  // Take the formatted text (a full-document change) and format again: nothing to do.
  doc = formatted;
  ++version;
  const mark = s.mark();
  await s.notify(DidChangeTextDocumentNotification.type, {
    textDocument: { uri: MAIN_URI, version }, contentChanges: [{ text: doc }],
  });
  const again = await s.request(DocumentFormattingRequest.type, {
    textDocument: { uri: MAIN_URI }, options: { tabSize: 2, insertSpaces: true },
  });
  assert.deepEqual(again, [], 'canonical text needs no edits');
  const p = await s.waitForDiagnostics(MAIN_URI, mark, (p) => p.version === version);
  assert.deepEqual(p.diagnostics, []);
});

await scenario('the imported file, opened too, is checked as part of the main file\'s program', async () => {
  // lib.deploy names `api`, which only main.deploy declares: the server finds
  // the importer in the workspace and compiles lib.deploy from there.
  const mark = s.mark();
  await s.notify(DidOpenTextDocumentNotification.type, {
    textDocument: { uri: LIB_URI, languageId: 'deploy', version: 1, text: LIB_TEXT },
  });
  const p = await s.waitForDiagnostics(LIB_URI, mark, (p) => p.version === 1);
  assert.deepEqual(p.diagnostics, [], '`api` resolves through main.deploy');
  const pos = find(LIB_TEXT, 'readers = [api]', { delta: 'readers = ['.length + 1 });
  const loc = await s.request(DefinitionRequest.type, { textDocument: { uri: LIB_URI }, position: pos });
  const l = Array.isArray(loc) ? loc[0] : loc;
  assert.ok(l, `a location: ${show(loc)}`);
  assert.ok(samePath(l.uri, MAIN_PATH), `expected main.deploy, got ${l.uri}`);
  assert.deepEqual(l.range, rangeOf(doc, 'service api', { part: 'api' }));
  const closed = s.mark();
  await s.notify(DidCloseTextDocumentNotification.type, { textDocument: { uri: LIB_URI } });
  await s.waitForDiagnostics(LIB_URI, closed, (p) => p.diagnostics.length === 0);
});

await scenario('an unknown method gets MethodNotFound (-32601)', async () => {
  const e = await s.requestError('deployc/noSuchMethod', { textDocument: { uri: MAIN_URI } });
  assert.equal(e.code, ErrorCodes.MethodNotFound);
  // The server is still serving.
  const h = await s.request(HoverRequest.type, { textDocument: { uri: MAIN_URI }, position: find(doc, '${tag}', { delta: 3 }) });
  assert.ok(h?.contents, 'hover after the error');
});

await scenario('didClose clears the document\'s diagnostics', async () => {
  const mark = s.mark();
  await s.notify(DidCloseTextDocumentNotification.type, { textDocument: { uri: MAIN_URI } });
  const p = await s.waitForDiagnostics(MAIN_URI, mark, () => true);
  assert.deepEqual(p.diagnostics, []);
  const e = await s.requestError(HoverRequest.type, {
    textDocument: { uri: MAIN_URI }, position: { line: 0, character: 0 },
  });
  assert.equal(e.code, ErrorCodes.InvalidParams, `a closed document: ${e.code} ${e.message}`);
});

await scenario('shutdown returns null', async () => {
  const r = await s.request(ShutdownRequest.type, undefined);
  assert.equal(r, null);
});

await scenario('exit after shutdown ends the process with code 0', async () => {
  await s.notify(ExitNotification.type);
  const { code, signal } = await s.waitForExit();
  assert.equal(signal, null, `killed by ${signal}`);
  assert.equal(code, 0);
});

await scenario('session 1: well-formed output, one response per request', async () => {
  assert.deepEqual(s.protocolProblems, []);
});

//===----------------------------------------------------------------------===//
// Session 2: requests before initialize, exit without shutdown
//===----------------------------------------------------------------------===//

const s2 = new Session('session 2');
sessions.push(s2);

await scenario('a request before initialize gets ServerNotInitialized (-32002)', async () => {
  const e = await s2.requestError(HoverRequest.type, {
    textDocument: { uri: MAIN_URI }, position: { line: 0, character: 0 },
  });
  assert.equal(e.code, ErrorCodes.ServerNotInitialized);
  const r = await s2.request(InitializeRequest.type, { processId: null, rootUri: null, capabilities: {} });
  assert.ok(r?.capabilities, 'initialize still works');
  await s2.notify(InitializedNotification.type, {});
});

await scenario('exit without shutdown ends the process with code 1', async () => {
  await s2.notify(ExitNotification.type);
  const { code, signal } = await s2.waitForExit();
  assert.equal(signal, null, `killed by ${signal}`);
  assert.equal(code, 1);
});

await scenario('session 2: well-formed output, one response per request', async () => {
  assert.deepEqual(s2.protocolProblems, []);
});

clearTimeout(overall);
if (stray && !failed) {
  console.log(`not ok - no unhandled errors (${stray})`);
  ++failed;
}
console.log(`lsp-client: ${passed} passed, ${failed} failed`);
finish(failed ? 1 : 0);
