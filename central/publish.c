/* yordam-central publish: build a bundle from a directory, sign it (ECDSA P-256 over SHA-256 of
 * the payload, docs/sync.md) and store it as the next version of its kind. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>

#include "central.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_file(int dfd, const char *name, char **out, size_t *len)
{
	struct stat sb;
	char *buf;
	ssize_t n;
	size_t got = 0;
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		return -errno;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size > (off_t)SYNC_BUNDLE_MAX) {
		close(fd);
		return -EINVAL;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)sb.st_size && (n = read(fd, buf + got, (size_t)sb.st_size - got)) > 0) {
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

/* The payload: {"format","kind","version","created","files":[{"name","text"}]} in name order. */
static int build_payload(const char *dir, const char *kind, uint64_t version, char **out)
{
	json_t *root = NULL, *files;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;
	int dfd = -1, rc = 0;
	DIR *d = opendir(dir);

	if (!d) {
		fprintf(stderr, "publish: %s: %s\n", dir, strerror(errno));
		return -errno;
	}
	dfd = dirfd(d);
	while ((de = readdir(d))) {
		char **nn;
		if (de->d_name[0] == '.') {
			continue;
		}
		if (!sync_name_valid(de->d_name, strlen(de->d_name))) {
			fprintf(stderr, "publish: %s/%s: file name not allowed in a bundle (A-Z a-z 0-9 . _ -, 64)\n",
				dir, de->d_name);
			rc = -EINVAL;
			goto out;
		}
		nn = realloc(names, (n + 1) * sizeof(*names));
		if (!nn) {
			rc = -ENOMEM;
			goto out;
		}
		names = nn;
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			rc = -ENOMEM;
			goto out;
		}
		n++;
	}
	if (n == 0 || n > SYNC_BUNDLE_FILES_MAX) {
		fprintf(stderr, "publish: %s: %zu files (1-%u allowed)\n", dir, n, SYNC_BUNDLE_FILES_MAX);
		rc = -EINVAL;
		goto out;
	}
	qsort(names, n, sizeof(*names), cmp_str);
	root = json_pack("{s:s,s:s,s:I,s:I,s:[]}", "format", SYNC_BUNDLE_FORMAT, "kind", kind, "version",
			 (json_int_t)version, "created", (json_int_t)time(NULL), "files");
	if (!root) {
		rc = -ENOMEM;
		goto out;
	}
	files = json_object_get(root, "files");
	for (i = 0; i < n; i++) {
		char *text = NULL;
		size_t len = 0;
		json_t *f, *t;

		rc = read_file(dfd, names[i], &text, &len);
		if (rc < 0) {
			fprintf(stderr, "publish: %s/%s: %s\n", dir, names[i],
				rc == -EINVAL ? "not a regular file or too large" : strerror(-rc));
			goto out;
		}
		t = (strlen(text) == len) ? json_stringn(text, len) : NULL;
		free(text);
		if (!t) {
			fprintf(stderr, "publish: %s/%s: not UTF-8 text (or holds NUL)\n", dir, names[i]);
			rc = -EINVAL;
			goto out;
		}
		f = json_pack("{s:s,s:o}", "name", names[i], "text", t);
		if (!f || json_array_append_new(files, f) < 0) {
			rc = -ENOMEM;
			goto out;
		}
	}
	*out = json_dumps(root, JSON_COMPACT);
	if (!*out) {
		rc = -ENOMEM;
	}
out:
	for (i = 0; i < n; i++) {
		free(names[i]);
	}
	free(names);
	json_decref(root);
	closedir(d);
	return rc;
}

int central_publish(const char *db_path, const char *sign_key, const char *kind, const char *dir)
{
	static const char pers[] = "yordam-central-publish";
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_pk_context key;
	struct central_db *db = NULL;
	struct sync_bundle_payload check;
	unsigned char hash[32], sig[MBEDTLS_ECDSA_MAX_LEN];
	size_t sig_len = 0, plen, hlen;
	char *payload = NULL, err[256], head[64];
	const char *why = NULL;
	uint8_t *blob = NULL;
	uint64_t version = 0;
	int rc;

	mbedtls_entropy_init(&entropy);
	mbedtls_ctr_drbg_init(&drbg);
	mbedtls_pk_init(&key);

	if (!sync_name_valid(kind, strlen(kind))) {
		fprintf(stderr, "publish: bad kind '%s'\n", kind);
		rc = -EINVAL;
		goto exit;
	}
	rc = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, (const unsigned char *)pers,
				   sizeof(pers) - 1);
	if (rc == 0) {
		rc = mbedtls_pk_parse_keyfile(&key, sign_key, NULL);
	}
	if (rc != 0) {
		mbedtls_strerror(rc, err, sizeof(err));
		fprintf(stderr, "publish: %s: %s\n", sign_key, err);
		rc = -EINVAL;
		goto exit;
	}
	if (!mbedtls_pk_can_do(&key, MBEDTLS_PK_ECDSA) || mbedtls_pk_ec(key)->grp.id != MBEDTLS_ECP_DP_SECP256R1) {
		fprintf(stderr, "publish: %s: the bundle key must be an EC P-256 private key\n", sign_key);
		rc = -EINVAL;
		goto exit;
	}
	rc = central_db_open(db_path, &db, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "publish: %s\n", err);
		goto exit;
	}
	rc = central_db_bundle_next_version(db, kind, &version);
	if (rc < 0) {
		goto exit;
	}
	rc = build_payload(dir, kind, version, &payload);
	if (rc < 0) {
		goto exit;
	}
	plen = strlen(payload);
	if (plen > SYNC_BUNDLE_MAX) {
		fprintf(stderr, "publish: bundle too large (%zu bytes)\n", plen);
		rc = -EFBIG;
		goto exit;
	}
	/* what we publish must be what appliances accept */
	if (sync_bundle_payload_parse((const uint8_t *)payload, plen, &check, &why) < 0) {
		fprintf(stderr, "publish: built an invalid payload: %s\n", why);
		rc = -EINVAL;
		goto exit;
	}
	sync_bundle_payload_free(&check);
	rc = mbedtls_sha256_ret((const unsigned char *)payload, plen, hash, 0);
	if (rc == 0) {
		rc = mbedtls_pk_sign(&key, MBEDTLS_MD_SHA256, hash, sizeof(hash), sig, &sig_len,
				     mbedtls_ctr_drbg_random, &drbg);
	}
	if (rc != 0) {
		mbedtls_strerror(rc, err, sizeof(err));
		fprintf(stderr, "publish: signing failed: %s\n", err);
		rc = -EIO;
		goto exit;
	}
	hlen = (size_t)snprintf(head, sizeof(head), "%s%zu %zu\n", SYNC_BUNDLE_MAGIC, plen, sig_len);
	blob = malloc(hlen + plen + sig_len);
	if (!blob) {
		rc = -ENOMEM;
		goto exit;
	}
	memcpy(blob, head, hlen);
	memcpy(blob + hlen, payload, plen);
	memcpy(blob + hlen + plen, sig, sig_len);
	rc = central_db_bundle_add(db, kind, version, blob, hlen + plen + sig_len);
	if (rc < 0) {
		fprintf(stderr, "publish: cannot store the bundle: %s\n", strerror(-rc));
		goto exit;
	}
	printf("published %s bundle version %" PRIu64 " (%zu bytes)\n", kind, version, hlen + plen + sig_len);
exit:
	free(blob);
	free(payload);
	central_db_close(db);
	mbedtls_pk_free(&key);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&entropy);
	return rc;
}
