/* The cases service's pure parts (firmware/cases_svc.c): intake keywords across languages, scripts
 * and case; excerpts cut at character boundaries. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <osmocom/core/talloc.h>

#include "daemon.h"

static void test_keywords(void **state)
{
	static const struct {
		const char *text;
		int kw;
		size_t used;
	} t[] = {
		{"COMPLAINT 1 text", CASES_KW_COMPLAINT, 9},
		{"complaint", CASES_KW_COMPLAINT, 9},
		{"  Shikoyat ish haqi", CASES_KW_COMPLAINT, 10},
		{"ШИКОЯТ матн", CASES_KW_COMPLAINT, 12},
		{"жалоба 1 не платят", CASES_KW_COMPLAINT, 12},
		{"ЖАЛОБА", CASES_KW_COMPLAINT, 12},
		{"STATUS 123 4566", CASES_KW_STATUS, 6},
		{"status1234566", CASES_KW_STATUS, 6},
		{"HOLAT 1234566 1234", CASES_KW_STATUS, 5},
		{"ҲОЛАТ 1234566", CASES_KW_STATUS, 10},
		{"СТАТУС 1234566", CASES_KW_STATUS, 12},
		{"CALLBACK", CASES_KW_CALLBACK, 8},
		{"qo'ng'iroq", CASES_KW_CALLBACK, 10},
		{"Qoʻngʻiroq", CASES_KW_CALLBACK, 12},
		{"ЗВОНОК", CASES_KW_CALLBACK, 12},
	};
	static const char *const no[] = {"", "   ", "HUQUQ", "OK 1234566", "complaints", "R 1234566 text", "1 2"};
	unsigned i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t used = 0;

		assert_int_equal(cases_svc_keyword(t[i].text, &used), t[i].kw);
		assert_int_equal(used, t[i].used);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		assert_int_equal(cases_svc_keyword(no[i], NULL), -ENOENT);
	}
}

static void test_excerpt(void **state)
{
	void *ctx = talloc_new(NULL);

	assert_string_equal(cases_svc_excerpt(ctx, "short", 60), "short");
	assert_string_equal(cases_svc_excerpt(ctx, "line\none\ttab", 60), "line one tab");
	assert_string_equal(cases_svc_excerpt(ctx, "abcdef", 3), "abc");
	/* never half a character: "ж" is two bytes */
	assert_string_equal(cases_svc_excerpt(ctx, "ажб", 2), "а");
	assert_string_equal(cases_svc_excerpt(ctx, "ажб", 3), "а");
	assert_string_equal(cases_svc_excerpt(ctx, "ажб", 4), "аж");
	talloc_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keywords),
		cmocka_unit_test(test_excerpt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
