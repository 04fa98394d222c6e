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
 * IMAP line before login: enough for LOGIN/AUTHENTICATE with long
 * credentials (Dovecot uses 8192 for its login process as well).
 */
#define IMAP_LINE_MAX_PREAUTH	8192

/*
 * IMAP line after login: RFC 7162 §4 asks clients to keep lines to 8192
 * octets and servers to accept at least that; real clients send long UID
 * sets, so accept 64 KiB.
 */
#define IMAP_LINE_MAX		65536

/* The reader's buffer: the longest line of either protocol plus CRLF. */
#define IO_BUF_SIZE		(IMAP_LINE_MAX + 2)

/* Total octets in one IMAP command (line plus literals) except APPEND. */
#define IMAP_CMD_BUDGET		(1024 * 1024)

/* A literal before login (LOGIN user/password). */
#define IMAP_LITERAL_PREAUTH_MAX	1024

/* RFC 7888 LITERAL-: a non-synchronizing literal may be at most 4096. */
#define IMAP_LITERAL_MINUS_MAX	4096

/* APPEND message size, advertised as APPENDLIMIT (RFC 7889). */
#define APPEND_MAX		(64UL * 1024 * 1024)

/* Parenthesized list nesting in a command (SEARCH, FETCH, APPEND). */
#define IMAP_LIST_DEPTH_MAX	16

/* Arguments (tokens) in one command. */
#define IMAP_ARGS_MAX		4096

/* Ranges in one sequence set. */
#define IMAP_SEQSET_MAX		8192

/* Keys in one SEARCH program. */
#define IMAP_SEARCH_KEYS_MAX	256

/* Unknown or malformed commands before the server hangs up. */
#define BAD_CMDS_MAX_PREAUTH	10
#define BAD_CMDS_MAX		50

/* Failed authentications before the server hangs up. */
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

/* MIME: nesting depth and parts per message the parser follows. */
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

#endif
