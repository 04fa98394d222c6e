#!/usr/bin/env bats
# imapd's message cache (imapd-cache in the folder): FETCH ENVELOPE/BODY/
# BODYSTRUCTURE and SEARCH on header fields answered from it, identical to
# parsing; damaged, foreign and concurrent caches; expunged messages.

load helpers
load lib/imapd

setup() {
	common_setup
	[ -x "$BIN_DIR/imapd" ] || skip "build/imapd not built"
}
teardown() { common_teardown; }

CACHE_FETCH='FETCH 1:* (UID ENVELOPE BODY BODYSTRUCTURE)'

# msg N: a message; every third one multipart with an encoded subject.
msg() {
	local n=$1
	if [ $((n % 3)) -eq 0 ]; then
		printf 'From: "User %d" <u%d@example.org>\n' "$n" "$n"
		printf 'To: a@example.com, B <b@example.com>\n'
		printf 'Subject: =?UTF-8?B?R3LDvMOfZQ==?= number %d\n' "$n"
		printf 'Date: Mon, 7 Feb 1994 21:52:25 -0800\n'
		printf 'Message-ID: <%d@example.org>\n' "$n"
		printf 'Content-Type: multipart/mixed; boundary=xx\n\n'
		printf 'pre\n--xx\nContent-Type: text/plain\n\nhello %d\n' "$n"
		printf -- '--xx\nContent-Type: image/png; name=a.png\n'
		printf 'Content-Transfer-Encoding: base64\n\naGVsbG8=\n--xx--\n'
	else
		printf 'From: u%d@example.org\nTo: t@example.com\n' "$n"
		printf 'Cc: C Person <c@example.net>\n'
		printf 'Subject: Plain subject %d\n' "$n"
		printf 'Date: Tue, 8 Feb 1994 10:00:00 +0000\n\nbody %d\n' "$n"
	fi
}

# deliver_n FROM TO: messages FROM..TO, in order.
deliver_n() {
	local i
	for i in $(seq "$1" "$2"); do
		msg "$i" > "$TEST_ROOT/m"
		deliver "$TEST_ROOT/m" "$((1000000000 + i)).M${i}P1.testhost"
	done
}

# fetch_all: one session fetching everything; $out holds the FETCH
# responses (with the lines of any literal in them).
fetch_all() {
	imapd_login <<-EOT
	a SELECT INBOX
	b $CACHE_FETCH
	EOT
	tagged b OK
	out=$(printf '%s\n' "${lines[@]}" |
	    sed -n '/^\* [0-9]* FETCH/,/^b /p' | grep -v '^b ')
}

# No message file can be read any more: only the cache can answer.
lock_messages() {
	chmod 000 "$MAILDIR"/cur/* "$MAILDIR"/new/* 2>/dev/null || true
}

@test "cache: the first FETCH writes it, later ones send the same octets" {
	deliver_n 1 9
	[ ! -e "$MAILDIR/imapd-cache" ]
	fetch_all
	cold=$out
	[ "$(printf '%s\n' "$cold" | wc -l)" -eq 9 ]
	[ -s "$MAILDIR/imapd-cache" ]
	[ "$(head -c 6 "$MAILDIR/imapd-cache")" = IMAPDC ]
	has '* 1 FETCH (UID 1 ENVELOPE ("Tue, 8 Feb 1994 10:00:00 +0000" "Plain subject 1" ((NIL NIL "u1" "example.org")) ((NIL NIL "u1" "example.org")) ((NIL NIL "u1" "example.org")) ((NIL NIL "t" "example.com")) (("C Person" NIL "c" "example.net")) NIL NIL NIL) BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 8 1) BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 8 1 NIL NIL NIL NIL))'
	has '* 3 FETCH (UID 3 ENVELOPE ("Mon, 7 Feb 1994 21:52:25 -0800" "=?UTF-8?B?R3LDvMOfZQ==?= number 3" (("User 3" NIL "u3" "example.org")) (("User 3" NIL "u3" "example.org")) (("User 3" NIL "u3" "example.org")) ((NIL NIL "a" "example.com")("B" NIL "b" "example.com")) NIL NIL NIL "<3@example.org>") BODY (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 7 1)("image" "png" ("name" "a.png") NIL NIL "base64" 8) "mixed") BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 7 1 NIL NIL NIL NIL)("image" "png" ("name" "a.png") NIL NIL "base64" 8 NIL NIL NIL NIL) "mixed" ("boundary" "xx") NIL NIL NIL))'
	size=$(stat -c %s "$MAILDIR/imapd-cache")
	fetch_all
	[ "$out" = "$cold" ]
	# warm: nothing new to write, and the messages are not read at all
	[ "$(stat -c %s "$MAILDIR/imapd-cache")" -eq "$size" ]
	lock_messages
	fetch_all
	[ "$out" = "$cold" ]
}

@test "cache: a message not cached yet is parsed and added" {
	deliver_n 1 3
	fetch_all
	deliver_n 4 6
	fetch_all
	all=$out
	lock_messages
	fetch_all
	[ "$out" = "$all" ]
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 6 ]
}

@test "cache: sections still read the message; ENVELOPE with them agrees" {
	deliver_n 1 3
	fetch_all
	imapd_login <<-EOT
	a SELECT INBOX
	b FETCH 3 (ENVELOPE BODY.PEEK[1])
	EOT
	has '* 3 FETCH (ENVELOPE ("Mon, 7 Feb 1994 21:52:25 -0800" "=?UTF-8?B?R3LDvMOfZQ==?= number 3" (("User 3" NIL "u3" "example.org")) (("User 3" NIL "u3" "example.org")) (("User 3" NIL "u3" "example.org")) ((NIL NIL "a" "example.com")("B" NIL "b" "example.com")) NIL NIL NIL "<3@example.org>") BODY[1] {7}'
	has 'hello 3)'
	tagged b OK
}

@test "cache: SEARCH on header fields answers as parsing does" {
	deliver_n 1 9
	script=$(cat <<-EOT
	a SELECT INBOX
	b SEARCH SUBJECT "plain SUBJECT"
	c SEARCH SUBJECT number
	d SEARCH CHARSET UTF-8 SUBJECT {4+}
	GRÜ
	e SEARCH FROM "user 6"
	f SEARCH CC person
	g SEARCH BCC x
	h SEARCH HEADER TO ""
	i SEARCH HEADER cc ""
	j UID SEARCH OR SUBJECT 7 TO b@example
	k SEARCH SENTON 7-Feb-1994
	l SEARCH SENTBEFORE 8-Feb-1994 SUBJECT 9
	EOT
	)
	want=$(cat <<-EOT
	* SEARCH 1 2 4 5 7 8
	* SEARCH 3 6 9
	* SEARCH 3 6 9
	* SEARCH 6
	* SEARCH 1 2 4 5 7 8
	* SEARCH
	* SEARCH 1 2 3 4 5 6 7 8 9
	* SEARCH 1 2 4 5 7 8
	* SEARCH 3 6 7 9
	* SEARCH 3 6 9
	* SEARCH 9
	EOT
	)
	check() {
		got=$(printf '%s\n' "${lines[@]}" | grep '^\* SEARCH')
		[ "$got" = "$want" ] || { printf '%s\n' "$output"; false; }
		tagged l OK
	}
	imapd_login <<< "$script"
	check
	[ -s "$MAILDIR/imapd-cache" ]
	lock_messages
	imapd_login <<< "$script"
	check
}

@test "cache: a corrupt file is ignored, then replaced by a good one" {
	deliver_n 1 6
	fetch_all
	good=$out
	head -c 20000 /dev/urandom > "$MAILDIR/imapd-cache"
	fix_owner
	fetch_all
	[ "$out" = "$good" ]
	[ "$(head -c 6 "$MAILDIR/imapd-cache")" = IMAPDC ]
	lock_messages
	fetch_all
	[ "$out" = "$good" ]
}

@test "cache: a truncated file serves its whole records, parses the rest" {
	deliver_n 1 6
	fetch_all
	good=$out
	truncate -s -25 "$MAILDIR/imapd-cache"
	fetch_all
	[ "$out" = "$good" ]
	# the writer repaired it: every record whole again
	lock_messages
	fetch_all
	[ "$out" = "$good" ]
}

@test "cache: a cache of another UIDVALIDITY is never used" {
	deliver_n 1 4
	imapd_login <<-EOT
	a SELECT INBOX
	b FETCH 1:* (ENVELOPE)
	EOT
	has '* 1 FETCH (ENVELOPE ("Tue, 8 Feb 1994 10:00:00 +0000" "Plain subject 1" ((NIL NIL "u1" "example.org")) ((NIL NIL "u1" "example.org")) ((NIL NIL "u1" "example.org")) ((NIL NIL "t" "example.com")) (("C Person" NIL "c" "example.net")) NIL NIL NIL))'
	v1=$(printf '%s\n' "${lines[@]}" | sed -n 's/.*UIDVALIDITY \([0-9]*\).*/\1/p')
	# UIDs are lost: message 1 goes, the UID list is gone; UID 1 is now
	# another message under a new UIDVALIDITY
	rm -f "$MAILDIR"/cur/1000000001.* "$MAILDIR"/new/1000000001.*
	rm -f "$MAILDIR/imapd-uidlist"
	imapd_login <<-EOT
	a SELECT INBOX
	b UID FETCH 1 (ENVELOPE)
	c SEARCH SUBJECT "subject 1"
	EOT
	v2=$(printf '%s\n' "${lines[@]}" | sed -n 's/.*UIDVALIDITY \([0-9]*\).*/\1/p')
	[ -n "$v1" ] && [ -n "$v2" ] && [ "$v1" != "$v2" ]
	has '* 1 FETCH (UID 1 ENVELOPE ("Tue, 8 Feb 1994 10:00:00 +0000" "Plain subject 2" ((NIL NIL "u2" "example.org")) ((NIL NIL "u2" "example.org")) ((NIL NIL "u2" "example.org")) ((NIL NIL "t" "example.com")) (("C Person" NIL "c" "example.net")) NIL NIL NIL))'
	has '* SEARCH'
	tagged c OK
}

@test "cache: sessions filling it at once lose nothing" {
	deliver_n 1 40
	cat > "$TEST_ROOT/s" <<-EOT
	L LOGIN $TEST_USER secret
	a SELECT INBOX
	b $CACHE_FETCH
	c SEARCH SUBJECT number
	Z LOGOUT
	EOT
	for i in 1 2 3 4 5; do
		sed 's/$/\r/' "$TEST_ROOT/s" | "$BIN_DIR/imapd" \
		    --passwd-file="$PASSWD" --auth-delay=0 2>&1 |
		    tr -d '\r' | grep '^\* [0-9]* FETCH' > "$TEST_ROOT/out.$i" &
	done
	wait
	for i in 2 3 4 5; do
		cmp "$TEST_ROOT/out.1" "$TEST_ROOT/out.$i"
	done
	[ "$(wc -l < "$TEST_ROOT/out.1")" -eq 40 ]
	lock_messages
	fetch_all
	[ "$out" = "$(cat "$TEST_ROOT/out.1")" ]
}

@test "cache: records of expunged messages are dropped" {
	deliver_n 1 80
	fetch_all
	big=$(stat -c %s "$MAILDIR/imapd-cache")
	imapd_login <<-EOT
	a SELECT INBOX
	b STORE 11:80 +FLAGS.SILENT (\\Deleted)
	c EXPUNGE
	d $CACHE_FETCH
	EOT
	tagged d OK
	small=$(stat -c %s "$MAILDIR/imapd-cache")
	[ "$small" -lt $((big / 4)) ]
	[ ! -e "$MAILDIR/imapd-cache.tmp" ]
	fetch_all
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 10 ]
	# new mail gets new UIDs: never an old record
	deliver_n 81 81
	fetch_all
	printf "%s\n" "$out" | sed -n 11p | grep -qF '* 11 FETCH (UID 81 ENVELOPE ("Mon, 7 Feb 1994 21:52:25 -0800" "=?UTF-8?B?R3LDvMOfZQ==?= number 81" '
	lock_messages
	fetch_all
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 11 ]
}

@test "cache: an unwritable folder just means parsing" {
	deliver_n 1 3
	imapd_login <<< "a SELECT INBOX"
	tagged a OK
	chmod 555 "$MAILDIR"
	fetch_all
	chmod 755 "$MAILDIR"
	[ ! -e "$MAILDIR/imapd-cache" ]
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 3 ]
}

@test "cache: quotes, backslashes and 8-bit text render as without it" {
	{
		printf 'From: "A \\"Q\\" B" <a@example.org>\n'
		printf 'Subject: say "hi" \\o/ and \303\251t\303\251\n'
		printf 'Message-ID: <x"y@example.org>\n\nbody\n'
	} > "$TEST_ROOT/m"
	deliver "$TEST_ROOT/m"
	fetch_all
	cold=$out
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 2 ]
	has '* 1 FETCH (UID 1 ENVELOPE (NIL {22}'
	has 'say "hi" \o/ and été (("A \"Q\" B" NIL "a" "example.org")) (("A \"Q\" B" NIL "a" "example.org")) (("A \"Q\" B" NIL "a" "example.org")) NIL NIL NIL NIL "<x\"y@example.org>") BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 6 1) BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 6 1 NIL NIL NIL NIL))'
	lock_messages
	fetch_all
	[ "$out" = "$cold" ]
}

# SEARCH TEXT/BODY search the octets of ASCII-compatible parts directly;
# the answers must be the ones of decoding everything.
@test "search: TEXT and BODY through transfer encodings and charsets" {
	{
		printf 'From: a@example.org\nSubject: =?UTF-8?Q?encoded_subj?=\n'
		printf 'X-Long: part1\n part2\nContent-Type: multipart/mixed; boundary=b\n\n'
		printf -- '--b\nContent-Type: text/plain; charset=utf-8\n'
		printf 'Content-Transfer-Encoding: quoted-printable\n\n'
		printf 'Hello wor=\nld caf=C3=A9 =3D end =\r\nsoft=ZZ\n'
		printf -- '--b\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n'
		printf 'c2VjcmV0IGJhc2U2NCB3b3Jkcw==\n'
		printf -- '--b\nContent-Type: text/html; charset=ISO-8859-1\n'
		printf 'Content-Transfer-Encoding: quoted-printable\n\nna=EFve <b>Text</b>\n'
		printf -- '--b\nContent-Type: text/plain; charset=utf-16\n'
		printf 'Content-Transfer-Encoding: base64\n\n//5oAGkAZABkAGUAbgA=\n'
		printf -- '--b\nContent-Type: application/octet-stream\n\nzzattach\n'
		printf -- '--b\nContent-Type: message/rfc822\n\nSubject: innersubj\n\ninnerword\n'
		printf -- '--b--\n'
	} > "$TEST_ROOT/m"
	deliver "$TEST_ROOT/m"
	printf 'Subject: plain\n\nnothing here\n' > "$TEST_ROOT/m"
	deliver "$TEST_ROOT/m"
	imapd_login <<-EOT
	a SELECT INBOX
	b SEARCH BODY WORLD
	c SEARCH BODY wor=
	d SEARCH BODY "= end soft=zz"
	e SEARCH BODY "BASE64 WORDS"
	f SEARCH BODY "na"
	g SEARCH BODY "<b>text"
	h SEARCH BODY hidden
	i SEARCH BODY zzattach
	j SEARCH BODY innerword
	k SEARCH TEXT innersubj
	l SEARCH TEXT "encoded subj"
	m SEARCH TEXT subj
	n SEARCH TEXT "part1 part2"
	o SEARCH TEXT "x-long: part1"
	p SEARCH BODY subj
	q SEARCH TEXT nothing
	r SEARCH TEXT ""
	s SEARCH NOT BODY hidden
	EOT
	got=$(printf '%s\n' "${lines[@]}" | grep '^\* SEARCH')
	want=$(cat <<-EOT
	* SEARCH 1
	* SEARCH
	* SEARCH 1
	* SEARCH 1
	* SEARCH 1
	* SEARCH 1
	* SEARCH 1
	* SEARCH
	* SEARCH 1
	* SEARCH
	* SEARCH 1
	* SEARCH 1 2
	* SEARCH 1
	* SEARCH 1
	* SEARCH
	* SEARCH 2
	* SEARCH 1 2
	* SEARCH 2
	EOT
	)
	[ "$got" = "$want" ] || { printf '%s\n' "$output"; false; }
	tagged s OK
}

@test "cache: header searches and ENVELOPE alone read and keep only headers" {
	deliver_n 1 6
	imapd_login <<-EOT
	a SELECT INBOX
	b FETCH 1:3 ENVELOPE
	c SEARCH SUBJECT number
	EOT
	has '* SEARCH 3 6'
	env0=$(printf '%s\n' "${lines[@]}" | grep '^\* [0-9]* FETCH')
	# the header entries answer SEARCH and ENVELOPE without the messages
	chmod 000 "$MAILDIR"/cur/* "$MAILDIR"/new/* 2>/dev/null || true
	imapd_login <<-EOT
	a SELECT INBOX
	b SEARCH SUBJECT number
	c FETCH 3 (ENVELOPE)
	d FETCH 3 (BODYSTRUCTURE)
	EOT
	has '* SEARCH 3 6'
	has '* 3 FETCH (ENVELOPE ("Mon, 7 Feb 1994 21:52:25 -0800" "=?UTF-8?B?R3LDvMOfZQ==?= number 3" (("User 3" NIL "u3" "example.org")) (("User 3" NIL "u3" "example.org")) (("User 3" NIL "u3" "example.org")) ((NIL NIL "a" "example.com")("B" NIL "b" "example.com")) NIL NIL NIL "<3@example.org>"))'
	hasnt '\* 3 FETCH \(BODYSTRUCTURE.*'
	tagged d NO
	# a FETCH of the rest parses and adds whole entries
	chmod 644 "$MAILDIR"/cur/* "$MAILDIR"/new/* 2>/dev/null || true
	fetch_all
	full=$out
	lock_messages
	fetch_all
	[ "$out" = "$full" ]
	imapd_login <<-EOT
	a SELECT INBOX
	b FETCH 1:* ENVELOPE
	EOT
	env=$(printf '%s\n' "${lines[@]}" | grep '^\* [0-9]* FETCH')
	[ "$env" = "$(printf '%s\n' "$full" | sed 's/^\(\* [0-9]* FETCH (\)UID [0-9]* \(ENVELOPE .*\) BODY (.*/\1\2)/')" ]
	[ "$env0" = "$(printf '%s\n' "$env" | head -3)" ]
}
