#!/usr/bin/env bats
# Real mail clients over TLS: mbsync (STARTTLS, IMAPS) and fetchmail (STLS,
# STARTTLS), all from a remote address, so a login without TLS is refused.

load helpers
load lib/launch
load lib/tls

# client_cert DIR: like tls_cert, but CN=127.0.0.1: mbsync 1.4 and
# fetchmail match the host name against CN and DNS names only, and the
# tests connect to 127.0.0.1 (launch.bash listens there only).
client_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -days 2 -subj /CN=127.0.0.1 \
	    -addext "subjectAltName=IP:127.0.0.1,DNS:127.0.0.1" \
	    -keyout "$1/key.pem" -out "$1/cert.pem" 2>/dev/null
	chmod 600 "$1/key.pem"
}

setup() {
	[ -x "$STUNNEL" ] || skip "stunnel4 not installed"
	common_setup
	client_cert "$TEST_ROOT"
	printf 'From: a@example.org\nSubject: first\n\nfirst body over TLS\n' \
	    > "$TEST_ROOT/m1.eml"
	printf 'From: b@example.org\nSubject: second\n\nsecond body over TLS\n' \
	    > "$TEST_ROOT/m2.eml"
	deliver "$TEST_ROOT/m1.eml"
	deliver "$TEST_ROOT/m2.eml"
	# a documentation address: plaintext logins must wait for TLS
	LAUNCH_ENV="REMOTE_ADDR=192.0.2.1"
}

teardown() {
	launch_stop
	common_teardown
}

# Messages in a Maildir folder.
count_in() {
	find "$1/cur" "$1/new" -type f 2>/dev/null | wc -l
}

# isync 1.5 renamed SSLType to TLSType (same values: None, STARTTLS, IMAPS).
mbsync_tls_keyword() {
	case $(mbsync --version 2>/dev/null) in
	*" 1."[0-4]|*" 1."[0-4].*) echo SSLType ;;
	*) echo TLSType ;;
	esac
}

# mbsync_conf FILE TLSTYPE: pull INBOX from the server into $TEST_ROOT/local.
mbsync_conf() {
	cat > "$1" <<-EOF
	IMAPAccount srv
	Host 127.0.0.1
	Port $LAUNCH_PORT
	User alice
	Pass secret
	AuthMechs LOGIN
	$(mbsync_tls_keyword) $2
	CertificateFile $TEST_ROOT/cert.pem

	IMAPStore remote
	Account srv

	MaildirStore local
	Path $TEST_ROOT/local/
	Inbox $TEST_ROOT/local/INBOX

	Channel sync
	Far :remote:
	Near :local:
	Patterns INBOX
	Create Near
	Sync Pull
	SyncState *
	EOF
	mkdir -p "$TEST_ROOT/local"
}

# mbsync_pulled: both messages are in the local INBOX.
mbsync_pulled() {
	[ "$(count_in "$TEST_ROOT/local/INBOX")" -eq 2 ]
	grep -rlq 'first body over TLS' "$TEST_ROOT/local/INBOX"
	grep -rlq 'second body over TLS' "$TEST_ROOT/local/INBOX"
}

@test "mbsync TLSType STARTTLS pulls INBOX; TLSType None is refused" {
	command -v mbsync >/dev/null || skip "mbsync not installed"
	launch_start "$BIN_DIR/imapd" $(tls_args)
	mbsync_conf "$TEST_ROOT/plainrc" None
	run timeout 20 env HOME="$TEST_ROOT" mbsync -c "$TEST_ROOT/plainrc" sync
	[ "$status" -ne 0 ]
	# LOGINDISABLED before TLS leaves mbsync no mechanism
	[[ "$output" == *"no acceptable authentication mechanism"* ]]
	[ "$(count_in "$TEST_ROOT/local/INBOX")" -eq 0 ]
	rm -rf "$TEST_ROOT/local"
	mbsync_conf "$TEST_ROOT/mbsyncrc" STARTTLS
	run timeout 30 env HOME="$TEST_ROOT" mbsync -c "$TEST_ROOT/mbsyncrc" sync
	[ "$status" -eq 0 ]
	mbsync_pulled
	# the server keeps its copies
	[ "$(count_in "$MAILDIR")" -eq 2 ]
}

@test "mbsync TLSType IMAPS against imapd --implicit-tls" {
	command -v mbsync >/dev/null || skip "mbsync not installed"
	launch_start "$BIN_DIR/imapd" $(tls_args) --implicit-tls
	mbsync_conf "$TEST_ROOT/mbsyncrc" IMAPS
	run timeout 30 env HOME="$TEST_ROOT" mbsync -c "$TEST_ROOT/mbsyncrc" sync
	[ "$status" -eq 0 ]
	mbsync_pulled
	[ "$(count_in "$MAILDIR")" -eq 2 ]
}

# fetchmail_run PROTO SSLPROTO: one poll, mail to $TEST_ROOT/out/; $status.
# The certificate is verified against the test's own (sslcertck).
fetchmail_run() {
	mkdir -p "$TEST_ROOT/out" "$TEST_ROOT/fmhome"
	cat > "$TEST_ROOT/fetchmailrc" <<-EOF
	set no syslog
	poll 127.0.0.1 protocol $1 port $LAUNCH_PORT auth password timeout 15
	    user "alice" there with password "secret" is "$(id -un)" here
	    sslproto '$2' sslcertck sslcertfile "$TEST_ROOT/cert.pem"
	    mda "/bin/sh -c 'cat > $TEST_ROOT/out/msg.\$\$'"
	EOF
	chmod 600 "$TEST_ROOT/fetchmailrc"
	run timeout 30 env HOME="$TEST_ROOT/fmhome" \
	    FETCHMAILHOME="$TEST_ROOT/fmhome" \
	    fetchmail -f "$TEST_ROOT/fetchmailrc" --nodetach --nosyslog
}

# fetchmail_got: both messages were handed to the MDA.
fetchmail_got() {
	[ "$(ls "$TEST_ROOT/out" | wc -l)" -eq 2 ]
	grep -lq 'first body over TLS' "$TEST_ROOT"/out/*
	grep -lq 'second body over TLS' "$TEST_ROOT"/out/*
}

@test "fetchmail POP3 over STLS fetches and deletes; without TLS refused" {
	command -v fetchmail >/dev/null || skip "fetchmail not installed"
	launch_start "$BIN_DIR/pop3d" $(tls_args)
	# sslproto '': no STLS, plaintext USER/PASS from a remote address
	fetchmail_run POP3 ''
	[ "$status" -eq 3 ]	# AUTHFAIL: USER/PASS refused before STLS
	[ "$(ls "$TEST_ROOT/out" | wc -l)" -eq 0 ]
	[ "$(count_in "$MAILDIR")" -eq 2 ]
	fetchmail_run POP3 'tls1.2+'
	[ "$status" -eq 0 ]
	fetchmail_got
	# fetched without --keep: gone from the server
	[ "$(count_in "$MAILDIR")" -eq 0 ]
}

@test "fetchmail IMAP over STARTTLS fetches and expunges" {
	command -v fetchmail >/dev/null || skip "fetchmail not installed"
	launch_start "$BIN_DIR/imapd" $(tls_args)
	fetchmail_run IMAP 'tls1.2+'
	[ "$status" -eq 0 ]
	fetchmail_got
	[ "$(count_in "$MAILDIR")" -eq 0 ]
}
