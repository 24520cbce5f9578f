/* Bringing yordamd's modules up and down in order (init, and fini in reverse). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include <yordam/gsup_port.h>
#include <yordam/log.h>
#include <yordam/menu.h>
#include <yordam/secret.h>
#include <yordam/store.h>
#include <yordam/ussd.h>

#include "daemon.h"

static void log_report_cb(void *data, bool error, const char *msg)
{
	LOGP(DMENU, error ? LOGL_ERROR : LOGL_NOTICE, "%s\n", msg);
}

static int daemon_content(struct daemon *d)
{
	const struct yordam_config *cfg = d->cfg;
	struct menu_report rep = {.cb = log_report_cb};
	char *report = NULL;
	int present = store_content_present(d->store);
	int rc;

	if (present < 0) {
		return present;
	}
	if (!strcmp(cfg->content.import, "always") || (!strcmp(cfg->content.import, "if-empty") && !present)) {
		rc = content_import(d, cfg->content.dir, d->ctx, &report);
		fputs(report, stderr);
		talloc_free(report);
		if (rc < 0) {
			if (!present) {
				return rc;
			}
			/* Good content is already in the store: keep serving it. */
			LOGP(DMAIN, LOGL_ERROR, "Import of %s failed, serving the stored content\n", cfg->content.dir);
		} else {
			return 0;
		}
	}
	d->tree = menu_tree_load(d->ctx, d->store, cfg->content.fallback_language, &rep);
	if (!d->tree) {
		fprintf(stderr,
			"no usable content in %s: import a content pack (content.import or "
			"yordamctl content import DIR)\n",
			cfg->store.path);
		return -ENOENT;
	}
	return 0;
}

int daemon_init(struct daemon *d, void *ctx, const struct yordam_config *cfg)
{
	struct ussd_engine_cfg ecfg = {.idle_timeout_s = (unsigned)cfg->ussd.idle_timeout,
				       .resume_window_s = (unsigned)cfg->ussd.resume_window};
	unsigned i;
	int rc;

	memset(d, 0, sizeof(*d));
	d->ctx = ctx;
	d->cfg = cfg;
	d->started = time(NULL);

	rc = secret_load(ctx, cfg->store.key_file, true, &d->secret);
	if (rc < 0) {
		fprintf(stderr, "%s: cannot load the device key: %s\n", cfg->store.key_file, strerror(-rc));
		goto fail;
	}
	rc = store_open(ctx, cfg->store.path, &d->store);
	if (rc < 0) {
		fprintf(stderr, "%s: cannot open the store: %s\n", cfg->store.path, strerror(-rc));
		goto fail;
	}
	rc = daemon_content(d);
	if (rc < 0) {
		goto fail;
	}
	d->engine = ussd_engine_alloc(ctx, d->store, d->secret, &ecfg);
	if (!d->engine) {
		rc = -ENOMEM;
		goto fail;
	}
	ussd_engine_set_tree(d->engine, d->tree);
	for (i = 0; i < cfg->n_gsup; i++) {
		d->gsup[i] = gsup_port_alloc(ctx, d->engine, &cfg->gsup[i]);
		if (!d->gsup[i]) {
			fprintf(stderr, "gsup port %s: cannot start\n", cfg->gsup[i].name);
			rc = -EIO;
			goto fail;
		}
	}
	d->ctl = ctl_alloc(d, cfg->control.socket);
	if (!d->ctl) {
		fprintf(stderr, "%s: cannot open the control socket: %s\n", cfg->control.socket, strerror(errno));
		rc = -EIO;
		goto fail;
	}
	LOGP(DMAIN, LOGL_NOTICE, "yordamd up: %u gsup port(s), control socket %s\n", cfg->n_gsup, cfg->control.socket);
	return 0;
fail:
	daemon_fini(d);
	return rc;
}

void daemon_fini(struct daemon *d)
{
	int i;

	ctl_free(d->ctl);
	d->ctl = NULL;
	for (i = CONFIG_MAX_GSUP - 1; i >= 0; i--) {
		gsup_port_free(d->gsup[i]);
		d->gsup[i] = NULL;
	}
	talloc_free(d->engine);
	d->engine = NULL;
	talloc_free(d->tree);
	d->tree = NULL;
	store_close(d->store);
	d->store = NULL;
	talloc_free(d->secret);
	d->secret = NULL;
}

char *daemon_status(struct daemon *d, void *ctx)
{
	struct ussd_port *p;
	long callers = store_caller_count(d->store);
	char *s = talloc_asprintf(ctx,
				  "yordamd: up %lds, config %s\n"
				  "store: %s (schema %d), %ld callers with a saved language\n"
				  "content: %u languages, %u nodes, %u hotlines\n"
				  "sessions: %u open\n"
				  "ports:\n",
				  (long)(time(NULL) - d->started), d->cfg->file, d->cfg->store.path,
				  store_schema_version(d->store), callers, d->tree->n_lang, d->tree->n_nodes,
				  d->tree->n_hotlines, ussd_engine_open_sessions(d->engine));

	llist_for_each_entry(p, ussd_engine_ports(d->engine), entry)
	{
		char extra[256] = "";
		if (p->status) {
			p->status(p, extra, sizeof(extra));
		}
		s = talloc_asprintf_append(
			s,
			"  %s (%s): link %s, caps %u/%u, open %u, sessions %" PRIu64 ", screens %" PRIu64
			", invalid %" PRIu64 ", timeouts %" PRIu64 ", aborts %" PRIu64 ", tx errors %" PRIu64 "%s%s\n",
			p->name, p->kind, p->link_up ? "up" : "DOWN", p->caps.gsm7, p->caps.ucs2, p->open_sessions,
			p->stats.sessions, p->stats.screens, p->stats.invalid, p->stats.timeouts, p->stats.aborts,
			p->stats.tx_errors, extra[0] ? "\n    " : "", extra);
	}
	return s;
}
