#!/usr/bin/env bats
# valgrind memcheck of representative imapd and pop3d sessions: every
# process (children too) must end with no memory error and no definite,
# indirect or possible leak ("still reachable" at exit is fine).  Sessions
# that log in run as root (privsep split, drop to uid 4242) and as an
# ordinary user (setpriv to 4242 when we are root).  VG_DEBUG=PREFIX keeps
# each run's output and valgrind logs.

load helpers
load lib/imapd

setup() {
	common_setup
	command -v valgrind >/dev/null || skip "valgrind is not installed"
	[ -x "$BIN_DIR/imapd" ] || skip "build/imapd not built"
	[ -x "$BIN_DIR/pop3d" ] || skip "build/pop3d not built"
	# valgrind cannot run sanitizer builds (make check-asan)
	if grep -qa -e __asan_init -e __ubsan_handle "$BIN_DIR/imapd"; then
		skip "sanitizer build: memcheck runs on the plain build"
	fi
	VG_N=0
	VG_PIDS=()
}
teardown() {
	if [ -n "${VG_BG:-}" ]; then
		exec 5>&-
		wait "$VG_BG" || true
	fi
	[ "${#VG_PIDS[@]}" -eq 0 ] || wait "${VG_PIDS[@]}" || true
	common_teardown
}

VG_OPTS=(--tool=memcheck --leak-check=full
    --show-leak-kinds=definite,indirect,possible
    --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99
    --track-fds=no --trace-children=yes
    --trace-children-skip='*/stunnel*' --vgdb=no --num-callers=30)

# as root|user|self: how the next vg_* runs the server.  root: as is
# (skipped unless we are root); user: as $TEST_UID, through setpriv when
# root; self: as we are.
as() {
	VG_PRE=()
	case $1 in
	self)
		;;
	root)
		is_root || skip "not running as root"
		;;
	user)
		if is_root; then
			command -v setpriv >/dev/null || skip "setpriv not installed"
			VG_PRE=(setpriv --reuid="$TEST_UID" --regid="$TEST_GID"
			    --clear-groups)
		fi
		;;
	esac
	VG_MODE=$1
}

# vg_exec BINARY ARGS... < INPUT: run under memcheck, the input as is;
# $status is the exit status (99: valgrind found errors), $output and
# $lines the output without CR, the logs in $VG_DIR/vg.PID.
vg_exec() {
	VG_N=$((VG_N + 1))
	VG_DIR=$TEST_ROOT/vg.$VG_N
	mkdir -p "$VG_DIR"
	chmod 1777 "$VG_DIR"	# a child may write its log after the drop
	status=0
	timeout 60 "${VG_PRE[@]}" valgrind "${VG_OPTS[@]}" \
	    --log-file="$VG_DIR/vg.%p" "$@" > "$VG_DIR/out" \
	    2> "$VG_DIR/stderr" || status=$?
	vg_collect
}

# vg_collect: $output and $lines from $VG_DIR/out.  With VG_DEBUG=PREFIX
# set, the output and the logs are also kept in PREFIX.TEST.N[.log].
vg_collect() {
	output=$(tr -d '\r' < "$VG_DIR/out")
	mapfile -t lines <<< "$output"
	if [ -n "${VG_DEBUG:-}" ]; then
		cp "$VG_DIR/out" "$VG_DEBUG.$BATS_TEST_NUMBER.$VG_N"
		cat "$VG_DIR"/vg.* > "$VG_DEBUG.$BATS_TEST_NUMBER.$VG_N.log"
	fi
}

# vg_spawn BINARY ARGS... < INPUT: vg_exec in the background, for runs
# that do not depend on each other; vg_join waits for all of them, then
# vg_load N gives run N's results as vg_exec does (N: VG_N after spawn).
vg_spawn() {
	VG_N=$((VG_N + 1))
	cat > "$TEST_ROOT/in.$VG_N"
	(VG_N=$((VG_N - 1)); vg_exec "$@" < "$TEST_ROOT/in.$((VG_N + 1))"
	    echo "$status" > "$VG_DIR/rc") 3>&- &
	VG_PIDS+=($!)
}

vg_join() {
	wait "${VG_PIDS[@]}"
	VG_PIDS=()
}

vg_load() {
	VG_DIR=$TEST_ROOT/vg.$1
	status=$(cat "$VG_DIR/rc")
	vg_collect
}

# vg_imap ARGS... < SCRIPT: imapd with the passwd file, LF -> CRLF.
vg_imap() {
	sed 's/$/\r/' > "$TEST_ROOT/script"
	vg_exec "$BIN_DIR/imapd" --passwd-file="$PASSWD" --auth-delay=0 "$@" \
	    < "$TEST_ROOT/script"
}

# vg_pop3 ARGS... < SCRIPT: the same for pop3d.
vg_pop3() {
	sed 's/$/\r/' > "$TEST_ROOT/script"
	vg_exec "$BIN_DIR/pop3d" --passwd-file="$PASSWD" --auth-delay=0 "$@" \
	    < "$TEST_ROOT/script"
}

# vg_ok STATUS: the server exited with STATUS and wrote nothing to
# stderr; every process valgrind followed reported "ERROR SUMMARY: 0
# errors" (leaks count as errors), except one killed by SIGKILL with no
# error in its log: the privsep login process after a good login (root
# only).  Sets VG_PROCS and VG_KILLED.
vg_ok() {
	local f bad=0 kmax=0
	local hdr='^==[0-9]+== (Memcheck, |Copyright |Using Val|Command: |Parent PID: |$)'

	if [ "$VG_MODE" = root ] || { [ "$VG_MODE" = self ] && is_root; }; then
		kmax=1
	fi
	VG_PROCS=0
	VG_KILLED=0
	for f in "$VG_DIR"/vg.*; do
		[ -f "$f" ] || continue
		VG_PROCS=$((VG_PROCS + 1))
		if grep -q '^==[0-9]*== ERROR SUMMARY: ' "$f"; then
			grep -q '^==[0-9]*== ERROR SUMMARY: 0 errors from 0 ' \
			    "$f" && continue
		elif [ "$(grep -Evc "$hdr" "$f")" -eq 0 ]; then
			VG_KILLED=$((VG_KILLED + 1))	# only the header
			continue
		fi
		printf -- '--- %s:\n' "$f" >&2
		cat "$f" >&2
		bad=1
	done
	if [ "$bad" -ne 0 ] || [ "$VG_PROCS" -le "$VG_KILLED" ] ||
	    [ "$VG_KILLED" -gt "$kmax" ]; then
		printf 'memcheck: %d process(es), %d killed, status %s\n' \
		    "$VG_PROCS" "$VG_KILLED" "$status" >&2
		ls -l "$VG_DIR" >&2
		cat "$VG_DIR/stderr" >&2
		head -n 5 "$VG_DIR"/vg.* >&2
		return 1
	fi
	if [ "$status" -ne "$1" ]; then
		printf 'exit status %s, want %s\n--- output:\n%s\n' "$status" \
		    "$1" "$output" >&2
		return 1
	fi
	if [ -s "$VG_DIR/stderr" ]; then
		printf 'stderr:\n' >&2
		cat "$VG_DIR/stderr" >&2
		return 1
	fi
}

# The mail every session starts from: the MIME corpus and fixtures.
setup_mail() {
	local i=0 f
	for f in "$FIXTURES/imap_multipart.eml" "$FIXTURES/imap_nested.eml" \
	    "$FIXTURES/plain.eml" "$FIXTURES/utf8.eml" \
	    "$FIXTURES/dotlines.eml" "$FIXTURES/binary.eml" \
	    "$BATS_TEST_DIRNAME/corpus/encoded.eml" \
	    "$BATS_TEST_DIRNAME/corpus/digest.eml" \
	    "$BATS_TEST_DIRNAME/corpus/alternative.eml"; do
		i=$((i + 1))
		deliver "$f" "1700000000.M${i}P1.memcheck"
	done
}

# vg_bg BINARY ARGS...: start the server under memcheck in the background,
# reading from the fifo that send() writes to; vg_wait waits for a line
# of output, vg_finish closes the input and collects what vg_exec does.
vg_bg() {
	mkfifo "$TEST_ROOT/in"
	(vg_exec "$@" < "$TEST_ROOT/in"; echo "$status" > "$TEST_ROOT/rc") 3>&- &
	VG_BG=$!
	exec 5> "$TEST_ROOT/in"
	VG_N=$((VG_N + 1))	# the subshell's vg_exec used this number
	VG_DIR=$TEST_ROOT/vg.$VG_N
}

# send LINE: one line (CRLF added) to the background server.
send() { printf '%s\r\n' "$1" >&5; }

# vg_wait REGEX: until a whole line of its output matches (30 s at most).
vg_wait() {
	local i
	for i in $(seq 1 300); do
		tr -d '\r' 2>/dev/null < "$VG_DIR/out" | grep -Eq "^$1\$" &&
		    return 0
		sleep 0.1
	done
	printf 'timed out waiting for %s\n--- output:\n' "$1" >&2
	cat "$VG_DIR/out" >&2
	return 1
}

vg_finish() {
	exec 5>&-
	wait "$VG_BG" || true
	VG_BG=
	status=$(cat "$TEST_ROOT/rc")
	vg_collect
}

# Checks on $output with grep, not bash loops over $lines: bats runs a
# DEBUG trap for every command, which makes such loops slow on long
# outputs.  has LINE: a line is exactly LINE.  hasnt REGEX / matches
# REGEX: no line / some line matches ^REGEX$.  tagged TAG STATUS [CODE]:
# TAG's first tagged reply is STATUS (with [CODE]).  fetch_has SEQ TEXT:
# the FETCH response line of SEQ contains TEXT.
out_fail() {
	printf '%s\n--- output:\n%s\n' "$1" "$output" >&2
	return 1
}

has() {
	grep -qxF -e "$1" <<< "$output" || out_fail "missing line: $1"
}

hasnt() {
	! grep -qxE -e "$1" <<< "$output" || out_fail "unexpected line: $1"
}

matches() {
	grep -qxE -e "$1" <<< "$output" || out_fail "no line matches: $1"
}

tagged() {
	local l want="$1 $2"
	[ -z "${3:-}" ] || want="$want [$3]"
	l=$(grep -m1 -e "^$1 " <<< "$output") ||
	    out_fail "no tagged reply for $1" || return 1
	case $l in
	"$want "*|"$want") return 0 ;;
	esac
	out_fail "want $want, got: $l"
}

fetch_has() {
	grep -F -e "$2" <<< "$output" | grep -q "^\* $1 FETCH (" ||
	    out_fail "no FETCH $1 with: $2"
}

# --- IMAP ---------------------------------------------------------------

# LIST/LSUB/STATUS/CREATE/RENAME/DELETE/SUBSCRIBE, APPEND with literals.
imap_mailboxes() {
	setup_mail
	TZ=UTC vg_imap <<-'EOT'
	a LOGIN alice secret
	b CAPABILITY
	c NAMESPACE
	d CREATE Work
	e CREATE Work.Projects.Old
	f CREATE &ZeVnLIqe-
	g CREATE Work
	h LIST "" *
	i LIST "" %
	j LIST "" Work.%
	k SUBSCRIBE Work
	l SUBSCRIBE Work.Projects
	m LSUB "" *
	n UNSUBSCRIBE Work.Projects
	o LSUB "" Wor*
	p STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)
	q STATUS Work (MESSAGES UNSEEN)
	r STATUS Nope (MESSAGES)
	s RENAME Work Play
	t RENAME Nope Other
	u DELETE Play.Projects.Old
	v DELETE Nope
	w APPEND Play (\Seen \Flagged) "14-Jul-2023 12:00:00 +0200" {48}
	From: x@example.org
	Subject: appended

	Hello.
	x APPEND Play {46+}
	From: y@example.org
	Subject: plus

	Literal+
	y APPEND Play (\Draft $Label1) {19}
	Subject: three

	3
	z APPEND Nope {8}
	A APPEND Play (\Bogus) {3}
	B STATUS Play (MESSAGES UIDNEXT)
	C EXAMINE Play
	D FETCH 1:* (FLAGS INTERNALDATE RFC822.SIZE)
	E RENAME INBOX Old
	F STATUS Old (MESSAGES)
	G STATUS INBOX (MESSAGES)
	H DELETE INBOX
	I LIST "" "*"
	J BOGUS
	K LOGOUT
	EOT
	vg_ok 0
	tagged a OK
	has '* NAMESPACE (("" ".")) NIL NIL'
	tagged d OK
	tagged e OK
	tagged f OK
	tagged g NO ALREADYEXISTS
	has '* LIST (\HasNoChildren) "." "&ZeVnLIqe-"'
	has '* LIST (\HasChildren) "." "Work"'
	has '* LIST (\Noselect \HasChildren) "." "Work.Projects"'
	has '* LIST (\HasNoChildren) "." "Work.Projects.Old"'
	tagged j OK
	has '* LSUB () "." "Work.Projects"'
	tagged o OK
	matches '\* STATUS "INBOX" \(MESSAGES 9 RECENT 9 UIDNEXT 10 UIDVALIDITY [0-9]+ UNSEEN 9\)'
	has '* STATUS "Work" (MESSAGES 0 UNSEEN 0)'
	tagged r NO NONEXISTENT
	tagged s OK
	tagged t NO NONEXISTENT
	tagged u OK
	tagged v NO NONEXISTENT
	matches 'w OK \[APPENDUID [0-9]+ 1\] APPEND completed'
	matches 'x OK \[APPENDUID [0-9]+ 2\] APPEND completed'
	matches 'y OK \[APPENDUID [0-9]+ 3\] APPEND completed'
	tagged z NO TRYCREATE
	tagged A BAD
	has '* STATUS "Play" (MESSAGES 3 UIDNEXT 4)'
	tagged C OK READ-ONLY
	# FLAGS once, at EXAMINE: not again after every command
	[ "$(grep -c '^\* FLAGS ' <<< "$output")" -eq 1 ]
	has '* 1 FETCH (FLAGS (\Flagged \Seen) INTERNALDATE "14-Jul-2023 10:00:00 +0000" RFC822.SIZE 48)'
	matches '\* 2 FETCH \(FLAGS \(\) INTERNALDATE "[^"]*" RFC822.SIZE 46\)'
	matches '\* 3 FETCH \(FLAGS \(\\Draft \$Label1\) INTERNALDATE "[^"]*" RFC822.SIZE 19\)'
	tagged E OK
	has '* STATUS "Old" (MESSAGES 9)'
	has '* STATUS "INBOX" (MESSAGES 0)'
	tagged H NO CANNOT
	has '* LIST (\HasNoChildren) "." "Play"'
	tagged J BAD
	tagged K OK
	# on disk: the renamed and deleted folders, the appended messages
	[ ! -e "$MAILDIR/.Work" ] && [ ! -e "$MAILDIR/.Play.Projects.Old" ]
	[ -d "$MAILDIR/.&ZeVnLIqe-/cur" ]
	[ "$(find "$MAILDIR/.Play/cur" "$MAILDIR/.Play/new" -type f | wc -l)" -eq 3 ]
	[ "$(find "$MAILDIR/.Play/cur" -name '*:2,FS' | wc -l)" -eq 1 ]
	[ "$(find "$MAILDIR/.Old" -name '1700000000.M*' | wc -l)" -eq 9 ]
	[ "$(count_msgs new)" -eq 0 ] && [ "$(count_msgs cur)" -eq 0 ]
	[ -z "$(find "$MAILDIR/.Play/tmp" "$MAILDIR/tmp" -type f)" ]
}

# The selected state: FETCH of every item and of MIME sections, SEARCH
# with charsets, STORE, COPY, MOVE, EXPUNGE, CLOSE, UID commands, errors.
imap_selected() {
	local d=$BATS_TEST_DIRNAME/corpus
	setup_mail
	vg_imap <<-'EOT'
	a LOGIN alice secret
	b CREATE Dest
	c SELECT INBOX
	d FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY BODYSTRUCTURE)
	e FETCH 1 (BODY.PEEK[] BODY.PEEK[HEADER] BODY.PEEK[TEXT] BODY.PEEK[1] BODY.PEEK[1.MIME] BODY.PEEK[2] BODY.PEEK[2.MIME] BODY.PEEK[3] BODY.PEEK[HEADER.FIELDS (Subject From)] BODY.PEEK[HEADER.FIELDS.NOT (Subject)] BODY.PEEK[]<10.20> BODY.PEEK[2]<4.100>)
	f FETCH 2 (BODY[2] BODY[2.HEADER] BODY[2.TEXT] BODY[2.1] BODY[2.MIME] BODY[2.HEADER.FIELDS (Subject)])
	g FETCH 3:* (RFC822 RFC822.HEADER RFC822.TEXT)
	h FETCH 7:9 (BODY.PEEK[1] BODY.PEEK[1.2] BODY.PEEK[2.1.MIME] BODY.PEEK[1.1.1])
	i UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1)
	j FETCH 1 ALL
	k FETCH 2 FAST
	l FETCH 3 FULL
	m FETCH 0 FLAGS
	n FETCH 1 (BODY[4.1000])
	o FETCH 1 (BOGUS)
	p FETCH 99 FLAGS
	q SEARCH ALL
	r SEARCH CHARSET UTF-8 TEXT "part" NOT SEEN
	s SEARCH CHARSET UTF-8 BODY {7+}
	Grüße
	t SEARCH CHARSET US-ASCII SUBJECT "Multipart" OR FROM alice TO bob
	u SEARCH CHARSET KOI8-R TEXT x
	v UID SEARCH UID 1:5 LARGER 10 SMALLER 100000 SINCE 1-Jan-2000 BEFORE 1-Jan-2100 HEADER Message-ID "@" SENTSINCE 1-Jan-1990 NOT NEW
	w SEARCH OR (DELETED FLAGGED) (KEYWORD $X UNKEYWORD $Y) 1:3,5
	x SEARCH (((((
	y STORE 1 +FLAGS (\Flagged $Work)
	z STORE 2:3 FLAGS.SILENT (\Answered \Seen)
	A UID STORE 4 -FLAGS (\Seen)
	B STORE 5 +FLAGS (\Recent)
	C COPY 1:2 Dest
	D UID COPY 3 Nope
	E MOVE 4 Dest
	F UID MOVE 5:6 Dest
	G STORE 1 +FLAGS (\Deleted)
	H UID EXPUNGE 1
	I EXPUNGE
	J CHECK
	K STATUS Dest (MESSAGES)
	L UNSELECT
	M SELECT Dest
	N FETCH 1:* (UID FLAGS)
	O STORE 1:* +FLAGS.SILENT (\Deleted)
	P CLOSE
	Q SELECT Nope
	R FETCH 1 FLAGS
	S LOGOUT
	EOT
	vg_ok 0
	tagged c OK READ-WRITE
	fetch_has 1 'ENVELOPE ("Tue, 1 Mar 2022 10:00:00 +0000" "Multipart" '
	fetch_has 7 "ENVELOPE $(cat "$d/encoded.envelope") BODY "
	fetch_has 7 "BODYSTRUCTURE $(cat "$d/encoded.bodystructure"))"
	fetch_has 8 "BODYSTRUCTURE $(cat "$d/digest.bodystructure"))"
	fetch_has 9 "ENVELOPE $(cat "$d/alternative.envelope") BODY $(cat "$d/alternative.body") BODYSTRUCTURE $(cat "$d/alternative.bodystructure"))"
	tagged d OK
	has '* 1 FETCH (BODY[] {473}'
	has ' BODY[1.MIME] {43}'
	has ' BODY[2.MIME] {142}'
	has ' BODY[3] "" BODY[HEADER.FIELDS (Subject From)] {47}'
	has ' BODY[HEADER.FIELDS.NOT (Subject)] {187}'
	has 'e@example.org'
	has 'To: b BODY[2]<4> {10}'
	tagged e OK
	has '* 2 FETCH (BODY[2] {117}'
	has ' BODY[2.TEXT] {13}'
	has ' BODY[2.HEADER.FIELDS (Subject)] {18}'
	tagged f OK
	has '* 5 FETCH (RFC822 {212}'
	tagged g OK
	has ' BODY[1.2] "" BODY[2.1.MIME] "" BODY[1.1.1] "")'
	tagged h OK
	tagged i BAD
	tagged j OK
	tagged k OK
	tagged l OK
	tagged m BAD
	has '* 1 FETCH (BODY[4.1000] "" FLAGS (\Seen \Recent))'
	tagged o BAD
	tagged p BAD
	has '* SEARCH 1 2 3 4 5 6 7 8 9'
	tagged r OK
	has '* SEARCH 4 7 9'
	tagged s OK
	has '* SEARCH 1'
	tagged t OK
	has 'u NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset'
	has '* SEARCH 1 3 4 5'
	tagged v OK
	tagged w OK
	tagged x BAD
	has '* 1 FETCH (FLAGS (\Flagged \Seen \Recent $Work))'
	# FLAGS.SILENT: no untagged FETCH between y and z
	[ "$(grep -A1 -x 'y OK STORE completed' <<< "$output" | tail -n 1)" = \
	    "z OK STORE completed" ]
	has '* 4 FETCH (UID 4 FLAGS (\Recent))'
	tagged B BAD
	matches 'C OK \[COPYUID [0-9]+ 1:2 1:2\] COPY completed'
	tagged D NO TRYCREATE
	matches '\* OK \[COPYUID [0-9]+ 5:6 4:5\] Moved'
	tagged F OK
	has '* 1 EXPUNGE'
	tagged H OK
	tagged I OK
	has '* STATUS "Dest" (MESSAGES 5)'
	tagged L OK
	has '* 1 FETCH (UID 1 FLAGS (\Flagged \Seen $Work))'
	has '* 3 FETCH (UID 3 FLAGS ())'
	tagged P OK
	tagged Q NO NONEXISTENT
	tagged R BAD
	tagged S OK
	# on disk: 9 - 3 moved - 1 expunged in INBOX, Dest emptied by CLOSE
	[ "$(count_msgs cur)" -eq 5 ] && [ "$(count_msgs new)" -eq 0 ]
	[ ! -e "$MAILDIR"/cur/1700000000.M1P1.memcheck* ]
	[ "$(find "$MAILDIR/.Dest" -type f -name '1*' | wc -l)" -eq 0 ]
}

# The not-authenticated state: AUTHENTICATE PLAIN and LOGIN, failures,
# cancellations, ID, an overlong line and literal, bad commands, ENABLE.
imap_auth() {
	local ir
	ir=$(printf '\0alice\0secret' | base64 -w0)
	vg_imap <<-EOT
	a CAPABILITY
	b NOOP
	c ID ("name" "memcheck" "version" "1")
	d SELECT INBOX
	e LOGIN alice wrong
	f AUTHENTICATE PLAIN
	*
	g AUTHENTICATE PLAIN
	!!!notbase64
	h AUTHENTICATE CRAM-MD5
	i AUTHENTICATE LOGIN
	$(printf alice | base64 -w0)
	$(printf wrong | base64 -w0)
	j LOGIN {5}
	alice {200000}
	k $(head -c 9000 /dev/zero | tr '\0' x)
	l BOGUS
	m LOGIN "unterminated
	n AUTHENTICATE PLAIN
	$ir
	o ENABLE IMAP4rev2 CONDSTORE UTF8=ACCEPT
	p ID NIL
	q AUTHENTICATE PLAIN $ir
	r LOGIN alice secret
	s SELECT INBOX
	t LOGOUT
	EOT
	vg_ok 0
	has '* ID ("name" "imapd" "version" "0.1")'
	tagged b OK
	tagged d BAD
	tagged e NO AUTHENTICATIONFAILED
	tagged f BAD
	tagged g BAD
	tagged h NO
	has '+ VXNlcm5hbWU6'
	tagged i NO AUTHENTICATIONFAILED
	tagged j BAD
	has '* BAD Command line too long'
	tagged l BAD
	tagged m BAD
	matches 'n OK \[CAPABILITY [^]]*\] Logged in'
	tagged o OK
	tagged q BAD
	tagged r BAD
	tagged s OK READ-WRITE
	tagged t OK

	# SASL-IR, then a read-only EXAMINE
	vg_imap <<-EOT
	a AUTHENTICATE PLAIN $ir
	b EXAMINE INBOX
	c LOGOUT
	EOT
	vg_ok 0
	matches 'a OK \[CAPABILITY [^]]*\] Logged in'
	tagged b OK READ-ONLY
	tagged c OK

	# three failures end the session
	vg_imap <<-EOT
	a LOGIN alice wrong1
	b LOGIN nobody secret
	c AUTHENTICATE PLAIN $(printf '\0alice\0wrong3' | base64 -w0)
	d LOGIN alice secret
	EOT
	vg_ok 0
	tagged c NO AUTHENTICATIONFAILED
	has '* BYE Too many authentication failures'
	hasnt 'd .*'
}

# IDLE while another process delivers, changes flags and expunges.
imap_idle() {
	local m2 m3
	setup_mail
	vg_bg "$BIN_DIR/imapd" --passwd-file="$PASSWD" --auth-delay=0
	send "a LOGIN alice secret"
	send "b SELECT INBOX"
	send "c IDLE"
	vg_wait '\+ idling'
	msg "new while idling" > "$TEST_ROOT/new.eml"
	deliver "$TEST_ROOT/new.eml" 1700000100.M1P1.memcheck
	vg_wait '\* 10 EXISTS'
	m2=$(ls "$MAILDIR"/cur/1700000000.M2P1.memcheck*)
	m3=$(ls "$MAILDIR"/cur/1700000000.M3P1.memcheck*)
	mv "$m2" "$MAILDIR/cur/1700000000.M2P1.memcheck:2,FS"
	rm "$m3"
	vg_wait '\* 3 EXPUNGE'
	send "DONE"
	vg_wait 'c OK.*'
	send "d IDLE"
	vg_wait '\+ idling'
	send "DONE"
	send "e FETCH 1:3 (UID FLAGS)"
	send "f LOGOUT"
	vg_finish
	vg_ok 0
	has '* 10 RECENT'
	has '* 2 FETCH (FLAGS (\Flagged \Seen \Recent))'
	tagged c OK
	tagged d OK
	has '* 3 FETCH (UID 4 FLAGS (\Recent))'
	tagged f OK
}

# vg_imap_raw ARGS... < BYTES: imapd on bytes sent as is (CRLF included).
vg_imap_raw() {
	vg_exec "$BIN_DIR/imapd" --passwd-file="$PASSWD" --auth-delay=0 "$@"
}

vg_imap_spawn() {
	vg_spawn "$BIN_DIR/imapd" --passwd-file="$PASSWD" --auth-delay=0 "$@"
}

# Sessions that end by EOF before login: mid-line, mid-literal,
# mid-AUTHENTICATE (three at once: they touch no mail).
imap_eof_login() {
	local n=$VG_N
	setup_mail
	vg_imap_spawn < <(printf 'a CAPABILITY\r\nb LOGIN alice sec')
	vg_imap_spawn < <(printf 'a LOGIN alice {6}\r\nsec')
	vg_imap_spawn < <(printf 'a AUTHENTICATE PLAIN\r\n')
	vg_join
	vg_load $((n + 1))
	vg_ok 0
	[ "${lines[2]}" = "a OK CAPABILITY completed" ]
	[ "${#lines[@]}" -eq 3 ]
	vg_load $((n + 2))
	vg_ok 0
	[ "${lines[1]}" = "+ Ready for literal data" ]
	[ "${#lines[@]}" -eq 2 ]
	vg_load $((n + 3))
	vg_ok 0
	[ "${lines[1]}" = "+ " ]
	[ "${#lines[@]}" -eq 2 ]
	[ "$(count_msgs new)" -eq 9 ]
}

# Sessions that end by EOF after login: mid-literal (APPEND, sync and
# LITERAL+), in IDLE, mid-FETCH.
imap_eof_session() {
	setup_mail
	vg_imap_raw < <(printf 'a LOGIN alice secret\r\nb SELECT INBOX\r\nc APPEND INBOX {100}\r\nFrom: x\r\n')
	vg_ok 0
	[ "${lines[-1]}" = "+ Ready for literal data" ]

	vg_imap_raw < <(printf 'a LOGIN alice secret\r\nb APPEND INBOX {100+}\r\nFrom: x\r\n')
	vg_ok 0
	tagged a OK
	hasnt 'b .*'

	vg_imap_raw < <(printf 'a LOGIN alice secret\r\nb SELECT INBOX\r\nc IDLE\r\n')
	vg_ok 0
	[ "${lines[-1]}" = "+ idling" ]

	vg_imap_raw < <(printf 'a LOGIN alice secret\r\nb SELECT INBOX\r\nc FETCH 1:* (BODY[1] FLAGS')
	vg_ok 0
	tagged b OK READ-WRITE
	hasnt 'c .*'
	# nothing appended, nothing left in tmp/, the mail claimed into cur/
	[ "$(count_msgs new)" -eq 0 ]
	[ "$(count_msgs cur)" -eq 9 ]
	[ -z "$(ls "$MAILDIR/tmp")" ]
}

# Started by the user without a passwd file: PREAUTH.  As root the
# server runs as uid 4242, which the passwd database knows through
# nss_wrapper.
imap_preauth() {
	local nss env=()
	setup_mail
	if is_root; then
		nss=$(ls /usr/lib/*/libnss_wrapper.so /usr/lib/libnss_wrapper.so \
		    2>/dev/null | head -n1)
		[ -n "$nss" ] || skip "libnss_wrapper.so is not installed"
		printf 'alice:x:%s:%s::%s:/bin/sh\n' "$TEST_UID" "$TEST_GID" \
		    "$TEST_HOME" > "$TEST_ROOT/nss_passwd"
		printf 'alice:x:%s:\n' "$TEST_GID" > "$TEST_ROOT/nss_group"
		chmod 644 "$TEST_ROOT/nss_passwd" "$TEST_ROOT/nss_group"
		env=(LD_PRELOAD="$nss" NSS_WRAPPER_PASSWD="$TEST_ROOT/nss_passwd"
		    NSS_WRAPPER_GROUP="$TEST_ROOT/nss_group")
	fi
	sed 's/$/\r/' > "$TEST_ROOT/script" <<-'EOT'
	a SELECT INBOX
	b FETCH 9 (BODYSTRUCTURE BODY[1])
	c LOGIN alice secret
	d LOGOUT
	EOT
	HOME=$TEST_HOME vg_exec env "${env[@]}" "$BIN_DIR/imapd" \
	    < "$TEST_ROOT/script"
	vg_ok 0
	matches '\* PREAUTH \[CAPABILITY [^]]*\] Logged in as .*'
	tagged a OK READ-WRITE
	has 'Gr=C3=BC=C3=9Fe aus K=C3=B6ln FLAGS (\Seen \Recent))'
	tagged c BAD
	tagged d OK
}

# --- POP3 ---------------------------------------------------------------

# USER/PASS and the whole TRANSACTION state, errors, QUIT (UPDATE).
pop3_main() {
	setup_mail
	vg_pop3 <<-'EOT'
	CAPA
	STAT
	USER
	USER alice
	PASS wrong
	PASS secret
	USER alice
	PASS secret
	CAPA
	STAT
	LIST
	LIST 2
	LIST 99
	LIST x
	UIDL
	UIDL 3
	TOP 1 0
	TOP 2 3
	TOP 5 100
	TOP 1
	RETR 1
	RETR 5
	RETR 6
	RETR 0
	DELE 1
	DELE 1
	RETR 1
	LIST 1
	RSET
	DELE 2
	DELE 3
	NOOP
	STAT
	BOGUS
	AUTH PLAIN
	QUIT
	EOT
	vg_ok 0
	[ "${lines[0]}" = "+OK POP3 server ready" ]
	has "-ERR Not logged in"
	has "-ERR [AUTH] Authentication failed"
	has "+OK Logged in, 9 messages (3342 octets)"
	has "+OK 9 3342"
	has "9 496"
	has "+OK 2 400"
	has "-ERR Invalid message number"
	matches '\+OK 3 0000000[0-9A-F]{9}'
	has "..hidden line"
	has "+OK 473 octets"
	has "+OK 212 octets"
	has "+OK 7 2618"
	has "-ERR Unknown command"
	has "-ERR Already logged in"
	[ "${lines[-1]}" = "+OK Bye, 2 messages deleted" ]
	[ "$(count_msgs cur)" -eq 7 ] && [ "$(count_msgs new)" -eq 0 ]
	[ ! -e "$MAILDIR/new/1700000000.M2P1.memcheck" ]
	[ -z "$(find "$MAILDIR" -name '1700000000.M[23]P1*')" ]
}

# AUTH: mechanisms, cancellation, failure, AUTH LOGIN; sessions that end
# by EOF before login.
pop3_auth() {
	local n
	setup_mail
	vg_pop3 <<-EOT
	AUTH
	AUTH CRAM-MD5
	AUTH PLAIN
	*
	AUTH PLAIN
	$(printf '\0alice\0wrong' | base64 -w0)
	AUTH LOGIN
	$(printf alice | base64 -w0)
	$(printf secret | base64 -w0)
	STAT
	RETR 9
	QUIT
	EOT
	vg_ok 0
	has "-ERR Unsupported authentication mechanism"
	has "-ERR Authentication cancelled"
	has "-ERR [AUTH] Authentication failed"
	has "+ UGFzc3dvcmQ6"
	has "+OK Logged in, 9 messages (3342 octets)"
	has "<p>Hello <b>world</b></p>"
	[ "${lines[-1]}" = "+OK Bye, 0 messages deleted" ]

	# EOF before login, twice at once
	n=$VG_N
	vg_spawn "$BIN_DIR/pop3d" --passwd-file="$PASSWD" --auth-delay=0 \
	    < <(printf 'AUTH PLAIN\r\n')
	vg_spawn "$BIN_DIR/pop3d" --passwd-file="$PASSWD" --auth-delay=0 \
	    < <(printf 'USER alice\r\nPASS sec')
	vg_join
	vg_load $((n + 1))
	vg_ok 0
	[ "${lines[-1]}" = "+ " ]
	vg_load $((n + 2))
	vg_ok 0
	[ "${lines[-1]}" = "+OK Send your password" ]
	[ "$(find "$MAILDIR" -type f -name '1700000000.M*' | wc -l)" -eq 9 ]
}

# SASL-IR, DELE, then EOF mid-command instead of QUIT: nothing deleted.
pop3_eof_session() {
	local ir
	ir=$(printf '\0alice\0secret' | base64 -w0)
	setup_mail
	vg_exec "$BIN_DIR/pop3d" --passwd-file="$PASSWD" --auth-delay=0 \
	    < <(printf 'AUTH PLAIN %s\r\nUIDL\r\nDELE 9\r\nRETR 8' "$ir")
	vg_ok 0
	has "+OK Logged in, 9 messages (3342 octets)"
	has "+OK Message deleted"
	[ "$(count_msgs cur)" -eq 9 ] && [ "$(count_msgs new)" -eq 0 ]
}

# --- the tests ----------------------------------------------------------
# Sessions that log in run both as root (the privsep split, the drop to
# 4242) and as an ordinary user (one process); the long post-login ones
# run once, as we are (the code after login is the same either way).

@test "memcheck: imapd mailbox commands and APPEND" {
	as self
	imap_mailboxes
}

@test "memcheck: imapd FETCH, SEARCH, STORE, COPY, MOVE, EXPUNGE" {
	as self
	imap_selected
}

@test "memcheck: imapd IDLE with changes from outside" {
	as self
	imap_idle
}

@test "memcheck: imapd LOGIN, AUTHENTICATE, errors before login (root)" {
	as root
	imap_auth
}

@test "memcheck: imapd LOGIN, AUTHENTICATE, errors before login (user)" {
	as user
	imap_auth
}

@test "memcheck: imapd sessions ending by EOF before login (root)" {
	as root
	imap_eof_login
}

@test "memcheck: imapd sessions ending by EOF before login (user)" {
	as user
	imap_eof_login
}

@test "memcheck: imapd sessions ending by EOF mid-command after login" {
	as self
	imap_eof_session
}

@test "memcheck: imapd PREAUTH (user)" {
	as user
	imap_preauth
}

@test "memcheck: pop3d USER/PASS and the TRANSACTION state (root)" {
	as root
	pop3_main
}

@test "memcheck: pop3d USER/PASS and the TRANSACTION state (user)" {
	as user
	pop3_main
}

@test "memcheck: pop3d AUTH, errors, EOF (root)" {
	as root
	pop3_auth
}

@test "memcheck: pop3d AUTH, errors, EOF (user)" {
	as user
	pop3_auth
}

@test "memcheck: pop3d session ending by EOF after DELE" {
	as self
	pop3_eof_session
}
