#!/bin/sh
# The platform CA and keys for yordam-central and its appliances (docs/sync.md), openssl CLI only.
#   central/ca.sh init DIR                 CA (P-256, 10 years) and the bundle signing key pair
#   central/ca.sh server DIR NAME          server key and certificate for NAME (2 years)
#   central/ca.sh appliance DIR ID         appliance key and certificate, CN = ID (2 years)
# Keep DIR/ca.key and DIR/bundle.key offline; hand an appliance ca.pem, ID.key, ID.pem, bundle.pub.
set -eu
umask 077
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '2,6p' "$0"; exit 2; }
mkdir -p "$dir"

name_ok() {
	case "$1" in
	'' | .* | *[!A-Za-z0-9._-]*) echo "ca.sh: '$1': use 1-64 of A-Z a-z 0-9 . _ - (not starting with .)" >&2; exit 2 ;;
	esac
	[ ${#1} -le 64 ] || { echo "ca.sh: '$1' is longer than 64" >&2; exit 2; }
}

leaf() { # file-stem CN extensions
	[ -f "$dir/ca.key" ] || { echo "ca.sh: run 'init $dir' first" >&2; exit 1; }
	[ ! -e "$dir/$1.key" ] || { echo "ca.sh: $dir/$1.key exists: not overwriting" >&2; exit 1; }
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/$1.key" \
		-out "$dir/$1.csr" -subj "/CN=$2"
	printf '%s\n' "basicConstraints=CA:FALSE" "$3" >"$dir/$1.ext"
	openssl x509 -req -in "$dir/$1.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
		-out "$dir/$1.pem" -days 730 -extfile "$dir/$1.ext"
	rm -f "$dir/$1.csr" "$dir/$1.ext"
	echo "$dir/$1.key $dir/$1.pem"
}

case "$cmd" in
init)
	[ ! -e "$dir/ca.key" ] || { echo "ca.sh: $dir/ca.key exists: not overwriting" >&2; exit 1; }
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/ca.key" \
		-out "$dir/ca.pem" -days 3650 -subj "/CN=Yordam platform CA" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
	openssl ecparam -name prime256v1 -genkey -noout -out "$dir/bundle.key"
	openssl ec -in "$dir/bundle.key" -pubout -out "$dir/bundle.pub"
	chmod 644 "$dir/ca.pem" "$dir/bundle.pub"
	echo "$dir/ca.key $dir/ca.pem $dir/bundle.key $dir/bundle.pub"
	;;
server)
	name=${3:-}
	[ -n "$name" ] || { echo "ca.sh: server DIR NAME" >&2; exit 2; }
	leaf server "$name" "subjectAltName=DNS:$name
extendedKeyUsage=serverAuth"
	;;
appliance)
	id=${3:-}
	name_ok "$id"
	leaf "$id" "$id" "extendedKeyUsage=clientAuth"
	;;
*)
	sed -n '2,6p' "$0"
	exit 2
	;;
esac
