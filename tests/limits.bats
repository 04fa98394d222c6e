#!/usr/bin/env bats
# Every bound of common/bounds.h, for imapd and pop3d: a test at the bound
# (accepted, and the session works) and one past it (the exact refusal,
# and whether the session goes on or ends with BYE).  Values are read
# from bounds.h, so a changed bound is tested where it now lies; big
# inputs are generated here, not kept as fixtures.

load helpers

setup() {
	common_setup
	[ -x "$BIN_DIR/imapd" ] || skip "build/imapd not built"
	IN=$TEST_ROOT/in
}
teardown() { common_teardown; }

BOUNDS_H=$BATS_TEST_DIRNAME/../common/bounds.h

# bound NAME: the value of a #define in bounds.h (its expression evaluated).
bound() {
	python3 - "$BOUNDS_H" "$1" <<-'EOF'
	import re, sys
	defs = dict(re.findall(r'^#define\s+(\w+)\s+(.+?)\s*$',
	    open(sys.argv[1]).read(), re.M))
	def val(name):
	    e = re.sub(r'(\d+)U?L*\b', r'\1', defs[name])
	    e = re.sub(r'[A-Z_][A-Z0-9_]*', lambda m: str(val(m.group(0))), e)
	    return eval(e)
	print(val(sys.argv[2]))
	EOF
}

# gen 'python bytes expression': write the client's input to $IN.
gen() {
	python3 -c 'import sys; sys.stdout.buffer.write(eval(sys.argv[1]))' \
	    "$1" > "$IN"
}

# imap_in [ARGS]: imapd on $IN; output without CR in $output/$lines.
imap_in() {
	run bash -c '"$@" < "$0" 2>&1 | tr -d "\r"' "$IN" "$BIN_DIR/imapd" \
	    --passwd-file="$PASSWD" --auth-delay=0 "$@"
}

pop3_in() {
	run bash -c '"$@" < "$0" 2>&1 | tr -d "\r"' "$IN" "$BIN_DIR/pop3d" \
	    --passwd-file="$PASSWD" --auth-delay=0 "$@"
}

# held HOLD BINARY [ARGS]: run the server on $IN, keep its stdin open for
# HOLD seconds more; the last line of $output is "rc=N ms=M" with the
# milliseconds the server ran.
held() {
	local hold=$1; shift
	run bash -c 'in=$1 hold=$2; shift 2; s=$(date +%s%N)
	    { cat "$in"; sleep "$hold"; } | { "$@"; r=$?
	    echo "rc=$r ms=$(( ($(date +%s%N) - s) / 1000000 ))"; } 2>&1 |
	    tr -d "\r"' _ "$IN" "$hold" "$@"
}

# has LINE: an exact line of $output.
has() {
	local l
	for l in "${lines[@]}"; do
		[ "$l" = "$1" ] && return 0
	done
	echo "missing line: $1" >&2
	printf '%s\n' "${lines[@]:0:40}" | cut -c1-200 >&2
	return 1
}

hasnt() {
	local l
	for l in "${lines[@]}"; do
		if [ "$l" = "$1" ]; then
			echo "unexpected line: $1" >&2
			return 1
		fi
	done
}

LOGIN='b"a LOGIN alice secret\r\n"'

# --- IMAP command lines -------------------------------------------------

@test "limits imap: line before login, IMAP_LINE_MAX_PREAUTH and one more" {
	n=$(bound IMAP_LINE_MAX_PREAUTH)
	[ "$n" -ge 8192 ]
	# trailing spaces are separators: the command is still CAPABILITY
	gen "b'a CAPABILITY' + b' ' * ($n - 12) + b'\r\nb NOOP\r\n'"
	imap_in
	has "a OK CAPABILITY completed"
	has "b OK Completed"
	gen "b'a CAPABILITY' + b' ' * ($n - 11) + b'\r\nb NOOP\r\n'"
	imap_in
	has "* BAD Command line too long"
	hasnt "a OK CAPABILITY completed"
	has "b OK Completed"
}

@test "limits imap: line after login, IMAP_LINE_MAX and one more" {
	n=$(bound IMAP_LINE_MAX)
	[ "$n" -ge 8192 ]	# RFC 7162 §4
	deliver_text <<< "Subject: one"
	gen "$LOGIN + b'b SELECT INBOX\r\nc UID FETCH 1:* FLAGS' + b' ' * ($n - 21) + b'\r\nd NOOP\r\n'"
	imap_in
	has "* 1 FETCH (UID 1 FLAGS (\\Recent))"
	has "c OK FETCH completed"
	has "d OK Completed"
	gen "$LOGIN + b'b SELECT INBOX\r\nc UID FETCH 1:* FLAGS' + b' ' * ($n - 20) + b'\r\nd NOOP\r\n'"
	imap_in
	has "* BAD Command line too long"
	hasnt "c OK FETCH completed"
	has "d OK Completed"
}

@test "limits imap: a 64 KiB line of distinct UIDs (a real client's set)" {
	n=$(bound IMAP_LINE_MAX)
	# every UID from 1 up, as many as fit: the most ranges a line can
	# hold without repeats must stay within IMAP_SEQSET_MAX
	gen "$LOGIN + b'b SELECT INBOX\r\n' + (lambda h: (lambda s: h + s[:s.rindex(b',', 0, $n - len(h) - 6)] + b' FLAGS'))(b'c UID FETCH ')(b','.join(b'%d' % i for i in range(1, 20000))) + b'\r\n'"
	imap_in
	has "c OK FETCH completed"
}

@test "limits imap: tag, IMAP_TAG_MAX and one more" {
	n=$(bound IMAP_TAG_MAX)
	t=$(printf 'T%.0s' $(seq "$n"))
	gen "b'$t NOOP\r\n${t}x NOOP\r\nb NOOP\r\n'"
	imap_in
	has "$t OK Completed"
	has "* BAD Invalid tag"
	hasnt "${t}x OK Completed"
	has "b OK Completed"
}

# --- IMAP literals --------------------------------------------------------

@test "limits imap: literal before login, IMAP_LITERAL_PREAUTH_MAX and one more" {
	n=$(bound IMAP_LITERAL_PREAUTH_MAX)
	gen "b'a LOGIN alice {$n}\r\n' + b'x' * $n + b'\r\nb NOOP\r\n'"
	imap_in
	has "+ Ready for literal data"
	has "a NO [AUTHENTICATIONFAILED] Authentication failed"
	has "b OK Completed"
	# one more: no continuation, the client sends nothing further
	gen "b'a LOGIN alice {$((n + 1))}\r\nb NOOP\r\n'"
	imap_in
	hasnt "+ Ready for literal data"
	has "a BAD Literal too big"
	has "b OK Completed"
	# LITERAL+: the octets are on the wire; read, dropped, BAD
	gen "b'a LOGIN alice {$((n + 1))+}\r\n' + b'x' * $((n + 1)) + b'\r\nb NOOP\r\n'"
	imap_in
	has "a BAD Literal too big"
	has "b OK Completed"
}

@test "limits imap: non-synchronizing literal, IMAP_LITERAL_MINUS_MAX and one more" {
	n=$(bound IMAP_LITERAL_MINUS_MAX)
	gen "$LOGIN + b'b STATUS {$n+}\r\n' + b'x' * $n + b' (MESSAGES)\r\nc NOOP\r\n'"
	imap_in
	hasnt "+ Ready for literal data"
	has "b NO [LIMIT] Mailbox name too long"
	has "c OK Completed"
	gen "$LOGIN + b'b STATUS {$((n + 1))+}\r\n' + b'x' * $((n + 1)) + b' (MESSAGES)\r\nc NOOP\r\n'"
	imap_in
	[ "${lines[-1]}" = "* BYE [TOOBIG] Literal too big" ]
	hasnt "c OK Completed"
	# before login as well (past the literal bound it is dropped: BAD)
	gen "b'a LOGIN alice {$n+}\r\n' + b'x' * $n + b'\r\nb NOOP\r\n'"
	imap_in
	has "a BAD Literal too big"
	has "b OK Completed"
	gen "b'a LOGIN alice {$((n + 1))+}\r\n' + b'x' * $((n + 1)) + b'\r\nb NOOP\r\n'"
	imap_in
	[ "${lines[-1]}" = "* BYE [TOOBIG] Literal too big" ]
	hasnt "b OK Completed"
}

@test "limits imap: one command's octets, IMAP_CMD_BUDGET and one more" {
	n=$(bound IMAP_CMD_BUDGET)
	# the line with its CRLF, the literal, the empty rest of the line
	# with its CRLF: exactly the budget
	h='b STATUS {'
	lit=$((n - ${#h} - 5))
	while [ $(( ${#h} + ${#lit} + 1 + 2 + lit + 2 )) -gt "$n" ]; do
		lit=$((lit - 1))
	done
	[ $(( ${#h} + ${#lit} + 1 + 2 + lit + 2 )) -eq "$n" ]
	gen "$LOGIN + b'b STATUS {$lit}\r\n' + b'x' * $lit + b'\r\nc NOOP\r\n'"
	imap_in
	has "+ Ready for literal data"
	has "b BAD Expected mailbox and item list"
	has "c OK Completed"
	# one octet more: the literal fits, the end of the line does not
	gen "$LOGIN + b'b STATUS {$((lit + 1))}\r\n' + b'x' * $((lit + 1)) + b'\r\nc NOOP\r\n'"
	imap_in
	has "+ Ready for literal data"
	has "b BAD Command too long"
	has "c OK Completed"
	# a literal larger than what is left is refused before the "+"
	gen "$LOGIN + b'b STATUS {$((lit + 3))}\r\nc NOOP\r\n'"
	imap_in
	hasnt "+ Ready for literal data"
	has "b BAD Literal too big"
	has "c OK Completed"
}

# --- APPEND -----------------------------------------------------------------

@test "limits imap: APPEND of APPEND_MAX octets is stored, APPENDLIMIT says so" {
	n=$(bound APPEND_MAX)
	gen "$LOGIN + b'b APPEND INBOX {$n}\r\n' + b'Subject: big\r\n\r\n' + b'x' * ($n - 16) + b'\r\nc NOOP\r\n'"
	imap_in
	[[ ${lines[1]} == *" APPENDLIMIT=$n"* ]]
	has "+ Ready for literal data"
	[[ $output == *"b OK [APPENDUID "*" 1] APPEND completed"* ]]
	has "c OK Completed"
	f=$(find "$MAILDIR/new" "$MAILDIR/cur" -type f)
	[ "$(stat -c %s "$f")" -eq "$n" ]
}

@test "limits imap: APPEND of APPEND_MAX + 1 is NO [TOOBIG] before the continuation" {
	n=$(bound APPEND_MAX)
	gen "$LOGIN + b'b APPEND INBOX {$((n + 1))}\r\nc NOOP\r\n'"
	imap_in
	hasnt "+ Ready for literal data"
	has "b NO [TOOBIG] Message too large"
	has "c OK Completed"
	[ "$(count_msgs new)" -eq 0 ] && [ "$(count_msgs cur)" -eq 0 ]
	[ -z "$(ls "$MAILDIR/tmp")" ]
	# LITERAL+: the message is on its way; refuse and hang up
	gen "$LOGIN + b'b APPEND INBOX {$((n + 1))+}\r\nSubject: x\r\n'"
	imap_in
	has "b NO [TOOBIG] Message too large"
	[ "${lines[-1]}" = "* BYE Message too large" ]
	[ "$(count_msgs new)" -eq 0 ] && [ "$(count_msgs cur)" -eq 0 ]
}

# --- IMAP command structure ---------------------------------------------

@test "limits imap: list nesting, IMAP_LIST_DEPTH_MAX and one more" {
	n=$(bound IMAP_LIST_DEPTH_MAX)
	deliver_text <<< "Subject: one"
	gen "$LOGIN + b'b SELECT INBOX\r\nc SEARCH ' + b'(' * $n + b'ALL' + b')' * $n + b'\r\nd NOOP\r\n'"
	imap_in
	has "* SEARCH 1"
	has "c OK SEARCH completed"
	gen "$LOGIN + b'b SELECT INBOX\r\nc SEARCH ' + b'(' * $((n + 1)) + b'ALL' + b')' * $((n + 1)) + b'\r\nd NOOP\r\n'"
	imap_in
	has "c BAD Lists nested too deeply"
	has "d OK Completed"
}

@test "limits imap: arguments per command, IMAP_ARGS_MAX and one more" {
	n=$(bound IMAP_ARGS_MAX)
	gen "$LOGIN + b'b ENABLE' + b' X' * $n + b'\r\nc NOOP\r\n'"
	imap_in
	has "* ENABLED"
	has "b OK ENABLE completed"
	gen "$LOGIN + b'b ENABLE' + b' X' * $((n + 1)) + b'\r\nc NOOP\r\n'"
	imap_in
	hasnt "* ENABLED"
	has "b BAD Too many arguments"
	has "c OK Completed"
}

@test "limits imap: sequence set ranges, IMAP_SEQSET_MAX and one more" {
	n=$(bound IMAP_SEQSET_MAX)
	deliver_text <<< "Subject: one"
	gen "$LOGIN + b'b SELECT INBOX\r\nc UID FETCH ' + b','.join([b'1'] * $n) + b' UID\r\nd UID SEARCH UID ' + b','.join([b'1'] * $n) + b'\r\ne NOOP\r\n'"
	imap_in
	has "* 1 FETCH (UID 1)"
	has "c OK FETCH completed"
	has "* SEARCH 1"
	has "d OK SEARCH completed"
	gen "$LOGIN + b'b SELECT INBOX\r\nc UID FETCH ' + b','.join([b'1'] * $((n + 1))) + b' UID\r\nd UID SEARCH UID ' + b','.join([b'1'] * $((n + 1))) + b'\r\ne NOOP\r\n'"
	imap_in
	has "c BAD Sequence set too long"
	has "d BAD UID set too long"
	has "e OK Completed"
}

@test "limits imap: MOVE of more sparse messages than IMAP_SEQSET_MAX ranges" {
	# the moved UIDs are expunged by a set built from them: however
	# many ranges they form, nothing stays behind as a duplicate
	n=$(( $(bound IMAP_SEQSET_MAX) + 1 ))
	mkdir -p "$MAILDIR/.Dest/cur" "$MAILDIR/.Dest/new" "$MAILDIR/.Dest/tmp"
	# every other message \Deleted (T): after EXPUNGE the rest are n
	# separate UID ranges
	python3 - "$MAILDIR/cur" "$n" <<-'EOF'
	import sys
	d, n = sys.argv[1], int(sys.argv[2])
	for i in range(2 * n):
	    open("%s/%d.M%dP1.host:2,%s" % (d, 1000000 + i, i,
	        "T" if i % 2 else ""), "w").write("Subject: %d\n\nx\n" % i)
	EOF
	fix_owner
	gen "$LOGIN + b'b SELECT INBOX\r\ne EXPUNGE\r\nd UID SEARCH ALL\r\nf UID MOVE 1:* Dest\r\ng STATUS INBOX (MESSAGES)\r\nh STATUS Dest (MESSAGES)\r\n'"
	# 50000 lines of output: grep a file rather than loop over $lines
	"$BIN_DIR/imapd" --passwd-file="$PASSWD" --auth-delay=0 < "$IN" |
	    tr -d '\r' > "$IN.out"
	grep -qFx "e OK EXPUNGE completed" "$IN.out"
	[ "$(grep '^\* SEARCH ' "$IN.out" | python3 -c '
import sys
u = [int(x) for x in sys.stdin.read().split()[2:]]
print(sum(1 for a, b in zip([None] + u, u) if a is None or b != a + 1))')" -eq "$n" ]
	grep -qFx "f OK MOVE completed" "$IN.out"
	grep -qFx '* STATUS "INBOX" (MESSAGES 0)' "$IN.out"
	grep -qFx "* STATUS \"Dest\" (MESSAGES $n)" "$IN.out"
	[ "$(find "$MAILDIR/cur" "$MAILDIR/new" -type f | wc -l)" -eq 0 ]
	[ "$(find "$MAILDIR/.Dest/cur" "$MAILDIR/.Dest/new" -type f | wc -l)" -eq "$n" ]
}

@test "limits imap: search keys, IMAP_SEARCH_KEYS_MAX and one more" {
	n=$(bound IMAP_SEARCH_KEYS_MAX)
	deliver_text <<< "Subject: one"
	gen "$LOGIN + b'b SELECT INBOX\r\nc SEARCH' + b' ALL' * $n + b'\r\nd NOOP\r\n'"
	imap_in
	has "* SEARCH 1"
	has "c OK SEARCH completed"
	gen "$LOGIN + b'b SELECT INBOX\r\nc SEARCH' + b' ALL' * $((n + 1)) + b'\r\nd NOOP\r\n'"
	imap_in
	has "c BAD Too many search keys"
	has "d OK Completed"
}

@test "limits imap: search nesting, IMAP_SEARCH_DEPTH_MAX and one more" {
	n=$(bound IMAP_SEARCH_DEPTH_MAX)
	deliver_text <<< "Subject: one"
	# NOT NOT ... ALL: an even number matches, an odd one does not
	gen "$LOGIN + b'b SELECT INBOX\r\nc SEARCH' + b' NOT' * $n + b' ALL\r\nd NOOP\r\n'"
	imap_in
	if [ $((n % 2)) -eq 0 ]; then has "* SEARCH 1"; else has "* SEARCH"; fi
	has "c OK SEARCH completed"
	gen "$LOGIN + b'b SELECT INBOX\r\nc SEARCH' + b' NOT' * $((n + 1)) + b' ALL\r\nd NOOP\r\n'"
	imap_in
	has "c BAD Search program nested too deeply"
	has "d OK Completed"
}

# --- IMAP sessions ------------------------------------------------------

@test "limits imap: invalid commands before login, BAD_CMDS_MAX_PREAUTH" {
	n=$(bound BAD_CMDS_MAX_PREAUTH)
	gen "b'x FOO\r\n' * $((n - 1)) + b'y NOOP\r\n'"
	imap_in
	[ "$(grep -c '^x BAD Unknown command$' <<< "$output")" -eq $((n - 1)) ]
	has "y OK Completed"
	hasnt "* BYE Too many invalid commands"
	gen "b'x FOO\r\n' * $n + b'y NOOP\r\n'"
	imap_in
	[ "$(grep -c '^x BAD Unknown command$' <<< "$output")" -eq "$n" ]
	[ "${lines[-1]}" = "* BYE Too many invalid commands" ]
	hasnt "y OK Completed"
}

@test "limits imap: invalid commands after login, BAD_CMDS_MAX" {
	n=$(bound BAD_CMDS_MAX)
	gen "$LOGIN + b'x FOO\r\n' * $((n - 1)) + b'y NOOP\r\n'"
	imap_in
	has "y OK Completed"
	hasnt "* BYE Too many invalid commands"
	gen "$LOGIN + b'x FOO\r\n' * $n + b'y NOOP\r\n'"
	imap_in
	[ "$(grep -c '^x BAD Unknown command$' <<< "$output")" -eq "$n" ]
	[ "${lines[-1]}" = "* BYE Too many invalid commands" ]
}

@test "limits imap: failed logins, AUTH_FAILURES_MAX" {
	n=$(bound AUTH_FAILURES_MAX)
	gen "b'a LOGIN alice wrong\r\n' * $((n - 1)) + b'b LOGIN alice secret\r\nc NOOP\r\n'"
	imap_in
	[ "$(grep -c '^a NO \[AUTHENTICATIONFAILED\] Authentication failed$' <<< "$output")" -eq $((n - 1)) ]
	[[ $output == *"b OK [CAPABILITY "*"] Logged in"* ]]
	has "c OK Completed"
	gen "b'a LOGIN alice wrong\r\n' * $n + b'b LOGIN alice secret\r\n'"
	imap_in
	[ "$(grep -c '^a NO \[AUTHENTICATIONFAILED\] Authentication failed$' <<< "$output")" -eq "$n" ]
	[ "${lines[-1]}" = "* BYE Too many authentication failures" ]
}

@test "limits imap: login timeout (--login-timeout): BYE and exit" {
	# active within the timeout: the session goes on
	printf 'a NOOP\r\n' > "$IN"
	held 1 "$BIN_DIR/imapd" --passwd-file="$PASSWD" --auth-delay=0 \
	    --login-timeout=3
	has "a OK Completed"
	hasnt "* BYE Autologout; idle for too long"
	# silent past it: BYE, and the process is gone long before its
	# input would end
	held 5 "$BIN_DIR/imapd" --passwd-file="$PASSWD" --auth-delay=0 \
	    --login-timeout=1
	[ "${lines[-2]}" = "* BYE Autologout; idle for too long" ]
	[[ ${lines[-1]} =~ ^rc=0\ ms=([0-9]+)$ ]]
	[ "${BASH_REMATCH[1]}" -lt 4000 ]
}

@test "limits imap: idle timeout after login (--idle-timeout), also in IDLE" {
	gen "$LOGIN"
	held 5 "$BIN_DIR/imapd" --passwd-file="$PASSWD" --auth-delay=0 \
	    --idle-timeout=1 --login-timeout=30
	[[ $output == *"a OK [CAPABILITY "*"] Logged in"* ]]
	[ "${lines[-2]}" = "* BYE Autologout; idle for too long" ]
	[[ ${lines[-1]} =~ ^rc=0\ ms=([0-9]+)$ ]]
	[ "${BASH_REMATCH[1]}" -lt 4000 ]
	gen "$LOGIN + b'b IDLE\r\n'"
	held 5 "$BIN_DIR/imapd" --passwd-file="$PASSWD" --auth-delay=0 \
	    --idle-timeout=1 --login-timeout=30
	has "+ idling"
	[ "${lines[-2]}" = "* BYE Autologout; idle for too long" ]
	[[ ${lines[-1]} =~ ^rc=0\ ms=([0-9]+)$ ]]
	[ "${BASH_REMATCH[1]}" -lt 4000 ]
}

# --- MIME -------------------------------------------------------------------

# nested LEVELS: a message of LEVELS multiparts one inside the other,
# a text/plain "leaf" innermost.
nested() {
	python3 - "$1" <<-'EOF'
	import sys
	body = "Content-Type: text/plain\n\nleaf\n"
	for i in reversed(range(int(sys.argv[1]))):
	    b = "b%d" % i
	    body = ("Content-Type: multipart/mixed; boundary=%s\n\n--%s\n%s\n"
	        "--%s--\n" % (b, b, body, b))
	sys.stdout.write("From: a@example.org\nSubject: nested\n"
	    "MIME-Version: 1.0\n" + body)
	EOF
}

# parts N: a multipart/mixed of N-1 text parts "partI" and, last, a
# multipart/alternative holding one text/html part.
parts() {
	python3 - "$1" <<-'EOF'
	import sys
	n = int(sys.argv[1])
	s = ("From: a@example.org\nSubject: parts\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=xx\n\n")
	for i in range(1, n):
	    s += "--xx\nContent-Type: text/plain\n\npart%d\n" % i
	s += ("--xx\nContent-Type: multipart/alternative; boundary=yy\n\n"
	    "--yy\nContent-Type: text/html\n\n<p>last</p>\n--yy--\n--xx--\n")
	sys.stdout.write(s)
	EOF
}

# balanced: the BODYSTRUCTURE line of $output has balanced parentheses
# outside quoted strings and nothing after its last one.
balanced() {
	grep '^\* 1 FETCH (BODYSTRUCTURE ' <<< "$output" | python3 -c '
import sys
s = sys.stdin.read().rstrip("\n")
depth, q, esc = 0, False, False
for i, c in enumerate(s):
    if q:
        if esc: esc = False
        elif c == "\\": esc = True
        elif c == "\"": q = False
        continue
    if c == "\"": q = True
    elif c == "(": depth += 1
    elif c == ")":
        depth -= 1
        if depth == 0 and i != len(s) - 1: sys.exit("trailing text")
        if depth < 0: sys.exit("unbalanced")
sys.exit(0 if depth == 0 and not q else "unbalanced")'
}

@test "limits mime: MIME_DEPTH_MAX levels are all structure" {
	n=$(bound MIME_DEPTH_MAX)
	nested "$n" | deliver_text
	path=$(python3 -c "print('.'.join(['1'] * $n))")
	gen "$LOGIN + b'b EXAMINE INBOX\r\nc FETCH 1 BODYSTRUCTURE\r\nd FETCH 1 BODY.PEEK[$path]\r\n'"
	imap_in
	balanced
	bs=$(grep '^\* 1 FETCH (BODYSTRUCTURE' <<< "$output")
	[ "$(grep -o '"mixed"' <<< "$bs" | wc -l)" -eq "$n" ]
	[[ $bs == "* 1 FETCH (BODYSTRUCTURE $(printf '(%.0s' $(seq "$n"))(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 6 1 "* ]]
	has "* 1 FETCH (BODY[$path] {6}"
	has "leaf"
	has "d OK FETCH completed"
}

@test "limits mime: at MIME_DEPTH_MAX + 1 levels the innermost is an opaque leaf" {
	n=$(bound MIME_DEPTH_MAX)
	nested $((n + 1)) | deliver_text
	path=$(python3 -c "print('.'.join(['1'] * $n))")
	gen "$LOGIN + b'b EXAMINE INBOX\r\nc FETCH 1 BODYSTRUCTURE\r\nd FETCH 1 (BODY.PEEK[$path] BODY.PEEK[$path.MIME])\r\ne FETCH 1 BODY.PEEK[$path.1]\r\nf NOOP\r\n'"
	imap_in
	balanced
	bs=$(grep '^\* 1 FETCH (BODYSTRUCTURE' <<< "$output")
	# n multiparts; the (n+1)th is text/plain of its whole body
	[ "$(grep -o '"mixed"' <<< "$bs" | wc -l)" -eq "$n" ]
	size=$(printf -- '--b%d\nContent-Type: text/plain\n\nleaf\n\n--b%d--\n' \
	    "$n" "$n" | sed 's/$/\r/' | wc -c)
	[[ $bs == "* 1 FETCH (BODYSTRUCTURE $(printf '(%.0s' $(seq "$n"))(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" $size 6 "* ]]
	# its content is the raw multipart, the same size
	has "* 1 FETCH (BODY[$path] {$size}"
	has "--b$n"
	has "--b$n--"
	has " BODY[$path.MIME] {$(( $(printf 'Content-Type: multipart/mixed; boundary=b%d\r\n\r\n' "$n" | wc -c) ))}"
	has "d OK FETCH completed"
	# a section number deeper than the bound is refused, the session goes on
	has "e BAD Invalid FETCH attributes"
	has "f OK Completed"
}

@test "limits mime: MIME_PARTS_MAX parts are all structure" {
	n=$(bound MIME_PARTS_MAX)
	# the message itself, n-3 text parts, the alternative and its part
	parts $((n - 2)) | deliver_text
	last=$((n - 2))
	gen "$LOGIN + b'b EXAMINE INBOX\r\nc FETCH 1 BODYSTRUCTURE\r\nd FETCH 1 (BODY.PEEK[$((last - 1))] BODY.PEEK[$last.1])\r\n'"
	imap_in
	balanced
	bs=$(grep '^\* 1 FETCH (BODYSTRUCTURE' <<< "$output")
	[ "$(grep -o '"plain"' <<< "$bs" | wc -l)" -eq $((last - 1)) ]
	[[ $bs == *'(("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 11 1 NIL NIL NIL NIL) "alternative" ("boundary" "yy") NIL NIL NIL) "mixed" ("boundary" "xx") NIL NIL NIL))' ]]
	p=$((last - 1))
	has "* 1 FETCH (BODY[$p] {$(( ${#p} + 4 ))}"
	has "part$((last - 1)) BODY[$last.1] {11}"
	has "<p>last</p>)"
}

@test "limits mime: past MIME_PARTS_MAX parts the next part is an opaque leaf" {
	n=$(bound MIME_PARTS_MAX)
	# the message itself and n-1 text parts: the alternative is one more
	parts "$n" | deliver_text
	gen "$LOGIN + b'b EXAMINE INBOX\r\nc FETCH 1 BODYSTRUCTURE\r\nd FETCH 1 (BODY.PEEK[$((n - 1))] BODY.PEEK[$n] BODY.PEEK[$n.1] BODY.PEEK[$((n + 1))])\r\n'"
	imap_in
	balanced
	bs=$(grep '^\* 1 FETCH (BODYSTRUCTURE' <<< "$output")
	[ "$(grep -o '"plain"' <<< "$bs" | wc -l)" -eq "$n" ]
	[[ $bs != *'"alternative"'* ]] && [[ $bs != *'"html"'* ]]
	size=$(printf -- '--yy\nContent-Type: text/html\n\n<p>last</p>\n--yy--' |
	    sed 's/$/\r/' | head -c -1 | wc -c)
	[[ $bs == *'("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" '"$size"' 5 NIL NIL NIL NIL) "mixed" ("boundary" "xx") NIL NIL NIL))' ]]
	p=$((n - 1))
	has "* 1 FETCH (BODY[$p] {$(( ${#p} + 4 ))}"
	has "part$((n - 1)) BODY[$n] {$size}"
	has '--yy-- BODY['"$n"'.1] "" BODY['"$((n + 1))"'] "")'
	has "d OK FETCH completed"
}

@test "limits mime: parts after MIME_PARTS_MAX are one leaf up to the close delimiter" {
	n=$(bound MIME_PARTS_MAX)
	parts $((n + 2)) | deliver_text
	gen "$LOGIN + b'b EXAMINE INBOX\r\nc FETCH 1 BODYSTRUCTURE\r\nd FETCH 1 (BODY.PEEK[$n] BODY.PEEK[$((n + 1))])\r\n'"
	imap_in
	balanced
	bs=$(grep '^\* 1 FETCH (BODYSTRUCTURE' <<< "$output")
	[ "$(grep -o '"plain"' <<< "$bs" | wc -l)" -eq "$n" ]
	# part n holds the rest, but not the close delimiter of the message
	has "* 1 FETCH (BODY[$n] {$(printf 'part%d\r\n--xx\r\nContent-Type: text/plain\r\n\r\npart%d\r\n--xx\r\nContent-Type: multipart/alternative; boundary=yy\r\n\r\n--yy\r\nContent-Type: text/html\r\n\r\n<p>last</p>\r\n--yy--' "$n" $((n + 1)) | wc -c)}"
	has '--yy-- BODY['"$((n + 1))"'] "")'
	hasnt "--xx--"
}

# --- no client bytes in responses -----------------------------------------

# clean: the raw output file $1 has only printable ASCII, SP and CRLF.
clean() {
	python3 - "$1" <<-'EOF'
	import re, sys
	d = open(sys.argv[1], "rb").read()
	bad = re.search(rb"[^\x20-\x7e\r\n]|\r(?!\n)|(?<!\r)\n", d)
	if bad:
	    sys.exit("raw octet %r at %d: %r" % (bad.group(0), bad.start(),
	        d[max(0, bad.start() - 60):bad.start() + 20]))
	EOF
}

@test "limits imap: no response carries 8-bit or control octets from the client" {
	deliver_text <<< "Subject: one"
	gen "b'\xff\x01 NOOP\r\na \xffNOOP\r\na NO\x07OP\r\na LOGIN \"\xe9\x1b[31m\" \"\x01\"\r\na SELECT \x9b\r\n' + $LOGIN + b'''b SELECT \"\xc3\xa9\x1b[2J\"
c CREATE \"x\x1b]0;owned\x07\"
c CREATE \"\xe2\x82\xac\"
d SELECT INBOX
e SEARCH CHARSET \xff ALL
e SEARCH CHARSET \"\xe9\x01\" ALL
e SEARCH HEADER \x85 x
e SEARCH \xffALL
f STORE 1 +FLAGS (\\\\\xff)
f STORE 1 +FLAGS (\x7f)
g FETCH 1 (\xff)
g FETCH 1 BODY.PEEK[HEADER.FIELDS (\"\xff\x01\")]
h UID \xffFETCH 1 FLAGS
h LIST \"\" \"\xff\x01*\"
h STATUS \"\xff\" (MESSAGES)
h STATUS INBOX (\xff)
h ENABLE \xff
h ID (\"\xff\" \"\x01\")
h APPEND \"\x1b\" {1+}
x
h RENAME \"\xff\" \"\x01\"
h DELETE \"\x1b[0m\"
\x1b[31m\xff
i LOGOUT
'''.replace(b'\n', b'\r\n')"
	run bash -c '"$@" < "$0" > "$0.out" 2>&1' "$IN" "$BIN_DIR/imapd" \
	    --passwd-file="$PASSWD" --auth-delay=0
	clean "$IN.out"
	output=$(tr -d '\r' < "$IN.out")
	mapfile -t lines <<< "$output"
	has "* BAD Invalid tag"
	has "a BAD Invalid command name"
	has "i OK LOGOUT completed"
	# every response line starts as a response does
	[ -z "$(grep -Ev '^(\* |\+ |[a-z] )' <<< "$output" || true)" ]
	# nothing with a control character was created
	[ -z "$(find "$MAILDIR" -name '*[[:cntrl:]]*')" ]
}

# --- POP3 -------------------------------------------------------------------

@test "limits pop3: command line, POP3_LINE_MAX and one more" {
	n=$(bound POP3_LINE_MAX)
	deliver_text <<< "Subject: one"
	gen "b'CAPA' + b' ' * ($n - 4) + b'\r\nUSER alice\r\nPASS secret\r\nLIST' + b' ' * ($n - 4) + b'\r\nNOOP\r\n'"
	pop3_in
	has "TOP"
	has "+OK 1 message (14 octets)"
	has "+OK"
	hasnt "-ERR Line too long"
	gen "b'CAPA' + b' ' * ($n - 3) + b'\r\nUSER alice\r\nPASS secret\r\nLIST' + b' ' * ($n - 3) + b'\r\nNOOP\r\n'"
	pop3_in
	[ "$(grep -c '^-ERR Line too long$' <<< "$output")" -eq 2 ]
	hasnt "TOP"
	hasnt "+OK 1 message (14 octets)"
	[[ $output == *"+OK Logged in"* ]]
	[ "${lines[-1]}" = "+OK" ]
}

@test "limits pop3: bad commands before login, BAD_CMDS_MAX_PREAUTH" {
	n=$(bound BAD_CMDS_MAX_PREAUTH)
	gen "b'FOO\r\n' * $((n - 1)) + b'CAPA\r\n'"
	pop3_in
	[ "$(grep -c '^-ERR Unknown command$' <<< "$output")" -eq $((n - 1)) ]
	[ "${lines[-1]}" = "." ]
	gen "b'FOO\r\n' * $n + b'CAPA\r\n'"
	pop3_in
	[ "$(grep -c '^-ERR Unknown command$' <<< "$output")" -eq "$n" ]
	[ "${lines[-1]}" = "-ERR Too many bad commands, closing" ]
}

@test "limits pop3: bad commands after login, BAD_CMDS_MAX" {
	n=$(bound BAD_CMDS_MAX)
	gen "b'USER alice\r\nPASS secret\r\n' + b'FOO\r\n' * $((n - 1)) + b'NOOP\r\n'"
	pop3_in
	[ "$(grep -c '^-ERR Unknown command$' <<< "$output")" -eq $((n - 1)) ]
	[ "${lines[-1]}" = "+OK" ]
	gen "b'USER alice\r\nPASS secret\r\n' + b'FOO\r\n' * $n + b'NOOP\r\n'"
	pop3_in
	[ "$(grep -c '^-ERR Unknown command$' <<< "$output")" -eq "$n" ]
	[ "${lines[-1]}" = "-ERR Too many bad commands, closing" ]
}

@test "limits pop3: failed logins, AUTH_FAILURES_MAX" {
	n=$(bound AUTH_FAILURES_MAX)
	gen "b'USER alice\r\nPASS wrong\r\n' * $((n - 1)) + b'USER alice\r\nPASS secret\r\nNOOP\r\n'"
	pop3_in
	[ "$(grep -c '^-ERR \[AUTH\] Authentication failed$' <<< "$output")" -eq $((n - 1)) ]
	[[ $output == *"+OK Logged in"* ]]
	[ "${lines[-1]}" = "+OK" ]
	gen "b'USER alice\r\nPASS wrong\r\n' * $n + b'USER alice\r\nPASS secret\r\n'"
	pop3_in
	[ "$(grep -c '^-ERR \[AUTH\] Authentication failed$' <<< "$output")" -eq $((n - 1)) ]
	[ "${lines[-1]}" = "-ERR [AUTH] Authentication failed, closing" ]
}

@test "limits pop3: login and idle timeouts: -ERR and exit" {
	printf 'CAPA\r\n' > "$IN"
	held 1 "$BIN_DIR/pop3d" --passwd-file="$PASSWD" --auth-delay=0 \
	    --login-timeout=3
	[ "${lines[-2]}" = "." ]
	hasnt "-ERR Timeout, closing"
	held 5 "$BIN_DIR/pop3d" --passwd-file="$PASSWD" --auth-delay=0 \
	    --login-timeout=1
	[ "${lines[-2]}" = "-ERR Timeout, closing" ]
	[[ ${lines[-1]} =~ ^rc=0\ ms=([0-9]+)$ ]]
	[ "${BASH_REMATCH[1]}" -lt 4000 ]
	printf 'USER alice\r\nPASS secret\r\n' > "$IN"
	held 5 "$BIN_DIR/pop3d" --passwd-file="$PASSWD" --auth-delay=0 \
	    --login-timeout=30 --idle-timeout=1
	[[ $output == *"+OK Logged in"* ]]
	[ "${lines[-2]}" = "-ERR Timeout, closing" ]
	[[ ${lines[-1]} =~ ^rc=0\ ms=([0-9]+)$ ]]
	[ "${BASH_REMATCH[1]}" -lt 4000 ]
}

@test "limits pop3: no response carries 8-bit or control octets from the client" {
	deliver_text <<< "Subject: one"
	gen "b'''\xffUSER x
USER \xe9\x1b[31m
PASS \x01
AUTH \xff\x1b
CAPA\x07
\x80\x81
USER alice
PASS secret
RETR \xff
TOP 1 \x1b[2J
LIST \x9b
UIDL \x01
DELE 9\xff
STAT \xff
\x1b]0;owned\x07
QUIT
'''.replace(b'\n', b'\r\n')"
	run bash -c '"$@" < "$0" > "$0.out" 2>&1' "$IN" "$BIN_DIR/pop3d" \
	    --passwd-file="$PASSWD" --auth-delay=0
	clean "$IN.out"
	output=$(tr -d '\r' < "$IN.out")
	mapfile -t lines <<< "$output"
	[[ $output == *"+OK Logged in"* ]]
	[ "${lines[-1]}" = "+OK Bye, 0 messages deleted" ]
	[ -z "$(grep -Ev '^([-+](OK|ERR)( |$))' <<< "$output" || true)" ]
}

# --- the documentation ----------------------------------------------------

@test "limits: the LIMITS tables of both man pages match bounds.h" {
	man=$BATS_TEST_DIRNAME/../man
	for name in IMAP_LINE_MAX_PREAUTH IMAP_LINE_MAX IMAP_CMD_BUDGET \
	    IMAP_LITERAL_PREAUTH_MAX IMAP_LITERAL_MINUS_MAX APPEND_MAX \
	    IMAP_LIST_DEPTH_MAX IMAP_ARGS_MAX IMAP_SEQSET_MAX \
	    IMAP_SEARCH_KEYS_MAX IMAP_SEARCH_DEPTH_MAX BAD_CMDS_MAX_PREAUTH \
	    BAD_CMDS_MAX AUTH_FAILURES_MAX MIME_DEPTH_MAX MIME_PARTS_MAX \
	    MAILBOX_NAME_MAX KEYWORDS_MAX IMAP_TAG_MAX TIMEOUT_PREAUTH \
	    TIMEOUT_IMAP_IDLE; do
		v=$(bound "$name")
		sed -n '/^\.Sh LIMITS/,$p' "$man/imapd.8" | grep -Eq "^\\.It .*: $v( |\$)" ||
		    { echo "imapd.8 LIMITS lacks $name ($v)"; return 1; }
	done
	for name in POP3_LINE_MAX BAD_CMDS_MAX_PREAUTH BAD_CMDS_MAX \
	    AUTH_FAILURES_MAX TIMEOUT_PREAUTH TIMEOUT_POP3_IDLE; do
		v=$(bound "$name")
		sed -n '/^\.Sh LIMITS/,$p' "$man/pop3d.8" | grep -Eq "^\\.It .*: $v( |\$)" ||
		    { echo "pop3d.8 LIMITS lacks $name ($v)"; return 1; }
	done
	[ "$(grep -c '^\.Sh LIMITS' "$man/imapd.8")" -eq 1 ]
	[ "$(grep -c '^\.Sh LIMITS' "$man/pop3d.8")" -eq 1 ]
}
