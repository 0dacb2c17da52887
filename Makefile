# pfqmon - Postfix queue monitor for the TICK stack.
#
#   make                 build agent/pfqmon
#   make demo            (root) install what it needs, then show pfqmon on a
#                        throw-away Postfix with a compromised account
#   make check           unit, golden, hostile-input, fuzz-corpus and lint
#                        tests (also under ASan+UBSan and valgrind), and the
#                        integration tests against a real Postfix and InfluxDB
#   make check-fast      the tests that need neither root nor a service (any
#                        user, about a minute)
#   make check GROUP=name [CASE=name]
#                        one test group, or one case of it (tests/run.sh --list)
#   make testprogs       build everything the tests run (make -j2 testprogs)
#   make fuzz            run the libFuzzer targets (clang) for FUZZ_SECONDS each
#   make lint            refuse banned C library calls
#   make install         PREFIX=/usr/local DESTDIR=: the binary, man pages,
#                        TICKscripts, dashboard, examples and systemd unit
#   make deb             the Debian package (dpkg-buildpackage), in build/deb/
#
# User CFLAGS, CPPFLAGS and LDFLAGS are kept; warnings are always on.
# Every object records the headers it includes (-MMD): a changed header
# rebuilds what includes it, and only that.

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

# $(call pkgconf,--cflags|--libs,MODULES): pkg-config's answer, or the
# build stops naming the modules pkg-config cannot find. Each variable
# below asks once, when a rule first needs it: make clean and make lint
# need none.
pkgfound = $(shell $(PKG_CONFIG) --exists $(1) 2>/dev/null && echo y)
pkgconf = $(if $(call pkgfound,$(2)),$(shell $(PKG_CONFIG) $(1) $(2)),$(error \
	$(PKG_CONFIG) cannot find $(strip $(foreach m,$(2),$(if $(call pkgfound,$(m)),,$(m)))): \
	install pkg-config and the development packages (as root: tests/install-deps.sh)))
CHECK_CFLAGS = $(eval CHECK_CFLAGS := $(call pkgconf,--cflags,check))$(CHECK_CFLAGS)
CHECK_LIBS   = $(eval CHECK_LIBS := $(call pkgconf,--libs,check))$(CHECK_LIBS)
JANSSON_LIBS = $(eval JANSSON_LIBS := $(call pkgconf,--libs,jansson))$(JANSSON_LIBS)
# The agent links libcurl (push.c), jansson (json.c), zlib (gzip) and
# libmicrohttpd (serve.c).
DEPS	= libcurl jansson zlib libmicrohttpd
DEP_CFLAGS = $(eval DEP_CFLAGS := $(call pkgconf,--cflags,$(DEPS)))$(DEP_CFLAGS)
DEP_LIBS   = $(eval DEP_LIBS := $(call pkgconf,--libs,$(DEPS)))$(DEP_LIBS)

# The agent: everything but main.c is also linked into tests and fuzzers.
LIB_SRC	= rec qmsg qfile addr tagval siphash agg cache lp report prom qdir pool \
	  rescan tally spool postconf buf msg \
	  xalloc child json settings config outq push sender clock sched closing \
	  wscan watch arrivals priv serve listing pqjson showq source agent filter top cmd cli \
	  sudo
HDRS	= $(wildcard agent/*.h)
LIB_OBJ	= $(LIB_SRC:%=build/obj/%.o)
SAN_OBJ	= $(LIB_SRC:%=build/san/%.o)

UNIT_SRC = $(wildcard tests/unit/*.c)
TLIB_SRC = $(wildcard tests/lib/*.c)
TOOLS	= qfdump mkqf lpcheck jsoncheck privprobe
FUZZERS	= fuzz_qfile fuzz_lp fuzz_prom fuzz_config fuzz_pqjson fuzz_showq

all: agent/pfqmon

agent/pfqmon: build/obj/main.o $(LIB_OBJ)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(DEP_LIBS)

# Objects: build/obj plain, build/san with ASan+UBSan, build/fz for
# libFuzzer; agent/x.c is build/obj/x.o, tests/d/x.c build/obj/tests/d/x.o.
# Each writes its header dependencies to x.d beside it (-MMD -MP).
# build/.mmd marks a tree built so: objects older than it (from before
# -MMD, so without a .d) are built again.
DEPFLAGS = -MMD -MP
TINC	= -Iagent -Itests/lib
FUZZ_CFLAGS = -std=c11 -pthread -g -O1 $(DEFS)

build/obj/%.o: agent/%.c build/.mmd
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(DEP_CFLAGS) $(DEPFLAGS) -c -o $@ $<

build/san/%.o: agent/%.c build/.mmd
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(DEP_CFLAGS) $(SAN_FLAGS) $(DEPFLAGS) -c -o $@ $<

build/obj/tests/%.o: tests/%.c build/.mmd
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(TINC) $(TEST_CFLAGS) $(DEP_CFLAGS) $(DEPFLAGS) -c -o $@ $<

build/san/tests/%.o: tests/%.c build/.mmd
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(TINC) $(TEST_CFLAGS) $(DEP_CFLAGS) $(SAN_FLAGS) $(DEPFLAGS) \
	    -c -o $@ $<

build/fz/%.o: agent/%.c build/.mmd
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) $(DEP_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined \
	    $(DEPFLAGS) -c -o $@ $<

build/fz/tests/%.o: tests/%.c build/.mmd
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) $(TINC) $(DEP_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined \
	    $(DEPFLAGS) -c -o $@ $<

build/.mmd:
	@mkdir -p build && touch $@
-include $(wildcard build/obj/*.d build/san/*.d build/fz/*.d \
	  build/obj/tests/*/*.d build/san/tests/*/*.d build/fz/tests/*/*.d)

# --- test programs, plain and sanitized ---------------------------------
# Each source is its own object, so make -j builds them side by side.

UNIT_OBJ = $(UNIT_SRC:%.c=build/obj/%.o)
TLIB_OBJ = $(TLIB_SRC:%.c=build/obj/%.o)
$(UNIT_OBJ) $(UNIT_OBJ:build/obj/%=build/san/%): TEST_CFLAGS = $(CHECK_CFLAGS)

build/tests/pfqmon-san: build/san/main.o $(SAN_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(DEP_LIBS)

build/tests/unit: $(UNIT_OBJ) $(TLIB_OBJ) $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(DEP_LIBS)

build/tests/unit-san: $(UNIT_OBJ:build/obj/%=build/san/%) $(TLIB_OBJ:build/obj/%=build/san/%) \
	    $(SAN_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(DEP_LIBS)

build/tests/jsoncheck: build/obj/tests/tools/jsoncheck.o
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(JANSSON_LIBS)

$(filter-out build/tests/jsoncheck,$(TOOLS:%=build/tests/%)): build/tests/%: \
	    build/obj/tests/tools/%.o $(TLIB_OBJ) $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(DEP_LIBS)

# Fuzz targets built with gcc and a replay driver: make check runs the
# corpus through them (sanitized), no libFuzzer needed.
$(FUZZERS:%=build/tests/%-replay): build/tests/%-replay: build/san/tests/fuzz/%.o \
	    build/san/tests/fuzz/replay.o $(TLIB_OBJ:build/obj/%=build/san/%) $(SAN_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(DEP_LIBS)

# The real fuzzers: clang's libFuzzer.
$(FUZZERS:%=build/fuzz/%): build/fuzz/%: build/fz/tests/fuzz/%.o $(LIB_SRC:%=build/fz/%.o) \
	    $(TLIB_SRC:%.c=build/fz/%.o)
	@mkdir -p $(@D)
	$(CLANG) -pthread -fsanitize=fuzzer,address,undefined -o $@ $^ $(DEP_LIBS)

TEST_PROGS = agent/pfqmon build/tests/pfqmon-san build/bench/gen build/tests/unit \
	  build/tests/unit-san $(TOOLS:%=build/tests/%) \
	  $(FUZZERS:%=build/tests/%-replay)

# GROUP and CASE pick one test group and one case of it (tests/run.sh
# --list names them); check-fast runs the groups that need neither root
# nor a service.
RUN_ARGS = $(strip $(if $(GROUP),'$(GROUP)') $(if $(CASE),'$(CASE)'))

testprogs: $(TEST_PROGS)

check: $(TEST_PROGS)
	PYTHON=$(PYTHON) tests/run.sh $(RUN_ARGS)

check-fast: $(TEST_PROGS)
	PYTHON=$(PYTHON) tests/run.sh --fast $(RUN_ARGS)

demo:
	tests/install-deps.sh demo
	$(MAKE) agent/pfqmon build/tests/lpcheck
	$(PYTHON) tests/integration/demo.py

test: check

fuzz: $(FUZZERS:%=build/fuzz/%)
	tests/fuzz/run-fuzzers.sh $(FUZZ_SECONDS) $(FUZZERS)

lint:
	tests/lint.sh

# The warning list, for tests/lint.sh (which compiles with -Werror).
print-warn:
	@echo $(WARN)

# What make install puts where; the Debian package is this with PREFIX=/usr
# (debian/rules). The docs name the package's binary, /usr/bin/pfqmon: the
# installed examples and unit name $(BINDIR)/pfqmon instead, so that the
# sudoers lines and Telegraf commands copied from them match the binary.
MANPAGES = man/pfqmon.8 man/pfqmon-select.8 man/pfqmon-top.8 man/pfqmon-serve.8
TICKFILES = $(sort $(wildcard tick/*.tick tick/*.vars.json))
PROMFILES = tick/prometheus/pfqmon.rules.yml
DOCFILES = README.md NEWS docs/configuration.md docs/metrics.md docs/select.md
TELEGRAF_EXAMPLES = docs/telegraf/README.md docs/telegraf/pfqmon-exec.conf \
	  docs/telegraf/pfqmon-execd.conf docs/telegraf/sudoers.pfqmon-exec \
	  docs/telegraf/sudoers.pfqmon-execd
SUBST_BINDIR = sed 's|/usr/bin/pfqmon|$(BINDIR)/pfqmon|g'

install: agent/pfqmon
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(DATADIR)/pfqmon/tick $(DESTDIR)$(DATADIR)/pfqmon/dashboards \
	    $(DESTDIR)$(DATADIR)/pfqmon/prometheus \
	    $(DESTDIR)$(DOCDIR)/examples/telegraf $(DESTDIR)$(SYSTEMDUNITDIR)
	install -m 0755 agent/pfqmon $(DESTDIR)$(BINDIR)/pfqmon
	install -m 0644 $(MANPAGES) $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(TICKFILES) $(DESTDIR)$(DATADIR)/pfqmon/tick/
	install -m 0644 $(PROMFILES) $(DESTDIR)$(DATADIR)/pfqmon/prometheus/
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
	    $(PROMFILES:tick/prometheus/%=$(DESTDIR)$(DATADIR)/pfqmon/prometheus/%) \
	    $(DESTDIR)$(DATADIR)/pfqmon/dashboards/pfqmon.json \
	    $(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(DOCFILES)) examples/pfqmon.json) \
	    $(addprefix $(DESTDIR)$(DOCDIR)/examples/telegraf/,$(notdir $(TELEGRAF_EXAMPLES)))
	for d in $(DATADIR)/pfqmon/tick $(DATADIR)/pfqmon/dashboards \
	    $(DATADIR)/pfqmon/prometheus $(DATADIR)/pfqmon \
	    $(DOCDIR)/examples/telegraf $(DOCDIR)/examples $(DOCDIR); do \
	    if [ -d $(DESTDIR)$$d ]; then rmdir $(DESTDIR)$$d || exit 1; fi; \
	done

deb:
	tests/packaging/build-deb.sh build/deb

clean:
	rm -rf build agent/pfqmon

.PHONY: all testprogs check check-fast demo test fuzz lint print-warn install uninstall \
	deb clean

# --- benchmark ------------------------------------------------------------

BENCH_PROGS = build/bench/gen build/bench/floor build/bench/statwalk build/bench/envfloor

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
