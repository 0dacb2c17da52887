# pfqmon - Postfix queue monitor for the TICK stack.
#
#   make                 build agent/pfqmon
#   make demo            (root) install what it needs, then show pfqmon on a
#                        throw-away Postfix with a compromised account
#   make check           unit, golden, hostile-input, fuzz-corpus and lint
#                        tests (also under ASan+UBSan and valgrind), and the
#                        integration tests against a real Postfix and InfluxDB
#   make fuzz            run the libFuzzer targets (clang) for FUZZ_SECONDS each
#   make lint            refuse banned C library calls
#   make install         PREFIX=/usr/local DESTDIR=: the binary, man pages,
#                        TICKscripts, dashboard, examples and systemd unit
#   make deb             the Debian package (dpkg-buildpackage), in build/deb/
#
# User CFLAGS, CPPFLAGS and LDFLAGS are kept; warnings are always on.

VERSION	= 0.2.0

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
DATADIR	?= $(PREFIX)/share
MANDIR	?= $(DATADIR)/man
DOCDIR	?= $(DATADIR)/doc/pfqmon
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
DESTDIR	?=
PKG_CONFIG ?= pkg-config
CC	?= cc
CLANG	?= clang
OPT	?= -O2 -g
FUZZ_SECONDS ?= 60
PYTHON	?= /usr/bin/python3

WARN	= -Wall -Wextra -Wshadow -Wpointer-arith -Wcast-qual -Wwrite-strings \
	  -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla
HARDEN	= -fstack-protector-strong -D_FORTIFY_SOURCE=2
DEFS	= -D_DEFAULT_SOURCE -DPFQMON_VERSION='"$(VERSION)"'
ALL_CFLAGS = -std=c11 -pthread $(OPT) $(WARN) $(HARDEN) $(DEFS) $(CPPFLAGS) $(CFLAGS)
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all \
	  -fno-omit-frame-pointer

CHECK_CFLAGS = $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell $(PKG_CONFIG) --libs check 2>/dev/null)
JANSSON_CFLAGS = $(shell $(PKG_CONFIG) --cflags jansson 2>/dev/null)
JANSSON_LIBS   = $(shell $(PKG_CONFIG) --libs jansson 2>/dev/null)
# The agent links libcurl (push.c), jansson (json.c) and zlib (gzip).
DEP_CFLAGS = $(shell $(PKG_CONFIG) --cflags libcurl jansson zlib 2>/dev/null)
DEP_LIBS   = $(shell $(PKG_CONFIG) --libs libcurl jansson zlib 2>/dev/null)

# The agent: everything but main.c is also linked into tests and fuzzers.
LIB_SRC	= rec qmsg qfile addr tagval siphash agg cache lp report qdir pool \
	  rescan tally spool postconf buf msg \
	  xalloc child json settings config outq push sender clock sched closing watch priv \
	  listing pqjson showq source agent filter top cmd cli sudo
HDRS	= $(wildcard agent/*.h)
LIB_OBJ	= $(LIB_SRC:%=build/obj/%.o)
SAN_OBJ	= $(LIB_SRC:%=build/san/%.o)

UNIT_SRC = $(wildcard tests/unit/*.c)
TLIB_SRC = $(wildcard tests/lib/*.c)
TLIB_HDR = $(wildcard tests/lib/*.h)
TOOLS	= qfdump mkqf lpcheck jsoncheck privprobe
FUZZERS	= fuzz_qfile fuzz_lp fuzz_config fuzz_pqjson fuzz_showq

all: agent/pfqmon

agent/pfqmon: build/obj/main.o $(LIB_OBJ)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(DEP_LIBS)

build/obj/%.o: agent/%.c $(HDRS) | build/obj
	$(CC) $(ALL_CFLAGS) $(DEP_CFLAGS) -c -o $@ $<

build/san/%.o: agent/%.c $(HDRS) | build/san
	$(CC) $(ALL_CFLAGS) $(DEP_CFLAGS) $(SAN_FLAGS) -c -o $@ $<

build/obj build/san build/tests build/fuzz:
	mkdir -p $@

# --- test programs, plain and sanitized ---------------------------------

build/tests/pfqmon-san: build/san/main.o $(SAN_OBJ) | build/tests
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(DEP_LIBS)

TINC	= -Iagent -Itests/lib

build/tests/unit: $(UNIT_SRC) $(TLIB_SRC) tests/unit/unit.h $(TLIB_HDR) \
	    $(HDRS) $(LIB_OBJ) | build/tests
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) $(TINC) $(LDFLAGS) -o $@ \
	    $(UNIT_SRC) $(TLIB_SRC) $(LIB_OBJ) $(CHECK_LIBS) $(DEP_LIBS)

build/tests/unit-san: $(UNIT_SRC) $(TLIB_SRC) tests/unit/unit.h $(TLIB_HDR) \
	    $(HDRS) $(SAN_OBJ) | build/tests
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(CHECK_CFLAGS) $(TINC) $(LDFLAGS) \
	    -o $@ $(UNIT_SRC) $(TLIB_SRC) $(SAN_OBJ) $(CHECK_LIBS) $(DEP_LIBS)

build/tests/jsoncheck: tests/tools/jsoncheck.c | build/tests
	$(CC) $(ALL_CFLAGS) $(JANSSON_CFLAGS) $(LDFLAGS) -o $@ $< $(JANSSON_LIBS)

build/tests/%: tests/tools/%.c $(TLIB_SRC) $(TLIB_HDR) $(HDRS) $(LIB_OBJ) | build/tests
	$(CC) $(ALL_CFLAGS) $(TINC) $(LDFLAGS) -o $@ $< $(TLIB_SRC) $(LIB_OBJ) \
	    $(DEP_LIBS)

# Fuzz targets built with gcc and a replay driver: make check runs the
# corpus through them (sanitized), no libFuzzer needed.
build/tests/%-replay: tests/fuzz/%.c tests/fuzz/replay.c $(TLIB_SRC) \
	    $(TLIB_HDR) $(HDRS) $(SAN_OBJ) | build/tests
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(TINC) $(LDFLAGS) -o $@ $< \
	    tests/fuzz/replay.c $(TLIB_SRC) $(SAN_OBJ) $(DEP_LIBS)

# The real fuzzers: clang's libFuzzer.
build/fuzz/%: tests/fuzz/%.c $(LIB_SRC:%=agent/%.c) $(HDRS) $(TLIB_SRC) \
	    $(TLIB_HDR) | build/fuzz
	$(CLANG) -std=c11 -pthread -g -O1 $(DEFS) $(TINC) \
	    $(DEP_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< \
	    $(LIB_SRC:%=agent/%.c) $(TLIB_SRC) $(DEP_LIBS)

TEST_PROGS = agent/pfqmon build/tests/pfqmon-san build/bench/gen build/tests/unit \
	  build/tests/unit-san $(TOOLS:%=build/tests/%) \
	  $(FUZZERS:%=build/tests/%-replay)

check: $(TEST_PROGS)
	PYTHON=$(PYTHON) tests/run.sh

demo:
	tests/install-deps.sh demo
	$(MAKE) agent/pfqmon build/tests/lpcheck
	$(PYTHON) tests/integration/demo.py

test: check

fuzz: $(FUZZERS:%=build/fuzz/%)
	tests/fuzz/run-fuzzers.sh $(FUZZ_SECONDS) $(FUZZERS)

lint:
	tests/lint.sh

# What make install puts where; the Debian package is this with PREFIX=/usr
# (debian/rules). The docs name the package's binary, /usr/bin/pfqmon: the
# installed examples and unit name $(BINDIR)/pfqmon instead, so that the
# sudoers lines and Telegraf commands copied from them match the binary.
MANPAGES = man/pfqmon.8 man/pfqmon-select.8 man/pfqmon-top.8
TICKFILES = $(sort $(wildcard tick/*.tick tick/*.vars.json))
DOCFILES = README.md NEWS docs/configuration.md docs/metrics.md docs/select.md
TELEGRAF_EXAMPLES = docs/telegraf/README.md docs/telegraf/pfqmon-exec.conf \
	  docs/telegraf/pfqmon-execd.conf docs/telegraf/sudoers.pfqmon-exec \
	  docs/telegraf/sudoers.pfqmon-execd
SUBST_BINDIR = sed 's|/usr/bin/pfqmon|$(BINDIR)/pfqmon|g'

install: agent/pfqmon
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(DATADIR)/pfqmon/tick $(DESTDIR)$(DATADIR)/pfqmon/dashboards \
	    $(DESTDIR)$(DOCDIR)/examples/telegraf $(DESTDIR)$(SYSTEMDUNITDIR)
	install -m 0755 agent/pfqmon $(DESTDIR)$(BINDIR)/pfqmon
	install -m 0644 $(MANPAGES) $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(TICKFILES) $(DESTDIR)$(DATADIR)/pfqmon/tick/
	install -m 0644 dashboards/pfqmon.json $(DESTDIR)$(DATADIR)/pfqmon/dashboards/
	install -m 0644 $(DOCFILES) $(DESTDIR)$(DOCDIR)/
	install -m 0644 docs/packaging/pfqmon.json $(DESTDIR)$(DOCDIR)/examples/
	for f in $(TELEGRAF_EXAMPLES); do \
	    $(SUBST_BINDIR) $$f >$(DESTDIR)$(DOCDIR)/examples/telegraf/$${f##*/} && \
	    chmod 0644 $(DESTDIR)$(DOCDIR)/examples/telegraf/$${f##*/} || exit 1; \
	done
	$(SUBST_BINDIR) docs/packaging/pfqmon.service \
	    >$(DESTDIR)$(SYSTEMDUNITDIR)/pfqmon.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/pfqmon.service

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/pfqmon $(DESTDIR)$(SYSTEMDUNITDIR)/pfqmon.service \
	    $(MANPAGES:man/%=$(DESTDIR)$(MANDIR)/man8/%) \
	    $(TICKFILES:tick/%=$(DESTDIR)$(DATADIR)/pfqmon/tick/%) \
	    $(DESTDIR)$(DATADIR)/pfqmon/dashboards/pfqmon.json \
	    $(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(DOCFILES)) examples/pfqmon.json) \
	    $(addprefix $(DESTDIR)$(DOCDIR)/examples/telegraf/,$(notdir $(TELEGRAF_EXAMPLES)))
	for d in $(DATADIR)/pfqmon/tick $(DATADIR)/pfqmon/dashboards $(DATADIR)/pfqmon \
	    $(DOCDIR)/examples/telegraf $(DOCDIR)/examples $(DOCDIR); do \
	    if [ -d $(DESTDIR)$$d ]; then rmdir $(DESTDIR)$$d || exit 1; fi; \
	done

deb:
	tests/packaging/build-deb.sh build/deb

clean:
	rm -rf build agent/pfqmon

.PHONY: all check demo test fuzz lint install uninstall deb clean
.SECONDARY:

# --- benchmark ------------------------------------------------------------

BENCH_PROGS = build/bench/gen build/bench/floor build/bench/statwalk

build/bench:
	mkdir -p $@

build/bench/gen: bench/gen.c tests/lib/qfwrite.c tests/lib/qfwrite.h agent/buf.c \
	    agent/xalloc.c agent/msg.c | build/bench
	$(CC) $(ALL_CFLAGS) -Iagent -Itests/lib $(LDFLAGS) -o $@ bench/gen.c \
	    tests/lib/qfwrite.c agent/buf.c agent/xalloc.c agent/msg.c

build/bench/%: bench/%.c | build/bench
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $<

bench:
	tests/install-deps.sh bench
	$(MAKE) agent/pfqmon $(BENCH_PROGS)
	$(PYTHON) bench/run.py

.PHONY: bench
