#!/usr/bin/env bats
# imapd IDLE (RFC 2177): continuation, DONE, changes pushed while idling.

load helpers
load lib/imapd

setup() {
	common_setup
	[ -x "$BIN_DIR/imapd" ] || skip "build/imapd not built"
}
teardown() { common_teardown; }


# start_bg ARGS...: a server fed from the fifo $TEST_ROOT/in (fd 5),
# output (CR removed) in $TEST_ROOT/out.
start_bg() {
	mkfifo "$TEST_ROOT/in"
	timeout 30 bash -c '"${@:3}" < "$1/in" | sed -u "s/\r//g" > "$1/out"' _ \
	    "$TEST_ROOT" x "$BIN_DIR/imapd" --passwd-file="$PASSWD" \
	    --auth-delay=0 "$@" 3>&- &
	BG_PID=$!
	exec 5> "$TEST_ROOT/in"
}

# send LINE: one command line to the background server.
send() { printf '%s\r\n' "$1" >&5; }

# wait_for REGEX [SECONDS]: until a line of the output matches.
wait_for() {
	local i n=$(( ${2:-5} * 10 ))
	for i in $(seq 1 "$n"); do
		grep -Eq "^$1\$" "$TEST_ROOT/out" 2>/dev/null && return 0
		sleep 0.1
	done
	printf 'timed out waiting for %s\n--- output:\n' "$1" >&2
	cat "$TEST_ROOT/out" >&2
	return 1
}

finish_bg() {
	exec 5>&-
	wait "$BG_PID" || true
	output=$(cat "$TEST_ROOT/out")
	mapfile -t lines <<< "$output"
}

@test "idle: IDLE and DONE" {
	imapd_login <<-EOT
	a SELECT INBOX
	b IDLE
	DONE
	c IDLE
	done
	d IDLE
	EOT
	has "+ idling"
	tagged b OK
	tagged c OK
	tagged d BAD
}

@test "idle: IDLE in the authenticated state; garbage ends it with BAD" {
	imapd_login <<-EOT
	a IDLE
	DONE
	b IDLE
	NOOP
	c NOOP
	EOT
	tagged a OK
	tagged b BAD
	tagged c OK
}

@test "idle: new mail is pushed while idling" {
	put one
	start_bg
	send "a LOGIN alice secret"
	send "b SELECT INBOX"
	send "c IDLE"
	wait_for '\+ idling'
	put two
	wait_for '\* 2 EXISTS' 5
	send "DONE"
	wait_for 'c OK .*'
	send "d LOGOUT"
	finish_bg
	has "* 2 RECENT"
}

@test "idle: another session's flag change and expunge are pushed" {
	put one
	put two
	start_bg
	send "a LOGIN alice secret"
	send "b SELECT INBOX"
	send "c IDLE"
	wait_for '\+ idling'
	imapd_login <<-EOT
	x SELECT INBOX
	y STORE 1 +FLAGS.SILENT (\Flagged)
	EOT
	wait_for '\* 1 FETCH \(FLAGS \(\\Flagged( \\Recent)?\)\)' 5
	imapd_login <<-EOT
	x SELECT INBOX
	y STORE 2 +FLAGS.SILENT (\Deleted)
	z EXPUNGE
	EOT
	wait_for '\* 2 EXPUNGE' 5
	send "DONE"
	wait_for 'c OK .*'
	send "d LOGOUT"
	finish_bg
	tagged d OK
}

@test "idle: the idle timeout still applies" {
	start_bg --idle-timeout=2
	send "a LOGIN alice secret"
	send "b SELECT INBOX"
	send "c IDLE"
	wait_for '\* BYE Autologout; idle for too long' 8
	finish_bg
}
