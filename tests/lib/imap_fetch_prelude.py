"""Shared code for the FETCH tests (imap_proto_fetch.bats): the fixture
messages with CRLF line ends, their header/text split, and a parser for
one item of a FETCH response."""

import os
import re

from imap import Imap, server_argv, check, tagged_ok, run  # noqa: F401

FIX = os.environ["FIXTURES"]


def crlf(b):
    return b.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def eml(name):
    with open(os.path.join(FIX, name), "rb") as f:
        return crlf(f.read()).decode("ascii")


def split(msg):
    i = msg.index("\r\n\r\n") + 4
    return msg[:i], msg[i:]


def session(S, select="SELECT INBOX"):
    a = Imap(server_argv())
    S.append(a)
    a.greeting()
    a.login()
    if select:
        u, t = a.cmd(select)
        tagged_ok(t)
    return a


def fetch(a, what, tag_ok=True):
    """Send FETCH/UID FETCH text, return the untagged FETCH responses."""
    u, t = a.cmd(what)
    if tag_ok:
        tagged_ok(t)
    return [x for x in u if re.match(r"\* \d+ FETCH ", x)], u, t


def item(resp, name_re):
    """The value of the item whose name matches name_re (a regex) in one
    FETCH response: a string (literal or quoted) or None for NIL."""
    m = re.search(r"[( ](" + name_re + r") ", resp, re.I)
    check(m, "no item %s in %r" % (name_re, resp))
    rest = resp[m.end():]
    lm = re.match(r"\{(\d+)\}\r\n", rest)
    if lm:
        # a literal counts octets: cut it out of the encoded bytes
        n = int(lm.group(1))
        raw = rest[lm.end():].encode("utf-8", "surrogateescape")
        return raw[:n].decode("utf-8", "surrogateescape")
    qm = re.match(r'"((?:[^"\\]|\\.)*)"', rest)
    if qm:
        return re.sub(r"\\(.)", r"\1", qm.group(1))
    check(rest.startswith("NIL"), "not a string for %s: %r" % (name_re, rest))
    return None


def expect_item(resp, name_re, want):
    got = item(resp, name_re)
    check(got == want, "%s: want %r, got %r" % (name_re, want, got))


def flags_of(resp):
    m = re.search(r"FLAGS \(([^)]*)\)", resp)
    check(m, "no FLAGS in %r" % resp)
    return set(m.group(1).split())


def sexp(s):
    """Parse an IMAP response fragment (lists, strings, literals, atoms)
    into nested Python lists; NIL is None, numbers are int."""
    pos = 0

    def parse():
        nonlocal pos
        while s[pos] == " ":
            pos += 1
        c = s[pos]
        if c == "(":
            pos += 1
            out = []
            while True:
                while s[pos] == " ":
                    pos += 1
                if s[pos] == ")":
                    pos += 1
                    return out
                out.append(parse())
        if c == '"':
            m = re.match(r'"((?:[^"\\]|\\.)*)"', s[pos:])
            check(m, "bad quoted string at %r" % s[pos:pos + 40])
            pos += m.end()
            return re.sub(r"\\(.)", r"\1", m.group(1))
        if c == "{":
            m = re.match(r"\{(\d+)\}\r\n", s[pos:])
            check(m, "bad literal at %r" % s[pos:pos + 40])
            n = int(m.group(1))
            start = pos + m.end()
            raw = s[start:].encode("utf-8", "surrogateescape")[:n]
            val = raw.decode("utf-8", "surrogateescape")
            pos = start + len(val)
            return val
        m = re.match(r"[^ ()]+", s[pos:])
        check(m, "bad token at %r" % s[pos:pos + 40])
        pos += m.end()
        t = m.group(0)
        if t == "NIL":
            return None
        if t.isdigit():
            return int(t)
        return t

    v = parse()
    return v, pos


def bodystructure(resp):
    """The parsed BODYSTRUCTURE (or BODY) list of one FETCH response."""
    m = re.search(r"[( ](BODYSTRUCTURE|BODY) \(", resp)
    check(m, "no BODYSTRUCTURE in %r" % resp)
    v, _ = sexp(resp[m.end() - 1:])
    return v


def leaf_parts(bs, prefix=()):
    """(section, part) for every non-multipart part, with section as IMAP
    numbers it; message/rfc822 parts are returned and descended into."""
    out = []

    def part(node, path):
        if isinstance(node[0], list):
            # body-type-mpart: 1*body, then the subtype and extensions
            i = 0
            while i < len(node) and isinstance(node[i], list):
                part(node[i], path + (i + 1,))
                i += 1
            return
        out.append((".".join(map(str, path)), node))
        if (isinstance(node[0], str) and node[0].lower() == "message" and
                str(node[1]).lower() == "rfc822" and len(node) > 8):
            msg(node[8], path)

    def msg(node, path):
        if isinstance(node[0], list):
            part(node, path)
        else:
            part(node, path + (1,))

    msg(bs, tuple(prefix))
    return out
