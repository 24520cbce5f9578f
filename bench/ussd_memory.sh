#!/usr/bin/env bash
# yordamd's memory: RSS idle (started, content loaded, link up) and with DIALOGS dialogs held open
# through OsmoHLR; the cost per dialog. Prints figures, asserts nothing. See bench/README.md.
#
# Environment: DIALOGS (10000), HLR_ADDR (127.0.77.2), BUILD, NO_BUILD, KEEP (see lib.sh).
set -euo pipefail
HLR_ADDR=${HLR_ADDR:-127.0.77.2}
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIALOGS=${DIALOGS:-10000}

# status_kb PID FIELD: a /proc/PID/status figure in kB.
status_kb() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

held() {
	grep -q '^HELD' "$WORK/hold.out"
}


# measure LABEL: idle figures of a fresh yordamd, then DIALOGS dialogs opened and held through
# OsmoHLR; appends "label idle_rss idle_hwm held_rss held_hwm open idle_anon held_anon" (kB) to $WORK/mem.
measure() {
	local label=$1 pid idle_rss idle_hwm idle_anon held_rss held_hwm held_anon open_now
	stop_yordamd
	start_yordamd
	pid=${PIDS[yordamd]}
	sleep 1 # let start-up settle (content import, store open)
	idle_rss=$(status_kb "$pid" VmRSS)
	idle_hwm=$(status_kb "$pid" VmHWM)
	idle_anon=$(status_kb "$pid" RssAnon)
	echo "[$label] yordamd idle: VmRSS $idle_rss kB (RssAnon $idle_anon kB), VmHWM $idle_hwm kB" \
		"($(yordamd_sessions_open) dialogs open)"
	# OsmoHLR keeps sessions in a linked list: opening 10,000 costs it seconds of CPU (expected).
	echo "[$label] opening $DIALOGS dialogs through OsmoHLR ..."
	: >"$WORK/hold.out"
	"$USSD_MSC" -m hold -a "$HLR_ADDR" -d "$DIALOGS" -i 901702000000000 >"$WORK/hold.out" 2>&1 &
	PIDS[hold]=$!
	if ! wait_for 600 held; then
		cat "$WORK/hold.out"
		die "the dialogs did not open"
	fi
	sed 's/^/  /' "$WORK/hold.out"
	sleep 1
	open_now=$(yordamd_sessions_open)
	held_rss=$(status_kb "$pid" VmRSS)
	held_hwm=$(status_kb "$pid" VmHWM)
	held_anon=$(status_kb "$pid" RssAnon)
	echo "[$label] yordamd with $DIALOGS dialogs: VmRSS $held_rss kB (RssAnon $held_anon kB), VmHWM $held_hwm kB" \
		"($open_now dialogs open)"
	echo "$label $idle_rss $idle_hwm $held_rss $held_hwm $open_now $idle_anon $held_anon" >>"$WORK/mem"
	# The holder ends its dialogs at the HLR on SIGTERM (yordamd is not told: it is restarted).
	kill "${PIDS[hold]}"
	wait "${PIDS[hold]}" || true
	unset 'PIDS[hold]'
}

bench_build
start_hlr
# First with callers yordamd has never seen (each answers the language menu: one store write per
# dialog), then again after a restart with the same callers (one store look-up per dialog).
measure new-callers
measure known-callers

echo
printf 'yordamd memory, %s build, %d dialogs, %s\n' "$BUILD_TYPE" "$DIALOGS" "$(date -u +%Y-%m-%dT%H:%MZ)"
awk -v n="$DIALOGS" '
BEGIN {
	printf "%-14s %9s %9s %9s %9s %9s %9s %9s   %s\n", "callers", "idle_RSS", "idle_HWM", "idle_anon", "held_RSS",
		"held_HWM", "held_anon", "B/dialog", "targets: idle RSS <= 8 MB, <= 2048 B/dialog"
}
{
	per = ($4 - $2) * 1024 / n
	printf "%-14s %6.1f MB %6.1f MB %6.1f MB %6.1f MB %6.1f MB %6.1f MB %9.0f   idle %s, per dialog %s\n", $1,
		$2 / 1024, $3 / 1024, $7 / 1024, $4 / 1024, $5 / 1024, $8 / 1024, per, $2 <= 8 * 1024 ? "met" : "MISSED",
		per <= 2048 ? "met" : "MISSED"
	if ($6 != n) {
		printf "WARNING: yordamd reported %d dialogs open, not %d\n", $6, n
	}
}
END {
	print "B/dialog = (held_RSS - idle_RSS) / dialogs; MB of 1024 kB; VmRSS, VmHWM, RssAnon of /proc/PID/status."
	print "RSS counts the shared libraries pages in full (RSS - anon: file-backed, mostly libc, SQLite, GnuTLS)."
}' "$WORK/mem"
