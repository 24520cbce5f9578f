/* Early warning: employer-name normalisation and the threshold rule (the counting is the store's). */
#include <errno.h>
#include <string.h>

#include <osmocom/core/talloc.h>

#include <yordam/cases_warn.h>
#include <yordam/text.h>

/* --- employer names -------------------------------------------------------------------------- */

/* Latin for a lower-case Cyrillic letter (Russian, Ukrainian, Uzbek, Kazakh, Tajik, Kyrgyz), ""
 * for the signs, NULL when cp is not one. */
static const char *cyrillic_latin(uint32_t cp)
{
	static const char *const basic[32] = {
		"a", "b", "v", "g", "d", "e", "j",  "z",  "i",	"y",  "k", "l", "m", "n", "o",	"p",
		"r", "s", "t", "u", "f", "h", "ts", "ch", "sh", "sh", "",  "y", "",  "e", "yu", "ya",
	};
	static const struct {
		uint32_t cp;
		const char *s;
	} extra[] = {
		{0x0451, "yo"}, {0x0456, "i"},	{0x0457, "yi"}, {0x0454, "ye"}, {0x0491, "g"}, {0x045e, "o"},
		{0x049b, "k"},	{0x0493, "g"},	{0x04b3, "h"},	{0x04d9, "a"},	{0x04a3, "n"}, {0x04e9, "o"},
		{0x04b1, "u"},	{0x04af, "u"},	{0x04bb, "h"},	{0x04e3, "i"},	{0x04ef, "u"}, {0x04b7, "j"},
		{0x0458, "j"},	{0x045a, "nj"}, {0x0459, "lj"},
	};
	size_t i;

	if (cp >= 0x0430 && cp <= 0x044f) {
		return basic[cp - 0x0430];
	}
	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		if (extra[i].cp == cp) {
			return extra[i].s;
		}
	}
	return NULL;
}

/* Latin with diacritics (Latin-1, Extended-A: Turkish, Uzbek, ...) -> ASCII, or NULL. */
static const char *latin_ascii(uint32_t cp)
{
	static const char *const l1[64] = {
		/* U+00C0.. upper case, folded to lower */
		"a", "a", "a", "a", "a", "a", "ae", "ch", "e", "e", "e", "e", "i", "i", "i",  "i",
		"d", "n", "o", "o", "o", "o", "o",  NULL, "o", "u", "u", "u", "u", "y", "th", "ss",
		"a", "a", "a", "a", "a", "a", "ae", "ch", "e", "e", "e", "e", "i", "i", "i",  "i",
		"d", "n", "o", "o", "o", "o", "o",  NULL, "o", "u", "u", "u", "u", "y", "th", "y",
	};

	if (cp >= 0xc0 && cp <= 0xff) {
		return l1[cp - 0xc0];
	}
	switch (cp) {
	case 0x011e: /* Ğ ğ */
	case 0x011f:
		return "g";
	case 0x0130: /* İ ı */
	case 0x0131:
		return "i";
	case 0x015e: /* Ş ş */
	case 0x015f:
	case 0x0160: /* Š š */
	case 0x0161:
		return "sh";
	case 0x010c: /* Č č */
	case 0x010d:
		return "ch";
	case 0x017d: /* Ž ž */
	case 0x017e:
		return "j";
	case 0x0100: /* Ā ā */
	case 0x0101:
		return "a";
	case 0x0112: /* Ē ē */
	case 0x0113:
		return "e";
	case 0x012a: /* Ī ī */
	case 0x012b:
		return "i";
	case 0x014c: /* Ō ō */
	case 0x014d:
		return "o";
	case 0x016a: /* Ū ū */
	case 0x016b:
		return "u";
	}
	return NULL;
}

/* Letters that join a token; 0 = separator (space, hyphen, comma, ...); -1 = dropped (quotes,
 * apostrophes, dots: "A.Ş." and "o'zbek" stay one token). */
static int classify(uint32_t cp, const char **latin, char *ascii)
{
	*latin = NULL;
	if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) {
		*ascii = (char)cp;
		return 1;
	}
	if (cp >= 'A' && cp <= 'Z') {
		*ascii = (char)(cp - 'A' + 'a');
		return 1;
	}
	*ascii = 0;
	if (cp == '\'' || cp == '"' || cp == '.' || cp == '`' || cp == 0x00ab || cp == 0x00bb || cp == 0x02bb ||
	    cp == 0x02bc || (cp >= 0x2018 && cp <= 0x201f)) {
		return -1;
	}
	if (cp < 0x80) {
		return 0;
	}
	/* Cyrillic upper case to lower: А..Я +0x20, Ѐ..Џ +0x50, the extended pairs are even/odd. */
	if (cp >= 0x0410 && cp <= 0x042f) {
		cp += 0x20;
	} else if (cp >= 0x0400 && cp <= 0x040f) {
		cp += 0x50;
	} else if (cp >= 0x0460 && cp <= 0x04ff && !(cp & 1)) {
		cp |= 1;
	}
	*latin = cyrillic_latin(cp);
	if (!*latin) {
		*latin = latin_ascii(cp);
	}
	if (*latin) {
		return 1;
	}
	/* Other punctuation and spaces separate; letters of other scripts are kept as they are. */
	if (cp <= 0x00bf || (cp >= 0x2000 && cp <= 0x206f) || cp == 0x3000 || (cp >= 0x3001 && cp <= 0x303f)) {
		return 0;
	}
	return 2;
}

static bool legal_form(const char *t, size_t n)
{
	static const char *const forms[] = {
		"ooo",	"llc", "ltd", "too",  "ip",   "ao",   "zao",  "oao",	  "pao", "chp",
		"mchj", "xk",  "hk",  "inc",  "co",   "corp", "gmbh", "as",	  "ash", "sti",
		"shti", "plc", "jsc", "ojsc", "cjsc", "tov",  "chk",  "주식회사", "주",
	};
	size_t i;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		if (strlen(forms[i]) == n && memcmp(forms[i], t, n) == 0) {
			return true;
		}
	}
	return false;
}

/* The spelling skeleton of an ASCII-or-other-script string, in place. */
static size_t skeleton(char *s, size_t n)
{
	static const struct {
		const char *from, *to;
	} rules[] = {
		{"shch", "sh"}, {"sch", "sh"}, {"dzh", "j"}, {"zh", "j"}, {"dj", "j"}, {"kh", "h"}, {"ck", "k"},
		{"ph", "f"},	{"ye", "e"},   {"x", "h"},   {"q", "k"},  {"w", "v"},  {"y", "i"},
	};
	size_t i = 0, o = 0, k, fl;

	while (i < n) {
		for (k = 0; k < sizeof(rules) / sizeof(rules[0]); k++) {
			fl = strlen(rules[k].from);
			if (i + fl <= n && memcmp(s + i, rules[k].from, fl) == 0) {
				break;
			}
		}
		if (k < sizeof(rules) / sizeof(rules[0])) {
			/* every replacement is no longer than what it replaces: o <= i holds */
			memcpy(s + o, rules[k].to, strlen(rules[k].to));
			o += strlen(rules[k].to);
			i += strlen(rules[k].from);
			continue;
		}
		s[o++] = s[i++];
	}
	/* Doubled letters once ("ss" and "s", "ii" and "i"); digits stay as they are. */
	n = o;
	for (i = 0, o = 0; i < n; i++) {
		if (o > 0 && s[i] >= 'a' && s[i] <= 'z' && s[o - 1] == s[i]) {
			continue;
		}
		s[o++] = s[i];
	}
	return o;
}

int cases_employer_normalise(const char *s, size_t len, char out[CASES_EMPLOYER_KEY_MAX + 1])
{
	/* Transliteration at most triples a byte count (2-byte Cyrillic -> up to 2 ASCII; 1 -> 1), so
	 * work on at most a bounded prefix: the key is only 40 bytes anyway. */
	char buf[4 * CASES_EMPLOYER_KEY_MAX + 8], tok[4 * CASES_EMPLOYER_KEY_MAX + 8];
	size_t i = 0, n = 0, tn = 0, cut;
	const char *latin;
	uint32_t cp;
	char ascii;
	int rc, cls;

	if (!out || (!s && len)) {
		return -EINVAL;
	}
	out[0] = '\0';
	if (!text_utf8_valid(s, len)) {
		return -EILSEQ;
	}
	for (;;) {
		cls = 0;
		rc = 0;
		if (i < len) {
			rc = text_utf8_next(s + i, len - i, &cp);
			if (rc <= 0) {
				return -EILSEQ;
			}
			cls = classify(cp, &latin, &ascii);
		}
		if (cls == -1) {
			i += (size_t)rc;
			continue;
		}
		if (cls == 0) { /* end of a token */
			if (tn && !legal_form(tok, tn) && n + tn <= sizeof(buf)) {
				memcpy(buf + n, tok, tn);
				n += tn;
			}
			tn = 0;
			if (i >= len || n >= 2 * CASES_EMPLOYER_KEY_MAX) {
				break;
			}
			i += (size_t)rc;
			continue;
		}
		if (cls == 1 && ascii) {
			if (tn < sizeof(tok)) {
				tok[tn++] = ascii;
			}
		} else if (cls == 1) {
			if (tn + strlen(latin) <= sizeof(tok)) {
				memcpy(tok + tn, latin, strlen(latin));
				tn += strlen(latin);
			}
		} else if (tn + (size_t)rc <= sizeof(tok)) {
			memcpy(tok + tn, s + i, (size_t)rc);
			tn += (size_t)rc;
		}
		i += (size_t)rc;
	}
	n = skeleton(buf, n);
	/* Cut at a character boundary. */
	cut = n < CASES_EMPLOYER_KEY_MAX ? n : CASES_EMPLOYER_KEY_MAX;
	while (cut > 0 && !text_utf8_valid(buf, cut)) {
		cut--;
	}
	memcpy(out, buf, cut);
	out[cut] = '\0';
	return (int)cut;
}

/* --- the threshold ---------------------------------------------------------------------------- */

bool cases_warn_due(long count, unsigned threshold, bool alerted, int64_t last_alert, int64_t now, int64_t window)
{
	return threshold > 0 && window > 0 && count >= (long)threshold && (!alerted || last_alert <= now - window);
}
