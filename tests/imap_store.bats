#!/usr/bin/env bats
# imapd STORE and UID STORE: FLAGS, +FLAGS, -FLAGS, .SILENT, keywords;
# flags in the Maildir file names, kept across sessions.

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
