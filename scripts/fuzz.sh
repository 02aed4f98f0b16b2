#!/usr/bin/env bash
# Runs each libFuzzer target on its corpus for a bounded time.
#   scripts/fuzz.sh [SECONDS] [BUILD_DIR] [TARGET...]
# BUILD_DIR is a DEPLOYC_FUZZ build (scripts/sanitize.sh makes build-asan).
# Corpora live in BUILD_DIR/fuzz-corpus/TARGET, seeded from the tests, the
# examples and test/fuzz/regressions/TARGET; crashes land in
# BUILD_DIR/fuzz-artifacts/TARGET: minimize one (-minimize_crash=1), fix the
# bug, and keep the input in test/fuzz/regressions/TARGET.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
build=${2:-build-asan}
shift $(( $# > 2 ? 2 : $# ))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(parser check emit format lsp)

seeds=$build/fuzz-seeds
rm -rf "$seeds" && mkdir -p "$seeds/deploy" "$seeds/lsp"
find test examples stdlib -name '*.deploy' -size -64k | while read -r f; do
  cp "$f" "$seeds/deploy/$(echo "$f" | tr '/' '_')"
done
# LSP seeds: the lit tests' message streams, comment lines removed.
for f in test/LSP/*.test; do
  grep -v '^#' "$f" > "$seeds/lsp/$(basename "$f").txt"
done

status=0
for t in "${targets[@]}"; do
  corpus=$build/fuzz-corpus/$t
  artifacts=$build/fuzz-artifacts/$t
  mkdir -p "$corpus" "$artifacts"
  dict=test/fuzz/deploy.dict
  seed=$seeds/deploy
  if [ "$t" = lsp ]; then dict=test/fuzz/lsp.dict; seed=$seeds/lsp; fi
  echo "== fuzzing $t for ${secs}s"
  if ! "$build/bin/deployc-fuzz-$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536 -print_final_stats=1 -dict="$dict" -artifact_prefix="$artifacts/" \
      "$corpus" "$seed" "test/fuzz/regressions/$t" 2>"$build/fuzz-$t.log"; then
    echo "fuzz target $t failed; see $build/fuzz-$t.log and $artifacts/" >&2
    tail -40 "$build/fuzz-$t.log" >&2
    status=1
  else
    grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$build/fuzz-$t.log" | tr '\n' ' '
    echo
  fi
done
exit $status
