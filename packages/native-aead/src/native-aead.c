/*
 * @dtls-kit/native-aead: the DTLS record AEADs (RFC 5288 AES-GCM, RFC 7905 ChaCha20-Poly1305) and
 * DTLS 1.3's record number mask (RFC 9147 4.2.3) through OpenSSL's EVP interface, as exported by
 * the node binary itself: nothing is linked in, the symbols resolve against the OpenSSL
 * node:crypto uses.
 *
 * Why: node:crypto makes a Cipheriv per record (Node 20 cannot give a cipher a new IV), and that
 * object costs more than encrypting 1,200 bytes. Here one EVP_CIPHER_CTX is keyed once per key and
 * direction; each record only sets its IV (EVP_*Init_ex with a NULL cipher and key keeps the key
 * schedule), feeds the additional data and the payload, and gets or checks the 16-byte tag.
 *
 * A context lives in a type-tagged napi external: a seal context cannot be passed where an open
 * one is expected, nor any other external; its finalizer frees the EVP context (which cleanses the
 * key schedule), and napi_adjust_external_memory tells V8 what it holds so dropped contexts are
 * collected.
 */
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RFC 5288 3 / RFC 7905 2: a 12-byte nonce and a 16-byte tag for every AEAD served here. */
#define NONCE_LENGTH 12
#define TAG_LENGTH 16

/*
 * What a keyed context holds outside the V8 heap, roughly: OpenSSL 3's EVP_CIPHER_CTX and its
 * provider's cipher state (PROV_AES_GCM_CTX with the expanded key, or the ChaCha20-Poly1305 one),
 * plus ours. Reported to V8 so that many dropped contexts trigger a collection.
 */
#define CONTEXT_EXTERNAL_BYTES 1024

/* An AEAD context (CONTEXT_TAG: `seal` says its direction) or a record number mask context (MASK_CONTEXT_TAG: `chacha20` says whether each mask sets an IV). */
typedef struct {
  EVP_CIPHER_CTX *evp;
  bool seal;
  bool chacha20;
} cipher_context;

/* Distinguishes our externals from any other (napi_type_tag_object, N-API 8). */
static const napi_type_tag CONTEXT_TAG = {0x64746c736b697431ULL, 0x6165616463747831ULL};

#define CALL(env, call)                                   \
  do {                                                    \
    if ((call) != napi_ok) return throw_pending(env);     \
  } while (0)

/* A napi call failed: make sure JavaScript sees an exception (napi may have set one already). */
static napi_value throw_pending(napi_env env) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, "ERR_DTLS_NATIVE_AEAD", "native-aead: a Node-API call failed");
  return NULL;
}

static napi_value throw_range(napi_env env, const char *message) {
  napi_throw_range_error(env, "ERR_OUT_OF_RANGE", message);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
  return NULL;
}

/* An OpenSSL call failed for a reason other than a tag: its error queue is cleared so that node:crypto does not inherit it. */
static napi_value throw_openssl(napi_env env, const char *what) {
  ERR_clear_error();
  napi_throw_error(env, "ERR_DTLS_NATIVE_AEAD", what);
  return NULL;
}

/* A Uint8Array (or Buffer) argument's bytes; false (and a TypeError thrown) for anything else. */
static bool get_bytes(napi_env env, napi_value value, const char *name, uint8_t **data, size_t *length) {
  napi_typedarray_type type;
  void *bytes = NULL;
  /* napi_get_typedarray_info answers napi_invalid_arg for anything but a typed array (no exception
   * pending): one N-API call per argument instead of napi_is_typedarray first; four per record. */
  if (napi_get_typedarray_info(env, value, &type, length, &bytes, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) return false;
    char message[96];
    snprintf(message, sizeof message, "native-aead: %s must be a Uint8Array", name);
    throw_type(env, message);
    return false;
  }
  /* An empty view may have no backing store: any non-NULL pointer will do, nothing is read. */
  static uint8_t empty;
  *data = bytes == NULL ? &empty : (uint8_t *)bytes;
  return true;
}

/* Distinguishes our record number mask contexts from our AEAD ones and from any other external. */
static const napi_type_tag MASK_CONTEXT_TAG = {0x64746c736b697431ULL, 0x6d61736b63747831ULL};

/* Our context behind an external with this tag; NULL (and a TypeError with `message` thrown) for anything else. */
static cipher_context *unwrap_context(napi_env env, napi_value value, const napi_type_tag *tag, const char *message) {
  bool tagged = false;
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_external || napi_check_object_type_tag(env, value, tag, &tagged) != napi_ok || !tagged) {
    throw_type(env, message);
    return NULL;
  }
  void *data = NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok) {
    throw_pending(env);
    return NULL;
  }
  return data;
}

/* The AEAD context of the first argument, of the direction wanted; NULL (and a TypeError thrown) otherwise. */
static cipher_context *get_context(napi_env env, napi_value value, bool seal) {
  cipher_context *context = unwrap_context(env, value, &CONTEXT_TAG, "native-aead: the context must be one createContext() returned");
  if (context == NULL) return NULL;
  if (context->seal != seal) {
    throw_type(env, seal ? "native-aead: seal() needs a context created for 'seal'" : "native-aead: open() needs a context created for 'open'");
    return NULL;
  }
  return context;
}

/* Two byte ranges share memory but do not start at the same place: OpenSSL supports in == out only. */
static bool overlap_misaligned(const uint8_t *a, size_t a_length, const uint8_t *b, size_t b_length) {
  if (a == b) return false;
  uintptr_t a0 = (uintptr_t)a, b0 = (uintptr_t)b;
  return a0 < b0 + b_length && b0 < a0 + a_length;
}

static void finalize_context(napi_env env, void *data, void *hint) {
  (void)hint;
  cipher_context *context = data;
  /* EVP_CIPHER_CTX_free cleanses the key schedule before it frees it. */
  EVP_CIPHER_CTX_free(context->evp);
  free(context);
  int64_t adjusted = 0;
  napi_adjust_external_memory(env, -(int64_t)CONTEXT_EXTERNAL_BYTES, &adjusted);
}

/* A keyed context handed to JavaScript as an external with this tag; from then on its finalizer owns it (freed here if that fails). */
static napi_value wrap_context(napi_env env, cipher_context *context, const napi_type_tag *tag) {
  napi_value external;
  if (napi_create_external(env, context, finalize_context, NULL, &external) != napi_ok) {
    EVP_CIPHER_CTX_free(context->evp);
    free(context);
    return throw_pending(env);
  }
  int64_t adjusted = 0;
  CALL(env, napi_adjust_external_memory(env, CONTEXT_EXTERNAL_BYTES, &adjusted));
  CALL(env, napi_type_tag_object(env, external, tag));
  return external;
}

static const EVP_CIPHER *cipher_named(const char *name, size_t *key_length) {
  if (strcmp(name, "aes-128-gcm") == 0) {
    *key_length = 16;
    return EVP_aes_128_gcm();
  }
  if (strcmp(name, "aes-256-gcm") == 0) {
    *key_length = 32;
    return EVP_aes_256_gcm();
  }
  if (strcmp(name, "chacha20-poly1305") == 0) {
    *key_length = 32;
    return EVP_chacha20_poly1305();
  }
  return NULL;
}

/* createContext(algorithm, key, direction): an EVP context keyed once, for 'seal' or for 'open'. */
static napi_value create_context(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) return throw_type(env, "native-aead: createContext(algorithm, key, direction)");

  char name[32];
  size_t name_length = 0;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &name_length) != napi_ok) {
    return throw_type(env, "native-aead: the algorithm must be a string");
  }
  size_t key_length = 0;
  const EVP_CIPHER *cipher = cipher_named(name, &key_length);
  if (cipher == NULL) return throw_range(env, "native-aead: the algorithm must be 'aes-128-gcm', 'aes-256-gcm' or 'chacha20-poly1305'");

  uint8_t *key = NULL;
  size_t given_key_length = 0;
  if (!get_bytes(env, argv[1], "the key", &key, &given_key_length)) return NULL;
  if (given_key_length != key_length) return throw_range(env, "native-aead: the key length does not fit the algorithm");

  char direction[8];
  size_t direction_length = 0;
  if (napi_get_value_string_utf8(env, argv[2], direction, sizeof direction, &direction_length) != napi_ok) {
    return throw_type(env, "native-aead: the direction must be 'seal' or 'open'");
  }
  bool seal;
  if (strcmp(direction, "seal") == 0) seal = true;
  else if (strcmp(direction, "open") == 0) seal = false;
  else return throw_range(env, "native-aead: the direction must be 'seal' or 'open'");

  cipher_context *context = malloc(sizeof *context);
  if (context == NULL) return throw_openssl(env, "native-aead: out of memory");
  context->seal = seal;
  context->chacha20 = false;
  context->evp = EVP_CIPHER_CTX_new();
  /* The cipher first, then the IV length (12 is every one's default, set to say so), then the key:
   * the key schedule is computed here once and kept across every later IV-only init. */
  if (context->evp == NULL || EVP_CipherInit_ex(context->evp, cipher, NULL, NULL, NULL, seal ? 1 : 0) != 1 ||
      EVP_CIPHER_CTX_ctrl(context->evp, EVP_CTRL_AEAD_SET_IVLEN, NONCE_LENGTH, NULL) != 1 ||
      EVP_CipherInit_ex(context->evp, NULL, NULL, key, NULL, seal ? 1 : 0) != 1) {
    EVP_CIPHER_CTX_free(context->evp);
    free(context);
    return throw_openssl(env, "native-aead: OpenSSL could not key the cipher");
  }
  return wrap_context(env, context, &CONTEXT_TAG);
}

/*
 * seal(context, nonce, aad, plaintext, out, offset): writes ciphertext || tag (plaintext.length + 16
 * bytes) into out at offset. RFC 5116 2.1 authenticated encryption; the tag follows the
 * ciphertext as RFC 5288 3 and RFC 7905 2 put it on the wire.
 */
static napi_value seal(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 6) return throw_type(env, "native-aead: seal(context, nonce, aad, plaintext, out, offset)");
  cipher_context *context = get_context(env, argv[0], true);
  if (context == NULL) return NULL;
  uint8_t *nonce, *aad, *plaintext, *out;
  size_t nonce_length, aad_length, plaintext_length, out_length;
  if (!get_bytes(env, argv[1], "the nonce", &nonce, &nonce_length) || !get_bytes(env, argv[2], "the additional data", &aad, &aad_length) ||
      !get_bytes(env, argv[3], "the plaintext", &plaintext, &plaintext_length) || !get_bytes(env, argv[4], "the output", &out, &out_length)) {
    return NULL;
  }
  int64_t offset = -1;
  if (napi_get_value_int64(env, argv[5], &offset) != napi_ok) return throw_type(env, "native-aead: the offset must be a number");
  if (nonce_length != NONCE_LENGTH) return throw_range(env, "native-aead: the nonce must be 12 bytes");
  if (plaintext_length > INT_MAX - TAG_LENGTH || aad_length > INT_MAX) return throw_range(env, "native-aead: the input is too long");
  if (offset < 0 || (uint64_t)offset > out_length || out_length - (size_t)offset < plaintext_length + TAG_LENGTH) {
    return throw_range(env, "native-aead: the output is too small");
  }
  uint8_t *sealed = out + offset;
  if (overlap_misaligned(plaintext, plaintext_length, sealed, plaintext_length + TAG_LENGTH) ||
      overlap_misaligned(aad, aad_length, sealed, plaintext_length + TAG_LENGTH) ||
      overlap_misaligned(nonce, nonce_length, sealed, plaintext_length + TAG_LENGTH)) {
    return throw_range(env, "native-aead: the output overlaps an input");
  }

  EVP_CIPHER_CTX *evp = context->evp;
  int written = 0, final_written = 0;
  /* A new IV on the keyed context: the key schedule stays. */
  if (EVP_EncryptInit_ex(evp, NULL, NULL, NULL, nonce) != 1) return throw_openssl(env, "native-aead: OpenSSL refused the nonce");
  if (aad_length > 0 && EVP_EncryptUpdate(evp, NULL, &written, aad, (int)aad_length) != 1) return throw_openssl(env, "native-aead: OpenSSL refused the additional data");
  written = 0;
  if (plaintext_length > 0 && EVP_EncryptUpdate(evp, sealed, &written, plaintext, (int)plaintext_length) != 1) return throw_openssl(env, "native-aead: OpenSSL could not encrypt");
  if (EVP_EncryptFinal_ex(evp, sealed + written, &final_written) != 1 || (size_t)(written + final_written) != plaintext_length) {
    return throw_openssl(env, "native-aead: OpenSSL could not finish the encryption");
  }
  if (EVP_CIPHER_CTX_ctrl(evp, EVP_CTRL_AEAD_GET_TAG, TAG_LENGTH, sealed + plaintext_length) != 1) return throw_openssl(env, "native-aead: OpenSSL gave no tag");
  return NULL;
}

/*
 * open(context, nonce, aad, ciphertextAndTag, out): true and the plaintext in out (exactly
 * ciphertextAndTag.length - 16 bytes; out may start where the ciphertext does: decrypted in place),
 * or false when the tag does not verify (RFC 5116 2.2: FAIL) — out is then zeroed, nothing
 * unauthenticated is left in it.
 */
static napi_value open_sealed(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) return throw_type(env, "native-aead: open(context, nonce, aad, ciphertextAndTag, out)");
  cipher_context *context = get_context(env, argv[0], false);
  if (context == NULL) return NULL;
  uint8_t *nonce, *aad, *sealed, *out;
  size_t nonce_length, aad_length, sealed_length, out_length;
  if (!get_bytes(env, argv[1], "the nonce", &nonce, &nonce_length) || !get_bytes(env, argv[2], "the additional data", &aad, &aad_length) ||
      !get_bytes(env, argv[3], "the ciphertext", &sealed, &sealed_length) || !get_bytes(env, argv[4], "the output", &out, &out_length)) {
    return NULL;
  }
  if (nonce_length != NONCE_LENGTH) return throw_range(env, "native-aead: the nonce must be 12 bytes");
  if (sealed_length < TAG_LENGTH) return throw_range(env, "native-aead: the ciphertext is shorter than a tag");
  if (sealed_length > INT_MAX || aad_length > INT_MAX) return throw_range(env, "native-aead: the input is too long");
  size_t plaintext_length = sealed_length - TAG_LENGTH;
  if (out_length != plaintext_length) return throw_range(env, "native-aead: the output must be as long as the ciphertext without its tag");
  if (overlap_misaligned(sealed, sealed_length, out, out_length) || overlap_misaligned(aad, aad_length, out, out_length) ||
      overlap_misaligned(nonce, nonce_length, out, out_length)) {
    return throw_range(env, "native-aead: the output overlaps an input (other than starting where the ciphertext does)");
  }

  EVP_CIPHER_CTX *evp = context->evp;
  /* The tag is copied first: it lies right after the ciphertext, outside what the plaintext overwrites, but OpenSSL may keep the pointer. */
  uint8_t tag[TAG_LENGTH];
  memcpy(tag, sealed + plaintext_length, TAG_LENGTH);
  int written = 0, final_written = 0;
  if (EVP_DecryptInit_ex(evp, NULL, NULL, NULL, nonce) != 1) return throw_openssl(env, "native-aead: OpenSSL refused the nonce");
  if (EVP_CIPHER_CTX_ctrl(evp, EVP_CTRL_AEAD_SET_TAG, TAG_LENGTH, tag) != 1) return throw_openssl(env, "native-aead: OpenSSL refused the tag");
  if (aad_length > 0 && EVP_DecryptUpdate(evp, NULL, &written, aad, (int)aad_length) != 1) return throw_openssl(env, "native-aead: OpenSSL refused the additional data");
  written = 0;
  if (plaintext_length > 0 && EVP_DecryptUpdate(evp, out, &written, sealed, (int)plaintext_length) != 1) return throw_openssl(env, "native-aead: OpenSSL could not decrypt");
  /* EVP_DecryptFinal_ex compares the tags (in constant time) and fails when they differ. */
  int verified = EVP_DecryptFinal_ex(evp, out + written, &final_written) == 1 && (size_t)(written + final_written) == plaintext_length;
  napi_value result;
  if (!verified) {
    ERR_clear_error();
    OPENSSL_cleanse(out, out_length);
  }
  CALL(env, napi_get_boolean(env, verified, &result));
  return result;
}

/*
 * DTLS 1.3 record number encryption (RFC 9147 4.2.3): one keyed context per epoch and direction.
 *   AES:      Mask = AES-ECB(sn_key, Ciphertext[0..15]): one block, padding off, the key schedule kept.
 *   ChaCha20: Mask = ChaCha20(sn_key, Ciphertext[0..3], Ciphertext[4..15]) over 16 zero bytes; OpenSSL's
 *             "chacha20" takes exactly counter (4 bytes, little-endian) || nonce (12 bytes) as its IV.
 * node:crypto's ECB Cipher costs ~1-2 us per 16-byte update (a Buffer out each time); here it is one
 * N-API call that writes the 16 bytes into the caller's array.
 */
#define SAMPLE_LENGTH 16

/* createMaskContext(cipher, snKey): cipher 'aes-128' (16-byte key), 'aes-256' or 'chacha20' (32). */
static napi_value create_mask_context(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return throw_type(env, "native-aead: createMaskContext(cipher, key)");
  char name[16];
  size_t name_length = 0;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &name_length) != napi_ok) {
    return throw_type(env, "native-aead: the cipher must be a string");
  }
  const EVP_CIPHER *cipher;
  size_t key_length;
  bool chacha20 = false;
  if (strcmp(name, "aes-128") == 0) {
    cipher = EVP_aes_128_ecb();
    key_length = 16;
  } else if (strcmp(name, "aes-256") == 0) {
    cipher = EVP_aes_256_ecb();
    key_length = 32;
  } else if (strcmp(name, "chacha20") == 0) {
    cipher = EVP_chacha20();
    key_length = 32;
    chacha20 = true;
  } else {
    return throw_range(env, "native-aead: the cipher must be 'aes-128', 'aes-256' or 'chacha20'");
  }
  uint8_t *key = NULL;
  size_t given_key_length = 0;
  if (!get_bytes(env, argv[1], "the key", &key, &given_key_length)) return NULL;
  if (given_key_length != key_length) return throw_range(env, "native-aead: the key length does not fit the cipher");

  cipher_context *context = malloc(sizeof *context);
  if (context == NULL) return throw_openssl(env, "native-aead: out of memory");
  context->seal = true;
  context->chacha20 = chacha20;
  context->evp = EVP_CIPHER_CTX_new();
  /* ChaCha20 is keyed with a zero IV here; each mask sets its own IV and keeps the key. */
  static const uint8_t zero_iv[SAMPLE_LENGTH];
  if (context->evp == NULL || EVP_EncryptInit_ex(context->evp, cipher, NULL, key, chacha20 ? zero_iv : NULL) != 1 ||
      EVP_CIPHER_CTX_set_padding(context->evp, 0) != 1) {
    EVP_CIPHER_CTX_free(context->evp);
    free(context);
    return throw_openssl(env, "native-aead: OpenSSL could not key the record number cipher");
  }
  return wrap_context(env, context, &MASK_CONTEXT_TAG);
}

/* mask(context, sample, out): the 16-byte mask of a record whose ciphertext starts with sample (16 bytes) into out (16 bytes). */
static napi_value mask(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) return throw_type(env, "native-aead: mask(context, sample, out)");
  cipher_context *context = unwrap_context(env, argv[0], &MASK_CONTEXT_TAG, "native-aead: the context must be one createMaskContext() returned");
  if (context == NULL) return NULL;
  uint8_t *sample, *out;
  size_t sample_length, out_length;
  if (!get_bytes(env, argv[1], "the sample", &sample, &sample_length) || !get_bytes(env, argv[2], "the output", &out, &out_length)) return NULL;
  if (sample_length != SAMPLE_LENGTH || out_length != SAMPLE_LENGTH) return throw_range(env, "native-aead: the sample and the output must be 16 bytes");
  if (overlap_misaligned(sample, sample_length, out, out_length) || sample == out) return throw_range(env, "native-aead: the output overlaps the sample");
  EVP_CIPHER_CTX *evp = context->evp;
  int written = 0;
  if (context->chacha20) {
    static const uint8_t zeros[SAMPLE_LENGTH];
    /* A new IV (the sample) on the keyed context: the key stays. */
    if (EVP_EncryptInit_ex(evp, NULL, NULL, NULL, sample) != 1 || EVP_EncryptUpdate(evp, out, &written, zeros, SAMPLE_LENGTH) != 1) {
      return throw_openssl(env, "native-aead: OpenSSL could not compute the mask");
    }
  } else if (EVP_EncryptUpdate(evp, out, &written, sample, SAMPLE_LENGTH) != 1) {
    /* ECB chains nothing: every update is one block's encryption under the kept key schedule. */
    return throw_openssl(env, "native-aead: OpenSSL could not compute the mask");
  }
  if (written != SAMPLE_LENGTH) return throw_openssl(env, "native-aead: OpenSSL gave a short mask");
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value create_fn, seal_fn, open_fn, create_mask_fn, mask_fn, version, tag_length, nonce_length;
  CALL(env, napi_create_function(env, "createContext", NAPI_AUTO_LENGTH, create_context, NULL, &create_fn));
  CALL(env, napi_create_function(env, "seal", NAPI_AUTO_LENGTH, seal, NULL, &seal_fn));
  CALL(env, napi_create_function(env, "open", NAPI_AUTO_LENGTH, open_sealed, NULL, &open_fn));
  CALL(env, napi_create_function(env, "createMaskContext", NAPI_AUTO_LENGTH, create_mask_context, NULL, &create_mask_fn));
  CALL(env, napi_create_function(env, "mask", NAPI_AUTO_LENGTH, mask, NULL, &mask_fn));
  /* The OpenSSL actually running (the node binary's), not the headers': what the self-checks ran against. */
  CALL(env, napi_create_string_utf8(env, OpenSSL_version(OPENSSL_VERSION), NAPI_AUTO_LENGTH, &version));
  CALL(env, napi_create_uint32(env, TAG_LENGTH, &tag_length));
  CALL(env, napi_create_uint32(env, NONCE_LENGTH, &nonce_length));
  napi_property_descriptor properties[] = {
      {"createContext", NULL, NULL, NULL, NULL, create_fn, napi_enumerable, NULL},
      {"seal", NULL, NULL, NULL, NULL, seal_fn, napi_enumerable, NULL},
      {"open", NULL, NULL, NULL, NULL, open_fn, napi_enumerable, NULL},
      {"createMaskContext", NULL, NULL, NULL, NULL, create_mask_fn, napi_enumerable, NULL},
      {"mask", NULL, NULL, NULL, NULL, mask_fn, napi_enumerable, NULL},
      {"openssl", NULL, NULL, NULL, NULL, version, napi_enumerable, NULL},
      {"TAG_LENGTH", NULL, NULL, NULL, NULL, tag_length, napi_enumerable, NULL},
      {"NONCE_LENGTH", NULL, NULL, NULL, NULL, nonce_length, napi_enumerable, NULL},
  };
  CALL(env, napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
