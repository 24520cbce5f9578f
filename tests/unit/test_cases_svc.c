/* The cases service's pure parts (firmware/cases_svc.c): intake keywords across languages, scripts
 * and case; excerpts cut at character boundaries; the texts that answer a malformed staff command, and the
 * built-in English of every text the service sends. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <osmocom/core/talloc.h>

#include <yordam/text.h>

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

/* Each refusal of cases_cmd_parse that a staff member is answered for has a pack text of its own, sent as written;
 * EMPTY and UNKNOWN go on to the menu router unanswered. */
static void test_cmd_err_texts(void **state)
{
	bool used[_NUM_MENU_UI_ALL] = {false};
	unsigned e, n = 0;

	assert_int_equal(cases_svc_cmd_err_text(CASES_CMD_E_CHECK_DIGIT), MENU_UI_STAFF_ERR_CHECK_DIGIT);
	assert_int_equal(cases_svc_cmd_err_text(CASES_CMD_E_NO_TEXT), MENU_UI_STAFF_ERR_NO_TEXT);
	assert_int_equal(cases_svc_cmd_err_text(CASES_CMD_E_NO_CASE), MENU_UI_STAFF_ERR_NO_CASE);
	assert_int_equal(cases_svc_cmd_err_text(_CASES_CMD_E_COUNT), -ENOENT);
	for (e = 0; e < _CASES_CMD_E_COUNT; e++) {
		int k = cases_svc_cmd_err_text((enum cases_cmd_err)e);

		if (e == CASES_CMD_E_OK || e == CASES_CMD_E_EMPTY || e == CASES_CMD_E_UNKNOWN) {
			assert_int_equal(k, -ENOENT);
			continue;
		}
		assert_true(k >= MENU_UI_STAFF_ERR_TOO_LONG && k <= MENU_UI_STAFF_ERR_TRAILING);
		assert_false(used[k]);
		used[k] = true;
		n++;
		assert_int_equal(strncmp(menu_ui_keys[k], "staff_err_", 10), 0);
		assert_null(menu_ui_placeholders((enum menu_ui)k)[0]);
	}
	assert_int_equal(n, MENU_UI_STAFF_ERR_TRAILING - MENU_UI_STAFF_ERR_TOO_LONG + 1);
}

/* Every text the service sends has built-in English, so a pack without it still answers: with each of its
 * placeholders and no other '{' (as the pack loader demands of a pack's). The later texts (the answers to a malformed
 * staff command, the state and kind words), which a pack may leave out, are the bundled pack's English and fit one
 * GSM-7 part. */
static void test_builtin_texts(void **state)
{
	void *ctx = talloc_new(NULL);
	struct menu_report rep = {0};
	char path[512];
	struct menu_tree *t;
	unsigned k, i, en;

	snprintf(path, sizeof(path), "%s/menus/content", getenv("YORDAM_SRC"));
	t = menu_pack_load(ctx, path, "en", &rep);
	assert_non_null(t);
	for (en = 0; en < t->n_lang && strcmp(t->lang_code[en], "en"); en++) {
	}
	assert_true(en < t->n_lang);
	for (k = MENU_UI_SMS_FILED; k < _NUM_MENU_UI_ALL; k++) {
		const char *b = cases_svc_builtin((enum menu_ui)k);
		const char *const *vars = menu_ui_placeholders((enum menu_ui)k);
		unsigned braces = 0;
		const char *p;

		assert_non_null(b);
		assert_non_null(vars);
		for (p = strchr(b, '{'); p; p = strchr(p + 1, '{')) {
			braces++;
		}
		for (i = 0; vars[i]; i++) {
			char ph[40];
			const char *q = b;

			snprintf(ph, sizeof(ph), "{%s}", vars[i]);
			assert_non_null(strstr(b, ph));
			while ((q = strstr(q, ph))) {
				braces--;
				q++;
			}
		}
		if (braces) {
			fprintf(stderr, "built-in %s: a '{' that is no placeholder: %s\n", menu_ui_keys[k], b);
		}
		assert_int_equal(braces, 0);
		if (k >= MENU_UI_LATER) {
			assert_string_equal(b, t->ui[k][en]);
			assert_int_equal(text_coding_of(b, strlen(b)), TEXT_GSM7);
			assert_true(text_units(b, strlen(b), TEXT_GSM7) <= 160);
		}
	}
	assert_null(cases_svc_builtin(_NUM_MENU_UI_ALL));
	talloc_free(ctx);
}

/* One staff_state_* text per case state, in the FSM's order, and its English is the state's own name (what staff
 * saw before the pack had them). */
static void test_state_words(void **state)
{
	char key[48];
	int s;

	for (s = CASES_ST_MIN; s <= CASES_ST_MAX; s++) {
		enum menu_ui k = (enum menu_ui)(MENU_UI_STAFF_STATE_NEW + s - CASES_ST_MIN);

		snprintf(key, sizeof(key), "staff_state_%s", cases_state_name(s));
		assert_string_equal(menu_ui_keys[k], key);
		assert_string_equal(cases_svc_builtin(k), cases_state_name(s));
		assert_null(menu_ui_placeholders(k)[0]);
	}
	assert_string_equal(cases_svc_builtin(MENU_UI_STAFF_KIND_COMPLAINT), "complaint");
	assert_string_equal(cases_svc_builtin(MENU_UI_STAFF_KIND_CALLBACK), "callback");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keywords),      cmocka_unit_test(test_excerpt),
		cmocka_unit_test(test_cmd_err_texts), cmocka_unit_test(test_builtin_texts),
		cmocka_unit_test(test_state_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
