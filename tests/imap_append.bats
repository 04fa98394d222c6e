#!/usr/bin/env bats
# imapd APPEND: flags, date-time, literals (synchronizing and LITERAL+),
# APPENDUID, TRYCREATE, TOOBIG, the message on disk.

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

# crlf_size FILE: the literal size of FILE once LF becomes CRLF.
crlf_size() { sed 's/$/\r/' "$1" | wc -c; }

@test "append: a message with flags and a date; APPENDUID; on disk" {
	msg "Appended" "Line one" > "$TEST_ROOT/m"
	n=$(crlf_size "$TEST_ROOT/m")
	{
		echo 'a APPEND INBOX (\Seen \Flagged) "01-Jan-2020 10:00:00 +0000" {'"$n"'}'
		cat "$TEST_ROOT/m"
		echo
		echo "b SELECT INBOX"
		echo "c FETCH 1 (FLAGS INTERNALDATE RFC822.SIZE)"
	} > "$TEST_ROOT/s"
	TZ=UTC imapd_login < "$TEST_ROOT/s"
	has "+ Ready for literal data"
	matches 'a OK \[APPENDUID [1-9][0-9]* 1\] .*'
	has "* 1 FETCH (FLAGS (\\Flagged \\Seen) INTERNALDATE \"01-Jan-2020 10:00:00 +0000\" RFC822.SIZE $n)"
	[ "$(count_msgs cur)" -eq 1 ]
	f=$(find "$MAILDIR/cur" -type f)
	[[ $f == *:2,FS ]]
	[ "$(tr -d '\r' < "$f")" = "$(cat "$TEST_ROOT/m")" ]
	[ "$(stat -c %Y "$f")" -eq 1577872800 ]
	[ "$(count_msgs tmp)" -eq 0 ]
}

@test "append: consecutive UIDs; the selected mailbox sees EXISTS" {
	msg "x" > "$TEST_ROOT/m"
	n=$(crlf_size "$TEST_ROOT/m")
	{
		echo "a SELECT INBOX"
		for t in b c; do
			echo "$t APPEND INBOX {$n}"
			cat "$TEST_ROOT/m"
			echo
		done
		echo "d UID FETCH 1:* UID"
	} > "$TEST_ROOT/s"
	imapd_login < "$TEST_ROOT/s"
	matches 'b OK \[APPENDUID [0-9]+ 1\] .*'
	matches 'c OK \[APPENDUID [0-9]+ 2\] .*'
	has "* 1 EXISTS"
	has "* 2 EXISTS"
	has "* 2 FETCH (UID 2)"
}

@test "append: LITERAL+ sends no continuation" {
	msg "plus" > "$TEST_ROOT/m"
	n=$(crlf_size "$TEST_ROOT/m")
	{
		echo "a APPEND INBOX (keyword1) {$n+}"
		cat "$TEST_ROOT/m"
		echo
	} > "$TEST_ROOT/s"
	imapd_login < "$TEST_ROOT/s"
	hasnt '\+ .*'
	matches 'a OK \[APPENDUID [0-9]+ 1\] .*'
	[[ $(files cur) == *:2,a ]]
}

@test "append: a missing mailbox is NO [TRYCREATE] before the continuation" {
	imapd_login <<-EOT
	a APPEND Nope {10}
	b NOOP
	EOT
	tagged a NO TRYCREATE
	hasnt '\+ .*'
	tagged b OK
	[ ! -e "$MAILDIR/.Nope" ]
}

@test "append: over APPENDLIMIT is NO [TOOBIG] before the continuation" {
	imapd_login <<-EOT
	a APPEND INBOX {67108865}
	b NOOP
	EOT
	tagged a NO TOOBIG
	hasnt '\+ .*'
	tagged b OK
}

@test "append: a non-synchronizing literal over the limit ends the session" {
	imapd_login <<-EOT
	a APPEND INBOX {67108865+}
	b NOOP
	EOT
	tagged a NO TOOBIG
	matches '\* BYE .*'
	hasnt 'b .*'
}

@test "append: refused TRYCREATE with LITERAL+ consumes the message" {
	msg "lost" > "$TEST_ROOT/m"
	n=$(crlf_size "$TEST_ROOT/m")
	{
		echo "a APPEND Nope {$n+}"
		cat "$TEST_ROOT/m"
		echo
		echo "b NOOP"
	} > "$TEST_ROOT/s"
	imapd_login < "$TEST_ROOT/s"
	tagged a NO TRYCREATE
	tagged b OK
	[ "$(grep -c BAD <<< "$output")" -eq 0 ]
}

@test "append: bad flags, bad date, missing literal are BAD" {
	imapd_login <<-EOT
	a APPEND INBOX (\Recent) {5}
	b APPEND INBOX "99-Foo-2020 10:00:00 +0000" {5}
	c APPEND INBOX "just a string"
	d APPEND INBOX {0}

	e NOOP
	EOT
	tagged a BAD
	tagged b BAD
	tagged c BAD
	tagged d NO
	tagged e OK
	[ "$(count_msgs cur)" -eq 0 ]
}

@test "append: a 3 MB message streams to the store intact" {
	{
		printf 'Subject: big\n\n'
		seq -f 'line %06g of a rather long message body text' 1 40000
	} > "$TEST_ROOT/m"
	n=$(crlf_size "$TEST_ROOT/m")
	{
		echo "a APPEND INBOX {$n}"
		cat "$TEST_ROOT/m"
		echo
		echo "b SELECT INBOX"
		echo "c FETCH 1 RFC822.SIZE"
	} > "$TEST_ROOT/s"
	imapd_login < "$TEST_ROOT/s"
	tagged a OK
	has "* 1 FETCH (RFC822.SIZE $n)"
	f=$(find "$MAILDIR/cur" -type f)
	[ "$(tr -d '\r' < "$f" | md5sum)" = "$(md5sum < "$TEST_ROOT/m")" ]
}
