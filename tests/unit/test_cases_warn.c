/* Unit tests for the early warning: employer-name normalisation and the sliding-window tracker. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <osmocom/core/talloc.h>

#include <yordam/cases_warn.h>

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

static struct cases_warn *tracker(void *ctx, unsigned threshold, unsigned capacity)
{
	struct cases_warn_cfg cfg = {.window = 7 * DAY, .threshold = threshold, .capacity = capacity};
	struct cases_warn *w = cases_warn_alloc(ctx, &cfg);

	assert_non_null(w);
	return w;
}

/* Five unpaid-wage complaints about the same employer within seven days, spelt three ways:
 * exactly one alert, at the fifth. */
static void test_five_in_seven_days(void **state)
{
	void *ctx = talloc_named_const(NULL, 0, "test");
	struct cases_warn *w = tracker(ctx, 5, 64);
	static const char *spellings[] = {"ООО «Стройинвест»", "Stroyinvest LLC", "stroy-invest",   "СТРОЙИНВЕСТ",
					  "Stroiinvest",       "Stroyinvest",	  "ooo stroyinvest"};
	struct cases_warn_alert a;
	char key[CASES_EMPLOYER_KEY_MAX + 1];
	int i, alerts = 0, rc;

	for (i = 0; i < 7; i++) {
		assert_true(cases_employer_normalise(spellings[i], strlen(spellings[i]), key) > 0);
		rc = cases_warn_add(w, CASES_CAT_UNPAID_WAGES, "RU", key, T0 + i * DAY, false, &a);
		assert_true(rc == 0 || rc == 1);
		if (rc == 1) {
			alerts++;
			assert_int_equal(i, 4);
			assert_int_equal(a.category, CASES_CAT_UNPAID_WAGES);
			assert_string_equal(a.country, "RU");
			assert_string_equal(a.employer, key);
			assert_int_equal(a.count, 5);
			assert_int_equal(a.first, T0);
			assert_int_equal(a.last, T0 + 4 * DAY);
		}
	}
	assert_int_equal(alerts, 1);
	assert_int_equal(cases_warn_count(w, CASES_CAT_UNPAID_WAGES, "ru", key, T0 + 6 * DAY), 5);
	/* Another category, country or employer is another key. */
	assert_int_equal(cases_warn_count(w, CASES_CAT_UNSAFE_WORK, "RU", key, T0 + 6 * DAY), 0);
	assert_int_equal(cases_warn_count(w, CASES_CAT_UNPAID_WAGES, "KZ", key, T0 + 6 * DAY), 0);
	assert_int_equal(cases_warn_keys(w), 1);

	/* One window after the alert, the count is still at the threshold: a new alert (once). */
	assert_int_equal(cases_warn_add(w, CASES_CAT_UNPAID_WAGES, "RU", key, T0 + 11 * DAY - 1, false, &a), 0);
	assert_int_equal(cases_warn_add(w, CASES_CAT_UNPAID_WAGES, "RU", key, T0 + 11 * DAY, false, &a), 0);
	/* window 4..11: 5,6,11-,11 = 4 in window -> no alert; one more makes 5 */
	assert_int_equal(cases_warn_add(w, CASES_CAT_UNPAID_WAGES, "RU", key, T0 + 11 * DAY + 1, false, &a), 1);
	assert_int_equal(cases_warn_add(w, CASES_CAT_UNPAID_WAGES, "RU", key, T0 + 11 * DAY + 2, false, &a), 0);
	talloc_free(ctx);
}

/* Spread out, never five within seven days: no alert. */
static void test_sliding_window(void **state)
{
	void *ctx = talloc_named_const(NULL, 0, "test");
	struct cases_warn *w = tracker(ctx, 5, 16);
	struct cases_warn_alert a;
	int i;

	for (i = 0; i < 30; i++) {
		/* one every 2 days: (t - 7d, t] holds t, t-2d, t-4d, t-6d: never 5 */
		assert_int_equal(
			cases_warn_add(w, CASES_CAT_DOCUMENTS_RETAINED, "KZ", "", T0 + i * (DAY * 2), false, &a), 0);
	}
	assert_int_equal(cases_warn_count(w, CASES_CAT_DOCUMENTS_RETAINED, "KZ", "", T0 + 29 * 2 * DAY), 4);
	/* Exactly at the edge: a complaint 7 days old is out ((now - window, now]). */
	w = tracker(ctx, 2, 16);
	assert_int_equal(cases_warn_add(w, CASES_CAT_OTHER, "TR", "x", T0, false, &a), 0);
	assert_int_equal(cases_warn_add(w, CASES_CAT_OTHER, "TR", "x", T0 + 7 * DAY, false, &a), 0);
	assert_int_equal(cases_warn_add(w, CASES_CAT_OTHER, "TR", "x", T0 + 7 * DAY + 1, false, &a), 1);
	/* Threshold 1: every new key alerts at once, then is quiet for a window. */
	w = tracker(ctx, 1, 16);
	assert_int_equal(cases_warn_add(w, CASES_CAT_VIOLENCE_TRAFFICKING, "TR", "", T0, false, &a), 1);
	assert_int_equal(cases_warn_add(w, CASES_CAT_VIOLENCE_TRAFFICKING, "TR", "", T0 + DAY, false, &a), 0);
	assert_int_equal(cases_warn_add(w, CASES_CAT_VIOLENCE_TRAFFICKING, "TR", "", T0 + 7 * DAY, false, &a), 1);
	talloc_free(ctx);
}

/* After a restart the caller replays the last window from the store: counts come back, no alert
 * is repeated, and the next complaint behaves as if there had been no restart. */
static void test_replay(void **state)
{
	void *ctx = talloc_named_const(NULL, 0, "test");
	struct cases_warn *w = tracker(ctx, 3, 16);
	struct cases_warn_alert a;

	assert_int_equal(cases_warn_add(w, CASES_CAT_UNSAFE_WORK, "KR", "hyundai", T0, true, &a), 0);
	assert_int_equal(cases_warn_add(w, CASES_CAT_UNSAFE_WORK, "KR", "hyundai", T0 + 1, true, &a), 0);
	assert_int_equal(cases_warn_add(w, CASES_CAT_UNSAFE_WORK, "KR", "hyundai", T0 + 2, true, &a), 0); /* crossed */
	assert_int_equal(cases_warn_add(w, CASES_CAT_UNSAFE_WORK, "KR", "hyundai", T0 + 3, false, &a), 0);
	assert_int_equal(cases_warn_count(w, CASES_CAT_UNSAFE_WORK, "KR", "hyundai", T0 + 3), 3);
	/* Out of order (a clock step back): still counted, no crash, no double alert. */
	assert_int_equal(cases_warn_add(w, CASES_CAT_UNSAFE_WORK, "KR", "hyundai", T0 - 3600, false, &a), 0);
	talloc_free(ctx);
}

/* Memory is bounded: a full table evicts the key seen least recently, and says so. */
static void test_bounded(void **state)
{
	void *ctx = talloc_named_const(NULL, 0, "test");
	struct cases_warn *w = tracker(ctx, 3, 8);
	struct cases_warn_alert a;
	char key[16];
	size_t before = talloc_total_size(ctx);
	int i;

	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "employer%d", i);
		assert_int_equal(cases_warn_add(w, CASES_CAT_UNPAID_WAGES, "RU", key, T0 + i, false, &a), 0);
	}
	assert_int_equal(cases_warn_keys(w), 8);
	assert_int_equal(cases_warn_evictions(w), 992);
	assert_int_equal(talloc_total_size(ctx), before);
	/* The recent keys are still there and still count. */
	assert_int_equal(cases_warn_count(w, CASES_CAT_UNPAID_WAGES, "RU", "employer999", T0 + 1000), 1);
	assert_int_equal(cases_warn_count(w, CASES_CAT_UNPAID_WAGES, "RU", "employer0", T0 + 1000), 0);
	/* A key that keeps being seen survives a flood of one-off keys. */
	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "flood%d", i);
		assert_int_equal(cases_warn_add(w, CASES_CAT_OTHER, "RU", key, T0 + 2000 + 2 * i, false, &a), 0);
		if (i % 4 == 0) {
			assert_true(cases_warn_add(w, CASES_CAT_UNPAID_WAGES, "RU", "busy", T0 + 2001 + 2 * i, false,
						   &a) >= 0);
		}
	}
	assert_int_equal(cases_warn_count(w, CASES_CAT_UNPAID_WAGES, "RU", "busy", T0 + 2200), 3);
	assert_int_equal(cases_warn_keys(w), 8);
	talloc_free(ctx);
}

static void test_bad_args(void **state)
{
	void *ctx = talloc_named_const(NULL, 0, "test");
	struct cases_warn *w = tracker(ctx, 3, 8);
	struct cases_warn_cfg cfg = {.window = 7 * DAY, .threshold = 3, .capacity = 8};
	char long_key[CASES_EMPLOYER_KEY_MAX + 2];

	memset(long_key, 'a', sizeof(long_key) - 1);
	long_key[sizeof(long_key) - 1] = '\0';
	assert_int_equal(cases_warn_add(w, 0, "RU", "", T0, false, NULL), -EINVAL);
	assert_int_equal(cases_warn_add(w, 8, "RU", "", T0, false, NULL), -EINVAL);
	assert_int_equal(cases_warn_add(w, CASES_CAT_OTHER, "R", "", T0, false, NULL), -EINVAL);
	assert_int_equal(cases_warn_add(w, CASES_CAT_OTHER, "RUS", "", T0, false, NULL), -EINVAL);
	assert_int_equal(cases_warn_add(w, CASES_CAT_OTHER, "R1", "", T0, false, NULL), -EINVAL);
	assert_int_equal(cases_warn_add(w, CASES_CAT_OTHER, NULL, "", T0, false, NULL), -EINVAL);
	assert_int_equal(cases_warn_add(w, CASES_CAT_OTHER, "RU", long_key, T0, false, NULL), -EINVAL);
	assert_int_equal(cases_warn_add(w, CASES_CAT_OTHER, "RU", "", INT64_MAX, false, NULL), -EINVAL);
	assert_int_equal(cases_warn_add(NULL, CASES_CAT_OTHER, "RU", "", T0, false, NULL), -EINVAL);
	/* NULL employer = "", NULL alert is allowed. */
	assert_int_equal(cases_warn_add(w, CASES_CAT_OTHER, "RU", NULL, T0, false, NULL), 0);
	assert_int_equal(cases_warn_count(w, CASES_CAT_OTHER, "RU", "", T0), 1);
	assert_true(cases_warn_cfg_valid(&cfg));
	cfg.threshold = 0;
	assert_false(cases_warn_cfg_valid(&cfg));
	assert_null(cases_warn_alloc(ctx, &cfg));
	cfg.threshold = CASES_WARN_MAX_THRESHOLD + 1;
	assert_false(cases_warn_cfg_valid(&cfg));
	cfg.threshold = 3;
	cfg.window = 0;
	assert_false(cases_warn_cfg_valid(&cfg));
	cfg.window = DAY;
	cfg.capacity = 0;
	assert_false(cases_warn_cfg_valid(&cfg));
	assert_false(cases_warn_cfg_valid(NULL));
	talloc_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_employer_normalise),
		cmocka_unit_test(test_five_in_seven_days),
		cmocka_unit_test(test_sliding_window),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_bad_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
