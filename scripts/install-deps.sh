#!/usr/bin/env bash
# Installs every Debian package keel's build, tests and demo need; the one list of them.
# Idempotent and quiet when everything is present. Run as root on Debian 12 (bookworm).
set -euo pipefail

# Host build, unit/host tests, fuzzing, images.
PKGS_HOST=(
  make gcc libc6-dev musl-tools musl-dev linux-libc-dev gperf dpkg-dev
  clang libclang-rt-14-dev llvm
  libbearssl-dev libseccomp-dev openssl libjansson-dev zstd
  cpio busybox-static erofs-utils squashfs-tools e2fsprogs kmod file xz-utils
  iproute2 util-linux strace jq
  cryptsetup-bin                 # veritysetup: the hash trees keel builds are checked against it
  qemu-system-x86 qemu-system-arm
  gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu linux-libc-dev-arm64-cross
  curl
  umoci skopeo attr              # OCI images in the tests: built by umoci, copied/pushed/pulled by skopeo; getfattr
                                 # (Debian's docker-registry is not installed: its package starts a system service;
                                 # tests/lib/registry.sh unpacks its .deb into build/registry)
  libcurl4-openssl-dev           # keel-pack bundle --push (the distribution API)
  apache2-utils python3-jwt python3-cryptography   # registry tests: htpasswd -B, the token issuer, test certificates
  go-md2man                      # man pages from docs/*.md (make install)
  libxml2-utils librsvg2-bin     # the boot chart: xmllint checks the SVG, rsvg-convert draws it as PNG
  nftables                       # tests read keel's firewall back with `nft list ruleset`
  podman conmon runc crun        # keel as an OCI runtime: podman drives it, runc is the reference
)
# A DHCP server the DHCP tests run in a network namespace of their own (docs/networking.md). Its
# package must not start a system service: installed behind a policy-rc.d that refuses every start,
# and its units disabled.
PKGS_SERVICES=( kea-dhcp4-server )
# Real parts the tests run but must not install (their packages start daemons or take over the
# host's syslog): downloaded into build/debs and unpacked per test (tests/lib/debs.sh).
PKGS_UNPACKED=( rsyslog libestr0 libfastjson4 rsyslog-openssl prometheus )
# Cross musl for aarch64 (multiarch).
PKGS_ARM64=( musl-dev:arm64 )

need_update=0
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
  need_update=1
fi

# The source package of bearssl (built with musl) needs a deb-src entry.
SRC_LIST=/etc/apt/sources.list.d/keel-deb-src.sources
if [ ! -f "$SRC_LIST" ]; then
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > "$SRC_LIST"
  else
    grep -h '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' > /etc/apt/sources.list.d/keel-deb-src.list
    : > "$SRC_LIST"
  fi
  need_update=1
fi

missing=()
for p in "${PKGS_HOST[@]}" "${PKGS_ARM64[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
stamp=/var/lib/apt/lists/.keel-updated
if [ ${#missing[@]} -gt 0 ] || [ $need_update = 1 ] || [ ! -e "$stamp" ]; then
  echo "install-deps: apt-get update" >&2
  apt-get update -qq
  touch "$stamp"
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

missing=()
for p in "${PKGS_SERVICES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]} (no service started)" >&2
  own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
  [ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
  [ "${rc:-0}" = 0 ] || exit "$rc"
  for u in kea-dhcp4-server kea-ctrl-agent; do
    systemctl disable --now "$u" >/dev/null 2>&1 || true
  done
fi
# Downloaded, not installed.
debs=$(cd "$(dirname "$0")/.." && pwd)/build/debs
mkdir -p "$debs"
for p in "${PKGS_UNPACKED[@]}"; do
  ls "$debs/${p}"_*.deb > /dev/null 2>&1 && continue
  echo "install-deps: apt-get download $p (unpacked by the tests, not installed)" >&2
  (cd "$debs" && apt-get download -qq "$p" 2>&1 | grep -v unsandboxed >&2) || true
done
