# The OCI image the image tests run (tests/host/26-oci-image.test, tests/qemu/21-oci-image-guest.test),
# built with umoci as an appliance builder's tools would build it: three layers (a busybox base;
# one deleting /etc/deleted-file and /opt/deleted-dir; one making /var/opaque opaque) and a config
# with Entrypoint ["probe", "--from-entrypoint"], Cmd ["cmd one", "cmd-two"], Env (PATH, A=image,
# "SPACED=a b"), WorkingDir /srv/app (not in the layers), User app (1234, in groups staff 50 and
# audio 63) and StopSignal SIGQUIT. /bin/probe prints what the container sees, one fact a line:
#   argv0= arg=[..] cwd= env=NAME=value (as exec'd) uid= gid= groups= present=/absent=PATH chardevs=N
# No /proc, /sys or /dev in it: keel-pack adds the mount points Docker would create.
#   oci_image_build WORK LAYOUT    scratch in WORK, the layout (tag v1) in LAYOUT; needs root

oci_image_build() {
	local w=$1 o=$2 r=$1/root b=$1/bundle a
	rm -rf "$w" "$o" && mkdir -p "$r"/bin "$r"/etc "$r"/opt/deleted-dir "$r"/var/opaque "$w/fresh" || return 1
	cp /bin/busybox "$r"/bin/busybox
	for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$r/bin/$a"; done
	cat > "$r"/bin/probe <<'PROBE'
#!/bin/sh
echo "argv0=$0"
for a in "$@"; do echo "arg=[$a]"; done
echo "cwd=$(pwd)"
tr '\0' '\n' < /proc/$$/environ | sort | sed 's/^/env=/'  # as keel passed it, before the shell adds PWD
awk '$1 ~ /^(Uid|Gid|Groups):$/ { $1 = tolower(substr($1, 1, length($1) - 1)); print $1 "=" $2 ($1 == "groups" ? " " $3 " " $4 : "") }' /proc/self/status
for p in /etc/deleted-file /opt/deleted-dir /opt/deleted-dir/f /var/opaque/old /var/opaque/fresh /var/opaque/extra /etc/extra-file; do
	if [ -e "$p" ] || [ -L "$p" ]; then echo "present=$p"; else echo "absent=$p"; fi
done
echo "chardevs=$(find / -xdev -type c 2>/dev/null | wc -l)"
PROBE
	chmod 0755 "$r"/bin/probe
	echo gone > "$r"/etc/deleted-file
	echo gone > "$r"/opt/deleted-dir/f
	echo old > "$r"/var/opaque/old
	printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1234:1234:app:/home/app:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n' > "$r"/etc/passwd
	printf 'root:x:0:root\nstaff:x:50:app,root\naudio:x:63:app\napp:x:1234:\n' > "$r"/etc/group
	# layer 3's content: umoci 0.4.7's insert leaves out a data file's tar padding (GNU tar then
	# refuses the layer), so the opaque directory gets an empty file
	: > "$w/fresh/fresh"
	umoci init --layout "$o" && umoci new --image "$o:v1" &&
	umoci unpack --image "$o:v1" "$b" > /dev/null && cp -a "$r"/. "$b"/rootfs/ &&
	umoci repack --image "$o:v1" "$b" && rm -rf "$b" &&
	umoci unpack --image "$o:v1" "$b" > /dev/null && rm "$b"/rootfs/etc/deleted-file && rm -r "$b"/rootfs/opt/deleted-dir &&
	umoci repack --image "$o:v1" "$b" && rm -rf "$b" &&
	umoci insert --image "$o:v1" --opaque "$w/fresh" /var/opaque &&
	umoci config --image "$o:v1" --config.entrypoint probe --config.entrypoint --from-entrypoint \
		--config.cmd "cmd one" --config.cmd cmd-two --config.env PATH=/usr/bin:/bin --config.env A=image \
		--config.env "SPACED=a b" --config.workingdir /srv/app --config.user app --config.stopsignal SIGQUIT
}
