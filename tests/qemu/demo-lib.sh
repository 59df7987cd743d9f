# The demo appliance (configs/demo.conf) on one board, booted as `make demo` boots it: the image
# from make-image with the example layers (scripts/make-layers.sh for the board's arch), the
# uplink on QEMU's user network with a hostfwd into the published port. Source after lib.sh with
# QEMU_BOARD and DEMO_ARCH set (and svc-lib.sh for check_before); demo_run NAME does the whole test.
# QEMU runs in a network namespace the test makes (as test 50): the forwarded port is on that
# namespace's loopback, no port of the build host is used.

demo_run() {
  local name=$1 layers keel
  case $DEMO_ARCH in
    x86_64) layers=$top/build/layers ;;
    *) layers=$top/build/layers-$DEMO_ARCH/layers ;;
  esac
  keel=$top/build/$DEMO_ARCH/keel
  if ! "$top/scripts/make-layers.sh" "$DEMO_ARCH" > "$top/build/tests/qemu/$name-layers.log" 2>&1; then
    cat "$top/build/tests/qemu/$name-layers.log"; fail "$name-layers" "make-layers.sh $DEMO_ARCH failed"; finish
  fi
  ip link set lo up
  export KEEL_LAYERS=$layers KEEL_BIN=$keel QEMU_NET=user QEMU_HOSTFWD=tcp:127.0.0.1:18080-:8080
  qemu_image "$name" "$top/configs/demo.conf"
  qemu_boot

  check_marker "$name-network-up" 'network: 1 networks up$'
  for s in web worker flaky; do check_marker "$name-$s-started" "svc $s: started \\(pid [0-9]+\\)$"; done
  check_before "$name-web-before-worker" 'svc web: ready$' 'svc worker: started'
  check_marker "$name-boot-done" 'pid1: boot done$'
  if ! qemu_shell_ready; then fail "$name-shell" "no answer"; qemu_finish; fi

  # All services ready (flaky may be between two crashes).
  local st
  st=$(qemu_sh 'keel ctl status')
  echo "$st" | sed 's/^/# /'
  for s in web worker; do
    if echo "$st" | grep -qE "^$s +ready +[0-9]+ "; then pass "$name-status-$s-ready"
    else fail "$name-status-$s-ready" "$(echo "$st" | grep "^$s" || echo "no row")"; fi
  done
  if echo "$st" | grep -qE "^flaky +(ready|backoff) "; then pass "$name-status-flaky-up"
  else fail "$name-status-flaky-up" "$(echo "$st" | grep "^flaky" || echo "no row")"; fi
  # More checks of the booted demo from the test sourcing this file (test 80: the boot chart).
  if declare -F demo_more_checks > /dev/null; then demo_more_checks "$name"; fi

  # The page from the build host: hostfwd -> the uplink eth0:8080 -> DNAT -> web 10.88.0.10:80,
  # with PID 1's status file (a read-only volume) in it.
  local page= i
  for ((i = 0; i < 30; i++)); do
    page=$(curl -s --max-time 5 http://127.0.0.1:18080/) && echo "$page" | grep -q 'keel demo appliance' && break
    page=
    qemu_alive || break
    sleep 1
  done
  if echo "$page" | grep -q 'keel demo appliance'; then pass "$name-web-from-build-host"
  else fail "$name-web-from-build-host" "no page through hostfwd 127.0.0.1:18080 -> 8080 (got '${page:0:200}')"; fi
  if echo "$page" | grep -qE '^web +ready +[0-9]+ ' && echo "$page" | grep -qE '^flaky +'; then
    pass "$name-page-shows-status"
  else fail "$name-page-shows-status" "no service rows in the page: ${page:0:600}"; fi
  # The services' output stays off the console: in keel ctl logs and on web's page instead.
  local wl=
  for ((i = 0; i < 30; i++)); do
    wl=$(qemu_sh 'keel ctl logs worker') && echo "$wl" | grep -q 'worker: web answers over the bridge' && break
    wl=
    sleep 1
  done
  if [ -n "$wl" ]; then pass "$name-worker-reaches-web"; else fail "$name-worker-reaches-web" "not in keel ctl logs worker"; fi
  expect_eq "$name-status-volume-read-only" "ro" \
    "$(qemu_sh 'awk '\''$5 == "/www/status" {split($6, o, ","); print o[1]}'\'' /proc/$(keel ctl status | awk '\''$1 == "web" {print $3}'\'')/mountinfo')"

  # flaky: crash, restart with doubling delays, the restart count grows.
  if qemu_wait 'svc flaky: restart in 2000 ms$'; then pass "$name-flaky-backoff-2000"
  else fail "$name-flaky-backoff-2000" "no 'restart in 2000 ms'"; fi
  SINCE=0
  check_before "$name-flaky-backoff-500-then-1000" 'svc flaky: restart in 500 ms$' 'svc flaky: restart in 1000 ms$'
  check_before "$name-flaky-backoff-1000-then-2000" 'svc flaky: restart in 1000 ms$' 'svc flaky: restart in 2000 ms$'
  local fl
  fl=$(qemu_sh 'keel ctl logs flaky' | grep -c 'flaky: crashing$')
  if [ "$fl" -ge 3 ]; then pass "$name-flaky-crash-lines"; else fail "$name-flaky-crash-lines" "$fl crash lines in keel ctl logs flaky"; fi
  expect_eq "$name-console-calm" 0 "$(qemu_log | grep -c 'svc [a-z]*| ')"
  local r
  r=$(qemu_sh 'keel ctl status' | awk '$1 == "flaky" {print $(NF-2)}')
  if [ "${r:-0}" -ge 2 ] 2>/dev/null; then pass "$name-flaky-restart-count"
  else fail "$name-flaky-restart-count" "restarts '$r', expected >= 2"; fi
  if qemu_sh 'keel ctl status' | grep -qE '^flaky +.* exit 3$'; then pass "$name-flaky-last-exit"
  else fail "$name-flaky-last-exit" "no 'exit 3' in flaky's row"; fi

  # The page is live: PID 1 rewrote the status file as flaky restarted.
  page=$(curl -s --max-time 10 http://127.0.0.1:18080/)
  local pr
  pr=$(echo "$page" | awk '$1 == "flaky" {print $(NF-2)}')
  if [ "${pr:-0}" -ge 2 ] 2>/dev/null; then pass "$name-page-status-live"
  else fail "$name-page-status-live" "flaky's row in the page: '$(echo "$page" | grep '^flaky')'"; fi
  if echo "$page" | grep -q 'flaky: crashing$' && echo "$page" | grep -q 'worker: web answers over the bridge'; then
    pass "$name-page-shows-logs"
  else fail "$name-page-shows-logs" "no service lines in the page"; fi

  # Limits read back from the guest's cgroup files.
  local cg
  cg=$(qemu_sh 'for s in web worker; do d=/sys/fs/cgroup/keel/$s; echo "$s $(cat $d/memory.max) $(cat $d/pids.max) $(cat $d/cpu.max)"; done')
  expect_eq "$name-limits-web" "web 67108864 64 20000 100000" "$(echo "$cg" | grep '^web ')"
  expect_eq "$name-limits-worker" "worker 33554432 32 10000 100000" "$(echo "$cg" | grep '^worker ')"
  # flaky's cgroup exists while it runs: read it on its next start (bounded), once its process is
  # in it and its cpu rate is written (keel writes the bounds between the mkdir and the clone into
  # the cgroup, the cpu and io rates just after the exec: docs/cgroups.md). Until then cpu.max
  # reads "max 100000".
  cg=$(qemu_sh 'd=/sys/fs/cgroup/keel/flaky; i=0; while [ $i -lt 150 ]; do r=; [ -n "$(cat $d/cgroup.procs 2>/dev/null)" ] && r="$(cat $d/memory.max $d/pids.max $d/cpu.max 2>/dev/null | tr "\n" " ")"; case " $r" in *" max "*) ;; *" "*" "*" "*) echo "flaky $r"; break;; esac; i=$((i+1)); sleep 0.1; done')
  expect_eq "$name-limits-flaky" "flaky 16777216 8 5000 100000 " "$(echo "$cg" | grep '^flaky ')"
  # Capabilities (CapEff CapBnd CapAmb) and seccomp: web (uid 1000, caps_add = NET_BIND_SERVICE)
  # holds bit 10 only, as ambient, with podman's eleven in its bounding set; worker (caps_drop =
  # ALL) nothing at all.
  local caps
  caps=$(qemu_sh 'for s in web worker; do p=$(keel ctl status | awk -v s=$s '\''$1 == s {print $3}'\''); echo "$s $(awk '\''/^CapEff|^CapBnd|^CapAmb|^Seccomp:/ {printf "%s ", $2}'\'' /proc/$p/status)"; done')
  expect_eq "$name-web-caps-seccomp" "web 0000000000000400 00000000800405fb 0000000000000400 2 " "$(echo "$caps" | grep '^web ')"
  expect_eq "$name-worker-caps-seccomp" "worker 0000000000000000 0000000000000000 0000000000000000 2 " "$(echo "$caps" | grep '^worker ')"

  # Clean poweroff: QEMU exits 0.
  qemu_send 'keel ctl poweroff'
  check_marker "$name-poweroff" 'shutdown: power off now$'
  if qemu_wait_exit; then expect_eq "$name-qemu-exit-status" 0 "$QEMU_STATUS"; else fail "$name-qemu-exit" "QEMU still running"; fi
  check_no_panic "$name-no-panic"
  qemu_finish
}
