# tocsin — escalation daemon.  GNU make; libraries through pkg-config.
#
#   make            build build/tocsind and build/tocsinctl
#   make run        install missing build dependencies, build, run the daemon
#   make check      unit and end-to-end tests, then again under ASan+UBSan
#   make install    PREFIX, DESTDIR honoured

PREFIX	?= /usr/local
SYSCONFDIR ?= /etc
DESTDIR	?=
CC	?= cc
PKGS	 = libevent sqlite3 libcurl lua5.4 jansson libcrypto
DEFAULT_SITE ?= rules/example/example-site.lua

OPTFLAGS ?= -O2 -g
SANFLAGS ?=
CFLAGS	+= $(OPTFLAGS) $(SANFLAGS) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	   -Wmissing-prototypes -Wno-unused-parameter -Iinclude \
	   -DTOCSIN_DEFAULT_SITE='"$(DEFAULT_SITE)"' \
	   $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDFLAGS	+= $(SANFLAGS)
LDLIBS	+= $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm

BUILD	?= build
V	?= 0
Q	 = $(if $(filter 0,$(V)),@,)	# make V=1 shows the commands

# The engine and everything both binaries share.
CORE	 = xmalloc log clock calendar message record store store-schema sandbox \
	   rules rules-api match org timer timeline engine
# Channel drivers: the daemon sends with them, tocsinctl checks them.
CHANNELS = httpc channel channel-log channel-webhook channel-dingtalk \
	   channel-wecom channel-feishu channel-sms channel-sms-aliyun \
	   channel-sms-tencent channel-sms-twilio channel-sms-http check
# The daemon's edges: network, group commit, delivery, signals.
DAEMON	 = daemon http ingest api-events api-incidents api-compliance api-misc api-ack \
	   outbox
CTL	 = ctl-api ctl-simulate

CORE_OBJS   = $(CORE:%=$(BUILD)/%.o) $(CHANNELS:%=$(BUILD)/%.o)
DAEMON_OBJS = $(DAEMON:%=$(BUILD)/%.o)
CTL_OBJS    = $(CTL:%=$(BUILD)/%.o)

UNIT_TESTS = test_calendar test_record test_timer test_sandbox test_store test_engine \
	     test_org test_rules test_message test_channel test_sms test_match
UNIT_BINS  = $(UNIT_TESTS:%=$(BUILD)/tests/%)

.PHONY: all run check check-plain check-asan unit e2e rules-test bench deps \
	clean \
	install

all: $(BUILD)/tocsind $(BUILD)/tocsinctl

$(BUILD)/%.o: src/%.c $(wildcard include/*.h) | $(BUILD)
	@printf '  CC    %s\n' $@
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD) $(BUILD)/tests:
	mkdir -p $@

$(BUILD)/tocsind: $(BUILD)/tocsind.o $(CORE_OBJS) $(DAEMON_OBJS)
	@printf '  LD    %s\n' $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) \
	    $(shell pkg-config --libs libsystemd 2>/dev/null)

$(BUILD)/tocsinctl: $(BUILD)/tocsinctl.o $(CORE_OBJS) $(CTL_OBJS)
	@printf '  LD    %s\n' $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(CORE_OBJS) | $(BUILD)/tests
	@printf '  TEST  %s\n' $@
	$(Q)$(CC) $(CFLAGS) $(shell pkg-config --cflags cmocka) -o $@ $^ \
	    $(LDLIBS) $(shell pkg-config --libs cmocka)

deps:
	@sh .ci/deps

# Sub-makes, so that pkg-config is asked again once .ci/deps has run.
run: deps
	$(MAKE) all
	mkdir -p var
	$(BUILD)/tocsind

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; \
	    (cd tests/unit && ../../$$t); done

e2e: all
	python3 tests/e2e/run.py --build $(BUILD)

# Every pack's example site passes --check and its rule tests pass.
rules-test: all
	@set -e; for site in rules/*/*site.lua; do \
	    $(BUILD)/tocsind -c $$site --check; done
	$(BUILD)/tocsinctl test $(wildcard rules/*/tests/*.json)

check-plain:
	$(MAKE) unit rules-test e2e

check-asan:
	$(MAKE) BUILD=build/asan OPTFLAGS="-O1 -g -fno-omit-frame-pointer" \
	    SANFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all" \
	    unit rules-test e2e

check: deps
	$(MAKE) check-plain
	$(MAKE) check-asan

# Benchmarks print one figure a line with the method beside it; a run that
# succeeds leaves the same lines in tests/bench/results/bench.txt.
bench: all $(BUILD)/tests/bench_rules $(BUILD)/tests/sink
	@mkdir -p tests/bench/results
	@{ $(BUILD)/tests/bench_rules && \
	    python3 tests/bench/bench_delivery.py --build $(BUILD); \
	    echo $$? >$(BUILD)/bench.rc; } | tee $(BUILD)/bench.txt
	@test "$$(cat $(BUILD)/bench.rc)" = 0
	@mv $(BUILD)/bench.txt tests/bench/results/bench.txt

$(BUILD)/tests/bench_rules: tests/bench/bench_rules.c $(CORE_OBJS) | $(BUILD)/tests
	@printf '  BENCH %s\n' $@
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# The loopback webhook sink bench_delivery.py sends to.
$(BUILD)/tests/sink: tests/bench/sink.c | $(BUILD)/tests
	@printf '  BENCH %s\n' $@
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

clean:
	rm -rf build

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BUILD)/tocsind $(BUILD)/tocsinctl $(DESTDIR)$(PREFIX)/bin
