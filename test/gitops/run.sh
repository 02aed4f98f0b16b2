#!/usr/bin/env bash
# The emitted k8s/ folder as kubectl, Argo CD and Flux take it: every
# example's environments and the whole folder are built by the real
# `kubectl kustomize`; what it builds is validated like emit's own output
# (test/conformance/validate.mjs), with the Namespace first; nothing but
# manifests and kustomizations lives under k8s/; and the Argo CD and Flux
# objects of docs/emit.md's GitOps section are valid against their models.
# Usage: run.sh DEPLOYC KUBECTL NODE_DIR EMIT_MD EXAMPLE.deploy...
set -euo pipefail
deployc=$1 kubectl=$2 node_dir=$3 emit_md=$4
shift 4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "gitops: FAIL: $*" >&2; exit 1; }

for spec in "$@"; do
  name=$(basename "$(dirname "$spec")")
  out=$work/out/$name
  "$deployc" emit "$spec" -o "$out"
  k8s=$out/k8s
  [ -f "$k8s/Kustomization" ] || fail "$name: no k8s/Kustomization"
  stray=$(find "$k8s" -type f ! -name '*.yaml' ! -name Kustomization)
  [ -z "$stray" ] || fail "$name: files a controller would sync that are not manifests: $stray"
  [ -z "$(find "$out" -name '*.yaml' ! -path "$k8s/*")" ] || fail "$name: manifests outside k8s/"
  envs=0
  for dir in "$k8s"/*/; do
    env=$(basename "$dir")
    built=$work/built/$name-$env
    mkdir -p "$built"
    "$kubectl" kustomize "$dir" > "$built/$env.yaml" || fail "$name: kubectl kustomize k8s/$env"
    [ "$env" = cluster-scoped ] && continue
    envs=$((envs + 1))
    first=$(ls "$dir" | head -1)
    [ "$first" = 00-namespace.yaml ] || fail "$name/$env: kubectl apply -f would apply $first first"
    # kustomize's order: the Namespace before everything that lives in it.
    kind=$(grep -m1 '^kind:' "$built/$env.yaml")
    [ "$kind" = "kind: Namespace" ] || fail "$name/$env: kustomize builds $kind first"
    # Every file of the folder is listed in its kustomization.
    for f in "$dir"*.yaml; do
      grep -qE "^ *- $(basename "$f")\$" "$dir/Kustomization" ||
        fail "$name/$env: $(basename "$f") is not in its Kustomization"
    done
  done
  [ "$envs" -gt 0 ] || fail "$name: no environment folder"
  mkdir -p "$work/built/$name-all"
  "$kubectl" kustomize "$k8s" > "$work/built/$name-all/all.yaml" || fail "$name: kubectl kustomize k8s/"
  # The whole folder holds each object once: as many as the folders together.
  whole=$(grep -c '^kind:' "$work/built/$name-all/all.yaml")
  parts=$(cat "$k8s"/*/*.yaml | grep -c '^kind:')
  [ "$whole" -eq "$parts" ] || fail "$name: k8s/ builds $whole objects, its folders $parts"
done

# The YAML examples of the GitOps section, one file per block.
mkdir -p "$work/docs"
awk -v dir="$work/docs" '
  /^## GitOps/ { on = 1; next }
  /^## / { on = 0 }
  on && /^```yaml/ { n++; file = dir "/example-" n ".yaml"; inblock = 1; next }
  inblock && /^```/ { inblock = 0; next }
  inblock { print > file }
' "$emit_md"
[ -n "$(ls "$work/docs")" ] || fail "no YAML examples in the GitOps section of $emit_md"

node "$node_dir/validate.mjs" "$work/built" "$work/docs"
echo "gitops: ok"
