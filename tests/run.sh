#!/usr/bin/env bash
# run.sh - every test group of "make check", in one run.
#
# Each group prints TAP lines ("ok ..." / "not ok ..."); this script shows
# them, counts them, and ends with exactly one line "N passed, N failed".
# A test the machine cannot run ("ok ... # SKIP why") is shown and counted
# apart: it is neither passed nor failed.
# A group that exits non-zero without reporting a failure, or reports no
# test at all, counts as one failure. Exit status 1 if anything failed.
# Just before "N passed, N failed" it says how many distinct tests ran:
# results with the same name count once (the unit tests run plain and
# under ASan+UBSan).
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

# group NAME COMMAND...: run one group and count its results
group() {
	local name=$1 rc pass fail skip
	shift
	printf '# %s\n' "$name"
	# A package build (debian/rules: PFQMON_BUILD_TESTS=1) runs only the
	# groups that need no root, no service and no network.
	if [ -n "${PFQMON_BUILD_TESTS:-}" ]; then
		case $name in
		"unit tests" | "unit tests (ASan+UBSan)" | "golden: "* | "command line" | \
		    "fuzz corpus replay"* | lint) ;;
		*)
			printf '  ok - %s # SKIP not run in a package build (root, services or time)\n' "$name"
			SKIP=$((SKIP + 1))
			return 0
			;;
		esac
	fi
	"$@" >"$OUT" 2>&1
	rc=$?
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
		echo "ok - unit tests under valgrind: no errors, no leaks"
	else
		echo "not ok - unit tests under valgrind"
		grep -v '^ok ' "$log" | head -40 | sed 's/^/#   /'
	fi
	rm -f "$log"
}

# fuzz_replay: every corpus, seed and crash input through the sanitized
# targets
fuzz_replay() {
	local t dirs seeds
	seeds=$(mktemp -d) || return 1
	for t in fuzz_qfile fuzz_lp fuzz_config fuzz_pqjson fuzz_showq; do
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

group "unit tests" build/tests/unit
group "unit tests (ASan+UBSan)" build/tests/unit-san
group "unit tests (valgrind)" unit_valgrind
group "golden: Postfix 3.7 sample files" tests/golden/run.sh
group "command line" tests/cli/run.sh
group "hostile input" "$PYTHON" tests/hostile/run.py
group "fuzz corpus replay (ASan+UBSan)" fuzz_replay
group "lint" tests/lint.sh
group "TICK bundle: TICKscripts, dashboard, Telegraf snippets" "$PYTHON" tests/tick/check.py
group "packaging: configuration docs, example, systemd unit" "$PYTHON" tests/packaging/check.py
group "packaging: man pages, one version, make install and uninstall" \
    "$PYTHON" tests/packaging/files.py
group "real Postfix 3.7 and InfluxDB 1.x: frozen abuse scene" \
    "$PYTHON" tests/integration/test_frozen.py
group "dashboard: imported into the real Chronograf 1.7 UI, read in chromium (real Postfix, InfluxDB 1.x)" \
    "$PYTHON" tests/integration/test_dashboard.py
group "real Postfix: scans while mail flows" "$PYTHON" tests/integration/test_live.py
group "benchmark generator, checked by Postfix" "$PYTHON" tests/integration/test_generator.py
group "rescan cache: every change between scans is seen" \
    "$PYTHON" tests/integration/test_rescan.py
group "agent: interval, push, execd, configuration (real InfluxDB 1.x)" \
    "$PYTHON" tests/integration/test_agent.py
group "push: hostile servers, scans larger than the buffer (real InfluxDB 1.x)" \
    "$PYTHON" tests/integration/test_push.py
group "agent edges: not a queue, a moved queue, clock steps, FIFOs, secrets, signals" \
    "$PYTHON" tests/integration/test_edges.py
group "privileges: root is dropped, the spool cannot be changed" \
    "$PYTHON" tests/integration/test_privileges.py
group "sudo: exact sudoers lines, and pfqmon's own refusals (real sudo, a real user)" \
    "$PYTHON" tests/integration/test_sudo.py
group "sources: queue files, showq and postqueue -j agree (real Postfix)" \
    "$PYTHON" tests/integration/test_sources.py
group "select | postsuper acts on exactly the culprit's mail; top (real Postfix)" \
    "$PYTHON" tests/integration/test_select.py
group "alerts: the TICKscripts in a real Kapacitor 1.5.7, mails pasted into bash" \
    "$PYTHON" tests/integration/test_alerts.py
group "long run: 1,000 interval scans over a changing queue, RSS flat" \
    "$PYTHON" tests/integration/test_longrun.py
group "Debian package: dpkg-buildpackage, lintian, dpkg -i, a real Postfix, dpkg --purge" \
    "$PYTHON" tests/packaging/test_deb.py

[ "$SKIP" -gt 0 ] && echo "# $SKIP tests skipped: this machine cannot run them (see above)"
echo "# $(sort -u "$NAMES" | wc -l) distinct tests in $((PASS + FAIL + SKIP)) results" \
    "(a name that comes again, as each unit test under ASan+UBSan, counts once)"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
