#!/usr/bin/env python3
"""The local engine's agent against hostile workloads and against kill -9.

  agent_engine.py hostile DEPLOYC TESTSVC SCRATCH_DIR
    A workload that reads no secret looks for what it inherited from the agent
    (the control socket, proxy sockets, apply's connections); so do its exec
    probe and a one-off job (run by `apply`, which is given a stray descriptor),
    and the agent itself is checked for that descriptor of the `apply` that
    started it. The control socket's modes, a connection from another uid, and
    an impostor agent of another uid are checked too (the last two as root).
  agent_engine.py kill DEPLOYC TESTSVC SCRATCH_DIR
    kill -9 of the agent during a canary step: `apply` reports D8001 and exits
    1, the rollback brings the environment back. kill -9 of the agent while
    idle: its supervisor restarts it with the workloads it ran. kill -9 of the
    supervisor: `status` reports D8001, the next `apply` brings the
    environment back, `down` cleans up what the killed agent left.

Prints the diagnostics it saw (for FileCheck) and `ok - ...` per scenario.
"""
import ctypes
import json
import os
import socket
import stat
import subprocess
import sys
import time
import urllib.request

MODE = sys.argv[1]
DEPLOYC, TESTSVC, SCRATCH = (os.path.abspath(a) for a in sys.argv[2:5])
KEY = "0123456789abcdef" * 4
PLANTED = "PLANTED-agent-Secret-9d2f"
NOBODY = 65534
failures = []
started = []  # Every Env, so that each scenario stops what it started.

HOSTILE = r'''
import json, os, socket, sys, time

def inherited():
    found = {}
    for fd in range(3, 4096):
        try:
            os.fstat(fd)
        except OSError:
            continue
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            target = "?"
        accepted = False
        try:
            s = socket.socket(fileno=fd)
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
                s.setblocking(False)
                try:
                    s.accept()
                    accepted = True
                except BlockingIOError:
                    accepted = "listening"
            s.detach()
        except OSError:
            pass
        found[fd] = [target, accepted]
    return found

found = inherited()
with open(sys.argv[1] + ".tmp", "w") as f:
    json.dump(found, f)
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
if sys.argv[2:] == ["serve"]:
    while True:
        time.sleep(1)
'''

SPEC = """\
import std.tiers.*
import std.secrets.database_credentials

param version: string = "v1"

environment dev {{
  tier = experimental
  network {{ routing = ingress }}
}}

secret db : database_credentials {{ readers = [web] }}

service web {{
  image    = "example/web:${{version}}"
  replicas = 2
  port http = 8080
  health {{
    readiness = http_get("/ready", http)
    period    = 1s
    timeout   = 1s
    failure_threshold = 2
  }}
  strategy = {strategy}
  env {{ DB_CREDENTIAL = db.credential }}
  local {{
    command = ["{testsvc}"]
    env {{ TESTSVC_VERSION = version }}
  }}
}}
{extra}
"""

HOSTILE_SERVICE = """
service hostile {{
  image    = "example/hostile:v1"
  replicas = 1
  port http = 8081
  health {{
    readiness = exec(["{python}", "{script}", "{probe_out}"])
    period    = 1s
  }}
  local {{
    command = ["{python}", "{script}", "{replica_out}", "serve"]
  }}
}}

job hostile_job {{
  image = "example/hostile-job:v1"
  local {{ command = ["{python}", "{script}", "{job_out}"] }}
}}
"""

ROLLING = "rolling { batch = 1  max_unavailable = 0  health_check = true  rollback = automatic }"
CANARY = "canary {{ steps = [50%, 100%]  pause = {pause}  rollback = automatic }}"


class Env:
    def __init__(self, name, strategy=ROLLING, extra=""):
        self.dir = os.path.join(SCRATCH, name)
        os.makedirs(self.dir)
        started.append(self)
        self.extra = extra
        self.write(strategy)
        self.state = os.path.join(self.dir, ".deployc")
        self.sock = os.path.join(self.state, "agent", "agent.sock")

    def write(self, strategy):
        with open(os.path.join(self.dir, "app.deploy"), "w") as f:
            f.write(SPEC.format(strategy=strategy, testsvc=TESTSVC, extra=self.extra))

    def env(self):
        e = dict(os.environ, DEPLOYC_VAULT_KEY=KEY, DEPLOYC_ACTOR="ci")
        e.pop("DEPLOYC_STATE", None)
        return e

    def run(self, *args, check=True, **kw):
        p = subprocess.run([DEPLOYC, *args], cwd=self.dir, env=self.env(), capture_output=True,
                           text=True, timeout=120, **kw)
        if PLANTED in p.stdout + p.stderr:
            failures.append(f"secret value in the output of deployc {args[0]}")
        if check and p.returncode != 0:
            raise AssertionError(f"deployc {' '.join(args)} exited {p.returncode}:\n"
                                 f"{p.stdout}{p.stderr}")
        return p

    def secrets(self):
        self.run("secrets", "set", "app.deploy", "db", "host=localhost", "user=app",
                 "schema=shop", f"credential={PLANTED}", "--env", "dev")

    def apply(self, *sets, check=True, **kw):
        args = ["apply", "app.deploy", "--env", "dev"]
        for s in sets:
            args += ["--set", s]
        return self.run(*args, check=check, **kw)

    def apply_async(self, *sets):
        args = [DEPLOYC, "apply", "app.deploy", "--env", "dev"]
        for s in sets:
            args += ["--set", s]
        return subprocess.Popen(args, cwd=self.dir, env=self.env(), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)

    def agent(self, request):
        s = socket.socket(socket.AF_UNIX)
        s.connect(self.sock)
        s.sendall((json.dumps(request) + "\n").encode())
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        return json.loads(data)

    def agent_pid(self):
        try:
            return self.agent({"op": "ping"})["pid"]
        except (OSError, ValueError):
            return None

    def supervisor_pid(self):
        try:
            return self.agent({"op": "ping"})["supervisor"]
        except (OSError, ValueError):
            return None

    def status(self):
        ws = json.loads(self.run("status", "--env", "dev", "--json").stdout)["workloads"]
        return {w["workload"]: w for w in ws}

    def down(self):
        pid = self.agent_pid()
        self.run("down", "--env", "dev", check=False)
        if pid:
            wait_for(lambda: not alive(pid), 10, "the agent to exit")


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_for(cond, timeout=20, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def serving(env):
    """The version the entry point answers with (one request)."""
    addr = env.status()["web"]["entry_points"]["http"]
    with urllib.request.urlopen(f"http://{addr}/", timeout=5) as r:
        return r.read().decode().split()[0]


def serves(env, version):
    """Whether the entry point answers with version (False while it cannot)."""
    try:
        return serving(env) == version
    except (OSError, ValueError, KeyError):
        return False


def scenario(name, fn):
    count = len(started)
    try:
        fn()
        print(f"ok - {name}", flush=True)
    except Exception as e:  # noqa: BLE001 (report and continue)
        failures.append(name)
        print(f"not ok - {name}\n  {e}", flush=True)
    finally:
        for env in started[count:]:
            try:
                env.down()
            except Exception as e:  # noqa: BLE001 (the verdict stands)
                print(f"  cleanup of {env.dir}: {e}")


def diagnostics(text):
    for line in text.splitlines():
        if "[D8" in line:
            print(line)


#===------------------------------------------------------------------------===#
# hostile
#===------------------------------------------------------------------------===#

def hostile():
    script = os.path.join(SCRATCH, "hostile.py")
    with open(script, "w") as f:
        f.write(HOSTILE)
    replica_out = os.path.join(SCRATCH, "replica-fds.json")
    probe_out = os.path.join(SCRATCH, "probe-fds.json")
    job_out = os.path.join(SCRATCH, "job-fds.json")
    env = Env("hostile", extra=HOSTILE_SERVICE.format(
        python=sys.executable, script=script, replica_out=replica_out, probe_out=probe_out,
        job_out=job_out))
    env.secrets()

    def fds():
        # A descriptor apply has open and would pass on: the agent it starts
        # must not keep it.
        r, w = os.pipe()
        leaked = os.readlink(f"/proc/self/fd/{r}")
        env.apply(pass_fds=(r,))
        os.close(r)
        os.close(w)
        agent = env.agent_pid()
        held = [os.readlink(f"/proc/{agent}/fd/{fd}") for fd in os.listdir(f"/proc/{agent}/fd")]
        problems = []
        if leaked in held:
            problems.append(f"the agent inherited apply's {leaked}")
        # A second apply sends the secret again while the hostile workload runs.
        env.apply()
        for what, path in (("replica", replica_out), ("exec probe", probe_out),
                           ("job", job_out)):
            wait_for(lambda: os.path.exists(path), 10, f"the {what}'s report")
            with open(path) as f:
                got = json.load(f)
            if got:
                problems.append(f"the hostile {what} inherited descriptors 3 and up: {got}")
        assert not problems, "; ".join(problems)

    def modes():
        folder = os.stat(os.path.dirname(env.sock))
        sock = os.stat(env.sock)
        assert stat.S_ISDIR(folder.st_mode) and stat.S_IMODE(folder.st_mode) == 0o700, \
            oct(folder.st_mode)
        assert stat.S_ISSOCK(sock.st_mode) and stat.S_IMODE(sock.st_mode) == 0o600, \
            oct(sock.st_mode)

    def other_uid():
        if os.geteuid() != 0:
            print("ok - another uid is refused # SKIP not root")
            return
        libc = ctypes.CDLL(None, use_errno=True)

        def as_nobody(through_permissions):
            # In a child: with a plain setuid the folder's mode stops the
            # connection; with euid nobody but fsuid root the path is
            # reachable and only the agent's peer check can refuse it.
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(r)
                try:
                    if through_permissions:
                        os.setuid(NOBODY)
                    else:
                        os.seteuid(NOBODY)
                        libc.setfsuid(0)
                    s = socket.socket(socket.AF_UNIX)
                    s.settimeout(5)
                    s.connect(env.sock)
                    s.sendall(b'{"op": "status"}\n')
                    answer = s.recv(65536)
                    verdict = "answered" if answer else "closed"
                except PermissionError:
                    verdict = "denied"
                except (ConnectionResetError, BrokenPipeError):
                    verdict = "closed"
                except OSError as e:
                    verdict = f"error {e}"
                os.write(w, verdict.encode())
                os._exit(0)
            os.close(w)
            verdict = os.read(r, 1000).decode()
            os.close(r)
            os.waitpid(pid, 0)
            return verdict

        got = as_nobody(True)
        assert got == "denied", f"uid {NOBODY} through the folder: {got}"
        got = as_nobody(False)
        assert got == "closed", f"uid {NOBODY} with the path reachable: {got}"
        with open(os.path.join(env.state, "agent.log")) as f:
            assert f"refused a connection from uid {NOBODY}" in f.read()
        assert env.status()["web"], "the agent still serves its owner"

    def impostor():
        if os.geteuid() != 0:
            print("ok - an impostor agent is refused # SKIP not root")
            return
        other = Env("impostor")
        run_dir = os.path.join(other.state, "agent")
        os.makedirs(run_dir, mode=0o700)
        got = os.path.join(SCRATCH, "impostor-got")
        ready_r, ready_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            # Bound by root, listening as nobody: the peer credentials a
            # client sees are those of listen().
            os.close(ready_r)
            s = socket.socket(socket.AF_UNIX)
            s.bind(other.sock)
            os.seteuid(NOBODY)
            s.listen(4)
            os.write(ready_w, b"x")
            s.settimeout(10)
            seen = b""
            try:
                while True:
                    c, _ = s.accept()
                    c.settimeout(1)
                    try:
                        seen += c.recv(65536)
                        c.sendall(b'{"ok": true, "workloads": []}\n')
                    except OSError:
                        pass
                    c.close()
            except OSError:
                pass
            with open(got, "wb") as f:
                f.write(seen)
            os._exit(0)
        os.close(ready_w)
        os.read(ready_r, 1)
        os.close(ready_r)
        try:
            other.secrets()
            for args in (("status", "--env", "dev"), ("apply", "app.deploy", "--env", "dev")):
                p = other.run(*args, check=False)
                diagnostics(p.stderr)
                assert p.returncode == 1 and "error[D8002]" in p.stderr, p.stdout + p.stderr
        finally:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        assert not os.path.exists(got) or not open(got, "rb").read(), "the impostor got a request"

    try:
        scenario("a hostile workload and its exec probe inherit no descriptor", fds)
        scenario("the control socket is 0600 in a 0700 folder", modes)
        scenario("another uid is refused by the agent", other_uid)
        scenario("an agent of another uid gets nothing (D8002)", impostor)
    finally:
        env.down()


#===------------------------------------------------------------------------===#
# kill
#===------------------------------------------------------------------------===#

def kill():
    def during_rollout():
        env = Env("during", CANARY.format(pause="30s"))
        env.secrets()
        env.apply()
        entry = env.status()["web"]["entry_points"]["http"]
        p = env.apply_async("version=v2")
        wait_for(lambda: len(env.status()["web"]["weights"]) == 2, 30, "the canary step")
        victim = env.agent_pid()
        os.kill(victim, 9)
        out, _ = p.communicate(timeout=120)
        diagnostics(out)
        assert p.returncode == 1, f"apply exited {p.returncode}:\n{out}"
        assert f"error[D8001]: the local engine's agent (pid {victim}) stopped unexpectedly" \
            in out, out
        assert "rolled back to revision 1" in out, out
        # The rollback started a new agent and put revision 1 back, on the
        # same entry point.
        assert env.agent_pid() not in (None, victim)
        st = env.status()["web"]
        assert st["entry_points"]["http"] == entry, (st, entry)
        assert len(st["revisions"]) == 1, st
        assert serving(env) == "v1"
        env.write(CANARY.format(pause="1s"))
        out = env.apply("version=v2").stdout
        assert "applied environment `dev` as revision 3" in out, out
        assert serving(env) == "v2"

    def restarted_by_supervisor():
        env = Env("restarted")
        env.secrets()
        env.apply()
        entry = env.status()["web"]["entry_points"]["http"]
        victim, supervisor = env.agent_pid(), env.supervisor_pid()
        os.kill(victim, 9)
        wait_for(lambda: env.agent_pid() not in (None, victim), 10, "a new agent")
        assert env.supervisor_pid() == supervisor
        # The same workloads on the same entry point, with no command run.
        wait_for(lambda: serves(env, "v1"), 20, "the restored replicas")
        st = env.status()["web"]
        assert st["entry_points"]["http"] == entry, (st, entry)
        assert serving(env) == "v1"
        p = env.run("status", "--env", "dev")
        assert "D8001" not in p.stdout + p.stderr, p.stdout + p.stderr
        audit = env.run("audit").stdout
        assert "agent.restart" in audit and "killed by signal 9" in audit, audit
        # The values it restored went through a pipe, never a file.
        for root, _, files in os.walk(env.state):
            for name in files:
                path = os.path.join(root, name)
                if os.path.isfile(path) and not name.endswith(".sock"):
                    with open(path, "rb") as f:
                        assert PLANTED.encode() not in f.read(), f"secret value in {path}"
        print("restarted by its supervisor: same entry point, serving v1", flush=True)

    def while_idle():
        env = Env("idle")
        env.secrets()
        env.apply()
        victim, supervisor = env.agent_pid(), env.supervisor_pid()
        # The supervisor killed: its agent and the replicas go with it.
        os.kill(supervisor, 9)
        wait_for(lambda: not alive(victim), 5, "the agent to die")
        p = env.run("status", "--env", "dev", check=False)
        diagnostics(p.stderr)
        assert p.returncode == 1 and f"error[D8001]: the local engine's agent (pid {victim})" \
            in p.stderr, p.stdout + p.stderr
        out = env.apply().stdout
        assert "converging `web`" in out, out
        assert serving(env) == "v1"
        # Killed again, then `down`: nothing to stop, and nothing left over.
        victim = env.agent_pid()
        os.kill(env.supervisor_pid(), 9)
        wait_for(lambda: not alive(victim), 5, "the agent to die")
        p = env.run("down", "--env", "dev")
        assert f"nothing runs: the agent (pid {victim}) was killed" in p.stdout, p.stdout
        p = env.run("status", "--env", "dev")
        assert "nothing runs" in p.stdout, p.stdout

    scenario("kill -9 of the agent mid-rollout: D8001, rolled back by a new agent",
             during_rollout)
    scenario("kill -9 of the agent while idle: its supervisor restarts it with its workloads",
             restarted_by_supervisor)
    scenario("kill -9 of the supervisor while idle: status says D8001, apply restores",
             while_idle)


if os.path.exists(SCRATCH):
    subprocess.run(["rm", "-rf", SCRATCH], check=True)
os.makedirs(SCRATCH)
{"hostile": hostile, "kill": kill}[MODE]()
for root, _, files in os.walk(SCRATCH):
    for name in files:
        path = os.path.join(root, name)
        if name.startswith("vault.db") or not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            if PLANTED.encode() in f.read():
                failures.append(f"secret value in {path}")
if failures:
    print("FAILED:", ", ".join(failures))
    sys.exit(1)
print("all agent scenarios passed")
