#!/usr/bin/env bash
# One USSD step through OsmoHLR, yordamd against osmo-euse-demo, with 1 and with OPEN dialogs open.
# Prints figures, asserts nothing. See bench/README.md.
#
# Environment: STEPS (measured steps per row, 20000), WARMUP (500), OPEN (1000), ROUNDS (3),
# HLR_ADDR (127.0.77.1), BUILD, NO_BUILD, KEEP (see lib.sh).
set -euo pipefail
HLR_ADDR=${HLR_ADDR:-127.0.77.1}
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STEPS=${STEPS:-20000}
WARMUP=${WARMUP:-500}
OPEN=${OPEN:-1000}
ROUNDS=${ROUNDS:-3}
RESULTS=$WORK/results

bench_build
start_hlr
start_euse_demo

# run_row ROUND EUSE OPEN ussd_msc-args...: one row; yordamd is restarted before each, so that it
# holds exactly this row's dialogs (OsmoHLR 1.5 never tells it that the MSC ended the last row's).
run_row() {
	local round=$1 euse=$2 open=$3 out
	shift 3
	stop_yordamd
	start_yordamd
	local cpu0 cpu1 steal yd_open
	cpu0=$(head -1 /proc/stat)
	out=$("$USSD_MSC" -a "$HLR_ADDR" -n "$STEPS" -w "$WARMUP" "$@") || {
		echo "$out"
		die "ussd_msc $* failed"
	}
	cpu1=$(head -1 /proc/stat)
	# CPU time the hypervisor gave to someone else while the row ran (neighbours on a shared host).
	steal=$(printf '%s\n%s\n' "$cpu0" "$cpu1" | awk '{ t = 0; for (i = 2; i <= 9; i++) t += $i; T[NR] = t; S[NR] = $9 }
		END { d = T[2] - T[1]; printf "%.0f", (d > 0 ? 100 * (S[2] - S[1]) / d : 0) }')
	yd_open=$(yordamd_sessions_open)
	echo "$out" | sed -n "s/^RESULT /round=$round euse=$euse open=$open yordamd_sessions=$yd_open steal=$steal /p" \
		>>"$RESULTS"
	echo "$out" | grep -v '^RESULT' | sed 's/^/  /'
}

echo "ussd_step: $STEPS steps per row (+$WARMUP warm-up), $ROUNDS round(s), OsmoHLR on $HLR_ADDR, build $BUILD"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 1; r <= ROUNDS; r++)); do
	# IMSI ranges differ per row and round; a new IMSI answers the language menu once.
	base=$((901700000000000 + r * 100000))
	run_row "$r" yordamd 1 -m yordam -d 1 -i $((base + 0))
	run_row "$r" euse-demo 1 -m euse-demo
	run_row "$r" yordamd "$OPEN" -m yordam -d "$OPEN" -i $((base + 10000))
	run_row "$r" euse-demo "$OPEN" -m euse-demo -H "$OPEN" -i $((base + 50000))
done

echo
printf 'USSD step through OsmoHLR 1.5 on loopback (%s), %s, %d steps per row, %s\n' "$(nproc) cores" \
	"$BUILD_TYPE" "$STEPS" "$(date -u +%Y-%m-%dT%H:%MZ)"
echo "load average before: $load_start, after: $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v rounds="$ROUNDS" '
function get(line, key,    i, n, kv) {
	n = split(line, kv, " ")
	for (i = 1; i <= n; i++) {
		if (index(kv[i], key "=") == 1) {
			return substr(kv[i], length(key) + 2)
		}
	}
	return ""
}
function median(list,    n, a, i, j, t) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) {
		t = a[i] + 0
		for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) {
			a[j + 1] = a[j]
		}
		a[j + 1] = t
	}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
BEGIN {
	printf "%-10s %5s %6s %12s %12s %12s %10s %8s %7s\n", "EUSE", "open", "round", "median_us", "p99_us", "max_us",
		"steps/s", "yd_open", "steal%"
}
{
	e = get($0, "euse"); o = get($0, "open"); k = e " " o
	if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
	med[k] = med[k] " " get($0, "median_us"); p99[k] = p99[k] " " get($0, "p99_us")
	printf "%-10s %5s %6s %12s %12s %12s %10s %8s %7s\n", e, o, get($0, "round"), get($0, "median_us"),
		get($0, "p99_us"), get($0, "max_us"), get($0, "steps_per_s"), get($0, "yordamd_sessions"), get($0, "steal")
}
END {
	if (rounds > 1) {
		print "\nmedian over rounds:"
		for (i = 1; i <= nk; i++) {
			printf "%-10s %5s %6s %12.1f %12.1f\n", substr(order[i], 1, index(order[i], " ") - 1),
				substr(order[i], index(order[i], " ") + 1), "all", median(med[order[i]]), median(p99[order[i]])
		}
	}
	for (i = 1; i <= nk; i++) {
		k = order[i]; M[k] = median(med[k]); P[k] = median(p99[k])
		if (k ~ /^yordamd/ && k !~ / 1$/) { ybig = k; ydemo = "euse-demo " substr(k, 9) }
		if (k ~ /^yordamd 1$/) { y1 = k }
	}
	print ""
	printf "target: yordamd p99 <= 1000 us with %s dialogs open: measured %.1f us (%s)\n", substr(ybig, 9), P[ybig],
		P[ybig] <= 1000 ? "met" : "MISSED"
	printf "target: yordamd median within 2x of osmo-euse-demo:\n"
	printf "  1 open:    %.1f / %.1f us = %.2fx (%s)\n", M[y1], M["euse-demo 1"], M[y1] / M["euse-demo 1"],
		M[y1] <= 2 * M["euse-demo 1"] ? "met" : "MISSED"
	printf "  %s open: %.1f / %.1f us = %.2fx (%s)\n", substr(ybig, 9), M[ybig], M[ydemo], M[ybig] / M[ydemo],
		M[ybig] <= 2 * M[ydemo] ? "met" : "MISSED"
	print "yd_open: dialogs yordamd reported open after the row (it holds the 1,000 of the euse-demo row too)"
	print "steal%: CPU time the hypervisor gave to other guests during the row (/proc/stat); high = noisy row"
	print "(figures, not assertions: a shared 2-core machine is noisy; more ROUNDS give steadier medians)"
}' "$RESULTS"
