/* Facility codec: encoders against reference bytes written out by hand, the decoder against
 * real-world components and a list of malformed ones, and a cross-check with libosmocore. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <osmocom/core/msgb.h>
#include <osmocom/gsm/gsm0480.h>

#include <yordam/facility.h>

/* --- building reference bytes ---
 *
 * Eight 'a' (0x61) septets pack into the 7 octets A_GROUP (23.038 §6.1.2.1: septet k's bits go
 * LSB first). Seven 'a' followed by CR pack into A_GROUP_CR: that CR is the USSD padding of
 * §6.1.2.3 when 8n-1 septets leave 7 spare bits. */
static const uint8_t A_GROUP[7] = {0xE1, 0x70, 0x38, 0x1C, 0x0E, 0x87, 0xC3};
static const uint8_t A_GROUP_CR[7] = {0xE1, 0x70, 0x38, 0x1C, 0x0E, 0x87, 0x1B};
/* 'a' = 0x61 alone in an octet; six 'a' in six octets (the sixth holds 0x61 >> 2 = 0x18 | 0). */
static const uint8_t A_TAIL_1[1] = {0x61};
static const uint8_t A_TAIL_6[6] = {0xE1, 0x70, 0x38, 0x1C, 0x0E, 0x03};

struct ref {
	uint8_t b[FAC_MAX_LEN + 64];
	size_t len;
};

static void ref_put(struct ref *r, const uint8_t *bytes, size_t n)
{
	assert_true(r->len + n <= sizeof(r->b));
	memcpy(r->b + r->len, bytes, n);
	r->len += n;
}

static void ref_put_groups(struct ref *r, size_t groups)
{
	size_t i;

	for (i = 0; i < groups; i++) {
		ref_put(r, A_GROUP, sizeof(A_GROUP));
	}
}

/* 'д' U+0434 in UTF-16BE, n times. */
static void ref_put_de(struct ref *r, size_t n)
{
	static const uint8_t de[2] = {0x04, 0x34};
	size_t i;

	for (i = 0; i < n; i++) {
		ref_put(r, de, sizeof(de));
	}
}

static char *repeat(const char *unit, size_t n)
{
	size_t ul = strlen(unit);
	char *s = test_malloc(ul * n + 1);
	size_t i;

	for (i = 0; i < n; i++) {
		memcpy(s + i * ul, unit, ul);
	}
	s[ul * n] = '\0';
	return s;
}

static void assert_bytes(const uint8_t *got, int got_len, const struct ref *want)
{
	assert_int_equal(got_len, (int)want->len);
	assert_memory_equal(got, want->b, want->len);
}

/* The packed body for n 'a' septets, in the cases the tests use. */
static void ref_put_a_septets(struct ref *r, size_t n)
{
	switch (n) {
	case 127:
		ref_put_groups(r, 15);
		ref_put(r, A_GROUP_CR, sizeof(A_GROUP_CR));
		break;
	case 128:
		ref_put_groups(r, 16);
		break;
	case 129:
		ref_put_groups(r, 16);
		ref_put(r, A_TAIL_1, sizeof(A_TAIL_1));
		break;
	case 182:
		ref_put_groups(r, 22);
		ref_put(r, A_TAIL_6, sizeof(A_TAIL_6));
		break;
	default:
		fail_msg("no reference for %zu septets", n);
	}
}

/* --- Invoke unstructuredSS-Request (opcode 60), invokeID 5 ---
 * A1 L { 02 01 05, 02 01 3C, 30 L { 04 01 dcs, 04 L string } } */

static void enc_invoke_check(const char *unit, size_t n, const uint8_t *hdr, size_t hdr_len, bool ucs2)
{
	uint8_t out[FAC_MAX_LEN];
	struct ref want = {.len = 0};
	char *text = repeat(unit, n);
	int rc;

	ref_put(&want, hdr, hdr_len);
	if (ucs2) {
		ref_put_de(&want, n);
	} else {
		ref_put_a_septets(&want, n);
	}
	rc = fac_enc_invoke_uss_req(out, sizeof(out), 5, text);
	assert_bytes(out, rc, &want);
	test_free(text);
}

static void test_enc_invoke_127(void **state)
{
	/* 112 octets: all short forms; body 125 */
	static const uint8_t h[] = {0xA1, 0x7D, 0x02, 0x01, 0x05, 0x02, 0x01, 0x3C,
				    0x30, 0x75, 0x04, 0x01, 0x0F, 0x04, 0x70};
	enc_invoke_check("a", 127, h, sizeof(h), false);
}

static void test_enc_invoke_128(void **state)
{
	static const uint8_t h[] = {0xA1, 0x7D, 0x02, 0x01, 0x05, 0x02, 0x01, 0x3C,
				    0x30, 0x75, 0x04, 0x01, 0x0F, 0x04, 0x70};
	enc_invoke_check("a", 128, h, sizeof(h), false);
}

static void test_enc_invoke_129(void **state)
{
	/* 113 octets: body 126, still short */
	static const uint8_t h[] = {0xA1, 0x7E, 0x02, 0x01, 0x05, 0x02, 0x01, 0x3C,
				    0x30, 0x76, 0x04, 0x01, 0x0F, 0x04, 0x71};
	enc_invoke_check("a", 129, h, sizeof(h), false);
}

static void test_enc_invoke_182(void **state)
{
	/* 160 octets: long form at every level (string 160, USSD-Arg 166, Invoke 175) */
	static const uint8_t h[] = {0xA1, 0x81, 0xAF, 0x02, 0x01, 0x05, 0x02, 0x01, 0x3C,
				    0x30, 0x81, 0xA6, 0x04, 0x01, 0x0F, 0x04, 0x81, 0xA0};
	enc_invoke_check("a", 182, h, sizeof(h), false);
}

static void test_enc_invoke_ucs2_56(void **state)
{
	static const uint8_t h[] = {0xA1, 0x7D, 0x02, 0x01, 0x05, 0x02, 0x01, 0x3C,
				    0x30, 0x75, 0x04, 0x01, 0x48, 0x04, 0x70};
	enc_invoke_check("д", 56, h, sizeof(h), true);
}

static void test_enc_invoke_ucs2_80(void **state)
{
	static const uint8_t h[] = {0xA1, 0x81, 0xAF, 0x02, 0x01, 0x05, 0x02, 0x01, 0x3C,
				    0x30, 0x81, 0xA6, 0x04, 0x01, 0x48, 0x04, 0x81, 0xA0};
	enc_invoke_check("д", 80, h, sizeof(h), true);
}

/* --- ReturnResult processUnstructuredSS-Request (opcode 59), invokeID 1 ---
 * A2 L { 02 01 01, 30 L { 02 01 3B, 30 L { 04 01 dcs, 04 L string } } } */

static void enc_result_check(const char *unit, size_t n, const uint8_t *hdr, size_t hdr_len, bool ucs2)
{
	uint8_t out[FAC_MAX_LEN];
	struct ref want = {.len = 0};
	char *text = repeat(unit, n);
	int rc;

	ref_put(&want, hdr, hdr_len);
	if (ucs2) {
		ref_put_de(&want, n);
	} else {
		ref_put_a_septets(&want, n);
	}
	rc = fac_enc_result_process_uss(out, sizeof(out), 1, text);
	assert_bytes(out, rc, &want);
	test_free(text);
}

static void test_enc_result_127(void **state)
{
	/* 112 octets: component body 127, the last short length */
	static const uint8_t h[] = {0xA2, 0x7F, 0x02, 0x01, 0x01, 0x30, 0x7A, 0x02, 0x01,
				    0x3B, 0x30, 0x75, 0x04, 0x01, 0x0F, 0x04, 0x70};
	enc_result_check("a", 127, h, sizeof(h), false);
}

static void test_enc_result_128(void **state)
{
	static const uint8_t h[] = {0xA2, 0x7F, 0x02, 0x01, 0x01, 0x30, 0x7A, 0x02, 0x01,
				    0x3B, 0x30, 0x75, 0x04, 0x01, 0x0F, 0x04, 0x70};
	enc_result_check("a", 128, h, sizeof(h), false);
}

static void test_enc_result_129(void **state)
{
	/* 113 octets: component body 128 needs the long form, everything inside stays short */
	static const uint8_t h[] = {0xA2, 0x81, 0x80, 0x02, 0x01, 0x01, 0x30, 0x7B, 0x02,
				    0x01, 0x3B, 0x30, 0x76, 0x04, 0x01, 0x0F, 0x04, 0x71};
	enc_result_check("a", 129, h, sizeof(h), false);
}

static void test_enc_result_182(void **state)
{
	/* 160 octets: string 160, USSD-Res 166, SEQUENCE 172, component 178 */
	static const uint8_t h[] = {0xA2, 0x81, 0xB2, 0x02, 0x01, 0x01, 0x30, 0x81, 0xAC, 0x02, 0x01,
				    0x3B, 0x30, 0x81, 0xA6, 0x04, 0x01, 0x0F, 0x04, 0x81, 0xA0};
	enc_result_check("a", 182, h, sizeof(h), false);
}

static void test_enc_result_ucs2_56(void **state)
{
	static const uint8_t h[] = {0xA2, 0x7F, 0x02, 0x01, 0x01, 0x30, 0x7A, 0x02, 0x01,
				    0x3B, 0x30, 0x75, 0x04, 0x01, 0x48, 0x04, 0x70};
	enc_result_check("д", 56, h, sizeof(h), true);
}

static void test_enc_result_ucs2_80(void **state)
{
	static const uint8_t h[] = {0xA2, 0x81, 0xB2, 0x02, 0x01, 0x01, 0x30, 0x81, 0xAC, 0x02, 0x01,
				    0x3B, 0x30, 0x81, 0xA6, 0x04, 0x01, 0x48, 0x04, 0x81, 0xA0};
	enc_result_check("д", 80, h, sizeof(h), true);
}

static void test_enc_too_big(void **state)
{
	uint8_t out[FAC_MAX_LEN];
	char *a183 = repeat("a", 183);
	char *de81 = repeat("д", 81);
	/* 183 septets: '{' costs two (escape + code) */
	char *brace = repeat("a", 182);

	brace[181] = '{';
	assert_int_equal(fac_enc_invoke_uss_req(out, sizeof(out), 1, a183), -E2BIG);
	assert_int_equal(fac_enc_result_process_uss(out, sizeof(out), 1, a183), -E2BIG);
	assert_int_equal(fac_enc_invoke_uss_req(out, sizeof(out), 1, de81), -E2BIG);
	assert_int_equal(fac_enc_result_process_uss(out, sizeof(out), 1, de81), -E2BIG);
	assert_int_equal(fac_enc_result_process_uss(out, sizeof(out), 1, brace), -E2BIG);
	/* 182 septets with the escape: fits */
	brace[180] = '{';
	brace[181] = '\0';
	assert_int_equal(fac_enc_result_process_uss(out, sizeof(out), 1, brace), 181);
	/* output buffer one octet short of the 181-octet component */
	test_free(a183);
	a183 = repeat("a", 182);
	assert_int_equal(fac_enc_result_process_uss(out, 180, 1, a183), -E2BIG);
	assert_int_equal(fac_enc_result_process_uss(out, 181, 1, a183), 181);
	test_free(a183);
	test_free(de81);
	test_free(brace);
}

static void test_enc_bad_utf8(void **state)
{
	uint8_t out[FAC_MAX_LEN];

	assert_int_equal(fac_enc_invoke_uss_req(out, sizeof(out), 1, "ab\xC0\xAF"), -EILSEQ);
	assert_int_equal(fac_enc_result_process_uss(out, sizeof(out), 1, "\xFF"), -EILSEQ);
}

static void test_enc_short_and_error(void **state)
{
	/* "Hi" in GSM-7: 'H' 0x48, 'i' 0x69 -> C8 34 */
	static const uint8_t inv[] = {0xA1, 0x0F, 0x02, 0x01, 0x09, 0x02, 0x01, 0x3C, 0x30,
				      0x07, 0x04, 0x01, 0x0F, 0x04, 0x02, 0xC8, 0x34};
	static const uint8_t err[] = {0xA3, 0x06, 0x02, 0x01, 0x04, 0x02, 0x01, 0x22};
	uint8_t out[FAC_MAX_LEN];
	int rc;

	rc = fac_enc_invoke_uss_req(out, sizeof(out), 9, "Hi");
	assert_int_equal(rc, sizeof(inv));
	assert_memory_equal(out, inv, sizeof(inv));
	rc = fac_enc_return_error(out, sizeof(out), 4, 34);
	assert_int_equal(rc, sizeof(err));
	assert_memory_equal(out, err, sizeof(err));
	assert_int_equal(fac_enc_return_error(out, 7, 4, 34), -E2BIG);
}

/* --- decoder --- */

/* A phone's REGISTER for "*100#" as OsmoMSC forwards it in the GSUP SS info IE. */
static const uint8_t BEGIN_100[] = {0xA1, 0x12, 0x02, 0x01, 0x01, 0x02, 0x01, 0x3B, 0x30, 0x0A,
				    0x04, 0x01, 0x0F, 0x04, 0x05, 0xAA, 0x18, 0x0C, 0x36, 0x02};
/* The user's "1" answering our Invoke with invokeID 7. */
static const uint8_t ANSWER_1[] = {0xA2, 0x10, 0x02, 0x01, 0x07, 0x30, 0x0B, 0x02, 0x01,
				   0x3C, 0x30, 0x06, 0x04, 0x01, 0x0F, 0x04, 0x01, 0x31};
/* "Да" in UCS-2 (dcs 0x48). */
static const uint8_t ANSWER_UCS2[] = {0xA2, 0x13, 0x02, 0x01, 0x07, 0x30, 0x0E, 0x02, 0x01, 0x3C, 0x30,
				      0x09, 0x04, 0x01, 0x48, 0x04, 0x04, 0x04, 0x14, 0x04, 0x30};
static const uint8_t RETURN_ERROR[] = {0xA3, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x22};
static const uint8_t REJECT_NULL[] = {0xA4, 0x05, 0x05, 0x00, 0x81, 0x01, 0x02};
static const uint8_t REJECT_ID[] = {0xA4, 0x06, 0x02, 0x01, 0x03, 0x80, 0x01, 0x00};
static const uint8_t RESULT_EMPTY[] = {0xA2, 0x03, 0x02, 0x01, 0x01};

static void test_dec_begin(void **state)
{
	struct fac_component c;
	char text[64];

	assert_int_equal(fac_decode(BEGIN_100, sizeof(BEGIN_100), &c), 0);
	assert_int_equal(c.type, FAC_COMP_INVOKE);
	assert_int_equal(c.invoke_id, 1);
	assert_int_equal(c.opcode, FAC_OP_PROCESS_USS_REQ);
	assert_int_equal(c.error_code, -1);
	assert_int_equal(c.problem_tag, -1);
	assert_true(c.has_ussd);
	assert_int_equal(c.dcs, 0x0F);
	assert_int_equal(c.ussd_len, 5);
	assert_int_equal(fac_ussd_text(&c, text, sizeof(text)), 5);
	assert_string_equal(text, "*100#");
}

static void test_dec_answer(void **state)
{
	struct fac_component c;
	char text[64];

	assert_int_equal(fac_decode(ANSWER_1, sizeof(ANSWER_1), &c), 0);
	assert_int_equal(c.type, FAC_COMP_RETURN_RESULT);
	assert_int_equal(c.invoke_id, 7);
	assert_int_equal(c.opcode, FAC_OP_USS_REQ);
	assert_true(c.has_ussd);
	assert_int_equal(fac_ussd_text(&c, text, sizeof(text)), 1);
	assert_string_equal(text, "1");

	assert_int_equal(fac_decode(ANSWER_UCS2, sizeof(ANSWER_UCS2), &c), 0);
	assert_int_equal(c.opcode, FAC_OP_USS_REQ);
	assert_int_equal(c.dcs, FAC_DCS_UCS2);
	assert_int_equal(fac_ussd_text(&c, text, sizeof(text)), (int)strlen("Да"));
	assert_string_equal(text, "Да");
	/* too small for "Да" and its NUL */
	assert_int_equal(fac_ussd_text(&c, text, 4), -E2BIG);
}

static void test_dec_error_reject_empty(void **state)
{
	struct fac_component c;
	char text[8];

	assert_int_equal(fac_decode(RETURN_ERROR, sizeof(RETURN_ERROR), &c), 0);
	assert_int_equal(c.type, FAC_COMP_RETURN_ERROR);
	assert_int_equal(c.invoke_id, 1);
	assert_int_equal(c.error_code, 34);
	assert_int_equal(c.opcode, -1);
	assert_false(c.has_ussd);

	assert_int_equal(fac_decode(REJECT_NULL, sizeof(REJECT_NULL), &c), 0);
	assert_int_equal(c.type, FAC_COMP_REJECT);
	assert_int_equal(c.invoke_id, -1);
	assert_int_equal(c.problem_tag, 0x81);
	assert_int_equal(c.problem_code, 2);
	assert_int_equal(c.opcode, -1);

	assert_int_equal(fac_decode(REJECT_ID, sizeof(REJECT_ID), &c), 0);
	assert_int_equal(c.invoke_id, 3);
	assert_int_equal(c.problem_tag, 0x80);
	assert_int_equal(c.problem_code, 0);

	assert_int_equal(fac_decode(RESULT_EMPTY, sizeof(RESULT_EMPTY), &c), 0);
	assert_int_equal(c.type, FAC_COMP_RETURN_RESULT);
	assert_int_equal(c.invoke_id, 1);
	assert_int_equal(c.opcode, -1);
	assert_false(c.has_ussd);
	assert_int_equal(fac_ussd_text(&c, text, sizeof(text)), -EINVAL);
}

static void test_dec_long_forms(void **state)
{
	static const uint8_t h182[] = {0xA2, 0x81, 0xB2, 0x02, 0x01, 0x01, 0x30, 0x81, 0xAC, 0x02, 0x01,
				       0x3B, 0x30, 0x81, 0xA6, 0x04, 0x01, 0x0F, 0x04, 0x81, 0xA0};
	static const uint8_t h127[] = {0xA1, 0x7D, 0x02, 0x01, 0x05, 0x02, 0x01, 0x3C,
				       0x30, 0x75, 0x04, 0x01, 0x0F, 0x04, 0x70};
	struct ref r = {.len = 0};
	struct fac_component c;
	char text[400];
	char *want;

	ref_put(&r, h182, sizeof(h182));
	ref_put_a_septets(&r, 182);
	assert_int_equal(fac_decode(r.b, r.len, &c), 0);
	assert_int_equal(c.opcode, FAC_OP_PROCESS_USS_REQ);
	assert_int_equal(c.ussd_len, 160);
	want = repeat("a", 182);
	assert_int_equal(fac_ussd_text(&c, text, sizeof(text)), 182);
	assert_string_equal(text, want);
	test_free(want);

	/* the CR that pads 127 septets is not part of the text */
	r.len = 0;
	ref_put(&r, h127, sizeof(h127));
	ref_put_a_septets(&r, 127);
	assert_int_equal(fac_decode(r.b, r.len, &c), 0);
	assert_int_equal(c.opcode, FAC_OP_USS_REQ);
	want = repeat("a", 127);
	assert_int_equal(fac_ussd_text(&c, text, sizeof(text)), 127);
	assert_string_equal(text, want);
	test_free(want);
}

static void test_dec_tolerated_extras(void **state)
{
	/* USSD-Arg with alertingPattern and msisdn [0] after the string, and an Invoke carrying a
	 * linkedID: legal, so decoded. */
	static const uint8_t arg_extra[] = {0xA1, 0x19, 0x02, 0x01, 0x01, 0x02, 0x01, 0x3B, 0x30,
					    0x11, 0x04, 0x01, 0x0F, 0x04, 0x05, 0xAA, 0x18, 0x0C,
					    0x36, 0x02, 0x04, 0x01, 0x00, 0x80, 0x02, 0x91, 0x21};
	static const uint8_t linked[] = {0xA1, 0x15, 0x02, 0x01, 0x01, 0x80, 0x01, 0x00, 0x02, 0x01, 0x3B, 0x30,
					 0x0A, 0x04, 0x01, 0x0F, 0x04, 0x05, 0xAA, 0x18, 0x0C, 0x36, 0x02};
	/* an Invoke of some other operation (interrogateSS 14) still yields its invokeID */
	static const uint8_t other_op[] = {0xA1, 0x0B, 0x02, 0x01, 0x04, 0x02, 0x01,
					   0x0E, 0x30, 0x03, 0x04, 0x01, 0x21};
	struct fac_component c;
	char text[16];

	assert_int_equal(fac_decode(arg_extra, sizeof(arg_extra), &c), 0);
	assert_int_equal(fac_ussd_text(&c, text, sizeof(text)), 5);
	assert_string_equal(text, "*100#");
	assert_int_equal(fac_decode(linked, sizeof(linked), &c), 0);
	assert_int_equal(c.invoke_id, 1);
	assert_int_equal(c.opcode, 59);
	assert_true(c.has_ussd);
	assert_int_equal(fac_decode(other_op, sizeof(other_op), &c), 0);
	assert_int_equal(c.invoke_id, 4);
	assert_int_equal(c.opcode, 14);
	assert_false(c.has_ussd);
}

static void test_dec_text_codings(void **state)
{
	struct fac_component c = {.has_ussd = true};
	char text[32];

	/* 8-bit data (dcs 0x44) read as ISO-8859-1 */
	memcpy(c.ussd, "caf\xE9", 4);
	c.ussd_len = 4;
	c.dcs = 0x44;
	assert_int_equal(fac_ussd_text(&c, text, sizeof(text)), 5);
	assert_string_equal(text, "café");
	/* a language-prefixed coding we do not show */
	c.dcs = 0x10;
	assert_int_equal(fac_ussd_text(&c, text, sizeof(text)), -ENOTSUP);
	/* compressed general data coding */
	c.dcs = 0x68;
	assert_int_equal(fac_ussd_text(&c, text, sizeof(text)), -ENOTSUP);
	/* UCS-2 with an odd octet count */
	c.dcs = FAC_DCS_UCS2;
	c.ussd_len = 3;
	assert_int_equal(fac_ussd_text(&c, text, sizeof(text)), -EBADMSG);
	/* U+0000 would cut the C string short */
	memcpy(c.ussd, "\x04\x14\x00\x00", 4);
	c.ussd_len = 4;
	assert_int_equal(fac_ussd_text(&c, text, sizeof(text)), -EBADMSG);
	/* 0xF0 class-0 GSM-7 */
	c.dcs = 0xF0;
	c.ussd[0] = 0x31;
	c.ussd_len = 1;
	assert_int_equal(fac_ussd_text(&c, text, sizeof(text)), 1);
	assert_string_equal(text, "1");
	assert_int_equal(fac_ussd_text(&c, text, 0), -E2BIG);
	/* a forged length past the buffer */
	c.ussd_len = sizeof(c.ussd) + 1;
	assert_int_equal(fac_ussd_text(&c, text, sizeof(text)), -EINVAL);
}

static void assert_bad(const uint8_t *buf, size_t len, const char *what)
{
	struct fac_component c;
	/* copy to an exact-size heap block so ASan sees any read past the end */
	uint8_t *copy = test_malloc(len ? len : 1);
	int rc;

	memcpy(copy, buf, len);
	rc = fac_decode(copy, len, &c);
	if (rc != -EBADMSG) {
		fail_msg("%s (len %zu): got %d, want -EBADMSG", what, len, rc);
	}
	assert_false(c.has_ussd);
	test_free(copy);
}

static void assert_truncations_bad(const uint8_t *buf, size_t len, const char *what)
{
	size_t i;

	for (i = 0; i < len; i++) {
		assert_bad(buf, i, what);
	}
}

/* Replace one octet of a valid component and expect it to be rejected. */
static void assert_patch_bad(const uint8_t *buf, size_t len, size_t at, uint8_t val, const char *what)
{
	uint8_t b[FAC_MAX_LEN + 8];

	assert_true(len <= sizeof(b) && at < len);
	memcpy(b, buf, len);
	b[at] = val;
	assert_bad(b, len, what);
}

static void test_dec_malformed(void **state)
{
	static const uint8_t h182[] = {0xA2, 0x81, 0xB2, 0x02, 0x01, 0x01, 0x30, 0x81, 0xAC, 0x02, 0x01,
				       0x3B, 0x30, 0x81, 0xA6, 0x04, 0x01, 0x0F, 0x04, 0x81, 0xA0};
	/* non-minimal long forms of otherwise valid components */
	static const uint8_t nonmin_outer[] = {0xA1, 0x81, 0x12, 0x02, 0x01, 0x01, 0x02, 0x01, 0x3B, 0x30, 0x0A,
					       0x04, 0x01, 0x0F, 0x04, 0x05, 0xAA, 0x18, 0x0C, 0x36, 0x02};
	static const uint8_t nonmin_inner[] = {0xA1, 0x13, 0x02, 0x01, 0x01, 0x02, 0x01, 0x3B, 0x30, 0x0B, 0x04,
					       0x01, 0x0F, 0x04, 0x81, 0x05, 0xAA, 0x18, 0x0C, 0x36, 0x02};
	static const uint8_t two_octet_len[] = {0xA3, 0x82, 0x00, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x22};
	/* indefinite length with end-of-contents */
	static const uint8_t indefinite[] = {0xA3, 0x80, 0x02, 0x01, 0x01, 0x02, 0x01, 0x22, 0x00, 0x00};
	static const uint8_t high_tag[] = {0xBF, 0x01, 0x03, 0x02, 0x01, 0x01};
	static const uint8_t id_two_octets[] = {0xA3, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x22};
	static const uint8_t id_empty[] = {0xA3, 0x05, 0x02, 0x00, 0x02, 0x01, 0x22};
	static const uint8_t null_with_value[] = {0xA4, 0x06, 0x05, 0x01, 0x00, 0x81, 0x01, 0x02};
	static const uint8_t problem_tag_84[] = {0xA4, 0x05, 0x05, 0x00, 0x84, 0x01, 0x02};
	static const uint8_t problem_two[] = {0xA4, 0x06, 0x05, 0x00, 0x81, 0x02, 0x00, 0x02};
	static const uint8_t reject_no_problem[] = {0xA4, 0x03, 0x02, 0x01, 0x01};
	static const uint8_t error_no_code[] = {0xA3, 0x03, 0x02, 0x01, 0x01};
	static const uint8_t invoke_no_op[] = {0xA1, 0x03, 0x02, 0x01, 0x01};
	static const uint8_t result_two_params[] = {0xA2, 0x0A, 0x02, 0x01, 0x01, 0x30,
						    0x03, 0x02, 0x01, 0x3D, 0x05, 0x00};
	static const uint8_t ussd_arg_no_string[] = {0xA1, 0x0B, 0x02, 0x01, 0x01, 0x02, 0x01,
						     0x3B, 0x30, 0x03, 0x04, 0x01, 0x0F};
	static const uint8_t ussd_arg_bad_extra[] = {0xA1, 0x14, 0x02, 0x01, 0x01, 0x02, 0x01, 0x3B, 0x30, 0x0C, 0x04,
						     0x01, 0x0F, 0x04, 0x05, 0xAA, 0x18, 0x0C, 0x36, 0x02, 0x04, 0x05};
	static const uint8_t dcs_two_octets[] = {0xA1, 0x13, 0x02, 0x01, 0x01, 0x02, 0x01, 0x3B, 0x30, 0x0B, 0x04,
						 0x02, 0x0F, 0x00, 0x04, 0x05, 0xAA, 0x18, 0x0C, 0x36, 0x02};
	/* USSD-Res with a 161-octet string, otherwise well-formed */
	static const uint8_t h161[] = {0xA2, 0x81, 0xB3, 0x02, 0x01, 0x01, 0x30, 0x81, 0xAD, 0x02, 0x01,
				       0x3B, 0x30, 0x81, 0xA7, 0x04, 0x01, 0x0F, 0x04, 0x81, 0xA1};
	static const uint8_t empty_tl[] = {0xA1, 0x00};
	struct ref r = {.len = 0};
	struct ref big = {.len = 0};
	size_t i;

	assert_int_equal(fac_decode(NULL, 0, &(struct fac_component){0}), -EBADMSG);

	/* cut short anywhere */
	assert_truncations_bad(BEGIN_100, sizeof(BEGIN_100), "BEGIN truncated");
	assert_truncations_bad(ANSWER_1, sizeof(ANSWER_1), "answer truncated");
	assert_truncations_bad(ANSWER_UCS2, sizeof(ANSWER_UCS2), "UCS-2 answer truncated");
	assert_truncations_bad(RETURN_ERROR, sizeof(RETURN_ERROR), "ReturnError truncated");
	assert_truncations_bad(REJECT_NULL, sizeof(REJECT_NULL), "Reject truncated");
	assert_truncations_bad(REJECT_ID, sizeof(REJECT_ID), "Reject truncated");
	assert_truncations_bad(RESULT_EMPTY, sizeof(RESULT_EMPTY), "empty result truncated");
	ref_put(&r, h182, sizeof(h182));
	ref_put_a_septets(&r, 182);
	assert_truncations_bad(r.b, r.len, "182-septet result truncated");

	/* trailing junk after a complete component */
	{
		uint8_t b[sizeof(BEGIN_100) + 2];

		memcpy(b, BEGIN_100, sizeof(BEGIN_100));
		b[sizeof(BEGIN_100)] = 0x00;
		assert_bad(b, sizeof(BEGIN_100) + 1, "trailing 00");
		b[sizeof(BEGIN_100)] = 0xA1;
		b[sizeof(BEGIN_100) + 1] = 0x00;
		assert_bad(b, sizeof(BEGIN_100) + 2, "trailing empty component");
	}
	r.b[r.len++] = 0x0D;
	assert_bad(r.b, r.len, "182-septet result + junk");

	/* wrong tags */
	assert_patch_bad(BEGIN_100, sizeof(BEGIN_100), 0, 0xA5, "component A5");
	assert_patch_bad(BEGIN_100, sizeof(BEGIN_100), 0, 0x30, "component 30");
	assert_patch_bad(BEGIN_100, sizeof(BEGIN_100), 0, 0x61, "component 61");
	assert_patch_bad(BEGIN_100, sizeof(BEGIN_100), 2, 0x03, "invokeID tag");
	assert_patch_bad(BEGIN_100, sizeof(BEGIN_100), 5, 0x04, "opcode tag");
	assert_patch_bad(BEGIN_100, sizeof(BEGIN_100), 8, 0x31, "USSD-Arg tag");
	assert_patch_bad(BEGIN_100, sizeof(BEGIN_100), 10, 0x02, "dcs tag");
	assert_patch_bad(BEGIN_100, sizeof(BEGIN_100), 13, 0x05, "string tag");
	assert_patch_bad(ANSWER_1, sizeof(ANSWER_1), 5, 0x31, "result sequence tag");
	assert_patch_bad(ANSWER_1, sizeof(ANSWER_1), 7, 0x04, "result opcode tag");
	assert_patch_bad(ANSWER_1, sizeof(ANSWER_1), 10, 0x04, "USSD-Res tag");
	assert_patch_bad(RETURN_ERROR, sizeof(RETURN_ERROR), 5, 0x06, "error code as globalValue");

	/* every length octet one too big and one too small */
	for (i = 0; i < 6; i++) {
		static const size_t at[] = {1, 3, 6, 9, 11, 14};

		assert_patch_bad(BEGIN_100, sizeof(BEGIN_100), at[i], BEGIN_100[at[i]] + 1, "length + 1");
		assert_patch_bad(BEGIN_100, sizeof(BEGIN_100), at[i], BEGIN_100[at[i]] - 1, "length - 1");
	}
	assert_patch_bad(BEGIN_100, sizeof(BEGIN_100), 1, 0xFF, "length 0xFF");
	assert_patch_bad(BEGIN_100, sizeof(BEGIN_100), 14, 0x81, "long form cut off");

	assert_bad(nonmin_outer, sizeof(nonmin_outer), "non-minimal outer length");
	assert_bad(nonmin_inner, sizeof(nonmin_inner), "non-minimal string length");
	assert_bad(two_octet_len, sizeof(two_octet_len), "0x82 length");
	assert_bad(indefinite, sizeof(indefinite), "indefinite length");
	assert_bad(high_tag, sizeof(high_tag), "high tag number");
	assert_bad(id_two_octets, sizeof(id_two_octets), "two-octet invokeID");
	assert_bad(id_empty, sizeof(id_empty), "empty invokeID");
	assert_bad(null_with_value, sizeof(null_with_value), "NULL with a value");
	assert_bad(problem_tag_84, sizeof(problem_tag_84), "problem tag 0x84");
	assert_bad(problem_two, sizeof(problem_two), "two-octet problem code");
	assert_bad(reject_no_problem, sizeof(reject_no_problem), "Reject without problem");
	assert_bad(error_no_code, sizeof(error_no_code), "ReturnError without code");
	assert_bad(invoke_no_op, sizeof(invoke_no_op), "Invoke without opcode");
	assert_bad(result_two_params, sizeof(result_two_params), "ReturnResult with junk after the sequence");
	assert_bad(ussd_arg_no_string, sizeof(ussd_arg_no_string), "USSD-Arg without string");
	assert_bad(ussd_arg_bad_extra, sizeof(ussd_arg_bad_extra), "USSD-Arg with a broken extra element");
	assert_bad(dcs_two_octets, sizeof(dcs_two_octets), "two-octet dcs");
	assert_bad(empty_tl, sizeof(empty_tl), "empty Invoke");

	ref_put(&big, h161, sizeof(h161));
	for (i = 0; i < 161; i++) {
		ref_put(&big, (const uint8_t[]){0x41}, 1);
	}
	assert_bad(big.b, big.len, "161-octet USSD string");
}

/* --- cross-checks with libosmocore, an independent implementation --- */

static void test_libosmocore_resp_decodes(void **state)
{
	static const char *const texts[] = {"Hello", "Menu:\n1 Rights\n2 Hotline", "1234567"};
	struct fac_component c;
	struct msgb *msg;
	char text[200];
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		msg = gsm0480_gen_ussd_resp_7bit(42, texts[i]);
		assert_non_null(msg);
		assert_int_equal(fac_decode(msgb_data(msg), msgb_length(msg), &c), 0);
		assert_int_equal(c.type, FAC_COMP_RETURN_RESULT);
		assert_int_equal(c.invoke_id, 42);
		assert_int_equal(c.opcode, FAC_OP_PROCESS_USS_REQ);
		assert_int_equal(c.dcs, 0x0F);
		assert_int_equal(fac_ussd_text(&c, text, sizeof(text)), (int)strlen(texts[i]));
		assert_string_equal(text, texts[i]);
		msgb_free(msg);
	}

	msg = gsm0480_gen_return_error(3, 36);
	assert_non_null(msg);
	assert_int_equal(fac_decode(msgb_data(msg), msgb_length(msg), &c), 0);
	assert_int_equal(c.type, FAC_COMP_RETURN_ERROR);
	assert_int_equal(c.invoke_id, 3);
	assert_int_equal(c.error_code, 36);
	msgb_free(msg);

	msg = gsm0480_gen_reject(-1, 0x81, 1);
	assert_non_null(msg);
	assert_int_equal(fac_decode(msgb_data(msg), msgb_length(msg), &c), 0);
	assert_int_equal(c.type, FAC_COMP_REJECT);
	assert_int_equal(c.invoke_id, -1);
	assert_int_equal(c.problem_tag, 0x81);
	assert_int_equal(c.problem_code, 1);
	msgb_free(msg);
}

static void test_ours_parse_with_libosmocore(void **state)
{
	uint8_t out[FAC_MAX_LEN];
	struct ss_request req;
	int rc;

	/* short texts only: libosmocore's parser understands one-byte lengths only */
	rc = fac_enc_invoke_uss_req(out, sizeof(out), 17, "1 Rights\n2 Hotline");
	assert_true(rc > 0);
	memset(&req, 0, sizeof(req));
	assert_int_equal(gsm0480_parse_facility_ie(out, rc, &req), 0);
	assert_int_equal(req.invoke_id, 17);
	assert_int_equal(req.opcode, FAC_OP_USS_REQ);
	assert_int_equal(req.ussd_data_dcs, 0x0F);
	assert_string_equal((const char *)req.ussd_text, "1 Rights\n2 Hotline");

	rc = fac_enc_result_process_uss(out, sizeof(out), 2, "Thank you");
	assert_true(rc > 0);
	memset(&req, 0, sizeof(req));
	assert_int_equal(gsm0480_parse_facility_ie(out, rc, &req), 0);
	assert_int_equal(req.invoke_id, 2);
	assert_int_equal(req.opcode, FAC_OP_PROCESS_USS_REQ);
	assert_string_equal((const char *)req.ussd_text, "Thank you");
}

/* Everything our encoders produce, the decoder takes back unchanged. */
static void test_roundtrip(void **state)
{
	static const char *const texts[] = {
		"", "a", "aaaaaaa", "aaaaaaaaaaaaaa\r", "[x]{y}€", "Ўзбекча", "Ishchi huquqlari: 1 Ha 2 Yo'q"};
	uint8_t out[FAC_MAX_LEN];
	struct fac_component c;
	char text[400];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		rc = fac_enc_invoke_uss_req(out, sizeof(out), (uint8_t)i, texts[i]);
		assert_true(rc > 0);
		assert_int_equal(fac_decode(out, rc, &c), 0);
		assert_int_equal(c.invoke_id, (int)i);
		assert_int_equal(c.opcode, FAC_OP_USS_REQ);
		assert_int_equal(fac_ussd_text(&c, text, sizeof(text)), (int)strlen(texts[i]));
		assert_string_equal(text, texts[i]);

		rc = fac_enc_result_process_uss(out, sizeof(out), 200, texts[i]);
		assert_true(rc > 0);
		assert_int_equal(fac_decode(out, rc, &c), 0);
		assert_int_equal(c.invoke_id, 200);
		assert_int_equal(fac_ussd_text(&c, text, sizeof(text)), (int)strlen(texts[i]));
		assert_string_equal(text, texts[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enc_invoke_127),
		cmocka_unit_test(test_enc_invoke_128),
		cmocka_unit_test(test_enc_invoke_129),
		cmocka_unit_test(test_enc_invoke_182),
		cmocka_unit_test(test_enc_invoke_ucs2_56),
		cmocka_unit_test(test_enc_invoke_ucs2_80),
		cmocka_unit_test(test_enc_result_127),
		cmocka_unit_test(test_enc_result_128),
		cmocka_unit_test(test_enc_result_129),
		cmocka_unit_test(test_enc_result_182),
		cmocka_unit_test(test_enc_result_ucs2_56),
		cmocka_unit_test(test_enc_result_ucs2_80),
		cmocka_unit_test(test_enc_too_big),
		cmocka_unit_test(test_enc_bad_utf8),
		cmocka_unit_test(test_enc_short_and_error),
		cmocka_unit_test(test_dec_begin),
		cmocka_unit_test(test_dec_answer),
		cmocka_unit_test(test_dec_error_reject_empty),
		cmocka_unit_test(test_dec_long_forms),
		cmocka_unit_test(test_dec_tolerated_extras),
		cmocka_unit_test(test_dec_text_codings),
		cmocka_unit_test(test_dec_malformed),
		cmocka_unit_test(test_libosmocore_resp_decodes),
		cmocka_unit_test(test_ours_parse_with_libosmocore),
		cmocka_unit_test(test_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
