#!/usr/bin/env bash
# Sets up, builds and runs every test (GoogleTest and lit, both through ctest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
build=${DEPLOYC_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2
ctest --test-dir "$build" --output-on-failure -j2
