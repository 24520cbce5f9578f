/* Fuzz the text library with arbitrary bytes: as UTF-8 text (validity, coding, units, fit, fold,
 * GSM-7 and UCS-2 round trips) and as encoded data (septets, packed octets, UTF-16BE).
 * Input: byte 0 = fit budget, byte 1 = flags (bit 0 word break, bit 1 ussd pad), rest = data. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/talloc.h>

#include <yordam/text.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts in every build type: a fuzz invariant must not vanish under NDEBUG. */
#define CHECK(cond)              \
	do {                     \
		if (!(cond)) {   \
			abort(); \
		}                \
	} while (0)

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	CHECK(p);
	return p;
}

static bool is_boundary(const char *s, size_t len, size_t at)
{
	return text_utf8_valid(s, at) && text_utf8_valid(s + at, len - at);
}

static void check_fit(const char *s, size_t len, enum text_coding coding, size_t budget)
{
	long total = text_units(s, len, coding);
	long plain = text_fit(s, len, coding, budget, false);
	long wb = text_fit(s, len, coding, budget, true);

	CHECK(total >= 0 && plain >= 0 && wb >= 0);
	CHECK((size_t)plain <= len && (size_t)wb <= (size_t)plain);
	CHECK(is_boundary(s, len, (size_t)plain) && is_boundary(s, len, (size_t)wb));
	CHECK(text_units(s, (size_t)plain, coding) <= (long)budget);
	if ((size_t)total <= budget) {
		CHECK((size_t)plain == len && (size_t)wb == len);
		return;
	}
	/* the cut is greedy: the next character would not have fitted */
	{
		uint32_t cp;
		int k = text_utf8_next(s + plain, len - (size_t)plain, &cp);

		CHECK(k > 0);
		CHECK(text_units(s, (size_t)plain + (size_t)k, coding) > (long)budget);
	}
	/* a word break lands just after a space or newline, just before the space or newline that did
	 * not fit, or is not taken at all */
	CHECK(wb == plain || (wb > 0 && (s[wb - 1] == ' ' || s[wb - 1] == '\n')));
}

static void check_gsm7(const char *s, size_t len, bool pad)
{
	long units = text_units(s, len, TEXT_GSM7);
	uint8_t *sept, *packed, *back;
	char *dec;
	size_t octets, m;
	int n, rc;

	CHECK(units >= 0);
	sept = xmalloc((size_t)units);
	CHECK(units == 0 || text_gsm7_encode(s, len, sept, (size_t)units - 1) == -E2BIG);
	n = text_gsm7_encode(s, len, sept, (size_t)units);
	CHECK(n == units);

	dec = xmalloc(len + 1);
	CHECK(text_gsm7_decode(sept, (size_t)n, dec, len + 1) == (int)len);
	CHECK(memcmp(dec, s, len) == 0 && dec[len] == '\0');
	CHECK(len == 0 || text_gsm7_decode(sept, (size_t)n, dec, len) == -E2BIG);
	free(dec);

	/* one extra septet at most for the USSD padding */
	octets = ((size_t)n * 7 + 7 + 7) / 8;
	packed = xmalloc(octets);
	rc = text_gsm7_pack(sept, (size_t)n, packed, octets, pad);
	CHECK(rc >= 0 && (size_t)rc <= octets);
	m = (size_t)rc * 8 / 7;
	back = xmalloc(m);
	rc = text_gsm7_unpack(packed, (size_t)rc, back, m, pad);
	CHECK(rc >= n);
	CHECK(memcmp(back, sept, (size_t)n) == 0);
	if (rc > n) {
		CHECK(rc == n + 1);
		if (pad) {
			/* only a wanted CR on an octet boundary comes back doubled */
			CHECK(n % 8 == 0 && sept[n - 1] == 0x0d && back[n] == 0x0d);
		} else {
			CHECK(n % 8 == 7 && back[n] == 0x00);
		}
	}
	free(back);
	free(packed);
	free(sept);
}

static void check_ucs2(const char *s, size_t len)
{
	long units = text_units(s, len, TEXT_UCS2);
	uint8_t *u;
	char *dec;
	int n;

	CHECK(units >= 0);
	u = xmalloc((size_t)units * 2);
	CHECK(units == 0 || text_ucs2_encode(s, len, u, (size_t)units * 2 - 1) == -E2BIG);
	n = text_ucs2_encode(s, len, u, (size_t)units * 2);
	CHECK(n == units * 2);
	dec = xmalloc(len + 1);
	CHECK(text_ucs2_decode(u, (size_t)n, dec, len + 1) == (int)len);
	CHECK(memcmp(dec, s, len) == 0);
	free(dec);
	free(u);
}

static void check_fold(const char *s, size_t len)
{
	void *ctx = talloc_named_const(NULL, 0, "fuzz");
	char *z = xmalloc(len + 1);
	char *f;
	size_t i = 0, flen;

	memcpy(z, s, len);
	z[len] = '\0';
	f = text_fold(ctx, z, TEXT_FOLD_UZ | TEXT_FOLD_TYPO);
	CHECK(f);
	flen = strlen(f);
	CHECK(flen <= strlen(z) && text_utf8_valid(f, flen));
	while (i < flen) {
		uint32_t cp;
		int k = text_utf8_next(f + i, flen - i, &cp);

		CHECK(k > 0);
		CHECK(cp != 0x02bb && cp != 0x02bc && cp != 0x2018 && cp != 0x2019 && cp != 0x201c && cp != 0x201d &&
		      cp != 0x201e && cp != 0x00ab && cp != 0x00bb && cp != 0x2013 && cp != 0x2014 && cp != 0x2212 &&
		      cp != 0x2026 && cp != 0x00a0);
		i += (size_t)k;
	}
	talloc_free(ctx);
	free(z);
}

/* The data as encoded input from a peer: decoders must give valid UTF-8 and never overrun. */
static void check_decoders(const uint8_t *d, size_t len)
{
	size_t m = len * 8 / 7, outlen = len * 4 + 1;
	uint8_t *sept = xmalloc(m), *re;
	char *out = xmalloc(outlen);
	int n, k, r;

	n = text_gsm7_unpack(d, len, sept, m, true);
	CHECK(n >= 0 && (size_t)n <= m);
	n = text_gsm7_unpack(d, len, sept, m, false);
	CHECK((size_t)n == m);
	/* repacking gives back every bit the septets covered */
	re = xmalloc(len);
	r = text_gsm7_pack(sept, (size_t)n, re, len, false);
	CHECK(r >= 0 && (size_t)r <= len);
	for (k = 0; k < r; k++) {
		size_t bits = (size_t)n * 7 - (size_t)k * 8;
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)((1u << bits) - 1);

		CHECK(re[k] == (d[k] & mask));
	}
	free(re);

	/* septets from the peer: at most 3 UTF-8 bytes each (€ from ESC+0x65 takes two septets) */
	k = text_gsm7_decode(d, len, out, outlen);
	CHECK(k >= 0 && text_utf8_valid(out, (size_t)k) && out[k] == '\0');
	CHECK(text_coding_of(out, (size_t)k) == TEXT_GSM7);
	{
		/* decode(encode(decode(x))) == decode(x) */
		long units = text_units(out, (size_t)k, TEXT_GSM7);
		uint8_t *s2 = xmalloc((size_t)units);
		char *o2 = xmalloc((size_t)k + 1);

		CHECK(units >= 0);
		CHECK(text_gsm7_encode(out, (size_t)k, s2, (size_t)units) == units);
		CHECK(text_gsm7_decode(s2, (size_t)units, o2, (size_t)k + 1) == k);
		CHECK(memcmp(o2, out, (size_t)k) == 0);
		free(o2);
		free(s2);
	}

	k = text_ucs2_decode(d, len, out, outlen);
	if (len % 2) {
		CHECK(k == -EINVAL);
	} else {
		CHECK(k >= 0 && text_utf8_valid(out, (size_t)k));
	}
	free(out);
	free(sept);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s;
	size_t len, budget;
	bool pad;
	int coding;

	if (size < 2) {
		return 0;
	}
	budget = data[0];
	pad = data[1] & 2;
	s = (const char *)data + 2;
	len = size - 2;

	check_decoders(data + 2, len);

	coding = text_coding_of(s, len);
	if (!text_utf8_valid(s, len)) {
		CHECK(coding == -EILSEQ);
		CHECK(text_units(s, len, TEXT_UCS2) == -EILSEQ);
		CHECK(text_fit(s, len, TEXT_GSM7, budget, true) == -EILSEQ);
		return 0;
	}
	CHECK(coding == TEXT_GSM7 || coding == TEXT_UCS2);
	check_fit(s, len, TEXT_UCS2, budget);
	check_ucs2(s, len);
	check_fold(s, len);
	if (coding == TEXT_GSM7) {
		check_fit(s, len, TEXT_GSM7, budget);
		check_gsm7(s, len, pad);
	} else {
		CHECK(text_units(s, len, TEXT_GSM7) == -ERANGE);
		CHECK(text_fit(s, len, TEXT_GSM7, budget, data[1] & 1) == -ERANGE);
	}
	return 0;
}
