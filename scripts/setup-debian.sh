#!/bin/sh
# Installs the Debian 12 packages needed to build, test and benchmark Yordam.
# Idempotent: packages already present are left alone; safe to run repeatedly.
set -eu

PKGS="
build-essential cmake pkg-config clang clang-format libclang-rt-14-dev
libosmocore-dev libosmo-gsup-client-dev osmo-hlr
libgammu-dev gammu gammu-smsd
libsqlite3-dev sqlite3
libconfig-dev
libmicrohttpd-dev curl wrk
libmbedtls-dev
libjansson-dev
openssl
libcmocka-dev
python3
socat
"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "setup: all packages present"
	exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
	SUDO=sudo
fi

echo "setup: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# osmo-hlr's package starts a system service on 4222 when systemd runs; tests bind
# their own loopback addresses, so that does not get in the way.
$SUDO apt-get install -y -q --no-install-recommends $missing
