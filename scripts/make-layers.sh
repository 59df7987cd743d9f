#!/usr/bin/env bash
# Builds the example configs' layers with keel-pack for one device arch:
#   busybox  static busybox of that arch with its applet links, /etc/passwd and group, the
#            container mount points
#   www      the demo's web content under /www: a CGI page (busybox httpd runs /cgi-bin/index.cgi
#            for / when there is no index.html) showing PID 1's status file, which the demo
#            bind-mounts read-only on /www/status
# Output: OUTDIR/layers (x86_64: build/layers; aarch64: build/layers-aarch64/layers, i.e. OUTDIR
# build/layers-aarch64). keelc resolves the names through OUTDIR/layers/index; make-image copies
# the images into /etc/keel/layers. Rebuilt only when keel-pack or this script is newer than the
# index.
#   usage: make-layers.sh [ARCH [OUTDIR]]      ARCH x86_64 (default) or aarch64
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
arch=${1:-x86_64}
case $arch in
  x86_64) out=${2:-$top/build} ;;
  aarch64) out=${2:-$top/build/layers-aarch64} ;;
  *) echo "make-layers: ARCH: expected x86_64 or aarch64, got '$arch'" >&2; exit 1 ;;
esac
pack=$top/build/host/keel-pack
index=$out/layers/index
if [ -f "$index" ] && [ "$index" -nt "$pack" ] && [ "$index" -nt "$0" ]; then exit 0; fi

bb=$("$top/scripts/busybox-for" "$arch")
src=$top/build/layers-src/$arch
rm -rf "$src" "$out/layers"
mkdir -p "$src"/busybox/{bin,proc,sys,dev,tmp,etc,run,data} "$src"/www/www/{cgi-bin,status}
cp "$bb" "$src/busybox/bin/busybox"
# The applet list comes from the host's busybox (same Debian version; the arm64 one cannot run here).
for a in $(busybox --list); do [ "$a" = busybox ] || ln -s busybox "$src/busybox/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\nwww:x:1000:1000:www:/www:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' \
  > "$src/busybox/etc/passwd"
printf 'root:x:0:\nwww:x:1000:\nnogroup:x:65534:\n' > "$src/busybox/etc/group"
cat > "$src/www/www/cgi-bin/index.cgi" <<'CGI'
#!/bin/sh
# The demo's page: PID 1's status file (a read-only volume), as it is now.
printf 'Content-Type: text/html\r\nCache-Control: no-store\r\n\r\n'
cat <<HTML
<!doctype html>
<html><head><title>keel demo</title><meta http-equiv="refresh" content="2"></head>
<body><h1>keel demo appliance</h1>
<p>Served by busybox httpd in the <code>web</code> service container: read-only root stacked from
two verified layers, its own namespaces, cgroup limits, dropped capabilities and a seccomp
allowlist. Below: the appliance's services as PID 1 sees them (<code>keel ctl status</code>),
from the status file PID 1 rewrites on every change and mounts read-only into this container.</p>
<pre>
HTML
cat /www/status/status.txt 2>/dev/null || echo "(no status file: is /run/keel/status mounted on /www/status?)"
printf '</pre>\n<p>uptime of the appliance: %s s</p>\n' "$(cut -d' ' -f1 /proc/uptime)"
echo '<h2>What the services print</h2><p>Their newest lines (<code>log_status</code>; all that the ring keeps: <code>keel ctl logs NAME</code> at the console):</p>'
for f in /www/status/logs/*.log; do
  [ -f "$f" ] || continue
  printf '<h3>%s</h3><pre>' "$(basename "$f" .log)"
  tail -n 8 "$f" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g'
  echo '</pre>'
done
if [ -f /www/status/keel.prom ]; then
  echo '<p>Metrics in the Prometheus text format (<code>keel ctl metrics</code>): <a href="/status/keel.prom">keel.prom</a></p>'
fi
if [ -f /www/status/boot.svg ]; then
  echo '<p>How it booted (<code>keel ctl bootchart</code>):</p><img src="/status/boot.svg" alt="boot chart">'
else
  echo '<p>The boot chart: <code>keel ctl bootchart &gt; /run/keel/status/boot.svg</code> at the console puts it here.</p>'
fi
echo '</body></html>'
CGI
chmod 0755 "$src/www/www/cgi-bin/index.cgi"
"$pack" -o "$out" "busybox=$src/busybox" "www=$src/www"
