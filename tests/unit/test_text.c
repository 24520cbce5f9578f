/* Unit tests for the text library: UTF-8, folding, coding choice, units, fit, GSM-7 and UCS-2. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <osmocom/core/talloc.h>
#include <osmocom/gsm/gsm_utils.h>

#include <yordam/text.h>

/* Exact-size heap buffers, so ASan reports a write even one byte past the end. */
static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	assert_non_null(p);
	return p;
}

static long fit(const char *s, enum text_coding c, size_t budget, bool wb)
{
	return text_fit(s, strlen(s), c, budget, wb);
}

static long units(const char *s, enum text_coding c)
{
	return text_units(s, strlen(s), c);
}

static int next(const char *s, size_t len, uint32_t *cp)
{
	*cp = 0xdeadbeef;
	return text_utf8_next(s, len, cp);
}

static void test_utf8_next_valid(void **state)
{
	static const struct {
		const char *s;
		size_t len;
		uint32_t cp;
	} ok[] = {
		{"\x00", 1, 0x0000},
		{"A", 1, 0x0041},
		{"\x7f", 1, 0x007f},
		{"\xc2\x80", 2, 0x0080},
		{"\xdf\xbf", 2, 0x07ff},
		{"\xe0\xa0\x80", 3, 0x0800},
		{"\xed\x9f\xbf", 3, 0xd7ff},
		{"\xee\x80\x80", 3, 0xe000},
		{"\xef\xbf\xbf", 3, 0xffff},
		{"\xf0\x90\x80\x80", 4, 0x10000},
		{"\xf0\x9f\x98\x80", 4, 0x1f600},
		{"\xf4\x8f\xbf\xbf", 4, 0x10ffff},
		{"\xca\xbb", 2, 0x02bb},
	};
	size_t i;
	uint32_t cp;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(next(ok[i].s, ok[i].len, &cp), (int)ok[i].len);
		assert_int_equal(cp, ok[i].cp);
		/* trailing bytes are not consumed */
		char buf[8];
		memcpy(buf, ok[i].s, ok[i].len);
		buf[ok[i].len] = 'x';
		assert_int_equal(next(buf, ok[i].len + 1, &cp), (int)ok[i].len);
		assert_true(text_utf8_valid(ok[i].s, ok[i].len));
	}
	assert_int_equal(text_utf8_next("A", 0, &cp), -EINVAL);
	assert_true(text_utf8_valid("", 0));
	assert_true(text_utf8_valid(NULL, 0));
}

static void test_utf8_next_invalid(void **state)
{
	static const struct {
		const char *s;
		size_t len;
	} bad[] = {
		/* truncated */
		{"\xc3", 1},
		{"\xe2\x82", 2},
		{"\xf0\x9f\x98", 3},
		{"\xe2", 1},
		/* overlong */
		{"\xc0\x80", 2},
		{"\xc1\xbf", 2},
		{"\xe0\x80\x80", 3},
		{"\xe0\x9f\xbf", 3},
		{"\xf0\x80\x80\x80", 4},
		{"\xf0\x8f\xbf\xbf", 4},
		/* UTF-16 surrogates */
		{"\xed\xa0\x80", 3},
		{"\xed\xbf\xbf", 3},
		{"\xed\xb0\x80", 3},
		/* above U+10FFFF */
		{"\xf4\x90\x80\x80", 4},
		{"\xf5\x80\x80\x80", 4},
		{"\xf7\xbf\xbf\xbf", 4},
		{"\xf8\x88\x80\x80\x80", 5},
		{"\xfe", 1},
		{"\xff", 1},
		/* stray continuation bytes */
		{"\x80", 1},
		{"\xbf", 1},
		{"\x80\x80", 2},
		/* a lead byte followed by something that is not a continuation */
		{"\xc3\x41", 2},
		{"\xe2\x28\xa1", 3},
		{"\xe2\x82\x41", 3},
		{"\xf0\x9f\x98\x41", 4},
		{"\xc3\xc3\xa9", 3},
	};
	size_t i;
	uint32_t cp;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char buf[16];

		assert_int_equal(next(bad[i].s, bad[i].len, &cp), -EILSEQ);
		assert_false(text_utf8_valid(bad[i].s, bad[i].len));
		/* also in the middle of good text */
		memcpy(buf, "ok", 2);
		memcpy(buf + 2, bad[i].s, bad[i].len);
		memcpy(buf + 2 + bad[i].len, "ok", 2);
		assert_false(text_utf8_valid(buf, bad[i].len + 4));
		assert_int_equal(text_coding_of(buf, bad[i].len + 4), -EILSEQ);
		assert_int_equal(text_units(buf, bad[i].len + 4, TEXT_UCS2), -EILSEQ);
		assert_int_equal(text_fit(buf, bad[i].len + 4, TEXT_UCS2, 1, true), -EILSEQ);
	}
	/* a valid character cut short by len */
	assert_int_equal(next("\xc3\xa9", 1, &cp), -EILSEQ);
	assert_false(text_utf8_valid("Priv\xd0\xb5", 5));
}

static void test_utf8_put(void **state)
{
	uint32_t cp, back;
	char buf[4];

	for (cp = 0; cp <= 0x10ffff; cp++) {
		int k = text_utf8_put(cp, buf);

		if (cp >= 0xd800 && cp <= 0xdfff) {
			assert_int_equal(k, -EINVAL);
			continue;
		}
		assert_true(k >= 1 && k <= 4);
		assert_int_equal(text_utf8_next(buf, (size_t)k, &back), k);
		assert_int_equal(back, cp);
	}
	assert_int_equal(text_utf8_put(0x110000, buf), -EINVAL);
	assert_int_equal(text_utf8_put(0xffffffff, buf), -EINVAL);
	assert_int_equal(text_utf8_put(0x20ac, buf), 3);
	assert_memory_equal(buf, "\xe2\x82\xac", 3);
}

/* The whole default alphabet in septet order, written independently of the library's tables;
 * position 0x1B (escape) holds a placeholder. */
static const char gsm7_alphabet[] = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1b"
				    "ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
				    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

static void test_gsm7_default_alphabet(void **state)
{
	const char *p = gsm7_alphabet;
	size_t left = strlen(gsm7_alphabet);
	unsigned septet;

	for (septet = 0; septet < 128; septet++) {
		uint32_t cp;
		int k = text_utf8_next(p, left, &cp);
		uint8_t enc[2];
		char dec[5];
		uint8_t s = (uint8_t)septet;

		assert_true(k > 0);
		if (septet != 0x1b) {
			assert_int_equal(text_gsm7_cost(cp), 1);
			assert_int_equal(text_gsm7_encode(p, (size_t)k, enc, 1), 1);
			assert_int_equal(enc[0], septet);
			assert_int_equal(text_gsm7_decode(&s, 1, dec, sizeof(dec)), k);
			assert_memory_equal(dec, p, (size_t)k);
		} else {
			/* U+001B is not a GSM-7 character: the escape is not text */
			assert_int_equal(text_gsm7_cost(cp), 0);
		}
		p += k;
		left -= (size_t)k;
	}
	assert_int_equal(left, 0);
}

static void test_gsm7_extension_table(void **state)
{
	static const struct {
		const char *s;
		uint8_t code;
	} ext[] = {
		{"\f", 0x0a}, {"^", 0x14}, {"{", 0x28}, {"}", 0x29}, {"\\", 0x2f},
		{"[", 0x3c},  {"~", 0x3d}, {"]", 0x3e}, {"|", 0x40}, {"€", 0x65},
	};
	size_t i;

	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		uint32_t cp;
		uint8_t enc[2];
		char dec[5];
		size_t len = strlen(ext[i].s);

		assert_int_equal(text_utf8_next(ext[i].s, len, &cp), (int)len);
		assert_int_equal(text_gsm7_cost(cp), 2);
		assert_int_equal(text_units(ext[i].s, len, TEXT_GSM7), 2);
		assert_int_equal(text_gsm7_encode(ext[i].s, len, enc, 2), 2);
		assert_int_equal(enc[0], 0x1b);
		assert_int_equal(enc[1], ext[i].code);
		assert_int_equal(text_gsm7_decode(enc, 2, dec, sizeof(dec)), (int)len);
		assert_string_equal(dec, ext[i].s);
	}
	/* common characters that GSM-7 lacks */
	assert_int_equal(text_gsm7_cost(0x00e7), 0); /* ç: only capital Ç is in the table */
	assert_int_equal(text_gsm7_cost('`'), 0);
	assert_int_equal(text_gsm7_cost(0x00a0), 0);
	assert_int_equal(text_gsm7_cost(0x02bb), 0);
	assert_int_equal(text_gsm7_cost(0x041f), 0);
	assert_int_equal(text_gsm7_cost(0x03b1), 0); /* lowercase alpha */
	assert_int_equal(text_gsm7_cost(0x1f600), 0);
	assert_int_equal(text_gsm7_cost(0x110000), 0);
	assert_int_equal(text_gsm7_cost(0x0100 | '@'), 0); /* no aliasing of the Latin-1 table */
}

/* Exactly 127 + 10 code points are GSM-7, and each decodes back to itself: the reverse lookup
 * has no stray or aliased entry anywhere in Unicode. */
static void test_gsm7_reverse_exhaustive(void **state)
{
	unsigned count[3] = {0, 0, 0};
	uint32_t cp;

	for (cp = 0; cp <= 0x10ffff; cp++) {
		unsigned cost = text_gsm7_cost(cp);
		char in[4], out[5];
		uint8_t sept[2];
		int k;

		assert_true(cost <= 2);
		count[cost]++;
		if (!cost) {
			continue;
		}
		k = text_utf8_put(cp, in);
		assert_true(k > 0);
		assert_int_equal(text_gsm7_encode(in, (size_t)k, sept, sizeof(sept)), (int)cost);
		assert_int_equal(text_gsm7_decode(sept, cost, out, sizeof(out)), k);
		assert_memory_equal(in, out, (size_t)k);
	}
	assert_int_equal(count[1], 127);
	assert_int_equal(count[2], 10);
}

static void test_gsm7_decode_escapes(void **state)
{
	const uint8_t lone[] = {'a', 0x1b};
	const uint8_t escesc[] = {0x1b, 0x1b, 'b'};
	const uint8_t unknown[] = {0x1b, 0x41, 0x1b, 0x00};
	const uint8_t high[] = {0x80 | 0x41, 0x00};
	char out[16];

	assert_int_equal(text_gsm7_decode(lone, sizeof(lone), out, sizeof(out)), 2);
	assert_string_equal(out, "a ");
	assert_int_equal(text_gsm7_decode(escesc, sizeof(escesc), out, sizeof(out)), 2);
	assert_string_equal(out, " b");
	assert_int_equal(text_gsm7_decode(unknown, sizeof(unknown), out, sizeof(out)), 2);
	assert_string_equal(out, "A@");
	/* only 7 bits exist on the air: a stray top bit is ignored */
	assert_int_equal(text_gsm7_decode(high, sizeof(high), out, sizeof(out)), 2);
	assert_string_equal(out, "A@");
	assert_int_equal(text_gsm7_decode(NULL, 0, out, 1), 0);
	assert_string_equal(out, "");
	assert_int_equal(text_gsm7_decode(NULL, 0, out, 0), -E2BIG);
}

static void test_coding_of(void **state)
{
	void *ctx = talloc_named_const(NULL, 0, "test");
	const char *uz = "Oʻzbekiston Respublikasi, gʻalla";
	char *folded;

	assert_int_equal(text_coding_of("", 0), TEXT_GSM7);
	assert_int_equal(text_coding_of("Hello, world!", 13), TEXT_GSM7);
	assert_int_equal(text_coding_of("a{b}[c]~|^\\", 11), TEXT_GSM7);
	assert_int_equal(text_coding_of("10 €", strlen("10 €")), TEXT_GSM7);
	assert_int_equal(text_coding_of("Ünïcode", strlen("Ünïcode")), TEXT_UCS2); /* ï */
	assert_int_equal(text_coding_of("Привет", strlen("Привет")), TEXT_UCS2);
	assert_int_equal(text_coding_of("ok 😀", strlen("ok 😀")), TEXT_UCS2);
	assert_int_equal(text_coding_of(uz, strlen(uz)), TEXT_UCS2);
	folded = text_fold(ctx, uz, TEXT_FOLD_UZ);
	assert_non_null(folded);
	assert_string_equal(folded, "O'zbekiston Respublikasi, g'alla");
	assert_int_equal(text_coding_of(folded, strlen(folded)), TEXT_GSM7);
	/* invalid UTF-8 after a UCS-2-only character is still an error */
	assert_int_equal(text_coding_of("Я\xff", 3), -EILSEQ);
	talloc_free(ctx);
}

static void test_units(void **state)
{
	assert_int_equal(units("", TEXT_GSM7), 0);
	assert_int_equal(units("abc", TEXT_GSM7), 3);
	assert_int_equal(units("a{b}", TEXT_GSM7), 6);
	assert_int_equal(units("€5", TEXT_GSM7), 3);
	assert_int_equal(units("éÄΩ", TEXT_GSM7), 3);
	assert_int_equal(units("Привет", TEXT_GSM7), -ERANGE);
	assert_int_equal(units("Привет", TEXT_UCS2), 6);
	assert_int_equal(units("a{b}", TEXT_UCS2), 4);
	assert_int_equal(units("😀", TEXT_UCS2), 2);
	assert_int_equal(units("a😀b", TEXT_UCS2), 4);
	assert_int_equal(units("😀", TEXT_GSM7), -ERANGE);
	assert_int_equal(text_units("ab\xc3", 3, TEXT_UCS2), -EILSEQ);
	/* invalid UTF-8 wins over an unrepresentable character, wherever they are */
	assert_int_equal(text_units("Я\xc3", 3, TEXT_GSM7), -EILSEQ);
	assert_int_equal(text_units("abc", 3, (enum text_coding)7), -EINVAL);
}

static void test_fit(void **state)
{
	const char *ru = "Привет мир друг";
	const char *mixed = "ab\xd0\xaf"; /* ab Я */

	/* everything fits */
	assert_int_equal(fit("hello world", TEXT_GSM7, 11, true), 11);
	assert_int_equal(fit("hello world", TEXT_GSM7, 1000, false), 11);
	assert_int_equal(fit("", TEXT_GSM7, 0, true), 0);
	assert_int_equal(fit(ru, TEXT_UCS2, 15, true), (long)strlen(ru));
	/* budget 0 */
	assert_int_equal(fit("hello", TEXT_GSM7, 0, true), 0);
	assert_int_equal(fit("hello", TEXT_GSM7, 0, false), 0);
	assert_int_equal(fit(ru, TEXT_UCS2, 0, true), 0);
	/* word boundary: cut after the last space that fits */
	assert_int_equal(fit("hello world foo", TEXT_GSM7, 13, true), 12);
	assert_int_equal(fit("hello world foo", TEXT_GSM7, 13, false), 13);
	assert_int_equal(fit("hello world foo", TEXT_GSM7, 12, true), 12);
	assert_int_equal(fit("line one\nline two", TEXT_GSM7, 12, true), 9);
	/* the first character that does not fit is a space: the cut is right before it */
	assert_int_equal(fit("a hello world", TEXT_GSM7, 7, true), 7);
	assert_int_equal(fit("a hello\nworld", TEXT_GSM7, 7, true), 7);
	assert_int_equal(fit("a hellos world", TEXT_GSM7, 7, true), 2);
	/* no space in the fitting part: cut between characters */
	assert_int_equal(fit("helloworld foo", TEXT_GSM7, 7, true), 7);
	/* multibyte, UCS-2: "Привет ми" fits (9 units), break after "Привет " = 13 bytes */
	assert_int_equal(fit(ru, TEXT_UCS2, 9, true), 13);
	assert_int_equal(fit(ru, TEXT_UCS2, 9, false), 17);
	assert_int_equal(fit("Привет", TEXT_UCS2, 3, true), 6);
	assert_int_equal(fit("Привет", TEXT_UCS2, 3, false), 6);
	/* multibyte, GSM-7: é is two bytes but one septet */
	assert_int_equal(fit("éééé", TEXT_GSM7, 3, true), 6);
	assert_int_equal(fit("é é é", TEXT_GSM7, 4, true), 6);
	/* extension characters at the boundary are left out whole */
	assert_int_equal(fit("abc{def", TEXT_GSM7, 4, false), 3);
	assert_int_equal(fit("abc{def", TEXT_GSM7, 5, false), 4);
	assert_int_equal(fit("ab€", TEXT_GSM7, 3, false), 2);
	assert_int_equal(fit("ab€", TEXT_GSM7, 4, false), 5);
	assert_int_equal(fit("ab €x", TEXT_GSM7, 4, true), 3);
	assert_int_equal(fit("ab {c", TEXT_GSM7, 4, true), 3);
	/* surrogate pairs in UCS-2 */
	assert_int_equal(fit("ab😀", TEXT_UCS2, 3, false), 2);
	assert_int_equal(fit("ab😀", TEXT_UCS2, 4, false), 6);
	assert_int_equal(fit("😀😀", TEXT_UCS2, 3, true), 4);
	assert_int_equal(fit(mixed, TEXT_UCS2, 2, false), 2);
	/* the errors do not depend on the budget */
	assert_int_equal(fit("abc Я", TEXT_GSM7, 2, true), -ERANGE);
	assert_int_equal(text_fit("abc \xc3", 5, TEXT_GSM7, 2, true), -EILSEQ);
}

static void test_fold(void **state)
{
	void *ctx = talloc_named_const(NULL, 0, "test");
	static const struct {
		const char *in;
		unsigned flags;
		const char *out;
	} cases[] = {
		{"\xca\xbb", TEXT_FOLD_UZ, "'"},	 /* U+02BB */
		{"\xca\xbc", TEXT_FOLD_UZ, "'"},	 /* U+02BC */
		{"\xe2\x80\x98", TEXT_FOLD_UZ, "'"},	 /* U+2018 */
		{"\xe2\x80\x99", TEXT_FOLD_UZ, "'"},	 /* U+2019 */
		{"\xe2\x80\x9c", TEXT_FOLD_TYPO, "\""},	 /* U+201C */
		{"\xe2\x80\x9d", TEXT_FOLD_TYPO, "\""},	 /* U+201D */
		{"\xe2\x80\x9e", TEXT_FOLD_TYPO, "\""},	 /* U+201E */
		{"\xc2\xab", TEXT_FOLD_TYPO, "\""},	 /* U+00AB */
		{"\xc2\xbb", TEXT_FOLD_TYPO, "\""},	 /* U+00BB */
		{"\xe2\x80\x93", TEXT_FOLD_TYPO, "-"},	 /* U+2013 */
		{"\xe2\x80\x94", TEXT_FOLD_TYPO, "-"},	 /* U+2014 */
		{"\xe2\x88\x92", TEXT_FOLD_TYPO, "-"},	 /* U+2212 */
		{"\xe2\x80\xa6", TEXT_FOLD_TYPO, "..."}, /* U+2026 */
		{"\xc2\xa0", TEXT_FOLD_TYPO, " "},	 /* U+00A0 */
		{"Oʻzbekiston", TEXT_FOLD_UZ, "O'zbekiston"},
		{"Oʻzbekiston", TEXT_FOLD_TYPO, "Oʻzbekiston"},
		{"«Ha» — ‘yo’q’…", 0, "«Ha» — ‘yo’q’…"},
		{"«Ha» — ‘yo’q’…", TEXT_FOLD_TYPO, "\"Ha\" - ‘yo’q’..."},
		{"«Ha» — ‘yo’q’…", TEXT_FOLD_UZ | TEXT_FOLD_TYPO, "\"Ha\" - 'yo'q'..."},
		{"Привет, мир", TEXT_FOLD_UZ | TEXT_FOLD_TYPO, "Привет, мир"},
		{"", TEXT_FOLD_UZ, ""},
	};
	size_t i;
	char *r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = text_fold(ctx, cases[i].in, cases[i].flags);
		assert_non_null(r);
		assert_string_equal(r, cases[i].out);
		assert_ptr_equal(talloc_parent(r), ctx);
	}
	assert_null(text_fold(ctx, "bad \xff", TEXT_FOLD_UZ));
	assert_null(text_fold(ctx, "\xe2\x80", TEXT_FOLD_TYPO));
	assert_null(text_fold(ctx, NULL, 0));
	talloc_free(ctx);
}

static void test_gsm7_encode_e2big(void **state)
{
	const char *s = "a{€é"; /* 1 + 2 + 2 + 1 septets */
	uint8_t *buf = xmalloc(6);
	const uint8_t want[] = {'a', 0x1b, 0x28, 0x1b, 0x65, 0x05};
	char *out;

	assert_int_equal(text_gsm7_encode(s, strlen(s), buf, 5), -E2BIG);
	assert_int_equal(text_gsm7_encode(s, strlen(s), buf, 6), 6);
	assert_memory_equal(buf, want, 6);
	assert_int_equal(text_gsm7_encode("Я", 2, buf, 6), -ERANGE);
	assert_int_equal(text_gsm7_encode("a\x80", 2, buf, 6), -EILSEQ);

	/* decode needs the bytes plus a NUL: "a{€é" is 1+1+3+2 = 7 bytes */
	out = xmalloc(7);
	assert_int_equal(text_gsm7_decode(want, 6, out, 7), -E2BIG);
	free(out);
	out = xmalloc(8);
	assert_int_equal(text_gsm7_decode(want, 6, out, 8), 7);
	assert_string_equal(out, s);
	free(out);
	free(buf);
}

/* Septets for the first n characters of a repeating ASCII sentence; also the C string. */
static const char pangram[] = "The quick brown fox jumps over the lazy dog, 0123456789 times! ";

static void make_ascii(size_t n, char *str, uint8_t *septets)
{
	size_t i;

	for (i = 0; i < n; i++) {
		str[i] = pangram[i % (sizeof(pangram) - 1)];
	}
	str[n] = '\0';
	assert_int_equal(text_gsm7_encode(str, n, septets, n), (int)n);
}

static void test_pack_roundtrip(void **state)
{
	size_t n;
	int pad;

	for (pad = 0; pad <= 1; pad++) {
		for (n = 0; n <= TEXT_USSD_MAX_SEPTETS; n++) {
			char str[TEXT_USSD_MAX_SEPTETS + 1];
			uint8_t septets[TEXT_USSD_MAX_SEPTETS];
			uint8_t ref[TEXT_USSD_MAX_OCTETS + 8];
			size_t octets = (n * 7 + 7) / 8, m;
			uint8_t *packed, *back;
			int ref_octets = 0, rc;

			make_ascii(n, str, septets);

			/* exact-size buffer, and one octet short */
			packed = xmalloc(octets);
			if (octets > 0) {
				assert_int_equal(text_gsm7_pack(septets, n, packed, octets - 1, pad), -E2BIG);
			}
			assert_int_equal(text_gsm7_pack(septets, n, packed, octets, pad), (int)octets);
			assert_true(octets <= TEXT_USSD_MAX_OCTETS);

			/* independent implementation: libosmogsm */
			memset(ref, 0, sizeof(ref));
			if (pad) {
				gsm_7bit_encode_n_ussd(ref, sizeof(ref), str, &ref_octets);
			} else {
				gsm_7bit_encode_n(ref, sizeof(ref), str, &ref_octets);
			}
			assert_int_equal(ref_octets, (int)octets);
			assert_memory_equal(packed, ref, octets);

			/* unpack: floor(octets * 8 / 7) septets, with the padding removed when asked */
			m = octets * 8 / 7;
			back = xmalloc(m);
			rc = text_gsm7_unpack(packed, octets, back, m, pad);
			if (pad || n % 8 != 7) {
				assert_int_equal(rc, (int)n);
				assert_memory_equal(back, septets, n);
			} else {
				/* without padding the 7 spare zero bits read as an extra '@' */
				assert_int_equal(rc, (int)n + 1);
				assert_memory_equal(back, septets, n);
				assert_int_equal(back[n], 0x00);
			}
			if (n > 0) {
				assert_int_equal(text_gsm7_unpack(packed, octets, back, (size_t)rc - 1, pad), -E2BIG);
			}
			/* libosmogsm 1.7 strips a final septet whenever the last octet's top 7 bits read
			 * CR, aligned or not (it drops the 'o' of 27 characters of the pangram), so it is
			 * a reference only where the septets end on an octet boundary. */
			if (pad && n > 0 && octets % 7 == 0) {
				char ref_str[TEXT_USSD_MAX_SEPTETS + 2];

				gsm_7bit_decode_n_ussd(ref_str, sizeof(ref_str), packed, (uint8_t)m);
				assert_string_equal(ref_str, str);
			}
			free(back);
			free(packed);
		}
	}
}

static void test_ussd_cr_padding(void **state)
{
	uint8_t septets[32], packed[32], back[32];
	char text[40];
	int rc;

	/* 7 characters: 49 bits in 7 octets, 7 spare bits filled with CR */
	assert_int_equal(text_gsm7_encode("ABCDEFG", 7, septets, sizeof(septets)), 7);
	assert_int_equal(text_gsm7_pack(septets, 7, packed, 7, true), 7);
	assert_int_equal(packed[6] >> 1, 0x0d);
	assert_int_equal(text_gsm7_pack(septets, 7, packed, 7, false), 7);
	assert_int_equal(packed[6] >> 1, 0x00);
	assert_int_equal(text_gsm7_pack(septets, 7, packed, 7, true), 7);
	assert_int_equal(text_gsm7_unpack(packed, 7, back, 8, false), 8);
	assert_int_equal(back[7], 0x0d);
	assert_int_equal(text_gsm7_unpack(packed, 7, back, 7, true), 7);
	assert_memory_equal(back, septets, 7);

	/* 15 characters: same rule, n = 2 */
	assert_int_equal(text_gsm7_encode("ABCDEFGHIJKLMNO", 15, septets, sizeof(septets)), 15);
	assert_int_equal(text_gsm7_pack(septets, 15, packed, 14, true), 14);
	assert_int_equal(packed[13] >> 1, 0x0d);

	/* a wanted CR that ends on an octet boundary gets another CR, else it would be taken as padding */
	assert_int_equal(text_gsm7_encode("ABCDEFG\r", 8, septets, sizeof(septets)), 8);
	assert_int_equal(text_gsm7_pack(septets, 8, packed, 7, true), -E2BIG);
	assert_int_equal(text_gsm7_pack(septets, 8, packed, 8, true), 8);
	assert_int_equal(packed[7], 0x0d);
	assert_int_equal(packed[6] >> 1, 0x0d);
	rc = text_gsm7_unpack(packed, 8, back, sizeof(back), true);
	assert_int_equal(rc, 9); /* the receiver sees CR CR, which means the same as CR (23.038) */
	assert_int_equal(text_gsm7_decode(back, (size_t)rc, text, sizeof(text)), 9);
	assert_string_equal(text, "ABCDEFG\r\r");
	/* without ussd_pad nothing is added */
	assert_int_equal(text_gsm7_pack(septets, 8, packed, 7, false), 7);
	/* ...and a receiver would then drop that CR as padding */
	assert_int_equal(text_gsm7_unpack(packed, 7, back, sizeof(back), true), 7);
	/* same against libosmogsm */
	{
		uint8_t ref[32] = {0};
		int ref_octets = 0;

		gsm_7bit_encode_n_ussd(ref, sizeof(ref), "ABCDEFG\r", &ref_octets);
		assert_int_equal(ref_octets, 8);
		assert_int_equal(text_gsm7_pack(septets, 8, packed, 8, true), 8);
		assert_memory_equal(ref, packed, 8);
	}

	/* a wanted CR as the 7th character: the padding CR follows, the receiver removes only that */
	assert_int_equal(text_gsm7_encode("ABCDEF\r", 7, septets, sizeof(septets)), 7);
	assert_int_equal(text_gsm7_pack(septets, 7, packed, 7, true), 7);
	assert_int_equal(text_gsm7_unpack(packed, 7, back, 7, true), 7);
	assert_memory_equal(back, septets, 7);

	/* CR ending off an octet boundary is not padding and stays */
	assert_int_equal(text_gsm7_encode("AB\r", 3, septets, sizeof(septets)), 3);
	assert_int_equal(text_gsm7_pack(septets, 3, packed, 3, true), 3);
	assert_int_equal(text_gsm7_unpack(packed, 3, back, 3, true), 3);
	assert_int_equal(back[2], 0x0d);
	/* a non-CR last septet on an octet boundary is not removed */
	assert_int_equal(text_gsm7_encode("ABCDEFGH", 8, septets, sizeof(septets)), 8);
	assert_int_equal(text_gsm7_pack(septets, 8, packed, 7, true), 7);
	assert_int_equal(text_gsm7_unpack(packed, 7, back, 8, true), 8);
	assert_memory_equal(back, septets, 8);
	/* empty */
	assert_int_equal(text_gsm7_pack(septets, 0, packed, 0, true), 0);
	assert_int_equal(text_gsm7_unpack(packed, 0, back, 0, true), 0);
}

static void test_ucs2(void **state)
{
	const char *s = "Aé€😀Я";
	const uint8_t want[] = {0x00, 0x41, 0x00, 0xe9, 0x20, 0xac, 0xd8, 0x3d, 0xde, 0x00, 0x04, 0x2f};
	uint8_t *buf = xmalloc(sizeof(want));
	char *out;
	char big[32];

	assert_int_equal(text_ucs2_encode(s, strlen(s), buf, sizeof(want) - 1), -E2BIG);
	assert_int_equal(text_ucs2_encode(s, strlen(s), buf, sizeof(want)), (int)sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(text_ucs2_encode("a\xed\xa0\x80", 4, buf, sizeof(want)), -EILSEQ);
	assert_int_equal(text_ucs2_encode("", 0, buf, 0), 0);

	out = xmalloc(strlen(s));
	assert_int_equal(text_ucs2_decode(want, sizeof(want), out, strlen(s)), -E2BIG);
	free(out);
	out = xmalloc(strlen(s) + 1);
	assert_int_equal(text_ucs2_decode(want, sizeof(want), out, strlen(s) + 1), (int)strlen(s));
	assert_string_equal(out, s);
	free(out);

	/* odd length */
	assert_int_equal(text_ucs2_decode(want, 3, big, sizeof(big)), -EINVAL);
	assert_int_equal(text_ucs2_decode(want, 1, big, sizeof(big)), -EINVAL);
	/* unpaired surrogates become U+FFFD */
	{
		const uint8_t hi_end[] = {0x00, 0x41, 0xd8, 0x3d};
		const uint8_t hi_then_char[] = {0xd8, 0x3d, 0x00, 0x42};
		const uint8_t lo_alone[] = {0xde, 0x00, 0x00, 0x43};
		const uint8_t hi_hi_lo[] = {0xd8, 0x3d, 0xd8, 0x3d, 0xde, 0x00};

		assert_int_equal(text_ucs2_decode(hi_end, sizeof(hi_end), big, sizeof(big)), 4);
		assert_string_equal(big, "A\xef\xbf\xbd");
		assert_int_equal(text_ucs2_decode(hi_then_char, sizeof(hi_then_char), big, sizeof(big)), 4);
		assert_string_equal(big, "\xef\xbf\xbd"
					 "B");
		assert_int_equal(text_ucs2_decode(lo_alone, sizeof(lo_alone), big, sizeof(big)), 4);
		assert_string_equal(big, "\xef\xbf\xbd"
					 "C");
		assert_int_equal(text_ucs2_decode(hi_hi_lo, sizeof(hi_hi_lo), big, sizeof(big)), 7);
		assert_string_equal(big, "\xef\xbf\xbd😀");
	}
	assert_int_equal(text_ucs2_decode(NULL, 0, big, 1), 0);
	assert_string_equal(big, "");
	assert_int_equal(text_ucs2_decode(NULL, 0, big, 0), -E2BIG);
	free(buf);
}

/* Every BMP and astral code point survives UTF-8 -> UCS-2 -> UTF-8. */
static void test_ucs2_roundtrip_all(void **state)
{
	uint32_t cp;

	for (cp = 1; cp <= 0x10ffff; cp += (cp < 0x10000 ? 1 : 97)) {
		char in[4], out[5];
		uint8_t u[4];
		int k, o;

		k = text_utf8_put(cp, in);
		if (k < 0) {
			continue;
		}
		o = text_ucs2_encode(in, (size_t)k, u, sizeof(u));
		assert_int_equal(o, cp >= 0x10000 ? 4 : 2);
		assert_int_equal(text_ucs2_decode(u, (size_t)o, out, sizeof(out)), k);
		assert_memory_equal(in, out, (size_t)k);
	}
}

static void split_n(const char *s, int expect_parts, enum text_coding expect_coding)
{
	static struct text_sms_split sp;
	int n = text_sms_split(s, strlen(s), &sp);

	if (n != expect_parts) {
		print_error("%zu bytes: %d parts, expected %d\n", strlen(s), n, expect_parts);
	}
	assert_int_equal(n, expect_parts);
	assert_int_equal(sp.coding, expect_coding);
}

static void test_sms_split(void **state)
{
	static struct text_sms_split sp;
	char buf[2048];
	size_t i;

	/* 160 / 161 septets */
	memset(buf, 'a', 160);
	buf[160] = '\0';
	split_n(buf, 1, TEXT_GSM7);
	buf[160] = 'a';
	buf[161] = '\0';
	split_n(buf, 2, TEXT_GSM7);
	/* 2 x 153 septets without spaces, then one more */
	memset(buf, 'a', 306);
	buf[306] = '\0';
	split_n(buf, 2, TEXT_GSM7);
	buf[306] = 'a';
	buf[307] = '\0';
	split_n(buf, 3, TEXT_GSM7);
	/* an extension character counts 2: 159 + '{' = 161 septets */
	memset(buf, 'a', 159);
	strcpy(buf + 159, "{");
	split_n(buf, 2, TEXT_GSM7);
	/* ... and never splits: 152 'a' + '{' fills part one exactly up to 152, '{' goes on */
	memset(buf, 'a', 152);
	strcpy(buf + 152, "{");
	memset(buf + 153, 'b', 20);
	buf[173] = '\0';
	assert_int_equal(text_sms_split(buf, strlen(buf), &sp), 2);
	assert_int_equal(sp.end[0], 152);
	assert_int_equal(sp.start[1], 152);
	/* UCS-2: 70 / 71, 134 / 135 */
	buf[0] = '\0';
	for (i = 0; i < 70; i++) {
		strcat(buf, "Ж");
	}
	split_n(buf, 1, TEXT_UCS2);
	strcat(buf, "Ж");
	split_n(buf, 2, TEXT_UCS2);
	buf[0] = '\0';
	for (i = 0; i < 134; i++) {
		strcat(buf, "Ж");
	}
	split_n(buf, 2, TEXT_UCS2);
	strcat(buf, "Ж");
	split_n(buf, 3, TEXT_UCS2);
	/* word boundaries: parts end at a space, which is left out of both parts */
	buf[0] = '\0';
	for (i = 0; i < 40; i++) {
		strcat(buf, "word ");
	}
	assert_int_equal(text_sms_split(buf, strlen(buf), &sp), 2);
	assert_int_equal(sp.end[0] - sp.start[0], 149); /* 30 words minus the trailing space */
	assert_true(buf[sp.start[1]] == 'w');
	assert_int_equal(sp.end[1], strlen(buf) - 1);
	/* empty and invalid */
	split_n("", 1, TEXT_GSM7);
	assert_int_equal(text_sms_split("\xff", 1, &sp), -EILSEQ);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_next_valid),
		cmocka_unit_test(test_utf8_next_invalid),
		cmocka_unit_test(test_utf8_put),
		cmocka_unit_test(test_gsm7_default_alphabet),
		cmocka_unit_test(test_gsm7_extension_table),
		cmocka_unit_test(test_gsm7_reverse_exhaustive),
		cmocka_unit_test(test_gsm7_decode_escapes),
		cmocka_unit_test(test_coding_of),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_gsm7_encode_e2big),
		cmocka_unit_test(test_pack_roundtrip),
		cmocka_unit_test(test_ussd_cr_padding),
		cmocka_unit_test(test_ucs2),
		cmocka_unit_test(test_ucs2_roundtrip_all),
		cmocka_unit_test(test_sms_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
