#!/usr/bin/env bats
# IMAP changes to messages, from RFC 3501 §6.3.11, §6.4 and UIDPLUS
# (4315), MOVE (6851), LITERAL+ (7888): STORE flags and keywords,
# EXPUNGE numbering, CLOSE, UNSELECT, COPY, MOVE, APPEND; the Maildir on
# disk afterwards (file counts, flag letters after ":2,").

load helpers
load lib/imap_proto

setup() {
	imap_proto_setup
	export FIXTURES
}
teardown() { common_teardown; }

# deliver_n N: N small messages, UIDs 1..N in order.
deliver_n() {
	local i
	for i in $(seq 1 "$1"); do
		printf 'From: a@example.org\nSubject: msg %d\n\nbody %d\n' \
		    "$i" "$i" > "$TEST_ROOT/m$i"
		deliver "$TEST_ROOT/m$i"
		imap_login <<< "s SELECT INBOX"
		tagged s OK READ-WRITE || return 1
	done
}

@test "store: +FLAGS -FLAGS FLAGS with untagged FETCH and the Maildir names" {
	deliver_n 2
	imap_login <<-EOF
	s SELECT INBOX
	a STORE 1 +FLAGS (\Flagged)
	b STORE 1 +FLAGS (\Seen \Answered)
	c STORE 1 -FLAGS (\Flagged)
	d STORE 2 FLAGS (\Draft \Deleted)
	e STORE 2 FLAGS ()
	f STORE 2 FLAGS (\Seen)
	EOF
	line '* 1 FETCH (FLAGS (\Flagged))'
	output2=$output
	output=$(lines_between 'a OK.*' 'b OK.*')
	[ "$(grep -o '\\[A-Za-z]*' <<< "$output" | LC_ALL=C sort | tr '\n' ' ')" = '\Answered \Flagged \Seen ' ] ||
	    _imap_fail "b flags"
	output=$(lines_between 'b OK.*' 'c OK.*')
	[ "$(grep -o '\\[A-Za-z]*' <<< "$output" | LC_ALL=C sort | tr '\n' ' ')" = '\Answered \Seen ' ] ||
	    _imap_fail "c flags"
	output=$(lines_between 'c OK.*' 'd OK.*')
	[ "$(grep -o '\\[A-Za-z]*' <<< "$output" | LC_ALL=C sort | tr '\n' ' ')" = '\Deleted \Draft ' ] ||
	    _imap_fail "d flags"
	output=$(lines_between 'd OK.*' 'e OK.*')
	[ "$output" = '* 2 FETCH (FLAGS ())' ] || _imap_fail "e flags"
	output=$output2
	tagged f OK
	# Maildir: flag letters in ASCII order after ":2,"
	[ "$(maildir_flags)" = "$(printf '%s\n' RS S)" ] ||
	    _imap_fail "maildir flags: $(maildir_flags)"
}

@test "store: .SILENT sends no FETCH; the change is still made" {
	deliver_n 1
	imap_login <<-EOF
	s SELECT INBOX
	a STORE 1 +FLAGS.SILENT (\Flagged \Seen)
	b FETCH 1 FLAGS
	c STORE 1 -FLAGS.SILENT (\Seen)
	EOF
	output2=$output
	output=$(lines_between 's OK.*' 'a OK.*')
	[ -z "$output" ] || _imap_fail "untagged data after .SILENT"
	output=$output2
	re_line '\* 1 FETCH \(FLAGS \((\\Flagged \\Seen|\\Seen \\Flagged)\)\)'
	output=$(lines_between 'b OK.*' 'c OK.*')
	[ -z "$output" ] || _imap_fail "untagged data after .SILENT"
	[ "$(maildir_flags)" = "F" ]
}

@test "store: keywords are stored, listed in FLAGS and survive a new session" {
	deliver_n 2
	imap_login <<-EOF
	s SELECT INBOX
	a STORE 1 +FLAGS (\$Forwarded Important)
	b STORE 2 +FLAGS (Important)
	EOF
	tagged a OK
	re_line '\* 1 FETCH \(FLAGS \((\$Forwarded Important|Important \$Forwarded)\)\)'
	line '* 2 FETCH (FLAGS (Important))'
	imap_login <<-EOF
	s SELECT INBOX
	a FETCH 1:2 FLAGS
	b STORE 1 -FLAGS (Important)
	EOF
	# SELECT's FLAGS and PERMANENTFLAGS list the defined keywords
	re_line '\* FLAGS \(.*\$Forwarded.*\)'
	re_line '\* FLAGS \(.*Important.*\)'
	re_line '\* OK \[PERMANENTFLAGS \(.*Important.*\\\*\)\].*'
	re_line '\* 1 FETCH \(FLAGS \((\$Forwarded Important|Important \$Forwarded)\)\)'
	line '* 2 FETCH (FLAGS (Important))'
	line '* 1 FETCH (FLAGS ($Forwarded))'
	# keywords are lowercase letters in the Maildir name
	maildir_flags | grep -Eqx '[a-z]' || _imap_fail "$(maildir_flags)"
}

@test "store: \\Recent cannot be stored; invalid flags are BAD" {
	deliver_n 1
	imap_login <<-EOF
	s SELECT INBOX
	a STORE 1 +FLAGS (\Recent)
	b STORE 1 +FLAGS (\Bogus)
	c STORE 1 +FLAGS (bad(flag)
	d STORE 1 FROB (\Seen)
	e STORE 5 +FLAGS (\Seen)
	EOF
	re_line 'a (BAD|NO)( .*)?'
	re_line 'b (BAD|NO)( .*)?'
	tagged c BAD
	tagged d BAD
	re_line 'e (BAD|NO)( .*)?'
	no_re_line '\* 1 FETCH .*'
}

@test "store: UID STORE includes the UID in its FETCH responses" {
	deliver_n 3
	imap_login <<-EOF
	s SELECT INBOX
	a UID STORE 2,3 +FLAGS (\Deleted)
	b UID STORE 50:60 +FLAGS (\Deleted)
	EOF
	re_line '\* 2 FETCH \((UID 2 FLAGS \(\\Deleted\)|FLAGS \(\\Deleted\) UID 2)\)'
	re_line '\* 3 FETCH \((UID 3 FLAGS \(\\Deleted\)|FLAGS \(\\Deleted\) UID 3)\)'
	tagged a OK
	tagged b OK
	re_count '\* [0-9]+ FETCH .*' 2
}

@test "store: STORE in a mailbox opened with EXAMINE is NO" {
	deliver_n 1
	imap_login <<-EOF
	s EXAMINE INBOX
	a STORE 1 +FLAGS (\Seen)
	b EXPUNGE
	EOF
	tagged a NO
	tagged b NO
	no_re_line '\* 1 FETCH .*'
}

@test "expunge: the EXPUNGE responses renumber correctly" {
	deliver_n 5
	pyimap <<-'EOF'
	from imap import *
	def main(S):
	    a = Imap(server_argv()); S.append(a)
	    a.greeting(); a.login()
	    u, t = a.cmd("SELECT INBOX"); tagged_ok(t)
	    u, t = a.cmd("STORE 2,4,5 +FLAGS.SILENT (\\Deleted)"); tagged_ok(t)
	    u, t = a.cmd("EXPUNGE"); tagged_ok(t)
	    uids = [1, 2, 3, 4, 5]
	    for x in u:
	        m = re.fullmatch(r"\* (\d+) EXPUNGE", x)
	        check(m, "unexpected %r" % x)
	        n = int(m.group(1))
	        check(1 <= n <= len(uids), "EXPUNGE %d of %d" % (n, len(uids)))
	        del uids[n - 1]
	    check(uids == [1, 3], "left %r" % uids)
	    u, t = a.cmd("FETCH 1:* UID"); tagged_ok(t)
	    check(u == ["* 1 FETCH (UID 1)", "* 2 FETCH (UID 3)"], u)
	    u, t = a.cmd("EXPUNGE"); tagged_ok(t)
	    check(u == [], "nothing left to expunge: %r" % u)
	run(main)
	EOF
	[ "$status" -eq 0 ] || _imap_fail "python session failed"
	[ "$(maildir_count)" -eq 2 ]
}

@test "expunge: UID EXPUNGE removes only the given UIDs" {
	deliver_n 3
	imap_login <<-EOF
	s SELECT INBOX
	a STORE 1:3 +FLAGS.SILENT (\Deleted)
	b UID EXPUNGE 2
	c UID EXPUNGE 9
	d FETCH 1:* UID
	EOF
	output2=$output
	output=$(lines_between 'a OK.*' 'b OK.*')
	[ "$output" = "* 2 EXPUNGE" ] || _imap_fail "b"
	output=$(lines_between 'b OK.*' 'c OK.*')
	[ -z "$output" ] || _imap_fail "c"
	output=$output2
	line '* 1 FETCH (UID 1)'
	line '* 2 FETCH (UID 3)'
	[ "$(maildir_count)" -eq 2 ]
}

@test "expunge: CLOSE expunges silently, UNSELECT does not expunge" {
	deliver_n 3
	imap_login <<-EOF
	s SELECT INBOX
	a STORE 1 +FLAGS.SILENT (\Deleted)
	b CLOSE
	c SELECT INBOX
	d STORE 1 +FLAGS.SILENT (\Deleted)
	e UNSELECT
	f FETCH 1 FLAGS
	g EXAMINE INBOX
	h CLOSE
	EOF
	tagged b OK
	no_re_line '\* [0-9]+ EXPUNGE'
	line '* 2 EXISTS'
	tagged e OK
	re_line 'f (BAD|NO)( .*)?'
	tagged h OK
	[ "$(maildir_count)" -eq 2 ]
	[ "$(maildir_flags | grep -c T)" -eq 1 ]
}

@test "copy: COPY copies with flags and answers COPYUID" {
	deliver_n 3
	imap_login <<-EOF
	a CREATE Target
	s SELECT INBOX
	b STORE 2 +FLAGS.SILENT (\Seen \Flagged)
	c COPY 2:3 Target
	d COPY 1 Nosuch
	e COPY 9 Target
	f STATUS Target (MESSAGES UIDNEXT)
	g COPY 1 Target
	EOF
	re_line 'c OK \[COPYUID [1-9][0-9]* (2:3|2,3|3:2) (1:2|1,2|2:1)\]( .*)?'
	tagged d NO TRYCREATE
	re_line 'e (BAD|NO)( .*)?'
	re_line '\* STATUS "?Target"? \((MESSAGES 2 UIDNEXT 3|UIDNEXT 3 MESSAGES 2)\)'
	re_line 'g OK \[COPYUID [1-9][0-9]* 1 3\]( .*)?'
	[ "$(maildir_count)" -eq 3 ]
	[ "$(maildir_count "$MAILDIR/.Target")" -eq 3 ]
	maildir_flags "$MAILDIR/.Target" | grep -qx FS || _imap_fail "$(maildir_flags "$MAILDIR/.Target")"
}

@test "copy: UID COPY with UIDs; the copy has the same bytes" {
	deliver "$FIXTURES/imap_simple.eml"
	imap_login <<-EOF
	a CREATE Target
	s SELECT INBOX
	b UID COPY 1 Target
	c SELECT Target
	d FETCH 1 (RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])
	e UID COPY 77 INBOX
	EOF
	re_line 'b OK \[COPYUID [1-9][0-9]* 1 1\]( .*)?'
	re_line "\\* 1 FETCH \\(RFC822\\.SIZE $(crlf_size "$FIXTURES/imap_simple.eml") .*"
	line 'Message-ID: <simple.1@example.org>'
	tagged e OK
}

@test "move: MOVE sends COPYUID untagged, then EXPUNGE, and moves the file" {
	deliver_n 3
	imap_login <<-EOF
	a CREATE Target
	s SELECT INBOX
	b STORE 2 +FLAGS.SILENT (\Answered)
	c MOVE 2 Target
	d MOVE 1 Nosuch
	e UID MOVE 3 Target
	f FETCH 1:* UID
	EOF
	output2=$output
	output=$(lines_between 'b OK.*' 'c OK.*')
	re_line '\* OK \[COPYUID [1-9][0-9]* 2 1\]( .*)?'
	line '* 2 EXPUNGE'
	before '\* OK \[COPYUID.*' '\* 2 EXPUNGE'
	output=$(lines_between 'd NO.*' 'e OK.*')
	re_line '\* OK \[COPYUID [1-9][0-9]* 3 2\]( .*)?'
	line '* 2 EXPUNGE'
	output=$output2
	tagged d NO TRYCREATE
	line '* 1 FETCH (UID 1)'
	re_count '\* [0-9]+ FETCH .*' 1
	[ "$(maildir_count)" -eq 1 ]
	[ "$(maildir_count "$MAILDIR/.Target")" -eq 2 ]
	maildir_flags "$MAILDIR/.Target" | grep -qx R
}

@test "append: flags, date-time, synchronizing literal, APPENDUID" {
	local msg='From: x@example.org
Subject: appended

Hello.
'
	local n=${#msg}
	n=$((n + 4))	# LF -> CRLF on four lines
	imap_login <<-EOF
	a APPEND INBOX (\Seen \Flagged) " 5-Jan-2021 10:20:30 +0100" {$n}
	From: x@example.org
	Subject: appended

	Hello.

	s SELECT INBOX
	b FETCH 1 (FLAGS INTERNALDATE RFC822.SIZE UID)
	c FETCH 1 BODY.PEEK[TEXT]
	EOF
	re_line '\+( .*)?'
	re_line 'a OK \[APPENDUID [1-9][0-9]* 1\]( .*)?'
	# the same instant; the zone it is shown in is the server's choice
	local idate
	idate=$(grep -o 'INTERNALDATE "[^"]*"' <<< "$output" | cut -d'"' -f2)
	python3 -c 'import sys, datetime
t = datetime.datetime.strptime(sys.argv[1].strip(), "%d-%b-%Y %H:%M:%S %z")
sys.exit(t.timestamp() != 1609838430)' "$idate" ||
	    _imap_fail "INTERNALDATE $idate is not 05-Jan-2021 10:20:30 +0100"
	re_line "\\* 1 FETCH \\(.*RFC822\\.SIZE $n.*\\)"
	re_line '\* 1 FETCH \(.*FLAGS \((\\Seen \\Flagged|\\Flagged \\Seen)\).*\)'
	line 'Hello.'
	[ "$(maildir_count)" -eq 1 ]
	[ "$(maildir_flags)" = "FS" ]
	# the internal date is the file's modification time (the Maildir way)
	local f
	f=$(find "$MAILDIR/cur" "$MAILDIR/new" -type f | head -n1)
	[ "$(TZ=UTC date -r "$f" '+%Y-%m-%d %H:%M:%S')" = "2021-01-05 09:20:30" ]
}

@test "append: LITERAL+ literal, keywords, and EXISTS in the selected mailbox" {
	imap_login <<-EOF
	s SELECT INBOX
	a APPEND INBOX (Work \$Label1) {23+}
	Subject: lit+

	body

	b APPEND INBOX {23+}
	Subject: lit+

	body

	EOF
	no_re_line '\+( .*)?'
	re_line 'a OK \[APPENDUID [1-9][0-9]* 1\]( .*)?'
	re_line 'b OK \[APPENDUID [1-9][0-9]* 2\]( .*)?'
	line '* 1 EXISTS'
	line '* 2 EXISTS'
	before '\* 1 EXISTS' 'a OK.*'
	before '\* 2 EXISTS' 'b OK.*'
	[ "$(maildir_count)" -eq 2 ]
	imap_login <<-EOF
	s SELECT INBOX
	a FETCH 1 FLAGS
	EOF
	re_line '\* 1 FETCH \(FLAGS \((Work \$Label1|\$Label1 Work)\)\)'
}

@test "append: to a missing mailbox is NO [TRYCREATE]; nothing is written" {
	pyimap <<-'EOF'
	from imap import *
	def main(S):
	    a = Imap(server_argv()); S.append(a)
	    a.greeting(); a.login()
	    a.sendline("a APPEND Nosuch {7}")
	    line = a.readline()
	    if line.startswith("+"):
	        a.sendline("x: y\r\n")
	        line = a.readline()
	    check(re.match(r"a NO \[TRYCREATE\]", line), line)
	    u, t = a.cmd("NOOP"); tagged_ok(t)
	run(main)
	EOF
	[ "$status" -eq 0 ] || _imap_fail "python session failed"
	[ ! -e "$MAILDIR/.Nosuch" ]
	[ "$(maildir_count)" -eq 0 ]
}

@test "append: a literal over APPENDLIMIT is refused before the continuation" {
	pyimap <<-'EOF'
	from imap import *
	def main(S):
	    a = Imap(server_argv()); S.append(a)
	    a.greeting()
	    u, t = a.login()
	    m = re.search(r"APPENDLIMIT=(\d+)", t)
	    check(m, "APPENDLIMIT in %r" % t)
	    lim = int(m.group(1))
	    a.sendline("a APPEND INBOX {%d}" % (lim + 1))
	    line = a.readline()
	    check(re.match(r"a NO \[TOOBIG\]", line), line)
	    u, t = a.cmd("NOOP"); tagged_ok(t)
	run(main)
	EOF
	[ "$status" -eq 0 ] || _imap_fail "python session failed"
	[ "$(maildir_count)" -eq 0 ]
	[ -z "$(ls -A "$MAILDIR/tmp")" ]
}

@test "append: a bad date or flag is BAD and nothing is stored" {
	imap_login <<-EOF
	a APPEND INBOX (\Recent) {3+}
	x

	b APPEND INBOX "31-Foo-2021 10:20:30 +0100" {3+}
	x

	c APPEND INBOX () "" {3+}
	x

	d NOOP
	EOF
	re_line 'a (BAD|NO)( .*)?'
	tagged b BAD
	tagged c BAD
	tagged d OK
	[ "$(maildir_count)" -eq 0 ]
}

@test "append: an 8-bit and binary-looking message is stored byte for byte" {
	pyimap <<-'EOF'
	from imap import *
	def main(S):
	    a = Imap(server_argv()); S.append(a)
	    a.greeting(); a.login()
	    msg = (b"Subject: =?utf-8?q?gr=C3=BC=C3=9Fe?=\r\nContent-Type: text/plain;"
	           b" charset=utf-8\r\n\r\nGr\xc3\xbc\xc3\x9fe \xff\xfe\x01\r\n"
	           b"{5}\r\n* 1 EXISTS\r\nend\r\n")
	    a.send(b"a APPEND INBOX {%d+}\r\n" % len(msg) + msg + b"\r\n")
	    u, t = a.read_tagged("a"); tagged_ok(t, "APPENDUID")
	    u, t = a.cmd("SELECT INBOX"); tagged_ok(t)
	    a.sendline("b FETCH 1 BODY.PEEK[]")
	    got = a.readline_bytes()
	    want = b"* 1 FETCH (BODY[] {%d}\r\n" % len(msg) + msg + b")"
	    check(got == want, "want %r\n got %r" % (want, got))
	    u, t = a.read_tagged("b"); tagged_ok(t)
	run(main)
	EOF
	[ "$status" -eq 0 ] || _imap_fail "python session failed"
}

@test "store: 26 keywords fit in a Maildir; beyond that NO, and PERMANENTFLAGS loses \\*" {
	deliver_n 2
	local kws kw27
	kws=$(for i in $(seq 1 26); do printf 'kw%d ' "$i"; done)
	imap_login <<-EOF
	s SELECT INBOX
	a STORE 1 +FLAGS (${kws% })
	b STORE 2 +FLAGS (kw27)
	c SELECT INBOX
	EOF
	tagged a OK
	tagged b NO
	no_re_line '\* 2 FETCH .*kw27.*'
	output=$(lines_between 'b NO.*' 'c OK.*')
	re_line '\* OK \[PERMANENTFLAGS \([^*]*\)\].*'
	re_line '\* OK \[PERMANENTFLAGS \(.*kw26.*\)\].*'
	[ "$(maildir_flags | sort | head -n1)" = "" ]
	maildir_flags | grep -qx 'abcdefghijklmnopqrstuvwxyz'
}

@test "store: UIDs are never reused after the highest UID is expunged" {
	deliver_n 3
	imap_login <<-EOF
	s SELECT INBOX
	a STORE 3 +FLAGS.SILENT (\Deleted)
	b EXPUNGE
	EOF
	tagged b OK
	imap_login <<-EOF
	s SELECT INBOX
	EOF
	re_line '\* OK \[UIDNEXT 4\].*'
	deliver "$FIXTURES/imap_simple.eml"
	imap_login <<-EOF
	s SELECT INBOX
	a FETCH 3 UID
	b APPEND INBOX {14+}
	Subject: x


	EOF
	line '* 3 FETCH (UID 4)'
	re_line 'b OK \[APPENDUID [0-9]+ 5\].*'
}

@test "copy: COPY into the selected mailbox announces EXISTS; the copy is \\Recent" {
	deliver_n 2
	imap_login <<-EOF
	s SELECT INBOX
	a COPY 1:2 INBOX
	b FETCH 3:4 (UID FLAGS)
	EOF
	re_line 'a OK \[COPYUID [0-9]+ (1:2|1,2) (3:4|3,4)\].*'
	line '* 4 EXISTS'
	before '\* 4 EXISTS' 'a OK.*'
	# RFC 3501 §6.4.7: the \Recent flag SHOULD be set in the copy
	re_line '\* 3 FETCH \(.*\\Recent.*\)'
	re_line '\* 4 FETCH \(.*\\Recent.*\)'
	[ "$(maildir_count)" -eq 4 ]
}

@test "store: a STORE refused for too many keywords defines none of them" {
	deliver_n 1
	local kws
	kws=$(for i in $(seq 1 27); do printf 'kw%d ' "$i"; done)
	imap_login <<-EOF
	s SELECT INBOX
	a STORE 1 +FLAGS (${kws% })
	b STORE 1 +FLAGS (Wanted)
	EOF
	tagged a NO
	# NO means the command failed: no keyword slot may be used up by it
	tagged b OK
	line '* 1 FETCH (FLAGS (Wanted))'
}
