#!/usr/bin/env bats
# IMAP protocol from RFC 3501 §3, §6.1, §6.2, §7.1, §7.2 and the session
# extensions (ID, ENABLE, NAMESPACE, SASL-IR, LITERAL+): greeting, states,
# capabilities, authentication, parser corners, bad-command limits.

load helpers
load lib/imap_proto

setup() { imap_proto_setup; }
teardown() { common_teardown; }

@test "proto: greeting is an untagged OK with a CAPABILITY code" {
	imap_script <<-EOF
	a LOGOUT
	EOF
	re_line '\* OK \[CAPABILITY [^]]*\] .*'
	re_line '\* OK \[CAPABILITY ([^]]* )?IMAP4rev1( [^]]*)?\].*'
	# a pipe is a local client: plaintext authentication is allowed
	re_line '\* OK \[CAPABILITY [^]]* AUTH=PLAIN( [^]]*)?\].*'
	no_re_line '.*LOGINDISABLED.*'
	[ "${lines[0]:0:5}" = "* OK " ]
}

@test "proto: CAPABILITY before login lists auth mechanisms and extensions" {
	imap_script <<-EOF
	a CAPABILITY
	b LOGOUT
	EOF
	re_count '\* CAPABILITY .*' 1
	local cap
	cap=$(grep '^\* CAPABILITY ' <<< "$output")
	for c in IMAP4rev1 AUTH=PLAIN AUTH=LOGIN SASL-IR ID ENABLE IDLE LITERAL+; do
		[[ "$cap " == *" $c "* ]] || _imap_fail "no $c in: $cap"
	done
	tagged a OK
}

@test "proto: LOGIN answers OK with the post-login CAPABILITY code" {
	imap_script <<-EOF
	a LOGIN alice secret
	b CAPABILITY
	c LOGOUT
	EOF
	re_line 'a OK \[CAPABILITY [^]]*\].*'
	local cap
	cap=$(grep '^\* CAPABILITY ' <<< "$output")
	for c in IMAP4rev1 NAMESPACE UIDPLUS UNSELECT MOVE CHILDREN SPECIAL-USE \
	    IDLE LITERAL+ ID ENABLE; do
		[[ "$cap " == *" $c "* ]] || _imap_fail "no $c in: $cap"
	done
	grep -Eq ' APPENDLIMIT=[0-9]+( |$)' <<< "$cap" || _imap_fail "APPENDLIMIT"
	! grep -q 'AUTH=' <<< "$cap" || _imap_fail "AUTH= after login: $cap"
	tagged b OK
}

@test "proto: LOGOUT sends BYE before the tagged OK and ends the session" {
	imap_script <<-EOF
	a LOGOUT
	b NOOP
	EOF
	before '\* BYE.*' 'a OK.*'
	tagged a OK
	no_re_line 'b .*'
	[ "${lines[${#lines[@]}-1]:0:5}" = "a OK " ] || [ "${lines[${#lines[@]}-1]}" = "a OK" ]
}

@test "proto: commands are case-insensitive; NOOP works in every state" {
	imap_script <<-EOF
	a noop
	b login alice secret
	c NoOp
	d select inbox
	e noop
	f logout
	EOF
	tagged a OK
	tagged b OK
	tagged c OK
	tagged d OK READ-WRITE
	tagged e OK
	tagged f OK
}

@test "proto: LOGIN with a wrong password is NO; the state stays unauthenticated" {
	imap_script <<-EOF
	a LOGIN alice wrong
	b SELECT INBOX
	c LOGIN nobody secret
	d LOGOUT
	EOF
	tagged a NO
	re_line 'b (BAD|NO)( .*)?'
	no_re_line '\* [0-9]+ EXISTS'
	tagged c NO
	tagged d OK
}

@test "proto: too many failed logins end the session with BYE" {
	imap_script <<-EOF
	a LOGIN alice x1
	b LOGIN alice x2
	c LOGIN alice x3
	d LOGIN alice x4
	e LOGIN alice secret
	f NOOP
	EOF
	tagged a NO
	tagged b NO
	re_line '\* BYE.*'
	no_re_line 'e OK.*'
	no_re_line 'f OK.*'
}

@test "proto: LOGIN accepts quoted strings and synchronizing literals" {
	imap_script <<-EOF
	a LOGIN "alice" "secret"
	b LOGOUT
	EOF
	tagged a OK
	imap_raw < <(printf 'a LOGIN {5}\r\nalice {6}\r\nsecret\r\nb LOGOUT\r\n')
	tagged a OK
	# RFC 3501 §7.5: one continuation request per synchronizing literal
	re_count '\+( .*)?' 2
}

@test "proto: LITERAL+ non-synchronizing literals get no continuation" {
	imap_raw < <(printf 'a LOGIN {5+}\r\nalice {6+}\r\nsecret\r\nb LOGOUT\r\n')
	tagged a OK
	re_count '\+( .*)?' 0
}

@test "proto: quoted-string escapes: \\\" and \\\\ are accepted, others are BAD" {
	imap_login <<-'EOF'
	a CREATE "quo\"te"
	b LIST "" "quo*"
	c CREATE "bad\qescape"
	d CREATE "unterminated
	e NOOP
	EOF
	tagged a OK
	re_line '\* LIST \(\\HasNoChildren\) "\." ("quo\\"te"|\{6\})'
	tagged c BAD
	re_line '(d|\*) BAD( .*)?'
	tagged e OK
	[ -d "$MAILDIR/.quo\"te" ]
	[ ! -e "$MAILDIR/.bad\\qescape" ] && [ ! -e "$MAILDIR/.badqescape" ]
}

@test "proto: a line without a valid tag gets an untagged BAD" {
	imap_script <<-EOF

	+ NOOP
	a
	b NOOP
	c LOGOUT
	EOF
	# the empty line may be ignored; "+" is no tag
	re_line '\* BAD( .*)?'
	re_line '(a|\*) BAD( .*)?'
	[ "$(grep -Ec '^(\*|a) BAD' <<< "$output")" -ge 2 ] || _imap_fail "BAD count"
	tagged b OK
	tagged c OK
}

@test "proto: unknown commands and bad arguments are tagged BAD" {
	imap_script <<-EOF
	a FROBNICATE
	b LOGIN alice
	c LOGIN alice secret extra
	d NOOP extra
	e CAPABILITY now
	f LOGOUT
	EOF
	tagged a BAD
	tagged b BAD
	tagged c BAD
	tagged d BAD
	tagged e BAD
	tagged f OK
}

@test "proto: authenticated-state commands are refused before login" {
	imap_script <<-EOF
	a SELECT INBOX
	b EXAMINE INBOX
	c CREATE foo
	d DELETE foo
	e RENAME foo bar
	f SUBSCRIBE INBOX
	g LIST "" "*"
	h LSUB "" "*"
	i STATUS INBOX (MESSAGES)
	z LOGOUT
	EOF
	for t in a b c d e f g h i; do
		re_line "$t (BAD|NO)( .*)?"
	done
	tagged z OK
	imap_script <<-EOF
	j NAMESPACE
	k ENABLE IMAP4rev1
	l IDLE
	z LOGOUT
	EOF
	for t in j k l; do
		re_line "$t (BAD|NO)( .*)?"
	done
	no_re_line '\* (LIST|LSUB|STATUS|NAMESPACE|ENABLED) .*'
	no_re_line '\+( .*)?'
	tagged z OK
	[ ! -e "$MAILDIR/.foo" ]
}

@test "proto: selected-state commands are refused without a selected mailbox" {
	imap_login <<-EOF
	a FETCH 1 FLAGS
	b STORE 1 +FLAGS (\Seen)
	c SEARCH ALL
	d COPY 1 INBOX
	e EXPUNGE
	f CLOSE
	g UNSELECT
	h UID FETCH 1 FLAGS
	i MOVE 1 INBOX
	j CHECK
	k LOGIN alice secret
	l AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==
	EOF
	tagged L OK
	for t in a b c d e f g h i j k l; do
		re_line "$t (BAD|NO)( .*)?"
	done
	no_re_line '\* SEARCH.*'
	tagged Z OK
}

@test "proto: AUTHENTICATE PLAIN with an initial response (SASL-IR)" {
	# \0alice\0secret
	imap_script <<-EOF
	a AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==
	b SELECT INBOX
	c LOGOUT
	EOF
	re_line 'a OK( \[CAPABILITY [^]]*\])?( .*)?'
	tagged b OK READ-WRITE
}

@test "proto: AUTHENTICATE PLAIN with a continuation, and * cancels" {
	imap_script <<-EOF
	a AUTHENTICATE PLAIN
	*
	b AUTHENTICATE PLAIN
	AGFsaWNlAHNlY3JldA==
	c LOGOUT
	EOF
	tagged a BAD
	tagged b OK
	re_count '\+( .*)?' 2
}

@test "proto: AUTHENTICATE LOGIN and an unknown mechanism" {
	# alice / secret
	imap_script <<-EOF
	a AUTHENTICATE X-UNKNOWN
	b AUTHENTICATE LOGIN
	YWxpY2U=
	c2VjcmV0
	c LOGOUT
	EOF
	re_line 'a (NO|BAD)( .*)?'
	tagged b OK
	tagged c OK
}

@test "proto: ID, NAMESPACE and ENABLE (RFC 2971, 2342, 5161)" {
	imap_script <<-EOF
	a ID NIL
	b ID ("name" "bats" "version" "1.0")
	c LOGIN alice secret
	d NAMESPACE
	e ENABLE X-NOTHING
	f LOGOUT
	EOF
	re_count '\* ID (NIL|\(.*\))' 2
	tagged a OK
	tagged b OK
	line '* NAMESPACE (("" ".")) NIL NIL'
	tagged d OK
	re_line '\* ENABLED ?'
	tagged e OK
}

@test "proto: ID with a malformed list is BAD" {
	imap_script <<-EOF
	a ID ("name")
	b ID name
	c LOGOUT
	EOF
	tagged a BAD
	tagged b BAD
}

@test "proto: too many bad commands before login end the session" {
	imap_script < <(
		for i in $(seq 1 15); do echo "x$i BOGUS"; done
		echo "y NOOP"
	)
	re_line '\* BYE.*'
	# the limit is at most 10 before login (RFC 2683 advice: do not
	# serve a client that only sends garbage forever)
	local n
	n=$(grep -Ec '^x[0-9]+ BAD' <<< "$output" || true)
	[ "$n" -le 10 ] || _imap_fail "$n BAD replies before BYE"
	no_re_line 'y OK.*'
}

@test "proto: too many bad commands after login end the session" {
	imap_script < <(
		echo "L LOGIN alice secret"
		for i in $(seq 1 80); do echo "x$i BOGUS"; done
		echo "y NOOP"
	)
	tagged L OK
	re_line '\* BYE.*'
	local n
	n=$(grep -Ec '^x[0-9]+ BAD' <<< "$output" || true)
	[ "$n" -ge 10 ] && [ "$n" -le 50 ] || _imap_fail "$n BAD replies before BYE"
	no_re_line 'y OK.*'
}

@test "proto: a literal too large before login is refused without a continuation" {
	pyimap <<-'EOF'
	from imap import *
	def main(S):
	    a = Imap(server_argv()); S.append(a)
	    a.greeting()
	    a.sendline("a LOGIN {100000}")
	    line = a.readline()
	    check(re.match(r"(a|\*) (BAD|NO)( |$)", line) or
	          line.startswith("* BYE"), "got %r" % line)
	run(main)
	EOF
	[ "$status" -eq 0 ] || _imap_fail "python session failed"
}

@test "proto: an overlong command line is refused, the session survives or says BYE" {
	pyimap <<-'EOF'
	from imap import *
	def main(S):
	    a = Imap(server_argv()); S.append(a)
	    a.greeting()
	    a.login()
	    a.sendline("a NOOP " + "x" * 70000)
	    line = a.readline()
	    if line.startswith("* BYE"):
	        return
	    check(re.match(r"(a|\*) BAD( |$)", line), "got %r" % line)
	    u, t = a.cmd("NOOP")
	    tagged_ok(t)
	run(main)
	EOF
	[ "$status" -eq 0 ] || _imap_fail "python session failed"
}

@test "proto: STARTTLS is not offered without TLS and not accepted" {
	imap_script <<-EOF
	a CAPABILITY
	b STARTTLS
	c NOOP
	d LOGOUT
	EOF
	no_re_line '\* CAPABILITY .*STARTTLS.*'
	re_line 'b (BAD|NO)( .*)?'
	tagged c OK
}

@test "proto: a remote client without TLS gets LOGINDISABLED (RFC 3501 §6.2.3)" {
	REMOTE_ADDR=192.0.2.7 imap_script <<-EOF
	a CAPABILITY
	b LOGIN alice secret
	c AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==
	d SELECT INBOX
	e LOGOUT
	EOF
	re_line '\* CAPABILITY (.* )?LOGINDISABLED( .*)?'
	no_re_line '\* CAPABILITY .*AUTH=PLAIN.*'
	tagged b NO
	tagged c NO
	re_line 'd (BAD|NO)( .*)?'
	tagged e OK
}

@test "proto: --tls and --allow-plaintext permit LOGIN from a remote client" {
	REMOTE_ADDR=192.0.2.7 imap_script --tls <<-EOF
	a CAPABILITY
	b LOGIN alice secret
	EOF
	no_re_line '\* CAPABILITY .*LOGINDISABLED.*'
	re_line '\* CAPABILITY (.* )?AUTH=PLAIN( .*)?'
	tagged b OK
	REMOTE_ADDR=192.0.2.7 imap_script --allow-plaintext <<-EOF
	b LOGIN alice secret
	EOF
	tagged b OK
	REMOTE_ADDR=127.0.0.1 imap_script <<-EOF
	b LOGIN alice secret
	EOF
	tagged b OK
}

@test "proto: autologout before login after the login timeout" {
	local t0=$SECONDS
	pyimap <<-'EOF'
	from imap import *
	def main(S):
	    a = Imap(server_argv("--login-timeout=1")); S.append(a)
	    a.greeting()
	    line = a.readline(timeout=8)
	    check(line.startswith("* BYE"), "got %r" % line)
	    try:
	        extra = a.readline(timeout=3)
	        raise AssertionError("data after BYE: %r" % extra)
	    except Closed:
	        pass
	run(main)
	EOF
	[ "$status" -eq 0 ] || _imap_fail "python session failed"
	[ $((SECONDS - t0)) -lt 10 ]
}

@test "proto: invalid tags get an untagged BAD, valid odd tags are echoed" {
	imap_script <<-EOF
	a+b NOOP
	a(b NOOP
	a%b NOOP
	a*b NOOP
	"a" NOOP
	A.1-x_y!z NOOP
	Z LOGOUT
	EOF
	re_count '\* BAD( .*)?' 5
	no_re_line '(a\+b|a\(b|a%b|a\*b|"a") .*'
	tagged 'A\.1-x_y!z' OK
	tagged Z OK
}

@test "proto: a zero-length literal and a literal in the middle of a command" {
	imap_login <<-EOF
	a CREATE {6+}
	My Box
	b LIST "" {1+}
	*
	c SELECT {0+}

	d STATUS {6}
	My Box (MESSAGES)
	EOF
	tagged a OK
	re_line '\* LIST \(.*\) "\." ("My Box"|\{6\})'
	re_line 'c (NO|BAD)( .*)?'
	re_line '\* STATUS ("My Box"|\{6\}) \(MESSAGES 0\)|My Box \(MESSAGES 0\)'
	tagged d OK
	[ -d "$MAILDIR/.My Box/cur" ]
}
