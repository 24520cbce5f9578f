#!/usr/bin/env bash
# Build and run the whole test suite, as CI does:
#  1. packages (idempotent), 2. a -Werror build with ASan+UBSan and every ctest (unit, golden,
#  integration with osmo-hlr, fuzz corpus replay), 3. each libFuzzer target briefly (clang),
#  4. clang-format check of every C file.
# Environment: FUZZ_SECONDS (default 20) per fuzz target; JOBS (default nproc).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
jobs=${JOBS:-$(nproc)}
fuzz_seconds=${FUZZ_SECONDS:-20}

"$top/scripts/setup-debian.sh"

echo "== build (-Werror, ASan+UBSan)"
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DYORDAM_WERROR=ON -DYORDAM_SANITIZE=ON >/dev/null
cmake --build build-test -j"$jobs"

echo "== tests"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-test --output-on-failure -j"$jobs" | tee build-test/ctest.log
summary=$(grep -E '^[0-9]+% tests passed' build-test/ctest.log | tail -1)

echo "== fuzz (${fuzz_seconds}s per target)"
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DYORDAM_FUZZ=ON -DYORDAM_TESTS=OFF -DYORDAM_WERROR=ON >/dev/null
cmake --build build-fuzz -j"$jobs"
for f in build-fuzz/tests/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	work=$(mktemp -d)
	# New inputs go to a scratch dir; the checked-in corpus is only read.
	"$f" -max_total_time="$fuzz_seconds" -print_final_stats=0 "$work" "tests/fuzz/corpus/$name" \
		>"$work.log" 2>&1 || { cat "$work.log"; echo "fuzz: $name found a crash (reproducer above)"; exit 1; }
	echo "fuzz: $name ok ($(grep -c '' "$work.log") log lines)"
	rm -rf "$work" "$work.log"
done

echo "== clang-format"
# clang-format --dry-run exits non-zero on a difference: count its warnings instead.
fmt=$(git ls-files '*.c' '*.h' | xargs clang-format --dry-run 2>&1 || true)
bad=$(printf '%s\n' "$fmt" | grep -c 'warning:' || true)
if [ "$bad" != 0 ]; then
	printf '%s\n' "$fmt" | head -40
	echo "clang-format: $bad differences: run clang-format -i on the files above"
	exit 1
fi
# ctest: "100% tests passed, 0 tests failed out of N" -> the plain closing line.
total=$(echo "$summary" | sed -E 's/.* out of ([0-9]+).*/\1/')
failed=$(echo "$summary" | sed -E 's/.*, ([0-9]+) tests failed.*/\1/')
echo "all checks passed"
echo "ctest: $((total - failed)) passed, $failed failed"
