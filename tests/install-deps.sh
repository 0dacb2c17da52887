#!/usr/bin/env bash
# install-deps.sh [demo|bench|deb|all] - install the Debian packages pfqmon needs.
#
#   demo:  build the agent and run a throw-away Postfix (make demo)
#   bench: that and GNU time, for peak RSS (make bench)
#   deb:   build the Debian package (make deb): debian/control's Build-Depends
#   all:   also everything make check uses (.ci/run), including Debian's
#          chromium and node/npm, the browser test's npm packages
#          (tests/browser: npm ci from its package-lock.json), and the
#          package test's lintian, man-db and mandoc
#
# install-deps.sh --list PROFILE prints the profile's packages, one a line,
# and installs nothing (tests/packaging/files.py checks debian/control
# against it).
# Noninteractive, waits for the dpkg lock (other jobs may share the
# machine), retries a failed download. Installing postfix this way never
# configures or starts a mail system: the tests run their own instances.
set -euo pipefail

list=0
if [ "${1:-}" = --list ]; then
	list=1
	shift
fi
profile=${1:-all}
DEMO=(build-essential pkg-config python3 postfix
	libcurl4-openssl-dev libjansson-dev zlib1g-dev	# push, configuration, gzip
	libmicrohttpd-dev)				# pfqmon serve
ALL=("${DEMO[@]}"
	check valgrind clang strace		# unit tests, leak checks, fuzzers, fault injection
	sudo					# visudo checks the shipped sudoers line
	systemd openssl				# systemd-analyze verify; a test TLS certificate
	influxdb influxdb-client curl		# the line-protocol parser of record
	time					# peak RSS: make bench, and a test of make check
	faketime				# wall-clock steps under a running agent
	python3-aiosmtpd			# the SMTP server the alert mails go to
	prometheus prometheus-alertmanager	# promtool, and the Prometheus path end to end
	chromium				# the dashboard, rendered by Chronograf's UI
	debhelper dpkg-dev			# the package test builds the .deb
	lintian man-db mandoc			# lintian, man -w and --warnings, mandoc -T lint
)
BENCH=("${DEMO[@]}" time)
DEB=("${DEMO[@]}" debhelper dpkg-dev check valgrind)
case $profile in
demo) PACKAGES=("${DEMO[@]}") ;;
bench) PACKAGES=("${BENCH[@]}") ;;
deb) PACKAGES=("${DEB[@]}") ;;
all) PACKAGES=("${ALL[@]}") ;;
*) echo "usage: $0 [--list] [demo|bench|deb|all]" >&2; exit 2 ;;
esac
if [ "$list" -eq 1 ]; then
	printf '%s\n' "${PACKAGES[@]}"
	exit 0
fi

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing+=("$p")
done
# node and npm: Debian's, unless the machine already has both (from any
# package: Debian's npm cannot be installed next to another nodejs).
if [ "$profile" = all ] && ! { command -v node && command -v npm; } >/dev/null; then
	command -v node >/dev/null || missing+=(nodejs)
	missing+=(npm)
fi

# npm_packages: the browser test's packages, exactly as locked; the
# registry's puppeteer-core, which never downloads a browser (the test
# drives Debian's chromium).
npm_packages() {
	[ "$profile" = all ] || return 0
	local dir
	dir="$(dirname "$0")/browser"
	if [ -f "$dir/node_modules/.package-lock.json" ] &&
	    cmp -s "$dir/package-lock.json" "$dir/node_modules/.stamp-lock" 2>/dev/null; then
		return 0
	fi
	for attempt in 1 2 3; do
		if (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts); then
			cp "$dir/package-lock.json" "$dir/node_modules/.stamp-lock"
			return 0
		fi
		sleep $((attempt * 10))
	done
	echo "$0: npm ci in $dir failed" >&2
	return 1
}

if [ ${#missing[@]} -eq 0 ]; then
	npm_packages
	exit
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "$0: run as root to install: ${missing[*]}" >&2; exit 1; }
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -o DPkg::Lock::Timeout=300 -y -q)
printf '%s\n' 'postfix postfix/main_mailer_type select No configuration' \
    'postfix postfix/mailname string pfqmon.invalid' | $SUDO debconf-set-selections
for attempt in 1 2 3; do
	if $SUDO "${APT[@]}" update && \
	    $SUDO "${APT[@]}" install --no-install-recommends "${missing[@]}"; then
		npm_packages
		exit
	fi
	sleep $((attempt * 10))
done
echo "$0: apt-get failed" >&2
exit 1
