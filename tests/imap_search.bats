#!/usr/bin/env bats
# imapd SEARCH and UID SEARCH end to end (RFC 3501 §6.4.4, §7.2.5): every
# search key, OR/NOT/lists, sequence and UID sets, dates, decoded headers
# and bodies, CHARSET, and the errors.

load helpers

# A mailbox of six messages in a known order.  UIDs start at 2 (the first
# message delivered is expunged), so sequence numbers and UIDs differ:
#   seq uid  flags                       INTERNALDATE  Date: field
#   1   2    \Answered \Draft \Deleted   5-Jan-2019    1-Jan-2019 (QP body)
#   2   3    \Seen                       3-Feb-2020    2-Feb-2020
#   3   4    \Flagged Later              15-Jun-2021   none (base64 body)
#   4   5    \Seen \Flagged              10-Mar-2022   10-Mar-2022 (big)
#   5   6    -                           5-May-2023    unparseable
#   6   7    \Recent (delivered last)    now           none
# INTERNALDATEs are at noon UTC, and the server runs with TZ=UTC.

setup() {
	common_setup
	[ -x "$BIN_DIR/imapd" ] || skip "build/imapd not built"
	export TZ=UTC
	MSGS=$TEST_ROOT/msgs
	mkdir -p "$MSGS"
	write_messages
	put 0 1500000000
	srch_session <<-'EOF'
	a STORE 1 +FLAGS (\Deleted)
	b EXPUNGE
	EOF
	put 1 1546689600	# 2019-01-05 12:00 UTC
	put 2 1580731200	# 2020-02-03 12:00 UTC
	put 3 1623758400	# 2021-06-15 12:00 UTC
	put 4 1646913600	# 2022-03-10 12:00 UTC
	put 5 1683288000	# 2023-05-05 12:00 UTC
	srch_session <<-'EOF'
	a STORE 1 +FLAGS (\Answered \Draft \Deleted)
	b STORE 2 +FLAGS (\Seen)
	c STORE 3 +FLAGS (\Flagged Later)
	d STORE 4 +FLAGS (\Seen \Flagged)
	EOF
	[ "$(count_msgs cur)" -eq 5 ]
	# the sixth stays in new/: \Recent for the next session
	deliver "$MSGS/m6" "1700000000.M6P1.testhost"
}
teardown() { common_teardown; }

write_messages() {
	cat > "$MSGS/m0" <<-'EOF'
	From: nobody@example.com
	Subject: expunged

	gone
	EOF
	cat > "$MSGS/m1" <<-'EOF'
	From: Eve <eve@example.com>
	To: frank@example.com
	Bcc: dave@example.com
	Subject: coffee
	Date: Tue, 1 Jan 2019 08:00:00 +0000
	Message-ID: <m1@example.com>
	MIME-Version: 1.0
	Content-Type: text/plain; charset=utf-8
	Content-Transfer-Encoding: quoted-printable

	caf=C3=A9 au lait, s'il vous pla=C3=AEt
	EOF
	cat > "$MSGS/m2" <<-'EOF'
	From: Alice Example <alice@example.org>
	To: bob@example.org
	Subject: Hello world
	Date: Sun, 2 Feb 2020 10:00:00 +0000
	X-Custom: foo bar

	plain body text
	EOF
	cat > "$MSGS/m3" <<-'EOF'
	From: someone@example.net
	To: bob@example.org
	Cc: Carol <carol@example.net>
	Subject: =?UTF-8?B?w6l0w6k=?=
	MIME-Version: 1.0
	Content-Type: text/plain; charset=utf-8
	Content-Transfer-Encoding: base64

	dGhlIHNlY3JldCB3b3JkCg==
	EOF
	{
		printf 'From: bob@example.org\nTo: alice@example.org\n'
		printf 'Subject: big one\n'
		printf 'Date: Thu, 10 Mar 2022 09:00:00 +0100\n\n'
		for i in $(seq 1 60); do
			printf '%080d\n' "$i"
		done
	} > "$MSGS/m4"
	cat > "$MSGS/m5" <<-'EOF'
	From: "Zoe" <zoe@example.com>
	To: team@example.com
	Subject: =?ISO-8859-1?Q?caf=E9_cr=E8me?=
	Date: not a date at all
	MIME-Version: 1.0
	Content-Type: multipart/mixed; boundary="XYZ"

	--XYZ
	Content-Type: text/plain; charset=iso-8859-1
	Content-Transfer-Encoding: quoted-printable

	the hidden n=65edle in a part
	--XYZ
	Content-Type: text/plain; charset=utf-8
	Content-Transfer-Encoding: base64

	c2Vjb25kIHBhcnQgd2l0aCBhIHppcHBlcgo=
	--XYZ--
	EOF
	cat > "$MSGS/m6" <<-'EOF'
	From: alice@example.org
	To: bob@example.org
	Subject: fresh

	fresh news
	EOF
}

# put N EPOCH: deliver message N with that INTERNALDATE, then let a session
# see it, so that UIDs follow delivery order.
put() {
	local name="$2.M$1P1.testhost"
	deliver "$MSGS/m$1" "$name"
	touch -d "@$2" "$MAILDIR/new/$name"
	srch_session < /dev/null
}

# srch_session < SCRIPT: log in, select INBOX, run the script, log out.
srch_session() {
	local f=$TEST_ROOT/script.$$.$RANDOM
	{
		echo "L LOGIN $TEST_USER secret"
		echo "S SELECT INBOX"
		cat
		echo "Z LOGOUT"
	} > "$f"
	run timeout 20 bash -c 'sed "s/\$/\r/" < "$1" | "${@:2}" 2>&1 |
	    tr -d "\r"' _ "$f" "$BIN_DIR/imapd" --passwd-file="$PASSWD" \
	    --auth-delay=0
	rm -f "$f"
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\nL OK'* ]]
	[[ "$output" == *$'\nS OK'* ]]
	[[ "$output" == *$'\nZ OK'* ]]
}

# result TAG: "<the * SEARCH line> / <tagged status>" for TAG's command.
result() {
	printf '%s\n' "$output" | awk -v t="$1" '
	    /^\* SEARCH( |$)/ { last = $0; next }
	    /^\*/ { next }
	    $1 == t { print last " / " $2; exit }
	    { last = "" }'
}

# expect TAG NUMBERS...: TAG answered "* SEARCH NUMBERS" and OK.
expect() {
	local t=$1 want got
	shift
	want="* SEARCH${*:+ $*} / OK"
	got=$(result "$t")
	if [ "$got" != "$want" ]; then
		printf '%s: got "%s", want "%s"\n--- output:\n%s\n' "$t" \
		    "$got" "$want" "$output" >&2
		return 1
	fi
}

# status TAG STATUS: TAG's tagged reply is STATUS, with no * SEARCH.
status_is() {
	local got
	got=$(result "$1")
	if [ "$got" != " / $2" ]; then
		printf '%s: got "%s", want "%s"\n--- output:\n%s\n' "$1" \
		    "$got" " / $2" "$output" >&2
		return 1
	fi
}

@test "SEARCH: flag keys" {
	srch_session <<-'EOF'
	a SEARCH ALL
	b SEARCH SEEN
	c SEARCH UNSEEN
	d SEARCH FLAGGED
	e SEARCH UNFLAGGED
	f SEARCH DELETED
	g SEARCH UNDELETED
	h SEARCH ANSWERED
	i SEARCH UNANSWERED
	j SEARCH DRAFT
	k SEARCH UNDRAFT
	l SEARCH RECENT
	m SEARCH NEW
	n SEARCH OLD
	o SEARCH seen
	EOF
	expect a 1 2 3 4 5 6
	expect b 2 4
	expect c 1 3 5 6
	expect d 3 4
	expect e 1 2 5 6
	expect f 1
	expect g 2 3 4 5 6
	expect h 1
	expect i 2 3 4 5 6
	expect j 1
	expect k 2 3 4 5 6
	expect l 6
	expect m 6
	expect n 1 2 3 4 5
	expect o 2 4
}

@test "SEARCH: KEYWORD and UNKEYWORD, known and unknown keywords" {
	srch_session <<-'EOF'
	a SEARCH KEYWORD Later
	b SEARCH UNKEYWORD Later
	c SEARCH KEYWORD Nosuch
	d SEARCH UNKEYWORD Nosuch
	EOF
	expect a 3
	expect b 1 2 4 5 6
	expect c
	expect d 1 2 3 4 5 6
}

@test "SEARCH: sequence sets and UID sets, with *" {
	srch_session <<-'EOF'
	a SEARCH 1
	b SEARCH 2:4
	c SEARCH *
	d SEARCH 5:*
	e SEARCH 4:2
	f SEARCH 1,3,5
	g SEARCH 7:9
	h SEARCH UID 3
	i SEARCH UID 1
	j SEARCH UID 5:*
	k SEARCH UID *
	l SEARCH UID 1:3,6
	EOF
	expect a 1
	expect b 2 3 4
	expect c 6
	expect d 5 6
	expect e 2 3 4
	expect f 1 3 5
	expect g
	expect h 2
	expect i
	expect j 4 5 6
	expect k 6
	expect l 1 2 5
}

@test "UID SEARCH: answers with UIDs" {
	srch_session <<-'EOF'
	a UID SEARCH ALL
	b UID SEARCH SEEN
	c UID SEARCH 2
	d UID SEARCH UID 4:*
	e uid search not seen
	f UID SEARCH UID 100
	EOF
	expect a 2 3 4 5 6 7
	expect b 3 5
	expect c 3
	expect d 4 5 6 7
	expect e 2 4 6 7
	expect f
}

@test "SEARCH: LARGER and SMALLER use the size with CRLF line ends" {
	local size
	# RFC822.SIZE of message 2: octets plus one CR per LF
	size=$(( $(wc -c < "$MSGS/m2") + $(wc -l < "$MSGS/m2") ))
	srch_session <<-EOF
	a SEARCH LARGER 4000
	b SEARCH SMALLER 4000
	c SEARCH LARGER $((size - 1)) SMALLER $((size + 1))
	d SEARCH LARGER $size 2
	e SEARCH SMALLER $size 2
	f SEARCH LARGER 4294967295
	g FETCH 2 RFC822.SIZE
	EOF
	expect a 4
	expect b 1 2 3 5 6
	expect c 2
	expect d
	expect e
	expect f
	has_line "* 2 FETCH (RFC822.SIZE $size)"
}

@test "SEARCH: BEFORE, ON, SINCE compare INTERNALDATE by day" {
	srch_session <<-'EOF'
	a SEARCH BEFORE 1-Jan-2020
	b SEARCH ON 3-Feb-2020
	c SEARCH BEFORE 3-Feb-2020
	d SEARCH SINCE 3-Feb-2020 BEFORE 1-Jan-2023
	e SEARCH ON 2-Feb-2020
	f SEARCH SINCE 15-Jun-2021 UNSEEN
	g SEARCH ON "05-May-2023"
	h SEARCH on 5-may-2023
	EOF
	expect a 1
	expect b 2
	expect c 1
	expect d 2 3 4
	expect e
	expect f 3 5 6
	expect g 5
	expect h 5
}

@test "SEARCH: SENT* use the Date: field, else INTERNALDATE" {
	srch_session <<-'EOF'
	a SEARCH SENTON 2-Feb-2020
	b SEARCH SENTON 1-Jan-2019
	c SEARCH SENTBEFORE 2-Feb-2020
	d SEARCH SENTSINCE 10-Mar-2022
	e SEARCH SENTON 15-Jun-2021
	f SEARCH SENTON 5-May-2023
	g SEARCH SENTON 10-Mar-2022
	h SEARCH SENTON 3-Feb-2020
	EOF
	expect a 2
	expect b 1
	expect c 1
	expect d 4 5 6
	expect e 3
	expect f 5
	expect g 4
	expect h
}

@test "SEARCH: address and subject keys, case-insensitive substrings" {
	srch_session <<-'EOF'
	a SEARCH FROM alice
	b SEARCH FROM ALICE
	c SEARCH TO alice
	d SEARCH TO bob
	e SEARCH CC carol
	f SEARCH BCC dave
	g SEARCH SUBJECT hello
	h SEARCH SUBJECT "Hello World"
	i SEARCH FROM "Alice Example"
	j SEARCH SUBJECT nothing-like-this
	EOF
	expect a 2 6
	expect b 2 6
	expect c 4
	expect d 2 3 6
	expect e 3
	expect f 1
	expect g 2
	expect h 2
	expect i 2
	expect j
}

@test "SEARCH: HEADER field string, and an empty string for presence" {
	srch_session <<-'EOF'
	a SEARCH HEADER X-Custom bar
	b SEARCH HEADER x-custom ""
	c SEARCH HEADER Message-ID m1@example
	d SEARCH HEADER Cc ""
	e SEARCH HEADER X-Custom baz
	EOF
	expect a 2
	expect b 2
	expect c 1
	expect d 3
	expect e
}

@test "SEARCH: encoded-word subjects match their decoded text" {
	srch_session <<-'EOF'
	a SEARCH SUBJECT "été"
	b SEARCH CHARSET UTF-8 SUBJECT "crème"
	c SEARCH SUBJECT {5}
	été
	d SEARCH SUBJECT =?UTF-8?B?w6l0w6k=?=
	e SEARCH SUBJECT "CAFé"
	EOF
	expect a 3
	expect b 5
	expect c 3
	expect d
	expect e 5
}

@test "SEARCH: BODY and TEXT match decoded quoted-printable and base64" {
	srch_session <<-'EOF'
	a SEARCH BODY "café au lait"
	b SEARCH BODY secret
	c SEARCH BODY needle
	d SEARCH BODY zipper
	e SEARCH BODY alice
	f SEARCH TEXT alice
	g SEARCH TEXT "fresh news"
	h SEARCH BODY dGhlIHNlY3JldCB3b3Jk
	i SEARCH BODY "s'il vous plaît"
	EOF
	expect a 1
	expect b 3
	expect c 5
	expect d 5
	expect e
	expect f 2 4 6
	expect g 6
	expect h
	expect i 1
}

@test "SEARCH: NOT, OR, parenthesized lists and implicit AND" {
	srch_session <<-'EOF'
	a SEARCH NOT SEEN
	b SEARCH OR SEEN DELETED
	c SEARCH OR (SEEN FLAGGED) DELETED
	d SEARCH NOT (OR FROM alice SEEN)
	e SEARCH OR OR 1 2 3
	f SEARCH SEEN FLAGGED
	g SEARCH (SEEN) (FLAGGED)
	h SEARCH NOT NOT NOT SEEN
	i SEARCH or seen Deleted
	j SEARCH OR NOT SEEN NOT FLAGGED
	k SEARCH ((((UNSEEN)) ((NOT DELETED))))
	l SEARCH UNDELETED SINCE 1-Jan-2020 NOT FROM someone
	EOF
	expect a 1 3 5 6
	expect b 1 2 4
	expect c 1 4
	expect d 1 3 5
	expect e 1 2 3
	expect f 4
	expect g 4
	expect h 1 3 5 6
	expect i 1 2 4
	expect j 1 2 3 5 6
	expect k 3 5 6
	expect l 2 4 5 6
}

@test "SEARCH: CHARSET UTF-8 and US-ASCII; an unknown charset -> NO [BADCHARSET]" {
	srch_session <<-'EOF'
	a SEARCH CHARSET UTF-8 FROM alice
	b SEARCH CHARSET US-ASCII FROM alice
	c SEARCH CHARSET utf-8 SEEN
	d SEARCH CHARSET KOI8-R FROM alice
	e SEARCH CHARSET {5}
	UTF-8 SEEN
	f NOOP
	EOF
	expect a 2 6
	expect b 2 6
	expect c 2 4
	matches_line 'd NO \[BADCHARSET \(UTF-8 US-ASCII\)\] .*'
	hasnt_line '\* SEARCH.*d'
	expect e 2 4
	status_is f OK
}

@test "SEARCH: syntax errors -> BAD, and the session goes on" {
	srch_session <<-'EOF'
	a SEARCH
	b SEARCH FOO
	c SEARCH FROM
	d SEARCH BEFORE 1-Foo-2020
	e SEARCH BEFORE 2020-01-01
	f SEARCH LARGER x
	g SEARCH (SEEN
	h SEARCH 0
	i SEARCH NOT
	j SEARCH OR SEEN
	k SEARCH UID
	l SEARCH HEADER Subject
	m SEARCH ()
	n SEARCH SEEN FOO
	o SEARCH LARGER 4294967296
	p NOOP
	EOF
	for t in a b c d e f g h i j k l m n o; do
		status_is "$t" BAD
	done
	status_is p OK
	# no client text is echoed in an error
	hasnt_line '.*FOO.*'
}

@test "SEARCH: nesting and program size at the bound and past it" {
	local deep="" many="" i
	for i in $(seq 1 32); do deep="$deep NOT"; done
	for i in $(seq 1 256); do many="$many SEEN"; done
	srch_session <<-EOF
	a SEARCH$deep SEEN
	b SEARCH NOT$deep SEEN
	c SEARCH$many
	d SEARCH$many ALL
	e NOOP
	EOF
	expect a 2 4
	status_is b BAD
	expect c 2 4
	status_is d BAD
	status_is e OK
}

@test "SEARCH: an empty mailbox, * and 1:* match nothing" {
	srch_session <<-'EOF'
	a CREATE Empty
	b SELECT Empty
	c SEARCH *
	d SEARCH 1:*
	e UID SEARCH 1:*
	f UID SEARCH UID 1:*
	g SEARCH ALL
	EOF
	expect c
	expect d
	expect e
	expect f
	expect g
}

# has_line LINE / matches_line REGEX / hasnt_line REGEX over $output.
has_line() {
	local l
	for l in "${lines[@]}"; do [ "$l" = "$1" ] && return 0; done
	printf 'missing line: %s\n--- output:\n%s\n' "$1" "$output" >&2
	return 1
}

matches_line() {
	local l
	for l in "${lines[@]}"; do [[ $l =~ ^$1$ ]] && return 0; done
	printf 'no line matches: %s\n--- output:\n%s\n' "$1" "$output" >&2
	return 1
}

hasnt_line() {
	local l
	for l in "${lines[@]}"; do
		if [[ $l =~ ^$1$ ]]; then
			printf 'unexpected line: %s\n' "$l" >&2
			return 1
		fi
	done
}

# RFC 3501 §6.4.4: SENTON disregards time and zone: the day is the one the
# Date: field writes, not the UTC day of the instant.
@test "SEARCH: SENTON takes the Date: day in its own zone" {
	printf 'Date: Mon, 7 Feb 1994 23:30:00 -0800\nSubject: late\n\nx\n' \
	    > "$MSGS/m7"
	deliver "$MSGS/m7" "1700000000.M7P1.testhost"
	srch_session <<-'EOF'
	a SEARCH SENTON 7-Feb-1994
	b SEARCH SENTON 8-Feb-1994
	EOF
	expect a 7
	expect b
}
