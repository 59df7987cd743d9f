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

# config_bin_to_1_1 FILE: turn keelc's (format 1.2) output into a format 1.1 file, as a keel before
# 1.2 compiled it: the 1.2 sections (types above 15, which keelc writes after SYSTEM_EXT, last in the
# table) dropped from the table (their bytes stay, referenced by nothing), minor 1, the digest
# restored. Only for configs whose text 1.1 could say (no [update], no 1.2 network keys).
config_bin_to_1_1() {
	perl -0777 -pi -e '
		my $n = unpack("V", substr($_, 24, 4));
		$n-- while $n && unpack("v", substr($_, 64 + 24 * ($n - 1), 2)) > 15;
		substr($_, 24, 4) = pack("V", $n);
		substr($_, 10, 2) = pack("v", 1);' "$1" || return 1
	config_bin_redigest "$1"
}

# config_bin_to_1_0 FILE: the same to format 1.0: also its SYSTEM_EXT section (type 15) dropped,
# minor 0. Only for configs whose text 1.0 could say: volume_roots left at its default.
config_bin_to_1_0() {
	config_bin_to_1_1 "$1" || return 1
	perl -0777 -pi -e '
		my $n = unpack("V", substr($_, 24, 4));
		$n-- while $n && unpack("v", substr($_, 64 + 24 * ($n - 1), 2)) > 15;
		die "config_bin_to_1_0: the last section is not SYSTEM_EXT\n"
			if unpack("v", substr($_, 64 + 24 * ($n - 1), 2)) != 15;
		substr($_, 24, 4) = pack("V", $n - 1);
		substr($_, 10, 2) = pack("v", 0);' "$1" || return 1
	config_bin_redigest "$1"
}

# config_bin_put32 FILE TYPE INDEX OFFSET VALUE: write the u32 VALUE (or, as "str:NAME", the
# reference of the string NAME, which must be in the file) at OFFSET of record INDEX of the section
# of TYPE, and restore the digest: a rule broken in the bytes keelc would not write.
config_bin_put32() {
	TYPE=$2 IDX=$3 OFF=$4 VAL=$5 perl -0777 -pi -e '
		my ($n, $strings, $at) = (unpack("V", substr($_, 24, 4)));
		for my $i (0 .. $n - 1) {
			my ($type, $flags, $off, $size, $count, $esize) = unpack("vvVVVV", substr($_, 64 + 24 * $i, 20));
			$strings = [$off, $size] if $type == 1;
			$at = $off + $ENV{IDX} * $esize + $ENV{OFF} if $type == $ENV{TYPE};
		}
		die "config_bin_put32: no section of type $ENV{TYPE}\n" unless defined $at;
		my $v = $ENV{VAL};
		if ($v =~ /^str:(.*)$/) {
			my $i = index(substr($_, $strings->[0], $strings->[1]), "\0$1\0");
			die "config_bin_put32: no string $1\n" if $i < 0;
			$v = $i + 1;
		}
		substr($_, $at, 4) = pack("V", $v);' "$1" || return 1
	config_bin_redigest "$1"
}
