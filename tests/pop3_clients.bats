#!/usr/bin/env bats
# pop3d with real clients over loopback TCP, through a real per-connection
# launcher (tests/lib/launch.bash): Python's poplib, curl, fetchmail.

load helpers
load lib/pop3
load lib/launch

setup() {
	common_setup
	FIX=("" plain.eml dotlines.eml utf8.eml binary.eml crlf.eml \
	    empty-body.eml no-newline.eml)
	local i
	for i in $(seq 1 7); do
		deliver "$FIXTURES/${FIX[$i]}" "1700000000.M${i}P1.client"
	done
	launch_start "$BIN_DIR/pop3d" --passwd-file="$PASSWD" --auth-delay=0
}

teardown() {
	launch_stop
	common_teardown
}

@test "poplib: login, stat, list, uidl, retr (unstuffed), dele, quit" {
	run timeout 30 python3 - "$LAUNCH_PORT" "$FIXTURES" "${FIX[@]:1}" <<-'PY'
	import poplib, re, sys
	port, fixtures, names = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
	p = poplib.POP3("127.0.0.1", port, timeout=10)
	assert p.getwelcome() == b"+OK POP3 server ready", p.getwelcome()
	caps = p.capa()
	assert "UIDL" in caps and "TOP" in caps and "USER" in caps, caps
	p.user("alice")
	p.pass_("secret")
	count, size = p.stat()
	assert count == 7, count
	resp, listing, _ = p.list()
	assert len(listing) == 7
	resp, uidls, _ = p.uidl()
	assert len(set(u.split()[1] for u in uidls)) == 7
	for i, name in enumerate(names, 1):
	    want = open(fixtures + "/" + name, "rb").read()
	    want = re.sub(rb"\r\n", b"\n", want)
	    want = want[:-1] if want.endswith(b"\n") else want
	    want = want.split(b"\n")
	    resp, got, octets = p.retr(i)
	    assert got == want, (name, got, want)
	p.dele(1)
	p.dele(2)
	print(p.quit().decode())
	PY
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "+OK Bye, 2 messages deleted" ]
	[ "$(count_msgs cur)" -eq 5 ]
	# the five retrieved and kept messages are \Seen
	[ "$(ls "$MAILDIR/cur" | grep -c ':2,[A-Z]*S')" -eq 5 ]
}

@test "poplib: wrong password raises error_proto with [AUTH]" {
	run timeout 30 python3 - "$LAUNCH_PORT" <<-'PY'
	import poplib, sys
	p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=10)
	p.user("alice")
	try:
	    p.pass_("wrong")
	except poplib.error_proto as e:
	    print(e.args[0].decode())
	PY
	[ "$status" -eq 0 ]
	[ "$output" = "-ERR [AUTH] Authentication failed" ]
}

@test "curl: list, then retrieve messages byte for byte" {
	run timeout 30 curl -sS --max-time 20 -u alice:secret \
	    "pop3://127.0.0.1:$LAUNCH_PORT/"
	[ "$status" -eq 0 ]
	[ "$(tr -d '\r' <<< "$output" | wc -l)" -eq 7 ]
	[ "$(tr -d '\r' <<< "$output" | sed -n 3p)" = \
	    "3 $(crlf_size "$FIXTURES/utf8.eml")" ]
	local i
	for i in 1 2 3 4 7; do
		timeout 30 curl -sS --max-time 20 -u alice:secret \
		    "pop3://127.0.0.1:$LAUNCH_PORT/$i" > "$TEST_ROOT/got.$i"
		# curl undoes the dot-stuffing; compare with the CRLF message
		python3 -c 'import re, sys
d = open(sys.argv[1], "rb").read()
d = re.sub(rb"(?<!\r)\n", b"\r\n", d)
if not d.endswith(b"\r\n"):
    d += b"\r\n"
sys.stdout.buffer.write(d)' "$FIXTURES/${FIX[$i]}" > "$TEST_ROOT/want.$i"
		cmp "$TEST_ROOT/want.$i" "$TEST_ROOT/got.$i"
	done
	[ "$(count_msgs cur)" -eq 7 ]
}

@test "curl: AUTH PLAIN via --login-options" {
	run timeout 30 curl -sS --max-time 20 -u alice:secret \
	    --login-options 'AUTH=PLAIN' "pop3://127.0.0.1:$LAUNCH_PORT/1"
	[ "$status" -eq 0 ]
	[[ "$output" == "From: Bob Sender"* ]]
}

fetchmail_run() {
	export FETCHMAILHOME=$TEST_ROOT/fm
	mkdir -p "$FETCHMAILHOME"
	chmod 700 "$FETCHMAILHOME"
	cat > "$FETCHMAILHOME/fetchmailrc" <<-EOF
	set no syslog
	poll 127.0.0.1 with proto POP3 port $LAUNCH_PORT timeout 20
	    user "alice" there with password "secret" is "$(id -un)" here
	    options fetchall
	    mda "cat >> $TEST_ROOT/mbox"
	EOF
	chmod 600 "$FETCHMAILHOME/fetchmailrc"
	run env HOME="$FETCHMAILHOME" timeout 60 fetchmail \
	    -f "$FETCHMAILHOME/fetchmailrc" --pidfile "$FETCHMAILHOME/pid" \
	    --sslproto '' -v "$@"
}

@test "fetchmail: downloads everything and empties the Maildir" {
	fetchmail_run
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^Message-ID: ' "$TEST_ROOT/mbox")" -eq 7 ]
	grep -q 'Grüße aus München' "$TEST_ROOT/mbox"
	grep -q '^\.hidden line$' "$TEST_ROOT/mbox"
	[ "$(count_msgs cur)" -eq 0 ]
	[ "$(count_msgs new)" -eq 0 ]
}

@test "fetchmail --keep: downloads everything, the Maildir keeps it" {
	fetchmail_run --keep
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^Message-ID: ' "$TEST_ROOT/mbox")" -eq 7 ]
	[ "$(count_msgs cur)" -eq 7 ]
	[ "$(ls "$MAILDIR/cur" | grep -c ':2,[A-Z]*S')" -eq 7 ]
}

@test "launcher: socat also works (inetd stand-in)" {
	launch_stop
	LAUNCH_USE_SOCAT=1 launch_start "$BIN_DIR/pop3d" \
	    --passwd-file="$PASSWD" --auth-delay=0
	run timeout 30 curl -sS --max-time 20 -u alice:secret \
	    "pop3://127.0.0.1:$LAUNCH_PORT/"
	[ "$status" -eq 0 ]
	[ "$(tr -d '\r' <<< "$output" | wc -l)" -eq 7 ]
}
