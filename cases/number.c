/* Case numbers: Damm check digit, keyed permutation of sequence numbers, parsing. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>

#include <osmocom/core/talloc.h>

#include <yordam/cases.h>
#include <yordam/text.h>

#include "cases_priv.h"

/* The Damm table: a totally anti-symmetric quasigroup of order 10 (H. M. Damm, 2004). A check
 * digit computed with it makes the interim digit of the whole number 0, and any single
 * substitution or adjacent transposition makes it non-zero (test_cases proves both over the whole
 * number space). */
static const uint8_t damm[10][10] = {
	{0, 3, 1, 7, 5, 9, 8, 6, 4, 2}, {7, 0, 9, 2, 1, 5, 4, 8, 6, 3}, {4, 2, 0, 6, 8, 7, 1, 3, 5, 9},
	{1, 7, 5, 0, 9, 8, 3, 4, 2, 6}, {6, 1, 2, 3, 0, 4, 5, 9, 7, 8}, {3, 6, 7, 4, 2, 0, 9, 5, 8, 1},
	{5, 8, 6, 9, 7, 2, 0, 1, 3, 4}, {8, 9, 4, 5, 3, 6, 2, 0, 1, 7}, {9, 4, 3, 8, 6, 1, 7, 2, 0, 5},
	{2, 5, 8, 1, 4, 3, 6, 7, 9, 0},
};

int cases_damm_digit(const char *s, size_t n)
{
	unsigned interim = 0;
	size_t i;

	if (!s && n) {
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return -EINVAL;
		}
		interim = damm[interim][s[i] - '0'];
	}
	return (int)interim;
}

bool cases_damm_valid(const char *s, size_t n)
{
	return n >= 2 && cases_damm_digit(s, n) == 0;
}

/* --- the keyed permutation ------------------------------------------------------------------- */

/* A balanced Feistel network over Z_1000 x Z_1000 with modular addition (the shape of NIST FF1,
 * with round functions that are tables): (L, R) -> (R, (L + F_r(R)) mod 1000) is a bijection for
 * any F_r, so the 10-round composition permutes 000000..999999. Each F_r is a pseudo-random
 * function of R derived from the key with HMAC-SHA256. Ten rounds are far more than a
 * Luby-Rackoff permutation needs; the goal is only that case numbers do not reveal the sequence. */
#define FEISTEL_ROUNDS 10
#define FEISTEL_HALF   1000u

struct cases_numgen {
	uint16_t f[FEISTEL_ROUNDS][FEISTEL_HALF];
};

static int numgen_destructor(struct cases_numgen *g)
{
	mbedtls_platform_zeroize(g->f, sizeof(g->f));
	return 0;
}

struct cases_numgen *cases_numgen_alloc(void *ctx, const uint8_t key[CASES_NUMBER_KEY_LEN])
{
	static const char label[] = "yordam case number v1";
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	mbedtls_md_context_t hmac;
	struct cases_numgen *g;
	uint8_t out[32], msg[sizeof(label) + 3];
	unsigned r, block, j;
	int rc = -1;

	if (!key || !md) {
		return NULL;
	}
	g = talloc_zero(ctx, struct cases_numgen);
	if (!g) {
		return NULL;
	}
	talloc_set_destructor(g, numgen_destructor);
	mbedtls_md_init(&hmac);
	if (mbedtls_md_setup(&hmac, md, 1) != 0 || mbedtls_md_hmac_starts(&hmac, key, CASES_NUMBER_KEY_LEN) != 0) {
		goto exit;
	}
	memcpy(msg, label, sizeof(label)); /* the NUL separates label and counters */
	/* One HMAC block gives 8 table entries (32-bit words mod 1000: bias 2^-22, irrelevant). */
	for (r = 0; r < FEISTEL_ROUNDS; r++) {
		for (block = 0; block < FEISTEL_HALF / 8; block++) {
			msg[sizeof(label)] = (uint8_t)r;
			msg[sizeof(label) + 1] = (uint8_t)(block >> 8);
			msg[sizeof(label) + 2] = (uint8_t)block;
			if (mbedtls_md_hmac_reset(&hmac) != 0 || mbedtls_md_hmac_update(&hmac, msg, sizeof(msg)) != 0 ||
			    mbedtls_md_hmac_finish(&hmac, out) != 0) {
				goto exit;
			}
			for (j = 0; j < 8; j++) {
				uint32_t w = (uint32_t)out[4 * j] << 24 | (uint32_t)out[4 * j + 1] << 16 |
					     (uint32_t)out[4 * j + 2] << 8 | out[4 * j + 3];
				g->f[r][block * 8 + j] = (uint16_t)(w % FEISTEL_HALF);
			}
		}
	}
	rc = 0;
exit:
	mbedtls_md_free(&hmac);
	mbedtls_platform_zeroize(out, sizeof(out));
	if (rc) {
		talloc_free(g);
		return NULL;
	}
	return g;
}

static uint32_t check_append(uint32_t payload)
{
	static const uint32_t pow10[CASES_NUMBER_PAYLOAD_DIGITS] = {100000, 10000, 1000, 100, 10, 1};
	unsigned interim = 0, k;

	for (k = 0; k < CASES_NUMBER_PAYLOAD_DIGITS; k++) {
		interim = damm[interim][payload / pow10[k] % 10];
	}
	return payload * 10 + interim;
}

int cases_number_from_seq(const struct cases_numgen *g, uint64_t seq, uint32_t *number)
{
	uint32_t l, r, t;
	unsigned i;

	if (!g || !number) {
		return -EINVAL;
	}
	if (seq >= CASES_NUMBER_SPACE) {
		return -ENOSPC;
	}
	l = (uint32_t)seq / FEISTEL_HALF;
	r = (uint32_t)seq % FEISTEL_HALF;
	for (i = 0; i < FEISTEL_ROUNDS; i++) {
		t = (l + g->f[i][r]) % FEISTEL_HALF;
		l = r;
		r = t;
	}
	*number = check_append(l * FEISTEL_HALF + r);
	return 0;
}

int cases_number_to_seq(const struct cases_numgen *g, uint32_t number, uint64_t *seq)
{
	char digits[CASES_NUMBER_STRLEN];
	uint32_t l, r, t;
	int i;

	if (!g || !seq || cases_number_format(number, false, digits) < 0) {
		return -EINVAL;
	}
	if (!cases_damm_valid(digits, CASES_NUMBER_DIGITS)) {
		return -EBADMSG;
	}
	l = (number / 10) / FEISTEL_HALF;
	r = (number / 10) % FEISTEL_HALF;
	for (i = FEISTEL_ROUNDS - 1; i >= 0; i--) {
		t = (r + FEISTEL_HALF - g->f[i][l]) % FEISTEL_HALF;
		r = l;
		l = t;
	}
	*seq = (uint64_t)l * FEISTEL_HALF + r;
	return 0;
}

int cases_number_format(uint32_t number, bool grouped, char out[CASES_NUMBER_STRLEN])
{
	if (!out || number > 9999999u) {
		return -EINVAL;
	}
	if (grouped) {
		return snprintf(out, CASES_NUMBER_STRLEN, "%03u %04u", (unsigned)(number / 10000),
				(unsigned)(number % 10000));
	}
	return snprintf(out, CASES_NUMBER_STRLEN, "%07u", (unsigned)number);
}

/* --- parsing --------------------------------------------------------------------------------- */

/* Bytes of the separator at s[0..len), or 0 when s does not start with one. */
static size_t number_sep(const char *s, size_t len)
{
	uint32_t cp;
	int n;

	if (s[0] == ' ' || s[0] == '\t' || s[0] == '-' || s[0] == '.') {
		return 1;
	}
	n = text_utf8_next(s, len, &cp);
	if (n < 0) {
		return 0;
	}
	if (cp == 0x00a0 || cp == 0x202f || (cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212) {
		return (size_t)n;
	}
	return 0;
}

size_t cases_skip_space(const char *s, size_t len)
{
	size_t i = 0;
	uint32_t cp;
	int n;

	while (i < len) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
			i++;
			continue;
		}
		n = text_utf8_next(s + i, len - i, &cp);
		if (n > 0 && (cp == 0x00a0 || cp == 0x202f || cp == 0x3000)) {
			i += (size_t)n;
			continue;
		}
		break;
	}
	return i;
}

int cases_number_scan(const char *s, size_t len, size_t *consumed, unsigned *ndigits, uint32_t *number)
{
	char digits[CASES_NUMBER_DIGITS];
	size_t i, end = 0, sep;
	unsigned nd = 0;
	uint32_t value = 0;

	if (!s || !consumed || !ndigits || !number) {
		return -EINVAL;
	}
	i = cases_skip_space(s, len);
	while (i < len) {
		if (s[i] >= '0' && s[i] <= '9') {
			if (nd == CASES_NUMBER_DIGITS && end != i) {
				break; /* 7 digits, then a separator: what follows is text */
			}
			if (nd < CASES_NUMBER_DIGITS) {
				digits[nd] = s[i];
				value = value * 10 + (uint32_t)(s[i] - '0');
			}
			nd += nd < 100 ? 1 : 0;
			end = ++i;
			continue;
		}
		if (nd == CASES_NUMBER_DIGITS) {
			break;
		}
		sep = number_sep(s + i, len - i);
		if (!sep) {
			break;
		}
		i += sep;
	}
	*consumed = end;
	*ndigits = nd;
	*number = nd <= CASES_NUMBER_DIGITS ? value : 0;
	if (nd == 0) {
		return -EINVAL;
	}
	if (nd != CASES_NUMBER_DIGITS) {
		return -ERANGE;
	}
	return cases_damm_valid(digits, CASES_NUMBER_DIGITS) ? 0 : -EBADMSG;
}

int cases_number_parse(const char *s, size_t len, uint32_t *number)
{
	size_t used, i, sep;
	unsigned nd;
	int rc;

	if (!s || !number) {
		return -EINVAL;
	}
	rc = cases_number_scan(s, len, &used, &nd, number);
	if (nd == 0) {
		return -EINVAL;
	}
	/* Too many digits: scan stopped at the 8th; count on so the caller sees it is too long. */
	for (i = used; i < len;) {
		if (s[i] >= '0' && s[i] <= '9') {
			return -ERANGE;
		}
		sep = number_sep(s + i, len - i);
		if (!sep) {
			sep = cases_skip_space(s + i, len - i);
		}
		if (!sep) {
			return -EINVAL;
		}
		i += sep;
	}
	return rc;
}
