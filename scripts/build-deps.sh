#!/usr/bin/env bash
# Builds keel's static dependencies with musl from Debian's source packages into
# build/deps/<arch>/{include,lib}, plus the kernel-header dir musl needs in build/deps/<arch>/khdr.
# BearSSL is linked into the device binary. libseccomp is built for x86_64 (the build host) only:
# it links the static build tool build/host/seccomp-gen, which compiles the seccomp profile to BPF
# for every device arch at build time, so the device binary carries the filter, not the library.
# Cached: a second run is a no-op.
# Usage: scripts/build-deps.sh x86_64|aarch64
set -euo pipefail
arch=${1:?arch}
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/deps/$arch
stamp=$out/.built
# Up to date when the stamp is newer than this script (a changed recipe rebuilds).
[ "$stamp" -nt "$0" ] && exit 0

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
if ! ls "$src"/libseccomp_*.dsc >/dev/null 2>&1 || ! ls "$src"/bearssl_*.dsc >/dev/null 2>&1; then
  (cd "$src" && apt-get source --download-only -qq libseccomp bearssl >/dev/null)
fi
work=$out/work; rm -rf "$work"; mkdir -p "$work"
(cd "$work" && dpkg-source --no-check -x "$src"/bearssl_*.dsc bearssl >/dev/null)

opt="-Os -ffunction-sections -fdata-sections"
if [ "$arch" = x86_64 ]; then
  echo "build-deps: libseccomp ($arch, for build/host/seccomp-gen)" >&2
  (cd "$work" && dpkg-source --no-check -x "$src"/libseccomp_*.dsc seccomp >/dev/null)
  (cd "$work/seccomp" && CC=$cc CFLAGS="$opt -I$out/khdr" ./configure -q --host=x86_64-linux-gnu \
     --enable-static --disable-shared --prefix="$out" >/dev/null \
     && make -s -C src -j"$(nproc)" >/dev/null 2>&1 && make -s -C src install >/dev/null \
     && make -s -C include install >/dev/null)
  rm -rf "$out/share" "$out/bin" "$out/lib/pkgconfig" "$out/lib/libseccomp.la"
fi
echo "build-deps: bearssl ($arch)" >&2
(cd "$work/bearssl" && make -s -j"$(nproc)" CC="$cc" AR="$ar" CFLAGS="$opt" lib >/dev/null 2>&1 \
   && cp build/libbearssl.a "$out/lib/" && cp inc/*.h "$out/include/")
rm -rf "$work"
touch "$stamp"
