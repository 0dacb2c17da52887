#!/usr/bin/env bash
# golden/run.sh - pfqmon on the real Postfix 3.7 sample files, checked
# against postcat's dumps and postqueue -j (tests/fixtures/postfix-3.7).
#
# Variants of the same spool must give the same counts: deeper hash
# directories, long queue IDs, junk entries; a file still being written
# must be skipped. The plain build, the ASan+UBSan build and valgrind all
# run the same spool. top's JSON, written as a stream, is byte for byte
# the document the earlier version built whole (top-rows*.json). A second
# set (sasl-ties) has SASL logins and ties at the --top cuts. Neither
# spool may change in any way, time stamps included.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh

NOW=1795835000
T=$(mktemp_dir)
GOLDEN="$PYTHON tests/golden/golden.py"
ALL_SCAN="files=9,parsed=9,skipped=0,vanished=0,unparseable=0,ignored=0,duplicates=0,errors=0"

# run_pfqmon NAME BINARY SPOOL [ARGS...]: output in $T/NAME.lp
run_pfqmon() {
	local name=$1 bin=$2 spool=$3 rc
	shift 3
	"$bin" "${AS_ROOT[@]}" --queue-dir "$spool" --top 0 --now "$NOW" "$@" >"$T/$name.lp" 2>"$T/$name.err"
	rc=$?
	if [ "$rc" -eq 0 ]; then ok "$name: exit status 0"
	else not_ok "$name: exit status $rc: $(head -c 300 "$T/$name.err")"; fi
}

# 1. Decoded record streams against postcat -v -o.
$GOLDEN records "$QFDUMP"

# snapshot DIR: every entry's name, mode, size, inode, mtime and ctime
# (to the nanosecond), and every file's content
snapshot() {
	(cd "$1" && find . -printf '%p %m %s %i %T@ %C@\n' | sort &&
	    find . -type f -exec sha256sum {} + | sort -k2)
}

# 2. The sample spool, restored with its original modes.
restore_spool "$T/spool"
snapshot "$T/spool" >"$T/before"
run_pfqmon golden-spool "$PFQMON" "$T/spool"
$GOLDEN metrics "$LPCHECK" "$T/golden-spool.lp" "$NOW" golden-spool --scan "$ALL_SCAN"

# 3. The same under ASan+UBSan and under valgrind.
run_pfqmon golden-spool-san "$PFQMON_SAN" "$T/spool"
$GOLDEN metrics "$LPCHECK" "$T/golden-spool-san.lp" "$NOW" golden-spool-san --scan "$ALL_SCAN"
if command -v valgrind >/dev/null; then
	valgrind -q --vgdb=no --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=all \
	    "$PFQMON" "${AS_ROOT[@]}" --queue-dir "$T/spool" --top 0 --now "$NOW" >"$T/vg.lp" 2>"$T/vg.err"
	rc=$?
	# "--PID--" lines are valgrind's own notes, not errors: it does not
	# know Landlock's calls (it answers ENOSYS, and pfqmon goes on).
	# --vgdb=no: its gdbserver FIFO could not be removed once pfqmon has
	# forbidden itself every write.
	grep -vE '^--[0-9]+-- ' "$T/vg.err" >"$T/vg.errors"
	if [ "$rc" -eq 0 ] && [ ! -s "$T/vg.errors" ]; then ok "golden-spool: valgrind reports no errors and no leaks"
	else not_ok "golden-spool: valgrind exit $rc: $(head -c 400 "$T/vg.errors")"; fi
	$GOLDEN metrics "$LPCHECK" "$T/vg.lp" "$NOW" golden-spool-valgrind --scan "$ALL_SCAN"
else
	not_ok "golden-spool: valgrind is not installed"
fi

# 4. --top 2 folds the rest into "(other)".
run_pfqmon golden-top2 "$PFQMON" "$T/spool" --top 2
$GOLDEN metrics "$LPCHECK" "$T/golden-top2.lp" "$NOW" golden-top2 --top 2 --scan "$ALL_SCAN"

# 5. Hash directories at any depth, and long queue IDs: same counts.
cp -r "$T/spool" "$T/deep"
n=0
for f in "$T"/deep/deferred/*/* "$T"/deep/hold/*; do
	n=$((n + 1))
	d=$(dirname "$f")/$((n % 3))/Z/$((n % 2))
	mkdir -p "$d"
	mv "$f" "$d/4jbv283mWt${n}z1bgdk"
done
mkdir -p "$T/deep/incoming/A/B/C/D/E/F/G/H/I/J"
run_pfqmon golden-deep "$PFQMON" "$T/deep"
$GOLDEN metrics "$LPCHECK" "$T/golden-deep.lp" "$NOW" golden-deep --scan "$ALL_SCAN"

# 6. Entries that are not queue files are counted as ignored, never read.
cp -r "$T/spool" "$T/junk"
mkdir -p "$T/junk/incoming" "$T/junk/active/NOTAHASHDIR"
printf 'x' >"$T/junk/incoming/123456.7890"		# cleanup's temporary name
printf 'x' >"$T/junk/incoming/ABC#FIX"
ln -s ../deferred/6/6C670A763CD "$T/junk/active/ABCDEF12345"
mkfifo "$T/junk/active/FEDCBA54321"
run_pfqmon golden-junk "$PFQMON" "$T/junk"
$GOLDEN metrics "$LPCHECK" "$T/golden-junk.lp" "$NOW" golden-junk \
    --scan "files=14,parsed=9,skipped=0,vanished=0,unparseable=0,ignored=5,duplicates=0,errors=0"

# 7. A file still being written (owner rw-, no x) is skipped.
cp -r "$T/spool" "$T/partial"
chmod 0600 "$T/partial/deferred/6/6C670A763CD"
chmod 0644 "$T/partial/maildrop/8421EA76123"
run_pfqmon golden-partial "$PFQMON" "$T/partial"
$GOLDEN metrics "$LPCHECK" "$T/golden-partial.lp" "$NOW" golden-partial \
    --exclude deferred/6/6C670A763CD --exclude maildrop-8421EA76123 \
    --scan "files=9,parsed=7,skipped=2,vanished=0,unparseable=0,ignored=0,duplicates=0,errors=0"

# 8. A hard link in a second queue (a rename caught half-way) counts once.
cp -r "$T/spool" "$T/linked"
mkdir -p "$T/linked/active"
ln "$T/linked/hold/77654A763D1" "$T/linked/active/77654A763D1"
run_pfqmon golden-linked "$PFQMON" "$T/linked"
grep -q 'duplicates=1i' "$T/golden-linked.lp" &&
    grep -q '^postfix_queue_total length=9i' "$T/golden-linked.lp"
check "golden-linked: a file seen in two queues is counted once" test $? -eq 0

# 9. postqueue -j's own listing, for the spool it was taken from.
cp -r "$T/spool" "$T/pq"
rm -f "$T/pq/deferred/7/7B5F8A761E3"
rm -rf "$T/pq/maildrop"
run_pfqmon golden-postqueue "$PFQMON" "$T/pq"
$GOLDEN postqueue "$LPCHECK" "$T/golden-postqueue.lp" "$NOW" golden-postqueue

# 10. pfqmon select: exactly the messages the postcat oracle picks by the
# same rules, plain and sanitized; a file seen twice is listed once.
$GOLDEN select "$PFQMON" "$T/spool" "$NOW" golden-select
$GOLDEN select "$PFQMON_SAN" "$T/spool" "$NOW" golden-select-san
n=$("$PFQMON" select "${AS_ROOT[@]}" --queue-dir "$T/linked" --sender x@remote.example --queue active --queue hold)
check "golden-linked: select lists a file seen in two queues once" test "$n" = 77654A763D1

# 11. pfqmon top --format json, streamed: byte for byte the document that
# jansson wrote whole before (top-rows*.json were made by that version,
# duration_us set to 0), plain and sanitized.
for rows in 0 2; do
	for bin in "$PFQMON" "$PFQMON_SAN"; do
		name="golden-top: $(basename "$bin") top --rows $rows --format json"
		"$bin" top "${AS_ROOT[@]}" --queue-dir "$T/spool" --now "$NOW" --rows "$rows" \
		    --format json 2>"$T/top.err" |
		    sed -E 's/("duration_us": )[0-9]+/\10/' >"$T/top.json"
		if cmp -s "$T/top.json" "tests/golden/top-rows$rows.json" && [ ! -s "$T/top.err" ]; then
			ok "$name is the document as written whole"
		else
			not_ok "$name differs:" \
			    "$(diff "tests/golden/top-rows$rows.json" "$T/top.json" | head -5) $(head -c 200 "$T/top.err")"
		fi
	done
done

# 12. A second set of real Postfix 3.7 files (sasl-ties, made by
# tests/tools/capture-sasl-ties.py): SASL logins (XCLIENT LOGIN), and in
# every breakdown rows with as many messages as the next at the cuts of
# --top 1, 2 and 3, where the key's byte order alone decides which row
# stays (the older, larger mail with more recipients loses; so does the
# client 198.51.100.7 to 198.51.100.10).
SASL=$FIXTURES/sasl-ties
NOW_SASL=1796121000
SASL_SCAN="files=7,parsed=7,skipped=0,vanished=0,unparseable=0,ignored=0,duplicates=0,errors=0"
mkdir -p "$T/sasl"
cp -r "$SASL/spool/." "$T/sasl/"
chmod -R u+rwX,go-w "$T/sasl"
grep -E '^[0-7]{3} ' "$SASL/MANIFEST-original-modes.txt" |
while read -r mode _ _ _ path; do
	chmod "$mode" "$T/sasl/$path"
done
snapshot "$T/sasl" >"$T/sasl.before"
for top in 0 1 2 3; do
	run_pfqmon "golden-sasl-top$top" "$PFQMON" "$T/sasl" --now "$NOW_SASL" --top "$top"
	$GOLDEN metrics "$LPCHECK" "$T/golden-sasl-top$top.lp" "$NOW_SASL" "golden-sasl-top$top" \
	    --set sasl-ties --top "$top" --scan "$SASL_SCAN"
done
run_pfqmon golden-sasl-top1-san "$PFQMON_SAN" "$T/sasl" --now "$NOW_SASL" --top 1
$GOLDEN metrics "$LPCHECK" "$T/golden-sasl-top1-san.lp" "$NOW_SASL" golden-sasl-top1-san \
    --set sasl-ties --top 1 --scan "$SASL_SCAN"
$GOLDEN postqueue "$LPCHECK" "$T/golden-sasl-top0.lp" "$NOW_SASL" golden-sasl-postqueue \
    --set sasl-ties
$GOLDEN select "$PFQMON" "$T/sasl" "$NOW_SASL" golden-sasl-select --set sasl-ties

# 13. The files were only read: nothing in either spool changed, not even
# a time stamp (a change of mode, owner or times shows in the ctime).
snapshot "$T/spool" >"$T/after"
snapshot "$T/sasl" >"$T/sasl.after"
if cmp -s "$T/before" "$T/after" && cmp -s "$T/sasl.before" "$T/sasl.after"; then
	ok "golden: the spools are unchanged after the scans (names, modes, sizes, contents, mtimes, ctimes)"
else
	not_ok "golden: a spool changed during the scans:" \
	    "$(diff "$T/before" "$T/after" | grep '^[<>]' | head -4)" \
	    "$(diff "$T/sasl.before" "$T/sasl.after" | grep '^[<>]' | head -4)"
fi
