# Helpers for tests/auth.bats and tests/pam.bats: a server in the
# background (to look at the running process), passwd entries, timing.
#
#   auth_bg_start COMMAND [ARGS...]  run COMMAND with a fifo as stdin
#   auth_bg_send TEXT                send TEXT (LF becomes CRLF)
#   auth_bg_wait REGEX               wait (up to 10 s) for a matching line
#   auth_bg_end                      close its input and wait for it
# The output, CR removed, is in $output after auth_bg_wait/auth_bg_end;
# the server's pid is $AUTH_BG_PID.

auth_bg_start() {
	mkfifo "$TEST_ROOT/bg.in"
	"$@" < "$TEST_ROOT/bg.in" > "$TEST_ROOT/bg.raw" 2>&1 3>&- &
	AUTH_BG_PID=$!
	exec {AUTH_BG_FD}>"$TEST_ROOT/bg.in"
}

auth_bg_send() {
	printf '%s\n' "$1" | sed 's/$/\r/' >&"$AUTH_BG_FD"
}

auth_bg_wait() {
	local i
	for i in $(seq 200); do
		output=$(tr -d '\r' < "$TEST_ROOT/bg.raw")
		if grep -Eq -- "^($1)\$" <<< "$output"; then
			return 0
		fi
		sleep 0.05
	done
	echo "timed out waiting for '$1'; output:" >&2
	echo "$output" >&2
	return 1
}

auth_bg_end() {
	if [ -n "${AUTH_BG_FD:-}" ]; then
		exec {AUTH_BG_FD}>&-
		AUTH_BG_FD=
		wait "$AUTH_BG_PID" || true
	fi
	output=$(tr -d '\r' < "$TEST_ROOT/bg.raw")
}

# auth_proc_field PID FIELD: a line of /proc/PID/status without its name,
# tabs turned into spaces ("Uid" -> "4242 4242 4242 4242").
auth_proc_field() {
	awk -v f="$2:" '$1 == f { $1 = ""; sub(/^ /, ""); print }' \
	    "/proc/$1/status"
}

# auth_entry NAME PASSWORD-FIELD [UID [GID [HOME [EXTRA]]]]: append a
# passwd-file line; UID/GID default to the test user's, HOME to
# $TEST_ROOT/home/NAME.  An absolute home gets a Maildir.
auth_entry() {
	local name=$1 pw=$2 uid=${3-$TEST_UID} gid=${4-$TEST_GID}
	local home=${5-$TEST_ROOT/home/$1} extra=${6-}
	if [ "${home:0:1}" = / ]; then
		mkdir -p "$home/Maildir/cur" "$home/Maildir/new" \
		    "$home/Maildir/tmp"
	fi
	printf '%s:%s:%s:%s::%s::%s\n' "$name" "$pw" "$uid" "$gid" "$home" \
	    "$extra" >> "$PASSWD"
	fix_owner
}

# auth_b64 TEXT: base64 of TEXT with printf escapes (\0 for NUL).
auth_b64() {
	printf "$1" | base64 -w0
}

# auth_ms COMMAND...: run COMMAND (output to $TEST_ROOT/ms.out) and print
# how many milliseconds it took.
auth_ms() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" > "$TEST_ROOT/ms.out" 2>&1
	t1=$(date +%s%N)
	echo $(( (t1 - t0) / 1000000 ))
}
