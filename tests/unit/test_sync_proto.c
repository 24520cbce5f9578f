/* Unit tests of the sync protocol's byte level (sync/proto.c): HTTP heads, the bundle container,
 * signature verification (with a key made here), payload checks and the journal answer. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>

#include <yordam/sync_proto.h>

static int resp(const char *s, struct sync_http_head *h)
{
	return sync_http_parse_response(s, strlen(s), h);
}

static void test_http_response(void **state)
{
	struct sync_http_head h;
	const char *ok = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ncontent-length:  12 \r\n\r\n{\"ack\":1}";

	assert_int_equal(resp(ok, &h), 0);
	assert_int_equal(h.status, 200);
	assert_true(h.has_length);
	assert_int_equal(h.content_length, 12);
	assert_int_equal(h.head_len, strstr(ok, "{") - ok);
	assert_false(h.close);

	assert_int_equal(resp("HTTP/1.1 204 No Content\r\n\r\n", &h), 0);
	assert_int_equal(h.status, 204);
	assert_false(h.has_length);
	assert_int_equal(resp("HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\n\r\n", &h), 0);
	assert_true(h.close);
	assert_int_equal(resp("HTTP/1.0 200 ok\r\n\r\n", &h), 0);
	assert_true(h.close);

	/* incomplete */
	assert_int_equal(resp("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n", &h), -EAGAIN);
	assert_int_equal(resp("", &h), -EAGAIN);
	/* malformed */
	assert_int_equal(resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", &h), -EBADMSG);
	assert_int_equal(resp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", &h), -EBADMSG);
	assert_int_equal(resp("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", &h), -EBADMSG);
	assert_int_equal(resp("HTTP/1.1 200 OK\r\nContent-Length: 1234567890123456\r\n\r\n", &h), -EBADMSG);
	assert_int_equal(resp("HTTP/1.1 200 OK\r\n folded\r\n\r\n", &h), -EBADMSG);
	assert_int_equal(resp("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", &h), -EBADMSG);
	assert_int_equal(resp("HTTP/1.1 200 OK\r\nX: a\nb\r\n\r\n", &h), -EBADMSG);
	assert_int_equal(resp("HTTP/2 200 OK\r\n\r\n", &h), -EBADMSG);
	assert_int_equal(resp("HTTP/1.1 20 OK\r\n\r\n", &h), -EBADMSG);
	assert_int_equal(resp("HTTP/1.1 200OK\r\n\r\n", &h), -EBADMSG);
	assert_int_equal(resp("\r\n\r\n", &h), -EBADMSG);
	{
		char big[SYNC_HTTP_HEAD_MAX + 100];
		memset(big, 'a', sizeof(big));
		memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
		assert_int_equal(sync_http_parse_response(big, sizeof(big), &h), -EMSGSIZE);
	}
}

static void test_http_request(void **state)
{
	struct sync_http_head h;
	const char *r = "POST /v1/journal HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}";

	assert_int_equal(sync_http_parse_request(r, strlen(r), &h), 0);
	assert_int_equal(h.method_len, 4);
	assert_memory_equal(h.method, "POST", 4);
	assert_int_equal(h.target_len, 11);
	assert_memory_equal(h.target, "/v1/journal", 11);
	assert_int_equal(h.content_length, 2);
	r = "GET /a HTTP/1.0\r\n\r\n";
	assert_int_equal(sync_http_parse_request(r, strlen(r), &h), -EBADMSG);
	r = "GET  /a HTTP/1.1\r\n\r\n";
	assert_int_equal(sync_http_parse_request(r, strlen(r), &h), -EBADMSG);
	r = "G(T /a HTTP/1.1\r\n\r\n";
	assert_int_equal(sync_http_parse_request(r, strlen(r), &h), -EBADMSG);
}

static void test_names(void **state)
{
	assert_true(sync_name_valid("00-languages.pack", 17));
	assert_false(sync_name_valid(".hidden", 7));
	assert_false(sync_name_valid("../x", 4));
	assert_false(sync_name_valid("a/b", 3));
	assert_false(sync_name_valid("", 0));
	assert_false(sync_name_valid("a b", 3));
}

static const char payload_ok[] = "{\"format\":\"yordam-bundle/1\",\"kind\":\"content\",\"version\":3,\"created\":5,"
				 "\"files\":[{\"name\":\"a.pack\",\"text\":\"x\\ny\"},{\"name\":\"b\",\"text\":\"\"}]}";

static void test_payload(void **state)
{
	struct sync_bundle_payload p;
	const char *why = NULL;

	assert_int_equal(sync_bundle_payload_parse((const uint8_t *)payload_ok, strlen(payload_ok), &p, &why), 0);
	assert_string_equal(p.kind, "content");
	assert_int_equal(p.version, 3);
	assert_int_equal(p.n_files, 2);
	assert_string_equal(p.files[0].name, "a.pack");
	assert_int_equal(p.files[0].len, 3);
	sync_bundle_payload_free(&p);

	static const char *const bad[] = {
		"[]",
		"{\"format\":\"yordam-bundle/"
		"2\",\"kind\":\"content\",\"version\":3,\"files\":[{\"name\":\"a\",\"text\":\"\"}]}",
		"{\"format\":\"yordam-bundle/"
		"1\",\"kind\":\"content\",\"version\":0,\"files\":[{\"name\":\"a\",\"text\":\"\"}]}",
		"{\"format\":\"yordam-bundle/1\",\"kind\":\"content\",\"version\":3,\"files\":[]}",
		"{\"format\":\"yordam-bundle/1\",\"kind\":\"content\",\"version\":3,\"files\":[{\"name\":\"../"
		"a\",\"text\":\"\"}]}",
		"{\"format\":\"yordam-bundle/"
		"1\",\"kind\":\"content\",\"version\":3,\"files\":[{\"name\":\"a\",\"text\":\"\"},"
		"{\"name\":\"a\",\"text\":\"\"}]}",
		"{\"format\":\"yordam-bundle/"
		"1\",\"kind\":\"content\",\"version\":3,\"version\":4,\"files\":[{\"name\":\"a\","
		"\"text\":\"\"}]}",
		"{\"format\":\"yordam-bundle/1\",\"kind\":\"con/"
		"tent\",\"version\":3,\"files\":[{\"name\":\"a\",\"text\":\"\"}]}",
		"{\"format\":\"yordam-bundle/"
		"1\",\"kind\":\"content\",\"version\":3,\"files\":[{\"name\":\"a\",\"text\":1}]}",
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_equal(sync_bundle_payload_parse((const uint8_t *)bad[i], strlen(bad[i]), &p, &why),
				 -EBADMSG);
		assert_non_null(why);
	}
}

static void test_split(void **state)
{
	const uint8_t *pl, *sig;
	size_t plen, slen;
	const char *why;
	const char *ok = "YBUNDLE1 2 8\n{}12345678";

	assert_int_equal(sync_bundle_split((const uint8_t *)ok, strlen(ok), &pl, &plen, &sig, &slen, &why), 0);
	assert_int_equal(plen, 2);
	assert_int_equal(slen, 8);
	assert_memory_equal(sig, "12345678", 8);
	assert_int_equal(sync_bundle_split((const uint8_t *)ok, strlen(ok) - 1, &pl, &plen, &sig, &slen, &why),
			 -EBADMSG);
	assert_string_equal(why, "bundle truncated");
	static const char *const bad[] = {"YBUNDLE1 02 8\n{}12345678",
					  "YBUNDLE1 2 7\n{}1234567",
					  "YBUNDLE2 2 8\n{}12345678",
					  "YBUNDLE1 2 81\n{}",
					  "YBUNDLE1 -2 8\n",
					  "YBUNDLE1 2 8 \n{}12345678",
					  "YBUNDLE1 99999999999999999999 8\n"};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
			sync_bundle_split((const uint8_t *)bad[i], strlen(bad[i]), &pl, &plen, &sig, &slen, &why),
			-EBADMSG);
	}
}

/* Sign payload_ok with a fresh key, verify; flip each byte of the payload: always refused. */
static void test_verify(void **state)
{
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_pk_context key, other;
	struct sync_bundle_payload p;
	uint8_t hash[32], sig[MBEDTLS_ECDSA_MAX_LEN], blob[1024];
	size_t slen, plen = strlen(payload_ok), hl, i;
	const char *why;

	mbedtls_entropy_init(&ent);
	mbedtls_ctr_drbg_init(&drbg);
	mbedtls_pk_init(&key);
	mbedtls_pk_init(&other);
	assert_int_equal(mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, NULL, 0), 0);
	assert_int_equal(mbedtls_pk_setup(&key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
	assert_int_equal(
		mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(key), mbedtls_ctr_drbg_random, &drbg), 0);
	assert_int_equal(mbedtls_pk_setup(&other, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
	assert_int_equal(
		mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(other), mbedtls_ctr_drbg_random, &drbg), 0);
	assert_int_equal(mbedtls_sha256_ret((const uint8_t *)payload_ok, plen, hash, 0), 0);
	assert_int_equal(mbedtls_pk_sign(&key, MBEDTLS_MD_SHA256, hash, 32, sig, &slen, mbedtls_ctr_drbg_random, &drbg),
			 0);
	hl = (size_t)snprintf((char *)blob, sizeof(blob), "YBUNDLE1 %zu %zu\n", plen, slen);
	memcpy(blob + hl, payload_ok, plen);
	memcpy(blob + hl + plen, sig, slen);

	assert_int_equal(sync_bundle_verify(blob, hl + plen + slen, &key, &p, &why), 0);
	assert_int_equal(p.version, 3);
	sync_bundle_payload_free(&p);
	assert_int_equal(sync_bundle_verify(blob, hl + plen + slen, &other, &p, &why), -EPERM);
	for (i = hl; i < hl + plen; i++) {
		blob[i] ^= 0x01;
		assert_int_not_equal(sync_bundle_verify(blob, hl + plen + slen, &key, &p, &why), 0);
		blob[i] ^= 0x01;
	}
	mbedtls_pk_free(&other);
	mbedtls_pk_free(&key);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&ent);
}

static int ack_parse(const char *s, uint64_t *ack)
{
	return sync_ack_parse(s, strlen(s), ack);
}

static void test_ack(void **state)
{
	uint64_t ack = 0;

	assert_int_equal(ack_parse("{\"ack\":42,\"stored\":1}", &ack), 0);
	assert_int_equal(ack, 42);
	assert_int_equal(ack_parse("{\"ack\":-1}", &ack), -EBADMSG);
	assert_int_equal(ack_parse("{\"ack\":\"1\"}", &ack), -EBADMSG);
	assert_int_equal(ack_parse("{\"ack\":1,\"ack\":2}", &ack), -EBADMSG);
	assert_int_equal(ack_parse("[1]", &ack), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_response), cmocka_unit_test(test_http_request),
		cmocka_unit_test(test_names),	      cmocka_unit_test(test_payload),
		cmocka_unit_test(test_split),	      cmocka_unit_test(test_verify),
		cmocka_unit_test(test_ack),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
