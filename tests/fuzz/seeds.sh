#!/usr/bin/env bash
# seeds.sh TARGET DIR - copy the real inputs a fuzz target starts from
# into DIR: Postfix 3.7's own queue files for the queue-file parser, its
# postqueue -j output for the JSON reader, a stream its showq service sent
# (tests/tools/capture-showq.py) for the showq reader, the shipped
# configuration for
# the configuration reader. make fuzz adds them to the corpus; make check
# replays them with it. Prints how many were copied.
set -eu
cd "$(dirname "$0")/../.."
t=$1
dir=$2
fix=tests/fixtures/postfix-3.7
mkdir -p "$dir"
case $t in
fuzz_qfile)
	find "$fix/spool/deferred" "$fix/spool/hold" -type f -exec cp {} "$dir/" \;
	cp "$fix"/maildrop-* "$dir/"
	;;
fuzz_pqjson)
	cp "$fix/postqueue-j.txt" "$dir/"
	;;
fuzz_showq)
	cp "$fix/showq-stream.bin" "$dir/"
	;;
fuzz_config)
	cp docs/packaging/pfqmon.json "$dir/"
	;;
esac
find "$dir" -type f | wc -l
