# QEMU test harness: build an image from a config, boot it in the background with the serial console
# on a fifo (in) and a log file (out), wait for console markers, type commands into the console
# shell, and on failure print the console log. Source it from a tests/qemu/*.test script:
#   . "$(dirname "$0")/lib.sh"
#   qemu_image NAME CONFIG      build/tests/qemu/NAME/image (CONFIG: *.conf, *.bin or none)
#   qemu_boot                   start QEMU; qemu_wait / qemu_sh / qemu_send talk to it
#   ... checks (pass/fail/expect_eq from tests/lib/check.sh) ...
#   qemu_stop                   end this boot (print its log if a check failed), boot another
#   qemu_finish                 qemu_stop, then exit with the checks' status
# Waits are bounded (QEMU_WAIT seconds per marker, generous for TCG on a loaded host); nothing
# here asserts on time.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$top/tests/lib/check.sh"
QEMU_BOARD=${QEMU_BOARD:-qemu-x86_64}
QEMU_WAIT=${QEMU_WAIT:-120}
_qemu_wait_default=$QEMU_WAIT
QEMU_PID=
QEMU_DIR=

# qemu_image NAME CONFIG: build an image into its own dir (kept for a look after the run).
qemu_image() {
  QEMU_DIR=$top/build/tests/qemu/$1
  # Two runs of the same test in one tree (two people, or make check beside a single test) would
  # share this dir: the second waits for the first (bounded) instead of deleting its console log.
  mkdir -p "$top/build/tests/qemu"
  exec 9> "$QEMU_DIR.lock"
  if ! flock -w 900 9; then fail "$1-lock" "another run of this test held $QEMU_DIR.lock for 900 s"; finish; fi
  rm -rf "$QEMU_DIR" && mkdir -p "$QEMU_DIR"
  if ! "$top/board/$QEMU_BOARD/make-image" "$2" "$QEMU_DIR/image" > "$QEMU_DIR/make-image.log" 2>&1; then
    cat "$QEMU_DIR/make-image.log"
    fail "$1-image" "make-image $2 failed"
    finish
  fi
}

# qemu_boot: QEMU in the background; the console's input is fd 3, its output $QEMU_DIR/console.log.
qemu_boot() {
  local fifo=$QEMU_DIR/console.in
  rm -f "$fifo" && mkfifo "$fifo"
  : > "$QEMU_DIR/console.log"
  rm -f "$QEMU_DIR/stuck" "$QEMU_DIR/seq"
  QEMU_WAIT=$_qemu_wait_default
  "$top/board/$QEMU_BOARD/run" "$QEMU_DIR/image" < "$fifo" > "$QEMU_DIR/console.log" 2>&1 &
  QEMU_PID=$!
  exec 3> "$fifo"
  _qemu_failed_at_boot=$_failed
  # QEMU_AT_EXIT: what else a test started that must go with it (a registry: tests/lib/registry.sh)
  trap 'qemu_cleanup; ${QEMU_AT_EXIT:-}' EXIT
}

qemu_alive() { [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; }

# The console log with the terminal's CRs and escape sequences taken out.
qemu_log() { sed -e 's/\r//g' -e 's/\x1b\[[0-9;]*[a-zA-Z]//g' "$QEMU_DIR/console.log"; }

# qemu_wait ERE [SECONDS]: until a console line matches (0), QEMU exits or time runs out (1).
# After one full timeout the guest is taken as stuck and later waits are cut to 10 s, so a hung
# boot fails in minutes, not in hours.
qemu_wait() {
  [ -e "$QEMU_DIR/stuck" ] && QEMU_WAIT=10
  local re=$1 tries=$(( ${2:-$QEMU_WAIT} * 5 ))
  while [ $tries -gt 0 ]; do
    qemu_log | grep -qE -- "$re" && return 0
    qemu_alive || { qemu_log | grep -qE -- "$re"; return; }
    sleep 0.2
    tries=$((tries - 1))
  done
  [ -z "${2:-}" ] && [ "$QEMU_WAIT" -gt 10 ] && QEMU_WAIT=10 && touch "$QEMU_DIR/stuck"
  return 1
}

# qemu_wait_count ERE N [SECONDS]: until at least N console lines match.
qemu_wait_count() {
  local tries=$(( ${3:-$QEMU_WAIT} * 5 ))
  while [ $tries -gt 0 ]; do
    [ "$(qemu_log | grep -cE -- "$1")" -ge "$2" ] && return 0
    qemu_alive || return 1
    sleep 0.2
    tries=$((tries - 1))
  done
  return 1
}

# check_marker NAME ERE: PASS when the console shows the line, FAIL (with what it waited for) if not.
check_marker() {
  if qemu_wait "$2"; then pass "$1"; else fail "$1" "no console line matching '$2'"; fi
}

qemu_send() { printf '%s\n' "$*" >&3; }

# qemu_shell_ready: the console shell answers (typed input before the shell opens the tty is lost,
# so it asks again each few seconds, bounded).
qemu_shell_ready() {
  local n=$(( QEMU_WAIT / 3 )) i
  for ((i = 0; i < n; i++)); do
    qemu_send 'echo "SHELL""-READY"'
    qemu_wait '^SHELL-READY$' 3 && return 0
    qemu_alive || return 1
  done
  return 1
}

# qemu_sh COMMAND: run it in the console shell and print its output (stdout and stderr). The
# begin/end markers are built by the shell ("@@" "N"), so the echo of the typed line never
# matches them. Returns the command's exit status (99 when no end marker came). N is kept in a
# file because callers run qemu_sh in $(...) subshells.
qemu_sh() {
  local n
  n=$(( $(cat "$QEMU_DIR/seq" 2>/dev/null || echo 0) + 1 ))
  echo "$n" > "$QEMU_DIR/seq"
  qemu_send "echo \"@@B\"\"$n\"; { $*; } 2>&1; echo \"@@E\"\"$n rc=\$?\""
  qemu_wait "^@@E$n rc=[0-9]+\$" || return 99
  qemu_log | awk -v b="@@B$n" -v e="^@@E$n rc=" '$0 == b {on = 1; next} $0 ~ e {exit} on'
  local rc
  rc=$(qemu_log | sed -n "s/^@@E$n rc=\([0-9]*\)\$/\1/p" | head -1)
  return "${rc:-99}"
}

# qemu_wait_exit [SECONDS]: until QEMU exits; its status in QEMU_STATUS (124 on timeout).
qemu_wait_exit() {
  local tries=$(( ${1:-$QEMU_WAIT} * 5 ))
  while qemu_alive && [ $tries -gt 0 ]; do sleep 0.2; tries=$((tries - 1)); done
  if qemu_alive; then QEMU_STATUS=124; return 1; fi
  wait "$QEMU_PID"; QEMU_STATUS=$?
  QEMU_PID=
  return 0
}

# qemu_stamp ERE: the boot-time stamp (seconds) of keel's first console line matching ERE.
qemu_stamp() {
  # A line of PID 1 may follow the shell's prompt on the console when both come at once.
  qemu_log | grep -E -- "$1" | head -1 | sed -n 's/^.*keel: \[ *\([0-9.]*\)\].*/\1/p'
}

# The kernel must never see init die, and nothing may panic.
check_no_panic() {
  if qemu_log | grep -qE 'Attempted to kill init|Kernel panic|BUG:|Oops'; then
    fail "$1" "$(qemu_log | grep -m1 -E 'Attempted to kill init|Kernel panic|BUG:|Oops')"
  else
    pass "$1"
  fi
}

qemu_cleanup() {
  exec 3>&- 2>/dev/null
  if qemu_alive; then kill "$QEMU_PID" 2>/dev/null; wait "$QEMU_PID" 2>/dev/null; fi
  QEMU_PID=
}

# qemu_stop: end this boot (a test may boot several images); prints its console log when a check
# failed during it.
qemu_stop() {
  qemu_cleanup
  if [ "$_failed" != 0 ] && [ "${_qemu_failed_at_boot:-0}" = 0 ] && [ -n "$QEMU_DIR" ] && [ -f "$QEMU_DIR/console.log" ]; then
    echo "---- console log ($QEMU_DIR/console.log) ----"
    qemu_log | sed 's/^/| /'
    echo "---- end of console log ----"
    _qemu_failed_at_boot=1
  fi
}

qemu_finish() {
  qemu_stop
  finish
}
