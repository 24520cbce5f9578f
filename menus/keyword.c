/* SMS keywords compared the way a sender types them: case, script and punctuation do not count.
 * Pure: no I/O. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include <yordam/menu.h>
#include <yordam/text.h>

struct translit {
	uint32_t cp; /* an upper-case letter */
	const char *latin;
};

/* Cyrillic (Uzbek, Russian, Tajik, Kyrgyz, Kazakh) in the Uzbek Latin convention, and the few
 * Latin letters with marks that Turkish and Uzbek keyboards produce. Upper case only. */
static const struct translit translit[] = {
	{0x0401, "YO"}, {0x0404, "E"},	{0x0406, "I"},	{0x0407, "I"},	{0x040D, "I"}, {0x040E, "O"},  {0x0410, "A"},
	{0x0411, "B"},	{0x0412, "V"},	{0x0413, "G"},	{0x0414, "D"},	{0x0415, "E"}, {0x0416, "J"},  {0x0417, "Z"},
	{0x0418, "I"},	{0x0419, "Y"},	{0x041A, "K"},	{0x041B, "L"},	{0x041C, "M"}, {0x041D, "N"},  {0x041E, "O"},
	{0x041F, "P"},	{0x0420, "R"},	{0x0421, "S"},	{0x0422, "T"},	{0x0423, "U"}, {0x0424, "F"},  {0x0425, "X"},
	{0x0426, "TS"}, {0x0427, "CH"}, {0x0428, "SH"}, {0x0429, "SH"}, {0x042A, ""},  {0x042B, "I"},  {0x042C, ""},
	{0x042D, "E"},	{0x042E, "YU"}, {0x042F, "YA"}, {0x0492, "G"},	{0x049A, "Q"}, {0x04A2, "NG"}, {0x04AE, "U"},
	{0x04B0, "U"},	{0x04B2, "H"},	{0x04B6, "J"},	{0x04D8, "A"},	{0x04E2, "I"}, {0x04E8, "O"},  {0x04EE, "U"},
	{0x00C7, "CH"}, {0x00D6, "O"},	{0x00DC, "U"},	{0x011E, "G"},	{0x0130, "I"}, {0x0131, "I"},  {0x015E, "SH"},
};

static uint32_t upper(uint32_t cp)
{
	if (cp >= 'a' && cp <= 'z') {
		return cp - 0x20;
	}
	if (cp >= 0x0430 && cp <= 0x044F) {
		return cp - 0x20;
	}
	if (cp >= 0x0450 && cp <= 0x045F) {
		return cp - 0x50;
	}
	if (cp >= 0x0460 && cp <= 0x04FF && cp != 0x04C0 && cp != 0x04CF) {
		/* Upper and lower case alternate in the extended block (from U+04C1 shifted by one). */
		return (cp >= 0x04C1 && cp <= 0x04CE) ? ((cp & 1) ? cp : cp - 1) : (cp & ~1u);
	}
	switch (cp) {
	case 0x00E7: /* ç */
	case 0x00F6: /* ö */
	case 0x00FC: /* ü */
		return cp - 0x20;
	case 0x011F: /* ğ */
	case 0x015F: /* ş */
		return cp - 1;
	default:
		return cp;
	}
}

static bool dropped(uint32_t cp)
{
	switch (cp) {
	case ' ':
	case '\t':
	case '-':
	case '_':
	case '.':
	case '\'':
	case '`':
	case 0x00B4: /* ´ */
	case 0x02BB: /* ʻ */
	case 0x02BC: /* ʼ */
	case 0x2018: /* ‘ */
	case 0x2019: /* ’ */
		return true;
	default:
		return false;
	}
}

char *menu_keyword_norm(void *ctx, const char *kw, size_t len)
{
	char *out;
	size_t i = 0;
	unsigned k;

	if (!kw) {
		return NULL;
	}
	out = talloc_strdup(ctx, "");
	while (out && i < len) {
		uint32_t cp;
		int n = text_utf8_next(kw + i, len - i, &cp);
		char u8[5] = {0};

		if (n < 0) {
			talloc_free(out);
			return NULL;
		}
		i += n;
		if (dropped(cp)) {
			continue;
		}
		cp = upper(cp);
		for (k = 0; k < ARRAY_SIZE(translit); k++) {
			if (translit[k].cp == cp) {
				break;
			}
		}
		if (k < ARRAY_SIZE(translit)) {
			out = talloc_strdup_append(out, translit[k].latin);
			continue;
		}
		n = text_utf8_put(cp, u8);
		if (n < 0) {
			talloc_free(out);
			return NULL;
		}
		out = talloc_strdup_append(out, u8);
	}
	return out;
}
