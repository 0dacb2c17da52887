#!/usr/bin/env bash
# lint.sh - rules the compiler does not enforce.
#
# - no banned C library calls in agent/ (unbounded copies and unchecked
#   number parsing: gets strcpy strcat sprintf vsprintf strtok atoi atol
#   atoll sscanf strncpy);
# - the code that touches the spool never opens for writing, writes,
#   truncates, locks, renames, links, removes, chmods, chowns or touches
#   anything: no such call anywhere in agent/ but in the files that own
#   a descriptor that is not the spool's (WRITERS below), so that a
#   module split out of the spool reader is checked without being named;
# - every agent source compiles without a warning under -Werror;
# - at most one module includes curl, at most one jansson;
# - commit subjects of at most 72 characters, the detail in the body.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib/tap.sh

banned='\b(gets|strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|atoll|sscanf|strncpy)[[:space:]]*\('
hits=$(grep -nE "$banned" agent/*.c agent/*.h || true)
if [ -z "$hits" ]; then ok "lint: no banned C library calls in agent/"
else not_ok "lint: banned calls: $hits"; fi

# Calls (and flags) that can change a file, a directory or its inode:
# opening for writing (open flags, creat, fopen/fdopen/freopen with a
# w, a or + mode), writing, truncating, allocating, locks and leases,
# renames, links, removals, new nodes, modes, owners, times, extended
# attributes, and the doors around the C library (syscall, ioctl,
# io_uring, shared writable mappings).
writes='O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND|\bcreat\('
writes+='|\bf(d|re)?open\([^;]*"([wa][bcemx+]*|r[bcemx]*\+[bcemx+]*)"'
writes+='|\bp?write(v2?|64)?\(|\bf?truncate(64)?\(|\b(posix_)?fallocate\('
writes+='|\bcopy_file_range\(|\bsplice\(|\bsendfile\('
writes+='|\bflock\(|F_SETLKW?|F_OFD_SETLKW?|F_SETLEASE|\blockf\('
writes+='|\brename(at2?)?\(|\b(sym)?link(at)?\(|\bunlink(at)?\(|\bremove\(|\brmdir\('
writes+='|\bmkdir(at)?\(|\bmk(nod|fifo)(at)?\('
writes+='|\bf?chmod(at)?\(|\b[lf]?chown(at)?\('
writes+='|\butimes?\(|\b[lf]utimes\(|\bfutimesat\(|\bfutimens\(|\butimensat\('
writes+='|\b[lf]?(set|remove)xattr\('
writes+='|\bsyscall\(|\bioctl\(|\bio_uring|MAP_SHARED'
# The files that may: buf.c writes the output (stdout, sockets), child.c
# and main.c open /dev/null for fds 0-2, priv.c makes the Landlock and
# seccomp calls (priv.c and priv.h name the flags and calls it refuses).
WRITERS='agent/(buf\.c|child\.c|main\.c|priv\.[ch])'
files=()
for f in agent/*.c agent/*.h; do
	[[ $f =~ ^$WRITERS$ ]] || files+=("$f")
done
hits=$(grep -nE "$writes" "${files[@]}" || true)
if [ -z "$hits" ]; then ok "lint: the spool reader never writes, truncates, locks, renames, links, removes, chmods, chowns or touches"
else not_ok "lint: write-like calls outside $WRITERS: $hits"; fi

CC=${CC:-cc}
# The Makefile's warning list (WARN) is the only one. MAKEFLAGS is not
# passed on: a make check with -j would hand over a jobserver this make
# cannot use.
warn=$(MAKEFLAGS= MFLAGS= ${MAKE:-make} -s --no-print-directory print-warn) || warn=
if [ -z "$warn" ]; then
	not_ok "lint: make print-warn gives no warning list"
	warn="-Wall -Wextra"
fi
flags="-std=c11 -O2 $warn -D_DEFAULT_SOURCE -Werror -fsyntax-only"
fails=""
for f in agent/*.c; do
	# shellcheck disable=SC2086
	$CC $flags "$f" 2>/dev/null || fails="$fails $f"
done
if [ -z "$fails" ]; then ok "lint: agent/ compiles with the Makefile's warnings and -Werror"
else not_ok "lint: warnings in:$fails"; fi

n=$(grep -l '#include <curl/' agent/*.c agent/*.h 2>/dev/null | wc -l)
m=$(grep -l '#include <jansson.h>' agent/*.c agent/*.h 2>/dev/null | wc -l)
h=$(grep -l '#include <microhttpd.h>' agent/*.c agent/*.h 2>/dev/null | wc -l)
check "lint: at most one module includes curl, one jansson and one microhttpd" \
    test "$n" -le 1 -a "$m" -le 1 -a "$h" -le 1

# Commit messages since the rule was written down (COMMIT_BASE, by
# default the commit before it): a subject of at most 72 characters, then
# a blank line before any detail. Skipped outside a git checkout, or
# where the base is not in the history (a shallow clone).
base=${COMMIT_BASE:-b4c3008}
if ! git rev-parse --git-dir >/dev/null 2>&1; then
	ok "lint: commit subjects # SKIP not a git checkout"
elif ! git cat-file -e "$base^{commit}" 2>/dev/null; then
	ok "lint: commit subjects # SKIP commit $base is not in this clone"
else
	bad=$(git log --format='%h%x09%s' "$base..HEAD" | awk -F'\t' '
	    length($2) > 72 { print $1 ": subject of " length($2) " characters" }')
	wrapped=$(git log --format='%h %B%x00' "$base..HEAD" | awk -v RS='\0' '
	    { sub(/^\n/, ""); n = split($0, l, "\n"); if (n > 1 && l[2] != "") print substr(l[1], 1, 7) ": no blank line after the subject" }')
	bad=$(printf '%s\n%s' "$bad" "$wrapped" | sed '/^$/d')
	n=$(git rev-list --count "$base..HEAD")
	if [ -z "$bad" ]; then ok "lint: the $n commits since $base have subjects of at most 72 characters, detail after a blank line"
	else not_ok "lint: commit messages since $base:" $bad; fi
fi
