#!/usr/bin/env python3
"""End-to-end scenarios of `deployc apply` and friends on a temporary state dir.

Each scenario runs real deployc processes and checks their effect on the
state store, the vault and the target folder. Usage:
  state_e2e.py DEPLOYC SPEC SCRATCH_DIR
"""
import hashlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time

DEPLOYC, SPEC_SRC, SCRATCH = sys.argv[1:4]
KEY = "0123456789abcdef" * 4
PLANTED = "PLANTED-Secret-Value-7f3a9c"
failures = []
outputs = []  # Every stdout/stderr, to grep for the planted value at the end.


def run(*args, env=None, check=True, input=None):
    e = dict(os.environ, DEPLOYC_VAULT_KEY=KEY, DEPLOYC_ACTOR="ci")
    e.update(env or {})
    p = subprocess.run([DEPLOYC, *args], cwd=WORK, env=e, capture_output=True, text=True,
                       input=input, timeout=60)
    outputs.append(p.stdout + p.stderr)
    if check and p.returncode != 0:
        raise AssertionError(f"deployc {' '.join(args)} exited {p.returncode}:\n{p.stdout}{p.stderr}")
    return p


def scenario(name):
    def wrap(fn):
        try:
            fn()
            print(f"ok - {name}")
        except Exception as e:  # noqa: BLE001 (report and continue)
            failures.append(name)
            print(f"not ok - {name}\n  {e}")
        return fn
    return wrap


def fresh():
    global WORK
    WORK = os.path.join(SCRATCH, f"w{len(outputs)}-{time.monotonic_ns()}")
    os.makedirs(WORK)
    shutil.copy(SPEC_SRC, os.path.join(WORK, "app.deploy"))
    run("secrets", "set", "app.deploy", "db", "host=db.local", "user=app", "schema=shop",
        f"credential={PLANTED}", "--env", "dev")


def db(name="state.db"):
    return sqlite3.connect(os.path.join(WORK, ".deployc", name))


def apply(*extra, env=None, check=True):
    return run("apply", "app.deploy", "--env", "dev", "--target", "dir:out", *extra, env=env,
               check=check)


shutil.rmtree(SCRATCH, ignore_errors=True)
os.makedirs(SCRATCH)


@scenario("apply records a revision with config, plan, files, actor and outcome")
def _():
    fresh()
    apply()
    apply("--set", "tag=2.0")
    rows = db().execute("SELECT id, outcome, actor, config, plan, files FROM revisions").fetchall()
    assert [r[0] for r in rows] == [1, 2], rows
    assert all(r[1] == "succeeded" and r[2] == "ci" for r in rows), rows
    assert '"image": "r/api:2.0"' in rows[1][3]
    assert '"deployc-plan/1"' in rows[1][4]
    assert "k8s/dev/api.yaml" in rows[1][5]
    h = run("history", "--env", "dev", "--state", ".deployc/state.db").stdout
    assert "1    apply     succeeded" in h and "2    apply     succeeded" in h, h
    show = run("show", "2", "--state", ".deployc/state.db").stdout
    assert '"revision": 2' in show and '"k8s/dev/api.yaml"' in show, show


@scenario("a second writer fails at once naming the holder; a dead holder's lock is taken over")
def _():
    fresh()
    apply()
    holder = subprocess.Popen(["sleep", "60"])
    try:
        c = db()
        c.execute("INSERT INTO locks(env, actor, pid, host, acquired_at) VALUES(?,?,?,?,?)",
                  ("dev", "bob", holder.pid, socket.gethostname(), "2026-01-01T00:00:00Z"))
        c.commit()
        start = time.monotonic()
        p = apply(check=False)
        assert p.returncode == 1, p.stderr
        assert time.monotonic() - start < 10, "the second apply waited instead of failing"
        assert f"locked by bob (pid {holder.pid}" in p.stderr, p.stderr
        assert "deployc unlock --env dev" in p.stderr, p.stderr
    finally:
        holder.kill()
        holder.wait()
    # The holder is gone: the lock is stale and the next apply takes it over.
    apply("--set", "tag=3.0")
    actions = [r[0] for r in db().execute("SELECT action FROM audit")]
    assert "lock.recovered" in actions, actions


@scenario("two concurrent applies: exactly one holds the lock at a time")
def _():
    fresh()
    apply()
    e = dict(os.environ, DEPLOYC_VAULT_KEY=KEY, DEPLOYC_ACTOR="ci", DEPLOYC_CRASH_AT="")
    procs = [subprocess.Popen([DEPLOYC, "apply", "app.deploy", "--env", "dev", "--target",
                               "dir:out", "--set", f"tag=c{i}"], cwd=WORK, env=e,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(2)]
    results = [p.communicate(timeout=60) + (p.returncode,) for p in procs]
    for out, err, rc in results:
        outputs.append(out + err)
        assert rc == 0 or "is locked by" in err or "the state moved" in err, (rc, err)
    assert any(rc == 0 for _, _, rc in results), results
    assert db().execute("SELECT COUNT(*) FROM locks").fetchone()[0] == 0


@scenario("kill -9 during the render and during the finalize, then apply again: converges")
def _():
    fresh()
    apply()
    for point in ("render", "finalize"):
        before = db().execute("SELECT COUNT(*) FROM revisions").fetchone()[0]
        p = apply("--set", f"tag=crash-{point}", env={"DEPLOYC_CRASH_AT": point}, check=False)
        assert p.returncode == -signal.SIGKILL, (point, p.returncode, p.stderr)
        revs = db().execute("SELECT COUNT(*) FROM revisions").fetchone()[0]
        assert revs == before, f"a killed apply left a revision behind ({revs} > {before})"
        # No half-written target: either the old folder or the new one, no temporaries.
        siblings = os.listdir(WORK)
        assert not [s for s in siblings if "deployc-tmp" in s and point == "finalize"], siblings
        apply("--set", f"tag=after-{point}")
        with open(os.path.join(WORK, "out", "k8s", "dev", "api.yaml")) as f:
            assert f"r/api:after-{point}" in f.read()
    # The apply killed at finalize had switched the folder: the next one
    # recorded it before its own.
    outcomes = [r[0] for r in db().execute("SELECT outcome FROM revisions ORDER BY id")]
    assert outcomes == ["succeeded"] * 4, outcomes
    ok = run("audit", "--verify", "--state", ".deployc/state.db")
    assert "intact" in ok.stdout


def folder_files(folder="out"):
    out = {}
    root_dir = os.path.join(WORK, folder)
    for root, _, files in os.walk(root_dir):
        for name in files:
            rel = os.path.relpath(os.path.join(root, name), root_dir)
            if rel != ".deployc-emit":
                with open(os.path.join(root, name)) as f:
                    out[rel] = f.read()
    return out


def state_agrees_with_folder():
    c = db()
    files = c.execute("SELECT files FROM revisions WHERE outcome = 'succeeded' "
                      "ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert json.loads(files) == folder_files(), "the folder and the state disagree"
    assert c.execute("SELECT COUNT(*) FROM pending").fetchone()[0] == 0
    assert c.execute("SELECT COUNT(*) FROM locks").fetchone()[0] == 0
    left = [n for n in os.listdir(WORK) if "deployc-tmp" in n or "deployc-old" in n]
    assert not left, left


@scenario("kill -9 inside the folder switch: the next command rolls forward or back, saying so")
def _():
    fresh()
    apply()
    expected = {"staged": "back", "between-renames": "back", "switched": "forward",
                "finalize": "forward"}
    for i, (point, direction) in enumerate(expected.items()):
        before = db().execute("SELECT COUNT(*) FROM revisions").fetchone()[0]
        p = apply("--set", f"tag=kill-{i}", env={"DEPLOYC_CRASH_AT": point}, check=False)
        assert p.returncode == -signal.SIGKILL, (point, p.returncode, p.stderr)
        assert db().execute("SELECT COUNT(*) FROM pending").fetchone()[0] == 1, point
        if point == "between-renames":
            assert not os.path.exists(os.path.join(WORK, "out")), "no kill between the renames"
        # Any later command on the environment repairs first: here a read.
        h = run("history", "--env", "dev", "--state", ".deployc/state.db")
        lines = [l for l in h.stderr.splitlines() if "repaired environment `dev`" in l]
        assert len(lines) == 1, (point, h.stderr)
        after = db().execute("SELECT COUNT(*) FROM revisions").fetchone()[0]
        with open(os.path.join(WORK, "out", "k8s", "dev", "api.yaml")) as f:
            text = f.read()
        if direction == "forward":
            assert after == before + 1 and f"recorded them as revision {after}" in lines[0], \
                (point, lines)
            assert f"r/api:kill-{i}" in text, point
        else:
            assert after == before and "put the folder back" in lines[0], (point, lines)
            assert f"r/api:kill-{i}" not in text, point
        state_agrees_with_folder()
        assert run("drift", "--env", "dev", "--target", "dir:out", "--state",
                   ".deployc/state.db").returncode == 0
        # Repaired once: the next command has nothing to say.
        assert "repaired" not in run("history", "--env", "dev", "--state",
                                     ".deployc/state.db").stderr
    # A rollback killed after its switch is recorded by the next command too.
    p = run("rollback", "--env", "dev", "--target", "dir:out", "--state", ".deployc/state.db",
            env={"DEPLOYC_CRASH_AT": "switched"}, check=False)
    assert p.returncode == -signal.SIGKILL, p.stderr
    p = run("plan", "app.deploy", "--env", "dev", "--format", "json")
    assert "repaired environment `dev`" in p.stderr and "repaired" not in p.stdout, p.stderr
    json.loads(p.stdout)
    kind = db().execute("SELECT kind FROM revisions ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert kind == "rollback", kind
    state_agrees_with_folder()
    actions = [r[0] for r in db().execute("SELECT action FROM audit")]
    assert actions.count("repair") == 5 and "lock.recovered" in actions, actions
    run("audit", "--verify", "--state", ".deployc/state.db")


@scenario("a revision whose files, channels or policy have the wrong types is no crash")
def _():
    fresh()
    apply()
    c = db()
    c.execute("""UPDATE revisions SET files = '{"k8s/dev/api.yaml": 5, "x": [1]}'""")
    c.commit()
    p = run("drift", "--env", "dev", "--target", "dir:out", "--state", ".deployc/state.db",
            check=False)
    assert p.returncode == 1 and "drift in environment" in p.stdout, (p.returncode, p.stderr)
    # Channels and a drift policy of the wrong types: defaults and a warning.
    c.execute("""UPDATE revisions SET config = '{"channels": {"ops": {"command": 5}},
                 "settings": {"drift": {"severity": {"config": 7}}}}'""")
    c.commit()
    p = run("drift", "--env", "dev", "--target", "dir:out", "--state", ".deployc/state.db",
            check=False)
    assert p.returncode == 1 and "severity medium, action report" in p.stdout, \
        (p.returncode, p.stdout, p.stderr)
    assert "channels recorded with revision 1 are malformed" in p.stderr, p.stderr


@scenario("audit log tampering is detected")
def _():
    fresh()
    apply()
    run("audit", "--verify", "--state", ".deployc/state.db")
    c = db()
    c.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 2")
    c.commit()
    p = run("audit", "--verify", "--state", ".deployc/state.db", check=False)
    assert p.returncode == 1 and "tampered" in p.stderr and "entry 2" in p.stderr, p.stderr
    # Deleting an entry breaks the chain too.
    fresh()
    apply()
    c = db()
    c.execute("DELETE FROM audit WHERE seq = 1")
    c.commit()
    p = run("audit", "--verify", "--state", ".deployc/state.db", check=False)
    assert p.returncode == 1 and "missing" in p.stderr, p.stderr


@scenario("a wrong vault key, a loose key file and a tampered value are clear errors")
def _():
    fresh()
    p = run("secrets", "get", "app.deploy", "db", "user", "--env", "dev", "--actor", "alice",
            env={"DEPLOYC_VAULT_KEY": "f" * 64}, check=False)
    assert p.returncode == 1 and "the vault key is wrong" in p.stderr, p.stderr
    p = run("secrets", "get", "app.deploy", "db", "user", "--env", "dev", "--actor", "alice",
            env={"DEPLOYC_VAULT_KEY": "a passphrase that is wrong"}, check=False)
    assert p.returncode == 1 and "the vault key is wrong" in p.stderr, p.stderr
    keyfile = os.path.join(WORK, "key")
    with open(keyfile, "w") as f:
        f.write("b" * 64)
    os.chmod(keyfile, 0o644)
    p = run("secrets", "list", "app.deploy", "--env", "dev", "--state", ".deployc2/state.db",
            "--vault-key-file", keyfile, env={"DEPLOYC_VAULT_KEY": ""}, check=False)
    assert p.returncode == 1 and "readable by others" in p.stderr, p.stderr
    os.chmod(keyfile, 0o600)
    run("secrets", "list", "app.deploy", "--env", "dev", "--state", ".deployc2/state.db",
        "--vault-key-file", keyfile, env={"DEPLOYC_VAULT_KEY": ""})
    c = db("vault.db")
    blob = bytearray(c.execute("SELECT sealed FROM vals WHERE component = 'user'").fetchone()[0])
    blob[-1] ^= 1
    c.execute("UPDATE vals SET sealed = ? WHERE component = 'user'", (bytes(blob),))
    c.commit()
    p = run("secrets", "get", "app.deploy", "db", "user", "--env", "dev", "--actor", "alice",
            check=False)
    assert p.returncode == 1 and "failed authentication" in p.stderr, p.stderr


def snapshot(folder):
    """Every file under folder (sqlite -wal/-shm/-journal included) and its hash."""
    out = {}
    for root, _, files in os.walk(os.path.join(WORK, folder)):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, WORK)] = hashlib.sha256(f.read()).hexdigest()
    return out


@scenario("empty and short vault keys are refused, naming the minimum, before any file is made")
def _():
    fresh()
    for key in ("short", "fifteen chars..", "   "):
        p = run("secrets", "list", "app.deploy", "--env", "dev", "--state", ".short/state.db",
                env={"DEPLOYC_VAULT_KEY": key}, check=False)
        assert p.returncode == 2, (key, p.returncode, p.stderr)
        assert "at least 16 characters" in p.stderr, p.stderr
        assert ("empty" if key.strip() == "" else "too short") in p.stderr, p.stderr
        assert not os.path.exists(os.path.join(WORK, ".short")), os.listdir(WORK)
    keyfile = os.path.join(WORK, "empty.key")
    with open(keyfile, "w") as f:
        f.write("\n")
    os.chmod(keyfile, 0o600)
    p = run("secrets", "list", "app.deploy", "--env", "dev", "--state", ".short/state.db",
            "--vault-key-file", keyfile, env={"DEPLOYC_VAULT_KEY": ""}, check=False)
    assert p.returncode == 2 and "empty.key is empty" in p.stderr, p.stderr
    assert not os.path.exists(os.path.join(WORK, ".short"))
    # Sixteen characters is enough.
    run("secrets", "list", "app.deploy", "--env", "dev", "--state", ".short/state.db",
        env={"DEPLOYC_VAULT_KEY": "sixteen chars..."})


@scenario("a wrong key or passphrase changes nothing on disk")
def _():
    fresh()
    pass_env = {"DEPLOYC_VAULT_KEY": "the right passphrase"}
    run("secrets", "set", "app.deploy", "db", "host=h", "user=u", "schema=s", "credential=c",
        "--env", "dev", "--state", ".pass/state.db", env=pass_env)
    run("apply", "app.deploy", "--env", "dev", "--target", "dir:out", "--state",
        ".pass/state.db", env=pass_env)
    # .deployc is keyed with 64 hex digits (no salt): a passphrase must not add one.
    for folder, state, wrong in ((".pass", ".pass/state.db", "a wrong passphrase!"),
                                 (".pass", ".pass/state.db", "f" * 64),
                                 (".deployc", ".deployc/state.db", "a wrong passphrase!")):
        before = snapshot(folder), snapshot("out")
        for args in (("secrets", "get", "app.deploy", "db", "user", "--env", "dev", "--actor",
                      "alice"),
                     ("secrets", "set", "app.deploy", "db", "user=x", "--env", "dev"),
                     ("apply", "app.deploy", "--env", "dev", "--target", "dir:out"),
                     ("plan", "app.deploy", "--env", "dev")):
            p = run(*args, "--state", state, env={"DEPLOYC_VAULT_KEY": wrong}, check=False)
            assert p.returncode == 1 and "the vault key is wrong" in p.stderr, (args, p.stderr)
        assert (snapshot(folder), snapshot("out")) == before, (folder, wrong)
    assert run("secrets", "get", "app.deploy", "db", "user", "--env", "dev", "--actor", "alice",
               "--state", ".pass/state.db", env=pass_env).stdout == "u\n"


@scenario("rotation: schedule, new version, dual-write, dependents restarted, archived")
def _():
    fresh()
    apply()
    p = run("plan", "app.deploy", "--env", "dev", env={"DEPLOYC_NOW": "2099-01-01T10:00:00Z"})
    assert "rotation due" in p.stdout and "restart `api` for a rotated secret" in p.stdout, p.stdout
    apply(env={"DEPLOYC_NOW": "2099-01-01T10:00:00Z"})
    h = run("secrets", "history", "app.deploy", "db", "--env", "dev").stdout
    assert "version 1  previous" in h and "valid until 2099-01-01T11:00:00Z" in h, h
    assert "version 2  active" in h, h
    # Both versions are readable during the dual-write period.
    c = db("vault.db")
    assert c.execute("SELECT COUNT(DISTINCT version) FROM vals").fetchone()[0] == 2
    apply(env={"DEPLOYC_NOW": "2099-01-01T12:00:00Z"})
    h = run("secrets", "history", "app.deploy", "db", "--env", "dev").stdout
    assert "version 1  archived" in h, h
    actions = [r[0] for r in db().execute("SELECT action FROM audit")]
    assert "secret.rotate" in actions and "secret.archive" in actions, actions


@scenario("only readers and granted operators may read; denials are audited")
def _():
    fresh()
    p = run("secrets", "get", "app.deploy", "db", "user", "--env", "dev", "--actor", "mallory",
            check=False)
    assert p.returncode == 1 and "may not read" in p.stderr, p.stderr
    assert run("secrets", "get", "app.deploy", "db", "user", "--env", "dev", "--actor",
               "alice").stdout == "app\n"
    assert run("secrets", "get", "app.deploy", "db", "host", "--env", "dev", "--actor",
               "service:api").stdout == "db.local\n"
    rows = db().execute("SELECT actor, action FROM audit WHERE action LIKE 'secret.read%'").fetchall()
    assert ("mallory", "secret.read.denied") in rows and ("alice", "secret.read") in rows, rows


@scenario("rollback re-renders an earlier revision; drift finds and reports hand edits")
def _():
    fresh()
    apply()
    apply("--set", "tag=2.0")
    run("rollback", "--env", "dev", "--target", "dir:out", "--state", ".deployc/state.db")
    with open(os.path.join(WORK, "out", "k8s", "dev", "api.yaml")) as f:
        assert "r/api:1.0" in f.read()
    assert run("drift", "--env", "dev", "--target", "dir:out", "--state",
               ".deployc/state.db").returncode == 0
    with open(os.path.join(WORK, "out", "k8s", "dev", "api.yaml"), "a") as f:
        f.write("# edited by hand\n")
    p = run("drift", "--env", "dev", "--target", "dir:out", "--state", ".deployc/state.db",
            check=False)
    assert p.returncode == 1 and "~ k8s/dev/api.yaml (changed by hand)" in p.stdout, p.stdout
    # The spec's policy: config drift is high, high alerts the ops channel.
    with open(os.path.join(WORK, "notified.log")) as f:
        assert "drift in environment dev" in f.read()
    m = run("metrics", "--state", ".deployc/state.db").stdout
    assert 'deployc_rollbacks_total{environment="dev"} 1' in m, m
    assert 'deployc_drift_findings_total{environment="dev"} 1' in m, m
    assert 'deployc_deployments_total{environment="dev",result="succeeded"} 3' in m, m
    # --to picks the revision: 2 was tag 2.0.
    p = run("rollback", "--env", "dev", "--to", "2", "--target", "dir:out", "--state",
            ".deployc/state.db")
    assert "to revision 2" in p.stdout, p.stdout
    with open(os.path.join(WORK, "out", "k8s", "dev", "api.yaml")) as f:
        assert "r/api:2.0" in f.read()


@scenario("backup, delete the state, restore: a working state again")
def _():
    fresh()
    apply()
    apply("--set", "tag=2.0")
    run("backup", "create", "app.deploy", "--env", "dev")
    run("backup", "verify", "app.deploy", "--env", "dev")
    shutil.rmtree(os.path.join(WORK, ".deployc"))
    run("backup", "restore", "app.deploy", "--env", "dev")
    h = run("history", "--env", "dev", "--state", ".deployc/state.db").stdout
    assert "2    apply     succeeded" in h, h
    assert run("secrets", "get", "app.deploy", "db", "user", "--env", "dev", "--actor",
               "alice").stdout == "app\n"
    run("audit", "--verify", "--state", ".deployc/state.db")
    # A damaged backup is detected by verify.
    backups = os.path.join(WORK, "backups")
    newest = sorted(os.listdir(backups))[-1]
    with open(os.path.join(backups, newest, "state.db"), "ab") as f:
        f.write(b"garbage")
    p = run("backup", "verify", "app.deploy", "--env", "dev", check=False)
    assert p.returncode == 1 and "does not match its checksum" in p.stderr, p.stderr


@scenario("a backup lacking a file, with a wrong checksum or a malformed manifest is refused")
def _():
    fresh()
    apply()
    run("backup", "create", "app.deploy", "--env", "dev")
    backups = os.path.join(WORK, "backups")
    good = os.path.join(backups, sorted(os.listdir(backups))[-1])
    with open(os.path.join(good, "manifest.json")) as f:
        manifest = json.load(f)
    assert set(manifest["files"]) == {"state.db", "vault.db"}, manifest

    def drop(name):
        m = json.loads(json.dumps(manifest))
        del m["files"][name]
        return json.dumps(m)

    def wrong_hash():
        m = json.loads(json.dumps(manifest))
        m["files"]["vault.db"] = "0" * 64
        return json.dumps(m)

    def with_files(files):
        return json.dumps(dict(manifest, files=files))

    cases = {
        "empty file list": (with_files({}), "does not list state.db"),
        "missing vault entry": (drop("vault.db"), "does not list vault.db"),
        "missing state entry": (drop("state.db"), "does not list state.db"),
        "wrong hash": (wrong_hash(), "vault.db does not match its checksum"),
        "malformed JSON": ('{"format": "deployc-backup/1", "files": {', "not valid JSON"),
        "files is a list": (with_files(["state.db", "vault.db"]), "`files` is not an object"),
        "checksum not a string": (with_files(dict(manifest["files"], **{"vault.db": 5})),
                                  "not a SHA-256"),
        "format not a string": (json.dumps(dict(manifest, format=5)), "not a deployc backup"),
        "foreign file": (with_files(dict(manifest["files"], **{"../../etc/passwd": "0" * 64})),
                         "which a backup does not hold"),
        "not JSON at all": ("\x00\xff garbage", "malformed"),
    }
    for i, (name, (text, why)) in enumerate(cases.items()):
        bad = os.path.join(backups, f"deployc-dev-9999-{i:02d}")
        shutil.copytree(good, bad)
        with open(os.path.join(bad, "manifest.json"), "w") as f:
            f.write(text)
        p = run("backup", "verify", "app.deploy", "--env", "dev", check=False)
        assert p.returncode == 1 and why in p.stderr, (name, p.returncode, p.stderr)
        before = snapshot(".deployc")
        p = run("backup", "restore", "app.deploy", "--env", "dev", "--from", bad, check=False)
        assert p.returncode == 1 and why in p.stderr, (name, p.returncode, p.stderr)
        assert "refusing to restore" in p.stderr and "left as they are" in p.stderr, p.stderr
        assert snapshot(".deployc") == before, name
        shutil.rmtree(bad)
    # A state.db that is another database (right checksum, wrong tables).
    bad = os.path.join(backups, "deployc-dev-9999-db")
    shutil.copytree(good, bad)
    shutil.copy(os.path.join(good, "vault.db"), os.path.join(bad, "state.db"))
    m = json.loads(json.dumps(manifest))
    with open(os.path.join(bad, "state.db"), "rb") as f:
        m["files"]["state.db"] = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(bad, "manifest.json"), "w") as f:
        json.dump(m, f)
    p = run("backup", "restore", "app.deploy", "--env", "dev", "--from", bad, check=False)
    assert p.returncode == 1 and "has no table `revisions`" in p.stderr, p.stderr
    # verify writes nothing into the backup (no -wal, -shm or schema).
    shutil.rmtree(bad)
    listing = sorted(os.listdir(good))
    run("backup", "verify", "app.deploy", "--env", "dev")
    assert sorted(os.listdir(good)) == listing, os.listdir(good)


@scenario("a restore keeps the previous state and vault aside, and that can be restored back")
def _():
    fresh()
    apply()
    run("backup", "create", "app.deploy", "--env", "dev")
    apply("--set", "tag=2.0")
    run("secrets", "set", "app.deploy", "db", "user=after-backup", "--env", "dev")
    p = run("backup", "restore", "app.deploy", "--env", "dev")
    aside = [l for l in p.stdout.splitlines() if "kept in" in l]
    assert aside, p.stdout
    folder = aside[0].split("kept in ")[1].split(" ")[0]
    assert os.path.dirname(folder) == os.path.join(WORK, ".deployc"), folder
    assert os.path.basename(folder).startswith("before-restore-"), folder
    assert sorted(os.listdir(folder)) == ["manifest.json", "state.db", "vault.db"]
    h = run("history", "--env", "dev", "--state", ".deployc/state.db").stdout
    assert "1    apply" in h and "2    apply" not in h, h
    assert run("secrets", "get", "app.deploy", "db", "user", "--env", "dev", "--actor",
               "alice").stdout == "app\n"
    # The aside copy is a backup: restoring it undoes the restore.
    run("backup", "restore", "app.deploy", "--env", "dev", "--from", folder)
    h = run("history", "--env", "dev", "--state", ".deployc/state.db").stdout
    assert "2    apply     succeeded" in h, h
    assert run("secrets", "get", "app.deploy", "db", "user", "--env", "dev", "--actor",
               "alice").stdout == "after-backup\n"
    run("audit", "--verify", "--state", ".deployc/state.db")


@scenario("the planted secret value appears in no file and no output except an allowed get")
def _():
    hits = []
    for root, _, files in os.walk(SCRATCH):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                if PLANTED.encode() in f.read():
                    hits.append(path)
    assert not hits, hits
    assert not [o for o in outputs if PLANTED in o], "a command printed the secret value"


print(f"state e2e: {len(failures)} failed")
sys.exit(1 if failures else 0)
