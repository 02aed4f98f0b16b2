#!/usr/bin/env bash
# Emits every example for every environment and validates the output with the
# third-party validators installed by the npm-setup test (see validate.mjs).
# Usage: run.sh DEPLOYC NODE_DIR SCHEMA_DIR EXAMPLE.deploy...
set -euo pipefail
deployc=$1 node_dir=$2 schemas=$3
shift 3
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
dirs=()
for spec in "$@"; do
  name=$(basename "$(dirname "$spec")")
  "$deployc" emit "$spec" -o "$out/$name"
  dirs+=("$out/$name")
done
node "$node_dir/validate.mjs" --schemas "$schemas" "${dirs[@]}"
