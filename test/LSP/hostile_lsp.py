#!/usr/bin/env python3
"""Inputs that crashed or stalled the language server: each must be answered
and the server must exit cleanly. Usage: hostile_lsp.py DEPLOYC"""
import json, subprocess, sys, time
D = sys.argv[1]
def frame(m):
    b = json.dumps(m).encode(); return b"Content-Length: %d\r\n\r\n" % len(b) + b
def session(msgs, timeout=60):
    p = subprocess.Popen([D, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    data = b"".join(frame(m) for m in msgs)
    t0 = time.time()
    out, err = p.communicate(data, timeout=timeout)
    return p.returncode, out, time.time() - t0
init = {"jsonrpc":"2.0","id":0,"method":"initialize","params":{"capabilities":{}}}
inited = {"jsonrpc":"2.0","method":"initialized","params":{}}
end = [{"jsonrpc":"2.0","id":99,"method":"shutdown"},{"jsonrpc":"2.0","method":"exit"}]
def opened(text):
    return {"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///tmp/x.deploy","languageId":"deploy","version":1,"text":text}}}
def req(i, method, line=0, ch=0, **extra):
    p = {"textDocument":{"uri":"file:///tmp/x.deploy"},"position":{"line":line,"character":ch}}
    p.update(extra)
    return {"jsonrpc":"2.0","id":i,"method":method,"params":p}
cases = {
 "20k-deep expression": ("service s {\n  replicas = " + "-"*20000 + "1\n}\n", [req(1,"textDocument/hover",1,4)]),
 "completion after a 100k import path": ("import std." + "x"*100000, [req(1,"textDocument/completion",0,100011)]),
 "completion after a 100k value": ("service s {\n  replicas = " + "x"*100000 + "\n}\n", [req(1,"textDocument/completion",1,100013)]),
 "rename to a 100k name": ("service api {}\n", [req(1,"textDocument/rename",0,9,newName="a"*100000)]),
 "semantic tokens of 50k lines": ("x = 1\n"*50000, [{"jsonrpc":"2.0","id":1,"method":"textDocument/semanticTokens/full","params":{"textDocument":{"uri":"file:///tmp/x.deploy"}}}]),
}
failed = []
for name, (text, reqs) in cases.items():
    rc, out, dt = session([init, inited, opened(text)] + reqs + end, timeout=120)
    ans = b'"id":1,' in out or b'"id":1}' in out
    print(f"{name}: exit {rc}, answered: {ans}")
    if rc != 0 or not ans:
        failed.append(name)
if failed:
    print("FAILED:", ", ".join(failed))
    sys.exit(1)
