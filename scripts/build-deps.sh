#!/usr/bin/env bash
# Builds the device's static dependency (BearSSL) with musl for one arch, from Debian's source
# package, into build/deps/<arch>/{include,lib}, and the kernel-header dir musl needs in
# build/deps/<arch>/khdr. Cached: a second run is a no-op. (libseccomp is not on the device: the
# seccomp profile is compiled at build time by build/host/seccomp-gen with Debian's libseccomp.)
# Usage: scripts/build-deps.sh x86_64|aarch64
set -euo pipefail
arch=${1:?arch}
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/deps/$arch
stamp=$out/.built
[ -f "$stamp" ] && exit 0

case $arch in
  x86_64)
    cc=musl-gcc; ar=ar
    kinc=/usr/include; kasm=/usr/include/x86_64-linux-gnu/asm ;;
  aarch64)
    cc=aarch64-linux-musl-gcc; ar=aarch64-linux-gnu-ar
    kinc=/usr/aarch64-linux-gnu/include; kasm=/usr/aarch64-linux-gnu/include/asm ;;
  *) echo "build-deps: unknown arch '$arch' (expected x86_64 or aarch64)" >&2; exit 2 ;;
esac
command -v "$cc" >/dev/null || { echo "build-deps: $cc not found: run scripts/install-deps.sh" >&2; exit 1; }

rm -rf "$out"; mkdir -p "$out/include" "$out/lib" "$out/khdr"
# musl's compiler does not see the kernel's uapi headers; give it exactly linux/, asm/, asm-generic/.
ln -s "$kinc/linux" "$out/khdr/linux"
ln -s "$kasm" "$out/khdr/asm"
ln -s "$kinc/asm-generic" "$out/khdr/asm-generic"

# Sources are fetched once into build/deps/src (shared by arches) and unpacked fresh per arch:
# a tree built for one arch would leave its objects in the other's archive.
src=$top/build/deps/src
mkdir -p "$src"
if ! ls "$src"/bearssl_*.dsc >/dev/null 2>&1; then
  (cd "$src" && apt-get source --download-only -qq bearssl >/dev/null)
fi
work=$out/work; rm -rf "$work"; mkdir -p "$work"
(cd "$work" && dpkg-source --no-check -x "$src"/bearssl_*.dsc bearssl >/dev/null)

opt="-Os -ffunction-sections -fdata-sections"
echo "build-deps: bearssl ($arch)" >&2
(cd "$work/bearssl" && make -s -j"$(nproc)" CC="$cc" AR="$ar" CFLAGS="$opt" lib >/dev/null 2>&1 \
   && cp build/libbearssl.a "$out/lib/" && cp inc/*.h "$out/include/")
rm -rf "$work"
touch "$stamp"
