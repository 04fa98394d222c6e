#!/usr/bin/env bats
# pop3d TRANSACTION and UPDATE: STAT, LIST, UIDL, RETR, TOP, DELE, RSET,
# NOOP, QUIT, and the Maildir on disk afterwards.

load helpers
load lib/pop3

setup() {
	common_setup
}

teardown() {
	common_teardown
}

# Deliver the fixtures in a fixed order; message i is FIX[i].
deliver_fixtures() {
	FIX=("" plain.eml dotlines.eml utf8.eml binary.eml crlf.eml \
	    empty-body.eml no-newline.eml)
	local i
	for i in $(seq 1 7); do
		deliver "$FIXTURES/${FIX[$i]}" "1700000000.M${i}P1.fixture"
		TOTAL=$(( ${TOTAL:-0} + $(crlf_size "$FIXTURES/${FIX[$i]}") ))
	done
}

# retr_check I: RETR I sends exactly the fixture, CRLF and dot-stuffed.
retr_check() {
	local f=$FIXTURES/${FIX[$1]} out=$TEST_ROOT/retr.out
	printf 'USER alice\r\nPASS secret\r\nRETR %s\r\nQUIT\r\n' "$1" |
	    pop3_raw "$out"
	grep -q "^+OK $(crlf_size "$f") octets"$'\r'"\$" "$out"
	response_body "$out" '\+OK [0-9]+ octets' > "$TEST_ROOT/got"
	pop3_expected "$f" > "$TEST_ROOT/want"
	cmp "$TEST_ROOT/want" "$TEST_ROOT/got"
}

@test "STAT: empty mailbox -> +OK 0 0" {
	pop3_session <<-'EOF'
	USER alice
	PASS secret
	STAT
	LIST
	UIDL
	QUIT
	EOF
	expect_output <<-'EOF'
	+OK POP3 server ready
	+OK Send your password
	+OK Logged in, 0 messages (0 octets)
	+OK 0 0
	+OK 0 messages (0 octets)
	.
	+OK Unique-ID listing follows
	.
	+OK Bye, 0 messages deleted
	EOF
}

@test "STAT and LIST: counts and CRLF sizes" {
	deliver_fixtures
	local i total=0 list=""
	for i in $(seq 1 7); do
		s=$(crlf_size "$FIXTURES/${FIX[$i]}")
		total=$((total + s))
		list+="$i $s"$'\n'
	done
	pop3_session <<-'EOF'
	USER alice
	PASS secret
	STAT
	LIST
	LIST 3
	list 7
	QUIT
	EOF
	expect_output <<-EOF
	+OK POP3 server ready
	+OK Send your password
	+OK Logged in, 7 messages ($total octets)
	+OK 7 $total
	+OK 7 messages ($total octets)
	${list}.
	+OK 3 $(crlf_size "$FIXTURES/utf8.eml")
	+OK 7 $(crlf_size "$FIXTURES/no-newline.eml")
	+OK Bye, 0 messages deleted
	EOF
}

@test "LIST/RETR/TOP/DELE/UIDL: out of range -> -ERR No such message" {
	deliver "$FIXTURES/plain.eml"
	pop3_session <<-'EOF'
	USER alice
	PASS secret
	LIST 0
	LIST 2
	RETR 0
	RETR 2
	TOP 2 0
	DELE 2
	UIDL 2
	LIST 1
	QUIT
	EOF
	expect_output <<-EOF
	+OK POP3 server ready
	+OK Send your password
	+OK Logged in, 1 message ($(crlf_size "$FIXTURES/plain.eml") octets)
	-ERR No such message
	-ERR No such message
	-ERR No such message
	-ERR No such message
	-ERR No such message
	-ERR No such message
	-ERR No such message
	+OK 1 $(crlf_size "$FIXTURES/plain.eml")
	+OK Bye, 0 messages deleted
	EOF
	[ "$(count_msgs cur)" -eq 1 ]
}

@test "RETR: plain text, exact bytes" {
	deliver_fixtures
	retr_check 1
}

# RFC 1939 §3: lines starting with "." are byte-stuffed
@test "RETR: lines starting with '.' are dot-stuffed" {
	deliver_fixtures
	retr_check 2
	grep -q $'^\\.\\.hidden line\r$' "$TEST_ROOT/got"
	grep -q $'^\\.\\.\\.\\. three dots\r$' "$TEST_ROOT/got"
}

@test "RETR: 8-bit UTF-8 body passes unchanged" {
	deliver_fixtures
	retr_check 3
	grep -q 'Grüße aus München!' "$TEST_ROOT/got"
}

@test "RETR: binary-looking bytes and a lone CR pass unchanged" {
	deliver_fixtures
	retr_check 4
}

@test "RETR: a message stored with CRLF is not doubled" {
	deliver_fixtures
	retr_check 5
	! grep -q $'\r\r' "$TEST_ROOT/got"
}

@test "RETR: empty body" {
	deliver_fixtures
	retr_check 6
}

@test "RETR: no trailing newline -> CRLF added before the final dot" {
	deliver_fixtures
	retr_check 7
	tail -c 30 "$TEST_ROOT/got" | grep -q $'without newline\r$'
}

@test "RETR: the same message twice, then QUIT" {
	deliver "$FIXTURES/plain.eml"
	pop3_session <<-'EOF'
	USER alice
	PASS secret
	RETR 1
	RETR 1
	QUIT
	EOF
	[ "$(grep -c '^+OK [0-9]* octets$' <<< "$output")" -eq 2 ]
	[ "${lines[-1]}" = "+OK Bye, 0 messages deleted" ]
}

@test "TOP n 0: header and the blank line only" {
	deliver_fixtures
	pop3_session <<-'EOF'
	USER alice
	PASS secret
	TOP 1 0
	QUIT
	EOF
	expect_output <<-EOF
	+OK POP3 server ready
	+OK Send your password
	+OK Logged in, 7 messages ($TOTAL octets)
	+OK Top of message follows
	From: Bob Sender <bob@example.org>
	To: Alice <alice@example.org>
	Subject: Plain text test
	Date: Mon, 02 Nov 2026 10:00:00 +0000
	Message-ID: <plain.1@example.org>
	MIME-Version: 1.0
	Content-Type: text/plain; charset=us-ascii

	.
	+OK Bye, 0 messages deleted
	EOF
}

@test "TOP n m: header plus m body lines, dot-stuffed" {
	deliver_fixtures
	pop3_session <<-'EOF'
	USER alice
	PASS secret
	TOP 2 3
	TOP 1 2
	QUIT
	EOF
	expect_output <<-EOF
	+OK POP3 server ready
	+OK Send your password
	+OK Logged in, 7 messages ($TOTAL octets)
	+OK Top of message follows
	From: bob@example.org
	To: alice@example.org
	Subject: Lines starting with dots
	Date: Mon, 02 Nov 2026 10:01:00 +0000
	Message-ID: <dots.1@example.org>

	..
	...
	..hidden line
	.
	+OK Top of message follows
	From: Bob Sender <bob@example.org>
	To: Alice <alice@example.org>
	Subject: Plain text test
	Date: Mon, 02 Nov 2026 10:00:00 +0000
	Message-ID: <plain.1@example.org>
	MIME-Version: 1.0
	Content-Type: text/plain; charset=us-ascii

	Hello Alice,

	.
	+OK Bye, 0 messages deleted
	EOF
}

@test "TOP: more lines than the body has -> the whole message" {
	deliver_fixtures
	local out=$TEST_ROOT/top.out
	printf 'USER alice\r\nPASS secret\r\nTOP 7 4294967295\r\nTOP 5 1000\r\nQUIT\r\n' |
	    pop3_raw "$out"
	response_body "$out" '\+OK Top' > "$TEST_ROOT/got"
	pop3_expected "$FIXTURES/no-newline.eml" > "$TEST_ROOT/want"
	cmp "$TEST_ROOT/want" "$TEST_ROOT/got"
	# the second TOP: the CRLF-stored message, whole
	python3 -c 'import sys
d = open(sys.argv[1], "rb").read()
i = d.index(b"+OK Top", d.index(b"+OK Top") + 1)
sys.stdout.buffer.write(d[d.index(b"\n", i) + 1:d.index(b"\r\n.\r\n", i) + 5])' \
	    "$out" > "$TEST_ROOT/got5"
	pop3_expected "$FIXTURES/crlf.eml" > "$TEST_ROOT/want5"
	cmp "$TEST_ROOT/want5" "$TEST_ROOT/got5"
}

@test "TOP: bad line counts -> -ERR" {
	deliver "$FIXTURES/plain.eml"
	pop3_session <<-'EOF'
	USER alice
	PASS secret
	TOP 1 -1
	TOP 1 +1
	TOP 1 4294967296
	TOP 1 x
	TOP 1
	TOP 1 1 1
	QUIT
	EOF
	expect_output <<-EOF
	+OK POP3 server ready
	+OK Send your password
	+OK Logged in, 1 message ($(crlf_size "$FIXTURES/plain.eml") octets)
	-ERR Invalid number of lines
	-ERR Invalid number of lines
	-ERR Invalid number of lines
	-ERR Invalid number of lines
	-ERR Syntax error
	-ERR Syntax error
	+OK Bye, 0 messages deleted
	EOF
}

@test "UIDL: %08X%08X of UID and UIDVALIDITY, single and listing agree" {
	deliver_fixtures
	pop3_session <<-'EOF'
	USER alice
	PASS secret
	UIDL
	UIDL 4
	QUIT
	EOF
	local uidl=("${lines[@]:4:7}")
	[ "${#uidl[@]}" -eq 7 ]
	local i prev=0 v=""
	for i in $(seq 1 7); do
		[[ "${uidl[$((i - 1))]}" =~ ^$i\ ([0-9A-F]{8})([0-9A-F]{8})$ ]]
		uid=$((16#${BASH_REMATCH[1]}))
		[ "$uid" -gt "$prev" ]
		prev=$uid
		[ -z "$v" ] || [ "$v" = "${BASH_REMATCH[2]}" ]
		v=${BASH_REMATCH[2]}
	done
	[ "${lines[3]}" = "+OK Unique-ID listing follows" ]
	[ "${lines[11]}" = "." ]
	[ "${lines[12]}" = "+OK ${uidl[3]}" ]
}

@test "UIDL: stable across sessions, also after a deletion" {
	deliver_fixtures
	pop3_session <<-'EOF'
	USER alice
	PASS secret
	UIDL
	DELE 2
	QUIT
	EOF
	local first=("${lines[@]:4:7}")
	pop3_session <<-'EOF'
	USER alice
	PASS secret
	UIDL
	QUIT
	EOF
	local second=("${lines[@]:4:6}")
	[ "${lines[10]}" = "." ]
	# message 2 is gone; the others keep their UIDL, renumbered
	[ "${second[0]#* }" = "${first[0]#* }" ]
	for i in 1 2 3 4 5; do
		[ "${second[$i]#* }" = "${first[$((i + 1))]#* }" ]
		[ "${second[$i]%% *}" = "$((i + 1))" ]
	done
}

@test "DELE + QUIT: the file is removed" {
	deliver_fixtures
	pop3_session <<-'EOF'
	USER alice
	PASS secret
	DELE 1
	DELE 3
	DELE 3
	STAT
	LIST
	QUIT
	EOF
	expect_output <<-EOF
	+OK POP3 server ready
	+OK Send your password
	+OK Logged in, 7 messages ($TOTAL octets)
	+OK Message deleted
	+OK Message deleted
	-ERR No such message
	+OK 5 $(($TOTAL - $(crlf_size "$FIXTURES/plain.eml") - $(crlf_size "$FIXTURES/utf8.eml")))
	+OK 5 messages ($(($TOTAL - $(crlf_size "$FIXTURES/plain.eml") - $(crlf_size "$FIXTURES/utf8.eml"))) octets)
	2 $(crlf_size "$FIXTURES/dotlines.eml")
	4 $(crlf_size "$FIXTURES/binary.eml")
	5 $(crlf_size "$FIXTURES/crlf.eml")
	6 $(crlf_size "$FIXTURES/empty-body.eml")
	7 $(crlf_size "$FIXTURES/no-newline.eml")
	.
	+OK Bye, 2 messages deleted
	EOF
	[ "$(count_msgs cur)" -eq 5 ]
	[ "$(count_msgs new)" -eq 0 ]
	! ls "$MAILDIR/cur" | grep -q 'M1P1\|M3P1'
}

@test "DELE then LIST n and RETR of the deleted message -> -ERR" {
	deliver_fixtures
	pop3_session <<-'EOF'
	USER alice
	PASS secret
	DELE 2
	LIST 2
	RETR 2
	TOP 2 1
	UIDL 2
	DELE 2
	LIST 3
	EOF
	expect_output <<-EOF
	+OK POP3 server ready
	+OK Send your password
	+OK Logged in, 7 messages ($TOTAL octets)
	+OK Message deleted
	-ERR No such message
	-ERR No such message
	-ERR No such message
	-ERR No such message
	-ERR No such message
	+OK 3 $(crlf_size "$FIXTURES/utf8.eml")
	EOF
}

@test "DELE + EOF (no QUIT): nothing is removed or changed" {
	deliver_fixtures
	pop3_session <<-'EOF'
	USER alice
	PASS secret
	EOF
	local before
	before=$(maildir_listing)
	pop3_session <<-'EOF'
	USER alice
	PASS secret
	RETR 1
	DELE 1
	DELE 2
	EOF
	[ "${lines[-1]}" = "+OK Message deleted" ]
	[ "$(maildir_listing)" = "$before" ]
	[ "$(count_msgs cur)" -eq 7 ]
}

@test "DELE + RSET + QUIT: nothing is removed" {
	deliver_fixtures
	pop3_session <<-'EOF'
	USER alice
	PASS secret
	DELE 1
	DELE 7
	RSET
	STAT
	LIST 7
	QUIT
	EOF
	expect_output <<-EOF
	+OK POP3 server ready
	+OK Send your password
	+OK Logged in, 7 messages ($TOTAL octets)
	+OK Message deleted
	+OK Message deleted
	+OK 7 messages ($TOTAL octets)
	+OK 7 $TOTAL
	+OK 7 $(crlf_size "$FIXTURES/no-newline.eml")
	+OK Bye, 0 messages deleted
	EOF
	[ "$(count_msgs cur)" -eq 7 ]
}

@test "RETR + QUIT: the message gets the S flag, others do not" {
	deliver_fixtures
	pop3_session <<-'EOF'
	USER alice
	PASS secret
	RETR 2
	TOP 3 1
	QUIT
	EOF
	[ "${lines[-1]}" = "+OK Bye, 0 messages deleted" ]
	ls "$MAILDIR/cur" | grep -q '^1700000000\.M2P1\.fixture:2,[A-Z]*S'
	[ "$(ls "$MAILDIR/cur" | grep -c ':2,[A-Z]*S')" -eq 1 ]
}

@test "RETR + EOF: no S flag" {
	deliver_fixtures
	pop3_session <<-'EOF'
	USER alice
	PASS secret
	RETR 2
	EOF
	[ "$(ls "$MAILDIR/cur" "$MAILDIR/new" | grep -c ':2,[A-Z]*S')" -eq 0 ]
}

@test "NOOP and RSET on an empty mailbox" {
	pop3_session <<-'EOF'
	USER alice
	PASS secret
	NOOP
	RSET
	noop
	QUIT
	EOF
	expect_output <<-'EOF'
	+OK POP3 server ready
	+OK Send your password
	+OK Logged in, 0 messages (0 octets)
	+OK
	+OK 0 messages (0 octets)
	+OK
	+OK Bye, 0 messages deleted
	EOF
}

@test "QUIT: deleting everything empties the Maildir" {
	deliver_fixtures
	pop3_session <<-'EOF'
	USER alice
	PASS secret
	DELE 1
	DELE 2
	DELE 3
	DELE 4
	DELE 5
	DELE 6
	DELE 7
	STAT
	QUIT
	EOF
	[ "${lines[-2]}" = "+OK 0 0" ]
	[ "${lines[-1]}" = "+OK Bye, 7 messages deleted" ]
	[ "$(count_msgs cur)" -eq 0 ]
	[ "$(count_msgs new)" -eq 0 ]
}

@test "large mailbox: 3000 messages, STAT/LIST/UIDL counts and a RETR" {
	deliver_many 3000
	local out=$TEST_ROOT/big.out
	printf 'USER alice\r\nPASS secret\r\nSTAT\r\nLIST\r\nUIDL\r\nRETR 2999\r\nDELE 3000\r\nQUIT\r\n' |
	    pop3_raw "$out"
	tr -d '\r' < "$out" > "$out.lf"
	grep -q '^+OK Logged in, 3000 messages' "$out.lf"
	grep -qx '+OK 3000 [0-9]*' "$out.lf"
	[ "$(grep -cE '^[0-9]+ [0-9]+$' "$out.lf")" -eq 3000 ]
	[ "$(grep -cE '^[0-9]+ [0-9A-F]{16}$' "$out.lf")" -eq 3000 ]
	[ "$(grep -E '^[0-9]+ [0-9A-F]{16}$' "$out.lf" | cut -d' ' -f2 |
	    sort -u | wc -l)" -eq 3000 ]
	grep -qx 'Subject: bulk [0-9]*' "$out.lf"
	grep -qx '+OK Bye, 1 message deleted' "$out.lf"
	[ "$(count_msgs cur)" -eq 2999 ]
}

@test "unreadable message: left out of the view, the rest is served" {
	deliver "$FIXTURES/plain.eml" 1700000000.M1P1.unreadable
	deliver "$FIXTURES/utf8.eml" 1700000000.M2P1.fine
	chmod 000 "$MAILDIR/new/1700000000.M1P1.unreadable"
	pop3_session <<-'EOF'
	USER alice
	PASS secret
	TOP 1 0
	QUIT
	EOF
	[ "${lines[2]}" = "+OK Logged in, 1 message ($(crlf_size "$FIXTURES/utf8.eml") octets)" ]
	[ "${lines[3]}" = "+OK Top of message follows" ]
	[ "${lines[4]}" = "From: =?UTF-8?B?SsO8cmdlbg==?= <juergen@example.org>" ]
	[ "${lines[-1]}" = "+OK Bye, 0 messages deleted" ]
	# nothing lost: both files are still there
	[ "$(( $(count_msgs cur) + $(count_msgs new) ))" -eq 2 ]
}
