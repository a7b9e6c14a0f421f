# dtls-kit — the two commands a newcomer needs: `make demo` and `make test`.
SHELL := /bin/bash
PNPM := npx --yes pnpm@10.34.8
# turbo is run from the workspace's own bin folder (absolute, so it finds pnpm from every package).
TURBO := PATH="$(CURDIR)/node_modules/.bin:$$PATH" turbo

.PHONY: dtls demo install build test test-full bench peers nginx scale_out clean dtls_x509_blocking dtls_psk_blocking dtls_x509_non_blocking dtls_psk_non_blocking

dtls: build

install:
	$(PNPM) install --frozen-lockfile

build: install
	$(TURBO) run build

# Real peers for the interop tests: OpenSSL is on every machine, GnuTLS is installed here, wolfSSL
# is built from Debian's source (scripts/peers/build-wolfssl.sh).
# tshark (Wireshark's dissector) checks the RFC 9146 CID wire format, since no Debian TLS peer
# speaks it; wireshark-common asks whether non-root users may capture: answered "no" beforehand
# (the test reads a pcap file, it captures nothing).
peers: nginx
	@command -v openssl >/dev/null || { echo "openssl is required"; exit 1; }
	@command -v gnutls-cli >/dev/null || { \
	  echo "installing gnutls-bin"; \
	  SUDO=$$(command -v sudo >/dev/null && [ "$$(id -u)" != 0 ] && echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq gnutls-bin; }
	@command -v tshark >/dev/null || { \
	  echo "installing tshark"; \
	  SUDO=$$(command -v sudo >/dev/null && [ "$$(id -u)" != 0 ] && echo sudo); \
	  echo "wireshark-common wireshark-common/install-setuid boolean false" | $$SUDO debconf-set-selections; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq tshark; }
	@# wolfSSL 5.5.4 (DTLS 1.2 and 1.3) from Debian's source package, built once into
	@# $${WOLFSSL_CACHE:-~/.cache/dtls-kit-peers}/wolfssl-5.5.4 (and -keylog, -curve25519 for X25519
	@# and Ed25519 in DTLS 1.3, -tickets: session tickets for DTLS 1.3 resumption, -sni: a client
	@# that sends server_name); a failed build fails here.
	@scripts/peers/build-wolfssl.sh default >/dev/null
	@scripts/peers/build-wolfssl.sh keylog >/dev/null
	@scripts/peers/build-wolfssl.sh curve25519 >/dev/null
	@scripts/peers/build-wolfssl.sh tickets >/dev/null
	@scripts/peers/build-wolfssl.sh sni >/dev/null

# nginx's UDP load balancer for the scale-out tests and `make scale_out` (Debian's nginx with the
# stream and njs modules). RUNLEVEL=1 keeps the package from starting a system nginx on port 80:
# the tests run their own, as the current user, with a prefix of their own.
nginx:
	@{ [ -x /usr/sbin/nginx ] && [ -f /usr/lib/nginx/modules/ngx_stream_js_module.so ]; } || { \
	  echo "installing nginx libnginx-mod-stream libnginx-mod-stream-js"; \
	  SUDO=$$(command -v sudo >/dev/null && [ "$$(id -u)" != 0 ] && echo sudo); \
	  $$SUDO apt-get update -qq && RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nginx libnginx-mod-stream libnginx-mod-stream-js; }

# Three `dtls-kit server` processes (shared secrets file, server ids, PROXY v2) behind nginx on 127.0.0.1 (apps/examples/scale-out): clients
# spread by nginx, one whose port keeps changing stays on its server, a ticket resumes at another; see README "Running more than one process".
scale_out: build nginx
	node apps/examples/scale-out/run.mjs

# The demo: the four seed examples, one after the other, on 127.0.0.1, in the default DTLS 1.3 (RFC 9147);
# then each again pinned to DTLS 1.2 (RFC 6347).
demo: build
	node apps/examples/run.mjs x509-blocking
	node apps/examples/run.mjs psk-blocking
	node apps/examples/run.mjs x509-non-blocking
	node apps/examples/run.mjs psk-non-blocking
	node apps/examples/run.mjs x509-blocking --dtls1_2
	node apps/examples/run.mjs psk-blocking --dtls1_2
	node apps/examples/run.mjs x509-non-blocking --dtls1_2
	node apps/examples/run.mjs psk-non-blocking --dtls1_2

# The seed examples (apps/examples): each builds, then runs its server and client on 127.0.0.1.
dtls_x509_blocking: build
	node apps/examples/run.mjs x509-blocking

dtls_psk_blocking: build
	node apps/examples/run.mjs psk-blocking

dtls_psk_non_blocking: build
	node apps/examples/run.mjs psk-non-blocking

dtls_x509_non_blocking: build
	node apps/examples/run.mjs x509-non-blocking

# Two packages' tests at a time (2 cores: most test files wait on sockets, timers and peers, and
# vitest runs one file at a time in every package but core); then, alone, the test files that
# compare timings (core's test:timing, packages/core/vitest.timing.config.ts).
# Seeded sweeps and matrices run a quick slice (every case class, fewer seeds: the counts are in the
# test names); `make test-full` (DTLS_KIT_FULL=1) runs their full counts.
# The whole log also goes to .test.log; on a failure the failing tests' names are printed last,
# where a CI excerpt of the output's tail shows them.
test: build peers
	@set -o pipefail; { $(TURBO) run test --concurrency=2 && $(TURBO) run test:timing --concurrency=1; } 2>&1 | tee .test.log || { \
	  echo; echo "== failing tests (from .test.log) =="; \
	  sed 's/\x1b\[[0-9;]*m//g' .test.log | grep -E '(FAIL|×) ' | sort -u | tail -n 40; exit 1; }

test-full:
	DTLS_KIT_FULL=1 $(MAKE) test

# Benchmarks (bench/): dtls-kit against plain node:dgram, OpenSSL 3 in C, werift-dtls and
# node-dtls-client on 127.0.0.1; about 10 minutes; BENCH_QUICK=1 for a smoke run. Results: bench/results/.
bench: build nginx
	$(PNPM) bench

clean:
	rm -rf node_modules packages/*/node_modules packages/*/dist .turbo packages/*/.turbo \
	  apps/*/node_modules apps/*/.turbo apps/examples/x509-non-blocking/certs \
	  bench/node_modules bench/build packages/native-aead/build
