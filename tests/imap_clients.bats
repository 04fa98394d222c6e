#!/usr/bin/env bats
# Real IMAP clients against imapd over loopback, one server process per
# connection (tests/lib/launch.bash): Python's imaplib, curl, mbsync (both
# directions, and PREAUTH through its Tunnel option), fetchmail.

load helpers
load lib/imap_proto
load lib/launch

setup() {
	imap_proto_setup
	export FIXTURES TEST_UID TEST_GID
	LAUNCH_PID=
}

teardown() {
	launch_stop
	common_teardown
}

start_imapd() {
	launch_start "$BIN_DIR/imapd" --passwd-file="$PASSWD" --auth-delay=0 "$@"
}

# Messages in a Maildir folder, any subdirectory.
count_in() {
	find "$1/cur" "$1/new" -type f 2>/dev/null | wc -l
}

@test "clients: imaplib full scenario" {
	deliver "$FIXTURES/imap_simple.eml"
	deliver "$FIXTURES/imap_multipart.eml"
	start_imapd
	run timeout 20 python3 - "$LAUNCH_PORT" <<-'EOF'
	import imaplib, os, sys
	fix = os.environ["FIXTURES"]
	def crlf(b):
	    return b.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
	def ok(r):
	    typ, data = r
	    assert typ == "OK", r
	    return data
	M = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
	assert "IMAP4REV1" in M.capabilities, M.capabilities
	ok(M.login("alice", "secret"))
	ok(M.create("Work"))
	ok(M.create("Work.Sub"))
	boxes = ok(M.list())
	names = [b.decode().rsplit(" ", 1)[1].strip('"') for b in boxes]
	assert sorted(names) == ["INBOX", "Work", "Work.Sub"], boxes
	n = ok(M.select("INBOX"))
	assert n == [b"2"], n
	assert ok(M.search(None, "ALL")) == [b"1 2"]
	assert ok(M.search(None, "SUBJECT", "Multipart")) == [b"2"]
	assert ok(M.uid("SEARCH", None, "ALL")) == [b"1 2"]
	d = ok(M.fetch("1", "(RFC822)"))
	want = crlf(open(os.path.join(fix, "imap_simple.eml"), "rb").read())
	assert d[0][1] == want, (d[0][1], want)
	d = ok(M.fetch("2", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])"))
	assert d[0][1] == b"Subject: Multipart\r\n\r\n", d
	d = ok(M.store("2", "+FLAGS", "(\\Flagged)"))
	assert b"\\Flagged" in d[0], d
	ok(M.copy("1:2", "Work"))
	typ, d = M.copy("1", "Nosuch")
	assert typ == "NO" and d[0].startswith(b"[TRYCREATE]"), (typ, d)
	ok(M.append("Work", "(\\Seen)", imaplib.Time2Internaldate(1600000000),
	            b"Subject: appended\r\n\r\nhello\r\n"))
	st = ok(M.status("Work", "(MESSAGES UNSEEN)"))
	assert b"MESSAGES 3" in st[0] and b"UNSEEN 1" in st[0], st
	ok(M.store("1", "+FLAGS", "(\\Deleted)"))
	ok(M.expunge())
	assert ok(M.search(None, "ALL")) == [b"1"]
	ok(M.rename("Work", "Archive"))
	ok(M.delete("Archive.Sub"))
	boxes = ok(M.list())
	names = [b.decode().rsplit(" ", 1)[1].strip('"') for b in boxes]
	assert sorted(names) == ["Archive", "INBOX"], boxes
	ok(M.close())
	typ, d = M.logout()
	assert typ == "BYE", (typ, d)
	EOF
	[ "$status" -eq 0 ] || _imap_fail "imaplib failed"
	[ "$(count_in "$MAILDIR")" -eq 1 ]
	[ "$(count_in "$MAILDIR/.Archive")" -eq 3 ]
	[ ! -e "$MAILDIR/.Work" ] && [ ! -e "$MAILDIR/.Archive.Sub" ]
	maildir_flags | grep -qx F
	maildir_flags "$MAILDIR/.Archive" | grep -qx S
}

@test "clients: curl lists mailboxes and fetches a message by UID" {
	command -v curl >/dev/null || skip "curl is not installed"
	deliver "$FIXTURES/imap_simple.eml"
	imap_login <<< "s SELECT INBOX"
	deliver "$FIXTURES/imap_multipart.eml"
	imap_login <<-EOF
	a CREATE Projects
	EOF
	start_imapd
	run timeout 20 curl -sS --user alice:secret "imap://127.0.0.1:$LAUNCH_PORT/"
	[ "$status" -eq 0 ] || _imap_fail "curl list failed"
	output=$(tr -d '\r' <<< "$output")
	re_line '\* LIST \(.*\) "\." "?INBOX"?'
	re_line '\* LIST \(.*\) "\." "?Projects"?'
	local want=$TEST_ROOT/want got=$TEST_ROOT/got
	python3 -c 'import sys
d = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(d.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))' \
	    "$FIXTURES/imap_multipart.eml" "$want"
	timeout 20 curl -sS --user alice:secret -o "$got" \
	    "imap://127.0.0.1:$LAUNCH_PORT/INBOX;UID=2"
	cmp "$want" "$got"
	python3 -c 'import sys
d = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(d.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))' \
	    "$FIXTURES/imap_simple.eml" "$want"
	timeout 20 curl -sS --user alice:secret -o "$got" \
	    "imap://127.0.0.1:$LAUNCH_PORT/INBOX;UID=1"
	cmp "$want" "$got"
	# a section of a message
	run timeout 20 curl -sS --user alice:secret \
	    "imap://127.0.0.1:$LAUNCH_PORT/INBOX;UID=2;SECTION=1"
	[ "$output" = "$(printf 'First part.\r')" ]
	# a wrong password fails
	run timeout 20 curl -sS --user alice:wrong "imap://127.0.0.1:$LAUNCH_PORT/"
	[ "$status" -ne 0 ]
}

# mbsync_conf FILE TUNNEL|"": a channel between the server and $TEST_ROOT/local.
mbsync_conf() {
	local conf=$1 tunnel=${2:-}
	{
		echo "IMAPAccount srv"
		if [ -n "$tunnel" ]; then
			echo "Tunnel \"$tunnel\""
		else
			echo "Host 127.0.0.1"
			echo "Port $LAUNCH_PORT"
			echo "User alice"
			echo "Pass secret"
			echo "AuthMechs LOGIN"
		fi
		echo "SSLType None"
		echo
		echo "IMAPStore remote"
		echo "Account srv"
		echo
		echo "MaildirStore local"
		echo "Path $TEST_ROOT/local/"
		echo "Inbox $TEST_ROOT/local/INBOX"
		echo "SubFolders Verbatim"
		echo
		echo "Channel sync"
		echo "Far :remote:"
		echo "Near :local:"
		echo "Patterns *"
		echo "Create Both"
		echo "Expunge Both"
		echo "SyncState *"
		echo "Sync All"
	} > "$conf"
	mkdir -p "$TEST_ROOT/local/INBOX/cur" "$TEST_ROOT/local/INBOX/new" \
	    "$TEST_ROOT/local/INBOX/tmp"
}

# The scenario both mbsync tests run: messages on both sides, flags both
# ways, then a flag change on each side.
mbsync_scenario() {
	local conf=$1 local_in=$TEST_ROOT/local/INBOX
	printf 'From: near@example.org\nSubject: from near\nMessage-ID: <near.1@example.org>\n\nnear body\n' \
	    > "$local_in/cur/1000.M1.near:2,S"
	run timeout 20 mbsync -c "$conf" sync
	[ "$status" -eq 0 ] || _imap_fail "first mbsync failed"
	[ "$(count_in "$local_in")" -eq 3 ] || _imap_fail "local: $(ls -R "$local_in")"
	[ "$(count_in "$MAILDIR")" -eq 3 ] || _imap_fail "server: $(ls -R "$MAILDIR")"
	# the server's flagged message is flagged locally and vice versa
	ls "$local_in"/cur "$local_in"/new | grep -q ':2,F$' ||
	    _imap_fail "no F: $(ls "$local_in"/cur "$local_in"/new)"
	grep -l 'near body' "$MAILDIR"/cur/* | grep -q ':2,S$' ||
	    _imap_fail "no S on the server: $(ls "$MAILDIR"/cur)"
	grep -lq 'Simple test message' "$local_in"/*/* ||
	    _imap_fail "fixture not synced"
	[ -d "$TEST_ROOT/local/Work" ] || _imap_fail "folder not created locally"
	[ "$(count_in "$TEST_ROOT/local/Work")" -eq 1 ]
	# flag a message locally (R), delete another on the server side
	local f
	f=$(grep -l 'near body' "$local_in"/cur/*)
	mv "$f" "${f%:2,*}:2,RS"
	run timeout 20 mbsync -c "$conf" sync
	[ "$status" -eq 0 ] || _imap_fail "second mbsync failed"
	grep -l 'near body' "$MAILDIR"/cur/* | grep -q ':2,RS$' ||
	    _imap_fail "R not synced: $(ls "$MAILDIR"/cur)"
	# expunge on the server side via IMAP, sync removes it locally
	imap_login <<-EOF
	s SELECT INBOX
	a SEARCH SUBJECT "from near"
	EOF
	local n
	n=$(sed -n 's/^\* SEARCH \([0-9]*\)$/\1/p' <<< "$output")
	[ -n "$n" ] || _imap_fail "SEARCH"
	imap_login <<-EOF
	s SELECT INBOX
	a STORE $n +FLAGS.SILENT (\\Deleted)
	b EXPUNGE
	EOF
	run timeout 20 mbsync -c "$conf" sync
	[ "$status" -eq 0 ] || _imap_fail "third mbsync failed"
	[ "$(count_in "$local_in")" -eq 2 ]
	! grep -lq 'near body' "$local_in"/cur/* 2>/dev/null
}

setup_server_mail() {
	deliver "$FIXTURES/imap_simple.eml"
	deliver "$FIXTURES/imap_multipart.eml" "1000000002.M2.srv:2,F"
	mv "$MAILDIR/new/1000000002.M2.srv:2,F" "$MAILDIR/cur/"
	imap_login <<-EOF
	a CREATE Work
	EOF
	cp "$FIXTURES/imap_nested.eml" "$MAILDIR/.Work/new/1.M1.srv"
	fix_owner
}

@test "clients: mbsync syncs a local Maildir both ways over TCP" {
	command -v mbsync >/dev/null || skip "mbsync is not installed"
	setup_server_mail
	start_imapd
	mbsync_conf "$TEST_ROOT/mbsyncrc"
	HOME=$TEST_ROOT mbsync_scenario "$TEST_ROOT/mbsyncrc"
}

@test "clients: mbsync Tunnel gets PREAUTH from imapd run as an ordinary user" {
	command -v mbsync >/dev/null || skip "mbsync is not installed"
	setup_server_mail
	# The server started by an ordinary user serves that user without a
	# password: its home comes from the passwd database, here nss_wrapper.
	local nss
	nss=$(ls /usr/lib/*/libnss_wrapper.so /usr/lib/libnss_wrapper.so 2>/dev/null | head -n1)
	[ -n "$nss" ] || skip "PREAUTH tunnel: libnss_wrapper.so is not installed"
	printf '%s:x:%s:%s::%s:/bin/sh\n' alice "$TEST_UID" "$TEST_GID" "$TEST_HOME" \
	    > "$TEST_ROOT/nss_passwd"
	printf 'alice:x:%s:\n' "$TEST_GID" > "$TEST_ROOT/nss_group"
	chmod 644 "$TEST_ROOT/nss_passwd" "$TEST_ROOT/nss_group"
	local tun="env LD_PRELOAD=$nss NSS_WRAPPER_DISABLE_DEEPBIND=1 NSS_WRAPPER_PASSWD=$TEST_ROOT/nss_passwd NSS_WRAPPER_GROUP=$TEST_ROOT/nss_group HOME=$TEST_HOME"
	if is_root; then
		command -v setpriv >/dev/null ||
		    skip "PREAUTH tunnel as root needs setpriv to become uid 4242"
		tun="$tun setpriv --reuid=$TEST_UID --regid=$TEST_GID --clear-groups"
	fi
	tun="$tun $BIN_DIR/imapd"
	# the greeting first, by hand
	run timeout 20 bash -c "printf 'a CAPABILITY\r\nb LOGOUT\r\n' | $tun | tr -d '\r'"
	re_line '\* PREAUTH \[CAPABILITY [^]]*\].*'
	re_line '\* CAPABILITY .* UIDPLUS( .*)?'
	tagged a OK
	mbsync_conf "$TEST_ROOT/mbsyncrc" "$tun"
	HOME=$TEST_ROOT mbsync_scenario "$TEST_ROOT/mbsyncrc"
}

# fetchmail_rc FILE keep|nokeep: poll the server, deliver to $TEST_ROOT/out/.
fetchmail_rc() {
	mkdir -p "$TEST_ROOT/out" "$TEST_ROOT/fmhome"
	cat > "$1" <<-EOF
	set no syslog
	poll 127.0.0.1 protocol IMAP port $LAUNCH_PORT auth password timeout 15
	    user "alice" there with password "secret" is "$(id -un)" here
	    $2
	    sslproto ''
	    mda "/bin/sh -c 'cat > $TEST_ROOT/out/msg.\$\$'"
	EOF
	chmod 600 "$1"
}

@test "clients: fetchmail --keep fetches and leaves the mail, marked seen" {
	command -v fetchmail >/dev/null || skip "fetchmail is not installed"
	deliver "$FIXTURES/imap_simple.eml"
	deliver "$FIXTURES/imap_multipart.eml"
	start_imapd
	fetchmail_rc "$TEST_ROOT/fetchmailrc" keep
	run timeout 20 env HOME=$TEST_ROOT/fmhome FETCHMAILHOME=$TEST_ROOT/fmhome \
	    fetchmail -f "$TEST_ROOT/fetchmailrc" --keep --nodetach --nosyslog
	[ "$status" -eq 0 ] || _imap_fail "fetchmail failed"
	[ "$(ls "$TEST_ROOT/out" | wc -l)" -eq 2 ]
	grep -lq 'Simple test message' "$TEST_ROOT"/out/*
	grep -lq 'AAECAwQFBgc=' "$TEST_ROOT"/out/*
	[ "$(count_in "$MAILDIR")" -eq 2 ]
	[ "$(maildir_flags)" = "$(printf '%s\n' S S)" ]
	# a second run fetches nothing new
	rm -f "$TEST_ROOT"/out/*
	run timeout 20 env HOME=$TEST_ROOT/fmhome FETCHMAILHOME=$TEST_ROOT/fmhome \
	    fetchmail -f "$TEST_ROOT/fetchmailrc" --keep --nodetach --nosyslog
	# exit 1: no mail
	[ "$status" -eq 1 ] || _imap_fail "second fetchmail: $status"
	[ "$(ls "$TEST_ROOT/out" | wc -l)" -eq 0 ]
}

@test "clients: fetchmail without --keep deletes what it fetched" {
	command -v fetchmail >/dev/null || skip "fetchmail is not installed"
	deliver "$FIXTURES/imap_simple.eml"
	deliver "$FIXTURES/imap_nested.eml"
	start_imapd
	fetchmail_rc "$TEST_ROOT/fetchmailrc" nokeep
	run timeout 20 env HOME=$TEST_ROOT/fmhome FETCHMAILHOME=$TEST_ROOT/fmhome \
	    fetchmail -f "$TEST_ROOT/fetchmailrc" --nokeep --nodetach --nosyslog
	[ "$status" -eq 0 ] || _imap_fail "fetchmail failed"
	[ "$(ls "$TEST_ROOT/out" | wc -l)" -eq 2 ]
	grep -lq 'Inner body' "$TEST_ROOT"/out/*
	[ "$(count_in "$MAILDIR")" -eq 0 ]
}
