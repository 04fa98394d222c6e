#!/usr/bin/env bats
# imapd COPY, UID COPY, MOVE, UID MOVE: COPYUID, TRYCREATE, flags kept,
# nothing lost or duplicated on disk.

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

# nfiles FOLDER: messages in cur/ and new/ of a folder ("" for INBOX).
nfiles() {
	local d=$MAILDIR
	[ -n "$1" ] && d=$MAILDIR/.$1
	find "$d/cur" "$d/new" -type f | wc -l
}

@test "copy: COPY answers COPYUID and keeps flags" {
	for i in 1 2 3; do put "m$i"; done
	imapd_login <<-EOT
	a CREATE Archive
	b SELECT INBOX
	c STORE 2 +FLAGS.SILENT (\Flagged)
	d COPY 2:3 Archive
	e STATUS Archive (MESSAGES UIDNEXT)
	EOT
	matches 'd OK \[COPYUID [1-9][0-9]* 2:3 1:2\] .*'
	has '* STATUS "Archive" (MESSAGES 2 UIDNEXT 3)'
	[ "$(nfiles Archive)" -eq 2 ]
	[ "$(nfiles "")" -eq 3 ]
	[ "$(ls "$MAILDIR/.Archive/cur" | grep -c ':2,F$')" -eq 1 ]
	grep -rq '^Subject: m2$' "$MAILDIR/.Archive/cur"
	grep -rq '^Subject: m3$' "$MAILDIR/.Archive/cur"
}

@test "copy: UID COPY with a set, and to the same mailbox" {
	for i in 1 2 3; do put "m$i"; done
	imapd_login <<-EOT
	a SELECT INBOX
	b UID COPY 1,3 INBOX
	c UID COPY 50:60 INBOX
	EOT
	matches 'b OK \[COPYUID [0-9]+ 1,3 4:5\] .*'
	has '* 5 EXISTS'
	tagged c OK
	[ "$(nfiles "")" -eq 5 ]
}

@test "copy: a missing target is NO [TRYCREATE]; bad sets are BAD" {
	put one
	imapd_login <<-EOT
	a SELECT INBOX
	b COPY 1 Nope
	c COPY 5 INBOX
	d COPY 1 "&Jjo"
	EOT
	tagged b NO TRYCREATE
	tagged c BAD
	tagged d NO
	[ ! -e "$MAILDIR/.Nope" ]
	[ "$(nfiles "")" -eq 1 ]
}

@test "move: MOVE sends COPYUID untagged, then EXPUNGE" {
	for i in 1 2 3; do put "m$i"; done
	imapd_login <<-EOT
	a CREATE Done
	b SELECT INBOX
	c MOVE 1:2 Done
	d FETCH 1:* UID
	EOT
	matches '\* OK \[COPYUID [0-9]+ 1:2 1:2\] .*'
	has '* 2 EXPUNGE'
	has '* 1 EXPUNGE'
	tagged c OK
	has '* 1 FETCH (UID 3)'
	[ "$(nfiles Done)" -eq 2 ]
	[ "$(nfiles "")" -eq 1 ]
	grep -rq '^Subject: m1$' "$MAILDIR/.Done/cur"
	grep -rq '^Subject: m3$' "$MAILDIR/cur"
}

@test "move: UID MOVE, read-only and TRYCREATE" {
	for i in 1 2; do put "m$i"; done
	imapd_login <<-EOT
	a CREATE Done
	b EXAMINE INBOX
	c MOVE 1 Done
	d SELECT INBOX
	e UID MOVE 2 Nope
	f UID MOVE 2 Done
	EOT
	tagged c NO
	tagged e NO TRYCREATE
	matches '\* OK \[COPYUID [0-9]+ 2 1\] .*'
	has '* 2 EXPUNGE'
	tagged f OK
	[ "$(nfiles Done)" -eq 1 ]
	[ "$(nfiles "")" -eq 1 ]
}

@test "move: messages moved keep their flags" {
	put one
	imapd_login <<-EOT
	a CREATE Done
	b SELECT INBOX
	c STORE 1 +FLAGS.SILENT (\Seen \Answered)
	d MOVE 1 Done
	EOT
	tagged d OK
	[[ $(ls "$MAILDIR/.Done/cur") == *:2,RS ]]
}
