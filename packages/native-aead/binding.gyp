{
  # The addon links against nothing: EVP_* resolve at load time against the OpenSSL inside the
  # node binary (it exports them), whose headers node ships in include/node/openssl.
  'targets': [
    {
      'target_name': 'native_aead',
      'sources': ['src/native-aead.c'],
      'defines': ['NAPI_VERSION=8'],
      'cflags': ['-std=c11', '-Wall', '-Wextra', '-Werror=implicit-function-declaration', '-O2'],
      'xcode_settings': {
        'OTHER_CFLAGS': ['-std=c11', '-Wall', '-Wextra'],
        # macOS: the symbols come from the executable that loads the addon.
        'OTHER_LDFLAGS': ['-undefined', 'dynamic_lookup'],
      },
    },
  ],
}
