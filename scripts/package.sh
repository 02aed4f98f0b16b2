#!/usr/bin/env bash
# Builds the release artefacts from a build directory:
#   deployc-VERSION-linux-ARCH.tar.gz  bin/deployc (static, stripped), the man
#                                      page, completions, LICENSE, README, CHANGELOG
#   deployc_VERSION_DEBARCH.deb        the same under /usr, made with dpkg-deb
#
# Usage: scripts/package.sh [-B BUILD_DIR] [-o OUT_DIR]
#   -B  build directory (default: build). Configured and built (Release) when
#       it holds no bin/deployc yet; an existing build is used as it is.
#   -o  where the artefacts go (default: BUILD_DIR/package)
#
# The binary must be fully static (the default with GCC where glibc's
# archive exists, see CMakeLists.txt): the package then depends on nothing.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build="$src/build"
out=""
while getopts "B:o:h" opt; do
  case "$opt" in
    B) build=$OPTARG ;;
    o) out=$OPTARG ;;
    *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; [[ $opt == h ]] && exit 0; exit 2 ;;
  esac
done
die() { echo "package.sh: error: $*" >&2; exit 1; }

if [[ ! -x "$build/bin/deployc" ]]; then
  cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" --target deployc deployc-stdlib deployc-docs
fi
build=$(cd "$build" && pwd)
out=${out:-$build/package}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# `deployc 0.1.0 (commit abc1234)`
version=$("$build/bin/deployc" --version | sed -n 's/^deployc \([0-9][0-9A-Za-z.+~-]*\) .*/\1/p')
[[ -n $version ]] || die "cannot read the version from $build/bin/deployc --version"
if readelf -l "$build/bin/deployc" | grep -q 'program interpreter'; then
  die "$build/bin/deployc is dynamically linked; the release binary must be static (needs glibc's libc.a and GCC)"
fi
arch=$(uname -m)
debarch=$(dpkg --print-architecture 2>/dev/null || echo "$arch")
# Reproducible archives: every file dated to the last commit.
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$src" log -1 --format=%ct 2>/dev/null || echo 0)}

stage=$(mktemp -d "$out/.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# The tarball: the installed layout plus the project's documents.
name="deployc-$version-linux-$arch"
tree="$stage/$name"
cmake --install "$build" --prefix "$tree" --strip >/dev/null
cp "$src/LICENSE" "$src/README.md" "$src/CHANGELOG.md" "$tree/"
tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
  -czf "$out/$name.tar.gz" "$name"

# The Debian package: /usr, compressed man page, zsh's vendor directory,
# copyright in /usr/share/doc.
root="$stage/deb"
cmake --install "$build" --prefix "$root/usr" --strip >/dev/null
gzip -9n "$root/usr/share/man/man1/deployc.1"
mkdir -p "$root/usr/share/zsh/vendor-completions" "$root/usr/share/doc/deployc"
mv "$root/usr/share/zsh/site-functions/_deployc" "$root/usr/share/zsh/vendor-completions/"
rmdir "$root/usr/share/zsh/site-functions"
cp "$src/LICENSE" "$root/usr/share/doc/deployc/copyright"
gzip -9n -c "$src/CHANGELOG.md" > "$root/usr/share/doc/deployc/changelog.gz"
mkdir -p "$root/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<EOF
Package: deployc
Version: $version
Architecture: $debarch
Maintainer: deployc <dev@deployc.invalid>
Installed-Size: $size
Section: devel
Priority: optional
Description: compiler and engine for .deploy deployment specifications
 deployc checks, evaluates and emits declarative deployment specifications
 (Kubernetes manifests, Dockerfiles, dev containers), plans and applies them
 on one machine, and serves the language to editors over LSP. The binary is
 static and carries its standard library.
EOF
find "$root" -exec touch -h -d "@$epoch" {} +
chmod -R u+rwX,go+rX,go-w "$root"
deb="$out/deployc_${version}_${debarch}.deb"
dpkg-deb --root-owner-group -Zgzip --build "$root" "$deb" >/dev/null

echo "$out/$name.tar.gz"
echo "$deb"
