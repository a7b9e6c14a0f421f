#!/usr/bin/env bash
# Builds wolfSSL 5.5.4's example server and client (DTLS 1.2 and 1.3, CID, PSK, CCM) from Debian's
# own source package, ONCE, into a cache folder outside the clone keyed by the package version, and
# prints the source root (the programs are examples/server/server and examples/client/client and
# must run from that root: they look for ./certs). wolfSSL is the only DTLS 1.3 stack available as a
# Debian source package (issue 17).
#
# Usage: scripts/peers/build-wolfssl.sh [default|keylog|curve25519|tickets|sni]
#   cache: $WOLFSSL_CACHE, else ~/.cache/dtls-kit-peers; the build goes to CACHE/wolfssl-5.5.4
#   (variant keylog: CACHE/wolfssl-5.5.4-keylog, whose programs also append the TLS 1.3 secrets to
#   $SSLKEYLOGFILE in NSS key log format; see keylog-shim.c beside this file; variant curve25519:
#   CACHE/wolfssl-5.5.4-curve25519, also configured with --enable-curve25519 --enable-ed25519, for
#   the X25519 group and Ed25519 certificates in DTLS 1.3, which Debian's configuration leaves out;
#   variant tickets: CACHE/wolfssl-5.5.4-tickets, configured with --enable-session-ticket as well,
#   without which 5.5.4 sends no DTLS 1.3 NewSessionTicket and its client cannot resume: "Can't do
#   TLS 1.3 resumption; need session tickets!"); variant sni: CACHE/wolfssl-5.5.4-sni, configured
#   with --enable-sni, whose client sends server_name (-S name), which Debian's configuration leaves out).
# The first build takes minutes (README, "Peers"); later calls only check the cache (milliseconds).
# A failed build exits non-zero with the end of its log: `make test` fails loudly, it never skips.
set -euo pipefail
VERSION=5.5.4
VARIANT=${1:-default}
case "$VARIANT" in
  default) NAME=wolfssl-$VERSION ;;
  keylog) NAME=wolfssl-$VERSION-keylog ;;
  curve25519) NAME=wolfssl-$VERSION-curve25519 ;;
  tickets) NAME=wolfssl-$VERSION-tickets ;;
  sni) NAME=wolfssl-$VERSION-sni ;;
  *) echo "build-wolfssl.sh: unknown variant '$VARIANT' (default|keylog|curve25519|tickets|sni)" >&2; exit 2 ;;
esac
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${WOLFSSL_CACHE:-$HOME/.cache/dtls-kit-peers}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
ROOT=$CACHE/$NAME

built() { [ -x "$ROOT/examples/server/server" ] && [ -x "$ROOT/examples/client/client" ]; }
if built; then echo "$ROOT"; exit 0; fi

# One build at a time per cache (parallel test runs, other clones); the loser of the race
# finds the winner's build.
exec 9>"$CACHE/.build-wolfssl.lock"
flock 9
if built; then echo "$ROOT"; exit 0; fi

SUDO=$(command -v sudo >/dev/null && [ "$(id -u)" != 0 ] && echo sudo || true)
need=()
for tool in dpkg-source:dpkg-dev autoreconf:autoconf automake:automake libtoolize:libtool gcc:gcc make:make; do
  command -v "${tool%%:*}" >/dev/null || need+=("${tool##*:}")
done
apt_updated=
if [ ${#need[@]} -gt 0 ]; then
  echo "build-wolfssl.sh: installing ${need[*]}" >&2
  $SUDO apt-get update -qq && apt_updated=1
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The source package, downloaded once into the cache (its .dsc, .orig and .debian tarballs).
DSC=$(ls "$CACHE"/wolfssl_"$VERSION"-*.dsc 2>/dev/null | head -1 || true)
if [ -z "$DSC" ]; then
  # deb-src twin of the configured Debian mirror, if the image has none
  if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources | $SUDO tee /etc/apt/sources.list.d/debian-src.sources >/dev/null
    apt_updated=
  fi
  [ -n "$apt_updated" ] || $SUDO apt-get update -qq
  (cd "$CACHE" && apt-get source --download-only -qq wolfssl >/dev/null)
  DSC=$(ls "$CACHE"/wolfssl_"$VERSION"-*.dsc 2>/dev/null | head -1 || true)
  if [ -z "$DSC" ]; then
    echo "build-wolfssl.sh: Debian's wolfssl source package is not version $VERSION:" >&2
    ls "$CACHE"/wolfssl_*.dsc >&2 || true
    exit 1
  fi
fi

# Build in a staging folder, moved into place only when both programs exist: an interrupted
# build never looks like a finished one.
STAGE=$(mktemp -d "$CACHE/.stage-$NAME-XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
LOG=$STAGE/build.log
SRC=$STAGE/$NAME
echo "build-wolfssl.sh: building $NAME from $(basename "$DSC") (once; about 30 s on 2 cores)" >&2
started=$(date +%s)
fail() { echo "build-wolfssl.sh: $1 failed; end of $LOG:" >&2; tail -40 "$LOG" >&2; exit 1; }
dpkg-source -x "$DSC" "$SRC" >"$LOG" 2>&1 || fail "dpkg-source -x"
CPPFLAGS=-DWOLFSSL_STATIC_PSK
[ "$VARIANT" = keylog ] && CPPFLAGS="$CPPFLAGS -DHAVE_SECRET_CALLBACK"
EXTRA_CONFIGURE=()
[ "$VARIANT" = curve25519 ] && EXTRA_CONFIGURE=(--enable-curve25519 --enable-ed25519)
[ "$VARIANT" = tickets ] && EXTRA_CONFIGURE=(--enable-session-ticket)
[ "$VARIANT" = sni ] && EXTRA_CONFIGURE=(--enable-sni)
cd "$SRC"
./autogen.sh >>"$LOG" 2>&1 || fail autogen.sh
./configure --enable-dtls --enable-dtls13 --enable-dtlscid --enable-psk --enable-dtls-mtu \
  --enable-aesccm --disable-shared --enable-static ${EXTRA_CONFIGURE[@]+"${EXTRA_CONFIGURE[@]}"} CPPFLAGS="$CPPFLAGS" >>"$LOG" 2>&1 || fail configure
JOBS=$(nproc 2>/dev/null || echo 2)
if [ "$VARIANT" = keylog ]; then
  # The 5.5.4 examples never install a TLS 1.3 secret callback: link them with a shim that wraps
  # wolfSSL_new (ld --wrap) to install one on every connection.
  gcc -c -I. $CPPFLAGS -o keylog-shim.o "$HERE/keylog-shim.c" >>"$LOG" 2>&1 || fail "keylog shim compile"
  LIBS_CONF=$(sed -n 's/^LIBS = //p' Makefile)
  make -j"$JOBS" examples/server/server examples/client/client \
    LDFLAGS="-Wl,--wrap=wolfSSL_new" LIBS="$SRC/keylog-shim.o $LIBS_CONF" >>"$LOG" 2>&1 || fail make
else
  make -j"$JOBS" examples/server/server examples/client/client >>"$LOG" 2>&1 || fail make
fi
cd "$CACHE"
[ -x "$SRC/examples/server/server" ] && [ -x "$SRC/examples/client/client" ] || fail "make (no programs)"
echo "$(( $(date +%s) - started )) s on $JOBS cores, $(date -u +%FT%TZ)" >"$SRC/BUILD-TIME"
mv "$SRC" "$ROOT"
echo "build-wolfssl.sh: built $ROOT in $(cat "$ROOT/BUILD-TIME")" >&2
echo "$ROOT"
