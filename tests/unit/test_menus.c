/* Menu model: pack parsing and validation, fallback, navigation, pagination, screen fit, store
 * round trip. Test packs live in tests/data/packs/; small ones are inline. */
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

#include <yordam/menu.h>
#include <yordam/store.h>
#include <yordam/text.h>

#include "report_msgs.h"

/* A complete one-language pack: 21 lines. */
static const char mini[] = "[language en]\n"
			   "name = English\n"
			   "[ui]\n"
			   "back.en = Back\n"
			   "home.en = Home\n"
			   "more.en = More\n"
			   "invalid.en = Invalid\n"
			   "choose_lang.en = Language\n"
			   "lang_saved.en = Saved\n"
			   "no_hotlines.en = None\n"
			   "timeout.en = Timeout\n"
			   "goodbye.en = Bye\n"
			   "example.en = EXAMPLE\n"
			   "resume.en = 1 Continue\\n2 Start over\n"
			   "[node home]\n"
			   "kind = menu\n"
			   "title.en = Home\n"
			   "[node lang]\n"
			   "parent = home\n"
			   "kind = language\n"
			   "title.en = Language\n";

static struct menu_tree *parse_mini(void *ctx, const char *extra, const char *fallback, struct menu_report *rep)
{
	char *buf = talloc_asprintf(ctx, "%s%s", mini, extra);
	struct menu_tree *t = menu_pack_parse(ctx, "t.pack", buf, strlen(buf), fallback, rep);

	talloc_free(buf);
	return t;
}

static char *pack_dir(void *ctx, const char *name)
{
	const char *src = getenv("YORDAM_SRC");

	return talloc_asprintf(ctx, "%s/tests/data/packs/%s", src ? src : ".", name);
}

static struct menu_tree *load_basic(void *ctx, struct menu_report *rep)
{
	struct menu_tree *t = menu_pack_load(ctx, pack_dir(ctx, "basic"), "en", rep);

	if (!t) {
		dump_msgs(rep->data);
	}
	assert_non_null(t);
	return t;
}

static const struct menu_caps caps_list[] = {
	{128, 56}, {182, 80}, {160, 70}, {40, 20}, {16, 16}, {60, 24},
};

/* --- parse errors ------------------------------------------------------------------------ */

struct err_case {
	const char *extra;
	const char *msg;
};

static const struct err_case err_cases[] = {
	{"[node a]\nparent = home\ntitle.en = A\n", "t.pack:22: node a: kind missing"},
	{"[node a]\nparent = home\nkind = article\ncolour = red\n", "t.pack:25: unknown key 'colour' in [node]"},
	{"[node a]\nparent = home\nkind = menu\ntitle.en = A\ntitle.en = B\n", "t.pack:26: duplicate key 'title.en'"},
	{"[node lang]\nparent = home\nkind = menu\ntitle.en = L\n", "t.pack:22: duplicate node ID 'lang'"},
	{"[node a]\nparent = nowhere\nkind = menu\ntitle.en = A\n", "t.pack:22: node a: unknown parent 'nowhere'"},
	{"[node a]\nparent = b\nkind = menu\ntitle.en = A\n[node b]\nparent = a\nkind = menu\ntitle.en = B\n",
	 "t.pack:22: node a: cycle in its parents"},
	{"[node a]\nparent = lang\nkind = menu\ntitle.en = A\n", "t.pack:22: node a: parent lang is not a menu"},
	{"[node c1]\nparent = home\nkind = menu\ntitle.en = 1\n"
	 "[node c2]\nparent = home\nkind = menu\ntitle.en = 2\n"
	 "[node c3]\nparent = home\nkind = menu\ntitle.en = 3\n"
	 "[node c4]\nparent = home\nkind = menu\ntitle.en = 4\n"
	 "[node c5]\nparent = home\nkind = menu\ntitle.en = 5\n"
	 "[node c6]\nparent = home\nkind = menu\ntitle.en = 6\n"
	 "[node c7]\nparent = home\nkind = menu\ntitle.en = 7\n"
	 "[node c8]\nparent = home\nkind = menu\ntitle.en = 8\n",
	 "t.pack:50: node c8: more than 8 children in home"},
	{"[node a]\nparent = home\nkind = menu\ntitle.en = A\\tB\n", "t.pack:25: bad escape"},
	{"[node a]\nparent = home\nkind = menu\ntitle.en = A\\\n", "t.pack:25: lone backslash"},
	{"[node a]\nparent = home\nkind = menu\ntitle.en = A\xff\n", "t.pack:25: invalid UTF-8"},
	{"[node a]\nparent = home\nkind = menu\ntitle.en = A\xc0\xaf\n", "t.pack:25: invalid UTF-8"},
	{"[node a]\nparent = home\nkind = menu\ntitle.en = A\ntitle.fr = B\n",
	 "t.pack:26: language 'fr' is not declared"},
	{"[language ru]\nname = Русский\n[node a]\nparent = home\nkind = menu\ntitle.ru = А\n",
	 "t.pack:24: node a: title missing in the fallback language en"},
	{"[node a]\nparent = home\nkind = article\ntitle.en = A\n", "t.pack:22: node a: body missing"},
	{"[node a]\nparent = home\nkind = hotlines\ntitle.en = A\n", "t.pack:22: node a: country missing"},
	{"[node a]\nkind = menu\ntitle.en = A\n", "t.pack:22: node a: no parent, but home is the root"},
	{"[node a]\nparent = home\nkind = folder\n", "t.pack:24: unknown kind 'folder'"},
	{"[nodes a]\n", "t.pack:22: unknown section type 'nodes'"},
	{"[node a\n", "t.pack:22: section header without closing ']'"},
	{"just text\n", "t.pack:22: expected [section]"},
	{"[node a]\nparent = home\nkind = menu\ntitle.en = \n", "t.pack:25: empty value for 'title'"},
	{"[hotline h]\ncountry = Korea\n", "t.pack:23: bad country"},
	{"[hotline h]\ncountry = KR\ntopic = x\nnumber = call me\n", "t.pack:25: bad number"},
	{"[hotline h]\ncountry = KR\ntopic = x\nname.en = H\n", "t.pack:22: hotline h: number missing"},
	{"[ui]\nback.en = Again\n", "t.pack:23: duplicate key 'back.en'"},
	{"[ui]\nhelp.en = Help\n", "t.pack:23: unknown key 'help.en' in [ui]"},
	{"[language en]\nname = E\n", "t.pack:22: language 'en' declared twice"},
};

static void test_parse_errors(void **state)
{
	void *ctx = talloc_new(NULL);
	unsigned i;

	for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		struct msgs m = {0};
		struct menu_report rep = {.cb = collect, .data = &m};
		struct menu_tree *t = parse_mini(ctx, err_cases[i].extra, "en", &rep);

		if (t || !has_msg(&m, true, err_cases[i].msg)) {
			fprintf(stderr, "case %u: expected error \"%s\", got:\n", i, err_cases[i].msg);
			dump_msgs(&m);
		}
		assert_null(t);
		assert_true(rep.n_errors >= 1);
		assert_true(has_msg(&m, true, err_cases[i].msg));
	}
	talloc_free(ctx);
}

static void test_parse_whole_pack_errors(void **state)
{
	void *ctx = talloc_new(NULL);
	struct msgs m = {0};
	struct menu_report rep = {.cb = collect, .data = &m};
	static const char no_lang_node[] = "[language en]\nname = E\n[node home]\nkind = menu\ntitle.en = H\n";
	static const char nul[] = "[language en]\nna\0me = E\n";

	/* The mini pack is fine; an undeclared fallback is not. */
	assert_non_null(parse_mini(ctx, "", "en", &rep));
	assert_int_equal(rep.n_errors, 0);
	assert_int_equal(rep.n_warnings, 0);
	assert_null(parse_mini(ctx, "", "de", &rep));
	assert_true(has_msg(&m, true, "the fallback language 'de' is not declared"));

	memset(&m, 0, sizeof(m));
	assert_null(menu_pack_parse(ctx, "x.pack", no_lang_node, strlen(no_lang_node), "en", &rep));
	assert_true(has_msg(&m, true, "no node of kind language"));
	assert_true(has_msg(&m, true, "ui: back missing in the fallback language en"));

	memset(&m, 0, sizeof(m));
	assert_null(menu_pack_parse(ctx, "x.pack", nul, sizeof(nul) - 1, "en", &rep));
	assert_true(has_msg(&m, true, "x.pack:2: NUL byte"));

	memset(&m, 0, sizeof(m));
	assert_null(menu_pack_parse(ctx, "x.pack", "", 0, "en", &rep));
	assert_true(has_msg(&m, true, "no language declared"));

	memset(&m, 0, sizeof(m));
	assert_null(menu_pack_load(ctx, "/nonexistent/yordam", "en", &rep));
	assert_true(has_msg(&m, true, "/nonexistent/yordam: cannot open"));
	talloc_free(ctx);
}

static void test_fallback_warnings(void **state)
{
	void *ctx = talloc_new(NULL);
	struct msgs m = {0};
	struct menu_report rep = {.cb = collect, .data = &m};
	struct menu_tree *t;

	/* ru declared, nothing translated: 11 ui keys and 2 titles fall back to en. */
	t = parse_mini(ctx, "[language ru]\nname = Русский\n", "en", &rep);
	assert_non_null(t);
	assert_int_equal(rep.n_errors, 0);
	assert_int_equal(rep.n_warnings, 13);
	assert_true(has_msg(&m, false, "t.pack:15: node home: title missing in ru, using en"));
	assert_true(has_msg(&m, false, "ui: back missing in ru, using en"));
	assert_string_equal(t->root->title[1], "Home");

	/* The basic pack lacks ru in one article: title and body. */
	memset(&m, 0, sizeof(m));
	rep = (struct menu_report){.cb = collect, .data = &m};
	t = load_basic(ctx, &rep);
	assert_int_equal(rep.n_errors, 0);
	assert_int_equal(rep.n_warnings, 2);
	assert_true(has_msg(&m, false, "20-menu.pack:97: node about: title missing in ru, using en"));
	assert_true(has_msg(&m, false, "20-menu.pack:97: node about: body missing in ru, using en"));
	talloc_free(ctx);
}

static void test_tree_shape(void **state)
{
	void *ctx = talloc_new(NULL);
	struct msgs m = {0};
	struct menu_report rep = {.cb = collect, .data = &m};
	struct menu_tree *t = load_basic(ctx, &rep);
	const struct menu_node *n;

	assert_int_equal(t->n_lang, 3);
	assert_string_equal(t->lang_code[0], "uz-Latn");
	assert_string_equal(t->lang_name[1], "Русский");
	assert_int_equal(t->fallback, 2);
	assert_string_equal(t->root->id, "home");
	assert_ptr_equal(t->nodes[0], t->root);
	assert_int_equal(t->root->n_child, 8);
	assert_string_equal(t->lang_node->id, "lang");
	n = menu_node_by_id(t, "rights-kr");
	assert_non_null(n);
	assert_string_equal(n->parent->id, "rights");
	assert_ptr_equal(n->parent->child[1], n);
	assert_string_equal(menu_node_by_id(t, "rights")->keywords[1], "права, закон");
	assert_null(menu_node_by_id(t, "about")->keywords[0]);
	assert_string_equal(menu_node_by_id(t, "hot-kr")->country, "KR");
	assert_null(menu_node_by_id(t, "nope"));
	assert_int_equal(menu_lang_index(t, "ru"), 1);
	assert_int_equal(menu_lang_index(t, "de"), -ENOENT);
	assert_int_equal(t->n_hotlines, 2);
	assert_true(t->hotlines[1]->example);
	assert_null(t->hotlines[1]->source);
	assert_string_equal(t->hotlines[0]->source, "https://www.hikorea.go.kr");
	/* A body's \n is a line break. */
	assert_non_null(strstr(menu_node_by_id(t, "rights-ru")->body[2], "month.\nAsk"));
	assert_string_equal(menu_kind_name(MENU_K_HOTLINES), "hotlines");
	assert_int_equal(menu_kind_parse("language"), MENU_K_LANGUAGE);
	assert_int_equal(menu_kind_parse("Menu"), -EINVAL);
	assert_string_equal(menu_ui_keys[MENU_UI_LANG_SAVED], "lang_saved");
	talloc_free(ctx);
}

/* --- rendering --------------------------------------------------------------------------- */

static unsigned budget_of(const char *screen, const struct menu_caps *caps, enum text_coding *coding)
{
	int c = text_coding_of(screen, strlen(screen));

	assert_true(c >= 0);
	*coding = c;
	return c == TEXT_GSM7 ? caps->gsm7 : caps->ucs2;
}

/* Every page of every node in every language fits the budget of its coding, with or without a
 * notice, and is never empty. */
static void check_fit(const struct menu_tree *t, const struct menu_caps *caps)
{
	char out[1024];
	unsigned i, lang, p, k;

	for (i = 0; i < t->n_nodes; i++) {
		for (lang = 0; lang < t->n_lang; lang++) {
			struct menu_cursor c = {t->nodes[i], 0};
			unsigned np = 0, np2;
			int rc = menu_render(t, &c, lang, caps, NULL, out, sizeof(out), &np);

			if (rc < 0) {
				fprintf(stderr, "node %s lang %u caps %u/%u: %d\n", t->nodes[i]->id, lang, caps->gsm7,
					caps->ucs2, rc);
			}
			assert_true(rc > 0);
			assert_true(np >= 1);
			for (p = 0; p < np; p++) {
				const char *notices[] = {NULL, t->ui[MENU_UI_INVALID][lang],
							 t->ui[MENU_UI_LANG_SAVED][lang], "Уведомление 😀 long notice"};

				for (k = 0; k < 4; k++) {
					enum text_coding coding;
					unsigned budget;
					long u;

					c.page = p;
					rc = menu_render(t, &c, lang, caps, notices[k], out, sizeof(out), &np2);
					assert_true(rc > 0);
					assert_int_equal(rc, strlen(out));
					assert_int_equal(np2, np);
					budget = budget_of(out, caps, &coding);
					u = text_units(out, rc, coding);
					if (u < 0 || (unsigned)u > budget) {
						fprintf(stderr, "over budget %u: [%s]\n", budget, out);
					}
					assert_true(u >= 0 && (unsigned)u <= budget);
					/* A screen never starts with its footer. */
					assert_true(out[0] != '\n');
				}
			}
			c.page = np;
			assert_int_equal(menu_render(t, &c, lang, caps, NULL, out, sizeof(out), &np), -EINVAL);
		}
	}
}

static void test_fit(void **state)
{
	void *ctx = talloc_new(NULL);
	struct msgs m = {0};
	struct menu_report rep = {.cb = collect, .data = &m};
	struct menu_tree *t = load_basic(ctx, &rep);
	unsigned i;

	for (i = 0; i < sizeof(caps_list) / sizeof(caps_list[0]); i++) {
		check_fit(t, &caps_list[i]);
	}
	talloc_free(ctx);
}

static void test_render_args(void **state)
{
	void *ctx = talloc_new(NULL);
	struct msgs m = {0};
	struct menu_report rep = {.cb = collect, .data = &m};
	struct menu_tree *t = load_basic(ctx, &rep);
	struct menu_caps caps = {128, 56}, tiny = {10, 10}, huge = {300, 200};
	struct menu_node stray = {.id = "stray"};
	struct menu_cursor c = {t->root, 0}, bad = {&stray, 0}, none = {NULL, 0};
	char out[1024];
	unsigned np;

	assert_true(menu_render(t, &c, 2, &caps, NULL, out, sizeof(out), &np) > 0);
	assert_int_equal(menu_render(t, &c, 2, &caps, NULL, out, 5, &np), -ENOSPC);
	assert_int_equal(menu_render(t, &c, 3, &caps, NULL, out, sizeof(out), &np), -EINVAL);
	assert_int_equal(menu_render(t, &c, 2, &tiny, NULL, out, sizeof(out), &np), -EINVAL);
	assert_int_equal(menu_render(t, &c, 2, &huge, NULL, out, sizeof(out), &np), -EINVAL);
	assert_int_equal(menu_render(t, &bad, 2, &caps, NULL, out, sizeof(out), &np), -EINVAL);
	assert_int_equal(menu_render(t, &none, 2, &caps, NULL, out, sizeof(out), &np), -EINVAL);
	assert_int_equal(menu_render(NULL, &c, 2, &caps, NULL, out, sizeof(out), &np), -EINVAL);
	talloc_free(ctx);
}

static void render(const struct menu_tree *t, const char *id, unsigned page, unsigned lang,
		   const struct menu_caps *caps, const char *notice, char *out, unsigned *np)
{
	struct menu_cursor c = {menu_node_by_id(t, id), page};
	int rc;

	assert_non_null(c.node);
	rc = menu_render(t, &c, lang, caps, notice, out, 1024, np);
	assert_true(rc > 0);
}

static const char fox[] = "[node art]\n"
			  "parent = home\n"
			  "kind = article\n"
			  "title.en = Fox\n"
			  "body.en = The quick brown fox jumps over the lazy dog. It runs away.\n";

static void test_paginate_article(void **state)
{
	void *ctx = talloc_new(NULL);
	struct menu_report rep = {0};
	struct menu_tree *t = parse_mini(ctx, fox, "en", &rep);
	struct menu_caps caps = {48, 20};
	char out[1024];
	unsigned np;

	assert_non_null(t);
	render(t, "art", 0, 0, &caps, NULL, out, &np);
	assert_int_equal(np, 2);
	/* "00 Home" is left out where "0" leads to the main menu anyway; the cut may fall right
	 * before a space that does not fit. */
	assert_string_equal(out, "Fox\nThe quick brown fox jumps over\n9 More 0 Back");
	render(t, "art", 1, 0, &caps, NULL, out, &np);
	assert_string_equal(out, "the lazy dog. It runs away.\n0 Back 00 Home");
	/* A notice keeps the caller's place: notice and the keys valid there. */
	render(t, "art", 1, 0, &caps, "Invalid", out, &np);
	assert_string_equal(out, "Invalid\n0 Back 00 Home");

	/* The root on one page has no footer at all; a menu's notice takes the heading's place. */
	render(t, "home", 0, 0, &caps, NULL, out, &np);
	assert_string_equal(out, "Home\n1 Language\n2 Fox");
	render(t, "home", 0, 0, &caps, "Invalid", out, &np);
	assert_string_equal(out, "Invalid\n1 Language\n2 Fox");
	render(t, "lang", 0, 0, &caps, NULL, out, &np);
	assert_string_equal(out, "Language\n1 English\n0 Back");

	/* Labels that would eat more than half the screen leave the keys alone. */
	caps.gsm7 = 40;
	render(t, "art", 0, 0, &caps, NULL, out, &np);
	assert_string_equal(out, "Fox\nThe quick brown fox jumps over\n9 0");
	talloc_free(ctx);
}

static void test_paginate_menu(void **state)
{
	void *ctx = talloc_new(NULL);
	struct menu_report rep = {0};
	struct menu_tree *t =
		parse_mini(ctx,
			   "[node a]\nparent = home\nkind = menu\ntitle.en = Alpha\n"
			   "[node b]\nparent = home\nkind = menu\ntitle.en = Bravo\n"
			   "[node c]\nparent = home\nkind = menu\ntitle.en = Charlie\n"
			   "[node d]\nparent = home\nkind = menu\ntitle.en = A word that can never fit here\n",
			   "en", &rep);
	struct menu_caps caps = {40, 20};
	char out[1024];
	unsigned np;

	assert_non_null(t);
	/* Heading reserve: max(Home, Invalid, Saved) = 7 units; footer with labels is 15 > 40/2,
	 * so keys only. */
	render(t, "home", 0, 0, &caps, NULL, out, &np);
	assert_int_equal(np, 3);
	assert_string_equal(out, "Home\n1 Language\n2 Alpha\n3 Bravo\n9");
	render(t, "home", 1, 0, &caps, NULL, out, &np);
	assert_string_equal(out, "Home\n4 Charlie\n9 0");
	render(t, "home", 2, 0, &caps, NULL, out, &np);
	assert_string_equal(out, "Home\n5 A word that can never fit he\n0");
	render(t, "home", 2, 0, &caps, "Invalid", out, &np);
	assert_string_equal(out, "Invalid\n5 A word that can never fit he\n0");
	talloc_free(ctx);
}

static void test_navigation(void **state)
{
	void *ctx = talloc_new(NULL);
	struct msgs m = {0};
	struct menu_report rep = {.cb = collect, .data = &m};
	struct menu_tree *t = load_basic(ctx, &rep);
	struct menu_caps caps = {128, 56};
	struct menu_cursor c = {t->root, 0};
	const struct menu_node *rights = menu_node_by_id(t, "rights");
	const struct menu_node *art = menu_node_by_id(t, "rights-ru");
	const struct menu_node *returnees = menu_node_by_id(t, "returnees");
	static const char *const invalid[] = {"", "10", "abc", "#", "9 9", "01", "000", "*", "1#", "+1", "-1", " "};
	char out[1024];
	unsigned lang = 2, np_root, np_art, i;

	render(t, "home", 0, lang, &caps, NULL, out, &np_root);
	assert_true(np_root >= 2);

	/* Invalid inputs leave the cursor where it was; so does 0 at the root's first page. */
	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		assert_int_equal(menu_input(t, &c, &lang, &caps, invalid[i]), MENU_A_INVALID);
		assert_ptr_equal(c.node, t->root);
		assert_int_equal(c.page, 0);
	}
	assert_int_equal(menu_input(t, &c, &lang, &caps, "0"), MENU_A_INVALID);
	assert_int_equal(menu_input(t, &c, &lang, &caps, NULL), MENU_A_INVALID);

	/* Down, more, back a page, up a level, home. */
	assert_int_equal(menu_input(t, &c, &lang, &caps, " 2\r\n"), MENU_A_SHOW);
	assert_ptr_equal(c.node, rights);
	assert_int_equal(menu_input(t, &c, &lang, &caps, "3"), MENU_A_INVALID);
	assert_ptr_equal(c.node, rights);
	assert_int_equal(menu_input(t, &c, &lang, &caps, "1"), MENU_A_SHOW);
	assert_ptr_equal(c.node, art);
	assert_int_equal(c.page, 0);
	render(t, "rights-ru", 0, lang, &caps, NULL, out, &np_art);
	assert_true(np_art >= 2);
	assert_int_equal(menu_input(t, &c, &lang, &caps, "1"), MENU_A_INVALID);
	assert_int_equal(menu_input(t, &c, &lang, &caps, "9"), MENU_A_SHOW);
	assert_int_equal(c.page, 1);
	for (i = 2; i < np_art; i++) {
		assert_int_equal(menu_input(t, &c, &lang, &caps, "9"), MENU_A_SHOW);
	}
	assert_int_equal(c.page, np_art - 1);
	assert_int_equal(menu_input(t, &c, &lang, &caps, "9"), MENU_A_INVALID);
	assert_int_equal(c.page, np_art - 1);
	assert_int_equal(menu_input(t, &c, &lang, &caps, "0"), MENU_A_SHOW);
	assert_int_equal(c.page, np_art - 2);
	c.page = 0;
	assert_int_equal(menu_input(t, &c, &lang, &caps, "0"), MENU_A_SHOW);
	assert_ptr_equal(c.node, rights);
	assert_int_equal(c.page, 0);
	assert_int_equal(menu_input(t, &c, &lang, &caps, "00"), MENU_A_SHOW);
	assert_ptr_equal(c.node, t->root);
	assert_int_equal(c.page, 0);

	/* Entry 7 is listed on a later page of the root: 0 from it returns to that page. */
	assert_int_equal(menu_input(t, &c, &lang, &caps, "9"), MENU_A_SHOW);
	assert_int_equal(c.page, 1);
	render(t, "home", 1, lang, &caps, NULL, out, &np_root);
	assert_non_null(strstr(out, "\n7 Help for returnees"));
	assert_int_equal(menu_input(t, &c, &lang, &caps, "0"), MENU_A_SHOW);
	assert_int_equal(c.page, 0);
	assert_int_equal(menu_input(t, &c, &lang, &caps, "7"), MENU_A_SHOW);
	assert_ptr_equal(c.node, returnees);
	assert_int_equal(menu_input(t, &c, &lang, &caps, "0"), MENU_A_SHOW);
	assert_ptr_equal(c.node, t->root);
	assert_int_equal(c.page, 1);
	assert_int_equal(menu_input(t, &c, &lang, &caps, " 00 "), MENU_A_SHOW);
	assert_int_equal(c.page, 0);

	/* The language picker. */
	assert_int_equal(menu_input(t, &c, &lang, &caps, "1"), MENU_A_SHOW);
	assert_ptr_equal(c.node, t->lang_node);
	assert_int_equal(menu_input(t, &c, &lang, &caps, "4"), MENU_A_INVALID);
	assert_int_equal(lang, 2);
	assert_int_equal(menu_input(t, &c, &lang, &caps, "2"), MENU_A_LANG_SET);
	assert_int_equal(lang, 1);
	assert_ptr_equal(c.node, t->root);
	assert_int_equal(c.page, 0);
	talloc_free(ctx);
}

static void test_uzbek_gsm7(void **state)
{
	void *ctx = talloc_new(NULL);
	struct msgs m = {0};
	struct menu_report rep = {.cb = collect, .data = &m};
	struct menu_tree *t = load_basic(ctx, &rep);
	struct menu_caps caps = {128, 56};
	const char *title = menu_node_by_id(t, "hot-kz")->title[0];
	char *folded = text_fold(ctx, title, TEXT_FOLD_UZ);
	char out[1024];
	unsigned np;

	assert_non_null(strstr(title, "ʻ"));
	assert_non_null(folded);
	render(t, "home", 0, 0, &caps, t->ui[MENU_UI_INVALID][0], out, &np);
	assert_non_null(strstr(out, "Noto'g'ri tanlov\n"));
	render(t, "home", 1, 0, &caps, NULL, out, &np);
	assert_non_null(strstr(out, folded));
	assert_null(strstr(out, "ʻ"));
	assert_int_equal(text_coding_of(out, strlen(out)), TEXT_GSM7);
	render(t, "rights-ru", 0, 0, &caps, NULL, out, &np);
	assert_int_equal(text_coding_of(out, strlen(out)), TEXT_GSM7);
	assert_true(text_units(out, strlen(out), TEXT_GSM7) > 56);

	/* Every apostrophe of TEXT_FOLD_UZ, folded the same way as text_fold() does. */
	t = parse_mini(ctx,
		       "[node a]\nparent = home\nkind = article\ntitle.en = a\xCA\xBB"
		       "b\xCA\xBC"
		       "c\xE2\x80\x98"
		       "d\xE2\x80\x99"
		       "e\nbody.en = x\n",
		       "en", &rep);
	assert_non_null(t);
	folded = text_fold(ctx, menu_node_by_id(t, "a")->title[0], TEXT_FOLD_UZ);
	render(t, "a", 0, 0, &caps, NULL, out, &np);
	assert_string_equal(folded, "a'b'c'd'e");
	assert_true(strncmp(out, folded, strlen(folded)) == 0);
	talloc_free(ctx);
}

static void test_russian_ucs2(void **state)
{
	void *ctx = talloc_new(NULL);
	struct msgs m = {0};
	struct menu_report rep = {.cb = collect, .data = &m};
	struct menu_tree *t = load_basic(ctx, &rep);
	struct menu_caps caps = {182, 56};
	char out[1024];
	unsigned np, p, max = 0;

	render(t, "rights-ru", 0, 1, &caps, NULL, out, &np);
	assert_true(np >= 3);
	for (p = 0; p < np; p++) {
		long u;

		render(t, "rights-ru", p, 1, &caps, NULL, out, &np);
		assert_int_equal(text_coding_of(out, strlen(out)), TEXT_UCS2);
		u = text_units(out, strlen(out), TEXT_UCS2);
		assert_true(u > 0 && u <= 56);
		max = u > (long)max ? u : max;
	}
	/* The budget in use is 56, not the GSM-7 one nor a smaller one. */
	assert_true(max > 40);
	render(t, "rights-ru", 0, 1, &caps, NULL, out, &np);
	assert_true(strncmp(out, "Работа в России\n", strlen("Работа в России\n")) == 0);
	assert_non_null(strstr(out, "\n9 Ещё 0 Назад 00 Домой"));

	/* The language picker is UCS-2 in every interface language (Русский). */
	caps.ucs2 = 80;
	render(t, "lang", 0, 2, &caps, NULL, out, &np);
	assert_int_equal(np, 1);
	assert_int_equal(text_coding_of(out, strlen(out)), TEXT_UCS2);
	assert_non_null(strstr(out, "1 O'zbekcha\n2 Русский\n3 English"));
	talloc_free(ctx);
}

static void test_hotlines(void **state)
{
	void *ctx = talloc_new(NULL);
	struct msgs m = {0};
	struct menu_report rep = {.cb = collect, .data = &m};
	struct menu_tree *t = load_basic(ctx, &rep);
	struct menu_caps caps = {182, 80};
	char out[1024];
	unsigned np;

	render(t, "hot-kr", 0, 2, &caps, NULL, out, &np);
	assert_int_equal(np, 1);
	assert_string_equal(out, "Hotlines: Korea\n"
				 "Immigration Contact Center: 1345 (9-18 Mon-Fri; Uzbek, Russian)\n"
				 "EXAMPLE Labour advice: +82 (0)2 000-0000\n"
				 "0 Back");
	render(t, "hot-kz", 0, 2, &caps, NULL, out, &np);
	assert_string_equal(out, "Hotlines: Kazakhstan\nNo hotlines yet\n0 Back");
	talloc_free(ctx);
}

/* --- store ------------------------------------------------------------------------------- */

static void same_screens(const struct menu_tree *a, const struct menu_tree *b, const struct menu_caps *caps)
{
	char oa[1024], ob[1024];
	unsigned i, lang, p;

	assert_int_equal(a->n_nodes, b->n_nodes);
	assert_int_equal(a->n_lang, b->n_lang);
	assert_int_equal(a->fallback, b->fallback);
	assert_string_equal(a->lang_node->id, b->lang_node->id);
	for (i = 0; i < a->n_nodes; i++) {
		assert_string_equal(a->nodes[i]->id, b->nodes[i]->id);
		assert_int_equal(a->nodes[i]->n_child, b->nodes[i]->n_child);
		for (lang = 0; lang < a->n_lang; lang++) {
			struct menu_cursor ca = {a->nodes[i], 0}, cb = {b->nodes[i], 0};
			unsigned na, nb;

			if (a->nodes[i]->keywords[lang]) {
				assert_string_equal(a->nodes[i]->keywords[lang], b->nodes[i]->keywords[lang]);
			} else {
				assert_null(b->nodes[i]->keywords[lang]);
			}
			for (p = 0;; p++) {
				ca.page = cb.page = p;
				assert_true(menu_render(a, &ca, lang, caps, NULL, oa, sizeof(oa), &na) > 0);
				assert_true(menu_render(b, &cb, lang, caps, NULL, ob, sizeof(ob), &nb) > 0);
				assert_int_equal(na, nb);
				assert_string_equal(oa, ob);
				if (p + 1 >= na) {
					break;
				}
			}
		}
	}
}

static void test_store_roundtrip(void **state)
{
	void *ctx = talloc_new(NULL);
	struct msgs m = {0};
	struct menu_report rep = {.cb = collect, .data = &m}, rep2 = {0};
	struct menu_tree *t = load_basic(ctx, &rep), *u, *v;
	char dir[] = "/tmp/yordam-menus-XXXXXX";
	char *path;
	struct store *st;
	const char *saved_id;
	unsigned i;

	assert_non_null(mkdtemp(dir));
	path = talloc_asprintf(ctx, "%s/yordam.db", dir);
	assert_int_equal(store_open(ctx, path, &st), 0);

	/* Nothing imported yet. */
	assert_null(menu_tree_load(ctx, st, "en", &rep2));
	assert_int_equal(rep2.n_errors, 1);

	assert_int_equal(menu_tree_save(t, st), 0);
	rep2 = (struct menu_report){0};
	u = menu_tree_load(ctx, st, "en", &rep2);
	assert_non_null(u);
	assert_int_equal(rep2.n_errors, 0);
	/* Fallback copies are not frozen into the store: the load falls back (and says so) again. */
	assert_int_equal(rep2.n_warnings, rep.n_warnings);
	for (i = 0; i < sizeof(caps_list) / sizeof(caps_list[0]); i++) {
		same_screens(t, u, &caps_list[i]);
	}
	assert_string_equal(u->hotlines[0]->source, t->hotlines[0]->source);
	assert_true(u->hotlines[1]->example);

	/* A failing import leaves the content in service: two hotlines with one ID. */
	saved_id = t->hotlines[1]->id;
	t->hotlines[1]->id = t->hotlines[0]->id;
	assert_true(menu_tree_save(t, st) < 0);
	t->hotlines[1]->id = saved_id;
	v = menu_tree_load(ctx, st, "en", &rep2);
	assert_non_null(v);
	same_screens(t, v, &caps_list[0]);

	/* Re-import replaces, not adds. */
	assert_int_equal(menu_tree_save(u, st), 0);
	v = menu_tree_load(ctx, st, "en", &rep2);
	assert_non_null(v);
	same_screens(t, v, &caps_list[0]);

	store_close(st);
	unlink(path);
	talloc_asprintf(ctx, "%s/yordam.db-wal", dir);
	unlink(talloc_asprintf(ctx, "%s/yordam.db-wal", dir));
	unlink(talloc_asprintf(ctx, "%s/yordam.db-shm", dir));
	rmdir(dir);
	talloc_free(ctx);
}

/* The bundled pack: a new caller's first screen, the language picker, is one screen in every
 * language at stock OsmoHLR's caps, so nobody has to press "9" to find their language. */
static void test_bundled_picker_one_screen(void **state)
{
	void *ctx = talloc_new(NULL);
	struct menu_report rep = {0};
	const char *src = getenv("YORDAM_SRC");
	struct menu_caps caps = {128, 56};
	struct menu_tree *t;
	char dir[4096], out[1024];
	unsigned np, l, i;

	assert_non_null(src);
	snprintf(dir, sizeof(dir), "%s/menus/content", src);
	t = menu_pack_load(ctx, dir, "en", &rep);
	assert_non_null(t);
	assert_int_equal(rep.n_errors, 0);
	assert_true(t->n_lang >= 4);
	for (l = 0; l < t->n_lang; l++) {
		render(t, t->lang_node->id, 0, l, &caps, NULL, out, &np);
		assert_int_equal(np, 1);
		for (i = 0; i < t->n_lang; i++) {
			char item[128];
			snprintf(item, sizeof(item), "%u ", i + 1);
			assert_non_null(strstr(out, item));
		}
	}
	talloc_free(ctx);
}

/* The form kinds: their texts are required only when the pack has such a node; the country list
 * of the complaint form comes from the hotlines nodes; form screens use the paginator. */
static void test_form_kinds(void **state)
{
	void *ctx = talloc_new(NULL);
	struct menu_report rep = {0};
	struct menu_caps caps = {128, 56};
	const struct menu_node *nodes[7];
	const char *items[] = {"Unpaid wages", "Passport or papers taken", "Unsafe work"};
	struct menu_form_screen fs = {.heading = "What happened?", .items = items, .n_items = 3};
	struct menu_tree *t;
	char out[1024];
	unsigned np;

	assert_int_equal(menu_kind_parse("complaint"), MENU_K_COMPLAINT);
	assert_string_equal(menu_kind_name(MENU_K_STATUS), "status");
	assert_string_equal(menu_ui_keys[MENU_UI_CASE_CAT7], "case_cat_other");
	/* a pack without form nodes needs no form texts */
	t = parse_mini(ctx, "", "en", &rep);
	assert_non_null(t);
	assert_null(t->ui[MENU_UI_CASE_DONE][0]);
	/* with one, they are required */
	rep = (struct menu_report){0};
	assert_null(parse_mini(ctx, "[node file]\nparent = home\nkind = complaint\ntitle.en = Complain\n", "en", &rep));
	assert_true(rep.n_errors > 0);
	/* countries: the directory by country names them */
	rep = (struct menu_report){0};
	t = parse_mini(ctx,
		       "[node kr]\nparent = home\nkind = menu\ntitle.en = Korea info\n"
		       "[node kr.h]\nparent = kr\nkind = hotlines\ncountry = KR\ntitle.en = Hotlines\n"
		       "[node dir]\nparent = home\nkind = menu\ntitle.en = Hotlines\n"
		       "[node dir.kr]\nparent = dir\nkind = hotlines\ncountry = KR\ntitle.en = South Korea\n"
		       "[node dir.tr]\nparent = dir\nkind = hotlines\ncountry = TR\ntitle.en = Turkey\n",
		       "en", &rep);
	assert_non_null(t);
	assert_int_equal(menu_form_countries(t, nodes, 7), 2);
	assert_string_equal(nodes[0]->country, "KR");
	assert_string_equal(nodes[0]->title[0], "South Korea");
	assert_string_equal(nodes[1]->title[0], "Turkey");
	assert_int_equal(menu_form_countries(t, nodes, 1), 1);
	/* a form list and a form text at the node's place */
	fs.at = menu_node_by_id(t, "kr.h");
	assert_true(menu_render_form(t, &fs, 0, 0, &caps, NULL, out, sizeof(out), &np) > 0);
	assert_string_equal(out, "What happened?\n1 Unpaid wages\n2 Passport or papers taken\n3 Unsafe work\n0 Back 00 "
				 "Home");
	assert_int_equal(np, 1);
	fs.items = NULL;
	fs.heading = NULL;
	fs.body = "Type your case number";
	assert_true(menu_render_form(t, &fs, 0, 0, &caps, NULL, out, sizeof(out), &np) > 0);
	assert_string_equal(out, "Type your case number\n0 Back 00 Home");
	fs.at = NULL;
	assert_int_equal(menu_render_form(t, &fs, 0, 0, &caps, NULL, out, sizeof(out), &np), -EINVAL);
	talloc_free(ctx);
}

/* --- layout cache ------------------------------------------------------------------------ */

#define N_CAPS (sizeof(caps_list) / sizeof(caps_list[0]))

/* Every screen (with and without notices, one page past the end too) and every key of every
 * node of t, cached, is that of ref, the same pack with its cache off. The caps vary fastest,
 * then the language, so a cache that confused either would answer from a neighbour's entry. */
static void same_as_uncached(const struct menu_tree *t, const struct menu_tree *ref)
{
	static const char *const keys[] = {"0", "9", "1", "2", "8", "00", " 1 ", "x"};
	char a[1024], b[1024];
	unsigned round, ci, i, lang, p, k;

	assert_int_equal(t->n_nodes, ref->n_nodes);
	for (round = 0; round < 2; round++) {
		for (i = 0; i < t->n_nodes; i++) {
			for (lang = 0; lang < t->n_lang; lang++) {
				for (ci = 0; ci < N_CAPS; ci++) {
					const struct menu_caps *caps = &caps_list[ci];
					const char *notices[] = {NULL, t->ui[MENU_UI_INVALID][lang], "Уведомление 😀"};
					struct menu_cursor ct = {t->nodes[i], 0}, cr = {ref->nodes[i], 0};
					unsigned npt = 0, npr = 0, lt, lr;
					int rt, rr;

					rr = menu_render(ref, &cr, lang, caps, NULL, b, sizeof(b), &npr);
					assert_true(rr > 0);
					for (p = 0; p <= npr; p++) {
						for (k = 0; k < 3; k++) {
							ct.page = cr.page = p;
							rt = menu_render(t, &ct, lang, caps, notices[k], a, sizeof(a),
									 &npt);
							rr = menu_render(ref, &cr, lang, caps, notices[k], b, sizeof(b),
									 &npr);
							assert_int_equal(rt, rr);
							if (rr > 0) {
								assert_string_equal(a, b);
								assert_int_equal(npt, npr);
							}
						}
					}
					for (p = 0; p < npr; p++) {
						for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
							enum menu_action at, ar;

							ct = (struct menu_cursor){t->nodes[i], p};
							cr = (struct menu_cursor){ref->nodes[i], p};
							lt = lr = lang;
							at = menu_input(t, &ct, &lt, caps, keys[k]);
							ar = menu_input(ref, &cr, &lr, caps, keys[k]);
							assert_int_equal(at, ar);
							assert_string_equal(ct.node->id, cr.node->id);
							assert_int_equal(ct.page, cr.page);
							assert_int_equal(lt, lr);
						}
					}
				}
			}
		}
	}
}

static void test_render_cache_same_screens(void **state)
{
	void *ctx = talloc_new(NULL);
	struct msgs m = {0};
	struct menu_report rep = {.cb = collect, .data = &m};
	struct menu_tree *t = load_basic(ctx, &rep), *ref = load_basic(ctx, &rep);
	struct menu_render_cache_stats st;
	struct menu_caps caps = {128, 56};
	struct menu_cursor c = {t->root, 0};
	char out[1024];
	unsigned np;
	int len;

	menu_render_cache_enable(ref, false);
	same_as_uncached(t, ref);
	menu_render_cache_stats(t, &st);
	assert_true(st.hits > 0);
	assert_true(st.screen_hits > 0);
	assert_int_equal(st.entries, t->n_nodes * t->n_lang * N_CAPS);
	assert_true(st.bytes > 0);
	menu_render_cache_stats(ref, &st);
	assert_int_equal(st.hits + st.misses + st.entries, 0);

	/* A kept screen still honours the caller's buffer size. */
	len = menu_render(t, &c, 0, &caps, NULL, out, sizeof(out), &np);
	assert_true(len > 0);
	assert_int_equal(menu_render(t, &c, 0, &caps, NULL, out, len, &np), -ENOSPC);
	assert_int_equal(menu_render(t, &c, 0, &caps, NULL, out, len + 1, &np), len);
	talloc_free(ctx);
}

static const char wolf[] = "[node art]\n"
			   "parent = home\n"
			   "kind = article\n"
			   "title.en = Wolf\n"
			   "body.en = The grey wolf sleeps.\n";

/* New content is a new tree: the screens of the old one are never shown again, even when the new
 * tree has the same node IDs and lands where the old one was. */
static void test_render_cache_content_replaced(void **state)
{
	void *ctx = talloc_new(NULL);
	struct menu_report rep = {0};
	struct menu_caps caps = {48, 20};
	struct menu_tree *t, *u;
	struct menu_cursor c;
	unsigned np, lang, round;
	char out[1024];

	for (round = 0; round < 8; round++) {
		t = parse_mini(ctx, fox, "en", &rep);
		assert_non_null(t);
		render(t, "art", 0, 0, &caps, NULL, out, &np);
		render(t, "art", 0, 0, &caps, NULL, out, &np);
		assert_string_equal(out, "Fox\nThe quick brown fox jumps over\n9 More 0 Back");
		assert_int_equal(np, 2);
		c = (struct menu_cursor){menu_node_by_id(t, "art"), 0};
		lang = 0;
		assert_int_equal(menu_input(t, &c, &lang, &caps, "9"), MENU_A_SHOW);
		/* the import path: the old tree is freed, the new one parsed (often at its address) */
		talloc_free(t);
		u = parse_mini(ctx, wolf, "en", &rep);
		assert_non_null(u);
		render(u, "art", 0, 0, &caps, NULL, out, &np);
		assert_string_equal(out, "Wolf\nThe grey wolf sleeps.\n0 Back");
		assert_int_equal(np, 1);
		c = (struct menu_cursor){menu_node_by_id(u, "art"), 0};
		assert_int_equal(menu_input(u, &c, &lang, &caps, "9"), MENU_A_INVALID);
		talloc_free(u);
	}
	/* Two trees alive at once each keep their own. */
	t = parse_mini(ctx, fox, "en", &rep);
	u = parse_mini(ctx, wolf, "en", &rep);
	render(t, "art", 0, 0, &caps, NULL, out, &np);
	render(u, "art", 0, 0, &caps, NULL, out, &np);
	assert_string_equal(out, "Wolf\nThe grey wolf sleeps.\n0 Back");
	render(t, "art", 0, 0, &caps, NULL, out, &np);
	assert_string_equal(out, "Fox\nThe quick brown fox jumps over\n9 More 0 Back");
	/* A node of another tree is refused, never answered from a cache entry. */
	c = (struct menu_cursor){menu_node_by_id(u, "art"), 0};
	assert_int_equal(menu_render(t, &c, 0, &caps, NULL, out, sizeof(out), &np), -EINVAL);
	talloc_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_whole_pack_errors),
		cmocka_unit_test(test_fallback_warnings),
		cmocka_unit_test(test_tree_shape),
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_render_args),
		cmocka_unit_test(test_paginate_article),
		cmocka_unit_test(test_paginate_menu),
		cmocka_unit_test(test_navigation),
		cmocka_unit_test(test_uzbek_gsm7),
		cmocka_unit_test(test_russian_ucs2),
		cmocka_unit_test(test_hotlines),
		cmocka_unit_test(test_store_roundtrip),
		cmocka_unit_test(test_bundled_picker_one_screen),
		cmocka_unit_test(test_form_kinds),
		cmocka_unit_test(test_render_cache_same_screens),
		cmocka_unit_test(test_render_cache_content_replaced),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
