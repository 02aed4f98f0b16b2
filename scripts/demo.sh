#!/usr/bin/env bash
# Sets up, builds, then checks and evaluates the web-shop example.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
build=${DEPLOYC_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2
"$build/bin/deployc" check examples/shop/shop.deploy
"$build/bin/deployc" eval examples/shop/shop.deploy --env staging
