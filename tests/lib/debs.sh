# Debian packages a test runs but must not install (rsyslog would take over the host's syslog,
# prometheus starts a server): downloaded with apt-get into build/debs (scripts/install-deps.sh
# lists them) and unpacked into a directory of the test's own. Source it, then:
#   debs_unpack DIR PKG...    unpack each package into DIR (downloading a missing .deb); 1 on failure
debs_unpack() {
	local dir=$1 p deb debs
	shift
	debs=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/debs
	mkdir -p "$debs" "$dir"
	for p in "$@"; do
		deb=$(ls "$debs/${p}"_*.deb 2>/dev/null | tail -1)
		if [ -z "$deb" ]; then
			(cd "$debs" && apt-get download -qq "$p" 2>&1 | grep -v unsandboxed >&2) || true
			deb=$(ls "$debs/${p}"_*.deb 2>/dev/null | tail -1)
			[ -n "$deb" ] || { echo "debs: apt-get download $p failed" >&2; return 1; }
		fi
		dpkg-deb -x "$deb" "$dir" || return 1
	done
}
