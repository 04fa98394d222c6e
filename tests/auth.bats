#!/usr/bin/env bats
# Authentication end to end through pop3d: the passwd file (Dovecot's
# format, crypt(3) hashes, {SCHEME} prefixes, defaults), failures and
# temporary failures, the delay, and the privilege drop.

load helpers
load lib/auth

OK0="+OK Logged in, 0 messages (0 octets)"
FAILED="-ERR [AUTH] Authentication failed"
TEMPFAIL="-ERR [SYS/TEMP] Temporary authentication failure"

setup() {
	common_setup
}

teardown() {
	auth_bg_end 2>/dev/null || true
	common_teardown
}

# login USER PASS [OPTIONS...]: USER/PASS then QUIT; the answer to PASS is
# in $answer.
login() {
	local user=$1 pass=$2; shift 2
	pop3_session "$@" <<-EOF
	USER $user
	PASS $pass
	QUIT
	EOF
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "+OK POP3 server ready" ]
	[ "${lines[1]}" = "+OK Send your password" ]
	answer=${lines[2]}
}

# login_plain USER PASS [OPTIONS...]: the same with AUTH PLAIN.
login_plain() {
	local user=$1 pass=$2; shift 2
	pop3_session "$@" <<-EOF
	AUTH PLAIN $(auth_b64 "\\0$user\\0$pass")
	QUIT
	EOF
	[ "$status" -eq 0 ]
	answer=${lines[1]}
}

@test "passwd: every crypt(3) hash and Dovecot {SCHEME} prefix logs in" {
	local h5 h1 h6 hy h2
	h6=$(openssl passwd -6 -salt s6salt 'pa ss')
	h5=$(openssl passwd -5 -salt s5salt 'pa ss')
	h1=$(openssl passwd -1 -salt s1salt 'pa ss')
	hy=$(perl -e 'print crypt("pa ss", "\$y\$j9T\$F5Jx5fExrKuPp53xLKQ..0\$")')
	h2=$(perl -e 'print crypt("pa ss", "\$2b\$05\$abcdefghijklmnopqrstuu")')
	[ "${hy:0:3}" = '$y$' ] && [ "${h2:0:4}" = '$2b$' ]
	auth_entry sha512 "$h6"
	auth_entry sha256 "$h5"
	auth_entry md5 "$h1"
	auth_entry yescrypt "$hy"
	auth_entry bcrypt "$h2"
	auth_entry crypt "{CRYPT}$hy"
	auth_entry sha512p "{SHA512-CRYPT}$h6"
	auth_entry sha256p "{SHA256-CRYPT}$h5"
	auth_entry md5p "{MD5-CRYPT}$h1"
	auth_entry blfp "{BLF-CRYPT}$h2"
	auth_entry lower "{sha512-crypt}$h6"
	local u
	for u in sha512 sha256 md5 yescrypt bcrypt crypt sha512p sha256p md5p \
	    blfp lower; do
		login "$u" 'pa ss'
		[ "$answer" = "$OK0" ] || { echo "$u: $answer"; false; }
		login "$u" 'pa sS'
		[ "$answer" = "$FAILED" ] || { echo "$u: $answer"; false; }
	done
	login_plain yescrypt 'pa ss'
	[ "$answer" = "$OK0" ]
	login_plain bcrypt 'pa s'
	[ "$answer" = "$FAILED" ]
}

@test "passwd: {PLAIN} and {CLEARTEXT} compare the whole password" {
	auth_entry plain '{PLAIN}hunter2'
	auth_entry clear '{CLEARTEXT}hunter2'
	login plain hunter2
	[ "$answer" = "$OK0" ]
	login clear hunter2
	[ "$answer" = "$OK0" ]
	login plain hunter
	[ "$answer" = "$FAILED" ]
	login plain hunter22
	[ "$answer" = "$FAILED" ]
	login plain '{PLAIN}hunter2'
	[ "$answer" = "$FAILED" ]
}

@test "passwd: unknown scheme, empty or locked password -> the same failure as an unknown user" {
	auth_entry ssha '{SSHA}hunter2'
	auth_entry nopw ''
	auth_entry emptyplain '{PLAIN}'
	auth_entry locked '!'
	auth_entry star '*'
	login nosuchuser secret
	[ "$answer" = "$FAILED" ]
	login ssha hunter2
	[ "$answer" = "$FAILED" ]
	login ssha '{SSHA}hunter2'
	[ "$answer" = "$FAILED" ]
	login nopw x
	[ "$answer" = "$FAILED" ]
	login emptyplain x
	[ "$answer" = "$FAILED" ]
	login locked '!'
	[ "$answer" = "$FAILED" ]
	login star '*'
	[ "$answer" = "$FAILED" ]
	login_plain nopw x
	[ "$answer" = "$FAILED" ]
}

@test "passwd: comments, blank lines, CRLF and a last line without LF" {
	{
		echo "# alice:{PLAIN}commented:$TEST_UID:$TEST_GID::$TEST_HOME::"
		echo
		printf 'crlf:{PLAIN}pw:%s:%s::%s::\r\n' "$TEST_UID" "$TEST_GID" \
		    "$TEST_HOME"
		printf 'last:{PLAIN}pw:%s:%s::%s' "$TEST_UID" "$TEST_GID" \
		    "$TEST_HOME"
	} > "$PASSWD"
	login alice secret
	[ "$answer" = "$FAILED" ]
	login alice commented
	[ "$answer" = "$FAILED" ]
	login crlf pw
	[ "$answer" = "$OK0" ]
	login last pw
	[ "$answer" = "$OK0" ]
}

@test "passwd: the first entry for a user wins" {
	auth_entry alice '{PLAIN}second'
	login alice second
	[ "$answer" = "$FAILED" ]
	login alice secret
	[ "$answer" = "$OK0" ]
}

@test "passwd: empty uid, gid and home come from --default-uid/--default-gid/--default-home" {
	mkdir -p "$TEST_ROOT/home/dflt/Maildir/"{cur,new,tmp}
	fix_owner
	echo "dflt:{PLAIN}pw:::::" >> "$PASSWD"
	login dflt pw --default-uid="$TEST_UID" --default-gid="$TEST_GID" \
	    --default-home="$TEST_ROOT/home/%u"
	[ "$answer" = "$OK0" ]
	# trailing fields may be left out altogether
	echo "short:{PLAIN}pw" >> "$PASSWD"
	mkdir -p "$TEST_ROOT/home/short/Maildir/"{cur,new,tmp}
	fix_owner
	login short pw --default-uid="$TEST_UID" --default-gid="$TEST_GID" \
	    --default-home="$TEST_ROOT/home/%u"
	[ "$answer" = "$OK0" ]
}

@test "passwd: an entry without uid, gid or home and no default -> temporary failure after the password check" {
	echo "dflt:{PLAIN}pw:::::" >> "$PASSWD"
	login dflt pw
	[ "$answer" = "$TEMPFAIL" ]
	login dflt pw --default-uid="$TEST_UID" --default-gid="$TEST_GID"
	[ "$answer" = "$TEMPFAIL" ]
	login dflt pw --default-uid="$TEST_UID" \
	    --default-home="$TEST_ROOT/home/%u"
	[ "$answer" = "$TEMPFAIL" ]
	# a wrong password says nothing about the entry
	login dflt wrong
	[ "$answer" = "$FAILED" ]
}

@test "passwd: uid 0 and malformed ids -> temporary failure" {
	auth_entry root '{PLAIN}pw' 0 0 "$TEST_HOME"
	auth_entry rootuid '{PLAIN}pw' 0 "$TEST_GID" "$TEST_HOME"
	auth_entry baduid '{PLAIN}pw' abc "$TEST_GID" "$TEST_HOME"
	auth_entry badgid '{PLAIN}pw' "$TEST_UID" -1 "$TEST_HOME"
	auth_entry relhome '{PLAIN}pw' "$TEST_UID" "$TEST_GID" "home/x"
	local u
	for u in root rootuid baduid badgid relhome; do
		login "$u" pw
		[ "$answer" = "$TEMPFAIL" ] || { echo "$u: $answer"; false; }
	done
	login root wrong
	[ "$answer" = "$FAILED" ]
}

@test "passwd: not root, a uid other than the server's -> temporary failure" {
	is_root && skip "as root every uid but 0 is served"
	auth_entry stranger '{PLAIN}pw' "$((TEST_UID + 1))" "$TEST_GID"
	login stranger pw
	[ "$answer" = "$TEMPFAIL" ]
}

@test "passwd: a missing passwd file -> temporary failure" {
	rm -f "$PASSWD"
	login alice secret
	[ "$answer" = "$TEMPFAIL" ]
}

@test "passwd: names with ':' or control characters never match" {
	login_plain 'alice:$6$x' secret
	[ "$answer" = "$FAILED" ]
	login_plain 'ali\tce' secret
	[ "$answer" = "$FAILED" ]
	login_plain 'alice\r' secret
	[ "$answer" = "$FAILED" ]
}

@test "passwd: the file is read again on every attempt" {
	auth_bg_start "$BIN_DIR/pop3d" --passwd-file="$PASSWD" --auth-delay=0
	auth_bg_send "USER alice"
	auth_bg_send "PASS changed"
	auth_bg_wait "$(printf '%s' "$FAILED" | sed 's/[][]/\\&/g')"
	sed -i "s|^alice:[^:]*:|alice:{PLAIN}changed:|" "$PASSWD"
	auth_bg_send "USER alice"
	auth_bg_send "PASS changed"
	auth_bg_wait '\+OK Logged in, .*'
	auth_bg_send "QUIT"
	auth_bg_end
	grep -qx '+OK Bye.*' <<< "$output"
}

@test "passwd: userdb_mail= in the extra field chooses the mail location" {
	mkdir -p "$TEST_HOME/Other/"{cur,new,tmp}
	printf 'Subject: x\n\nbody\n' > "$TEST_HOME/Other/new/1.M1P1.host"
	fix_owner
	auth_entry mailuser '{PLAIN}pw' "$TEST_UID" "$TEST_GID" "$TEST_HOME" \
	    "userdb_mail=maildir:~/Other"
	login mailuser pw
	[ "$answer" = "+OK Logged in, 1 message (20 octets)" ]
	login alice secret
	[ "$answer" = "$OK0" ]
}

@test "delay: a wrong password and an unknown user both cost --auth-delay, success does not" {
	local ms
	ms=$(auth_ms "$BIN_DIR/pop3d" --passwd-file="$PASSWD" --auth-delay=1 \
	    < <(printf 'USER alice\r\nPASS wrong\r\nQUIT\r\n'))
	grep -qxF -- "$FAILED"$'\r' "$TEST_ROOT/ms.out"
	[ "$ms" -ge 1000 ] && [ "$ms" -lt 1900 ]
	ms=$(auth_ms "$BIN_DIR/pop3d" --passwd-file="$PASSWD" --auth-delay=1 \
	    < <(printf 'USER nosuchuser\r\nPASS wrong\r\nQUIT\r\n'))
	grep -qxF -- "$FAILED"$'\r' "$TEST_ROOT/ms.out"
	[ "$ms" -ge 1000 ] && [ "$ms" -lt 1900 ]
	ms=$(auth_ms "$BIN_DIR/pop3d" --passwd-file="$PASSWD" --auth-delay=1 \
	    < <(printf 'USER alice\r\nPASS secret\r\nQUIT\r\n'))
	grep -qxF -- "$OK0"$'\r' "$TEST_ROOT/ms.out"
	[ "$ms" -lt 900 ]
}

@test "privileges: the logged-in session runs as the entry's uid and gid, in its home" {
	auth_bg_start "$BIN_DIR/pop3d" --passwd-file="$PASSWD" --auth-delay=0
	auth_bg_send "USER alice"
	auth_bg_send "PASS secret"
	auth_bg_wait '\+OK Logged in, .*'
	[ "$(cat "/proc/$AUTH_BG_PID/comm")" = pop3d ]
	[ "$(auth_proc_field "$AUTH_BG_PID" Uid)" = \
	    "$TEST_UID $TEST_UID $TEST_UID $TEST_UID" ]
	[ "$(auth_proc_field "$AUTH_BG_PID" Gid)" = \
	    "$TEST_GID $TEST_GID $TEST_GID $TEST_GID" ]
	if is_root; then
		# a virtual user gets its gid as the only group, no capabilities
		[ "$(auth_proc_field "$AUTH_BG_PID" Groups)" = "$TEST_GID" ]
		[ "$(auth_proc_field "$AUTH_BG_PID" CapEff)" = \
		    0000000000000000 ]
		[ "$(auth_proc_field "$AUTH_BG_PID" CapPrm)" = \
		    0000000000000000 ]
	fi
	[ "$(readlink "/proc/$AUTH_BG_PID/cwd")" = "$TEST_HOME" ]
	auth_bg_send "QUIT"
	auth_bg_end
}

@test "privileges: as root, before login only the monitor is root and the client talks to nobody; after, 4242 owns what it creates" {
	is_root || skip "needs root"
	rm -rf "$MAILDIR"
	auth_bg_start "$BIN_DIR/pop3d" --passwd-file="$PASSWD" --auth-delay=0
	auth_bg_wait '\+OK POP3 server ready'
	[ "$(auth_proc_field "$AUTH_BG_PID" Uid)" = "0 0 0 0" ]
	local login
	login=$(cat /proc/"$AUTH_BG_PID"/task/*/children)
	[ "$(auth_proc_field $login Uid | cut -d' ' -f1)" = "$(id -u nobody)" ]
	auth_bg_send "USER alice"
	auth_bg_send "PASS secret"
	auth_bg_wait '\+OK Logged in, .*'
	auth_bg_send "QUIT"
	auth_bg_end
	# the store created the missing Maildir as the user
	[ -d "$MAILDIR" ]
	[ "$(stat -c %u:%g "$MAILDIR")" = 4242:4242 ]
	run find "$MAILDIR" ! -user 4242
	[ "$output" = "" ]
}

@test "privileges: a home the user cannot enter -> the session ends with -ERR" {
	is_root || skip "an ordinary user can enter his own directories"
	auth_entry lockout '{PLAIN}pw' "$TEST_UID" "$TEST_GID" \
	    "$TEST_ROOT/locked/home"
	chmod 700 "$TEST_ROOT/locked"
	login lockout pw
	[ "${answer:0:5}" = "-ERR " ]
	[ "$answer" != "$FAILED" ]
}
