/* The content pack parser (docs/content-format.md): lines into builder calls. Every check that
 * is not about syntax lives in the builder (tree.c), so packs and the store obey the same rules. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <osmocom/core/talloc.h>

#include <yordam/menu.h>
#include <yordam/text.h>

#include "menu_priv.h"

#define PACK_LINE_MAX 4096
#define PACK_FILE_MAX (4 * 1024 * 1024)

enum pack_section {
	SEC_NONE,
	SEC_SKIP, /* a section whose header was wrong: lines are still checked, not applied */
	SEC_LANGUAGE,
	SEC_UI,
	SEC_NODE,
	SEC_HOTLINE,
};

struct pack_parser {
	struct menu_build *b;
	const char *file;
	unsigned line;
	enum pack_section sec;
	int idx;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Trim in place; returns the new start. */
static char *trim(char *s)
{
	char *e;

	while (is_blank(*s)) {
		s++;
	}
	e = s + strlen(s);
	while (e > s && is_blank(e[-1])) {
		e--;
	}
	*e = '\0';
	return s;
}

static void parse_header(struct pack_parser *P, char *s)
{
	char *type, *id, *rest;
	size_t len = strlen(s);

	P->sec = SEC_SKIP;
	if (len < 2 || s[len - 1] != ']') {
		menu_build_error(P->b, P->file, P->line, "section header without closing ']'");
		return;
	}
	s[len - 1] = '\0';
	type = trim(s + 1);
	id = type + strcspn(type, " \t");
	if (*id) {
		*id++ = '\0';
		id = trim(id);
	}
	rest = id + strcspn(id, " \t");
	if (*rest) {
		menu_build_error(P->b, P->file, P->line, "section header: [TYPE ID] with one ID");
		return;
	}
	if (strcmp(type, "ui") == 0) {
		if (*id) {
			menu_build_error(P->b, P->file, P->line, "[ui] takes no ID");
			return;
		}
		P->sec = SEC_UI;
		return;
	}
	if (strcmp(type, "language") && strcmp(type, "node") && strcmp(type, "hotline")) {
		menu_build_error(P->b, P->file, P->line, "unknown section type '%.40s' (language, ui, node, hotline)",
				 type);
		return;
	}
	if (!*id) {
		menu_build_error(P->b, P->file, P->line, "[%s] needs an ID", type);
		return;
	}
	if (strcmp(type, "language") == 0) {
		P->idx = menu_build_language(P->b, P->file, P->line, id);
		P->sec = SEC_LANGUAGE;
	} else if (strcmp(type, "node") == 0) {
		P->idx = menu_build_node(P->b, P->file, P->line, id);
		P->sec = SEC_NODE;
	} else {
		P->idx = menu_build_hotline(P->b, P->file, P->line, id);
		P->sec = SEC_HOTLINE;
	}
	if (P->idx < 0) {
		P->sec = SEC_SKIP;
	}
}

/* \n and \\ only; the result is never longer than the input. */
static int unescape(struct pack_parser *P, char *s)
{
	char *o = s;

	while (*s) {
		if (*s != '\\') {
			*o++ = *s++;
			continue;
		}
		if (s[1] == 'n') {
			*o++ = '\n';
		} else if (s[1] == '\\') {
			*o++ = '\\';
		} else if (s[1] == '\0') {
			menu_build_error(P->b, P->file, P->line, "lone backslash at the end of the value");
			return -EINVAL;
		} else {
			menu_build_error(P->b, P->file, P->line, "bad escape: only \\n and \\\\ exist");
			return -EINVAL;
		}
		s += 2;
	}
	*o = '\0';
	return 0;
}

static bool key_name_valid(const char *s)
{
	if (!*s) {
		return false;
	}
	for (; *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || *s == '_')) {
			return false;
		}
	}
	return true;
}

static void parse_key_value(struct pack_parser *P, char *s, char *eq)
{
	char *key, *lang, *value;

	*eq = '\0';
	key = trim(s);
	value = trim(eq + 1);
	if (P->sec == SEC_NONE) {
		menu_build_error(P->b, P->file, P->line, "key outside a section");
		return;
	}
	lang = strchr(key, '.');
	if (lang) {
		*lang++ = '\0';
		if (!menu_id_valid(lang, strlen(lang))) {
			menu_build_error(P->b, P->file, P->line, "bad language code in key '%.40s'", key);
			return;
		}
	}
	if (!key_name_valid(key)) {
		menu_build_error(P->b, P->file, P->line, "bad key '%.40s'", key);
		return;
	}
	if (unescape(P, value) < 0) {
		return;
	}
	switch (P->sec) {
	case SEC_LANGUAGE:
		menu_build_language_field(P->b, P->file, P->line, P->idx, key, lang, value);
		break;
	case SEC_UI:
		menu_build_ui_field(P->b, P->file, P->line, key, lang, value);
		break;
	case SEC_NODE:
		menu_build_node_field(P->b, P->file, P->line, P->idx, key, lang, value);
		break;
	case SEC_HOTLINE:
		menu_build_hotline_field(P->b, P->file, P->line, P->idx, key, lang, value);
		break;
	default:
		break;
	}
}

static void parse_line(struct pack_parser *P, const char *s, size_t len)
{
	char buf[PACK_LINE_MAX + 1];
	char *l, *eq;

	if (len > PACK_LINE_MAX) {
		menu_build_error(P->b, P->file, P->line, "line longer than %d bytes", PACK_LINE_MAX);
		return;
	}
	if (len && s[len - 1] == '\r') {
		len--;
	}
	if (memchr(s, '\0', len)) {
		menu_build_error(P->b, P->file, P->line, "NUL byte");
		return;
	}
	if (!text_utf8_valid(s, len)) {
		menu_build_error(P->b, P->file, P->line, "invalid UTF-8");
		return;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	l = trim(buf);
	if (!*l || *l == '#') {
		return;
	}
	if (*l == '[') {
		parse_header(P, l);
		return;
	}
	eq = strchr(l, '=');
	if (eq) {
		parse_key_value(P, l, eq);
		return;
	}
	menu_build_error(P->b, P->file, P->line, "expected [section], key = value or # comment");
}

static void parse_buf(struct menu_build *b, const char *name, const char *buf, size_t len)
{
	struct pack_parser P = {.b = b, .file = name, .sec = SEC_NONE, .idx = -1};
	size_t pos = 0;

	/* Editors on some systems start UTF-8 files with a byte order mark. */
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
		pos = 3;
	}
	while (pos < len) {
		const char *eol = memchr(buf + pos, '\n', len - pos);
		size_t llen = eol ? (size_t)(eol - (buf + pos)) : len - pos;

		P.line++;
		if (menu_build_n_errors(b) >= MENU_MAX_ERRORS) {
			menu_build_error(b, name, P.line, "too many errors, giving up");
			return;
		}
		parse_line(&P, buf + pos, llen);
		pos += llen + (eol ? 1 : 0);
	}
}

struct menu_tree *menu_pack_parse(void *ctx, const char *name, const char *buf, size_t len, const char *fallback_lang,
				  struct menu_report *rep)
{
	struct menu_build *b = menu_build_new(ctx, fallback_lang, rep);

	if (!b) {
		menu_report_add(rep, true, "%s: out of memory", name ? name : "content");
		return NULL;
	}
	if (!name) {
		name = "content";
	}
	if (!buf && len) {
		menu_build_error(b, name, 0, "no buffer");
	} else if (buf) {
		parse_buf(b, name, buf, len);
	}
	return menu_build_finish(b, ctx);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_pack_name(const char *s)
{
	size_t len = strlen(s);

	return s[0] != '.' && len > 5 && strcmp(s + len - 5, ".pack") == 0;
}

static int read_file(struct menu_build *b, void *ctx, const char *dir, const char *name, char **out, size_t *outlen)
{
	char *path = talloc_asprintf(ctx, "%s/%s", dir, name);
	struct stat sb;
	FILE *f;
	char *buf;
	size_t got;

	if (!path) {
		menu_build_error(b, name, 0, "out of memory");
		return -ENOMEM;
	}
	f = fopen(path, "rb");
	if (!f) {
		int err = errno;
		menu_build_error(b, name, 0, "cannot open: %s", strerror(err));
		return -err;
	}
	if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > PACK_FILE_MAX) {
		menu_build_error(b, name, 0, "not a regular file of at most %d bytes", PACK_FILE_MAX);
		fclose(f);
		return -EINVAL;
	}
	buf = talloc_size(ctx, sb.st_size + 1);
	if (!buf) {
		fclose(f);
		menu_build_error(b, name, 0, "out of memory");
		return -ENOMEM;
	}
	got = fread(buf, 1, sb.st_size, f);
	if (ferror(f) || got != (size_t)sb.st_size) {
		fclose(f);
		menu_build_error(b, name, 0, "read error");
		return -EIO;
	}
	fclose(f);
	*out = buf;
	*outlen = got;
	return 0;
}

struct menu_tree *menu_pack_load(void *ctx, const char *dir, const char *fallback_lang, struct menu_report *rep)
{
	struct menu_build *b;
	void *tmp;
	char **names = NULL;
	unsigned n = 0, i;
	struct dirent *de;
	DIR *d;

	if (!dir) {
		menu_report_add(rep, true, "content: no directory given");
		return NULL;
	}
	d = opendir(dir);
	if (!d) {
		menu_report_add(rep, true, "%s: cannot open: %s", dir, strerror(errno));
		return NULL;
	}
	b = menu_build_new(ctx, fallback_lang, rep);
	tmp = talloc_new(NULL);
	if (!b || !tmp) {
		closedir(d);
		talloc_free(b);
		talloc_free(tmp);
		menu_report_add(rep, true, "%s: out of memory", dir);
		return NULL;
	}
	while ((de = readdir(d))) {
		char **nn;

		if (!is_pack_name(de->d_name)) {
			continue;
		}
		nn = talloc_realloc(tmp, names, char *, n + 1);
		if (nn) {
			names = nn;
			names[n] = talloc_strdup(tmp, de->d_name);
		}
		if (!nn || !names[n]) {
			menu_build_error(b, dir, 0, "out of memory");
			break;
		}
		n++;
	}
	closedir(d);
	if (n == 0) {
		menu_build_error(b, dir, 0, "no *.pack files");
	} else {
		qsort(names, n, sizeof(names[0]), cmp_name);
	}
	for (i = 0; i < n; i++) {
		char *buf = NULL;
		size_t len = 0;

		if (read_file(b, tmp, dir, names[i], &buf, &len) == 0) {
			parse_buf(b, names[i], buf, len);
			talloc_free(buf);
		}
	}
	talloc_free(tmp);
	return menu_build_finish(b, ctx);
}
