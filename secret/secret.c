/* Device key file and keyed hashing (mbedTLS). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>

#include <osmocom/core/talloc.h>

#include <yordam/log.h>
#include <yordam/secret.h>

struct secret {
	uint8_t key[SECRET_KEY_LEN];
};

static int secret_destructor(struct secret *s)
{
	mbedtls_platform_zeroize(s->key, sizeof(s->key));
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
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
	rc = write_all(fd, hex, strlen(hex));
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
		int hi = hexval(buf[2 * i]), lo = hexval(buf[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			LOGP(DMAIN, LOGL_ERROR, "Key file %s: expected 64 hex digits\n", path);
			mbedtls_platform_zeroize(buf, sizeof(buf));
			talloc_free(s);
			return -EBADMSG;
		}
		s->key[i] = (uint8_t)(hi << 4 | lo);
	}
	mbedtls_platform_zeroize(buf, sizeof(buf));
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
