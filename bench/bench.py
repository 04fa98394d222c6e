#!/usr/bin/env python3
# make bench: our imapd/pop3d against Dovecot on the same Maildirs (bench/README).
"""
bench.py --sizes "1k 10k" --runs 5 --bin BUILD_DIR --dir build-bench

Generates (or reuses) the Maildirs with gen.py, measures the machine floors,
then runs both servers alternately (A B B A ...) on fresh hard-linked copies
of the same data, checks every answer against the generator's manifest and
prints a Markdown table (also written to DIR/results.md, raw numbers to
DIR/results.json).  Started as root, it makes DIR owned by nobody and runs
everything (generator included) as nobody through setpriv(1).
"""

import argparse
import datetime
import fcntl
import json
import os
import platform
import pwd
import re
import select
import shutil
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True		# no bench/__pycache__ in the tree
import gen  # noqa: E402

SIZES = {"1k": 1000, "10k": 10000, "100k": 100000}
OURS, DOV = "ours", "dovecot"
PHASES = ("cold", "warm", "hot")
TIMEOUT = 900			# seconds without output before a server is hung
CONC = 200
POP3_PASS = "bench"
now = time.perf_counter

# metric key, label, unit, higher is better, floor key
METRICS = (
    ("greeting", "start to greeting", "ms", False, "spawn"),
    ("select", "SELECT INBOX", "ms", False, "readdir"),
    ("uidfetch", "UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE)",
     "ms", False, "readdir"),
    ("envbs", "FETCH 1:* (ENVELOPE BODYSTRUCTURE)", "ms", False, None),
    ("ssubject", "UID SEARCH SUBJECT", "ms", False, None),
    ("stext", "SEARCH TEXT", "ms", False, "grep"),
    ("body", "FETCH 1:* BODY.PEEK[]", "MB/s", True, "floorcat"),
    ("rss", "peak RSS, IMAP session", "MB", False, None),
    ("conc_wall", "%d concurrent SELECT sessions, wall" % CONC, "ms", False,
     "spawn200"),
    ("conc_pss", "%d concurrent sessions, total PSS" % CONC, "MB", False,
     None),
    ("p3login", "POP3 start to first answer after login", "ms", False,
     "spawn"),
    ("p3pass", "POP3 PASS to +OK (ours only)", "ms", False, None),
    ("p3list", "POP3 LIST", "ms", False, "readdir"),
    ("p3uidl", "POP3 UIDL", "ms", False, "readdir"),
    ("p3retr", "POP3 RETR of every message", "MB/s", True, "floorcat"),
    ("p3rss", "peak RSS, POP3 session", "MB", False, None),
)
FLOORS = (
    ("spawn", "process spawn (fork+exec /bin/true through benchexec, "
     "to exit)", "ms"),
    ("spawn200", "%d spawns of /bin/true, all open at once" % CONC, "ms"),
    ("readdir", "readdir of cur/ and new/ (os.scandir)", "ms"),
    ("cat", "GNU cat of every message file into a pipe (find | xargs "
     "cat)", "MB/s"),
    ("floorcat", "bench/floorcat: every message file into a pipe with one "
     "256 KB buffer", "MB/s"),
    ("grep", "grep -r -i -l -F of the TEXT term", "ms"),
)


class Hung(Exception):
	pass


class Reader:
	"""Buffered reader on a pipe with a timeout on every wait."""

	def __init__(self, fd):
		self.fd = fd
		self.buf = bytearray()
		self.pos = 0
		self.poll = select.poll()
		self.poll.register(fd, select.POLLIN | select.POLLHUP)
		self.scratch = bytearray(1 << 20)

	def wait(self):
		if not self.poll.poll(TIMEOUT * 1000):
			raise Hung("no output for %d s" % TIMEOUT)

	def fill(self):
		# keep the last two bytes read: until_tag looks for CRLF tag
		if self.pos > 2:
			del self.buf[:self.pos - 2]
			self.pos = 2
		self.wait()
		d = os.read(self.fd, 1 << 20)
		if not d:
			raise EOFError("server closed its output")
		self.buf += d

	def line(self):
		"""One line without its CRLF."""
		while True:
			i = self.buf.find(b"\r\n", self.pos)
			if i >= 0:
				s = bytes(self.buf[self.pos:i])
				self.pos = i + 2
				return s
			self.fill()

	def skip(self, n):
		avail = len(self.buf) - self.pos
		if n <= avail:
			self.pos += n
			return
		n -= avail
		self.pos = len(self.buf)
		mv = memoryview(self.scratch)
		while n > 0:
			self.wait()
			k = os.readv(self.fd, [mv[:min(n, len(mv))]])
			if k == 0:
				raise EOFError("server closed its output")
			n -= k

	def response(self):
		"""One IMAP response: (text with literals as {}, literal sizes)."""
		parts = []
		lits = []
		while True:
			ln = self.line()
			if ln.endswith(b"}"):
				j = ln.rfind(b"{")
				num = ln[j + 1:-1].rstrip(b"+")
				if j >= 0 and num.isdigit():
					n = int(num)
					lits.append(n)
					parts.append(ln[:j] + b"{}")
					self.skip(n)
					continue
			parts.append(ln)
			return b"".join(parts), lits

	def until(self, pat):
		"""Everything up to and including pat (found with find, fast)."""
		start = self.pos
		while True:
			i = self.buf.find(pat, start)
			if i >= 0:
				s = bytes(self.buf[self.pos:i + len(pat)])
				self.pos = i + len(pat)
				return s
			rel = max(0, len(self.buf) - self.pos - len(pat) + 1)
			self.fill()		# moves the data to the front
			start = self.pos + rel

	def until_tag(self, tag):
		"""Raw bytes up to and including the line that starts with tag."""
		pat = b"\r\n" + tag + b" "
		start = self.pos
		if self.pos >= 2 and self.buf[self.pos - 2:self.pos] == b"\r\n":
			start = self.pos - 2
		while True:
			i = self.buf.find(pat, start)
			if i >= 0:
				j = self.buf.find(b"\r\n", i + 2)
				if j >= 0:
					s = bytes(self.buf[self.pos:j + 2])
					self.pos = j + 2
					return s
				start = i
			else:
				start = max(start, len(self.buf) - len(pat) + 1)
			rel = start - self.pos
			self.fill()		# keeps self.pos's data, moves it
			start = self.pos + rel

	def count_until(self, pat):
		"""Discard data up to pat; the number of bytes before pat."""
		total = 0
		while True:
			i = self.buf.find(pat, self.pos)
			if i >= 0:
				total += i - self.pos
				self.pos = i + len(pat)
				return total
			keep = len(pat) - 1
			cut = max(self.pos, len(self.buf) - keep)
			total += cut - self.pos
			del self.buf[:cut]
			self.pos = 0
			self.wait()
			d = os.read(self.fd, 1 << 20)
			if not d:
				raise EOFError("server closed its output")
			self.buf += d

	def drain(self):
		"""Read to end of file, counting bytes."""
		total = len(self.buf) - self.pos
		self.pos = len(self.buf)
		mv = memoryview(self.scratch)
		while True:
			self.wait()
			k = os.readv(self.fd, [mv])
			if k == 0:
				return total
			total += k


class Ctx:
	"""Where things are and what went wrong."""

	def __init__(self, args):
		self.dir = args.dir
		self.bin = args.bin
		self.helper = args.helper
		self.rusage = os.path.join(self.dir, "rusage")
		self.user = pwd.getpwuid(os.getuid())
		self.failures = []
		self.logf = None
		self.size = None
		self.run = None
		self.dovecot_conf = os.path.join(self.dir, "dovecot",
		    "dovecot.conf")

	def check(self, srv, phase, what, ok, detail=""):
		if ok:
			return True
		msg = "%s %s run %s %s: %s %s" % (srv, self.size, self.run,
		    phase, what, detail)
		self.failures.append(msg)
		print("*** CORRECTNESS FAILURE: " + msg, flush=True)
		return False

	def env(self, home):
		return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
		    "USER": self.user.pw_name, "LOGNAME": self.user.pw_name,
		    "HOME": home, "LANG": "C"}

	def imap_argv(self, srv):
		if srv == OURS:
			return [os.path.join(self.bin, "imapd")]
		return ["/usr/lib/dovecot/imap", "-c", self.dovecot_conf]

	def pop3_argv(self, srv, home):
		if srv == OURS:
			return [os.path.join(self.bin, "pop3d"), "-p",
			    os.path.join(home, "passwd"), "-P", "--auth-delay=0"]
		return ["/usr/lib/dovecot/pop3", "-c", self.dovecot_conf]


def spawn(ctx, argv, home, stderr=None, helper=True):
	"""Start argv (through benchexec unless helper is False)."""
	if helper:
		argv = [ctx.helper, ctx.rusage] + argv
	return subprocess.Popen(argv, stdin=subprocess.PIPE,
	    stdout=subprocess.PIPE, stderr=stderr if stderr is not None else
	    ctx.logf, env=ctx.env(home), cwd=home, bufsize=0)


def reap(ctx, p):
	"""Wait for p (started through benchexec); its peak RSS in MB."""
	try:
		p.stdin.close()
	except OSError:
		pass
	r = Reader(p.stdout.fileno())
	try:
		r.drain()
	except (Hung, EOFError):
		pass
	p.stdout.close()
	p.wait()
	try:
		with open(ctx.rusage) as f:
			return int(f.read().split()[0]) / 1024.0
	except (OSError, ValueError, IndexError):
		return float("nan")


def parse_raw(data):
	"""IMAP responses in data: [(text with literals as {}, literal sizes)]."""
	out = []
	parts = []
	lits = []
	pos = 0
	while True:
		j = data.find(b"\r\n", pos)
		if j < 0:
			return out
		ln = data[pos:j]
		pos = j + 2
		if ln.endswith(b"}"):
			k = ln.rfind(b"{")
			num = ln[k + 1:-1].rstrip(b"+")
			if k >= 0 and num.isdigit():
				lits.append(int(num))
				parts.append(ln[:k] + b"{}")
				pos += int(num)
				continue
		parts.append(ln)
		out.append((b"".join(parts), lits))
		parts = []
		lits = []


def imap_cmd(p, r, tag, text):
	"""Send one command; (seconds, tagged line, untagged responses).

	The clock stops when a line starting with the tag has arrived (found
	with bytes.find, no per-line Python work); the responses are parsed,
	literals included, afterwards.  None of the commands timed this way
	can carry CRLF inside a literal, and a tag found inside one would show
	as a missing tagged line.
	"""
	t0 = now()
	os.write(p.stdin.fileno(), b"%s %s\r\n" % (tag, text))
	raw = r.until_tag(tag)
	t = now() - t0
	resp = parse_raw(raw)
	if not resp or not resp[-1][0].startswith(tag + b" "):
		return t, b"(tagged response not parsed)", resp
	return t, resp[-1][0], resp[:-1]


def imap_fetch_body(p, r, tag, text):
	"""BODY.PEEK[] of everything: (seconds, tagged, literal sizes, count)."""
	t0 = now()
	os.write(p.stdin.fileno(), b"%s %s\r\n" % (tag, text))
	sizes = []
	n = 0
	tp = tag + b" "
	while True:
		ln, lits = r.response()
		if ln.startswith(tp):
			return now() - t0, ln, sizes, n
		if ln.startswith(b"* ") and b" FETCH " in ln:
			n += 1
			sizes.extend(lits)


FETCH_RE = re.compile(rb"^\* (\d+) FETCH ")
UID_RE = re.compile(rb"[( ]UID (\d+)")
FLAGS_RE = re.compile(rb"FLAGS \(([^)]*)\)")
SIZE_RE = re.compile(rb"RFC822\.SIZE (\d+)")
DATE_RE = re.compile(rb'INTERNALDATE "([^"]+)"')
FLAGNAMES = {b"\\seen": "seen", b"\\answered": "answered",
    b"\\flagged": "flagged", b"\\deleted": "deleted", b"\\draft": "draft"}


def parse_idate(s, cache={}):
	v = cache.get(s)
	if v is None:
		v = int(datetime.datetime.strptime(s.decode().strip(),
		    "%d-%b-%Y %H:%M:%S %z").timestamp())
		cache[s] = v
	return v


def ok_line(ln, tag):
	return ln.startswith(tag + b" OK")


def imap_session(ctx, srv, home, man, phase):
	res = {}
	ck = ctx.check
	t0 = now()
	p = spawn(ctx, ctx.imap_argv(srv), home)
	r = Reader(p.stdout.fileno())
	try:
		g = r.line()
		res["greeting"] = (now() - t0) * 1e3
		ck(srv, phase, "greeting", g.startswith(b"* PREAUTH"), g[:80])

		t, tl, unt = imap_cmd(p, r, b"a1", b"SELECT INBOX")
		res["select"] = t * 1e3
		exists = [int(x.split()[1]) for x, _ in unt
		    if x.endswith(b" EXISTS")]
		ck(srv, phase, "SELECT", ok_line(tl, b"a1") and
		    exists[-1:] == [man["count"]], "%s EXISTS %s" % (tl[:60],
		    exists))

		t, tl, unt = imap_cmd(p, r,
		    b"a2", b"UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE)")
		res["uidfetch"] = t * 1e3
		sizes, dates, uids = [], [], []
		flags = dict.fromkeys(man["flags"], 0)
		for ln, _ in unt:
			if not FETCH_RE.match(ln):
				continue
			m = UID_RE.search(ln)
			uids.append(int(m.group(1)) if m else -1)
			m = SIZE_RE.search(ln)
			sizes.append(int(m.group(1)) if m else -1)
			m = DATE_RE.search(ln)
			dates.append(parse_idate(m.group(1)) if m else -1)
			m = FLAGS_RE.search(ln)
			for f in (m.group(1).lower().split() if m else ()):
				if f in FLAGNAMES:
					flags[FLAGNAMES[f]] += 1
		ck(srv, phase, "UID FETCH status", ok_line(tl, b"a2"), tl[:80])
		ck(srv, phase, "UID FETCH count", len(sizes) == man["count"],
		    "%d != %d" % (len(sizes), man["count"]))
		ck(srv, phase, "UID FETCH UIDs ascending and unique",
		    uids == sorted(set(uids)) and -1 not in uids)
		ck(srv, phase, "UID FETCH RFC822.SIZE",
		    sorted(sizes) == man["sizes"], "sizes differ from the "
		    "manifest's (sum %d, manifest %d)" % (sum(sizes),
		    sum(man["sizes"])))
		ck(srv, phase, "UID FETCH INTERNALDATE",
		    sorted(dates) == man["mtimes"])
		ck(srv, phase, "UID FETCH FLAGS", flags == man["flags"],
		    "%s != %s" % (flags, man["flags"]))

		t, tl, unt = imap_cmd(p, r,
		    b"a3", b"FETCH 1:* (ENVELOPE BODYSTRUCTURE)")
		res["envbs"] = t * 1e3
		n = multi = 0
		for ln, _ in unt:
			if FETCH_RE.match(ln) and b"ENVELOPE (" in ln and \
			    b"BODYSTRUCTURE (" in ln:
				n += 1
				multi += b"BODYSTRUCTURE ((" in ln
		ck(srv, phase, "ENVELOPE BODYSTRUCTURE", ok_line(tl, b"a3") and
		    n == man["count"] and multi == man["multipart"],
		    "%s: %d responses (want %d), %d multipart (want %d)" % (
		    tl[:40], n, man["count"], multi, man["multipart"]))

		for key, tag, cmd, want in (
		    ("ssubject", b"a4", b"UID SEARCH SUBJECT " +
		     man["subject_term"].encode(), man["subject_hits"]),
		    ("stext", b"a5", b"SEARCH TEXT " +
		     man["text_term"].encode(), man["text_hits"])):
			t, tl, unt = imap_cmd(p, r, tag, cmd)
			res[key] = t * 1e3
			hits = []
			for ln, _ in unt:
				if ln.startswith(b"* SEARCH"):
					hits.extend(ln.split()[2:])
			ck(srv, phase, cmd.decode(), ok_line(tl, tag) and
			    len(hits) == want and len(set(hits)) == len(hits),
			    "%s: %d hits, want %d" % (tl[:40], len(hits), want))

		t, tl, lits, n = imap_fetch_body(p, r, b"a6", b"FETCH 1:* BODY.PEEK[]")
		res["body"] = man["crlf_bytes"] / t / 1e6
		ck(srv, phase, "BODY.PEEK[]", ok_line(tl, b"a6") and
		    n == man["count"] and sorted(lits) == man["sizes"],
		    "%s: %d responses, literal sizes differ from the manifest's "
		    "(sum %d, manifest %d)" % (tl[:40], n, sum(lits),
		    sum(man["sizes"])))

		t, tl, unt = imap_cmd(p, r, b"a7", b"LOGOUT")
		ck(srv, phase, "LOGOUT", ok_line(tl, b"a7"), tl[:60])
	except (Hung, EOFError, OSError) as e:
		ck(srv, phase, "IMAP session", False, repr(e))
		p.kill()
	res["rss"] = reap(ctx, p)
	return res


def pss_of(pid):
	"""PSS in kB of pid and its descendants."""
	total = 0
	try:
		with open("/proc/%d/smaps_rollup" % pid) as f:
			for ln in f:
				if ln.startswith("Pss:"):
					total += int(ln.split()[1])
		with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
			for c in f.read().split():
				total += pss_of(int(c))
	except OSError:
		pass
	return total


def concurrent(ctx, srv, home, man):
	"""CONC sessions at once, each SELECTed: (wall ms, total PSS MB)."""
	procs = []
	t0 = now()
	for _ in range(CONC):
		p = spawn(ctx, ctx.imap_argv(srv), home, subprocess.DEVNULL,
		    helper=False)
		os.write(p.stdin.fileno(), b"a SELECT INBOX\r\n")
		procs.append(p)
	pending = {p.stdout.fileno(): [p, bytearray()] for p in procs}
	poll = select.poll()
	for fd in pending:
		poll.register(fd, select.POLLIN | select.POLLHUP)
	good = 0
	while pending:
		ev = poll.poll(TIMEOUT * 1000)
		if not ev:
			break
		for fd, _ in ev:
			p, buf = pending[fd]
			d = os.read(fd, 65536)
			buf += d
			i = buf.find(b"\r\na ")
			if d == b"" or (i >= 0 and buf.find(b"\r\n", i + 2) >= 0):
				poll.unregister(fd)
				del pending[fd]
				ex = re.search(rb"\* (\d+) EXISTS", buf)
				if i >= 0 and buf[i + 2:].startswith(b"a OK") and \
				    ex and int(ex.group(1)) == man["count"]:
					good += 1
	wall = (now() - t0) * 1e3
	pss = sum(pss_of(p.pid) for p in procs) / 1024.0
	ctx.check(srv, "conc", "%d concurrent SELECTs" % CONC, good == CONC,
	    "%d of %d answered OK with EXISTS %d" % (good, CONC, man["count"]))
	for p in procs:
		try:
			os.write(p.stdin.fileno(), b"b LOGOUT\r\n")
		except OSError:
			pass
		p.stdin.close()
	for p in procs:
		if p.poll() is None:
			try:
				p.wait(TIMEOUT)
			except subprocess.TimeoutExpired:
				p.kill()
				p.wait()
		p.stdout.close()
	return wall, pss


def pop3_session(ctx, srv, home, man, phase):
	res = {}
	ck = ctx.check
	n = man["count"]
	t0 = now()
	p = spawn(ctx, ctx.pop3_argv(srv, home), home)
	r = Reader(p.stdout.fileno())
	w = p.stdin.fileno()
	try:
		if srv == OURS:
			g = r.line()
			ck(srv, phase, "POP3 greeting", g.startswith(b"+OK"), g[:60])
			os.write(w, b"USER %s\r\n" % ctx.user.pw_name.encode())
			g = r.line()
			ck(srv, phase, "POP3 USER", g.startswith(b"+OK"), g[:60])
			tp = now()
			os.write(w, b"PASS %s\r\n" % POP3_PASS.encode())
			g = r.line()
			res["p3pass"] = (now() - tp) * 1e3
		else:
			# pre-authenticated: no greeting, the first answer is STAT's
			os.write(w, b"STAT\r\n")
			g = r.line()
		res["p3login"] = (now() - t0) * 1e3
		ck(srv, phase, "POP3 login", g.startswith(b"+OK"), g[:60])

		tp = now()
		os.write(w, b"LIST\r\n")
		data = r.until(b"\r\n.\r\n")
		res["p3list"] = (now() - tp) * 1e3
		lines = data.split(b"\r\n")[1:-2]
		sizes = sorted(int(x.split()[1]) for x in lines)
		ck(srv, phase, "POP3 LIST", data.startswith(b"+OK") and
		    sizes == man["sizes"], "%d lines, sizes differ from the "
		    "manifest's (sum %d, manifest %d)" % (len(sizes), sum(sizes),
		    sum(man["sizes"])))

		tp = now()
		os.write(w, b"UIDL\r\n")
		data = r.until(b"\r\n.\r\n")
		res["p3uidl"] = (now() - tp) * 1e3
		lines = data.split(b"\r\n")[1:-2]
		ids = set(x.split()[1] for x in lines)
		ck(srv, phase, "POP3 UIDL", data.startswith(b"+OK") and
		    len(lines) == n and len(ids) == n, "%d lines, %d unique" % (
		    len(lines), len(ids)))

		def writer():
			try:
				for i in range(1, n + 1):
					os.write(w, b"RETR %d\r\n" % i)
			except OSError:
				pass

		th = threading.Thread(target=writer, daemon=True)
		tp = now()
		th.start()
		nbytes = good = 0
		for i in range(n):
			st = r.line()
			if not st.startswith(b"+OK"):
				continue
			good += 1
			nbytes += r.count_until(b"\r\n.\r\n") + 2
		t = now() - tp
		th.join()
		res["p3retr"] = man["crlf_bytes"] / t / 1e6
		want = man["crlf_bytes"] + man["dot_lines"]
		ck(srv, phase, "POP3 RETR", good == n and nbytes == want,
		    "%d of %d +OK, %d bytes (want %d with dot-stuffing)" % (
		    good, n, nbytes, want))
		os.write(w, b"QUIT\r\n")
		g = r.line()
		ck(srv, phase, "POP3 QUIT", g.startswith(b"+OK"), g[:60])
	except (Hung, EOFError, OSError) as e:
		ck(srv, phase, "POP3 session", False, repr(e))
		p.kill()
	res["p3rss"] = reap(ctx, p)
	return res


def med(_ctx, reps, fn):
	v = []
	for _ in range(reps):
		v.append(fn())
	return statistics.median(v), min(v), max(v)


def floors(ctx, data, man):
	md = os.path.join(data, "Maildir")
	f = {}

	def spawn1():
		t = now()
		subprocess.Popen([ctx.helper, ctx.rusage, "/bin/true"]).wait()
		return (now() - t) * 1e3
	f["spawn"] = med(ctx, 21, spawn1)

	def spawnmany():
		t = now()
		ps = [subprocess.Popen(["/bin/sleep", "0.2"], stdin=subprocess.PIPE,
		    stdout=subprocess.PIPE) for _ in range(CONC)]
		t = now() - t
		for p in ps:
			p.stdin.close()
			p.stdout.close()
			p.wait()
		return t * 1e3
	f["spawn200"] = med(ctx, 3, spawnmany)

	def readdir():
		t = now()
		k = 0
		for sub in ("cur", "new"):
			with os.scandir(os.path.join(md, sub)) as it:
				for _ in it:
					k += 1
		t = now() - t
		ctx.check("floor", "-", "readdir count", k == man["count"])
		return t * 1e3
	f["readdir"] = med(ctx, 5, readdir)

	def cat():
		t = now()
		p = subprocess.Popen("find cur new -type f -print0 | "
		    "xargs -0 cat", shell=True, cwd=md, stdout=subprocess.PIPE,
		    bufsize=0)
		k = Reader(p.stdout.fileno()).drain()
		p.wait()
		t = now() - t
		p.stdout.close()
		ctx.check("floor", "-", "cat bytes", k == man["disk_bytes"])
		return man["disk_bytes"] / t / 1e6
	f["cat"] = med(ctx, 3, cat)

	def floorcat():
		t = now()
		p = subprocess.Popen([os.path.join(ctx.bin, "floorcat"), "cur",
		    "new"], cwd=md, stdout=subprocess.PIPE,
		    stderr=subprocess.DEVNULL, bufsize=0)
		k = Reader(p.stdout.fileno()).drain()
		p.wait()
		t = now() - t
		p.stdout.close()
		ctx.check("floor", "-", "floorcat bytes", k == man["disk_bytes"])
		return man["disk_bytes"] / t / 1e6
	f["floorcat"] = med(ctx, 3, floorcat)

	def grep():
		t = now()
		out = subprocess.run(["grep", "-r", "-i", "-l", "-F",
		    man["text_term"], "cur", "new"], cwd=md,
		    stdout=subprocess.PIPE, check=False).stdout
		t = now() - t
		ctx.check("floor", "-", "grep hits", out.count(b"\n") ==
		    man["text_hits"])
		return t * 1e3
	f["grep"] = med(ctx, 3, grep)
	return f


def fresh_copy(ctx, src, name):
	home = os.path.join(ctx.dir, "work", name)
	if os.path.exists(home):
		subprocess.run(["rm", "-rf", home], check=True)
	os.makedirs(home)
	subprocess.run(["cp", "-al", os.path.join(src, "Maildir"),
	    os.path.join(home, "Maildir")], check=True)
	with open(os.path.join(home, "passwd"), "w") as f:
		f.write("%s:{PLAIN}%s:%d:%d::%s::\n" % (ctx.user.pw_name,
		    POP3_PASS, ctx.user.pw_uid, ctx.user.pw_gid, home))
	return home


def write_dovecot_conf(ctx):
	d = os.path.dirname(ctx.dovecot_conf)
	os.makedirs(os.path.join(d, "run"), exist_ok=True)
	with open(ctx.dovecot_conf, "w") as f:
		f.write("# written by bench/bench.py: Dovecot's defaults except\n"
		    "# where the standalone, unprivileged run needs a setting\n"
		    "mail_location = maildir:~/Maildir\n"
		    "base_dir = %s/run\n"
		    "ssl = no\n"
		    "log_path = /dev/stderr\n" % d)


def bench_size(ctx, label, runs, results):
	count = SIZES[label]
	ctx.size = label
	data = os.path.join(ctx.dir, "data", label)
	t = now()
	man = gen.ensure(count, data, log=lambda s: print(s, flush=True))
	print("%s: %d messages, %.1f MB on disk (data ready in %.0f s)" % (
	    label, count, man["disk_bytes"] / 1e6, now() - t), flush=True)
	out = {"count": count, "disk_mb": man["disk_bytes"] / 1e6,
	    "load_before": os.getloadavg()[0], "metrics": {}, "loads": []}
	ctx.run = "floors"
	out["floors"] = floors(ctx, data, man)
	vals = out["metrics"]
	for r in range(runs):
		ctx.run = r + 1
		order = (OURS, DOV) if r % 4 in (0, 3) else (DOV, OURS)
		for srv in order:
			t = now()
			home = fresh_copy(ctx, data, srv + "-imap")
			for ph in PHASES:
				res = imap_session(ctx, srv, home, man, ph)
				for k, v in res.items():
					vals.setdefault(k, {}).setdefault(ph, {}) \
					    .setdefault(srv, []).append(v)
			wall, pss = concurrent(ctx, srv, home, man)
			vals.setdefault("conc_wall", {}).setdefault("after", {}) \
			    .setdefault(srv, []).append(wall)
			vals.setdefault("conc_pss", {}).setdefault("after", {}) \
			    .setdefault(srv, []).append(pss)
			home = fresh_copy(ctx, data, srv + "-pop3")
			for ph in PHASES:
				res = pop3_session(ctx, srv, home, man, ph)
				for k, v in res.items():
					vals.setdefault(k, {}).setdefault(ph, {}) \
					    .setdefault(srv, []).append(v)
			out["loads"].append(os.getloadavg()[0])
			print("%s run %d/%d %s: %.1f s, load %.2f" % (label, r + 1,
			    runs, srv, now() - t, out["loads"][-1]), flush=True)
	subprocess.run(["rm", "-rf", os.path.join(ctx.dir, "work")],
	    check=True)
	out["load_after"] = os.getloadavg()[0]
	results[label] = out


def fmt(v):
	if v >= 100:
		return "%.0f" % v
	if v >= 10:
		return "%.1f" % v
	if v >= 1:
		return "%.2f" % v
	return "%.3f" % v


def cell(xs):
	if not xs:
		return "-"
	m = statistics.median(xs)
	if len(xs) == 1:
		return fmt(m)
	return "%s (%s–%s)" % (fmt(m), fmt(min(xs)), fmt(max(xs)))


def table(results, meta, failures):
	out = []
	out.append("# make bench: imapd/pop3d against Dovecot\n")
	for k, v in meta.items():
		out.append("- %s: %s" % (k, v))
	out.append("")
	if failures:
		out.append("## CORRECTNESS FAILURES (%d)\n" % len(failures))
		for f in failures[:200]:
			out.append("- " + f)
		out.append("")
	for label, res in results.items():
		out.append("## %s messages (%.0f MB on disk)\n" % (label,
		    res["disk_mb"]))
		out.append("Machine load (1-minute average): %.2f before, %.2f "
		    "after, %s–%s after each server's run.\n" % (
		    res["load_before"], res["load_after"],
		    fmt(min(res["loads"])), fmt(max(res["loads"]))))
		out.append("| metric | phase | ours: median (min–max) | "
		    "Dovecot: median (min–max) | ours/Dovecot | floor |")
		out.append("| --- | --- | --- | --- | --- | --- |")
		fl = res["floors"]
		for key, name, unit, higher, fkey in METRICS:
			for ph, by in res["metrics"].get(key, {}).items():
				o, d = by.get(OURS, []), by.get(DOV, [])
				ratio = "-"
				if o and d and statistics.median(d) > 0:
					ratio = "%.2f" % (statistics.median(o) /
					    statistics.median(d))
				fcell = "-"
				if fkey is not None:
					fcell = "%s %s" % (fmt(fl[fkey][0]), unit)
				out.append("| %s (%s%s) | %s | %s | %s | %s | %s |" % (
				    name, unit, ", higher is better" if higher else "",
				    ph, cell(o), cell(d), ratio, fcell))
		out.append("")
		out.append("Floors (median, min–max):\n")
		for fkey, name, unit in FLOORS:
			m, lo, hi = fl[fkey]
			out.append("- %s: %s %s (%s–%s)" % (name, fmt(m), unit,
			    fmt(lo), fmt(hi)))
		out.append("")
	return "\n".join(out) + "\n"


def git_rev():
	if os.environ.get("BENCH_GIT_REV"):
		return os.environ["BENCH_GIT_REV"]
	return subprocess.run(["git", "-C", os.path.dirname(HERE), "describe",
	    "--always", "--dirty"], stdout=subprocess.PIPE,
	    stderr=subprocess.DEVNULL, check=False).stdout.decode().strip()


def drop_privileges(args):
	"""Running as root: hand DIR to nobody and run again as nobody."""
	pw = pwd.getpwnam("nobody")
	os.makedirs(args.dir, exist_ok=True)
	st = os.stat(args.dir)
	if st.st_uid != pw.pw_uid:
		subprocess.run(["chown", "-R", "%d:%d" % (pw.pw_uid, pw.pw_gid),
		    args.dir], check=True)
	argv = ["setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid,
	    "--clear-groups", "--", sys.executable, os.path.abspath(__file__)]
	argv += sys.argv[1:]
	env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C",
	    "HOME": args.dir, "BENCH_DROPPED": "1",
	    "BENCH_GIT_REV": git_rev()}
	print("running as root: data owned by and servers run as nobody "
	    "(uid %d) through setpriv" % pw.pw_uid, flush=True)
	os.execvpe("setpriv", argv, env)


def main():
	ap = argparse.ArgumentParser()
	ap.add_argument("--sizes", default="1k 10k 100k")
	ap.add_argument("--runs", type=int, default=5)
	ap.add_argument("--bin", required=True)
	ap.add_argument("--dir", required=True)
	ap.add_argument("--helper", help="benchexec (default: BIN/benchexec)")
	args = ap.parse_args()
	args.dir = os.path.abspath(args.dir)
	args.bin = os.path.abspath(args.bin)
	args.helper = os.path.abspath(args.helper or
	    os.path.join(args.bin, "benchexec"))
	sizes = args.sizes.split()
	for s in sizes:
		if s not in SIZES:
			sys.exit("bench: unknown size %s (known: %s)" % (s,
			    " ".join(SIZES)))
	if args.runs < 1 or args.runs % 2 == 0:
		sys.exit("bench: BENCH_RUNS must be odd (a median of runs)")
	for b in (os.path.join(args.bin, "imapd"),
	    os.path.join(args.bin, "pop3d"), args.helper,
	    os.path.join(args.bin, "floorcat")):
		if not os.access(b, os.X_OK):
			sys.exit("bench: %s missing: run make" % b)
	for b in ("imap", "pop3"):
		if not os.access("/usr/lib/dovecot/" + b, os.X_OK):
			sys.exit("bench: /usr/lib/dovecot/%s missing: run "
			    "tests/deps.sh bench as root" % b)
	if os.geteuid() == 0:
		if os.environ.get("BENCH_DROPPED"):
			sys.exit("bench: still root after setpriv")
		drop_privileges(args)
	lockf = open(os.path.join(args.dir, "lock"), "w")
	try:
		fcntl.flock(lockf, fcntl.LOCK_EX | fcntl.LOCK_NB)
	except OSError:
		sys.exit("bench: another bench is running in %s" % args.dir)
	# a snapshot: other people may rebuild BIN while this runs
	snap = os.path.join(args.dir, "bin")
	os.makedirs(snap, exist_ok=True)
	for b in ("imapd", "pop3d", "benchexec", "floorcat"):
		src = args.helper if b == "benchexec" else \
		    os.path.join(args.bin, b)
		shutil.copy2(src, os.path.join(snap, b + ".tmp"))
		os.rename(os.path.join(snap, b + ".tmp"), os.path.join(snap, b))
	orig_bin = args.bin
	args.bin = snap
	args.helper = os.path.join(snap, "benchexec")
	ctx = Ctx(args)
	os.makedirs(os.path.join(args.dir, "logs"), exist_ok=True)
	ctx.logf = open(os.path.join(args.dir, "logs", "servers.log"), "ab")
	write_dovecot_conf(ctx)
	dv = subprocess.run(["/usr/sbin/dovecot", "--version"],
	    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
	    check=False).stdout.decode().strip()
	rev = git_rev()
	cpu = "?"
	try:
		with open("/proc/cpuinfo") as f:
			for ln in f:
				if ln.startswith("model name"):
					cpu = ln.split(":", 1)[1].strip()
					break
	except OSError:
		pass
	meta = {
	    "date": datetime.datetime.now(datetime.timezone.utc)
	    .strftime("%Y-%m-%d %H:%M UTC"),
	    "machine": "%s, %d CPUs (%s), kernel %s, %.0f GB RAM" % (
	    platform.machine(), os.cpu_count(), cpu, platform.release(),
	    os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
	    "servers": "ours %s (git %s, copied to %s) vs Dovecot %s, run "
	    "as %s" % (orig_bin, rev or "?", args.bin, dv or "?",
	    ctx.user.pw_name),
	    "runs": "%d per size, alternating (A B B A ...), medians" %
	    args.runs,
	    "MB": "10^6 bytes; throughput counts CRLF bytes for the servers "
	    "and file bytes for cat",
	}
	results = {}
	t = now()
	for s in sizes:
		bench_size(ctx, s, args.runs, results)
	meta["duration"] = "%.0f s" % (now() - t)
	md = table(results, meta, ctx.failures)
	with open(os.path.join(args.dir, "results.md"), "w") as f:
		f.write(md)
	with open(os.path.join(args.dir, "results.json"), "w") as f:
		json.dump({"meta": meta, "results": results,
		    "failures": ctx.failures}, f, indent=1)
	print()
	print(md)
	print("written to %s" % os.path.join(args.dir, "results.md"))
	if ctx.failures:
		print("*** %d CORRECTNESS FAILURES (see above)" %
		    len(ctx.failures))
		return 1
	return 0


if __name__ == "__main__":
	sys.exit(main())
