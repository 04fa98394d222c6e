#!/usr/bin/env bats
# IMAP with changes from outside the session: IDLE (RFC 2177) woken by a
# delivery or another session, and two sessions on one mailbox, where
# RFC 3501 §7.4.1 forbids EXPUNGE responses during FETCH, STORE and
# SEARCH (non-UID forms) and §5.2 wants changes reported at NOOP.

load helpers
load lib/imap_proto

setup() {
	imap_proto_setup
	export TEST_UID TEST_GID
}
teardown() { common_teardown; }

# pyconc <<'EOF': a python session script with deliver() and new_session().
pyconc() {
	local f=$TEST_ROOT/py.$BATS_TEST_NUMBER
	cat > "$f" <<-'PRE'
	import os, time
	from imap import *
	MAILDIR = os.environ["MAILDIR"]
	_n = [0]
	def deliver(text, folder=MAILDIR):
	    """Deliver as an MTA does: write to tmp/, rename into new/."""
	    _n[0] += 1
	    name = "%d.M%dP%d.outside" % (time.time(), _n[0], os.getpid())
	    tmp = os.path.join(folder, "tmp", name)
	    with open(tmp, "w") as f:
	        f.write(text)
	    if os.getuid() == 0:
	        os.chown(tmp, int(os.environ["TEST_UID"]),
	                 int(os.environ["TEST_GID"]))
	    os.rename(tmp, os.path.join(folder, "new", name))
	def msg(i):
	    return "From: x@example.org\nSubject: m%d\n\nbody %d\n" % (i, i)
	def new_session(S, select="SELECT INBOX"):
	    a = Imap(server_argv()); S.append(a)
	    a.greeting(); a.login()
	    if select:
	        u, t = a.cmd(select); tagged_ok(t)
	    return a
	def expunges(lines):
	    return [x for x in lines if re.fullmatch(r"\* \d+ EXPUNGE", x)]
	PRE
	cat >> "$f"
	pyrun 20 "$f"
}

@test "idle: a delivery from outside arrives as EXISTS within seconds" {
	pyconc <<-'EOF'
	def main(S):
	    a = new_session(S)
	    a.sendline("i IDLE")
	    line = a.readline()
	    check(line.startswith("+"), "continuation: %r" % line)
	    check(a.pending(0.5) == [], "quiet while nothing happens")
	    deliver(msg(1))
	    t0 = time.monotonic()
	    a.expect(r"\* 1 EXISTS", timeout=5)
	    check(time.monotonic() - t0 < 5, "EXISTS late")
	    rest = a.pending(0.3)
	    check(all(re.fullmatch(r"\* 1 RECENT", x) for x in rest), rest)
	    deliver(msg(2))
	    a.expect(r"\* 2 EXISTS", timeout=5)
	    a.sendline("DONE")
	    u, t = a.read_tagged("i")
	    tagged_ok(t)
	    u, t = a.cmd("FETCH 1:* UID"); tagged_ok(t)
	    check(len([x for x in u if "FETCH" in x]) == 2, u)
	run(main)
	EOF
}

@test "idle: expunges and flag changes by another session are pushed" {
	pyconc <<-'EOF'
	def main(S):
	    for i in range(3):
	        deliver(msg(i + 1))
	    a = new_session(S)
	    b = new_session(S)
	    a.sendline("i IDLE")
	    check(a.readline().startswith("+"), "continuation")
	    u, t = b.cmd("STORE 1 +FLAGS (\\Flagged)"); tagged_ok(t)
	    a.expect(r"\* 1 FETCH \(.*FLAGS \((.* )?\\Flagged( .*)?\).*\)",
	             timeout=5)
	    u, t = b.cmd("STORE 2 +FLAGS.SILENT (\\Deleted)"); tagged_ok(t)
	    u, t = b.cmd("EXPUNGE"); tagged_ok(t)
	    check(expunges(u) == ["* 2 EXPUNGE"], u)
	    a.expect(r"\* 2 EXPUNGE", timeout=5)
	    a.sendline("DONE")
	    u, t = a.read_tagged("i"); tagged_ok(t)
	    u, t = a.cmd("FETCH 1:* UID"); tagged_ok(t)
	    check(u == ["* 1 FETCH (UID 1)", "* 2 FETCH (UID 3)"], u)
	run(main)
	EOF
}

@test "idle: IDLE works in the authenticated state too (RFC 2177)" {
	pyconc <<-'EOF'
	def main(S):
	    a = new_session(S, select=None)
	    a.sendline("i IDLE")
	    check(a.readline().startswith("+"), "continuation")
	    a.sendline("DONE")
	    u, t = a.read_tagged("i"); tagged_ok(t)
	    u, t = a.cmd("SELECT INBOX"); tagged_ok(t)
	run(main)
	EOF
}

@test "idle: the idle timeout still applies during IDLE" {
	pyconc <<-'EOF'
	def main(S):
	    a = Imap(server_argv("--idle-timeout=2")); S.append(a)
	    a.greeting(); a.login()
	    u, t = a.cmd("SELECT INBOX"); tagged_ok(t)
	    a.sendline("i IDLE")
	    check(a.readline().startswith("+"), "continuation")
	    a.expect(r"\* BYE.*", timeout=10)
	    try:
	        extra = a.readline(timeout=3)
	        raise AssertionError("data after BYE: %r" % extra)
	    except Closed:
	        pass
	run(main)
	EOF
}

@test "two sessions: no EXPUNGE during FETCH, STORE, SEARCH; yes at NOOP" {
	pyconc <<-'EOF'
	def main(S):
	    for i in range(3):
	        deliver(msg(i + 1))
	    a = new_session(S)
	    b = new_session(S)
	    u, t = a.cmd("STORE 2 +FLAGS.SILENT (\\Deleted)"); tagged_ok(t)
	    u, t = a.cmd("EXPUNGE"); tagged_ok(t)
	    check(expunges(u) == ["* 2 EXPUNGE"], u)
	    # B still sees three messages; the expunged one keeps its number
	    u, t = b.cmd("FETCH 1:3 UID"); tagged_ok(t)
	    check(not expunges(u), "EXPUNGE during FETCH: %r" % u)
	    check("* 1 FETCH (UID 1)" in u and "* 3 FETCH (UID 3)" in u, u)
	    u, t = b.cmd("STORE 3 +FLAGS (\\Seen)")
	    check(not expunges(u), "EXPUNGE during STORE: %r" % u)
	    tagged_ok(t)
	    u, t = b.cmd("SEARCH ALL")
	    check(not expunges(u), "EXPUNGE during SEARCH: %r" % u)
	    tagged_ok(t)
	    # the client still sees 3 messages; 2 may be left out (RFC 2180)
	    check("* SEARCH 1 2 3" in u or "* SEARCH 1 3" in u, u)
	    u, t = b.cmd("NOOP"); tagged_ok(t)
	    check(expunges(u) == ["* 2 EXPUNGE"], "NOOP: %r" % u)
	    u, t = b.cmd("FETCH 1:* UID"); tagged_ok(t)
	    check([x for x in u if "FETCH" in x] ==
	          ["* 1 FETCH (UID 1)", "* 2 FETCH (UID 3)"], u)
	    # A learns about B's flag change at its next command
	    u, t = a.cmd("NOOP"); tagged_ok(t)
	    check(any(re.fullmatch(r"\* 2 FETCH \(.*\\Seen.*\)", x) for x in u), u)
	run(main)
	EOF
	[ "$(maildir_count)" -eq 2 ]
}

@test "two sessions: a fetch of an expunged message does not crash or lie" {
	pyconc <<-'EOF'
	def main(S):
	    deliver(msg(1))
	    deliver(msg(2))
	    a = new_session(S)
	    b = new_session(S)
	    u, t = a.cmd("STORE 1 +FLAGS.SILENT (\\Deleted)"); tagged_ok(t)
	    u, t = a.cmd("EXPUNGE"); tagged_ok(t)
	    # RFC 2180 §4.1: either the old data, or NO; never wrong data
	    u, t = b.cmd("FETCH 1 BODY.PEEK[TEXT]")
	    check(not expunges(u), u)
	    if re.match(r"t\d+ OK", t):
	        f = [x for x in u if x.startswith("* 1 FETCH")]
	        check(len(f) == 1 and "body 1" in f[0] or
	              len(f) == 0, "wrong data: %r" % u)
	    else:
	        check(re.match(r"t\d+ NO", t), t)
	    u, t = b.cmd("NOOP"); tagged_ok(t)
	    check(expunges(u) == ["* 1 EXPUNGE"], u)
	    u, t = b.cmd("FETCH 1 BODY.PEEK[TEXT]"); tagged_ok(t)
	    check(any("body 2" in x for x in u), u)
	run(main)
	EOF
}

@test "two sessions: new mail appears at NOOP with EXISTS and RECENT once" {
	pyconc <<-'EOF'
	def main(S):
	    a = new_session(S)
	    b = new_session(S)
	    deliver(msg(1))
	    u, t = a.cmd("NOOP"); tagged_ok(t)
	    check("* 1 EXISTS" in u, u)
	    u, t = b.cmd("NOOP"); tagged_ok(t)
	    check("* 1 EXISTS" in u, u)
	    # only one session gets \Recent for a message
	    ra = [x for x in S[0].log if b"* 1 RECENT" in x]
	    rb = [x for x in S[1].log if b"* 1 RECENT" in x]
	    check(len(ra) + len(rb) == 1, "RECENT in both or none")
	    u, t = a.cmd("NOOP"); tagged_ok(t)
	    check(u == [], "nothing new: %r" % u)
	run(main)
	EOF
}

@test "two sessions: APPEND and COPY by one are seen by the other" {
	pyconc <<-'EOF'
	def main(S):
	    a = new_session(S)
	    b = new_session(S)
	    a.send("a APPEND INBOX {14+}\r\nSubject: x\r\n\r\n\r\n")
	    u, t = a.read_tagged("a"); tagged_ok(t, "APPENDUID")
	    u, t = b.cmd("NOOP"); tagged_ok(t)
	    check("* 1 EXISTS" in u, u)
	    u, t = a.cmd("COPY 1 INBOX"); tagged_ok(t, "COPYUID")
	    u, t = b.cmd("NOOP"); tagged_ok(t)
	    check("* 2 EXISTS" in u, u)
	    u, t = b.cmd("UID FETCH 1:* UID"); tagged_ok(t)
	    check([x for x in u if "FETCH" in x] ==
	          ["* 1 FETCH (UID 1)", "* 2 FETCH (UID 2)"], u)
	run(main)
	EOF
}

@test "two sessions: STORE and COPY on a message expunged elsewhere never hit its neighbour" {
	pyconc <<-'EOF'
	def main(S):
	    for i in range(3):
	        deliver(msg(i + 1))
	    a = new_session(S, select="CREATE Target")
	    u, t = a.cmd("SELECT INBOX"); tagged_ok(t)
	    b = new_session(S)
	    u, t = a.cmd("STORE 2 +FLAGS.SILENT (\\Deleted)"); tagged_ok(t)
	    u, t = a.cmd("EXPUNGE"); tagged_ok(t)
	    # B still numbers UID 2 as message 2 (RFC 2180 §4.2: OK or NO)
	    u, t = b.cmd("STORE 2 +FLAGS (\\Flagged)")
	    check(re.match(r"t\d+ (OK|NO)", t), t)
	    check(not expunges(u), u)
	    # COPY may report the expunge (RFC 3501 §7.4.1 forbids it only
	    # during FETCH, STORE and SEARCH), else NOOP must
	    u, t = b.cmd("COPY 2 Target")
	    check(re.match(r"t\d+ (OK|NO)", t), t)
	    u2, t = b.cmd("NOOP"); tagged_ok(t)
	    check(expunges(u + u2) == ["* 2 EXPUNGE"], u + u2)
	    u, t = b.cmd("FETCH 1:* (UID FLAGS)"); tagged_ok(t)
	    for x in u:
	        check("\\Flagged" not in x, "a neighbour was flagged: %r" % u)
	    u, t = b.cmd("STATUS Target (MESSAGES)"); tagged_ok(t)
	    # the copy is the expunged message itself or nothing; never UID 3
	    u, t = b.cmd("SELECT Target"); tagged_ok(t)
	    u, t = b.cmd("FETCH 1:* BODY.PEEK[TEXT]")
	    for x in u:
	        check("body 3" not in x and "body 1" not in x,
	              "COPY took a neighbour: %r" % u)
	run(main)
	EOF
}

@test "two sessions: a MOVE by one is an EXPUNGE for the other, at NOOP" {
	pyconc <<-'EOF'
	def main(S):
	    for i in range(2):
	        deliver(msg(i + 1))
	    a = new_session(S, select="CREATE Target")
	    u, t = a.cmd("SELECT INBOX"); tagged_ok(t)
	    b = new_session(S)
	    u, t = a.cmd("MOVE 1 Target"); tagged_ok(t)
	    check(expunges(u) == ["* 1 EXPUNGE"], u)
	    u, t = b.cmd("FETCH 1:2 UID"); tagged_ok(t)
	    check(not expunges(u), u)
	    u, t = b.cmd("NOOP"); tagged_ok(t)
	    check(expunges(u) == ["* 1 EXPUNGE"], u)
	    u, t = b.cmd("STATUS Target (MESSAGES)"); tagged_ok(t)
	    check(any(x.endswith("(MESSAGES 1)") for x in u), u)
	run(main)
	EOF
}

@test "idle: done in lower case ends IDLE too (ABNF strings are case-insensitive)" {
	pyconc <<-'EOF'
	def main(S):
	    a = new_session(S)
	    a.sendline("i IDLE")
	    check(a.readline().startswith("+"), "continuation")
	    a.sendline("done")
	    u, t = a.read_tagged("i"); tagged_ok(t)
	run(main)
	EOF
}
