#!/usr/bin/env bats
# Authentication through PAM, without system users and without /etc:
# pam_wrapper loads our service files, pam_matrix checks the passwords,
# pam_exec records PAM_RHOST, and nss_wrapper gives getpwnam its users.

load helpers
load lib/auth

OK0="+OK Logged in, 0 messages (0 octets)"
FAILED="-ERR [AUTH] Authentication failed"
TEMPFAIL="-ERR [SYS/TEMP] Temporary authentication failure"

PAM_LIBDIR=/usr/lib/x86_64-linux-gnu
PAM_MATRIX=$PAM_LIBDIR/pam_wrapper/pam_matrix.so
PAM_EXEC=$PAM_LIBDIR/security/pam_exec.so
PAM_DENY=$PAM_LIBDIR/security/pam_deny.so

setup() {
	local lib
	for lib in "$PAM_LIBDIR/libpam_wrapper.so" \
	    "$PAM_LIBDIR/libnss_wrapper.so" "$PAM_MATRIX" "$PAM_EXEC"; do
		[ -e "$lib" ] || skip "$lib missing (libpam-wrapper, libnss-wrapper)"
	done
	common_setup
	PAM_DIR=$TEST_ROOT/pam.d
	PASSDB=$TEST_ROOT/passdb
	RHOST_LOG=$TEST_ROOT/rhost.log
	mkdir -p "$PAM_DIR"
	cat > "$TEST_ROOT/rhost.sh" <<-EOF
	#!/bin/sh
	echo "rhost=\$PAM_RHOST user=\$PAM_USER service=\$PAM_SERVICE" \
	    >> "$RHOST_LOG"
	EOF
	chmod 755 "$TEST_ROOT/rhost.sh"
	local svc
	for svc in pop3 imap; do
		cat > "$PAM_DIR/$svc" <<-EOF
		auth optional $PAM_EXEC quiet $TEST_ROOT/rhost.sh
		auth required $PAM_MATRIX passdb=$PASSDB
		account required $PAM_MATRIX passdb=$PASSDB
		EOF
	done
	# the fallback for unknown services (quiets pam_wrapper's complaint)
	cat > "$PAM_DIR/other" <<-EOF
	auth required $PAM_DENY
	account required $PAM_DENY
	EOF
	cat > "$PASSDB" <<-EOF
	alice:secret:pop3
	alice:secret:imap
	bob:bobpw:imap
	ghost:ghostpw:pop3
	toor:toorpw:pop3
	stranger:strangerpw:pop3
	EOF
	cat > "$TEST_ROOT/nss_passwd" <<-EOF
	alice:x:$TEST_UID:$TEST_GID:Alice:$TEST_HOME:/bin/sh
	bob:x:$TEST_UID:$TEST_GID:Bob:$TEST_HOME:/bin/sh
	toor:x:0:0:root:/root:/bin/sh
	stranger:x:$((TEST_UID + 1)):$TEST_GID:Stranger:$TEST_HOME:/bin/sh
	nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
	EOF
	cat > "$TEST_ROOT/nss_group" <<-EOF
	alice:x:$TEST_GID:
	mailers:x:4300:alice
	EOF
	# An ASan build must have its runtime first in LD_PRELOAD.
	local preload asan
	preload="libpam_wrapper.so libnss_wrapper.so"
	asan=$(ldd "$BIN_DIR/pop3d" 2>/dev/null |
	    awk '/libasan/ { print $3 }')
	[ -n "$asan" ] && preload="$asan $preload"
	PAM_ENV=(env LD_PRELOAD="$preload" PAM_WRAPPER=1
	    PAM_WRAPPER_SERVICE_DIR="$PAM_DIR" PAM_WRAPPER_DISABLE_DEEPBIND=1
	    NSS_WRAPPER_PASSWD="$TEST_ROOT/nss_passwd"
	    NSS_WRAPPER_GROUP="$TEST_ROOT/nss_group")
}

teardown() {
	auth_bg_end 2>/dev/null || true
	common_teardown
}

# pam_login USER PASS [ENV...]: USER/PASS/QUIT through PAM; the answer
# to PASS is in $answer.  ENV (VAR=value) goes to the server.
pam_login() {
	local user=$1 pass=$2; shift 2
	session "${PAM_ENV[@]}" "$@" "$BIN_DIR/pop3d" --auth-delay=0 <<-EOF
	USER $user
	PASS $pass
	QUIT
	EOF
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "+OK POP3 server ready" ]
	[ "${lines[1]}" = "+OK Send your password" ]
	answer=${lines[2]}
}

@test "PAM: the right password -> logged in" {
	pam_login alice secret
	[ "$answer" = "$OK0" ]
	[ "${lines[3]}" = "+OK Bye, 0 messages deleted" ]
	[ "${#lines[@]}" -eq 4 ]
}

@test "PAM: a wrong password and an unknown user -> the same -ERR" {
	pam_login alice wrong
	[ "$answer" = "$FAILED" ]
	pam_login nosuchuser secret
	[ "$answer" = "$FAILED" ]
	pam_login alice ''
	[ "${lines[2]:0:5}" = "-ERR " ]
}

@test "PAM: AUTH PLAIN goes through PAM as well" {
	session "${PAM_ENV[@]}" "$BIN_DIR/pop3d" --auth-delay=0 <<-EOF
	AUTH PLAIN $(auth_b64 '\0alice\0wrong')
	AUTH PLAIN $(auth_b64 '\0alice\0secret')
	QUIT
	EOF
	[ "${lines[1]}" = "$FAILED" ]
	[ "${lines[2]}" = "$OK0" ]
}

@test "PAM: account management refuses a user of another service" {
	# pam_matrix's account check: bob may use imap, not pop3
	pam_login bob bobpw
	[ "$answer" = "$FAILED" ]
}

@test "PAM: PAM_RHOST is the client address, unset on a pipe" {
	pam_login alice secret REMOTE_ADDR=127.0.0.3
	[ "$answer" = "$OK0" ]
	[ "$(cat "$RHOST_LOG")" = "rhost=127.0.0.3 user=alice service=pop3" ]
	rm -f "$RHOST_LOG"
	pam_login alice secret
	[ "$(cat "$RHOST_LOG")" = "rhost= user=alice service=pop3" ]
}

@test "PAM: --pam-service names the service file" {
	session "${PAM_ENV[@]}" "$BIN_DIR/pop3d" --auth-delay=0 \
	    --pam-service=imap <<-EOF
	USER bob
	PASS bobpw
	QUIT
	EOF
	[ "${lines[2]}" = "$OK0" ]
	[ "$(cat "$RHOST_LOG")" = "rhost= user=bob service=imap" ]
	# an unknown service falls back to "other" (here: deny)
	session "${PAM_ENV[@]}" "$BIN_DIR/pop3d" --auth-delay=0 \
	    --pam-service=nosuch <<-EOF
	USER alice
	PASS secret
	QUIT
	EOF
	[ "${lines[2]}" = "$FAILED" ]
}

@test "PAM: backend trouble (no password database) -> temporary failure" {
	sed -i "s|passdb=$PASSDB|passdb=$TEST_ROOT/nonexistent|" "$PAM_DIR/pop3"
	pam_login alice secret
	[ "$answer" = "$TEMPFAIL" ]
}

@test "PAM: a PAM user without a passwd entry -> temporary failure" {
	pam_login ghost ghostpw
	[ "$answer" = "$TEMPFAIL" ]
}

@test "PAM: a user with uid 0 -> temporary failure" {
	pam_login toor toorpw
	[ "$answer" = "$TEMPFAIL" ]
	pam_login toor wrong
	[ "$answer" = "$FAILED" ]
}

@test "PAM: not root, a user with another uid -> temporary failure" {
	is_root && skip "as root every uid but 0 is served"
	pam_login stranger strangerpw
	[ "$answer" = "$TEMPFAIL" ]
}

@test "PAM: the session runs as the system user with its groups, in its home" {
	auth_bg_start "${PAM_ENV[@]}" "$BIN_DIR/pop3d" --auth-delay=0
	auth_bg_send "USER alice"
	auth_bg_send "PASS secret"
	auth_bg_wait '\+OK Logged in, .*'
	[ "$(cat "/proc/$AUTH_BG_PID/comm")" = pop3d ]
	[ "$(auth_proc_field "$AUTH_BG_PID" Uid)" = \
	    "$TEST_UID $TEST_UID $TEST_UID $TEST_UID" ]
	[ "$(auth_proc_field "$AUTH_BG_PID" Gid)" = \
	    "$TEST_GID $TEST_GID $TEST_GID $TEST_GID" ]
	if is_root; then
		# initgroups: the primary group and "mailers" from the group file
		[ "$(auth_proc_field "$AUTH_BG_PID" Groups)" = "4242 4300" ]
		[ "$(auth_proc_field "$AUTH_BG_PID" CapEff)" = \
		    0000000000000000 ]
	fi
	[ "$(readlink "/proc/$AUTH_BG_PID/cwd")" = "$TEST_HOME" ]
	auth_bg_send "QUIT"
	auth_bg_end
}

@test "PAM: imapd LOGIN uses the imap service" {
	[ -x "$BIN_DIR/imapd" ] || skip "no imapd"
	is_root || skip "started by a user, imapd serves that user (PREAUTH)"
	session "${PAM_ENV[@]}" "$BIN_DIR/imapd" --auth-delay=0 <<-EOF
	a LOGIN bob wrong
	b LOGIN bob bobpw
	c LOGOUT
	EOF
	[ "${lines[1]:0:5}" = "a NO " ]
	[ "${lines[2]:0:5}" = "b OK " ]
	[ "$(tail -n 1 "$RHOST_LOG")" = "rhost= user=bob service=imap" ]
}

@test "PAM: the shipped contrib/pam.d/pop3 and imap include common-auth and common-account" {
	local contrib=$BATS_TEST_DIRNAME/../contrib/pam.d svc
	[ "$(grep -v '^#' "$contrib/pop3")" = "@include common-auth
@include common-account" ]
	cmp "$contrib/pop3" <(sed 's/"imap" for imapd/"pop3" for pop3d/;
	    s/imapd/pop3d/g; s|pam.d/imap|pam.d/pop3|' "$contrib/imap")
	# Linux-PAM resolves a relative @include in /etc/pam.d, whatever the
	# service directory: point the includes at ours.
	for svc in pop3 imap; do
		sed "s|^@include |@include $PAM_DIR/|" "$contrib/$svc" \
		    > "$PAM_DIR/$svc"
	done
	# what Debian's common-* would do, with pam_matrix instead of pam_unix
	printf 'auth required %s passdb=%s\n' "$PAM_MATRIX" "$PASSDB" \
	    > "$PAM_DIR/common-auth"
	printf 'account required %s passdb=%s\n' "$PAM_MATRIX" "$PASSDB" \
	    > "$PAM_DIR/common-account"
	pam_login alice secret
	[ "$answer" = "$OK0" ]
	pam_login alice wrong
	[ "$answer" = "$FAILED" ]
	pam_login bob bobpw
	[ "$answer" = "$FAILED" ]
	# and without the account stack bob would get in
	printf 'account required %s/security/pam_permit.so\n' "$PAM_LIBDIR" \
	    > "$PAM_DIR/common-account"
	pam_login bob bobpw
	[ "$answer" = "$OK0" ]
	[ ! -e "$RHOST_LOG" ]
}
