"""Maildir invariants for the fault, load and abuse suites.

Messages made here carry a Message-ID and end with a line "END <id>", so
that a half-written file is recognised on disk.  The checks read the
Maildir directly (files, UID lists) and through a fresh imapd session.

    from mailcheck import *
    populate("Src", 200)            # folder with 200 messages, UIDs given
    before = snapshot("Src")        # {"uidvalidity": V, "uids": {id: uid}}
    ... kill a session in the middle of something ...
    after = snapshot("Src")
    same_uids(before, after)
"""

import os
import re
import signal
import subprocess
import time

from imap import Imap, server_argv, check, tagged_ok

MAILDIR = os.environ.get("MAILDIR", "")
TEST_ROOT = os.environ.get("TEST_ROOT", "")
_seq = [0]


def chown_test(path):
    """As root, give path to the test user (the server runs as 4242)."""
    if os.getuid() == 0:
        os.chown(path, int(os.environ["TEST_UID"]),
                 int(os.environ["TEST_GID"]))


def folder_dir(name):
    if name.upper() == "INBOX":
        return MAILDIR
    return os.path.join(MAILDIR, "." + name)


def message(mid, subject=None, pad=0):
    """A message (LF line ends) with Message-ID <mid> and an END line."""
    body = "".join("line %d of %s, some padding to make it longer\n" %
                   (i, mid) for i in range(pad))
    return ("From: x@example.org\nTo: y@example.org\n"
            "Subject: %s\nMessage-ID: <%s>\n\n%sEND %s\n" %
            (subject or mid, mid, body, mid))


def deliver(text, folder="INBOX", name=None):
    """Deliver as an MTA does: write into tmp/, rename into new/."""
    _seq[0] += 1
    d = folder_dir(folder)
    name = name or "%d.M%dP%d.mta" % (time.time(), _seq[0], os.getpid())
    tmp = os.path.join(d, "tmp", name)
    with open(tmp, "w") as f:
        f.write(text)
    chown_test(tmp)
    os.rename(tmp, os.path.join(d, "new", name))
    return name


class EnvImap(Imap):
    """Imap on a server process with its own environment."""

    def __init__(self, argv, env, timeout=10):
        self.timeout = timeout
        self.buf = b""
        self.sock = None
        self.ntag = 0
        self.log = []
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT,
                                     bufsize=0, env=env)
        self.rfd = self.proc.stdout.fileno()


def session(extra_env=None, argv=None):
    """A logged-in imapd session (optionally with more environment)."""
    if extra_env:
        env = dict(os.environ)
        env.update(extra_env)
        a = EnvImap(argv or server_argv(), env)
    else:
        a = Imap(argv or server_argv())
    a.greeting()
    a.login()
    return a


def ensure_folder(name):
    if name.upper() == "INBOX" or os.path.isdir(folder_dir(name)):
        return
    a = session()
    u, t = a.cmd("CREATE %s" % name)
    tagged_ok(t)
    a.cmd("LOGOUT")
    a.close()


def populate(folder, n, prefix=None, pad=0):
    """Deliver n messages to folder and let a session give them UIDs
    (and claim them into cur/).  Returns the Message-IDs in order."""
    ensure_folder(folder)
    prefix = prefix or folder.lower()
    ids = []
    d = folder_dir(folder)
    base = int(time.time())
    for i in range(n):
        mid = "%s.%d@test" % (prefix, i + 1)
        ids.append(mid)
        name = "%d.M%06dP%d.pop%s" % (base, i + 1, os.getpid(), prefix)
        path = os.path.join(d, "new", name)
        with open(path, "w") as f:
            f.write(message(mid, pad=pad))
        chown_test(path)
    a = session()
    u, t = a.cmd("SELECT %s" % folder)
    tagged_ok(t)
    a.cmd("LOGOUT")
    a.close()
    return ids


# --- reading the state ---------------------------------------------------

def disk(folder):
    """{Message-ID: [file names]} of folder's cur/ and new/; asserts that
    every file there is a whole message (ends with its END line)."""
    out = {}
    d = folder_dir(folder)
    for sub in ("cur", "new"):
        for fn in os.listdir(os.path.join(d, sub)):
            with open(os.path.join(d, sub, fn), "rb") as f:
                data = f.read()
            m = re.search(rb"^Message-ID: <([^>]+)>", data, re.M | re.I)
            check(m is not None, "%s/%s/%s: no Message-ID (half-written?)"
                  % (folder, sub, fn))
            mid = m.group(1).decode()
            check(data.replace(b"\r\n", b"\n").endswith(
                ("END %s\n" % mid).encode()),
                "%s/%s/%s is not a whole message" % (folder, sub, fn))
            out.setdefault(mid, []).append(fn)
    return out


def uidlist(folder):
    """(uidvalidity, uidnext, {base: uid}) from the folder's UID list."""
    path = os.path.join(folder_dir(folder), "imapd-uidlist")
    with open(path) as f:
        data = f.read()
    head, _, rest = data.partition("\n")
    m = re.fullmatch(r"1 V(\d+) N(\d+)( .*)?", head)
    check(m is not None, "UID list header %r" % head)
    bases = {}
    for line in rest.split("\n")[:-1]:
        m2 = re.fullmatch(r"(\d+) \d+ \d+ :(.+)", line)
        if m2:
            bases[m2.group(2)] = int(m2.group(1))
    return int(m.group(1)), int(m.group(2)), bases


def snapshot(folder, a=None):
    """What a fresh session sees: UIDVALIDITY, UIDNEXT, EXISTS and
    {Message-ID: [UIDs]}; checks UIDs are unique and ascending."""
    own = a is None
    if own:
        a = session()
    u, t = a.cmd("SELECT %s" % folder)
    tagged_ok(t)
    v = [int(x) for x in re.findall(r"UIDVALIDITY (\d+)", " ".join(u))]
    nx = [int(x) for x in re.findall(r"UIDNEXT (\d+)", " ".join(u))]
    ex = [int(m.group(1)) for m in
          (re.fullmatch(r"\* (\d+) EXISTS", x) for x in u) if m]
    check(len(v) == 1 and len(ex) == 1, "SELECT: %r" % u)
    uids = {}
    order = []
    if ex[0] > 0:
        u, t = a.cmd("FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS "
                     "(MESSAGE-ID)])", timeout=60)
        tagged_ok(t)
        for x in u:
            m = re.match(r"\* (\d+) FETCH \(UID (\d+) .*<([^>]+)>", x, re.S)
            if m is None:
                continue
            order.append(int(m.group(2)))
            uids.setdefault(m.group(3), []).append(int(m.group(2)))
        check(len(order) == ex[0], "FETCH gave %d of %d messages" %
              (len(order), ex[0]))
        check(order == sorted(set(order)), "UIDs not unique/ascending")
        check(not order or order[-1] < nx[0], "UID >= UIDNEXT")
    if own:
        a.cmd("LOGOUT")
        a.close()
    return {"uidvalidity": v[0], "uidnext": nx[0] if nx else 0,
            "exists": ex[0], "uids": uids}


def once(snap, ids, where=""):
    """Every id in ids is in snap exactly once."""
    for mid in ids:
        n = len(snap["uids"].get(mid, []))
        check(n == 1, "%s: %s present %d times" % (where, mid, n))


def same_uids(before, after, ids=None, where=""):
    """UIDVALIDITY kept, and every id of before (or of ids) that is still
    in after has the UID it had."""
    check(before["uidvalidity"] == after["uidvalidity"],
          "%s: UIDVALIDITY changed %d -> %d" % (where, before["uidvalidity"],
                                                after["uidvalidity"]))
    for mid, old in before["uids"].items():
        if ids is not None and mid not in ids:
            continue
        new = after["uids"].get(mid)
        if new is not None:
            check(new == old, "%s: %s UID %r -> %r" % (where, mid, old, new))


def disk_agrees(folder, snap, multi=False):
    """The files on disk are the messages the session saw, once each (or
    as many times as the session saw them, with multi)."""
    d = disk(folder)
    for mid, fns in d.items():
        want = len(snap["uids"].get(mid, [])) if multi else 1
        check(len(fns) == want, "%s: %s on disk %d times: %r" %
              (folder, mid, len(fns), fns))
    check(set(d) == set(snap["uids"]),
          "%s: disk and session differ: only disk %r, only session %r" %
          (folder, sorted(set(d) - set(snap["uids"]))[:5],
           sorted(set(snap["uids"]) - set(d))[:5]))
    return d


def next_session_works(folder, after):
    """A new session can APPEND to folder; the UID is above all others."""
    a = session()
    mid = "after.%d.%d@test" % (os.getpid(), time.monotonic_ns())
    text = message(mid).replace("\n", "\r\n")
    a.send("a APPEND %s {%d+}\r\n%s\r\n" % (folder, len(text), text))
    u, t = a.read_tagged("a")
    tagged_ok(t, "APPENDUID")
    m = re.search(r"APPENDUID (\d+) (\d+)", t)
    check(int(m.group(1)) == after["uidvalidity"], "APPENDUID validity")
    top = max([x for l in after["uids"].values() for x in l] or [0])
    check(int(m.group(2)) > top, "APPEND got UID %s, not above %d" %
          (m.group(2), top))
    a.cmd("LOGOUT")
    a.close()


# --- killing sessions ----------------------------------------------------

FAULTINJ = os.environ.get("FAULTINJ_SO", "")


def fault_env(call, action, nth=1, path=None, arm=None, nbytes=None):
    env = {"LD_PRELOAD": FAULTINJ, "FAULTINJ_CALL": call,
           "FAULTINJ_ACTION": action, "FAULTINJ_NTH": str(nth),
           "FAULTINJ_LOG": os.path.join(TEST_ROOT, "faultinj.log")}
    if os.environ.get("LD_PRELOAD"):
        env["LD_PRELOAD"] = os.environ["LD_PRELOAD"] + ":" + FAULTINJ
    if path:
        env["FAULTINJ_PATH"] = path
    if arm:
        env["FAULTINJ_ARM"] = arm
    if nbytes is not None:
        env["FAULTINJ_BYTES"] = str(nbytes)
    return env


def armed_session(call, action, nth=1, path=None, select=None,
                  nbytes=None, argv=None):
    """A session that logs in (and selects) unharmed; arm() then lets the
    shim act on the nth matching call."""
    arm = os.path.join(TEST_ROOT, "arm.%d" % time.monotonic_ns())
    a = session(fault_env(call, action, nth, path, arm, nbytes), argv=argv)
    if select:
        u, t = a.cmd("SELECT %s" % select)
        tagged_ok(t)
    a.armfile = arm
    return a


def arm(a):
    open(a.armfile, "w").close()


def disarm(a):
    try:
        os.unlink(a.armfile)
    except FileNotFoundError:
        pass


def expect_killed(a, timeout=30):
    """Wait for the server to die of SIGKILL; returns what it said."""
    try:
        a.proc.wait(timeout)
    except subprocess.TimeoutExpired:
        a.proc.kill()
        a.proc.wait()
        raise AssertionError("the server was not killed")
    disarm(a)
    check(a.proc.returncode == -signal.SIGKILL,
          "exit status %r, not SIGKILL" % a.proc.returncode)
    rest = b""
    try:
        while True:
            chunk = os.read(a.rfd, 65536)
            if not chunk:
                break
            rest += chunk
    except OSError:
        pass
    return (a.buf + rest).decode("utf-8", "replace")


def no_tmp_outside(folder):
    """Nothing but regular files in tmp/, and cur/new hold only whole
    messages (disk() checks that)."""
    d = os.path.join(folder_dir(folder), "tmp")
    for fn in os.listdir(d):
        check(os.path.isfile(os.path.join(d, fn)), "odd entry in tmp/")
