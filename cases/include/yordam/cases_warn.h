/* Early warning: complaints counted per (category, country, employer) over a sliding window; the
 * complaint that brings a key to the threshold yields one alert, and that key stays quiet for one
 * window after it (then a new alert needs the count at the threshold again).
 *
 * Pure and bounded: a fixed table of keys, each remembering at most `threshold` timestamps, the
 * least recently seen key evicted when the table is full. Times are parameters. The tracker lives
 * in RAM; after a restart the caller replays the last window of complaints from the store in
 * time order (cases_warn_add with replay set), which rebuilds the counts without alerting twice. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yordam/cases.h>

#define CASES_EMPLOYER_KEY_MAX	 40 /* bytes of a normalised employer name (longer ones are cut) */
#define CASES_WARN_MAX_THRESHOLD 64
#define CASES_WARN_MAX_KEYS	 65536

/* Normalise an employer name so that spellings of the same name count together: Cyrillic
 * (Russian, Uzbek, Kazakh, Tajik, Kyrgyz letters) transliterated to Latin, Latin diacritics
 * (Turkish, Uzbek oʻ gʻ) dropped, case folded, punctuation and quotes dropped, legal forms
 * (ООО/OOO, LLC, MChJ, TOO, IP, AO, ...) dropped, then a spelling skeleton (kh/x -> h, zh/dj -> j,
 * q -> k, w -> v, y -> i, doubled letters once; spaces removed). "ООО «Стройинвест»",
 * "Stroyinvest LLC" and "stroy-invest" give the same key. Letters of other scripts are kept as
 * they are. Writes a NUL-terminated key of at most CASES_EMPLOYER_KEY_MAX bytes (cut at a
 * character boundary) into out (CASES_EMPLOYER_KEY_MAX + 1 bytes). Returns its length (0 for a
 * name with nothing left, i.e. "employer not given"), or -EILSEQ for invalid UTF-8. */
int cases_employer_normalise(const char *s, size_t len, char out[CASES_EMPLOYER_KEY_MAX + 1]);

struct cases_warn_cfg {
	int64_t window;	    /* seconds, > 0; e.g. 7 * 86400 */
	unsigned threshold; /* 1..CASES_WARN_MAX_THRESHOLD complaints within the window */
	unsigned capacity;  /* 1..CASES_WARN_MAX_KEYS keys tracked at once */
};

struct cases_warn_alert {
	enum cases_category category;
	char country[3];
	char employer[CASES_EMPLOYER_KEY_MAX + 1]; /* normalised key; "" = employer not given */
	unsigned count;				   /* complaints in the window (== threshold) */
	int64_t first, last;			   /* first and last of them */
};

struct cases_warn;

/* NULL on OOM or a bad cfg (-EINVAL is not distinguishable: check cfg with cases_warn_cfg_valid). */
struct cases_warn *cases_warn_alloc(void *ctx, const struct cases_warn_cfg *cfg);
bool cases_warn_cfg_valid(const struct cases_warn_cfg *cfg);

/* Count one complaint at t. employer is a key from cases_employer_normalise() (or "" / NULL).
 * Returns 1 and fills *alert when this complaint brings the key to the threshold and the key has
 * not alerted within the last window, 0 otherwise, -EINVAL for a bad category or country. With
 * replay (rebuilding after a restart) a crossing is recorded as alerted but returns 0: whether the
 * alert went out before the restart is the store's to know (docs/cases.md). */
int cases_warn_add(struct cases_warn *w, enum cases_category category, const char *country, const char *employer,
		   int64_t t, bool replay, struct cases_warn_alert *alert);

/* Complaints for a key within (now - window, now], for status displays. */
unsigned cases_warn_count(const struct cases_warn *w, enum cases_category category, const char *country,
			  const char *employer, int64_t now);
/* Keys tracked now, and keys evicted so far because the table was full (a non-zero figure means
 * the capacity is too small for the traffic: raise it). */
size_t cases_warn_keys(const struct cases_warn *w);
uint64_t cases_warn_evictions(const struct cases_warn *w);
