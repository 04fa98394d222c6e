# Shared helpers for the Bats suites: a test user, a Maildir, sessions.
#
# Every test gets a fresh home under $TEST_ROOT with an empty Maildir and
# a passwd file with two users:
#   $TEST_USER / secret   (uid $TEST_UID: ours, or 4242 when run as root)
#   other / othersecret   (same uid: the servers refuse other uids as non-root)
# Sessions run the binaries from $BIN_DIR with a scripted stdin (LF
# converted to CRLF) and leave the output, with CR removed, in $output.

BIN_DIR=${BIN_DIR:-$BATS_TEST_DIRNAME/../build}
FIXTURES=$BATS_TEST_DIRNAME/fixtures

# sha512-crypt of "secret" and "othersecret" (openssl passwd -6 -salt testsalt)
HASH_SECRET='$6$testsalt$51yaaBMXXXt5vK522YOlIMZ267vqHtMIzc2klcsu3EEv/bkRDU9g3UmkypXf.NvlpPpIPK1nX5zdbCeJBiQbB/'

is_root() { [ "$(id -u)" -eq 0 ]; }

common_setup() {
	TEST_ROOT=$(mktemp -d /tmp/imapd-test.XXXXXX)
	chmod 755 "$TEST_ROOT"
	TEST_USER=alice
	if is_root; then
		TEST_UID=4242
		TEST_GID=4242
	else
		TEST_UID=$(id -u)
		TEST_GID=$(id -g)
	fi
	TEST_HOME=$TEST_ROOT/home/alice
	MAILDIR=$TEST_HOME/Maildir
	mkdir -p "$MAILDIR/cur" "$MAILDIR/new" "$MAILDIR/tmp"
	PASSWD=$TEST_ROOT/passwd
	local other_hash
	other_hash=$(openssl passwd -6 -salt othersalt othersecret)
	mkdir -p "$TEST_ROOT/home/other/Maildir"
	cat > "$PASSWD" <<-EOT
	$TEST_USER:$HASH_SECRET:$TEST_UID:$TEST_GID::$TEST_HOME::
	other:$other_hash:$TEST_UID:$TEST_GID::$TEST_ROOT/home/other::
	EOT
	fix_owner
}

# Give the test homes to the test user (a no-op unless root).
fix_owner() {
	if is_root; then
		chown -R "$TEST_UID:$TEST_GID" "$TEST_ROOT/home"
	fi
}

common_teardown() {
	if [ -n "${TEST_ROOT:-}" ] && [ -d "$TEST_ROOT" ]; then
		rm -rf "$TEST_ROOT"
	fi
}

# deliver FILE [NAME]: put a message into new/ as an MTA does (tmp, then
# rename).  The file is copied as is (LF line ends).
deliver() {
	local src=$1 name=${2:-}
	if [ -z "$name" ]; then
		DELIVER_SEQ=$(( ${DELIVER_SEQ:-0} + 1 ))
		name="$(date +%s).M${DELIVER_SEQ}P$$.testhost"
	fi
	cp "$src" "$MAILDIR/tmp/$name"
	mv "$MAILDIR/tmp/$name" "$MAILDIR/new/$name"
	fix_owner
}

# deliver_text NAME <<< "message": the same from stdin.
deliver_text() {
	local f=$TEST_ROOT/deliver.$$
	cat > "$f"
	deliver "$f" "${1:-}"
	rm -f "$f"
}

# Run a server on a script from stdin.  Usage: session BINARY [ARGS...]
# LF in the script becomes CRLF; CR is removed from the output.
session() {
	local bin=$1; shift
	run bash -c 'sed "s/\$/\r/" | "$@" 2>&1 | tr -d "\r"' _ "$bin" "$@"
}

# Same, but the script is sent as is (for tests of raw bytes).
session_raw() {
	local bin=$1; shift
	run bash -c '"$@" 2>&1 | tr -d "\r"' _ "$bin" "$@"
}

pop3_session() {
	session "$BIN_DIR/pop3d" --passwd-file="$PASSWD" --auth-delay=0 "$@"
}

imap_session() {
	session "$BIN_DIR/imapd" --passwd-file="$PASSWD" --auth-delay=0 "$@"
}

# Count files in a Maildir subdirectory (cur or new).
count_msgs() {
	find "$MAILDIR/$1" -type f | wc -l
}
