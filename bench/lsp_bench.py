#!/usr/bin/env python3
"""Language server latency on a large workspace (run by hand; see bench/README.md).

Generates a workspace of about LINES lines (a main file importing service files),
starts `deployc lsp`, and measures
  * didChange -> publishDiagnostics for the edited file, and
  * completion request -> response,
over many edits, reporting p50/p95 in milliseconds.

Usage: lsp_bench.py --deployc build/bin/deployc [--lines 5000] [--edits 200]
"""
import argparse
import json
import os
import queue
import statistics
import subprocess
import tempfile
import threading
import time


def service(i):
    return f'''service svc{i} {{
  image     = "registry.example/svc{i}:${{tag}}"
  replicas  = 2
  resources = moderate
  port http = 8080
  health {{
    liveness  = http_get("/healthz", http)
    readiness = http_get("/ready", http)
  }}
  env {{
    LOG_LEVEL = if env.tier == operational then "warn" else "debug"
    DB_URL    = db.url
  }}
  strategy = canary {{
    steps    = [10%, 50%, 100%]
    pause    = 2m
    analysis {{ error_rate < 1%  latency_p99 < 250ms }}
    rollback = automatic
  }}
  scaling {{ replicas = 2..10  cpu > 75% }}
}}
'''


def make_workspace(root, lines):
    per = len(service(0).splitlines())
    count = max(1, lines // per)
    files = 10
    names = [f"svc{i}" for i in range(count)]
    with open(os.path.join(root, "main.deploy"), "w") as f:
        f.write("import std.tiers.*\nimport std.secrets.database_credentials\n")
        for k in range(files):
            f.write(f'import "./services{k}.deploy"\n')
        f.write('param tag: string = "1.0"\n')
        f.write('environment prod { tier = operational  network { routing = mesh }  '
                'monitoring { prometheus = true  alerts = "team" } }\n')
        f.write("secret db : database_credentials {\n  backend = vault(\"kv/db\")\n"
                "  rotation { every = 30d  dual_write = 1h }\n  readers = [" +
                ", ".join(names) + "]\n}\n")
    for k in range(files):
        with open(os.path.join(root, f"services{k}.deploy"), "w") as f:
            f.write("import std.tiers.*\n")
            for i in range(k, count, files):
                f.write(service(i))
    return os.path.join(root, "services0.deploy"), count


class Client:
    def __init__(self, cmd):
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.inbox = queue.Queue()
        threading.Thread(target=self.reader, daemon=True).start()
        self.next_id = 0

    def reader(self):
        out = self.proc.stdout
        while True:
            header = b""
            while not header.endswith(b"\r\n\r\n"):
                c = out.read(1)
                if not c:
                    return
                header += c
            length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
            self.inbox.put((time.perf_counter(), json.loads(out.read(length))))

    def send(self, msg):
        body = json.dumps(msg).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def request(self, method, params):
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        return self.next_id

    def wait(self, pred, timeout=30):
        end = time.time() + timeout
        while True:
            t, msg = self.inbox.get(timeout=max(0.01, end - time.time()))
            if pred(msg):
                return t, msg


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--deployc", required=True)
    ap.add_argument("--lines", type=int, default=5000)
    ap.add_argument("--edits", type=int, default=200)
    args = ap.parse_args()
    root = tempfile.mkdtemp()
    edited, count = make_workspace(root, args.lines)
    total = sum(len(open(os.path.join(root, f)).read().splitlines()) for f in os.listdir(root))
    c = Client([args.deployc, "lsp"])
    c.request("initialize", {"capabilities": {}, "initializationOptions": {"environment": "prod"}})
    c.wait(lambda m: m.get("id") == 1)
    c.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    uri = "file://" + os.path.join(root, "main.deploy")
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name)
        c.send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": "file://" + path, "languageId": "deploy", "version": 1, "text": open(path).read()}}})
    edited_uri = "file://" + edited
    c.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
           and m["params"]["uri"] == edited_uri)
    diag, comp = [], []
    version = 1
    for i in range(args.edits):
        version += 1
        digit = str(2 + i % 7)
        start = time.perf_counter()
        c.send({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": edited_uri, "version": version},
            "contentChanges": [{"range": {"start": {"line": 3, "character": 14},
                                          "end": {"line": 3, "character": 15}}, "text": digit}]}})
        t, _ = c.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                      and m["params"]["uri"] == edited_uri and m["params"].get("version") == version)
        diag.append((t - start) * 1000)
        start = time.perf_counter()
        rid = c.request("textDocument/completion", {"textDocument": {"uri": edited_uri},
                                                    "position": {"line": 3, "character": 2}})
        t, _ = c.wait(lambda m: m.get("id") == rid)
        comp.append((t - start) * 1000)
    c.request("shutdown", None)
    c.send({"jsonrpc": "2.0", "method": "exit"})
    c.proc.wait(timeout=10)
    print(f"workspace: {total} lines in {len(os.listdir(root))} files, {count} services; {args.edits} edits")
    print(f"didChange -> publishDiagnostics: p50 {pct(diag, 50):.1f} ms, p95 {pct(diag, 95):.1f} ms")
    print(f"completion:                      p50 {pct(comp, 50):.1f} ms, p95 {pct(comp, 95):.1f} ms")


if __name__ == "__main__":
    main()
