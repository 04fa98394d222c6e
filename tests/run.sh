#!/bin/sh
# Run the whole suite: unit tests, then every Bats file; print one summary line.
# Usage: tests/run.sh BIN_DIR   (BIN_DIR holds imapd, pop3d and unit/)
set -u
BIN_DIR=${1:?usage: tests/run.sh BIN_DIR}
export BIN_DIR
cd "$(dirname "$0")/.." || exit 1

pass=0
fail=0
for t in "$BIN_DIR"/unit/test_*; do
	[ -x "$t" ] || continue
	if "$t" >"$BIN_DIR/unit.log" 2>&1; then
		pass=$((pass + 1))
		echo "ok unit $(basename "$t")"
	else
		fail=$((fail + 1))
		echo "not ok unit $(basename "$t")"
		sed 's/^/#   /' "$BIN_DIR/unit.log"
	fi
done

log=$BIN_DIR/bats.log
bats --tap --print-output-on-failure tests >"$log" 2>&1
brc=$?
cat "$log"
bp=$(grep -c '^ok ' "$log")
bf=$(grep -c '^not ok ' "$log")
pass=$((pass + bp))
fail=$((fail + bf))
if [ "$brc" -ne 0 ] && [ "$bf" -eq 0 ]; then
	fail=$((fail + 1))	# bats itself failed (syntax error, ...)
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
