/* The device secret: a 256-bit key kept in a file outside the database (mode 0600).
 *
 * Callers are never stored by IMSI or phone number: the store keys them by
 * HMAC-SHA256(device key, identity), so a copied database alone does not reveal who used the
 * service, and the same person maps to the same row across restarts. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define SECRET_KEY_LEN 32
#define SECRET_HASH_LEN 32

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
