#!/usr/bin/env bats
# Deployment files: systemd units, fail2ban filter, make install, launchers.

load helpers
load lib/launch
load lib/tls

REPO=$BATS_TEST_DIRNAME/..

setup() {
	common_setup
}

teardown() {
	launch_stop
	common_teardown
}

@test "systemd-analyze verify: every unit in contrib/systemd, no output" {
	command -v systemd-analyze >/dev/null || skip "systemd-analyze missing"
	mkdir "$TEST_ROOT/units"
	cp "$REPO"/contrib/systemd/*.socket "$REPO"/contrib/systemd/*.service \
	    "$TEST_ROOT/units/"
	sed -i "s|/usr/local/sbin/|$BIN_DIR/|" "$TEST_ROOT"/units/*.service
	grep -q "ExecStart=$BIN_DIR/imapd --implicit-tls " \
	    "$TEST_ROOT/units/imaps@.service"
	grep -q "ExecStart=$BIN_DIR/pop3d --implicit-tls " \
	    "$TEST_ROOT/units/pop3s@.service"
	cd "$TEST_ROOT/units"
	run systemd-analyze verify --man=no imapd.socket imapd@.service \
	    pop3d.socket pop3d@.service imaps.socket imaps@.service \
	    pop3s.socket pop3s@.service
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	grep -qx "ListenStream=993" imaps.socket
	grep -qx "ListenStream=995" pop3s.socket
}

# log_failures: failed logins (and one good one) through both servers from
# 192.0.2.7 with --log-stderr; the stderr lines, prefixed with a syslog
# timestamp and host, in $TEST_ROOT/mail.log.
log_failures() {
	local o="--passwd-file=$PASSWD --auth-delay=0 --allow-plaintext"
	{
		printf 'USER alice\r\nPASS wrong\r\nQUIT\r\n' |
		    REMOTE_ADDR=192.0.2.7 "$BIN_DIR/pop3d" $o --log-stderr
		printf 'USER alice\r\nPASS secret\r\nQUIT\r\n' |
		    REMOTE_ADDR=192.0.2.7 "$BIN_DIR/pop3d" $o --log-stderr
		printf 'a LOGIN alice wrong\r\nb AUTHENTICATE PLAIN %s\r\nc LOGOUT\r\n' \
		    "$(printf '\0alice\0bad' | base64)" |
		    REMOTE_ADDR=192.0.2.7 "$BIN_DIR/imapd" $o --log-stderr
		# a user name that tries to plant another address
		printf 'a LOGIN "x> mech=LOGIN rip=198.51.100.9" wrong\r\nb LOGOUT\r\n' |
		    REMOTE_ADDR=192.0.2.7 "$BIN_DIR/imapd" $o --log-stderr
		printf 'a LOGIN alice secret\r\nb LOGOUT\r\n' |
		    REMOTE_ADDR=192.0.2.7 "$BIN_DIR/imapd" $o --log-stderr
	} 2>"$TEST_ROOT/stderr.log" >"$TEST_ROOT/stdout.log"
	sed 's/^/Nov 22 05:50:01 mailhost /' "$TEST_ROOT/stderr.log" \
	    > "$TEST_ROOT/mail.log"
}

@test "--log-stderr writes syslog-format lines; fd 2 = client: ignored" {
	log_failures
	grep -Eq '^pop3d\[[0-9]+\]: auth: failed user=<alice> mech=USER rip=192\.0\.2\.7$' \
	    "$TEST_ROOT/stderr.log"
	grep -Eq '^imapd\[[0-9]+\]: auth: ok user=<alice> mech=LOGIN rip=192\.0\.2\.7$' \
	    "$TEST_ROOT/stderr.log"
	# the protocol stream is untouched
	! grep -q 'auth:' "$TEST_ROOT/stdout.log"
	grep -q '^+OK' "$TEST_ROOT/stdout.log"
	# under inetd fd 2 is the client: nothing may reach it
	run bash -c 'printf "USER alice\r\nPASS wrong\r\nQUIT\r\n" |
	    "$1" --passwd-file="$2" --auth-delay=0 --allow-plaintext \
	    --log-stderr 2>&1' _ "$BIN_DIR/pop3d" "$PASSWD"
	[ "$status" -eq 0 ]
	[[ "$output" != *"auth:"* ]]
	[[ "$output" != *"pop3d["* ]]
}

@test "fail2ban-regex: the filter matches real failed logins, with the client IP" {
	command -v fail2ban-regex >/dev/null || skip "fail2ban not installed"
	log_failures
	# the filter includes common.conf from fail2ban's own filter.d
	mkdir -p "$TEST_ROOT/f2b/filter.d"
	cp /etc/fail2ban/filter.d/common.conf "$TEST_ROOT/f2b/filter.d/"
	cp "$REPO/contrib/fail2ban/filter.d/imapd-pop3d.conf" \
	    "$TEST_ROOT/f2b/filter.d/"
	f=$TEST_ROOT/f2b/filter.d/imapd-pop3d.conf
	run fail2ban-regex -o ip "$TEST_ROOT/mail.log" "$f"
	[ "$status" -eq 0 ]
	# pop3d USER/PASS, imapd LOGIN, AUTHENTICATE PLAIN, planted name
	[ "$output" = $'192.0.2.7\n192.0.2.7\n192.0.2.7\n192.0.2.7' ]
	grep -q "auth: ok user=<alice>" "$TEST_ROOT/mail.log"
	run fail2ban-regex --print-all-matched --print-no-missed "$TEST_ROOT/mail.log" "$f"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Lines: "*" 4 matched"* ]]
	[[ "$output" == *"pop3d["*"]: auth: failed user=<alice> mech=USER"* ]]
	[[ "$output" == *"imapd["*"]: auth: failed user=<alice> mech=PLAIN"* ]]
	[[ "$output" != *"auth: ok"* ]]
	# the journal's format (backend = systemd) matches as well
	printf 'mailhost imapd[42]: auth: failed user=<bob> mech=LOGIN rip=203.0.113.5\n' \
	    > "$TEST_ROOT/journal.log"
	run fail2ban-regex -o ip "$TEST_ROOT/journal.log" "$f"
	[ "$status" -eq 0 ]
	[ "$output" = "203.0.113.5" ]
	# the jail names the filter, the mail ports and maxretry 5
	j=$REPO/contrib/fail2ban/jail.d/imapd-pop3d.conf
	grep -qx 'filter   = imapd-pop3d' "$j"
	grep -qx 'port     = imap,imaps,pop3,pop3s' "$j"
	grep -qx 'maxretry = 5' "$j"
	grep -qx 'backend  = auto' "$j"
	# fail2ban itself reads the jail: its dump names filter and limits
	cp -R /etc/fail2ban "$TEST_ROOT/f2bconf"
	cp "$f" "$TEST_ROOT/f2bconf/filter.d/"
	cp "$j" "$TEST_ROOT/f2bconf/jail.d/"
	run fail2ban-client -c "$TEST_ROOT/f2bconf" -d
	[[ "$output" == *"['add', 'imapd-pop3d', 'auto']"* ]]
	[[ "$output" == *"['set', 'imapd-pop3d', 'maxretry', 5]"* ]]
	[[ "$output" == *"['set', 'imapd-pop3d', 'addjournalmatch', 'SYSLOG_IDENTIFIER=imapd', '+', 'SYSLOG_IDENTIFIER=pop3d']"* ]]
}

@test "make install DESTDIR PREFIX=/usr: binaries, man pages, units, PAM, fail2ban" {
	command -v make >/dev/null || skip "make missing"
	d=$TEST_ROOT/dest
	# an admin's own PAM file is kept
	mkdir -p "$d/etc/pam.d"
	echo "# mine" > "$d/etc/pam.d/imap"
	run make -s -C "$REPO" install DESTDIR="$d" PREFIX=/usr O="$BIN_DIR"
	[ "$status" -eq 0 ]
	for f in usr/sbin/imapd usr/sbin/pop3d \
	    usr/share/man/man8/imapd.8 usr/share/man/man8/pop3d.8 \
	    usr/share/man/man5/imapd-passwd.5 \
	    etc/pam.d/imap etc/pam.d/pop3 \
	    etc/fail2ban/filter.d/imapd-pop3d.conf \
	    etc/fail2ban/jail.d/imapd-pop3d.conf \
	    usr/share/doc/imapd/contrib/stunnel/imaps.conf \
	    usr/share/doc/imapd/contrib/stunnel/pop3s.conf \
	    usr/share/doc/imapd/contrib/inetd.conf \
	    usr/share/doc/imapd/contrib/xinetd.d/imaps \
	    usr/share/doc/imapd/contrib/xinetd.d/pop3s; do
		[ -f "$d/$f" ] || { echo "missing $f"; false; }
	done
	[ -x "$d/usr/sbin/imapd" ]
	[ "$(cat "$d/etc/pam.d/imap")" = "# mine" ]
	cmp "$REPO/contrib/pam.d/pop3" "$d/etc/pam.d/pop3"
	u=$d/usr/lib/systemd/system
	for f in imapd.socket imapd@.service pop3d.socket pop3d@.service \
	    imaps.socket imaps@.service pop3s.socket pop3s@.service; do
		[ -f "$u/$f" ] || { echo "missing unit $f"; false; }
	done
	grep -q '^ExecStart=/usr/sbin/imapd --implicit-tls ' "$u/imaps@.service"
	grep -q '^ExecStart=/usr/sbin/pop3d --tls-cert=' "$u/pop3d@.service"
	! grep -rq /usr/local/sbin "$u"
}

@test "systemd-socket-activate --inetd: plain greeting and implicit TLS handshake" {
	command -v systemd-socket-activate >/dev/null ||
	    skip "systemd-socket-activate missing"
	[ -x "$STUNNEL" ] || skip "stunnel4 not installed"
	tls_cert "$TEST_ROOT"
	LAUNCH_USE_SOCAT=
	launch_start "$BIN_DIR/imapd" $(tls_args)
	run timeout 10 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$1
	    printf "a LOGOUT\r\n" >&3; tr -d "\r" <&3' _ "$LAUNCH_PORT"
	[[ "${lines[0]}" == "* OK ["*"STARTTLS"* ]]
	[[ "$output" == *$'\na OK LOGOUT completed'* ]]
	launch_stop
	launch_start "$BIN_DIR/pop3d" $(tls_args) --implicit-tls
	run timeout 20 bash -c "printf 'QUIT\r\n' | openssl s_client -quiet \
	    -verify_return_error -CAfile '$TEST_ROOT/cert.pem' \
	    -connect 127.0.0.1:$LAUNCH_PORT 2>/dev/null | tr -d '\r'"
	[ "${lines[0]}" = "+OK POP3 server ready" ]
	[[ "$output" == *$'\n+OK'* ]]
	launch_stop
	launch_start "$BIN_DIR/imapd" $(tls_args) --implicit-tls
	run timeout 20 bash -c "printf 'a LOGOUT\r\n' | openssl s_client -quiet \
	    -verify_return_error -CAfile '$TEST_ROOT/cert.pem' \
	    -connect 127.0.0.1:$LAUNCH_PORT 2>/dev/null | tr -d '\r'"
	[[ "${lines[0]}" == "* OK ["*"imapd ready" ]]
	[[ "${lines[0]}" != *STARTTLS* ]]
	[[ "$output" == *$'\na OK LOGOUT completed'* ]]
}

@test "contrib/stunnel/pop3s.conf: stunnel in front of pop3d --tls" {
	[ -x "$STUNNEL" ] || skip "stunnel4 not installed"
	tls_cert "$TEST_ROOT"
	port=$(launch_free_port)
	sed -e "s|^accept = 995|accept = 127.0.0.1:$port|" \
	    -e "s|^cert = .*|cert = $TEST_ROOT/cert.pem|" \
	    -e "s|^key = .*|key = $TEST_ROOT/key.pem|" \
	    -e "s|/usr/local/sbin/pop3d|$BIN_DIR/pop3d|" \
	    -e "s|^execArgs = pop3d --tls|& --passwd-file=$PASSWD --auth-delay=0|" \
	    -e 's|^syslog = yes|&\nforeground = yes\npid =|' \
	    "$REPO/contrib/stunnel/pop3s.conf" > "$TEST_ROOT/stunnel.conf"
	grep -q "^accept = 127.0.0.1:$port" "$TEST_ROOT/stunnel.conf"
	setsid "$STUNNEL" "$TEST_ROOT/stunnel.conf" </dev/null \
	    >"$TEST_ROOT/stunnel.log" 2>&1 &
	LAUNCH_PID=$!
	for i in $(seq 100); do
		launch_listening "$port" && break
		sleep 0.05
	done
	printf 'From: a@example.org\nSubject: s\n\nbody\n' > "$TEST_ROOT/m.eml"
	deliver "$TEST_ROOT/m.eml"
	run timeout 20 bash -c "(printf 'USER alice\r\nPASS secret\r\nSTAT\r\n';
	    sleep 1; printf 'QUIT\r\n') | openssl s_client -quiet \
	    -CAfile '$TEST_ROOT/cert.pem' -connect 127.0.0.1:$port 2>/dev/null |
	    tr -d '\r'"
	[ "${lines[0]}" = "+OK POP3 server ready" ]
	[[ "$output" == *$'\n+OK 1 '* ]]
}
