/* Early warning (docs/cases.md section 6): complaints counted per (category, country, employer) over
 * a sliding window; the complaint that brings a key to the threshold alerts, and that key stays
 * quiet for one window after the alert.
 *
 * The counting is the store's (cases.warn_key, a keyed hash of the key below; case_alerts), inside
 * the complaint's own transaction, so a count survives restarts and a rolled-back complaint counts
 * nothing. What is here is pure: the employer-name normalisation and the threshold rule. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yordam/cases.h>

#define CASES_EMPLOYER_KEY_MAX 40 /* bytes of a normalised employer name (longer ones are cut) */

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

/* Whether a complaint alerts: count complaints of its key within (now - window, now], itself
 * included, have reached threshold, and the key has not alerted (alerted, at last_alert) within the
 * last window. */
bool cases_warn_due(long count, unsigned threshold, bool alerted, int64_t last_alert, int64_t now, int64_t window);
