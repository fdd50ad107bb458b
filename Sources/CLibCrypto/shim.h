// OpenSSL 3 marks the low-level digest calls deprecated in favour of EVP, but EVP's
// one-shot path fetches a provider on every call, several times the cost of hashing a
// short password: the lookup hot path needs the low-level calls (PasswordHasher).
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/sha.h>
#include <openssl/md4.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/evp.h>
