#!/usr/bin/env bash
# build-deb.sh OUTDIR - the Debian package, built by "dpkg-buildpackage
# -us -uc -b" in a copy of this tree (the files git knows, committed or
# not; without git, the tree less its build outputs), so that "debian/rules
# clean" leaves this tree's build alone and nothing lands in its parent.
# Moves the .deb, the dbgsym .ddeb, the .buildinfo and the .changes to
# OUTDIR, with the whole build's output in OUTDIR/build.log.
# Run as root, it builds as nobody. DEB_BUILD_OPTIONS passes through
# (nocheck: no build-time tests); the build dependencies are
# debian/control's (tests/install-deps.sh deb).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
mkdir -p "$1"
out=$(cd "$1" && pwd)
version=$(dpkg-parsechangelog -S Version)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pfqmon-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
src=$tmp/pfqmon-$version
mkdir "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard |
	    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
	    tar --null -T - -cf - | tar -C "$src" -xf -
else
	tar --exclude=./build --exclude=./agent/pfqmon --exclude=./bench/cache \
	    --exclude=./.git -cf - . | tar -C "$src" -xf -
fi
# Both cores, unless the caller chose (dpkg-buildpackage would use one).
case " ${DEB_BUILD_OPTIONS:-} " in
*" parallel="*) ;;
*) export DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:+$DEB_BUILD_OPTIONS }parallel=$(nproc)" ;;
esac
# As root, build as nobody, as Debian's build daemons do: nothing in the
# build needs root (Rules-Requires-Root: no), and the build-time tests then
# run as an ordinary user.
as=()
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	mkdir "$tmp/home"
	chown -R nobody: "$tmp"
	as=(runuser -u nobody -- env HOME="$tmp/home")
fi
echo "dpkg-buildpackage -us -uc -b in $src${as[*]:+ as nobody} (log: $out/build.log)"
if ! (cd "$src" && "${as[@]}" dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" >&2
	echo "$0: dpkg-buildpackage failed; the whole log is $out/build.log" >&2
	exit 1
fi
rm -f "$out"/pfqmon_*.deb "$out"/pfqmon-dbgsym_*.*deb "$out"/pfqmon_*.buildinfo \
    "$out"/pfqmon_*.changes
mv "$tmp"/*.deb "$tmp"/*.changes "$tmp"/*.buildinfo "$out"/
mv "$tmp"/*.ddeb "$out"/ 2>/dev/null || true
[ ${#as[@]} -eq 0 ] || chown "$(id -u):$(id -g)" "$out"/pfqmon*
ls "$out"/pfqmon_*.deb
