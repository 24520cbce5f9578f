/* Configuration loading: the only includer of libconfig.h. One declarative schema table per
 * group; every value is checked against it before anything starts. */
#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <libconfig.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include <yordam/cases_roster.h>
#include <yordam/config.h>

enum cf_type {
	CF_STR,
	CF_PATH, /* string, relative paths resolved against the config file's directory */
	CF_INT,	 /* stored as int */
	CF_UINT, /* stored as unsigned */
	CF_U16,	 /* stored as uint16_t */
	CF_BOOL,
	CF_GROUP,
	CF_STRLIST, /* a list or array of strings, stored as a NULL-terminated char ** */
};

struct cf {
	const char *name;
	enum cf_type type;
	bool required;
	long min, max;
	const char *def_str;
	long def_int;
	const char *const *choices; /* NULL-terminated allowed strings */
	const struct cf *sub;	    /* CF_GROUP members */
	size_t off;
	const char *help;
	/* Extra check of a string (each element of a CF_STRLIST): NULL when fine, else why not. */
	const char *(*check)(const char *v);
};

#define CF_END               \
	{                    \
		.name = NULL \
	}

static const char *const log_levels[] = {"debug", "info", "notice", "error", NULL};
static const char *const import_modes[] = {"if-empty", "always", "never", NULL};

static const struct cf cf_log[] = {
	{"level", CF_STR, false, 0, 0, "notice", 0, log_levels, NULL, offsetof(struct yordam_config, log.level),
	 "lowest level logged to stderr", NULL},
	{"timestamps", CF_BOOL, false, 0, 1, NULL, 0, NULL, NULL, offsetof(struct yordam_config, log.timestamps),
	 "prefix log lines with the time (off under systemd, which adds its own)", NULL},
	CF_END,
};

static const struct cf cf_store[] = {
	{"path", CF_PATH, false, 0, 0, "yordam.db", 0, NULL, NULL, offsetof(struct yordam_config, store.path),
	 "SQLite database file", NULL},
	{"key_file", CF_PATH, false, 0, 0, "yordam.key", 0, NULL, NULL, offsetof(struct yordam_config, store.key_file),
	 "device key (created with mode 0600 if missing); keep it outside the database's backups", NULL},
	CF_END,
};

static const struct cf cf_content[] = {
	{"dir", CF_PATH, false, 0, 0, "menus/content", 0, NULL, NULL, offsetof(struct yordam_config, content.dir),
	 "content pack imported at start (see content.import)", NULL},
	{"fallback_language", CF_STR, false, 0, 0, "en", 0, NULL, NULL,
	 offsetof(struct yordam_config, content.fallback_language), "language used where a translation is missing",
	 NULL},
	{"import", CF_STR, false, 0, 0, "if-empty", 0, import_modes, NULL,
	 offsetof(struct yordam_config, content.import), "import content.dir at start: if-empty, always or never",
	 NULL},
	CF_END,
};

static const struct cf cf_control[] = {
	{"socket", CF_PATH, false, 0, 0, "/run/yordam/yordamd.sock", 0, NULL, NULL,
	 offsetof(struct yordam_config, control.socket), "unix socket of yordamctl", NULL},
	{"test_clock", CF_BOOL, false, 0, 1, NULL, 0, NULL, NULL, offsetof(struct yordam_config, control.test_clock),
	 "tests only: libosmocore's clock runs ahead by what `yordamctl clock advance N` adds", NULL},
	CF_END,
};

static const struct cf cf_ussd[] = {
	{"idle_timeout", CF_INT, false, 5, 600, NULL, 60, NULL, NULL, offsetof(struct yordam_config, ussd.idle_timeout),
	 "seconds a dialog waits for the caller (OsmoHLR never reports its own timeouts)", NULL},
	{"resume_window", CF_INT, false, 0, 3600, NULL, 120, NULL, NULL,
	 offsetof(struct yordam_config, ussd.resume_window),
	 "seconds after a broken-off dialog during which a redial offers to continue (0: never)", NULL},
	{"dial_gsm7", CF_INT, false, 16, 182, NULL, 128, NULL, NULL, offsetof(struct yordam_config, ussd.dial_gsm7),
	 "screen cap (septets) of yordamctl dial", NULL},
	{"dial_ucs2", CF_INT, false, 8, 80, NULL, 56, NULL, NULL, offsetof(struct yordam_config, ussd.dial_ucs2),
	 "screen cap (UCS-2 characters) of yordamctl dial", NULL},
	CF_END,
};

/* Offsets into struct gsup_port_cfg. */
static const struct cf cf_gsup[] = {
	{"name", CF_STR, true, 0, 0, NULL, 0, NULL, NULL, offsetof(struct gsup_port_cfg, name), "port name", NULL},
	{"euse", CF_STR, false, 0, 0, "yordam", 0, NULL, NULL, offsetof(struct gsup_port_cfg, euse_name),
	 "EUSE name: OsmoHLR's 'euse NAME' (we connect as EUSE-NAME)", NULL},
	{"address", CF_STR, false, 0, 0, "127.0.0.1", 0, NULL, NULL, offsetof(struct gsup_port_cfg, hlr_address),
	 "OsmoHLR GSUP address", NULL},
	{"port", CF_U16, false, 1, 65535, NULL, 4222, NULL, NULL, offsetof(struct gsup_port_cfg, hlr_port),
	 "OsmoHLR GSUP port", NULL},
	{"max_gsm7", CF_UINT, false, 16, 182, NULL, 128, NULL, NULL, offsetof(struct gsup_port_cfg, caps.gsm7),
	 "longest screen in GSM-7 septets (stock OsmoHLR drops longer ones)", NULL},
	{"max_ucs2", CF_UINT, false, 8, 80, NULL, 56, NULL, NULL, offsetof(struct gsup_port_cfg, caps.ucs2),
	 "longest screen in UCS-2 characters (stock OsmoHLR drops longer ones)", NULL},
	{"reconnect_min_ms", CF_UINT, false, 100, 60000, NULL, 1000, NULL, NULL,
	 offsetof(struct gsup_port_cfg, reconnect_min_ms), "first reconnect delay", NULL},
	{"reconnect_max_ms", CF_UINT, false, 100, 600000, NULL, 30000, NULL, NULL,
	 offsetof(struct gsup_port_cfg, reconnect_max_ms), "reconnect backoff cap", NULL},
	{"msisdn_lookup", CF_BOOL, false, 0, 1, NULL, 0, NULL, NULL, offsetof(struct gsup_port_cfg, msisdn_lookup),
	 "look up callers' MSISDN over OsmoHLR's CTRL interface", NULL},
	{"ctrl_address", CF_STR, false, 0, 0, "127.0.0.1", 0, NULL, NULL, offsetof(struct gsup_port_cfg, ctrl_address),
	 "OsmoHLR CTRL address", NULL},
	{"ctrl_port", CF_U16, false, 1, 65535, NULL, 4259, NULL, NULL, offsetof(struct gsup_port_cfg, ctrl_port),
	 "OsmoHLR CTRL port", NULL},
	{"msisdn_cache", CF_UINT, false, 1, 86400, NULL, 600, NULL, NULL,
	 offsetof(struct gsup_port_cfg, msisdn_cache_s), "seconds an MSISDN stays cached", NULL},
	CF_END,
};

static const char *check_ip(const char *v)
{
	uint8_t buf[16];

	if (inet_pton(AF_INET, v, buf) == 1 || inet_pton(AF_INET6, v, buf) == 1) {
		return NULL;
	}
	return "not an IPv4 or IPv6 address";
}

static const char *check_ip_prefix(const char *v)
{
	char addr[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(v, '/');
	size_t alen = slash ? (size_t)(slash - v) : strlen(v);
	unsigned long max, p;
	char *end;

	if (alen >= sizeof(addr)) {
		return "not an address or ADDRESS/PREFIX";
	}
	memcpy(addr, v, alen);
	addr[alen] = '\0';
	if (check_ip(addr)) {
		return "not an address or ADDRESS/PREFIX";
	}
	if (!slash) {
		return NULL;
	}
	max = strchr(addr, ':') ? 128 : 32;
	p = strtoul(slash + 1, &end, 10);
	if (!slash[1] || *end || p > max) {
		return "bad prefix length";
	}
	return NULL;
}

static const char *check_url_path(const char *v)
{
	if (v[0] != '/') {
		return "must start with '/'";
	}
	for (; *v; v++) {
		if ((unsigned char)*v <= ' ' || (unsigned char)*v >= 0x7f || *v == '?' || *v == '#' || *v == '%') {
			return "only printable ASCII without spaces, '?', '#' or '%'";
		}
	}
	return NULL;
}

/* Form field and HTTP header names: letters, digits, '-', '_' and '.'. */
static const char *check_token(const char *v)
{
	if (strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") != strlen(v)) {
		return "only letters, digits, '-', '_' and '.'";
	}
	return NULL;
}

#define HTTP_OFF(m) offsetof(struct http_port_cfg, m)

/* Offsets into struct http_port_cfg. */
static const struct cf cf_http[] = {
	{"name", CF_STR, true, 0, 0, NULL, 0, NULL, NULL, HTTP_OFF(name), "port name", NULL},
	{"address", CF_STR, false, 0, 0, "127.0.0.1", 0, NULL, NULL, HTTP_OFF(address),
	 "listen address (IPv4 or IPv6 literal)", check_ip},
	{"port", CF_U16, true, 1, 65535, NULL, 0, NULL, NULL, HTTP_OFF(port), "listen port", NULL},
	{"path", CF_STR, false, 0, 0, "/ussd", 0, NULL, NULL, HTTP_OFF(path), "URL path of dialog requests",
	 check_url_path},
	{"end_path", CF_STR, false, 0, 0, "/ussd/end", 0, NULL, NULL, HTTP_OFF(end_path),
	 "URL path of end-of-session notifications", check_url_path},
	{"session_field", CF_STR, false, 0, 0, "sessionId", 0, NULL, NULL, HTTP_OFF(fields.session),
	 "form field of the gateway's session id", check_token},
	{"service_field", CF_STR, false, 0, 0, "serviceCode", 0, NULL, NULL, HTTP_OFF(fields.service),
	 "form field of the dialled code", check_token},
	{"phone_field", CF_STR, false, 0, 0, "phoneNumber", 0, NULL, NULL, HTTP_OFF(fields.phone),
	 "form field of the caller's number", check_token},
	{"text_field", CF_STR, false, 0, 0, "text", 0, NULL, NULL, HTTP_OFF(fields.text),
	 "form field of the caller's inputs joined by '*'", check_token},
	{"max_gsm7", CF_UINT, false, 16, 182, NULL, 160, NULL, NULL, HTTP_OFF(caps.gsm7),
	 "longest screen in GSM-7 septets the gateway passes on", NULL},
	{"max_ucs2", CF_UINT, false, 8, 80, NULL, 70, NULL, NULL, HTTP_OFF(caps.ucs2),
	 "longest screen in UCS-2 characters the gateway passes on", NULL},
	{"deadline_ms", CF_UINT, false, 100, 60000, NULL, 2000, NULL, NULL, HTTP_OFF(deadline_ms),
	 "the gateway's answer deadline; a request not received within it is cut", NULL},
	{"max_body", CF_UINT, false, 256, 65536, NULL, 4096, NULL, NULL, HTTP_OFF(max_body),
	 "largest request body in bytes (413 beyond)", NULL},
	{"max_connections", CF_UINT, false, 1, 10000, NULL, 512, NULL, NULL, HTTP_OFF(max_conns),
	 "concurrent connections", NULL},
	{"conn_timeout", CF_UINT, false, 1, 3600, NULL, 30, NULL, NULL, HTTP_OFF(conn_timeout_s),
	 "seconds a connection may stay without a complete request", NULL},
	{"hmac_key_file", CF_PATH, false, 0, 0, NULL, 0, NULL, NULL, HTTP_OFF(hmac_key_file),
	 "shared HMAC-SHA256 key (mode 0600; the file's bytes, one trailing newline dropped)", NULL},
	{"allow", CF_STRLIST, false, 0, 0, NULL, 0, NULL, NULL, HTTP_OFF(allow),
	 "addresses (ADDRESS or ADDRESS/PREFIX) served without a signature", check_ip_prefix},
	{"signature_header", CF_STR, false, 0, 0, "X-Yordam-Signature", 0, NULL, NULL, HTTP_OFF(sig_header),
	 "header carrying the hex HMAC", check_token},
	{"timestamp_header", CF_STR, false, 0, 0, "X-Yordam-Timestamp", 0, NULL, NULL, HTTP_OFF(ts_header),
	 "header carrying the signed Unix time", check_token},
	{"timestamp_tolerance", CF_UINT, false, 1, 3600, NULL, 300, NULL, NULL, HTTP_OFF(ts_tolerance_s),
	 "seconds a timestamp may differ from our clock", NULL},
	{"replay_cache", CF_UINT, false, 64, 1000000, NULL, 65536, NULL, NULL, HTTP_OFF(replay_max),
	 "signatures remembered against replays (503 when full)", NULL},
	CF_END,
};

#define SMS_OFF(m) offsetof(struct yordam_config, sms.m)

/* The SMS service (defaults as sms_cfg_defaults() in sms/sms.c). */
static const struct cf cf_sms[] = {
	{"parts_max", CF_UINT, false, 1, 10, NULL, 3, NULL, NULL, SMS_OFF(parts_max),
	 "SMS parts per reply; a longer reply ends with \"reply MORE\" and the rest waits for it", NULL},
	{"fold_typo", CF_BOOL, false, 0, 1, NULL, 1, NULL, NULL, SMS_OFF(fold_typo),
	 "fold typographic quotes, dashes and ellipses to ASCII in replies (keeps them GSM-7)", NULL},
	{"rate_limit", CF_UINT, false, 0, 100000, NULL, 10, NULL, NULL, SMS_OFF(rate_limit),
	 "messages answered per sender per rate_window; more are quarantined and answered once (0: no limit)", NULL},
	{"rate_window", CF_UINT, false, 1, 86400, NULL, 600, NULL, NULL, SMS_OFF(rate_window),
	 "seconds of the rate limit window", NULL},
	{"incomplete_timeout", CF_UINT, false, 10, 86400, NULL, 600, NULL, NULL, SMS_OFF(incomplete_timeout),
	 "seconds before a multipart message with missing parts is processed anyway (flagged incomplete)", NULL},
	{"duplicate_window", CF_UINT, false, 0, 86400, NULL, 300, NULL, NULL, SMS_OFF(dup_window),
	 "seconds in which the same text from the same sender without an SMSC time is a duplicate", NULL},
	{"retry_max", CF_UINT, false, 1, 100, NULL, 6, NULL, NULL, SMS_OFF(retry_max),
	 "send attempts per part before it is marked failed", NULL},
	{"retry_base", CF_UINT, false, 1, 3600, NULL, 30, NULL, NULL, SMS_OFF(retry_base),
	 "seconds before the first retry; doubles per attempt, with +-25% jitter", NULL},
	{"retry_cap", CF_UINT, false, 1, 86400, NULL, 3600, NULL, NULL, SMS_OFF(retry_cap),
	 "longest delay between retries, seconds", NULL},
	{"delivery_reports", CF_BOOL, false, 0, 1, NULL, 0, NULL, NULL, SMS_OFF(delivery_reports),
	 "ask the network for delivery reports (recorded in the outbox)", NULL},
	CF_END,
};

#define MODEM_OFF(m) offsetof(struct modem_cfg, m)

/* Offsets into struct modem_cfg (defaults as documented in modem.h). */
static const struct cf cf_modem[] = {
	{"name", CF_STR, true, 0, 0, NULL, 0, NULL, NULL, MODEM_OFF(name), "modem name (logs, status)", check_token},
	{"device", CF_PATH, true, 0, 0, NULL, 0, NULL, NULL, MODEM_OFF(device),
	 "serial device (prefer /dev/serial/by-id/...), or the dummy phone's directory", NULL},
	{"connection", CF_STR, false, 0, 0, "at", 0, NULL, NULL, MODEM_OFF(connection),
	 "libgammu connection: at, at115200, ... (none for the dummy phone)", NULL},
	{"model", CF_STR, false, 0, 0, NULL, 0, NULL, NULL, MODEM_OFF(model),
	 "libgammu model: unset for auto, dummy for the test phone", NULL},
	{"poll_ms", CF_UINT, false, 100, 3600000, NULL, 10000, NULL, NULL, MODEM_OFF(poll_ms),
	 "storage sweep period (catches messages whose +CMTI was missed)", NULL},
	{"timeout_ms", CF_UINT, false, 1000, 600000, NULL, 30000, NULL, NULL, MODEM_OFF(timeout_ms),
	 "a modem call not back within this is aborted and the modem reopened", NULL},
	{"reopen_min_ms", CF_UINT, false, 100, 600000, NULL, 1000, NULL, NULL, MODEM_OFF(reopen_min_ms),
	 "first reopen delay after a failure", NULL},
	{"reopen_max_ms", CF_UINT, false, 100, 3600000, NULL, 60000, NULL, NULL, MODEM_OFF(reopen_max_ms),
	 "reopen backoff cap", NULL},
	{"reset_after", CF_UINT, false, 1, 1000, NULL, 3, NULL, NULL, MODEM_OFF(reset_after),
	 "consecutive failures before the modem is reset (AT+CFUN=1,1)", NULL},
	{"reject_calls", CF_BOOL, false, 0, 1, NULL, 0, NULL, NULL, MODEM_OFF(reject_calls),
	 "hang up incoming calls and report them (missed-call requests)", NULL},
	{"prefixes", CF_STR, false, 0, 0, NULL, 0, NULL, NULL, MODEM_OFF(prefixes),
	 "comma-separated number prefixes this modem prefers for sending (e.g. \"+99890,+99891\")", NULL},
	CF_END,
};

#define SYNC_OFF(m) offsetof(struct yordam_config, sync.m)

static const struct cf cf_sync[] = {
	{"enabled", CF_BOOL, false, 0, 1, NULL, 0, NULL, NULL, SYNC_OFF(enabled),
	 "sync the journal and content bundles with the central platform", NULL},
	{"address", CF_STR, false, 0, 0, NULL, 0, NULL, NULL, SYNC_OFF(address),
	 "platform address (numeric IPv4 or IPv6; a name would block the loop)", check_ip},
	{"port", CF_U16, false, 1, 65535, NULL, 8443, NULL, NULL, SYNC_OFF(port), "platform port", NULL},
	{"host", CF_STR, false, 0, 0, NULL, 0, NULL, NULL, SYNC_OFF(host),
	 "platform name checked in its certificate (SNI and Host)", NULL},
	{"ca_file", CF_PATH, false, 0, 0, NULL, 0, NULL, NULL, SYNC_OFF(ca_file),
	 "the platform CA (PEM), the only trust anchor", NULL},
	{"cert_file", CF_PATH, false, 0, 0, NULL, 0, NULL, NULL, SYNC_OFF(cert_file),
	 "this appliance's certificate (PEM, CN = appliance id)", NULL},
	{"key_file", CF_PATH, false, 0, 0, NULL, 0, NULL, NULL, SYNC_OFF(key_file), "and its private key (PEM)", NULL},
	{"bundle_key_file", CF_PATH, false, 0, 0, NULL, 0, NULL, NULL, SYNC_OFF(bundle_key_file),
	 "the platform's bundle signing public key (PEM, EC P-256)", NULL},
	{"work_dir", CF_PATH, false, 0, 0, "sync", 0, NULL, NULL, SYNC_OFF(work_dir),
	 "directory for verified bundles being applied (created mode 0700)", NULL},
	{"interval", CF_UINT, false, 1, 86400, NULL, 300, NULL, NULL, SYNC_OFF(interval),
	 "seconds between successful sync rounds", NULL},
	{"backoff_min_ms", CF_UINT, false, 100, 3600000, NULL, 5000, NULL, NULL, SYNC_OFF(backoff_min_ms),
	 "first retry delay after a failed round (doubles per failure, with jitter)", NULL},
	{"backoff_max_ms", CF_UINT, false, 100, 86400000, NULL, 600000, NULL, NULL, SYNC_OFF(backoff_max_ms),
	 "longest retry delay", NULL},
	{"timeout", CF_UINT, false, 1, 600, NULL, 30, NULL, NULL, SYNC_OFF(timeout),
	 "seconds of silence from the platform that end a round", NULL},
	{"batch_size", CF_UINT, false, 1, 10000, NULL, 500, NULL, NULL, SYNC_OFF(batch_size),
	 "journal records per request", NULL},
	{"counters_interval", CF_UINT, false, 1, 86400, NULL, 3600, NULL, NULL, SYNC_OFF(counters_interval),
	 "seconds between counters records in the journal (written only when a counter moved)", NULL},
	{"retention_days", CF_UINT, false, 1, 3650, NULL, 7, NULL, NULL, SYNC_OFF(retention_days),
	 "days finished SMS messages (sealed texts and numbers) are kept; queued ones always stay", NULL},
	{"journal_retention_days", CF_UINT, false, 0, 3650, NULL, 7, NULL, NULL, SYNC_OFF(journal_retention_days),
	 "days journal records are kept once the platform acknowledged them", NULL},
	CF_END,
};

#define CASES_OFF(m) offsetof(struct yordam_config, cases.m)

static const struct cf cf_cases[] = {
	{"enabled", CF_BOOL, false, 0, 1, NULL, 0, NULL, NULL, CASES_OFF(enabled),
	 "complaints, callbacks and hotline staff (docs/cases.md); needs a staff list", NULL},
	{"tzdir", CF_PATH, false, 0, 0, CASES_TZ_DIR_DEFAULT, 0, NULL, NULL, CASES_OFF(tzdir),
	 "time zone files (tzdata) for staff duty hours", NULL},
	{"claim_timeout", CF_UINT, false, 5, 86400, NULL, 900, NULL, NULL, CASES_OFF(claim_timeout),
	 "seconds a notified staff member has to claim a case before it escalates", NULL},
	{"answer_timeout", CF_UINT, false, 60, 604800, NULL, 86400, NULL, NULL, CASES_OFF(answer_timeout),
	 "seconds a claimed case may wait for a reply before the owner is reminded", NULL},
	{"on_max", CF_UINT, false, 600, 86400, NULL, 28800, NULL, NULL, CASES_OFF(on_max),
	 "longest a staff member's ON lasts outside duty hours (s)", NULL},
	{"beep_window", CF_UINT, false, 60, 604800, NULL, 21600, NULL, NULL, CASES_OFF(beep_window),
	 "a missed call or callback keyword makes one callback request per caller in this window (s)", NULL},
	{"warn_window", CF_UINT, false, 3600, 31536000, NULL, 604800, NULL, NULL, CASES_OFF(warn_window),
	 "early warning: sliding window (s)", NULL},
	{"warn_threshold", CF_UINT, false, 2, 1000, NULL, 5, NULL, NULL, CASES_OFF(warn_threshold),
	 "early warning: complaints per category, country and employer in the window that alert", NULL},
	CF_END,
};

static const char *check_not_empty(const char *v)
{
	return v[0] ? NULL : "must not be empty";
}

#define STAFF_OFF(m) offsetof(struct config_staff, m)

static const struct cf cf_staff[] = {
	{"name", CF_STR, true, 0, 0, NULL, 0, NULL, NULL, STAFF_OFF(name), "shown in logs and to supervisors",
	 check_not_empty},
	{"phone", CF_STR, true, 0, 0, NULL, 0, NULL, NULL, STAFF_OFF(phone),
	 "international number (+ or 00): commands are accepted from it only", NULL},
	{"languages", CF_STRLIST, true, 0, 0, NULL, 0, NULL, NULL, STAFF_OFF(languages),
	 "language tags (\"uz\" matches both scripts) or \"*\"", NULL},
	{"countries", CF_STRLIST, true, 0, 0, NULL, 0, NULL, NULL, STAFF_OFF(countries),
	 "ISO alpha-2 codes (\"ZZ\" unknown) or \"*\"", NULL},
	{"topics", CF_STRLIST, true, 0, 0, NULL, 0, NULL, NULL, STAFF_OFF(topics),
	 "category slugs (wages, documents, unsafe, recruiter, violence, detention, other), callback, or \"*\"", NULL},
	{"timezone", CF_STR, true, 0, 0, NULL, 0, NULL, NULL, STAFF_OFF(timezone), "IANA zone of the duty hours", NULL},
	{"duty", CF_STRLIST, false, 0, 0, NULL, 0, NULL, NULL, STAFF_OFF(duty),
	 "weekly windows, e.g. [\"mon-fri 09:00-18:00\", \"sat 10:00-14:00\"]; none: on duty only after ON", NULL},
	{"supervisor", CF_BOOL, false, 0, 1, NULL, 0, NULL, NULL, STAFF_OFF(supervisor),
	 "gets escalations, unmatched cases and early-warning alerts", NULL},
	CF_END,
};

static const struct cf cf_root[] = {
	{"log", CF_GROUP, false, 0, 0, NULL, 0, NULL, cf_log, 0, "logging", NULL},
	{"store", CF_GROUP, false, 0, 0, NULL, 0, NULL, cf_store, 0, "the SQLite store", NULL},
	{"content", CF_GROUP, false, 0, 0, NULL, 0, NULL, cf_content, 0, "menu content", NULL},
	{"control", CF_GROUP, false, 0, 0, NULL, 0, NULL, cf_control, 0, "control socket", NULL},
	{"ussd", CF_GROUP, false, 0, 0, NULL, 0, NULL, cf_ussd, 0, "USSD sessions", NULL},
	{"sms", CF_GROUP, false, 0, 0, NULL, 0, NULL, cf_sms, 0, "SMS service over the modems", NULL},
	{"sync", CF_GROUP, false, 0, 0, NULL, 0, NULL, cf_sync, 0, "sync with the central platform (docs/sync.md)",
	 NULL},
	{"cases", CF_GROUP, false, 0, 0, NULL, 0, NULL, cf_cases, 0, "complaints and callbacks (docs/cases.md)", NULL},
	/* "gsup", "http", "modems" and "staff" are lists of groups, handled in cf_finish */
	CF_END,
};

struct cf_state {
	void *ctx;
	const char *name; /* file name for messages */
	const char *base_dir;
	char *err;
	size_t errlen, errpos;
	unsigned n_errors;
};

static void __attribute__((format(printf, 4, 5)))
cf_error(struct cf_state *s, const config_setting_t *at, const char *key, const char *fmt, ...)
{
	va_list ap;
	int n;

	s->n_errors++;
	if (!s->err || s->errpos >= s->errlen) {
		return;
	}
	n = snprintf(s->err + s->errpos, s->errlen - s->errpos, "%s:%d: key '%s': ",
		     at && config_setting_source_file(at) ? config_setting_source_file(at) : s->name,
		     at ? (int)config_setting_source_line(at) : 0, key);
	if (n > 0) {
		s->errpos += (size_t)n;
	}
	if (s->errpos >= s->errlen) {
		s->errpos = s->errlen;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(s->err + s->errpos, s->errlen - s->errpos, fmt, ap);
	va_end(ap);
	if (n > 0) {
		s->errpos += (size_t)n;
	}
	if (s->errpos < s->errlen - 1) {
		s->err[s->errpos++] = '\n';
		s->err[s->errpos] = '\0';
	} else {
		s->errpos = s->errlen;
	}
}

static const char *type_name(enum cf_type t)
{
	switch (t) {
	case CF_STR:
		return "a string";
	case CF_PATH:
		return "a path string";
	case CF_INT:
	case CF_UINT:
	case CF_U16:
		return "an integer";
	case CF_BOOL:
		return "true or false";
	case CF_GROUP:
		return "a group { ... }";
	case CF_STRLIST:
		return "a list of strings [ \"...\", ... ]";
	}
	return "?";
}

static const char *short_type_name(enum cf_type t)
{
	switch (t) {
	case CF_STR:
		return "string";
	case CF_PATH:
		return "path";
	case CF_BOOL:
		return "bool";
	case CF_GROUP:
		return "group";
	case CF_STRLIST:
		return "strings";
	default:
		return "integer";
	}
}

static char *resolve_path(struct cf_state *s, const char *v)
{
	if (v[0] == '/' || !s->base_dir) {
		return talloc_strdup(s->ctx, v);
	}
	return talloc_asprintf(s->ctx, "%s/%s", s->base_dir, v);
}

static void cf_store_int(const struct cf *f, void *base, long v)
{
	char *p = (char *)base + f->off;

	switch (f->type) {
	case CF_INT:
		*(int *)p = (int)v;
		break;
	case CF_UINT:
		*(unsigned *)p = (unsigned)v;
		break;
	case CF_U16:
		*(uint16_t *)p = (uint16_t)v;
		break;
	case CF_BOOL:
		*(bool *)p = v != 0;
		break;
	default:
		break;
	}
}

static void cf_defaults(struct cf_state *s, const struct cf *schema, void *base)
{
	const struct cf *f;

	for (f = schema; f->name; f++) {
		switch (f->type) {
		case CF_STR:
			*(char **)((char *)base + f->off) = f->def_str ? talloc_strdup(s->ctx, f->def_str) : NULL;
			break;
		case CF_PATH:
			*(char **)((char *)base + f->off) = f->def_str ? resolve_path(s, f->def_str) : NULL;
			break;
		case CF_GROUP:
			cf_defaults(s, f->sub, base);
			break;
		case CF_STRLIST:
			*(char ***)((char *)base + f->off) = NULL;
			break;
		default:
			cf_store_int(f, base, f->def_int);
			break;
		}
	}
}

static void cf_apply(struct cf_state *s, const config_setting_t *grp, const char *prefix, const struct cf *schema,
		     void *base);

static void cf_apply_one(struct cf_state *s, const config_setting_t *st, const char *key, const struct cf *f,
			 void *base)
{
	int t = config_setting_type(st);
	const char *sv;
	const char *const *c;
	const char *why;
	long long v;
	char **list;
	int i, n;

	switch (f->type) {
	case CF_STR:
	case CF_PATH:
		if (t != CONFIG_TYPE_STRING) {
			cf_error(s, st, key, "must be %s", type_name(f->type));
			return;
		}
		sv = config_setting_get_string(st);
		if (f->choices) {
			for (c = f->choices; *c && strcmp(*c, sv); c++) {
			}
			if (!*c) {
				cf_error(s, st, key, "'%s' is not one of the allowed values", sv);
				return;
			}
		}
		if (!sv[0]) {
			cf_error(s, st, key, "must not be empty");
			return;
		}
		if (f->check && (why = f->check(sv))) {
			cf_error(s, st, key, "'%s': %s", sv, why);
			return;
		}
		*(char **)((char *)base + f->off) =
			f->type == CF_PATH ? resolve_path(s, sv) : talloc_strdup(s->ctx, sv);
		return;
	case CF_INT:
	case CF_UINT:
	case CF_U16:
		if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
			cf_error(s, st, key, "must be %s", type_name(f->type));
			return;
		}
		v = config_setting_get_int64(st);
		if (v < f->min || v > f->max) {
			cf_error(s, st, key, "value %lld out of range %ld..%ld", v, f->min, f->max);
			return;
		}
		cf_store_int(f, base, (long)v);
		return;
	case CF_BOOL:
		if (t != CONFIG_TYPE_BOOL) {
			cf_error(s, st, key, "must be %s", type_name(f->type));
			return;
		}
		cf_store_int(f, base, config_setting_get_bool(st));
		return;
	case CF_GROUP:
		if (t != CONFIG_TYPE_GROUP) {
			cf_error(s, st, key, "must be %s", type_name(f->type));
			return;
		}
		cf_apply(s, st, key, f->sub, base);
		return;
	case CF_STRLIST:
		if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
			cf_error(s, st, key, "must be %s", type_name(f->type));
			return;
		}
		n = config_setting_length(st);
		list = talloc_zero_array(s->ctx, char *, n + 1);
		if (!list) {
			cf_error(s, st, key, "out of memory");
			return;
		}
		for (i = 0; i < n; i++) {
			const config_setting_t *el = config_setting_get_elem(st, (unsigned)i);

			sv = config_setting_get_string(el);
			if (!sv || !sv[0]) {
				cf_error(s, el, key, "element %d must be a non-empty string", i);
				return;
			}
			if (f->check && (why = f->check(sv))) {
				cf_error(s, el, key, "'%s': %s", sv, why);
				return;
			}
			list[i] = talloc_strdup(list, sv);
		}
		*(char ***)((char *)base + f->off) = list;
		return;
	}
}

static void cf_apply(struct cf_state *s, const config_setting_t *grp, const char *prefix, const struct cf *schema,
		     void *base)
{
	const struct cf *f;
	int i, n = config_setting_length(grp);
	char key[128];

	for (i = 0; i < n; i++) {
		const config_setting_t *st = config_setting_get_elem(grp, (unsigned)i);
		const char *name = config_setting_name(st);

		snprintf(key, sizeof(key), "%s%s%s", prefix, prefix[0] ? "." : "", name ? name : "?");
		for (f = schema; f->name && (!name || strcmp(f->name, name)); f++) {
		}
		if (!f->name) {
			cf_error(s, st, key, "unknown key");
			continue;
		}
		cf_apply_one(s, st, key, f, base);
	}
	for (f = schema; f->name; f++) {
		if (f->required && !config_setting_get_member(grp, f->name)) {
			snprintf(key, sizeof(key), "%s%s%s", prefix, prefix[0] ? "." : "", f->name);
			cf_error(s, grp, key, "required but missing");
		}
	}
}

/* A list of groups, "name = ( { ... }, ... );": each element against schema into base[i] (elements of size bytes),
 * then check() for the rules that span keys or elements. Returns the element count, or -1 when the list itself is
 * not a list or too long. */
typedef void (*cf_list_check)(struct cf_state *s, const config_setting_t *el, const char *key,
			      struct yordam_config *cfg, int i);

static int cf_apply_list(struct cf_state *s, const config_setting_t *list, const char *name, const char *example,
			 int max, const char *noun, const struct cf *schema, void *base, size_t size,
			 cf_list_check check, struct yordam_config *cfg)
{
	int i, n;
	char key[64];

	if (!config_setting_is_list(list)) {
		cf_error(s, list, name, "must be a list of groups: %s = ( { %s } );", name, example);
		return -1;
	}
	n = config_setting_length(list);
	if (n > max) {
		cf_error(s, list, name, "at most %d %s", max, noun);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *el = config_setting_get_elem(list, (unsigned)i);
		void *elem = (char *)base + (size_t)i * size;

		snprintf(key, sizeof(key), "%s.[%d]", name, i);
		if (!config_setting_is_group(el)) {
			cf_error(s, el, key, "must be a group { ... }");
			continue;
		}
		cf_defaults(s, schema, elem);
		cf_apply(s, el, key, schema, elem);
		if (check) {
			check(s, el, key, cfg, i);
		}
	}
	return n;
}

static bool port_name_taken(const struct yordam_config *cfg, unsigned n_gsup, unsigned n_http, const char *name)
{
	unsigned j;

	for (j = 0; j < n_gsup; j++) {
		if (cfg->gsup[j].name && !strcmp(cfg->gsup[j].name, name)) {
			return true;
		}
	}
	for (j = 0; j < n_http; j++) {
		if (cfg->http[j].name && !strcmp(cfg->http[j].name, name)) {
			return true;
		}
	}
	return false;
}

static void check_gsup(struct cf_state *s, const config_setting_t *el, const char *key, struct yordam_config *cfg,
		       int i)
{
	const struct gsup_port_cfg *g = &cfg->gsup[i];

	if (g->reconnect_min_ms > g->reconnect_max_ms) {
		cf_error(s, el, key, "reconnect_min_ms (%u) exceeds reconnect_max_ms (%u)", g->reconnect_min_ms,
			 g->reconnect_max_ms);
	}
	if (g->name && port_name_taken(cfg, (unsigned)i, 0, g->name)) {
		cf_error(s, el, key, "port name '%s' used twice", g->name);
	}
}

static void check_http(struct cf_state *s, const config_setting_t *el, const char *key, struct yordam_config *cfg,
		       int i)
{
	const struct http_port_cfg *h = &cfg->http[i];

	if (h->path && h->end_path && !strcmp(h->path, h->end_path)) {
		cf_error(s, el, key, "path and end_path must differ");
	}
	if (!h->hmac_key_file && (!h->allow || !h->allow[0])) {
		cf_error(s, el, key, "needs hmac_key_file or allow (a port open to anyone is refused)");
	}
	if (h->name && port_name_taken(cfg, cfg->n_gsup, (unsigned)i, h->name)) {
		cf_error(s, el, key, "port name '%s' used twice", h->name);
	}
}

static void check_modem(struct cf_state *s, const config_setting_t *el, const char *key, struct yordam_config *cfg,
			int i)
{
	const struct modem_cfg *mc = &cfg->modems[i];
	int j;

	if (mc->reopen_min_ms > mc->reopen_max_ms) {
		cf_error(s, el, key, "reopen_min_ms (%u) exceeds reopen_max_ms (%u)", mc->reopen_min_ms,
			 mc->reopen_max_ms);
	}
	for (j = 0; j < i; j++) {
		if (mc->name && cfg->modems[j].name && !strcmp(mc->name, cfg->modems[j].name)) {
			cf_error(s, el, key, "modem name '%s' used twice", mc->name);
		}
		if (mc->device && cfg->modems[j].device && !strcmp(mc->device, cfg->modems[j].device)) {
			cf_error(s, el, key, "device '%s' used by two modems", mc->device);
		}
	}
}

static void cf_apply_gsup(struct cf_state *s, const config_setting_t *list, struct yordam_config *cfg)
{
	int n = cf_apply_list(s, list, "gsup", "name = \"hlr\"; ...", CONFIG_MAX_GSUP, "ports", cf_gsup, cfg->gsup,
			      sizeof(cfg->gsup[0]), check_gsup, cfg);

	cfg->n_gsup = n < 0 ? 0 : (unsigned)n;
}

static void cf_apply_http(struct cf_state *s, const config_setting_t *list, struct yordam_config *cfg)
{
	int n = cf_apply_list(s, list, "http", "name = \"gw\"; port = 8080; ...", CONFIG_MAX_HTTP, "ports", cf_http,
			      cfg->http, sizeof(cfg->http[0]), check_http, cfg);

	cfg->n_http = n < 0 ? 0 : (unsigned)n;
}

static void cf_apply_modems(struct cf_state *s, const config_setting_t *list, struct yordam_config *cfg)
{
	int n = cf_apply_list(s, list, "modems", "name = \"m1\"; device = \"/dev/ttyUSB0\";", CONFIG_MAX_MODEMS,
			      "modems", cf_modem, cfg->modems, sizeof(cfg->modems[0]), check_modem, cfg);

	cfg->n_modems = n < 0 ? 0 : (unsigned)n;
}

static size_t strlist_len(char **l)
{
	size_t n = 0;

	while (l && l[n]) {
		n++;
	}
	return n;
}

/* The hotline roster: each entry against cf_staff, then the whole roster through cases_roster_compile() (zones,
 * duty windows, phones, duplicates), whose messages are reported at the staff list's line. */
static void cf_apply_staff(struct cf_state *s, const config_setting_t *list, struct yordam_config *cfg)
{
	struct cases_staff cs[CONFIG_MAX_STAFF];
	struct cases_roster *roster = NULL;
	char *errors = NULL, *line, *save = NULL;
	void *tmp;
	int i, n, rc;

	n = cf_apply_list(s, list, "staff", "name = \"A\"; phone = \"+998...\"; ...", CONFIG_MAX_STAFF, "staff members",
			  cf_staff, cfg->staff, sizeof(cfg->staff[0]), NULL, cfg);
	if (n < 0) {
		return;
	}
	cfg->n_staff = (unsigned)n;
	if (s->n_errors || !n) {
		return;
	}
	for (i = 0; i < n; i++) {
		const struct config_staff *m = &cfg->staff[i];

		cs[i] = (struct cases_staff){
			.name = m->name,
			.phone = m->phone,
			.languages = (const char *const *)m->languages,
			.n_languages = strlist_len(m->languages),
			.countries = (const char *const *)m->countries,
			.n_countries = strlist_len(m->countries),
			.topics = (const char *const *)m->topics,
			.n_topics = strlist_len(m->topics),
			.timezone = m->timezone,
			.duty = (const char *const *)m->duty,
			.n_duty = strlist_len(m->duty),
			.supervisor = m->supervisor,
		};
	}
	tmp = talloc_new(NULL);
	if (!tmp) {
		cf_error(s, list, "staff", "out of memory");
		return;
	}
	rc = cases_roster_compile(tmp, cs, (size_t)n, cfg->cases.tzdir, &roster, &errors);
	if (rc < 0) {
		if (!errors) {
			cf_error(s, list, "staff", "%s", strerror(-rc));
		}
		for (line = errors ? strtok_r(errors, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
			cf_error(s, list, "staff", "%s", line);
		}
	}
	talloc_free(tmp);
}

/* An enabled sync needs the platform's address and name and every key and certificate. */
static void cf_check_sync(struct cf_state *s, const config_setting_t *grp, struct yordam_config *cfg)
{
	const struct {
		const char *name;
		const char *v;
	} need[] = {
		{"address", cfg->sync.address},	  {"host", cfg->sync.host},
		{"ca_file", cfg->sync.ca_file},	  {"cert_file", cfg->sync.cert_file},
		{"key_file", cfg->sync.key_file}, {"bundle_key_file", cfg->sync.bundle_key_file},
	};
	char key[64];
	unsigned i;

	if (!grp) {
		return;
	}
	if (cfg->sync.backoff_min_ms > cfg->sync.backoff_max_ms) {
		cf_error(s, grp, "sync", "backoff_min_ms (%u) exceeds backoff_max_ms (%u)", cfg->sync.backoff_min_ms,
			 cfg->sync.backoff_max_ms);
	}
	for (i = 0; cfg->sync.enabled && i < ARRAY_SIZE(need); i++) {
		if (!need[i].v) {
			snprintf(key, sizeof(key), "sync.%s", need[i].name);
			cf_error(s, grp, key, "required when sync.enabled is true");
		}
	}
}

static struct yordam_config *cf_finish(struct cf_state *s, config_t *lc)
{
	struct yordam_config *cfg = talloc_zero(s->ctx, struct yordam_config);
	const config_setting_t *root = config_root_setting(lc);
	const config_setting_t *gs;
	int i, n;

	if (!cfg) {
		return NULL;
	}
	s->ctx = cfg;
	cfg->file = talloc_strdup(cfg, s->name);
	cf_defaults(s, cf_root, cfg);

	/* cf_apply would call "gsup" unknown: check it separately and skip it there. */
	n = config_setting_length(root);
	for (i = 0; i < n; i++) {
		const config_setting_t *st = config_setting_get_elem(root, (unsigned)i);
		const char *name = config_setting_name(st);
		const struct cf *f;

		if (name && (!strcmp(name, "gsup") || !strcmp(name, "http") || !strcmp(name, "modems") ||
			     !strcmp(name, "staff"))) {
			continue;
		}
		for (f = cf_root; f->name && (!name || strcmp(f->name, name)); f++) {
		}
		if (!f->name) {
			cf_error(s, st, name ? name : "?", "unknown key");
			continue;
		}
		cf_apply_one(s, st, name, f, cfg);
	}
	gs = config_setting_get_member(root, "gsup");
	if (gs) {
		cf_apply_gsup(s, gs, cfg);
	}
	/* After gsup: port names are unique across both kinds. */
	gs = config_setting_get_member(root, "http");
	if (gs) {
		cf_apply_http(s, gs, cfg);
	}
	gs = config_setting_get_member(root, "modems");
	if (gs) {
		cf_apply_modems(s, gs, cfg);
	}
	/* After the cases group: the roster needs its tzdir. */
	gs = config_setting_get_member(root, "staff");
	if (gs) {
		cf_apply_staff(s, gs, cfg);
	}
	if (cfg->cases.enabled && !cfg->n_staff) {
		cf_error(s, config_setting_get_member(root, "cases"), "cases.enabled", "needs a staff list");
	}
	cf_check_sync(s, config_setting_get_member(root, "sync"), cfg);
	if (s->n_errors) {
		talloc_free(cfg);
		return NULL;
	}
	return cfg;
}

struct yordam_config *config_parse(void *ctx, const char *name, const char *text, const char *base_dir, char *err,
				   size_t errlen)
{
	struct cf_state s = {.ctx = ctx, .name = name, .base_dir = base_dir, .err = err, .errlen = errlen};
	struct yordam_config *cfg;
	config_t lc;

	if (err && errlen) {
		err[0] = '\0';
	}
	config_init(&lc);
	if (config_read_string(&lc, text) != CONFIG_TRUE) {
		s.n_errors++;
		if (err) {
			snprintf(err, errlen, "%s:%d: syntax error: %s\n", name, config_error_line(&lc),
				 config_error_text(&lc));
		}
		config_destroy(&lc);
		return NULL;
	}
	cfg = cf_finish(&s, &lc);
	config_destroy(&lc);
	return cfg;
}

struct yordam_config *config_load(void *ctx, const char *path, char *err, size_t errlen)
{
	struct cf_state s = {.ctx = ctx, .name = path, .err = err, .errlen = errlen};
	struct yordam_config *cfg;
	char dirbuf[PATH_MAX];
	config_t lc;

	if (err && errlen) {
		err[0] = '\0';
	}
	if (osmo_strlcpy(dirbuf, path, sizeof(dirbuf)) >= sizeof(dirbuf)) {
		snprintf(err, errlen, "%s: path too long\n", path);
		return NULL;
	}
	s.base_dir = dirname(dirbuf);
	config_init(&lc);
	if (config_read_file(&lc, path) != CONFIG_TRUE) {
		if (err) {
			if (config_error_type(&lc) == CONFIG_ERR_FILE_IO) {
				snprintf(err, errlen, "%s: cannot read: %s\n", path, strerror(errno));
			} else {
				snprintf(err, errlen, "%s:%d: syntax error: %s\n",
					 config_error_file(&lc) ? config_error_file(&lc) : path, config_error_line(&lc),
					 config_error_text(&lc));
			}
		}
		config_destroy(&lc);
		return NULL;
	}
	cfg = cf_finish(&s, &lc);
	config_destroy(&lc);
	return cfg;
}

static void print_group(const char *prefix, const struct cf *schema)
{
	const struct cf *f;
	char key[96];

	for (f = schema; f->name; f++) {
		snprintf(key, sizeof(key), "%s%s", prefix, f->name);
		if (f->type == CF_GROUP) {
			char sub[sizeof(key) + 2];
			printf("%-26s %s\n", key, f->help);
			snprintf(sub, sizeof(sub), "%s.", key);
			print_group(sub, f->sub);
			continue;
		}
		printf("%-26s %-8s ", key, short_type_name(f->type));
		if (f->type == CF_STRLIST) {
			printf("default none");
		} else if (f->type == CF_STR || f->type == CF_PATH) {
			printf("default %s", f->required ? "(required)" : f->def_str ? f->def_str : "none");
		} else if (f->type == CF_BOOL) {
			printf("default %s", f->def_int ? "true" : "false");
		} else {
			printf("default %ld, %ld..%ld", f->def_int, f->min, f->max);
		}
		printf("  %s\n", f->help);
	}
}

void config_print_schema(void)
{
	print_group("", cf_root);
	printf("gsup                       list of USSD ports to OsmoHLR, each a group:\n");
	print_group("gsup.[N].", cf_gsup);
	printf("http                       list of HTTP USSD ports for operator/aggregator gateways, each a group:\n");
	print_group("http.[N].", cf_http);
	printf("modems                     list of GSM modems (libgammu), each a group:\n");
	print_group("modems.[N].", cf_modem);
	printf("staff                      hotline staff (docs/cases.md), each a group:\n");
	print_group("staff.[N].", cf_staff);
}
