#!/usr/bin/env bash
# Runs scripts/package.sh on an existing build and checks what it made: the
# tarball's static binary checks an example from a folder outside the build
# tree with no stdlib on disk, and the .deb installs (dpkg --root into a
# scratch root) and its binary checks the example too.
# Usage: check_package.sh SOURCE_DIR BUILD_DIR SCRATCH_DIR
set -euo pipefail
src=$1 build=$2 t=$3
rm -rf "$t"
mkdir -p "$t/x" "$t/elsewhere" "$t/root/var/lib/dpkg/info" "$t/root/var/lib/dpkg/updates"
touch "$t/root/var/lib/dpkg/status"
unset DEPLOYC_STDLIB

mapfile -t made < <(bash "$src/scripts/package.sh" -B "$build" -o "$t/out")
version=$("$build/bin/deployc" --version | sed -n 's/^deployc \([^ ]*\) .*/\1/p')
arch=$(uname -m)
debarch=$(dpkg --print-architecture)
[[ ${made[0]} == "$t/out/deployc-$version-linux-$arch.tar.gz" ]] || { echo "tarball: ${made[0]}"; exit 1; }
[[ ${made[1]} == "$t/out/deployc_${version}_$debarch.deb" ]] || { echo "deb: ${made[1]}"; exit 1; }
echo "made deployc-$version-linux-ARCH.tar.gz and deployc_${version}_DEBARCH.deb"

tar -xzf "${made[0]}" -C "$t/x"
top="$t/x/deployc-$version-linux-$arch"
for f in bin/deployc share/man/man1/deployc.1 share/bash-completion/completions/deployc \
         share/zsh/site-functions/_deployc share/fish/vendor_completions.d/deployc.fish \
         LICENSE README.md CHANGELOG.md; do
  [[ -e $top/$f ]] || { echo "tarball lacks $f"; exit 1; }
done
if readelf -l "$top/bin/deployc" | grep -q 'program interpreter'; then
  echo "tarball binary is not static"; exit 1
fi
echo "tarball: static binary, man page, completions, LICENSE, README, CHANGELOG"

cp -r "$src/examples/shop" "$t/elsewhere/"
cd "$t/elsewhere"
rm -rf "$top/share/deployc"
"$top/bin/deployc" check shop/shop.deploy
echo "tarball binary checks shop"

dpkg-deb -f "${made[1]}" Package Version Architecture Depends
dpkg --root="$t/root" --force-not-root --force-script-chrootless -i "${made[1]}" >/dev/null
dpkg --root="$t/root" -s deployc | grep '^Status:'
"$t/root/usr/bin/deployc" check shop/shop.deploy
[[ -f $t/root/usr/share/man/man1/deployc.1.gz && -f $t/root/usr/share/zsh/vendor-completions/_deployc ]]
echo "deb binary checks shop"
rm -rf "$t"
