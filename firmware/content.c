/* Content import and validation for yordamd and yordamctl. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include <yordam/cases.h>
#include <yordam/log.h>
#include <yordam/menu.h>
#include <yordam/store.h>
#include <yordam/text.h>
#include <yordam/ussd.h>

#include "daemon.h"

struct report_buf {
	char **s;
	unsigned max_lines, lines;
};

static void report_cb(void *data, bool error, const char *msg)
{
	struct report_buf *rb = data;

	if (rb->lines++ >= rb->max_lines) {
		return;
	}
	*rb->s = talloc_asprintf_append(*rb->s, "%s: %s\n", error ? "error" : "warning", msg);
}

static struct menu_tree *load_pack(struct daemon *d, const char *dir, void *ctx, char **report, struct menu_report *rep,
				   struct report_buf *rb)
{
	rb->s = report;
	rb->max_lines = 200;
	rb->lines = 0;
	rep->cb = report_cb;
	rep->data = rb;
	return menu_pack_load(ctx, dir, d->cfg->content.fallback_language, rep);
}

int content_import(struct daemon *d, const char *dir, void *ctx, char **report)
{
	struct menu_report rep = {0};
	struct report_buf rb;
	struct menu_tree *parsed, *loaded;
	int rc;

	*report = talloc_strdup(ctx, "");
	parsed = load_pack(d, dir, ctx, report, &rep, &rb);
	if (!parsed) {
		*report = talloc_asprintf_append(
			*report, "import of %s failed: %u errors, content in service unchanged\n", dir, rep.n_errors);
		return -EINVAL;
	}
	rc = menu_tree_save(parsed, d->store);
	talloc_free(parsed);
	if (rc < 0) {
		*report = talloc_asprintf_append(*report, "import of %s failed: store: %s\n", dir, strerror(-rc));
		return rc;
	}
	/* Serve what the store holds, not what we parsed: the store is the source of truth. */
	loaded = menu_tree_load(d->ctx, d->store, d->cfg->content.fallback_language, &rep);
	if (!loaded) {
		*report = talloc_asprintf_append(*report, "import of %s: stored but could not be loaded back\n", dir);
		return -EIO;
	}
	if (d->engine) {
		ussd_engine_set_tree(d->engine, loaded);
	}
	talloc_free(d->tree);
	d->tree = loaded;
	*report = talloc_asprintf_append(*report, "imported %s: %u languages, %u nodes, %u hotlines, %u warnings\n",
					 dir, loaded->n_lang, loaded->n_nodes, loaded->n_hotlines, rep.n_warnings);
	LOGP(DMENU, LOGL_NOTICE, "Content imported from %s: %u nodes, %u warnings\n", dir, loaded->n_nodes,
	     rep.n_warnings);
	return 0;
}

/* --- validation -------------------------------------------------------------------------- */

/* What `content validate` checks, beyond what an import refuses: every text in every language
 * (a fallback is an error here), every screen and every fixed text at every port's caps, the forms'
 * screens and final texts, notices shown whole, keywords that do not collide, and what each node's
 * SMS reply and each case SMS to a reporter costs. The report is
 * deterministic (pack order for problems, node IDs sorted for the SMS table): a golden test
 * compares it. */

#ifdef CONFIG_MAX_HTTP
#define VAL_MAX_PORTS (CONFIG_MAX_GSUP + CONFIG_MAX_HTTP + 1)
#else
#define VAL_MAX_PORTS (CONFIG_MAX_GSUP + 1)
#endif

struct val_port {
	const char *name;
	const struct menu_caps *caps;
};

struct val {
	const struct menu_tree *t;
	void *ctx;
	char **report;
	unsigned errors, warnings;
	struct val_port port[VAL_MAX_PORTS];
	unsigned n_port;
	unsigned screens[VAL_MAX_PORTS][MENU_MAX_LANG];
};

__attribute__((format(printf, 3, 4))) static void val_msg(struct val *v, bool error, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = talloc_vasprintf(v->ctx, fmt, ap);
	va_end(ap);
	if (error) {
		v->errors++;
	} else {
		v->warnings++;
	}
	*v->report = talloc_asprintf_append(*v->report, "%s: %s\n", error ? "error" : "warning", msg ? msg : "?");
	talloc_free(msg);
}

/* The first complaint, callback or status node, or NULL: the forms' texts are shown only with one. */
static const struct menu_node *form_node(const struct menu_tree *t)
{
	unsigned i;

	for (i = 0; i < t->n_nodes; i++) {
		enum menu_kind k = t->nodes[i]->kind;

		if (k == MENU_K_COMPLAINT || k == MENU_K_CALLBACK || k == MENU_K_STATUS) {
			return t->nodes[i];
		}
	}
	return NULL;
}

/* One translated text: missing (NULL) or a copy of the fallback's (the loader shares the pointer)
 * in a language other than the fallback is an error. Optional texts may be absent everywhere. */
static void check_text_langs(struct val *v, const char *owner, const char *field, const char *const *arr, bool required)
{
	const struct menu_tree *t = v->t;
	unsigned l;
	bool any = false;

	for (l = 0; l < t->n_lang; l++) {
		any |= arr[l] != NULL;
	}
	if (!required && !any) {
		return;
	}
	for (l = 0; l < t->n_lang; l++) {
		if (!arr[l]) {
			val_msg(v, true, "translation: %s: %s missing in %s", owner, field, t->lang_code[l]);
		} else if (l != t->fallback && arr[l] == arr[t->fallback]) {
			val_msg(v, true, "translation: %s: %s missing in %s (falls back to %s)", owner, field,
				t->lang_code[l], t->lang_code[t->fallback]);
		}
	}
}

static void check_translations(struct val *v)
{
	const struct menu_tree *t = v->t;
	char owner[96];
	unsigned i, k, l;

	for (k = 0; k < _NUM_MENU_UI; k++) {
		check_text_langs(v, "ui", menu_ui_keys[k], t->ui[k], true);
	}
	/* The form and case texts: in every language when a form node shows them, else all or none
	 * (the cases service sends the SMS ones even without form nodes). */
	for (k = _NUM_MENU_UI; k < _NUM_MENU_UI_ALL; k++) {
		check_text_langs(v, "ui", menu_ui_keys[k], t->ui[k], form_node(t) != NULL);
	}
	for (i = 0; i < t->n_nodes; i++) {
		const struct menu_node *n = t->nodes[i];
		bool any = false;

		snprintf(owner, sizeof(owner), "node %s", n->id);
		check_text_langs(v, owner, "title", n->title, true);
		if (n->kind == MENU_K_ARTICLE) {
			check_text_langs(v, owner, "body", n->body, true);
		}
		/* Keywords have no fallback: a language without them simply has none. Worth a word
		 * when the other languages have some. */
		for (l = 0; l < t->n_lang; l++) {
			any |= n->keywords[l] != NULL;
		}
		for (l = 0; any && l < t->n_lang; l++) {
			if (!n->keywords[l]) {
				val_msg(v, false, "translation: node %s: no keywords in %s", n->id, t->lang_code[l]);
			}
		}
	}
	for (i = 0; i < t->n_hotlines; i++) {
		const struct menu_hotline *h = t->hotlines[i];

		snprintf(owner, sizeof(owner), "hotline %s", h->id);
		check_text_langs(v, owner, "name", h->name, true);
		check_text_langs(v, owner, "hours", h->hours, false);
		check_text_langs(v, owner, "languages", h->languages, false);
		if (!h->source && !h->example) {
			val_msg(v, false,
				"hotline %s: no source (say where the number was published, or mark it "
				"example = yes)",
				h->id);
		}
	}
}

struct kw {
	const char *norm, *orig;
	unsigned node, lang;
	bool first; /* first occurrence of norm on its node */
};

static bool only_keys(const char *s)
{
	if (!*s) {
		return false;
	}
	for (; *s; s++) {
		if (!((*s >= '0' && *s <= '9') || *s == '*' || *s == '#')) {
			return false;
		}
	}
	return true;
}

/* Keywords compared as a sender types them (menu_keyword_norm): the same word on two nodes, in
 * whatever languages and scripts, is an error; on one node in several languages it is fine. */
static void check_keywords(struct val *v)
{
	const struct menu_tree *t = v->t;
	struct kw *kw = NULL;
	unsigned n_kw = 0, i, j, l;

	for (i = 0; i < t->n_nodes; i++) {
		const struct menu_node *n = t->nodes[i];

		for (l = 0; l < t->n_lang; l++) {
			const char *s = n->keywords[l];

			while (s) {
				const char *comma = strchr(s, ',');
				size_t len = comma ? (size_t)(comma - s) : strlen(s);
				char *orig, *norm;
				struct kw *nk;

				while (len && (*s == ' ' || *s == '\t')) {
					s++;
					len--;
				}
				while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) {
					len--;
				}
				orig = talloc_strndup(v->ctx, s, len);
				s = comma ? comma + 1 : NULL;
				norm = orig ? menu_keyword_norm(v->ctx, orig, strlen(orig)) : NULL;
				if (!norm) {
					val_msg(v, true, "keywords: node %s (%s): cannot read '%s'", n->id,
						t->lang_code[l], orig ? orig : "?");
					continue;
				}
				if (!*norm) {
					val_msg(v, true, "keywords: node %s (%s): empty keyword in '%s'", n->id,
						t->lang_code[l], n->keywords[l]);
					continue;
				}
				if (only_keys(norm)) {
					val_msg(v, true,
						"keywords: node %s (%s): '%s' would be read as a menu path, not a "
						"keyword",
						n->id, t->lang_code[l], orig);
					continue;
				}
				nk = talloc_realloc(v->ctx, kw, struct kw, n_kw + 1);
				if (!nk) {
					val_msg(v, true, "keywords: out of memory");
					return;
				}
				kw = nk;
				kw[n_kw] = (struct kw){.norm = norm, .orig = orig, .node = i, .lang = l, .first = true};
				for (j = 0; j < n_kw; j++) {
					if (kw[j].node == i && !strcmp(kw[j].norm, norm)) {
						kw[n_kw].first = false;
						break;
					}
				}
				n_kw++;
			}
		}
	}
	for (i = 0; i < n_kw; i++) {
		for (j = 0; kw[i].first && j < i; j++) {
			if (kw[j].first && kw[j].node != kw[i].node && !strcmp(kw[j].norm, kw[i].norm)) {
				val_msg(v, true,
					"keywords: '%s' (%s) on node %s collides with '%s' (%s) on node %s: both are "
					"%s",
					kw[i].orig, t->lang_code[kw[i].lang], t->nodes[kw[i].node]->id, kw[j].orig,
					t->lang_code[kw[j].lang], t->nodes[kw[j].node]->id, kw[i].norm);
			}
		}
	}
	talloc_free(kw);
}

/* Units of a text in its cheapest coding, or -1. */
static long units_of(const char *s, size_t len, int *coding)
{
	*coding = text_coding_of(s, len);
	return *coding < 0 ? -1 : text_units(s, len, (enum text_coding) * coding);
}

static long cap_of(const struct menu_caps *caps, int coding)
{
	return coding == TEXT_GSM7 ? (long)caps->gsm7 : (long)caps->ucs2;
}

/* The notice (invalid / lang_saved) must be shown whole on node n's first page. */
static void check_notice(struct val *v, const struct val_port *p, const struct menu_node *n, unsigned l, enum menu_ui k)
{
	const struct menu_tree *t = v->t;
	struct menu_cursor c = {.node = n, .page = 0};
	char buf[1024], *folded;
	int len;

	if (!t->ui[k][l]) {
		return;
	}
	folded = text_fold(v->ctx, t->ui[k][l], TEXT_FOLD_UZ);
	len = menu_render(t, &c, l, p->caps, t->ui[k][l], buf, sizeof(buf), NULL);
	if (!folded || len < 0) {
		return; /* the screen itself is reported by check_screens */
	}
	if (strncmp(buf, folded, strlen(folded)) != 0 || (buf[strlen(folded)] != '\n' && buf[strlen(folded)])) {
		val_msg(v, true, "%s: ui %s (%s) is cut on node %s: '%s'", p->name, menu_ui_keys[k], t->lang_code[l],
			n->id, talloc_strndup(v->ctx, buf, strcspn(buf, "\n")));
	}
	talloc_free(folded);
}

/* Render every page of every node in every language at the port's caps; count the screens. */
static void check_screens(struct val *v, unsigned pi)
{
	const struct menu_tree *t = v->t;
	const struct val_port *p = &v->port[pi];
	char buf[1024];
	unsigned i, l, pg, n_pages;

	for (i = 0; i < t->n_nodes; i++) {
		const struct menu_node *n = t->nodes[i];

		for (l = 0; l < t->n_lang; l++) {
			struct menu_cursor c = {.node = n, .page = 0};

			n_pages = 1;
			for (pg = 0; pg < n_pages; pg++) {
				long units;
				int coding, len;

				c.page = pg;
				len = menu_render(t, &c, l, p->caps, NULL, buf, sizeof(buf), &n_pages);
				if (len < 0) {
					val_msg(v, true, "%s: node %s (%s) page %u: %s", p->name, n->id,
						t->lang_code[l], pg + 1, strerror(-len));
					break;
				}
				v->screens[pi][l]++;
				units = units_of(buf, (size_t)len, &coding);
				if (units < 0 || units > cap_of(p->caps, coding)) {
					val_msg(v, true, "%s: node %s (%s) page %u: %ld units exceed the cap", p->name,
						n->id, t->lang_code[l], pg + 1, units);
				}
			}
			if (n->kind != MENU_K_LANGUAGE) {
				check_notice(v, p, n, l, MENU_UI_INVALID);
			}
			if (n == t->root) {
				check_notice(v, p, n, l, MENU_UI_LANG_SAVED);
			}
		}
	}
}

/* Texts the session sends as they are, without the renderer: they must fit on their own. */
static void check_fixed_texts(struct val *v, unsigned pi)
{
	static const enum menu_ui fixed[] = {MENU_UI_TIMEOUT, MENU_UI_GOODBYE, MENU_UI_RESUME};
	const struct menu_tree *t = v->t;
	const struct val_port *p = &v->port[pi];
	unsigned l, k;

	for (l = 0; l < t->n_lang; l++) {
		for (k = 0; k <= ARRAY_SIZE(fixed); k++) {
			const char *s;
			long units;
			int coding = -1;

			if (k < ARRAY_SIZE(fixed)) {
				s = t->ui[fixed[k]][l];
			} else if (t->ui[MENU_UI_INVALID][l] && t->ui[MENU_UI_RESUME][l]) {
				/* the resume offer after an invalid answer */
				s = talloc_asprintf(v->ctx, "%s\n%s", t->ui[MENU_UI_INVALID][l],
						    t->ui[MENU_UI_RESUME][l]);
			} else {
				continue;
			}
			if (!s) {
				continue;
			}
			units = units_of(s, strlen(s), &coding);
			if (units < 0 || units > cap_of(p->caps, coding)) {
				val_msg(v, true, "%s: ui %s (%s) does not fit one screen: %ld units, the cap is %ld",
					p->name, k < ARRAY_SIZE(fixed) ? menu_ui_keys[fixed[k]] : "invalid+resume",
					t->lang_code[l], units, coding < 0 ? 0 : cap_of(p->caps, coding));
			}
		}
	}
}

/* --- form and case texts ---------------------------------------------------------------------
 *
 * The forms' screens as the USSD session lays them out (ussd/session.c), and the cases service's
 * SMS templates (firmware/cases_svc.c) filled with the longest values they can get: a 12-digit case
 * number (grouped as in an SMS), a 4-digit PIN, a status word of VAL_STATUS_MAX characters, the
 * longer "when", 192 hours (8 days: routing looks no further). */

/* the longest values: a case number grouped as in an SMS, and ungrouped */
#define VAL_CASE   "123 456 789 012"
#define VAL_DIGITS "123456789012"
#define VAL_PIN	   "1234"
#define VAL_HOURS  "192"
/* characters of a case_state_* word, and the status filled in with it */
#define VAL_STATUS_MAX 60
/* the complaint form's answers: a city or employer (40 bytes), a relative's number (19 digits) */
#define VAL_DETAIL "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
#define VAL_BEHALF "+1234567890123456789"
/* the staff texts' values: an excerpt of 60 bytes, a 20-digit number, a staff name of 32 bytes, an employer
 * of 40 bytes (each in Latin, and in Cyrillic: half the characters, UCS-2), the longest zone and counts */
#define VAL_EXCERPT_BYTES  60
#define VAL_NAME_BYTES	   32
#define VAL_EMPLOYER_BYTES 40
#define VAL_PHONE	   "+12345678901234567890"
#define VAL_UNTIL	   "31.12 23:59 America/Argentina/ComodRivadavia"
#define VAL_LANG	   "uz-Latn"
#define VAL_COUNT	   "9999"
#define VAL_WINDOW_N	   "8760"
/* SMS parts of a reporter's message; of sms_case_reply, which the staff member's words follow */
#define VAL_SMS_PARTS	 2
#define VAL_PREFIX_PARTS 1
/* of a staff text that carries the reporter's words (staff_new, staff_info, staff_alert): at these values
 * even the English one is 3 UCS-2 parts with a Cyrillic excerpt, and any Cyrillic one with a Latin excerpt */
#define VAL_STAFF_TEXT_PARTS 3

struct val_var {
	const char *name, *value;
};

static const char *ui_s(const struct menu_tree *t, enum menu_ui k, unsigned l)
{
	return t->ui[k][l] ? t->ui[k][l] : "";
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++) {
		n += ((unsigned char)*s & 0xc0) != 0x80;
	}
	return n;
}

/* tmpl with each {name} of vars replaced (as firmware/cases_svc.c does); a talloc string. */
static char *val_fill(void *ctx, const char *tmpl, const struct val_var *vars, unsigned n)
{
	char *out = talloc_strdup(ctx, "");
	const char *p = tmpl, *q;
	unsigned i;

	while (out && (q = strchr(p, '{'))) {
		out = talloc_strndup_append(out, p, (size_t)(q - p));
		for (i = 0; i < n; i++) {
			size_t len = strlen(vars[i].name);

			if (!strncmp(q + 1, vars[i].name, len) && q[1 + len] == '}') {
				break;
			}
		}
		if (out && i < n) {
			out = talloc_strdup_append(out, vars[i].value);
			p = q + strlen(vars[i].name) + 2;
		} else if (out) {
			out = talloc_strndup_append(out, q, 1);
			p = q + 1;
		}
	}
	return out ? talloc_strdup_append(out, p) : NULL;
}

/* Units of s folded as a screen or an SMS is (Uzbek apostrophes), in its cheapest coding; -1 when unreadable. */
static long folded_units_of(struct val *v, const char *s, int *coding)
{
	char *f = text_fold(v->ctx, s, TEXT_FOLD_UZ);
	long n = f ? units_of(f, strlen(f), coding) : -1;

	talloc_free(f);
	return n;
}

/* The longest (in units, folded) of n texts (NULLs skipped), or "". */
static const char *longest_of(struct val *v, const char *const *texts, unsigned n)
{
	const char *best = "";
	long best_units = -1;
	unsigned i;

	for (i = 0; i < n; i++) {
		int coding = -1;
		long u = texts[i] ? folded_units_of(v, texts[i], &coding) : -1;

		if (u > best_units) {
			best = texts[i];
			best_units = u;
		}
	}
	return best;
}

static const char *when_hours(struct val *v, unsigned l)
{
	const struct val_var hv[] = {{"hours", VAL_HOURS}};

	return v->t->ui[MENU_UI_WHEN_HOURS][l] ? val_fill(v->ctx, v->t->ui[MENU_UI_WHEN_HOURS][l], hv, 1) : NULL;
}

static const char *state_word_longest(struct val *v, unsigned l)
{
	const char *st[] = {v->t->ui[MENU_UI_STATE_RECEIVED][l], v->t->ui[MENU_UI_STATE_WORKING][l],
			    v->t->ui[MENU_UI_STATE_ANSWERED][l], v->t->ui[MENU_UI_STATE_CLOSED][l]};

	return longest_of(v, st, ARRAY_SIZE(st));
}

/* Template k in language l with the longest values; NULL when the language has no such text. */
static char *case_text_worst(struct val *v, enum menu_ui k, unsigned l)
{
	const char *whens[] = {v->t->ui[MENU_UI_WHEN_SOON][l], when_hours(v, l)};
	const char *word = state_word_longest(v, l);
	char *status;
	size_t n;

	if (!v->t->ui[k][l]) {
		return NULL;
	}
	status = talloc_strdup(v->ctx, word);
	for (n = utf8_chars(word); status && n < VAL_STATUS_MAX; n++) {
		status = talloc_strdup_append(status, "x");
	}
	{
		const struct val_var vars[] = {
			{"case", VAL_CASE},
			{"digits", VAL_DIGITS},
			{"pin", VAL_PIN},
			{"status", status ? status : ""},
			{"when", longest_of(v, whens, ARRAY_SIZE(whens))},
			{"hours", VAL_HOURS},
		};

		return val_fill(v->ctx, v->t->ui[k][l], vars, ARRAY_SIZE(vars));
	}
}

/* n bytes of words: 'x', or (cyr) Cyrillic letters of 2 bytes each, which make the text UCS-2; a space after
 * every 8 characters (one long word would move whole to the next part and count a part too many). */
static char *filler(void *ctx, size_t n, bool cyr)
{
	char *s = talloc_strdup(ctx, "");
	size_t i, c = 0;

	for (i = 0; s && i + (cyr ? 2 : 1) <= n; c++) {
		if (c % 9 == 8) {
			s = talloc_strdup_append(s, " ");
			i++;
		} else {
			s = talloc_strdup_append(s, cyr ? "ж" : "x");
			i += cyr ? 2 : 1;
		}
	}
	return s;
}

static bool staff_fragment(enum menu_ui k)
{
	return k == MENU_UI_STAFF_ESCALATED || k == MENU_UI_STAFF_SOMEONE || k == MENU_UI_STAFF_EMPLOYER ||
	       k == MENU_UI_STAFF_NO_EMPLOYER || k == MENU_UI_STAFF_DAYS || k == MENU_UI_STAFF_HOURS ||
	       (k >= MENU_UI_STAFF_STATE_NEW && k <= MENU_UI_STAFF_KIND_CALLBACK);
}

/* Staff text k in language l with the longest values (cyr: free text in Cyrillic); NULL when the language has
 * no such text. The fragments (staff_escalated, staff_employer, ...) are checked inside the texts they fill. */
static char *staff_text_worst(struct val *v, enum menu_ui k, unsigned l, bool cyr)
{
	const struct menu_tree *t = v->t;
	const char *cats[CASES_CAT_MAX - CASES_CAT_MIN + 1];
	const struct val_var nv[] = {{"n", VAL_WINDOW_N}};
	const char *windows[2], *employers[2], *states[MENU_UI_STAFF_STATE_CLOSED - MENU_UI_STAFF_STATE_NEW + 1];
	const char *kinds[] = {cases_svc_ui_text(t, (int)l, MENU_UI_STAFF_KIND_COMPLAINT),
			       cases_svc_ui_text(t, (int)l, MENU_UI_STAFF_KIND_CALLBACK)};
	char *excerpt = filler(v->ctx, VAL_EXCERPT_BYTES, cyr);
	char *name = filler(v->ctx, VAL_NAME_BYTES, cyr);
	char *employer = filler(v->ctx, VAL_EMPLOYER_BYTES, cyr);
	unsigned i;

	if (!t->ui[k][l] || !excerpt || !name || !employer) {
		return NULL;
	}
	/* the words as the service picks them */
	for (i = 0; i <= CASES_CAT_MAX - CASES_CAT_MIN; i++) {
		cats[i] = cases_svc_staff_category(t, (int)l, (int)(CASES_CAT_MIN + i), "?");
	}
	for (i = 0; i < ARRAY_SIZE(states); i++) {
		states[i] = cases_svc_ui_text(t, (int)l, (enum menu_ui)(MENU_UI_STAFF_STATE_NEW + i));
	}
	windows[0] = t->ui[MENU_UI_STAFF_DAYS][l] ? val_fill(v->ctx, t->ui[MENU_UI_STAFF_DAYS][l], nv, 1) : NULL;
	windows[1] = t->ui[MENU_UI_STAFF_HOURS][l] ? val_fill(v->ctx, t->ui[MENU_UI_STAFF_HOURS][l], nv, 1) : NULL;
	{
		const struct val_var ev[] = {{"employer", employer}};

		employers[0] = t->ui[MENU_UI_STAFF_EMPLOYER][l]
				       ? val_fill(v->ctx, t->ui[MENU_UI_STAFF_EMPLOYER][l], ev, 1)
				       : NULL;
		employers[1] = t->ui[MENU_UI_STAFF_NO_EMPLOYER][l];
	}
	{
		const char *someone[] = {name, t->ui[MENU_UI_STAFF_SOMEONE][l]};
		const struct val_var vars[] = {
			{"case", VAL_CASE},
			{"digits", VAL_DIGITS},
			{"category", longest_of(v, cats, ARRAY_SIZE(cats))},
			{"country", "ZZ"},
			{"lang", VAL_LANG},
			{"escalated", talloc_asprintf(v->ctx, " %s", ui_s(t, MENU_UI_STAFF_ESCALATED, l))},
			{"excerpt", excerpt},
			{"phone", VAL_PHONE},
			{"name", longest_of(v, someone, ARRAY_SIZE(someone))},
			{"mode", "OFF"},
			{"until", VAL_UNTIL},
			{"state", longest_of(v, states, ARRAY_SIZE(states))},
			{"kind", longest_of(v, kinds, ARRAY_SIZE(kinds))},
			{"escalations", "99"},
			{"text", talloc_asprintf(v->ctx, ": %s", excerpt)},
			{"count", VAL_COUNT},
			{"employer", longest_of(v, employers, ARRAY_SIZE(employers))},
			{"window", longest_of(v, windows, ARRAY_SIZE(windows))},
		};

		for (i = 0; i < ARRAY_SIZE(vars); i++) {
			if (!vars[i].value) {
				return NULL;
			}
		}
		return val_fill(v->ctx, t->ui[k][l], vars, ARRAY_SIZE(vars));
	}
}

/* A text shown whole on one screen (a final screen, a typed-input prompt): cut, it would lose its end. */
static void check_whole(struct val *v, const struct val_port *p, const char *what, unsigned l, const char *s)
{
	long units;
	int coding = -1;

	if (!s) {
		return;
	}
	units = folded_units_of(v, s, &coding);
	if (units < 0 || units > cap_of(p->caps, coding)) {
		val_msg(v, true, "%s: ui %s (%s) does not fit one screen: %ld units, the cap is %ld", p->name, what,
			v->t->lang_code[l], units, coding < 0 ? 0 : cap_of(p->caps, coding));
	}
}

/* Every page of one form screen within the cap; a typed-input prompt (one) on a single page: the
 * caller types the answer on the screen that asks for it, not after paging with "9" in a dialog that
 * times out. */
static void check_form_screen(struct val *v, const struct val_port *p, const struct menu_form_screen *f,
			      const char *what, unsigned l, bool one)
{
	char buf[1024];
	unsigned pg, n_pages = 1;

	for (pg = 0; pg < n_pages; pg++) {
		long units;
		int coding, len;

		len = menu_render_form(v->t, f, pg, l, p->caps, NULL, buf, sizeof(buf), &n_pages);
		if (len < 0) {
			val_msg(v, true, "%s: form %s (%s) page %u: %s", p->name, what, v->t->lang_code[l], pg + 1,
				strerror(-len));
			return;
		}
		units = units_of(buf, (size_t)len, &coding);
		if (units < 0 || units > cap_of(p->caps, coding)) {
			val_msg(v, true, "%s: form %s (%s) page %u: %ld units exceed the cap", p->name, what,
				v->t->lang_code[l], pg + 1, units);
		}
	}
	if (one && n_pages > 1) {
		val_msg(v, true, "%s: ui %s (%s) does not fit one screen (%u pages): it asks for typed input", p->name,
			what, v->t->lang_code[l], n_pages);
	}
}

/* The forms' screens and final texts at the port's caps, in every language (only when the pack has
 * a form node: otherwise nothing shows them). */
static void check_form_texts(struct val *v, unsigned pi)
{
	const struct menu_tree *t = v->t;
	const struct val_port *p = &v->port[pi];
	const struct menu_node *at = form_node(t), *cn[MENU_MAX_CHILDREN];
	/* sent whole or cut (ussd/session.c fit_screen): the final texts, and the city/employer prompt */
	static const enum menu_ui whole[] = {MENU_UI_CASE_ERROR, MENU_UI_CASE_CANCELLED, MENU_UI_CB_ALREADY,
					     MENU_UI_ST_UNKNOWN, MENU_UI_CASE_DETAIL};
	static const enum menu_ui bodies[] = {MENU_UI_CASE_UNAVAIL, MENU_UI_CASE_NUMBER, MENU_UI_CASE_CONSENT,
					      MENU_UI_CB_CONFIRM,   MENU_UI_ST_CASE,	 MENU_UI_ST_PIN};
	unsigned l, i, n_c;

	if (!at) {
		return;
	}
	n_c = menu_form_countries(t, cn, MENU_MAX_CHILDREN - 1);
	for (l = 0; l < t->n_lang; l++) {
		const char *items[MENU_MAX_CHILDREN], *cats[7], *labels[MENU_MAX_CHILDREN];
		struct menu_form_screen f = {.at = at};
		char *s;

		for (i = 0; i < ARRAY_SIZE(bodies); i++) {
			f.body = ui_s(t, bodies[i], l);
			check_form_screen(v, p, &f, menu_ui_keys[bodies[i]], l,
					  bodies[i] == MENU_UI_CASE_NUMBER || bodies[i] == MENU_UI_ST_CASE ||
						  bodies[i] == MENU_UI_ST_PIN);
		}
		f.body = NULL;
		for (i = 0; i < 7; i++) {
			cats[i] = ui_s(t, MENU_UI_CASE_CAT1 + i, l);
		}
		f.heading = ui_s(t, MENU_UI_CASE_CAT, l);
		f.items = cats;
		f.n_items = 7;
		check_form_screen(v, p, &f, "case_category", l, false);
		for (i = 0; i < n_c; i++) {
			items[i] = labels[i] = cn[i]->title[l];
		}
		items[n_c] = labels[n_c] = ui_s(t, MENU_UI_CASE_OTHER, l);
		f.heading = ui_s(t, MENU_UI_CASE_COUNTRY, l);
		f.items = items;
		f.n_items = n_c + 1;
		check_form_screen(v, p, &f, "case_country", l, false);
		items[0] = ui_s(t, MENU_UI_CASE_SELF, l);
		items[1] = ui_s(t, MENU_UI_CASE_RELATIVE, l);
		f.heading = ui_s(t, MENU_UI_CASE_WHO, l);
		f.n_items = 2;
		check_form_screen(v, p, &f, "case_who", l, false);
		/* the summary with the longest answers */
		f.heading = ui_s(t, MENU_UI_CASE_CONFIRM, l);
		f.items = NULL;
		f.n_items = 0;
		f.body = talloc_asprintf(v->ctx, "%s\n%s\n%s\n%s\n%s", longest_of(v, cats, 7),
					 longest_of(v, labels, n_c + 1), VAL_DETAIL, VAL_BEHALF,
					 ui_s(t, MENU_UI_CASE_KEYS, l));
		if (f.body) {
			check_form_screen(v, p, &f, "case_confirm", l, false);
		}

		for (i = 0; i < ARRAY_SIZE(whole); i++) {
			check_whole(v, p, menu_ui_keys[whole[i]], l, ui_s(t, whole[i], l));
		}
		/* The case number and the PIN are never cut (case_keep gives way). */
		s = talloc_asprintf(v->ctx, "%s %s\n%s %s", ui_s(t, MENU_UI_CASE_DONE, l), VAL_CASE,
				    ui_s(t, MENU_UI_CASE_PIN, l), VAL_PIN);
		check_whole(v, p, "case_done+case_pin (12-digit case number)", l, s);
		if (t->ui[MENU_UI_WHEN_SOON][l]) {
			s = talloc_asprintf(v->ctx, "%s %s", ui_s(t, MENU_UI_CB_DONE, l), t->ui[MENU_UI_WHEN_SOON][l]);
			check_whole(v, p, "callback_done+when_soon", l, s);
		}
		if (t->ui[MENU_UI_WHEN_HOURS][l]) {
			s = talloc_asprintf(v->ctx, "%s %s", ui_s(t, MENU_UI_CB_DONE, l), when_hours(v, l));
			check_whole(v, p, "callback_done+when_hours", l, s);
		}
		/* "check my case" ends on the status SMS text, with a real status word */
		if (t->ui[MENU_UI_SMS_STATUS][l]) {
			const struct val_var vars[] = {{"case", VAL_CASE}, {"status", state_word_longest(v, l)}};

			check_whole(v, p, "sms_case_status (the status screen)", l,
				    val_fill(v->ctx, t->ui[MENU_UI_SMS_STATUS][l], vars, ARRAY_SIZE(vars)));
		}
	}
}

/* Parts of s folded as an SMS is; -errno when it cannot be sent. */
static int sms_parts(struct val *v, const char *s, struct text_sms_split *split)
{
	char *f = text_fold(v->ctx, s, TEXT_FOLD_UZ);
	int rc = f ? text_sms_split(f, strlen(f), split) : -EILSEQ;

	talloc_free(f);
	return rc;
}

/* The staff texts with the longest values, free text in Latin and in Cyrillic: the worse of the two. */
static void check_staff_sms(struct val *v, struct text_sms_split *split)
{
	const struct menu_tree *t = v->t;
	unsigned k, l, cyr;
	int max;

	for (k = MENU_UI_STAFF_NEW; k < _NUM_MENU_UI_ALL; k++) {
		if (staff_fragment((enum menu_ui)k)) {
			continue;
		}
		for (l = 0; l < t->n_lang; l++) {
			int worst = 0, coding = TEXT_GSM7, rc = 0;

			for (cyr = 0; cyr < 2; cyr++) {
				char *s = staff_text_worst(v, (enum menu_ui)k, l, cyr);

				if (!s) {
					rc = 0;
					break;
				}
				rc = sms_parts(v, s, split);
				if (rc < 0) {
					break;
				}
				if (rc > worst) {
					worst = rc;
					coding = split->coding;
				}
			}
			if (rc < 0) {
				val_msg(v, true, "sms: ui %s (%s): %s", menu_ui_keys[k], t->lang_code[l],
					strerror(-rc));
				continue;
			}
			if (!worst) {
				continue;
			}
			max = k == MENU_UI_STAFF_NEW || k == MENU_UI_STAFF_INFO || k == MENU_UI_STAFF_ALERT
				      ? VAL_STAFF_TEXT_PARTS
				      : VAL_SMS_PARTS;
			*v->report = talloc_asprintf_append(*v->report, "sms ui: %s %s %s %d part%s\n", menu_ui_keys[k],
							    t->lang_code[l], coding == TEXT_GSM7 ? "gsm7" : "ucs2",
							    worst, worst == 1 ? "" : "s");
			if (worst > max) {
				val_msg(v, true, "sms: ui %s (%s) takes %d parts with the longest values, at most %d",
					menu_ui_keys[k], t->lang_code[l], worst, max);
			} else if (worst > 1 && k >= MENU_UI_STAFF_ERR_TOO_LONG) {
				/* the answer to a typo: a second part doubles its cost for nothing */
				val_msg(v, false, "sms: ui %s (%s) takes %d parts: keep it within one", menu_ui_keys[k],
					t->lang_code[l], worst);
			}
		}
	}
}

/* The cases service's SMS to reporters and to staff with the longest values: coding and part count, one line
 * per text and language; more than VAL_SMS_PARTS parts is an error. */
static void check_case_sms(struct val *v)
{
	const struct menu_tree *t = v->t;
	struct text_sms_split *split = talloc(v->ctx, struct text_sms_split);
	unsigned k, l;

	if (!split) {
		val_msg(v, true, "sms: out of memory");
		return;
	}
	for (l = 0; l < t->n_lang; l++) {
		for (k = MENU_UI_STATE_RECEIVED; k <= MENU_UI_STATE_CLOSED; k++) {
			if (t->ui[k][l] && utf8_chars(t->ui[k][l]) > VAL_STATUS_MAX) {
				val_msg(v, true, "sms: ui %s (%s) is longer than %d characters", menu_ui_keys[k],
					t->lang_code[l], VAL_STATUS_MAX);
			}
		}
	}
	for (k = MENU_UI_SMS_FILED; k <= MENU_UI_SMS_EXPECT; k++) {
		unsigned max = k == MENU_UI_SMS_REPLY ? VAL_PREFIX_PARTS : VAL_SMS_PARTS;

		for (l = 0; l < t->n_lang; l++) {
			char *s = case_text_worst(v, (enum menu_ui)k, l), *f;
			int rc;

			if (!s) {
				continue;
			}
			f = text_fold(v->ctx, s, TEXT_FOLD_UZ);
			rc = f ? text_sms_split(f, strlen(f), split) : -EILSEQ;
			if (rc < 0) {
				val_msg(v, true, "sms: ui %s (%s): %s", menu_ui_keys[k], t->lang_code[l],
					strerror(-rc));
				continue;
			}
			*v->report = talloc_asprintf_append(
				*v->report, "sms ui: %s %s %s %d part%s\n", menu_ui_keys[k], t->lang_code[l],
				split->coding == TEXT_GSM7 ? "gsm7" : "ucs2", rc, rc == 1 ? "" : "s");
			if ((unsigned)rc > max) {
				val_msg(v, true,
					"sms: ui %s (%s) takes %d parts with a 12-digit case number, at most %u",
					menu_ui_keys[k], t->lang_code[l], rc, max);
			}
		}
	}
	check_staff_sms(v, split);
	talloc_free(split);
}

static int cmp_node_id(const void *a, const void *b)
{
	const struct menu_node *const *x = a, *const *y = b;

	return strcmp((*x)->id, (*y)->id);
}

/* One line per node and language: the SMS reply's coding and part count; then totals. */
static void sms_table(struct val *v)
{
	const struct menu_tree *t = v->t;
	const struct menu_node **sorted;
	struct text_sms_split *split;
	unsigned parts[MENU_MAX_LANG] = {0}, replies[MENU_MAX_LANG] = {0};
	unsigned a_parts[MENU_MAX_LANG] = {0}, a_replies[MENU_MAX_LANG] = {0}, max[MENU_MAX_LANG] = {0};
	unsigned i, l;

	sorted = talloc_array(v->ctx, const struct menu_node *, t->n_nodes);
	split = talloc(v->ctx, struct text_sms_split);
	if (!sorted || !split) {
		val_msg(v, true, "sms: out of memory");
		return;
	}
	for (i = 0; i < t->n_nodes; i++) {
		sorted[i] = t->nodes[i];
	}
	qsort(sorted, t->n_nodes, sizeof(sorted[0]), cmp_node_id);
	for (i = 0; i < t->n_nodes; i++) {
		const struct menu_node *n = sorted[i];

		for (l = 0; l < t->n_lang; l++) {
			char *s = menu_sms_text(v->ctx, t, n, l);
			int rc = s ? text_sms_split(s, strlen(s), split) : -ENOMEM;

			if (rc < 0) {
				val_msg(v, true, "sms: node %s (%s): no SMS reply: %s", n->id, t->lang_code[l],
					strerror(-rc));
				talloc_free(s);
				continue;
			}
			*v->report = talloc_asprintf_append(
				*v->report, "sms: %s %s %s %d part%s\n", n->id, t->lang_code[l],
				split->coding == TEXT_GSM7 ? "gsm7" : "ucs2", rc, rc == 1 ? "" : "s");
			replies[l]++;
			parts[l] += rc;
			max[l] = (unsigned)rc > max[l] ? (unsigned)rc : max[l];
			if (n->kind == MENU_K_ARTICLE) {
				a_replies[l]++;
				a_parts[l] += rc;
			}
			talloc_free(s);
		}
	}
	for (l = 0; l < t->n_lang; l++) {
		*v->report = talloc_asprintf_append(
			*v->report,
			"sms total: %s %u replies, %u parts, %.2f per reply, at most %u; articles %u, %u parts, %.2f "
			"per article\n",
			t->lang_code[l], replies[l], parts[l], replies[l] ? (double)parts[l] / replies[l] : 0.0, max[l],
			a_replies[l], a_parts[l], a_replies[l] ? (double)a_parts[l] / a_replies[l] : 0.0);
	}
	talloc_free(split);
	talloc_free(sorted);
}

static unsigned screen_totals(struct val *v)
{
	const struct menu_tree *t = v->t;
	unsigned pi, l, all = 0, sum;

	for (pi = 0; pi < v->n_port; pi++) {
		*v->report = talloc_asprintf_append(*v->report, "screens: %s (%u/%u):", v->port[pi].name,
						    v->port[pi].caps->gsm7, v->port[pi].caps->ucs2);
		sum = 0;
		for (l = 0; l < t->n_lang; l++) {
			*v->report = talloc_asprintf_append(*v->report, " %s %u", t->lang_code[l], v->screens[pi][l]);
			sum += v->screens[pi][l];
		}
		*v->report = talloc_asprintf_append(*v->report, ", %u in all\n", sum);
		all += sum;
	}
	return all;
}

int content_validate(struct daemon *d, const char *dir, void *ctx, char **report)
{
	struct menu_report rep = {0};
	struct report_buf rb;
	struct menu_tree *parsed = NULL;
	struct menu_caps dial = {.gsm7 = (unsigned)d->cfg->ussd.dial_gsm7, .ucs2 = (unsigned)d->cfg->ussd.dial_ucs2};
	struct val *v;
	unsigned i, screens;
	int rc;

	*report = talloc_strdup(ctx, "");
	v = talloc_zero(ctx, struct val);
	if (!v || !*report) {
		return -ENOMEM;
	}
	v->ctx = v;
	v->report = report;
	if (dir) {
		parsed = load_pack(d, dir, v, report, &rep, &rb);
		if (!parsed) {
			*report = talloc_asprintf_append(*report, "%s: invalid, %u errors\n", dir, rep.n_errors);
			talloc_free(v);
			return -EINVAL;
		}
		v->t = parsed;
	} else if (d->tree) {
		v->t = d->tree;
	} else {
		*report = talloc_asprintf_append(*report, "no content in service\n");
		talloc_free(v);
		return -ENOENT;
	}
	for (i = 0; i < d->cfg->n_gsup && v->n_port < VAL_MAX_PORTS - 1; i++) {
		v->port[v->n_port++] = (struct val_port){d->cfg->gsup[i].name, &d->cfg->gsup[i].caps};
	}
#ifdef CONFIG_MAX_HTTP
	for (i = 0; i < d->cfg->n_http && v->n_port < VAL_MAX_PORTS - 1; i++) {
		v->port[v->n_port++] = (struct val_port){d->cfg->http[i].name, &d->cfg->http[i].caps};
	}
#endif
	v->port[v->n_port++] = (struct val_port){"dial", &dial};

	check_translations(v);
	check_keywords(v);
	for (i = 0; i < v->n_port; i++) {
		check_screens(v, i);
		check_fixed_texts(v, i);
		check_form_texts(v, i);
	}
	screens = screen_totals(v);
	sms_table(v);
	check_case_sms(v);
	/* The last line is the verdict; tests and scripts match it. */
	*report = talloc_asprintf_append(*report,
					 "%s: %u languages, %u nodes, %u screens checked, %u warnings, %u errors\n",
					 dir ? dir : "content in service", v->t->n_lang, v->t->n_nodes, screens,
					 rep.n_warnings + v->warnings, v->errors);
	rc = v->errors ? -EINVAL : 0;
	talloc_free(v);
	return rc;
}
