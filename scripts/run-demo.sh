#!/usr/bin/env bash
# Build yordamd and run it on the bundled demo configuration (board/demo.conf), then walk the
# USSD menus from this terminal with `yordamctl dial '*100#'` - the same session engine a phone
# reaches through OsmoHLR. Type a number and Enter to choose; 0 back, 00 home, 9 more; Ctrl-D
# hangs up. The daemon stops when the dialog ends.
#
#   scripts/run-demo.sh            build, start, dial
#   scripts/run-demo.sh --foreground   build and run yordamd in the foreground only
#                                  (then, in another terminal: build/firmware/yordamctl -c board/demo.conf dial '*100#')
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

"$top/scripts/setup-debian.sh"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target yordamd yordamctl
mkdir -p run

if [ "${1:-}" = "--foreground" ]; then
	exec build/firmware/yordamd -c board/demo.conf
fi

build/firmware/yordamd -c board/demo.conf 2>run/yordamd.log &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT INT TERM
i=0
while [ ! -S run/yordamd.sock ]; do
	i=$((i + 1))
	if ! kill -0 $pid 2>/dev/null || [ $i -gt 100 ]; then
		echo "yordamd did not start; its log:" >&2
		cat run/yordamd.log >&2
		exit 1
	fi
	sleep 0.1
done
echo "yordamd is running (log: run/yordamd.log). Status:"
build/firmware/yordamctl -c board/demo.conf status
echo
echo "Dialling *100# - type a number and Enter; 0 back, 00 home, 9 more; Ctrl-D hangs up."
echo
build/firmware/yordamctl -c board/demo.conf dial '*100#' --as +447700900123
