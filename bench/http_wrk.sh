#!/usr/bin/env bash
# HTTP USSD port under load: wrk (Debian) against yordamd on loopback, 200 concurrent
# connections by default. Prints requests/s and latency percentiles; asserts nothing.
#
# Each wrk thread drives 1,000 gateway sessions round-robin (so no session has two requests in
# flight), each a realistic dialog: text "", "1", "1*1", "1*1*0", then an end-of-session
# notification, then a new session id for the same phone number. The port allow-lists 127.0.0.1
# (wrk cannot compute HMACs); see bench/README.md for what that leaves out.
#
# wrk runs with one thread fewer than the host has cores (at least one): yordamd's loop is one
# busy thread, and a generator with as many threads as cores makes three busy threads on two
# cores, so that the tail measures the scheduler's time slices (see bench/README.md). That setup
# is run once more afterwards, labelled informative.
#
# Environment: BUILD (default build-bench, configured RelWithDebInfo without sanitizers if it has
# no cache), NO_BUILD=1, CONNS (200), THREADS (cores - 1, at least 1), RUNS (3 measured runs),
# DURATION (10s each), WARMUP (3s), KEEP=1 (keep the work directory with config and log),
# OVERSUB=0 (skip the informative run with as many wrk threads as cores), OPEN_RATES
# ("2000 10000": requests/s of the informative open-loop runs, bench/http_open_loop.py; "" skips
# them), OPEN_SECONDS (10).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
CONNS=${CONNS:-200}
CORES=$(nproc)
THREADS=${THREADS:-$((CORES > 1 ? CORES - 1 : 1))}
RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}

command -v wrk >/dev/null || die "wrk not found: apt-get install wrk (scripts/setup-debian.sh)"
bench_build yordamd yordamctl
[[ -x "$YORDAMD" && -x "$YORDAMCTL" ]] || die "missing binaries in $BUILD"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$WORK/yordam.conf" <<CONF
log: { level = "error"; timestamps = false; };
store: { path = "yordam.db"; key_file = "yordam.key"; };
content: { dir = "$SRC/tests/data/ipack"; fallback_language = "en"; import = "if-empty"; };
control: { socket = "yordamd.sock"; };
ussd: { idle_timeout = 600; };
http = ( { name = "bench"; address = "127.0.0.1"; port = $PORT; allow = [ "127.0.0.1" ];
           max_connections = 1024; } );
CONF

cat >"$WORK/dialog.lua" <<'LUA'
-- wrk ... -s dialog.lua URL -- RUN: RUN keeps the session ids of one run (warm-up, measured) apart
-- from another's. Requests are built by concatenating strings made once in init(), not with
-- string.format and wrk.format per request: the generator shares the daemon's cores, and what it
-- spends per request is taken from the daemon.
local next_tid = 0
function setup(thread)
	thread:set("tid", next_tid)
	next_tid = next_tid + 1
end

local K = 1000
local texts = {"", "1", "1*1", "1*1*0"}
local sessions = {}
local idx = 0
local head_dialog, head_end

function init(args)
	local run = args[1] or "r"
	local common = " HTTP/1.1\r\nHost: " .. wrk.headers["Host"] ..
		"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: "
	head_dialog = "POST /ussd" .. common
	head_end = "POST /ussd/end" .. common
	for i = 1, K do
		sessions[i] = {gen = 0, step = 0,
			sid = string.format("sessionId=%s_%d_%d_", run, tid, i),
			rest = string.format("&serviceCode=%%2A100%%23&phoneNumber=%%2B99890%02d%05d&text=", tid, i)}
	end
end

local function post(head, body)
	return head .. #body .. "\r\n\r\n" .. body
end

function request()
	idx = idx % K + 1
	local s = sessions[idx]
	if s.step < #texts then
		s.step = s.step + 1
		return post(head_dialog, s.sid .. s.gen .. s.rest .. texts[s.step])
	end
	s.step = 0
	s.gen = s.gen + 1
	return post(head_end, s.sid .. (s.gen - 1) .. "&status=Incomplete")
end

function done(summary, latency, requests)
	local s = summary.duration / 1e6
	local e = summary.errors
	io.write(string.format("RESULT requests=%d duration_s=%.2f rps=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f " ..
		"max_ms=%.3f non2xx=%d socket_errors=%d\n", summary.requests, s, summary.requests / s,
		latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
		latency.max / 1000, e.status, e.connect + e.read + e.write + e.timeout))
end
LUA

cd "$WORK"
"$YORDAMD" -c yordam.conf >"$WORK/yordamd.log" 2>&1 &
DPID=$!
PIDS[yordamd]=$DPID
for _ in $(seq 100); do
	[[ -S "$WORK/yordamd.sock" ]] && break
	kill -0 "$DPID" 2>/dev/null || { cat "$WORK/yordamd.log"; exit 1; }
	sleep 0.1
done
[[ -S "$WORK/yordamd.sock" ]] || { echo "yordamd did not start" >&2; exit 1; }

echo "yordamd ($(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt")) HTTP port on 127.0.0.1:$PORT;" \
	"wrk -t$THREADS -c$CONNS, $CORES cores shared by wrk and yordamd"
# Warm-up: every phone number picks its language once (a store write), caches settle.
wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" -s "$WORK/dialog.lua" "http://127.0.0.1:$PORT" -- warm >"$WORK/warmup.txt"

# CPU time of yordamd (user, system) and of the whole host (idle) around a run: tells a saturated
# daemon from a saturated host.
cpu_snap() {
	local st
	st=$(cut -d')' -f2- "/proc/$DPID/stat")
	echo "$(echo "$st" | awk '{print $12, $13}') $(awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8, $5+$6}' /proc/stat)" \
		"$(date +%s.%N)"
}
cpu_report() { # before after requests
	awk -v tck="$(getconf CLK_TCK)" -v req="$3" -v a="$1" -v b="$2" 'BEGIN {
		split(a, x, " "); split(b, y, " "); wall = y[5] - x[5];
		u = (y[1] - x[1]) / tck; s = (y[2] - x[2]) / tck;
		printf "yordamd CPU: %.0f%% of one core (user %.0f%%, system %.0f%%), %.1f us per request; host idle %.0f%%\n",
			100 * (u + s) / wall, 100 * u / wall, 100 * s / wall, (req > 0 ? 1e6 * (u + s) / req : 0),
			100 * (y[4] - x[4]) / (y[3] - x[3]) }'
}
field() { sed -E "s/.*[ ]$1=([0-9.]+).*/\1/" <<<"$2"; }

# measure RUN THREADS: one wrk run; prints its latency distribution, RESULT line (also left in res)
# and yordamd's CPU.
measure() {
	local before after out
	before=$(cpu_snap)
	out=$(wrk -t"$2" -c"$CONNS" -d"$DURATION" --latency -s "$WORK/dialog.lua" "http://127.0.0.1:$PORT" -- "$1")
	after=$(cpu_snap)
	echo "$out" | sed -n '/Latency Distribution/,/requests in/p' | sed -n '2,5p' | tr -s ' ' | paste -sd' '
	res=$(echo "$out" | grep '^RESULT')
	echo "$res"
	cpu_report "$before" "$after" "$(field requests "$res")"
}

p99s=()
for run in $(seq "$RUNS"); do
	echo "run $run of $RUNS:"
	measure "m$run" "$THREADS"
	p99s+=("$(field p99_ms "$res") $(field rps "$res")")
done
printf '%s\n' "${p99s[@]}" | sort -n | awk -v n="$RUNS" -v c="$CONNS" '
	{ p[NR] = $1; r[NR] = $2 }
	END { m = int((n + 1) / 2);
	      printf "http port: p99 %.3f ms (median of %d runs; %.3f-%.3f), %d requests/s in that run, at %d connections" \
		     " (target p99 <= 5 ms)\n", p[m], n, p[1], p[n], r[m], c }'
"$YORDAMCTL" -s "$WORK/yordamd.sock" status | sed -n '/bench (http)/,+1p'

# Informative only, not the headline: as many wrk threads as cores, so that three busy threads
# share two cores. Shows what oversubscribing the host does to the tail.
if [[ "${OVERSUB:-1}" != 0 && "$CORES" != "$THREADS" ]]; then
	echo "informative, oversubscribed (wrk -t$CORES):"
	measure over "$CORES"
fi

# Informative only, the other question: at a stated rate (open loop, bench/http_open_loop.py),
# how long does a gateway wait? Latency counted from when each request was due. The generator is
# Python on the same cores, so its own delays are included (pessimistic).
for rate in ${OPEN_RATES-2000 10000}; do
	res=$(python3 "$SRC/bench/http_open_loop.py" 127.0.0.1 "$PORT" --conns "$CONNS" --rate "$rate" \
		--seconds "${OPEN_SECONDS:-10}")
	echo "informative, open loop: ${res#RESULT_OPEN }"
done
kill "$DPID"
wait "$DPID" && rc=0 || rc=$?
unset 'PIDS[yordamd]'
[[ $rc == 0 ]] || echo "WARNING: yordamd exited with $rc" >&2
