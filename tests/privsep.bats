#!/usr/bin/env bats
# Privilege separation (privsep.h): as root, everything the client sends
# before login is read by an unprivileged, confined login process; the
# root monitor only checks credentials and, after a success, becomes the
# session as the user, with the input the client pipelined intact.

load helpers
load lib/auth

setup() {
	common_setup
	NOBODY_UID=$(id -u nobody)
	NOBODY_GID=$(id -g nobody)
}

teardown() {
	auth_bg_end 2>/dev/null || true
	common_teardown
}

# children PID: the pids of PID's child processes, one per line.
children() {
	cat "/proc/$1/task/"*/children 2>/dev/null | tr ' ' '\n' | grep . || true
}

# assert_login_process PID: PID is the root monitor, and its only child
# is the confined login process, holding the same client connection.
assert_login_process() {
	local mon=$1 kids child
	[ "$(auth_proc_field "$mon" Uid)" = "0 0 0 0" ]
	kids=$(children "$mon")
	[ "$(wc -l <<< "$kids")" -eq 1 ]
	child=$kids
	[ "$(auth_proc_field "$child" Uid)" = \
	    "$NOBODY_UID $NOBODY_UID $NOBODY_UID $NOBODY_UID" ]
	[ "$(auth_proc_field "$child" Gid)" = \
	    "$NOBODY_GID $NOBODY_GID $NOBODY_GID $NOBODY_GID" ]
	[ "$(auth_proc_field "$child" Groups)" = "" ]
	[ "$(auth_proc_field "$child" CapEff)" = 0000000000000000 ]
	[ "$(auth_proc_field "$child" CapPrm)" = 0000000000000000 ]
	[ "$(auth_proc_field "$child" NoNewPrivs)" = 1 ]
	# its root is an empty directory that no longer exists (not in
	# sanitizer builds: their leak check at exit needs /proc)
	if ! ldd "$BIN_DIR/imapd" | grep -q libasan; then
		[[ "$(readlink "/proc/$child/root")" == /tmp/imapd-login.*" (deleted)" ]]
	fi
	[ "$(readlink "/proc/$child/fd/0")" = "$(readlink "/proc/$mon/fd/0")" ]
	[ "$(readlink "/proc/$child/fd/1")" = "$(readlink "/proc/$mon/fd/1")" ]
	LOGIN_PID=$child
}

# assert_session PID: after login, PID runs as the user and alone.
assert_session() {
	local pid=$1
	[ "$(auth_proc_field "$pid" Uid)" = \
	    "$TEST_UID $TEST_UID $TEST_UID $TEST_UID" ]
	[ "$(auth_proc_field "$pid" CapPrm)" = 0000000000000000 ]
	[ -z "$(children "$pid")" ]
	! kill -0 "$LOGIN_PID" 2>/dev/null
}

@test "privsep: imapd as root parses pre-login input as nobody in an empty root; after LOGIN only the user's process is left" {
	is_root || skip "privilege separation needs root"
	auth_bg_start "$BIN_DIR/imapd" --passwd-file="$PASSWD" --auth-delay=0
	auth_bg_wait '\* OK \[CAPABILITY .*\] imapd ready'
	assert_login_process "$AUTH_BG_PID"
	auth_bg_send "a LOGIN alice wrong"
	auth_bg_wait 'a NO \[AUTHENTICATIONFAILED\] Authentication failed'
	# a failure leaves the same login process in place
	[ "$(children "$AUTH_BG_PID")" = "$LOGIN_PID" ]
	auth_bg_send "b LOGIN alice secret"
	auth_bg_wait 'b OK \[CAPABILITY .*\] Logged in'
	assert_session "$AUTH_BG_PID"
	auth_bg_send "c LOGOUT"
	auth_bg_end
	[ "$(tail -n 2 <<< "$output")" = $'* BYE Logging out\nc OK LOGOUT completed' ]
}

@test "privsep: pop3d as root: the same split, and AUTH PLAIN hands over to the user's process" {
	is_root || skip "privilege separation needs root"
	auth_bg_start "$BIN_DIR/pop3d" --passwd-file="$PASSWD" --auth-delay=0
	auth_bg_wait '\+OK POP3 server ready'
	assert_login_process "$AUTH_BG_PID"
	auth_bg_send "AUTH PLAIN $(printf 'alice\0alice\0secret' | base64 -w0)"
	auth_bg_wait '\+OK Logged in, 0 messages \(0 octets\)'
	assert_session "$AUTH_BG_PID"
	auth_bg_send "QUIT"
	auth_bg_end
	[ "$(tail -n 1 <<< "$output")" = "+OK Bye, 0 messages deleted" ]
}

@test "privsep: a session that ends before login ends both processes" {
	is_root || skip "privilege separation needs root"
	auth_bg_start "$BIN_DIR/imapd" --passwd-file="$PASSWD" --auth-delay=0
	auth_bg_wait '\* OK .*'
	assert_login_process "$AUTH_BG_PID"
	auth_bg_send "z LOGOUT"
	local i
	for i in $(seq 100); do
		kill -0 "$AUTH_BG_PID" 2>/dev/null || break
		sleep 0.05
	done
	! kill -0 "$AUTH_BG_PID" 2>/dev/null
	! kill -0 "$LOGIN_PID" 2>/dev/null
	wait "$AUTH_BG_PID"	# the monitor exits with the login process's status
	auth_bg_end
	[ "$(tail -n 1 <<< "$output")" = "z OK LOGOUT completed" ]
}

@test "privsep: an unknown --login-user refuses the session with BYE / -ERR and a log line" {
	is_root || skip "privilege separation needs root"
	run bash -c "printf 'a CAPABILITY\r\n' | '$BIN_DIR/imapd' --passwd-file='$PASSWD' --login-user=no-such-user --log-stderr 2>'$TEST_ROOT/err' | tr -d '\r'"
	[ "$output" = "* BYE Server misconfigured" ]
	grep -q 'privsep: login user no-such-user: unknown' "$TEST_ROOT/err"
	run bash -c "printf 'CAPA\r\n' | '$BIN_DIR/pop3d' --passwd-file='$PASSWD' --login-user=no-such-user 2>/dev/null | tr -d '\r'"
	[ "$output" = "-ERR [SYS/PERM] Server misconfigured" ]
}

# Everything in one write: the login and what follows it must run once,
# in order, whichever process read it.
@test "privsep: IMAP commands pipelined behind LOGIN and AUTHENTICATE run once, in order" {
	deliver_text <<-'EOF'
	From: a@example.com
	Subject: one

	body
	EOF
	local ir
	ir=$(printf 'alice\0alice\0secret' | base64 -w0)
	run bash -c "printf 'a LOGIN alice wrong\r\nb LOGIN alice secret\r\nc SELECT INBOX\r\nd UID FETCH 1:* (FLAGS)\r\ne LOGOUT\r\n' |
	    '$BIN_DIR/imapd' --passwd-file='$PASSWD' --auth-delay=0 | tr -d '\r'"
	[ "$status" -eq 0 ]
	grep -qx 'a NO \[AUTHENTICATIONFAILED\] Authentication failed' <<< "$output"
	grep -qx 'b OK \[CAPABILITY .*\] Logged in' <<< "$output"
	grep -qx 'c OK \[READ-WRITE\] SELECT completed' <<< "$output"
	grep -qx '\* 1 FETCH (UID 1 FLAGS (\\Recent))' <<< "$output"
	[ "$(grep -c '^[a-e] ' <<< "$output")" -eq 5 ]
	[ "$(tail -n 1 <<< "$output")" = "e OK LOGOUT completed" ]
	# the continuation of AUTHENTICATE and what follows in the same write
	run bash -c "printf 'a AUTHENTICATE PLAIN\r\n$ir\r\nb NOOP\r\nc LOGOUT\r\n' |
	    '$BIN_DIR/imapd' --passwd-file='$PASSWD' --auth-delay=0 | tr -d '\r'"
	grep -qx 'a OK \[CAPABILITY .*\] Logged in' <<< "$output"
	grep -qx 'b OK Completed' <<< "$output"
	[ "$(tail -n 1 <<< "$output")" = "c OK LOGOUT completed" ]
}

@test "privsep: 2000 IMAP commands pipelined after LOGIN (about 40 KB) are all answered" {
	run bash -c "{ printf 'a LOGIN alice secret\r\n'
	    for i in \$(seq 2000); do printf 'n%05d NOOP\r\n' \$i; done
	    printf 'z LOGOUT\r\n'; } |
	    '$BIN_DIR/imapd' --passwd-file='$PASSWD' --auth-delay=0 | tr -d '\r'"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^n[0-9]* OK Completed$' <<< "$output")" -eq 2000 ]
	grep -qx 'n00001 OK Completed' <<< "$output"
	grep -qx 'n02000 OK Completed' <<< "$output"
	[ "$(tail -n 1 <<< "$output")" = "z OK LOGOUT completed" ]
}

@test "privsep: POP3 commands pipelined behind PASS and AUTH PLAIN run once, in order" {
	deliver_text <<-'EOF'
	Subject: one

	body
	EOF
	run bash -c "printf 'USER alice\r\nPASS secret\r\nSTAT\r\nDELE 1\r\nSTAT\r\nQUIT\r\n' |
	    '$BIN_DIR/pop3d' --passwd-file='$PASSWD' --auth-delay=0 | tr -d '\r'"
	[ "$status" -eq 0 ]
	[ "$output" = "+OK POP3 server ready
+OK Send your password
+OK Logged in, 1 message (22 octets)
+OK 1 22
+OK Message deleted
+OK 0 0
+OK Bye, 1 message deleted" ]
	[ -z "$(find "$MAILDIR/new" "$MAILDIR/cur" -type f)" ]
	run bash -c "printf 'AUTH PLAIN $(printf 'alice\0alice\0secret' | base64 -w0)\r\nSTAT\r\nQUIT\r\n' |
	    '$BIN_DIR/pop3d' --passwd-file='$PASSWD' --auth-delay=0 | tr -d '\r'"
	[ "$output" = "+OK POP3 server ready
+OK Logged in, 0 messages (0 octets)
+OK 0 0
+OK Bye, 0 messages deleted" ]
}

@test "privsep: temporary failures count toward the failed-login limit (IMAP as POP3)" {
	printf 'zero:{PLAIN}pw:0:0::%s::\n' "$TEST_HOME" >> "$PASSWD"
	run bash -c "printf 'a LOGIN zero pw\r\nb LOGIN zero pw\r\nc LOGIN zero pw\r\nd LOGIN alice secret\r\n' |
	    '$BIN_DIR/imapd' --passwd-file='$PASSWD' --auth-delay=0 | tr -d '\r'"
	[ "$status" -eq 0 ]
	[ "$(sed 1d <<< "$output")" = "a NO [UNAVAILABLE] Authentication temporarily unavailable
b NO [UNAVAILABLE] Authentication temporarily unavailable
c NO [UNAVAILABLE] Authentication temporarily unavailable
* BYE Too many authentication failures" ]
}
