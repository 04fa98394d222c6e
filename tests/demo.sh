#!/bin/sh
# make demo: serve imapd and pop3d on 127.0.0.1 for a demo user until Ctrl-C.
# Usage: tests/demo.sh BIN_DIR
set -eu
BIN_DIR=${1:?usage: tests/demo.sh BIN_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
IMAP_PORT=${IMAP_PORT:-10143}
POP3_PORT=${POP3_PORT:-10110}

DEMO=$(mktemp -d /tmp/imapd-demo.XXXXXX)
chmod 755 "$DEMO"
pids=""
cleanup() {
	trap - INT TERM EXIT
	for p in $pids; do
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$DEMO"
	echo
	echo "Demo stopped; $DEMO removed."
}
trap cleanup INT TERM EXIT

# The demo user: "demo", password "demo".  As root the servers drop to
# uid/gid 4242, which owns the demo home; otherwise they run as you.
if [ "$(id -u)" -eq 0 ]; then
	uid=4242 gid=4242
else
	uid=$(id -u) gid=$(id -g)
fi
home=$DEMO/home/demo
mkdir -p "$home/Maildir/cur" "$home/Maildir/new" "$home/Maildir/tmp"
hash=$(openssl passwd -6 -salt demodemo demo)
printf 'demo:%s:%s:%s:Demo User:%s::\n' "$hash" "$uid" "$gid" "$home" \
    >"$DEMO/passwd"
chmod 644 "$DEMO/passwd"
i=0
for m in "$HERE"/demo/*.eml; do
	i=$((i + 1))
	cp "$m" "$home/Maildir/new/1700000000.M${i}P1.demo"
done
[ "$(id -u)" -eq 0 ] && chown -R "$uid:$gid" "$DEMO/home"

args="--passwd-file=$DEMO/passwd --allow-plaintext"
systemd-socket-activate --inetd -a -l "127.0.0.1:$POP3_PORT" \
    "$BIN_DIR/pop3d" $args 2>/dev/null &
pids="$pids $!"
systemd-socket-activate --inetd -a -l "127.0.0.1:$IMAP_PORT" \
    "$BIN_DIR/imapd" $args 2>/dev/null &
pids="$pids $!"
sleep 0.5

cat <<MSG

imapd and pop3d are serving $i messages for user "demo", password "demo"
(Maildir: $home/Maildir)

  IMAP  127.0.0.1:$IMAP_PORT     POP3  127.0.0.1:$POP3_PORT

Try:
  curl -u demo:demo imap://127.0.0.1:$IMAP_PORT/INBOX -X 'FETCH 1:* (FLAGS ENVELOPE)'
  curl -u demo:demo 'imap://127.0.0.1:$IMAP_PORT/INBOX;UID=1'
  curl -u demo:demo pop3://127.0.0.1:$POP3_PORT/
  curl -u demo:demo pop3://127.0.0.1:$POP3_PORT/1
  python3 -c 'import poplib; p = poplib.POP3("127.0.0.1", $POP3_PORT); p.user("demo"); p.pass_("demo"); print(p.stat()); p.quit()'
  python3 -c 'import imaplib; m = imaplib.IMAP4("127.0.0.1", $IMAP_PORT); m.login("demo", "demo"); print(m.select()); print(m.fetch("1:*", "(ENVELOPE)")); m.logout()'
  socat - TCP:127.0.0.1:$IMAP_PORT,crlf     (type: a LOGIN demo demo)

Press Ctrl-C to stop.
MSG
wait
