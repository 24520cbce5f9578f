/* Configuration loading: the only includer of libconfig.h. One declarative schema table per
 * group; every value is checked against it before anything starts. */
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

#include <yordam/config.h>

enum cf_type {
	CF_STR,
	CF_PATH, /* string, relative paths resolved against the config file's directory */
	CF_INT,	 /* stored as int */
	CF_UINT, /* stored as unsigned */
	CF_U16,	 /* stored as uint16_t */
	CF_BOOL,
	CF_GROUP,
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
};

#define CF_END               \
	{                    \
		.name = NULL \
	}

static const char *const log_levels[] = {"debug", "info", "notice", "error", NULL};
static const char *const import_modes[] = {"if-empty", "always", "never", NULL};

static const struct cf cf_log[] = {
	{"level", CF_STR, false, 0, 0, "notice", 0, log_levels, NULL, offsetof(struct yordam_config, log.level),
	 "lowest level logged to stderr"},
	{"timestamps", CF_BOOL, false, 0, 1, NULL, 0, NULL, NULL, offsetof(struct yordam_config, log.timestamps),
	 "prefix log lines with the time (off under systemd, which adds its own)"},
	CF_END,
};

static const struct cf cf_store[] = {
	{"path", CF_PATH, false, 0, 0, "yordam.db", 0, NULL, NULL, offsetof(struct yordam_config, store.path),
	 "SQLite database file"},
	{"key_file", CF_PATH, false, 0, 0, "yordam.key", 0, NULL, NULL, offsetof(struct yordam_config, store.key_file),
	 "device key (created with mode 0600 if missing); keep it outside the database's backups"},
	CF_END,
};

static const struct cf cf_content[] = {
	{"dir", CF_PATH, false, 0, 0, "menus/content", 0, NULL, NULL, offsetof(struct yordam_config, content.dir),
	 "content pack imported at start (see content.import)"},
	{"fallback_language", CF_STR, false, 0, 0, "en", 0, NULL, NULL,
	 offsetof(struct yordam_config, content.fallback_language), "language used where a translation is missing"},
	{"import", CF_STR, false, 0, 0, "if-empty", 0, import_modes, NULL,
	 offsetof(struct yordam_config, content.import), "import content.dir at start: if-empty, always or never"},
	CF_END,
};

static const struct cf cf_control[] = {
	{"socket", CF_PATH, false, 0, 0, "/run/yordam/yordamd.sock", 0, NULL, NULL,
	 offsetof(struct yordam_config, control.socket), "unix socket of yordamctl"},
	CF_END,
};

static const struct cf cf_ussd[] = {
	{"idle_timeout", CF_INT, false, 5, 600, NULL, 60, NULL, NULL, offsetof(struct yordam_config, ussd.idle_timeout),
	 "seconds a dialog waits for the caller (OsmoHLR never reports its own timeouts)"},
	{"resume_window", CF_INT, false, 0, 3600, NULL, 120, NULL, NULL,
	 offsetof(struct yordam_config, ussd.resume_window),
	 "seconds after a broken-off dialog during which a redial offers to continue (0: never)"},
	{"dial_gsm7", CF_INT, false, 16, 182, NULL, 128, NULL, NULL, offsetof(struct yordam_config, ussd.dial_gsm7),
	 "screen cap (septets) of yordamctl dial"},
	{"dial_ucs2", CF_INT, false, 8, 80, NULL, 56, NULL, NULL, offsetof(struct yordam_config, ussd.dial_ucs2),
	 "screen cap (UCS-2 characters) of yordamctl dial"},
	CF_END,
};

/* Offsets into struct gsup_port_cfg. */
static const struct cf cf_gsup[] = {
	{"name", CF_STR, true, 0, 0, NULL, 0, NULL, NULL, offsetof(struct gsup_port_cfg, name), "port name"},
	{"euse", CF_STR, false, 0, 0, "yordam", 0, NULL, NULL, offsetof(struct gsup_port_cfg, euse_name),
	 "EUSE name: OsmoHLR's 'euse NAME' (we connect as EUSE-NAME)"},
	{"address", CF_STR, false, 0, 0, "127.0.0.1", 0, NULL, NULL, offsetof(struct gsup_port_cfg, hlr_address),
	 "OsmoHLR GSUP address"},
	{"port", CF_U16, false, 1, 65535, NULL, 4222, NULL, NULL, offsetof(struct gsup_port_cfg, hlr_port),
	 "OsmoHLR GSUP port"},
	{"max_gsm7", CF_UINT, false, 16, 182, NULL, 128, NULL, NULL, offsetof(struct gsup_port_cfg, caps.gsm7),
	 "longest screen in GSM-7 septets (stock OsmoHLR drops longer ones)"},
	{"max_ucs2", CF_UINT, false, 8, 80, NULL, 56, NULL, NULL, offsetof(struct gsup_port_cfg, caps.ucs2),
	 "longest screen in UCS-2 characters (stock OsmoHLR drops longer ones)"},
	{"reconnect_min_ms", CF_UINT, false, 100, 60000, NULL, 1000, NULL, NULL,
	 offsetof(struct gsup_port_cfg, reconnect_min_ms), "first reconnect delay"},
	{"reconnect_max_ms", CF_UINT, false, 100, 600000, NULL, 30000, NULL, NULL,
	 offsetof(struct gsup_port_cfg, reconnect_max_ms), "reconnect backoff cap"},
	{"msisdn_lookup", CF_BOOL, false, 0, 1, NULL, 0, NULL, NULL, offsetof(struct gsup_port_cfg, msisdn_lookup),
	 "look up callers' MSISDN over OsmoHLR's CTRL interface"},
	{"ctrl_address", CF_STR, false, 0, 0, "127.0.0.1", 0, NULL, NULL, offsetof(struct gsup_port_cfg, ctrl_address),
	 "OsmoHLR CTRL address"},
	{"ctrl_port", CF_U16, false, 1, 65535, NULL, 4259, NULL, NULL, offsetof(struct gsup_port_cfg, ctrl_port),
	 "OsmoHLR CTRL port"},
	{"msisdn_cache", CF_UINT, false, 1, 86400, NULL, 600, NULL, NULL,
	 offsetof(struct gsup_port_cfg, msisdn_cache_s), "seconds an MSISDN stays cached"},
	CF_END,
};

static const struct cf cf_root[] = {
	{"log", CF_GROUP, false, 0, 0, NULL, 0, NULL, cf_log, 0, "logging"},
	{"store", CF_GROUP, false, 0, 0, NULL, 0, NULL, cf_store, 0, "the SQLite store"},
	{"content", CF_GROUP, false, 0, 0, NULL, 0, NULL, cf_content, 0, "menu content"},
	{"control", CF_GROUP, false, 0, 0, NULL, 0, NULL, cf_control, 0, "control socket"},
	{"ussd", CF_GROUP, false, 0, 0, NULL, 0, NULL, cf_ussd, 0, "USSD sessions"},
	/* "gsup" is a list of groups, handled in config_apply_root */
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
	long long v;

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

static void cf_apply_gsup(struct cf_state *s, const config_setting_t *list, struct yordam_config *cfg)
{
	int i, n;
	char key[64];

	if (!config_setting_is_list(list)) {
		cf_error(s, list, "gsup", "must be a list of groups: gsup = ( { name = \"hlr\"; ... } );");
		return;
	}
	n = config_setting_length(list);
	if (n > CONFIG_MAX_GSUP) {
		cf_error(s, list, "gsup", "at most %d ports", CONFIG_MAX_GSUP);
		return;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *el = config_setting_get_elem(list, (unsigned)i);
		struct gsup_port_cfg *g = &cfg->gsup[i];
		int j;

		snprintf(key, sizeof(key), "gsup.[%d]", i);
		if (!config_setting_is_group(el)) {
			cf_error(s, el, key, "must be a group { ... }");
			continue;
		}
		cf_defaults(s, cf_gsup, g);
		cf_apply(s, el, key, cf_gsup, g);
		if (g->reconnect_min_ms > g->reconnect_max_ms) {
			cf_error(s, el, key, "reconnect_min_ms (%u) exceeds reconnect_max_ms (%u)", g->reconnect_min_ms,
				 g->reconnect_max_ms);
		}
		for (j = 0; j < i; j++) {
			if (g->name && cfg->gsup[j].name && !strcmp(g->name, cfg->gsup[j].name)) {
				cf_error(s, el, key, "port name '%s' used twice", g->name);
			}
		}
	}
	cfg->n_gsup = (unsigned)n;
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

		if (name && !strcmp(name, "gsup")) {
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
		if (f->type == CF_STR || f->type == CF_PATH) {
			printf("default %s", f->required ? "(required)" : f->def_str);
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
}
