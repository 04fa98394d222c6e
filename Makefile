# imapd and pop3d: two front ends and the library they share.

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
DOCDIR	?= $(PREFIX)/share/doc/imapd
SYSCONFDIR ?= /etc

CC	?= cc
O	?= build
WARN	= -Wall -Wextra -Wformat=2 -Wshadow -Wpointer-arith \
	  -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wno-format-nonliteral
CFLAGS	?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -iquote common
LIBS	= -lcrypt -lpam
SAN	= -fsanitize=address,undefined -fno-omit-frame-pointer \
	  -fno-sanitize-recover=undefined

COMMON_SRC = $(sort $(wildcard common/*.c))
COMMON_OBJ = $(COMMON_SRC:%.c=$(O)/%.o)
UNIT_SRC   = $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN   = $(UNIT_SRC:tests/unit/%.c=$(O)/unit/%)

all: $(O)/imapd $(O)/pop3d

$(O)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP -c -o $@ $<

$(O)/libcommon.a: $(COMMON_OBJ)
	rm -f $@
	$(AR) rcs $@ $(COMMON_OBJ)

$(O)/imapd: $(O)/imapd.o $(O)/libcommon.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(O)/imapd.o $(O)/libcommon.a $(LIBS)

$(O)/pop3d: $(O)/pop3d.o $(O)/libcommon.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(O)/pop3d.o $(O)/libcommon.a $(LIBS)

$(O)/unit/%: tests/unit/%.c $(O)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< $(O)/libcommon.a $(LIBS)

unit: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do echo "$$t"; $$t || exit 1; done

deps-check:
	@sh tests/deps.sh check

deps-demo:
	@sh tests/deps.sh demo

# The whole suite: unit tests, then every Bats file.
check: deps-check
	$(MAKE) all $(UNIT_BIN)
	sh tests/run.sh $(CURDIR)/$(O)

# The same suite with AddressSanitizer and UndefinedBehaviorSanitizer.
# Some tests preload pam_wrapper or nss_wrapper ahead of the ASan runtime.
check-asan:
	ASAN_OPTIONS=verify_asan_link_order=0 \
	    $(MAKE) O=build-asan CFLAGS="-O1 -g $(SAN)" LDFLAGS="$(SAN)" check

demo: deps-demo
	$(MAKE) all
	sh tests/demo.sh $(CURDIR)/$(O)

# Binaries, man pages, contrib/ as documentation; systemd units (paths
# rewritten to SBINDIR); PAM and fail2ban files only where none exist yet.
UNITDIR	?= $(PREFIX)/lib/systemd/system
SED_SBIN = sed 's|/usr/local/sbin/|$(SBINDIR)/|g'

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DOCDIR)/contrib \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/pam.d \
	    $(DESTDIR)$(SYSCONFDIR)/fail2ban/filter.d \
	    $(DESTDIR)$(SYSCONFDIR)/fail2ban/jail.d
	install -m 755 $(O)/imapd $(O)/pop3d $(DESTDIR)$(SBINDIR)
	install -m 644 man/*.8 $(DESTDIR)$(MANDIR)/man8
	for f in man/*.5; do [ ! -f "$$f" ] || \
	    install -m 644 "$$f" $(DESTDIR)$(MANDIR)/man5 || exit 1; done
	cp -R contrib/. $(DESTDIR)$(DOCDIR)/contrib
	for f in contrib/systemd/*.socket contrib/systemd/*.service; do \
	    $(SED_SBIN) "$$f" > $(DESTDIR)$(UNITDIR)/$${f##*/} && \
	    chmod 644 $(DESTDIR)$(UNITDIR)/$${f##*/} || exit 1; done
	for f in imap pop3; do t=$(DESTDIR)$(SYSCONFDIR)/pam.d/$$f; \
	    [ -e "$$t" ] || install -m 644 contrib/pam.d/$$f "$$t" || exit 1; done
	for d in filter.d jail.d; do \
	    t=$(DESTDIR)$(SYSCONFDIR)/fail2ban/$$d/imapd-pop3d.conf; \
	    [ -e "$$t" ] || install -m 644 \
	    contrib/fail2ban/$$d/imapd-pop3d.conf "$$t" || exit 1; done

clean:
	rm -rf build build-asan

.PHONY: all unit deps-check deps-demo check check-asan demo install clean

-include $(COMMON_OBJ:.o=.d) $(O)/imapd.d $(O)/pop3d.d

# libFuzzer harnesses (tests/fuzz/README): each runs FUZZ_SECONDS on a copy
# of its seed corpus in build-fuzz/corpus/<name>; crashes land in
# build-fuzz/crashes/.  "make -j fuzz" runs them in parallel.
FUZZ_SECONDS ?= 60
FUZZ_CC	?= clang
FZ	= build-fuzz
FZ_SAN	= -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	  -fno-omit-frame-pointer
FZ_CFLAGS = -O1 -g $(FZ_SAN)
FZ_NAMES = $(sort $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c)))
FZ_OBJ	= $(COMMON_SRC:%.c=$(FZ)/%.o)
FZ_BIN	= $(FZ_NAMES:%=$(FZ)/fuzz_%)

$(FZ)/common/%.o: common/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FZ_CFLAGS) -fsanitize=fuzzer-no-link $(WARN) \
	    -MMD -MP -c -o $@ $<

$(FZ)/libcommon.a: $(FZ_OBJ)
	rm -f $@
	$(AR) rcs $@ $(FZ_OBJ)

$(FZ)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FZ)/libcommon.a
	$(FUZZ_CC) $(CPPFLAGS) $(FZ_CFLAGS) -fsanitize=fuzzer $(WARN) \
	    -o $@ $< $(FZ)/libcommon.a $(LIBS)

deps-fuzz:
	@sh tests/deps.sh fuzz

# these harnesses include pop3d.c, mcache.c and maildir.c themselves
$(FZ)/fuzz_pop3: pop3d.c
$(FZ)/fuzz_mcache: common/mcache.c
$(FZ)/fuzz_uidlist: common/maildir.c

fuzz-build: deps-fuzz $(FZ_BIN)

# Every kept crasher (tests/fuzz/crashes/<name>-*.bin) is replayed first.
$(FZ_NAMES:%=fuzz-run-%): fuzz-run-%: $(FZ)/fuzz_% deps-fuzz
	@rm -rf $(FZ)/corpus/$* && mkdir -p $(FZ)/corpus/$* $(FZ)/crashes
	@set -e; for f in tests/fuzz/crashes/$*-*.bin; do \
	    [ -f "$$f" ] || continue; \
	    $(FZ)/fuzz_$* "$$f" > $(FZ)/replay_$*.log 2>&1 || \
	    { tail -40 $(FZ)/replay_$*.log; echo "$$f crashes again"; exit 1; }; \
	    echo "$*: $$f replayed"; done
	@[ ! -d tests/fuzz/corpus/$* ] || cp tests/fuzz/corpus/$*/. \
	    -R $(FZ)/corpus/$*
	$(FZ)/fuzz_$* -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=$(FZ)/crashes/$*- $(FZ)/corpus/$* \
	    > $(FZ)/fuzz_$*.log 2>&1 || { tail -60 $(FZ)/fuzz_$*.log; exit 1; }
	@grep -h 'stat::number_of_executed_units' $(FZ)/fuzz_$*.log | \
	    sed 's/^stat::number_of_executed_units: */$*: executions /'

fuzz: $(FZ_NAMES:%=fuzz-run-%)

.PHONY: fuzz fuzz-build deps-fuzz $(FZ_NAMES:%=fuzz-run-%)

-include $(FZ_OBJ:.o=.d)

# make bench: our imapd/pop3d against Dovecot on the same Maildirs
# (bench/README).  Data is generated once into BENCH_DIR and reused.
BENCH_SIZES ?= 1k 10k 100k
BENCH_RUNS ?= 5
BENCH_DIR ?= build-bench

$(O)/benchexec $(O)/floorcat: $(O)/%: bench/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $<

bench: all $(O)/benchexec $(O)/floorcat
	@sh tests/deps.sh bench
	python3 bench/bench.py --sizes "$(BENCH_SIZES)" --runs $(BENCH_RUNS) \
	    --bin $(CURDIR)/$(O) --dir $(CURDIR)/$(BENCH_DIR)

.PHONY: bench
