#!/usr/bin/env bash
# run.sh - the test groups of "make check": all of them, the fast ones, or
# one group or one case of it.
#
#   tests/run.sh                every group (make check)
#   tests/run.sh --fast         the groups that need neither root nor a
#                               running service (make check-fast)
#   tests/run.sh GROUP [CASE]   one group, or one case of it
#                               (make check GROUP=... CASE=...)
#   tests/run.sh --list         the groups and their cases
#
# A CASE is, for the unit groups, a Check suite or SUITE:TCASE
# (CK_RUN_SUITE, CK_RUN_CASE); for the fuzz group, a fuzz target; for a
# Python group, a case name or part of one (passed on as -k CASE). The
# shell groups (golden, cli, lint) run whole.
#
# Each group prints TAP lines ("ok ..." / "not ok ..."); this script shows
# them, counts them, and ends with exactly one line "N passed, N failed".
# A test the machine cannot run ("ok ... # SKIP why") is shown and counted
# apart: it is neither passed nor failed.
# A group that exits non-zero without reporting a failure, or reports no
# test at all, counts as one failure. Exit status 1 if anything failed,
# 2 for a usage error. Just before "N passed, N failed" it says how many
# distinct tests ran: results with the same name count once (the unit
# tests run plain and under ASan+UBSan).
set -u
cd "$(dirname "$0")/.." || exit 1

PASS=0
FAIL=0
SKIP=0
OUT=$(mktemp "${TMPDIR:-/tmp}/pfqmon-check.XXXXXX") || exit 1
NAMES=$(mktemp "${TMPDIR:-/tmp}/pfqmon-names.XXXXXX") || exit 1
trap 'rm -f "$OUT" "$NAMES"' EXIT
PYTHON=${PYTHON:-/usr/bin/python3}
export PYTHON

# The groups, in the order make check runs them:
#   def ID SPEED KIND TITLE COMMAND...
# SPEED is fast (no root, no service: make check-fast) or full; KIND says
# how a case is picked: unit (Check), fuzz (a target), py (-k) or sh
# (none).
IDS=()
declare -A SPEED KIND TITLE CMD
def() {
	IDS+=("$1")
	SPEED[$1]=$2 KIND[$1]=$3 TITLE[$1]=$4
	shift 4
	CMD[${IDS[-1]}]=$(printf '%q ' "$@")
}
def unit fast unit "unit tests" build/tests/unit
def unit-san fast unit "unit tests (ASan+UBSan)" build/tests/unit-san
def unit-valgrind fast unit "unit tests (valgrind)" unit_valgrind
def golden fast sh "golden: Postfix 3.7 sample files" tests/golden/run.sh
def cli fast sh "command line" tests/cli/run.sh
def hostile fast py "hostile input" "$PYTHON" tests/hostile/run.py
def fuzz fast fuzz "fuzz corpus replay (ASan+UBSan)" fuzz_replay
def lint fast sh "lint" tests/lint.sh
def tick fast py "TICK bundle: TICKscripts, dashboard, Telegraf snippets" \
    "$PYTHON" tests/tick/check.py
def prometheus fast py "Prometheus: the openmetrics text and the alert rules (promtool)" \
    "$PYTHON" tests/prometheus/check.py
def packaging fast py "packaging: configuration docs, example, systemd unit" \
    "$PYTHON" tests/packaging/check.py
def files fast py "packaging: man pages, one version, make install and uninstall" \
    "$PYTHON" tests/packaging/files.py
def frozen full py "real Postfix 3.7 and InfluxDB 1.x: frozen abuse scene" \
    "$PYTHON" tests/integration/test_frozen.py
def dashboard full py \
    "dashboard: imported into the real Chronograf 1.7 UI, read in chromium (real Postfix, InfluxDB 1.x)" \
    "$PYTHON" tests/integration/test_dashboard.py
def live full py "real Postfix: scans while mail flows" \
    "$PYTHON" tests/integration/test_live.py
def generator full py "benchmark generator, checked by Postfix" \
    "$PYTHON" tests/integration/test_generator.py
def rescan full py "rescan cache: every change between scans is seen" \
    "$PYTHON" tests/integration/test_rescan.py
def churn full py \
    "churn: the watched agent and its arrivals against a real Postfix, overflow" \
    "$PYTHON" tests/integration/test_churn.py
def agent full py "agent: interval, push, execd, configuration (real InfluxDB 1.x)" \
    "$PYTHON" tests/integration/test_agent.py
def push full py "push: hostile servers, scans larger than the buffer (real InfluxDB 1.x)" \
    "$PYTHON" tests/integration/test_push.py
def edges full py \
    "agent edges: not a queue, a moved queue, clock steps, FIFOs, secrets, signals" \
    "$PYTHON" tests/integration/test_edges.py
def privileges full py "privileges: root is dropped, the spool cannot be changed" \
    "$PYTHON" tests/integration/test_privileges.py
def sudo full py \
    "sudo: exact sudoers lines, and pfqmon's own refusals (real sudo, a real user)" \
    "$PYTHON" tests/integration/test_sudo.py
def sources full py "sources: queue files, showq and postqueue -j agree (real Postfix)" \
    "$PYTHON" tests/integration/test_sources.py
def select full py \
    "select | postsuper acts on exactly the culprit's mail; top (real Postfix)" \
    "$PYTHON" tests/integration/test_select.py
def alerts full py \
    "alerts: the TICKscripts in a real Kapacitor 1.5.7, mails pasted into bash" \
    "$PYTHON" tests/integration/test_alerts.py
def prometheus-e2e full py \
    "Prometheus: pfqmon serve scraped by a real Prometheus 2.42, alerts mailed by a real Alertmanager 0.25 (real Postfix)" \
    "$PYTHON" tests/integration/test_prometheus.py
def longrun full py "long run: 1,000 interval scans over a changing queue, RSS flat" \
    "$PYTHON" tests/integration/test_longrun.py
def deb full py "Debian package: dpkg-buildpackage, lintian, dpkg -i, a real Postfix, dpkg --purge" \
    "$PYTHON" tests/packaging/test_deb.py

FUZZERS="fuzz_qfile fuzz_lp fuzz_prom fuzz_config fuzz_pqjson fuzz_showq"

usage() {
	echo "usage: $0 [--fast] [GROUP [CASE]] | --list" >&2
	exit 2
}

# group ID [CASE]: run one group (one case of it) and count its results
group() {
	local id=$1 pick=${2-} rc pass fail skip name=${TITLE[$1]}
	local run=${CMD[$1]} env=()
	if [ -n "$pick" ]; then
		name="$name: $pick"
		case ${KIND[$id]} in
		py) run+=" -k $(printf '%q' "$pick")" ;;
		fuzz) run+=" $(printf '%q' "$pick")" ;;
		unit)
			env=("CK_RUN_SUITE=${pick%%:*}")
			[ "$pick" != "${pick#*:}" ] && env+=("CK_RUN_CASE=${pick#*:}")
			;;
		esac
	fi
	printf '# %s\n' "$name"
	# A package build (debian/rules: PFQMON_BUILD_TESTS=1) runs only the
	# groups that need no root, no service and no network.
	if [ -n "${PFQMON_BUILD_TESTS:-}" ]; then
		case $id in
		unit | unit-san | golden | cli | fuzz | lint) ;;
		*)
			printf '  ok - %s # SKIP not run in a package build (root, services or time)\n' "$name"
			SKIP=$((SKIP + 1))
			return 0
			;;
		esac
	fi
	if [ ${#env[@]} -gt 0 ]; then
		export "${env[@]}"
	fi
	eval "$run" >"$OUT" 2>&1
	rc=$?
	unset CK_RUN_SUITE CK_RUN_CASE
	grep -v -e '^ok ' -e '^1\.\.[0-9]*$' "$OUT" | sed 's/^/  /' || true
	grep '^ok .*# SKIP' "$OUT" | sed 's/^/  /' || true
	# a test's name: no status, number, SKIP reason, nor Check's message
	sed -nE 's/^(not )?ok( [0-9]+)? - //; T; s/ # SKIP.*//;
	    s/^(tests\/unit\/[^:]*:[^:]*:[^:]*):.*/\1/; p' "$OUT" >>"$NAMES"
	skip=$(grep -c '^ok .*# SKIP' "$OUT")
	pass=$(($(grep -c '^ok ' "$OUT") - skip))
	fail=$(grep -c '^not ok ' "$OUT")
	if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
		printf '  not ok - %s exited with status %d\n' "$name" "$rc"
		fail=1
	elif [ "$pass" -eq 0 ] && [ "$fail" -eq 0 ] && [ "$skip" -eq 0 ]; then
		# A group whose every test was skipped said why; one that
		# printed nothing at all is broken.
		printf '  not ok - %s ran no test\n' "$name"
		fail=1
	fi
	if [ "$skip" -gt 0 ]; then
		printf '  %d passed, %d failed, %d skipped\n' "$pass" "$fail" "$skip"
	else
		printf '  %d passed, %d failed\n' "$pass" "$fail"
	fi
	PASS=$((PASS + pass))
	FAIL=$((FAIL + fail))
	SKIP=$((SKIP + skip))
}

# unit_valgrind: the unit tests once more, under valgrind
unit_valgrind() {
	local log
	log=$(mktemp) || return 1
	if ! command -v valgrind >/dev/null; then
		echo "not ok - valgrind is not installed"
		return 0
	fi
	if CK_FORK=no valgrind -q --error-exitcode=9 --leak-check=full \
	    --errors-for-leak-kinds=all build/tests/unit >"$log" 2>&1; then
		if grep -q '^ok ' "$log"; then
			echo "ok - unit tests under valgrind: no errors, no leaks"
		else
			echo "not ok - unit tests under valgrind ran no test"
		fi
	else
		echo "not ok - unit tests under valgrind"
		grep -v '^ok ' "$log" | head -40 | sed 's/^/#   /'
	fi
	rm -f "$log"
}

# fuzz_replay [TARGET]: every corpus, seed and crash input through the
# sanitized targets (or one target's)
fuzz_replay() {
	local t dirs seeds targets=${1:-$FUZZERS}
	if [ -n "${1-}" ] && [[ " $FUZZERS " != *" $1 "* ]]; then
		echo "not ok - no fuzz target $1 (targets: $FUZZERS)"
		return 0
	fi
	seeds=$(mktemp -d) || return 1
	for t in $targets; do
		dirs="tests/fuzz/corpus/$t"
		[ -d "tests/fuzz/crashes/$t" ] && dirs="$dirs tests/fuzz/crashes/$t"
		if [ "$(tests/fuzz/seeds.sh "$t" "$seeds/$t")" -gt 0 ]; then
			dirs="$dirs $seeds/$t"
		fi
		# shellcheck disable=SC2086
		build/tests/$t-replay $dirs || { rm -rf "$seeds"; return 1; }
	done
	rm -rf "$seeds"
}

# cases_of ID: the case names of one group, on one line
cases_of() {
	case ${KIND[$1]} in
	unit) sed -n 's/.*suite_create("\([^"]*\)").*/\1/p' tests/unit/*.c | tr '\n' ' ' ;;
	fuzz) echo "$FUZZERS" ;;
	py) eval "${CMD[$1]} --list" | tr '\n' ' ' ;;
	sh) echo "(runs whole)" ;;
	esac
}

fast=0
if [ "${1-}" = --list ]; then
	[ $# -eq 1 ] || usage
	for id in "${IDS[@]}"; do
		printf '%-14s %-5s %s\n' "$id" "${SPEED[$id]}" "$(cases_of "$id")"
	done
	exit 0
fi
if [ "${1-}" = --fast ]; then
	fast=1
	shift
fi
[ $# -le 2 ] || usage
case ${1-} in -*) usage ;; esac
if [ $# -ge 1 ]; then
	if [ -z "${KIND[$1]-}" ]; then
		echo "$0: no group $1; groups: ${IDS[*]}" >&2
		exit 2
	fi
	if [ "$fast" -eq 1 ] && [ "${SPEED[$1]}" != fast ]; then
		echo "$0: $1 is not a fast group: it needs root or a service" >&2
		exit 2
	fi
	if [ -n "${2-}" ] && [ "${KIND[$1]}" = sh ]; then
		echo "$0: $1 runs whole: it has no cases to pick" >&2
		exit 2
	fi
	group "$1" "${2-}"
else
	for id in "${IDS[@]}"; do
		[ "$fast" -eq 1 ] && [ "${SPEED[$id]}" != fast ] && continue
		group "$id"
	done
fi

[ "$SKIP" -gt 0 ] && echo "# $SKIP tests skipped: this machine cannot run them (see above)"
echo "# $(sort -u "$NAMES" | wc -l) distinct tests in $((PASS + FAIL + SKIP)) results" \
    "(a name that comes again, as each unit test under ASan+UBSan, counts once)"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
