#!/usr/bin/env bash
# Complaint intake, piece by piece: case number, routing, early warning, the crypto of one
# complaint, and a durable single-row commit through the store (a stand-in until the cases table
# exists). Prints figures, asserts nothing. See bench/README.md ("Complaint intake").
#
# Environment: BUILD (build directory; default build-bench, configured here as RelWithDebInfo
# without sanitizers), NO_BUILD=1 (use BUILD as it is), DIR (where the store of the commit
# measurement lives: its file system is what is measured; default a new directory under $TMPDIR),
# COMMITS (commits per round, 200), SCALE (multiplies the in-memory operation counts, 1).
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$SRC/build-bench}
COMMITS=${COMMITS:-200}
SCALE=${SCALE:-1}
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

args=(-c "$COMMITS" -n "$SCALE")
[[ -n "${DIR:-}" ]] && args+=(-d "$DIR")
echo "cases_intake: $(nproc) cores, $build_type, $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
# The store and the key file log their creation on stderr: keep it out of the figures.
"$BIN" "${args[@]}" 2>"$LOG" || { cat "$LOG" >&2; exit 1; }
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
