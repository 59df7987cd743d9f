# For the supervisor's QEMU tests: a busybox layer (static busybox, its applet links and the mount
# points a container needs) packed once with keel-pack into build/tests/qemu/layers, which
# make-image resolves layer names with and copies into /etc/keel/layers; an /etc/passwd with a
# non-root user for `su`. Source after lib.sh.
svc_layers() {
  local store=$top/build/tests/qemu/layers src=$top/build/tests/qemu/layers-src
  if [ ! -f "$store/layers/index" ] || [ "$top/build/host/keel-pack" -nt "$store/layers/index" ]; then
    rm -rf "$src" "$store" && mkdir -p "$src"/{bin,proc,sys,dev,tmp,etc,run}
    cp "$(command -v busybox)" "$src/bin/busybox"
    for a in $(busybox --list); do [ "$a" = busybox ] || ln -s busybox "$src/bin/$a"; done
    "$top/build/host/keel-pack" -o "$store" "busybox=$src" > "$top/build/tests/qemu/layers.log" 2>&1 \
      || { cat "$top/build/tests/qemu/layers.log"; fail svc-layers "keel-pack failed"; finish; }
  fi
  export KEEL_LAYERS=$store/layers
  SVC_EXTRA=$top/build/tests/qemu/svc-extra
  mkdir -p "$SVC_EXTRA/etc"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' > "$SVC_EXTRA/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$SVC_EXTRA/etc/group"
  export IMAGE_EXTRA=$SVC_EXTRA
}

# line_of ERE: the console line number of the first line after line $SINCE (default 0) matching
# ERE (empty if none).
line_of() { qemu_log | awk -v s="${SINCE:-0}" -v re="$1" 'NR > s && $0 ~ re {print NR; exit}'; }

# check_before NAME ERE1 ERE2: the first ERE1 line comes before the first ERE2 line.
check_before() {
  local a b
  a=$(line_of "$2") b=$(line_of "$3")
  if [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]; then pass "$1"
  else fail "$1" "expected '$2' (line ${a:-none}) before '$3' (line ${b:-none})"; fi
}
