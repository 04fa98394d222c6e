#!/usr/bin/env bats
# The folder snapshot (imapd-index) and the quiet-folder check: a session
# takes a folder that has not changed from the snapshot instead of
# reading its directories, and a session skips re-reading them after a
# command while they and the UID list are unchanged.  Every change from
# outside (flags, deliveries, expunges, a replaced UID list) must still be
# seen, and a damaged or foreign snapshot must be ignored.
#
# Proof that the directories were not read: a message file is slipped into
# cur/ and the directory's mtime put back as it was (what no MTA or client
# does), so only a session that reads cur/ sees it.

load helpers
load lib/imap_proto

setup() {
	imap_proto_setup
	export TEST_UID TEST_GID
}
teardown() { common_teardown; }

# pyidx <<'EOF': a python session script with the helpers below.
pyidx() {
	local f=$TEST_ROOT/py.$BATS_TEST_NUMBER
	cat > "$f" <<-'PRE'
	import shutil
	from imap import *
	from mailcheck import *
	M = MAILDIR
	IDX = os.path.join(M, "imapd-index")
	_n = [0]
	def put(i, folder="INBOX"):
	    deliver(message("m%d" % i), folder)
	def age(folder="INBOX"):
	    """new/ and cur/ last changed an hour ago."""
	    t = time.time() - 3600
	    for d in ("cur", "new"):
	        os.utime(os.path.join(folder_dir(folder), d), (t, t))
	def slip(folder="INBOX"):
	    """A file in cur/ that only a reader of the directory can see."""
	    cur = os.path.join(folder_dir(folder), "cur")
	    st = os.stat(cur)
	    _n[0] += 1
	    path = os.path.join(cur, "1.M%dP%d.slipped:2," % (_n[0], os.getpid()))
	    with open(path, "w") as f:
	        f.write("Subject: slipped\n\nx\n")
	    chown_test(path)
	    os.utime(cur, ns=(st.st_atime_ns, st.st_mtime_ns))
	def exists(st):
	    return [x for x in st if x.endswith(" EXISTS")]
	def cmds(S, *cmds, folder="INBOX"):
	    """SELECT folder, then each command: [(untagged, tagged)]."""
	    a = session(); S.append(a)
	    out = [a.cmd("SELECT " + folder)]
	    for c in cmds:
	        out.append(a.cmd(c))
	    a.close(); S.remove(a)
	    return out
	def state(S, folder="INBOX"):
	    """The folder as a client sees it: EXISTS, UIDNEXT, every message's
	    UID, flags, size and date."""
	    (su, st), (fu, ft) = cmds(S, "UID FETCH 1:* (FLAGS RFC822.SIZE "
	        "INTERNALDATE)", folder=folder)
	    tagged_ok(st); tagged_ok(ft)
	    keep = [x for x in su if re.search(r"EXISTS|UIDNEXT|UIDVALIDITY", x)]
	    return keep + sorted(x.replace("\\Recent", "").replace("( ", "(")
	        .replace(" )", ")") for x in fu if " FETCH " in x)
	def cur_files(folder="INBOX"):
	    return sorted(os.listdir(os.path.join(folder_dir(folder), "cur")))
	PRE
	cat >> "$f"
	pyrun 40 "$f"
}

@test "index: written for a quiet folder only; a second session takes the same folder from it" {
	pyidx <<-'EOF'
	def main(S):
	    for i in range(1, 6):
	        put(i)
	    state(S)                        # moves them to cur/
	    fresh = state(S)
	    check(exists(fresh) == ["* 5 EXISTS"], fresh)
	    check(not os.path.exists(IDX),
	        "no snapshot of directories changed a moment ago")
	    age()
	    check(state(S) == fresh, "after aging")
	    with open(IDX, "rb") as f:
	        check(f.read(8) == b"IMAPDIX\x01", "snapshot header")
	    check(state(S) == fresh, "from the snapshot")
	    slip()
	    check(state(S) == fresh, "the directory was read")
	    # STATUS and EXAMINE take it too
	    a = session(); S.append(a)
	    u, t = a.cmd("STATUS INBOX (MESSAGES UIDNEXT UNSEEN)"); tagged_ok(t)
	    check(u == ['* STATUS "INBOX" (MESSAGES 5 UIDNEXT 6 UNSEEN 5)'], u)
	    u, t = a.cmd("EXAMINE INBOX"); tagged_ok(t)
	    check("* 5 EXISTS" in u, u)
	    a.close(); S.remove(a)
	    # once something really changes, the directory is read again
	    put(6)
	    now = state(S)
	    check(exists(now) == ["* 7 EXISTS"], now)
	run(main)
	EOF
}

@test "index: a flag renamed, a delivery, an expunge or a replaced UID list from outside is seen" {
	pyidx <<-'EOF'
	def main(S):
	    for i in range(1, 5):
	        put(i)
	    state(S)
	    age()
	    before = state(S)
	    check(os.path.exists(IDX), "snapshot written")
	    # a flag set by another program
	    f = sorted(x for x in cur_files() if x.endswith(":2,"))[1]
	    os.rename(os.path.join(M, "cur", f), os.path.join(M, "cur", f + "S"))
	    after = state(S)
	    check(sum("\\Seen" in x for x in after) == 1, after)
	    check([x for x in after if "\\Seen" in x][0].startswith("* 2 FETCH"),
	        after)
	    # quiet again: a new snapshot, with the flag
	    age(); state(S)
	    slip()
	    check(state(S) == after, "new snapshot")
	    # a delivery (the slipped file comes to light with it)
	    put(9)
	    now = state(S)
	    check(exists(now) == ["* 6 EXISTS"], now)
	    # an expunge by another program
	    age(); state(S)
	    os.unlink(os.path.join(M, "cur", cur_files()[0]))
	    now = state(S)
	    check(exists(now) == ["* 5 EXISTS"], now)
	    # the same UID list, but another file: not the one it saw
	    age(); want = state(S)
	    slip()
	    check(state(S) == want, "snapshot taken")
	    ul = os.path.join(M, "imapd-uidlist")
	    shutil.copy(ul, ul + ".new"); chown_test(ul + ".new")
	    os.rename(ul + ".new", ul)
	    now = state(S)
	    check(exists(now) == ["* 6 EXISTS"], "UID list replaced: %r" % now)
	run(main)
	EOF
}

@test "index: a damaged, truncated, foreign or symlinked imapd-index is ignored" {
	pyidx <<-'EOF'
	def main(S):
	    ensure_folder("Other")
	    other = folder_dir("Other")
	    for i in range(1, 4):
	        put(i)
	        put(10 + i, "Other")
	    state(S); state(S, "Other")
	    age(); age("Other")
	    want = state(S)
	    state(S, "Other")
	    good = open(IDX, "rb").read()
	    foreign = open(os.path.join(other, "imapd-index"), "rb").read()
	    flip = bytearray(good); flip[len(flip) - 3] ^= 0x20
	    flip2 = bytearray(good); flip2[130] ^= 1
	    cases = [("garbage", b"x" * len(good)),
	        ("truncated", good[:len(good) // 2]), ("header only", good[:128]),
	        ("empty", b""), ("a name changed", bytes(flip)),
	        ("a record changed", bytes(flip2)), ("another folder's", foreign)]
	    n = 3
	    for what, data in cases:
	        age(); state(S)                 # a good snapshot ...
	        with open(IDX, "wb") as f:      # ... spoilt
	            f.write(data)
	        chown_test(IDX)
	        slip(); n += 1
	        now = state(S)
	        check(exists(now) == ["* %d EXISTS" % n], "%s: %r" % (what, now))
	    # a symlink to a good copy elsewhere is not followed
	    age(); state(S)
	    out = os.path.join(os.environ["TEST_ROOT"], "idx")
	    shutil.copy(IDX, out)
	    kept = open(out, "rb").read()
	    os.unlink(IDX)
	    os.symlink(out, IDX)
	    slip(); n += 1
	    now = state(S)
	    check(exists(now) == ["* %d EXISTS" % n], "symlink: %r" % now)
	    check(open(out, "rb").read() == kept, "written through the link")
	    check(not os.path.islink(IDX), "the link is replaced by a snapshot")
	run(main)
	EOF
}

@test "quiet folder: NOOP does not re-read unchanged directories, and sees outside changes" {
	pyidx <<-'EOF'
	def main(S):
	    for i in range(1, 4):
	        put(i)
	    state(S)
	    age()
	    a = session(); S.append(a)
	    u, t = a.cmd("SELECT INBOX"); tagged_ok(t)
	    slip()
	    u, t = a.cmd("NOOP"); tagged_ok(t)
	    check(u == [], "NOOP read the directory: %r" % u)
	    # another program sets a flag: now cur/ is read (and the slipped
	    # file found)
	    f = sorted(x for x in cur_files() if x.endswith(":2,") and
	        "slipped" not in x)[1]
	    os.rename(os.path.join(M, "cur", f), os.path.join(M, "cur", f + "F"))
	    u, t = a.cmd("NOOP"); tagged_ok(t)
	    check("* 2 FETCH (FLAGS (\\Flagged))" in u and "* 4 EXISTS" in u, u)
	    put(4)
	    u, t = a.cmd("NOOP"); tagged_ok(t)
	    check("* 5 EXISTS" in u, u)
	    b = session(); S.append(b)
	    u, t = b.cmd("SELECT INBOX"); tagged_ok(t)
	    u, t = b.cmd("STORE 1 +FLAGS (\\Seen)"); tagged_ok(t)
	    u, t = a.cmd("NOOP"); tagged_ok(t)
	    check("* 1 FETCH (FLAGS (\\Seen))" in u, u)
	run(main)
	EOF
}
