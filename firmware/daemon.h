/* The composition root's state: what yordamd wires together. Nothing outside firmware/
 * includes this. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <yordam/cases.h>
#include <yordam/config.h>
#include <yordam/menu.h>

struct store;
struct secret;
struct ussd_engine;
struct menu_tree;
struct gsup_port;
struct http_port;
struct modem;
struct sms_service;
struct ctl;
struct daemon_sync;
struct cases_svc;
struct ussd_case_ops;

struct daemon {
	void *ctx;
	const struct yordam_config *cfg;
	struct secret *secret;
	struct store *store;
	struct ussd_engine *engine;
	struct menu_tree *tree; /* in service */
	struct gsup_port *gsup[CONFIG_MAX_GSUP];
	struct http_port *http[CONFIG_MAX_HTTP];
	struct sms_service *sms;
	struct modem *modems[CONFIG_MAX_MODEMS];
	struct ctl *ctl;
	struct daemon_sync *sync; /* NULL when sync is off */
	struct cases_svc *cases;  /* NULL when cases.enabled is false */
	time_t started;
};

/* Bring every module up in order; on failure everything already up is torn down and -errno
 * returned with a message on stderr. */
int daemon_init(struct daemon *d, void *ctx, const struct yordam_config *cfg);
/* Tear down in reverse order. */
void daemon_fini(struct daemon *d);

/* Import the pack in dir into the store and put it in service (all or nothing). The report
 * (warnings, errors, summary) goes into a talloc string under ctx. 0 or -errno. */
int content_import(struct daemon *d, const char *dir, void *ctx, char **report);
/* Load the pack in dir (or the content in service when dir is NULL) and check every screen of
 * every node, page and language against every port's caps. 0 when valid. */
int content_validate(struct daemon *d, const char *dir, void *ctx, char **report);

/* Control socket (ctl.c). */
struct ctl *ctl_alloc(struct daemon *d, const char *path);
void ctl_free(struct ctl *c);
/* Human-readable status for `yordamctl status`. */
char *daemon_status(struct daemon *d, void *ctx);

/* Sync with the central platform (daemon_sync.c, docs/sync.md): start when sync.enabled (keys and
 * certificates are loaded here; the network only at the first round), stop frees it. */
int daemon_sync_start(struct daemon *d);
void daemon_sync_stop(struct daemon *d);
/* `yordamctl sync status` (brief: the one line of `yordamctl status`). */
char *daemon_sync_status(struct daemon *d, void *ctx, bool brief);
/* Start a sync round now (no-op when sync is off). */
/* Start a sync round now; false when sync is off. */
bool daemon_sync_trigger(struct daemon *d);
/* Append a record to the durable journal (kinds in docs/sync.md); works with sync off too (the records wait).
 * body is a JSON value; personal marks personal data (retention). 0 or -errno (logged). */
int daemon_journal_append(struct daemon *d, const char *kind, const char *body, bool personal);

/* The cases service (cases_svc.c, issue 4, docs/cases.md): complaints, callbacks and status by SMS
 * (through sms_set_text_hook), hotline staff commands from roster numbers, routing and escalation on
 * one deadline timer. Starts only when cases.enabled (needs the SMS service); 0 or -errno. */
int cases_svc_start(struct daemon *d);
void cases_svc_stop(struct daemon *d);
/* A missed call from number: one callback request per caller per cases.beep_window (check and insert in one
 * transaction), the caller told the case number by SMS. A withheld number is ignored. No-op when off. */
void cases_svc_beep(struct daemon *d, const char *number);
/* `yordamctl cases list`: the newest max cases, no personal data (no decryption). */
char *cases_svc_list(struct daemon *d, void *ctx, unsigned max);
/* `yordamctl cases show N`: one case, personal fields decrypted (logged); NULL when cases are off. */
char *cases_svc_show(struct daemon *d, void *ctx, const char *arg);
/* `yordamctl cases export [--decrypt]`: CSV of every case; NULL when cases are off. */
char *cases_svc_export(struct daemon *d, void *ctx, bool decrypt);
/* The operations the USSD engine files complaints through (benchmarks: bench/cases_intake.c); NULL when off. */
const struct ussd_case_ops *cases_svc_ussd_ops(struct daemon *d);

/* Pure parts, public for tests. The intake keywords (multilingual, matched like SMS keywords). */
enum cases_svc_kw {
	CASES_KW_COMPLAINT,
	CASES_KW_STATUS,
	CASES_KW_CALLBACK,
	CASES_KW_N,
};
/* Which keyword text starts with (enum cases_svc_kw) and the bytes it takes, or -ENOENT. */
int cases_svc_keyword(const char *text, size_t *consumed);
/* The first n bytes of s cut at a character boundary, line breaks as spaces (talloc under ctx). */
char *cases_svc_excerpt(void *ctx, const char *s, size_t n);
/* The content pack text (enum menu_ui) that answers a staff command the parser refused with err, or -ENOENT for
 * the results that get no such answer (OK; EMPTY and UNKNOWN, which go on to the menu router). */
int cases_svc_cmd_err_text(enum cases_cmd_err err);
/* The service's built-in English for ui text k (used when the pack has k in no language), or NULL. */
const char *cases_svc_builtin(enum menu_ui k);
struct menu_tree;
/* Ui text k as the service picks it: in tree t's language li (-1: none), else t's fallback language, else
 * built-in English ("" if none). content validate measures what the service will send with it. */
const char *cases_svc_ui_text(const struct menu_tree *t, int li, enum menu_ui k);
/* A category as staff read it in t's language li: in English (a code en...) the service's own label ("unpaid
 * wages"), else the language's case_cat_* text when it has one; unknown for a category out of range. */
const char *cases_svc_staff_category(const struct menu_tree *t, int li, int category, const char *unknown);
