#!/usr/bin/env python3
# Deterministic generator of realistic Maildirs and their manifests for make bench.
"""
gen.py COUNT DIR: write DIR/Maildir/{cur,new,tmp} with COUNT messages and
DIR/manifest.json describing them (what every benchmark answer is checked
against).  The same COUNT and the same version of this file always produce
byte-identical files with identical names and mtimes (fixed seeds).

Messages: LF line endings (as an MTA delivers them), sizes log-uniform
between 2 KB and 50 KB plus 0.2% (at least one) with a multi-megabyte
base64 attachment; text/plain (7bit, 8bit, quoted-printable, base64; UTF-8
and ISO-8859-1), multipart/alternative, multipart/mixed with attachments
(RFC 2231 and RFC 2047 file names), nested multiparts and forwarded
message/rfc822 parts; RFC 2047 encoded words (UTF-8 and ISO-8859-1, B and Q)
in Subject, From, To.  File names as Dovecot writes them:
<time>.M<usec>P<pid>Q<n>.<host>,S=<size>,W=<crlf size>[:2,<flags>], about
5% in new/ (no info part), the rest in cur/.  mtime = Date header.

Search terms: SUBJECT_TERM appears (any case) in the decoded Subject of
exactly the planned messages: plain, inside UTF-8 base64 encoded words and
inside ISO-8859-1 Q encoded words.  TEXT_TERM appears only where it is
visible in the raw file (headers, 7bit/8bit/quoted-printable text and HTML
parts, forwarded messages), never inside base64, so a raw case-insensitive
scan and a decoding search give the same answer; the generator verifies
that with a raw scan of every file.
"""

import base64
import binascii
import bisect
import hashlib
import json
import os
import random
import shutil
import sys

VERSION = 1
SEED = 20261122
SUBJECT_TERM = "zephyr"
TEXT_TERM = "quokkabird"
HOST = "bench.example"
T0 = 1704067200			# 2024-01-01 00:00:00 UTC

SYL = ("ba be bi bo bu da de di do du fa fe fi fo ka ke ki ko ku la le li lo "
       "lu ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se "
       "si so su ta te ti to tu va ve vi vo wa we wi ya yo za ze zo ch sh "
       "th st tr pl gr an en in on un ar er or ur al el il ol").split()
REAL = ("the of and to in is for on with as by at from this that meeting "
        "report budget project release schedule invoice order shipment "
        "review draft update please thanks regards team next week monday "
        "server backup storage network quarterly numbers figures attached "
        "see below agenda minutes action items deadline customer contract "
        "travel hotel flight conference slides proposal feedback question "
        "answer issue ticket deploy test build merge branch patch").split()
LATIN = ("café naïve déjà Grüße Überweisung señor Ærø Zürich façade "
         "Straße über Göteborg Málaga Ångström crème brûlée résumé").split()
UTF8ONLY = ("€ Привет мир 日本語 Δοκιμή Łódź ✓ 東京 Ελλάδα").split()
FIRST = ("Anna Ben Carla David Eva Frank Greta Hugo Ines Jonas Klara Lukas "
         "Marta Nils Olga Paul Rita Stefan Tina Uwe Vera Walter").split()
LAST = ("Smith Jones Miller Brown Wilson Taylor Clark Lewis Walker Young "
        "King Wright Scott Green Baker Adams Nelson Hill").split()
FIRST_I18N = ("Jürgen Zoë Håkon François Łukasz Søren José Renée Dörte "
              "Ægir Ünal").split()
LAST_I18N = ("Müller Ørsted Nuñez Gößling Brontë Šimek Lindén Häkkinen "
             "Dvořák").split()
DOMAINS = ("example.com example.org example.net mail.example.de "
           "corp.example lists.example.org").split()
ATTACH = (("application/pdf", "pdf"), ("image/jpeg", "jpg"),
          ("image/png", "png"), ("application/zip", "zip"),
          ("application/vnd.openxmlformats-officedocument."
           "wordprocessingml.document", "docx"),
          ("application/octet-stream", "bin"))
MAILERS = ("Mozilla Thunderbird 115.5", "Apple Mail (2.3731)",
           "Microsoft Outlook 16.0", "mutt 2.2.12", "K-9 Mail 6.712",
           "Roundcube Webmail/1.6.5")
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
DAYS = "Mon Tue Wed Thu Fri Sat Sun".split()


def make_words(rng):
	words = list(REAL)
	for _ in range(1500):
		w = "".join(rng.choice(SYL) for _ in range(rng.randint(1, 4)))
		words.append(w)
	return [w for w in words
	    if SUBJECT_TERM not in w and TEXT_TERM not in w]


class Pool:
	"""Lines of text and their cumulative encoded sizes, to cut slices."""

	def __init__(self, rng, words, extra, charset, nbytes):
		self.lines = []
		self.cum = [0]
		total = 0
		while total < nbytes:
			n = rng.randint(25, 72)
			line = []
			ln = 0
			while ln < n:
				if rng.random() < 0.04:
					w = rng.choice(extra)
				else:
					w = rng.choice(words)
				line.append(w)
				ln += len(w) + 1
			s = " ".join(line)
			r = rng.random()
			if r < 0.08:
				s = ""			# paragraph break
			elif r < 0.09:
				s = "." + s		# POP3 dot-stuffing
			elif r < 0.10:
				s = "> " + s
			b = len(s.encode(charset)) + 1
			self.lines.append(s)
			total += b
			self.cum.append(total)
		self.charset = charset

	def text(self, rng, nbytes):
		"""About nbytes of text (at least one line), ending in LF."""
		last = len(self.lines) - 1
		i = rng.randrange(0, len(self.lines) // 2)
		j = bisect.bisect_left(self.cum, self.cum[i] + nbytes, i + 1)
		j = max(i + 1, min(j, last))
		return "\n".join(self.lines[i:j]) + "\n"


def ew_b(text, charset):
	"""RFC 2047 B encoded words, split at word boundaries, folded."""
	out = []
	chunk = ""
	for w in text.split(" "):
		cand = w if chunk == "" else chunk + " " + w
		if len(cand.encode(charset)) > 36 and chunk != "":
			out.append(chunk + " ")
			chunk = w
		else:
			chunk = cand
	out.append(chunk)
	return "\n ".join("=?%s?B?%s?=" % (charset.upper(),
	    base64.b64encode(c.encode(charset)).decode()) for c in out)


def q_word(s, charset):
	b = s.encode(charset)
	r = []
	for c in b:
		ch = chr(c)
		if ch == " ":
			r.append("_")
		elif ch.isalnum() and c < 128:
			r.append(ch)
		else:
			r.append("=%02X" % c)
	return "".join(r)


def ew_q(text, charset):
	"""RFC 2047 Q encoded words, split at word boundaries, folded."""
	out = []
	chunk = ""
	for w in text.split(" "):
		cand = w if chunk == "" else chunk + " " + w
		if len(q_word(cand, charset)) > 50 and chunk != "":
			out.append(chunk + " ")
			chunk = w
		else:
			chunk = cand
	out.append(chunk)
	cs = "ISO-8859-1" if charset == "latin-1" else charset.upper()
	return "\n ".join("=?%s?Q?%s?=" % (cs, q_word(c, charset))
	    for c in out)


def b64lines(data):
	s = base64.b64encode(data).decode()
	return "\n".join(s[i:i + 76] for i in range(0, len(s), 76)) + "\n"


def qp(text, charset):
	return binascii.b2a_qp(text.encode(charset)).decode("ascii")


def rfcdate(t, tzmin):
	lt = t + tzmin * 60
	days = lt // 86400
	secs = lt % 86400
	# civil from days (Howard Hinnant)
	z = days + 719468
	era = z // 146097
	doe = z - era * 146097
	yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
	y = yoe + era * 400
	doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
	mp = (5 * doy + 2) // 153
	d = doy - (153 * mp + 2) // 5 + 1
	m = mp + 3 if mp < 10 else mp - 9
	if m <= 2:
		y += 1
	sign = "+" if tzmin >= 0 else "-"
	a = abs(tzmin)
	return "%s, %d %s %d %02d:%02d:%02d %s%02d%02d" % (
	    DAYS[(days + 3) % 7], d, MONTHS[m - 1], y, secs // 3600,
	    secs // 60 % 60, secs % 60, sign, a // 60, a % 60)


class Gen:
	def __init__(self, count):
		self.count = count
		rng = random.Random(SEED)
		self.words = make_words(rng)
		self.ascii = Pool(rng, self.words, ["Re:", "OK", "(see)", "42"],
		    "ascii", 1 << 20)
		self.utf8 = Pool(rng, self.words, LATIN + UTF8ONLY, "utf-8",
		    1 << 20)
		self.latin = Pool(rng, self.words, LATIN, "latin-1", 1 << 20)
		self.binpool = rng.randbytes(6 << 20)

	def addr(self, rng, i18n_ok=True):
		dom = rng.choice(DOMAINS)
		r = rng.random()
		if i18n_ok and r < 0.25:
			f, l = rng.choice(FIRST_I18N), rng.choice(LAST_I18N)
			local = "%s.%d" % (rng.choice(FIRST).lower(),
			    rng.randint(1, 99))
			name = f + " " + l
			if rng.random() < 0.5:
				enc = ew_q(name, "utf-8")
			else:
				try:
					enc = ew_q(name, "latin-1")
				except UnicodeEncodeError:
					enc = ew_b(name, "utf-8")
			return "%s <%s@%s>" % (enc, local, dom)
		f, l = rng.choice(FIRST), rng.choice(LAST)
		local = "%s.%s" % (f.lower(), l.lower())
		if r < 0.35:
			return "\"%s, %s\" <%s@%s>" % (l, f, local, dom)
		if r < 0.45:
			return "%s@%s" % (local, dom)
		return "%s %s <%s@%s>" % (f, l, local, dom)

	def subject(self, rng, hit):
		n = rng.randint(2, 7)
		ws = [rng.choice(self.words) for _ in range(n)]
		if hit:
			term = rng.choice((SUBJECT_TERM, SUBJECT_TERM.capitalize(),
			    SUBJECT_TERM.upper()))
			ws.insert(rng.randrange(0, n + 1), term)
		kind = rng.random()
		pre = rng.choice(("", "", "", "Re: ", "Fwd: ", "AW: "))
		if kind < 0.70 and not hit or kind < 0.34:
			return pre + " ".join(ws), "plain"
		if kind < 0.80 or hit and kind < 0.67:
			ws.insert(rng.randrange(0, len(ws) + 1), rng.choice(LATIN))
			return pre + ew_q(" ".join(ws), "latin-1"), "q-latin1"
		if kind < 0.90 or hit:
			ws.insert(rng.randrange(0, len(ws) + 1),
			    rng.choice(UTF8ONLY + LATIN))
			return pre + ew_b(" ".join(ws), "utf-8"), "b-utf8"
		ws.insert(rng.randrange(0, len(ws) + 1), rng.choice(LATIN))
		return pre + ew_q(" ".join(ws), "utf-8"), "q-utf8"

	def textpart(self, rng, nbytes, term, allow_b64=True):
		"""(headers, body) of a text/plain part of about nbytes."""
		r = rng.random()
		if r < 0.35:
			pool, cs, cte = self.ascii, "us-ascii", "7bit"
		elif r < 0.60:
			pool, cs, cte = self.utf8, "utf-8", "8bit"
		elif r < 0.78:
			pool, cs, cte = self.utf8, "utf-8", "quoted-printable"
		elif r < 0.90:
			pool, cs, cte = self.latin, "iso-8859-1", "quoted-printable"
		else:
			pool, cs, cte = self.utf8, "utf-8", "base64"
		if cte == "base64" and (term or not allow_b64):
			pool, cs, cte = self.utf8, "utf-8", "8bit"
		text = pool.text(rng, nbytes)
		if term:
			lines = text.split("\n")
			k = rng.randrange(0, len(lines))
			lines.insert(k, rng.choice(("see the %s notes",
			    "Ref: %s", "project %s, phase 2")) % rng.choice(
			    (TEXT_TERM, TEXT_TERM.capitalize(), TEXT_TERM.upper())))
			text = "\n".join(lines)
		enc = pool.charset
		if cte == "quoted-printable":
			body = qp(text, enc)
			if not body.endswith("\n"):
				body += "\n"
		elif cte == "base64":
			body = b64lines(text.encode(enc))
		else:
			body = text
		hdr = ("Content-Type: text/plain; charset=%s%s\n"
		    "Content-Transfer-Encoding: %s\n" % (cs,
		    "; format=flowed" if rng.random() < 0.2 else "", cte))
		return hdr, body

	def htmlpart(self, rng, nbytes, term):
		text = self.utf8.text(rng, nbytes * 3 // 4)
		paras = text.split("\n\n")
		if term:
			paras.insert(rng.randrange(0, len(paras) + 1),
			    "<b>%s</b>" % TEXT_TERM)
		html = ("<html><head><meta charset=\"utf-8\"></head><body>\n" +
		    "\n".join("<p>%s</p>" % p.replace("&", "&amp;")
		    for p in paras) + "</body></html>\n")
		body = qp(html, "utf-8")
		if not body.endswith("\n"):
			body += "\n"
		return ("Content-Type: text/html; charset=utf-8\n"
		    "Content-Transfer-Encoding: quoted-printable\n", body)

	def attachment(self, rng, nbytes):
		ctype, ext = rng.choice(ATTACH)
		raw = nbytes * 3 // 4
		off = rng.randrange(0, len(self.binpool) - min(raw,
		    len(self.binpool) - 1))
		data = self.binpool[off:off + raw]
		while len(data) < raw:
			data += self.binpool[:raw - len(data)]
		base = "%s %s" % (rng.choice(self.words), rng.choice(LATIN))
		fname = base.replace(" ", "_") + "." + ext
		r = rng.random()
		if r < 0.4:
			q = "".join(c if c.isalnum() and ord(c) < 128 or c in "._"
			    else "".join("%%%02X" % b for b in c.encode()) for c in
			    fname)
			disp = ("attachment;\n filename*=UTF-8''%s" % q)
			ct = "%s" % ctype
		elif r < 0.7:
			enc = ew_b(fname, "utf-8").replace("\n ", "")
			disp = "attachment;\n filename=\"%s\"" % enc
			ct = "%s;\n name=\"%s\"" % (ctype, enc)
		else:
			plain = rng.choice(self.words) + "." + ext
			disp = "attachment; filename=\"%s\"" % plain
			ct = "%s; name=\"%s\"" % (ctype, plain)
		return ("Content-Type: %s\nContent-Disposition: %s\n"
		    "Content-Transfer-Encoding: base64\n" % (ct, disp),
		    b64lines(data))

	def boundary(self, rng, depth):
		return "----=_Part_%d_%08x.%d" % (depth, rng.getrandbits(32),
		    rng.randint(1000000, 9999999))

	def multipart(self, rng, sub, parts):
		b = self.boundary(rng, len(parts))
		out = ["Content-Type: multipart/%s;\n boundary=\"%s\"\n" % (sub, b),
		    "This is a multi-part message in MIME format.\n"]
		body = []
		for h, bd in parts:
			body.append("\n--%s\n%s\n%s" % (b, h, bd))
		body.append("\n--%s--\n" % b)
		return out[0], out[1] + "".join(body)

	def forwarded(self, rng, nbytes, term):
		h, b = self.textpart(rng, nbytes, term, allow_b64=False)
		inner = ("From: %s\nTo: %s\nSubject: %s\nDate: %s\n"
		    "Message-ID: <%08x.fw@%s>\nMIME-Version: 1.0\n%s\n%s" % (
		    self.addr(rng, False), self.addr(rng, False),
		    " ".join(rng.choice(self.words) for _ in range(4)),
		    rfcdate(T0 - rng.randint(0, 10 ** 7), 0),
		    rng.getrandbits(32), rng.choice(DOMAINS), h, b))
		return ("Content-Type: message/rfc822\n"
		    "Content-Disposition: inline\n", inner)

	def body(self, rng, size, big, term):
		"""(content headers, body, multipart?) for about size bytes."""
		r = rng.random()
		if big:
			th, tb = self.textpart(rng, rng.randint(500, 3000), term)
			ah, ab = self.attachment(rng, size)
			h, b = self.multipart(rng, "mixed", [(th, tb), (ah, ab)])
			return h, b, True
		if r < 0.45:
			h, b = self.textpart(rng, size, term)
			return h, b, False
		if r < 0.65:
			t = self.textpart(rng, size // 2, term)
			hp = self.htmlpart(rng, size // 2, False)
			h, b = self.multipart(rng, "alternative", [t, hp])
			return h, b, True
		if r < 0.88:
			tsz = rng.randint(300, max(400, size // 3))
			t = self.textpart(rng, tsz, term)
			parts = [t]
			n = 1 if rng.random() < 0.8 else 2
			for _ in range(n):
				parts.append(self.attachment(rng,
				    max(200, (size - tsz) // n)))
			h, b = self.multipart(rng, "mixed", parts)
			return h, b, True
		if r < 0.96:
			t = self.textpart(rng, size // 3, False)
			hp = self.htmlpart(rng, size // 3, term)
			alt = self.multipart(rng, "alternative", [t, hp])
			att = self.attachment(rng, max(200, size // 3))
			h, b = self.multipart(rng, "mixed", [alt, att])
			return h, b, True
		t = self.textpart(rng, 400, False)
		fw = self.forwarded(rng, max(300, size - 1200), term)
		h, b = self.multipart(rng, "mixed", [t, fw])
		return h, b, True

	def message(self, i):
		rng = random.Random(SEED * 1000003 + i)
		big = (i % 500) == 250 or (self.count < 500 and i == 0)
		if big:
			size = rng.randint(1 << 20, 4 << 20)
		else:
			size = int(2048 * (25 ** rng.random()))
		subj_hit = rng.random() < 0.03
		text_hit = rng.random() < 0.02
		where = rng.random() if text_hit else 1.0
		t = T0 + i * 600 + rng.randint(0, 599)
		tz = rng.choice((0, 60, 120, -300, -420, 330, 540))
		subject, skind = self.subject(rng, subj_hit)
		if text_hit and where < 0.15:
			subject = subject + " " + TEXT_TERM if skind == "plain" \
			    else subject + "\n " + TEXT_TERM
		hdr = []
		hdr.append("Return-Path: <bounce-%d@%s>\n" % (i,
		    rng.choice(DOMAINS)))
		hdr.append("Received: from mx%d.%s (mx%d.%s [192.0.2.%d])\n"
		    "\tby %s (Postfix) with ESMTPS id %08X\n\tfor <user@%s>;"
		    " %s\n" % (i % 7, rng.choice(DOMAINS), i % 7,
		    rng.choice(DOMAINS), rng.randint(1, 254), HOST,
		    rng.getrandbits(32), HOST, rfcdate(t, 0)))
		hdr.append("Date: %s\n" % rfcdate(t - rng.randint(1, 300), tz))
		hdr.append("From: %s\n" % self.addr(rng))
		to = [self.addr(rng) for _ in range(rng.choice((1, 1, 1, 2, 3)))]
		hdr.append("To: %s\n" % ",\n ".join(to))
		if rng.random() < 0.3:
			hdr.append("Cc: %s\n" % ",\n ".join(self.addr(rng)
			    for _ in range(rng.randint(1, 4))))
		hdr.append("Subject: %s\n" % subject)
		hdr.append("Message-ID: <%d.%08x@%s>\n" % (t, rng.getrandbits(32),
		    rng.choice(DOMAINS)))
		if rng.random() < 0.4:
			hdr.append("In-Reply-To: <%d.%08x@%s>\n" % (t - 9999,
			    rng.getrandbits(32), rng.choice(DOMAINS)))
		if text_hit and 0.15 <= where < 0.25:
			hdr.append("X-Project: %s-%d\n" % (TEXT_TERM, i))
		hdr.append("X-Mailer: %s\n" % rng.choice(MAILERS))
		hdr.append("MIME-Version: 1.0\n")
		body_term = text_hit and where >= 0.25
		ch, body, multi = self.body(rng, max(300, size - 900), big,
		    body_term)
		msg = ("".join(hdr) + ch + "\n" + body).encode("utf-8")
		msg = msg.replace(b"\r", b"")
		if not msg.endswith(b"\n"):
			msg += b"\n"
		return {
		    "data": msg, "t": t, "big": big, "multi": multi,
		    "subj_hit": subj_hit, "text_hit": text_hit,
		    "skind": skind, "rng": rng,
		}


FLAGSETS = (("S", 70), ("RS", 10), ("FS", 5), ("", 6), ("FRS", 3),
    ("F", 2), ("ST", 2), ("DS", 1), ("R", 1))


def pick_flags(rng):
	x = rng.randrange(100)
	for f, w in FLAGSETS:
		if x < w:
			return f
		x -= w
	return "S"


def generate(count, outdir):
	g = Gen(count)
	md = os.path.join(outdir, "Maildir")
	for sub in ("cur", "new", "tmp"):
		os.makedirs(os.path.join(md, sub), exist_ok=True)
	flagc = {"seen": 0, "answered": 0, "flagged": 0, "deleted": 0,
	    "draft": 0}
	names = {"S": "seen", "R": "answered", "F": "flagged",
	    "T": "deleted", "D": "draft"}
	m = {"version": VERSION, "seed": SEED, "count": count, "new": 0,
	    "cur": 0, "disk_bytes": 0, "crlf_bytes": 0, "dot_lines": 0,
	    "multipart": 0, "big": 0, "subject_term": SUBJECT_TERM,
	    "subject_hits": 0, "text_term": TEXT_TERM, "text_hits": 0,
	    "subject_kinds": {}, "flags": flagc, "sizes": [],
	    "mtimes": []}
	term = TEXT_TERM.encode()
	for i in range(count):
		msg = g.message(i)
		data = msg["data"]
		rng = msg["rng"]
		nl = data.count(b"\n")
		crlf = len(data) + nl
		dots = data.count(b"\n.") + (1 if data.startswith(b".") else 0)
		if (term in data.lower()) != msg["text_hit"]:
			raise SystemExit("gen: text term placement broken at %d" % i)
		base = "%d.M%dP%dQ%d.%s,S=%d,W=%d" % (msg["t"],
		    rng.randrange(1000000), 1000 + i % 30000, i + 1, HOST,
		    len(data), crlf)
		if rng.random() < 0.05 and not msg["big"]:
			path = os.path.join(md, "new", base)
			m["new"] += 1
		else:
			fl = pick_flags(rng)
			path = os.path.join(md, "cur", base + ":2," + fl)
			m["cur"] += 1
			for c in fl:
				flagc[names[c]] += 1
		with open(path, "wb") as f:
			f.write(data)
		os.utime(path, (msg["t"], msg["t"]))
		m["disk_bytes"] += len(data)
		m["crlf_bytes"] += crlf
		m["dot_lines"] += dots
		m["multipart"] += msg["multi"]
		m["big"] += msg["big"]
		m["subject_hits"] += msg["subj_hit"]
		m["text_hits"] += msg["text_hit"]
		k = msg["skind"]
		m["subject_kinds"][k] = m["subject_kinds"].get(k, 0) + 1
		m["sizes"].append(crlf)
		m["mtimes"].append(msg["t"])
	m["sizes"].sort()
	m["mtimes"].sort()
	return m


def stamp(count):
	h = hashlib.sha256()
	with open(os.path.abspath(__file__), "rb") as f:
		h.update(f.read())
	h.update(("%d %d %d" % (VERSION, SEED, count)).encode())
	return h.hexdigest()


def ensure(count, outdir, log=print):
	"""Generate outdir unless its stamp says it is current; the manifest."""
	sp = os.path.join(outdir, "stamp")
	mp = os.path.join(outdir, "manifest.json")
	want = stamp(count)
	try:
		with open(sp) as f:
			if f.read().strip() == want:
				with open(mp) as mf:
					return json.load(mf)
	except OSError:
		pass
	if os.path.exists(outdir):
		shutil.rmtree(outdir)
	os.makedirs(outdir)
	log("generating %d messages in %s" % (count, outdir))
	m = generate(count, outdir)
	with open(mp + ".tmp", "w") as f:
		json.dump(m, f)
	os.rename(mp + ".tmp", mp)
	with open(sp, "w") as f:
		f.write(want + "\n")
	return m


if __name__ == "__main__":
	if len(sys.argv) != 3:
		sys.exit("usage: gen.py COUNT DIR")
	man = ensure(int(sys.argv[1]), sys.argv[2])
	print(json.dumps({k: v for k, v in man.items()
	    if k not in ("sizes", "mtimes")}, indent=1))
