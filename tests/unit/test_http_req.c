/* HTTP USSD port: form parsing, the gateway's cumulative text, timestamps and signatures. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <yordam/http_req.h>

static const struct http_fields fields = {"sessionId", "serviceCode", "phoneNumber", "text"};

static int parse(const char *body, enum http_req_need need, struct http_req *r, const char **why)
{
	return http_req_parse(body, strlen(body), &fields, need, r, why);
}

static void expect_bad(const char *body, const char *reason)
{
	struct http_req r;
	const char *why = NULL;

	if (parse(body, HTTP_NEED_DIALOG, &r, &why) != -EINVAL || !why || !strstr(why, reason)) {
		print_error("body %s: expected -EINVAL with '%s', got '%s'\n", body, reason, why ? why : "(none)");
		fail();
	}
}

static void test_parse_ok(void **state)
{
	struct http_req r;
	const char *why = NULL;

	assert_int_equal(
		parse("sessionId=ATUid_1&serviceCode=%2A384%23&phoneNumber=%2B254711000111&text=&networkCode=63902",
		      HTTP_NEED_DIALOG, &r, &why),
		0);
	assert_string_equal(r.session, "ATUid_1");
	assert_string_equal(r.service, "*384#");
	assert_string_equal(r.phone, "+254711000111");
	assert_string_equal(r.text, "");
	assert_true(r.has_text);

	/* order free, '+' is a space (dropped from numbers), text absent means "" */
	assert_int_equal(
		parse("phoneNumber=%2B998+90-123-45-67&serviceCode=*100#&sessionId=s", HTTP_NEED_DIALOG, &r, &why), 0);
	assert_string_equal(r.phone, "+998901234567");
	assert_string_equal(r.service, "*100#");
	assert_false(r.has_text);
	assert_string_equal(r.text, "");

	/* UTF-8 free text is fine */
	assert_int_equal(
		parse("sessionId=s&serviceCode=100&phoneNumber=555123&text=1*%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82",
		      HTTP_NEED_DIALOG, &r, &why),
		0);
	assert_string_equal(r.text, "1*Привет");
	/* empty pairs are skipped */
	assert_int_equal(parse("&&sessionId=s&&serviceCode=1&phoneNumber=555&", HTTP_NEED_DIALOG, &r, &why), 0);
}

static void test_parse_custom_fields(void **state)
{
	const struct http_fields f = {"SESSION_ID", "USSD_CODE", "MSISDN", "USSD_STRING"};
	const char *body = "MSISDN=998901234567&SESSION_ID=77&USSD_CODE=*100%23&USSD_STRING=2&sessionId=ignored";
	struct http_req r;

	assert_int_equal(http_req_parse(body, strlen(body), &f, HTTP_NEED_DIALOG, &r, NULL), 0);
	assert_string_equal(r.session, "77");
	assert_string_equal(r.phone, "998901234567");
	assert_string_equal(r.text, "2");
}

static void test_parse_end(void **state)
{
	struct http_req r;

	assert_int_equal(parse("sessionId=abc&status=Incomplete", HTTP_NEED_END, &r, NULL), 0);
	assert_string_equal(r.session, "abc");
	assert_int_equal(parse("status=Incomplete", HTTP_NEED_END, &r, NULL), -EINVAL);
}

static void test_parse_bad(void **state)
{
	char big[HTTP_TEXT_MAX + 200];
	char many[400];
	int i;

	expect_bad("serviceCode=1&phoneNumber=555&text=", "session id missing");
	expect_bad("sessionId=s&phoneNumber=555&text=", "service code missing");
	expect_bad("sessionId=s&serviceCode=1&text=", "phone number missing");
	expect_bad("sessionId=s&sessionId=t&serviceCode=1&phoneNumber=555", "twice");
	expect_bad("sessionId=s&serviceCode=1&phoneNumber=555&text=%zz", "bad form encoding");
	expect_bad("sessionId=s&serviceCode=1&phoneNumber=555&text=%4", "bad form encoding");
	expect_bad("sessionId=s&serviceCode=1&phoneNumber=555&text=1%00", "control character");
	expect_bad("sessionId=s&serviceCode=1&phoneNumber=555&text=1%0A2", "control character");
	expect_bad("sessionId=s&serviceCode=1&phoneNumber=555&text=%FF", "UTF-8");
	expect_bad("sessionId=s&serviceCode=1&phoneNumber=55a5", "bad phone number");
	expect_bad("sessionId=s&serviceCode=1&phoneNumber=55", "bad phone number");
	expect_bad("sessionId=s&serviceCode=1&phoneNumber=5%2B55", "bad phone number");
	expect_bad("sessionId=s&serviceCode=1&phoneNumber=123456789012345678901", "bad phone number");
	expect_bad("sessionId=&serviceCode=1&phoneNumber=555", "bad session id");
	expect_bad("sessionId=a+b&serviceCode=1&phoneNumber=555", "bad session id");
	expect_bad("sessionId=s&serviceCode=1;DROP&phoneNumber=555", "bad service code");

	snprintf(big, sizeof(big), "sessionId=s&serviceCode=1&phoneNumber=555&text=");
	memset(big + strlen(big), '1', HTTP_TEXT_MAX + 1);
	big[sizeof(big) - 1] = '\0';
	expect_bad(big, "too long");

	snprintf(many, sizeof(many), "sessionId=s&serviceCode=1&phoneNumber=555&text=1");
	for (i = 0; i < HTTP_TEXT_MAX_ELEMS; i++) {
		strcat(many, "*1");
	}
	expect_bad(many, "too many inputs");
}

static void test_parse_not_terminated(void **state)
{
	/* The body is a length, not a C string: nothing past len is read. */
	const char body[] = "sessionId=s&serviceCode=1&phoneNumber=555&text=12XXXX";
	struct http_req r;

	assert_int_equal(http_req_parse(body, strlen(body) - 4, &fields, HTTP_NEED_DIALOG, &r, NULL), 0);
	assert_string_equal(r.text, "12");
	assert_int_equal(http_req_parse(NULL, 0, &fields, HTTP_NEED_END, &r, NULL), -EINVAL);
}

static void test_ussd_string(void **state)
{
	struct http_req r = {.service = "*384#", .text = "1*2"};
	char out[64];

	assert_int_equal(http_req_ussd_string(&r, out, sizeof(out)), 0);
	assert_string_equal(out, "*384*1*2#");
	strcpy(r.service, "384");
	r.text[0] = '\0';
	assert_int_equal(http_req_ussd_string(&r, out, sizeof(out)), 0);
	assert_string_equal(out, "*384#");
	strcpy(r.service, "*100*");
	strcpy(r.text, "3");
	assert_int_equal(http_req_ussd_string(&r, out, sizeof(out)), 0);
	assert_string_equal(out, "*100*3#");
	assert_int_equal(http_req_ussd_string(&r, out, 5), -ENOSPC);
}

static void test_phone_mask(void **state)
{
	char out[HTTP_PHONE_MASK_SIZE];

	http_phone_mask("+998901234567", out);
	assert_string_equal(out, "+*********567");
	http_phone_mask("555", out);
	assert_string_equal(out, "555");
	http_phone_mask("5551001", out);
	assert_string_equal(out, "****001");
}

static void expect_step(const char *prev, const char *text, enum http_step step, const char *news)
{
	const char *n = NULL;

	assert_int_equal(http_text_step(prev, text, &n), step);
	assert_string_equal(n, news);
}

static void test_text_step(void **state)
{
	expect_step("", "", HTTP_STEP_RETRY, "");
	expect_step("1*2", "1*2", HTTP_STEP_RETRY, "");
	expect_step("", "1", HTTP_STEP_EXTEND, "1");
	expect_step("", "1*2", HTTP_STEP_EXTEND, "1*2"); /* a first request with a direct path */
	expect_step("1", "1*2", HTTP_STEP_EXTEND, "2");
	expect_step("1", "1*2*3", HTTP_STEP_EXTEND, "2*3");
	expect_step("1", "1*", HTTP_STEP_EXTEND, ""); /* an empty answer */
	expect_step("1*2", "1*3", HTTP_STEP_REPLACE, "3");
	expect_step("1", "12", HTTP_STEP_REPLACE, "12"); /* a prefix is not an extension */
	expect_step("1*2", "3", HTTP_STEP_REPLACE, "3"); /* a gateway sending the last answer only */
	expect_step("1*2", "", HTTP_STEP_REPLACE, "");
}

static void test_text_next(void **state)
{
	const char *s = "2*00**Salom";
	char el[8];

	assert_true(http_text_next(&s, el, sizeof(el)));
	assert_string_equal(el, "2");
	assert_true(http_text_next(&s, el, sizeof(el)));
	assert_string_equal(el, "00");
	assert_true(http_text_next(&s, el, sizeof(el)));
	assert_string_equal(el, "");
	assert_true(http_text_next(&s, el, sizeof(el)));
	assert_string_equal(el, "Salom");
	assert_false(http_text_next(&s, el, sizeof(el)));

	s = "123456789012"; /* cut to the buffer */
	assert_true(http_text_next(&s, el, sizeof(el)));
	assert_string_equal(el, "1234567");
	assert_null(s);
}

static void test_ts_parse(void **state)
{
	int64_t t = 0;

	assert_int_equal(http_ts_parse("1700000000", &t), 0);
	assert_int_equal(t, 1700000000);
	assert_int_equal(http_ts_parse("", &t), -EINVAL);
	assert_int_equal(http_ts_parse("-5", &t), -EINVAL);
	assert_int_equal(http_ts_parse("17e8", &t), -EINVAL);
	assert_int_equal(http_ts_parse("1700000000 ", &t), -EINVAL);
	assert_int_equal(http_ts_parse("1234567890123", &t), -EINVAL);
	assert_int_equal(http_ts_parse(NULL, &t), -EINVAL);
}

static void test_signature(void **state)
{
	/* printf '%s' '1700000000.sessionId=x&text=1' | openssl dgst -sha256 -hmac 'test-key-0123456789' */
	const char *want = "837dc259f103317fb08505f601552231d36d392b76127e8b42a72bbd808ec56f";
	const char *key = "test-key-0123456789";
	const char *body = "sessionId=x&text=1";
	uint8_t mac[HTTP_SIG_LEN];
	char hdr[80];

	assert_int_equal(http_sig_compute((const uint8_t *)key, strlen(key), "1700000000", body, strlen(body), mac), 0);
	assert_true(http_sig_matches(want, mac));
	snprintf(hdr, sizeof(hdr), "sha256=%s", want);
	assert_true(http_sig_matches(hdr, mac));
	strcpy(hdr, want);
	for (char *p = hdr; *p; p++) {
		if (*p >= 'a' && *p <= 'f') {
			*p = (char)(*p - 'a' + 'A');
		}
	}
	assert_true(http_sig_matches(hdr, mac));

	strcpy(hdr, want);
	hdr[63] = '0'; /* last digit wrong */
	assert_false(http_sig_matches(hdr, mac));
	hdr[63] = 'g'; /* not hex */
	assert_false(http_sig_matches(hdr, mac));
	assert_false(http_sig_matches("", mac));
	assert_false(http_sig_matches(NULL, mac));
	hdr[62] = '\0'; /* short */
	assert_false(http_sig_matches(hdr, mac));

	/* the timestamp is signed: another one gives another MAC */
	assert_int_equal(http_sig_compute((const uint8_t *)key, strlen(key), "1700000001", body, strlen(body), mac), 0);
	assert_false(http_sig_matches(want, mac));
	assert_int_equal(http_sig_compute(NULL, 0, "1", body, strlen(body), mac), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_custom_fields),
		cmocka_unit_test(test_parse_end),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_not_terminated),
		cmocka_unit_test(test_ussd_string),
		cmocka_unit_test(test_phone_mask),
		cmocka_unit_test(test_text_step),
		cmocka_unit_test(test_text_next),
		cmocka_unit_test(test_ts_parse),
		cmocka_unit_test(test_signature),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
