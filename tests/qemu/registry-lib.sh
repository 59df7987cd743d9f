# shellcheck shell=bash
# A registry lab for the QEMU fleet-update tests, the power-cut harness and bench/update-transfer:
# Debian's docker-registry on this (network namespace's) loopback with TLS and htpasswd auth, a
# signed factory config whose [update] names it as registry.test (10.0.2.2, QEMU user
# networking's host address), layers of known sizes, data disks. Source after lib.sh and
# svc-lib.sh, inside `unshare -n` (the caller re-execs itself: reglab_netns).
#   reglab_netns "$0" "$@"      re-exec in a network namespace of its own, loopback up
#   reglab_setup WORK           certificates, keys, busybox layer, the registry (port 5000)
#   reglab_layer NAME SIZE      a layer NAME (/NAME/marker, /NAME/data of SIZE bytes); prints its digest
#   reglab_conf NAME SERIAL "SERVICES" [UPDATE_EXTRA]  NAME.bin, signed; SERVICES: names of layers
#                               made by reglab_layer, one service each ("svc-NAME: marker")
#   reglab_push TAG NAME        keel-pack bundle --push of NAME.bin as fleet/device:TAG
#   reglab_disk FILE [LAYER...] an ext4 data disk, its /keel/layers holding those layers already
#   reglab_blob_bytes MARK      blob bytes the registry sent (200/206 GETs of blobs) since log line MARK
. "$top/tests/lib/registry.sh"
REGLAB_REF=registry.test:5000/fleet/device

reglab_netns() {
  if [ -z "${KEEL_NET_NS:-}" ]; then
    KEEL_NET_NS=1 exec unshare -n "$@"
  fi
  ip link set lo up
}

reglab_setup() {
  RL=$1
  rm -rf "$RL" && mkdir -p "$RL/keys" "$RL/extra/etc/keel" "$RL/extra/root" "$RL/src"
  local py=/usr/bin/python3
  (cd "$RL" && $py "$top/tests/lib/mkcert.py" ca ca && $py "$top/tests/lib/mkcert.py" ca otherca &&
     $py "$top/tests/lib/mkcert.py" leaf srv ca registry.test) || { fail reglab-certs "mkcert.py (python3-cryptography)"; return 1; }
  htpasswd -Bbc "$RL/htpasswd" fleet s3cret >/dev/null 2>&1 || { fail reglab-htpasswd "htpasswd -B (apache2-utils)"; return 1; }
  echo fleet:s3cret > "$RL/creds"
  openssl ecparam -name prime256v1 -genkey -noout -out "$RL/k.pem" 2>/dev/null &&
    openssl ecparam -name prime256v1 -genkey -noout -out "$RL/k2.pem" 2>/dev/null &&
    "$top/build/host/keelc" --pubkey "$RL/k.pem" -o "$RL/keys/k.pub" || { fail reglab-keys; return 1; }
  cp "$RL/ca.pem" "$RL/extra/etc/keel/update-ca.pem"
  cp "$RL/otherca.pem" "$RL/extra/root/other-ca.pem"
  cp "$RL/creds" "$RL/extra/etc/keel/registry.auth" && chmod 600 "$RL/extra/etc/keel/registry.auth"
  svc_layers
  REGLAB_BB=$(awk '$1 == "busybox" {print $2}' "$KEEL_LAYERS/index")
  registry_start "$RL/registry" --port 5000 --tls "$RL/srv.pem" "$RL/srv.key" --htpasswd "$RL/htpasswd" > /dev/null ||
    { fail reglab-registry "docker-registry did not start"; return 1; }
}

reglab_layer() {
  local n=$1 d=$RL/src/$1
  mkdir -p "$d/$n"
  echo "$n-marker" > "$d/$n/marker"
  head -c "$2" <(openssl enc -aes-128-ctr -pass "pass:$n" -nosalt < /dev/zero 2>/dev/null) > "$d/$n/data"
  "$top/build/host/keel-pack" -o "$RL/store" "$n=$d" | awk -v n="$n" '$1 == n {print $2}'
}

reglab_conf() {
  local name=$1 serial=$2 svcs=$3 extra=${4:-} s
  {
    cat <<CONF
[system]
hostname = fleet-$name
modules = virtio_ring virtio virtio_mmio virtio_blk failover net_failover virtio_net llc stp bridge
modules = loop squashfs libcrc32c erofs overlay
data = /dev/vda ext4 noatime
console_shell = yes
update_health = 4s

[update]
source = $REGLAB_REF:stable
ca = /etc/keel/update-ca.pem
credentials = /etc/keel/registry.auth
host = registry.test 10.0.2.2
serial = $serial
$extra

[network lan]
bridge = br0
address = 10.88.0.1/24
uplink = eth0
uplink_address = 10.0.2.15/24
gateway = 10.0.2.2

[service base]
layers = $REGLAB_BB
exec = /bin/sh -c "echo base-$name-up; exec sleep 1000000"
log_console = yes
CONF
    for s in $svcs; do
      printf '\n[service svc-%s]\nlayers = %s %s\nexec = /bin/sh -c "cat /%s/marker; exec sleep 1000000"\nlog_console = yes\n' \
        "$s" "$REGLAB_BB" "$(awk -v n="$s" '$1 == n {print $2}' "$RL/store/layers/index")" "$s"
    done
  } > "$RL/$name.conf"
  "$top/build/host/keelc" "$RL/$name.conf" -o "$RL/$name.bin" --sign "${REGLAB_KEY:-$RL/k.pem}" \
    || { fail "reglab-keelc-$name"; return 1; }
}

reglab_push() {
  "$top/build/host/keel-pack" bundle --push "$REGLAB_REF:$1" --layers "$RL/store" --layers "$KEEL_LAYERS/.." --ca "$RL/ca.pem" \
    --credentials "$RL/creds" --host registry.test=127.0.0.1 "$RL/$2.bin" > "$RL/push-$1.log" 2>&1 ||
    { cat "$RL/push-$1.log"; fail "reglab-push-$1"; return 1; }
}

reglab_disk() {
  local f=$1 d=$RL/disk-$(basename "$1") l
  shift
  rm -rf "$d" && mkdir -p "$d/keel/layers/sha256"
  for l in "$@"; do cp "$RL/store/layers/sha256/${l#sha256:}.img" "$d/keel/layers/sha256/"; done
  [ $# -gt 0 ] || rmdir "$d/keel/layers/sha256" "$d/keel/layers" "$d/keel"
  mke2fs -q -F -t ext4 -d "$d" "$f" 64M > /dev/null 2>&1 || { fail "reglab-disk-$(basename "$f")"; return 1; }
}

reglab_blob_bytes() {
  tail -n +"$(( ${1:-0} + 1 ))" "$REGISTRY_LOG" |
    sed -n 's/.*"GET [^"]*\/blobs\/sha256:[0-9a-f]* HTTP\/1\.1" 20[06] \([0-9]*\) .*/\1/p' | awk '{s += $1} END {print s + 0}'
}

reglab_size() { stat -c %s "$RL/store/layers/sha256/${1#sha256:}.img"; }
