#!/usr/bin/env python3
"""Fuzz-style robustness test of `deployc lsp` (Python 3 standard library only).

    python3 test/lsp-fuzz.py --deployc build/bin/deployc [--seed N] [--count N]

Starts the language server, initializes it and opens a document, then sends a
storm of messages from a seeded random generator:

  * incremental edits: positions past the end, negative and non-integer
    positions, inverted ranges, huge lines, deep nesting, NUL and characters
    outside the BMP, lone surrogates (`\\ud800` escapes) and raw invalid UTF-8
    bytes inside JSON strings, whole-document replacements;
  * requests to every method the server knows (and some it does not) with
    wrong, missing or mistyped params;
  * malformed frames: bad Content-Length values, header junk, extra headers,
    bodies cut short, frames written in pieces;
  * malformed bodies: invalid JSON, non-object JSON, arrays (batches), objects
    without a method, wrong id types;
  * valid hover and completion requests interleaved with all of that, whose
    results must be well-formed;
  * $/cancelRequest for earlier requests.

Every request with a valid id sent in a well-formed frame must be answered
exactly once (a result or an error), and every message the server writes must
be a well-formed JSON-RPC message. After the storm the document is reopened
with known text; a hover there must give the expected answer and its
diagnostics must be published. Then shutdown must return null and exit must
end the process with code 0 (not a signal).

Never deadlocks: the server's stdout and stderr are drained on threads, no
answer is awaited for notifications, and a watchdog kills the server when the
time limit (default 50 s) runs out. Exits 0 when everything held, 1 otherwise
(with the reason, the last messages sent and the server's stderr), 2 on usage
errors. `--log FILE` saves every byte sent, so `deployc lsp < FILE` replays a
run.
"""

import argparse
import collections
import json
import os
import random
import re
import subprocess
import sys
import threading
import time

DOC_URI = "file:///tmp/deployc-lsp-fuzz/fuzz.deploy"
OTHER_URI = "file:///tmp/deployc-lsp-fuzz/other.deploy"

BASE_TEXT = """import std.tiers.*

/// The image tag.
param tag: string = "1.0"

environment staging {
  tier = validation
  network { isolation = namespace  routing = ingress }
}

/// The API.
service api {
  image    = "r/api:${tag}"
  replicas = 2
  port http = 8080
  health { liveness = http_get("/healthz", http) }
  env { MODE = if env.tier == validation then "test" else "prod" }
  strategy = rolling { batch = 1  max_unavailable = 0 }
  on validation { replicas = 1 }
}
"""

# Methods the server answers, and some it does not. `initialize`, `shutdown`
# and `exit` are left out of the storm: they change the lifecycle.
REQUEST_METHODS = [
    "textDocument/hover", "textDocument/definition", "textDocument/references",
    "textDocument/prepareRename", "textDocument/rename", "textDocument/completion",
    "textDocument/documentSymbol", "textDocument/semanticTokens/full",
    "textDocument/formatting", "textDocument/codeAction", "textDocument/signatureHelp",
]
OTHER_METHODS = [
    "textDocument/didOpen", "textDocument/didChange", "textDocument/didClose",
    "textDocument/didSave", "workspace/didChangeConfiguration", "initialized",
    "$/setTrace", "$/progress", "$/cancelRequest", "textDocument/noSuchMethod",
    "workspace/symbol", "textDocument/declaration", "", "textDocument/", "$/",
    "\u00e9\U0001F680", "textDocument/hover ", "TEXTDOCUMENT/HOVER",
]

SNIPPETS = [
    "", " ", "\n", "\r\n", "\r", "\t", "{", "}", "[", "]", "(", ")", "=", "\"", "'", ",",
    ".", "..", "/*", "*/", "//", "///", "${", "$", "#", "\\", "\u0000", "\u00e9",
    "\U0001F680", "\u200b", "\ufeff", "\u2028", "\uffff", "\U0010FFFF",
    "service", "service x { replicas = 2 }\n", "worker w { image = \"w\" }\n",
    "job j { image = \"j\" }\n", "import std.tiers.*\n", "import \"./other.deploy\"\n",
    "import \"../../../../etc/passwd\"\n", "import std.", "import std.nope.*\n",
    "environment e { tier = operational }\n", "on validation { replicas = 3 }",
    "replicas = ", "replicas = 1..", "image = \"a\"", "isolation = ", "tier = ",
    "http_get(", "http_get(\"/\", ", "tcp(8080)", "env.tier == ", "if true then 1 else 2",
    "param p: int = 3\n", "secret s : database_credentials { readers = [api] }\n",
    "30d", "250m", "1Gi", "50%", "1e999", "99999999999999999999999", "-", "--1",
    "\"unterminated", "\"\"\"\nmulti\nline\n\"\"\"", "tag", "api", "validation",
]


LONE_SURROGATE = re.compile(rb"\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}")


class Failure(Exception):
    pass


class Server:
    """The server process, with its output parsed on a reader thread."""

    def __init__(self, deployc, log, output_log=None):
        self.output_log = output_log
        self.proc = subprocess.Popen([deployc, "lsp"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.log = log
        self.cond = threading.Condition()
        self.responses = collections.defaultdict(list)  # id key -> responses
        self.null_id_errors = []
        self.diagnostics = []  # publishDiagnostics params, in order
        self.other_notifications = collections.Counter()
        self.bad_output = []  # malformed messages from the server
        self.stderr = bytearray()
        self.eof = False
        self.bytes_sent = 0
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    # -- Reading ------------------------------------------------------------

    def _bad(self, what):
        with self.cond:
            self.bad_output.append(what)
            self.cond.notify_all()

    def _read_stdout(self):
        out = self.proc.stdout
        try:
            while True:
                length = None
                while True:
                    line = out.readline()
                    if not line:
                        return
                    if line in (b"\r\n", b"\n"):
                        break
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.strip().lower() == "content-length":
                        try:
                            length = int(value.strip())
                        except ValueError:
                            self._bad(f"a malformed header line from the server: {line[:200]!r}")
                if length is None:
                    # Keep reading (the server must never block on its output);
                    # what follows may be lost, but this is already a failure.
                    self._bad("a frame without a usable Content-Length")
                    continue
                body = out.read(length)
                if self.output_log:
                    self.output_log.write(b"Content-Length: %d\r\n\r\n" % length + body)
                    self.output_log.flush()
                if len(body) != length:
                    self._bad(f"a frame cut short ({len(body)} of {length} bytes)")
                    return
                self._receive(body)
        except Exception as e:  # noqa: BLE001 - reported, never raised on a thread
            self._bad(f"reading the server's output failed: {e!r}")
        finally:
            with self.cond:
                self.eof = True
                self.cond.notify_all()

    def _read_stderr(self):
        for chunk in iter(lambda: self.proc.stderr.read1(4096), b""):
            self.stderr += chunk
            del self.stderr[:-16384]

    def _receive(self, body):
        try:
            msg = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            self._bad(f"invalid JSON from the server ({e}): {body[:200]!r}")
            return
        problem = check_message(msg)
        if problem:
            self._bad(f"{problem}: {body[:300]!r}")
            return
        with self.cond:
            if "method" in msg:
                if msg["method"] == "textDocument/publishDiagnostics":
                    self.diagnostics.append(msg.get("params"))
                else:
                    self.other_notifications[msg["method"]] += 1
            elif msg["id"] is None:
                self.null_id_errors.append(msg)
            else:
                self.responses[id_key(msg["id"])].append(msg)
            self.cond.notify_all()

    def wait(self, predicate, timeout):
        """Waits until predicate() holds (under the lock); False on timeout."""
        end = time.monotonic() + timeout
        with self.cond:
            while not predicate():
                left = end - time.monotonic()
                if left <= 0 or (self.eof and not predicate()):
                    return predicate()
                self.cond.wait(min(left, 0.2))
            return True

    # -- Writing ------------------------------------------------------------

    def send_raw(self, data, pieces=1):
        if self.log:
            self.log.write(data)
        try:
            if pieces <= 1:
                self.proc.stdin.write(data)
            else:
                cuts = sorted(random.Random(len(data)).sample(range(1, len(data)), min(pieces - 1, len(data) - 1)))
                start = 0
                for cut in cuts + [len(data)]:
                    self.proc.stdin.write(data[start:cut])
                    self.proc.stdin.flush()
                    start = cut
            self.proc.stdin.flush()
        except (BrokenPipeError, ConnectionResetError, ValueError, OSError) as e:
            raise Failure(f"writing to the server failed ({e.__class__.__name__}): "
                          f"{describe_exit(self.proc)}") from None
        self.bytes_sent += len(data)


def id_key(i):
    return json.dumps(i, sort_keys=True)


def check_message(msg):
    """What is wrong with a message from the server, or None."""
    if not isinstance(msg, dict):
        return "a message that is not an object"
    if msg.get("jsonrpc") != "2.0":
        return "a message without \"jsonrpc\": \"2.0\""
    if "method" in msg:
        if not isinstance(msg["method"], str):
            return "a non-string method"
        if "id" in msg:
            return "a request from the server (it has no reason to send one)"
        if msg["method"] == "textDocument/publishDiagnostics":
            p = msg.get("params")
            if not (isinstance(p, dict) and isinstance(p.get("uri"), str)
                    and isinstance(p.get("diagnostics"), list)):
                return "malformed publishDiagnostics params"
            for d in p["diagnostics"]:
                if not (isinstance(d, dict) and is_range(d.get("range"))
                        and isinstance(d.get("message"), str)):
                    return "a malformed diagnostic"
        return None
    if "id" not in msg:
        return "a message with neither method nor id"
    if not (msg["id"] is None or isinstance(msg["id"], (int, str))) or isinstance(msg["id"], bool):
        return "a response with an id of the wrong type"
    if ("result" in msg) == ("error" in msg):
        return "a response needs exactly one of result and error"
    if "error" in msg:
        e = msg["error"]
        if not (isinstance(e, dict) and isinstance(e.get("code"), int)
                and not isinstance(e.get("code"), bool) and isinstance(e.get("message"), str)):
            return "a malformed error object"
    return None


def is_position(p):
    return (isinstance(p, dict) and isinstance(p.get("line"), int) and isinstance(p.get("character"), int)
            and p["line"] >= 0 and p["character"] >= 0)


def is_range(r):
    return isinstance(r, dict) and is_position(r.get("start")) and is_position(r.get("end"))


def valid_hover(result):
    if result is None:
        return None
    if not isinstance(result, dict):
        return "hover result is not an object"
    c = result.get("contents")
    if not (isinstance(c, dict) and c.get("kind") in ("markdown", "plaintext")
            and isinstance(c.get("value"), str)):
        return f"hover contents malformed: {json.dumps(c)[:200]}"
    if "range" in result and not is_range(result["range"]):
        return "hover range malformed"
    return None


def valid_completion(result):
    if result is None:
        return None
    items = result if isinstance(result, list) else (result.get("items") if isinstance(result, dict) else None)
    if not isinstance(items, list):
        return "completion result is neither a list nor a CompletionList"
    for it in items:
        if not (isinstance(it, dict) and isinstance(it.get("label"), str)):
            return f"a malformed completion item: {json.dumps(it)[:200]}"
    return None


def describe_exit(proc):
    rc = proc.poll()
    if rc is None:
        return "the server is still running"
    if rc < 0:
        return f"the server was killed by signal {-rc}"
    return f"the server exited with code {rc}"


def frame(body, header_style=0):
    """A Content-Length frame; header_style varies the (valid) header block."""
    n = len(body)
    if header_style == 1:
        head = f"content-length: {n}\r\n\r\n"
    elif header_style == 2:
        head = f"Content-Length: {n}\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n"
    elif header_style == 3:
        head = f"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length:   {n}  \r\n\r\n"
    elif header_style == 4:
        head = f"X-Unknown: \u00e9t\u00e9\r\nContent-Length: {n}\r\n\r\n"
    else:
        head = f"Content-Length: {n}\r\n\r\n"
    return head.encode("utf-8") + body


def dumps(msg):
    # ensure_ascii: lone surrogates in Python strings become \udXXX escapes.
    return json.dumps(msg, ensure_ascii=True).encode("ascii")


class Fuzzer:
    def __init__(self, server, rng, args):
        self.s = server
        self.rng = rng
        self.args = args
        self.next_id = 1000
        self.required = {}  # id key -> (index, method)
        self.optional = {}  # id key -> (index, method): an answer is allowed, not needed
        self.validators = {}  # id key -> (what, function)
        self.recent_ids = collections.deque(maxlen=20)
        self.last_sent = collections.deque(maxlen=args.show_last)
        self.all_sent = []
        self.doc_open = False
        self.version = 1
        self.sent = 0
        self.kinds = collections.Counter()

    # -- Sending ------------------------------------------------------------

    def note(self, kind, data):
        self.sent += 1
        self.kinds[kind] += 1
        text = data[:400].decode("utf-8", "backslashreplace")
        if len(data) > 400:
            text += f"... ({len(data)} bytes)"
        self.last_sent.append(f"#{self.sent} {kind}: {text}")
        self.all_sent.append(f"#{self.sent} {kind}: {text}")

    def fresh_id(self):
        self.next_id += 1
        r = self.rng.random()
        if r < 0.15:
            return f"s-{self.next_id}"
        if r < 0.2:
            return f"\u00e9\U0001F680-{self.next_id}"
        return self.next_id

    def send(self, kind, msg, expect="none", validator=None, raw_body=None, header_style=None, pieces=1):
        """Sends msg in a well-formed frame. expect: required/optional/none."""
        body = raw_body if raw_body is not None else dumps(msg)
        if header_style is None:
            header_style = 0 if self.rng.random() < 0.8 else self.rng.randrange(1, 5)
        data = frame(body, header_style)
        if expect == "required" and LONE_SURROGATE.search(body):
            # JSON text with a lone surrogate may be rejected as a whole (RFC
            # 8259, 8.2): then a parse error with a null id is the answer.
            expect = "optional"
        if expect != "none":
            key = id_key(msg["id"])
            assert key not in self.required and key not in self.optional
            (self.required if expect == "required" else self.optional)[key] = (self.sent + 1, msg.get("method"))
            if validator and expect == "required":
                self.validators[key] = validator
            self.recent_ids.append(msg["id"])
        self.note(kind, data)
        self.s.send_raw(data, pieces)

    def request(self, kind, method, params, validator=None, omit_params=False):
        msg = {"jsonrpc": "2.0", "id": self.fresh_id(), "method": method}
        if not omit_params:
            msg["params"] = params
        self.send(kind, msg, "required", validator)
        return msg["id"]

    def notify(self, kind, method, params, raw_body=None):
        self.send(kind, {"jsonrpc": "2.0", "method": method, "params": params}, raw_body=raw_body)

    # -- Random values --------------------------------------------------------

    def junk_value(self, depth=0):
        r = self.rng.random()
        choices = [None, True, False, 0, -1, 1.5, 2 ** 31, 2 ** 63 - 1, -2 ** 63, 2 ** 64 - 1, 1e308,
                   "", "x", "\u00e9\U0001F680", "\ud800", [], {}, "file:///", OTHER_URI]
        if r < 0.7 or depth > 2:
            return self.rng.choice(choices)
        if r < 0.85:
            return [self.junk_value(depth + 1) for _ in range(self.rng.randrange(3))]
        return {self.rng.choice(["uri", "line", "character", "textDocument", "position", "x", ""]):
                self.junk_value(depth + 1) for _ in range(self.rng.randrange(3))}

    def number(self, small):
        r = self.rng.random()
        if r < 0.75:
            return self.rng.randrange(small)
        if r < 0.85:
            return self.rng.choice([10 ** 3, 10 ** 6, 10 ** 9, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 3, 2 ** 53, 2 ** 63 - 1,
                                    2 ** 64 - 1])
        if r < 0.92:
            return self.rng.choice([-1, -2 ** 31, -2 ** 63])
        return self.rng.choice([1.5, -0.5, 1e300, "3", None, True, [], {}])

    def position(self):
        r = self.rng.random()
        if r < 0.9:
            return {"line": self.number(40), "character": self.number(100)}
        if r < 0.95:
            return {"line": self.number(40)}
        return self.junk_value()

    def range(self):
        a, b = self.position(), self.position()
        r = self.rng.random()
        if r < 0.15 and is_position(a) and is_position(b):
            # Inverted on purpose: end before start.
            if (a["line"], a["character"]) < (b["line"], b["character"]):
                a, b = b, a
        elif r < 0.2:
            return self.junk_value()
        elif r < 0.25:
            return {"start": a}
        return {"start": a, "end": b}

    def huge(self):
        n = self.rng.choice([1000, 5000, 20000, 60000, 150000])
        kind = self.rng.randrange(12)
        if kind == 0:
            return "x" * n
        if kind == 1:
            return "a " * (n // 2)
        if kind == 2:
            return "replicas = " + "[" * n
        if kind == 3:
            return "{" * n + "}" * n
        if kind == 4:
            return "replicas = " + "(" * n + "1" + ")" * n
        if kind == 5:
            return "replicas = " + "-" * n + "1"
        if kind == 6:
            return "replicas = 1" + " + 1" * (n // 4)
        if kind == 7:
            return "\"" + "\u00e9" * n + "\""
        if kind == 8:
            return "\U0001F680" * (n // 2)
        if kind == 9:
            return "service s%d { replicas = 1 }\n" * (n // 30)
        if kind == 10:
            return "/* " + "*" * n
        return "".join(self.rng.choice(SNIPPETS) for _ in range(n // 8))

    def text(self):
        r = self.rng.random()
        if r < 0.03:
            return self.huge()
        if r < 0.06:
            return "\ud800" if self.rng.random() < 0.5 else "a\udfffb"  # lone surrogates
        return "".join(self.rng.choice(SNIPPETS) for _ in range(self.rng.randrange(1, 5)))

    def uri(self):
        r = self.rng.random()
        if r < 0.7:
            return DOC_URI
        return self.rng.choice([OTHER_URI, "", "file://", "file:///", "untitled:Untitled-1", "file:///%zz%",
                                "file:///tmp/deployc-lsp-fuzz/%00.deploy", "http://example.invalid/x.deploy",
                                "file:///tmp/deployc-lsp-fuzz/" + "a" * 5000 + ".deploy", "\u00e9\U0001F680"])

    def text_document(self):
        r = self.rng.random()
        if r < 0.85:
            return {"uri": self.uri()}
        if r < 0.9:
            return {}
        return self.junk_value()

    def params_for(self, method):
        """Params for a known method, mostly right and often wrong somewhere."""
        p = {"textDocument": self.text_document(), "position": self.position()}
        if method == "textDocument/references":
            p["context"] = self.rng.choice([{"includeDeclaration": True}, {"includeDeclaration": "yes"},
                                            {}, None, [], self.junk_value()])
        elif method == "textDocument/rename":
            p["newName"] = self.rng.choice(["web", "", "1bad", "import", "a b", "\u00e9", "x" * 200000,
                                            "a" * 70000, None, 5, [], self.text()])
        elif method == "textDocument/codeAction":
            fix = {"range": self.range(), "newText": self.rng.choice(["x", 5, None, "\U0001F680", "", []])}
            diag = {"range": self.range(), "message": "m", "code": "D2002",
                    "data": self.rng.choice([{"fixits": [fix]}, {"fixits": [fix, fix]}, {"fixits": fix},
                                             {"fixits": []}, {"fixits": [5]}, {"fixits": "x"}, [], None, 5])}
            p["range"] = self.range()
            p["context"] = self.rng.choice([{"diagnostics": [diag]}, {"diagnostics": diag},
                                            {"diagnostics": [5, None, diag]}, {"diagnostics": "x"}, {}, None, 7])
        elif method == "textDocument/formatting":
            p["options"] = self.rng.choice([{"tabSize": 2, "insertSpaces": True}, None, {"tabSize": -1}])
        r = self.rng.random()
        if r < 0.1:
            return self.junk_value()
        if r < 0.2 and isinstance(p, dict) and p:
            del p[self.rng.choice(list(p))]
        return p

    # -- Actions --------------------------------------------------------------

    def edit(self):
        changes = []
        for _ in range(self.rng.randrange(1, 4)):
            r = self.rng.random()
            if r < 0.85:
                changes.append({"range": self.range(), "text": self.text()})
            elif r < 0.9:
                changes.append({"text": self.rng.choice([BASE_TEXT, "", BASE_TEXT[: len(BASE_TEXT) // 2]])})
            elif r < 0.95:
                changes.append({"range": self.range(), "text": self.junk_value()})
            else:
                changes.append(self.junk_value())
        self.version += 1
        version = self.rng.choice([self.version] * 8 + [None, "7", -1, 2 ** 63 - 1, 1.5])
        td = {"uri": DOC_URI}
        if version is not None:
            td["version"] = version
        msg = {"jsonrpc": "2.0", "method": "textDocument/didChange",
               "params": {"textDocument": td, "contentChanges": changes}}
        body = dumps(msg)
        if self.rng.random() < 0.05:
            # Raw invalid UTF-8 inside a JSON string: the body is not valid JSON text.
            bad = self.rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\x80"])
            at = body.find(b'"text": "')
            if at >= 0:
                at += len(b'"text": "')
                body = body[:at] + bad + body[at:]
        self.send("didChange", msg, raw_body=body)

    def valid_query(self):
        if not self.doc_open:
            return self.reopen()
        method = self.rng.choice(["textDocument/hover", "textDocument/completion"])
        pos = {"line": self.rng.randrange(30), "character": self.rng.randrange(90)}
        validator = (("hover", valid_hover) if method.endswith("hover") else ("completion", valid_completion))
        self.request("valid " + method.split("/")[1], method,
                     {"textDocument": {"uri": DOC_URI}, "position": pos}, validator)

    def random_request(self):
        r = self.rng.random()
        if r < 0.8:
            method = self.rng.choice(REQUEST_METHODS)
            self.request("request " + method.split("/")[-1], method, self.params_for(method),
                         omit_params=self.rng.random() < 0.05)
        else:
            method = self.rng.choice(OTHER_METHODS)
            if method == "textDocument/didClose" or method == "textDocument/didOpen":
                # Not on the fuzzed document: its open state is tracked.
                params = {"textDocument": {"uri": OTHER_URI, "text": "x", "version": 1}}
            else:
                params = self.junk_value()
            # A request (it has an id) even if the method names a notification.
            self.request("request " + (method or "''"), method, params)

    def random_notification(self):
        method = self.rng.choice(OTHER_METHODS)
        if method in ("textDocument/didClose", "textDocument/didOpen"):
            params = self.rng.choice([
                {"textDocument": {"uri": OTHER_URI, "languageId": "deploy", "version": 1, "text": self.text()}},
                {"textDocument": {"uri": OTHER_URI, "text": 5}},
                {"textDocument": {"uri": OTHER_URI, "version": "x", "text": "a"}},
                {"textDocument": self.junk_value()}, self.junk_value()])
        elif method == "textDocument/didChange":
            params = {"textDocument": {"uri": self.rng.choice([OTHER_URI, "file:///never-opened.deploy"])},
                      "contentChanges": [{"range": self.range(), "text": self.text()}]}
        elif method == "textDocument/didSave":
            params = self.rng.choice([{"textDocument": {"uri": DOC_URI}}, {"textDocument": {}}, None])
        elif method == "workspace/didChangeConfiguration":
            params = self.rng.choice([{"settings": {"deployc": {"environment": "staging"}}},
                                      {"settings": {"deployc": {"environment": "nope"}}},
                                      {"settings": {"deployc": {"environment": 5}}},
                                      {"settings": {"deployc": None}}, {"settings": []}, None])
        elif method == "$/cancelRequest":
            params = self.rng.choice([{"id": "nope"}, {"id": None}, {}, [], {"id": 1.5}])
        else:
            params = self.junk_value()
        self.notify("notification " + (method or "''"), method, params)

    def cancel(self):
        if not self.recent_ids:
            return self.valid_query()
        self.notify("cancel", "$/cancelRequest", {"id": self.rng.choice(list(self.recent_ids))})

    def reopen(self):
        if self.doc_open and self.rng.random() < 0.5:
            self.notify("didClose", "textDocument/didClose", {"textDocument": {"uri": DOC_URI}})
            self.doc_open = False
            return
        self.version += 1
        self.notify("didOpen", "textDocument/didOpen", {"textDocument": {
            "uri": DOC_URI, "languageId": "deploy", "version": self.version,
            "text": self.rng.choice([BASE_TEXT, BASE_TEXT, "", "service", BASE_TEXT.replace("replicas", "replicaz")])}})
        self.doc_open = True

    def malformed(self):
        """A frame or body that is wrong, but after which the stream can resync."""
        kind = self.rng.randrange(14)
        valid = dumps({"jsonrpc": "2.0", "id": self.fresh_id(), "method": "textDocument/hover",
                       "params": {"textDocument": {"uri": DOC_URI}, "position": {"line": 1, "character": 1}}})
        if kind == 0:  # a header block without a usable length, no body
            value = self.rng.choice(["abc", "-5", "", "1e3", "0x10", "99999999999999999999999", str(1 << 40),
                                     str((64 << 20) + 1), "12 34", "\u00e9"])
            data = f"Content-Length: {value}\r\n\r\n".encode("utf-8")
        elif kind == 1:  # header junk lines, then an empty line
            junk = "".join(self.rng.choice("abcXYZ:;{}\"' \t\u00e9") for _ in range(self.rng.randrange(1, 200)))
            data = junk.encode("utf-8") + b"\r\n" + (b"X-Other: 1\r\n" if self.rng.random() < 0.5 else b"") + b"\r\n"
        elif kind == 2:  # invalid JSON
            body = self.rng.choice([b"", b"{", b"}", b"{]", b"nul", b"{\"jsonrpc\": \"2.0\", \"id\": 1,",
                                    b"{\"a\":1}{\"b\":2}", b"\xff\xfe", b"{\"id\": 1, \"method\": \"x\",}",
                                    b"{'id': 1}", b"[1, 2", b"\"\\ud800\"", b"1e400", b"\x00", b" " * 1000])
            data = frame(body)
        elif kind == 3:  # non-object JSON
            data = frame(self.rng.choice([b"42", b"\"str\"", b"null", b"true", b"[]", b"-0.0", b"{}"]))
        elif kind == 4:  # arrays (batches)
            data = frame(b"[" + valid + b"]" if self.rng.random() < 0.5 else b"[" + valid + b", 5]")
        elif kind == 5:  # wrong id types
            msg = json.loads(valid)
            msg["id"] = self.rng.choice([1.5, True, None, [], {}, [1], {"a": 1}, -0.0])
            data = frame(dumps(msg))
        elif kind == 6:  # object without a method (answered with that id or not at all)
            msg = {"jsonrpc": "2.0", "id": self.fresh_id()}
            self.optional[id_key(msg["id"])] = (self.sent + 1, None)
            data = frame(dumps(msg))
        elif kind == 7:  # non-string method
            msg = {"jsonrpc": "2.0", "id": self.fresh_id(), "method": self.rng.choice([5, None, [], {}, True])}
            self.optional[id_key(msg["id"])] = (self.sent + 1, None)
            data = frame(dumps(msg))
        elif kind == 8:  # something that looks like a response to us
            data = frame(dumps({"jsonrpc": "2.0", "id": self.rng.choice([1, "x", None]),
                                "result": self.junk_value()}))
        elif kind == 9:  # body cut short: the rest follows as a header line
            cut = self.rng.randrange(1, len(valid))
            data = frame(valid[:cut]) + valid[cut:] + b"\r\n\r\n"
            self.optional[id_key(json.loads(valid)["id"])] = (self.sent + 1, "textDocument/hover (cut)")
        elif kind == 10:  # a valid request written in many pieces
            msg = json.loads(valid)
            self.send("request in pieces", msg, "required", ("hover", valid_hover) if self.doc_open else None,
                      pieces=self.rng.randrange(2, 12))
            return
        elif kind == 11:  # lone surrogates in a request: a strict parser rejects it
            msg = json.loads(valid)
            msg["params"]["textDocument"]["uri"] = DOC_URI + "\ud800"
            self.optional[id_key(msg["id"])] = (self.sent + 1, "textDocument/hover (surrogate)")
            data = frame(dumps(msg))
        elif kind == 12:  # jsonrpc member missing or wrong
            msg = json.loads(valid)
            if self.rng.random() < 0.5:
                del msg["jsonrpc"]
            else:
                msg["jsonrpc"] = self.rng.choice(["1.0", 2, None])
            self.optional[id_key(msg["id"])] = (self.sent + 1, "textDocument/hover (jsonrpc)")
            data = frame(dumps(msg))
        else:  # a $/ request: must be answered (MethodNotFound at least)
            msg = {"jsonrpc": "2.0", "id": self.fresh_id(),
                   "method": self.rng.choice(["$/cancelRequest", "$/setTrace", "$/progress"]),
                   "params": {"id": "not-a-pending-request"}}
            self.send("$/ request", msg, "required")
            return
        self.note(f"malformed {kind}", data)
        self.s.send_raw(data)

    def step(self):
        r = self.rng.random()
        if r < 0.30:
            if not self.doc_open:
                self.reopen()
            else:
                self.edit()
        elif r < 0.50:
            self.valid_query()
        elif r < 0.68:
            self.random_request()
        elif r < 0.78:
            self.random_notification()
        elif r < 0.92:
            self.malformed()
        elif r < 0.95:
            self.cancel()
        else:
            self.reopen()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--deployc", required=True, help="the deployc binary")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=2000, help="messages in the storm")
    ap.add_argument("--storm-seconds", type=float, default=30.0, help="stop the storm earlier than --count after this")
    ap.add_argument("--time-limit", type=float, default=50.0, help="kill the server and fail after this")
    ap.add_argument("--response-timeout", type=float, default=10.0)
    ap.add_argument("--log", help="write every byte sent to this file (replay: deployc lsp < FILE)")
    ap.add_argument("--output-log", help="write every message the server sent to this file")
    ap.add_argument("--show-last", type=int, default=8, help="messages shown when a failure is reported")
    args = ap.parse_args()
    if not os.access(args.deployc, os.X_OK):
        print(f"lsp-fuzz: {args.deployc} is not an executable", file=sys.stderr)
        return 2

    start = time.monotonic()
    log = open(args.log, "wb") if args.log else None
    server = Server(args.deployc, log, open(args.output_log, "wb") if args.output_log else None)
    killed_by_watchdog = threading.Event()

    def watchdog():
        killed_by_watchdog.set()
        if server.proc.poll() is None:
            server.proc.kill()

    timer = threading.Timer(args.time_limit, watchdog)
    timer.daemon = True
    timer.start()
    fz = Fuzzer(server, random.Random(args.seed), args)
    phase = "start-up"
    summary = ""
    try:
        phase = "initialize"
        init_id = fz.request("initialize", "initialize", {"processId": os.getpid(), "rootUri": None,
                                                          "capabilities": {}})
        if not server.wait(lambda: id_key(init_id) in server.responses, args.response_timeout):
            raise Failure("no response to initialize")
        if "result" not in server.responses[id_key(init_id)][0]:
            raise Failure(f"initialize failed: {server.responses[id_key(init_id)][0]}")
        fz.notify("initialized", "initialized", {})
        fz.reopen()

        phase = "storm"
        storm_end = start + args.storm_seconds
        for _ in range(args.count):
            if time.monotonic() > storm_end:
                break
            fz.step()
            if server.proc.poll() is not None:
                raise Failure(describe_exit(server.proc))
        storm_sent = fz.sent

        phase = "waiting for responses"
        required = set(fz.required)
        server.wait(lambda: required <= server.responses.keys() or server.proc.poll() is not None,
                    max(1.0, min(args.response_timeout * 2, args.time_limit - (time.monotonic() - start) - 10)))
        if server.eof:
            # The output ended: the process is gone or going.
            try:
                server.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                raise Failure("the server closed its output but did not exit") from None
        if server.proc.poll() is not None:
            raise Failure(describe_exit(server.proc))

        phase = "checking responses"
        with server.cond:
            problems = list(server.bad_output)
            missing = sorted((fz.required[k][0], fz.required[k][1], k) for k in required - server.responses.keys())
            if missing:
                problems.append(f"{len(missing)} of {len(required)} requests got no response, e.g. " + "; ".join(
                    f"message #{i} {m} (id {k})" for i, m, k in missing[:8]))
            for k, rs in server.responses.items():
                if len(rs) > 1:
                    problems.append(f"{len(rs)} responses to id {k} (message #{(fz.required.get(k) or fz.optional.get(k) or ('?',))[0]}): "
                                    + " / ".join(json.dumps(r)[:300] for r in rs))
                if k not in fz.required and k not in fz.optional:
                    problems.append(f"a response to id {k}, which was never sent as a request: {rs[0]}")
            for k, (what, fn) in fz.validators.items():
                for r in server.responses.get(k, []):
                    if "error" in r:
                        # The document is open and the request well-formed:
                        # only a cancellation may stop it.
                        if r["error"]["code"] not in (-32800, -32801):
                            problems.append(f"valid {what} request (message #{fz.required[k][0]}, id {k}) "
                                            f"failed: {r['error']}")
                        continue
                    bad = fn(r.get("result"))
                    if bad:
                        problems.append(f"valid {what} request (message #{fz.required[k][0]}, id {k}): {bad}")
            internal = [(k, r) for k, rs in server.responses.items() for r in rs
                        if "error" in r and r["error"]["code"] == -32603]
        if problems:
            raise Failure("\n  ".join(problems[:20]))

        phase = "final check"
        fz.notify("didClose", "textDocument/didClose", {"textDocument": {"uri": DOC_URI}})
        fz.version += 1
        final_version = fz.version
        mark = len(server.diagnostics)
        fz.notify("didOpen", "textDocument/didOpen", {"textDocument": {
            "uri": DOC_URI, "languageId": "deploy", "version": final_version, "text": BASE_TEXT}})
        line = BASE_TEXT.split("\n").index("  tier = validation")
        hid = fz.request("final hover", "textDocument/hover",
                         {"textDocument": {"uri": DOC_URI}, "position": {"line": line, "character": 10}})
        if not server.wait(lambda: id_key(hid) in server.responses, args.response_timeout):
            raise Failure(f"no response to the final hover; {describe_exit(server.proc)}")
        resp = server.responses[id_key(hid)][0]
        value = ((resp.get("result") or {}).get("contents") or {}).get("value", "")
        if valid_hover(resp.get("result")) or "tier validation" not in value:
            raise Failure(f"the final hover on `validation` should show `tier validation`, got {json.dumps(resp)[:500]}")

        def final_diagnostics():
            return [p for p in server.diagnostics[mark:] if p.get("uri") == DOC_URI
                    and p.get("version") == final_version]
        if not server.wait(final_diagnostics, args.response_timeout):
            raise Failure("no publishDiagnostics for the reopened document")
        if final_diagnostics()[0]["diagnostics"]:
            raise Failure(f"the reopened document should be clean: {final_diagnostics()[0]['diagnostics']}")

        phase = "shutdown"
        sid = fz.request("shutdown", "shutdown", None)
        if not server.wait(lambda: id_key(sid) in server.responses, args.response_timeout):
            raise Failure(f"no response to shutdown; {describe_exit(server.proc)}")
        resp = server.responses[id_key(sid)][0]
        if resp.get("result", "missing") is not None or "error" in resp:
            raise Failure(f"shutdown should return null: {resp}")
        fz.notify("exit", "exit", None)
        try:
            rc = server.proc.wait(timeout=args.response_timeout)
        except subprocess.TimeoutExpired:
            raise Failure("the server did not exit after shutdown and exit") from None
        if rc != 0:
            raise Failure(f"after shutdown and exit: {describe_exit(server.proc)} (expected code 0)")
        with server.cond:
            if server.bad_output:
                raise Failure("\n  ".join(server.bad_output[:20]))
        elapsed = time.monotonic() - start
        errors = collections.Counter(r["error"]["code"] for rs in server.responses.values() for r in rs
                                     if "error" in r)
        summary = (f"lsp-fuzz: ok: seed {args.seed}, {storm_sent} messages ({server.bytes_sent} bytes), "
                   f"{len(fz.required)} requests all answered ("
                   f"{'errors: ' + ', '.join(f'{c} x{n}' for c, n in sorted(errors.items())) if errors else 'no errors'}"
                   f"; {len(internal)} internal), "
                   f"{len(server.null_id_errors)} errors with a null id, {len(server.diagnostics)} diagnostics "
                   f"published, exit code 0, {elapsed:.1f} s")
        print(summary)
        return 0
    except Failure as e:
        reason = str(e)
        if killed_by_watchdog.is_set():
            reason = f"the time limit of {args.time_limit:g} s ran out ({reason})"
        print(f"lsp-fuzz: during {phase}: {reason}", file=sys.stderr)
        with server.cond:
            bad = list(server.bad_output)
        if bad and bad[0] not in reason:
            print("malformed output from the server:\n  " + "\n  ".join(bad[:10]), file=sys.stderr)
        if server.proc.poll() is not None and server.proc.returncode != 0:
            # Requests run in order, so the server died at or before the oldest
            # unanswered one (or compiling an edit, on its diagnostics thread).
            with server.cond:
                unanswered = sorted(i for k, (i, m) in fz.required.items()
                                    if k not in server.responses and m != "$/cancelRequest")
            if unanswered:
                print("oldest unanswered requests (the server died at or before the first):", file=sys.stderr)
                for i in unanswered[:3]:
                    print(f"  {fz.all_sent[i - 1]}", file=sys.stderr)
        print(f"last messages sent (of {fz.sent}):", file=sys.stderr)
        for m in fz.last_sent:
            print(f"  {m}", file=sys.stderr)
        if server.stderr:
            print("server stderr (tail):", file=sys.stderr)
            print("  " + bytes(server.stderr[-3000:]).decode("utf-8", "replace").replace("\n", "\n  "),
                  file=sys.stderr)
        first = reason.split("\n")[0]
        print(f"lsp-fuzz: FAILED: seed {args.seed}, {fz.sent} messages, during {phase}: {first}")
        return 1
    finally:
        timer.cancel()
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait()
        if log:
            log.close()


if __name__ == "__main__":
    sys.exit(main())
