# The boot chart checks for a booted guest (source after lib.sh): `keel ctl bootchart` in the
# console shell, the SVG taken off the console into $QEMU_DIR/boot.svg (and boot.png when
# rsvg-convert is there) for a person to look at, then: well-formed XML, a bar group per service,
# each bar's started and ready ms (time 0 = PID 1's start) equal to the console's
# `svc NAME: started/ready` stamps within a few ms, the heading's "all ready" moment, and the
# records of `keel ctl bootchart text`.
#   bootchart_checks NAME SERVICE...   (every SERVICE ready; bootchart_take and bootchart_times
#                                       for other checks)

# ms between two console stamps (seconds with 3 decimals), as an integer.
_bc_ms() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%d", (b - a) * 1000 + (b >= a ? 0.5 : -0.5)}'; }
_bc_near() { local d=$(( $1 - $2 )); [ "${d#-}" -le "${3:-3}" ]; }

# bootchart_take NAME: the chart into $QEMU_DIR/boot.svg (+ boot.png), checked well-formed SVG.
bootchart_take() {
  local name=$1 svg=$QEMU_DIR/boot.svg raw rc
  # PID 1's own console lines (and a kernel message) may come between the chart's lines: each is
  # one write() on the tty, as is each of the chart's lines (stdout is line-buffered on a tty),
  # so they are whole lines and are dropped here.
  raw=$(qemu_sh 'keel ctl bootchart')
  rc=$?
  printf '%s\n' "$raw" | grep -vE '^keel: \[|^\[ *[0-9]+\.[0-9]+\] ' > "$svg"
  expect_eq "$name-bootchart-exit" 0 "$rc"
  echo "# boot chart: $svg"
  if xmllint --noout "$svg" 2> "$QEMU_DIR/boot.svg.xmllint"; then pass "$name-bootchart-well-formed"
  else fail "$name-bootchart-well-formed" "xmllint: $(head -3 "$QEMU_DIR/boot.svg.xmllint")"; fi
  if grep -q '^<svg xmlns="http://www.w3.org/2000/svg" version="1.1"' "$svg"; then pass "$name-bootchart-svg"
  else fail "$name-bootchart-svg" "no <svg xmlns=... version=1.1> element"; fi
  if command -v rsvg-convert > /dev/null && rsvg-convert -o "$QEMU_DIR/boot.png" "$svg" 2> /dev/null; then
    echo "# boot chart drawn: $QEMU_DIR/boot.png"
  fi
}

# bootchart_times SERVICE: "LAUNCH STARTED READY" (ms after PID 1's start, -1: not yet) from the
# title of the service's bar group; empty when it has none.
bootchart_times() {
  grep -E "^<g class=\"svc\"><title>$1: " "$QEMU_DIR/boot.svg" | head -1 |
    sed -n 's/.*: launch \([0-9-]*\) ms, started \([0-9-]*\) ms, ready \([0-9-]*\) ms .*/\1 \2 \3/p'
}

# bootchart_served NAME URL: the chart written into PID 1's status directory, which the demo's web
# serves read-only as /status/, and fetched from the build host: how a person gets the picture.
bootchart_served() {
  local name=$1 url=$2 got= i
  qemu_sh 'keel ctl bootchart > /run/keel/status/boot.svg' > /dev/null
  for ((i = 0; i < 30; i++)); do   # bounded: web may not answer yet
    got=$(curl -s --max-time 5 "$url") && [[ $got == *"</svg>"* ]] && break
    got=
    qemu_alive || break
    sleep 1
  done
  if [ -n "$got" ] && printf '%s\n' "$got" | xmllint --noout - 2> /dev/null &&
     [ "$(printf '%s\n' "$got" | grep -c '^<g class="svc">')" -ge 1 ]; then
    pass "$name-bootchart-served"
  else fail "$name-bootchart-served" "no chart at $url (got '${got:0:120}')"; fi
}

bootchart_checks() {
  local name=$1 s svg=$QEMU_DIR/boot.svg; shift
  bootchart_take "$name"

  local nbars nphases
  nbars=$(grep -c '^<g class="svc">' "$svg")
  expect_eq "$name-bootchart-one-bar-per-service" "$#" "$nbars"
  nphases=$(grep -c '^<g class="phase-row">' "$svg")
  if [ "$nphases" -ge 8 ]; then pass "$name-bootchart-phases"; else fail "$name-bootchart-phases" "$nphases phase rows, expected 8"; fi

  local pid1 t st rd cst crd last=-1 title
  pid1=$(qemu_stamp 'pid1: started$')
  for s in "$@"; do
    # <g class="svc"><title>NAME: launch L ms, started S ms, ready R ms (state ...)</title>
    title=$(grep -E "^<g class=\"svc\"><title>$s: " "$svg" | head -1)
    t=$(bootchart_times "$s")
    if [ -z "$t" ]; then fail "$name-bootchart-bar-$s" "no bar for $s in $svg"; continue; fi
    read -r _ st rd <<< "$t"
    if grep -A3 -E "^<g class=\"svc\"><title>$s: " "$svg" | grep -q '<rect class="launch"' &&
       grep -A3 -E "^<g class=\"svc\"><title>$s: " "$svg" | grep -q '<rect class="ready"'; then
      pass "$name-bootchart-bar-$s"
    else fail "$name-bootchart-bar-$s" "$s's group has no launch and ready rects: $title"; fi
    cst=$(_bc_ms "$pid1" "$(qemu_stamp "svc $s: started ")")
    crd=$(_bc_ms "$pid1" "$(qemu_stamp "svc $s: ready")")
    if _bc_near "$st" "$cst" && _bc_near "$rd" "$crd"; then pass "$name-bootchart-$s-matches-console"
    else fail "$name-bootchart-$s-matches-console" "chart started $st ready $rd ms, console started $cst ready $crd ms after PID 1's start"; fi
    [ "$crd" -gt "$last" ] && last=$crd
  done
  # The records themselves (keel ctl bootchart text): a line per service, as the chart drew them.
  local recs
  recs=$(qemu_sh 'keel ctl bootchart text' | grep -E '^(now|phase|svc) ')
  if printf '%s\n' "$recs" | grep -qE '^now [0-9]+$' && printf '%s\n' "$recs" | grep -qE '^phase pid1 [0-9]+$' &&
     [ "$(printf '%s\n' "$recs" | grep -cE '^svc [a-z0-9_-]+ [a-z]+ [0-9]+ [0-9]+ [0-9]+ [0-9]+$')" = "$#" ]; then
    pass "$name-bootchart-text"
  else fail "$name-bootchart-text" "records: $(printf '%s\n' "$recs" | tr '\n' '|')"; fi
  local head
  head=$(sed -n 's/.*>keel boot chart: all \([0-9]*\) services ready at \([0-9]*\) ms<.*/\1 \2/p' "$svg")
  if [ "${head%% *}" = "$#" ] && _bc_near "${head#* }" "$last"; then pass "$name-bootchart-all-ready"
  else fail "$name-bootchart-all-ready" "heading says '$head', console: $# services, last ready at $last ms"; fi
}
