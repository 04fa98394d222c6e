#!/usr/bin/env bats
# man/pop3d.8: renders without warnings and documents every option.

load helpers

MAN=$BATS_TEST_DIRNAME/../man/pop3d.8

@test "man: pop3d.8 renders without warnings" {
	command -v groff >/dev/null || skip "groff not installed"
	run groff -mdoc -ww -z "$MAN"
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
}

@test "man: every option of --help is documented" {
	local opt
	run "$BIN_DIR/pop3d" --help
	[ "$status" -eq 0 ]
	for opt in $(grep -oE -- '--[a-z-]+' <<< "$output" | sort -u); do
		grep -qF -- "Fl Fl ${opt#--}" "$MAN" ||
		    { echo "undocumented: $opt"; return 1; }
	done
}
