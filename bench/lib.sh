# shellcheck shell=bash
# Shared by the bench scripts (sourced): helpers with no state of their own.

# prints the command (shell-quoted, "+ " first, to stderr), then runs it;
# its exit code is the caller's
run() {
	printf '+' >&2
	printf ' %q' "$@" >&2
	printf '\n' >&2
	"$@"
}
