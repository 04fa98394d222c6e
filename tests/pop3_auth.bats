#!/usr/bin/env bats
# pop3d AUTHORIZATION state: greeting, CAPA, USER/PASS, AUTH (RFC 5034),
# the plaintext policy, failure limits and the privilege drop.

load helpers
load lib/pop3

setup() {
	common_setup
}

teardown() {
	common_teardown
}

@test "greeting: default text, QUIT before login -> +OK Bye" {
	pop3_session <<-'EOF'
	QUIT
	EOF
	[ "$status" -eq 0 ]
	expect_output <<-'EOF'
	+OK POP3 server ready
	+OK Bye
	EOF
}

@test "greeting: --greeting sets the text, no APOP timestamp" {
	pop3_session --greeting="mail.example.org ready" <<-'EOF'
	QUIT
	EOF
	expect_output <<-'EOF'
	+OK mail.example.org ready
	+OK Bye
	EOF
}

# RFC 2449 §5
@test "CAPA: before login lists USER and SASL when plaintext is allowed" {
	pop3_session <<-'EOF'
	CAPA
	EOF
	expect_output <<-'EOF'
	+OK POP3 server ready
	+OK Capability list follows
	TOP
	UIDL
	USER
	SASL PLAIN LOGIN
	RESP-CODES
	AUTH-RESP-CODE
	PIPELINING
	IMPLEMENTATION pop3d-0.1
	.
	EOF
}

@test "CAPA: after login omits USER and SASL" {
	pop3_session <<-'EOF'
	USER alice
	PASS secret
	capa
	EOF
	expect_output <<-'EOF'
	+OK POP3 server ready
	+OK Send your password
	+OK Logged in, 0 messages (0 octets)
	+OK Capability list follows
	TOP
	UIDL
	RESP-CODES
	AUTH-RESP-CODE
	PIPELINING
	IMPLEMENTATION pop3d-0.1
	.
	EOF
}

@test "USER/PASS: valid credentials -> +OK with the message count" {
	deliver "$FIXTURES/plain.eml"
	deliver "$FIXTURES/utf8.eml"
	local total=$(( $(crlf_size "$FIXTURES/plain.eml") + \
	    $(crlf_size "$FIXTURES/utf8.eml") ))
	pop3_session <<-'EOF'
	user alice
	pass secret
	QUIT
	EOF
	[ "$status" -eq 0 ]
	expect_output <<-EOF
	+OK POP3 server ready
	+OK Send your password
	+OK Logged in, 2 messages ($total octets)
	+OK Bye, 0 messages deleted
	EOF
}

@test "PASS: wrong password and unknown user get the same answer" {
	pop3_session <<-'EOF'
	USER alice
	PASS wrong
	USER nosuchuser
	PASS secret
	QUIT
	EOF
	expect_output <<-'EOF'
	+OK POP3 server ready
	+OK Send your password
	-ERR [AUTH] Authentication failed
	+OK Send your password
	-ERR [AUTH] Authentication failed
	+OK Bye
	EOF
}

@test "PASS: without USER -> -ERR; after a failure USER is needed again" {
	pop3_session <<-'EOF'
	PASS secret
	USER alice
	PASS wrong
	PASS secret
	QUIT
	EOF
	expect_output <<-'EOF'
	+OK POP3 server ready
	-ERR USER first
	+OK Send your password
	-ERR [AUTH] Authentication failed
	-ERR USER first
	+OK Bye
	EOF
}

@test "PASS: the password is the rest of the line, spaces included" {
	add_user bob 'two words  here'
	pop3_session <<-'EOF'
	USER bob
	PASS two words  here
	QUIT
	EOF
	expect_output <<-'EOF'
	+OK POP3 server ready
	+OK Send your password
	+OK Logged in, 0 messages (0 octets)
	+OK Bye, 0 messages deleted
	EOF
}

@test "USER: missing, extra or malformed names -> -ERR" {
	local n256 n257
	n256=$(printf 'a%.0s' $(seq 256))
	n257=${n256}a
	pop3_session <<-EOF
	USER
	USER a b
	USER al$(printf '\t')ice
	USER $n257
	USER $n256
	PASS
	QUIT
	EOF
	expect_output <<-'EOF'
	+OK POP3 server ready
	-ERR Syntax error
	-ERR Syntax error
	-ERR Invalid user name
	-ERR Invalid user name
	+OK Send your password
	-ERR Syntax error
	+OK Bye
	EOF
}

# RFC 5034 §4: initial response
@test "AUTH PLAIN: with an initial response -> logged in" {
	pop3_session <<-EOF
	AUTH PLAIN $(b64 '\0alice\0secret')
	STAT
	EOF
	expect_output <<-'EOF'
	+OK POP3 server ready
	+OK Logged in, 0 messages (0 octets)
	+OK 0 0
	EOF
}

@test "AUTH PLAIN: authzid equal to authcid is accepted" {
	pop3_session <<-EOF
	AUTH PLAIN $(b64 'alice\0alice\0secret')
	EOF
	[ "${lines[1]}" = "+OK Logged in, 0 messages (0 octets)" ]
}

@test "AUTH PLAIN: empty challenge '+ ', then the response" {
	pop3_session <<-EOF
	auth plain
	$(b64 '\0alice\0secret')
	EOF
	expect_output <<-'EOF'
	+OK POP3 server ready
	+ 
	+OK Logged in, 0 messages (0 octets)
	EOF
}

@test "AUTH PLAIN: wrong password -> -ERR [AUTH]" {
	pop3_session <<-EOF
	AUTH PLAIN $(b64 '\0alice\0nope')
	QUIT
	EOF
	expect_output <<-'EOF'
	+OK POP3 server ready
	-ERR [AUTH] Authentication failed
	+OK Bye
	EOF
}

@test "AUTH PLAIN: control characters in the user name -> failed" {
	pop3_session <<-EOF
	AUTH PLAIN $(b64 '\0al\001ice\0secret')
	EOF
	[ "${lines[1]}" = "-ERR [AUTH] Authentication failed" ]
}

@test "AUTH LOGIN: username and password prompts" {
	pop3_session <<-EOF
	AUTH LOGIN
	$(b64 alice)
	$(b64 secret)
	EOF
	expect_output <<-'EOF'
	+OK POP3 server ready
	+ VXNlcm5hbWU6
	+ UGFzc3dvcmQ6
	+OK Logged in, 0 messages (0 octets)
	EOF
}

@test "AUTH LOGIN: initial response is the user name" {
	pop3_session <<-EOF
	AUTH LOGIN $(b64 alice)
	$(b64 secret)
	EOF
	expect_output <<-'EOF'
	+OK POP3 server ready
	+ UGFzc3dvcmQ6
	+OK Logged in, 0 messages (0 octets)
	EOF
}

# RFC 5034 §4: "*" cancels
@test "AUTH: '*' cancels the exchange with -ERR; USER/PASS still works" {
	pop3_session <<-'EOF'
	AUTH LOGIN
	*
	AUTH PLAIN
	*
	USER alice
	PASS secret
	EOF
	expect_output <<-'EOF'
	+OK POP3 server ready
	+ VXNlcm5hbWU6
	-ERR Authentication cancelled
	+ 
	-ERR Authentication cancelled
	+OK Send your password
	+OK Logged in, 0 messages (0 octets)
	EOF
}

@test "AUTH: unknown mechanism -> -ERR, no echo of the name" {
	pop3_session <<-'EOF'
	AUTH CRAM-MD5
	AUTH X<script>
	QUIT
	EOF
	expect_output <<-'EOF'
	+OK POP3 server ready
	-ERR Unsupported authentication mechanism
	-ERR Unsupported authentication mechanism
	+OK Bye
	EOF
}

@test "AUTH: bare AUTH lists the mechanisms (older clients probe with it)" {
	pop3_session <<-'EOF'
	AUTH
	EOF
	expect_output <<-'EOF'
	+OK POP3 server ready
	+OK
	PLAIN
	LOGIN
	.
	EOF
}

@test "AUTH: garbage base64 -> -ERR, still in AUTHORIZATION" {
	pop3_session <<-'EOF'
	AUTH PLAIN !!!notbase64!!!
	AUTH PLAIN =
	AUTH LOGIN
	%%%%
	AUTH LOGIN
	YWxpY2U=
	not base64 at all
	STAT
	USER alice
	PASS secret
	EOF
	expect_output <<-'EOF'
	+OK POP3 server ready
	-ERR [AUTH] Invalid base64 data
	-ERR [AUTH] Invalid base64 data
	+ VXNlcm5hbWU6
	-ERR [AUTH] Invalid base64 data
	+ VXNlcm5hbWU6
	+ UGFzc3dvcmQ6
	-ERR [AUTH] Invalid base64 data
	-ERR Not logged in
	+OK Send your password
	+OK Logged in, 0 messages (0 octets)
	EOF
}

@test "failures: the third failed login closes the session" {
	pop3_session <<-EOF
	USER alice
	PASS bad1
	AUTH PLAIN $(b64 '\0alice\0bad2')
	USER alice
	PASS bad3
	USER alice
	PASS secret
	EOF
	[ "$status" -eq 0 ]
	expect_output <<-'EOF'
	+OK POP3 server ready
	+OK Send your password
	-ERR [AUTH] Authentication failed
	-ERR [AUTH] Authentication failed
	+OK Send your password
	-ERR [AUTH] Authentication failed, closing
	EOF
}

@test "failures: --auth-delay makes a failed login wait" {
	local t0 t1
	t0=$(date +%s%N)
	run bash -c "printf 'USER alice\r\nPASS wrong\r\nQUIT\r\n' |
	    '$BIN_DIR/pop3d' --passwd-file='$PASSWD' --auth-delay=1"
	t1=$(date +%s%N)
	[ "${lines[2]}" = $'-ERR [AUTH] Authentication failed\r' ]
	[ $(( (t1 - t0) / 1000000 )) -ge 900 ]
}

@test "plaintext: refused from a non-loopback client without TLS" {
	deliver "$FIXTURES/plain.eml"
	export REMOTE_HOST=192.0.2.1
	pop3_session <<-EOF
	CAPA
	USER alice
	PASS secret
	AUTH PLAIN $(b64 '\0alice\0secret')
	AUTH LOGIN
	AUTH
	STAT
	QUIT
	EOF
	expect_output <<-'EOF'
	+OK POP3 server ready
	+OK Capability list follows
	TOP
	UIDL
	RESP-CODES
	AUTH-RESP-CODE
	PIPELINING
	IMPLEMENTATION pop3d-0.1
	.
	-ERR [AUTH] Plaintext authentication disallowed without TLS
	-ERR [AUTH] Plaintext authentication disallowed without TLS
	-ERR [AUTH] Plaintext authentication disallowed without TLS
	-ERR [AUTH] Plaintext authentication disallowed without TLS
	+OK
	.
	-ERR Not logged in
	+OK Bye
	EOF
}

@test "plaintext: --allow-plaintext re-allows it for a remote client" {
	export REMOTE_HOST=192.0.2.1
	pop3_session --allow-plaintext <<-'EOF'
	USER alice
	PASS secret
	EOF
	[ "${lines[2]}" = "+OK Logged in, 0 messages (0 octets)" ]
}

@test "plaintext: --tls (stunnel in front) re-allows it" {
	export REMOTE_HOST=192.0.2.1
	pop3_session --tls <<-EOF
	CAPA
	AUTH PLAIN $(b64 '\0alice\0secret')
	EOF
	[[ "$output" == *$'\nUSER\nSASL PLAIN LOGIN\n'* ]]
	[ "${lines[-1]}" = "+OK Logged in, 0 messages (0 octets)" ]
}

@test "STLS: not available yet -> -ERR" {
	pop3_session <<-'EOF'
	STLS
	QUIT
	EOF
	expect_output <<-'EOF'
	+OK POP3 server ready
	-ERR STLS not available
	+OK Bye
	EOF
}

@test "state: TRANSACTION commands before login -> -ERR Not logged in" {
	pop3_session <<-'EOF'
	NOOP
	STAT
	LIST
	UIDL
	RETR 1
	TOP 1 0
	DELE 1
	RSET
	QUIT
	EOF
	expect_output <<-'EOF'
	+OK POP3 server ready
	-ERR Not logged in
	-ERR Not logged in
	-ERR Not logged in
	-ERR Not logged in
	-ERR Not logged in
	-ERR Not logged in
	-ERR Not logged in
	-ERR Not logged in
	+OK Bye
	EOF
}

@test "state: USER, PASS, AUTH, STLS after login -> -ERR Already logged in" {
	pop3_session <<-'EOF'
	USER alice
	PASS secret
	USER alice
	PASS secret
	AUTH PLAIN
	STLS
	NOOP
	EOF
	expect_output <<-'EOF'
	+OK POP3 server ready
	+OK Send your password
	+OK Logged in, 0 messages (0 octets)
	-ERR Already logged in
	-ERR Already logged in
	-ERR Already logged in
	-ERR Already logged in
	+OK
	EOF
}

@test "privileges: as root the session runs as the user (files owned by 4242)" {
	is_root || skip "needs root"
	deliver "$FIXTURES/plain.eml"
	deliver "$FIXTURES/utf8.eml"
	pop3_session <<-'EOF'
	USER alice
	PASS secret
	RETR 1
	DELE 2
	QUIT
	EOF
	[ "${lines[-1]}" = "+OK Bye, 1 message deleted" ]
	[ "$(count_msgs cur)" -eq 1 ]
	run find "$MAILDIR" ! -user 4242
	[ "$output" = "" ]
	run find "$MAILDIR" ! -group 4242
	[ "$output" = "" ]
}
