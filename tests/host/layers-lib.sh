# Shell helpers for the layer tests (2x-*.test): build the layer_attach driver, write an OCI image
# layout by hand (no network, no skopeo), look at loop devices and mounts.

# Build tests/host/layer-attach.c against the real device sources: $LA with the device toolchain
# (static musl, BearSSL built for the device), $LA_ASAN with glibc + ASan/UBSan.
LA=build/host/tests/layer-attach
LA_ASAN=build/host/tests/layer-attach-asan
layers_build_driver() {
  local srcs="tests/host/layer-attach.c lib/err.c lib/digest.c lib/file.c lib/paths.c lib/clock.c lib/hashtree.c runtime/layers.c runtime/verity.c" d=build/deps/x86_64
  mkdir -p build/host/tests
  musl-gcc -std=gnu11 -Os -Wall -Wextra -Werror -Wshadow -Wno-missing-field-initializers -I. \
    -I$d/include -I$d/khdr -D_GNU_SOURCE -static -o $LA $srcs -L$d/lib -lbearssl &&
  gcc -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wshadow -Wno-missing-field-initializers -I. \
    -D_GNU_SOURCE -fsanitize=address,undefined -fno-sanitize-recover=undefined -o $LA_ASAN $srcs -lbearssl
}

# Loop devices whose backing file lies under $1, and mounts under $1 (in this mount namespace).
loops_under() { grep -ls "^$1" /sys/block/loop*/loop/backing_file 2>/dev/null | wc -l; }
mounts_under() { awk -v p="$1" 'index($5, p) == 1' /proc/self/mountinfo | wc -l; }

# OCI layout: oci_init DIR; oci_layer DIR TREE (once per layer, bottom first: the tree is tarred
# and gzipped into a blob); oci_finish DIR TAG. The layout is what umoci and skopeo write: oci-layout,
# index.json -> manifest -> config + layers, every blob at blobs/sha256/<hex> with its size.

oci_init() { rm -rf "$1"; mkdir -p "$1/blobs/sha256"; printf '{"imageLayoutVersion":"1.0.0"}' > "$1/oci-layout"; : > "$1/.layers"; }

# oci_blob DIR FILE -> prints "sha256:<hex> <size>" after moving FILE into the blob store
oci_blob() {
  local h s
  h=$(sha256sum "$2" | cut -c1-64); s=$(stat -c %s "$2")
  mv "$2" "$1/blobs/sha256/$h"
  echo "sha256:$h $s"
}

oci_layer() {
  local dir=$1 tree=$2 t
  t=$(mktemp "$dir/tmp.XXXXXX")
  tar --numeric-owner --xattrs -C "$tree" -cf - . | gzip -n > "$t"
  oci_blob "$dir" "$t" >> "$dir/.layers"
}

oci_finish() {
  local dir=$1 tag=$2 t cfg man layers="" d s
  t=$(mktemp "$dir/tmp.XXXXXX")
  printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' > "$t"
  cfg=$(oci_blob "$dir" "$t")
  while read -r d s; do
    layers="$layers${layers:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"$d\",\"size\":$s}"
  done < "$dir/.layers"
  t=$(mktemp "$dir/tmp.XXXXXX")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[%s]}' \
    "${cfg% *}" "${cfg#* }" "$layers" > "$t"
  man=$(oci_blob "$dir" "$t")
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
    "${man% *}" "${man#* }" "$tag" > "$dir/index.json"
  rm -f "$dir/.layers"
}
