# Run a server behind a real per-connection launcher on 127.0.0.1.
#
#   launch_start BINARY [ARGS...]   start it; sets LAUNCH_PORT and LAUNCH_PID
#   launch_stop                      stop the launcher (call from teardown)
#
# The launcher is systemd-socket-activate --accept --inetd (what a systemd
# socket unit with Accept=yes does) or, when that is missing, socat with
# fork (an inetd stand-in).  Each connection runs BINARY ARGS... with the
# socket on fd 0/1.  Set LAUNCH_ENV="VAR=value ..." to pass environment
# variables to the server; LAUNCH_USE_SOCAT=1 forces socat.  The
# launcher's own output goes to a log in $BATS_TEST_TMPDIR, shown when it
# fails to start.

# A TCP port on 127.0.0.1 that nothing listens on right now.
launch_free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# True when something listens on 127.0.0.1:$1 (read from /proc, so the
# check itself does not open a connection and start a server).
launch_listening() {
	local hex
	hex=$(printf '%04X' "$1")
	awk -v p=":$hex" '$4 == "0A" && ($2 == "0100007F" p || \
	    $2 == "00000000" p) { f = 1 } END { exit !f }' /proc/net/tcp
}

launch_start() {
	local attempt
	# another suite may take the free port first: try a few ports
	for attempt in 1 2 3; do
		if launch_try "$@"; then
			return 0
		fi
	done
	echo "launcher did not start:" >&2
	cat "${BATS_TEST_TMPDIR:-/tmp}/launch.$$.log" >&2
	return 1
}

# One attempt on one port; 0 when it listens.
launch_try() {
	local tries log=${BATS_TEST_TMPDIR:-/tmp}/launch.$$.log
	local -a envargs=()
	local kv

	LAUNCH_PORT=$(launch_free_port)
	if [ -z "${LAUNCH_USE_SOCAT:-}" ] &&
	    command -v systemd-socket-activate >/dev/null 2>&1; then
		for kv in ${LAUNCH_ENV:-}; do
			envargs+=(-E "$kv")
		done
		setsid systemd-socket-activate --accept --inetd \
		    "${envargs[@]}" \
		    -l "127.0.0.1:$LAUNCH_PORT" "$@" \
		    </dev/null >"$log" 2>&1 3>&- &
	else
		# socat's EXEC address has its own quoting; run a script.
		local wrap=${BATS_TEST_TMPDIR:-/tmp}/launch.$$.sh
		{
			echo '#!/bin/bash'
			printf 'exec'
			printf ' %q' "$@"
			echo
		} > "$wrap"
		chmod 755 "$wrap"
		# shellcheck disable=SC2086
		setsid env ${LAUNCH_ENV:-} socat \
		    "TCP-LISTEN:$LAUNCH_PORT,bind=127.0.0.1,reuseaddr,fork" \
		    "EXEC:$wrap,nofork" \
		    </dev/null >"$log" 2>&1 3>&- &
	fi
	LAUNCH_PID=$!
	for tries in $(seq 200); do
		if launch_listening "$LAUNCH_PORT"; then
			return 0
		fi
		if ! kill -0 "$LAUNCH_PID" 2>/dev/null; then
			break
		fi
		sleep 0.05
	done
	launch_stop
	return 1
}

launch_stop() {
	if [ -n "${LAUNCH_PID:-}" ]; then
		# setsid made the launcher a process group leader: stop it and
		# any session it still runs.
		kill -TERM -- "-$LAUNCH_PID" 2>/dev/null || true
		wait "$LAUNCH_PID" 2>/dev/null || true
		LAUNCH_PID=
	fi
}
