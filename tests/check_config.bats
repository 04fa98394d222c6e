#!/usr/bin/env bats
# --check-config: one line per finding, exit 0 without errors, 1 with.

load helpers

setup() {
	common_setup
	chmod 600 "$PASSWD"
	STUNNEL_BIN=$(command -v stunnel4 || command -v stunnel || true)
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -subj /CN=localhost -days 2 \
	    -keyout "$TEST_ROOT/key.pem" -out "$TEST_ROOT/cert.pem" 2>/dev/null
	chmod 600 "$TEST_ROOT/key.pem"
}

teardown() {
	common_teardown
}

# check BINARY [ARGS...]: run BINARY --check-config with stdin closed.
check() {
	local bin=$1; shift
	run "$BIN_DIR/$bin" --check-config "$@" < /dev/null
}

# has_line TEXT: $output holds exactly this line.
has_line() {
	grep -qFx -- "$1" <<< "$output" ||
	    { echo "missing line: $1"; echo "output: $output"; return 1; }
}

# lacks REGEX: no line of $output matches REGEX.
lacks() {
	if grep -qE -- "$1" <<< "$output"; then
		echo "unexpected: $1"; echo "output: $output"; return 1
	fi
}

# no_errors: $output has no error line.
no_errors() {
	! grep -q '^error:' <<< "$output" || { echo "$output"; return 1; }
}

need_stunnel() {
	[ -n "$STUNNEL_BIN" ] || skip "stunnel not installed"
}

tls_opts() {
	echo "--tls-cert=$TEST_ROOT/cert.pem --tls-key=$TEST_ROOT/key.pem" \
	    "--stunnel=$STUNNEL_BIN"
}

# passwd_with TEXT: replace the passwd file with the common alice entry
# and TEXT (with %U/%G for our uid/gid).
passwd_with() {
	local t=${1//%U/$TEST_UID}
	t=${t//%G/$TEST_GID}
	printf '%s\n' "alice:$HASH_SECRET:$TEST_UID:$TEST_GID::$TEST_HOME::" \
	    "$t" > "$PASSWD"
	chmod 600 "$PASSWD"
}

@test "check-config: a good configuration exits 0 without an error line" {
	need_stunnel
	for bin in imapd pop3d; do
		check $bin --passwd-file="$PASSWD" $(tls_opts)
		[ "$status" -eq 0 ]
		no_errors
		has_line "ok: certificate $TEST_ROOT/cert.pem: 1 PEM certificate"
		has_line "ok: private key $TEST_ROOT/key.pem: PEM private key"
		has_line "ok: stunnel $STUNNEL_BIN: executable"
		has_line "ok: STARTTLS/STLS offered through stunnel"
		has_line "ok: mail location maildir:~/Maildir: per user (checked with each user's home)"
		has_line "ok: passwd file $PASSWD: 2 users"
		if is_root; then
			lacks '^warning:'
		else
			[ "$(grep -c '^warning:' <<< "$output")" -eq 1 ]
		fi
	done
}

@test "check-config: never talks the protocol nor touches the Maildir" {
	local before after
	before=$(cd "$TEST_ROOT" && find . | sort)
	run bash -c 'printf "a1 LOGIN alice secret\r\n" |
	    "$1" --check-config --passwd-file="$2"' _ "$BIN_DIR/imapd" "$PASSWD"
	[ "$status" -eq 0 ]
	lacks '^\* '
	lacks '^a1 '
	run bash -c 'printf "USER alice\r\n" |
	    "$1" --check-config --passwd-file="$2"' _ "$BIN_DIR/pop3d" "$PASSWD"
	[ "$status" -eq 0 ]
	lacks '^[+-]'
	after=$(cd "$TEST_ROOT" && find . | sort)
	[ "$before" = "$after" ]
}

@test "check-config: every line is ok, warning or error" {
	check imapd --passwd-file="$PASSWD"
	[ -n "$output" ]
	[ -z "$(grep -vE '^(ok|warning|error): ' <<< "$output")" ]
}

@test "check-config: --help lists --check-config" {
	for bin in imapd pop3d; do
		run "$BIN_DIR/$bin" --help
		[ "$status" -eq 0 ]
		grep -qE -- '^ +--check-config +check the configuration and exit$' \
		    <<< "$output"
	done
}

@test "check-config: no certificate: STARTTLS/STLS not offered" {
	for bin in imapd pop3d; do
		check $bin --passwd-file="$PASSWD"
		[ "$status" -eq 0 ]
		has_line "warning: STARTTLS/STLS not offered (no --tls-cert)"
	done
}

@test "check-config: --implicit-tls without a certificate is an error" {
	check pop3d --passwd-file="$PASSWD" --implicit-tls
	[ "$status" -eq 1 ]
	has_line "error: --implicit-tls without --tls-cert: every connection would fail"
}

@test "check-config: implicit TLS with a certificate" {
	need_stunnel
	check imapd --passwd-file="$PASSWD" $(tls_opts) --implicit-tls
	[ "$status" -eq 0 ]
	has_line "ok: implicit TLS offered through stunnel"
}

@test "check-config: a missing stunnel is an error" {
	check imapd --passwd-file="$PASSWD" --tls-cert="$TEST_ROOT/cert.pem" \
	    --tls-key="$TEST_ROOT/key.pem" --stunnel=/nonexistent
	[ "$status" -eq 1 ]
	has_line "error: stunnel /nonexistent: not executable: No such file or directory"
	lacks "offered through stunnel"
}

@test "check-config: an unreadable key is an error" {
	need_stunnel
	is_root && skip "root reads the key anyway"
	chmod 000 "$TEST_ROOT/key.pem"
	check imapd --passwd-file="$PASSWD" $(tls_opts)
	[ "$status" -eq 1 ]
	has_line "error: private key $TEST_ROOT/key.pem: not readable: Permission denied"
}

@test "check-config: a missing certificate is an error" {
	need_stunnel
	check pop3d --passwd-file="$PASSWD" --tls-cert="$TEST_ROOT/none.pem" \
	    --tls-key="$TEST_ROOT/key.pem" --stunnel="$STUNNEL_BIN"
	[ "$status" -eq 1 ]
	has_line "error: certificate $TEST_ROOT/none.pem: not readable: No such file or directory"
}

@test "check-config: a key is not a certificate" {
	need_stunnel
	check pop3d --passwd-file="$PASSWD" --tls-cert="$TEST_ROOT/key.pem" \
	    --stunnel="$STUNNEL_BIN"
	[ "$status" -eq 1 ]
	has_line "error: certificate $TEST_ROOT/key.pem: no PEM certificate (-----BEGIN CERTIFICATE-----)"
	has_line "ok: private key $TEST_ROOT/key.pem: PEM private key"
}

@test "check-config: a certificate without its key" {
	need_stunnel
	check pop3d --passwd-file="$PASSWD" --tls-cert="$TEST_ROOT/cert.pem" \
	    --stunnel="$STUNNEL_BIN"
	[ "$status" -eq 1 ]
	has_line "error: private key $TEST_ROOT/cert.pem: no PEM private key in the certificate file (use --tls-key)"
}

@test "check-config: certificate and key in one file" {
	need_stunnel
	cat "$TEST_ROOT/cert.pem" "$TEST_ROOT/key.pem" > "$TEST_ROOT/both.pem"
	chmod 600 "$TEST_ROOT/both.pem"
	check imapd --passwd-file="$PASSWD" --tls-cert="$TEST_ROOT/both.pem" \
	    --stunnel="$STUNNEL_BIN"
	[ "$status" -eq 0 ]
	has_line "ok: private key $TEST_ROOT/both.pem: PEM private key"
	lacks "world-readable"
}

@test "check-config: a world-readable key is a warning" {
	need_stunnel
	chmod 644 "$TEST_ROOT/key.pem"
	check imapd --passwd-file="$PASSWD" $(tls_opts)
	[ "$status" -eq 0 ]
	has_line "warning: private key $TEST_ROOT/key.pem: world-readable (chmod 600)"
}

@test "check-config: white space in an argument is an error" {
	need_stunnel
	check imapd --passwd-file="$PASSWD" $(tls_opts) --greeting="a b"
	[ "$status" -eq 1 ]
	has_line "error: white space in argument 6 (stunnel's execArgs cannot pass it)"
}

@test "check-config: a fixed mail location must exist" {
	check pop3d --passwd-file="$PASSWD" --mail="maildir:$TEST_ROOT/nonexistent"
	[ "$status" -eq 1 ]
	has_line "error: mail location $TEST_ROOT/nonexistent: No such file or directory"
	check pop3d --passwd-file="$PASSWD" --mail="maildir:$MAILDIR"
	[ "$status" -eq 0 ]
	has_line "ok: mail location $MAILDIR: exists (shared by every user)"
	check pop3d --passwd-file="$PASSWD" --mail="maildir:$TEST_ROOT/mail/%u"
	[ "$status" -eq 0 ]
	has_line "ok: mail location maildir:$TEST_ROOT/mail/%u: per user (checked with each user's home)"
}

@test "check-config: a bad escape in the mail location is an error" {
	check imapd --passwd-file="$PASSWD" --mail='maildir:/var/mail/%x'
	[ "$status" -eq 1 ]
	has_line "error: mail location maildir:/var/mail/%x: bad %-escape (%u, %h, %% only)"
}

@test "check-config: a missing passwd file is an error" {
	check imapd --passwd-file="$TEST_ROOT/nonexistent"
	[ "$status" -eq 1 ]
	has_line "error: passwd file $TEST_ROOT/nonexistent: not readable: No such file or directory"
}

@test "check-config: an unreadable passwd file is an error" {
	is_root && skip "root reads the file anyway"
	chmod 000 "$PASSWD"
	check imapd --passwd-file="$PASSWD"
	[ "$status" -eq 1 ]
	has_line "error: passwd file $PASSWD: not readable: Permission denied"
}

@test "check-config: a world-writable passwd file is an error" {
	chmod 666 "$PASSWD"
	check pop3d --passwd-file="$PASSWD"
	[ "$status" -eq 1 ]
	has_line "error: passwd file $PASSWD: world-writable: anybody can add users (chmod o-w)"
}

@test "check-config: a world-readable passwd file with hashes is a warning" {
	chmod 644 "$PASSWD"
	check pop3d --passwd-file="$PASSWD"
	[ "$status" -eq 0 ]
	has_line "warning: passwd file $PASSWD: world-readable while holding password hashes (chmod o-r)"
}

@test "check-config: uid 0 and gid 0 are errors" {
	passwd_with "root:$HASH_SECRET:0:0::$TEST_HOME::"
	check imapd --passwd-file="$PASSWD"
	[ "$status" -eq 1 ]
	has_line "error: $PASSWD:2: user root: uid 0: refused at login"
	has_line "error: $PASSWD:2: user root: gid 0: refused at login"
	lacks ":1: user alice"
}

@test "check-config: an unknown scheme is an error" {
	passwd_with "bob:{SSHA}c2VjcmV0:%U:%G::$TEST_HOME::"
	check pop3d --passwd-file="$PASSWD"
	[ "$status" -eq 1 ]
	has_line "error: $PASSWD:2: user bob: unknown password scheme: that user can never log in"
}

@test "check-config: an unknown crypt prefix is an error" {
	passwd_with 'bob:$9$abc$def:%U:%G::'"$TEST_HOME"'::'
	check pop3d --passwd-file="$PASSWD"
	[ "$status" -eq 1 ]
	has_line "error: $PASSWD:2: user bob: unknown crypt hash prefix: that user can never log in"
}

@test "check-config: {CRYPT} with a sha512-crypt hash is fine" {
	passwd_with "bob:{SHA512-CRYPT}$HASH_SECRET:%U:%G::$TEST_HOME::"
	check pop3d --passwd-file="$PASSWD"
	[ "$status" -eq 0 ]
	lacks "user bob"
}

@test "check-config: an empty password is a warning" {
	passwd_with "bob::%U:%G::$TEST_HOME::"
	check imapd --passwd-file="$PASSWD"
	[ "$status" -eq 0 ]
	has_line "warning: $PASSWD:2: user bob: empty password: never logs in"
}

@test "check-config: a clear-text password is a warning" {
	passwd_with "bob:{PLAIN}secret:%U:%G::$TEST_HOME::"
	check imapd --passwd-file="$PASSWD"
	[ "$status" -eq 0 ]
	has_line "warning: $PASSWD:2: user bob: clear-text password ({PLAIN}/{CLEARTEXT})"
}

@test "check-config: a missing uid or gid needs --default-uid/--default-gid" {
	passwd_with "bob:$HASH_SECRET:::::"
	check imapd --passwd-file="$PASSWD" --default-home="$TEST_ROOT/home/%u"
	[ "$status" -eq 1 ]
	has_line "error: $PASSWD:2: user bob: no uid and no --default-uid: refused at login"
	has_line "error: $PASSWD:2: user bob: no gid and no --default-gid: refused at login"
	check imapd --passwd-file="$PASSWD" --default-home="$TEST_ROOT/home/%u" \
	    --default-uid="$TEST_UID" --default-gid="$TEST_GID"
	[ "$status" -eq 0 ]
	no_errors
}

@test "check-config: a missing home is a warning, a relative one an error" {
	passwd_with "bob:$HASH_SECRET:%U:%G::$TEST_ROOT/home/bob::
carol:$HASH_SECRET:%U:%G::home/carol::"
	check imapd --passwd-file="$PASSWD"
	[ "$status" -eq 1 ]
	has_line "warning: $PASSWD:2: user bob: the home $TEST_ROOT/home/bob does not exist"
	has_line "error: $PASSWD:3: user carol: home is not absolute: refused at login"
}

@test "check-config: a duplicate user name is a warning" {
	passwd_with "alice:{SSHA}xx:0:0::$TEST_HOME::"
	check pop3d --passwd-file="$PASSWD"
	[ "$status" -eq 0 ]
	has_line "warning: $PASSWD:2: user alice: duplicate of line 1 (the first wins)"
	has_line "ok: passwd file $PASSWD: 1 user"
}

@test "check-config: an invalid user name is an error" {
	passwd_with $'b\x01b:'"$HASH_SECRET"':%U:%G::'"$TEST_HOME"'::'
	check pop3d --passwd-file="$PASSWD"
	[ "$status" -eq 1 ]
	has_line "error: $PASSWD:2: invalid user name \"b?b\": that user can never log in"
}

@test "check-config: PAM without its service file is a warning" {
	check pop3d --pam-service=check-config-nonexistent
	[ "$status" -eq 0 ]
	has_line "warning: PAM: /etc/pam.d/check-config-nonexistent does not exist: PAM uses /etc/pam.d/other"
	# without root, imapd with --pam-service still uses PAM
	check imapd --pam-service=check-config-nonexistent
	[ "$status" -eq 0 ]
	has_line "warning: PAM: /etc/pam.d/check-config-nonexistent does not exist: PAM uses /etc/pam.d/other"
}

@test "check-config: the running user" {
	local name
	if is_root; then
		check pop3d --passwd-file="$PASSWD"
		has_line "ok: running as root: input before login is read as nobody (uid $(id -u nobody)); each session drops to its user's uid"
		check pop3d --passwd-file="$PASSWD" --login-user=no-such-user
		[ "$status" -eq 1 ]
		has_line "error: login user no-such-user does not exist (--login-user): every session would be refused"
		command -v setpriv >/dev/null || skip "setpriv not installed"
		run setpriv --reuid=4242 --regid=4242 --clear-groups \
		    "$BIN_DIR/imapd" --check-config < /dev/null
		name=$(getent passwd 4242 | cut -d: -f1)
		name=${name:-uid 4242}
	else
		check imapd
		name=$(id -un)
	fi
	[ "$status" -eq 0 ]
	has_line "ok: not running as root: only the invoking user $name is served, without a password (PREAUTH)"
	lacks "PAM"
}
