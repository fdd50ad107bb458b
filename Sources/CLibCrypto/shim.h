// OpenSSL 3 marks the low-level digest calls deprecated in favour of EVP, but EVP's
// one-shot path costs ≈1.1 µs per short password on this CPU against ≈0.25 µs here:
// the lookup hot path needs the low-level calls.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/sha.h>
#include <openssl/md4.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/evp.h>
