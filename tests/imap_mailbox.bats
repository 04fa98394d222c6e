#!/usr/bin/env bats
# imapd mailbox commands: CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE,
# LIST, LSUB, STATUS; names (modified UTF-7, INBOX), SPECIAL-USE.

load helpers
load lib/imapd

setup() {
	common_setup
	[ -x "$BIN_DIR/imapd" ] || skip "build/imapd not built"
}
teardown() { common_teardown; }


@test "mailbox: CREATE makes a Maildir++ folder; LIST shows it" {
	imapd_login <<-EOT
	a CREATE Work
	b CREATE Work.Projects
	c LIST "" *
	EOT
	tagged a OK
	tagged b OK
	has '* LIST (\HasNoChildren) "." "INBOX"'
	has '* LIST (\HasChildren) "." "Work"'
	has '* LIST (\HasNoChildren) "." "Work.Projects"'
	tagged c OK
	[ -d "$MAILDIR/.Work/cur" ]
	[ -d "$MAILDIR/.Work.Projects/new" ]
}

@test "mailbox: CREATE errors: exists, INBOX, bad names" {
	imapd_login <<-EOT
	a CREATE Work
	b CREATE Work
	c CREATE inbox
	d CREATE &Jjo
	e CREATE "a..b"
	f CREATE ".hidden"
	g CREATE Work.
	h CREATE "a*b"
	i RENAME Work "c%d"
	EOT
	tagged a OK
	tagged b NO ALREADYEXISTS
	tagged c NO ALREADYEXISTS
	tagged d NO CANNOT
	tagged e NO CANNOT
	tagged f NO CANNOT
	tagged g NO ALREADYEXISTS
	tagged h NO CANNOT
	tagged i NO CANNOT
	[ ! -e "$MAILDIR/..hidden" ]
}

@test "mailbox: CREATE with a trailing delimiter creates the name" {
	imapd_login <<-EOT
	a CREATE Lists.
	b LIST "" Lists
	EOT
	tagged a OK
	has '* LIST (\HasNoChildren) "." "Lists"'
	[ -d "$MAILDIR/.Lists" ]
}

@test "mailbox: modified UTF-7 names are kept as sent" {
	imapd_login <<-EOT
	a CREATE "&ZeVnLIqe-"
	b LIST "" "&ZeVnLIqe-"
	EOT
	tagged a OK
	has '* LIST (\HasNoChildren) "." "&ZeVnLIqe-"'
	[ -d "$MAILDIR/.&ZeVnLIqe-" ]
}

@test "mailbox: LIST patterns, reference, and the delimiter query" {
	imapd_login <<-EOT
	a CREATE A
	b CREATE A.B
	c CREATE A.B.C
	d LIST "" ""
	e LIST "" %
	f LIST A. %
	g LIST "" A*
	h LIST "" inbox
	EOT
	has '* LIST (\Noselect) "." ""'
	tagged d OK
	matches '\* LIST \(\\HasChildren\) "\." "A"'
	tagged e OK
	[ "$(grep -c '^\* LIST ' <<< "$output")" -eq 8 ]
	has '* LIST (\HasNoChildren) "." "A.B.C"'
	has '* LIST (\HasNoChildren) "." "INBOX"'
}

@test "mailbox: LIST % shows a missing parent as \\Noselect" {
	mkdir -p "$MAILDIR/.X.Y/cur" "$MAILDIR/.X.Y/new" "$MAILDIR/.X.Y/tmp"
	fix_owner
	imapd_login <<-EOT
	a LIST "" %
	b LIST "" *
	EOT
	matches '\* LIST \(\\Noselect \\HasChildren\) "\." "X"'
	has '* LIST (\HasNoChildren) "." "X.Y"'
}

@test "mailbox: SPECIAL-USE attributes, default and --special-use" {
	imapd_login --special-use='Outbox:\Sent' <<-EOT
	a CREATE Sent
	b CREATE Trash
	c CREATE Junk
	d CREATE Outbox
	e CREATE Other
	f LIST "" *
	EOT
	has '* LIST (\HasNoChildren \Sent) "." "Sent"'
	has '* LIST (\HasNoChildren \Trash) "." "Trash"'
	has '* LIST (\HasNoChildren \Junk) "." "Junk"'
	has '* LIST (\HasNoChildren \Sent) "." "Outbox"'
	has '* LIST (\HasNoChildren) "." "Other"'
}

@test "mailbox: DELETE removes a folder; errors" {
	imapd_login <<-EOT
	a CREATE Old
	b DELETE Old
	c DELETE Old
	d DELETE INBOX
	e LIST "" Old
	EOT
	tagged b OK
	tagged c NO NONEXISTENT
	tagged d NO CANNOT
	hasnt '\* LIST .*Old'
	[ ! -e "$MAILDIR/.Old" ]
}

@test "mailbox: DELETE of the selected mailbox is refused" {
	imapd_login <<-EOT
	a CREATE Cur
	b SELECT Cur
	c DELETE Cur
	EOT
	tagged b OK READ-WRITE
	tagged c NO INUSE
	[ -d "$MAILDIR/.Cur" ]
}

@test "mailbox: RENAME moves a folder with its children" {
	imapd_login <<-EOT
	a CREATE P
	b CREATE P.Q
	c RENAME P R
	d LIST "" *
	e RENAME Nope X
	f RENAME R INBOX
	EOT
	tagged c OK
	has '* LIST (\HasChildren) "." "R"'
	has '* LIST (\HasNoChildren) "." "R.Q"'
	hasnt '\* LIST .* "P(\.Q)?"'
	tagged e NO NONEXISTENT
	tagged f NO ALREADYEXISTS
	[ -d "$MAILDIR/.R.Q" ]
	[ ! -e "$MAILDIR/.P" ]
}

@test "mailbox: RENAME INBOX moves its messages and leaves INBOX empty" {
	put one
	put two
	imapd_login <<-EOT
	a RENAME INBOX Saved
	b STATUS INBOX (MESSAGES)
	c STATUS Saved (MESSAGES)
	EOT
	tagged a OK
	has '* STATUS "INBOX" (MESSAGES 0)'
	has '* STATUS "Saved" (MESSAGES 2)'
	[ "$(ls "$MAILDIR/.Saved/cur" "$MAILDIR/.Saved/new" | grep -c testhost)" -eq 2 ]
	[ "$(count_msgs cur)" -eq 0 ]
	[ "$(count_msgs new)" -eq 0 ]
}

@test "mailbox: SUBSCRIBE, LSUB, UNSUBSCRIBE and the subscriptions file" {
	imapd_login <<-EOT
	a CREATE Lists
	b SUBSCRIBE Lists
	c SUBSCRIBE INBOX
	d LSUB "" *
	e UNSUBSCRIBE Lists
	f LSUB "" *
	EOT
	tagged b OK
	has '* LSUB () "." "Lists"'
	has '* LSUB () "." "INBOX"'
	tagged e OK
	[ "$(grep -c '^\* LSUB () "\." "Lists"$' <<< "$output")" -eq 1 ]
	grep -qx INBOX "$MAILDIR/subscriptions"
	[ -z "$(grep -x Lists "$MAILDIR/subscriptions")" ]
}

@test "mailbox: STATUS items in the order asked" {
	put one
	put two
	imapd_login <<-EOT
	a STATUS INBOX (MESSAGES RECENT UNSEEN)
	b STATUS INBOX (UIDNEXT MESSAGES)
	c STATUS INBOX (UIDVALIDITY)
	d STATUS Nope (MESSAGES)
	e STATUS INBOX (BOGUS)
	f STATUS INBOX
	EOT
	has '* STATUS "INBOX" (MESSAGES 2 RECENT 2 UNSEEN 2)'
	has '* STATUS "INBOX" (UIDNEXT 3 MESSAGES 2)'
	matches '\* STATUS "INBOX" \(UIDVALIDITY [1-9][0-9]*\)'
	tagged d NO NONEXISTENT
	tagged e BAD
	tagged f BAD
}

@test "mailbox: names never escape the mail root" {
	imapd_login <<-EOT
	a CREATE ../../etc
	b CREATE a/b
	c SELECT ../Maildir
	EOT
	tagged a NO
	tagged b NO
	tagged c NO
	[ ! -e "$TEST_HOME/etc" ]
	[ ! -e "$TEST_ROOT/etc" ]
}

@test "mailbox: LSUB % lists an unsubscribed parent as \\Noselect" {
	imapd_login <<-EOT
	a CREATE Top.Sub
	b SUBSCRIBE Top.Sub
	c LSUB "" %
	d LSUB "" *
	EOT
	has '* LSUB (\Noselect) "." "Top"'
	has '* LSUB () "." "Top.Sub"'
	[ "$(grep -c '^\* LSUB (\\Noselect) "\." "Top"$' <<< "$output")" -eq 1 ]
	tagged d OK
}
