#!/usr/bin/env bash
# Builds the example configs' layers with keel-pack into OUTDIR/layers (OUTDIR default: build):
#   busybox  static busybox with its applet links, /etc/passwd and group, the container mount points
#   www      the demo's web content under /www
# keelc resolves these names through OUTDIR/layers/index; make-image copies the images into
# /etc/keel/layers. Rebuilt only when keel-pack or this script is newer than the index.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build}
pack=$top/build/host/keel-pack
index=$out/layers/index
if [ -f "$index" ] && [ "$index" -nt "$pack" ] && [ "$index" -nt "$0" ]; then exit 0; fi

src=$top/build/layers-src
rm -rf "$src" "$out/layers"
mkdir -p "$src"/busybox/{bin,proc,sys,dev,tmp,etc,run,data} "$src"/www/www
bb=$(command -v busybox)
cp "$bb" "$src/busybox/bin/busybox"
for a in $("$bb" --list); do [ "$a" = busybox ] || ln -s busybox "$src/busybox/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\nwww:x:1000:1000:www:/www:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' \
  > "$src/busybox/etc/passwd"
printf 'root:x:0:\nwww:x:1000:\nnogroup:x:65534:\n' > "$src/busybox/etc/group"
cat > "$src/www/www/index.html" <<'HTML'
<!doctype html>
<html><head><title>keel demo</title></head>
<body><h1>keel demo appliance</h1>
<p>This page is served by busybox httpd in the <code>web</code> service container: read-only
root stacked from two verified layers, its own namespaces, cgroup limits, dropped capabilities
and a seccomp allowlist.</p></body></html>
HTML
"$pack" -o "$out" "busybox=$src/busybox" "www=$src/www"
