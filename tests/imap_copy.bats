#!/usr/bin/env bats
# imapd COPY, UID COPY, MOVE, UID MOVE: COPYUID, TRYCREATE, flags kept,
# nothing lost or duplicated on disk.

load helpers
load lib/imapd

setup() {
	common_setup
	[ -x "$BIN_DIR/imapd" ] || skip "build/imapd not built"
}
teardown() { common_teardown; }


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
