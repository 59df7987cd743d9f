# shellcheck shell=bash
# The escape probe's build and report, shared by tests/host/40-escape.test and
# tests/qemu/70-escape.test. Source after tests/lib/check.sh with $top set.

# escape_build_probe ARCH OUT: the probe, static, for x86_64 or aarch64.
escape_build_probe() {
	local cc=musl-gcc
	[ "$1" = aarch64 ] && cc=aarch64-linux-musl-gcc
	"$cc" -static -Os -Wall -Wextra -Werror -I"$top/build/deps/$1/khdr" -o "$2" "$top/tests/lib/escape-probe.c"
}

# escape_report MODE < probe output (as printed, or console lines 'keel: [..] svc NAME| ...'): the table, one PASS/FAIL per attempt (escape-MODE-NAME: an
# attempt passes when blocked or n/a), and the totals line `escape: mode=MODE blocked=N escaped=N
# na=N`. A probe that did not reach its end fails escape-MODE-done.
escape_report() {
	local mode=$1 name verdict why b=0 x=0 n=0 lines
	lines=$(tr -d '\r' | sed -n 's/^\(.*| \)\{0,1\}\(escape[ -].*\)$/\2/p')
	echo "# escape table, mode $mode:"
	while read -r _ name verdict why; do
		[ -n "$name" ] || continue
		printf '#   %-24s %-8s %s\n' "$name" "$verdict" "$why"
		case $verdict in
			blocked) b=$((b + 1)); pass "escape-$mode-$name" ;;
			n/a) n=$((n + 1)); pass "escape-$mode-$name" ;;
			*) x=$((x + 1)); fail "escape-$mode-$name" "$verdict $why" ;;
		esac
	done < <(echo "$lines" | grep '^escape ')
	if echo "$lines" | grep -q "^escape-done blocked=$b escaped=$x na=$n\$"; then pass "escape-$mode-done"
	else fail "escape-$mode-done" "the probe did not finish (or its count differs: $(echo "$lines" | grep escape-done))"; fi
	echo "escape: mode=$mode blocked=$b escaped=$x na=$n"
}
