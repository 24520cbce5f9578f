#!/usr/bin/env bash
# Durable complaint intake through the wired daemon (daemon_init in-process, cases on, 20 staff, no modem, no
# ports): cases per second by SMS (1 and 3 parts) and by the USSD form, p50/p99 per case, and the split of a case's
# time into crypto, SQLite commit (fsync: the same run on a tmpfs) and the rest. Prints figures, asserts nothing.
# See bench/README.md ("Complaint intake").
#
# Environment: BUILD (build directory; default build-bench, configured here as RelWithDebInfo without sanitizers),
# NO_BUILD=1 (use BUILD as it is), N (cases per workload, 2000), WARMUP (uncounted cases per workload, 50), DIR
# (where the daemon's directory is made: its file system is what is measured; default $TMPDIR or /tmp), TMPFS
# (the comparison run's directory, default /dev/shm; empty skips it), KEEP=1 (keep the daemon directories).
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$SRC/build-bench}
N=${N:-2000}
WARMUP=${WARMUP:-50}
LOG=$(mktemp "${TMPDIR:-/tmp}/yordam-cases-bench.XXXXXX")
trap 'rm -f "$LOG"' EXIT

if [[ -z "${NO_BUILD:-}" ]]; then
	if [[ -f "$BUILD/CMakeCache.txt" && "$BUILD" != "$SRC/build-bench" ]]; then
		cmake --build "$BUILD" --target cases_bench -j2 >"$LOG" 2>&1 || { tail -30 "$LOG"; exit 1; }
	else
		{ cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DYORDAM_SANITIZE=OFF -DYORDAM_FUZZ=OFF &&
			cmake --build "$BUILD" --target cases_bench -j2; } >"$LOG" 2>&1 || { tail -30 "$LOG"; exit 1; }
	fi
fi
BIN=$BUILD/bench/cases_bench
[[ -x "$BIN" ]] || { echo "${0##*/}: missing $BIN" >&2; exit 1; }
cache=$BUILD/CMakeCache.txt
if grep -q '^YORDAM_SANITIZE:BOOL=ON' "$cache" || grep -q '^YORDAM_FUZZ:BOOL=ON' "$cache"; then
	echo "WARNING: $BUILD is a sanitizer/fuzz build: figures are not representative" >&2
fi
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$cache")

dir=${DIR:-${TMPDIR:-/tmp}}
args=(-n "$N" -w "$WARMUP" -d "$dir" -C "$SRC/tests/data/ipack")
tmpfs=${TMPFS-/dev/shm}
[[ -d "$tmpfs" ]] || tmpfs=""
args+=(-t "$tmpfs")
[[ -n "${KEEP:-}" ]] && args+=(-k)
fs() { stat -f -c %T "$1" 2>/dev/null || echo '?'; }
echo "cases_intake: $(nproc) cores, $build_type, $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "DIR $dir ($(fs "$dir"))${tmpfs:+, comparison on $tmpfs ($(fs "$tmpfs"))}; $N cases per workload after $WARMUP"
# The daemon logs its content import on stderr: keep it out of the figures (shown on failure).
"$BIN" "${args[@]}" 2>"$LOG" || { cat "$LOG" >&2; exit 1; }
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
