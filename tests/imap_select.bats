#!/usr/bin/env bats
# imapd SELECT, EXAMINE, CLOSE, UNSELECT, EXPUNGE, UID EXPUNGE and the
# untagged updates between sessions.

load helpers

setup() {
	common_setup
	[ -x "$BIN_DIR/imapd" ] || skip "build/imapd not built"
}
teardown() { common_teardown; }

# imapd ARGS... < SCRIPT: run the server (passwd file, no delay) on the
# script (LF -> CRLF) for at most 20 s; $output/$lines without CR.
imapd() {
	local f=$TEST_ROOT/script.$$.$RANDOM
	cat > "$f"
	run timeout 20 bash -c 'sed "s/\$/\r/" < "$1" | "${@:2}" 2>&1 |
	    tr -d "\r"' _ "$f" "$BIN_DIR/imapd" --passwd-file="$PASSWD" \
	    --auth-delay=0 "$@"
}

# imapd_login ARGS... < SCRIPT: the same, logged in first ("L LOGIN"),
# "Z LOGOUT" at the end.
imapd_login() {
	local f=$TEST_ROOT/body.$$.$RANDOM
	{ echo "L LOGIN $TEST_USER secret"; cat; echo "Z LOGOUT"; } > "$f"
	imapd "$@" < "$f"
}

# has LINE: the output has exactly this line.
has() {
	local l
	for l in "${lines[@]}"; do [ "$l" = "$1" ] && return 0; done
	printf 'missing line: %s\n--- output:\n%s\n' "$1" "$output" >&2
	return 1
}

# hasnt REGEX: no line matches ^REGEX$.
hasnt() {
	local l
	for l in "${lines[@]}"; do
		if [[ $l =~ ^$1$ ]]; then
			printf 'unexpected line: %s\n' "$l" >&2
			return 1
		fi
	done
}

# matches REGEX: some line matches ^REGEX$.
matches() {
	local l
	for l in "${lines[@]}"; do [[ $l =~ ^$1$ ]] && return 0; done
	printf 'no line matches: %s\n--- output:\n%s\n' "$1" "$output" >&2
	return 1
}

# tagged TAG STATUS [CODE]: TAG's tagged reply is STATUS (with [CODE]).
tagged() {
	local l want="$1 $2"
	[ -n "${3:-}" ] && want="$want [$3]"
	for l in "${lines[@]}"; do
		case $l in
		"$want "*|"$want") return 0 ;;
		"$1 "*) printf 'want %s, got: %s\n' "$want" "$l" >&2
			return 1 ;;
		esac
	done
	printf 'no tagged reply for %s\n--- output:\n%s\n' "$1" "$output" >&2
	return 1
}

# msg SUBJECT [BODY]: a small message on stdout (LF line ends).
msg() {
	printf 'From: a@example.org\nTo: b@example.org\nSubject: %s\n' "$1"
	printf 'Date: Mon, 7 Feb 1994 21:52:25 -0800\n\n%s\n' "${2:-body}"
}

# put SUBJECT: deliver a small message into new/.
put() {
	msg "$@" > "$TEST_ROOT/put.msg"
	deliver_text < "$TEST_ROOT/put.msg"
}

# files DIR: file names in $MAILDIR/DIR (or a folder's), one per line.
files() { ls "$MAILDIR/$1" 2>/dev/null | sort; }

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
