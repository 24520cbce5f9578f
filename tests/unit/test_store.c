/* Unit tests for the SQLite store: open and pragmas, migrations, content import, iteration, callers. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <ftw.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <osmocom/core/application.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include <yordam/log.h>
#include <yordam/store.h>

static void *g_ctx;

struct fixture {
	char dir[64];
	char path[128];
};

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

static int setup(void **state)
{
	struct fixture *f = talloc_zero(g_ctx, struct fixture);

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/yordam-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/store.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	talloc_free(f);
	return 0;
}

/* Run the sqlite3 CLI on a file (a second, independent connection) and return its trimmed output. */
static char *sqlite_cli(const char *path, const char *sql)
{
	char cmd[512], buf[16384];
	size_t len = 0, n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "sqlite3 '%s' \"%s\"", path, sql);
	p = popen(cmd, "r");
	assert_non_null(p);
	while ((n = fread(buf + len, 1, sizeof(buf) - 1 - len, p)) > 0) {
		len += n;
	}
	buf[len] = '\0';
	assert_int_equal(pclose(p), 0);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) {
		buf[--len] = '\0';
	}
	return talloc_strdup(g_ctx, buf);
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	ssize_t n;
	int fd = open(from, O_RDONLY);

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf));
	assert_true(n > 0 && n < (ssize_t)sizeof(buf));
	close(fd);
	write_file(to, buf, n);
}

/* --- collectors: each iterator appends a line per row to a string ---------------------------- */

static int collect_language(void *data, const char *code, const char *name, int pos)
{
	char **out = data;

	*out = talloc_asprintf_append(*out, "%s|%s|%d\n", code, name, pos);
	return 0;
}

static int collect_node(void *data, const char *id, const char *parent, int pos, const char *kind, const char *country)
{
	char **out = data;

	*out = talloc_asprintf_append(*out, "%s|%s|%d|%s|%s\n", id, parent ? parent : "(null)", pos, kind,
				      country ? country : "(null)");
	return 0;
}

static int collect_text(void *data, const char *owner, const char *field, const char *lang, const char *text)
{
	char **out = data;

	*out = talloc_asprintf_append(*out, "%s|%s|%s|%s\n", owner, field, lang, text);
	return 0;
}

static int collect_hotline(void *data, const char *id, const char *country, const char *topic, const char *number,
			   int pos, const char *source, bool example)
{
	char **out = data;

	*out = talloc_asprintf_append(*out, "%s|%s|%s|%s|%d|%s|%d\n", id, country, topic, number, pos,
				      source ? source : "(null)", example);
	return 0;
}

static char *dump(struct store *st)
{
	char *out = talloc_strdup(g_ctx, "");

	assert_int_equal(store_content_foreach_language(st, collect_language, &out), 0);
	out = talloc_strdup_append(out, "--\n");
	assert_int_equal(store_content_foreach_node(st, collect_node, &out), 0);
	out = talloc_strdup_append(out, "--\n");
	assert_int_equal(store_content_foreach_text(st, collect_text, &out), 0);
	out = talloc_strdup_append(out, "--\n");
	assert_int_equal(store_content_foreach_hotline(st, collect_hotline, &out), 0);
	return out;
}

static void import_a(struct store *st)
{
	assert_int_equal(store_content_begin(st), 0);
	assert_int_equal(store_content_add_language(st, "uz", "Oʻzbekcha", 1), 0);
	assert_int_equal(store_content_add_node(st, "root", NULL, 0, "menu", NULL), 0);
	assert_int_equal(store_content_add_node(st, "hl", "root", 1, "hotlines", "KZ"), 0);
	assert_int_equal(store_content_add_text(st, "node:root", "title", "uz", "Yordam"), 0);
	assert_int_equal(store_content_add_hotline(st, "kz1", "KZ", "labour", "+77000000000", 1, NULL, false), 0);
	assert_int_equal(store_content_commit(st), 0);
}

static const char dump_a[] = "uz|Oʻzbekcha|1\n--\n"
			     "root|(null)|0|menu|(null)\nhl|root|1|hotlines|KZ\n--\n"
			     "node:root|title|uz|Yordam\n--\n"
			     "kz1|KZ|labour|+77000000000|1|(null)|0\n";

static const uint8_t key1[STORE_CALLER_KEY_LEN] = {1, 2, 3};
static const uint8_t key2[STORE_CALLER_KEY_LEN] = {9, 9, 9, [31] = 0xff};

/* --- tests ------------------------------------------------------------------------------------- */

static void test_fresh_open(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	char *out;

	assert_int_equal(store_open(g_ctx, f->path, &st), 0);
	assert_non_null(st);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	assert_int_equal(store_content_present(st), 0);
	assert_int_equal(store_caller_count(st), 0);

	/* WAL is a property of the file: another connection sees it. */
	out = sqlite_cli(f->path, "PRAGMA journal_mode");
	assert_string_equal(out, "wal");
	out = sqlite_cli(f->path, "PRAGMA user_version");
	assert_string_equal(out, "6");
	import_a(st);
	assert_int_equal(access(talloc_asprintf(g_ctx, "%s-wal", f->path), F_OK), 0);
	store_close(st);
	store_close(NULL);
}

static void test_reopen_keeps_data(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	char lang[8];

	assert_int_equal(store_open(g_ctx, f->path, &st), 0);
	import_a(st);
	assert_int_equal(store_caller_lang_set(st, key1, "ru"), 0);
	/* Closing through the talloc parent is the same as store_close(). */
	talloc_free(st);

	assert_int_equal(store_open(g_ctx, f->path, &st), 0);
	assert_int_equal(store_content_present(st), 1);
	assert_string_equal(dump(st), dump_a);
	assert_int_equal(store_caller_lang_get(st, key1, lang, sizeof(lang)), 0);
	assert_string_equal(lang, "ru");
	/* The import time is stored (as unix time) for the status report. */
	assert_string_equal(
		sqlite_cli(f->path, "SELECT value > 1600000000 FROM meta WHERE key = 'content_imported_at'"), "1");
	store_close(st);
}

static void test_migrate_v1(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	char path_fresh[160], fixture[512], lang[8];
	const char *src = getenv("YORDAM_SRC");
	const char *schema_sql = "PRAGMA user_version; SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY "
				 "type, name";
	char *fresh, *migrated, *content;

	assert_non_null(src);
	snprintf(fixture, sizeof(fixture), "%s/tests/data/store-v1.db", src);
	copy_file(fixture, f->path);
	assert_string_equal(sqlite_cli(f->path, "PRAGMA user_version"), "1");

	assert_int_equal(store_open(g_ctx, f->path, &st), 0);
	assert_int_equal(store_schema_version(st), 6);
	assert_int_equal(STORE_SCHEMA_VERSION, 6);
	assert_string_equal(sqlite_cli(f->path, "PRAGMA journal_mode"), "wal");

	content = dump(st);
	assert_string_equal(content, "uz|Oʻzbekcha|1\nru|Русский|2\n--\n"
				     "root|(null)|0|menu|(null)\nrights|root|1|menu|(null)\n"
				     "hotlines-ru|root|2|hotlines|RU\n--\n"
				     "node:rights|title|uz|Huquqlaringiz\nnode:root|title|ru|Помощь\n"
				     "node:root|title|uz|Yordam\n--\n"
				     "ru-example|RU|labour|+70000000000|1|(null)|1\n");
	assert_int_equal(store_caller_lang_get(st, key1, lang, sizeof(lang)), -ENOENT);
	assert_int_equal(store_caller_lang_set(st, key1, "uz"), 0);
	assert_int_equal(store_caller_lang_get(st, key1, lang, sizeof(lang)), 0);
	assert_string_equal(lang, "uz");
	assert_int_equal(store_caller_count(st), 1);
	store_close(st);

	/* A fresh file and an upgraded one must end in the very same schema. */
	snprintf(path_fresh, sizeof(path_fresh), "%s/fresh.db", f->dir);
	assert_int_equal(store_open(g_ctx, path_fresh, &st), 0);
	store_close(st);
	fresh = sqlite_cli(path_fresh, schema_sql);
	migrated = sqlite_cli(f->path, schema_sql);
	assert_non_null(strstr(fresh, "CREATE TABLE caller"));
	assert_non_null(strstr(fresh, "CREATE TABLE sms_out"));
	assert_non_null(strstr(fresh, "CREATE TABLE journal"));
	assert_non_null(strstr(fresh, "CREATE TABLE cases"));
	assert_non_null(strstr(fresh, "CREATE TABLE case_events"));
	assert_non_null(strstr(fresh, "CREATE TABLE staff_state"));
	assert_string_equal(fresh, migrated);
	/* the upgraded file has its one sync state row */
	assert_string_equal(sqlite_cli(f->path, "SELECT id, acked_seq, last_success FROM sync_state"), "1|0|0");
}

static void test_content_replace_and_rollback(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;

	assert_int_equal(store_open(g_ctx, f->path, &st), 0);
	assert_int_equal(store_caller_lang_set(st, key1, "uz"), 0);
	import_a(st);
	assert_string_equal(dump(st), dump_a);

	/* An import that is rolled back leaves the previous content in service. */
	assert_int_equal(store_content_begin(st), 0);
	assert_int_equal(store_content_present(st), 0);
	assert_int_equal(store_content_add_node(st, "other", NULL, 0, "menu", NULL), 0);
	store_content_rollback(st);
	assert_string_equal(dump(st), dump_a);
	/* Rolling back with nothing open is harmless. */
	store_content_rollback(st);

	/* A commit that fails (child of a missing parent) rolls back by itself and keeps the old content. */
	assert_int_equal(store_content_begin(st), 0);
	assert_int_equal(store_content_add_node(st, "orphan", "nowhere", 0, "menu", NULL), 0);
	assert_int_equal(store_content_commit(st), -EINVAL);
	assert_string_equal(dump(st), dump_a);

	/* A duplicate key is -EEXIST; the import can still be rolled back. */
	assert_int_equal(store_content_begin(st), 0);
	assert_int_equal(store_content_add_language(st, "uz", "a", 1), 0);
	assert_int_equal(store_content_add_language(st, "uz", "b", 2), -EEXIST);
	store_content_rollback(st);
	assert_string_equal(dump(st), dump_a);

	/* Content cannot be written outside an import, nor an import begun twice. */
	assert_int_equal(store_content_add_language(st, "ru", "Русский", 2), -EINVAL);
	assert_int_equal(store_content_commit(st), -EINVAL);
	assert_int_equal(store_content_begin(st), 0);
	assert_int_equal(store_content_begin(st), -EBUSY);
	/* Bad input is refused before SQLite sees it. */
	assert_int_equal(store_content_add_language(st, NULL, "x", 1), -EINVAL);
	assert_int_equal(store_content_add_language(st, "", "x", 1), -EINVAL);
	assert_int_equal(store_content_add_text(st, "ui", "k", "uz", "\xc0\xaf"), -EINVAL);
	assert_int_equal(store_content_add_text(st, "ui", "k", "uz", "\xed\xa0\x80"), -EINVAL);
	assert_int_equal(store_content_add_text(st, "ui", "k", "uz", "ok \xe2\x80\x99"), 0);
	assert_int_equal(store_content_add_hotline(st, "h", "KZ", "t", NULL, 1, NULL, false), -EINVAL);

	/* A committed import replaces everything but the callers. */
	assert_int_equal(store_content_add_language(st, "ru", "Русский", 2), 0);
	assert_int_equal(store_content_add_node(st, "r", NULL, 0, "menu", NULL), 0);
	assert_int_equal(store_content_add_hotline(st, "h", "KZ", "t", "123", 1, "https://example.org", true), 0);
	assert_int_equal(store_content_commit(st), 0);
	assert_string_equal(dump(st), "ru|Русский|2\n--\nr|(null)|0|menu|(null)\n--\n"
				      "ui|k|uz|ok \xe2\x80\x99\n--\n"
				      "h|KZ|t|123|1|https://example.org|1\n");
	assert_int_equal(store_caller_count(st), 1);
	store_close(st);
}

static int stop_after_two(void *data, const char *id, const char *parent, int pos, const char *kind,
			  const char *country)
{
	int *n = data;

	return ++*n == 2 ? 42 : 0;
}

static void test_node_order(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	char *out = talloc_strdup(g_ctx, "");
	int n = 0;

	assert_int_equal(store_open(g_ctx, f->path, &st), 0);
	assert_int_equal(store_content_begin(st), 0);
	/* Scrambled: grandchildren first, root last, siblings out of pos order. */
	assert_int_equal(store_content_add_node(st, "b2", "b", 2, "text", NULL), 0);
	assert_int_equal(store_content_add_node(st, "a1", "a", 1, "text", NULL), 0);
	assert_int_equal(store_content_add_node(st, "b1", "b", 1, "text", NULL), 0);
	assert_int_equal(store_content_add_node(st, "b", "root", 2, "menu", NULL), 0);
	assert_int_equal(store_content_add_node(st, "c", "root", 3, "hotlines", "TR"), 0);
	assert_int_equal(store_content_add_node(st, "a", "root", 1, "menu", NULL), 0);
	assert_int_equal(store_content_add_node(st, "root", NULL, 0, "menu", NULL), 0);
	assert_int_equal(store_content_commit(st), 0);

	assert_int_equal(store_content_foreach_node(st, collect_node, &out), 0);
	assert_string_equal(out, "root|(null)|0|menu|(null)\n"
				 "a|root|1|menu|(null)\nb|root|2|menu|(null)\nc|root|3|hotlines|TR\n"
				 "a1|a|1|text|(null)\nb1|b|1|text|(null)\nb2|b|2|text|(null)\n");

	/* A non-zero callback result stops the walk, is returned, and the statement is reusable. */
	assert_int_equal(store_content_foreach_node(st, stop_after_two, &n), 42);
	assert_int_equal(n, 2);
	n = 0;
	assert_int_equal(store_content_foreach_node(st, stop_after_two, &n), 42);
	assert_int_equal(store_content_foreach_node(st, NULL, &n), -EINVAL);
	store_close(st);
}

static void test_callers(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	char lang[8];

	assert_int_equal(store_open(g_ctx, f->path, &st), 0);
	assert_int_equal(store_caller_lang_get(st, key1, lang, sizeof(lang)), -ENOENT);
	assert_int_equal(store_caller_count(st), 0);
	assert_int_equal(store_caller_lang_set(st, key1, "uz-Cyrl"), 0);
	assert_int_equal(store_caller_lang_set(st, key2, "ru"), 0);
	assert_int_equal(store_caller_count(st), 2);

	assert_int_equal(store_caller_lang_get(st, key1, lang, sizeof(lang)), 0);
	assert_string_equal(lang, "uz-Cyrl");
	/* "uz-Cyrl" needs 8 bytes with its NUL. */
	assert_int_equal(store_caller_lang_get(st, key1, lang, 7), -ENOSPC);
	assert_int_equal(store_caller_lang_get(st, key1, lang, 0), -ENOSPC);
	assert_int_equal(store_caller_lang_get(st, key1, lang, 8), 0);

	/* Replace, not add. */
	assert_int_equal(store_caller_lang_set(st, key1, "tg"), 0);
	assert_int_equal(store_caller_count(st), 2);
	assert_int_equal(store_caller_lang_get(st, key1, lang, sizeof(lang)), 0);
	assert_string_equal(lang, "tg");
	assert_int_equal(store_caller_lang_get(st, key2, lang, sizeof(lang)), 0);
	assert_string_equal(lang, "ru");

	assert_int_equal(store_caller_lang_set(st, key1, NULL), -EINVAL);
	assert_int_equal(store_caller_lang_set(st, key1, ""), -EINVAL);
	assert_int_equal(store_caller_lang_get(st, NULL, lang, sizeof(lang)), -EINVAL);
	store_close(st);
}

/* The caller language cache (one slot per key hash) answers exactly what the table holds: across slot
 * collisions, and when a transaction that wrote a language is rolled back or committed. */
static void test_caller_cache(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	uint8_t a[STORE_CALLER_KEY_LEN], b[STORE_CALLER_KEY_LEN], c[STORE_CALLER_KEY_LEN];
	uint8_t more[6][STORE_CALLER_KEY_LEN];
	char lang[48], want[8];
	const char *longcode = "x-a-language-code-longer-than-a-cache-slot";

	/* a, b and more[]: same first bytes (one set of slots), different keys. c: another set. */
	memset(a, 0x11, sizeof(a));
	memcpy(b, a, sizeof(b));
	b[31] = 0x22;
	memset(c, 0x33, sizeof(c));
	assert_int_equal(store_open(g_ctx, f->path, &st), 0);

	assert_int_equal(store_caller_lang_get(st, a, lang, sizeof(lang)), -ENOENT);
	assert_int_equal(store_caller_lang_get(st, a, lang, sizeof(lang)), -ENOENT);
	assert_int_equal(store_caller_lang_set(st, a, "ru"), 0);
	assert_int_equal(store_caller_lang_get(st, a, lang, sizeof(lang)), 0);
	assert_string_equal(lang, "ru");
	assert_int_equal(store_caller_lang_get(st, a, lang, 2), -ENOSPC);

	/* More keys than a set has slots: each still reads right. */
	assert_int_equal(store_caller_lang_set(st, b, "uz"), 0);
	for (unsigned i = 0; i < ARRAY_SIZE(more); i++) {
		memcpy(more[i], a, sizeof(more[i]));
		more[i][8] = (uint8_t)i;
		snprintf(want, sizeof(want), "l%u", i);
		assert_int_equal(store_caller_lang_set(st, more[i], want), 0);
	}
	for (unsigned round = 0; round < 2; round++) {
		for (unsigned i = 0; i < ARRAY_SIZE(more); i++) {
			snprintf(want, sizeof(want), "l%u", i);
			assert_int_equal(store_caller_lang_get(st, more[i], lang, sizeof(lang)), 0);
			assert_string_equal(lang, want);
		}
		assert_int_equal(store_caller_lang_get(st, a, lang, sizeof(lang)), 0);
		assert_string_equal(lang, "ru");
		assert_int_equal(store_caller_lang_get(st, b, lang, sizeof(lang)), 0);
		assert_string_equal(lang, "uz");
	}

	/* A write rolled back is not remembered, nor is a read of it inside the transaction. */
	assert_int_equal(store_caller_lang_get(st, a, lang, sizeof(lang)), 0);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_caller_lang_set(st, a, "tg"), 0);
	assert_int_equal(store_caller_lang_get(st, a, lang, sizeof(lang)), 0);
	assert_string_equal(lang, "tg");
	assert_int_equal(store_caller_lang_set(st, c, "en"), 0);
	assert_int_equal(store_caller_lang_get(st, c, lang, sizeof(lang)), 0);
	assert_string_equal(lang, "en");
	store_rollback(st);
	assert_int_equal(store_caller_lang_get(st, a, lang, sizeof(lang)), 0);
	assert_string_equal(lang, "ru");
	assert_int_equal(store_caller_lang_get(st, c, lang, sizeof(lang)), -ENOENT);

	/* Committed, it is. */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_caller_lang_set(st, c, "en"), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_caller_lang_get(st, c, lang, sizeof(lang)), 0);
	assert_string_equal(lang, "en");

	/* A code longer than a slot holds comes from the table. */
	assert_int_equal(store_caller_lang_set(st, a, longcode), 0);
	assert_int_equal(store_caller_lang_get(st, a, lang, sizeof(lang)), 0);
	assert_string_equal(lang, longcode);
	assert_int_equal(store_caller_lang_get(st, a, lang, 8), -ENOSPC);
	assert_int_equal(store_caller_count(st), 3 + (long)ARRAY_SIZE(more));
	store_close(st);
}

static void test_newer_schema(void **state)
{
	struct fixture *f = *state;
	struct store *st = (struct store *)1;

	assert_string_equal(sqlite_cli(f->path, "PRAGMA user_version = 99; PRAGMA user_version"), "99");
	assert_int_equal(store_open(g_ctx, f->path, &st), -ENOTSUP);
	assert_null(st);
	/* Left untouched: still version 99, still the default journal. */
	assert_string_equal(sqlite_cli(f->path, "PRAGMA user_version"), "99");
	assert_string_equal(sqlite_cli(f->path, "PRAGMA journal_mode"), "delete");
}

static void test_foreign_database(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;

	/* A SQLite file with tables but no schema version is somebody else's: do not add ours to it. */
	sqlite_cli(f->path, "CREATE TABLE subscriber (id INTEGER PRIMARY KEY)");
	assert_int_equal(store_open(g_ctx, f->path, &st), -EBADMSG);
	assert_null(st);
	assert_string_equal(sqlite_cli(f->path, "SELECT count(*) FROM sqlite_master"), "1");
}

static void test_garbage_file(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	char junk[8192], back[sizeof(junk)];
	unsigned int i;
	int fd;

	for (i = 0; i < sizeof(junk); i++) {
		junk[i] = (char)(i * 7 + 3);
	}
	memcpy(junk, "this is not a database", 22);
	write_file(f->path, junk, sizeof(junk));
	assert_int_equal(store_open(g_ctx, f->path, &st), -EBADMSG);
	assert_null(st);

	/* And it is left as it was. */
	fd = open(f->path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, back, sizeof(back)), (ssize_t)sizeof(back));
	close(fd);
	assert_memory_equal(junk, back, sizeof(junk));
}

static void test_bad_paths(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	char path[192];

	snprintf(path, sizeof(path), "%s/missing/store.db", f->dir);
	assert_int_equal(store_open(g_ctx, path, &st), -ENOENT);
	assert_null(st);
	assert_int_equal(store_open(g_ctx, "", &st), -EINVAL);
	assert_int_equal(store_open(g_ctx, NULL, &st), -EINVAL);
	assert_int_equal(store_open(g_ctx, f->path, NULL), -EINVAL);
	/* A directory is not a database file. */
	assert_true(store_open(g_ctx, f->dir, &st) < 0);
	assert_null(st);
}

static int count_out(void *data, const struct store_sms_out *o)
{
	(*(unsigned *)data)++;
	return 0;
}

static int group_cb(void *data, unsigned seq, const void *enc, size_t len)
{
	char *s = data;
	strncat(s, enc, len);
	return 0;
}

/* The SMS tables (schema v3): parts with duplicate recognition, groups, messages, outbox, callers. */
/* The sync journal (schema v4): append, read in batches, ack, backlog; seq never reused. */
static void test_journal(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	struct store_journal_rec r[4];
	struct store_sync_state ss;
	uint64_t seq, n, v;
	void *tmp = talloc_new(g_ctx);
	int i;

	assert_int_equal(store_open(g_ctx, f->path, &st), 0);
	assert_int_equal(store_journal_read(st, 0, 4, tmp, r), 0);
	assert_int_equal(store_sync_state_get(st, &ss), 0);
	assert_int_equal(ss.acked_seq, 0);
	assert_int_equal(ss.last_success, 0);
	for (i = 1; i <= 5; i++) {
		char body[32];
		snprintf(body, sizeof(body), "{\"n\":%d}", i);
		assert_int_equal(store_journal_append(st, "counters", 1000 + i, body, i == 2, &seq), 0);
		assert_int_equal(seq, (uint64_t)i);
	}
	/* bad kinds and bodies are refused */
	assert_int_equal(store_journal_append(st, "Bad-Kind", 1, "{}", false, NULL), -EINVAL);
	assert_int_equal(store_journal_append(st, "", 1, "{}", false, NULL), -EINVAL);
	assert_int_equal(store_journal_append(st, "x", 1, "{not json", false, NULL), -EINVAL);
	assert_int_equal(store_journal_read(st, 0, 3, tmp, r), 3);
	assert_int_equal(r[0].seq, 1);
	assert_int_equal(r[2].seq, 3);
	assert_string_equal(r[1].kind, "counters");
	assert_string_equal(r[1].body, "{\"n\":2}");
	assert_true(r[1].personal);
	assert_false(r[0].personal);
	assert_int_equal(r[1].created, 1002);
	assert_int_equal(store_journal_read(st, 3, 4, tmp, r), 2);
	assert_int_equal(r[0].seq, 4);
	assert_int_equal(store_journal_backlog(st, 0, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(store_journal_acked(st, 3), 0);
	assert_int_equal(store_journal_acked(st, 2), 0); /* never backwards */
	assert_int_equal(store_sync_state_get(st, &ss), 0);
	assert_int_equal(ss.acked_seq, 3);
	assert_int_equal(store_journal_backlog(st, ss.acked_seq, &n), 0);
	assert_int_equal(n, 2);

	assert_int_equal(store_sync_result(st, 500, "platform unreachable"), 0);
	assert_int_equal(store_sync_state_get(st, &ss), 0);
	assert_string_equal(ss.last_error, "platform unreachable");
	assert_int_equal(ss.last_error_at, 500);
	assert_int_equal(store_sync_result(st, 600, NULL), 0);
	assert_int_equal(store_sync_state_get(st, &ss), 0);
	assert_string_equal(ss.last_error, "");
	assert_int_equal(ss.last_success, 600);

	assert_int_equal(store_sync_bundle_get(st, "content", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(store_sync_bundle_set(st, "content", 7, 600), 0);
	assert_int_equal(store_sync_bundle_set(st, "content", 8, 601), 0);
	assert_int_equal(store_sync_bundle_get(st, "content", &v), 0);
	assert_int_equal(v, 8);

	/* retention takes acknowledged records only; a purged seq is never handed out again */
	assert_int_equal(store_journal_acked(st, 5), 0);
	assert_int_equal(store_retention_purge(st, 1005, 0, false, NULL), 0);
	assert_int_equal(store_journal_read(st, 0, 4, tmp, r), 1);
	assert_int_equal(r[0].seq, 5);
	assert_int_equal(store_retention_purge(st, 2000, 0, false, NULL), 0);
	assert_int_equal(store_journal_read(st, 0, 4, tmp, r), 0);
	store_close(st);
	assert_int_equal(store_open(g_ctx, f->path, &st), 0);
	assert_int_equal(store_journal_append(st, "sms", 3000, "[]", false, &seq), 0);
	assert_int_equal(seq, 6);
	assert_int_equal(store_sync_state_get(st, &ss), 0);
	assert_int_equal(ss.acked_seq, 5); /* durable */
	store_close(st);
	talloc_free(tmp);
}

static int64_t add_msg(struct store *st, uint8_t who, int64_t received, enum store_sms_msg_state state)
{
	struct store_sms_part p = {0};
	struct store_sms_msg m = {0};
	int64_t id;

	memset(p.dedupe, who, 32);
	p.dedupe[0] = (uint8_t)received;
	memset(p.g.sender_key, who, 32);
	p.sender_enc = "S";
	p.sender_enc_len = 1;
	p.text_enc = "T";
	p.text_enc_len = 1;
	p.received = received;
	p.deadline = received;
	assert_int_equal(store_sms_part_add(st, &p, 0, NULL), 0);
	memcpy(m.sender_key, p.g.sender_key, 32);
	m.sender_enc = "S";
	m.sender_enc_len = 1;
	m.text_enc = "T";
	m.text_enc_len = 1;
	m.parts = 1;
	m.received = received;
	assert_int_equal(store_sms_msg_add(st, &m, &id), 0);
	if (state != STORE_SMS_MSG_NEW) {
		assert_int_equal(store_sms_msg_finish(st, id, state, received), 0);
	}
	return id;
}

static int64_t add_reply(struct store *st, int64_t msg_id, uint8_t who, int64_t created, enum store_sms_out_state s)
{
	struct store_sms_out o = {0};
	int64_t id;

	memset(o.number_key, who, 32);
	o.msg_id = msg_id;
	o.number_enc = "N";
	o.number_enc_len = 1;
	o.text_enc = "R";
	o.text_enc_len = 1;
	o.total = o.seq = 1;
	o.created = created;
	assert_int_equal(store_sms_out_add(st, &o, &id), 0);
	if (s != STORE_SMS_OUT_QUEUED) {
		assert_int_equal(store_sms_out_update(st, id, s, "m1", 1, 0, created, created, true, false), 0);
	}
	return id;
}

/* Retention of SMS: finished and old goes (parts, replies, message), anything still queued stays. */
static void test_retention_sms(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	struct store_purge_counts c;
	struct store_sms_caller sc = {0}, got;
	uint8_t key[32];
	int64_t done, pending, recent, quarantined, newmsg;

	assert_int_equal(store_open(g_ctx, f->path, &st), 0);
	done = add_msg(st, 1, 100, STORE_SMS_MSG_HANDLED);
	add_reply(st, done, 1, 101, STORE_SMS_OUT_SENT);
	add_reply(st, done, 1, 101, STORE_SMS_OUT_FAILED);
	pending = add_msg(st, 2, 100, STORE_SMS_MSG_HANDLED);
	add_reply(st, pending, 2, 101, STORE_SMS_OUT_SENT);
	add_reply(st, pending, 2, 101, STORE_SMS_OUT_RETRY);
	recent = add_msg(st, 3, 5000, STORE_SMS_MSG_HANDLED);
	add_reply(st, recent, 3, 5001, STORE_SMS_OUT_SENT);
	quarantined = add_msg(st, 4, 100, STORE_SMS_MSG_QUARANTINED);
	newmsg = add_msg(st, 5, 100, STORE_SMS_MSG_NEW);
	add_reply(st, 0, 6, 100, STORE_SMS_OUT_SENT);	/* no message: a sent notice */
	add_reply(st, 0, 7, 100, STORE_SMS_OUT_QUEUED); /* still queued */
	memset(key, 8, sizeof(key));
	sc.opted_out = true;
	sc.more_enc = "rest";
	sc.more_enc_len = 4;
	sc.more_lang = "en";
	assert_int_equal(store_sms_caller_put(st, key, &sc, 100), 0);

	assert_int_equal(store_retention_purge(st, 0, 1000, false, &c), 0);
	assert_int_equal(c.sms_msgs, 2);  /* done, quarantined */
	assert_int_equal(c.sms_out, 3);	  /* done's two, the notice */
	assert_int_equal(c.sms_parts, 4); /* single parts (dedupe only) before the cutoff */
	assert_int_equal(c.sms_more, 1);
	assert_string_equal(sqlite_cli(f->path, "SELECT group_concat(id) FROM (SELECT id FROM sms_msg ORDER BY id)"),
			    talloc_asprintf(g_ctx, "%" PRId64 ",%" PRId64 ",%" PRId64, pending, recent, newmsg));
	assert_string_equal(sqlite_cli(f->path, "SELECT count(*) FROM sms_out WHERE state IN ('retry', 'queued')"),
			    "2");
	assert_string_equal(sqlite_cli(f->path, "SELECT count(*) FROM sms_part"), "1");
	assert_int_equal(store_sms_caller_get(st, key, g_ctx, &got), 0);
	assert_true(got.opted_out); /* STOP stays */
	assert_null(got.more_enc);
	(void)quarantined;
	/* idempotent */
	assert_int_equal(store_retention_purge(st, 0, 1000, false, &c), 0);
	assert_int_equal(c.sms_msgs + c.sms_out + c.sms_parts + c.sms_more, 0);
	store_close(st);
}

static void test_sms_tables(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	struct store_sms_part p = {0};
	struct store_sms_msg m = {0}, got;
	struct store_sms_out o = {0};
	struct store_sms_caller c = {0}, cg;
	struct store_sms_stats s;
	struct store_sms_group g;
	char joined[64] = "";
	void *enc;
	size_t enc_len;
	int64_t id, t, received;
	char *modem;
	unsigned n = 0;

	assert_int_equal(store_open(g_ctx, f->path, &st), 0);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	memset(p.dedupe, 1, 32);
	memset(p.g.sender_key, 2, 32);
	p.concat = true;
	p.g.ref = 9;
	p.g.total = 2;
	p.seq = 2;
	p.sender_enc = "S";
	p.sender_enc_len = 1;
	p.text_enc = "two";
	p.text_enc_len = 3;
	p.received = 100;
	p.deadline = 700;
	p.modem = "m1";
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_begin(st), -EBUSY);
	assert_int_equal(store_sms_part_add(st, &p, 0, &id), 0);
	assert_int_equal(store_sms_part_add(st, &p, 0, NULL), -EEXIST);
	assert_int_equal(store_sms_part_add(st, &p, 101, NULL), 0); /* outside the window: not a duplicate */
	memset(p.dedupe, 3, 32);
	p.seq = 1;
	p.text_enc = "one";
	p.deadline = 650;
	assert_int_equal(store_sms_part_add(st, &p, 0, NULL), 0);
	assert_int_equal(store_commit(st), 0);
	/* one seq twice: both handed over, in seq order */
	assert_int_equal(store_sms_group_foreach(st, &p.g, group_cb, joined), 0);
	assert_string_equal(joined, "onetwotwo");
	assert_int_equal(store_sms_part_next_deadline(st, &t), 0);
	assert_int_equal(t, 650);
	assert_int_equal(store_sms_group_expired(st, 649, g_ctx, &g, &enc, &enc_len, &received, &modem), -ENOENT);
	assert_int_equal(store_sms_group_expired(st, 650, g_ctx, &g, &enc, &enc_len, &received, &modem), 0);
	assert_int_equal(g.ref, 9);
	assert_int_equal(g.total, 2);
	assert_int_equal(received, 100);
	assert_string_equal(modem, "m1");

	memcpy(m.sender_key, p.g.sender_key, 32);
	m.sender_enc = "S";
	m.sender_enc_len = 1;
	m.text_enc = "onetwo";
	m.text_enc_len = 6;
	m.parts = 2;
	m.received = 100;
	assert_int_equal(store_sms_msg_add(st, &m, &id), 0);
	assert_int_equal(store_sms_group_link(st, &p.g, id), 0);
	assert_int_equal(store_sms_part_next_deadline(st, &t), -ENOENT);
	assert_int_equal(store_sms_msg_next(st, 0, g_ctx, &got), 0);
	assert_int_equal(got.id, id);
	assert_int_equal(got.text_enc_len, 6);
	assert_int_equal(store_sms_msg_next(st, id, g_ctx, &got), -ENOENT);
	assert_int_equal(store_sms_msg_recent(st, m.sender_key, 0), 0);
	assert_int_equal(store_sms_msg_finish(st, id, STORE_SMS_MSG_HANDLED, 101), 0);
	assert_int_equal(store_sms_msg_finish(st, id, STORE_SMS_MSG_HANDLED, 101), -ENOENT); /* never twice */
	assert_int_equal(store_sms_msg_recent(st, m.sender_key, 0), 1);
	assert_int_equal(store_sms_msg_next(st, 0, g_ctx, &got), -ENOENT);

	memcpy(o.number_key, m.sender_key, 32);
	o.msg_id = id;
	o.number_enc = "N";
	o.number_enc_len = 1;
	o.text_enc = "reply";
	o.text_enc_len = 5;
	o.total = o.seq = 1;
	o.created = 200;
	assert_int_equal(store_sms_out_add(st, &o, &id), 0);
	assert_int_equal(store_sms_out_next_at(st, &t), 0);
	assert_int_equal(t, 200);
	assert_int_equal(store_sms_out_due(st, 199, 10, count_out, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_sms_out_due(st, 200, 10, count_out, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_sms_out_update(st, id, STORE_SMS_OUT_SENDING, "m1", -1, 0, 200, 200, true, false), 0);
	assert_int_equal(store_sms_out_attempts(st, id), 1);
	assert_int_equal(store_sms_out_next_at(st, &t), -ENOENT);
	/* a crash: 'sending' goes back to retry */
	store_close(st);
	assert_int_equal(store_open(g_ctx, f->path, &st), 0);
	assert_int_equal(store_sms_out_recover(st, 300), 1);
	assert_int_equal(store_sms_out_recover(st, 300), 0);
	assert_int_equal(store_sms_out_next_at(st, &t), 0);
	assert_int_equal(t, 300);
	assert_int_equal(store_sms_out_update(st, id, STORE_SMS_OUT_SENT, NULL, 17, 0, 300, 300, false, false), 0);
	assert_int_equal(store_sms_out_report(st, o.number_key, 17, 0, 301), 0);
	assert_int_equal(store_sms_out_report(st, o.number_key, 18, 0, 301), -ENOENT);
	assert_int_equal(store_sms_out_update(st, 999, STORE_SMS_OUT_SENT, NULL, 1, 0, 0, 0, false, false), -ENOENT);
	assert_int_equal(store_sms_stats(st, &s), 0);
	assert_int_equal(s.out_sent, 1);
	assert_int_equal(s.out_reports, 1);
	assert_int_equal(s.msg_handled, 1);
	assert_int_equal(s.parts, 3);
	assert_int_equal(s.parts_open, 0);
	/* the payloads are stored as given (the SMS layer seals them): 'N' is not a number in clear */
	assert_string_equal(sqlite_cli(f->path, "SELECT state, mr, report, attempts, modem FROM sms_out"),
			    "sent|17|0|1|m1");

	assert_int_equal(store_sms_caller_get(st, o.number_key, g_ctx, &cg), -ENOENT);
	c.opted_out = true;
	c.more_enc = "rest";
	c.more_enc_len = 4;
	c.more_lang = "ru";
	assert_int_equal(store_sms_caller_put(st, o.number_key, &c, 1), 0);
	assert_int_equal(store_sms_caller_get(st, o.number_key, g_ctx, &cg), 0);
	assert_true(cg.opted_out);
	assert_int_equal(cg.more_enc_len, 4);
	assert_string_equal(cg.more_lang, "ru");
	c = (struct store_sms_caller){0};
	assert_int_equal(store_sms_caller_put(st, o.number_key, &c, 2), 0);
	assert_int_equal(store_sms_caller_get(st, o.number_key, g_ctx, &cg), 0);
	assert_false(cg.opted_out);
	assert_null(cg.more_enc);
	assert_int_equal(store_sms_stats(st, &s), 0);
	assert_int_equal(s.opted_out, 0);
	store_close(st);
}

static int count_case(void *data, const struct store_case *c)
{
	unsigned *n = data;

	(*n)++;
	return c->id > 0 ? 0 : -EINVAL;
}

static int count_event(void *data, const struct store_case_event *e)
{
	unsigned *n = data;

	(*n)++;
	return e->case_id > 0 ? 0 : -EINVAL;
}

/* Fill and insert a case with id seq + 1 (inside a transaction, as the cases service does). */
static const uint8_t warn_key_a[32] = {0x77, 0x77, 0x77, 0x77}, warn_key_b[32] = {0x42};

static int64_t add_case(struct store *st, uint32_t number, int kind, uint8_t who, int64_t created)
{
	static uint8_t keys[8][32];
	struct store_case c = {0};
	uint64_t seq;

	memset(keys[who & 7], who, 32);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_case_next_seq(st, &seq), 0);
	c.id = (int64_t)seq + 1;
	c.number = number;
	c.kind = kind;
	c.category = 1;
	memcpy(c.country, "RU", 3);
	c.lang = "uz-Latn";
	c.channel = 2;
	c.state = 1;
	c.reporter_key = keys[who & 7];
	c.reporter_enc = "sealed-number";
	c.reporter_enc_len = 13;
	c.text_enc = "sealed-text";
	c.text_enc_len = 11;
	c.pin_hash = "pinhash";
	c.pin_hash_len = 7;
	c.route_at = created + 50;
	c.created = created;
	c.warn_key = kind == 1 ? warn_key_a : NULL;
	assert_int_equal(store_case_add(st, &c), 0);
	assert_int_equal(store_commit(st), 0);
	return c.id;
}

/* Cases (schema v5): insert with a number derived from the sequence, get, update, deadlines, events, beep
 * window, staff state, meta, and retention of closed cases' personal fields. */
static void test_cases(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	struct store_case c, bad = {0};
	struct store_case_event e = {0};
	struct store_purge_counts pc;
	uint8_t staff[32];
	uint64_t seq;
	int64_t id1, id2, id3, t, ev, found, v, p1, p2, p3;
	unsigned n = 0;
	int mode;

	assert_int_equal(store_open(g_ctx, f->path, &st), 0);
	assert_int_equal(store_case_next_seq(st, &seq), 0);
	assert_int_equal(seq, 0);
	id1 = add_case(st, 1234566, 1, 1, 1000);
	assert_int_equal(id1, 1);
	assert_int_equal(store_case_next_seq(st, &seq), 0);
	assert_int_equal(seq, 1);
	id2 = add_case(st, 7654321, 2, 2, 1100);
	assert_int_equal(id2, 2);

	/* a taken number is -EEXIST, bad fields -EINVAL */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_case_next_seq(st, &seq), 0);
	memset(&bad, 0, sizeof(bad));
	bad.id = (int64_t)seq + 1;
	bad.number = 1234566;
	bad.kind = 1;
	bad.category = 1;
	memcpy(bad.country, "RU", 3);
	bad.lang = "en";
	bad.channel = 1;
	bad.state = 1;
	bad.reporter_key = staff;
	bad.reporter_enc = "x";
	bad.reporter_enc_len = 1;
	memset(staff, 9, sizeof(staff));
	assert_int_equal(store_case_add(st, &bad), -EEXIST);
	bad.number = 1;
	bad.category = 9;
	assert_int_equal(store_case_add(st, &bad), -EINVAL);
	memcpy(bad.country, "r", 2);
	assert_int_equal(store_case_add(st, &bad), -EINVAL);
	store_rollback(st);

	assert_int_equal(store_case_get(st, 1234566, g_ctx, &c), 0);
	assert_int_equal(c.id, id1);
	assert_int_equal(c.kind, 1);
	assert_string_equal(c.country, "RU");
	assert_string_equal(c.lang, "uz-Latn");
	assert_int_equal(c.text_enc_len, 11);
	assert_memory_equal(c.text_enc, "sealed-text", 11);
	assert_null(c.assignee_key);
	assert_int_equal(c.route_at, 1050);
	assert_int_equal(store_case_get(st, 1111111, g_ctx, &c), -ENOENT);

	/* a staff member comes on duty: waiting cases (route_at later) are due now; case 1's 1050 -> 1040 */
	{
		long moved = -1;

		assert_int_equal(store_case_route_now(st, 1100, &moved), 0);
		assert_int_equal(moved, 1); /* case 2 (route_at 1150); case 1's 1050 is already due */
		assert_int_equal(store_case_get_id(st, id2, g_ctx, &c), 0);
		assert_int_equal(c.route_at, 1100);
		c.route_at = 1150;
		assert_int_equal(store_case_update(st, &c), 0);
	}
	/* deadlines: the earliest open one; a due case */
	assert_int_equal(store_case_next_deadline(st, &t), 0);
	assert_int_equal(t, 1050);
	assert_int_equal(store_case_due(st, 1049, g_ctx, &c), -ENOENT);
	assert_int_equal(store_case_due(st, 1050, g_ctx, &c), 0);
	assert_int_equal(c.id, id1);
	c.state = 2;
	c.route_at = 0;
	c.claim_deadline = 2000;
	c.assignee_key = staff;
	c.escalations = 1;
	c.updated = 1060;
	assert_int_equal(store_case_update(st, &c), 0);
	assert_int_equal(store_case_next_deadline(st, &t), 0);
	assert_int_equal(t, 1150); /* case 2's route_at */
	assert_int_equal(store_case_get_id(st, id1, g_ctx, &c), 0);
	assert_int_equal(c.state, 2);
	assert_int_equal(c.claim_deadline, 2000);
	assert_non_null(c.assignee_key);
	assert_memory_equal(c.assignee_key, staff, 32);
	c.id = 99;
	assert_int_equal(store_case_update(st, &c), -ENOENT);

	/* events, and the case behind an outbox part: a two-part notification (parts p1, p1 + 1) */
	{
		struct store_sms_out o = {0};
		int i;

		memset(o.number_key, 3, 32);
		o.number_enc = "N";
		o.number_enc_len = 1;
		o.text_enc = "T";
		o.text_enc_len = 1;
		o.total = 2;
		o.created = 1060;
		for (i = 0; i < 2; i++) {
			o.seq = (unsigned)i + 1;
			assert_int_equal(store_sms_out_add(st, &o, i == 0 ? &p1 : &p2), 0);
		}
		assert_int_equal(p2, p1 + 1);
		o.total = o.seq = 1;
		assert_int_equal(store_sms_out_add(st, &o, &p3), 0);
	}
	e.case_id = id1;
	e.at = 1060;
	e.event = 0;
	e.actor = 1;
	e.staff_key = staff;
	e.sms_out = p1;
	assert_int_equal(store_case_event_add(st, &e, &ev), 0);
	e.text_enc = "sealed-reply";
	e.text_enc_len = 12;
	e.sms_out = 0;
	assert_int_equal(store_case_event_add(st, &e, NULL), 0);
	assert_int_equal(store_case_event_foreach(st, id1, count_event, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_case_by_sms_out(st, p1, &found), 0);
	assert_int_equal(found, id1);
	assert_int_equal(store_case_by_sms_out(st, p2, &found), 0); /* the second part of the same message */
	assert_int_equal(found, id1);
	assert_int_equal(store_case_by_sms_out(st, p3, &found), -ENOENT); /* nobody's */
	assert_int_equal(store_case_by_sms_out(st, p3 + 100, &found), -ENOENT);
	e.text_enc = NULL;
	e.text_enc_len = 0;
	e.sms_out = p3; /* a later notification: the failure of the first one no longer concerns the case */
	assert_int_equal(store_case_event_add(st, &e, NULL), 0);
	assert_int_equal(store_case_by_sms_out(st, p2, &found), -ENOENT);
	assert_int_equal(store_case_by_sms_out(st, p3, &found), 0);
	assert_int_equal(found, id1);
	e.case_id = 77; /* no such case */
	assert_int_equal(store_case_event_add(st, &e, NULL), -EINVAL);

	/* a missed call within the window finds the open callback case and touches it */
	memset(staff, 2, sizeof(staff));
	assert_int_equal(store_case_beep_find(st, staff, 1000, 1200, &found), 0);
	assert_int_equal(found, id2);
	assert_int_equal(store_case_beep_find(st, staff, 1101, 1200, &found), -ENOENT);
	memset(staff, 1, sizeof(staff)); /* case 1 is a complaint */
	assert_int_equal(store_case_beep_find(st, staff, 0, 1200, &found), -ENOENT);

	/* staff state and meta */
	memset(staff, 9, sizeof(staff));
	assert_int_equal(store_staff_state_get(st, staff, &mode, &t), -ENOENT);
	assert_int_equal(store_staff_state_put(st, staff, 1, 5000), 0);
	assert_int_equal(store_staff_state_put(st, staff, 2, 6000), 0);
	assert_int_equal(store_staff_state_get(st, staff, &mode, &t), 0);
	assert_int_equal(mode, 2);
	assert_int_equal(t, 6000);
	assert_int_equal(store_staff_state_put(st, staff, 3, 6000), -EINVAL);
	assert_int_equal(store_cases_meta_get(st, "rr_last", &v), -ENOENT);
	assert_int_equal(store_cases_meta_put(st, "rr_last", 3), 0);
	assert_int_equal(store_cases_meta_get(st, "rr_last", &v), 0);
	assert_int_equal(v, 3);
	/* early warning: complaints per key in a window, the last alert of a key */
	{
		long cnt = -1;

		assert_int_equal(store_case_warn_count(st, warn_key_a, 999, &cnt), 0);
		assert_int_equal(cnt, 1); /* case 1; case 2 is a callback */
		assert_int_equal(store_case_warn_count(st, warn_key_a, 1000, &cnt), 0);
		assert_int_equal(cnt, 0); /* the window is (since, now] */
		assert_int_equal(store_case_warn_count(st, warn_key_b, 0, &cnt), 0);
		assert_int_equal(cnt, 0);
		assert_int_equal(store_case_alert_last(st, warn_key_a, &t), -ENOENT);
		assert_int_equal(store_case_alert_add(st, 1, "RU", "sealed-employer", 15, 1000, 5, warn_key_a), 0);
		assert_int_equal(store_case_alert_add(st, 1, "RU", "sealed-employer", 15, 900, 5, warn_key_a), 0);
		assert_int_equal(store_case_alert_add(st, 1, "RU", "sealed-employer", 15, 900, 5, NULL), -EINVAL);
		assert_int_equal(store_case_alert_last(st, warn_key_a, &t), 0);
		assert_int_equal(t, 1000);
		assert_int_equal(store_case_alert_last(st, warn_key_b, &t), -ENOENT);
	}

	n = 0;
	assert_int_equal(store_case_list(st, 10, count_case, &n), 0);
	assert_int_equal(n, 2);

	/* retention: case 1 closed long ago loses its personal fields, case 3 closed recently and the open case 2
	 * keep theirs */
	id3 = add_case(st, 5555555, 1, 3, 1200);
	assert_int_equal(store_case_get_id(st, id1, g_ctx, &c), 0);
	c.state = 5;
	c.closed = 1500;
	c.claim_deadline = 0;
	assert_int_equal(store_case_update(st, &c), 0);
	assert_int_equal(store_case_get_id(st, id3, g_ctx, &c), 0);
	c.state = 5;
	c.closed = 5000;
	c.route_at = 0;
	assert_int_equal(store_case_update(st, &c), 0);
	/* with sync on, a closed case waits until the platform acknowledged the journal records about it */
	{
		assert_int_equal(store_begin(st), 0);
		assert_int_equal(store_journal_append(st, "case", 1500, "{\"number\":1234566}", true, &seq), 0);
		assert_int_equal(store_case_journaled(st, id1, (int64_t)seq), 0);
		assert_int_equal(store_case_journaled(st, 99, (int64_t)seq), -ENOENT);
		assert_int_equal(store_commit(st), 0);
		assert_int_equal(store_retention_purge(st, 0, 3000, true, &pc), 0);
		assert_int_equal(pc.cases + pc.case_events, 0);
		assert_int_equal(store_case_get_id(st, id1, g_ctx, &c), 0);
		assert_non_null(c.reporter_enc);
		assert_int_equal(store_journal_acked(st, seq), 0);
	}
	assert_int_equal(store_retention_purge(st, 0, 3000, true, &pc), 0);
	assert_int_equal(pc.cases, 1);
	assert_int_equal(pc.case_events, 3);
	assert_int_equal(store_case_get_id(st, id1, g_ctx, &c), 0);
	assert_null(c.reporter_enc);
	assert_null(c.reporter_key);
	assert_null(c.text_enc);
	assert_null(c.pin_hash);
	assert_int_equal(c.number, 1234566);
	assert_int_equal(c.category, 1);
	assert_int_equal(store_case_get_id(st, id3, g_ctx, &c), 0);
	assert_non_null(c.reporter_enc);
	assert_int_equal(store_case_get_id(st, id2, g_ctx, &c), 0);
	assert_non_null(c.text_enc);
	assert_string_equal(sqlite_cli(f->path, "SELECT count(*) FROM case_events WHERE text_enc IS NOT NULL"), "0");
	{
		long cnt = -1;

		assert_int_equal(store_case_warn_count(st, warn_key_a, 0, &cnt), 0);
		assert_int_equal(cnt, 1); /* the purged case 1 no longer counts; case 3 does */
	}
	/* idempotent */
	assert_int_equal(store_retention_purge(st, 0, 3000, false, &pc), 0);
	assert_int_equal(pc.cases + pc.case_events, 0);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_content_replace_and_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_callers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caller_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sms_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention_sms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cases, setup, teardown),
	};
	int rc;

	g_ctx = talloc_named_const(NULL, 0, "test_store");
	osmo_init_logging2(g_ctx, &yordam_log_info);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	talloc_free(g_ctx);
	return rc;
}
