#!/usr/bin/env bats
# imapd SELECT, EXAMINE, CLOSE, UNSELECT, EXPUNGE, UID EXPUNGE and the
# untagged updates between sessions.

load helpers
load lib/imapd

setup() {
	common_setup
	[ -x "$BIN_DIR/imapd" ] || skip "build/imapd not built"
}
teardown() { common_teardown; }


@test "select: SELECT reports FLAGS, counts, UNSEEN, UIDVALIDITY, UIDNEXT" {
	put one
	put two
	imapd_login <<-EOT
	a SELECT INBOX
	EOT
	[ "${lines[2]}" = '* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)' ]
	[ "${lines[3]}" = '* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted' ]
	[ "${lines[4]}" = '* 2 EXISTS' ]
	[ "${lines[5]}" = '* 2 RECENT' ]
	[ "${lines[6]}" = '* OK [UNSEEN 1] First unseen' ]
	[[ ${lines[7]} =~ ^\*\ OK\ \[UIDVALIDITY\ [1-9][0-9]*\]\  ]]
	[[ ${lines[8]} =~ ^\*\ OK\ \[UIDNEXT\ 3\]\  ]]
	tagged a OK READ-WRITE
	# read-write SELECT moved the messages to cur/
	[ "$(count_msgs new)" -eq 0 ]
	[ "$(count_msgs cur)" -eq 2 ]
}

@test "select: UIDVALIDITY and UIDs persist across sessions" {
	put one
	imapd_login <<-EOT
	a SELECT INBOX
	b UID FETCH 1:* UID
	EOT
	v1=$(grep -o 'UIDVALIDITY [0-9]*' <<< "$output")
	has '* 1 FETCH (UID 1)'
	put two
	imapd_login <<-EOT
	a SELECT INBOX
	b UID FETCH 1:* UID
	EOT
	v2=$(grep -o 'UIDVALIDITY [0-9]*' <<< "$output")
	[ "$v1" = "$v2" ]
	has '* 1 FETCH (UID 1)'
	has '* 2 FETCH (UID 2)'
	has '* 1 RECENT'
}

@test "select: EXAMINE is read-only and moves nothing" {
	put one
	imapd_login <<-EOT
	a EXAMINE INBOX
	b STORE 1 +FLAGS (\Seen)
	c EXPUNGE
	d FETCH 1 BODY[]
	EOT
	has '* OK [PERMANENTFLAGS ()] Read-only mailbox'
	tagged a OK READ-ONLY
	tagged b NO
	tagged c NO
	tagged d OK
	hasnt '.*FLAGS \(\\Seen.*'
	[ "$(count_msgs new)" -eq 1 ]
	[ "$(count_msgs cur)" -eq 0 ]
}

@test "select: a missing mailbox is NO [NONEXISTENT] and leaves no selection" {
	imapd_login <<-EOT
	a SELECT INBOX
	b SELECT Nope
	c FETCH 1 FLAGS
	EOT
	tagged a OK READ-WRITE
	tagged b NO NONEXISTENT
	tagged c BAD
}

@test "select: a second SELECT switches without expunging" {
	put one
	imapd_login <<-EOT
	a CREATE Other
	b SELECT INBOX
	c STORE 1 +FLAGS (\Deleted)
	d SELECT Other
	e STATUS INBOX (MESSAGES)
	EOT
	tagged d OK READ-WRITE
	has '* 0 EXISTS'
	has '* STATUS "INBOX" (MESSAGES 1)'
	hasnt '\* OK \[CLOSED\].*'
	[[ $(files cur) == *:2,T ]]
}

@test "select: CLOSE expunges silently; UNSELECT does not" {
	put one
	put two
	put three
	imapd_login <<-EOT
	a SELECT INBOX
	b STORE 1 +FLAGS.SILENT (\Deleted)
	c UNSELECT
	d SELECT INBOX
	e STORE 2 +FLAGS.SILENT (\Deleted)
	f CLOSE
	g STATUS INBOX (MESSAGES)
	h FETCH 1 FLAGS
	EOT
	tagged c OK
	has '* 3 EXISTS'
	tagged f OK
	hasnt '\* [0-9]+ EXPUNGE'
	has '* STATUS "INBOX" (MESSAGES 1)'
	tagged h BAD
	[ "$(count_msgs cur)" -eq 1 ]
}

@test "select: EXPUNGE reports each message, highest first" {
	for i in 1 2 3 4; do put "m$i"; done
	imapd_login <<-EOT
	a SELECT INBOX
	b STORE 2,4 +FLAGS.SILENT (\Deleted)
	c EXPUNGE
	d FETCH 1:* UID
	EOT
	[ "$(grep -A2 '^b OK' <<< "$output" | sed -n 2,3p | tr '\n' ' ')" = "* 4 EXPUNGE * 2 EXPUNGE " ]
	tagged c OK
	has '* 1 FETCH (UID 1)'
	has '* 2 FETCH (UID 3)'
	[ "$(count_msgs cur)" -eq 2 ]
}

@test "select: UID EXPUNGE removes only the named deleted messages" {
	for i in 1 2 3; do put "m$i"; done
	imapd_login <<-EOT
	a SELECT INBOX
	b STORE 1:3 +FLAGS.SILENT (\Deleted)
	c UID EXPUNGE 2:3
	d UID FETCH 1:* FLAGS
	e UID EXPUNGE 100:200
	EOT
	has '* 3 EXPUNGE'
	has '* 2 EXPUNGE'
	hasnt '\* 1 EXPUNGE'
	tagged c OK
	has '* 1 FETCH (UID 1 FLAGS (\Deleted \Recent))'
	tagged e OK
	[ "$(count_msgs cur)" -eq 1 ]
}

@test "select: new mail is announced with EXISTS and RECENT after NOOP" {
	put one
	timeout 20 bash -c '
	    { printf "a LOGIN alice secret\r\nb SELECT INBOX\r\n"; sleep 1
	      touch "$3/go"; sleep 2; printf "c NOOP\r\nd LOGOUT\r\n"; } |
	    "$1" --passwd-file="$2" --auth-delay=0 | tr -d "\r" > "$3/out"' _ \
	    "$BIN_DIR/imapd" "$PASSWD" "$TEST_ROOT" 3>&- &
	pid=$!
	for i in $(seq 1 50); do [ -e "$TEST_ROOT/go" ] && break; sleep 0.1; done
	put two
	wait $pid
	output=$(sed -n '/^b OK/,$p' "$TEST_ROOT/out")
	mapfile -t lines <<< "$output"
	[ "${lines[1]}" = "* 2 EXISTS" ]
	[ "${lines[2]}" = "* 2 RECENT" ]
	tagged c OK
}

@test "select: two sessions see each other's flag changes and expunges" {
	for i in 1 2 3; do put "m$i"; done
	mkfifo "$TEST_ROOT/a.in"
	timeout 20 bash -c '"$1" --passwd-file="$2" --auth-delay=0 \
	    < "$3/a.in" | sed -u "s/\r//g" > "$3/a.out"' _ "$BIN_DIR/imapd" \
	    "$PASSWD" "$TEST_ROOT" 3>&- &
	pid=$!
	exec 5> "$TEST_ROOT/a.in"
	printf 'a LOGIN alice secret\r\nb SELECT INBOX\r\n' >&5
	for i in $(seq 1 50); do
		grep -q '^b OK' "$TEST_ROOT/a.out" 2>/dev/null && break
		sleep 0.1
	done
	imapd_login <<-EOT
	x SELECT INBOX
	y STORE 1 +FLAGS (\Flagged)
	z STORE 3 +FLAGS.SILENT (\Deleted)
	w EXPUNGE
	EOT
	tagged w OK
	printf 'c FETCH 1 UID\r\nd NOOP\r\ne LOGOUT\r\n' >&5
	exec 5>&-
	wait $pid
	output=$(cat "$TEST_ROOT/a.out")
	mapfile -t lines <<< "$output"
	tagged c OK
	# FETCH may not report expunges; NOOP does.
	c_block=$(sed -n '/^b OK/,/^c OK/p' <<< "$output")
	[ -z "$(grep EXPUNGE <<< "$c_block")" ]
	has '* 3 EXPUNGE'
	matches '\* 1 FETCH \(FLAGS \(\\Flagged( \\Recent)?\)\)'
	tagged d OK
}

@test "select: SEARCH and UID SEARCH; CHARSET; errors" {
	put alpha
	put beta
	put gamma
	imapd_login <<-EOT
	a SELECT INBOX
	b STORE 2 +FLAGS.SILENT (\Seen)
	c SEARCH UNSEEN
	d UID SEARCH SEEN
	e SEARCH CHARSET UTF-8 SUBJECT beta
	f SEARCH CHARSET KOI8-R SUBJECT beta
	g SEARCH
	h SEARCH BOGUS
	i SEARCH SUBJECT nothing-matches
	EOT
	has '* SEARCH 1 3'
	has '* SEARCH 2'
	tagged e OK
	tagged f NO 'BADCHARSET (UTF-8 US-ASCII)'
	tagged g BAD
	tagged h BAD
	has '* SEARCH'
	tagged i OK
}
