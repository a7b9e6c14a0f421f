/*
 * OpenSSL 3 DTLS 1.2 peer for the dtls-kit benchmarks: the same workloads and wire protocol as
 * bench/src/common.mjs (1200-byte messages; 'T' one-way with a 4-byte cumulative ack every 16
 * messages and at most 64 unacknowledged; 'P' echoed; sequential full handshakes).
 *
 *   openssl-bench server <psk|ecdsa> <port> <certdir>
 *       prints "READY <port>", then serves one client after the other: DTLSv1_listen with
 *       cookie callbacks (HelloVerifyRequest), SSL_accept, the workload until close_notify.
 *   openssl-bench client <throughput|pingpong|handshake> <psk|ecdsa> <port> <count> <warmup> <seconds> <certdir>
 *       prints "RESULT {json}" as the JS peers do. The ecdsa client verifies the chain against
 *       certdir/ca.crt and the IP address 127.0.0.1 in the certificate.
 *
 * Built by bench/src/build-c.mjs: cc -O2 -o build/openssl-bench openssl-bench.c -lssl -lcrypto
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MESSAGE_SIZE 1200
#define ACK_EVERY 16
#define WINDOW 64
#define STALL_MS 300

static const char *PSK_IDENTITY = "Client_identity";
static const unsigned char PSK_KEY[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
static unsigned char cookie_secret[32];

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what) {
  fprintf(stderr, "openssl-bench: %s\n", what);
  ERR_print_errors_fp(stderr);
  exit(1);
}

static const char *suite_name(const char *suite) {
  if (strcmp(suite, "psk") == 0) return "PSK-AES128-GCM-SHA256";
  if (strcmp(suite, "ecdsa") == 0) return "ECDHE-ECDSA-AES128-GCM-SHA256";
  die("suite must be psk or ecdsa");
  return NULL;
}

/* ---------------------------------------------------------------- cookies (server) */

static int peer_of(SSL *ssl, struct sockaddr_in *peer) {
  BIO_ADDR *addr = BIO_ADDR_new();
  int ok = addr != NULL && BIO_dgram_get_peer(SSL_get_rbio(ssl), addr) > 0;
  if (ok) {
    memset(peer, 0, sizeof *peer);
    peer->sin_family = AF_INET;
    size_t len = sizeof peer->sin_addr;
    BIO_ADDR_rawaddress(addr, &peer->sin_addr, &len);
    peer->sin_port = BIO_ADDR_rawport(addr);
  }
  BIO_ADDR_free(addr);
  return ok;
}

static int cookie_of(SSL *ssl, unsigned char *out, unsigned int *len) {
  struct sockaddr_in peer;
  if (!peer_of(ssl, &peer)) return 0;
  unsigned char data[6];
  memcpy(data, &peer.sin_addr, 4);
  memcpy(data + 4, &peer.sin_port, 2);
  return HMAC(EVP_sha256(), cookie_secret, sizeof cookie_secret, data, sizeof data, out, len) != NULL;
}

static int generate_cookie(SSL *ssl, unsigned char *cookie, unsigned int *len) {
  return cookie_of(ssl, cookie, len);
}

static int verify_cookie(SSL *ssl, const unsigned char *cookie, unsigned int len) {
  unsigned char expected[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  return cookie_of(ssl, expected, &n) && n == len && CRYPTO_memcmp(expected, cookie, n) == 0;
}

/* ---------------------------------------------------------------- PSK */

static unsigned int psk_server_cb(SSL *ssl, const char *identity, unsigned char *psk, unsigned int max) {
  (void)ssl;
  if (identity == NULL || strcmp(identity, PSK_IDENTITY) != 0 || max < sizeof PSK_KEY) return 0;
  memcpy(psk, PSK_KEY, sizeof PSK_KEY);
  return sizeof PSK_KEY;
}

static unsigned int psk_client_cb(SSL *ssl, const char *hint, char *identity, unsigned int max_identity,
                                  unsigned char *psk, unsigned int max_psk) {
  (void)ssl;
  (void)hint;
  if (strlen(PSK_IDENTITY) + 1 > max_identity || max_psk < sizeof PSK_KEY) return 0;
  strcpy(identity, PSK_IDENTITY);
  memcpy(psk, PSK_KEY, sizeof PSK_KEY);
  return sizeof PSK_KEY;
}

static SSL_CTX *make_ctx(int server, const char *suite, const char *certdir) {
  SSL_CTX *ctx = SSL_CTX_new(server ? DTLS_server_method() : DTLS_client_method());
  if (!ctx) die("SSL_CTX_new");
  SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  if (SSL_CTX_set_cipher_list(ctx, suite_name(suite)) != 1) die("cipher list");
  char path[4096];
  if (strcmp(suite, "psk") == 0) {
    if (server) SSL_CTX_set_psk_server_callback(ctx, psk_server_cb);
    else SSL_CTX_set_psk_client_callback(ctx, psk_client_cb);
  } else if (server) {
    snprintf(path, sizeof path, "%s/server.crt", certdir);
    if (SSL_CTX_use_certificate_chain_file(ctx, path) != 1) die("server.crt");
    snprintf(path, sizeof path, "%s/server.key", certdir);
    if (SSL_CTX_use_PrivateKey_file(ctx, path, SSL_FILETYPE_PEM) != 1) die("server.key");
  } else {
    snprintf(path, sizeof path, "%s/ca.crt", certdir);
    if (SSL_CTX_load_verify_locations(ctx, path, NULL) != 1) die("ca.crt");
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
  }
  if (server) {
    SSL_CTX_set_cookie_generate_cb(ctx, generate_cookie);
    SSL_CTX_set_cookie_verify_cb(ctx, verify_cookie);
  }
  return ctx;
}

static void set_read_timeout(SSL *ssl, long ms) {
  struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
  BIO_ctrl(SSL_get_rbio(ssl), BIO_CTRL_DGRAM_SET_RECV_TIMEOUT, 0, &tv);
}

/* ---------------------------------------------------------------- server */

static void server(const char *suite, int port, const char *certdir) {
  SSL_CTX *ctx = make_ctx(1, suite, certdir);
  RAND_bytes(cookie_secret, sizeof cookie_secret);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0) die("bind");
  socklen_t alen = sizeof addr;
  getsockname(fd, (struct sockaddr *)&addr, &alen);
  printf("READY %d\n", ntohs(addr.sin_port));
  fflush(stdout);

  unsigned char buf[16384];
  for (;;) {
    SSL *ssl = SSL_new(ctx);
    BIO *bio = BIO_new_dgram(fd, BIO_NOCLOSE);
    SSL_set_bio(ssl, bio, bio);
    SSL_set_options(ssl, SSL_OP_COOKIE_EXCHANGE);
    BIO_ADDR *peer = BIO_ADDR_new();
    while (DTLSv1_listen(ssl, peer) <= 0) ERR_clear_error(); /* not a ClientHello with a valid cookie */
    BIO_dgram_set_peer(bio, peer); /* the socket stays unconnected: replies go by sendto */
    BIO_ADDR_free(peer);
    if (SSL_accept(ssl) == 1) {
      set_read_timeout(ssl, 3000); /* a client that vanished without close_notify */
      uint32_t received = 0;
      for (;;) {
        int n = SSL_read(ssl, buf, sizeof buf);
        if (n <= 0) break; /* close_notify, error or timeout */
        if (buf[0] == 'P') {
          SSL_write(ssl, buf, n);
        } else if (buf[0] == 'T') {
          if (++received % ACK_EVERY == 0) {
            unsigned char ack[4] = {received >> 24, received >> 16, received >> 8, received};
            SSL_write(ssl, ack, 4);
          }
        }
      }
    }
    ERR_clear_error();
    SSL_free(ssl);
  }
}

/* ---------------------------------------------------------------- client */

static SSL *client_connect(SSL_CTX *ctx, const char *suite, const struct sockaddr_in *server) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || connect(fd, (const struct sockaddr *)server, sizeof *server) != 0) die("socket");
  SSL *ssl = SSL_new(ctx);
  BIO *bio = BIO_new_dgram(fd, BIO_CLOSE);
  BIO_ADDR *peer = BIO_ADDR_new();
  BIO_ADDR_rawmake(peer, AF_INET, &server->sin_addr, sizeof server->sin_addr, server->sin_port);
  BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, peer);
  BIO_ADDR_free(peer);
  SSL_set_bio(ssl, bio, bio);
  if (strcmp(suite, "ecdsa") == 0) X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1");
  if (SSL_connect(ssl) != 1) die("SSL_connect");
  return ssl;
}

static void client_close(SSL *ssl) {
  SSL_shutdown(ssl); /* close_notify; we do not wait for the peer's */
  SSL_free(ssl);
}

/* One phase of one-way throughput; *total is the server's cumulative count before it. */
static void throughput(SSL *ssl, long count, double seconds, uint32_t *total, long *records, double *elapsed,
                       long *resent) {
  long target = (count + ACK_EVERY - 1) / ACK_EVERY * ACK_EVERY;
  unsigned char msg[MESSAGE_SIZE], in[64];
  memset(msg, 'a', sizeof msg);
  msg[0] = 'T';
  uint32_t base = *total;
  long sent = 0, acked = 0;
  *resent = 0;
  double start = now_s(), last_ack = start, deadline = start + seconds;
  int stop = 0;
  set_read_timeout(ssl, STALL_MS);
  while (acked < target && !(stop && acked >= sent)) {
    while (!stop && sent < target && sent - acked < WINDOW) {
      if (SSL_write(ssl, msg, sizeof msg) <= 0) die("SSL_write");
      sent++;
    }
    int n = SSL_read(ssl, in, sizeof in);
    if (n == 4) {
      uint32_t t = (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
      if (t > *total) *total = t;
      if ((long)(t - base) > acked) {
        acked = (long)(t - base);
        last_ack = now_s();
      }
    } else if (n <= 0) {
      ERR_clear_error();
      if (stop) break;
      *resent += sent - acked; /* stalled: the unacknowledged window goes again */
      sent = acked;
    }
    if (now_s() > deadline) stop = 1;
  }
  *records = acked;
  *elapsed = last_ack - start;
}

static void pingpong(SSL *ssl, long count, double seconds, long *done, double *elapsed, long *resent) {
  unsigned char msg[MESSAGE_SIZE], in[MESSAGE_SIZE + 16];
  memset(msg, 'b', sizeof msg);
  msg[0] = 'P';
  double start = now_s(), last = start, deadline = start + seconds;
  *done = 0;
  *resent = 0;
  set_read_timeout(ssl, STALL_MS);
  if (SSL_write(ssl, msg, sizeof msg) <= 0) die("SSL_write");
  while (*done < count && last < deadline) {
    int n = SSL_read(ssl, in, sizeof in);
    if (n == MESSAGE_SIZE) {
      ++*done;
      last = now_s();
      if (*done < count && last < deadline && SSL_write(ssl, msg, sizeof msg) <= 0) die("SSL_write");
    } else if (n <= 0) {
      ERR_clear_error();
      if (now_s() > deadline + 2) break;
      ++*resent;
      SSL_write(ssl, msg, sizeof msg);
    }
  }
  *elapsed = last - start;
}

static int client(const char *workload, const char *suite, int port, long count, long warmup, double seconds,
                  const char *certdir) {
  SSL_CTX *ctx = make_ctx(0, suite, certdir);
  struct sockaddr_in server = {0};
  server.sin_family = AF_INET;
  server.sin_port = htons((uint16_t)port);
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (strcmp(workload, "handshake") == 0) {
    /* Warm-up: `warmup` handshakes or `seconds`, whichever ends first (as the Node peers). */
    double warm_end = now_s() + seconds;
    for (long i = 0; i < warmup && now_s() < warm_end; i++) client_close(client_connect(ctx, suite, &server));
    double start = now_s(), deadline = start + seconds;
    long done = 0;
    while (done < count && now_s() < deadline) {
      client_close(client_connect(ctx, suite, &server));
      done++;
    }
    printf("RESULT {\"handshakes\":%ld,\"seconds\":%.6f}\n", done, now_s() - start);
  } else {
    SSL *ssl = client_connect(ctx, suite, &server);
    long n, resent;
    double elapsed;
    if (strcmp(workload, "throughput") == 0) {
      uint32_t total = 0;
      if (warmup > 0) throughput(ssl, warmup, seconds, &total, &n, &elapsed, &resent);
      throughput(ssl, count, seconds, &total, &n, &elapsed, &resent);
      printf("RESULT {\"records\":%ld,\"seconds\":%.6f,\"resent\":%ld}\n", n, elapsed, resent);
    } else if (strcmp(workload, "pingpong") == 0) {
      if (warmup > 0) pingpong(ssl, warmup, seconds, &n, &elapsed, &resent);
      pingpong(ssl, count, seconds, &n, &elapsed, &resent);
      printf("RESULT {\"roundTrips\":%ld,\"seconds\":%.6f,\"resent\":%ld}\n", n, elapsed, resent);
    } else {
      die("workload must be throughput, pingpong or handshake");
    }
    client_close(ssl);
  }
  fflush(stdout);
  SSL_CTX_free(ctx);
  return 0;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  if (argc == 5 && strcmp(argv[1], "server") == 0) {
    server(argv[2], atoi(argv[3]), argv[4]);
    return 0;
  }
  if (argc == 9 && strcmp(argv[1], "client") == 0)
    return client(argv[2], argv[3], atoi(argv[4]), atol(argv[5]), atol(argv[6]), atof(argv[7]), argv[8]);
  fprintf(stderr,
          "usage: openssl-bench server <psk|ecdsa> <port> <certdir>\n"
          "       openssl-bench client <throughput|pingpong|handshake> <psk|ecdsa> <port> <count> <warmup> <seconds> <certdir>\n");
  return 2;
}
