#!/usr/bin/env bats
# Faults: a session killed (SIGKILL) in the middle of APPEND, COPY, MOVE,
# EXPUNGE, STORE, RENAME and the UID list update, and a full disk or a
# file-size limit during APPEND and COPY.  Afterwards every message must
# be there exactly once (or, where the operation may or may not have
# happened, at most once) with the UID it had, nothing half-written in
# cur/ or new/, the UIDVALIDITY unchanged, and the next session working.
#
# Kill points are exact: tests/lib/faultinj.c (LD_PRELOAD) raises SIGKILL
# at the Nth link/rename/unlink/write/fsync after the session has logged
# in and selected (FAULTINJ_ARM).  Some tests also kill from outside after
# a delay.  Invariants are checked by tests/lib/mailcheck.py on disk and
# through a fresh session.

load helpers
load lib/imap_proto

setup_file() {
	cc -shared -fPIC -o "$BATS_RUN_TMPDIR/faultinj.so" \
	    "$BATS_TEST_DIRNAME/lib/faultinj.c" -ldl
}

setup() {
	imap_proto_setup
	export TEST_UID TEST_GID
	export FAULTINJ_SO=$BATS_RUN_TMPDIR/faultinj.so
	[ -r "$FAULTINJ_SO" ] || skip "cannot build the fault shim"
}
teardown() { common_teardown; }

# pyfault <<'EOF': a python script with mailcheck (and imap) imported;
# it defines main(S) and calls run(main).
pyfault() {
	local f=$TEST_ROOT/py.$BATS_TEST_NUMBER
	{
		echo 'import os, re, time, signal, subprocess'
		echo 'from imap import *'
		echo 'from mailcheck import *'
		cat
	} > "$f"
	run timeout 170 env PYTHONPATH="$IMAP_LIB" PYTHONDONTWRITEBYTECODE=1 \
	    python3 "$f"
	[ "$status" -eq 0 ] || _imap_fail "python script failed ($status)"
}

# --- kill -9 ----------------------------------------------------------

@test "kill -9 during COPY of 200 messages: source intact, each copy at most once, UIDs kept" {
	pyfault <<-'EOF'
	POINTS = [("link", 1), ("link", 120), ("rename", 1), ("rename", 150),
	          ("write:imapd-uidlist", "torn"), ("fsync:imapd-uidlist", "after"),
	          ("outside", 0.02), ("outside", 0.1)]
	def main(S):
	    ids = populate("INBOX", 200)
	    src = snapshot("INBOX")
	    once(src, ids, "INBOX before")
	    for k, (call, arg) in enumerate(POINTS):
	        t = "T%d" % k
	        ensure_folder(t)
	        tb = snapshot(t)
	        if call == "outside":
	            a = session(); S.append(a)
	            a.cmd("SELECT INBOX")
	            a.sendline("c COPY 1:* %s" % t)
	            time.sleep(arg)
	            a.proc.kill(); a.proc.wait()
	        else:
	            c, _, path = call.partition(":")
	            nth = arg if isinstance(arg, int) else 1
	            act = "kill" if isinstance(arg, int) else arg
	            a = armed_session(c, act, nth, path or None, "INBOX")
	            S.append(a)
	            arm(a)
	            a.sendline("c COPY 1:* %s" % t)
	            out = expect_killed(a)
	            check("c OK" not in out, "COPY finished before the kill")
	        after = snapshot("INBOX")
	        check(after == src, "%s: INBOX changed" % t)
	        disk_agrees("INBOX", after)
	        ta = snapshot(t)
	        same_uids(tb, ta, where=t)
	        disk_agrees(t, ta)
	        for mid, u in ta["uids"].items():
	            check(mid in ids and len(u) == 1, "%s: %s x%d" % (t, mid, len(u)))
	        next_session_works(t, ta)
	run(main)
	EOF
}

@test "kill -9 during MOVE of 150 messages: each message in exactly one folder" {
	pyfault <<-'EOF'
	POINTS = [("rename", 1), ("rename", 80), ("rename", 150),
	          ("write:imapd-uidlist", "torn"), ("fsync:imapd-uidlist", "after"),
	          ("outside", 0.01), ("outside", 0.05)]
	def main(S):
	    for k, (call, arg) in enumerate(POINTS):
	        s, t = "S%d" % k, "T%d" % k
	        ids = populate(s, 150)
	        ensure_folder(t)
	        sb, tb = snapshot(s), snapshot(t)
	        if call == "outside":
	            a = session(); S.append(a)
	            a.cmd("SELECT %s" % s)
	            a.sendline("m MOVE 1:* %s" % t)
	            time.sleep(arg)
	            a.proc.kill(); a.proc.wait()
	        else:
	            c, _, path = call.partition(":")
	            nth = arg if isinstance(arg, int) else 1
	            act = "kill" if isinstance(arg, int) else arg
	            a = armed_session(c, act, nth, path or None, s)
	            S.append(a)
	            arm(a)
	            a.sendline("m MOVE 1:* %s" % t)
	            out = expect_killed(a)
	            check("m OK" not in out, "MOVE finished before the kill")
	        sa, ta = snapshot(s), snapshot(t)
	        same_uids(sb, sa, where=s)
	        same_uids(tb, ta, where=t)
	        disk_agrees(s, sa)
	        disk_agrees(t, ta)
	        for mid in ids:
	            n = len(sa["uids"].get(mid, [])) + len(ta["uids"].get(mid, []))
	            check(n == 1, "%s (%s %s): %s in %d folders" % (call, arg, s, mid, n))
	        next_session_works(t, ta)
	        next_session_works(s, sa)
	run(main)
	EOF
}

@test "kill -9 during EXPUNGE of 100 of 200 messages: the kept ones stay, with their UIDs" {
	pyfault <<-'EOF'
	POINTS = [("unlink", 1), ("unlink", 50), ("unlink", 100),
	          ("rename:imapd-uidlist", "kill"), ("outside", 0.01)]
	def main(S):
	    for k, (call, arg) in enumerate(POINTS):
	        s = "E%d" % k
	        ids = populate(s, 200)
	        a = session(); S.append(a)
	        u, t = a.cmd("SELECT %s" % s); tagged_ok(t)
	        odd = ",".join(str(i) for i in range(1, 201, 2))
	        u, t = a.cmd("STORE %s +FLAGS.SILENT (\\Deleted)" % odd); tagged_ok(t)
	        a.cmd("LOGOUT"); a.close()
	        keep, gone = ids[1::2], ids[0::2]
	        before = snapshot(s)
	        if call == "outside":
	            a = session(); S.append(a)
	            a.cmd("SELECT %s" % s)
	            a.sendline("e EXPUNGE")
	            time.sleep(arg)
	            a.proc.kill(); a.proc.wait()
	        else:
	            c, _, path = call.partition(":")
	            nth = arg if isinstance(arg, int) else 1
	            a = armed_session(c, "kill", nth, path or None, s)
	            S.append(a)
	            arm(a)
	            a.sendline("e EXPUNGE")
	            out = expect_killed(a)
	            check("e OK" not in out, "EXPUNGE finished before the kill")
	        after = snapshot(s)
	        same_uids(before, after, where=s)
	        disk_agrees(s, after)
	        once(after, keep, s)
	        for mid in gone:
	            check(len(after["uids"].get(mid, [])) <= 1, mid)
	        # the next session finishes the job
	        a = session(); S.append(a)
	        u, t = a.cmd("SELECT %s" % s); tagged_ok(t)
	        u, t = a.cmd("EXPUNGE"); tagged_ok(t)
	        a.cmd("LOGOUT"); a.close()
	        fin = snapshot(s)
	        check(sorted(fin["uids"]) == sorted(keep), "%s: left %d" % (s, len(fin["uids"])))
	        same_uids(before, fin, where=s)
	        next_session_works(s, fin)
	run(main)
	EOF
}

@test "kill -9 during STORE on 200 messages: all there once, UIDs kept, flags old or new" {
	pyfault <<-'EOF'
	POINTS = [("rename", 1), ("rename", 100), ("rename", 200), ("outside", 0.01)]
	def main(S):
	    for k, (call, arg) in enumerate(POINTS):
	        s = "F%d" % k
	        ids = populate(s, 200)
	        before = snapshot(s)
	        if call == "outside":
	            a = session(); S.append(a)
	            a.cmd("SELECT %s" % s)
	            a.sendline("s STORE 1:* +FLAGS (\\Flagged \\Seen)")
	            time.sleep(arg)
	            a.proc.kill(); a.proc.wait()
	        else:
	            a = armed_session(call, "kill", arg, None, s)
	            S.append(a)
	            arm(a)
	            a.sendline("s STORE 1:* +FLAGS (\\Flagged \\Seen)")
	            out = expect_killed(a)
	            check("s OK" not in out, "STORE finished before the kill")
	        after = snapshot(s)
	        same_uids(before, after, where=s)
	        once(after, ids, s)
	        d = disk_agrees(s, after)
	        flagged = 0
	        for mid, (fn,) in d.items():
	            info = fn.partition(":2,")[2]
	            check(info in ("", "FS"), "%s: flags %r" % (fn, info))
	            flagged += info == "FS"
	        if call != "outside":
	            check(flagged == arg - 1, "%d flagged, expected %d" % (flagged, arg - 1))
	        next_session_works(s, after)
	run(main)
	EOF
}

@test "kill -9 during RENAME of a folder with children and of INBOX: nothing lost or doubled" {
	pyfault <<-'EOF'
	def ids_of(snaps):
	    out = {}
	    for name, sn in snaps.items():
	        for mid, u in sn["uids"].items():
	            out.setdefault(mid, []).append((name, u))
	    return out
	def folders():
	    a = session()
	    u, t = a.cmd('LIST "" "*"'); tagged_ok(t)
	    a.cmd("LOGOUT"); a.close()
	    out = []
	    for x in u:
	        m = re.fullmatch(r'\* LIST \(([^)]*)\) "\." "?([^"]*)"?', x)
	        if m and "\\Noselect" not in m.group(1):
	            out.append(m.group(2))
	    return out
	def main(S):
	    for nth in (1, 2, 3):
	        top = "A%d" % nth
	        allids = []
	        for f in (top, top + ".b", top + ".c"):
	            allids += populate(f, 20, prefix=f.lower())
	        before = {f: snapshot(f) for f in folders()}
	        a = armed_session("rename", "kill", nth)
	        S.append(a)
	        arm(a)
	        a.sendline("r RENAME %s Z%d" % (top, nth))
	        expect_killed(a)
	        after = {f: snapshot(f) for f in folders()}
	        for f, sn in after.items():
	            disk_agrees(f, sn)
	        old, new = ids_of(before), ids_of(after)
	        for mid in allids:
	            check(len(new.get(mid, [])) == 1, "%s: %r" % (mid, new.get(mid)))
	            # moved with its folder: same UID, same UIDVALIDITY
	            (fo, uo), = old[mid]
	            (fn, un), = new[mid]
	            check(uo == un, "%s: UID %r -> %r" % (mid, uo, un))
	            check(before[fo]["uidvalidity"] == after[fn]["uidvalidity"],
	                  "%s: UIDVALIDITY of %s -> %s" % (mid, fo, fn))
	        a = session(); S.append(a)
	        u, t = a.cmd("RENAME %s Y%d" % (top, nth))
	        check(re.match(r"t\d+ (OK|NO)", t), t)
	        a.cmd("LOGOUT"); a.close()
	    # INBOX: its messages move into a new folder
	    ids = populate("INBOX", 100)
	    for call, act, nth in (("rename", "kill", 50), ("write:imapd-uidlist", "torn", 1),
	                           ("rename:imapd-uidlist", "kill", 1)):
	        new = "Old%d" % nth + act
	        ib = snapshot("INBOX")
	        c, _, path = call.partition(":")
	        a = armed_session(c, act, nth, path or None)
	        S.append(a)
	        arm(a)
	        a.sendline("r RENAME INBOX %s" % new)
	        expect_killed(a)
	        ia = snapshot("INBOX")
	        same_uids(ib, ia, where="INBOX")
	        disk_agrees("INBOX", ia)
	        na = snapshot(new)
	        disk_agrees(new, na)
	        for mid in ib["uids"]:
	            n = len(ia["uids"].get(mid, [])) + len(na["uids"].get(mid, []))
	            check(n == 1, "%s %s: %s x%d" % (call, nth, mid, n))
	        next_session_works("INBOX", ia)
	        next_session_works(new, na)
	run(main)
	EOF
}

@test "kill -9 during the UID list update for 500 new messages: UIDs given once, old ones kept" {
	pyfault <<-'EOF'
	POINTS = [("write:imapd-uidlist", "torn"), ("fsync:imapd-uidlist", "after"),
	          ("rename", "kill"), ("outside", 0.01), ("outside", 0.05)]
	def main(S):
	    old = populate("INBOX", 10, prefix="old")
	    for k, (call, act) in enumerate(POINTS):
	        before = snapshot("INBOX")
	        now = int(time.time())
	        new = []
	        for i in range(500):
	            mid = "new%d.%d@test" % (k, i)
	            new.append(mid)
	            deliver(message(mid), name="%d.M%dP%dQ%d.mta" % (now, i, os.getpid(), k))
	        if act == "kill" or act == "torn" or act == "after":
	            c, _, path = call.partition(":")
	            a = armed_session(c, act, 1, path or None)
	            S.append(a)
	            arm(a)
	            a.sendline("s SELECT INBOX")
	            expect_killed(a)
	        else:
	            a = session(); S.append(a)
	            a.sendline("s SELECT INBOX")
	            time.sleep(act)
	            a.proc.kill(); a.proc.wait()
	        after = snapshot("INBOX")
	        same_uids(before, after, where=call)
	        once(after, list(before["uids"]) + new, call)
	        disk_agrees("INBOX", after)
	        # a second look gives the same UIDs (they were recorded)
	        again = snapshot("INBOX")
	        check(again["uids"] == after["uids"], "UIDs moved between sessions")
	        v, nx, bases = uidlist("INBOX")
	        check(v == before["uidvalidity"], "UID list validity")
	        check(len(bases) >= len(after["uids"]), "UID list short")
	    next_session_works("INBOX", snapshot("INBOX"))
	run(main)
	EOF
}

@test "kill -9 during APPEND: mid-literal, at fsync, rename, UID list write; at most once, no half message" {
	pyfault <<-'EOF'
	POINTS = [("outside", None), ("fsync", "kill"), ("rename", "kill"),
	          ("write:imapd-uidlist", "torn"), ("fsync:imapd-uidlist", "after")]
	def main(S):
	    populate("INBOX", 5, prefix="old")
	    for k, (call, act) in enumerate(POINTS):
	        before = snapshot("INBOX")
	        mid = "app%d@test" % k
	        text = message(mid, pad=2000).replace("\n", "\r\n")
	        if act is None:
	            # a big literal fed slowly, killed half-way
	            a = session(); S.append(a)
	            a.sendline("a APPEND INBOX {%d}" % len(text))
	            check(a.readline().startswith("+"), "continuation")
	            for i in range(0, len(text) // 2, 4096):
	                a.send(text[i:i + 4096]); time.sleep(0.01)
	            a.proc.kill(); a.proc.wait()
	        else:
	            c, _, path = call.partition(":")
	            a = armed_session(c, act, 1, path or None)
	            S.append(a)
	            arm(a)
	            a.send("a APPEND INBOX {%d+}\r\n%s\r\n" % (len(text), text))
	            out = expect_killed(a)
	            check("a OK" not in out, "APPEND finished before the kill")
	        after = snapshot("INBOX")
	        same_uids(before, after, where=call)
	        disk_agrees("INBOX", after)
	        n = len(after["uids"].get(mid, []))
	        check(n <= 1, "%s: %d copies" % (call, n))
	        if act is None or call == "fsync":
	            check(n == 0, "%s: appended although killed first" % call)
	        if call == "fsync:imapd-uidlist":
	            check(n == 1, "recorded but lost")
	        next_session_works("INBOX", after)
	run(main)
	EOF
}

@test "UID list deleted: rebuilt with a new, higher UIDVALIDITY, logged; kept otherwise" {
	pyfault <<-'EOF'
	def main(S):
	    ids = populate("INBOX", 20)
	    a = snapshot("INBOX")
	    # a session and a restart change nothing
	    b = snapshot("INBOX")
	    check(a == b, "UIDs changed by a new session")
	    os.unlink(os.path.join(MAILDIR, "imapd-uidlist"))
	    c = snapshot("INBOX")
	    check(c["uidvalidity"] > a["uidvalidity"], "UIDVALIDITY kept: %r" % c)
	    once(c, ids)
	    check(sorted(u for l in c["uids"].values() for u in l) ==
	          list(range(1, 21)), "UIDs renumbered from 1")
	    d = snapshot("INBOX")
	    check(c == d, "the rebuilt list is kept")
	run(main)
	EOF
	# and the rebuild is logged (syslog format on stderr)
	rm "$MAILDIR/imapd-uidlist"
	printf 'a LOGIN alice secret\r\nb SELECT INBOX\r\nc LOGOUT\r\n' |
	    "$BIN_DIR/imapd" --passwd-file="$PASSWD" --auth-delay=0 \
	    --log-stderr > "$TEST_ROOT/out" 2> "$TEST_ROOT/log"
	grep -Eq '^imapd\[[0-9]+\]: store: INBOX: UID list lost, new UIDVALIDITY [0-9]+$' \
	    "$TEST_ROOT/log" || { cat "$TEST_ROOT/log"; false; }
}

# --- full disk, quota, file-size limit --------------------------------

# The answers: ENOSPC and EDQUOT are [OVERQUOTA] (RFC 5530: "the user
# would be over quota after the operation"; a full disk is the same
# condition for the user and what Dovecot reports), EFBIG from a file
# size limit is [LIMIT] (a server-imposed limit, not the message being
# larger than APPENDLIMIT, for which [TOOBIG] is used before reading it).

@test "APPEND on a full disk (ENOSPC after 1000 bytes): NO [OVERQUOTA], mailbox unchanged" {
	pyfault <<-'EOF'
	def main(S):
	    populate("INBOX", 3, prefix="old")
	    for action, code in (("ENOSPC", "OVERQUOTA"), ("EDQUOT", "OVERQUOTA"), ("EFBIG", "LIMIT")):
	        before = snapshot("INBOX")
	        ul = open(os.path.join(MAILDIR, "imapd-uidlist")).read()
	        a = session(fault_env("write", action, nbytes=1000)); S.append(a)
	        text = message("full@test", pad=1000).replace("\n", "\r\n")
	        a.send("a APPEND INBOX {%d+}\r\n%s\r\n" % (len(text), text))
	        u, t = a.read_tagged("a")
	        check(re.fullmatch(r"a NO \[%s\] .+" % code, t), t)
	        u, t = a.cmd("NOOP"); tagged_ok(t)
	        a.cmd("LOGOUT"); a.close()
	        after = snapshot("INBOX")
	        check(after == before, "mailbox changed")
	        disk_agrees("INBOX", after)
	        check(os.listdir(os.path.join(MAILDIR, "tmp")) == [], "tmp/ not cleaned")
	        check(open(os.path.join(MAILDIR, "imapd-uidlist")).read() == ul, "UID list changed")
	    next_session_works("INBOX", snapshot("INBOX"))
	run(main)
	EOF
}

@test "APPEND over the file-size limit (ulimit -f): NO [LIMIT], the session lives on" {
	populate_py='from mailcheck import *; populate("INBOX", 3)'
	PYTHONPATH=$IMAP_LIB python3 -c "$populate_py"
	local before
	before=$(cd "$MAILDIR" && ls cur new tmp; cat imapd-uidlist)
	python3 -c 'import sys
m = "From: x@example.org\r\nSubject: big\r\nMessage-ID: <big@test>\r\n\r\n" + "x" * 70 + "\r\n"
m = m + ("y" * 78 + "\r\n") * 200
sys.stdout.write("a LOGIN alice secret\r\nb APPEND INBOX {%d+}\r\n%s\r\nc NOOP\r\nd LOGOUT\r\n" % (len(m), m))' \
	    > "$TEST_ROOT/script"
	# 8 blocks of 1024 bytes: the 16 kB message cannot be written
	run bash -c 'ulimit -f 8; "$1" --passwd-file="$2" --auth-delay=0 < "$3" | tr -d "\r"' \
	    _ "$BIN_DIR/imapd" "$PASSWD" "$TEST_ROOT/script"
	[ "$status" -eq 0 ]
	re_line 'b NO \[LIMIT\] .+'
	tagged c OK
	tagged d OK
	[ "$(cd "$MAILDIR" && ls cur new tmp; cat imapd-uidlist)" = "$before" ]
}

@test "COPY and MOVE when the UID list cannot grow (ENOSPC): NO [OVERQUOTA], both folders unchanged" {
	pyfault <<-'EOF'
	def main(S):
	    ids = populate("INBOX", 50)
	    ensure_folder("T")
	    sb, tb = snapshot("INBOX"), snapshot("T")
	    for cmd in ("COPY", "MOVE"):
	        a = session(fault_env("write", "ENOSPC", path="imapd-uidlist", nbytes=0))
	        S.append(a)
	        u, t = a.cmd("SELECT INBOX"); tagged_ok(t)
	        u, t = a.cmd("%s 1:* T" % cmd)
	        check(re.fullmatch(r"t\d+ NO \[OVERQUOTA\] .+", t), t)
	        check(not any("EXPUNGE" in x for x in u), u)
	        u, t = a.cmd("NOOP"); tagged_ok(t)
	        a.cmd("LOGOUT"); a.close()
	        check(snapshot("INBOX") == sb, "source changed")
	        check(snapshot("T") == tb, "target changed")
	        disk_agrees("INBOX", sb)
	        check(disk("T") == {}, "files in T")
	        check(os.listdir(os.path.join(folder_dir("T"), "tmp")) == [], "T/tmp")
	    next_session_works("T", tb)
	run(main)
	EOF
}

@test "COPY without hard links on a full disk or over ulimit -f: NO, target unchanged" {
	pyfault <<-'EOF'
	def main(S):
	    ids = populate("INBOX", 20, pad=50)
	    ensure_folder("T")
	    sb, tb = snapshot("INBOX"), snapshot("T")
	    # link(2) refused (as across devices): the data is copied
	    a = session(fault_env("link", "EXDEV")); S.append(a)
	    u, t = a.cmd("SELECT INBOX"); tagged_ok(t)
	    u, t = a.cmd("COPY 1:5 T"); tagged_ok(t, "COPYUID")
	    a.cmd("LOGOUT"); a.close()
	    t1 = snapshot("T")
	    check(sorted(t1["uids"]) == sorted(ids[:5]), "copy by data: %r" % t1)
	    disk_agrees("T", t1)
	    # no links and the disk fills up after 20 kB of copied data
	    a = armed_session("link,write", "ENOSPC", select="INBOX", nbytes=20000)
	    S.append(a)
	    arm(a)
	    u, t = a.cmd("COPY 1:* T")
	    check(re.fullmatch(r"t\d+ NO \[OVERQUOTA\] .+", t), t)
	    disarm(a)
	    u, t = a.cmd("NOOP"); tagged_ok(t)
	    a.cmd("LOGOUT"); a.close()
	    # no links and a file-size limit below one message
	    argv = ["bash", "-c", 'ulimit -f 1; exec "$@"', "_"] + server_argv()
	    a = session(fault_env("link", "EXDEV"), argv=argv); S.append(a)
	    u, t = a.cmd("SELECT INBOX"); tagged_ok(t)
	    u, t = a.cmd("COPY 1:* T")
	    check(re.fullmatch(r"t\d+ NO \[LIMIT\] .+", t), t)
	    u, t = a.cmd("NOOP"); tagged_ok(t)
	    a.cmd("LOGOUT"); a.close()
	    check(snapshot("T") == t1, "target changed")
	    disk_agrees("T", t1)
	    check(os.listdir(os.path.join(folder_dir("T"), "tmp")) == [], "T/tmp")
	    check(snapshot("INBOX") == sb, "source changed")
	run(main)
	EOF
}

@test "full disk with new mail waiting: SELECT still works, EXPUNGE frees space, UIDs come later" {
	pyfault <<-'EOF'
	def main(S):
	    ids = populate("INBOX", 10)
	    before = snapshot("INBOX")
	    for i in range(5):
	        deliver(message("late%d@test" % i))
	    # every write to a regular file fails: the UID list cannot grow
	    a = session(fault_env("write", "ENOSPC", nbytes=0)); S.append(a)
	    u, t = a.cmd("SELECT INBOX"); tagged_ok(t)
	    check("* 10 EXISTS" in u, u)
	    check(any("UIDVALIDITY %d]" % before["uidvalidity"] in x for x in u), u)
	    u, t = a.cmd("STORE 1:2 +FLAGS.SILENT (\\Deleted)"); tagged_ok(t)
	    u, t = a.cmd("EXPUNGE"); tagged_ok(t)
	    check(u == ["* 2 EXPUNGE", "* 1 EXPUNGE"], u)
	    u, t = a.cmd("NOOP"); tagged_ok(t)
	    a.cmd("LOGOUT"); a.close()
	    # with room again, the new messages get UIDs above the old ones
	    after = snapshot("INBOX")
	    same_uids(before, after)
	    once(after, ids[2:] + ["late%d@test" % i for i in range(5)])
	    check(min(after["uids"]["late0@test"]) > max(before["uids"][ids[-1]]), "UID order")
	    disk_agrees("INBOX", after)
	run(main)
	EOF
}

@test "kill -9 during DELETE: the folder is gone at once; a later DELETE removes the leftovers" {
	pyfault <<-'EOF'
	def main(S):
	    populate("Doomed", 30)
	    populate("Keep", 5)
	    a = armed_session("unlink", "kill", 10)
	    S.append(a)
	    arm(a)
	    a.sendline("d DELETE Doomed")
	    expect_killed(a)
	    a = session(); S.append(a)
	    u, t = a.cmd('LIST "" "*"'); tagged_ok(t)
	    check(not any("Doomed" in x for x in u), u)
	    u, t = a.cmd("SELECT Doomed")
	    check(re.match(r"t\d+ NO", t), t)
	    a.cmd("LOGOUT"); a.close()
	    left = [x for x in os.listdir(MAILDIR) if x.startswith("..tmp-delete.")]
	    check(len(left) == 1, "leftover: %r" % os.listdir(MAILDIR))
	    # an hour later, the next DELETE cleans up
	    old = time.time() - 7200
	    os.utime(os.path.join(MAILDIR, left[0]), (old, old))
	    ensure_folder("Other")
	    a = session(); S.append(a)
	    u, t = a.cmd("DELETE Other"); tagged_ok(t)
	    a.cmd("LOGOUT"); a.close()
	    check(not [x for x in os.listdir(MAILDIR) if x.startswith("..tmp-")],
	          "not cleaned: %r" % os.listdir(MAILDIR))
	    once(snapshot("Keep"), ["keep.%d@test" % i for i in range(1, 6)])
	run(main)
	EOF
}

@test "UID list naming UID 4294967295: the line is refused, UIDNEXT does not wrap to 1" {
	deliver_text 1700000000.M1P1.big <<< $'Subject: one\n\nbody'
	mv "$MAILDIR/new/1700000000.M1P1.big" "$MAILDIR/cur/1700000000.M1P1.big:2,"
	printf '1 V5 N4\n4294967295 8 9 :1700000000.M1P1.big\n' > "$MAILDIR/imapd-uidlist"
	fix_owner
	imap_login <<-EOF
	a SELECT INBOX
	b APPEND INBOX {10+}
	Subject: x
	c UID FETCH 1:* (UID)
	EOF
	tagged a OK
	line '* OK [UIDVALIDITY 5] UIDs valid'
	re_line 'b OK \[APPENDUID 5 5\] .*'
	line '* 1 FETCH (UID 4)'
	line '* 2 FETCH (UID 5)'
}
