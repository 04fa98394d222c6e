# Helpers for the IMAP protocol suites (imap_proto_*.bats, imap_clients.bats):
# time-bounded scripted sessions and exact-line assertions on $output.
# Load after helpers.bash:  load helpers; load lib/imap_proto

IMAP_LIB=$BATS_TEST_DIRNAME/lib
export IMAP_LIB

imap_proto_setup() {
	common_setup
	[ -x "$BIN_DIR/imapd" ] || skip "build/imapd not built"
	export BIN_DIR PASSWD MAILDIR TEST_ROOT TEST_HOME
}

# imap_script [ARGS...] <<< SCRIPT: run imapd (passwd file, no delay) on
# the script (LF -> CRLF), at most 20 s; output without CR in $output.
imap_script() {
	local f=$TEST_ROOT/script.$BATS_TEST_NUMBER
	cat > "$f"
	run timeout 20 bash -c 'sed "s/\$/\r/" < "$1" | "${@:2}" 2>&1 | tr -d "\r"' \
	    _ "$f" "$BIN_DIR/imapd" --passwd-file="$PASSWD" --auth-delay=0 "$@"
	IMAP_FULL=$output
}

# Same, logged in first as $TEST_USER ("L LOGIN ..."), LOGOUT at the end.
imap_login() {
	local f=$TEST_ROOT/body.$BATS_TEST_NUMBER
	{ echo "L LOGIN $TEST_USER secret"; cat; echo "Z LOGOUT"; } > "$f"
	imap_script "$@" < "$f"
}

# Raw bytes (no CRLF conversion), script from stdin.  Note: bats' run
# sets $output in this shell only, so feed these functions with a
# redirection, never through a pipe.
imap_raw() {
	local f=$TEST_ROOT/raw.$BATS_TEST_NUMBER
	cat > "$f"
	run timeout 20 bash -c '"${@:2}" < "$1" 2>&1 | tr -d "\r"' \
	    _ "$f" "$BIN_DIR/imapd" --passwd-file="$PASSWD" --auth-delay=0 "$@"
	IMAP_FULL=$output
}

# pyimap <<'EOF' ... EOF: a python3 session script with tests/lib/imap.py
# importable, at most 20 s.
pyimap() {
	run timeout 20 env PYTHONPATH="$IMAP_LIB" PYTHONDONTWRITEBYTECODE=1 \
	    python3 -
}

# pyrun SECONDS FILE: run the python session script FILE (tests/lib on
# its path) for at most SECONDS; fail the test with its output if it fails.
pyrun() {
	run timeout "$1" env PYTHONPATH="$IMAP_LIB" \
	    PYTHONDONTWRITEBYTECODE=1 python3 "$2"
	[ "$status" -eq 0 ] || _imap_fail "python session failed"
}

_imap_fail() {
	printf '%s\n' "$1" "--- output ---" "$output" >&2
	return 1
}

# line TEXT: $output has exactly this line.
line() {
	grep -Fxq -- "$1" <<< "$output" || _imap_fail "missing line: $1"
}

# no_line TEXT
no_line() {
	! grep -Fxq -- "$1" <<< "$output" || _imap_fail "unexpected line: $1"
}

# re_line ERE: some line matches ^ERE$.
re_line() {
	grep -Eq -- "^($1)\$" <<< "$output" || _imap_fail "no line matching: $1"
}

no_re_line() {
	! grep -Eq -- "^($1)\$" <<< "$output" ||
	    _imap_fail "unexpected line matching: $1"
}

# re_count ERE N: exactly N lines match ^ERE$.
re_count() {
	local n
	n=$(grep -Ec -- "^($1)\$" <<< "$output" || true)
	[ "$n" -eq "$2" ] || _imap_fail "expected $2 lines matching $1, got $n"
}

# tagged TAG STATUS [CODE]: the tagged reply of TAG is STATUS, with the
# response code CODE (its first word) when given.  Human text is free.
tagged() {
	local re
	if [ -n "${3:-}" ]; then
		re="$1 $2 \\[$3([] ].*)?"
	else
		re="$1 $2( .*)?"
	fi
	re_count "$1 .*" 1 || return 1
	re_line "$re"
}

# before ERE1 ERE2: the first line matching ERE1 comes before the first
# matching ERE2.
before() {
	local a b
	a=$(grep -En -- "^($1)\$" <<< "$output" | head -n1 | cut -d: -f1)
	b=$(grep -En -- "^($2)\$" <<< "$output" | head -n1 | cut -d: -f1)
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ] ||
	    _imap_fail "expected a line /$1/ before a line /$2/"
}

# lines_between ERE1 ERE2: print the lines after the first ERE1 line up to
# (not including) the next ERE2 line (the untagged data of one command),
# from the whole output of the last imap_script/imap_login/imap_raw (so
# that output=$(lines_between ...) can be used repeatedly).
lines_between() {
	awk -v a="^($1)\$" -v b="^($2)\$" '
	    !on && $0 ~ a { on = 1; next }
	    on && $0 ~ b { exit }
	    on { print }' <<< "$IMAP_FULL"
}

# The size of a file with every bare LF counted as CRLF.
crlf_size() {
	python3 -c 'import sys
d = open(sys.argv[1], "rb").read()
print(len(d.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")))' "$1"
}

# Flags (the letters after ":2,") of every message in cur/ of a Maildir
# folder ($MAILDIR by default), sorted, one per line.
maildir_flags() {
	local dir=${1:-$MAILDIR} f
	for f in "$dir"/cur/*; do
		[ -e "$f" ] || continue
		case $f in
		*:2,*) echo "${f##*:2,}" ;;
		*) echo "(none)" ;;
		esac
	done | sort
}

# Messages (files) in cur/ and new/ of a folder.
maildir_count() {
	local dir=${1:-$MAILDIR}
	find "$dir/cur" "$dir/new" -type f | wc -l
}
