# shellcheck shell=bash
# Editing a compiled config (format/layout.h) for tests that need bytes keelc will not write.

# config_bin_replace FILE FROM TO: replace the string FROM by TO (same length) in FILE and restore
# the header digest, SHA-256 of everything but bytes 32..63 (where it sits).
config_bin_replace() {
	local f=$1 from=$2 to=$3 hex
	[ ${#from} -eq ${#to} ] || { echo "config_bin_replace: '$from' and '$to' differ in length" >&2; return 1; }
	grep -q -a -F -- "$from" "$f" || { echo "config_bin_replace: $f: no '$from'" >&2; return 1; }
	FROM=$from TO=$to perl -0777 -pi -e 's/\Q$ENV{FROM}\E/$ENV{TO}/g' "$f" || return 1
	config_bin_redigest "$f"
}

# config_bin_redigest FILE: the header digest again, after an edit.
config_bin_redigest() {
	local hex
	hex=$({ head -c 32 "$1"; tail -c +65 "$1"; } | sha256sum | cut -c1-64)
	HEX=$hex perl -0777 -pi -e 'substr($_, 32, 32) = pack("H*", $ENV{HEX})' "$1"
}

# config_bin_to_1_0 FILE: turn keelc's output into a format 1.0 file, as a keel before 1.1
# compiled it: its SYSTEM_EXT section (type 15) and the later minors' sections (types above 15,
# which keelc writes after it, last in the table) dropped from the table (their bytes stay,
# referenced by nothing), minor 0, the digest restored. Only for configs whose text 1.0 could say:
# volume_roots left at its default, no [update].
config_bin_to_1_0() {
	perl -0777 -pi -e '
		my $n = unpack("V", substr($_, 24, 4));
		$n-- while $n && unpack("v", substr($_, 64 + 24 * ($n - 1), 2)) > 15;
		die "config_bin_to_1_0: the last section is not SYSTEM_EXT\n"
			if unpack("v", substr($_, 64 + 24 * ($n - 1), 2)) != 15;
		substr($_, 24, 4) = pack("V", $n - 1);
		substr($_, 10, 2) = pack("v", 0);' "$1" || return 1
	config_bin_redigest "$1"
}
