#!/usr/bin/env python3
"""Hostile inputs: each must end with diagnostics and exit code 1, in bounded
time and memory, never with a crash or a partial output.

  hostile.py DEPLOYC STDLIB EXAMPLES SCRATCH

Every input goes through `check`, `emit -o DIR` (DIR must not appear) and
`fmt --check` (the file must be left as it was); `dump-ast` and `eval` take
the syntax-only and evaluation paths. Inputs that are not regular files
(devices, FIFOs, folders, files over 64 MiB) and command lines that are not
UTF-8 must be refused with a diagnostic (exit 2, or 1 for a `--set` value). Limits per process: 20 s, 2 GiB of
address space, 1 MiB of diagnostics.
"""
import os
import random
import resource
import shutil
import subprocess
import sys
import time

DEPLOYC, STDLIB, EXAMPLES, SCRATCH = (os.path.abspath(a) for a in sys.argv[1:5])
TIMEOUT = 20
MEMORY = 2 << 30
MAX_OUTPUT = 1 << 20
failures = []
counts = {"inputs": 0, "runs": 0}

VALID = """import std.tiers.*

environment dev { tier = experimental }

service api {
  image     = "registry.example.com/api:1.0"
  replicas  = 2
  port http = 8080
  health { liveness = http_get("/healthz", http) }
  env { LOG_LEVEL = "info" }
  strategy = rolling { batch = 1  max_unavailable = 0 }
}
"""

KEYWORDS = ["import", "param", "if", "then", "else", "true", "false", "env", "on", "service",
            "worker", "job", "secret", "environment", "tier", "resource_tier", "build",
            "devcontainer", "channel", "feature", "type", "component", "compose", "port",
            "strategy", "rolling", "canary", "blue_green", "scaling", "health", "local"]


def limit():
    # AddressSanitizer reserves terabytes of address space: no cap there.
    if not os.environ.get("DEPLOYC_SANITIZED"):
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run(args, cwd):
    counts["runs"] += 1
    start = time.monotonic()
    try:
        p = subprocess.run([DEPLOYC, *args], cwd=cwd, capture_output=True, timeout=TIMEOUT,
                           preexec_fn=limit, env=dict(os.environ, DEPLOYC_STDLIB=STDLIB))
    except subprocess.TimeoutExpired:
        return None, b"", b"", TIMEOUT
    return p.returncode, p.stdout, p.stderr, time.monotonic() - start


def expect_error(name, path, cwd):
    """`check`, `emit`, `fmt --check`, `dump-ast`, `eval`: exit 1 with diagnostics."""
    counts["inputs"] += 1
    with open(path, "rb") as f:
        before = f.read()
    out_dir = os.path.join(cwd, "out-" + os.path.basename(path))
    runs = [
        ("check", ["check", path], 1),
        ("emit", ["emit", path, "-o", out_dir, "--env", "dev"], 1),
        ("fmt --check", ["fmt", "--check", path], None),
        ("dump-ast", ["dump-ast", path], None),
        ("eval", ["eval", path, "--env", "dev"], 1),
    ]
    for what, args, want in runs:
        rc, out, err, secs = run(args, cwd)
        problem = None
        if rc is None:
            problem = f"no answer within {TIMEOUT}s"
        elif rc < 0:
            problem = f"killed by signal {-rc}"
        elif want is not None and rc != want:
            problem = f"exit code {rc}, wanted {want}"
        elif want is not None and b"error" not in err and b"error" not in out:
            problem = "no diagnostic"
        elif len(err) + (len(out) if what != "dump-ast" else 0) > MAX_OUTPUT:
            problem = f"{len(out) + len(err)} bytes of output"
        elif b"Stack dump" in err or b"PLEASE submit a bug report" in err:
            problem = "crash report"
        if what == "emit" and os.path.exists(out_dir):
            problem = problem or "emit wrote an output folder"
        if problem:
            failures.append(f"{name}: deployc {what}: {problem}\n{err[-600:].decode(errors='replace')}")
    with open(path, "rb") as f:
        if f.read() != before:
            failures.append(f"{name}: the input file was changed")
    # `fmt` in place on a copy: a file with syntax errors stays as it was.
    copy = path + ".fmt.deploy"
    shutil.copy(path, copy)
    rc, out, err, secs = run(["fmt", copy], cwd)
    with open(copy, "rb") as f:
        after = f.read()
    if rc is None or rc < 0:
        failures.append(f"{name}: deployc fmt: exit {rc}")
    elif rc != 0 and after != before:
        failures.append(f"{name}: deployc fmt failed (exit {rc}) but changed the file")


def case(name, data, files=None):
    folder = os.path.join(SCRATCH, name.replace(" ", "-").replace("/", "-"))
    os.makedirs(folder, exist_ok=True)
    for other, text in (files or {}).items():
        os.makedirs(os.path.dirname(os.path.join(folder, other)), exist_ok=True)
        with open(os.path.join(folder, other), "wb") as f:
            f.write(text.encode() if isinstance(text, str) else text)
    path = os.path.join(folder, "main.deploy")
    with open(path, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
    expect_error(name, path, folder)


shutil.rmtree(SCRATCH, ignore_errors=True)
os.makedirs(SCRATCH)
rng = random.Random(7)

# Truncated files: every example cut inside a block.
for example in ("shop/shop.deploy", "queue-workers/pipeline.deploy", "api-build/api.deploy"):
    with open(os.path.join(EXAMPLES, example)) as f:
        text = f.read()
    cuts = [i for i in range(len(text)) if text[:i].count("{") > text[:i].count("}")]
    for k, cut in enumerate(sorted(rng.sample(cuts, 6))):
        case(f"truncated {example} {k}", text[:cut], {"secrets.deploy": open(
            os.path.join(EXAMPLES, "shop/secrets.deploy")).read()})

# Binary garbage, and garbage after a valid prefix.
for k in range(4):
    case(f"garbage {k}", bytes(rng.randrange(256) for _ in range(65536)))
case("garbage after valid", VALID.encode() + bytes(rng.randrange(256) for _ in range(4096)))
case("nul bytes", VALID.replace("api", "a\0pi"))

# Invalid UTF-8: in a string, in a name, in a comment, a lone continuation byte.
case("invalid utf-8 in string", VALID.encode().replace(b"api:1.0", b"api:\xff\xfe1.0"))
case("invalid utf-8 in name", VALID.encode().replace(b"service api", b"service a\xc3"))
case("invalid utf-8 in comment", b"// \xed\xa0\x80 surrogate\n" + VALID.encode())
case("overlong utf-8", VALID.encode().replace(b"info", b"\xc0\xafinfo"))

# A 10 MB string: unterminated, and where a number belongs.
case("10 MB unterminated string", VALID + 'param big: string = "' + "x" * (10 << 20))
case("10 MB string as a number", VALID.replace("replicas  = 2", 'replicas  = "' + "7" * (10 << 20) + '"'))
case("10 MB comment then error", "/*" + "c" * (10 << 20) + "*/\n" + VALID.replace("= 2", "= two"))

# 100k-deep nesting: lists, parentheses, blocks, unary minus, interpolation.
D = 100_000
case("deep lists", VALID + "param p: [int] = " + "[" * D + "1" + "]" * D + "\n")
case("deep parens", VALID + "param p: int = " + "(" * D + "1" + ")" * D + "\n")
case("deep blocks", "service s " + "{ x " * D + "}" * D + "\n")
case("deep minus", VALID + "param p: int = " + "-" * D + "1\n")
case("deep unclosed", VALID + "param p: [int] = " + "[" * D)
case("deep interpolation", VALID + 'param p: string = "' + "${\"" * 5000 + "x" + "\"}" * 5000 + '"\n')

# 10k-element lists of the wrong type, and 10k entries in a block.
case("10k-element list", VALID.replace('env { LOG_LEVEL = "info" }',
                                       "env { LOG_LEVEL = [" + ", ".join(["1"] * 10_000) + "] }"))
case("10k entries", VALID.replace('env { LOG_LEVEL = "info" }',
                                  "env {\n" + "".join(f"  V{i} = {i}\n" for i in range(10_000)) +
                                  "  V0 = 1\n}"))
case("10k-term sum", VALID + "param p: int = " + " + ".join(["1"] * 10_000) + "\n")

# Import cycles and self-imports.
case("self import", 'import "./main.deploy"\n' + VALID)
case("import cycle", 'import "./a.deploy"\n' + VALID,
     {"a.deploy": 'import "./b.deploy"\n', "b.deploy": 'import "./main.deploy"\n'})
case("import missing", 'import "./nothere.deploy"\n' + VALID)
case("import a folder", 'import "./dir"\n' + VALID, {"dir/.keep": ""})
case("import garbage", 'import "./g.deploy"\n' + VALID, {"g.deploy": bytes(range(256)) * 16})

# Imports of what is not a regular file: devices that never end, a FIFO with
# no writer (opening it must not wait), a folder, a sparse file over 64 MiB.
fifo_folder = os.path.join(SCRATCH, "fifo")
os.makedirs(fifo_folder)
os.mkfifo(os.path.join(fifo_folder, "pipe.deploy"))
with open(os.path.join(fifo_folder, "big.deploy"), "wb") as f:
    f.truncate(65 << 20)
case("import /dev/zero", 'import "/dev/zero"\n' + VALID)
case("import /dev/urandom", 'import "/dev/urandom"\n' + VALID)
case("import a fifo", f'import "{fifo_folder}/pipe.deploy"\n' + VALID)
case("import a file over 64 MiB", f'import "{fifo_folder}/big.deploy"\n' + VALID)


def expect_refused(name, args, want):
    """A hostile command line: exit `want` with a diagnostic, in bounded time."""
    counts["inputs"] += 1
    rc, out, err, secs = run(args, SCRATCH)
    problem = None
    if rc is None:
        problem = f"no answer within {TIMEOUT}s"
    elif rc < 0:
        problem = f"killed by signal {-rc}"
    elif rc != want:
        problem = f"exit code {rc}, wanted {want}"
    elif b"error[" not in err and b"error[" not in out:
        problem = "no diagnostic"
    elif b"Stack dump" in err or b"terminate called" in err:
        problem = "crash report"
    if problem:
        failures.append(f"{name}: deployc {' '.join(map(os.fsdecode, args))}: {problem}\n"
                        f"{err[-600:].decode(errors='replace')}")


# Inputs that are not regular files, named on the command line.
for path in ("/dev/zero", "/dev/urandom", os.path.join(fifo_folder, "pipe.deploy"), fifo_folder,
             os.path.join(fifo_folder, "big.deploy")):
    for command in (["check"], ["eval"], ["emit", "-o", os.path.join(SCRATCH, "out-dev")],
                    ["fmt"], ["fmt", "--check"], ["dump-ast"]):
        expect_refused(f"input {path}", [*command, path], 2)
if os.path.exists(os.path.join(SCRATCH, "out-dev")):
    failures.append("emit of a device wrote an output folder")

# Invalid UTF-8 on the command line: `--set` values (D0005, exit 1), `--env`,
# file names and option values (D0008, exit 2). Never an uncaught exception
# from a JSON writer.
valid_path = os.path.join(SCRATCH, "valid.deploy")
with open(valid_path, "w") as f:
    f.write("param image_tag: string = \"v1\"\n" + VALID.replace("api:1.0", "api:${image_tag}"))
for bad in (b"\xff", b"v\xc3", b"\xed\xa0\x80", b"\xc0\xaf"):
    set_arg = b"image_tag=" + bad
    expect_refused(f"--set {bad!r} check", ["check", "--set", set_arg, valid_path], 1)
    expect_refused(f"--set {bad!r} eval", ["eval", "--set", set_arg, valid_path], 1)
    expect_refused(f"--set {bad!r} emit -o -", ["emit", "-o", "-", "--set", set_arg, valid_path], 1)
    expect_refused(f"--set {bad!r} emit", ["emit", "-o", os.path.join(SCRATCH, "out-set"),
                                           "--set", set_arg, valid_path], 1)
    expect_refused(f"--env {bad!r}", ["eval", "--env", b"dev" + bad, valid_path], 2)
    expect_refused(f"file name {bad!r}", ["check", os.path.join(SCRATCH, "x").encode() + bad], 2)
if os.path.exists(os.path.join(SCRATCH, "out-set")):
    failures.append("emit with a bad --set value wrote an output folder")

# Huge integers.
case("huge replicas", VALID.replace("replicas  = 2", "replicas  = " + "9" * 400))
case("huge port", VALID.replace("= 8080", "= 18446744073709551617"))
case("huge quantity", VALID.replace('env { LOG_LEVEL = "info" }', "resources { cpu = 99999999999999999999999m }"))
case("overflowing arithmetic", VALID + "param p: int = 9223372036854775807 + 1\nparam q: int = p * p\n")

# Duplicate everything.
case("duplicate declarations", VALID + VALID.split("\n", 2)[2])
case("duplicate fields", VALID.replace("replicas  = 2", "replicas  = 2\n  replicas = 3\n  replicas = 4"))
case("duplicate ports", VALID.replace("port http = 8080", "port http = 8080\n  port http = 8081"))
case("duplicate environments", VALID + "environment dev { tier = experimental }\n" * 50)
case("duplicate imports", "import std.tiers.*\n" * 100 + VALID.replace("replicas  = 2", "replicas  = x"))
case("duplicate params", "param p: int = 1\n" * 1000 + VALID)

# Every keyword in every position: inserted before each token of a spec.
tokens = VALID.replace("\n", " \n ").split(" ")
positions = [i for i, t in enumerate(tokens) if t.strip()]
folder = os.path.join(SCRATCH, "keywords")
os.makedirs(folder)
keyword_runs = accepted = 0
for kw in KEYWORDS:
    for i in positions:
        text = " ".join(tokens[:i] + [kw] + tokens[i:])
        path = os.path.join(folder, "k.deploy")
        with open(path, "w") as f:
            f.write(text)
        rc, out, err, secs = run(["check", path], folder)
        keyword_runs += 1
        if rc is None or rc < 0 or rc == 2 or b"Stack dump" in err:
            failures.append(f"keyword `{kw}` at token {i}: exit {rc}\n{err[-400:].decode(errors='replace')}")
        elif rc == 0:
            # Accepted: the keyword made another valid spec. It must say nothing.
            accepted += 1
            if b"error" in err:
                failures.append(f"keyword `{kw}` at token {i}: exit 0 with an error")
        elif b"error" not in err:
            failures.append(f"keyword `{kw}` at token {i}: exit 1 without a diagnostic")

for f in failures:
    print("FAIL:", f)
print(f"{counts['inputs']} hostile inputs ({counts['runs']} runs), {keyword_runs} keyword "
      f"placements ({accepted} of them still a valid spec), {len(failures)} failures")
sys.exit(1 if failures else 0)
