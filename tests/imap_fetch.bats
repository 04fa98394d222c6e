#!/usr/bin/env bats
# imapd FETCH and UID FETCH: attributes, sections, partial fetches,
# implicit \Seen, macros, sequence-set errors.

load helpers
load lib/imapd

setup() {
	common_setup
	[ -x "$BIN_DIR/imapd" ] || skip "build/imapd not built"
}
teardown() { common_teardown; }


# A message with CRLF size 66: 5 header lines, empty line, one body line.
simple() {
	printf 'From: a@example.org\nTo: b@example.org\nSubject: Hi there\n'
	printf 'Date: Mon, 7 Feb 1994 21:52:25 -0800\nX-N: 1\n\nHello world\n'
}

@test "fetch: FLAGS UID RFC822.SIZE INTERNALDATE" {
	simple > "$TEST_ROOT/m"
	deliver "$TEST_ROOT/m" 1000000000.M1P1.testhost
	touch -d '2001-09-09 01:46:40 UTC' "$MAILDIR/new/1000000000.M1P1.testhost"
	size=$(sed 's/$/\r/' "$TEST_ROOT/m" | wc -c)
	TZ=UTC imapd_login <<-EOT
	a SELECT INBOX
	b FETCH 1 (FLAGS UID RFC822.SIZE INTERNALDATE)
	EOT
	has "* 1 FETCH (FLAGS (\\Recent) UID 1 RFC822.SIZE $size INTERNALDATE \"09-Sep-2001 01:46:40 +0000\")"
	tagged b OK
}

@test "fetch: BODY[] returns the message with CRLF and sets \\Seen" {
	simple > "$TEST_ROOT/m"
	deliver "$TEST_ROOT/m"
	size=$(sed 's/$/\r/' "$TEST_ROOT/m" | wc -c)
	imapd_login <<-EOT
	a SELECT INBOX
	b FETCH 1 BODY[]
	c FETCH 1 FLAGS
	EOT
	has "* 1 FETCH (BODY[] {$size}"
	has "Hello world"
	has ' FLAGS (\Seen \Recent))'
	has '* 1 FETCH (FLAGS (\Seen \Recent))'
	tagged b OK
	[[ $(files cur) == *:2,S ]]
}

@test "fetch: BODY.PEEK[] and RFC822.HEADER do not set \\Seen" {
	put one
	imapd_login <<-EOT
	a SELECT INBOX
	b FETCH 1 BODY.PEEK[]
	c FETCH 1 RFC822.HEADER
	d FETCH 1 FLAGS
	EOT
	has '* 1 FETCH (FLAGS (\Recent))'
	matches '\* 1 FETCH \(RFC822\.HEADER \{[0-9]+\}'
	hasnt '\* 1 FETCH .*\\Seen.*'
	[[ $(files cur) == *:2, ]]
}

@test "fetch: RFC822 and RFC822.TEXT" {
	simple > "$TEST_ROOT/m"
	deliver "$TEST_ROOT/m"
	imapd_login <<-EOT
	a EXAMINE INBOX
	b FETCH 1 RFC822.TEXT
	c FETCH 1 RFC822
	EOT
	has '* 1 FETCH (RFC822.TEXT {13}'
	matches '\* 1 FETCH \(RFC822 \{[0-9]+\}'
	# read-only: no implicit \Seen
	hasnt '\* [0-9]+ FETCH .*FLAGS.*'
	tagged c OK
}

@test "fetch: HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT" {
	simple > "$TEST_ROOT/m"
	deliver "$TEST_ROOT/m"
	imapd_login <<-EOT
	a SELECT INBOX
	b FETCH 1 BODY.PEEK[HEADER.FIELDS (Subject)]
	c FETCH 1 BODY.PEEK[HEADER.FIELDS.NOT (Subject Date From To)]
	d FETCH 1 BODY.PEEK[TEXT]
	EOT
	has '* 1 FETCH (BODY[HEADER.FIELDS (Subject)] {21}'
	has 'Subject: Hi there'
	has '* 1 FETCH (BODY[HEADER.FIELDS.NOT (Subject Date From To)] {10}'
	has 'X-N: 1'
	has '* 1 FETCH (BODY[TEXT] {13}'
	tagged d OK
}

@test "fetch: partial BODY[]<origin.count>" {
	simple > "$TEST_ROOT/m"
	deliver "$TEST_ROOT/m"
	imapd_login <<-EOT
	a SELECT INBOX
	b FETCH 1 BODY.PEEK[]<6.13>
	c FETCH 1 BODY.PEEK[]<10000.5>
	EOT
	has '* 1 FETCH (BODY[]<6> {13}'
	has 'a@example.org)'
	matches '\* 1 FETCH \(BODY\[\]<10000> (""|\{0\})\)?'
	tagged c OK
}

@test "fetch: MIME parts, BODYSTRUCTURE, ENVELOPE" {
	deliver "$FIXTURES/imap_multipart.eml"
	imapd_login <<-EOT
	a SELECT INBOX
	b FETCH 1 (BODY.PEEK[1] BODY.PEEK[2.MIME])
	c FETCH 1 BODYSTRUCTURE
	d FETCH 1 ENVELOPE
	e FETCH 1 BODY
	EOT
	has '* 1 FETCH (BODY[1] {13}'
	has 'First part.'
	has 'Content-Disposition: attachment; filename="a.bin"'
	matches '\* 1 FETCH \(BODYSTRUCTURE \(\("text" "plain" \("charset" "utf-8"\).*\) "mixed" \("boundary" "XYZ"\).*\)\)'
	has '* 1 FETCH (ENVELOPE ("Tue, 1 Mar 2022 10:00:00 +0000" "Multipart" ((NIL NIL "alice" "example.org")) ((NIL NIL "alice" "example.org")) ((NIL NIL "alice" "example.org")) ((NIL NIL "bob" "example.com")) NIL NIL NIL "<multi.1@example.org>"))'
	matches '\* 1 FETCH \(BODY \(\("text" "plain".*\) "mixed"\)\)'
	tagged e OK
}

@test "fetch: macros ALL, FAST, FULL" {
	put one
	imapd_login <<-EOT
	a SELECT INBOX
	b FETCH 1 FAST
	c FETCH 1 ALL
	d FETCH 1 FULL
	EOT
	matches '\* 1 FETCH \(FLAGS \(\\Recent\) INTERNALDATE "[^"]*" RFC822\.SIZE [0-9]+\)'
	matches '\* 1 FETCH \(FLAGS \(\\Recent\) INTERNALDATE "[^"]*" RFC822\.SIZE [0-9]+ ENVELOPE \(.*\)\)'
	matches '\* 1 FETCH \(FLAGS \(\\Recent\) INTERNALDATE "[^"]*" RFC822\.SIZE [0-9]+ ENVELOPE \(.*\) BODY \(.*\)\)'
	tagged d OK
}

@test "fetch: UID FETCH always includes UID; empty UID ranges are OK" {
	put one
	put two
	imapd_login <<-EOT
	a SELECT INBOX
	b UID FETCH 2 FLAGS
	c UID FETCH 100:200 FLAGS
	d UID FETCH 1:* (UID)
	e UID FETCH 5:* UID
	EOT
	has '* 2 FETCH (UID 2 FLAGS (\Recent))'
	tagged b OK
	tagged c OK
	has '* 1 FETCH (UID 1)'
	tagged d OK
	# n:* always includes the last message (RFC 3501 §6.4.8)
	[ "$(grep -c '^\* 2 FETCH (UID 2)$' <<< "$output")" -eq 2 ]
}

@test "fetch: bad sequence sets and attributes are BAD" {
	put one
	imapd_login <<-EOT
	a SELECT INBOX
	b FETCH 2 FLAGS
	c FETCH 0 FLAGS
	d FETCH 1 (FLAGS BOGUS)
	e FETCH 1 BODY[BOGUS]
	f FETCH 1 BODY[]<1>
	g FETCH x FLAGS
	h FETCH 1 ()
	i FETCH 1:* FLAGS
	EOT
	tagged b BAD
	tagged c BAD
	tagged d BAD
	tagged e BAD
	tagged f BAD
	tagged g BAD
	tagged h BAD
	tagged i OK
}

@test "fetch: an empty mailbox with 1:* matches nothing" {
	imapd_login <<-EOT
	a SELECT INBOX
	b FETCH 1:* FLAGS
	c FETCH 1 FLAGS
	EOT
	tagged b OK
	tagged c BAD
}
