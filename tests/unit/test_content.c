/* The form and case texts of a content pack: the placeholders of the cases service's SMS templates
 * (checked when a pack loads), and what `content validate` (firmware/content.c) says about them:
 * every language of a pack with form nodes, one screen for the texts shown whole, the final screen
 * with the case number and the PIN, SMS part counts with the longest values. Packs are written into
 * a temporary directory from the complete two-language pack below, one line changed per case. */
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

#include <yordam/config.h>
#include <yordam/menu.h>

#include "daemon.h"

#include "report_msgs.h"

/* A complete pack in English and Russian with a complaint, a callback and a status node. */
static const char pack_head[] = "[language en]\n"
				"name = English\n"
				"[language ru]\n"
				"name = Русский\n"
				"[node home]\n"
				"kind = menu\n"
				"title.en = Yordam\n"
				"title.ru = Yordam\n"
				"[node lang]\n"
				"parent = home\n"
				"kind = language\n"
				"title.en = Language\n"
				"title.ru = Язык\n"
				"[node file]\n"
				"parent = home\n"
				"kind = complaint\n"
				"title.en = Complain\n"
				"title.ru = Жалоба\n"
				"[node cb]\n"
				"parent = home\n"
				"kind = callback\n"
				"title.en = Call me\n"
				"title.ru = Звонок\n"
				"[node st]\n"
				"parent = home\n"
				"kind = status\n"
				"title.en = My case\n"
				"title.ru = Моё дело\n"
				"[ui]\n";

static const struct {
	const char *key, *en, *ru;
} ui[] = {
	{"back", "Back", "Назад"},
	{"home", "Home", "Меню"},
	{"more", "More", "Ещё"},
	{"invalid", "Invalid", "Ошибка"},
	{"choose_lang", "Language", "Язык"},
	{"lang_saved", "Saved", "Сохранено"},
	{"no_hotlines", "None", "Нет"},
	{"timeout", "Time is up", "Время вышло"},
	{"goodbye", "Bye", "До свидания"},
	{"example", "EXAMPLE", "ПРИМЕР"},
	{"resume", "1 Continue\\n2 Start over", "1 Дальше\\n2 Сначала"},
	{"case_unavailable", "Not available yet.", "Пока не работает."},
	{"case_error", "Sorry, not saved.", "Ошибка: не сохранено."},
	{"case_category", "What happened?", "Что случилось?"},
	{"case_cat_wages", "Unpaid wages", "Не платят"},
	{"case_cat_documents", "Papers taken", "Забрали паспорт"},
	{"case_cat_unsafe", "Unsafe work", "Опасная работа"},
	{"case_cat_recruiter", "Fake recruiter", "Обман при найме"},
	{"case_cat_violence", "Violence", "Насилие"},
	{"case_cat_detention", "Detention", "Задержание"},
	{"case_cat_other", "Other", "Другое"},
	{"case_country", "Which country?", "Какая страна?"},
	{"case_other_country", "Other country", "Другая страна"},
	{"case_detail", "City or employer, 0 skips", "Город или работодатель, 0 - нет"},
	{"case_who", "For whom?", "Для кого?"},
	{"case_self", "Myself", "Для себя"},
	{"case_relative", "A relative", "Для родственника"},
	{"case_number", "Their number", "Номер родственника"},
	{"case_consent", "Kept encrypted.\\n1 Agree\\n2 Cancel", "Храним зашифрованным.\\n1 Да\\n2 Отмена"},
	{"case_confirm", "Send?", "Отправить?"},
	{"case_keys", "1 Send\\n2 Cancel", "1 Отправить\\n2 Отмена"},
	{"case_cancelled", "Cancelled.", "Отменено."},
	{"case_done", "Saved. Case:", "Принято. Номер:"},
	{"case_pin", "PIN:", "PIN:"},
	{"case_keep", "Keep them.", "Сохраните их."},
	{"callback_confirm", "We call back.\\n1 Yes", "Перезвоним.\\n1 Да"},
	{"callback_done", "Saved. Expect a call:", "Принято. Ждите звонка:"},
	{"callback_already", "You asked already.", "Запрос уже есть."},
	{"status_case", "Case number?", "Номер дела?"},
	{"status_pin", "PIN?", "PIN?"},
	{"status_unknown", "Unknown case or PIN.", "Неверный номер или PIN."},
	{"sms_case_filed", "Yordam: case {case}, PIN {pin}. STATUS {digits}",
	 "Yordam: дело {case}, PIN {pin}. СТАТУС {digits}"},
	{"sms_case_callback", "Yordam: we call you back. Case {case}.", "Yordam: перезвоним. Дело {case}."},
	{"sms_case_need_text", "Yordam: write COMPLAINT and your text.", "Yordam: напишите ЖАЛОБА и текст."},
	{"sms_case_status", "Yordam: case {case}: {status}.", "Yordam: дело {case}: {status}."},
	{"sms_case_unknown", "Yordam: unknown case or wrong PIN.", "Yordam: неизвестное дело или PIN."},
	{"sms_case_mistyped", "Yordam: case number mistyped.", "Yordam: номер дела с ошибкой."},
	{"sms_case_reply", "Yordam {case}:", "Yordam {case}:"},
	{"sms_case_claimed", "Yordam: case {case} is being handled.", "Yordam: делом {case} занимаются."},
	{"sms_case_closed", "Yordam: case {case} is closed.", "Yordam: дело {case} закрыто."},
	{"sms_case_expect", "Yordam: case {case}: we contact you {when}.", "Yordam: дело {case}: свяжемся {when}."},
	{"case_state_received", "received", "получено"},
	{"case_state_working", "in progress", "в работе"},
	{"case_state_answered", "answered", "дан ответ"},
	{"case_state_closed", "closed", "закрыто"},
	{"when_soon", "as soon as possible", "как можно скорее"},
	{"when_hours", "in about {hours} h", "примерно через {hours} ч"},
	{"staff_new", "Yordam case {case}: {category}, {country}, {lang}{escalated}: {excerpt}. Reply OK {digits}",
	 "Yordam дело {case}: {category}, {country}, {lang}{escalated}: {excerpt}. OK {digits}"},
	{"staff_escalated", "(escalated)", "(эскалация)"},
	{"staff_callback", "Yordam case {case}: CALLBACK, {country}, {lang}. Call {phone}. Reply OK {digits}",
	 "Yordam дело {case}: ЗВОНОК, {country}, {lang}. Позвоните {phone}. OK {digits}"},
	{"staff_remind", "Yordam: case {case} waits (R {case} ...).", "Yordam: дело {case} ждёт (R {case} ...)."},
	{"staff_took_over", "Yordam: {name} took case {case}.", "Yordam: дело {case} ведёт {name}."},
	{"staff_duty", "Yordam: {mode} until {until}.", "Yordam: {mode} до {until}."},
	{"staff_no_case", "Yordam: no case {case}.", "Yordam: дела {case} нет."},
	{"staff_taken", "Yordam: case {case} is {name}'s.", "Yordam: дело {case} ведёт {name}."},
	{"staff_someone", "someone else", "другой"},
	{"staff_state", "Yordam: case {case} is {state}.", "Yordam: дело {case}: {state}."},
	{"staff_info", "Yordam case {case}: {kind}, {category}, {country}, {lang}, {state}, esc {escalations}{text}",
	 "Yordam дело {case}: {kind}, {category}, {country}, {lang}, {state}, эск. {escalations}{text}"},
	{"staff_yours", "Yordam: case {case} is yours.", "Yordam: дело {case} за вами."},
	{"staff_replied", "Yordam: case {case} reply sent.", "Yordam: дело {case}: ответ отправлен."},
	{"staff_closed", "Yordam: case {case} closed.", "Yordam: дело {case} закрыто."},
	{"staff_alert", "Yordam alert: {count} {category}, {country}, {employer}, {window}. INFO {case}",
	 "Yordam сигнал: {count} ({category}), {country}, {employer}, {window}. INFO {case}"},
	{"staff_employer", "employer '{employer}'", "работодатель «{employer}»"},
	{"staff_no_employer", "no employer", "без работодателя"},
	{"staff_days", "{n} days", "{n} дн."},
	{"staff_hours", "{n} hours", "{n} ч"},
	{"staff_err_too_long", "Yordam: message too long.", "Yordam: сообщение слишком длинное."},
	{"staff_err_unreadable", "Yordam: message unreadable.", "Yordam: сообщение не прочитано."},
	{"staff_err_no_case", "Yordam: case number missing: OK <case>", "Yordam: нет номера дела: OK <номер>"},
	{"staff_err_bad_case", "Yordam: a case number has 7 digits.", "Yordam: в номере дела 7 цифр."},
	{"staff_err_check_digit", "Yordam: case number mistyped.", "Yordam: ошибка в номере дела."},
	{"staff_err_no_text", "Yordam: R <case> <text>", "Yordam: R <номер> <текст>"},
	{"staff_err_trailing", "Yordam: text only after R and DONE.", "Yordam: текст только после R и DONE."},
	{"staff_state_new", "new", "новое"},
	{"staff_state_notified", "notified", "отправлено сотруднику"},
	{"staff_state_claimed", "claimed", "взято в работу"},
	{"staff_state_answered", "answered", "дан ответ"},
	{"staff_state_closed", "closed", "закрыто"},
	{"staff_kind_complaint", "complaint", "жалоба"},
	{"staff_kind_callback", "callback", "обратный звонок"},
};

/* The pack's text with the line "key.lang = ..." replaced by value (NULL: left out), and without the keys that
 * start with drop (NULL: none) in drop_lang (NULL: in every language). */
static char *pack_text_ex(void *ctx, const char *key, const char *lang, const char *value, const char *drop,
			  const char *drop_lang)
{
	char *s = talloc_strdup(ctx, pack_head);
	unsigned i;

	for (i = 0; i < sizeof(ui) / sizeof(ui[0]); i++) {
		const char *vals[2] = {ui[i].en, ui[i].ru}, *langs[2] = {"en", "ru"};
		unsigned l;

		for (l = 0; l < 2; l++) {
			const char *v = vals[l];

			if (key && !strcmp(key, ui[i].key) && !strcmp(lang, langs[l])) {
				v = value;
			}
			if (drop && !strncmp(ui[i].key, drop, strlen(drop)) &&
			    (!drop_lang || !strcmp(drop_lang, langs[l]))) {
				v = NULL;
			}
			if (v) {
				s = talloc_asprintf_append(s, "%s.%s = %s\n", ui[i].key, langs[l], v);
			}
		}
	}
	return s;
}

static char *pack_text(void *ctx, const char *key, const char *lang, const char *value)
{
	return pack_text_ex(ctx, key, lang, value, NULL, NULL);
}

/* The line number of "key.lang = " in the pack text (for file:line messages). */
static unsigned line_of(const char *text, const char *key, const char *lang)
{
	char needle[128];
	const char *p = text, *hit;
	unsigned line = 1;

	snprintf(needle, sizeof(needle), "\n%s.%s = ", key, lang);
	hit = strstr(text, needle);
	assert_non_null(hit);
	for (; p <= hit; p++) {
		line += *p == '\n';
	}
	return line;
}

struct fixture {
	char dir[64];
	char *path;
	struct yordam_config *cfg;
	struct daemon d;
};

static int setup(void **state)
{
	struct fixture *f = talloc_zero(NULL, struct fixture);
	char err[1024];

	snprintf(f->dir, sizeof(f->dir), "/tmp/yordam-content-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->path = talloc_asprintf(f, "%s/00-test.pack", f->dir);
	/* the GSUP port's caps as stock OsmoHLR forwards them, and the dial console's defaults */
	f->cfg = config_parse(f, "test.conf",
			      "gsup = ( { name = \"hlr\"; euse = \"yordam\"; max_gsm7 = 128; max_ucs2 = 56; } );\n",
			      f->dir, err, sizeof(err));
	if (!f->cfg) {
		fprintf(stderr, "%s\n", err);
	}
	assert_non_null(f->cfg);
	f->d.ctx = f;
	f->d.cfg = f->cfg;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	rmdir(f->dir);
	talloc_free(f);
	return 0;
}

/* Write text as the pack and validate it: the report under ctx, the return code. */
static int validate(struct fixture *f, void *ctx, const char *text, char **report)
{
	FILE *fp = fopen(f->path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	return content_validate(&f->d, f->dir, ctx, report);
}

static void expect_error(struct fixture *f, const char *key, const char *lang, const char *value, const char *msg)
{
	void *ctx = talloc_new(NULL);
	char *text = pack_text(ctx, key, lang, value), *report = NULL;
	int rc = validate(f, ctx, text, &report);

	if (rc != -EINVAL || !strstr(report, msg)) {
		fprintf(stderr, "%s.%s = %s: expected an error with \"%s\", got %d:\n%s", key, lang,
			value ? value : "(none)", msg, rc, report);
	}
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(report, msg));
	talloc_free(ctx);
}

/* --- at load ------------------------------------------------------------------------------ */

/* Which placeholders each template takes; any other braces in them are refused with file:line. */
static void test_placeholders_at_load(void **state)
{
	static const struct {
		const char *key, *value, *msg;
	} bad[] = {
		{"sms_case_status", "Case {case}: {stat}.",
		 "ui sms_case_status.ru: unknown placeholder {stat} (sms_case_status takes {case} {status})"},
		{"sms_case_filed", "Case {case}, PIN {pin}.", "ui sms_case_filed.ru: placeholder {digits} missing"},
		{"sms_case_filed", "Case {digits}, PIN {pin}.", "ui sms_case_filed.ru: placeholder {case} missing"},
		{"sms_case_expect", "Case {case}: soon.", "ui sms_case_expect.ru: placeholder {when} missing"},
		{"sms_case_status", "Case {case}.", "ui sms_case_status.ru: placeholder {status} missing"},
		{"sms_case_reply", "Yordam:", "ui sms_case_reply.ru: placeholder {case} missing"},
		{"when_hours", "soon", "ui when_hours.ru: placeholder {hours} missing"},
		{"when_hours", "in {hours h", "ui when_hours.ru: '{' that starts no placeholder"},
		{"when_soon", "soon, {when}", "ui when_soon.ru: unknown placeholder {when} (when_soon takes none)"},
		{"case_state_closed", "closed {case}", "ui case_state_closed.ru: unknown placeholder {case}"},
		{"sms_case_need_text", "Write {}", "ui sms_case_need_text.ru: '{' that starts no placeholder"},
		{"sms_case_callback", "Case {CASE}", "unknown placeholder {CASE}"},
		/* the staff texts */
		{"staff_new", "Yordam дело {case}: {category}, {country}, {lang}{escalated}: {text}. OK {digits}",
		 "ui staff_new.ru: unknown placeholder {text} (staff_new takes {case} {category} {country} {lang} "
		 "{escalated} {excerpt} {digits})"},
		{"staff_new", "Yordam дело {case}: {category}, {country}, {lang}: {excerpt}. OK {digits}",
		 "ui staff_new.ru: placeholder {escalated} missing"},
		{"staff_duty", "Yordam: {mode}.", "ui staff_duty.ru: placeholder {until} missing"},
		{"staff_alert", "Yordam: {count} {category} {country} {employer} {window} {case} {name}",
		 "ui staff_alert.ru: unknown placeholder {name}"},
		{"staff_escalated", "({case})",
		 "ui staff_escalated.ru: unknown placeholder {case} (staff_escalated takes none)"},
		{"staff_hours", "{hours} ч", "ui staff_hours.ru: unknown placeholder {hours} (staff_hours takes {n})"},
		/* the answers to a malformed staff command are sent as written: <case> is a word, {case} is refused */
		{"staff_err_no_text", "Yordam: R {case} <текст>",
		 "ui staff_err_no_text.ru: unknown placeholder {case} (staff_err_no_text takes none)"},
		{"staff_err_check_digit", "Yordam: {номер}?",
		 "ui staff_err_check_digit.ru: '{' that starts no placeholder"},
		/* so are the words that fill {state} and {kind} */
		{"staff_state_closed", "{case} закрыто",
		 "ui staff_state_closed.ru: unknown placeholder {case} (staff_state_closed takes none)"},
	};
	static const struct {
		enum menu_ui k;
		const char *key;
	} err_keys[] = {
		{MENU_UI_STAFF_ERR_TOO_LONG, "staff_err_too_long"},
		{MENU_UI_STAFF_ERR_UNREADABLE, "staff_err_unreadable"},
		{MENU_UI_STAFF_ERR_NO_CASE, "staff_err_no_case"},
		{MENU_UI_STAFF_ERR_BAD_CASE, "staff_err_bad_case"},
		{MENU_UI_STAFF_ERR_CHECK_DIGIT, "staff_err_check_digit"},
		{MENU_UI_STAFF_ERR_NO_TEXT, "staff_err_no_text"},
		{MENU_UI_STAFF_ERR_TRAILING, "staff_err_trailing"},
		{MENU_UI_STAFF_STATE_NOTIFIED, "staff_state_notified"},
		{MENU_UI_STAFF_KIND_CALLBACK, "staff_kind_callback"},
	};
	void *ctx = talloc_new(NULL);
	const char *const *v;
	unsigned i;

	v = menu_ui_placeholders(MENU_UI_SMS_FILED);
	assert_non_null(v);
	assert_string_equal(v[0], "case");
	assert_string_equal(v[1], "pin");
	assert_string_equal(v[2], "digits");
	assert_null(v[3]);
	assert_string_equal(menu_ui_placeholders(MENU_UI_WHEN_HOURS)[0], "hours");
	assert_null(menu_ui_placeholders(MENU_UI_STATE_CLOSED)[0]);
	assert_null(menu_ui_placeholders(MENU_UI_BACK)); /* not a template: braces are text */
	assert_null(menu_ui_placeholders(MENU_UI_CASE_DONE));
	assert_string_equal(menu_ui_keys[MENU_UI_SMS_FILED], "sms_case_filed");
	assert_string_equal(menu_ui_keys[MENU_UI_SMS_EXPECT], "sms_case_expect");
	assert_string_equal(menu_ui_keys[MENU_UI_STATE_RECEIVED], "case_state_received");
	assert_string_equal(menu_ui_keys[MENU_UI_WHEN_HOURS], "when_hours");
	assert_string_equal(menu_ui_keys[MENU_UI_STAFF_NEW], "staff_new");
	assert_string_equal(menu_ui_keys[MENU_UI_STAFF_HOURS], "staff_hours");
	assert_string_equal(menu_ui_placeholders(MENU_UI_STAFF_TAKEN)[1], "name");
	assert_null(menu_ui_placeholders(MENU_UI_STAFF_SOMEONE)[0]);
	for (i = 0; i < sizeof(err_keys) / sizeof(err_keys[0]); i++) {
		assert_string_equal(menu_ui_keys[err_keys[i].k], err_keys[i].key);
		assert_non_null(menu_ui_placeholders(err_keys[i].k)); /* checked: a stray '{' is refused */
		assert_null(menu_ui_placeholders(err_keys[i].k)[0]);
	}

	/* the complete pack loads; placeholders may repeat and come in any order; other texts keep braces */
	{
		struct msgs m = {0};
		struct menu_report rep = {.cb = collect, .data = &m};
		char *text = pack_text(ctx, "sms_case_filed", "en", "{digits} = {case} ({case}), PIN {pin}");
		struct menu_tree *t;

		text = talloc_asprintf_append(text, "[node x]\nparent = home\nkind = menu\ntitle.en = {x}\n"
						    "title.ru = {x}\n");
		t = menu_pack_parse(ctx, "t.pack", text, strlen(text), "en", &rep);
		if (!t) {
			dump_msgs(&m);
		}
		assert_non_null(t);
		assert_int_equal(rep.n_warnings, 0);
		assert_string_equal(t->ui[MENU_UI_SMS_FILED][0], "{digits} = {case} ({case}), PIN {pin}");
		assert_string_equal(t->ui[MENU_UI_WHEN_HOURS][1], "примерно через {hours} ч");
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct msgs m = {0};
		struct menu_report rep = {.cb = collect, .data = &m};
		char *text = pack_text(ctx, bad[i].key, "ru", bad[i].value), where[64];
		struct menu_tree *t = menu_pack_parse(ctx, "t.pack", text, strlen(text), "en", &rep);

		snprintf(where, sizeof(where), "t.pack:%u: ", line_of(text, bad[i].key, "ru"));
		if (t || !has_msg(&m, true, bad[i].msg) || !has_msg(&m, true, where)) {
			fprintf(stderr, "case %u: expected error \"%s%s\", got:\n", i, where, bad[i].msg);
			dump_msgs(&m);
		}
		assert_null(t);
		assert_true(has_msg(&m, true, bad[i].msg));
		assert_true(has_msg(&m, true, where));
	}
	talloc_free(ctx);
}

/* Without form nodes the form and case texts are optional; with one, missing in the fallback
 * language is an error at load (elsewhere a warning: validate refuses it, below). */
static void test_form_texts_required_at_load(void **state)
{
	void *ctx = talloc_new(NULL);
	struct msgs m = {0};
	struct menu_report rep = {.cb = collect, .data = &m};
	char *text = pack_text(ctx, "sms_case_closed", "en", NULL);
	unsigned i;

	assert_null(menu_pack_parse(ctx, "t.pack", text, strlen(text), "en", &rep));
	assert_true(has_msg(&m, true, "ui: sms_case_closed missing in the fallback language en"));
	memset(&m, 0, sizeof(m));
	text = pack_text(ctx, "when_hours", "ru", NULL);
	assert_non_null(menu_pack_parse(ctx, "t.pack", text, strlen(text), "en", &rep));
	assert_true(has_msg(&m, false, "ui: when_hours missing in ru, using en"));

	/* The answers to malformed staff commands and the state and kind words came later: a pack (or stored
	 * content) without any of them still loads, and the service uses its built-in English. */
	for (i = 0; i < 3; i++) {
		const char *prefix = (const char *[]){"staff_err_", "staff_state_", "staff_kind_"}[i];

		memset(&m, 0, sizeof(m));
		rep.n_errors = rep.n_warnings = 0;
		text = pack_text_ex(ctx, NULL, NULL, NULL, prefix, NULL);
		assert_null(strstr(text, prefix));
		assert_non_null(menu_pack_parse(ctx, "t.pack", text, strlen(text), "en", &rep));
		assert_int_equal(rep.n_errors, 0);
		assert_int_equal(m.n, 0);
	}
	/* Missing in one language, they fall back as usual; in the fallback language alone, with another language
	 * having them, there is nothing to fall back to. */
	text = pack_text_ex(ctx, NULL, NULL, NULL, "staff_err_", "ru");
	assert_non_null(menu_pack_parse(ctx, "t.pack", text, strlen(text), "en", &rep));
	assert_true(has_msg(&m, false, "ui: staff_err_check_digit missing in ru, using en"));
	memset(&m, 0, sizeof(m));
	text = pack_text(ctx, "staff_err_no_text", "en", NULL);
	assert_null(menu_pack_parse(ctx, "t.pack", text, strlen(text), "en", &rep));
	assert_true(has_msg(&m, true, "ui: staff_err_no_text missing in the fallback language en"));
	talloc_free(ctx);
}

/* --- content validate ----------------------------------------------------------------------- */

static void test_validate_complete_pack(void **state)
{
	struct fixture *f = *state;
	void *ctx = talloc_new(NULL);
	char *report = NULL;
	int rc = validate(f, ctx, pack_text(ctx, NULL, NULL, NULL), &report);

	if (rc != 0) {
		fprintf(stderr, "%s", report);
	}
	assert_int_equal(rc, 0);
	assert_null(strstr(report, "error:"));
	assert_null(strstr(report, "warning:"));
	/* each template's cost with the longest values, in every language */
	assert_non_null(strstr(report, "sms ui: sms_case_filed en gsm7 1 part\n"));
	assert_non_null(strstr(report, "sms ui: sms_case_filed ru ucs2 1 part\n"));
	assert_non_null(strstr(report, "sms ui: sms_case_status ru ucs2 2 parts\n")); /* a 60-character status */
	assert_non_null(strstr(report, "sms ui: sms_case_expect ru ucs2 1 part\n"));
	/* the staff texts too (a Cyrillic excerpt makes the English one UCS-2) */
	assert_non_null(strstr(report, "sms ui: staff_new en ucs2 3 parts\n"));
	assert_non_null(strstr(report, "sms ui: staff_yours ru ucs2 1 part\n"));
	assert_non_null(strstr(report, "sms ui: staff_duty en gsm7 1 part\n"));
	/* the answers to malformed staff commands: one part each */
	assert_non_null(strstr(report, "sms ui: staff_err_no_case en gsm7 1 part\n"));
	assert_non_null(strstr(report, "sms ui: staff_err_check_digit ru ucs2 1 part\n"));
	assert_non_null(strstr(report, "sms ui: staff_err_trailing ru ucs2 1 part\n"));
	talloc_free(ctx);
}

static void test_validate_missing_language(void **state)
{
	struct fixture *f = *state;

	/* a form node shows them: every language */
	expect_error(f, "sms_case_filed", "ru", NULL,
		     "error: translation: ui: sms_case_filed missing in ru (falls back to en)");
	expect_error(f, "case_state_working", "ru", NULL, "error: translation: ui: case_state_working missing in ru");
	expect_error(f, "when_soon", "ru", NULL, "error: translation: ui: when_soon missing in ru");
	expect_error(f, "case_pin", "ru", NULL, "error: translation: ui: case_pin missing in ru");
	expect_error(f, "staff_new", "ru", NULL, "error: translation: ui: staff_new missing in ru (falls back to en)");
	expect_error(f, "staff_err_check_digit", "ru", NULL,
		     "error: translation: ui: staff_err_check_digit missing in ru (falls back to en)");
	expect_error(f, "staff_state_claimed", "ru", NULL,
		     "error: translation: ui: staff_state_claimed missing in ru (falls back to en)");
	expect_error(f, "staff_kind_callback", "ru", NULL,
		     "error: translation: ui: staff_kind_callback missing in ru (falls back to en)");
	/* a pack that loads without them (English built-ins) is still incomplete for validate */
	{
		static const struct {
			const char *drop, *missing[2];
		} later[] = {
			{"staff_err_",
			 {"error: translation: ui: staff_err_no_text missing in en\n",
			  "error: translation: ui: staff_err_trailing missing in ru\n"}},
			{"staff_state_",
			 {"error: translation: ui: staff_state_new missing in en\n",
			  "error: translation: ui: staff_state_closed missing in ru\n"}},
			{"staff_kind_",
			 {"error: translation: ui: staff_kind_complaint missing in en\n",
			  "error: translation: ui: staff_kind_callback missing in ru\n"}},
		};
		unsigned i, j;

		for (i = 0; i < sizeof(later) / sizeof(later[0]); i++) {
			void *ctx = talloc_new(NULL);
			char *report = NULL;

			assert_int_equal(
				validate(f, ctx, pack_text_ex(ctx, NULL, NULL, NULL, later[i].drop, NULL), &report),
				-EINVAL);
			for (j = 0; j < 2; j++) {
				if (!strstr(report, later[i].missing[j])) {
					fprintf(stderr, "without %s*: expected \"%s\" in:\n%s", later[i].drop,
						later[i].missing[j], report);
				}
				assert_non_null(strstr(report, later[i].missing[j]));
			}
			talloc_free(ctx);
		}
	}
}

static void test_validate_placeholders(void **state)
{
	struct fixture *f = *state;

	void *ctx = talloc_new(NULL);
	char *where = talloc_asprintf(ctx, "00-test.pack:%u: ui sms_case_status.ru: unknown placeholder {state}",
				      line_of(pack_text(ctx, NULL, NULL, NULL), "sms_case_status", "ru"));

	expect_error(f, "sms_case_status", "ru", "Yordam: дело {case}: {state}.", where);
	expect_error(f, "sms_case_status", "ru", "Yordam: дело {case}: {state}.",
		     "ui sms_case_status.ru: unknown placeholder {state} (sms_case_status takes {case} {status})");
	expect_error(f, "sms_case_filed", "en", "Yordam: case {case}, PIN {pin}.",
		     "ui sms_case_filed.en: placeholder {digits} missing");
	expect_error(f, "sms_case_claimed", "ru", "Yordam: делом занимаются.",
		     "ui sms_case_claimed.ru: placeholder {case} missing");
	/* staff texts: an unknown placeholder, a missing one */
	expect_error(f, "staff_taken", "ru", "Yordam: дело {case} ведёт {staff}.",
		     "ui staff_taken.ru: unknown placeholder {staff} (staff_taken takes {case} {name})");
	expect_error(f, "staff_taken", "ru", "Yordam: дело {case} ведёт другой.",
		     "ui staff_taken.ru: placeholder {name} missing");
	expect_error(f, "staff_remind", "en", "Yordam: still waits for your reply.",
		     "ui staff_remind.en: placeholder {case} missing");
	talloc_free(ctx);
}

static void test_validate_screens(void **state)
{
	struct fixture *f = *state;

	/* 57 units: sent whole or cut, the final texts must fit the GSUP port's 56 */
	expect_error(f, "case_error", "ru", "Ошибка: ничего не сохранено. Позвоните на горячую линию!!",
		     "error: hlr: ui case_error (ru) does not fit one screen: 57 units, the cap is 56");
	expect_error(f, "status_unknown", "ru", "Неизвестный номер дела или неверный PIN. Проверьте и повторите.",
		     "error: hlr: ui status_unknown (ru) does not fit one screen");
	expect_error(f, "case_detail", "ru", "Напишите город или работодателя (не больше 40 букв), 0 - пропустить",
		     "error: dial: ui case_detail (ru) does not fit one screen");
	/* the case number (12 digits) and the PIN are never cut */
	expect_error(f, "case_done", "ru", "Жалоба принята и сохранена. Ваш номер:",
		     "error: hlr: ui case_done+case_pin (12-digit case number) (ru) does not fit one screen");
	expect_error(f, "callback_done", "ru", "Запрос принят. Мы вам обязательно позвоним, ждите:",
		     "error: hlr: ui callback_done+when_soon (ru) does not fit one screen");
	expect_error(f, "when_hours", "ru", "где-то примерно через {hours} часов, не позже",
		     "error: hlr: ui callback_done+when_hours (ru) does not fit one screen");
	/* a prompt for typed input on two pages */
	expect_error(f, "status_case", "ru", "Введите номер дела: семь цифр, которые пришли вам по SMS",
		     "error: hlr: ui status_case (ru) does not fit one screen (2 pages)");
	expect_error(f, "case_number", "en",
		     "Type the phone number of your relative abroad, with the country code, as they would dial it from "
		     "home, in digits only, no spaces",
		     "error: hlr: ui case_number (en) does not fit one screen (2 pages)");
	/* the status screen of "check my case" ends on the status SMS with a real status word */
	expect_error(f, "sms_case_status", "ru", "Yordam: ваше дело номер {case} сейчас: {status}.",
		     "error: hlr: ui sms_case_status (the status screen) (ru) does not fit one screen");
}

static void test_validate_sms_parts(void **state)
{
	struct fixture *f = *state;

	/* 3 UCS-2 parts with a 12-digit case number */
	expect_error(f, "sms_case_filed", "ru",
		     "Yordam: ваша жалоба - дело {case}. PIN {pin} (для запроса с другого телефона). Мы храним её "
		     "зашифрованной и передаём только горячей линии. Статус: СТАТУС {digits}",
		     "error: sms: ui sms_case_filed (ru) takes 3 parts with a 12-digit case number, at most 2");
	/* the prefix of a staff member's reply keeps room for the reply */
	expect_error(f, "sms_case_reply", "ru",
		     "Yordam {case}: вот ответ сотрудника горячей линии по вашему делу номер {case}:",
		     "error: sms: ui sms_case_reply (ru) takes 2 parts");
	/* a staff text: 2 parts at most (3 for those with the reporter's words) */
	expect_error(f, "staff_took_over", "ru",
		     "Yordam: сотрудник горячей линии {name} взял на себя ваше дело номер {case}, которое раньше вели "
		     "вы. Больше ничего делать не нужно.",
		     "error: sms: ui staff_took_over (ru) takes 3 parts with the longest values, at most 2");
	expect_error(
		f, "staff_new", "ru",
		"Yordam: новое дело номер {case}. Категория: {category}. Страна: {country}. Язык: {lang}{escalated}. "
		"Текст: {excerpt}. Чтобы взять дело, ответьте: OK {digits}",
		"error: sms: ui staff_new (ru) takes 4 parts with the longest values, at most 3");
	/* the answer to a malformed command: over 2 parts is an error like any staff text ... */
	expect_error(f, "staff_err_no_text", "ru",
		     "Yordam: в вашем сообщении нет текста ответа. Напишите букву R, потом номер дела, потом текст, "
		     "который получит заявитель, например: R 123 4566 Приходите в офис в понедельник к десяти утра.",
		     "error: sms: ui staff_err_no_text (ru) takes 3 parts with the longest values, at most 2");
	/* ... and 2 parts a warning: it answers a typo */
	{
		void *ctx = talloc_new(NULL);
		char *report = NULL;

		assert_int_equal(
			validate(f, ctx,
				 pack_text(ctx, "staff_err_no_text", "ru",
					   "Yordam: в вашем сообщении нет текста ответа. Напишите, пожалуйста, "
					   "так: R <номер> <текст>"),
				 &report),
			0);
		assert_non_null(
			strstr(report, "warning: sms: ui staff_err_no_text (ru) takes 2 parts: keep it within one\n"));
		talloc_free(ctx);
	}
	/* the words put into staff texts count with the longest of them: a state ({state} of staff_state, staff_info) and a
	 * kind ({kind} of staff_info) */
	expect_error(f, "staff_state_answered", "ru",
		     "сотрудник горячей линии ответил заявителю по SMS, но дело ещё не закрыто, потому что заявитель "
		     "может написать снова, а сотрудник может ответить ещё раз",
		     "error: sms: ui staff_state (ru) takes 3 parts with the longest values, at most 2");
	expect_error(f, "staff_kind_callback", "ru",
		     "заявитель попросил перезвонить ему по телефону, который он указал, или с которого пришло его "
		     "сообщение, в рабочее время горячей линии, в любой день недели, кроме праздников и выходных",
		     "error: sms: ui staff_info (ru) takes 6 parts with the longest values, at most 3");
	/* a status word longer than the worst case allowed for */
	expect_error(f, "case_state_answered", "en",
		     "answered by the hotline, please read the reply we sent you by SMS and call us back if needed",
		     "error: sms: ui case_state_answered (en) is longer than 60 characters");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_placeholders_at_load),
		cmocka_unit_test(test_form_texts_required_at_load),
		cmocka_unit_test_setup_teardown(test_validate_complete_pack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validate_missing_language, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validate_placeholders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validate_screens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validate_sms_parts, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
