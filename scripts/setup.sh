#!/usr/bin/env bash
# Installs the Debian packages deployc builds and tests with, skipping those already present.
# Safe to run repeatedly; needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
  cmake ninja-build g++ ccache pkg-config
  antlr4 default-jre-headless libantlr4-runtime-dev
  llvm-14-dev llvm-14-tools clang-14 libclang-rt-14-dev zlib1g-dev
  nlohmann-json3-dev libyaml-cpp-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  libsqlite3-dev libsodium-dev libboost-dev
  python3 nodejs npm
  jsonnet time
  groff-base fish zsh dpkg git pre-commit
  age
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

# Node and npm may come from outside Debian (e.g. a preinstalled Node 20); accept them if usable.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for p in "${missing[@]}"; do
    [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p")
  done
  missing=("${filtered[@]}")
fi

# kubectl (for the GitOps test's kustomize builds): any kubectl already on
# PATH, else Debian's kubernetes-client (which would clash with another one).
if ! command -v kubectl >/dev/null &&
    ! dpkg-query -W -f='${Status}' kubernetes-client 2>/dev/null | grep -q 'install ok installed'; then
  missing+=(kubernetes-client)
fi

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "setup: all build and test dependencies present"
