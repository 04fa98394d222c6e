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
