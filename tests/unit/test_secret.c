/* Unit tests of secret/: key file handling, keyed hashes, and sealing (AES-256-GCM). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <osmocom/core/application.h>
#include <osmocom/core/talloc.h>

#include <yordam/log.h>
#include <yordam/secret.h>

static void *g_ctx;

static struct secret *load_key(const char *hex)
{
	char path[] = "/tmp/yordam-secret-XXXXXX";
	struct secret *s = NULL;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, hex, strlen(hex)), (ssize_t)strlen(hex));
	close(fd);
	assert_int_equal(secret_load(g_ctx, path, false, &s), 0);
	unlink(path);
	return s;
}

static const char *key_a = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
static const char *key_b = "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";

static void test_seal_roundtrip(void **state)
{
	struct secret *a = load_key(key_a);
	const char *msg = "+998901234567";
	uint8_t sealed[64], sealed2[64];
	char out[64];
	int n, n2;

	n = secret_seal(a, "msisdn", msg, strlen(msg), sealed, sizeof(sealed));
	assert_int_equal(n, (int)strlen(msg) + SECRET_SEAL_OVERHEAD);
	/* the number is not in the record */
	assert_null(memmem(sealed, (size_t)n, "998901234567", 12));
	assert_int_equal(secret_open(a, "msisdn", sealed, (size_t)n, out, sizeof(out)), (int)strlen(msg));
	assert_memory_equal(out, msg, strlen(msg));
	/* a fresh nonce each time: the same plaintext seals differently */
	n2 = secret_seal(a, "msisdn", msg, strlen(msg), sealed2, sizeof(sealed2));
	assert_int_equal(n2, n);
	assert_memory_not_equal(sealed, sealed2, (size_t)n);
	/* empty plaintext is fine */
	n = secret_seal(a, "sms-text", "", 0, sealed, sizeof(sealed));
	assert_int_equal(n, SECRET_SEAL_OVERHEAD);
	assert_int_equal(secret_open(a, "sms-text", sealed, (size_t)n, out, sizeof(out)), 0);
	talloc_free(a);
}

static void test_seal_rejects(void **state)
{
	struct secret *a = load_key(key_a), *b = load_key(key_b);
	const char *msg = "complaint text";
	uint8_t sealed[64];
	char out[64], *str;
	size_t i;
	int n;

	n = secret_seal(a, "sms-text", msg, strlen(msg), sealed, sizeof(sealed));
	assert_true(n > 0);
	/* another key, another domain, any flipped bit, truncation: -EBADMSG */
	assert_int_equal(secret_open(b, "sms-text", sealed, (size_t)n, out, sizeof(out)), -EBADMSG);
	assert_int_equal(secret_open(a, "msisdn", sealed, (size_t)n, out, sizeof(out)), -EBADMSG);
	for (i = 0; i < (size_t)n; i++) {
		sealed[i] ^= 0x01;
		assert_int_equal(secret_open(a, "sms-text", sealed, (size_t)n, out, sizeof(out)), -EBADMSG);
		sealed[i] ^= 0x01;
	}
	assert_int_equal(secret_open(a, "sms-text", sealed, (size_t)n - 1, out, sizeof(out)), -EBADMSG);
	assert_int_equal(secret_open(a, "sms-text", sealed, 5, out, sizeof(out)), -EBADMSG);
	assert_int_equal(secret_open(a, "sms-text", sealed, (size_t)n, out, 3), -ENOSPC);
	assert_int_equal(secret_seal(a, "sms-text", msg, strlen(msg), sealed, 10), -ENOSPC);
	assert_int_equal(secret_seal(NULL, "x", msg, 1, sealed, sizeof(sealed)), -EINVAL);
	/* the talloc helpers */
	str = secret_open_str(g_ctx, a, "sms-text", sealed, (size_t)n);
	assert_string_equal(str, msg);
	talloc_free(str);
	assert_null(secret_open_str(g_ctx, b, "sms-text", sealed, (size_t)n));
	n = secret_seal(a, "sms-text", "a\0b", 3, sealed, sizeof(sealed));
	assert_null(secret_open_str(g_ctx, a, "sms-text", sealed, (size_t)n)); /* an embedded NUL is refused */
	talloc_free(a);
	talloc_free(b);
}

static void test_hash(void **state)
{
	struct secret *a = load_key(key_a), *b = load_key(key_b);
	uint8_t h1[SECRET_HASH_LEN], h2[SECRET_HASH_LEN];

	assert_int_equal(secret_hash(a, "msisdn", "998901234567", h1), 0);
	assert_int_equal(secret_hash(a, "msisdn", "998901234567", h2), 0);
	assert_memory_equal(h1, h2, sizeof(h1)); /* stable: usable for look-ups */
	assert_int_equal(secret_hash(a, "caller", "998901234567", h2), 0);
	assert_memory_not_equal(h1, h2, sizeof(h1));
	assert_int_equal(secret_hash(b, "msisdn", "998901234567", h2), 0);
	assert_memory_not_equal(h1, h2, sizeof(h1));
	talloc_free(a);
	talloc_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seal_roundtrip),
		cmocka_unit_test(test_seal_rejects),
		cmocka_unit_test(test_hash),
	};

	g_ctx = talloc_named_const(NULL, 0, "test_secret");
	osmo_init_logging2(g_ctx, &yordam_log_info);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
