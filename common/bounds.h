/* Every bound the servers enforce, with its reason.  No .c file.  (Not "limits.h": that name would shadow the C library header.) */
#ifndef BOUNDS_H
#define BOUNDS_H

/*
 * POP3 command line.  RFC 2449 §4 raises RFC 1939's 40-octet arguments to
 * a 255-octet line; AUTH PLAIN with an initial response needs more (a
 * base64 of authzid, authcid and a password), so allow 1024.
 */
#define POP3_LINE_MAX		1024

/*
 * IMAP line before login: enough for LOGIN with the longest user name
 * and password (AUTH_USER_MAX, AUTH_PASS_MAX) quoted, and for an
 * AUTHENTICATE PLAIN initial response in base64 (Dovecot's login
 * process uses 8192 as well).  Past it: "* BAD Command line too long"
 * (the tag is not kept), the session goes on.
 */
#define IMAP_LINE_MAX_PREAUTH	8192

/*
 * IMAP line after login: RFC 7162 §4 asks clients to keep lines to 8192
 * octets and servers to accept at least that; real clients send long
 * UID sets (a set of every other UID of a big mailbox), so accept 64 KiB.
 * Past it: "* BAD Command line too long", the session goes on.
 */
#define IMAP_LINE_MAX		65536

/* The reader's buffer: the longest line of either protocol plus CRLF. */
#define IO_BUF_SIZE		(IMAP_LINE_MAX + 2)

/*
 * Total octets in one IMAP command (lines plus literals) except the
 * APPEND message: the lexer holds a whole command in memory.  After
 * login it is also the largest synchronizing literal.
 */
#define IMAP_CMD_BUDGET		(1024 * 1024)

/*
 * A literal before login: LOGIN's user name or password, so no more
 * than the longest password (AUTH_PASS_MAX).  Past it a synchronizing
 * literal gets BAD without "+"; a non-synchronizing one is read and
 * dropped (up to IMAP_LITERAL_MINUS_MAX), then BAD.
 */
#define IMAP_LITERAL_PREAUTH_MAX	1024

/*
 * Non-synchronizing literal outside APPEND.  We advertise LITERAL+, so
 * the client sends the octets without waiting; RFC 7888 §4 leaves the
 * server to read and refuse them or to hang up.  Reading is only
 * reasonable for small ones: take the 4096 that RFC 7888 §5 (LITERAL-)
 * names as the most a client may send that way, and answer a larger one
 * with "* BYE [TOOBIG]" (an APPEND message has its own bound, APPEND_MAX).
 */
#define IMAP_LITERAL_MINUS_MAX	4096

/*
 * APPEND message size, advertised as APPENDLIMIT (RFC 7889): the message
 * is streamed to disk, so this bounds disk use per command, not memory;
 * 64 MiB is above what common MTAs accept (Postfix: 10 MB by default).
 * Past it: "NO [TOOBIG]" before the "+" (a non-synchronizing literal
 * is already on the wire: NO [TOOBIG], then BYE).
 */
#define APPEND_MAX		(64UL * 1024 * 1024)

/*
 * Parenthesized list nesting in a command (SEARCH, FETCH, APPEND): the
 * lexer keeps one argument vector per level.  Real commands nest two or
 * three levels (SEARCH (OR (...) (...))).
 */
#define IMAP_LIST_DEPTH_MAX	16

/*
 * Arguments (tokens, list openings included) in one command: a SEARCH
 * or STORE with a few hundred keys or flags is the most real clients
 * send; this bounds the lexer's argument vectors.
 */
#define IMAP_ARGS_MAX		4096

/*
 * Ranges in one sequence set, before merging.  A set is one atom on a
 * line of at most IMAP_LINE_MAX octets; the most distinct numbers such a
 * line can hold is about 12800 (1 to 9999 and then five-digit ones), so
 * 16384 refuses no set of distinct UIDs a client can send, and still
 * bounds the array a set of repeats ("1,1,1,...") would grow.
 */
#define IMAP_SEQSET_MAX		16384

/*
 * Keys in one SEARCH program: evaluation costs keys times messages, and
 * header and body keys parse each message; clients send a handful (a
 * filter with a few dozen OR'd addresses at most).
 */
#define IMAP_SEARCH_KEYS_MAX	256

/*
 * Unknown or malformed commands before the server hangs up (the last
 * one gets BAD / -ERR, then BYE): a client that keeps sending garbage is
 * a scanner or a protocol mix-up (an HTTP request to port 143).  Before
 * login a real client has no reason for more than a few.
 */
#define BAD_CMDS_MAX_PREAUTH	10
#define BAD_CMDS_MAX		50

/*
 * Failed authentications before the server hangs up (the last one gets
 * NO / -ERR, then BYE): with AUTH_FAIL_DELAY each, a password guesser
 * has to reconnect every few tries, which fail2ban sees.
 */
#define AUTH_FAILURES_MAX	3

/* Default seconds a failed authentication costs the client. */
#define AUTH_FAIL_DELAY		2

/* Longest user name and password accepted for authentication. */
#define AUTH_USER_MAX		256
#define AUTH_PASS_MAX		1024

/*
 * Timeouts in seconds.  RFC 3501 §5.4: the autologout timer after login
 * must be at least 30 minutes; RFC 1939 §3: POP3's at least 10 minutes.
 * Before login a client has no reason to dawdle.
 */
#define TIMEOUT_PREAUTH		60
#define TIMEOUT_IMAP_IDLE	(30 * 60)
#define TIMEOUT_POP3_IDLE	(10 * 60)

/*
 * MIME: nesting depth and parts per message the parser follows; the
 * parser recurses per level and keeps a node per part.  Real mail nests
 * a few levels and has at most a few hundred parts (a digest).  A
 * multipart at depth MIME_DEPTH_MAX or deeper (the message itself is
 * depth 0) is shown as one opaque text/plain leaf; after
 * MIME_PARTS_MAX parts (the message itself counts) the rest of a
 * multipart up to its close delimiter is one opaque leaf.  A section
 * number has at most MIME_DEPTH_MAX parts (imap_fetch.h).
 */
#define MIME_DEPTH_MAX		20
#define MIME_PARTS_MAX		1000

/* Header fields kept per part when parsing (the rest are skipped). */
#define MIME_HEADER_MAX		(256 * 1024)

/* Mailbox name length (octets, modified UTF-7 on the wire). */
#define MAILBOX_NAME_MAX	512

/* Hierarchy levels in a mailbox name. */
#define MAILBOX_DEPTH_MAX	32

/* Keywords per mailbox: Maildir file names hold the letters a-z. */
#define KEYWORDS_MAX		26

/*
 * An IMAP tag: RFC 3501 sets no bound; real clients use a few characters
 * (Dovecot bounds tags only by its line), so 64 leaves ample room.
 */
#define IMAP_TAG_MAX		64

/*
 * Nesting of a SEARCH program through NOT, OR and parentheses: the
 * evaluator recurses, so bound the depth well below IMAP_SEARCH_KEYS_MAX.
 */
#define IMAP_SEARCH_DEPTH_MAX	32

/*
 * Content-Type / Content-Disposition parameters kept per part; real mail
 * has a handful, RFC 2231 continuations of a long file name a few dozen.
 */
#define MIME_PARAMS_MAX		64

_Static_assert(IMAP_LINE_MAX_PREAUTH <= IMAP_LINE_MAX, "preauth line");
_Static_assert(POP3_LINE_MAX <= IMAP_LINE_MAX, "io buffer covers POP3");
_Static_assert(IMAP_LITERAL_MINUS_MAX <= IMAP_CMD_BUDGET, "literal budget");
_Static_assert(TIMEOUT_IMAP_IDLE >= 30 * 60, "RFC 3501 §5.4");
_Static_assert(TIMEOUT_POP3_IDLE >= 10 * 60, "RFC 1939 §3");

/*
 * A line of the passwd file (user:password:uid:gid:gecos:home:shell:extra).
 * Real lines are well under 1 KiB; a longer one is skipped and logged.
 */
#define PASSWD_LINE_MAX		4096

/*
 * The message cache (mcache.c, file imapd-cache).  A record holds one
 * message's ENVELOPE, BODY, BODYSTRUCTURE and decoded search fields: a
 * few KB for real mail, so 1 MiB leaves room for odd messages and a
 * bigger one is simply not cached.  Decoded SEARCH header fields kept per
 * field: 64 KiB (a longer field is matched by parsing).  Records are
 * written in batches of MCACHE_PENDING_MAX.  The file is bounded at
 * 512 MiB (about 200k messages of typical mail); past that it is not
 * appended to and the next compaction starts it again.  Messages up to
 * MCACHE_READ_MAX are read into a reused buffer rather than mapped
 * (munmap costs more than copying a small message).
 */
#define MCACHE_RECORD_MAX	(1024 * 1024)
#define MCACHE_HDR_MAX		(64 * 1024)
#define MCACHE_PENDING_MAX	(256 * 1024)
#define MCACHE_FILE_MAX		(512UL * 1024 * 1024)
#define MCACHE_READ_MAX		(256 * 1024)

#endif
