#!/usr/bin/env bats
# STARTTLS, STLS and implicit TLS through stunnel, end to end.

load helpers
load lib/launch
load lib/tls

setup() {
	[ -x "$STUNNEL" ] || skip "stunnel4 not installed"
	common_setup
	tls_cert "$TEST_ROOT"
	printf 'From: a@example.org\nSubject: tls test\n\nover TLS\n' \
	    > "$TEST_ROOT/m.eml"
	deliver "$TEST_ROOT/m.eml"
}

teardown() {
	launch_stop
	common_teardown
}

# A client on a documentation address: plaintext login must wait for TLS.
remote_env() {
	LAUNCH_ENV="REMOTE_ADDR=192.0.2.1"
}

@test "CAPA/CAPABILITY: STLS and STARTTLS advertised only with a usable stunnel" {
	pop3_session $(tls_args) <<<"CAPA"
	[[ "$output" == *$'\nSTLS\n'* ]]
	imap_session $(tls_args) <<<"a CAPABILITY"
	[[ "$output" == *" STARTTLS"* ]]
	# no certificate, unreadable key, missing stunnel: not advertised
	pop3_session <<<"CAPA"
	[[ "$output" != *STLS* ]]
	pop3_session --tls-cert="$TEST_ROOT/cert.pem" \
	    --tls-key="$TEST_ROOT/missing.pem" <<<"CAPA"
	[[ "$output" != *STLS* ]]
	imap_session --tls-cert="$TEST_ROOT/cert.pem" \
	    --stunnel=/nonexistent/stunnel <<<"a CAPABILITY"
	[[ "$output" != *STARTTLS* ]]
}

@test "STLS/STARTTLS without stunnel: a clear error, the session goes on" {
	pop3_session --stunnel=/nonexistent/stunnel \
	    --tls-cert="$TEST_ROOT/cert.pem" <<-EOF
	STLS
	NOOP
	QUIT
	EOF
	[[ "$output" == *$'\n-ERR'*'TLS'* ]]
	[[ "$output" == *$'\n+OK'*'Bye'* || "$output" == *$'\n+OK'* ]]
	imap_session <<-EOF
	a STARTTLS
	b NOOP
	c LOGOUT
	EOF
	[[ "$output" == *$'\na BAD'* || "$output" == *$'\na NO'* ]]
	[[ "$output" == *$'\nb OK'* ]]
}

@test "POP3 STLS: openssl s_client, login refused before TLS, accepted after" {
	remote_env
	launch_start "$BIN_DIR/pop3d" $(tls_args)
	# before TLS, from a remote address: USER refused
	run timeout 10 python3 -c '
import poplib, sys
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=5)
try:
    p.user("alice")
    print("accepted")
except poplib.error_proto as e:
    print("refused", e)
' "$LAUNCH_PORT"
	[[ "$output" == refused* ]]
	run timeout 20 bash -c "printf 'USER alice\r\nPASS secret\r\nSTAT\r\nQUIT\r\n' |
	    openssl s_client -quiet -starttls pop3 -connect 127.0.0.1:$LAUNCH_PORT 2>/dev/null"
	[[ "$output" == *"+OK 1 "* ]]
}

@test "IMAP STARTTLS: openssl s_client logs in and selects after TLS" {
	remote_env
	launch_start "$BIN_DIR/imapd" $(tls_args)
	run timeout 20 bash -c "(printf 'a CAPABILITY\r\n'; sleep 0.5;
	    printf 'b LOGIN alice secret\r\nc SELECT INBOX\r\nd LOGOUT\r\n'; sleep 1) |
	    openssl s_client -quiet -starttls imap -connect 127.0.0.1:$LAUNCH_PORT 2>/dev/null"
	[[ "$output" == *"a OK"* ]]
	# after TLS: no STARTTLS, no LOGINDISABLED
	[[ "$output" != *"LOGINDISABLED"* ]]
	[[ "$output" == *"b OK"* ]]
	[[ "$output" == *"* 1 EXISTS"* ]]
	[[ "$output" == *"d OK"* ]]
}

@test "Python IMAP4.starttls, IMAP4_SSL, POP3.stls and POP3_SSL" {
	remote_env
	launch_start "$BIN_DIR/imapd" $(tls_args)
	imap_port=$LAUNCH_PORT
	run timeout 20 python3 -c '
import imaplib, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]), timeout=10)
assert "LOGINDISABLED" in m.capabilities, m.capabilities
m.starttls(ssl_context=ctx)
assert "LOGINDISABLED" not in m.capabilities, m.capabilities
m.login("alice", "secret")
typ, data = m.select("INBOX")
print(typ, data[0].decode())
m.logout()
' "$imap_port" "$TEST_ROOT/cert.pem"
	[ "$status" -eq 0 ]
	[ "$output" = "OK 1" ]
	launch_stop
	launch_start "$BIN_DIR/imapd" $(tls_args) --implicit-tls
	run timeout 20 python3 -c '
import imaplib, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
m = imaplib.IMAP4_SSL("127.0.0.1", int(sys.argv[1]), ssl_context=ctx, timeout=10)
m.login("alice", "secret")
print(m.select("INBOX")[1][0].decode())
m.logout()
' "$LAUNCH_PORT" "$TEST_ROOT/cert.pem"
	[ "$status" -eq 0 ]
	[ "$output" = "1" ]
	launch_stop
	launch_start "$BIN_DIR/pop3d" $(tls_args)
	run timeout 20 python3 -c '
import poplib, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=10)
p.stls(context=ctx)
p.user("alice"); p.pass_("secret")
print(p.stat()[0])
p.quit()
' "$LAUNCH_PORT" "$TEST_ROOT/cert.pem"
	[ "$status" -eq 0 ]
	[ "$output" = "1" ]
	launch_stop
	launch_start "$BIN_DIR/pop3d" $(tls_args) --implicit-tls
	run timeout 20 python3 -c '
import poplib, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
p = poplib.POP3_SSL("127.0.0.1", int(sys.argv[1]), context=ctx, timeout=10)
p.user("alice"); p.pass_("secret")
print(p.stat()[0])
p.quit()
' "$LAUNCH_PORT" "$TEST_ROOT/cert.pem"
	[ "$status" -eq 0 ]
	[ "$output" = "1" ]
}

@test "curl --ssl-reqd over STARTTLS (imap://) and STLS (pop3://)" {
	remote_env
	launch_start "$BIN_DIR/imapd" $(tls_args)
	run timeout 20 curl -s --ssl-reqd --cacert "$TEST_ROOT/cert.pem" \
	    -u alice:secret "imap://127.0.0.1:$LAUNCH_PORT/INBOX;UID=1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"over TLS"* ]]
	launch_stop
	launch_start "$BIN_DIR/pop3d" $(tls_args)
	run timeout 20 curl -s --ssl-reqd --cacert "$TEST_ROOT/cert.pem" \
	    -u alice:secret "pop3://127.0.0.1:$LAUNCH_PORT/1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"over TLS"* ]]
}

# CVE-2011-0411 class: a command pipelined behind STARTTLS must never run,
# neither in plaintext nor inside the TLS session.
@test "STARTTLS/STLS injection: plaintext after the command is discarded" {
	launch_start "$BIN_DIR/imapd" $(tls_args)
	run timeout 20 python3 -c '
import socket, ssl, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
f = s.makefile("rb")
f.readline()
s.sendall(b"a STARTTLS\r\nb CAPABILITY\r\n")
print(f.readline().decode().strip())
ctx = ssl.create_default_context(cafile=sys.argv[2])
try:
    t = ctx.wrap_socket(s, server_hostname="localhost")
    t.settimeout(2)
    data = t.recv(4096)
    print("in TLS:", data)
except (ssl.SSLError, OSError, socket.timeout) as e:
    print("handshake refused")
' "$LAUNCH_PORT" "$TEST_ROOT/cert.pem"
	[[ "${lines[0]}" == "a OK"* ]]
	[[ "$output" != *"b OK"* ]]
	[[ "$output" != *"CAPABILITY IMAP"* ]]
	launch_stop
	launch_start "$BIN_DIR/pop3d" $(tls_args)
	run timeout 20 python3 -c '
import socket, ssl, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
f = s.makefile("rb")
f.readline()
s.sendall(b"STLS\r\nCAPA\r\n")
print(f.readline().decode().strip())
ctx = ssl.create_default_context(cafile=sys.argv[2])
try:
    t = ctx.wrap_socket(s, server_hostname="localhost")
    t.settimeout(2)
    print("in TLS:", t.recv(4096))
except (ssl.SSLError, OSError, socket.timeout) as e:
    print("handshake refused")
' "$LAUNCH_PORT" "$TEST_ROOT/cert.pem"
	[[ "${lines[0]}" == "+OK"* ]]
	[[ "$output" != *"Capability"* ]]
	[[ "$output" != *"UIDL"* ]]
}

@test "a client that never starts the handshake is dropped; nothing is left running" {
	launch_start "$BIN_DIR/pop3d" $(tls_args) --login-timeout=2
	run timeout 20 python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rb")
f.readline()
s.sendall(b"STLS\r\n")
print(f.readline().decode().strip())
t = time.time()
try:
    print("closed" if s.recv(10) == b"" else "data", int(time.time() - t))
except ConnectionResetError:
    print("closed (reset)", int(time.time() - t))
' "$LAUNCH_PORT"
	[[ "${lines[0]}" == "+OK"* ]]
	[[ "${lines[1]}" == closed* ]]
	sleep 0.5
	run pgrep -f '^stunnel -fd 3$'
	[ "$status" -ne 0 ]
}

# uid of every process named $1 whose command line has $2, sorted.
proc_uids() {
	ps -eo uid=,comm=,args= | awk -v c="$1" -v a="$2" \
	    '$2 == c && index($0, a) { print $1 }' | sort -n | tr '\n' ' '
}

@test "as root, stunnel runs as the login user; after login no process of the session is root" {
	is_root || skip "privilege separation needs root"
	remote_env
	launch_start "$BIN_DIR/imapd" $(tls_args)
	local nobody out=$TEST_ROOT/py.out i
	nobody=$(id -u nobody)
	timeout 30 python3 -u -c '
import imaplib, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[2])
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]), timeout=10)
m.starttls(ssl_context=ctx)
print("tls", flush=True)
time.sleep(2)
m.login("alice", "secret")
print("in", m.select("INBOX")[1][0].decode(), flush=True)
time.sleep(2)
m.logout()
print("out", flush=True)
' "$LAUNCH_PORT" "$TEST_ROOT/cert.pem" > "$out" 2>&1 &
	for i in $(seq 100); do grep -q tls "$out" && break; sleep 0.1; done
	sleep 0.5
	# TLS on, before login: stunnel and the login process are nobody,
	# the monitor that checks passwords is the only root process
	[ "$(proc_uids stunnel4 'stunnel -fd 3')" = "$nobody " ] ||
	    [ "$(proc_uids stunnel 'stunnel -fd 3')" = "$nobody " ]
	[ "$(proc_uids imapd "$TEST_ROOT")" = "0 $nobody " ]
	for i in $(seq 100); do grep -q '^in' "$out" && break; sleep 0.1; done
	grep -qx 'in 1' "$out"
	[ "$(proc_uids imapd "$TEST_ROOT")" = "$TEST_UID " ]
	for i in $(seq 100); do grep -q '^out' "$out" && break; sleep 0.1; done
	grep -qx out "$out"
}
