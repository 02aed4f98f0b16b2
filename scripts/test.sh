#!/usr/bin/env bash
# Sets up, builds and runs every test (GoogleTest and lit, both through ctest).
# First the suite under AddressSanitizer and UndefinedBehaviorSanitizer with a
# short run of every fuzz target (scripts/sanitize.sh), then the normal build's
# suite, so that the run ends with ctest's summary. Set DEPLOYC_SKIP_SANITIZE=1
# to run only the normal suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# ccache hits across clones of the repository (CI builds a fresh clone).
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=true
if [ "${DEPLOYC_SKIP_SANITIZE:-0}" != 1 ]; then
  bash scripts/sanitize.sh
fi
build=${DEPLOYC_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2
ctest --test-dir "$build" --output-on-failure -j2
