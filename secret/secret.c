/* Device key file and keyed hashing (mbedTLS). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/gcm.h>
#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>

#include <osmocom/core/talloc.h>

#include <yordam/util.h>
#include <yordam/log.h>
#include <yordam/secret.h>

struct secret {
	uint8_t key[SECRET_KEY_LEN];
	uint8_t seal_key[SECRET_KEY_LEN]; /* HMAC-SHA256(key, "seal-key"): never use one key for two algorithms */
};

static int secret_destructor(struct secret *s)
{
	mbedtls_platform_zeroize(s->key, sizeof(s->key));
	mbedtls_platform_zeroize(s->seal_key, sizeof(s->seal_key));
	return 0;
}

static int secret_create(const char *path)
{
	uint8_t key[SECRET_KEY_LEN];
	char hex[2 * SECRET_KEY_LEN + 2];
	char tmp[4096];
	size_t i;
	int fd, rc;

	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) {
		return -EIO;
	}
	for (i = 0; i < sizeof(key); i++) {
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	}
	hex[2 * SECRET_KEY_LEN] = '\n';
	hex[2 * SECRET_KEY_LEN + 1] = '\0';
	mbedtls_platform_zeroize(key, sizeof(key));

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		return -ENAMETOOLONG;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		return -errno;
	}
	rc = yordam_write_all(fd, hex, strlen(hex));
	if (rc == 0 && fsync(fd) != 0) {
		rc = -errno;
	}
	if (close(fd) != 0 && rc == 0) {
		rc = -errno;
	}
	mbedtls_platform_zeroize(hex, sizeof(hex));
	if (rc == 0 && rename(tmp, path) != 0) {
		rc = -errno;
	}
	if (rc != 0) {
		unlink(tmp);
		return rc;
	}
	LOGP(DMAIN, LOGL_NOTICE, "Created a new device key in %s\n", path);
	return 0;
}

int secret_load(void *ctx, const char *path, bool create, struct secret **out)
{
	char buf[2 * SECRET_KEY_LEN + 3];
	struct secret *s;
	struct stat sb;
	ssize_t n;
	size_t i;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT && create) {
		rc = secret_create(path);
		if (rc < 0) {
			LOGP(DMAIN, LOGL_ERROR, "Cannot create key file %s: %s\n", path, strerror(-rc));
			return rc;
		}
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	}
	if (fd < 0) {
		rc = -errno;
		LOGP(DMAIN, LOGL_ERROR, "Cannot open key file %s: %s\n", path, strerror(errno));
		return rc;
	}
	if (fstat(fd, &sb) != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (!S_ISREG(sb.st_mode) || (sb.st_mode & 077)) {
		LOGP(DMAIN, LOGL_ERROR, "Key file %s must be a regular file with mode 0600 (is %03o)\n", path,
		     (unsigned)(sb.st_mode & 0777));
		close(fd);
		return -EPERM;
	}
	n = read(fd, buf, sizeof(buf));
	rc = n < 0 ? -errno : 0;
	close(fd);
	if (rc < 0) {
		return rc;
	}
	if (n < 2 * SECRET_KEY_LEN || n > 2 * SECRET_KEY_LEN + 1 ||
	    (n == 2 * SECRET_KEY_LEN + 1 && buf[2 * SECRET_KEY_LEN] != '\n')) {
		LOGP(DMAIN, LOGL_ERROR, "Key file %s: expected 64 hex digits\n", path);
		mbedtls_platform_zeroize(buf, sizeof(buf));
		return -EBADMSG;
	}
	s = talloc_zero(ctx, struct secret);
	if (!s) {
		return -ENOMEM;
	}
	talloc_set_destructor(s, secret_destructor);
	for (i = 0; i < SECRET_KEY_LEN; i++) {
		int hi = yordam_hexval(buf[2 * i]), lo = yordam_hexval(buf[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			LOGP(DMAIN, LOGL_ERROR, "Key file %s: expected 64 hex digits\n", path);
			mbedtls_platform_zeroize(buf, sizeof(buf));
			talloc_free(s);
			return -EBADMSG;
		}
		s->key[i] = (uint8_t)(hi << 4 | lo);
	}
	mbedtls_platform_zeroize(buf, sizeof(buf));
	if (mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), s->key, sizeof(s->key),
			    (const unsigned char *)"seal-key", 8, s->seal_key) != 0) {
		talloc_free(s);
		return -EIO;
	}
	*out = s;
	return 0;
}

int secret_hash(const struct secret *s, const char *domain, const char *identity, uint8_t out[SECRET_HASH_LEN])
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	mbedtls_md_context_t mdc;
	int rc;

	if (!s || !domain || !identity || !md) {
		return -EINVAL;
	}
	mbedtls_md_init(&mdc);
	rc = mbedtls_md_setup(&mdc, md, 1);
	if (rc == 0) {
		rc = mbedtls_md_hmac_starts(&mdc, s->key, sizeof(s->key));
	}
	if (rc == 0) {
		rc = mbedtls_md_hmac_update(&mdc, (const unsigned char *)domain, strlen(domain));
	}
	if (rc == 0) {
		rc = mbedtls_md_hmac_update(&mdc, (const unsigned char *)":", 1);
	}
	if (rc == 0) {
		rc = mbedtls_md_hmac_update(&mdc, (const unsigned char *)identity, strlen(identity));
	}
	if (rc == 0) {
		rc = mbedtls_md_hmac_finish(&mdc, out);
	}
	mbedtls_md_free(&mdc);
	return rc == 0 ? 0 : -EINVAL;
}

int secret_seal(const struct secret *s, const char *domain, const void *plain, size_t len, uint8_t *out, size_t outlen)
{
	mbedtls_gcm_context gcm;
	int rc;

	if (!s || !domain || (!plain && len) || !out || len > INT32_MAX) {
		return -EINVAL;
	}
	if (outlen < len + SECRET_SEAL_OVERHEAD) {
		return -ENOSPC;
	}
	/* A random nonce needs no state kept across restarts; 2^32 records per key stay well inside GCM's bound. */
	if (getrandom(out, SECRET_NONCE_LEN, 0) != SECRET_NONCE_LEN) {
		return -EIO;
	}
	mbedtls_gcm_init(&gcm);
	rc = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, s->seal_key, 8 * SECRET_KEY_LEN);
	if (rc == 0) {
		rc = mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, len, out, SECRET_NONCE_LEN,
					       (const unsigned char *)domain, strlen(domain), plain,
					       out + SECRET_NONCE_LEN, SECRET_TAG_LEN, out + SECRET_NONCE_LEN + len);
	}
	mbedtls_gcm_free(&gcm);
	if (rc != 0) {
		LOGP(DMAIN, LOGL_ERROR, "AES-GCM seal failed (mbedtls -0x%04x)\n", (unsigned)-rc);
		return -EIO;
	}
	return (int)(len + SECRET_SEAL_OVERHEAD);
}

int secret_open(const struct secret *s, const char *domain, const uint8_t *sealed, size_t len, void *out, size_t outlen)
{
	mbedtls_gcm_context gcm;
	size_t n;
	int rc;

	if (!s || !domain || !sealed || (!out && outlen)) {
		return -EINVAL;
	}
	if (len < SECRET_SEAL_OVERHEAD || len - SECRET_SEAL_OVERHEAD > INT32_MAX) {
		return -EBADMSG;
	}
	n = len - SECRET_SEAL_OVERHEAD;
	if (outlen < n) {
		return -ENOSPC;
	}
	mbedtls_gcm_init(&gcm);
	rc = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, s->seal_key, 8 * SECRET_KEY_LEN);
	if (rc == 0) {
		rc = mbedtls_gcm_auth_decrypt(&gcm, n, sealed, SECRET_NONCE_LEN, (const unsigned char *)domain,
					      strlen(domain), sealed + SECRET_NONCE_LEN + n, SECRET_TAG_LEN,
					      sealed + SECRET_NONCE_LEN, out);
	}
	mbedtls_gcm_free(&gcm);
	if (rc != 0) {
		if (n && out) {
			mbedtls_platform_zeroize(out, n);
		}
		return -EBADMSG;
	}
	return (int)n;
}

uint8_t *secret_seal_talloc(void *ctx, const struct secret *s, const char *domain, const void *plain, size_t len,
			    size_t *outlen)
{
	uint8_t *out;
	int rc;

	if (len > INT32_MAX - SECRET_SEAL_OVERHEAD) {
		return NULL;
	}
	out = talloc_size(ctx, len + SECRET_SEAL_OVERHEAD);
	if (!out) {
		return NULL;
	}
	rc = secret_seal(s, domain, plain, len, out, len + SECRET_SEAL_OVERHEAD);
	if (rc < 0) {
		talloc_free(out);
		return NULL;
	}
	*outlen = (size_t)rc;
	return out;
}

char *secret_open_str(void *ctx, const struct secret *s, const char *domain, const void *sealed, size_t len)
{
	char *out;
	int rc;

	if (!sealed || len < SECRET_SEAL_OVERHEAD) {
		return NULL;
	}
	out = talloc_size(ctx, len - SECRET_SEAL_OVERHEAD + 1);
	if (!out) {
		return NULL;
	}
	rc = secret_open(s, domain, sealed, len, out, len - SECRET_SEAL_OVERHEAD);
	if (rc < 0 || memchr(out, '\0', (size_t)rc)) {
		talloc_free(out);
		return NULL;
	}
	out[rc] = '\0';
	return out;
}
