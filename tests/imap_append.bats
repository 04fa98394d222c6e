#!/usr/bin/env bats
# imapd APPEND: flags, date-time, literals (synchronizing and LITERAL+),
# APPENDUID, TRYCREATE, TOOBIG, the message on disk.

load helpers
load lib/imapd

setup() {
	common_setup
	[ -x "$BIN_DIR/imapd" ] || skip "build/imapd not built"
}
teardown() { common_teardown; }


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
