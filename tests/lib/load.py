"""Load: many sessions of one user at once, and an MTA delivering.

    python3 load.py NIMAP NPOP NDELIVER OPS

NIMAP imapd sessions do OPS random operations each (APPEND, STORE,
EXPUNGE, COPY, MOVE, FETCH, SEARCH, NOOP, SELECT) on INBOX, Archive, Work
and Copies, NPOP pop3d sessions log in, list, read and quit over and over,
while an MTA thread delivers NDELIVER messages into INBOX.  The rules that
make the end state checkable:

  - delivered messages only ever move between INBOX and Archive (MOVE) or
    are copied to Copies; nobody sets \\Deleted on them;
  - APPENDs go to Work; a session deletes (UID STORE \\Deleted, UID
    EXPUNGE) only messages it appended itself.

Checked at the end: every delivered message is in INBOX or Archive exactly
once, every appended message not deleted is in Work exactly once, Copies
holds only copies of delivered messages, the files on disk are what a
session sees, UIDs are unique and ascending and UIDVALIDITY never changed.
Checked all along, per session (its "consistent view"): EXISTS never
shrinks without EXPUNGE, an EXPUNGE names an existing message, FETCH,
STORE and SEARCH bring no EXPUNGE (RFC 3501 7.4.1), a message keeps its
UID, new messages come with UIDs above all earlier ones, FETCH 1:* gives
exactly the view in ascending UID order, SEARCH names only messages in
the view; for POP3, a UIDL always names the same message.
"""

import os
import random
import re
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from imap import Imap, server_argv, check  # noqa: E402
import mailcheck  # noqa: E402
from mailcheck import message, deliver, snapshot, disk_agrees  # noqa: E402

FOLDERS = ["INBOX", "Archive", "Work", "Copies"]
errors = []
lock = threading.Lock()
stats = {"ops": 0, "no": 0, "pop3": 0}
appended = {}           # Message-ID -> True (kept) / False (deleted)
uidl_seen = {}          # POP3 UIDL -> Message-ID
validity = {}


def fail(who, msg, transcript=""):
    with lock:
        errors.append("%s: %s" % (who, msg))
        if transcript and len(errors) < 3:
            errors.append(transcript[-3000:])


class View:
    """One session's idea of the selected mailbox: UIDs by sequence."""

    def __init__(self, name):
        self.name = name
        self.uids = []          # None: not known yet
        self.top = 0            # highest UID ever seen here

    def apply(self, lines, no_expunge=False):
        for x in lines:
            m = re.fullmatch(r"\* (\d+) (EXISTS|EXPUNGE|RECENT)", x)
            if m:
                n = int(m.group(1))
                if m.group(2) == "EXISTS":
                    check(n >= len(self.uids), "%s: EXISTS %d < %d without"
                          " EXPUNGE" % (self.name, n, len(self.uids)))
                    self.uids += [None] * (n - len(self.uids))
                elif m.group(2) == "EXPUNGE":
                    check(not no_expunge, "EXPUNGE during FETCH/STORE/"
                          "SEARCH: %r" % x)
                    check(1 <= n <= len(self.uids), "%s: EXPUNGE %d of %d"
                          % (self.name, n, len(self.uids)))
                    del self.uids[n - 1]
                continue
            m = re.match(r"\* (\d+) FETCH ", x)
            if m:
                check(1 <= int(m.group(1)) <= len(self.uids),
                      "%s: %r outside the view of %d" %
                      (self.name, x, len(self.uids)))
            m = re.match(r"\* (\d+) FETCH \(.*UID (\d+)", x)
            if m:
                n, uid = int(m.group(1)), int(m.group(2))
                check(1 <= n <= len(self.uids), "%s: FETCH %d of %d" %
                      (self.name, n, len(self.uids)))
                old = self.uids[n - 1]
                if old is None:
                    check(uid > self.top, "%s: new message %d has UID %d, "
                          "not above %d" % (self.name, n, uid, self.top))
                    self.uids[n - 1] = uid
                    self.top = uid
                else:
                    check(old == uid, "%s: message %d was UID %d, now %d" %
                          (self.name, n, old, uid))

    def full(self, lines):
        """After FETCH 1:* (UID ...): the whole view known and ascending,
        but for messages announced (EXISTS) after the FETCH data."""
        known = list(self.uids)
        while known and known[-1] is None:
            known.pop()
        check(None not in known, "%s: FETCH 1:* left holes" % self.name)
        check(known == sorted(set(known)), "%s: UIDs not ascending"
              % self.name)


def ok(t):
    return re.match(r"\S+ OK", t) is not None


def imap_worker(w, nops, seed):
    rnd = random.Random(seed)
    a = Imap(server_argv(), timeout=60)
    who = "imap%d" % w
    mine = []           # (Message-ID, UID) appended by us, still kept
    j = 0
    try:
        a.greeting()
        a.login()
        view = None

        def select(name):
            u, t = a.cmd("SELECT %s" % name)
            check(ok(t), "SELECT %s: %r" % (name, t))
            v = int(re.search(r"UIDVALIDITY (\d+)", " ".join(u)).group(1))
            check(v == validity[name], "%s: UIDVALIDITY %d -> %d" %
                  (name, validity[name], v))
            nv = View(name)
            # the whole answer in order: EXISTS, and whatever else the
            # server reports before its OK
            nv.apply(u)
            u, t = a.cmd("FETCH 1:* (UID)") if nv.uids else ([], "x OK")
            check(ok(t), "FETCH after SELECT: %r" % t)
            nv.apply(u, no_expunge=True)
            nv.full(u)
            return nv

        view = select(rnd.choice(["INBOX", "Archive"]))
        for _ in range(nops):
            op = rnd.choice(["select", "noop", "fetch", "store", "append",
                             "append", "move", "move", "copy", "expunge",
                             "search", "delete"])
            with lock:
                stats["ops"] += 1
            if op == "select":
                view = select(rnd.choice(FOLDERS[:3]))
            elif op == "noop":
                u, t = a.cmd("NOOP")
                check(ok(t), t)
                view.apply(u)
            elif op == "fetch":
                if not view.uids:
                    continue
                u, t = a.cmd("FETCH 1:* (UID FLAGS)")
                check(ok(t), t)
                view.apply(u, no_expunge=True)
                view.full(u)
            elif op == "search":
                u, t = a.cmd("SEARCH ALL")
                check(ok(t), t)
                view.apply(u, no_expunge=True)
                for x in u:
                    if x.startswith("* SEARCH"):
                        ns = [int(y) for y in x.split()[2:]]
                        check(all(1 <= n <= len(view.uids) for n in ns),
                              "SEARCH outside the view: %r" % x)
            elif op == "store":
                if not view.uids or view.name == "Work":
                    continue
                n = rnd.randint(1, len(view.uids))
                fl = rnd.choice(["+FLAGS (\\Seen)", "-FLAGS (\\Seen)",
                                 "+FLAGS (\\Flagged)", "+FLAGS (Junk)"])
                u, t = a.cmd("STORE %d %s" % (n, fl))
                view.apply(u, no_expunge=True)
                if not ok(t):
                    check(re.match(r"\S+ NO", t), t)
                    with lock:
                        stats["no"] += 1
            elif op == "append":
                j += 1
                mid = "a%d.%d@imap" % (w, j)
                text = message(mid).replace("\n", "\r\n")
                a.send("ap APPEND Work (\\Seen) {%d+}\r\n%s\r\n" %
                       (len(text), text))
                u, t = a.read_tagged("ap")
                check(ok(t), "APPEND: %r" % t)
                view.apply(u)
                m = re.search(r"APPENDUID (\d+) (\d+)", t)
                check(m and int(m.group(1)) == validity["Work"],
                      "APPENDUID: %r" % t)
                mine.append((mid, int(m.group(2))))
                with lock:
                    appended[mid] = True
            elif op == "delete":
                if view.name != "Work" or not mine:
                    continue
                mid, uid = mine.pop(rnd.randrange(len(mine)))
                u, t = a.cmd("UID STORE %d +FLAGS.SILENT (\\Deleted)" % uid)
                with lock:
                    appended[mid] = False
                check(ok(t), "STORE own: %r" % t)
                # UID STORE may report expunges (RFC 3501 7.4.1)
                view.apply(u)
                u, t = a.cmd("UID EXPUNGE %d" % uid)
                check(ok(t), "UID EXPUNGE: %r" % t)
                view.apply(u)
                with lock:
                    appended[mid] = False
            elif op in ("move", "copy"):
                if not view.uids or view.name == "Work":
                    continue
                n = rnd.randint(1, len(view.uids))
                if op == "move":
                    to = "Archive" if view.name == "INBOX" else "INBOX"
                    u, t = a.cmd("MOVE %d %s" % (n, to))
                else:
                    u, t = a.cmd("COPY %d Copies" % n)
                view.apply(u)
                if not ok(t):
                    # RFC 2180 4.4.1: expunged by someone else meanwhile
                    check(re.match(r"\S+ NO", t), t)
                    with lock:
                        stats["no"] += 1
            elif op == "expunge":
                u, t = a.cmd("EXPUNGE")
                check(ok(t), t)
                view.apply(u)
        a.cmd("LOGOUT")
    except Exception as e:
        fail(who, "%s: %s" % (type(e).__name__, e), a.transcript())
    finally:
        a.close()


def pop3_cmd(f, line):
    f.write(line.encode() + b"\r\n")
    f.flush()


class Pop3:
    def __init__(self):
        argv = [server_argv()[0].replace("imapd", "pop3d")] + \
            server_argv()[1:]
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, bufsize=0)
        self.r = self.p.stdout

    def line(self):
        b = b""
        while not b.endswith(b"\r\n"):
            c = self.r.read(1)
            if not c:
                raise EOFError("pop3d closed: %r" % b)
            b += c
        return b[:-2].decode("utf-8", "replace")

    def cmd(self, text, multi=False):
        self.p.stdin.write(text.encode() + b"\r\n")
        first = self.line()
        body = []
        if multi and first.startswith("+OK"):
            while True:
                x = self.line()
                if x == ".":
                    break
                body.append(x[1:] if x.startswith(".") else x)
        return first, body

    def close(self):
        try:
            self.p.stdin.close()
        except OSError:
            pass
        self.p.wait(10)


def pop3_worker(w, rounds, seed):
    rnd = random.Random(seed)
    who = "pop%d" % w
    try:
        for _ in range(rounds):
            p = Pop3()
            check(p.line().startswith("+OK"), "greeting")
            p.cmd("USER alice")
            s, _ = p.cmd("PASS secret")
            check(s.startswith("+OK"), "PASS: %r" % s)
            s, body = p.cmd("UIDL", multi=True)
            check(s.startswith("+OK"), s)
            uidls = [x.split() for x in body]
            check(len(set(u for _, u in uidls)) == len(uidls),
                  "UIDL not unique")
            for n, u in rnd.sample(uidls, min(5, len(uidls))):
                s, hdr = p.cmd("TOP %s 0" % n, multi=True)
                if not s.startswith("+OK"):
                    # RFC 1939 lets a message vanish under a MOVE elsewhere
                    check(s.startswith("-ERR"), s)
                    continue
                mid = [re.search(r"<([^>]+)>", x).group(1) for x in hdr
                       if x.lower().startswith("message-id:")]
                check(len(mid) == 1, "TOP %s: %r" % (n, hdr))
                with lock:
                    old = uidl_seen.setdefault(u, mid[0])
                check(old == mid[0], "UIDL %s was %s, now %s" %
                      (u, old, mid[0]))
            if uidls:
                n = rnd.choice(uidls)[0]
                s, body = p.cmd("RETR %s" % n, multi=True)
                check(s.startswith("+OK") or s.startswith("-ERR"), s)
            s, _ = p.cmd("QUIT")
            check(s.startswith("+OK"), "QUIT: %r" % s)
            p.close()
            with lock:
                stats["pop3"] += 1
            time.sleep(rnd.random() * 0.2)
    except Exception as e:
        fail(who, "%s: %s" % (type(e).__name__, e))


def mta(n, done):
    for i in range(n):
        deliver(message("d%d@mta" % i))
        if i % 10 == 0:
            time.sleep(0.02)
    done.set()


def main():
    nimap, npop, ndeliver, nops = (int(x) for x in sys.argv[1:5])
    t0 = time.monotonic()
    for f in FOLDERS[1:]:
        mailcheck.ensure_folder(f)
    for f in FOLDERS:
        validity[f] = snapshot(f)["uidvalidity"]
    done = threading.Event()
    threads = [threading.Thread(target=mta, args=(ndeliver, done))]
    for w in range(nimap):
        threads.append(threading.Thread(target=imap_worker,
                                        args=(w, nops, 1000 + w)))
    for w in range(npop):
        threads.append(threading.Thread(target=pop3_worker,
                                        args=(w, 4, 2000 + w)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t1 = time.monotonic()
    # the end state
    a = mailcheck.session()
    u, t = a.cmd("SELECT Work")
    u, t = a.cmd("EXPUNGE")
    a.cmd("LOGOUT")
    a.close()
    snaps = {f: snapshot(f) for f in FOLDERS}
    for f in FOLDERS:
        check(snaps[f]["uidvalidity"] == validity[f], "%s: UIDVALIDITY" % f)
        disk_agrees(f, snaps[f], multi=(f == "Copies"))
    for i in range(ndeliver):
        mid = "d%d@mta" % i
        n = len(snaps["INBOX"]["uids"].get(mid, [])) + \
            len(snaps["Archive"]["uids"].get(mid, []))
        check(n == 1, "%s is in INBOX/Archive %d times" % (mid, n))
    for mid, kept in appended.items():
        n = len(snaps["Work"]["uids"].get(mid, []))
        check(n == (1 if kept else 0), "%s (%s) in Work %d times" %
              (mid, "kept" if kept else "deleted", n))
    for mid in snaps["Copies"]["uids"]:
        check(mid.endswith("@mta"), "Copies has %s" % mid)
    for mid in snaps["Work"]["uids"]:
        check(mid in appended, "Work has %s" % mid)
    print("load: %d IMAP sessions, %d ops (%d NO), %d POP3 sessions, "
          "%d delivered, %.1f s; INBOX %d, Archive %d, Work %d, Copies %d" %
          (nimap, stats["ops"], stats["no"], stats["pop3"], ndeliver,
           t1 - t0, snaps["INBOX"]["exists"], snaps["Archive"]["exists"],
           snaps["Work"]["exists"], snaps["Copies"]["exists"]))


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        errors.append("final: %s" % e)
    if errors:
        print("\n".join(errors))
        sys.exit(1)
