#!/usr/bin/env bats
# IMAP FETCH from RFC 3501 §6.4.5, §7.4.2 and §9: every attribute, every
# section form, partial fetches, the implicit \Seen, macros, sequence sets
# with * and reversed ranges, on the tests/fixtures/imap_*.eml messages:
#   1 imap_simple.eml     text/plain with a full envelope
#   2 imap_multipart.eml  multipart/mixed: text/plain + base64 attachment
#   3 imap_nested.eml     multipart/mixed: text/plain + message/rfc822

load helpers
load lib/imap_proto

setup() {
	imap_proto_setup
	export FIXTURES
}
teardown() { common_teardown; }

# Deliver the three fixtures so that they get UIDs 1, 2, 3 in this order.
three() {
	local m
	for m in imap_simple imap_multipart imap_nested; do
		deliver "$FIXTURES/$m.eml"
		imap_login <<< "s SELECT INBOX"
		tagged s OK READ-WRITE || return 1
	done
}

# pyfetch <<'EOF' ... EOF: a python session with the FETCH prelude.
pyfetch() {
	local f=$TEST_ROOT/py.$BATS_TEST_NUMBER
	{
		echo "from imap_fetch_prelude import *"
		cat
	} > "$f"
	run timeout 20 env PYTHONPATH="$IMAP_LIB" PYTHONDONTWRITEBYTECODE=1 \
	    python3 "$f"
	[ "$status" -eq 0 ] || _imap_fail "python session failed"
}

@test "fetch: FLAGS, UID, RFC822.SIZE and INTERNALDATE" {
	three
	pyfetch <<-'EOF'
	def main(S):
	    a = session(S)
	    r, u, t = fetch(a, "FETCH 1:3 (FLAGS UID RFC822.SIZE INTERNALDATE)")
	    check(len(r) == 3, "3 responses: %r" % r)
	    for i, name in enumerate(["imap_simple.eml", "imap_multipart.eml",
	                              "imap_nested.eml"]):
	        x = r[i]
	        check(x.startswith("* %d FETCH (" % (i + 1)), x)
	        check(flags_of(x) == set(), "flags %r" % x)
	        check(re.search(r"[( ]UID %d[ )]" % (i + 1), x), "uid %r" % x)
	        check(re.search(r"[( ]RFC822\.SIZE %d[ )]" % len(eml(name)), x),
	              "size %d: %r" % (len(eml(name)), x))
	        check(re.search(r'[( ]INTERNALDATE "[ 0-3][0-9]-(Jan|Feb|Mar|Apr|'
	                        r'May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-[0-9]{4} '
	                        r'[0-2][0-9]:[0-5][0-9]:[0-6][0-9] [-+][0-9]{4}"'
	                        r'[ )]', x), "date %r" % x)
	run(main)
	EOF
}

@test "fetch: ENVELOPE of a message with every address field" {
	three
	pyfetch <<-'EOF'
	def main(S):
	    a = session(S)
	    r, u, t = fetch(a, "FETCH 1 ENVELOPE")
	    alice = '(("Alice Example" NIL "alice" "example.org"))'
	    want = ('* 1 FETCH (ENVELOPE ("Mon, 7 Feb 1994 21:52:25 -0800" '
	            '"Simple test message" ' + alice + ' ' + alice + ' ' + alice +
	            ' (("Bob" NIL "bob" "example.com")(NIL NIL "carol" '
	            '"example.net")) (("Dan, Jr." NIL "dan" "example.com")) NIL '
	            '"<parent@example.org>" "<simple.1@example.org>"))')
	    check(r == [want], "want %r\n got %r" % (want, r))
	    r, u, t = fetch(a, "FETCH 2 ENVELOPE")
	    b = '((NIL NIL "alice" "example.org"))'
	    want = ('* 2 FETCH (ENVELOPE ("Tue, 1 Mar 2022 10:00:00 +0000" '
	            '"Multipart" ' + b + ' ' + b + ' ' + b +
	            ' ((NIL NIL "bob" "example.com")) NIL NIL NIL '
	            '"<multi.1@example.org>"))')
	    check(r == [want], "want %r\n got %r" % (want, r))
	run(main)
	EOF
}

@test "fetch: BODY and BODYSTRUCTURE of a text/plain message" {
	three
	pyfetch <<-'EOF'
	def main(S):
	    a = session(S)
	    h, b = split(eml("imap_simple.eml"))
	    body = ('("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" %d %d)'
	            % (len(b), b.count("\r\n")))
	    r, u, t = fetch(a, "FETCH 1 BODY")
	    want = "* 1 FETCH (BODY %s)" % body
	    check(len(r) == 1 and r[0].lower() == want.lower(),
	          "want %r\n got %r" % (want, r))
	    r, u, t = fetch(a, "FETCH 1 BODYSTRUCTURE")
	    check(len(r) == 1 and
	          r[0].lower().startswith("* 1 fetch (bodystructure " +
	                                  body[:-1].lower()),
	          "want prefix %r\n got %r" % (body, r))
	    check(r[0].endswith("))"), r)
	run(main)
	EOF
}

@test "fetch: BODY of a multipart message and of an attached message" {
	three
	pyfetch <<-'EOF'
	def main(S):
	    a = session(S)
	    want = ('* 2 FETCH (BODY (("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL '
	            '"7BIT" 13 1)("APPLICATION" "OCTET-STREAM" ("NAME" "a.bin") '
	            'NIL NIL "BASE64" 14) "MIXED"))')
	    r, u, t = fetch(a, "FETCH 2 BODY")
	    check(len(r) == 1 and r[0].lower() == want.lower(),
	          "want %r\n got %r" % (want, r))
	    r, u, t = fetch(a, "FETCH 2 BODYSTRUCTURE")
	    # extension data: the boundary parameter, then the disposition
	    check(re.search(r'"MIXED" \("BOUNDARY" "XYZ"\)', r[0], re.I), r)
	    check(re.search(r'\("ATTACHMENT" \("FILENAME" "a\.bin"\)\)', r[0],
	                    re.I), r)
	    r, u, t = fetch(a, "FETCH 3 BODY")
	    inner = ('("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 13 1)')
	    env = ('("Tue, 1 Mar 2022 09:00:00 +0000" "inner" '
	           '((NIL NIL "carol" "example.net")) '
	           '((NIL NIL "carol" "example.net")) '
	           '((NIL NIL "carol" "example.net")) '
	           '((NIL NIL "alice" "example.org")) NIL NIL NIL NIL)')
	    want = ('* 3 FETCH (BODY (("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL '
	            'NIL "7BIT" 15 1)("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 117 ' +
	            env + ' ' + inner + ' 6) "MIXED"))')
	    check(len(r) == 1 and r[0].lower() == want.lower(),
	          "want %r\n got %r" % (want, r))
	run(main)
	EOF
}

@test "fetch: BODY[] HEADER TEXT and the RFC822 forms return the exact bytes" {
	three
	pyfetch <<-'EOF'
	def main(S):
	    a = session(S)
	    for seq, name in [(1, "imap_simple.eml"), (2, "imap_multipart.eml"),
	                      (3, "imap_nested.eml")]:
	        m = eml(name)
	        h, b = split(m)
	        r, u, t = fetch(a, "FETCH %d (BODY.PEEK[] BODY.PEEK[HEADER] "
	                        "BODY.PEEK[TEXT] RFC822.HEADER)" % seq)
	        check(len(r) == 1, r)
	        expect_item(r[0], r"BODY\[\]", m)
	        expect_item(r[0], r"BODY\[HEADER\]", h)
	        expect_item(r[0], r"BODY\[TEXT\]", b)
	        expect_item(r[0], r"RFC822\.HEADER", h)
	    r, u, t = fetch(a, "FETCH 1 RFC822")
	    expect_item(r[0], r"RFC822", eml("imap_simple.eml"))
	    r, u, t = fetch(a, "FETCH 2 RFC822.TEXT")
	    expect_item(r[0], r"RFC822\.TEXT", split(eml("imap_multipart.eml"))[1])
	run(main)
	EOF
}

@test "fetch: BODY[HEADER.FIELDS] and BODY[HEADER.FIELDS.NOT]" {
	three
	pyfetch <<-'EOF'
	def main(S):
	    a = session(S)
	    r, u, t = fetch(a, "FETCH 1 BODY.PEEK[HEADER.FIELDS (Subject FROM x-none)]")
	    expect_item(r[0], r"BODY\[HEADER\.FIELDS \([^)]*\)\]",
	                "From: Alice Example <alice@example.org>\r\n"
	                "Subject: Simple test message\r\n\r\n")
	    r, u, t = fetch(a, "FETCH 1 BODY.PEEK[HEADER.FIELDS.NOT (Subject From "
	                    "To Cc Date Message-ID In-Reply-To)]")
	    expect_item(r[0], r"BODY\[HEADER\.FIELDS\.NOT \([^)]*\)\]",
	                "MIME-Version: 1.0\r\n"
	                "Content-Type: text/plain; charset=us-ascii\r\n"
	                "Content-Transfer-Encoding: 7bit\r\n\r\n")
	    r, u, t = fetch(a, "FETCH 1 BODY.PEEK[HEADER.FIELDS (X-Absent)]")
	    expect_item(r[0], r"BODY\[HEADER\.FIELDS \([^)]*\)\]", "\r\n")
	    u, t = a.cmd("FETCH 1 BODY.PEEK[HEADER.FIELDS ()]")
	    check(re.match(r"t\d+ BAD", t), t)
	run(main)
	EOF
}

@test "fetch: body part sections: [1] [1.MIME] [2] [2.HEADER] [2.TEXT] [2.1]" {
	three
	pyfetch <<-'EOF'
	def main(S):
	    a = session(S)
	    # a non-multipart message: part 1 is its body
	    r, u, t = fetch(a, "FETCH 1 BODY.PEEK[1]")
	    expect_item(r[0], r"BODY\[1\]", split(eml("imap_simple.eml"))[1])
	    r, u, t = fetch(a, "FETCH 2 (BODY.PEEK[1] BODY.PEEK[1.MIME] "
	                    "BODY.PEEK[2] BODY.PEEK[2.MIME])")
	    expect_item(r[0], r"BODY\[1\]", "First part.\r\n")
	    expect_item(r[0], r"BODY\[1\.MIME\]",
	                "Content-Type: text/plain; charset=utf-8\r\n\r\n")
	    expect_item(r[0], r"BODY\[2\]", "AAECAwQFBgc=\r\n")
	    expect_item(r[0], r"BODY\[2\.MIME\]",
	                'Content-Type: application/octet-stream; name="a.bin"\r\n'
	                "Content-Transfer-Encoding: base64\r\n"
	                'Content-Disposition: attachment; filename="a.bin"\r\n\r\n')
	    inner_h = ("From: carol@example.net\r\nTo: alice@example.org\r\n"
	               "Subject: inner\r\nDate: Tue, 1 Mar 2022 09:00:00 +0000\r\n"
	               "\r\n")
	    r, u, t = fetch(a, "FETCH 3 (BODY.PEEK[2] BODY.PEEK[2.HEADER] "
	                    "BODY.PEEK[2.TEXT] BODY.PEEK[2.1] "
	                    "BODY.PEEK[2.HEADER.FIELDS (SUBJECT)])")
	    expect_item(r[0], r"BODY\[2\]", inner_h + "Inner body.\r\n")
	    expect_item(r[0], r"BODY\[2\.HEADER\]", inner_h)
	    expect_item(r[0], r"BODY\[2\.TEXT\]", "Inner body.\r\n")
	    expect_item(r[0], r"BODY\[2\.1\]", "Inner body.\r\n")
	    expect_item(r[0], r"BODY\[2\.HEADER\.FIELDS \([^)]*\)\]",
	                "Subject: inner\r\n\r\n")
	run(main)
	EOF
}

@test "fetch: partial fetches <origin.count>" {
	three
	pyfetch <<-'EOF'
	def main(S):
	    a = session(S)
	    m = eml("imap_simple.eml")
	    h, b = split(m)
	    r, u, t = fetch(a, "FETCH 1 (BODY.PEEK[]<0.10> BODY.PEEK[TEXT]<2.5>)")
	    # RFC 3501 §7.4.2: the response names only the origin
	    expect_item(r[0], r"BODY\[\]<0>", m[:10])
	    expect_item(r[0], r"BODY\[TEXT\]<2>", b[2:7])
	    r, u, t = fetch(a, "FETCH 1 BODY.PEEK[]<%d.100>" % (len(m) - 4))
	    expect_item(r[0], r"BODY\[\]<%d>" % (len(m) - 4), m[-4:])
	    r, u, t = fetch(a, "FETCH 1 BODY.PEEK[]<100000.10>")
	    expect_item(r[0], r"BODY\[\]<100000>", "")
	    r, u, t = fetch(a, "FETCH 2 BODY.PEEK[1]<6.100>")
	    expect_item(r[0], r"BODY\[1\]<6>", "part.\r\n")
	run(main)
	EOF
}

@test "fetch: BODY[] sets \\Seen and reports FLAGS; BODY.PEEK does not" {
	three
	pyfetch <<-'EOF'
	def main(S):
	    a = session(S)
	    r, u, t = fetch(a, "FETCH 1 BODY.PEEK[]")
	    check("FLAGS" not in r[0], r)
	    r, u, t = fetch(a, "FETCH 2 BODY[TEXT]")
	    check(len(r) == 1, r)
	    check("\\Seen" in flags_of(r[0]), r)
	    r, u, t = fetch(a, "FETCH 3 RFC822")
	    check("\\Seen" in flags_of(r[0]), r)
	    r, u, t = fetch(a, "FETCH 1:3 FLAGS")
	    check(flags_of(r[0]) == set(), r)
	    check(flags_of(r[1]) == {"\\Seen"}, r)
	    check(flags_of(r[2]) == {"\\Seen"}, r)
	    r, u, t = fetch(a, "FETCH 1 RFC822.HEADER")
	    check("FLAGS" not in r[0], "RFC822.HEADER is a peek: %r" % r)
	run(main)
	EOF
	[ "$(maildir_flags)" = "$(printf '%s\n' '' S S)" ]
}

@test "fetch: macros FAST ALL FULL" {
	three
	pyfetch <<-'EOF'
	def main(S):
	    a = session(S)
	    for mac, items in [("FAST", ["FLAGS", "INTERNALDATE", "RFC822.SIZE"]),
	                       ("ALL", ["FLAGS", "INTERNALDATE", "RFC822.SIZE",
	                                "ENVELOPE"]),
	                       ("FULL", ["FLAGS", "INTERNALDATE", "RFC822.SIZE",
	                                 "ENVELOPE", "BODY"])]:
	        r, u, t = fetch(a, "FETCH 1 " + mac)
	        check(len(r) == 1, r)
	        for it in items:
	            check(re.search(r"[( ]" + re.escape(it) + r" ", r[0]),
	                  "%s lacks %s: %r" % (mac, it, r))
	        check(("BODY " in r[0]) == (mac == "FULL"), r)
	        check("BODYSTRUCTURE" not in r[0], r)
	    r, u, t = fetch(a, "FETCH 1 BODY.PEEK[]")
	    check("FLAGS" not in r[0], r)
	run(main)
	EOF
}

@test "fetch: sequence sets with *, reversed ranges and lists" {
	three
	imap_login <<-EOF
	s SELECT INBOX
	a FETCH * UID
	b FETCH 3:1 UID
	c FETCH 2,1 UID
	d FETCH 2:* UID
	e FETCH *:2 UID
	f FETCH 1,1:2 UID
	g FETCH 4 UID
	h FETCH 0 UID
	i FETCH 1:4 UID
	j FETCH x UID
	k FETCH 1 NOSUCH
	EOF
	local all=$output
	output=$(lines_between 's OK.*' 'a OK.*')
	[ "$output" = "* 3 FETCH (UID 3)" ] || _imap_fail "a"
	output=$(lines_between 'a OK.*' 'b OK.*')
	[ "$output" = "$(printf '* %d FETCH (UID %d)\n' 1 1 2 2 3 3)" ] || _imap_fail "b"
	output=$(lines_between 'b OK.*' 'c OK.*')
	line '* 1 FETCH (UID 1)'
	line '* 2 FETCH (UID 2)'
	re_count '.*' 2
	output=$(lines_between 'c OK.*' 'd OK.*')
	[ "$output" = "$(printf '* %d FETCH (UID %d)\n' 2 2 3 3)" ] || _imap_fail "d"
	output=$(lines_between 'd OK.*' 'e OK.*')
	[ "$output" = "$(printf '* %d FETCH (UID %d)\n' 2 2 3 3)" ] || _imap_fail "e"
	output=$(lines_between 'e OK.*' 'f OK.*')
	# one response per message, even if named twice
	[ "$output" = "$(printf '* %d FETCH (UID %d)\n' 1 1 2 2)" ] || _imap_fail "f"
	output=$all
	re_line 'g (BAD|NO)( .*)?'
	tagged h BAD
	re_line 'i (BAD|NO)( .*)?'
	tagged j BAD
	tagged k BAD
	no_re_line '\* [04] FETCH.*'
}

@test "fetch: UID FETCH always returns UID; a UID range with * includes the last" {
	three
	imap_login <<-EOF
	s SELECT INBOX
	a UID FETCH 1:* FLAGS
	b UID FETCH 100:* FLAGS
	c UID FETCH 50:60 FLAGS
	d UID FETCH 2 (UID)
	e UID FETCH 3,1 RFC822.SIZE
	EOF
	output=$(lines_between 's OK.*' 'a OK.*')
	re_count '\* [1-3] FETCH \(.*UID [1-3].*\)' 3
	output=$(lines_between 'a OK.*' 'b OK.*')
	# RFC 3501 §6.4.8: 100:* is 3:100 and includes the last message
	[ "$output" = "* 3 FETCH (FLAGS () UID 3)" ] ||
	    [ "$output" = "* 3 FETCH (UID 3 FLAGS ())" ] || _imap_fail "b"
	output=$(lines_between 'b OK.*' 'c OK.*')
	[ -z "$output" ] || _imap_fail "c: a UID range without messages"
	output=$(lines_between 'c OK.*' 'd OK.*')
	[ "$output" = "* 2 FETCH (UID 2)" ] || _imap_fail "d"
	output=$(lines_between 'd OK.*' 'e OK.*')
	re_count '\* [13] FETCH \(.*UID [13].*\)' 2
}

@test "fetch: an empty mailbox" {
	imap_login <<-EOF
	s SELECT INBOX
	a FETCH 1:* FLAGS
	b UID FETCH 1:* FLAGS
	c SEARCH ALL
	d UID SEARCH ALL
	e FETCH 1 FLAGS
	EOF
	line '* 0 EXISTS'
	# "*" has no value in an empty mailbox: RFC 3501 leaves open whether
	# 1:* is an error or matches nothing; it must not return data
	re_line 'a (OK|NO|BAD)( .*)?'
	tagged b OK
	re_line '\* SEARCH ?'
	re_count '\* SEARCH ?' 2
	tagged c OK
	tagged d OK
	re_line 'e (BAD|NO)( .*)?'
	no_re_line '\* [0-9]+ FETCH.*'
}

@test "fetch: a message with CRLF on disk has the same size and bytes" {
	printf 'Subject: crlf\r\nFrom: a@b.c\r\n\r\nline 1\r\nline 2\r\n' > "$TEST_ROOT/crlf.eml"
	deliver "$TEST_ROOT/crlf.eml"
	imap_login <<-EOF
	s SELECT INBOX
	a FETCH 1 (RFC822.SIZE BODY.PEEK[TEXT])
	EOF
	re_line '\* 1 FETCH \(RFC822\.SIZE 46 BODY\[TEXT\] \{16\}'
	line 'line 1'
	line 'line 2'
}

@test "fetch: every fixture and corpus message: sizes, sections and structure agree" {
	local f n=0
	for f in "$FIXTURES"/*.eml "$BATS_TEST_DIRNAME"/corpus/*.eml; do
		[ -e "$f" ] || continue
		n=$((n + 1))
		deliver "$f" "$((1000000000 + n)).M$n.corpus"
	done
	export CORPUS_FILES
	CORPUS_FILES=$(ls "$FIXTURES"/*.eml "$BATS_TEST_DIRNAME"/corpus/*.eml 2>/dev/null)
	pyfetch <<-'EOF'
	def main(S):
	    files = os.environ["CORPUS_FILES"].split("\n")
	    want = {}
	    for f in files:
	        with open(f, "rb") as fh:
	            want[crlf(fh.read()).decode("utf-8", "surrogateescape")] = f
	    a = session(S)
	    u, t = a.cmd("STATUS INBOX (MESSAGES)")
	    n = len(files)
	    check(any("MESSAGES %d)" % n in x for x in u), u)
	    seen = set()
	    for seq in range(1, n + 1):
	        r, u, t = fetch(a, "FETCH %d (RFC822.SIZE BODY.PEEK[] "
	                        "BODY.PEEK[HEADER] BODY.PEEK[TEXT] BODYSTRUCTURE)"
	                        % seq)
	        check(len(r) == 1, r)
	        x = r[0]
	        whole = item(x, r"BODY\[\]")
	        check(whole in want, "seq %d: BODY[] matches no file: %r" %
	              (seq, whole[:200]))
	        name = os.path.basename(want[whole])
	        seen.add(want[whole])
	        size = int(re.search(r"RFC822\.SIZE (\d+)", x).group(1))
	        check(size == len(whole.encode("utf-8", "surrogateescape")),
	              "%s: RFC822.SIZE %d, BODY[] has %d" % (name, size, len(whole)))
	        h = item(x, r"BODY\[HEADER\]")
	        b = item(x, r"BODY\[TEXT\]")
	        if "\r\n\r\n" in whole or whole.startswith("\r\n"):
	            check(h + b == whole, "%s: HEADER + TEXT != BODY[]" % name)
	            check(h.endswith("\r\n\r\n") or h == "\r\n",
	                  "%s: HEADER does not end with the blank line: %r" %
	                  (name, h[-20:]))
	        else:
	            check(b == "", "%s: TEXT of a header-only message: %r" %
	                  (name, b))
	        bs = bodystructure(x)
	        for sec, part in leaf_parts(bs):
	            rr, u, t = fetch(a, "FETCH %d BODY.PEEK[%s]" % (seq, sec))
	            data = item(rr[0], r"BODY\[%s\]" % re.escape(sec))
	            octets = part[6]
	            check(isinstance(octets, int), "%s: part %s size %r" %
	                  (name, sec, octets))
	            check(len(data.encode("utf-8", "surrogateescape")) == octets,
	                  "%s: BODY[%s] has %d octets, BODYSTRUCTURE says %d" %
	                  (name, sec, len(data), octets))
	            if str(part[0]).lower() == "text":
	                lines = part[7]
	                nl = data.count("\r\n")
	                ok = {nl, nl + 1} if not data.endswith("\r\n") else {nl}
	                check(lines in ok, "%s: BODY[%s] lines %r, counted %r" %
	                      (name, sec, lines, sorted(ok)))
	    check(seen == set(files), "not every file was served: %r" %
	          (set(files) - seen))
	run(main)
	EOF
}

@test "fetch: numbers out of range and malformed sets are refused" {
	three
	imap_login <<-EOF
	s SELECT INBOX
	a FETCH 4294967296 UID
	b FETCH 1:4294967295 UID
	c FETCH 1: UID
	d FETCH :2 UID
	e FETCH 1,,2 UID
	f FETCH *:* UID
	g UID FETCH 4294967296 UID
	h FETCH -1 UID
	i UID FETCH *:* UID
	EOF
	tagged a BAD
	re_line 'b (BAD|NO)( .*)?'
	tagged c BAD
	tagged d BAD
	tagged e BAD
	tagged f OK
	tagged g BAD
	tagged h BAD
	tagged i OK
	output=$(lines_between 'e BAD.*' 'f OK.*')
	[ "$output" = "* 3 FETCH (UID 3)" ] || _imap_fail "*:*"
	output=$(lines_between 'h BAD.*' 'i OK.*')
	[ "$output" = "* 3 FETCH (UID 3)" ] || _imap_fail "UID *:*"
}

@test "fetch: \\Recent shows in FLAGS only in the session that claimed it" {
	deliver "$FIXTURES/imap_simple.eml"
	imap_login <<-EOF
	s SELECT INBOX
	a FETCH 1 FLAGS
	EOF
	line '* 1 RECENT'
	line '* 1 FETCH (FLAGS (\Recent))'
	imap_login <<-EOF
	s SELECT INBOX
	a FETCH 1 FLAGS
	EOF
	line '* 0 RECENT'
	line '* 1 FETCH (FLAGS ())'
}

@test "fetch: ENVELOPE with groups, quoted names, a folded subject; HEADER.FIELDS" {
	deliver "$FIXTURES/imap_headers.eml"
	pyfetch <<-'EOF'
	def main(S):
	    a = session(S)
	    r, u, t = fetch(a, "FETCH 1 ENVELOPE")
	    m = re.search(r"ENVELOPE \(", r[0])
	    check(m, r)
	    env, _ = sexp(r[0][m.end() - 1:])
	    check(env[0] == "Thu, 4 Jan 2024 12:00:00 +0000", env[0])
	    check(env[1] in ("a folded subject line", "a folded\r\n subject line"),
	          "subject %r" % env[1])
	    joe = [['Joe "JJ" Smith', None, "joe", "example.org"]]
	    check(env[2] == joe and env[3] == joe and env[4] == joe,
	          "from/sender/reply-to %r" % env[2:5])
	    # RFC 3501 §7.4.2: a group is [NIL NIL name NIL] ... [NIL NIL NIL NIL]
	    check(env[5] == [[None, None, "undisclosed-recipients", None],
	                     [None, None, None, None]], "to %r" % env[5])
	    check(env[6] == [[None, None, "Team", None],
	                     [None, None, "ann", "example.org"],
	                     ["Bo B", None, "bo", "example.org"],
	                     [None, None, None, None],
	                     [None, None, "solo", "example.org"]], "cc %r" % env[6])
	    check(env[7:] == [None, None, None], "bcc.. %r" % env[7:])
	    r, u, t = fetch(a, "FETCH 1 (BODY.PEEK[HEADER.FIELDS (received)] "
	                    "BODY.PEEK[HEADER.FIELDS (SUBJECT X-MIXED-CASE)])")
	    expect_item(r[0], r'BODY\[HEADER\.FIELDS \((?i:"?received"?)\)\]',
	                "Received: from a.example by b.example; Mon, 1 Jan 2024 "
	                "00:00:00 +0000\r\nReceived: from c.example by d.example; "
	                "Mon, 1 Jan 2024 00:00:01 +0000\r\n\r\n")
	    expect_item(r[0], r'BODY\[HEADER\.FIELDS \((?i:"?subject"? "?x-mixed-case"?)\)\]',
	                "Subject: a folded\r\n subject line\r\nX-Mixed-Case: yes"
	                "\r\n\r\n")
	run(main)
	EOF
}

@test "fetch: ENVELOPE strings are not decoded (RFC 2047 words stay as sent)" {
	deliver "$FIXTURES/utf8.eml"
	pyfetch <<-'EOF'
	def main(S):
	    a = session(S)
	    r, u, t = fetch(a, "FETCH 1 ENVELOPE")
	    m = re.search(r"ENVELOPE \(", r[0])
	    env, _ = sexp(r[0][m.end() - 1:])
	    with open(os.path.join(FIX, "utf8.eml")) as f:
	        hdr = f.read().split("\n\n", 1)[0]
	    subj = re.search(r"^Subject: (.*)$", hdr, re.M).group(1)
	    frm = re.search(r"^From: (.*) <", hdr, re.M).group(1)
	    check(env[1] == subj, "subject %r, header %r" % (env[1], subj))
	    check(env[2][0][0] == frm, "name %r, header %r" % (env[2][0][0], frm))
	run(main)
	EOF
}

@test "fetch: a partial BODY[]<0.10> without PEEK sets \\Seen as well" {
	deliver "$FIXTURES/imap_simple.eml"
	imap_login <<-EOF
	s SELECT INBOX
	a FETCH 1 BODY[]<0.10>
	b FETCH 1 FLAGS
	EOF
	re_line '\* 1 FETCH \(.*FLAGS \((.* )?\\Seen( .*)?\).*'
	output=$(lines_between 'a OK.*' 'b OK.*')
	re_line '\* 1 FETCH \(FLAGS \((.* )?\\Seen( .*)?\)\)'
}
