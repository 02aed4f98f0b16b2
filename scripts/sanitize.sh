#!/usr/bin/env bash
# Builds everything with clang, AddressSanitizer, UndefinedBehaviorSanitizer
# and libFuzzer instrumentation (build-asan), runs the whole test suite there,
# then each fuzz target on its corpus for a short time (DEPLOYC_FUZZ_SECONDS,
# default 20). scripts/test.sh runs this after the normal build.
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=true
build=${DEPLOYC_ASAN_BUILD_DIR:-build-asan}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
  -DDEPLOYC_SANITIZE=ON -DDEPLOYC_FUZZ=ON >/dev/null
cmake --build "$build" -j2
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$build" --output-on-failure -j2
bash scripts/fuzz.sh "${DEPLOYC_FUZZ_SECONDS:-20}" "$build"
