#!/usr/bin/env bats
# Load: many sessions of one user at the same time on the same folders,
# IMAP and POP3 mixed, while an MTA delivers.  tests/lib/load.py drives
# the sessions and checks both the end state (every message there
# exactly once, UIDs unique and ascending, UIDVALIDITY unchanged) and
# every session's view along the way (see its docstring).

load helpers
load lib/imap_proto

setup() {
	imap_proto_setup
	[ -x "$BIN_DIR/pop3d" ] || skip "build/pop3d not built"
	export TEST_UID TEST_GID
}
teardown() { common_teardown; }

# pyload NIMAP NPOP NDELIVER OPS
pyload() {
	run timeout 170 env PYTHONPATH="$IMAP_LIB" PYTHONDONTWRITEBYTECODE=1 \
	    python3 "$IMAP_LIB/load.py" "$@"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[-1]}" == "load: "* ]]
}

@test "load: 40 IMAP and 10 POP3 sessions of one user while 300 messages arrive" {
	pyload 40 10 300 25
}

@test "load: 10 IMAP sessions hammering one small folder with MOVE and EXPUNGE, 100 deliveries" {
	pyload 10 0 100 80
}
