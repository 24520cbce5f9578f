# shellcheck shell=bash
# Shared helpers of the benchmarks (sourced by ussd_step.sh, ussd_memory.sh, http_wrk.sh and
# sync_throughput.sh; bash): the work directory, cleanup of every process started (PIDS), the build.
#
# Environment: BUILD (build directory; default build-bench, configured and built here as
# RelWithDebInfo without sanitizers), NO_BUILD=1 (use BUILD as it is), HLR_ADDR (loopback address
# of the benchmark's own OsmoHLR), KEEP=1 (keep the work directory and its logs).

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$SRC/build-bench}
HLR_PORT=4222 # fixed in osmo-hlr 1.5
YORDAMD=$BUILD/firmware/yordamd
YORDAMCTL=$BUILD/firmware/yordamctl
USSD_MSC=$BUILD/bench/ussd_msc

WORK=$(mktemp -d "${TMPDIR:-/tmp}/yordam-bench.XXXXXX")
declare -A PIDS=() # name -> pid of every process this script started

bench_cleanup() {
	local name pid
	for name in "${!PIDS[@]}"; do
		pid=${PIDS[$name]}
		kill "$pid" 2>/dev/null || true
	done
	for name in "${!PIDS[@]}"; do
		wait "${PIDS[$name]}" 2>/dev/null || true
	done
	PIDS=()
	if [[ -n "${KEEP:-}" ]]; then
		echo "logs kept in $WORK" >&2
	else
		rm -rf "$WORK"
	fi
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

# bench_build [TARGET...]: build the targets (default: the USSD benchmarks' yordamd yordamctl ussd_msc).
bench_build() {
	local targets=("$@")
	((${#targets[@]})) || targets=(yordamd yordamctl ussd_msc)
	if [[ -n "${NO_BUILD:-}" ]]; then
		:
	elif [[ -f "$BUILD/CMakeCache.txt" ]] && [[ "$BUILD" != "$SRC/build-bench" ]]; then
		# Someone else's build directory: build in it, do not reconfigure it.
		cmake --build "$BUILD" --target "${targets[@]}" -j2 >"$WORK/build.log" 2>&1 ||
			{ tail -30 "$WORK/build.log"; die "build failed"; }
	else
		{
			cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DYORDAM_SANITIZE=OFF \
				-DYORDAM_FUZZ=OFF && cmake --build "$BUILD" --target "${targets[@]}" -j2
		} >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log"; die "build failed"; }
	fi
	local cache=$BUILD/CMakeCache.txt
	if (($# == 0)); then
		[[ -x "$YORDAMD" && -x "$YORDAMCTL" && -x "$USSD_MSC" ]] || die "missing binaries in $BUILD"
	fi
	if grep -q '^YORDAM_SANITIZE:BOOL=ON' "$cache" || grep -q '^YORDAM_FUZZ:BOOL=ON' "$cache"; then
		echo "WARNING: $BUILD is a sanitizer/fuzz build: figures are not representative" >&2
	fi
	BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$cache")
	case "$BUILD_TYPE" in
	Release | RelWithDebInfo | MinSizeRel) ;;
	*) echo "WARNING: $BUILD is a '$BUILD_TYPE' build: figures are not representative" >&2 ;;
	esac
}

# wait_for SECONDS COMMAND...: retry COMMAND every 50 ms.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		((SECONDS < deadline)) || return 1
		sleep 0.05
	done
}

port_listening() {
	ss -Hltn "src $1:$2" | grep -q .
}

# start_hlr: our own OsmoHLR on $HLR_ADDR (GSUP 4222, VTY 4258, CTRL 4259), empty database.
start_hlr() {
	port_listening "$HLR_ADDR" "$HLR_PORT" && die "something already listens on $HLR_ADDR:$HLR_PORT (set HLR_ADDR)"
	cat >"$WORK/hlr.cfg" <<EOF
log stderr
 logging filter all 1
 logging color 0
 logging print category 1
 logging level set-all error
line vty
 bind $HLR_ADDR
ctrl
 bind $HLR_ADDR
hlr
 gsup
  bind ip $HLR_ADDR
 euse yordam
 euse foobar-00-00-00-00-00-00
 ussd route prefix *100 external yordam
 ussd route prefix *101 external foobar-00-00-00-00-00-00
 ncss-guard-timeout 0
EOF
	osmo-hlr -c "$WORK/hlr.cfg" -l "$WORK/hlr.db" >"$WORK/hlr.log" 2>&1 &
	PIDS[hlr]=$!
	wait_for 10 port_listening "$HLR_ADDR" "$HLR_PORT" || { cat "$WORK/hlr.log"; die "osmo-hlr did not start"; }
}

# start_euse_demo: osmo-euse-demo (identity foobar-00-00-00-00-00-00), which logs every message at
# debug level and cannot be told otherwise: its stderr goes to /dev/null.
start_euse_demo() {
	osmo-euse-demo "$HLR_ADDR" "$HLR_PORT" >/dev/null 2>&1 &
	PIDS[euse_demo]=$!
	# Ready once a round trip through *101 gets a ReturnResult (not OsmoHLR's ReturnError).
	wait_for 10 "$USSD_MSC" -m euse-demo -a "$HLR_ADDR" -n 1 -w 0 || die "osmo-euse-demo did not come up"
}

yordamd_link_up() {
	"$YORDAMCTL" -s "$WORK/yordamd.sock" status 2>/dev/null | grep -q '(gsup): link up'
}

# start_yordamd: yordamd with its store in $WORK (kept across restarts), content from tests/data/ipack.
start_yordamd() {
	cat >"$WORK/yordam.conf" <<EOF
log: { level = "error"; };
store: { path = "$WORK/yordam.db"; key_file = "$WORK/yordam.key"; };
content: { dir = "$SRC/tests/data/ipack"; fallback_language = "en"; import = "if-empty"; };
control: { socket = "$WORK/yordamd.sock"; };
ussd: { idle_timeout = 600; };
gsup = ( { name = "hlr"; euse = "yordam"; address = "$HLR_ADDR"; port = $HLR_PORT; } );
EOF
	rm -f "$WORK/yordamd.sock"
	"$YORDAMD" -c "$WORK/yordam.conf" >>"$WORK/yordamd.log" 2>&1 &
	PIDS[yordamd]=$!
	wait_for 20 yordamd_link_up || { tail -20 "$WORK/yordamd.log"; die "yordamd did not connect to OsmoHLR"; }
	# OsmoHLR drops what arrives before the IPA identity exchange completes.
	sleep 0.3
}

stop_yordamd() {
	local pid=${PIDS[yordamd]:-}
	[[ -n "$pid" ]] || return 0
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	unset 'PIDS[yordamd]'
}

yordamd_sessions_open() {
	"$YORDAMCTL" -s "$WORK/yordamd.sock" status | sed -n 's/^sessions: \([0-9]*\) open.*/\1/p'
}
