#!/usr/bin/env bash
# run-fuzzers.sh SECONDS TARGET... - run libFuzzer targets (make fuzz).
#
# Each target starts from its committed corpus (tests/fuzz/corpus/TARGET)
# and the real inputs seeds.sh copies (Postfix's own queue files and
# postqueue -j output), and writes new inputs to build/fuzz/work-TARGET. Crashes land in
# tests/fuzz/crashes/TARGET/, where make check replays them once they are
# committed. With MERGE=1, inputs that add coverage are merged back into
# the committed corpus afterwards.
set -eu
cd "$(dirname "$0")/../.."
secs=$1
shift
for t in "$@"; do
	work=build/fuzz/work-$t
	seeds=build/fuzz/seeds-$t
	mkdir -p "$work" "tests/fuzz/crashes/$t"
	tests/fuzz/seeds.sh "$t" "$seeds" >/dev/null
	echo "== $t: $secs s"
	"build/fuzz/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -max_len=65536 -print_final_stats=1 \
	    -artifact_prefix="tests/fuzz/crashes/$t/" "$work" "tests/fuzz/corpus/$t" \
	    "$seeds"
	if [ "${MERGE:-0}" = 1 ]; then
		"build/fuzz/$t" -merge=1 "tests/fuzz/corpus/$t" "$work" "$seeds"
	fi
	rmdir "tests/fuzz/crashes/$t" 2>/dev/null || true
done
