/*
 * Key log for wolfSSL 5.5.4's example programs (variant "keylog" of build-wolfssl.sh).
 *
 * The 5.5.4 examples install no TLS 1.3 secret callback and the library has no SSLKEYLOGFILE for
 * TLS 1.3. The programs are linked with -Wl,--wrap=wolfSSL_new: every WOLFSSL object they create
 * gets a callback (the library is built with HAVE_SECRET_CALLBACK) that appends
 * "LABEL <client_random hex> <secret hex>" lines (NSS key log format, the TLS 1.3 labels) to the
 * file named by $SSLKEYLOGFILE. Test peers only: this writes secrets in clear.
 */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>

WOLFSSL* __real_wolfSSL_new(WOLFSSL_CTX* ctx);
WOLFSSL* __wrap_wolfSSL_new(WOLFSSL_CTX* ctx);

static const char* secret_label(int id)
{
    switch (id) {
        case CLIENT_EARLY_TRAFFIC_SECRET:     return "CLIENT_EARLY_TRAFFIC_SECRET";
        case CLIENT_HANDSHAKE_TRAFFIC_SECRET: return "CLIENT_HANDSHAKE_TRAFFIC_SECRET";
        case SERVER_HANDSHAKE_TRAFFIC_SECRET: return "SERVER_HANDSHAKE_TRAFFIC_SECRET";
        case CLIENT_TRAFFIC_SECRET:           return "CLIENT_TRAFFIC_SECRET_0";
        case SERVER_TRAFFIC_SECRET:           return "SERVER_TRAFFIC_SECRET_0";
        case EARLY_EXPORTER_SECRET:           return "EARLY_EXPORTER_SECRET";
        case EXPORTER_SECRET:                 return "EXPORTER_SECRET";
        default:                              return NULL;
    }
}

static int log_secret(WOLFSSL* ssl, int id, const unsigned char* secret, int secretSz, void* arg)
{
    const char* path = getenv("SSLKEYLOGFILE");
    const char* label = secret_label(id);
    unsigned char random[32];
    size_t randomSz;
    FILE* f;
    int i;
    (void)arg;
    if (path == NULL || path[0] == '\0' || label == NULL)
        return 0;
    randomSz = wolfSSL_get_client_random(ssl, random, sizeof(random));
    f = fopen(path, "a");
    if (f == NULL)
        return 0;
    fprintf(f, "%s ", label);
    for (i = 0; i < (int)randomSz; i++) fprintf(f, "%02x", random[i]);
    fputc(' ', f);
    for (i = 0; i < secretSz; i++) fprintf(f, "%02x", secret[i]);
    fputc('\n', f);
    fclose(f);
    return 0;
}

WOLFSSL* __wrap_wolfSSL_new(WOLFSSL_CTX* ctx)
{
    WOLFSSL* ssl = __real_wolfSSL_new(ctx);
    if (ssl != NULL)
        wolfSSL_set_tls13_secret_cb(ssl, log_secret, NULL);
    return ssl;
}
