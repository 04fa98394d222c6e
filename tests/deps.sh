#!/bin/sh
# Install (as root) or name (otherwise) the Debian packages a make target needs.
# Usage: tests/deps.sh build|check|demo|fuzz
set -eu

build="gcc make libc6-dev libpam0g-dev libcrypt-dev"
check="$build bats bats-assert bats-support bats-file socat systemd valgrind \
libpam-wrapper libnss-wrapper fetchmail isync python3 curl openssl procps \
util-linux groff-base stunnel4 fail2ban"
demo="$build systemd socat curl python3 openssl"
fuzz="$build clang libclang-rt-14-dev"
bench="$build dovecot-imapd dovecot-pop3d python3 util-linux grep findutils"

case "${1:-check}" in
build) want=$build ;;
check) want=$check ;;
demo) want=$demo ;;
fuzz) want=$fuzz ;;
bench) want=$bench ;;
*) echo "usage: $0 build|check|demo|fuzz|bench" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	echo "Installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
	echo "Missing Debian packages. Run as root:" >&2
	echo "  apt-get install -y$missing" >&2
	exit 1
fi
