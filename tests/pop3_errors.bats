#!/usr/bin/env bats
# pop3d hostile input: long lines, NUL, unknown commands, bad numbers,
# bad-command limits, timeouts.  Every case: a clear -ERR, the process
# alive afterwards, the Maildir unchanged.

load helpers
load lib/pop3

setup() {
	common_setup
	deliver "$FIXTURES/plain.eml" 1700000000.M1P1.err
	deliver "$FIXTURES/dotlines.eml" 1700000000.M2P1.err
	# a first session lets the store settle (new/ -> cur/, UID list)
	pop3_session <<-'EOF'
	USER alice
	PASS secret
	EOF
	BEFORE=$(maildir_listing)
	TOTAL=$(( $(crlf_size "$FIXTURES/plain.eml") + \
	    $(crlf_size "$FIXTURES/dotlines.eml") ))
}

teardown() {
	common_teardown
}

maildir_unchanged() {
	[ "$(maildir_listing)" = "$BEFORE" ]
}

# RFC 2449 §4: 255 octets at least; ours is POP3_LINE_MAX = 1024
@test "line: 1024 octets is accepted, 1025 -> -ERR Line too long" {
	local pad1024 pad1025
	pad1024="NOOP$(printf ' %.0s' $(seq 1020))"
	pad1025="$pad1024 "
	pop3_session <<-EOF
	USER alice
	PASS secret
	$pad1024
	$pad1025
	NOOP
	QUIT
	EOF
	expect_output <<-EOF
	+OK POP3 server ready
	+OK Send your password
	+OK Logged in, 2 messages ($TOTAL octets)
	+OK
	-ERR Line too long
	+OK
	+OK Bye, 0 messages deleted
	EOF
	maildir_unchanged
}

@test "line: a huge line is one error, not several commands" {
	local big
	big=$(printf 'DELE 1 %.0s' $(seq 2000))
	pop3_session <<-EOF
	USER alice
	PASS secret
	$big
	STAT
	QUIT
	EOF
	expect_output <<-EOF
	+OK POP3 server ready
	+OK Send your password
	+OK Logged in, 2 messages ($TOTAL octets)
	-ERR Line too long
	+OK 2 $TOTAL
	+OK Bye, 0 messages deleted
	EOF
	maildir_unchanged
}

@test "line: long line before login -> -ERR, session continues" {
	pop3_session <<-EOF
	USER $(printf 'x%.0s' $(seq 2000))
	QUIT
	EOF
	expect_output <<-'EOF'
	+OK POP3 server ready
	-ERR Line too long
	+OK Bye
	EOF
}

@test "NUL: a line with a NUL byte is rejected whole" {
	session_raw "$BIN_DIR/pop3d" --passwd-file="$PASSWD" --auth-delay=0 \
	    < <(printf 'USER alice\r\nPASS secret\r\nDELE 1\0DELE 2\r\nRETR\0\r\nSTAT\r\nQUIT\r\n')
	expect_output <<-EOF
	+OK POP3 server ready
	+OK Send your password
	+OK Logged in, 2 messages ($TOTAL octets)
	-ERR Invalid characters in line
	-ERR Invalid characters in line
	+OK 2 $TOTAL
	+OK Bye, 0 messages deleted
	EOF
	maildir_unchanged
}

@test "NUL: in a password line -> -ERR, no login" {
	session_raw "$BIN_DIR/pop3d" --passwd-file="$PASSWD" --auth-delay=0 \
	    < <(printf 'USER alice\r\nPASS secret\0x\r\nSTAT\r\nQUIT\r\n')
	expect_output <<-'EOF'
	+OK POP3 server ready
	+OK Send your password
	-ERR Invalid characters in line
	-ERR Not logged in
	+OK Bye
	EOF
}

@test "unknown commands -> -ERR Unknown command, input never echoed" {
	pop3_session <<-'EOF'
	HELO there
	APOP alice 0123456789abcdef0123456789abcdef
	XYZZY<b>%s%n
	LAST

	   
	USER alice
	PASS secret
	XTND XMIT
	EOF
	expect_output <<-EOF
	+OK POP3 server ready
	-ERR Unknown command
	-ERR Unknown command
	-ERR Unknown command
	-ERR Unknown command
	-ERR Unknown command
	-ERR Unknown command
	+OK Send your password
	+OK Logged in, 2 messages ($TOTAL octets)
	-ERR Unknown command
	EOF
	! grep -q 'XYZZY\|there\|XMIT' <<< "$output"
	maildir_unchanged
}

@test "commands: case-insensitive, extra spaces between arguments tolerated" {
	pop3_session <<-'EOF'
	uSeR alice
	PaSs secret
	list   1
	top 1  0
	QUIT
	EOF
	[ "${lines[3]}" = "+OK 1 $(crlf_size "$FIXTURES/plain.eml")" ]
	[ "${lines[4]}" = "+OK Top of message follows" ]
	[ "${lines[-1]}" = "+OK Bye, 0 messages deleted" ]
}

# popa3d DESIGN: "LIST 4294967297" must not become "LIST 1"
@test "numbers: overflow, signs, junk -> -ERR, never another message" {
	pop3_session <<-'EOF'
	USER alice
	PASS secret
	LIST 4294967297
	LIST 4294967296
	LIST 18446744073709551617
	RETR -1
	RETR +1
	DELE 1x
	DELE 0x1
	DELE 1.0
	UIDL 4294967295
	LIST 00000000000000000000000000000000001
	QUIT
	EOF
	expect_output <<-EOF
	+OK POP3 server ready
	+OK Send your password
	+OK Logged in, 2 messages ($TOTAL octets)
	-ERR Invalid message number
	-ERR Invalid message number
	-ERR Invalid message number
	-ERR Invalid message number
	-ERR Invalid message number
	-ERR Invalid message number
	-ERR Invalid message number
	-ERR Invalid message number
	-ERR No such message
	+OK 1 $(crlf_size "$FIXTURES/plain.eml")
	+OK Bye, 0 messages deleted
	EOF
	maildir_unchanged
}

@test "arguments: missing or extra -> -ERR Syntax error" {
	pop3_session <<-'EOF'
	USER alice
	PASS secret
	RETR
	DELE
	DELE 1 2
	LIST 1 2
	STAT 1
	NOOP x
	RSET x
	QUIT now
	QUIT
	EOF
	expect_output <<-EOF
	+OK POP3 server ready
	+OK Send your password
	+OK Logged in, 2 messages ($TOTAL octets)
	-ERR Syntax error
	-ERR Syntax error
	-ERR Syntax error
	-ERR Syntax error
	-ERR Syntax error
	-ERR Syntax error
	-ERR Syntax error
	-ERR Syntax error
	+OK Bye, 0 messages deleted
	EOF
	maildir_unchanged
}

@test "bad commands: the 10th before login closes the session" {
	pop3_session <<-'EOF'
	BAD1
	BAD2
	BAD3
	BAD4
	BAD5
	BAD6
	BAD7
	BAD8
	BAD9
	BAD10
	QUIT
	EOF
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 12 ]
	[ "${lines[9]}" = "-ERR Unknown command" ]
	[ "${lines[10]}" = "-ERR Unknown command" ]
	[ "${lines[11]}" = "-ERR Too many bad commands, closing" ]
}

@test "bad commands: 9 before login are tolerated" {
	pop3_session <<-'EOF'
	BAD1
	BAD2
	BAD3
	BAD4
	BAD5
	BAD6
	BAD7
	BAD8
	BAD9
	QUIT
	EOF
	[ "${lines[-1]}" = "+OK Bye" ]
}

@test "bad commands: the 50th after login closes without UPDATE" {
	local script=$'USER alice\nPASS secret\nDELE 1\n'
	script+=$(printf 'BAD\n%.0s' $(seq 49))
	script+=$'\nNOOP\nBAD\nQUIT\n'
	pop3_session <<< "$script"
	[ "$(grep -c '^-ERR Unknown command$' <<< "$output")" -eq 50 ]
	[ "${lines[-2]}" = "-ERR Unknown command" ]
	[ "${lines[-1]}" = "-ERR Too many bad commands, closing" ]
	[[ "$output" == *$'\n+OK\n'* ]]
	maildir_unchanged
}

@test "timeout: before login -> -ERR Timeout, closing" {
	run bash -c "(printf 'CAPA\r\n'; sleep 4) |
	    '$BIN_DIR/pop3d' --passwd-file='$PASSWD' --auth-delay=0 \
	    --login-timeout=1 | tr -d '\r'"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "-ERR Timeout, closing" ]
}

# RFC 1939 §3: a timeout closes without entering UPDATE
@test "timeout: after login -> closes, DELE'd messages stay" {
	run bash -c "(printf 'USER alice\r\nPASS secret\r\nDELE 1\r\nRETR 2\r\n';
	    sleep 4) | '$BIN_DIR/pop3d' --passwd-file='$PASSWD' \
	    --auth-delay=0 --idle-timeout=1 | tr -d '\r'"
	[ "${lines[3]}" = "+OK Message deleted" ]
	[ "${lines[-1]}" = "-ERR Timeout, closing" ]
	maildir_unchanged
}

@test "dropped connection in the middle of a command: nothing changes" {
	session_raw "$BIN_DIR/pop3d" --passwd-file="$PASSWD" --auth-delay=0 \
	    < <(printf 'USER alice\r\nPASS secret\r\nDELE 1\r\nDELE 2\r\nQUI')
	[ "${lines[-1]}" = "+OK Message deleted" ]
	maildir_unchanged
}

@test "options: -h and -V print to stdout, a bad option exits 2" {
	run "$BIN_DIR/pop3d" -h
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: pop3d"* ]]
	[[ "$output" == *"--passwd-file"* ]]
	run "$BIN_DIR/pop3d" --version
	[ "$status" -eq 0 ]
	[ "$output" = "pop3d 0.1" ]
	run "$BIN_DIR/pop3d" --no-such-option
	[ "$status" -eq 2 ]
	run "$BIN_DIR/pop3d" --login-timeout=abc
	[ "$status" -eq 2 ]
	run "$BIN_DIR/pop3d" extra-argument
	[ "$status" -eq 2 ]
}

@test "store: an unusable mail location -> -ERR [SYS/TEMP], exit 1" {
	run bash -c "printf 'USER alice\r\nPASS secret\r\nSTAT\r\n' |
	    '$BIN_DIR/pop3d' --passwd-file='$PASSWD' --auth-delay=0 \
	    --mail=maildir:/proc/self/no/such/Maildir"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[2]}" == "-ERR [SYS/TEMP] Cannot open the "* ]]
}

@test "AUTH: endless cancelled exchanges count as bad commands" {
	local script="" i
	for i in $(seq 12); do
		script+=$'AUTH PLAIN\n*\n'
	done
	pop3_session <<< "$script"
	[ "$(grep -c '^-ERR Authentication cancelled$' <<< "$output")" -eq 10 ]
	[ "${lines[-1]}" = "-ERR Too many bad commands, closing" ]
}
