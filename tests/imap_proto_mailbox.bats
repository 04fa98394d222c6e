#!/usr/bin/env bats
# IMAP mailbox commands from RFC 3501 §6.3 with CHILDREN (3348),
# SPECIAL-USE (6154) and modified UTF-7 names (§5.1.3): SELECT, EXAMINE,
# CREATE, DELETE, RENAME, SUBSCRIBE, LIST, LSUB, STATUS; Maildir++ layout
# checked on disk (folders are .Name directories, '.' the delimiter).

load helpers
load lib/imap_proto

setup() { imap_proto_setup; }
teardown() { common_teardown; }

@test "mailbox: SELECT an empty INBOX" {
	imap_login <<-EOF
	a SELECT INBOX
	EOF
	re_line '\* FLAGS \(.*\)'
	local flags
	flags=$(grep '^\* FLAGS ' <<< "$output")
	for f in '\\Answered' '\\Flagged' '\\Deleted' '\\Seen' '\\Draft'; do
		grep -Eq "[( ]$f[ )]" <<< "$flags" || _imap_fail "no $f in FLAGS"
	done
	line '* 0 EXISTS'
	line '* 0 RECENT'
	re_line '\* OK \[UIDVALIDITY [1-9][0-9]*\]( .*)?'
	re_line '\* OK \[UIDNEXT 1\]( .*)?'
	re_line '\* OK \[PERMANENTFLAGS \(.*\\\*\)\]( .*)?'
	no_re_line '\* OK \[UNSEEN .*'
	tagged a OK READ-WRITE
}

@test "mailbox: SELECT reports EXISTS, RECENT, UNSEEN and UIDNEXT" {
	deliver "$FIXTURES/imap_simple.eml"
	imap_login <<< "s SELECT INBOX"
	tagged s OK READ-WRITE
	deliver "$FIXTURES/imap_multipart.eml"
	deliver "$FIXTURES/imap_nested.eml"
	imap_login <<-EOF
	a SELECT INBOX
	b STORE 1 +FLAGS.SILENT (\Seen)
	c SELECT INBOX
	EOF
	output=$(lines_between 'L OK.*' 'a OK.*')
	line '* 3 EXISTS'
	line '* 2 RECENT'
	re_line '\* OK \[UNSEEN 1\]( .*)?'
	re_line '\* OK \[UIDNEXT 4\]( .*)?'
	imap_login <<-EOF
	a SELECT INBOX
	EOF
	# the first session claimed \Recent; message 1 is now seen
	line '* 3 EXISTS'
	line '* 0 RECENT'
	re_line '\* OK \[UNSEEN 2\]( .*)?'
}

@test "mailbox: UIDVALIDITY is stable across sessions" {
	deliver "$FIXTURES/imap_simple.eml"
	imap_login <<< "a SELECT INBOX"
	local v1 v2
	v1=$(grep -o 'UIDVALIDITY [0-9]*' <<< "$output")
	imap_login <<< "a SELECT INBOX"
	v2=$(grep -o 'UIDVALIDITY [0-9]*' <<< "$output")
	[ -n "$v1" ] && [ "$v1" = "$v2" ]
}

@test "mailbox: EXAMINE is read-only and does not claim \\Recent" {
	deliver "$FIXTURES/imap_simple.eml"
	imap_login <<-EOF
	a EXAMINE INBOX
	b STORE 1 +FLAGS (\Flagged)
	c FETCH 1 BODY[TEXT]
	EOF
	line '* 1 EXISTS'
	re_line '\* OK \[PERMANENTFLAGS \(\)\]( .*)?'
	tagged a OK READ-ONLY
	tagged b NO
	tagged c OK
	# RFC 3501 §6.3.2: no change to the permanent state, \Seen included
	no_re_line '\* 1 FETCH .*\\Seen.*'
	[ "$(maildir_flags)" = "" ] || [ "$(maildir_flags)" = "(none)" ]
	imap_login <<< "a SELECT INBOX"
	line '* 1 RECENT'
}

@test "mailbox: SELECT of a missing mailbox is NO and leaves no mailbox selected" {
	deliver "$FIXTURES/imap_simple.eml"
	imap_login <<-EOF
	a SELECT INBOX
	b SELECT nosuch
	c FETCH 1 FLAGS
	EOF
	tagged a OK READ-WRITE
	tagged b NO
	re_line 'c (BAD|NO)( .*)?'
	no_re_line '\* 1 FETCH.*'
}

@test "mailbox: INBOX is case-insensitive" {
	imap_login <<-EOF
	a SELECT inbox
	b STATUS InBoX (MESSAGES)
	c LIST "" "inbox"
	EOF
	tagged a OK READ-WRITE
	re_line '\* STATUS "?INBOX"? \(MESSAGES 0\)'
	re_line '\* LIST \(.*\) "\." "?INBOX"?'
}

@test "mailbox: CREATE makes a Maildir++ folder; duplicates and INBOX are NO" {
	imap_login <<-EOF
	a CREATE Work
	b CREATE Work
	c CREATE INBOX
	d CREATE Work.Projects
	e CREATE Later.
	f SELECT Work.Projects
	EOF
	tagged a OK
	tagged b NO
	tagged c NO
	tagged d OK
	tagged e OK
	tagged f OK READ-WRITE
	for d in .Work .Work.Projects .Later; do
		[ -d "$MAILDIR/$d/cur" ] && [ -d "$MAILDIR/$d/new" ] &&
		    [ -d "$MAILDIR/$d/tmp" ] || _imap_fail "$d incomplete"
	done
	# RFC 3501 §6.3.3: a trailing delimiter creates the name without it
	[ ! -e "$MAILDIR/.Later." ]
}

@test "mailbox: names in modified UTF-7 are stored and listed as sent" {
	imap_login <<-EOF
	a CREATE "Entw&APw-rfe"
	b CREATE "&ZeVnLIqe-"
	c CREATE "A&-B"
	d LIST "" "*"
	EOF
	tagged a OK
	tagged b OK
	tagged c OK
	re_line '\* LIST \(.*\) "\." "?Entw&APw-rfe"?'
	re_line '\* LIST \(.*\) "\." "?&ZeVnLIqe-"?'
	re_line '\* LIST \(.*\) "\." "?A&-B"?'
	[ -d "$MAILDIR/.Entw&APw-rfe" ]
	[ -d "$MAILDIR/.&ZeVnLIqe-" ]
}

@test "mailbox: invalid modified UTF-7 and raw 8-bit names are refused" {
	local before after
	before=$(ls -A "$MAILDIR")
	imap_login <<-EOF
	a CREATE "A&B"
	b CREATE "open&ZeVn"
	c CREATE "&AGE-"
	d CREATE "&Jjo!-"
	e CREATE "Entwürfe"
	f CREATE "&2D0-"
	g SELECT "A&B"
	h CREATE "&AOQ"
	EOF
	for t in a b c d e f g h; do
		re_line "$t (NO|BAD)( .*)?"
	done
	after=$(ls -A "$MAILDIR")
	[ "$before" = "$after" ] || _imap_fail "Maildir changed: $after"
}

@test "mailbox: names that would escape the Maildir are refused" {
	imap_login <<-EOF
	a CREATE "../evil"
	b CREATE ".hidden"
	c CREATE "a..b"
	d CREATE "x/../../evil"
	e CREATE "/tmp/evil"
	f CREATE "tmp"
	g RENAME INBOX "../evil"
	h SELECT "../Maildir"
	EOF
	for t in a b c d e g h; do
		re_line "$t (NO|BAD)( .*)?"
	done
	[ ! -e "$TEST_HOME/evil" ] && [ ! -e "$TEST_ROOT/home/evil" ] &&
	    [ ! -e "$TEST_HOME/.evil" ] && [ ! -e /tmp/evil ]
	! ls -A "$MAILDIR" | grep -q evil
	# "tmp" is a fine folder name (.tmp); it must not clash with tmp/
	if grep -q '^f OK' <<< "$output"; then
		[ -d "$MAILDIR/.tmp/cur" ]
	fi
}

@test "mailbox: DELETE removes a folder; INBOX and missing names are NO" {
	imap_login <<-EOF
	a CREATE Old
	b DELETE Old
	c DELETE Old
	d DELETE INBOX
	e LIST "" "*"
	EOF
	tagged a OK
	tagged b OK
	tagged c NO
	tagged d NO
	[ ! -e "$MAILDIR/.Old" ]
	no_re_line '\* LIST .*"?Old"?'
	[ -d "$MAILDIR/cur" ]
}

@test "mailbox: DELETE of a parent leaves its children and a \\Noselect parent" {
	imap_login <<-EOF
	a0 CREATE P
	a CREATE P.Child
	b DELETE P
	c LIST "" "*"
	d DELETE P
	e SELECT P.Child
	EOF
	tagged a OK
	tagged b OK
	re_line '\* LIST \((.* )?\\Noselect( .*)?\) "\." "?P"?'
	re_line '\* LIST \(.*\) "\." "?P\.Child"?'
	# RFC 3501 §6.3.4: deleting a \Noselect name with inferiors is an error
	tagged d NO
	tagged e OK READ-WRITE
	[ -d "$MAILDIR/.P.Child/cur" ]
}

@test "mailbox: DELETE of a folder with messages removes them" {
	imap_login <<-EOF
	a CREATE Box
	EOF
	cp "$FIXTURES/imap_simple.eml" "$MAILDIR/.Box/new/1.M1.host"
	fix_owner
	imap_login <<-EOF
	a STATUS Box (MESSAGES)
	b DELETE Box
	c STATUS Box (MESSAGES)
	EOF
	re_line '\* STATUS "?Box"? \(MESSAGES 1\)'
	tagged b OK
	tagged c NO
	[ ! -e "$MAILDIR/.Box" ]
}

@test "mailbox: RENAME moves a folder with its children" {
	imap_login <<-EOF
	a0 CREATE A
	a CREATE A.B.C
	b RENAME A Z
	c LIST "" "*"
	d RENAME Z INBOX
	e RENAME nosuch Y
	f CREATE Y
	g RENAME Z Y
	EOF
	tagged a OK
	tagged b OK
	re_line '\* LIST \(.*\) "\." "?Z"?'
	re_line '\* LIST \(.*\) "\." "?Z\.B\.C"?'
	no_re_line '\* LIST \(.*\) "\." "?A(\..*)?"?'
	tagged d NO
	tagged e NO
	tagged g NO
	[ -d "$MAILDIR/.Z.B.C/cur" ] && [ ! -e "$MAILDIR/.A.B.C" ] &&
	    [ ! -e "$MAILDIR/.A" ]
}

@test "mailbox: RENAME INBOX moves its messages and leaves INBOX empty" {
	deliver "$FIXTURES/imap_simple.eml"
	deliver "$FIXTURES/imap_multipart.eml"
	imap_login <<-EOF
	a RENAME INBOX Archive2020
	b STATUS INBOX (MESSAGES)
	c STATUS Archive2020 (MESSAGES)
	d SELECT INBOX
	EOF
	tagged a OK
	re_line '\* STATUS "?INBOX"? \(MESSAGES 0\)'
	re_line '\* STATUS "?Archive2020"? \(MESSAGES 2\)'
	tagged d OK READ-WRITE
	[ "$(maildir_count)" -eq 0 ]
	[ "$(maildir_count "$MAILDIR/.Archive2020")" -eq 2 ]
}

@test "mailbox: LIST with an empty pattern returns the delimiter" {
	imap_login <<-EOF
	a LIST "" ""
	EOF
	line '* LIST (\Noselect) "." ""'
	tagged a OK
}

@test "mailbox: LIST * and % patterns, references, CHILDREN attributes" {
	imap_login <<-EOF
	c1 CREATE Work
	c2 CREATE Work.Projects
	c3 CREATE Work.Projects.Old
	c4 CREATE Private
	a LIST "" "*"
	b LIST "" "%"
	c LIST "" "Work.%"
	d LIST "Work." "%"
	e LIST "" "W*s"
	f LIST "" "nomatch*"
	g LIST "" "*Old"
	EOF
	output=$(lines_between 'c4 OK.*' 'a OK.*')
	re_line '\* LIST \(\\HasChildren\) "\." "?Work"?'
	re_line '\* LIST \(\\HasChildren\) "\." "?Work\.Projects"?'
	re_line '\* LIST \(\\HasNoChildren\) "\." "?Work\.Projects\.Old"?'
	re_line '\* LIST \(\\HasNoChildren\) "\." "?Private"?'
	re_line '\* LIST \(.*\) "\." "?INBOX"?'
	re_count '\* LIST .*' 5
}

@test "mailbox: LIST % stops at the delimiter; references are prefixed" {
	imap_login <<-EOF
	c1 CREATE Work.Projects.Old
	c4 CREATE Private
	b LIST "" "%"
	c LIST "" "Work.%"
	d LIST "Work." "%"
	e LIST "" "W*s"
	f LIST "" "nomatch*"
	g LIST "" "*Old"
	EOF
	local all=$output
	output=$(lines_between 'c4 OK.*' 'b OK.*')
	re_count '\* LIST .*' 3
	re_line '\* LIST \(.*\) "\." "?INBOX"?'
	re_line '\* LIST \(.*\) "\." "?Work"?'
	re_line '\* LIST \(.*\) "\." "?Private"?'
	output=$(lines_between 'b OK.*' 'c OK.*')
	re_count '\* LIST .*' 1
	re_line '\* LIST \(.*\) "\." "?Work\.Projects"?'
	output=$(lines_between 'c OK.*' 'd OK.*')
	re_count '\* LIST .*' 1
	re_line '\* LIST \(.*\) "\." "?Work\.Projects"?'
	# "*" matches the delimiter too
	output=$(lines_between 'd OK.*' 'e OK.*')
	re_count '\* LIST .*' 1
	re_line '\* LIST \(.*\) "\." "?Work\.Projects"?'
	output=$(lines_between 'e OK.*' 'f OK.*')
	re_count '\* LIST .*' 0
	output=$(lines_between 'f OK.*' 'g OK.*')
	re_count '\* LIST .*' 1
	re_line '\* LIST \(.*\) "\." "?Work\.Projects\.Old"?'
	output=$all
	tagged g OK
}

@test "mailbox: LIST shows SPECIAL-USE attributes for the usual names" {
	imap_login <<-EOF
	a CREATE Sent
	b CREATE Trash
	c CREATE Drafts
	d CREATE Junk
	e CREATE Archive
	f CREATE Plain
	g LIST "" "*"
	EOF
	re_line '\* LIST \((.* )?\\Sent( .*)?\) "\." "?Sent"?'
	re_line '\* LIST \((.* )?\\Trash( .*)?\) "\." "?Trash"?'
	re_line '\* LIST \((.* )?\\Drafts( .*)?\) "\." "?Drafts"?'
	re_line '\* LIST \((.* )?\\Junk( .*)?\) "\." "?Junk"?'
	re_line '\* LIST \((.* )?\\Archive( .*)?\) "\." "?Archive"?'
	re_line '\* LIST \(\\HasNoChildren\) "\." "?Plain"?'
}

@test "mailbox: SUBSCRIBE, UNSUBSCRIBE and LSUB" {
	imap_login <<-EOF
	a CREATE One
	b CREATE Two
	c SUBSCRIBE One
	d SUBSCRIBE Two
	e UNSUBSCRIBE Two
	f LSUB "" "*"
	EOF
	tagged c OK
	tagged e OK
	output=$(lines_between 'e OK.*' 'f OK.*')
	re_count '\* LSUB .*' 1
	re_line '\* LSUB \(.*\) "\." "?One"?'
	imap_login <<-EOF
	a LSUB "" "*"
	EOF
	# subscriptions persist across sessions
	re_line '\* LSUB \(.*\) "\." "?One"?'
	no_re_line '\* LSUB .*Two.*'
}

@test "mailbox: STATUS reports every item and does not select" {
	deliver "$FIXTURES/imap_simple.eml"
	deliver "$FIXTURES/imap_multipart.eml"
	deliver "$FIXTURES/imap_nested.eml"
	imap_login <<-EOF
	a STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)
	b FETCH 1 FLAGS
	c STATUS nosuch (MESSAGES)
	d STATUS INBOX (BOGUS)
	e STATUS INBOX ()
	EOF
	local st
	st=$(grep '^\* STATUS ' <<< "$output" | head -n1)
	re_line '\* STATUS "?INBOX"? \(.*\)'
	for it in 'MESSAGES 3' 'RECENT 3' 'UIDNEXT 4' 'UNSEEN 3' \
	    'UIDVALIDITY [1-9][0-9]*'; do
		grep -Eq "[( ]$it[ )]" <<< "$st" || _imap_fail "no $it in $st"
	done
	tagged a OK
	re_line 'b (BAD|NO)( .*)?'
	tagged c NO
	tagged d BAD
	re_line 'e (BAD|OK)( .*)?'
}

@test "mailbox: STATUS on another folder while one is selected" {
	imap_login <<-EOF
	a CREATE Other
	EOF
	cp "$FIXTURES/imap_simple.eml" "$MAILDIR/.Other/new/1.M1.host"
	fix_owner
	imap_login <<-EOF
	a SELECT INBOX
	b STATUS Other (MESSAGES UNSEEN)
	EOF
	re_line '\* STATUS "?Other"? \((MESSAGES 1 UNSEEN 1|UNSEEN 1 MESSAGES 1)\)'
	tagged b OK
}

@test "mailbox: a second SELECT closes the first without expunging" {
	deliver "$FIXTURES/imap_simple.eml"
	imap_login <<-EOF
	a CREATE Other
	b SELECT INBOX
	c STORE 1 +FLAGS (\Deleted)
	d SELECT Other
	e STATUS INBOX (MESSAGES)
	EOF
	tagged d OK READ-WRITE
	no_re_line '\* 1 EXPUNGE'
	re_line '\* STATUS "?INBOX"? \(MESSAGES 1\)'
	[ "$(maildir_count)" -eq 1 ]
	[ "$(maildir_flags)" = "T" ]
}

@test "mailbox: a modified UTF-7 name works in every command" {
	imap_login <<-EOF
	a CREATE "&ZeVnLIqe-.Entw&APw-rfe"
	b APPEND "&ZeVnLIqe-.Entw&APw-rfe" {16+}
	Subject: x

	y

	c STATUS "&ZeVnLIqe-.Entw&APw-rfe" (MESSAGES)
	d LIST "" "&ZeVnLIqe-.%"
	e RENAME "&ZeVnLIqe-.Entw&APw-rfe" "&ZeVnLIqe-.Brouillons-&AOk-t&AOk-"
	f SELECT "&ZeVnLIqe-.Brouillons-&AOk-t&AOk-"
	g SUBSCRIBE "&ZeVnLIqe-.Brouillons-&AOk-t&AOk-"
	h LSUB "" "*"
	EOF
	tagged a OK
	re_line 'b OK \[APPENDUID [0-9]+ 1\].*'
	re_line '\* STATUS "?&ZeVnLIqe-\.Entw&APw-rfe"? \(MESSAGES 1\)'
	re_line '\* LIST \(.*\) "\." "?&ZeVnLIqe-\.Entw&APw-rfe"?'
	tagged e OK
	line '* 1 EXISTS'
	tagged f OK READ-WRITE
	re_line '\* LSUB \(.*\) "\." "?&ZeVnLIqe-\.Brouillons-&AOk-t&AOk-"?'
	[ "$(maildir_count "$MAILDIR/.&ZeVnLIqe-.Brouillons-&AOk-t&AOk-")" -eq 1 ]
}

@test "mailbox: LSUB % shows an unsubscribed parent of a subscription as \\Noselect" {
	imap_login <<-EOF
	a CREATE Top.Sub
	b SUBSCRIBE Top.Sub
	c LSUB "" "%"
	d LSUB "" "*"
	EOF
	output=$(lines_between 'b OK.*' 'c OK.*')
	# RFC 3501 §6.3.9
	re_line '\* LSUB \((.* )?\\Noselect( .*)?\) "\." "?Top"?'
	re_count '\* LSUB .*' 1
	output=$(lines_between 'c OK.*' 'd OK.*')
	re_line '\* LSUB \(.*\) "\." "?Top\.Sub"?'
	re_count '\* LSUB .*' 1
}

@test "mailbox: --special-use sets attributes for other names" {
	imap_login '--special-use=Gesendet:\Sent' '--special-use=Papierkorb:\Trash' <<-EOF
	a CREATE Gesendet
	b CREATE Papierkorb
	c LIST "" "*"
	EOF
	re_line '\* LIST \((.* )?\\Sent( .*)?\) "\." "?Gesendet"?'
	re_line '\* LIST \((.* )?\\Trash( .*)?\) "\." "?Papierkorb"?'
}

@test "mailbox: RENAME of the selected mailbox keeps the session sane" {
	deliver "$FIXTURES/imap_simple.eml"
	imap_login <<-EOF
	a CREATE Box
	b SELECT Box
	c RENAME Box Box2
	d NOOP
	e SELECT Box2
	f STATUS Box (MESSAGES)
	EOF
	tagged c OK
	tagged d OK
	tagged e OK READ-WRITE
	tagged f NO
	[ -d "$MAILDIR/.Box2/cur" ] && [ ! -e "$MAILDIR/.Box" ]
}
