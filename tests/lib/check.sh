# Shell helpers for tests: source it, then call pass/fail/check. Every check prints one result line.
# Usage: check NAME COMMAND...   (PASS if the command succeeds)
_failed=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: ${2:-failed}"; _failed=1; }
check() { local n=$1; shift; if "$@" >/dev/null 2>&1; then pass "$n"; else fail "$n" "command failed: $*"; fi; }
# expect_eq NAME EXPECTED ACTUAL
expect_eq() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected '$2', got '$3'"; fi; }
# Wait (bounded) until a command succeeds: wait_for TRIES DELAY COMMAND...
wait_for() { local n=$1 d=$2; shift 2; while [ "$n" -gt 0 ]; do "$@" && return 0; n=$((n-1)); sleep "$d"; done; return 1; }
finish() { exit $_failed; }
# cgroup2_mount: where the cgroup v2 hierarchy is reachable here, read from /proc/self/mountinfo:
# /sys/fs/cgroup on a pure v2 machine, /sys/fs/cgroup/unified on a v1/v2 hybrid. The last cgroup2
# line wins: a later mount over the same path (tests/lib/pure-v2) covers an earlier one.
cgroup2_mount() {
	awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") m = $5; break } } END { print m }' \
		/proc/self/mountinfo
}
