/* Bringing yordamd's modules up and down in order (init, and fini in reverse). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include <yordam/gsup_port.h>
#include <yordam/http_port.h>
#include <yordam/log.h>
#include <yordam/menu.h>
#include <yordam/modem.h>
#include <yordam/secret.h>
#include <yordam/sms.h>
#include <yordam/store.h>
#include <yordam/ussd.h>

#include "daemon.h"

static void log_report_cb(void *data, bool error, const char *msg)
{
	LOGP(DMENU, error ? LOGL_ERROR : LOGL_NOTICE, "%s\n", msg);
}

/* The SMS service asks for the tree on every message: content import swaps it. */
static const struct menu_tree *daemon_tree(void *data)
{
	struct daemon *d = data;

	return d->tree;
}

/* A missed call ("beep", modem cfg reject_calls): a callback request for the cases service. The modem callbacks'
 * data is the SMS service; the daemon is found through it. */
static void daemon_incoming_call(void *data, struct modem *m, const char *number)
{
	struct daemon *d = sms_user_data(data);

	(void)m;
	if (d) {
		cases_svc_beep(d, number);
	}
}

/* Modems, and the SMS service they feed: the service first (the modems' callbacks go to it), then one modem per
 * configured entry, then the service resumes what the last run left (sms_start). */
static int daemon_sms(struct daemon *d)
{
	const struct yordam_config *cfg = d->cfg;
	struct modem_callbacks cb = {
		.sms_received = sms_on_received,
		.sms_send_result = sms_on_send_result,
		.delivery_report = sms_on_delivery_report,
		.state_changed = sms_on_state_changed,
		.incoming_call = daemon_incoming_call,
	};
	unsigned i;
	int rc;

	d->sms = sms_alloc(d->ctx, &cfg->sms, d->store, d->secret, daemon_tree, d);
	if (!d->sms) {
		return -ENOMEM;
	}
	cb.data = d->sms;
	sms_set_user_data(d->sms, d);
	for (i = 0; i < cfg->n_modems; i++) {
		d->modems[i] = modem_alloc(d->ctx, &cfg->modems[i], &cb);
		if (!d->modems[i]) {
			fprintf(stderr, "modem %s: cannot start\n", cfg->modems[i].name);
			return -ENOMEM;
		}
		rc = sms_add_modem(d->sms, d->modems[i]);
		if (rc < 0) {
			return rc;
		}
	}
	rc = sms_start(d->sms);
	if (rc < 0) {
		fprintf(stderr, "SMS service: cannot resume from the store: %s\n", strerror(-rc));
	}
	return rc;
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
	for (i = 0; i < cfg->n_http; i++) {
		d->http[i] = http_port_alloc(ctx, d->engine, &cfg->http[i]);
		if (!d->http[i]) {
			fprintf(stderr, "http port %s: cannot start (see the log)\n", cfg->http[i].name);
			rc = -EIO;
			goto fail;
		}
	}
	rc = daemon_sms(d);
	if (rc < 0) {
		goto fail;
	}
	rc = daemon_sync_start(d);
	if (rc < 0) {
		goto fail;
	}
	rc = cases_svc_start(d);
	if (rc < 0) {
		fprintf(stderr, "cases service: cannot start: %s\n", strerror(-rc));
		goto fail;
	}
	d->ctl = ctl_alloc(d, cfg->control.socket);
	if (!d->ctl) {
		fprintf(stderr, "%s: cannot open the control socket: %s\n", cfg->control.socket, strerror(errno));
		rc = -EIO;
		goto fail;
	}
	LOGP(DMAIN, LOGL_NOTICE, "yordamd up: %u gsup port(s), %u http port(s), control socket %s\n", cfg->n_gsup,
	     cfg->n_http, cfg->control.socket);
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
	cases_svc_stop(d);
	daemon_sync_stop(d);
	/* Each modem leaves the SMS service first (its received parts are committed and deleted while it is still
	 * there), then stops, answering its queued sends (-ECANCELED) to the service, which records them. */
	for (i = CONFIG_MAX_MODEMS - 1; i >= 0; i--) {
		if (d->modems[i]) {
			sms_remove_modem(d->sms, d->modems[i]);
			modem_free(d->modems[i]);
			d->modems[i] = NULL;
		}
	}
	sms_free(d->sms);
	d->sms = NULL;
	for (i = CONFIG_MAX_HTTP - 1; i >= 0; i--) {
		http_port_free(d->http[i]);
		d->http[i] = NULL;
	}
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
	if (d->sms) {
		s = talloc_asprintf_append(s, "%s", sms_status(d->sms, s));
	}
	s = talloc_asprintf_append(s, "%s", daemon_sync_status(d, s, true));
	s = talloc_asprintf_append(s, "modems: %u\n", d->cfg->n_modems);
	for (unsigned i = 0; i < d->cfg->n_modems && s; i++) {
		struct modem_status ms;
		if (!d->modems[i]) {
			continue;
		}
		modem_get_status(d->modems[i], &ms);
		s = talloc_asprintf_append(
			s,
			"  %s: %s, signal %d%%, network %s, IMSI %s, rx %" PRIu64 ", tx %" PRIu64 ", tx errors %" PRIu64
			", reopens %" PRIu64 ", resets %" PRIu64 ", calls %" PRIu64 "%s%s\n",
			ms.name, modem_state_name(ms.state), ms.signal_percent, ms.network[0] ? ms.network : "?",
			ms.imsi[0] ? ms.imsi : "?", ms.rx_parts, ms.tx_parts, ms.tx_errors, ms.reopens, ms.resets,
			ms.calls, ms.last_error[0] ? ", last error: " : "", ms.last_error);
	}
	return s;
}
