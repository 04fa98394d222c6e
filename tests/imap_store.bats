#!/usr/bin/env bats
# imapd STORE and UID STORE: FLAGS, +FLAGS, -FLAGS, .SILENT, keywords;
# flags in the Maildir file names, kept across sessions.

load helpers
load lib/imapd

setup() {
	common_setup
	[ -x "$BIN_DIR/imapd" ] || skip "build/imapd not built"
}
teardown() { common_teardown; }


@test "store: +FLAGS, -FLAGS, FLAGS answer with the new flags" {
	put one
	imapd_login <<-EOT
	a SELECT INBOX
	b STORE 1 +FLAGS (\Seen \Flagged)
	c STORE 1 -FLAGS (\Flagged)
	d STORE 1 FLAGS (\Answered \Draft)
	EOT
	has '* 1 FETCH (FLAGS (\Flagged \Seen \Recent))'
	has '* 1 FETCH (FLAGS (\Seen \Recent))'
	has '* 1 FETCH (FLAGS (\Answered \Draft \Recent))'
	tagged d OK
	[[ $(files cur) == *:2,DR ]]
}

@test "store: flags are Maildir letters and persist across sessions" {
	put one
	put two
	imapd_login <<-EOT
	a SELECT INBOX
	b STORE 1:2 +FLAGS.SILENT (\Seen \Deleted \Flagged \Answered \Draft)
	EOT
	hasnt '\* [0-9]+ FETCH .*'
	tagged b OK
	[ "$(files cur | grep -c ':2,DFRST$')" -eq 2 ]
	imapd_login <<-EOT
	a SELECT INBOX
	b FETCH 1:* FLAGS
	EOT
	has '* 1 FETCH (FLAGS (\Answered \Flagged \Deleted \Seen \Draft))'
	has '* 2 FETCH (FLAGS (\Answered \Flagged \Deleted \Seen \Draft))'
}

@test "store: a flag without parentheses and a sequence range" {
	for i in 1 2 3; do put "m$i"; done
	imapd_login <<-EOT
	a SELECT INBOX
	b STORE 2:* +FLAGS \Seen
	EOT
	has '* 2 FETCH (FLAGS (\Seen \Recent))'
	has '* 3 FETCH (FLAGS (\Seen \Recent))'
	hasnt '\* 1 FETCH .*'
	[ "$(files cur | grep -c ':2,S$')" -eq 2 ]
}

@test "store: keywords are announced, stored as letters, and kept" {
	put one
	imapd_login <<-EOT
	a SELECT INBOX
	b STORE 1 +FLAGS (\$label1 Work)
	c STORE 1 -FLAGS (Work)
	EOT
	has '* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $label1 Work)'
	has '* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $label1 Work \*)] Flags permitted'
	has '* 1 FETCH (FLAGS (\Recent $label1 Work))'
	has '* 1 FETCH (FLAGS (\Recent $label1))'
	[[ $(files cur) == *:2,a ]]
	grep -q ' \$label1$' "$MAILDIR/imapd-keywords"
	imapd_login <<-EOT
	a SELECT INBOX
	b FETCH 1 FLAGS
	EOT
	has '* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $label1 Work)'
	has '* 1 FETCH (FLAGS ($label1))'
}

@test "store: UID STORE includes UID, even for one message" {
	put one
	put two
	imapd_login <<-EOT
	a SELECT INBOX
	b UID STORE 2 +FLAGS (\Flagged)
	c UID STORE 7:9 +FLAGS (\Flagged)
	d UID STORE 1 +FLAGS.SILENT (\Seen)
	EOT
	has '* 2 FETCH (UID 2 FLAGS (\Flagged \Recent))'
	tagged c OK
	tagged d OK
	hasnt '\* 1 FETCH .*'
}

@test "store: \\Recent, unknown system flags and bad items are BAD" {
	put one
	imapd_login <<-EOT
	a SELECT INBOX
	b STORE 1 +FLAGS (\Recent)
	c STORE 1 +FLAGS (\Bogus)
	d STORE 1 XFLAGS (\Seen)
	e STORE 2 +FLAGS (\Seen)
	f STORE 1 +FLAGS ("quoted")
	EOT
	tagged b BAD
	tagged c BAD
	tagged d BAD
	tagged e BAD
	tagged f BAD
	[[ $(files cur) == *:2, ]]
}

@test "store: at most 26 keywords, then NO [LIMIT]" {
	put one
	{
		echo "a SELECT INBOX"
		for i in $(seq 1 26); do echo "k$i STORE 1 +FLAGS.SILENT (kw$i)"; done
		echo "x STORE 1 +FLAGS (kwmore)"
	} > "$TEST_ROOT/s"
	imapd_login < "$TEST_ROOT/s"
	tagged k26 OK
	tagged x NO LIMIT
	has '* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft kw1 kw2 kw3 kw4 kw5 kw6 kw7 kw8 kw9 kw10 kw11 kw12 kw13 kw14 kw15 kw16 kw17 kw18 kw19 kw20 kw21 kw22 kw23 kw24 kw25 kw26)] Flags permitted'
}
