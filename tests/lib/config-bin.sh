# shellcheck shell=bash
# Editing a compiled config (format/layout.h) for tests that need bytes keelc will not write.

# config_bin_replace FILE FROM TO: replace the string FROM by TO (same length) in FILE and restore
# the header digest, SHA-256 of everything but bytes 32..63 (where it sits).
config_bin_replace() {
	local f=$1 from=$2 to=$3 hex
	[ ${#from} -eq ${#to} ] || { echo "config_bin_replace: '$from' and '$to' differ in length" >&2; return 1; }
	grep -q -a -F -- "$from" "$f" || { echo "config_bin_replace: $f: no '$from'" >&2; return 1; }
	FROM=$from TO=$to perl -0777 -pi -e 's/\Q$ENV{FROM}\E/$ENV{TO}/g' "$f" || return 1
	hex=$({ head -c 32 "$f"; tail -c +65 "$f"; } | sha256sum | cut -c1-64)
	HEX=$hex perl -0777 -pi -e 'substr($_, 32, 32) = pack("H*", $ENV{HEX})' "$f"
}
