#!/usr/bin/env bats
# imapd sessions: greeting, capabilities, LOGIN, AUTHENTICATE, states,
# error limits, ID, ENABLE, NAMESPACE, timeouts, PREAUTH.

load helpers
load lib/imapd

setup() {
	common_setup
	[ -x "$BIN_DIR/imapd" ] || skip "build/imapd not built"
}
teardown() { common_teardown; }


CAP_PRE="IMAP4rev1 SASL-IR ID ENABLE IDLE LITERAL+ AUTH=PLAIN AUTH=LOGIN"
CAP_POST="IMAP4rev1 SASL-IR ID ENABLE IDLE LITERAL+ NAMESPACE UIDPLUS UNSELECT MOVE CHILDREN SPECIAL-USE APPENDLIMIT=67108864"

@test "session: greeting, CAPABILITY, LOGOUT" {
	imapd <<-EOT
	a CAPABILITY
	b LOGOUT
	c NOOP
	EOT
	[ "${lines[0]}" = "* OK [CAPABILITY $CAP_PRE] imapd ready" ]
	[ "${lines[1]}" = "* CAPABILITY $CAP_PRE" ]
	[ "${lines[2]}" = "a OK CAPABILITY completed" ]
	[ "${lines[3]}" = "* BYE Logging out" ]
	[ "${lines[4]}" = "b OK LOGOUT completed" ]
	[ "${#lines[@]}" -eq 5 ]
}

@test "session: --greeting sets the text" {
	imapd --greeting="Hello there" <<< "a LOGOUT"
	[ "${lines[0]}" = "* OK [CAPABILITY $CAP_PRE] Hello there" ]
}

@test "session: LOGIN ok answers with the post-login CAPABILITY" {
	imapd <<-EOT
	a LOGIN alice secret
	b CAPABILITY
	c LOGIN alice secret
	d LOGOUT
	EOT
	has "a OK [CAPABILITY $CAP_POST] Logged in"
	has "* CAPABILITY $CAP_POST"
	tagged c BAD
	tagged d OK
}

@test "session: LOGIN with quoted strings and literals" {
	imapd <<-EOT
	a LOGIN "alice" {6}
	secret
	b LOGOUT
	EOT
	has "+ Ready for literal data"
	tagged a OK "CAPABILITY $CAP_POST"
}

@test "session: a wrong password is NO [AUTHENTICATIONFAILED]; three end it" {
	imapd <<-EOT
	a LOGIN alice wrong
	b LOGIN nobody secret
	c LOGIN alice wrong2
	d LOGIN alice secret
	EOT
	tagged a NO AUTHENTICATIONFAILED
	tagged b NO AUTHENTICATIONFAILED
	tagged c NO AUTHENTICATIONFAILED
	has "* BYE Too many authentication failures"
	hasnt "d .*"
}

@test "session: AUTHENTICATE PLAIN with an initial response (SASL-IR)" {
	ir=$(printf '\0alice\0secret' | base64 -w0)
	imapd <<-EOT
	a AUTHENTICATE PLAIN $ir
	b SELECT INBOX
	c LOGOUT
	EOT
	tagged a OK "CAPABILITY $CAP_POST"
	tagged b OK READ-WRITE
}

@test "session: AUTHENTICATE PLAIN with a continuation" {
	ir=$(printf 'alice\0alice\0secret' | base64 -w0)
	imapd <<-EOT
	a AUTHENTICATE PLAIN
	$ir
	b LOGOUT
	EOT
	has "+ "
	tagged a OK "CAPABILITY $CAP_POST"
}

@test "session: AUTHENTICATE PLAIN wrong password, empty, cancelled" {
	bad=$(printf '\0alice\0nope' | base64 -w0)
	imapd <<-EOT
	a AUTHENTICATE PLAIN $bad
	b AUTHENTICATE PLAIN =
	c AUTHENTICATE PLAIN
	*
	d AUTHENTICATE CRAM-MD5
	e LOGOUT
	EOT
	tagged a NO AUTHENTICATIONFAILED
	tagged b BAD
	tagged c BAD
	tagged d NO
	tagged e OK
}

@test "session: AUTHENTICATE LOGIN" {
	u=$(printf alice | base64 -w0)
	p=$(printf secret | base64 -w0)
	imapd <<-EOT
	a AUTHENTICATE LOGIN
	$u
	$p
	b LOGOUT
	EOT
	has "+ VXNlcm5hbWU6"
	has "+ UGFzc3dvcmQ6"
	tagged a OK "CAPABILITY $CAP_POST"
}

@test "session: no plaintext from a remote client without TLS" {
	REMOTE_ADDR=192.0.2.7 imapd <<-EOT
	a CAPABILITY
	b LOGIN alice secret
	c AUTHENTICATE PLAIN $(printf '\0alice\0secret' | base64 -w0)
	d LOGOUT
	EOT
	has "* CAPABILITY IMAP4rev1 SASL-IR ID ENABLE IDLE LITERAL+ LOGINDISABLED"
	tagged b NO PRIVACYREQUIRED
	tagged c NO PRIVACYREQUIRED
	tagged d OK
}

@test "session: --tls and --allow-plaintext allow LOGIN from remote" {
	REMOTE_ADDR=192.0.2.7 imapd --tls <<-EOT
	a LOGIN alice secret
	EOT
	tagged a OK "CAPABILITY $CAP_POST"
	REMOTE_ADDR=192.0.2.7 imapd --allow-plaintext <<-EOT
	a LOGIN alice secret
	EOT
	tagged a OK "CAPABILITY $CAP_POST"
}

@test "session: commands in the wrong state are BAD" {
	imapd <<-EOT
	a SELECT INBOX
	b FETCH 1 FLAGS
	c ENABLE IDLE
	d LOGIN alice secret
	e FETCH 1 FLAGS
	f STARTTLS
	g EXPUNGE
	h UID FETCH 1 FLAGS
	i LOGOUT
	EOT
	tagged a BAD
	tagged b BAD
	tagged c BAD
	tagged d OK
	tagged e BAD
	tagged f BAD
	tagged g BAD
	tagged h BAD
	tagged i OK
}

@test "session: STARTTLS is not available yet" {
	imapd <<-EOT
	a STARTTLS
	b LOGOUT
	EOT
	has "a BAD STARTTLS not available"
}

@test "session: unknown commands and syntax errors are BAD" {
	imapd <<-EOT
	a FROBNICATE
	b NOOP extra
	c UID FROB 1
	d UID LIST
	e LOGOUT
	EOT
	tagged a BAD
	tagged b BAD
	tagged c BAD
	tagged d BAD
	tagged e OK
}

@test "session: too many invalid commands before login end the session" {
	for i in $(seq 1 12); do echo "t$i BOGUS"; done > "$TEST_ROOT/s"
	imapd < "$TEST_ROOT/s"
	tagged t9 BAD
	has "* BYE Too many invalid commands"
	hasnt "t11 .*"
}

@test "session: ID, ENABLE, NAMESPACE" {
	imapd_login <<-EOT
	a ID NIL
	b ID ("name" "test" "version" "1")
	c ID ("name")
	d ENABLE CONDSTORE
	e NAMESPACE
	EOT
	has '* ID ("name" "imapd" "version" "0.1")'
	tagged a OK
	tagged b OK
	tagged c BAD
	has "* ENABLED"
	tagged d OK
	has '* NAMESPACE (("" ".")) NIL NIL'
	tagged e OK
}

@test "session: NOOP and CHECK" {
	imapd_login <<-EOT
	a NOOP
	b SELECT INBOX
	c CHECK
	EOT
	tagged a OK
	tagged c OK
}

@test "session: autologout before login" {
	run timeout 20 bash -c '{ sleep 4; } | "$1" --passwd-file="$2" \
	    --login-timeout=1 | tr -d "\r"' _ "$BIN_DIR/imapd" "$PASSWD"
	[ "${lines[1]}" = "* BYE Autologout; idle for too long" ]
}

@test "session: autologout after login (--idle-timeout)" {
	run timeout 20 bash -c '{ printf "a LOGIN alice secret\r\n"; sleep 4; } |
	    "$1" --passwd-file="$2" --auth-delay=0 --idle-timeout=1 |
	    tr -d "\r"' _ "$BIN_DIR/imapd" "$PASSWD"
	tagged a OK
	has "* BYE Autologout; idle for too long"
}

@test "session: unreadable passwd file is a BYE greeting" {
	run timeout 20 bash -c '"$1" --passwd-file=/nonexistent/passwd \
	    < /dev/null | tr -d "\r"' _ "$BIN_DIR/imapd"
	[ "${lines[0]:0:6}" = "* BYE " ]
	[ "$status" -eq 0 ]
}

@test "session: PREAUTH when started by a user without a backend" {
	if is_root; then
		skip "PREAUTH is for ordinary users"
	fi
	mkdir -p "$TEST_ROOT/pre"
	run timeout 20 bash -c 'printf "a SELECT INBOX\r\nb LOGOUT\r\n" |
	    "$1" --mail="maildir:$2/pre/Maildir" | tr -d "\r"' _ \
	    "$BIN_DIR/imapd" "$TEST_ROOT"
	[ "${lines[0]}" = "* PREAUTH [CAPABILITY $CAP_POST] Logged in as $(id -un)" ]
	tagged a OK READ-WRITE
	[ -d "$TEST_ROOT/pre/Maildir/cur" ]
}

@test "session: a bad option is a usage error" {
	run "$BIN_DIR/imapd" --no-such-option
	[ "$status" -eq 2 ]
	run "$BIN_DIR/imapd" --special-use=Foo
	[ "$status" -eq 2 ]
	run "$BIN_DIR/imapd" --help
	[ "$status" -eq 0 ]
	[[ $output == *--special-use* ]]
}

@test "session: too many invalid commands after login end the session" {
	{
		echo "a LOGIN alice secret"
		for i in $(seq 1 55); do echo "t$i BOGUS"; done
	} > "$TEST_ROOT/s"
	imapd < "$TEST_ROOT/s"
	tagged a OK
	tagged t49 BAD
	tagged t50 BAD
	has "* BYE Too many invalid commands"
	hasnt "t51 .*"
}
