/* yordamd's configuration: a libconfig file validated against one schema table (config.c).
 * Unknown keys, wrong types, out-of-range values and missing required keys are errors that name
 * the file, the line and the key. Relative paths are taken relative to the config file's
 * directory, so a configuration works wherever the daemon is started from. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yordam/gsup_port.h>
#include <yordam/http_port.h>
#include <yordam/modem.h>
#include <yordam/sms.h>

#define CONFIG_MAX_GSUP	  8
#define CONFIG_MAX_HTTP	  4
#define CONFIG_MAX_MODEMS 8
#define CONFIG_MAX_STAFF  64 /* CASES_ROSTER_MAX */

/* One hotline staff member (issue 4, docs/cases.md section 7): validated with cases_roster_compile(). */
struct config_staff {
	char *name, *phone, *timezone;
	char **languages, **countries, **topics, **duty; /* NULL-terminated */
	bool supervisor;
};

struct yordam_config {
	char *file; /* the file it came from */
	struct {
		char *level; /* debug | info | notice | error */
		bool timestamps;
	} log;
	struct {
		char *path;
		char *key_file;
	} store;
	struct {
		char *dir;
		char *fallback_language;
		char *import; /* if-empty | always | never: at start */
	} content;
	struct {
		char *socket;
		bool test_clock; /* tests only: `yordamctl clock advance N` (firmware/ctl.c) */
	} control;
	struct {
		int idle_timeout;
		int resume_window;
		int dial_gsm7, dial_ucs2; /* screen caps of `yordamctl dial` */
	} ussd;
	struct sms_cfg sms; /* SMS service (inbox, replies, outbox) */
	struct {
		bool enabled; /* the complaints service (issue 4); off by default */
		char *tzdir;
		unsigned claim_timeout, answer_timeout, on_max; /* seconds */
		unsigned beep_window;				/* one callback per caller per window (s) */
		unsigned warn_window, warn_threshold;
	} cases;
	unsigned n_staff;
	struct config_staff staff[CONFIG_MAX_STAFF];
	struct {
		bool enabled;
		char *address; /* numeric IPv4/IPv6 of the platform */
		uint16_t port;
		char *host; /* name checked in the platform's certificate */
		char *ca_file, *cert_file, *key_file, *bundle_key_file, *work_dir;
		unsigned interval;			 /* seconds between successful rounds */
		unsigned backoff_min_ms, backoff_max_ms; /* retry delays after a failed round */
		unsigned timeout;			 /* seconds of inactivity that end a round */
		unsigned batch_size;			 /* journal records per request */
		unsigned counters_interval;		 /* seconds between counters records */
		unsigned retention_days;		 /* finished SMS texts and numbers */
		unsigned journal_retention_days;	 /* acknowledged journal records */
	} sync;
	unsigned n_gsup;
	struct gsup_port_cfg gsup[CONFIG_MAX_GSUP];
	unsigned n_http;
	struct http_port_cfg http[CONFIG_MAX_HTTP];
	unsigned n_modems;
	struct modem_cfg modems[CONFIG_MAX_MODEMS]; /* strings are talloc children of the config */
};

/* Load and validate path into a new config (talloc child of ctx). On error returns NULL and
 * writes one message per problem ("FILE:LINE: key 'a.b': ...") to err (NUL-terminated). */
struct yordam_config *config_load(void *ctx, const char *path, char *err, size_t errlen);

/* The same from a string (name used in messages); relative paths resolve against base_dir. */
struct yordam_config *config_parse(void *ctx, const char *name, const char *text, const char *base_dir, char *err,
				   size_t errlen);

/* Print the schema (every key, type, default, range) for --help-config. */
void config_print_schema(void);
