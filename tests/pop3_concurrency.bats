#!/usr/bin/env bats
# pop3d with other things happening at once: pipelined commands, two
# sessions on one Maildir, a delivery in the middle of a session.

load helpers
load lib/pop3

setup() {
	common_setup
	local i
	for i in 1 2 3 4; do
		deliver "$FIXTURES/plain.eml" "1700000000.M${i}P1.conc"
	done
	SIZE=$(crlf_size "$FIXTURES/plain.eml")
}

teardown() {
	local v pid
	for v in ${!BG_PID_*}; do
		pid=${!v}
		kill "$pid" 2>/dev/null || true
	done
	common_teardown
}

# RFC 2449 §6.6 PIPELINING
@test "pipelining: every command in one write, answers in order" {
	printf 'USER alice\r\nPASS secret\r\nSTAT\r\nLIST 2\r\nUIDL 3\r\nTOP 1 0\r\nRETR 4\r\nDELE 1\r\nNOOP\r\nRSET\r\nDELE 2\r\nQUIT\r\n' > "$TEST_ROOT/script"
	session_raw "$BIN_DIR/pop3d" --passwd-file="$PASSWD" --auth-delay=0 \
	    < "$TEST_ROOT/script"
	# the status lines, in order (multi-line bodies skipped)
	run awk '/^[+-]/ && !body { print } /^\+OK (Top|[0-9]+ octets)/ { body = 1 }
	    /^\.$/ { body = 0 }' <<< "$output"
	output=$(sed -E 's/^(\+OK 3) [0-9A-F]{16}$/\1 UIDL/' <<< "$output")
	expect_output <<-EOF
	+OK POP3 server ready
	+OK Send your password
	+OK Logged in, 4 messages ($((4 * SIZE)) octets)
	+OK 4 $((4 * SIZE))
	+OK 2 $SIZE
	+OK 3 UIDL
	+OK Top of message follows
	+OK $SIZE octets
	+OK Message deleted
	+OK
	+OK 4 messages ($((4 * SIZE)) octets)
	+OK Message deleted
	+OK Bye, 1 message deleted
	EOF
	[ "$(count_msgs cur)" -eq 3 ]
}

@test "two sessions: A deletes, B retrieves the same message -> -ERR, no crash" {
	bg_start A
	bg_start B
	bg_send A "$POP3_LOGIN"
	bg_wait A '^+OK Logged in, 4 messages'
	bg_send B "$POP3_LOGIN"
	bg_wait B '^+OK Logged in, 4 messages'
	bg_send A $'DELE 1\nQUIT'
	bg_wait A '^+OK Bye, 1 message deleted'
	bg_end A
	[ "$(count_msgs cur)" -eq 3 ]
	bg_send B $'RETR 1\nLIST 1\nRETR 2\nDELE 2\nQUIT'
	bg_wait B '^+OK Bye'
	bg_end B
	run cat "$TEST_ROOT/B.out"
	# message 1 is gone from disk: its content cannot be sent any more
	[ "${lines[3]}" = "-ERR Message was removed by another session" ]
	# B's view is a snapshot: message numbers and sizes stay
	[ "${lines[4]}" = "+OK 1 $SIZE" ]
	[ "${lines[5]}" = "+OK $SIZE octets" ]
	[ "${lines[-1]}" = "+OK Bye, 1 message deleted" ]
	[ "$(count_msgs cur)" -eq 2 ]
	[ "$(count_msgs new)" -eq 0 ]
	# nothing duplicated: 2 distinct messages left, 3 and 4
	[ "$(ls "$MAILDIR/cur" | sed 's/:.*//' | sort -u | wc -l)" -eq 2 ]
	ls "$MAILDIR/cur" | grep -q 'M3P1'
	ls "$MAILDIR/cur" | grep -q 'M4P1'
}

@test "two sessions: both delete the same message, both QUIT" {
	bg_start A
	bg_start B
	bg_send A "$POP3_LOGIN"
	bg_wait A '^+OK Logged in'
	bg_send B "$POP3_LOGIN"
	bg_wait B '^+OK Logged in'
	bg_send A $'DELE 3\nQUIT'
	bg_wait A '^+OK Bye'
	bg_end A
	bg_send B $'DELE 3\nDELE 4\nQUIT'
	bg_wait B '^[+-]\(OK Bye\|ERR \[SYS\)'
	bg_end B
	run cat "$TEST_ROOT/B.out"
	[ "${lines[-1]}" = "+OK Bye, 2 messages deleted" ]
	[ "$(count_msgs cur)" -eq 2 ]
	ls "$MAILDIR/cur" | grep -q 'M1P1'
	ls "$MAILDIR/cur" | grep -q 'M2P1'
}

@test "two sessions: A marks \\Seen (renames), B can still RETR it" {
	bg_start A
	bg_start B
	bg_send A "$POP3_LOGIN"
	bg_wait A '^+OK Logged in'
	bg_send B "$POP3_LOGIN"
	bg_wait B '^+OK Logged in'
	bg_send A $'RETR 2\nQUIT'
	bg_wait A '^+OK Bye'
	bg_end A
	ls "$MAILDIR/cur" | grep -q 'M2P1.*:2,[A-Z]*S'
	bg_send B $'RETR 2\nQUIT'
	bg_wait B '^+OK Bye'
	bg_end B
	run cat "$TEST_ROOT/B.out"
	[ "${lines[3]}" = "+OK $SIZE octets" ]
	[ "${lines[4]}" = "From: Bob Sender <bob@example.org>" ]
	[ "$(count_msgs cur)" -eq 4 ]
}

@test "delivery during a session: invisible until the next session" {
	bg_start A
	bg_send A "$POP3_LOGIN"$'\nUIDL'
	bg_wait A '^\.$'
	local old
	old=$(grep -E '^[0-9]+ [0-9A-F]{16}$' "$TEST_ROOT/A.out")
	deliver "$FIXTURES/utf8.eml" 1700000001.M9P1.late
	bg_send A $'STAT\nLIST 5\nRETR 5\nQUIT'
	bg_wait A '^+OK Bye'
	bg_end A
	run cat "$TEST_ROOT/A.out"
	[ "${lines[9]}" = "+OK 4 $((4 * SIZE))" ]
	[ "${lines[10]}" = "-ERR No such message" ]
	[ "${lines[11]}" = "-ERR No such message" ]
	[ "${lines[12]}" = "+OK Bye, 0 messages deleted" ]
	pop3_session <<-'EOF'
	USER alice
	PASS secret
	UIDL
	LIST 5
	QUIT
	EOF
	[ "${lines[2]}" = "+OK Logged in, 5 messages ($((4 * SIZE + $(crlf_size "$FIXTURES/utf8.eml"))) octets)" ]
	local new
	new=$(grep -E '^[0-9]+ [0-9A-F]{16}$' <<< "$output")
	# the four old UIDLs are unchanged; the fifth is new
	[ "$(head -4 <<< "$new")" = "$old" ]
	local fifth=${lines[8]#5 }
	[[ "${lines[8]}" =~ ^5\ [0-9A-F]{16}$ ]]
	! grep -q "$fifth" <<< "$old"
	[ "${lines[10]}" = "+OK 5 $(crlf_size "$FIXTURES/utf8.eml")" ]
}
