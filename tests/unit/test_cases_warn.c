/* Unit tests for the early warning: employer-name normalisation and the threshold rule on the store's counts
 * (the same steps as firmware/cases_svc.c:warn_check). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <osmocom/core/talloc.h>

#include <yordam/cases_warn.h>
#include <yordam/store.h>

#define DAY 86400
#define T0  1772409600 /* 2026-03-02 00:00 UTC */

static const char *norm(const char *s)
{
	static char out[CASES_EMPLOYER_KEY_MAX + 1];
	int n = cases_employer_normalise(s, strlen(s), out);

	assert_true(n >= 0);
	assert_int_equal((size_t)n, strlen(out));
	return out;
}

static void same(const char *a, const char *b)
{
	char ka[CASES_EMPLOYER_KEY_MAX + 1];

	snprintf(ka, sizeof(ka), "%s", norm(a));
	if (strcmp(ka, norm(b)) != 0) {
		fail_msg("\"%s\" -> \"%s\" but \"%s\" -> \"%s\"", a, ka, b, norm(b));
	}
}

static void differ(const char *a, const char *b)
{
	char ka[CASES_EMPLOYER_KEY_MAX + 1];

	snprintf(ka, sizeof(ka), "%s", norm(a));
	if (strcmp(ka, norm(b)) == 0) {
		fail_msg("\"%s\" and \"%s\" both -> \"%s\"", a, b, ka);
	}
}

static void test_employer_normalise(void **state)
{
	char out[CASES_EMPLOYER_KEY_MAX + 1];

	/* Same employer, written by different people in different scripts. */
	same("ООО «Стройинвест»", "Stroyinvest LLC");
	same("ООО «Стройинвест»", "stroy-invest");
	same("STROIINVEST", "Stroy Invest, ooo");
	same("Хаус Строй", "Khaus Stroy");
	same("Хаус Строй", "Xaus stroy");
	same("Жилстрой", "Zhilstroy");
	same("Жилстрой", "Jilstroy");
	same("ТОО \"Казахмыс\"", "Kazakhmys TOO");
	same("Qurilish servis", "Қурилиш Сервис");
	same("Şahin İnşaat A.Ş.", "Shahin Inshaat");
	same("Шахин Иншаат", "Shahin Inshaat");
	same("Oʻzbekiston Temir Yoʻllari", "O'zbekiston temir yo'llari");
	same("Ўзбекистон темир йўллари", "O'zbekiston temir yo'llari");
	same("Ivanovskiy zavod", "Иванoвский завод"); /* one Latin o among the Cyrillic */
	same("  Ёлка   ", "yolka");
	same("ИП Петров", "Petrov");
	same("Samsung Electronics Co., Ltd.", "SAMSUNG ELECTRONICS");
	same("(주)삼성", "삼성"); /* other scripts kept, Korean legal form dropped */
	/* Different employers stay apart. */
	differ("Stroyinvest", "Stroymontazh");
	differ("Хаус Строй", "Хаус Строй 2");
	differ("Агро", "Авто");
	differ("삼성", "현대");
	/* Nothing left: "employer not given". */
	assert_int_equal(cases_employer_normalise("", 0, out), 0);
	assert_int_equal(cases_employer_normalise(" ООО ", 9, out), 0);
	assert_int_equal(cases_employer_normalise("«»", 4, out), 0);
	/* Invalid UTF-8 and long names. */
	assert_int_equal(cases_employer_normalise("abc\xff", 4, out), -EILSEQ);
	assert_int_equal(cases_employer_normalise(NULL, 1, out), -EINVAL);
	{
		char big[4096];
		memset(big, 'a', sizeof(big));
		for (size_t i = 0; i < sizeof(big); i += 3) {
			big[i] = 'b';
		}
		assert_int_equal(cases_employer_normalise(big, sizeof(big), out), CASES_EMPLOYER_KEY_MAX);
		/* Long Cyrillic and Korean: cut at a character boundary. */
		static const char ko[] = "삼성삼성삼성삼성삼성삼성삼성삼성삼성삼성삼성삼성삼성삼성삼성";
		int n = cases_employer_normalise(ko, strlen(ko), out);
		assert_int_equal(n, 39); /* 13 three-byte characters */
	}
}

/* --- the threshold rule, on the store's counts, as firmware/cases_svc.c:warn_check() runs it ----------------- */

struct sim {
	void *ctx;
	struct store *st;
	char dir[64], path[96];
	uint32_t number;
	unsigned threshold;
};

static void sim_open(struct sim *s, unsigned threshold)
{
	memset(s, 0, sizeof(*s));
	s->ctx = talloc_named_const(NULL, 0, "test");
	snprintf(s->dir, sizeof(s->dir), "%s/yordam-warn-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->path, sizeof(s->path), "%s/store.db", s->dir);
	assert_int_equal(store_open(s->ctx, s->path, &s->st), 0);
	s->threshold = threshold;
}

static void sim_close(struct sim *s)
{
	char p[128];

	store_close(s->st);
	unlink(s->path);
	snprintf(p, sizeof(p), "%s-wal", s->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", s->path);
	unlink(p);
	rmdir(s->dir);
	talloc_free(s->ctx);
}

/* The key of (category, country, employer as typed): the daemon uses a keyed hash of the same string; any
 * injective map does here. */
static void key_of(int category, const char *country, const char *employer, uint8_t key[32])
{
	char ident[64];

	snprintf(ident, sizeof(ident), "%d:%s:%s", category, country, employer ? norm(employer) : "");
	assert_true(strlen(ident) < 32);
	memset(key, 0, 32);
	memcpy(key, ident, strlen(ident));
}

/* One complaint at t, in its own transaction: 1 when it alerts (and the alert is recorded), else 0. */
static int complaint(struct sim *s, int category, const char *country, const char *employer, int64_t t, int64_t window)
{
	static const uint8_t reporter[32] = {1};
	uint8_t key[32];
	struct store_case c = {0};
	uint64_t seq;
	int64_t last = 0;
	long n;
	int rc, alert;

	key_of(category, country, employer, key);
	assert_int_equal(store_begin(s->st), 0);
	assert_int_equal(store_case_next_seq(s->st, &seq), 0);
	c.id = (int64_t)seq + 1;
	c.number = ++s->number;
	c.kind = 1;
	c.category = category;
	memcpy(c.country, country, 3);
	c.lang = "ru";
	c.channel = 1;
	c.state = 1;
	c.reporter_key = reporter;
	c.reporter_enc = "sealed";
	c.reporter_enc_len = 6;
	c.created = t;
	c.warn_key = key;
	assert_int_equal(store_case_add(s->st, &c), 0);
	assert_int_equal(store_case_warn_count(s->st, key, t - window, &n), 0);
	rc = store_case_alert_last(s->st, key, &last);
	assert_true(rc == 0 || rc == -ENOENT);
	alert = cases_warn_due(n, s->threshold, rc == 0, last, t, window);
	if (alert) {
		assert_int_equal(store_case_alert_add(s->st, category, country, "sealed", 6, t, (int)n, key), 0);
	}
	assert_int_equal(store_commit(s->st), 0);
	return alert;
}

/* Five unpaid-wage complaints about the same employer within seven days, spelt several ways:
 * exactly one alert, at the fifth; other categories, countries, employers do not count. */
static void test_five_in_seven_days(void **state)
{
	static const char *spellings[] = {"ООО «Стройинвест»", "Stroyinvest LLC", "stroy-invest",   "СТРОЙИНВЕСТ",
					  "Stroiinvest",       "Stroyinvest",	  "ooo stroyinvest"};
	struct sim s;
	int i, alerts = 0, rc;

	sim_open(&s, 5);
	/* noise on neighbouring keys first */
	for (i = 0; i < 4; i++) {
		assert_int_equal(complaint(&s, CASES_CAT_UNSAFE_WORK, "RU", spellings[0], T0 + i, 7 * DAY), 0);
		assert_int_equal(complaint(&s, CASES_CAT_UNPAID_WAGES, "KZ", spellings[0], T0 + i, 7 * DAY), 0);
		assert_int_equal(complaint(&s, CASES_CAT_UNPAID_WAGES, "RU", "Other Firm", T0 + i, 7 * DAY), 0);
	}
	for (i = 0; i < 7; i++) {
		rc = complaint(&s, CASES_CAT_UNPAID_WAGES, "RU", spellings[i], T0 + i * DAY, 7 * DAY);
		if (rc) {
			alerts++;
			assert_int_equal(i, 4);
		}
	}
	assert_int_equal(alerts, 1);
	/* One window after the alert (at T0 + 4d) the key may alert again, once, when 5 are in the window:
	 * (T0 + 4d, T0 + 11d] holds 5d, 6d, then 11d - 1, 11d: 4 ... one more makes 5. */
	assert_int_equal(complaint(&s, CASES_CAT_UNPAID_WAGES, "RU", "Stroyinvest", T0 + 11 * DAY - 1, 7 * DAY), 0);
	assert_int_equal(complaint(&s, CASES_CAT_UNPAID_WAGES, "RU", "Stroyinvest", T0 + 11 * DAY, 7 * DAY), 0);
	assert_int_equal(complaint(&s, CASES_CAT_UNPAID_WAGES, "RU", "Stroyinvest", T0 + 11 * DAY + 1, 7 * DAY), 1);
	assert_int_equal(complaint(&s, CASES_CAT_UNPAID_WAGES, "RU", "Stroyinvest", T0 + 11 * DAY + 2, 7 * DAY), 0);
	sim_close(&s);
}

/* Spread out, never five within seven days: no alert; the window's edge; threshold 1. */
static void test_sliding_window(void **state)
{
	struct sim s;
	int i;

	sim_open(&s, 5);
	for (i = 0; i < 30; i++) {
		/* one every 2 days: (t - 7d, t] holds t, t-2d, t-4d, t-6d: never 5 */
		assert_int_equal(complaint(&s, CASES_CAT_DOCUMENTS_RETAINED, "KZ", NULL, T0 + i * (DAY * 2), 7 * DAY),
				 0);
	}
	sim_close(&s);
	/* Exactly at the edge: a complaint 7 days old is out ((now - window, now]). */
	sim_open(&s, 2);
	assert_int_equal(complaint(&s, CASES_CAT_OTHER, "TR", "x", T0, 7 * DAY), 0);
	assert_int_equal(complaint(&s, CASES_CAT_OTHER, "TR", "x", T0 + 7 * DAY, 7 * DAY), 0);
	assert_int_equal(complaint(&s, CASES_CAT_OTHER, "TR", "x", T0 + 7 * DAY + 1, 7 * DAY), 1);
	sim_close(&s);
	/* Threshold 1: every new key alerts at once, then is quiet for a window. */
	sim_open(&s, 1);
	assert_int_equal(complaint(&s, CASES_CAT_VIOLENCE_TRAFFICKING, "TR", NULL, T0, 7 * DAY), 1);
	assert_int_equal(complaint(&s, CASES_CAT_VIOLENCE_TRAFFICKING, "TR", NULL, T0 + DAY, 7 * DAY), 0);
	assert_int_equal(complaint(&s, CASES_CAT_VIOLENCE_TRAFFICKING, "TR", NULL, T0 + 7 * DAY, 7 * DAY), 1);
	sim_close(&s);
}

/* The rule alone, including its guards. */
static void test_due_rule(void **state)
{
	assert_false(cases_warn_due(4, 5, false, 0, T0, 7 * DAY));
	assert_true(cases_warn_due(5, 5, false, 0, T0, 7 * DAY));
	assert_true(cases_warn_due(9, 5, false, 0, T0, 7 * DAY));
	assert_false(cases_warn_due(5, 5, true, T0 - 7 * DAY + 1, T0, 7 * DAY)); /* alerted within the window */
	assert_true(cases_warn_due(5, 5, true, T0 - 7 * DAY, T0, 7 * DAY));	 /* one window ago */
	assert_false(cases_warn_due(5, 0, false, 0, T0, 7 * DAY));		 /* threshold 0: off */
	assert_false(cases_warn_due(5, 5, false, 0, T0, 0));			 /* no window */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_employer_normalise),
		cmocka_unit_test(test_five_in_seven_days),
		cmocka_unit_test(test_sliding_window),
		cmocka_unit_test(test_due_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
