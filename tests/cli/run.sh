#!/usr/bin/env bash
# cli/run.sh - the command line: options, errors and exit statuses.
#
# Bad input gives exactly one line on stderr naming the problem and exit
# status 2; an unreadable queue gives exit 1; a scan gives exit 0.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh

T=$(mktemp_dir)
restore_spool "$T/spool"

# expect_usage_error NAME NEEDLE ARGS...: exit 2, one line naming NEEDLE
expect_usage_error() {
	local name=$1 needle=$2 rc lines
	shift 2
	"$PFQMON" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	lines=$(wc -l <"$T/err")
	if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && grep -qF -- "$needle" "$T/err" &&
	    [ ! -s "$T/out" ]; then
		ok "cli: $name"
	else
		not_ok "cli: $name (exit $rc, $lines stderr lines: $(head -c 200 "$T/err"))"
	fi
}

# expect_info NAME REGEX ARGS...: exit 0, REGEX on stdout, nothing on stderr
expect_info() {
	local name=$1 regex=$2 rc
	shift 2
	"$PFQMON" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -eq 0 ] && grep -qE -- "$regex" "$T/out" && [ ! -s "$T/err" ]; then
		ok "cli: $name"
	else
		not_ok "cli: $name (exit $rc: $(head -c 200 "$T/out") $(head -c 200 "$T/err"))"
	fi
}

expect_info "--help exits 0 and shows usage on stdout" '^usage: pfqmon' --help
expect_info "--version exits 0 and prints the version" \
    '^pfqmon [0-9]+\.[0-9]+\.[0-9]+$' --version

expect_usage_error "unknown long option" "'--frobnicate'" --frobnicate
expect_usage_error "unknown short option" "'-x'" -x
expect_usage_error "--top with letters" "--top" --top abc
expect_usage_error "--top negative" "--top" --top -1
expect_usage_error "--top too large" "--top" --top 1000001
expect_usage_error "--top with trailing junk" "--top" --top 5x
expect_usage_error "--top without a value" "--top" --top
expect_usage_error "--now with letters" "--now" --now yesterday
expect_usage_error "--queue-dir and -c together" "--queue-dir and -c" \
    "${AS_ROOT[@]}" --queue-dir "$T/spool" -c /etc/postfix
expect_usage_error "empty --queue-dir" "--queue-dir" "${AS_ROOT[@]}" --queue-dir ""
expect_usage_error "a stray argument" "'extra'" "${AS_ROOT[@]}" --queue-dir "$T/spool" extra
expect_usage_error "-c with a missing configuration" "main.cf" -c "$T/nonexistent"

"$PFQMON" "${AS_ROOT[@]}" --queue-dir "$T/nonexistent" >"$T/out" 2>"$T/err"
rc=$?
if [ "$rc" -eq 1 ] && grep -q 'cannot open queue directory' "$T/err" && [ ! -s "$T/out" ]; then
	ok "cli: a missing queue directory exits 1 with nothing on stdout"
else
	not_ok "cli: a missing queue directory exits 1 (exit $rc)"
fi

# -c and MAIL_CONFIG: queue_directory comes from that Postfix configuration.
# --source spool: not root (a package build), auto would take postqueue
# for a spool without an active queue, as this sample has.
mkdir -p "$T/etc"
printf 'queue_directory = %s/spool\n' "$T" >"$T/etc/main.cf"
"$PFQMON" "${AS_ROOT[@]}" --queue-dir "$T/spool" --top 0 --now 1795835000 | grep -v '^postfix_queue_scan' >"$T/direct"
"$PFQMON" "${AS_ROOT[@]}" --source spool -c "$T/etc" --top 0 --now 1795835000 | grep -v '^postfix_queue_scan' >"$T/via-c"
check "cli: -c CONFIG_DIR reads queue_directory from that main.cf" cmp -s "$T/direct" "$T/via-c"
MAIL_CONFIG="$T/etc" "$PFQMON" "${AS_ROOT[@]}" --source spool --top 0 --now 1795835000 | grep -v '^postfix_queue_scan' >"$T/via-env"
check "cli: without options, the default instance (MAIL_CONFIG) is used" cmp -s "$T/direct" "$T/via-env"
grep -q '^postfix_queue_total length=9i' "$T/direct"
check "cli: the configured spool was really read" test $? -eq 0

# --config errors name the file, the line and column and the kind of
# problem, never the file's text: the path may name a secret or a queue
# file. Each file holds the marker Zq7Secret where the error would be.
# expect_config_error NAME NEEDLE TEXT: exit 2, one line, NEEDLE, no marker
expect_config_error() {
	local name=$1 needle=$2 rc lines
	printf '%b' "$3" >"$T/conf"
	"$PFQMON" --config "$T/conf" "${AS_ROOT[@]}" --queue-dir "$T/spool" >"$T/out" 2>"$T/err"
	rc=$?
	lines=$(wc -l <"$T/err")
	if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && grep -qF -- "$needle" "$T/err" &&
	    grep -qF -- "$T/conf" "$T/err" && ! grep -qi 'zq7' "$T/err" && [ ! -s "$T/out" ]; then
		ok "cli: --config $name: names the file and $needle, quotes nothing"
	else
		not_ok "cli: --config $name (exit $rc, $lines lines: $(head -c 300 "$T/err"))"
	fi
}
expect_config_error "of a non-JSON file" "line 1 column 2: invalid JSON syntax" \
    'Zq7Secret-password\n'
expect_config_error "with a syntax error late in the file" "line 3 column 17" \
    '{\n  "top": 5,\n  "x" "Zq7Secret"\n}\n'
expect_config_error "ending inside a string" "line 1 column" '{"top": "Zq7Secret'
expect_config_error "with text after the object" "more text after" '{}\nZq7Secret\n'
expect_config_error "with an unknown key" "line 2 column 3: unknown key" \
    '{\n  "Zq7Secret": 1\n}\n'
expect_config_error "with a duplicate unknown key" "duplicate key" \
    '{"Zq7Secret": 1, "Zq7Secret": 2}'
expect_config_error "with a bad tag key" 'key "tag"' '{"tag": {"Zq7-Secret": "x"}}'
printf '{"source": "Zq7Secret"}' >"$T/conf"
"$PFQMON" --config "$T/conf" "${AS_ROOT[@]}" --queue-dir "$T/spool" >"$T/out" 2>"$T/err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q 'source' "$T/err" && ! grep -qi 'zq7' "$T/err"; then
	ok "cli: --config with a bad source value: exit 2, the value not quoted"
else
	not_ok "cli: --config with a bad source value (exit $rc: $(head -c 200 "$T/err"))"
fi

# --schema lists exactly the measurements and fields a report has.
"$PFQMON" --schema >"$T/schema"
"$PFQMON" "${AS_ROOT[@]}" --queue-dir "$T/spool" --top 0 >"$T/report"
a=$(awk '$1 == "measurement" { print $2 }' "$T/schema" |
	grep -vx -e postfix_queue_sasl -e 'postfix_arrivals.*' | sort)
b=$(sed 's/[ ,].*//' "$T/report" | sort -u)
# (the sample spool has no SASL logins, so no postfix_queue_sasl line; a
# single scan has no arrivals: only the watched agent sees them)
check "cli: --schema lists the measurements a report has" test "$a" = "$b"
a=$(awk '$1 == "measurement" && $2 == "postfix_queue_sender" { print $6 }' "$T/schema")
b=$(grep -m1 '^postfix_queue_sender,' "$T/report" | sed 's/^[^ ]* //; s/=[0-9-]*i//g')
check "cli: --schema lists the fields a report line has" test "$a" = "$b"

# --top: each breakdown has at most N rows plus one "(other)" row.
"$PFQMON" "${AS_ROOT[@]}" --queue-dir "$T/spool" --top 1 >"$T/top1"
n=$(grep -c '^postfix_queue_sender,' "$T/top1")
check "cli: --top 1 gives one sender row and (other)" test "$n" -eq 2
grep -q '^postfix_queue_sender,sender=(other) ' "$T/top1"
check "cli: the (other) row is there" test $? -eq 0
"$PFQMON" "${AS_ROOT[@]}" --queue-dir "$T/spool" >"$T/default"
n=$(grep -c '^postfix_queue_sender,' "$T/default")
check "cli: the default --top (20) keeps all 7 senders of the sample" test "$n" -eq 7

# --verbose explains each file that is not counted, on stderr only.
mkdir -p "$T/spool/incoming"
printf 'not a queue file' >"$T/spool/incoming/ABCDEF12345"
chmod 0700 "$T/spool/incoming/ABCDEF12345"
"$PFQMON" "${AS_ROOT[@]}" --queue-dir "$T/spool" -v >"$T/out" 2>"$T/err"
rc=$?
grep -q 'incoming/ABCDEF12345: not a valid queue file' "$T/err"
check "cli: -v names the unparseable file and why" test $? -eq 0 -a "$rc" -eq 0
check "cli: -v keeps stdout valid line protocol" "$LPCHECK" <"$T/out"

# A closed stdout is a write error (exit 1), not a crash or a silent 0.
"$PFQMON" "${AS_ROOT[@]}" --queue-dir "$T/spool" >&- 2>"$T/err"
rc=$?
check "cli: a closed stdout exits 1" test "$rc" -eq 1
if [ -c /dev/full ] && [ -w /dev/full ]; then
	"$PFQMON" "${AS_ROOT[@]}" --queue-dir "$T/spool" >/dev/full 2>"$T/err"
	rc=$?
	if [ "$rc" -eq 1 ] && grep -q 'cannot write output' "$T/err"; then ok "cli: a full disk on stdout exits 1 with a message"
	else not_ok "cli: a full disk on stdout exits 1 (exit $rc)"; fi
else
	ok "cli: a full disk on stdout exits 1 # SKIP no /dev/full here"
fi

# pfqmon select and pfqmon top: the same rules for bad input.
expect_usage_error "select without a filter" "at least one filter" select "${AS_ROOT[@]}" --queue-dir "$T/spool"
expect_usage_error "select: a bad --client" "--client" select --client 1.2.3
expect_usage_error "select: a prefix too long" "--client" select --client 192.0.2.0/33
expect_usage_error "select: an IPv6 prefix too long" "at most 128" \
    select --client IPv6:2001:db8::/129
expect_usage_error "select: a zone index is named" "no zone index" \
    select --client fe80::1%eth0
expect_usage_error "select: IPv6: before IPv4 text" "not an IP address" \
    select --client IPv6:192.0.2.1
expect_usage_error "select: IPv6: and nothing" "not an IP address" select --client IPv6:
expect_usage_error "select: IPv6: with junk" "not an IP address" \
    select --client 'IPv6:2001:db8::25;rm'
expect_usage_error "select: --queue corrupt" "--queue" select --queue corrupt
expect_usage_error "select: a duration without a unit" "--older-than" select --older-than 5
expect_usage_error "select: --older-than twice" "--older-than" select --older-than 1h --older-than 2h
expect_usage_error "select: an empty --sasl-user" "--sasl-user" select --sasl-user ''
expect_usage_error "select: an address for --sender-domain" "--sender-domain" \
    select --sender-domain a@example.com
expect_usage_error "select: --sasl-user from showq" "need the queue files" \
    select --sasl-user victim --source showq "${AS_ROOT[@]}" --queue-dir "$T/spool"
expect_usage_error "select: --client from postqueue" "need the queue files" \
    select --client 192.0.2.1 --source postqueue "${AS_ROOT[@]}" -c "$T/etc"
expect_usage_error "select --encoded: a broken escape" "--encoded" \
    select --encoded --sender=a%4 "${AS_ROOT[@]}" --queue-dir "$T/spool"
expect_usage_error "select --encoded: an encoded NUL" "--encoded" \
    select --sasl-user=a%00b --encoded "${AS_ROOT[@]}" --queue-dir "$T/spool"
a=$("$PFQMON" select "${AS_ROOT[@]}" --queue-dir "$T/spool" --sender ext@remote.example)
b=$("$PFQMON" select "${AS_ROOT[@]}" --queue-dir "$T/spool" --sender=ext%40remote%2Eexample --encoded)
check "cli: select --encoded takes a percent-encoded value, before or after it" \
    test -n "$a" -a "$a" = "$b"
expect_usage_error "select: an unknown option" "'--frobnicate'" select --frobnicate
expect_usage_error "select: a stray argument" "'victim'" select --sender a@b victim
expect_usage_error "select: an agent-only option" "'--push'" select --sender a@b --push http://x
expect_usage_error "top: a bad --format" "--format" top --format xml
expect_usage_error "top: a bad --rows" "--rows" top --rows many
expect_info "select --help exits 0 and shows its usage" '^usage: pfqmon select' select --help
expect_info "top --help exits 0 and shows its usage" '^usage: pfqmon top' top --help

# One front end for every command (agent/cli.c): the same errors, the
# same settings, the same restricted mode. cmd_words CMD: the words that
# name it ("agent": none).
cmd_words() { [ "$1" = agent ] || printf '%s\n' "$1"; }
for c in agent select top serve; do
	mapfile -t w < <(cmd_words "$c")
	see="(see pfqmon${w[0]:+ ${w[0]}} --help)"
	expect_usage_error "$c: an unknown long option" "unknown option '--frobnicate' $see" \
	    "${w[@]}" --frobnicate
	expect_usage_error "$c: an unknown short option in a cluster" "unknown option '-x' $see" \
	    "${w[@]}" -vx
	expect_usage_error "$c: -xv names -x, not the argument before it" \
	    "unknown option '-x' $see" "${w[@]}" --threads 1 -xv
	expect_usage_error "$c: a flag given a value" "unknown option '--verbose=yes' $see" \
	    "${w[@]}" --verbose=yes
	expect_usage_error "$c: a missing value" "this option needs a value: '--threads' $see" \
	    "${w[@]}" --threads
	expect_usage_error "$c: a stray argument" "unexpected argument 'stray' $see" \
	    "${w[@]}" --threads 1 stray
	"$PFQMON" "${w[@]}" --help >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -eq 0 ] && cmp -s "$T/out" "tests/cli/help/$c.txt" && [ ! -s "$T/err" ]; then
		ok "cli: $c --help exits 0 and prints tests/cli/help/$c.txt"
	else
		not_ok "cli: $c --help (exit $rc: $(diff "tests/cli/help/$c.txt" "$T/out" | head -3))"
	fi
done

# same_error NAME ARGS...: the agent, select and top (given a filter)
# refuse ARGS with exit 2 and the very same line.
same_error() {
	local name=$1 c rc bad=""
	shift
	for c in agent select top; do
		mapfile -t w < <(cmd_words "$c")
		[ "$c" = select ] && w+=(--sender a@b.example)
		"$PFQMON" "${w[@]}" "$@" >"$T/out" 2>"$T/err.$c"
		rc=$?
		if [ "$rc" -ne 2 ] || [ "$(wc -l <"$T/err.$c")" -ne 1 ] || [ -s "$T/out" ]; then
			bad="$bad $c: exit $rc, $(head -c 200 "$T/err.$c");"
		fi
	done
	cmp -s "$T/err.agent" "$T/err.select" || bad="$bad select: $(head -c 200 "$T/err.select");"
	cmp -s "$T/err.agent" "$T/err.top" || bad="$bad top: $(head -c 200 "$T/err.top");"
	if [ -z "$bad" ]; then ok "cli: $name: the same line from agent, select and top"
	else not_ok "cli: $name (agent: $(head -c 200 "$T/err.agent");$bad)"; fi
}
same_error "--threads 65" --threads 65
same_error "--threads=x" --threads=x
same_error "--now 0" --now 0
same_error "an empty -c" -c ''
same_error "an empty --queue-dir" --queue-dir ''
same_error "an empty --user" --user ''
same_error "--source bogus" --source bogus
same_error "--queue-dir and -c together" "${AS_ROOT[@]}" --queue-dir "$T/spool" -c "$T/etc"

# Prometheus: --format, --listen and pfqmon serve (issue 20). Each bad
# value or combination is one line naming the option, exit 2.
expect_usage_error "--format bogus" "--format (format): want influx or openmetrics" \
    "${AS_ROOT[@]}" --queue-dir "$T/spool" --format bogus
expect_usage_error "--format openmetrics with --interval" "--format openmetrics is for one scan" \
    "${AS_ROOT[@]}" --queue-dir "$T/spool" --format openmetrics --interval 10s
expect_usage_error "--format openmetrics with --execd" "--format openmetrics is for one scan" \
    "${AS_ROOT[@]}" --queue-dir "$T/spool" --format openmetrics --execd
expect_usage_error "--format openmetrics with a --tag Prometheus cannot name" \
    "a Prometheus label name cannot start with a digit or __" \
    "${AS_ROOT[@]}" --queue-dir "$T/spool" --format openmetrics --tag 1x=y
expect_usage_error "--tag bucket (a label pfqmon uses)" "--tag" \
    "${AS_ROOT[@]}" --queue-dir "$T/spool" --tag bucket=y
for bad in host:9154 1.2.3.4:0 1.2.3.4:65536 1.2.3.4: :x '[::1' '[::1]x' 300.1.1.1:80; do
	expect_usage_error "serve --listen $bad" "--listen (listen): want" \
	    serve "${AS_ROOT[@]}" --queue-dir "$T/spool" --listen "$bad"
done
expect_usage_error "serve --listen-connections 0" "--listen-connections" \
    serve "${AS_ROOT[@]}" --queue-dir "$T/spool" --listen-connections 0
expect_usage_error "serve --listen-timeout 5ms" "--listen-timeout" \
    serve "${AS_ROOT[@]}" --queue-dir "$T/spool" --listen-timeout 5ms
expect_usage_error "serve takes no --push" "unknown option '--push'" \
    serve "${AS_ROOT[@]}" --queue-dir "$T/spool" --push http://127.0.0.1:1
expect_usage_error "--listen with --push" "--listen cannot be used with --execd or --push" \
    "${AS_ROOT[@]}" --queue-dir "$T/spool" --listen :9154 --push http://127.0.0.1:1 --push-db x
expect_usage_error "--listen with --format influx" "--format influx cannot be used with it" \
    "${AS_ROOT[@]}" --queue-dir "$T/spool" --listen 127.0.0.1:9154 --format influx
expect_info "serve --check-config says where it listens and how often it scans" \
    '^mode: serve /metrics on 127\.0\.0\.1:9999, scanning every 15000 ms$' \
    serve "${AS_ROOT[@]}" --queue-dir "$T/spool" --listen 127.0.0.1:9999 --check-config
expect_info "serve listens on :9154 by default" '^mode: serve /metrics on :9154' \
    serve "${AS_ROOT[@]}" --queue-dir "$T/spool" --check-config
expect_info "--schema --format openmetrics lists the Prometheus metrics" \
    '^metric postfix_queue_sasl_messages sasl_username,queue ' --schema --format openmetrics
expect_info "--format openmetrics --schema: the order does not matter" \
    '^metric postfix_queue_messages queue ' --format openmetrics --schema

# Run by sudo as a user, every command refuses what only root may give.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null &&
    setpriv --reuid=nobody --regid=nogroup --clear-groups "$PFQMON" --version >/dev/null 2>&1; then
	as_sudo_user() {
		setpriv --reuid=nobody --regid=nogroup --clear-groups env SUDO_UID=1000 "$PFQMON" "$@"
	}
	for c in agent select top; do
		mapfile -t w < <(cmd_words "$c")
		[ "$c" = select ] && w+=(--sender a@b.example)
		for opt in "--user root" "--config $T/conf"; do
			read -r -a o <<<"$opt"
			as_sudo_user "${w[@]}" "${o[@]}" >"$T/out" 2>"$T/err"
			rc=$?
			if [ "$rc" -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && [ ! -s "$T/out" ] &&
			    grep -qF "pfqmon: ${o[0]}: refused when run through sudo as nobody: " "$T/err"; then
				ok "cli: $c ${o[0]} through sudo as a user: refused, one line"
			else
				not_ok "cli: $c ${o[0]} through sudo as a user (exit $rc: $(head -c 200 "$T/err"))"
			fi
		done
	done
	as_sudo_user serve >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] &&
	    grep -qF "serve: refused when run through sudo as a user" "$T/err"; then
		ok "cli: serve through sudo as a user: refused, one line"
	else
		not_ok "cli: serve through sudo as a user (exit $rc: $(head -c 200 "$T/err"))"
	fi
	as_sudo_user --listen 127.0.0.1:9999 >"$T/out" 2>"$T/err"
	rc=$?
	check "cli: --listen through sudo as a user: refused" \
	    grep -qF -- "--listen: refused when run through sudo as nobody" "$T/err"
else
	ok "cli: the restricted mode in every command # SKIP needs root, setpriv and a binary nobody can run"
fi

# The spool now holds one file that is not a queue file: select says so
# on stderr, and its output is still only queue IDs.
"$PFQMON" select "${AS_ROOT[@]}" --queue-dir "$T/spool" --queue deferred --queue hold \
    --queue incoming >"$T/out" 2>"$T/err"
rc=$?
if [ "$rc" -eq 0 ] && [ "$(wc -l <"$T/out")" -eq 7 ] && ! grep -qv '^[0-9A-F]*$' "$T/out" &&
    grep -q '1 of the queue files could not be read' "$T/err"; then
	ok "cli: select warns about a file it could not read and lists the rest"
else
	not_ok "cli: select with an unreadable file (exit $rc: $(head -c 200 "$T/err"))"
fi
"$PFQMON" select "${AS_ROOT[@]}" --queue-dir "$T/nonexistent" --sender a@b >"$T/out" 2>"$T/err"
rc=$?
if [ "$rc" -eq 1 ] && grep -q 'cannot open queue directory' "$T/err" && [ ! -s "$T/out" ]; then
	ok "cli: select on a missing queue directory exits 1 with nothing on stdout"
else
	not_ok "cli: select on a missing queue directory (exit $rc)"
fi
"$PFQMON" select "${AS_ROOT[@]}" --queue-dir "$T/spool" --queue deferred >/dev/full 2>"$T/err"
rc=$?
check "cli: select to a full disk exits 1" test "$rc" -eq 1

# --client takes Postfix's "IPv6:" form; the families never mix: the
# sample's 5 SMTP messages in the default queues are from 127.0.0.1.
for c in IPv6:2001:db8::25 '[IPv6:2001:db8::]/32' 2001:DB8:0::25 ::/0; do
	n=$("$PFQMON" select "${AS_ROOT[@]}" --queue-dir "$T/spool" --client "$c" --count 2>"$T/err")
	check "cli: select --client $c is accepted and matches no IPv4 client" \
	    test "$n" = 0
done
for c in 0.0.0.0/0 IPv6:::ffff:127.0.0.1 ::ffff:127.0.0.0/104; do
	n=$("$PFQMON" select "${AS_ROOT[@]}" --queue-dir "$T/spool" --client "$c" --count 2>"$T/err")
	check "cli: select --client $c matches the 5 IPv4 clients" test "$n" = 5
done

# top: the table's totals and the JSON document.
"$PFQMON" top "${AS_ROOT[@]}" --queue-dir "$T/spool" --now 1795835000 >"$T/out" 2>"$T/err"
check "cli: top's table counts the 9 messages of the sample" \
    grep -q '^9 messages, 16 recipients' "$T/out"
"$PFQMON" top "${AS_ROOT[@]}" --queue-dir "$T/spool" --now 1795835000 --format json --rows 2 >"$T/top.json" 2>"$T/err"
check "cli: top --format json is one valid JSON document" "$JSONCHECK" "$T/top.json"
n=$("$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["senders"]["rows"]), d["senders"]["other"]["length"], d["total"]["length"])' "$T/top.json")
check "cli: top --rows 2 keeps two senders and folds the other 7 messages" test "$n" = "2 5 9"
for format in table json; do
	"$PFQMON" top "${AS_ROOT[@]}" --queue-dir "$T/spool" --format "$format" >/dev/full 2>"$T/err"
	rc=$?
	if [ "$rc" -eq 1 ] && grep -q 'cannot write output' "$T/err"; then
		ok "cli: top --format $format to a full disk exits 1 and says so"
	else
		not_ok "cli: top --format $format to a full disk (exit $rc: $(head -c 200 "$T/err"))"
	fi
done

# A reader that stops early (head) ends select quietly, as it ends grep.
"$PFQMON" select "${AS_ROOT[@]}" --queue-dir "$T/spool" --queue deferred 2>"$T/err" | head -1 >"$T/out"
n=$(wc -l <"$T/out")
if [ "$n" -eq 1 ] && ! grep -qiE 'write|pipe' "$T/err"; then
	ok "cli: select | head -1 gives one ID and no write error"
else
	not_ok "cli: select | head -1 ($n lines: $(head -c 200 "$T/err"))"
fi
