# Helpers for the imapd suites (load helpers first): sessions and line checks.

# imapd ARGS... < SCRIPT: run the server (passwd file, no delay) on the
# script (LF -> CRLF) for at most 20 s; $output/$lines without CR.
imapd() {
	local f=$TEST_ROOT/script.$$.$RANDOM
	cat > "$f"
	run timeout 20 bash -c 'sed "s/\$/\r/" < "$1" | "${@:2}" 2>&1 |
	    tr -d "\r"' _ "$f" "$BIN_DIR/imapd" --passwd-file="$PASSWD" \
	    --auth-delay=0 "$@"
}

# imapd_login ARGS... < SCRIPT: the same, logged in first ("L LOGIN"),
# "Z LOGOUT" at the end.
imapd_login() {
	local f=$TEST_ROOT/body.$$.$RANDOM
	{ echo "L LOGIN $TEST_USER secret"; cat; echo "Z LOGOUT"; } > "$f"
	imapd "$@" < "$f"
}

# has LINE: the output has exactly this line.
has() {
	local l
	for l in "${lines[@]}"; do [ "$l" = "$1" ] && return 0; done
	printf 'missing line: %s\n--- output:\n%s\n' "$1" "$output" >&2
	return 1
}

# hasnt REGEX: no line matches ^REGEX$.
hasnt() {
	local l
	for l in "${lines[@]}"; do
		if [[ $l =~ ^$1$ ]]; then
			printf 'unexpected line: %s\n' "$l" >&2
			return 1
		fi
	done
}

# matches REGEX: some line matches ^REGEX$.
matches() {
	local l
	for l in "${lines[@]}"; do [[ $l =~ ^$1$ ]] && return 0; done
	printf 'no line matches: %s\n--- output:\n%s\n' "$1" "$output" >&2
	return 1
}

# tagged TAG STATUS [CODE]: TAG's tagged reply is STATUS (with [CODE]).
tagged() {
	local l want="$1 $2"
	[ -n "${3:-}" ] && want="$want [$3]"
	for l in "${lines[@]}"; do
		case $l in
		"$want "*|"$want") return 0 ;;
		"$1 "*) printf 'want %s, got: %s\n' "$want" "$l" >&2
			return 1 ;;
		esac
	done
	printf 'no tagged reply for %s\n--- output:\n%s\n' "$1" "$output" >&2
	return 1
}

# msg SUBJECT [BODY]: a small message on stdout (LF line ends).
msg() {
	printf 'From: a@example.org\nTo: b@example.org\nSubject: %s\n' "$1"
	printf 'Date: Mon, 7 Feb 1994 21:52:25 -0800\n\n%s\n' "${2:-body}"
}

# put SUBJECT: deliver a small message into new/.
put() {
	msg "$@" > "$TEST_ROOT/put.msg"
	deliver_text < "$TEST_ROOT/put.msg"
}

# files DIR: file names in $MAILDIR/DIR (or a folder's), one per line.
files() { ls "$MAILDIR/$1" 2>/dev/null | sort; }
