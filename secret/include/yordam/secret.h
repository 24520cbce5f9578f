/* The device secret: a 256-bit key kept in a file outside the database (mode 0600).
 *
 * Callers are never stored by IMSI or phone number: the store keys them by
 * HMAC-SHA256(device key, identity), so a copied database alone does not reveal who used the
 * service, and the same person maps to the same row across restarts. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define SECRET_KEY_LEN	32
#define SECRET_HASH_LEN 32
/* A sealed record: 12-byte random nonce, ciphertext (as long as the plaintext), 16-byte GCM tag. */
#define SECRET_NONCE_LEN     12
#define SECRET_TAG_LEN	     16
#define SECRET_SEAL_OVERHEAD (SECRET_NONCE_LEN + SECRET_TAG_LEN)

struct secret;

/* Load the key from path (64 hex digits and an optional newline). With create, a missing file is
 * created with a fresh random key (getrandom), written to a temporary file with mode 0600,
 * fsync'd and renamed into place. A key file readable or writable by group or others is refused
 * (-EPERM): the key protects personal data. Returns 0 and *out (talloc child of ctx), or -errno
 * (-ENOENT missing without create, -EBADMSG malformed). */
int secret_load(void *ctx, const char *path, bool create, struct secret **out);

/* HMAC-SHA256(key, domain ":" identity): domain separates uses ("caller", later "case", ...).
 * Returns 0 or -EINVAL. */
int secret_hash(const struct secret *s, const char *domain, const char *identity, uint8_t out[SECRET_HASH_LEN]);

/* Personal data at rest (phone numbers, message texts): AES-256-GCM under a key derived from the
 * device key (HMAC-SHA256(key, "seal-key"), so the hashing and the sealing keys differ), with a
 * fresh random 96-bit nonce per record. domain is authenticated (not secret): a record sealed
 * for one use ("msisdn", "sms-text", ...) does not open as another. len may be 0.
 * Returns the sealed length (len + SECRET_SEAL_OVERHEAD), -ENOSPC if outlen is too small,
 * -EINVAL, or -EIO (no randomness). */
int secret_seal(const struct secret *s, const char *domain, const void *plain, size_t len, uint8_t *out, size_t outlen);
/* Verify and decrypt a sealed record. Returns the plaintext length, -EBADMSG when the record was
 * altered, truncated, sealed under another key or another domain, -ENOSPC, -EINVAL. */
int secret_open(const struct secret *s, const char *domain, const uint8_t *sealed, size_t len, void *out,
		size_t outlen);
/* The same into new talloc buffers under ctx. secret_open_str adds a NUL and rejects a plaintext
 * holding one. NULL on any failure (*outlen untouched). */
uint8_t *secret_seal_talloc(void *ctx, const struct secret *s, const char *domain, const void *plain, size_t len,
			    size_t *outlen);
char *secret_open_str(void *ctx, const struct secret *s, const char *domain, const void *sealed, size_t len);
