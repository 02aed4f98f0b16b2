#!/usr/bin/env bash
# Sets up, builds, then checks the web-shop example, prints its evaluated prod
# configuration and emits its Kubernetes manifests, Dockerfiles and dev containers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
build=${DEPLOYC_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2
deployc="$build/bin/deployc"
"$deployc" check examples/shop/shop.deploy
"$deployc" eval examples/shop/shop.deploy --env prod --set image_tag=v2.4.1
"$deployc" emit examples/shop/shop.deploy -o "$build/demo-output"
echo "demo: manifests written to $build/demo-output:"
find "$build/demo-output" -type f | sort
