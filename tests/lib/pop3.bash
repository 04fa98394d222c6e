# POP3 test helpers on top of tests/helpers.bash (load helpers first).

POP3D=${BIN_DIR}/pop3d

# Login lines for a scripted session.
POP3_LOGIN=$'USER alice\nPASS secret'

# crlf_size FILE: the file's size with every bare LF counted as CRLF.
crlf_size() {
	local lf cr size
	size=$(wc -c < "$1")
	lf=$(tr -cd '\n' < "$1" | wc -c)
	cr=$(LC_ALL=C grep -ac $'\r$' "$1")
	echo $((size + lf - cr))
}

# pop3_expected FILE: what RETR must send after its +OK line: CRLF line
# ends, dot-stuffing, a final CRLF, then ".CRLF".
pop3_expected() {
	python3 -c 'import sys, re
d = open(sys.argv[1], "rb").read()
d = re.sub(rb"(?<!\r)\n", b"\r\n", d)
if d and not d.endswith(b"\r\n"):
    d += b"\r\n"
d = b"\r\n".join((b"." + l if l.startswith(b".") else l)
    for l in d.split(b"\r\n"))
sys.stdout.buffer.write(d + b".\r\n")' "$1"
}

# pop3_raw OUTFILE [ARGS...] < script: run pop3d on a script sent as is
# (no CRLF conversion) and keep the raw output in OUTFILE.
pop3_raw() {
	local out=$1; shift
	"$POP3D" --passwd-file="$PASSWD" --auth-delay=0 "$@" > "$out" 2>&1
}

# pop3_crlf OUTFILE [ARGS...] < script: the same with LF turned into CRLF.
pop3_crlf() {
	local out=$1; shift
	sed 's/$/\r/' | "$POP3D" --passwd-file="$PASSWD" --auth-delay=0 \
	    "$@" > "$out" 2>&1
}

# response_body OUTFILE REGEX: the raw bytes after the first line that
# matches REGEX, up to and including the multi-line end ".CRLF".
response_body() {
	python3 -c 'import sys, re
d = open(sys.argv[1], "rb").read()
m = re.search(sys.argv[2].encode() + rb"[^\n]*\r\n", d)
if not m:
    sys.exit(1)
rest = d[m.end():]
e = rest.find(b"\r\n.\r\n")
if rest.startswith(b".\r\n"):
    e = -2
if e == -1:
    sys.exit(1)
sys.stdout.buffer.write(rest[:e + 5])' "$1" "$2"
}

# maildir_listing: every file under the Maildir with its size (to compare
# before and after a session that must not change anything).
maildir_listing() {
	(cd "$MAILDIR" && find . -type f -printf '%p %s\n' | sort)
}

# deliver_many N: N small messages straight into new/.
deliver_many() {
	python3 - "$MAILDIR/new" "$1" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(1, n + 1):
    with open(os.path.join(d, "1700000000.M%dP1.bulk" % i), "w") as f:
        f.write("From: bulk@example.org\nSubject: bulk %d\n\nmessage %d\n"
                % (i, i))
PY
	fix_owner
}

# A session in the background, driven step by step:
#   bg_start NAME [ARGS...]   start pop3d reading from a FIFO
#   bg_send NAME TEXT         send TEXT (LF becomes CRLF)
#   bg_wait NAME PATTERN      wait (up to 10 s) until the output matches
#   bg_end NAME               close its input and wait for it to exit
# The output, CR removed, is in $TEST_ROOT/NAME.out.
bg_start() {
	local name=$1; shift
	mkfifo "$TEST_ROOT/$name.in"
	"$POP3D" --passwd-file="$PASSWD" --auth-delay=0 "$@" \
	    < "$TEST_ROOT/$name.in" > "$TEST_ROOT/$name.raw" 2>&1 3>&- &
	eval "BG_PID_$name=\$!"
	eval "exec {BG_FD_$name}>\"\$TEST_ROOT/\$name.in\""
}

bg_send() {
	local fd
	eval "fd=\$BG_FD_$1"
	printf '%s\n' "$2" | sed 's/$/\r/' >&"$fd"
}

bg_wait() {
	local i
	for i in $(seq 200); do
		if tr -d '\r' < "$TEST_ROOT/$1.raw" | grep -q -- "$2"; then
			tr -d '\r' < "$TEST_ROOT/$1.raw" > "$TEST_ROOT/$1.out"
			return 0
		fi
		sleep 0.05
	done
	echo "timed out waiting for '$2' from $1:" >&2
	tr -d '\r' < "$TEST_ROOT/$1.raw" >&2
	return 1
}

bg_end() {
	local fd pid
	eval "fd=\$BG_FD_$1; pid=\$BG_PID_$1"
	exec {fd}>&-
	wait "$pid" || true
	tr -d '\r' < "$TEST_ROOT/$1.raw" > "$TEST_ROOT/$1.out"
}

# expect_output <<EOF ... EOF: $output must be exactly the text on stdin.
expect_output() {
	local want
	want=$(cat)
	if [ "$output" != "$want" ]; then
		echo "output differs (- expected, + got):" >&2
		diff -u <(printf '%s\n' "$want") <(printf '%s\n' "$output") \
		    >&2 || true
		return 1
	fi
}

# add_user NAME PASSWORD: another passwd-file user sharing alice's uid.
add_user() {
	local hash
	hash=$(openssl passwd -6 -salt addsalt "$2")
	mkdir -p "$TEST_ROOT/home/$1/Maildir/cur" \
	    "$TEST_ROOT/home/$1/Maildir/new" "$TEST_ROOT/home/$1/Maildir/tmp"
	printf '%s:%s:%s:%s::%s::\n' "$1" "$hash" "$TEST_UID" "$TEST_GID" \
	    "$TEST_ROOT/home/$1" >> "$PASSWD"
	fix_owner
}

# b64 TEXT: base64 of TEXT with printf escapes (\0 for NUL) expanded.
b64() {
	printf "$1" | base64 -w0
}
