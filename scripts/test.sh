#!/usr/bin/env bash
# Sets up, builds and runs every test (GoogleTest and lit, both through ctest),
# then the same suite under AddressSanitizer and UndefinedBehaviorSanitizer
# with a short run of every fuzz target (scripts/sanitize.sh). Set
# DEPLOYC_SKIP_SANITIZE=1 to stop after the first suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# ccache hits across clones of the repository (CI builds a fresh clone).
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=true
build=${DEPLOYC_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2
ctest --test-dir "$build" --output-on-failure -j2
if [ "${DEPLOYC_SKIP_SANITIZE:-0}" != 1 ]; then
  bash scripts/sanitize.sh
fi
