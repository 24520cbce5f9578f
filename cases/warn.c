/* Early warning: employer-name normalisation and the sliding-window threshold tracker. */
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

/* --- the tracker ----------------------------------------------------------------------------- */

#define NEVER INT64_MIN

struct warn_key {
	uint32_t hash; /* of category, country and employer: compared first */
	bool used;
	uint8_t category;
	char country[3];
	char employer[CASES_EMPLOYER_KEY_MAX + 1];
	int64_t last_seen, alerted_at;
	unsigned n; /* timestamps held, <= threshold */
};

struct cases_warn {
	struct cases_warn_cfg cfg;
	struct warn_key *keys;
	int64_t *ts; /* cfg.threshold per key */
	size_t used;
	uint64_t evictions;
};

bool cases_warn_cfg_valid(const struct cases_warn_cfg *cfg)
{
	return cfg && cfg->window > 0 && cfg->window <= 366LL * 86400 && cfg->threshold >= 1 &&
	       cfg->threshold <= CASES_WARN_MAX_THRESHOLD && cfg->capacity >= 1 && cfg->capacity <= CASES_WARN_MAX_KEYS;
}

struct cases_warn *cases_warn_alloc(void *ctx, const struct cases_warn_cfg *cfg)
{
	struct cases_warn *w;

	if (!cases_warn_cfg_valid(cfg)) {
		return NULL;
	}
	w = talloc_zero(ctx, struct cases_warn);
	if (!w) {
		return NULL;
	}
	w->cfg = *cfg;
	w->keys = talloc_zero_array(w, struct warn_key, cfg->capacity);
	w->ts = talloc_zero_array(w, int64_t, (size_t)cfg->capacity * cfg->threshold);
	if (!w->keys || !w->ts) {
		talloc_free(w);
		return NULL;
	}
	return w;
}

static bool key_args(enum cases_category category, const char *country, const char *employer, char cc[3])
{
	if (!cases_category_valid(category) || !country) {
		return false;
	}
	if (!((country[0] >= 'A' && country[0] <= 'Z') || (country[0] >= 'a' && country[0] <= 'z')) ||
	    !((country[1] >= 'A' && country[1] <= 'Z') || (country[1] >= 'a' && country[1] <= 'z')) || country[2]) {
		return false;
	}
	cc[0] = (char)(country[0] & ~0x20);
	cc[1] = (char)(country[1] & ~0x20);
	cc[2] = '\0';
	return !employer || strlen(employer) <= CASES_EMPLOYER_KEY_MAX;
}

/* FNV-1a: a cheap filter for the linear search (capacity is a few thousand keys at most). */
static uint32_t key_hash(enum cases_category category, const char *cc, const char *employer)
{
	uint32_t h = 2166136261u;
	const char *p;

	h = (h ^ (uint8_t)category) * 16777619u;
	h = (h ^ (uint8_t)cc[0]) * 16777619u;
	h = (h ^ (uint8_t)cc[1]) * 16777619u;
	for (p = employer; *p; p++) {
		h = (h ^ (uint8_t)*p) * 16777619u;
	}
	return h;
}

static struct warn_key *find(const struct cases_warn *w, enum cases_category category, const char *cc,
			     const char *employer)
{
	uint32_t h = key_hash(category, cc, employer);
	size_t i;

	for (i = 0; i < w->cfg.capacity; i++) {
		const struct warn_key *k = &w->keys[i];
		if (k->hash == h && k->used && k->category == category && memcmp(k->country, cc, 2) == 0 &&
		    strcmp(k->employer, employer) == 0) {
			return (struct warn_key *)k;
		}
	}
	return NULL;
}

static unsigned count_in(const struct cases_warn *w, const struct warn_key *k, int64_t now, int64_t *first,
			 int64_t *last)
{
	const int64_t *ts = w->ts + (size_t)(k - w->keys) * w->cfg.threshold;
	unsigned i, c = 0;

	*first = INT64_MAX;
	*last = INT64_MIN;
	for (i = 0; i < k->n; i++) {
		/* Later than now counts too: after a clock step back, those complaints still happened. */
		if (ts[i] > now - w->cfg.window) {
			c++;
			*first = ts[i] < *first ? ts[i] : *first;
			*last = ts[i] > *last ? ts[i] : *last;
		}
	}
	return c;
}

int cases_warn_add(struct cases_warn *w, enum cases_category category, const char *country, const char *employer,
		   int64_t t, bool replay, struct cases_warn_alert *alert)
{
	struct warn_key *k;
	int64_t *ts, first, last;
	unsigned i, oldest, c;
	char cc[3];
	size_t j;

	if (!w || !key_args(category, country, employer, cc) || t <= INT64_MIN / 4 || t >= INT64_MAX / 4) {
		return -EINVAL;
	}
	if (!employer) {
		employer = "";
	}
	k = find(w, category, cc, employer);
	if (!k) {
		/* A free slot, else the key seen least recently. */
		for (j = 0; j < w->cfg.capacity && w->keys[j].used; j++) {
		}
		if (j == w->cfg.capacity) {
			for (i = 0, j = 0; i < w->cfg.capacity; i++) {
				if (w->keys[i].last_seen < w->keys[j].last_seen) {
					j = i;
				}
			}
			w->evictions++;
			w->used--;
		}
		k = &w->keys[j];
		memset(k, 0, sizeof(*k));
		k->used = true;
		k->hash = key_hash(category, cc, employer);
		k->category = (uint8_t)category;
		memcpy(k->country, cc, 3);
		strcpy(k->employer, employer); /* length checked in key_args */
		k->alerted_at = NEVER;
		k->last_seen = t;
		w->used++;
	}
	ts = w->ts + (size_t)(k - w->keys) * w->cfg.threshold;
	if (k->n < w->cfg.threshold) {
		ts[k->n++] = t;
	} else {
		/* Full: the oldest goes (insertion order does not matter: times may arrive out of order). */
		for (i = 1, oldest = 0; i < k->n; i++) {
			if (ts[i] < ts[oldest]) {
				oldest = i;
			}
		}
		if (ts[oldest] < t) {
			ts[oldest] = t;
		}
	}
	k->last_seen = t > k->last_seen ? t : k->last_seen;
	c = count_in(w, k, t, &first, &last);
	if (c < w->cfg.threshold) {
		return 0;
	}
	/* Quiet for one window after an alert (either way, should the clock have stepped back). */
	if (k->alerted_at != NEVER && t - k->alerted_at < w->cfg.window && k->alerted_at - t < w->cfg.window) {
		return 0;
	}
	k->alerted_at = t;
	if (replay) {
		return 0;
	}
	if (alert) {
		memset(alert, 0, sizeof(*alert));
		alert->category = category;
		memcpy(alert->country, cc, 3);
		strcpy(alert->employer, k->employer);
		alert->count = c;
		alert->first = first;
		alert->last = last;
	}
	return 1;
}

unsigned cases_warn_count(const struct cases_warn *w, enum cases_category category, const char *country,
			  const char *employer, int64_t now)
{
	const struct warn_key *k;
	int64_t first, last;
	char cc[3];

	if (!w || !key_args(category, country, employer, cc)) {
		return 0;
	}
	k = find(w, category, cc, employer ? employer : "");
	return k ? count_in(w, k, now, &first, &last) : 0;
}

size_t cases_warn_keys(const struct cases_warn *w)
{
	return w ? w->used : 0;
}

uint64_t cases_warn_evictions(const struct cases_warn *w)
{
	return w ? w->evictions : 0;
}
