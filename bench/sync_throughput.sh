#!/usr/bin/env bash
# Sync over loopback TLS: records per second for a 100,000-record backlog (the test client,
# sync_driver, linking yordam_sync, against the reference central service yordam-central), and
# handshakes per sync round with and without session resumption. Prints figures; asserts nothing.
#
# Environment: BUILD (default build-bench; configured RelWithDebInfo here if it is ours),
# NO_BUILD=1, RECORDS (100000), BATCHES ("500 2000"), ROUNDS (20), KEEP=1 (keep the work dir).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RECORDS=${RECORDS:-100000}
BATCHES=${BATCHES:-"500 2000"}
ROUNDS=${ROUNDS:-20}
CENTRAL=$BUILD/central/yordam-central
DRIVER=$BUILD/tests/sync_driver

bench_build yordam-central sync_driver
[[ -x "$CENTRAL" && -x "$DRIVER" ]] || die "missing $CENTRAL or $DRIVER"
if grep -q '^YORDAM_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt"; then
	echo "WARNING: $BUILD is a sanitizer build: figures are not representative" >&2
fi

# --- a throw-away PKI (P-256), as central/ca.sh makes it ---
P=$WORK/pki
mkdir -p "$P"
ossl() { openssl "$@" >>"$WORK/pki.log" 2>&1 || die "openssl $1 failed (see $WORK/pki.log)"; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$P/ca.key" -out "$P/ca.pem" \
	-days 30 -subj "/CN=bench CA" -addext basicConstraints=critical,CA:TRUE
leaf() { # name cn ext
	ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$P/$1.key" -out "$P/$1.csr" \
		-subj "/CN=$2"
	printf '%s\n' "$3" >"$P/$1.ext"
	ossl x509 -req -in "$P/$1.csr" -CA "$P/ca.pem" -CAkey "$P/ca.key" -CAcreateserial -out "$P/$1.pem" \
		-days 30 -extfile "$P/$1.ext"
}
leaf server platform.test "subjectAltName=DNS:platform.test"
leaf app bench-appliance "extendedKeyUsage=clientAuth"
ossl ecparam -name prime256v1 -genkey -noout -out "$P/bundle.key"
ossl ec -in "$P/bundle.key" -pubout -out "$P/bundle.pub"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

start_central() {
	"$CENTRAL" serve --db "$WORK/central.db" --listen "127.0.0.1:$PORT" --ca "$P/ca.pem" \
		--cert "$P/server.pem" --key "$P/server.key" >>"$WORK/central.log" 2>&1 &
	PIDS[central]=$!
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
		sleep 0.05
	done
	die "yordam-central did not start"
}

stop_central() {
	kill "${PIDS[central]}"
	wait "${PIDS[central]}" 2>/dev/null || true
	unset 'PIDS[central]'
}

driver() { # extra args...
	mkdir -p "$WORK/work" "$WORK/sink"
	"$DRIVER" --host platform.test --address 127.0.0.1 --port "$PORT" --ca "$P/ca.pem" --cert "$P/app.pem" \
		--key "$P/app.key" --bundle-pub "$P/bundle.pub" --work "$WORK/work" --sink "$WORK/sink" \
		--backoff-min-ms 200 --backoff-max-ms 2000 --max-seconds 600 "$@" 2>>"$WORK/driver.log" | grep '^RESULT'
}

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

echo "sync over loopback TLS — $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
echo "build: $BUILD ($(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt"))"
echo
printf '%-34s %10s %10s %12s %8s\n' "backlog run" records seconds "records/s" hs_full
for batch in $BATCHES; do
	rm -f "$WORK"/central.db*
	"$CENTRAL" init --db "$WORK/central.db"
	start_central
	r=$(driver --records "$RECORDS" --batch "$batch" --until-acked)
	stop_central
	[[ "$(field acked "$r")" == "$RECORDS" ]] || die "backlog did not complete: $r"
	n=$(sqlite3 "$WORK/central.db" 'SELECT count(*) FROM record' 2>/dev/null || echo '?')
	printf '%-34s %10s %10s %12s %8s\n' "$RECORDS records, batch $batch" "$n" "$(field elapsed_s "$r")" \
		"$(field records_per_s "$r")" "$(field handshakes_full "$r")"
done

echo
echo "handshakes per sync round ($ROUNDS rounds, 100 new records in the journal before each; interval 0.1 s)"
printf '%-28s %8s %8s %14s\n' "client" full resumed "full per round"
rm -f "$WORK"/central.db*
"$CENTRAL" init --db "$WORK/central.db"
start_central
for mode in resume no-resume; do
	extra=()
	[[ $mode == no-resume ]] && extra=(--no-resume)
	r=$(driver --records $((100 * ROUNDS)) --grow 100 --batch 100 --interval-ms 100 --rounds "$ROUNDS" "${extra[@]}")
	full=$(field handshakes_full "$r")
	res=$(field handshakes_resumed "$r")
	printf '%-28s %8s %8s %14s\n' "$mode" "$full" "$res" "$(awk -v f="$full" -v n="$ROUNDS" 'BEGIN{printf "%.2f", f/n}')"
	rm -f "$WORK"/central.db*
	stop_central
	"$CENTRAL" init --db "$WORK/central.db"
	start_central
done
echo
echo "one handshake per round at most (keep-alive carries every batch of a round); with resumption only"
echo "the first round is a full handshake (ECDHE + certificate verification on both sides)."
