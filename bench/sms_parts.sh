#!/bin/bash
# Average SMS parts per reply over every node and language of the bundled content: ours (fold,
# GSM-7 when possible, word-boundary split) against naive UCS-2. Prints; asserts nothing.
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$SRC/build-bench}
if [[ -z "${NO_BUILD:-}" ]]; then
	[[ -f $BUILD/CMakeCache.txt ]] || cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$BUILD" -j"$(nproc)" --target sms_parts >/dev/null
fi
"$BUILD/bench/sms_parts" "${1:-$SRC/menus/content}"
