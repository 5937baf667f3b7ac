# tocsin — escalation daemon.  GNU make; libraries through pkg-config.
#
#   make            build build/tocsind and build/tocsinctl
#   make run        install missing build dependencies, build, run the daemon
#   make check      unit and end-to-end tests, then again under ASan+UBSan,
#                   then the fuzz harnesses briefly (make fuzz-check);
#                   LONG=1 runs the long forms of the end-to-end tests
#   make fuzz       run each fuzz harness for FUZZ_SECONDS (tests/fuzz)
#   make install    binaries, systemd unit, sysusers.d and tmpfiles.d
#                   entries (the user, the spool directory), rule packs,
#                   man pages and an example site; PREFIX, DESTDIR honoured
#   make uninstall  all of that but the site (SYSCONFDIR/tocsin is kept)

PREFIX	?= /usr/local
SYSCONFDIR ?= /etc
BINDIR	?= $(PREFIX)/bin
DATADIR	?= $(PREFIX)/share
MANDIR	?= $(DATADIR)/man
DOCDIR	?= $(DATADIR)/doc/tocsin
UNITDIR	?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
DESTDIR	?=
CC	?= cc
PKGS	 = libevent sqlite3 libpq libcurl lua5.4 jansson libcrypto icu-i18n \
	   xlsxwriter
# The site tocsind reads without -c: the installed one.  `make run` names
# the bundled example instead.
DEFAULT_SITE ?= $(SYSCONFDIR)/tocsin/site.lua
RUN_SITE ?= rules/example/example-site.lua

OPTFLAGS ?= -O2 -g
SANFLAGS ?=
# Language, warnings and includes, for the cc build and the clang fuzz build.
CBASE	 = -std=c11 -pthread -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	   -Wmissing-prototypes -Wno-unused-parameter -Iinclude \
	   $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
CFLAGS	+= $(OPTFLAGS) $(SANFLAGS) $(CBASE)
LDFLAGS	+= $(SANFLAGS) -pthread
LDLIBS	+= $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm

BUILD	?= build
V	?= 0
LONG	?= 0		# make check LONG=1: e2e long forms (crash loop, outage)
Q	 = $(if $(filter 0,$(V)),@,)	# make V=1 shows the commands

# The engine and everything both binaries share.
CORE	 = xmalloc log clock names calendar calendar-china calendar-rule jsonw message handover \
	   record status store store-ahead store-event store-incident store-obligation \
	   store-escalation store-personal store-inbox store-timer store-timeline store-outbox store-prune \
	   store-read store-sqlite store-schema store-checkpoint \
	   store-pg store-pg-schema store-pg-reach \
	   store-backup store-migrate sandbox rules rules-problems rules-api rules-units match org \
	   rules-where \
	   timer timeline engine engine-incident engine-obligation engine-lifecycle \
	   engine-escalation engine-personal engine-recurring engine-notify metrics \
	   metrics-process watchman-episode engine-receipt ledger stats stats-read \
	   engine-handover
# Channel drivers: the daemon sends with them, tocsinctl checks them.
CHANNELS = httpc channel channel-log channel-webhook channel-dingtalk \
	   channel-wecom channel-feishu channel-sign channel-sms channel-sms-aliyun \
	   channel-sms-tencent channel-sms-twilio channel-sms-http \
	   channel-voice channel-voice-aliyun channel-voice-tencent site
# The daemon's edges: network, group commit, delivery, signals.
DAEMON	 = daemon opener http http-conn ingest api api-events api-incidents api-compliance \
	   api-page api-misc api-ack api-status api-admin api-board api-scope \
	   api-units api-session api-handover outbox prune spool spool-inbox watchman \
	   api-callback api-reply api-stats api-slice
# The duty-room board's files, compiled into tocsind by web/embed.sh.
WEB	 = web/board.html web/board.css web/board.js web/detail.js \
	   web/detail.css web/signin.js web/token.js web/ack.css web/ack.js \
	   web/stats.html web/stats.css web/stats.js web/forms.js web/forms.css \
	   web/wall.js web/wall.css web/handover.html web/handover.js \
	   web/handover.css
CTL	 = ctl-api ctl-backup ctl-backup-pg ctl-migrate ctl-simulate ctl-table ctl-ledger ctl-replay \
	   ctl-stats ctl-http

CORE_OBJS   = $(CORE:%=$(BUILD)/%.o) $(CHANNELS:%=$(BUILD)/%.o)
DAEMON_OBJS = $(DAEMON:%=$(BUILD)/%.o) $(BUILD)/web-assets.o
CTL_OBJS    = $(CTL:%=$(BUILD)/%.o)

UNIT_TESTS = test_calendar test_record test_jsonw test_timer test_timeline \
	     test_sandbox test_store test_store_checkpoint test_engine \
	     test_org test_rules test_message test_channel test_sms test_voice \
	     test_match test_metrics test_log test_units test_rules_where \
	     test_watchman test_ctl_table test_ctl_replay test_calendar_rule \
	     test_stats test_outbox
UNIT_BINS  = $(UNIT_TESTS:%=$(BUILD)/tests/%)

.PHONY: FORCE all run check check-plain check-asan check-pg unit e2e rules-test bench bench-bins deps deps-build \
	fuzz fuzz-build fuzz-check clean \
	install uninstall

all: $(BUILD)/tocsind $(BUILD)/tocsinctl

$(BUILD)/%.o: src/%.c $(wildcard include/*.h src/*.h) | $(BUILD)
	@printf '  CC    %s\n' $@
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

# The default site is compiled into tocsind.o; the stamp changes (and so
# rebuilds it) only when the path does, e.g. `make install SYSCONFDIR=...`.
$(BUILD)/tocsind.o: CFLAGS += -DTOCSIN_DEFAULT_SITE='"$(DEFAULT_SITE)"'
$(BUILD)/tocsind.o: $(BUILD)/default-site
$(BUILD)/default-site: FORCE | $(BUILD)
	$(Q)echo '$(DEFAULT_SITE)' | cmp -s - $@ || echo '$(DEFAULT_SITE)' > $@

FORCE:

$(BUILD)/web-assets.c: web/embed.sh $(WEB) | $(BUILD)
	@printf '  GEN   %s\n' $@
	$(Q)sh web/embed.sh $(WEB) > $@.tmp && mv $@.tmp $@

$(BUILD)/web-assets.o: $(BUILD)/web-assets.c include/web-assets.h
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

# Unit tests are white-box: they may include a module's private header.
$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.c $(CORE_OBJS) | $(BUILD)/tests
	@printf '  TEST  %s\n' $@
	$(Q)$(CC) $(CFLAGS) -Isrc $(shell pkg-config --cflags cmocka) -o $@ $^ \
	    $(LDLIBS) $(shell pkg-config --libs cmocka)

# tocsinctl's tables are tocsinctl's, not the core's.
$(BUILD)/tests/test_ctl_table: $(BUILD)/ctl-table.o
$(BUILD)/tests/test_ctl_replay: $(CTL_OBJS)
# The outbox is the daemon's; its test drives it on the event loop.
$(BUILD)/tests/test_outbox: $(BUILD)/outbox.o

deps:
	@sh .ci/deps

# Running needs no browser; the board's test does.
deps-build:
	@sh .ci/deps build

# Sub-makes, so that pkg-config is asked again once .ci/deps has run.
run: deps-build
	$(MAKE) all
	mkdir -p var
	$(BUILD)/tocsind -c $(RUN_SITE)

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; \
	    (cd tests/unit && ../../$$t); done

# LONG reaches the sub-makes of check through MAKEFLAGS.
e2e: all
	$(if $(filter-out 0,$(LONG)),TOCSIN_LONG=1 )python3 tests/e2e/run.py --build $(BUILD)

# Every pack's example site passes --check and its rule tests pass.
rules-test: all
	@set -e; for site in rules/*/*site.lua; do \
	    $(BUILD)/tocsind -c $$site --check; done
	$(BUILD)/tocsinctl test $(wildcard rules/*/tests/*.json)

# The benchmarks' programs are built too, so that they keep compiling.
# With PostgreSQL's server installed, the store's tests and the core
# end-to-end tests run again on a throwaway one (about two minutes);
# without it they are skipped, except under PG=1 (.ci/run sets it, so
# that CI fails rather than skips them).
PGBIN	?= /usr/lib/postgresql/15/bin
PG	?= 0
check-plain:
	$(MAKE) unit rules-test e2e bench-bins
	@if [ -x $(PGBIN)/initdb ]; then $(MAKE) check-pg; \
	    elif [ "$(PG)" != 0 ]; then \
	    echo "== no $(PGBIN)/initdb, and PG=$(PG) needs it" >&2; exit 1; \
	    else echo "== no $(PGBIN)/initdb: the tests on PostgreSQL skipped"; fi
	@if [ -n "$(filter-out 0,$(LONG))" ] && command -v patroni >/dev/null && \
	    command -v etcd >/dev/null && [ -x $(PGBIN)/initdb ]; then \
	    $(MAKE) check-cluster; fi

# The store on PostgreSQL: tests/pg/pgtmp.sh starts a server in a
# temporary directory (as the postgres user when run as root).  LONG=1
# adds the crash loop on a three-node cluster (30 leader kills; about
# three minutes).
check-pg: all $(BUILD)/tests/test_store
	$(if $(filter-out 0,$(LONG)),TOCSIN_LONG=1 )PGBIN=$(PGBIN) sh tests/pg/run.sh $(BUILD)

# The sample configurations in docs/cluster.md, checked by haproxy,
# patroni and systemd-analyze where they are installed (Debian's packages).
# check-cluster: three etcd members and three Patroni/PostgreSQL nodes on
# loopback from the document's patroni.yml, tocsind on the multi-host URL;
# the primary's node killed, then a switchover, with one tocsind and with
# three fenced ones under load; 30 leader kills under the crash loop's
# load; as root with iptables, the leading tocsind cut from PostgreSQL
# (tests/e2e/test_patroni.py; about six minutes).  make check LONG=1 runs both when patroni and etcd are installed.
.PHONY: check-cluster-configs check-cluster
check-cluster-configs:
	python3 tests/pg/cluster-configs.py

check-cluster: all check-cluster-configs
	TOCSIN_E2E_CLUSTER=1 PGBIN=$(PGBIN) python3 tests/e2e/run.py \
	    --build $(BUILD) --module patroni

check-asan:
	$(MAKE) BUILD=build/asan OPTFLAGS="-O1 -g -fno-omit-frame-pointer" \
	    SANFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all" \
	    unit rules-test e2e

check: deps
	$(MAKE) check-plain
	$(MAKE) check-asan
	$(MAKE) fuzz-check

# Benchmarks print one figure a line with the method beside it (progress
# goes to stderr); a run that succeeds leaves the same lines in
# tests/bench/results/bench.txt, and ingest.png beside it.  They need wrk,
# Alertmanager, gnuplot and PostgreSQL's server (tests/pg/bench.sh), which
# `sh .ci/deps bench` installs; `make check` needs none of the first three.
# About 14 minutes.
BENCH_BINS = $(BUILD)/tests/bench_rules $(BUILD)/tests/bench_scale \
	     $(BUILD)/tests/sink $(BUILD)/tests/ceiling

bench-bins: $(BENCH_BINS)

bench: all $(BENCH_BINS)
	@sh .ci/deps bench
	@mkdir -p tests/bench/results
	@{ ( set -e; echo "# make bench, $$(date -u +%Y-%m-%dT%H:%MZ), $$(nproc) cores," \
	    "load average $$(cut -d' ' -f1-3 /proc/loadavg) at the start"; \
	    echo "== rule evaluation" >&2; $(BUILD)/tests/bench_rules; \
	    echo "== durable ingest beside Alertmanager" >&2; \
	    python3 tests/bench/bench_ingest.py --build $(BUILD); \
	    echo "== durable ingest on SQLite beside PostgreSQL" >&2; \
	    sh tests/pg/bench.sh $(BUILD); \
	    echo "== a million obligations; memory per incident" >&2; \
	    python3 tests/bench/bench_scale.py --build $(BUILD); \
	    echo "== delivery" >&2; \
	    python3 tests/bench/bench_delivery.py --build $(BUILD); \
	    echo "== the ledger's summary at 100,000 obligations" >&2; \
	    python3 tests/bench/bench_summary.py --build $(BUILD); \
	    echo "== the statistics over a year, 200,000 obligations" >&2; \
	    python3 tests/bench/bench_stats.py --build $(BUILD); \
	    echo "# load average $$(cut -d' ' -f1-3 /proc/loadavg) at the end" \
	    ); echo $$? >$(BUILD)/bench.rc; } | tee $(BUILD)/bench.txt
	@test "$$(cat $(BUILD)/bench.rc)" = 0
	@mv $(BUILD)/bench.txt tests/bench/results/bench.txt

$(BUILD)/tests/bench_rules: tests/bench/bench_rules.c $(CORE_OBJS) | $(BUILD)/tests
	@printf '  BENCH %s\n' $@
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# Builds the database of open incidents bench_scale.py starts tocsind on.
$(BUILD)/tests/bench_scale: tests/bench/bench_scale.c $(CORE_OBJS) | $(BUILD)/tests
	@printf '  BENCH %s\n' $@
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# The loopback webhook sink bench_delivery.py sends to.
$(BUILD)/tests/sink: tests/bench/sink.c | $(BUILD)/tests
	@printf '  BENCH %s\n' $@
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# tocsin's front door and curl client with nothing between, for the ceiling
# bench_ingest.py measures beside tocsind and Alertmanager.
$(BUILD)/tests/ceiling: tests/bench/ceiling.c $(BUILD)/httpc.o $(BUILD)/log.o \
	    $(BUILD)/xmalloc.o | $(BUILD)/tests
	@printf '  BENCH %s\n' $@
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# Fuzzing: libFuzzer harnesses (tests/fuzz/fuzz_*.c), built with clang under
# ASan+UBSan in their own directory.  Each target gets its seed corpus
# (tests/fuzz/corpus/T, read only), its dictionary and options if there
# are any (tests/fuzz/dict/T.dict, tests/fuzz/T.options), and a working
# corpus under $(FUZZ_BUILD) where new inputs are kept.
#
#   make fuzz               each target for FUZZ_SECONDS, one after another
#   make fuzz-check         replay every seed and found input once, then
#                           fuzz each target for FUZZ_CHECK_SECONDS; part
#                           of make check (FUZZ_CHECK_SECONDS=600 for the
#                           long form)
#
# Inputs that once failed live in tests/fuzz/regressions/T and are replayed
# by fuzz-check.  A crash lands in $(FUZZ_BUILD)/artifacts/T/.
FUZZ_CC		?= clang
FUZZ_BUILD	?= build/fuzz
FUZZ_TARGETS	 = fuzz_record fuzz_calendar fuzz_message fuzz_rules fuzz_http \
		   fuzz_units
FUZZ_SECONDS	?= 60
FUZZ_CHECK_SECONDS ?= 4
FUZZ_TIMEOUT	?= 25
FUZZ_OPTS	?=
# Small sandbox limits for loading rules, so a looping or greedy rule file
# costs the fuzzer milliseconds, not seconds (src/rules.c).
FUZZ_CFLAGS	 = -O1 -g -fno-omit-frame-pointer \
		   -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -DRULES_LOAD_INSTRUCTIONS=200000 \
		   -DRULES_LOAD_MEMORY='(4 * 1024 * 1024)' $(CBASE)
# Everything but the daemon's main loop; fuzz_http brings its own.
FUZZ_LIBOBJS	 = $(filter-out $(FUZZ_BUILD)/daemon.o, \
		   $(CORE:%=$(FUZZ_BUILD)/%.o) $(CHANNELS:%=$(FUZZ_BUILD)/%.o) \
		   $(DAEMON:%=$(FUZZ_BUILD)/%.o)) $(FUZZ_BUILD)/web-assets.o
FUZZ_BINS	 = $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%)
FUZZ_RUN	 = -timeout=$(FUZZ_TIMEOUT) -print_final_stats=1 \
		   -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t/ \
		   $$(test -f tests/fuzz/dict/$$t.dict && \
		   echo -dict=tests/fuzz/dict/$$t.dict) \
		   $$(cat tests/fuzz/$$t.options 2>/dev/null) $(FUZZ_OPTS)

$(FUZZ_BUILD)/%.o: src/%.c $(wildcard include/*.h src/*.h) | $(FUZZ_BUILD)
	@printf '  FCC   %s\n' $@
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/web-assets.o: $(BUILD)/web-assets.c include/web-assets.h | $(FUZZ_BUILD)
	@printf '  FCC   %s\n' $@
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/libtocsin.a: $(FUZZ_LIBOBJS)
	@printf '  AR    %s\n' $@
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_BUILD)/libtocsin.a \
    $(wildcard include/*.h)
	@printf '  FUZZ  %s\n' $@
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -DFUZZ_SRCDIR='"$(CURDIR)"' \
	    -o $@ $< $(FUZZ_BUILD)/libtocsin.a $(LDLIBS)

$(FUZZ_BUILD):
	mkdir -p $@

# fuzz_rules starts from the packs and the hostile rules as they are now,
# copied here at each build, besides its own seeds in tests/fuzz/corpus.
FUZZ_RULE_SEEDS	 = $(wildcard rules/*/*.lua) $(wildcard tests/e2e/hostile/*.lua)
$(FUZZ_BUILD)/seeds/fuzz_rules: $(FUZZ_RULE_SEEDS) | $(FUZZ_BUILD)
	$(Q)rm -rf $@ && mkdir -p $@
	$(Q)for f in $(FUZZ_RULE_SEEDS); do \
	    cp "$$f" "$@/$$(echo "$$f" | tr / -)"; done

fuzz-build: $(FUZZ_BINS) $(FUZZ_BUILD)/seeds/fuzz_rules

fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
	    echo "== $$t for $(FUZZ_SECONDS)s"; \
	    mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/artifacts/$$t; \
	    $(FUZZ_BUILD)/$$t $(FUZZ_RUN) -max_total_time=$(FUZZ_SECONDS) \
		$(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t \
		$$(ls -d $(FUZZ_BUILD)/seeds/$$t 2>/dev/null); done

fuzz-check: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
	    echo "== $$t: seeds and regressions"; \
	    mkdir -p $(FUZZ_BUILD)/artifacts/$$t; \
	    $(FUZZ_BUILD)/$$t $(FUZZ_RUN) \
		$$(find tests/fuzz/corpus/$$t tests/fuzz/regressions/$$t \
		$(FUZZ_BUILD)/seeds/$$t -type f 2>/dev/null | sort) \
		>$(FUZZ_BUILD)/$$t.replay.log 2>&1 || \
		{ tail -40 $(FUZZ_BUILD)/$$t.replay.log; exit 1; }; \
	    echo "== $$t for $(FUZZ_CHECK_SECONDS)s"; \
	    rm -rf $(FUZZ_BUILD)/check/$$t; mkdir -p $(FUZZ_BUILD)/check/$$t; \
	    $(FUZZ_BUILD)/$$t $(FUZZ_RUN) \
		-max_total_time=$(FUZZ_CHECK_SECONDS) \
		$(FUZZ_BUILD)/check/$$t tests/fuzz/corpus/$$t \
		$$(ls -d $(FUZZ_BUILD)/seeds/$$t 2>/dev/null) \
		>$(FUZZ_BUILD)/$$t.check.log 2>&1 || \
		{ tail -40 $(FUZZ_BUILD)/$$t.check.log; exit 1; }; \
	    grep -h '^stat::number_of_executed_units' \
		$(FUZZ_BUILD)/$$t.check.log; done

clean:
	rm -rf build

# What a package ships.  The unit and the site are written with the
# installed paths; every pack under rules/ goes to DATADIR/tocsin/rules
# with its example site and tests, so `tocsinctl test` runs there too.  An
# existing SYSCONFDIR/tocsin/site.lua is never overwritten.
PACKS	 = $(notdir $(wildcard rules/*))
MANPAGES = man/tocsinctl.1 man/tocsin-rules.5 man/tocsind.8
SUBST	 = sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	       -e 's|@DATADIR@|$(DATADIR)|g'

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/tocsin \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR)
	install -m 755 $(BUILD)/tocsind $(BUILD)/tocsinctl $(DESTDIR)$(BINDIR)
	$(SUBST) systemd/tocsin.service.in > $(BUILD)/tocsin.service
	install -m 644 $(BUILD)/tocsin.service $(DESTDIR)$(UNITDIR)/tocsin.service
	install -m 644 systemd/tocsin.sysusers $(DESTDIR)$(SYSUSERSDIR)/tocsin.conf
	install -m 644 systemd/tocsin.tmpfiles $(DESTDIR)$(TMPFILESDIR)/tocsin.conf
	set -e; for p in $(PACKS); do \
	    install -d $(DESTDIR)$(DATADIR)/tocsin/rules/$$p; \
	    install -m 644 rules/$$p/*.lua $(DESTDIR)$(DATADIR)/tocsin/rules/$$p; \
	    for sub in tests examples; do \
	        [ -d rules/$$p/$$sub ] || continue; \
	        (cd rules/$$p && find $$sub -type d) | while read d; do \
	            install -d $(DESTDIR)$(DATADIR)/tocsin/rules/$$p/$$d; done; \
	        (cd rules/$$p && find $$sub -type f) | while read f; do \
	            install -m 644 rules/$$p/$$f \
	                $(DESTDIR)$(DATADIR)/tocsin/rules/$$p/$$f; done; \
	    done; \
	done
	install -m 644 man/tocsinctl.1 $(DESTDIR)$(MANDIR)/man1
	install -m 644 man/tocsin-rules.5 $(DESTDIR)$(MANDIR)/man5
	install -m 644 man/tocsind.8 $(DESTDIR)$(MANDIR)/man8
	install -m 644 docs/rules.md docs/api.md $(DESTDIR)$(DOCDIR)
	$(SUBST) systemd/site.lua.in > $(BUILD)/site.lua
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/tocsin/site.lua ]; then \
	    echo "keeping $(DESTDIR)$(SYSCONFDIR)/tocsin/site.lua"; \
	else \
	    echo "install -m 644 $(BUILD)/site.lua $(DESTDIR)$(SYSCONFDIR)/tocsin/site.lua"; \
	    install -m 644 $(BUILD)/site.lua $(DESTDIR)$(SYSCONFDIR)/tocsin/site.lua; \
	fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/tocsind $(DESTDIR)$(BINDIR)/tocsinctl \
	    $(DESTDIR)$(UNITDIR)/tocsin.service \
	    $(DESTDIR)$(SYSUSERSDIR)/tocsin.conf \
	    $(DESTDIR)$(TMPFILESDIR)/tocsin.conf \
	    $(DESTDIR)$(MANDIR)/man1/tocsinctl.1 \
	    $(DESTDIR)$(MANDIR)/man5/tocsin-rules.5 \
	    $(DESTDIR)$(MANDIR)/man8/tocsind.8
	rm -rf $(DESTDIR)$(DATADIR)/tocsin $(DESTDIR)$(DOCDIR)
	@echo "kept $(DESTDIR)$(SYSCONFDIR)/tocsin and the database"
