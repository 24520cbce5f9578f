/* Content import and validation for yordamd and yordamctl. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

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
 * (a fallback is an error here), every screen and every fixed text at every port's caps, notices
 * shown whole, keywords that do not collide, and what each node's SMS reply costs. The report is
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
			int coding;

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
	}
	screens = screen_totals(v);
	sms_table(v);
	/* The last line is the verdict; tests and scripts match it. */
	*report = talloc_asprintf_append(*report,
					 "%s: %u languages, %u nodes, %u screens checked, %u warnings, %u errors\n",
					 dir ? dir : "content in service", v->t->n_lang, v->t->n_nodes, screens,
					 rep.n_warnings + v->warnings, v->errors);
	rc = v->errors ? -EINVAL : 0;
	talloc_free(v);
	return rc;
}
