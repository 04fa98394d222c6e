#!/usr/bin/env bats
# Abuse: mailbox names and symlinks that try to leave the mail root, and
# password guessing (delay per failure, disconnect after a few, no user
# enumeration by reply or timing, one fail2ban-matched log line each).

load helpers
load lib/imap_proto

REPO=$BATS_TEST_DIRNAME/..

setup() {
	imap_proto_setup
	export TEST_UID TEST_GID
	# a Maildir outside the user's mail root, with a message in it
	OUTSIDE=$TEST_ROOT/outside
	mkdir -p "$OUTSIDE/cur" "$OUTSIDE/new" "$OUTSIDE/tmp"
	printf 'Subject: secret\n\nTOP SECRET\n' > "$OUTSIDE/cur/1.M1.x:2,"
	printf 'Subject: secret\n\nTOP SECRET\n' > "$OUTSIDE/secret"
	echo "not a uid list" > "$OUTSIDE/victim"
	# writable by the user: only the checks in the server keep it out
	if is_root; then
		chown -R "$TEST_UID:$TEST_GID" "$OUTSIDE"
	fi
	outside_before=$(outside_state)
}
teardown() { common_teardown; }

# Everything outside the user's Maildir that the user could reach: the
# outside Maildir, the other user's home, with sizes, times, link counts.
outside_state() {
	(cd "$TEST_ROOT" && find outside home -path home/alice/Maildir -prune \
	    -o -print0 | xargs -0 stat -c '%n %s %Y %h %F' | sort)
	ls -A "$TEST_ROOT" "$TEST_ROOT/home" "$TEST_HOME" | grep -i evil || true
}

outside_unchanged() {
	local now
	now=$(outside_state)
	[ "$now" = "$outside_before" ] || {
		diff <(echo "$outside_before") <(echo "$now") >&2
		return 1
	}
	[ ! -e /tmp/evil ] && [ ! -e /evil ]
}

# --- names ------------------------------------------------------------

@test "names: .., /, absolute paths, dot tricks, Maildir internals: refused by every command" {
	local names=( '..' '../outside' 'a/../../outside' '/etc' '/tmp/evil'
	    'a/b' '.hidden' 'a..b' '..tmp-create.1' 'INBOX/..' 'INBOX..x'
	    'tmp' 'cur' 'new' '~/evil' '../../../../../../evil' '.' )
	local n script="" i=0
	for n in "${names[@]}"; do
		i=$((i + 1))
		script+="c$i CREATE \"$n\""$'\n'
		script+="s$i SELECT \"$n\""$'\n'
		script+="x$i EXAMINE \"$n\""$'\n'
		script+="t$i STATUS \"$n\" (MESSAGES)"$'\n'
		script+="d$i DELETE \"$n\""$'\n'
		script+="r$i RENAME Box \"$n\""$'\n'
		script+="q$i RENAME \"$n\" Box2"$'\n'
		script+="u$i SUBSCRIBE \"$n\""$'\n'
		script+="a$i APPEND \"$n\" {10+}"$'\n'"Subject: x"$'\n'
	done
	imap_login <<-EOF
	b CREATE Box
	${script}k SELECT INBOX
	y1 COPY 1:* "../outside"
	y2 MOVE 1:* "/tmp/evil"
	l1 LIST "" "../*"
	l2 LIST "../" "*"
	l3 LIST "/" "*"
	l4 LIST "" "/etc/*"
	l5 LSUB "" "*"
	v CREATE "x."
	EOF
	tagged b OK
	# RFC 3501 6.3.3: a trailing delimiter declares a parent: creates x
	tagged v OK
	for ((i = 1; i <= ${#names[@]}; i++)); do
		for t in c s x t d r q u a; do
			re_line "$t$i (NO|BAD) .*" || { echo "name ${names[i-1]}"; return 1; }
		done
	done
	for t in y1 y2; do re_line "$t (NO|BAD) .*"; done
	for t in l1 l2 l3 l4 l5; do tagged $t OK; done
	# no pattern reaches anything
	re_count '\* (LIST|LSUB) .*' 0
	[ "$(ls -A "$MAILDIR" | grep '^\.' | sort | tr '\n' ' ')" = ".Box .x " ]
	outside_unchanged
}

@test "names: every LIST pattern stays inside the root" {
	imap_login <<-EOF
	a LIST "" "*"
	b LIST "" "%/%"
	c LIST "~" "*"
	d LIST ".." "%"
	e LIST "" "..*"
	EOF
	for t in a b c d e; do tagged $t OK; done
	re_count '\* LIST .*' 1
	line '* LIST (\HasNoChildren) "." "INBOX"'
}

# --- symlinks -----------------------------------------------------------

@test "symlinks: a folder that is a symlink out of the root is invisible and refused" {
	ln -s "$OUTSIDE" "$MAILDIR/.Evil"
	ln -s "$OUTSIDE" "$MAILDIR/.Evil2.sub"
	imap_login <<-EOF
	a SELECT Evil
	b EXAMINE Evil
	c STATUS Evil (MESSAGES)
	d APPEND Evil {10+}
	Subject: x
	e CREATE Evil
	f DELETE Evil
	g RENAME Evil Mine
	h LIST "" "*"
	i SELECT Evil2.sub
	j DELETE Evil2
	EOF
	for t in a b c d e f g i j; do re_line "$t NO .*"; done
	no_re_line '\* LIST .*Evil.*'
	no_line '* 1 EXISTS'
	# the links are left alone, nothing was read or written through them
	[ -L "$MAILDIR/.Evil" ] && [ -L "$MAILDIR/.Evil2.sub" ]
	outside_unchanged
}

@test "symlinks: cur/new/tmp of a folder pointing out: refused; DELETE removes the link only" {
	mkdir -p "$MAILDIR/.Real"
	ln -s "$OUTSIDE/cur" "$MAILDIR/.Real/cur"
	mkdir "$MAILDIR/.Real/new"
	ln -s "$OUTSIDE/tmp" "$MAILDIR/.Real/tmp"
	mkdir -p "$MAILDIR/.Real2/cur" "$MAILDIR/.Real2/new"
	ln -s "$OUTSIDE/tmp" "$MAILDIR/.Real2/tmp"
	fix_owner
	imap_login <<-EOF
	a SELECT Real
	b STATUS Real (MESSAGES)
	c APPEND Real {10+}
	Subject: x
	d APPEND Real2 {10+}
	Subject: x
	s SELECT INBOX
	e DELETE Real
	f DELETE Real2
	EOF
	re_line 'a NO .*'
	re_line 'b NO .*'
	re_line 'c NO .*'
	re_line 'd NO .*'
	# DELETE removes the folders and the links in them, not their targets
	tagged e OK
	tagged f OK
	[ -z "$(ls -A "$MAILDIR" | grep '^\.')" ] ||
	    _imap_fail "left: $(ls -A "$MAILDIR")"
	outside_unchanged
	[ -f "$OUTSIDE/cur/1.M1.x:2," ]
	[ -z "$(ls -A "$OUTSIDE/tmp")" ]
}

@test "symlinks: a message file, the UID list and the server's temporary files pointing out" {
	deliver_text 1700000000.M1P1.ok <<< $'Subject: mine\n\nmine'
	ln -s "$OUTSIDE/secret" "$MAILDIR/cur/1700000001.M2P1.link:2,"
	ln -s "$OUTSIDE/secret" "$MAILDIR/new/1700000002.M3P1.link"
	# where the server writes its own files, first under a temporary name
	ln -s "$OUTSIDE/victim" "$MAILDIR/imapd-uidlist.tmp"
	ln -s "$OUTSIDE/victim" "$MAILDIR/imapd-keywords.tmp"
	ln -s "$OUTSIDE/victim" "$MAILDIR/subscriptions.tmp"
	imap_login <<-EOF
	a SELECT INBOX
	b FETCH 1:* (UID BODY.PEEK[])
	c STORE 1 +FLAGS (Planted)
	d SUBSCRIBE INBOX
	e LSUB "" "*"
	EOF
	tagged a OK
	line '* 1 EXISTS'
	no_re_line '.*TOP SECRET.*'
	tagged b OK
	tagged c OK
	tagged d OK
	line '* LSUB () "." "INBOX"'
	outside_unchanged
	[ "$(cat "$OUTSIDE/victim")" = "not a uid list" ]
	[ -f "$MAILDIR/imapd-keywords" ] && [ ! -L "$MAILDIR/imapd-keywords" ]
	[ -f "$MAILDIR/subscriptions" ] && [ ! -L "$MAILDIR/subscriptions" ]
	# the links in cur/ and new/ were not touched (no claim, no rename)
	[ -L "$MAILDIR/cur/1700000001.M2P1.link:2," ]
	[ -L "$MAILDIR/new/1700000002.M3P1.link" ]
}

@test "symlinks: a UID list or lock file that is a symlink: the folder is refused, nothing written out" {
	deliver_text 1700000000.M1P1.ok <<< $'Subject: mine\n\nmine'
	mkdir -p "$MAILDIR/.B/cur" "$MAILDIR/.B/new" "$MAILDIR/.B/tmp"
	deliver_text 1700000000.M1P1.ok <<< $'Subject: mine\n\nmine'
	cp "$MAILDIR/new/1700000000.M1P1.ok" "$MAILDIR/.B/new/"
	fix_owner
	ln -s "$OUTSIDE/victim" "$MAILDIR/imapd-uidlist"
	ln -s "$OUTSIDE/victim" "$MAILDIR/.B/imapd-uidlist.lock"
	imap_login <<-EOF
	a SELECT INBOX
	b SELECT B
	c APPEND B {10+}
	Subject: x
	EOF
	re_line 'a NO .*'
	re_line 'b NO .*'
	re_line 'c NO .*'
	outside_unchanged
	[ "$(cat "$OUTSIDE/victim")" = "not a uid list" ]
}

# --- password guessing ------------------------------------------------

# pyauth <<'EOF': python with helpers to time login attempts.
pyauth() {
	local f=$TEST_ROOT/py.$BATS_TEST_NUMBER
	cat > "$f"
	run timeout 120 env PYTHONPATH="$IMAP_LIB" PYTHONDONTWRITEBYTECODE=1 \
	    BIN_DIR="$BIN_DIR" PASSWD="$PASSWD" LOGDIR="$TEST_ROOT" python3 "$f"
	echo "$output"
	[ "$status" -eq 0 ]
}

# The Python side: run a server on a list of lines, sending each when the
# previous answer came, and time the answers.
AUTH_PY='
import os, subprocess, sys, time, select

def timed(binary, lines, delay=1, extra=(), log=None):
    """Send lines one by one; returns [(line, answer, seconds)], closed."""
    argv = [os.path.join(os.environ["BIN_DIR"], binary),
            "--passwd-file=" + os.environ["PASSWD"],
            "--auth-delay=%d" % delay, "--allow-plaintext"] + list(extra)
    env = dict(os.environ, REMOTE_ADDR="192.0.2.66")
    err = open(log, "ab") if log else subprocess.DEVNULL
    if log:
        argv.append("--log-stderr")
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=err, env=env, bufsize=0)
    buf = b""
    def readline(t):
        nonlocal buf
        end = time.monotonic() + t
        while b"\r\n" not in buf:
            left = end - time.monotonic()
            r, _, _ = select.select([p.stdout], [], [], max(left, 0))
            if not r:
                return None
            c = os.read(p.stdout.fileno(), 4096)
            if not c:
                return ""
            buf += c
        l, buf = buf.split(b"\r\n", 1)
        return l.decode()
    greet = readline(10)
    out = []
    for line in lines:
        t0 = time.monotonic()
        try:
            p.stdin.write(line.encode() + b"\r\n")
        except BrokenPipeError:
            out.append((line, "", 0.0))
            continue
        ans = readline(10)
        # skip untagged/continuation lines of IMAP
        while ans is not None and ans.startswith("* ") and not ans.startswith("* BYE"):
            ans = readline(10)
        out.append((line, ans, time.monotonic() - t0))
    try:
        p.stdin.close()
    except OSError:
        pass
    rest = readline(3)
    p.wait(10)
    return out, rest

def check(c, m):
    if not c:
        print("FAIL:", m)
        sys.exit(1)
'

@test "guessing (IMAP): a constant delay per failure, BYE after 3, same answer for unknown users" {
	pyauth <<-EOF
	$AUTH_PY
	log = os.path.join(os.environ["LOGDIR"], "imap.log")
	for user in ("alice", "nosuchuser"):
	    out, rest = timed("imapd", ["a LOGIN %s wrong1" % user,
	                                "b LOGIN %s wrong2" % user,
	                                "c LOGIN %s wrong3" % user,
	                                "d LOGIN alice secret"], log=log)
	    print(user, out, rest)
	    for (line, ans, t), tag in zip(out[:2], "ab"):
	        check(ans == tag + " NO [AUTHENTICATIONFAILED] Authentication failed", ans)
	        check(0.95 <= t < 2.5, "delay %.2f" % t)
	    check(out[2][1] == "* BYE Too many authentication failures" or
	          out[2][1].startswith("c NO [AUTHENTICATIONFAILED]"), out[2])
	    check(0.95 <= out[2][2] < 2.5, "third delay %.2f" % out[2][2])
	    # the session is over: the right password is not even read
	    check(out[3][1] in ("", None) or out[3][1].startswith("* BYE") or
	          out[3][1].startswith("c NO"), out[3])
	    check(not any((a or "").startswith("d OK") for _, a, _ in out), "logged in after 3")
	# the same answers and delays, whether the user exists or not
	t_known = [timed("imapd", ["a LOGIN alice wrong"])[0][0][2] for _ in range(3)]
	t_unknown = [timed("imapd", ["a LOGIN nosuchuser wrong"])[0][0][2] for _ in range(3)]
	check(abs(sorted(t_known)[1] - sorted(t_unknown)[1]) < 0.3,
	      "timing tells users apart: %r %r" % (t_known, t_unknown))
	# AUTHENTICATE counts as well
	import base64
	bad = base64.b64encode(b"\0alice\0nope").decode()
	out, rest = timed("imapd", ["a AUTHENTICATE PLAIN " + bad] * 3, log=log)
	check(out[0][1] == "a NO [AUTHENTICATIONFAILED] Authentication failed", out)
	check(0.95 <= out[0][2] < 2.5, "AUTHENTICATE delay")
	EOF
	local log=$TEST_ROOT/imap.log
	# one line per failure: 2 x 3 LOGIN, 3 AUTHENTICATE (+ the timing runs, no log)
	run grep -c 'auth: failed' "$log"
	[ "$output" -eq 9 ]
	! grep -q 'auth: ok' "$log"
	f2b_matches "$log" 9
}

@test "guessing (POP3): a constant delay per failure, closed after 3, same answer for unknown users" {
	pyauth <<-EOF
	$AUTH_PY
	log = os.path.join(os.environ["LOGDIR"], "pop3.log")
	for user in ("alice", "nosuchuser"):
	    lines = []
	    for i in range(3):
	        lines += ["USER %s" % user, "PASS wrong%d" % i]
	    lines += ["USER alice", "PASS secret"]
	    out, rest = timed("pop3d", lines, log=log)
	    print(user, out, rest)
	    check(out[0][1].startswith("+OK"), out[0])
	    for i in (1, 3):
	        check(out[i][1] == "-ERR [AUTH] Authentication failed", out[i])
	        check(0.95 <= out[i][2] < 2.5, "delay %.2f" % out[i][2])
	    check(out[5][1] == "-ERR [AUTH] Authentication failed, closing", out[5])
	    check(0.95 <= out[5][2] < 2.5, "third delay")
	    check(all(a in ("", None) for _, a, _ in out[6:]), "still talking: %r" % out[6:])
	t_known = [timed("pop3d", ["USER alice", "PASS wrong"])[0][1][2] for _ in range(3)]
	t_unknown = [timed("pop3d", ["USER nosuchuser", "PASS wrong"])[0][1][2] for _ in range(3)]
	check(abs(sorted(t_known)[1] - sorted(t_unknown)[1]) < 0.3,
	      "timing tells users apart: %r %r" % (t_known, t_unknown))
	EOF
	local log=$TEST_ROOT/pop3.log
	run grep -c 'auth: failed' "$log"
	[ "$output" -eq 6 ]
	f2b_matches "$log" 6
}

@test "guessing (IMAP): odd user names (long, spaces, planted rip=) cost the same delay and log a matched line" {
	pyauth <<-EOF
	$AUTH_PY
	log = os.path.join(os.environ["LOGDIR"], "odd.log")
	for u in ("x" * 300, '"a b"', '"rip=10.0.0.1"'):
	    out, rest = timed("imapd", ["a LOGIN %s wrong" % u], log=log)
	    check(out[0][1] == "a NO [AUTHENTICATIONFAILED] Authentication failed", out)
	    check(0.95 <= out[0][2] < 2.5, "IMAP %s... delay %.2f" % (u[:10], out[0][2]))
	EOF
	local log=$TEST_ROOT/odd.log
	run grep -c 'auth: failed' "$log"
	[ "$output" -eq 3 ]
	f2b_matches "$log" 3
}

@test "guessing (POP3): odd user names: refused at USER, or (AUTH PLAIN) delayed and logged in the matched format" {
	pyauth <<-EOF
	$AUTH_PY
	import base64
	log = os.path.join(os.environ["LOGDIR"], "odd.log")
	# USER refuses names that cannot exist: no password is ever checked
	for u in ("x" * 300, "x\x01y"):
	    out, rest = timed("pop3d", ["USER " + u, "PASS secret", "STAT"], log=log)
	    check(out[0][1].startswith("-ERR"), out)
	    check(out[1][1].startswith("-ERR") and out[2][1].startswith("-ERR"), out)
	# through SASL the name reaches the password check: same cost as any
	for u in ("x\x01y", "a b", "nosuchuser"):
	    b = base64.b64encode(b"\0" + u.encode() + b"\0wrong").decode()
	    out, rest = timed("pop3d", ["AUTH PLAIN " + b], log=log)
	    check(out[0][1] == "-ERR [AUTH] Authentication failed", out)
	    check(0.95 <= out[0][2] < 2.5, "POP3 %r delay %.2f" % (u, out[0][2]))
	EOF
	local log=$TEST_ROOT/odd.log
	run grep -c 'auth: failed' "$log"
	[ "$output" -eq 3 ]
	f2b_matches "$log" 3
}

# f2b_matches LOG N: the shipped filter matches N lines, all with the
# client's address (fail2ban-regex when installed, else the filter's
# regex by hand).
f2b_matches() {
	local log=$TEST_ROOT/mail.log
	sed 's/^/Nov 22 05:50:01 mailhost /' "$1" > "$log"
	if command -v fail2ban-regex >/dev/null && [ -d /etc/fail2ban/filter.d ]; then
		mkdir -p "$TEST_ROOT/f2b/filter.d"
		cp /etc/fail2ban/filter.d/common.conf "$TEST_ROOT/f2b/filter.d/"
		cp "$REPO/contrib/fail2ban/filter.d/imapd-pop3d.conf" \
		    "$TEST_ROOT/f2b/filter.d/"
		run fail2ban-regex -o ip "$log" \
		    "$TEST_ROOT/f2b/filter.d/imapd-pop3d.conf"
		[ "$status" -eq 0 ]
		[ "$(grep -c . <<< "$output")" -eq "$2" ] || {
			echo "fail2ban matched: $output" >&2; cat "$log" >&2; return 1; }
		[ -z "$(grep -v '^192\.0\.2\.66$' <<< "$output")" ]
	else
		run grep -cE ' (imapd|pop3d)\[[0-9]+\]: auth: failed user=<.*> mech=[^ ]+ rip=192\.0\.2\.66$' "$log"
		[ "$output" -eq "$2" ]
	fi
}

# --- clients that stop reading ------------------------------------------

@test "stalled client: a reader that stops reading is dropped at the timeout, over a pipe and a socket, without spinning" {
	# a 3 MB message: its BODY[]/RETR fills any pipe or socket buffer
	python3 -c '
import sys
sys.stdout.write("Subject: big\n\n" + ("x" * 76 + "\n") * 40000)' \
	    > "$MAILDIR/cur/1.M1.big:2,S"
	if is_root; then chown "$TEST_UID:$TEST_GID" "$MAILDIR/cur/1.M1.big:2,S"; fi
	pyauth <<-EOF
	$AUTH_PY
	import resource, socket
	def stall(binary, lines, sock):
	    argv = [os.path.join(os.environ["BIN_DIR"], binary),
	            "--passwd-file=" + os.environ["PASSWD"], "--auth-delay=0",
	            "--allow-plaintext", "--idle-timeout=2"]
	    data = "".join(l + "\r\n" for l in lines).encode()
	    if sock:
	        a, b = socket.socketpair()
	        a.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
	        p = subprocess.Popen(argv, stdin=b, stdout=b,
	                             stderr=subprocess.DEVNULL)
	        b.close()
	        a.sendall(data)
	    else:
	        p = subprocess.Popen(argv, stdin=subprocess.PIPE,
	                             stdout=subprocess.PIPE,
	                             stderr=subprocess.DEVNULL)
	        p.stdin.write(data)
	        p.stdin.flush()
	    # never read: the server fills the buffer and must give up
	    t0 = time.monotonic()
	    try:
	        rc = p.wait(20)
	    except subprocess.TimeoutExpired:
	        p.kill()
	        check(False, "%s (socket=%s) still running after 20 s" % (binary, sock))
	    took = time.monotonic() - t0
	    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
	    check(rc == 0, "%s exit %r" % (binary, rc))
	    check(1.5 <= took < 8, "%s (socket=%s) took %.1f s" % (binary, sock, took))
	    return cpu.ru_utime + cpu.ru_stime
	for sock in (False, True):
	    stall("imapd", ["a LOGIN alice secret", "b SELECT INBOX",
	                    "c FETCH 1 BODY[]", "d FETCH 1 BODY[]"], sock)
	    stall("pop3d", ["USER alice", "PASS secret", "RETR 1", "RETR 1"], sock)
	cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
	# eight sessions of which about 16 s were spent waiting: no spinning
	check(cpu.ru_utime + cpu.ru_stime < 3, "CPU %.2f s" % (cpu.ru_utime + cpu.ru_stime))
	EOF
}
