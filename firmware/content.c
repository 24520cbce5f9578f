/* Content import and validation for yordamd and yordamctl. */
#include <errno.h>
#include <stdio.h>
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

/* Render every page of every node in every language at caps; count screens and failures. */
static unsigned check_caps(const struct menu_tree *t, const char *port, const struct menu_caps *caps, void *ctx,
			   char **report, unsigned *screens)
{
	char buf[1024];
	unsigned i, l, p, n_pages, bad = 0;

	for (i = 0; i < t->n_nodes; i++) {
		for (l = 0; l < t->n_lang; l++) {
			struct menu_cursor c = {.node = t->nodes[i], .page = 0};
			n_pages = 1;
			for (p = 0; p < n_pages; p++) {
				long units;
				int coding, len;
				c.page = p;
				len = menu_render(t, &c, l, caps, NULL, buf, sizeof(buf), &n_pages);
				if (len < 0) {
					bad++;
					*report = talloc_asprintf_append(
						*report, "error: %s: node %s (%s) page %u: %s\n", port, t->nodes[i]->id,
						t->lang_code[l], p + 1, strerror(-len));
					break;
				}
				(*screens)++;
				coding = text_coding_of(buf, (size_t)len);
				units = coding < 0 ? -1 : text_units(buf, (size_t)len, (enum text_coding)coding);
				if (units < 0 || units > (coding == TEXT_GSM7 ? (long)caps->gsm7 : (long)caps->ucs2)) {
					bad++;
					*report = talloc_asprintf_append(
						*report, "error: %s: node %s (%s) page %u: %ld units exceed the cap\n",
						port, t->nodes[i]->id, t->lang_code[l], p + 1, units);
				}
			}
		}
	}
	return bad;
}

int content_validate(struct daemon *d, const char *dir, void *ctx, char **report)
{
	struct menu_report rep = {0};
	struct report_buf rb;
	const struct menu_tree *t;
	struct menu_tree *parsed = NULL;
	struct menu_caps dial = {.gsm7 = (unsigned)d->cfg->ussd.dial_gsm7, .ucs2 = (unsigned)d->cfg->ussd.dial_ucs2};
	unsigned bad = 0, screens = 0, i;

	*report = talloc_strdup(ctx, "");
	if (dir) {
		parsed = load_pack(d, dir, ctx, report, &rep, &rb);
		if (!parsed) {
			*report = talloc_asprintf_append(*report, "%s: invalid, %u errors\n", dir, rep.n_errors);
			return -EINVAL;
		}
		t = parsed;
	} else {
		t = d->tree;
	}
	for (i = 0; i < d->cfg->n_gsup; i++) {
		bad += check_caps(t, d->cfg->gsup[i].name, &d->cfg->gsup[i].caps, ctx, report, &screens);
	}
	bad += check_caps(t, "dial", &dial, ctx, report, &screens);
	*report = talloc_asprintf_append(
		*report, "%s: %u languages, %u nodes, %u screens checked, %u warnings, %u errors\n",
		dir ? dir : "content in service", t->n_lang, t->n_nodes, screens, rep.n_warnings, bad);
	talloc_free(parsed);
	return bad ? -EINVAL : 0;
}
