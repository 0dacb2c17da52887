# tap.sh - helpers for shell test groups; sourced, not run.
#
# Each test prints one TAP line ("ok - name" or "not ok - name: why");
# tests/run.sh counts them. Paths are relative to the repository root,
# which is the working directory of every group.

ok() { printf 'ok - %s\n' "$*"; }
not_ok() { printf 'not ok - %s\n' "$*"; }

# check NAME COMMAND...: ok when the command succeeds
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# mktemp_dir: a private directory under this script's temporary root,
# which is removed on exit (also when mktemp_dir ran in a subshell).
TAP_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/pfqmon-test.XXXXXX") || exit 1
trap 'rm -rf -- "$TAP_ROOT"' EXIT
mktemp_dir() {
	mktemp -d "$TAP_ROOT/d.XXXXXX"
}

PYTHON=${PYTHON:-/usr/bin/python3}
PFQMON=${PFQMON:-agent/pfqmon}
PFQMON_SAN=${PFQMON_SAN:-build/tests/pfqmon-san}
LPCHECK=${LPCHECK:-build/tests/lpcheck}
JSONCHECK=${JSONCHECK:-build/tests/jsoncheck}
MKQF=${MKQF:-build/tests/mkqf}
QFDUMP=${QFDUMP:-build/tests/qfdump}
FIXTURES=tests/fixtures/postfix-3.7

# The test spools are root's. pfqmon parses another user's files as root
# only when asked to (--user root), as an admin would have to; the queues
# of a real Postfix belong to its mail_owner and need nothing.
AS_ROOT=()
[ "$(id -u)" -eq 0 ] && AS_ROOT=(--user root)

# restore_spool DIR: the sample spool with its original modes, plus the
# two maildrop files in maildrop/ (0744, as postdrop leaves them)
restore_spool() {
	local dir=$1 mode path
	mkdir -p "$dir"
	cp -r "$FIXTURES/spool/." "$dir/"
	chmod -R u+rwX,go-w "$dir"
	grep -E '^[0-7]{3} ' "$FIXTURES/MANIFEST-original-modes.txt" |
	while read -r mode _ _ _ path; do
		chmod "$mode" "$dir/$path"
	done
	mkdir -p "$dir/maildrop"
	cp "$FIXTURES/maildrop-82643A7637E" "$dir/maildrop/82643A7637E"
	cp "$FIXTURES/maildrop-8421EA76123" "$dir/maildrop/8421EA76123"
	chmod 0744 "$dir/maildrop/"*
}
