# The demo appliance (configs/demo.conf) on one board, booted as `make demo` boots it: the image
# from make-image with the example layers (scripts/make-layers.sh for the board's arch), the
# uplink on QEMU's user network with a hostfwd into the published port. Source after lib.sh with
# QEMU_BOARD and DEMO_ARCH set (and svc-lib.sh for check_before); demo_run NAME does the whole test.
# QEMU runs in a network namespace the test makes (as test 50): the forwarded port is on that
# namespace's loopback, no port of the build host is used.

# demo_logs_have CHECK SERVICE PATTERN: the line shows in `keel ctl logs SERVICE` within 30 s (the
# services' output stays off the console).
demo_logs_have() {
  local i
  for ((i = 0; i < 30; i++)); do
    qemu_sh "keel ctl logs $2" | grep -q "$3" && { pass "$1"; return; }
    sleep 1
  done
  fail "$1" "'$3' not in keel ctl logs $2"
}

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
  export KEEL_LAYERS=$layers KEEL_BIN=$keel QEMU_NET=user
  export QEMU_HOSTFWD="tcp:127.0.0.1:18080-:8080 tcp:127.0.0.1:18081-:8081"
  qemu_image "$name" "$top/configs/demo.conf"
  qemu_boot

  check_marker "$name-network-up" 'network: 1 networks up, firewall closed but'
  # The uplink's address from QEMU's DHCP, through keel-dhcp and PID 1's checks.
  check_marker "$name-dhcp-lease" "dhcp: network 'lan': 10.0.2.15/24 via 10.0.2.2 for [0-9]+ s$"
  for s in web worker stats flaky; do check_marker "$name-$s-started" "svc $s: started \\(pid [0-9]+\\)$"; done
  check_before "$name-web-before-worker" 'svc web: ready$' 'svc worker: started'
  check_before "$name-web-before-sidecar" 'svc web: started' 'svc stats: started'
  check_marker "$name-boot-done" 'pid1: boot done$'
  if ! qemu_shell_ready; then fail "$name-shell" "no answer"; qemu_finish; fi

  # All services ready (flaky may be between two crashes).
  local st
  st=$(qemu_sh 'keel ctl status')
  echo "$st" | sed 's/^/# /'
  for s in web worker stats; do
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
  demo_logs_have "$name-worker-reaches-web" worker 'worker: web answers over the bridge'

  # Networking read back from inside: the lease's route and DNS, SLAAC on fec0::/64, the services'
  # IPv6 addresses; the firewall: worker reaches web on 80 (talks_to), over IPv6 too, but not on
  # web's port 81; from the outside only the published port answers (hostfwd 18081 -> 8081 is
  # dropped at the uplink); the DHCP client holds no capability.
  expect_eq "$name-default-route" "default via 10.0.2.2 dev eth0" \
    "$(qemu_sh 'ip -4 route show default' | grep '^default' | sed 's/ proto.*//; s/ *$//' | head -1)"
  expect_eq "$name-dhcp-dns" "nameserver 10.0.2.3" "$(qemu_sh 'cat /run/keel/net/resolv.conf' | grep '^nameserver' | head -1)"
  if qemu_sh '( i=0; while [ $i -lt 100 ]; do ip -6 addr show dev eth0 | grep -q "inet6 fec0::" && exit 0; i=$((i+1)); sleep 0.1; done; exit 1 )' >/dev/null
  then pass "$name-slaac-fec0"; else fail "$name-slaac-fec0" "$(qemu_sh 'ip -6 addr show dev eth0')"; fi
  local wpid
  wpid=$(qemu_sh 'keel ctl status' | awk '$1 == "worker" {print $3}' | head -1)
  expect_eq "$name-worker-ipv6" "fd88::14/64" \
    "$(qemu_sh "nsenter -t $wpid -n ip -6 -o addr show dev eth0 scope global" | grep inet6 | awk '{print $4}')"
  if qemu_sh "nsenter -t $wpid -n timeout 5 wget -q -O /dev/null http://[fd88::a]/" > /dev/null
  then pass "$name-worker-reaches-web-v6"; else fail "$name-worker-reaches-web-v6" "wget http://[fd88::a]/ failed"; fi
  # Port 81 listens (from the device itself, unfiltered), but worker's connection is dropped: no
  # answer, not even a refusal, until the timeout (status 143).
  # (Up to three tries: a 1-vCPU TCG guest busy restarting flaky missed one 5 s answer in a CI run.)
  if qemu_sh '( for i in 1 2 3; do timeout 5 wget -q -O /dev/null http://10.88.0.10:81/ && exit 0; done; exit 1 )' > /dev/null
  then pass "$name-web-81-listens"; else fail "$name-web-81-listens" "no answer on 10.88.0.10:81 from the device"; fi
  local r
  qemu_sh "nsenter -t $wpid -n timeout 3 wget -q -O /dev/null http://10.88.0.10:81/" > /dev/null; r=$?
  expect_eq "$name-worker-refused-web-81" 143 "$r"
  r=$(curl -s --max-time 3 http://127.0.0.1:18081/ 2>/dev/null; echo "rc=$?")
  expect_eq "$name-outside-refused-81" "rc=28" "$r"
  # The sidecar: web's network namespace, and still after web restarts (the pinned one).
  demo_logs_have "$name-sidecar-shares-loopback" stats 'stats: web answers on our shared loopback'
  local ns1 ns2 spid1 spid2
  ns1=$(qemu_sh 'for s in web stats; do readlink /proc/$(keel ctl status | awk -v s=$s '\''$1 == s {print $3}'\'')/ns/net; done' | grep '^net:' | sort -u)
  spid1=$(qemu_sh 'keel ctl status' | awk '$1 == "stats" {print $3}' | head -1)
  expect_eq "$name-sidecar-same-netns" 1 "$(echo "$ns1" | grep -c .)"
  qemu_sh 'keel ctl restart web' > /dev/null
  qemu_sh '( i=0; while [ $i -lt 100 ]; do keel ctl status | grep -qE "^web +ready" && exit 0; i=$((i+1)); sleep 0.1; done; exit 1 )' > /dev/null
  ns2=$(qemu_sh 'readlink /proc/$(keel ctl status | awk '\''$1 == "web" {print $3}'\'')/ns/net' | grep '^net:')
  spid2=$(qemu_sh 'keel ctl status' | awk '$1 == "stats" {print $3}' | head -1)
  expect_eq "$name-web-restarted-into-pinned-netns" "$ns1" "$ns2"
  expect_eq "$name-sidecar-kept-across-web-restart" "$spid1" "$spid2"

  local dpid
  dpid=$(qemu_sh 'pidof keel-dhcp' | tr -d '\r' | grep -E '^[0-9]+$' | head -1)
  expect_eq "$name-dhcp-helper-confined" "65534 0000000000000000 1 2" \
    "$(qemu_sh "awk '/^Uid:/ {u=\$2} /^CapEff:/ {c=\$2} /^NoNewPrivs:/ {n=\$2} /^Seccomp:/ {s=\$2} END {print u, c, n, s}' /proc/$dpid/status" | tr -d '\r' | grep '^[0-9]')"
  expect_eq "$name-status-volume-read-only" "ro" \
    "$(qemu_sh 'awk '\''$5 == "/www/status" {split($6, o, ","); print o[1]}'\'' /proc/$(keel ctl status | awk '\''$1 == "web" {print $3}'\'')/mountinfo' | tr -d '\r' | grep -E '^r[ow]$')"

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
  local try
  for try in 1 2 3; do
    page=$(curl -s --max-time 10 http://127.0.0.1:18080/)
    [ -n "$page" ] && break
  done
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
