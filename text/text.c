/* UTF-8, folding, choice of coding, unit counting and fitting text into a budget. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <osmocom/core/talloc.h>

#include <yordam/text.h>

int text_utf8_next(const char *s, size_t len, uint32_t *cp)
{
	const uint8_t *p = (const uint8_t *)s;
	uint32_t v;
	size_t need, i;
	uint8_t lo = 0x80, hi = 0xbf; /* allowed range of the second byte */

	if (len == 0 || !s) {
		return -EINVAL;
	}
	if (p[0] < 0x80) {
		if (cp) {
			*cp = p[0];
		}
		return 1;
	}
	/* RFC 3629 table 4: narrowing the second byte's range rejects overlong forms, surrogates and
	 * code points above U+10FFFF without decoding them first. */
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		need = 2;
		v = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		need = 3;
		v = p[0] & 0x0f;
		if (p[0] == 0xe0) {
			lo = 0xa0;
		} else if (p[0] == 0xed) {
			hi = 0x9f;
		}
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		need = 4;
		v = p[0] & 0x07;
		if (p[0] == 0xf0) {
			lo = 0x90;
		} else if (p[0] == 0xf4) {
			hi = 0x8f;
		}
	} else {
		return -EILSEQ; /* stray continuation byte, C0/C1 overlong lead, or F5..FF */
	}
	if (len < need) {
		return -EILSEQ;
	}
	if (p[1] < lo || p[1] > hi) {
		return -EILSEQ;
	}
	for (i = 1; i < need; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			return -EILSEQ;
		}
		v = (v << 6) | (p[i] & 0x3f);
	}
	if (cp) {
		*cp = v;
	}
	return (int)need;
}

int text_utf8_put(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp >= 0xd800 && cp <= 0xdfff) {
		return -EINVAL;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	if (cp <= 0x10ffff) {
		out[0] = (char)(0xf0 | (cp >> 18));
		out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[3] = (char)(0x80 | (cp & 0x3f));
		return 4;
	}
	return -EINVAL;
}

bool text_utf8_valid(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		int k = text_utf8_next(s + i, len - i, NULL);

		if (k < 0) {
			return false;
		}
		i += (size_t)k;
	}
	return true;
}

/* The replacement for cp under flags, or NULL when cp stays. */
static const char *fold_one(uint32_t cp, unsigned flags)
{
	if (flags & TEXT_FOLD_UZ) {
		switch (cp) {
		case 0x02bb: /* modifier letter turned comma: Uzbek oʻ gʻ */
		case 0x02bc: /* modifier letter apostrophe: Uzbek tutuq belgisi */
		case 0x2018:
		case 0x2019:
			return "'";
		}
	}
	if (flags & TEXT_FOLD_TYPO) {
		switch (cp) {
		case 0x201c:
		case 0x201d:
		case 0x201e:
		case 0x00ab:
		case 0x00bb:
			return "\"";
		case 0x2013:
		case 0x2014:
		case 0x2212:
			return "-";
		case 0x2026:
			return "...";
		case 0x00a0:
			return " ";
		}
	}
	return NULL;
}

char *text_fold(void *ctx, const char *s, unsigned flags)
{
	size_t len, i = 0, pos = 0;
	char *out;

	if (!s) {
		return NULL;
	}
	len = strlen(s);
	/* Every fold replaces a character with at most as many bytes as its UTF-8 form. */
	out = talloc_size(ctx, len + 1);
	if (!out) {
		return NULL;
	}
	talloc_set_name_const(out, "char");
	while (i < len) {
		uint32_t cp;
		const char *rep;
		int k = text_utf8_next(s + i, len - i, &cp);

		if (k < 0) {
			talloc_free(out);
			return NULL;
		}
		rep = fold_one(cp, flags);
		if (rep) {
			size_t rl = strlen(rep);

			memcpy(out + pos, rep, rl);
			pos += rl;
		} else {
			memcpy(out + pos, s + i, (size_t)k);
			pos += (size_t)k;
		}
		i += (size_t)k;
	}
	out[pos] = '\0';
	return out;
}

int text_coding_of(const char *s, size_t len)
{
	size_t i = 0;
	int coding = TEXT_GSM7;

	/* No early exit at the first non-GSM character: invalid UTF-8 further on is still an error. */
	while (i < len) {
		uint32_t cp;
		int k = text_utf8_next(s + i, len - i, &cp);

		if (k < 0) {
			return k;
		}
		if (!text_gsm7_cost(cp)) {
			coding = TEXT_UCS2;
		}
		i += (size_t)k;
	}
	return coding;
}

/* Units of cp in coding; 0 when GSM-7 cannot carry it. */
static unsigned cp_units(uint32_t cp, enum text_coding coding)
{
	if (coding == TEXT_GSM7) {
		return text_gsm7_cost(cp);
	}
	return cp >= 0x10000 ? 2 : 1;
}

/* One walk serves both counting and cutting, so a cut can never disagree with a count. */
static long fit_walk(const char *s, size_t len, enum text_coding coding, size_t budget, bool word_break, size_t *units)
{
	size_t i = 0, used = 0, cut = len, brk = 0;
	bool out_of_range = false, full = false;

	if (coding != TEXT_GSM7 && coding != TEXT_UCS2) {
		return -EINVAL;
	}
	if (len > (size_t)LONG_MAX) {
		return -E2BIG;
	}
	/* Scan to the end even after the budget is spent, so the errors match text_units whatever
	 * the budget. */
	while (i < len) {
		uint32_t cp;
		unsigned u;
		int k = text_utf8_next(s + i, len - i, &cp);

		if (k < 0) {
			return k;
		}
		u = cp_units(cp, coding);
		if (!u) {
			out_of_range = true;
		}
		if (!full) {
			if (u > budget - used) {
				full = true;
				cut = i;
				/* A space right after the last fitting character is a word boundary too. */
				if (cp == ' ' || cp == '\n') {
					brk = i;
				}
			} else {
				used += u;
				if (cp == ' ' || cp == '\n') {
					brk = i + (size_t)k;
				}
			}
		}
		i += (size_t)k;
	}
	if (out_of_range) {
		return -ERANGE;
	}
	if (full && word_break && brk > 0) {
		cut = brk;
	}
	/* Only reachable on a 32-bit board with a gigabyte of text; still not UB. */
	if (used > (size_t)LONG_MAX) {
		return -E2BIG;
	}
	*units = used;
	return (long)cut;
}

long text_fit(const char *s, size_t len, enum text_coding coding, size_t budget, bool word_break)
{
	size_t units;

	return fit_walk(s, len, coding, budget, word_break, &units);
}

long text_units(const char *s, size_t len, enum text_coding coding)
{
	size_t units;
	long rc = fit_walk(s, len, coding, SIZE_MAX, false, &units);

	return rc < 0 ? rc : (long)units;
}

static bool sms_ws(char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

int text_sms_split(const char *s, size_t len, struct text_sms_split *out)
{
	int coding = text_coding_of(s, len);
	size_t pos = 0, single, part;
	long units;

	if (coding < 0) {
		return coding;
	}
	out->coding = (enum text_coding)coding;
	out->n_parts = 0;
	single = coding == TEXT_GSM7 ? TEXT_SMS_SINGLE_GSM7 : TEXT_SMS_SINGLE_UCS2;
	part = coding == TEXT_GSM7 ? TEXT_SMS_PART_GSM7 : TEXT_SMS_PART_UCS2;
	units = text_units(s, len, out->coding);
	if (units < 0) {
		return (int)units;
	}
	if ((size_t)units <= single) {
		out->start[0] = 0;
		out->end[0] = len;
		out->n_parts = 1;
		return 1;
	}
	while (pos < len) {
		long cut;
		size_t end;

		while (pos < len && sms_ws(s[pos])) {
			pos++;
		}
		if (pos == len) {
			break;
		}
		if (out->n_parts == TEXT_SMS_MAX_PARTS) {
			return -E2BIG;
		}
		cut = text_fit(s + pos, len - pos, out->coding, part, true);
		if (cut <= 0) {
			return cut < 0 ? (int)cut : -EINVAL;
		}
		end = pos + (size_t)cut;
		out->start[out->n_parts] = pos;
		while (end > pos && sms_ws(s[end - 1])) {
			end--;
		}
		out->end[out->n_parts] = end;
		out->n_parts++;
		pos += (size_t)cut;
	}
	return (int)out->n_parts;
}
