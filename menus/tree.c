/* The menu tree: building it (for the pack parser and the store loader alike), checking it as a
 * whole, saving it to and loading it from the store, and lookups. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include <yordam/menu.h>
#include <yordam/store.h>
#include <yordam/text.h>

#include "menu_priv.h"

const char *const menu_ui_keys[_NUM_MENU_UI_ALL] = {
	[MENU_UI_BACK] = "back",
	[MENU_UI_HOME] = "home",
	[MENU_UI_MORE] = "more",
	[MENU_UI_INVALID] = "invalid",
	[MENU_UI_CHOOSE_LANG] = "choose_lang",
	[MENU_UI_LANG_SAVED] = "lang_saved",
	[MENU_UI_NO_HOTLINES] = "no_hotlines",
	[MENU_UI_TIMEOUT] = "timeout",
	[MENU_UI_GOODBYE] = "goodbye",
	[MENU_UI_EXAMPLE] = "example",
	[MENU_UI_RESUME] = "resume",
	[MENU_UI_CASE_UNAVAIL] = "case_unavailable",
	[MENU_UI_CASE_ERROR] = "case_error",
	[MENU_UI_CASE_CAT] = "case_category",
	[MENU_UI_CASE_CAT1] = "case_cat_wages",
	[MENU_UI_CASE_CAT2] = "case_cat_documents",
	[MENU_UI_CASE_CAT3] = "case_cat_unsafe",
	[MENU_UI_CASE_CAT4] = "case_cat_recruiter",
	[MENU_UI_CASE_CAT5] = "case_cat_violence",
	[MENU_UI_CASE_CAT6] = "case_cat_detention",
	[MENU_UI_CASE_CAT7] = "case_cat_other",
	[MENU_UI_CASE_COUNTRY] = "case_country",
	[MENU_UI_CASE_OTHER] = "case_other_country",
	[MENU_UI_CASE_DETAIL] = "case_detail",
	[MENU_UI_CASE_WHO] = "case_who",
	[MENU_UI_CASE_SELF] = "case_self",
	[MENU_UI_CASE_RELATIVE] = "case_relative",
	[MENU_UI_CASE_NUMBER] = "case_number",
	[MENU_UI_CASE_CONSENT] = "case_consent",
	[MENU_UI_CASE_CONFIRM] = "case_confirm",
	[MENU_UI_CASE_KEYS] = "case_keys",
	[MENU_UI_CASE_CANCELLED] = "case_cancelled",
	[MENU_UI_CASE_DONE] = "case_done",
	[MENU_UI_CASE_PIN] = "case_pin",
	[MENU_UI_CASE_KEEP] = "case_keep",
	[MENU_UI_CB_CONFIRM] = "callback_confirm",
	[MENU_UI_CB_DONE] = "callback_done",
	[MENU_UI_CB_ALREADY] = "callback_already",
	[MENU_UI_ST_CASE] = "status_case",
	[MENU_UI_ST_PIN] = "status_pin",
	[MENU_UI_ST_UNKNOWN] = "status_unknown",
	[MENU_UI_SMS_FILED] = "sms_case_filed",
	[MENU_UI_SMS_CALLBACK] = "sms_case_callback",
	[MENU_UI_SMS_NEED_TEXT] = "sms_case_need_text",
	[MENU_UI_SMS_STATUS] = "sms_case_status",
	[MENU_UI_SMS_UNKNOWN] = "sms_case_unknown",
	[MENU_UI_SMS_MISTYPED] = "sms_case_mistyped",
	[MENU_UI_SMS_REPLY] = "sms_case_reply",
	[MENU_UI_SMS_CLAIMED] = "sms_case_claimed",
	[MENU_UI_SMS_CLOSED] = "sms_case_closed",
	[MENU_UI_SMS_EXPECT] = "sms_case_expect",
	[MENU_UI_STATE_RECEIVED] = "case_state_received",
	[MENU_UI_STATE_WORKING] = "case_state_working",
	[MENU_UI_STATE_ANSWERED] = "case_state_answered",
	[MENU_UI_STATE_CLOSED] = "case_state_closed",
	[MENU_UI_WHEN_SOON] = "when_soon",
	[MENU_UI_WHEN_HOURS] = "when_hours",
	[MENU_UI_STAFF_NEW] = "staff_new",
	[MENU_UI_STAFF_ESCALATED] = "staff_escalated",
	[MENU_UI_STAFF_CALLBACK] = "staff_callback",
	[MENU_UI_STAFF_REMIND] = "staff_remind",
	[MENU_UI_STAFF_TOOK_OVER] = "staff_took_over",
	[MENU_UI_STAFF_DUTY] = "staff_duty",
	[MENU_UI_STAFF_NO_CASE] = "staff_no_case",
	[MENU_UI_STAFF_TAKEN] = "staff_taken",
	[MENU_UI_STAFF_SOMEONE] = "staff_someone",
	[MENU_UI_STAFF_STATE] = "staff_state",
	[MENU_UI_STAFF_INFO] = "staff_info",
	[MENU_UI_STAFF_YOURS] = "staff_yours",
	[MENU_UI_STAFF_REPLIED] = "staff_replied",
	[MENU_UI_STAFF_CLOSED] = "staff_closed",
	[MENU_UI_STAFF_ALERT] = "staff_alert",
	[MENU_UI_STAFF_EMPLOYER] = "staff_employer",
	[MENU_UI_STAFF_NO_EMPLOYER] = "staff_no_employer",
	[MENU_UI_STAFF_DAYS] = "staff_days",
	[MENU_UI_STAFF_HOURS] = "staff_hours",
	[MENU_UI_STAFF_ERR_TOO_LONG] = "staff_err_too_long",
	[MENU_UI_STAFF_ERR_UNREADABLE] = "staff_err_unreadable",
	[MENU_UI_STAFF_ERR_NO_CASE] = "staff_err_no_case",
	[MENU_UI_STAFF_ERR_BAD_CASE] = "staff_err_bad_case",
	[MENU_UI_STAFF_ERR_CHECK_DIGIT] = "staff_err_check_digit",
	[MENU_UI_STAFF_ERR_NO_TEXT] = "staff_err_no_text",
	[MENU_UI_STAFF_ERR_TRAILING] = "staff_err_trailing",
	[MENU_UI_STAFF_STATE_NEW] = "staff_state_new",
	[MENU_UI_STAFF_STATE_NOTIFIED] = "staff_state_notified",
	[MENU_UI_STAFF_STATE_CLAIMED] = "staff_state_claimed",
	[MENU_UI_STAFF_STATE_ANSWERED] = "staff_state_answered",
	[MENU_UI_STAFF_STATE_CLOSED] = "staff_state_closed",
	[MENU_UI_STAFF_KIND_COMPLAINT] = "staff_kind_complaint",
	[MENU_UI_STAFF_KIND_CALLBACK] = "staff_kind_callback",
};

static const char *const kind_names[] = {
	[MENU_K_MENU] = "menu",		[MENU_K_ARTICLE] = "article",	  [MENU_K_HOTLINES] = "hotlines",
	[MENU_K_LANGUAGE] = "language", [MENU_K_COMPLAINT] = "complaint", [MENU_K_CALLBACK] = "callback",
	[MENU_K_STATUS] = "status",
};

const char *menu_kind_name(enum menu_kind k)
{
	if ((unsigned)k >= ARRAY_SIZE(kind_names)) {
		return "unknown";
	}
	return kind_names[k];
}

int menu_kind_parse(const char *s)
{
	unsigned i;

	if (!s) {
		return -EINVAL;
	}
	for (i = 0; i < ARRAY_SIZE(kind_names); i++) {
		if (strcmp(s, kind_names[i]) == 0) {
			return i;
		}
	}
	return -EINVAL;
}

int menu_lang_index(const struct menu_tree *t, const char *code)
{
	unsigned i;

	if (!t || !code) {
		return -ENOENT;
	}
	for (i = 0; i < t->n_lang && i < MENU_MAX_LANG; i++) {
		if (t->lang_code[i] && strcmp(t->lang_code[i], code) == 0) {
			return i;
		}
	}
	return -ENOENT;
}

static int node_index(const struct menu_tree *t, const char *id)
{
	unsigned i;

	for (i = 0; i < t->n_nodes; i++) {
		if (strcmp(t->nodes[i]->id, id) == 0) {
			return i;
		}
	}
	return -ENOENT;
}

static int hotline_index(const struct menu_tree *t, const char *id)
{
	unsigned i;

	for (i = 0; i < t->n_hotlines; i++) {
		if (strcmp(t->hotlines[i]->id, id) == 0) {
			return i;
		}
	}
	return -ENOENT;
}

const struct menu_node *menu_node_by_id(const struct menu_tree *t, const char *id)
{
	int i;

	if (!t || !id) {
		return NULL;
	}
	i = node_index(t, id);
	return i < 0 ? NULL : t->nodes[i];
}

bool menu_id_valid(const char *s, size_t len)
{
	size_t i;

	if (!s || len < 1 || len > 64) {
		return false;
	}
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-')) {
			return false;
		}
	}
	return true;
}

void menu_report_add(struct menu_report *rep, bool error, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!rep) {
		return;
	}
	if (error) {
		rep->n_errors++;
	} else {
		rep->n_warnings++;
	}
	if (!rep->cb) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rep->cb(rep->data, error, msg);
}

/* --- the builder ------------------------------------------------------------------------- */

enum {
	NF_KIND = 0x1,
	NF_PARENT = 0x2,
	NF_COUNTRY = 0x4,
};

enum {
	HF_COUNTRY = 0x1,
	HF_TOPIC = 0x2,
	HF_NUMBER = 0x4,
	HF_SOURCE = 0x8,
	HF_EXAMPLE = 0x10,
};

/* Where a section was declared, and what the tree itself has no room for. */
struct build_info {
	const char *file;
	unsigned line;
	unsigned flags;
	const char *parent; /* nodes: the parent's ID as written */
	int parent_idx;
};

struct menu_build {
	struct menu_tree *t; /* a child of the builder until it is complete */
	struct menu_report *rep;
	const char *fallback;
	const char *last_file;
	unsigned n_err;
	struct build_info lang[MENU_MAX_LANG];
	struct build_info *node;    /* parallel to t->nodes */
	struct build_info *hotline; /* parallel to t->hotlines */
	unsigned node_cap, hotline_cap;
};

__attribute__((format(printf, 5, 0))) static void build_vmsg(struct menu_build *b, bool error, const char *file,
							     unsigned line, const char *fmt, va_list ap)
{
	char msg[400];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (!file) {
		file = "content";
	}
	if (line) {
		menu_report_add(b->rep, error, "%s:%u: %s", file, line, msg);
	} else {
		menu_report_add(b->rep, error, "%s: %s", file, msg);
	}
	if (error) {
		b->n_err++;
	}
}

void menu_build_error(struct menu_build *b, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	build_vmsg(b, true, file, line, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 4, 5))) static void build_warn(struct menu_build *b, const char *file, unsigned line,
							     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	build_vmsg(b, false, file, line, fmt, ap);
	va_end(ap);
}

unsigned menu_build_n_errors(const struct menu_build *b)
{
	return b->n_err;
}

struct menu_build *menu_build_new(void *ctx, const char *fallback_lang, struct menu_report *rep)
{
	struct menu_build *b = talloc_zero(ctx, struct menu_build);

	if (!b) {
		return NULL;
	}
	b->rep = rep;
	b->t = talloc_zero(b, struct menu_tree);
	b->fallback = talloc_strdup(b, fallback_lang ? fallback_lang : "en");
	if (!b->t || !b->fallback) {
		talloc_free(b);
		return NULL;
	}
	return b;
}

/* Messages keep the file name after the caller's buffer is gone. */
static const char *intern_file(struct menu_build *b, const char *file)
{
	char *f;

	if (!file) {
		file = "content";
	}
	if (b->last_file && strcmp(b->last_file, file) == 0) {
		return b->last_file;
	}
	f = talloc_strdup(b, file);
	if (f) {
		b->last_file = f;
	}
	return f ? f : "content";
}

/* Every value is shown on a phone one day: it must be valid UTF-8 without control characters
 * (a line break is fine) and not so long that the renderer's buffers could not hold it. */
static int check_text(struct menu_build *b, const char *file, unsigned line, const char *key, const char *value)
{
	size_t len, i;

	if (!value || !*value) {
		menu_build_error(b, file, line, "empty value for '%.40s'", key);
		return -EINVAL;
	}
	len = strlen(value);
	if (len > MENU_TEXT_MAX) {
		menu_build_error(b, file, line, "value of '%.40s' is longer than %d bytes", key, MENU_TEXT_MAX);
		return -EINVAL;
	}
	if (!text_utf8_valid(value, len)) {
		menu_build_error(b, file, line, "invalid UTF-8 in '%.40s'", key);
		return -EILSEQ;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = value[i];
		if ((c < 0x20 && c != '\n') || c == 0x7f) {
			menu_build_error(b, file, line, "control character in '%.40s'", key);
			return -EINVAL;
		}
	}
	return 0;
}

static int lang_of(struct menu_build *b, const char *file, unsigned line, const char *lang)
{
	int l = menu_lang_index(b->t, lang);

	if (l < 0) {
		menu_build_error(b, file, line, "language '%.64s' is not declared", lang);
	}
	return l;
}

/* Put a translated text into its slot: arr[lang of code]. */
static int set_text(struct menu_build *b, void *owner, const char *file, unsigned line, const char *key,
		    const char *code, const char **arr, const char *value)
{
	int l = lang_of(b, file, line, code);
	char *s;

	if (l < 0) {
		return l;
	}
	if (check_text(b, file, line, key, value) < 0) {
		return -EINVAL;
	}
	if (arr[l]) {
		menu_build_error(b, file, line, "duplicate key '%s.%s'", key, code);
		return -EEXIST;
	}
	s = talloc_strdup(owner, value);
	if (!s) {
		menu_build_error(b, file, line, "out of memory");
		return -ENOMEM;
	}
	arr[l] = s;
	return 0;
}

static bool country_valid(const char *s)
{
	return s && strlen(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

int menu_build_language(struct menu_build *b, const char *file, unsigned line, const char *code)
{
	struct menu_tree *t = b->t;
	unsigned i;

	file = intern_file(b, file);
	if (!code || !menu_id_valid(code, strlen(code))) {
		menu_build_error(b, file, line, "bad language code");
		return -EINVAL;
	}
	if (menu_lang_index(t, code) >= 0) {
		menu_build_error(b, file, line, "language '%s' declared twice", code);
		return -EEXIST;
	}
	if (t->n_lang >= MENU_MAX_LANG) {
		menu_build_error(b, file, line, "more than %d languages", MENU_MAX_LANG);
		return -ENOSPC;
	}
	i = t->n_lang;
	t->lang_code[i] = talloc_strdup(t, code);
	if (!t->lang_code[i]) {
		menu_build_error(b, file, line, "out of memory");
		return -ENOMEM;
	}
	t->n_lang++;
	b->lang[i] = (struct build_info){.file = file, .line = line};
	return i;
}

int menu_build_language_field(struct menu_build *b, const char *file, unsigned line, int idx, const char *key,
			      const char *lang, const char *value)
{
	struct menu_tree *t = b->t;

	if (idx < 0 || (unsigned)idx >= t->n_lang || !key) {
		return -EINVAL;
	}
	if (lang || strcmp(key, "name") != 0) {
		menu_build_error(b, file, line, "unknown key '%.40s%s%.40s' in [language]", key, lang ? "." : "",
				 lang ? lang : "");
		return -EINVAL;
	}
	if (check_text(b, file, line, key, value) < 0) {
		return -EINVAL;
	}
	if (t->lang_name[idx]) {
		menu_build_error(b, file, line, "duplicate key 'name'");
		return -EEXIST;
	}
	t->lang_name[idx] = talloc_strdup(t, value);
	if (!t->lang_name[idx]) {
		return -ENOMEM;
	}
	return 0;
}

/* Grow a parallel pair of arrays by one slot. */
static int grow(struct menu_build *b, void *tctx, void **arr, struct build_info **info, unsigned n, unsigned *cap)
{
	unsigned ncap;
	void *na;
	struct build_info *ni;

	if (n < *cap) {
		return 0;
	}
	ncap = *cap ? *cap * 2 : 16;
	na = talloc_realloc_size(tctx, *arr, ncap * sizeof(void *));
	if (!na) {
		return -ENOMEM;
	}
	*arr = na;
	ni = talloc_realloc(b, *info, struct build_info, ncap);
	if (!ni) {
		return -ENOMEM;
	}
	*info = ni;
	*cap = ncap;
	return 0;
}

int menu_build_node(struct menu_build *b, const char *file, unsigned line, const char *id)
{
	struct menu_tree *t = b->t;
	struct menu_node *n;
	void *arr = t->nodes;
	int rc;

	file = intern_file(b, file);
	if (!id || !menu_id_valid(id, strlen(id))) {
		menu_build_error(b, file, line, "bad node ID (1-64 characters of A-Z a-z 0-9 . _ -)");
		return -EINVAL;
	}
	if (node_index(t, id) >= 0) {
		menu_build_error(b, file, line, "duplicate node ID '%s'", id);
		return -EEXIST;
	}
	if (t->n_nodes >= MENU_MAX_NODES) {
		menu_build_error(b, file, line, "more than %d nodes", MENU_MAX_NODES);
		return -ENOSPC;
	}
	rc = grow(b, t, &arr, &b->node, t->n_nodes, &b->node_cap);
	t->nodes = arr;
	n = rc < 0 ? NULL : talloc_zero(t, struct menu_node);
	if (n) {
		n->id = talloc_strdup(n, id);
	}
	if (!n || !n->id) {
		menu_build_error(b, file, line, "out of memory");
		return -ENOMEM;
	}
	n->kind = MENU_K_MENU;
	t->nodes[t->n_nodes] = n;
	b->node[t->n_nodes] = (struct build_info){.file = file, .line = line, .parent_idx = -1};
	return t->n_nodes++;
}

static int set_scalar(struct menu_build *b, void *owner, const char *file, unsigned line, unsigned *flags,
		      unsigned flag, const char *key, const char *value, const char **slot)
{
	char *s;

	if (*flags & flag) {
		menu_build_error(b, file, line, "duplicate key '%s'", key);
		return -EEXIST;
	}
	*flags |= flag;
	s = talloc_strdup(owner, value);
	if (!s) {
		menu_build_error(b, file, line, "out of memory");
		return -ENOMEM;
	}
	*slot = s;
	return 0;
}

int menu_build_node_field(struct menu_build *b, const char *file, unsigned line, int idx, const char *key,
			  const char *lang, const char *value)
{
	struct menu_tree *t = b->t;
	struct build_info *bi;
	struct menu_node *n;
	int k;

	if (idx < 0 || (unsigned)idx >= t->n_nodes || !key) {
		return -EINVAL;
	}
	n = t->nodes[idx];
	bi = &b->node[idx];
	if (lang) {
		const char **arr;

		if (strcmp(key, "title") == 0) {
			arr = n->title;
		} else if (strcmp(key, "body") == 0) {
			arr = n->body;
		} else if (strcmp(key, "keywords") == 0) {
			arr = n->keywords;
		} else {
			menu_build_error(b, file, line, "unknown key '%.40s.%.64s' in [node]", key, lang);
			return -EINVAL;
		}
		return set_text(b, n, file, line, key, lang, arr, value);
	}
	if (strcmp(key, "kind") == 0) {
		k = menu_kind_parse(value);
		if (k < 0) {
			menu_build_error(
				b, file, line,
				"unknown kind '%.40s' (menu, article, hotlines, language, complaint, callback, status)",
				value ? value : "");
			return -EINVAL;
		}
		if (bi->flags & NF_KIND) {
			menu_build_error(b, file, line, "duplicate key 'kind'");
			return -EEXIST;
		}
		bi->flags |= NF_KIND;
		n->kind = k;
		return 0;
	}
	if (strcmp(key, "parent") == 0) {
		if (!value || !menu_id_valid(value, strlen(value))) {
			menu_build_error(b, file, line, "bad parent ID");
			return -EINVAL;
		}
		return set_scalar(b, b, file, line, &bi->flags, NF_PARENT, key, value, &bi->parent);
	}
	if (strcmp(key, "country") == 0) {
		if (!country_valid(value)) {
			menu_build_error(b, file, line, "bad country '%.40s' (ISO 3166-1 alpha-2, e.g. KR)",
					 value ? value : "");
			return -EINVAL;
		}
		return set_scalar(b, n, file, line, &bi->flags, NF_COUNTRY, key, value, &n->country);
	}
	menu_build_error(b, file, line, "unknown key '%.40s' in [node]", key);
	return -EINVAL;
}

int menu_build_hotline(struct menu_build *b, const char *file, unsigned line, const char *id)
{
	struct menu_tree *t = b->t;
	struct menu_hotline *h;
	void *arr = t->hotlines;
	int rc;

	file = intern_file(b, file);
	if (!id || !menu_id_valid(id, strlen(id))) {
		menu_build_error(b, file, line, "bad hotline ID (1-64 characters of A-Z a-z 0-9 . _ -)");
		return -EINVAL;
	}
	if (hotline_index(t, id) >= 0) {
		menu_build_error(b, file, line, "duplicate hotline ID '%s'", id);
		return -EEXIST;
	}
	if (t->n_hotlines >= MENU_MAX_HOTLINES) {
		menu_build_error(b, file, line, "more than %d hotlines", MENU_MAX_HOTLINES);
		return -ENOSPC;
	}
	rc = grow(b, t, &arr, &b->hotline, t->n_hotlines, &b->hotline_cap);
	t->hotlines = arr;
	h = rc < 0 ? NULL : talloc_zero(t, struct menu_hotline);
	if (h) {
		h->id = talloc_strdup(h, id);
	}
	if (!h || !h->id) {
		menu_build_error(b, file, line, "out of memory");
		return -ENOMEM;
	}
	t->hotlines[t->n_hotlines] = h;
	b->hotline[t->n_hotlines] = (struct build_info){.file = file, .line = line, .parent_idx = -1};
	return t->n_hotlines++;
}

static bool number_valid(const char *s)
{
	bool digit = false;
	size_t len = s ? strlen(s) : 0;

	if (len < 1 || len > 32) {
		return false;
	}
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9') {
			digit = true;
		} else if (!strchr(" +-()", *s)) {
			return false;
		}
	}
	return digit;
}

int menu_build_hotline_field(struct menu_build *b, const char *file, unsigned line, int idx, const char *key,
			     const char *lang, const char *value)
{
	struct menu_tree *t = b->t;
	struct build_info *bi;
	struct menu_hotline *h;

	if (idx < 0 || (unsigned)idx >= t->n_hotlines || !key) {
		return -EINVAL;
	}
	h = t->hotlines[idx];
	bi = &b->hotline[idx];
	if (lang) {
		const char **arr;

		if (strcmp(key, "name") == 0) {
			arr = h->name;
		} else if (strcmp(key, "hours") == 0) {
			arr = h->hours;
		} else if (strcmp(key, "languages") == 0) {
			arr = h->languages;
		} else {
			menu_build_error(b, file, line, "unknown key '%.40s.%.64s' in [hotline]", key, lang);
			return -EINVAL;
		}
		return set_text(b, h, file, line, key, lang, arr, value);
	}
	if (strcmp(key, "country") == 0) {
		if (!country_valid(value)) {
			menu_build_error(b, file, line, "bad country '%.40s' (ISO 3166-1 alpha-2, e.g. KR)",
					 value ? value : "");
			return -EINVAL;
		}
		return set_scalar(b, h, file, line, &bi->flags, HF_COUNTRY, key, value, &h->country);
	}
	if (strcmp(key, "topic") == 0) {
		if (!value || !menu_id_valid(value, strlen(value))) {
			menu_build_error(b, file, line, "bad topic (1-64 characters of A-Z a-z 0-9 . _ -)");
			return -EINVAL;
		}
		return set_scalar(b, h, file, line, &bi->flags, HF_TOPIC, key, value, &h->topic);
	}
	if (strcmp(key, "number") == 0) {
		if (!number_valid(value)) {
			menu_build_error(b, file, line, "bad number (digits, spaces, + - ( ), at most 32)");
			return -EINVAL;
		}
		return set_scalar(b, h, file, line, &bi->flags, HF_NUMBER, key, value, &h->number);
	}
	if (strcmp(key, "source") == 0) {
		if (check_text(b, file, line, key, value) < 0) {
			return -EINVAL;
		}
		return set_scalar(b, h, file, line, &bi->flags, HF_SOURCE, key, value, &h->source);
	}
	if (strcmp(key, "example") == 0) {
		if (bi->flags & HF_EXAMPLE) {
			menu_build_error(b, file, line, "duplicate key 'example'");
			return -EEXIST;
		}
		bi->flags |= HF_EXAMPLE;
		if (value && strcmp(value, "yes") == 0) {
			h->example = true;
		} else if (value && strcmp(value, "no") == 0) {
			h->example = false;
		} else {
			menu_build_error(b, file, line, "example must be 'yes' or 'no'");
			return -EINVAL;
		}
		return 0;
	}
	menu_build_error(b, file, line, "unknown key '%.40s' in [hotline]", key);
	return -EINVAL;
}

/* The templates the cases service fills in (firmware/cases_svc.c): each must hold every one of its
 * placeholders (a reporter's SMS without its case number is useless) and no other {name}, which would
 * reach the phone as written. */
static const char *const ui_vars_none[] = {NULL};
static const char *const ui_vars_case[] = {"case", NULL};
static const char *const ui_vars_filed[] = {"case", "pin", "digits", NULL};
static const char *const ui_vars_status[] = {"case", "status", NULL};
static const char *const ui_vars_expect[] = {"case", "when", NULL};
static const char *const ui_vars_hours[] = {"hours", NULL};
static const char *const ui_vars_staff_new[] = {"case",	     "category", "country", "lang",
						"escalated", "excerpt",	 "digits",  NULL};
static const char *const ui_vars_staff_callback[] = {"case", "country", "lang", "phone", "digits", NULL};
static const char *const ui_vars_case_name[] = {"case", "name", NULL};
static const char *const ui_vars_duty[] = {"mode", "until", NULL};
static const char *const ui_vars_case_state[] = {"case", "state", NULL};
static const char *const ui_vars_info[] = {"case",  "kind",	   "category", "country", "lang",
					   "state", "escalations", "text",     NULL};
static const char *const ui_vars_alert[] = {"count", "category", "country", "employer", "window", "case", NULL};
static const char *const ui_vars_employer[] = {"employer", NULL};
static const char *const ui_vars_n[] = {"n", NULL};

const char *const *menu_ui_placeholders(enum menu_ui k)
{
	switch (k) {
	case MENU_UI_SMS_FILED:
		return ui_vars_filed;
	case MENU_UI_SMS_CALLBACK:
	case MENU_UI_SMS_REPLY:
	case MENU_UI_SMS_CLAIMED:
	case MENU_UI_SMS_CLOSED:
		return ui_vars_case;
	case MENU_UI_SMS_STATUS:
		return ui_vars_status;
	case MENU_UI_SMS_EXPECT:
		return ui_vars_expect;
	case MENU_UI_WHEN_HOURS:
		return ui_vars_hours;
	case MENU_UI_STAFF_NEW:
		return ui_vars_staff_new;
	case MENU_UI_STAFF_CALLBACK:
		return ui_vars_staff_callback;
	case MENU_UI_STAFF_REMIND:
	case MENU_UI_STAFF_NO_CASE:
	case MENU_UI_STAFF_YOURS:
	case MENU_UI_STAFF_REPLIED:
	case MENU_UI_STAFF_CLOSED:
		return ui_vars_case;
	case MENU_UI_STAFF_TOOK_OVER:
	case MENU_UI_STAFF_TAKEN:
		return ui_vars_case_name;
	case MENU_UI_STAFF_DUTY:
		return ui_vars_duty;
	case MENU_UI_STAFF_STATE:
		return ui_vars_case_state;
	case MENU_UI_STAFF_INFO:
		return ui_vars_info;
	case MENU_UI_STAFF_ALERT:
		return ui_vars_alert;
	case MENU_UI_STAFF_EMPLOYER:
		return ui_vars_employer;
	case MENU_UI_STAFF_DAYS:
	case MENU_UI_STAFF_HOURS:
		return ui_vars_n;
	case MENU_UI_STAFF_ESCALATED:
	case MENU_UI_STAFF_SOMEONE:
	case MENU_UI_STAFF_NO_EMPLOYER:
	case MENU_UI_STAFF_ERR_TOO_LONG:
	case MENU_UI_STAFF_ERR_UNREADABLE:
	case MENU_UI_STAFF_ERR_NO_CASE:
	case MENU_UI_STAFF_ERR_BAD_CASE:
	case MENU_UI_STAFF_ERR_CHECK_DIGIT:
	case MENU_UI_STAFF_ERR_NO_TEXT:
	case MENU_UI_STAFF_ERR_TRAILING:
	case MENU_UI_STAFF_STATE_NEW:
	case MENU_UI_STAFF_STATE_NOTIFIED:
	case MENU_UI_STAFF_STATE_CLAIMED:
	case MENU_UI_STAFF_STATE_ANSWERED:
	case MENU_UI_STAFF_STATE_CLOSED:
	case MENU_UI_STAFF_KIND_COMPLAINT:
	case MENU_UI_STAFF_KIND_CALLBACK:
	case MENU_UI_SMS_NEED_TEXT:
	case MENU_UI_SMS_UNKNOWN:
	case MENU_UI_SMS_MISTYPED:
	case MENU_UI_STATE_RECEIVED:
	case MENU_UI_STATE_WORKING:
	case MENU_UI_STATE_ANSWERED:
	case MENU_UI_STATE_CLOSED:
	case MENU_UI_WHEN_SOON:
		return ui_vars_none;
	default:
		return NULL;
	}
}

static bool var_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* A template's {name}s against its list: every '{' opens a placeholder of the list, and each of the
 * list appears. Reported at file:line; 0 or -EINVAL. */
static int check_placeholders(struct menu_build *b, const char *file, unsigned line, enum menu_ui k, const char *lang,
			      const char *value)
{
	const char *const *vars = menu_ui_placeholders(k);
	char takes[160] = "";
	const char *p;
	unsigned seen = 0, i;
	int rc = 0;

	if (!vars || !value) {
		return 0;
	}
	for (i = 0; vars[i]; i++) {
		snprintf(takes + strlen(takes), sizeof(takes) - strlen(takes), "%s{%s}", i ? " " : "", vars[i]);
	}
	for (p = strchr(value, '{'); p; p = strchr(p + 1, '{')) {
		size_t n = 0;

		while (n < 32 && var_char(p[1 + n])) {
			n++;
		}
		if (!n || p[1 + n] != '}') {
			menu_build_error(b, file, line, "ui %s.%s: '{' that starts no placeholder (%s takes %s)",
					 menu_ui_keys[k], lang, menu_ui_keys[k], vars[0] ? takes : "none");
			rc = -EINVAL;
			continue;
		}
		for (i = 0; vars[i]; i++) {
			if (strlen(vars[i]) == n && strncmp(p + 1, vars[i], n) == 0) {
				break;
			}
		}
		if (!vars[i]) {
			menu_build_error(b, file, line, "ui %s.%s: unknown placeholder {%.*s} (%s takes %s)",
					 menu_ui_keys[k], lang, (int)n, p + 1, menu_ui_keys[k],
					 vars[0] ? takes : "none");
			rc = -EINVAL;
		} else {
			seen |= 1u << i;
		}
	}
	for (i = 0; vars[i]; i++) {
		if (!(seen & (1u << i))) {
			menu_build_error(b, file, line, "ui %s.%s: placeholder {%s} missing", menu_ui_keys[k], lang,
					 vars[i]);
			rc = -EINVAL;
		}
	}
	return rc;
}

int menu_build_ui_field(struct menu_build *b, const char *file, unsigned line, const char *key, const char *lang,
			const char *value)
{
	unsigned k;
	int rc;

	if (!key) {
		return -EINVAL;
	}
	for (k = 0; k < _NUM_MENU_UI_ALL; k++) {
		if (strcmp(key, menu_ui_keys[k]) == 0) {
			break;
		}
	}
	if (k == _NUM_MENU_UI_ALL || !lang) {
		menu_build_error(b, file, line, "unknown key '%.40s%s%.40s' in [ui]", key, lang ? "." : "",
				 lang ? lang : "");
		return -EINVAL;
	}
	rc = set_text(b, b->t, file, line, key, lang, b->t->ui[k], value);
	return rc < 0 ? rc : check_placeholders(b, file, line, (enum menu_ui)k, lang, value);
}

/* A text missing in a language takes the fallback's (a warning); missing there too is an error
 * when the text is required, or when some other language has it (it would have no fallback). */
static void fill(struct menu_build *b, const struct build_info *bi, const char *owner, const char *field,
		 const char **arr, bool required)
{
	const struct menu_tree *t = b->t;
	unsigned fb = t->fallback, l;
	bool any = false;

	if (!arr[fb]) {
		for (l = 0; l < t->n_lang; l++) {
			any |= arr[l] != NULL;
		}
		if (required || any) {
			menu_build_error(b, bi->file, bi->line, "%s: %s missing in the fallback language %s", owner,
					 field, t->lang_code[fb]);
		}
		return;
	}
	for (l = 0; l < t->n_lang; l++) {
		if (!arr[l]) {
			arr[l] = arr[fb];
			build_warn(b, bi->file, bi->line, "%s: %s missing in %s, using %s", owner, field,
				   t->lang_code[l], t->lang_code[fb]);
		}
	}
}

static void check_sections(struct menu_build *b)
{
	struct menu_tree *t = b->t;
	unsigned i, l;

	for (i = 0; i < t->n_lang; i++) {
		if (!t->lang_name[i]) {
			menu_build_error(b, b->lang[i].file, b->lang[i].line, "language %s: name missing",
					 t->lang_code[i]);
		}
	}
	for (i = 0; i < t->n_nodes; i++) {
		struct menu_node *n = t->nodes[i];
		struct build_info *bi = &b->node[i];
		bool body = false;

		for (l = 0; l < t->n_lang; l++) {
			body |= n->body[l] != NULL;
		}
		if (!(bi->flags & NF_KIND)) {
			menu_build_error(b, bi->file, bi->line, "node %s: kind missing", n->id);
			continue;
		}
		if (n->kind == MENU_K_HOTLINES && !n->country) {
			menu_build_error(b, bi->file, bi->line, "node %s: country missing (needed by kind hotlines)",
					 n->id);
		}
		if (n->kind != MENU_K_HOTLINES && n->country) {
			menu_build_error(b, bi->file, bi->line, "node %s: country is only for kind hotlines", n->id);
		}
		if (n->kind != MENU_K_ARTICLE && body) {
			menu_build_error(b, bi->file, bi->line, "node %s: body is only for kind article", n->id);
		}
	}
	for (i = 0; i < t->n_hotlines; i++) {
		struct menu_hotline *h = t->hotlines[i];
		struct build_info *bi = &b->hotline[i];

		if (!(bi->flags & HF_COUNTRY)) {
			menu_build_error(b, bi->file, bi->line, "hotline %s: country missing", h->id);
		}
		if (!(bi->flags & HF_TOPIC)) {
			menu_build_error(b, bi->file, bi->line, "hotline %s: topic missing", h->id);
		}
		if (!(bi->flags & HF_NUMBER)) {
			menu_build_error(b, bi->file, bi->line, "hotline %s: number missing", h->id);
		}
	}
}

/* Roots, parents, cycles and children. */
static void check_structure(struct menu_build *b)
{
	struct menu_tree *t = b->t;
	struct menu_node *root = NULL;
	unsigned char *state;
	unsigned i;
	int j, root_idx = -1;

	for (i = 0; i < t->n_nodes; i++) {
		struct menu_node *n = t->nodes[i];
		struct build_info *bi = &b->node[i];

		if (!bi->parent) {
			if (root) {
				menu_build_error(b, bi->file, bi->line,
						 "node %s: no parent, but %s is the root already (exactly one root)",
						 n->id, root->id);
			} else {
				root = n;
				root_idx = i;
			}
			continue;
		}
		j = node_index(t, bi->parent);
		if (j < 0) {
			menu_build_error(b, bi->file, bi->line, "node %s: unknown parent '%s'", n->id, bi->parent);
		} else if (t->nodes[j]->kind != MENU_K_MENU) {
			menu_build_error(b, bi->file, bi->line, "node %s: parent %s is not a menu", n->id,
					 t->nodes[j]->id);
		} else {
			bi->parent_idx = j;
		}
	}
	if (!t->n_nodes) {
		menu_build_error(b, b->last_file, 0, "no nodes");
		return;
	}
	if (!root) {
		menu_build_error(b, b->last_file, 0, "no root node (a node without parent)");
	} else if (root->kind != MENU_K_MENU) {
		menu_build_error(b, b->node[root_idx].file, b->node[root_idx].line, "node %s: the root must be a menu",
				 root->id);
	}

	/* Walk up from every node; meeting a node of the current walk again is a cycle. 0: not seen,
	 * 1: on the current walk, 2: known to end at a node without parent. */
	state = talloc_zero_array(b, unsigned char, t->n_nodes);
	if (!state) {
		menu_build_error(b, b->last_file, 0, "out of memory");
		return;
	}
	for (i = 0; i < t->n_nodes; i++) {
		int k;

		for (j = i; j >= 0 && state[j] == 0; j = b->node[j].parent_idx) {
			state[j] = 1;
		}
		if (j >= 0 && state[j] == 1) {
			menu_build_error(b, b->node[j].file, b->node[j].line, "node %s: cycle in its parents",
					 t->nodes[j]->id);
		}
		for (k = i; k >= 0 && state[k] == 1; k = b->node[k].parent_idx) {
			state[k] = 2;
		}
	}
	talloc_free(state);

	for (i = 0; i < t->n_nodes; i++) {
		struct menu_node *n = t->nodes[i], *p;

		if (b->node[i].parent_idx < 0) {
			continue;
		}
		p = t->nodes[b->node[i].parent_idx];
		if (p->n_child >= MENU_MAX_CHILDREN) {
			menu_build_error(b, b->node[i].file, b->node[i].line,
					 "node %s: more than %d children in %s (keys 1-%d)", n->id, MENU_MAX_CHILDREN,
					 p->id, MENU_MAX_CHILDREN);
			continue;
		}
		if (!p->child) {
			p->child = talloc_zero_array(p, struct menu_node *, MENU_MAX_CHILDREN);
			if (!p->child) {
				menu_build_error(b, b->node[i].file, b->node[i].line, "out of memory");
				continue;
			}
		}
		n->parent = p;
		p->child[p->n_child++] = n;
	}

	/* Root first, the others in pack order: menu_tree_save and _load rely on it. */
	if (root_idx > 0) {
		struct build_info bi = b->node[root_idx];

		memmove(&t->nodes[1], &t->nodes[0], root_idx * sizeof(t->nodes[0]));
		memmove(&b->node[1], &b->node[0], root_idx * sizeof(b->node[0]));
		t->nodes[0] = root;
		b->node[0] = bi;
	}
	t->root = root;
	for (i = 0; i < t->n_nodes; i++) {
		if (t->nodes[i]->kind == MENU_K_LANGUAGE && (b->node[i].flags & NF_KIND)) {
			t->lang_node = t->nodes[i];
			break;
		}
	}
	if (!t->lang_node) {
		menu_build_error(b, b->last_file, 0, "no node of kind language (needed at a caller's first dial)");
	}
}

static bool menu_has_case_nodes(const struct menu_tree *t)
{
	unsigned i;

	for (i = 0; i < t->n_nodes; i++) {
		if (t->nodes[i]->kind == MENU_K_COMPLAINT || t->nodes[i]->kind == MENU_K_CALLBACK ||
		    t->nodes[i]->kind == MENU_K_STATUS) {
			return true;
		}
	}
	return false;
}

static void check_texts(struct menu_build *b)
{
	struct menu_tree *t = b->t;
	char owner[96];
	unsigned i, k;

	for (i = 0; i < t->n_nodes; i++) {
		struct menu_node *n = t->nodes[i];

		snprintf(owner, sizeof(owner), "node %s", n->id);
		fill(b, &b->node[i], owner, "title", n->title, true);
		if (n->kind == MENU_K_ARTICLE) {
			fill(b, &b->node[i], owner, "body", n->body, true);
		}
	}
	for (k = 0; k < _NUM_MENU_UI_ALL; k++) {
		struct build_info bi = {.file = b->last_file};
		/* Content stored or written before the later texts must still load (the service has English
		 * for them). content validate asks for them like the others. */
		bool later = k >= MENU_UI_LATER;

		fill(b, &bi, "ui", menu_ui_keys[k], t->ui[k], k < _NUM_MENU_UI || (menu_has_case_nodes(t) && !later));
	}
	for (i = 0; i < t->n_hotlines; i++) {
		struct menu_hotline *h = t->hotlines[i];

		snprintf(owner, sizeof(owner), "hotline %s", h->id);
		fill(b, &b->hotline[i], owner, "name", h->name, true);
		fill(b, &b->hotline[i], owner, "hours", h->hours, false);
		fill(b, &b->hotline[i], owner, "languages", h->languages, false);
	}
}

/* The renderer builds a country's list in a fixed buffer: refuse what would not fit. */
static void check_hotline_lists(struct menu_build *b)
{
	struct menu_tree *t = b->t;
	char *buf;
	unsigned i, l;

	buf = talloc_size(b, MENU_BODY_MAX);
	if (!buf) {
		menu_build_error(b, b->last_file, 0, "out of memory");
		return;
	}
	for (i = 0; i < t->n_nodes; i++) {
		struct menu_node *n = t->nodes[i];

		if (n->kind != MENU_K_HOTLINES) {
			continue;
		}
		for (l = 0; l < t->n_lang; l++) {
			if (menu_hotline_body(t, n, l, buf, MENU_BODY_MAX) < 0) {
				menu_build_error(b, b->node[i].file, b->node[i].line,
						 "node %s: the hotline list of %s in %s is longer than %d bytes", n->id,
						 n->country, t->lang_code[l], MENU_BODY_MAX - 1);
				break;
			}
		}
	}
	talloc_free(buf);
}

struct menu_tree *menu_build_finish(struct menu_build *b, void *ctx)
{
	struct menu_tree *t;
	int fb;

	if (!b) {
		return NULL;
	}
	t = b->t;
	if (!t->n_lang) {
		menu_build_error(b, b->last_file, 0, "no language declared");
	} else if (t->n_lang > MENU_MAX_CHILDREN) {
		menu_build_error(b, b->last_file, 0, "more than %d languages: the picker has keys 1-%d only",
				 MENU_MAX_CHILDREN, MENU_MAX_CHILDREN);
	}
	fb = menu_lang_index(t, b->fallback);
	if (t->n_lang && fb < 0) {
		menu_build_error(b, b->last_file, 0, "the fallback language '%.64s' is not declared", b->fallback);
	}
	t->fallback = fb < 0 ? 0 : fb;

	check_sections(b);
	check_structure(b);
	if (fb >= 0) {
		check_texts(b);
	}
	if (!b->n_err) {
		check_hotline_lists(b);
	}
	if (b->n_err) {
		talloc_free(b);
		return NULL;
	}
	talloc_steal(ctx, t);
	talloc_free(b);
	return t;
}

/* --- store ------------------------------------------------------------------------------- */

/* Only the texts written in the pack: a fallback copy shares the fallback's pointer, so loading
 * applies the fallback (and reports it) again rather than freezing it into the store. */
static int save_texts(const struct menu_tree *t, struct store *st, const char *owner, const char *field,
		      const char *const *arr)
{
	unsigned l;
	int rc;

	for (l = 0; l < t->n_lang; l++) {
		if (!arr[l] || (l != t->fallback && arr[l] == arr[t->fallback])) {
			continue;
		}
		rc = store_content_add_text(st, owner, field, t->lang_code[l], arr[l]);
		if (rc < 0) {
			return rc;
		}
	}
	return 0;
}

static int node_pos(const struct menu_tree *t, const struct menu_node *n)
{
	unsigned i;

	for (i = 0; i < t->n_nodes; i++) {
		if (t->nodes[i] == n) {
			return i;
		}
	}
	return -ENOENT;
}

/* Parents before children (the store may check them); pos keeps the pack order for the load. */
static int save_node(const struct menu_tree *t, struct store *st, const struct menu_node *n, unsigned depth)
{
	char owner[80];
	unsigned i;
	int rc, pos = node_pos(t, n);

	if (pos < 0 || depth > MENU_MAX_NODES) {
		return -EINVAL;
	}
	rc = store_content_add_node(st, n->id, n->parent ? n->parent->id : NULL, pos, menu_kind_name(n->kind),
				    n->country);
	if (rc < 0) {
		return rc;
	}
	snprintf(owner, sizeof(owner), "node:%s", n->id);
	rc = save_texts(t, st, owner, "title", n->title);
	if (rc == 0) {
		rc = save_texts(t, st, owner, "body", n->body);
	}
	if (rc == 0) {
		rc = save_texts(t, st, owner, "keywords", n->keywords);
	}
	for (i = 0; rc == 0 && i < n->n_child; i++) {
		rc = save_node(t, st, n->child[i], depth + 1);
	}
	return rc;
}

static int save_all(const struct menu_tree *t, struct store *st)
{
	char owner[80];
	unsigned i;
	int rc;

	for (i = 0; i < t->n_lang; i++) {
		rc = store_content_add_language(st, t->lang_code[i], t->lang_name[i], i);
		if (rc < 0) {
			return rc;
		}
	}
	rc = save_node(t, st, t->root, 0);
	if (rc < 0) {
		return rc;
	}
	for (i = 0; i < _NUM_MENU_UI_ALL; i++) {
		rc = save_texts(t, st, "ui", menu_ui_keys[i], t->ui[i]);
		if (rc < 0) {
			return rc;
		}
	}
	for (i = 0; i < t->n_hotlines; i++) {
		const struct menu_hotline *h = t->hotlines[i];

		rc = store_content_add_hotline(st, h->id, h->country, h->topic, h->number, i, h->source, h->example);
		if (rc < 0) {
			return rc;
		}
		snprintf(owner, sizeof(owner), "hotline:%s", h->id);
		rc = save_texts(t, st, owner, "name", h->name);
		if (rc == 0) {
			rc = save_texts(t, st, owner, "hours", h->hours);
		}
		if (rc == 0) {
			rc = save_texts(t, st, owner, "languages", h->languages);
		}
		if (rc < 0) {
			return rc;
		}
	}
	return 0;
}

int menu_tree_save(const struct menu_tree *t, struct store *st)
{
	int rc;

	if (!t || !st || !t->root || t->n_lang == 0 || t->fallback >= t->n_lang) {
		return -EINVAL;
	}
	rc = store_content_begin(st);
	if (rc < 0) {
		return rc;
	}
	rc = save_all(t, st);
	if (rc == 0) {
		rc = store_content_commit(st);
	}
	if (rc < 0) {
		store_content_rollback(st);
	}
	return rc;
}

#define STORE_WHERE "store"

struct load_row {
	char *id, *parent, *kind, *country, *topic, *number, *source;
	bool example;
	int pos;
	unsigned seq;
};

struct load_state {
	struct menu_build *b;
	struct load_row *rows;
	unsigned n_rows, cap;
};

static struct load_row *load_row_new(struct load_state *ls)
{
	struct load_row *r;

	if (ls->n_rows >= MENU_MAX_NODES + MENU_MAX_HOTLINES) {
		menu_build_error(ls->b, STORE_WHERE, 0, "too many rows");
		return NULL;
	}
	if (ls->n_rows == ls->cap) {
		unsigned ncap = ls->cap ? ls->cap * 2 : 32;
		struct load_row *nr = talloc_realloc(ls->b, ls->rows, struct load_row, ncap);

		if (!nr) {
			menu_build_error(ls->b, STORE_WHERE, 0, "out of memory");
			return NULL;
		}
		ls->rows = nr;
		ls->cap = ncap;
	}
	r = &ls->rows[ls->n_rows];
	memset(r, 0, sizeof(*r));
	r->seq = ls->n_rows++;
	return r;
}

static char *dup_or_null(void *ctx, const char *s)
{
	return s ? talloc_strdup(ctx, s) : NULL;
}

static int cmp_row(const void *a, const void *b)
{
	const struct load_row *x = a, *y = b;

	if (x->pos != y->pos) {
		return x->pos < y->pos ? -1 : 1;
	}
	return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

static int load_language_cb(void *data, const char *code, const char *name, int pos)
{
	struct load_state *ls = data;
	int i = menu_build_language(ls->b, STORE_WHERE, 0, code);

	if (i >= 0) {
		menu_build_language_field(ls->b, STORE_WHERE, 0, i, "name", NULL, name);
	}
	return 0;
}

static int load_node_cb(void *data, const char *id, const char *parent, int pos, const char *kind, const char *country)
{
	struct load_state *ls = data;
	struct load_row *r = load_row_new(ls);

	if (!r) {
		return -ENOMEM;
	}
	r->id = dup_or_null(ls->b, id);
	r->parent = dup_or_null(ls->b, parent);
	r->kind = dup_or_null(ls->b, kind);
	r->country = dup_or_null(ls->b, country);
	r->pos = pos;
	return 0;
}

static int load_hotline_cb(void *data, const char *id, const char *country, const char *topic, const char *number,
			   int pos, const char *source, bool example)
{
	struct load_state *ls = data;
	struct load_row *r = load_row_new(ls);

	if (!r) {
		return -ENOMEM;
	}
	r->id = dup_or_null(ls->b, id);
	r->country = dup_or_null(ls->b, country);
	r->topic = dup_or_null(ls->b, topic);
	r->number = dup_or_null(ls->b, number);
	r->source = dup_or_null(ls->b, source);
	r->example = example;
	r->pos = pos;
	return 0;
}

static int load_text_cb(void *data, const char *owner, const char *field, const char *lang, const char *text)
{
	struct load_state *ls = data;
	struct menu_build *b = ls->b;
	int i;

	if (!owner || !field || !lang) {
		menu_build_error(b, STORE_WHERE, 0, "text without owner, field or language");
		return 0;
	}
	if (strcmp(owner, "ui") == 0) {
		menu_build_ui_field(b, STORE_WHERE, 0, field, lang, text);
	} else if (strncmp(owner, "node:", 5) == 0) {
		i = node_index(b->t, owner + 5);
		if (i < 0) {
			menu_build_error(b, STORE_WHERE, 0, "text of unknown %.80s", owner);
		} else {
			menu_build_node_field(b, STORE_WHERE, 0, i, field, lang, text);
		}
	} else if (strncmp(owner, "hotline:", 8) == 0) {
		i = hotline_index(b->t, owner + 8);
		if (i < 0) {
			menu_build_error(b, STORE_WHERE, 0, "text of unknown %.80s", owner);
		} else {
			menu_build_hotline_field(b, STORE_WHERE, 0, i, field, lang, text);
		}
	} else {
		menu_build_error(b, STORE_WHERE, 0, "text of unknown owner '%.80s'", owner);
	}
	return 0;
}

static void load_nodes(struct load_state *ls)
{
	unsigned i;

	qsort(ls->rows, ls->n_rows, sizeof(ls->rows[0]), cmp_row);
	for (i = 0; i < ls->n_rows; i++) {
		struct load_row *r = &ls->rows[i];
		int n = menu_build_node(ls->b, STORE_WHERE, 0, r->id);

		if (n < 0) {
			continue;
		}
		menu_build_node_field(ls->b, STORE_WHERE, 0, n, "kind", NULL, r->kind);
		if (r->parent) {
			menu_build_node_field(ls->b, STORE_WHERE, 0, n, "parent", NULL, r->parent);
		}
		if (r->country) {
			menu_build_node_field(ls->b, STORE_WHERE, 0, n, "country", NULL, r->country);
		}
	}
}

static void load_hotlines(struct load_state *ls)
{
	unsigned i;

	qsort(ls->rows, ls->n_rows, sizeof(ls->rows[0]), cmp_row);
	for (i = 0; i < ls->n_rows; i++) {
		struct load_row *r = &ls->rows[i];
		int h = menu_build_hotline(ls->b, STORE_WHERE, 0, r->id);

		if (h < 0) {
			continue;
		}
		menu_build_hotline_field(ls->b, STORE_WHERE, 0, h, "country", NULL, r->country);
		menu_build_hotline_field(ls->b, STORE_WHERE, 0, h, "topic", NULL, r->topic);
		menu_build_hotline_field(ls->b, STORE_WHERE, 0, h, "number", NULL, r->number);
		if (r->source) {
			menu_build_hotline_field(ls->b, STORE_WHERE, 0, h, "source", NULL, r->source);
		}
		menu_build_hotline_field(ls->b, STORE_WHERE, 0, h, "example", NULL, r->example ? "yes" : "no");
	}
}

struct menu_tree *menu_tree_load(void *ctx, struct store *st, const char *fallback_lang, struct menu_report *rep)
{
	struct load_state ls = {0};
	int rc;

	if (!st) {
		menu_report_add(rep, true, "%s: no store", STORE_WHERE);
		return NULL;
	}
	rc = store_content_present(st);
	if (rc <= 0) {
		menu_report_add(rep, true, "%s: %s", STORE_WHERE, rc == 0 ? "no content imported" : strerror(-rc));
		return NULL;
	}
	ls.b = menu_build_new(ctx, fallback_lang, rep);
	if (!ls.b) {
		menu_report_add(rep, true, "%s: out of memory", STORE_WHERE);
		return NULL;
	}
	rc = store_content_foreach_language(st, load_language_cb, &ls);
	if (rc == 0) {
		rc = store_content_foreach_node(st, load_node_cb, &ls);
	}
	if (rc == 0) {
		load_nodes(&ls);
		ls.n_rows = 0;
		rc = store_content_foreach_hotline(st, load_hotline_cb, &ls);
	}
	if (rc == 0) {
		load_hotlines(&ls);
		rc = store_content_foreach_text(st, load_text_cb, &ls);
	}
	if (rc != 0) {
		menu_build_error(ls.b, STORE_WHERE, 0, "reading the content failed: %s", strerror(rc < 0 ? -rc : rc));
	}
	return menu_build_finish(ls.b, ctx);
}
