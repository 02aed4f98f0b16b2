#!/usr/bin/env bash
# Runs the hooks of .pre-commit-hooks.yaml with Debian's pre-commit on a
# temporary git repository holding test/Driver/Inputs/programs: two
# independent specs, a module of one of them, a module both share and a module
# nobody imports, in subfolders.
#   run-hooks.sh DEPLOYC SOURCE_ROOT SCRATCH
# Works offline and in CI (no stdin, runs as root, fresh HOME): the hooks are
# `language: system` and come in as `repo: local` copies of the hooks file,
# so pre-commit clones nothing.
set -euo pipefail
deployc=$1 src=$2 scratch=$3

rm -rf "$scratch"
mkdir -p "$scratch/bin" "$scratch/home" "$scratch/repo"
ln -s "$deployc" "$scratch/bin/deployc"
export PATH="$scratch/bin:$PATH" HOME="$scratch/home" PRE_COMMIT_HOME="$scratch/cache"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null CI=true NO_COLOR=1
exec </dev/null
cd "$scratch/repo"

fail() { echo "FAIL: $*" >&2; exit 1; }
# Runs pre-commit, expecting exit code $1; its output goes to out.txt.
expect() {
  local want=$1; shift
  local got=0
  pre-commit "$@" > ../out.txt 2>&1 || got=$?
  if [[ $got != "$want" ]]; then
    cat ../out.txt >&2
    fail "pre-commit $* exited $got, expected $want"
  fi
}

git init -q .
git config user.name test
git config user.email test@example.com
git config commit.gpgsign false

{
  echo 'repos:'
  echo '  - repo: local'
  echo '    hooks:'
  grep -v '^#' "$src/.pre-commit-hooks.yaml" | sed 's/^/      /'
} > .pre-commit-config.yaml

# Two specs that both declare `api` (shop, billing), a module of shop that
# names shop's service, a module both import (common), one nobody imports
# (orphans), and files with errors on purpose that .deployignore and the
# config's `exclude:` keep out (ignored/, *.draft.deploy).
cp -R "$src/test/Driver/Inputs/programs/." .
echo 'exclude: ^ignored/|/wip\.draft\.deploy$' >> .pre-commit-config.yaml
git add -A

# 1. Everything valid: both hooks pass.
expect 0 run --all-files
# 2. The module alone is checked through its importer.
expect 0 run --files shop/secrets.deploy
# 3. A real commit runs the hooks on what is staged.
expect 0 install
git commit -q -m 'specs' > ../out.txt 2>&1 || { cat ../out.txt >&2; fail "first commit"; }
echo '// Rotated by hand.' >> shop/secrets.deploy
git add shop/secrets.deploy
git commit -q -m 'module alone' > ../out.txt 2>&1 || { cat ../out.txt >&2; fail "commit of the module alone"; }

# 4. An error in the shared module fails, pinned at its file, printed once
#    though two programs import it.
cat > common/registry.deploy <<'DEPLOY'
// Shared by both specs.
param registry: int = "registry.example.com"
DEPLOY
git add common/registry.deploy
expect 1 run deployc-check --all-files
grep -q '^common/registry.deploy:2:[0-9]*: error\[' ../out.txt || { cat ../out.txt >&2; fail "error not pinned at common/registry.deploy:2"; }
[[ $(grep -c '^common/registry.deploy:2:[0-9]*: error\[' ../out.txt) == 1 ]] || { cat ../out.txt >&2; fail "shared module's error printed more than once"; }
if git commit -q -m 'broken' > ../out.txt 2>&1; then fail "a broken module was committed"; fi
git checkout -q HEAD -- common/registry.deploy

# 5. The fmt hook shows the change as a diff and fails.
printf 'import std.tiers.*\n\nenvironment  dev { tier=experimental }\n' > orphans/loose.deploy
git add orphans/loose.deploy
expect 1 run deployc-fmt --all-files
grep -q '^--- orphans/loose.deploy$' ../out.txt || { cat ../out.txt >&2; fail "no diff header"; }
grep -q '^+environment dev { tier = experimental }$' ../out.txt || { cat ../out.txt >&2; fail "no formatted line"; }
# The file itself is left as it was.
grep -q '^environment  dev { tier=experimental }$' orphans/loose.deploy || fail "fmt --diff wrote the file"
echo "pre-commit hooks: all cases passed"
