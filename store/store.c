/* The SQLite store (see yordam/store.h). Modelled on osmo-hlr's src/db.c: one enum of statements with a parallel
 * table of SQL, all prepared at open; schema versions in PRAGMA user_version with one upgrade step per version. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sqlite3.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include <yordam/log.h>
#include <yordam/store.h>

/* How long a writer waits for another connection (yordamctl, the sqlite3 CLI) before giving up with -EBUSY. */
#define STORE_BUSY_TIMEOUT_MS 5000

enum store_stmt {
	STORE_STMT_BEGIN,
	STORE_STMT_COMMIT,
	STORE_STMT_ROLLBACK,
	STORE_STMT_DEL_LANGUAGE,
	STORE_STMT_DEL_NODE,
	STORE_STMT_DEL_TEXT,
	STORE_STMT_DEL_HOTLINE,
	STORE_STMT_SET_IMPORTED_AT,
	STORE_STMT_INS_LANGUAGE,
	STORE_STMT_INS_NODE,
	STORE_STMT_INS_TEXT,
	STORE_STMT_INS_HOTLINE,
	STORE_STMT_NODE_PRESENT,
	STORE_STMT_SEL_LANGUAGE,
	STORE_STMT_SEL_NODE,
	STORE_STMT_SEL_TEXT,
	STORE_STMT_SEL_HOTLINE,
	STORE_STMT_CALLER_GET,
	STORE_STMT_CALLER_SET,
	STORE_STMT_CALLER_COUNT,
	STORE_STMT_USER_VERSION,
	_NUM_STORE_STMT
};

static const char *const stmt_sql[] = {
	/* IMMEDIATE: take the write lock now, so a busy database fails at begin and not half-way through an import. */
	[STORE_STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STORE_STMT_COMMIT] = "COMMIT",
	[STORE_STMT_ROLLBACK] = "ROLLBACK",
	[STORE_STMT_DEL_LANGUAGE] = "DELETE FROM language",
	[STORE_STMT_DEL_NODE] = "DELETE FROM node",
	[STORE_STMT_DEL_TEXT] = "DELETE FROM text",
	[STORE_STMT_DEL_HOTLINE] = "DELETE FROM hotline",
	[STORE_STMT_SET_IMPORTED_AT] = "INSERT OR REPLACE INTO meta (key, value) VALUES ('content_imported_at', ?1)",
	[STORE_STMT_INS_LANGUAGE] = "INSERT INTO language (code, name, pos) VALUES (?1, ?2, ?3)",
	[STORE_STMT_INS_NODE] = "INSERT INTO node (id, parent, pos, kind, country) VALUES (?1, ?2, ?3, ?4, ?5)",
	[STORE_STMT_INS_TEXT] = "INSERT INTO text (owner, field, lang, body) VALUES (?1, ?2, ?3, ?4)",
	[STORE_STMT_INS_HOTLINE] = "INSERT INTO hotline (id, country, topic, number, pos, source, example)"
				   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[STORE_STMT_NODE_PRESENT] = "SELECT EXISTS (SELECT 1 FROM node)",
	[STORE_STMT_SEL_LANGUAGE] = "SELECT code, name, pos FROM language ORDER BY pos, code",
	/* Breadth-first from the roots: a node's depth is its parent's plus one, so ordering by depth hands every
	 * node to the loader after its parent. The walk starts at the roots and each node has one parent, so it
	 * ends even if the content holds a cycle (such nodes are unreachable and not returned). */
	[STORE_STMT_SEL_NODE] = "WITH RECURSIVE tree (id, parent, pos, kind, country, depth) AS ("
				" SELECT id, parent, pos, kind, country, 0 FROM node WHERE parent IS NULL"
				" UNION ALL"
				" SELECT n.id, n.parent, n.pos, n.kind, n.country, t.depth + 1"
				" FROM node AS n JOIN tree AS t ON n.parent = t.id)"
				" SELECT id, parent, pos, kind, country FROM tree ORDER BY depth, parent, pos, id",
	[STORE_STMT_SEL_TEXT] = "SELECT owner, field, lang, body FROM text ORDER BY owner, field, lang",
	[STORE_STMT_SEL_HOTLINE] = "SELECT id, country, topic, number, pos, source, example FROM hotline"
				   " ORDER BY pos, id",
	[STORE_STMT_CALLER_GET] = "SELECT lang FROM caller WHERE key = ?1",
	[STORE_STMT_CALLER_SET] = "INSERT OR REPLACE INTO caller (key, lang, updated) VALUES (?1, ?2, ?3)",
	[STORE_STMT_CALLER_COUNT] = "SELECT count(*) FROM caller",
	[STORE_STMT_USER_VERSION] = "PRAGMA user_version",
};

_Static_assert(ARRAY_SIZE(stmt_sql) == _NUM_STORE_STMT, "one SQL string per enum store_stmt");

/* Schema upgrade steps: upgrade_path[v] takes the schema from version v to v + 1. A fresh file runs them all, so
 * a new install and an upgraded one end in the same schema. Never edit a released step (the v1 DDL is also
 * tests/data/store-v1.sql, byte for byte): add a new one and bump STORE_SCHEMA_VERSION. */
static const char *const upgrade_v1[] = {
	"CREATE TABLE language (code TEXT PRIMARY KEY, name TEXT NOT NULL, pos INTEGER NOT NULL)",
	"CREATE TABLE node (id TEXT PRIMARY KEY, parent TEXT REFERENCES node(id) DEFERRABLE INITIALLY DEFERRED,"
	" pos INTEGER NOT NULL, kind TEXT NOT NULL, country TEXT)",
	"CREATE TABLE text (owner TEXT NOT NULL, field TEXT NOT NULL, lang TEXT NOT NULL, body TEXT NOT NULL,"
	" PRIMARY KEY (owner, field, lang))",
	"CREATE TABLE hotline (id TEXT PRIMARY KEY, country TEXT NOT NULL, topic TEXT NOT NULL, number TEXT NOT NULL,"
	" pos INTEGER NOT NULL, source TEXT, example INTEGER NOT NULL DEFAULT 0)",
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
	NULL,
};

static const char *const upgrade_v2[] = {
	"CREATE TABLE caller (key BLOB PRIMARY KEY CHECK (length(key) = 32), lang TEXT NOT NULL,"
	" updated INTEGER NOT NULL) WITHOUT ROWID",
	/* The node walk joins children on parent and sorts siblings by pos. */
	"CREATE INDEX node_parent_pos ON node (parent, pos)",
	NULL,
};

static const char *const *const upgrade_path[] = {
	upgrade_v1,
	upgrade_v2,
};

_Static_assert(ARRAY_SIZE(upgrade_path) == STORE_SCHEMA_VERSION, "one upgrade step per schema version");
_Static_assert(STORE_CALLER_KEY_LEN == 32, "the caller table CHECKs length(key) = 32");

struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[_NUM_STORE_STMT];
};

static int store_errno(int rc, int sys_errno)
{
	/* A duplicate key is "exists"; a dangling parent, a failed CHECK or a missing value is bad input. */
	switch (rc) {
	case SQLITE_CONSTRAINT_FOREIGNKEY:
	case SQLITE_CONSTRAINT_CHECK:
	case SQLITE_CONSTRAINT_NOTNULL:
		return -EINVAL;
	}
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return -EBADMSG;
	case SQLITE_CANTOPEN:
		return (sys_errno == EACCES || sys_errno == EPERM) ? -EACCES : -ENOENT;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
	case SQLITE_PERM:
		return -EACCES;
	default:
		return -EIO;
	}
}

/* The one place a SQLite failure is logged and turned into -errno; callers pass the result on without logging. */
static int store_fail(struct store *st, int rc, const char *what)
{
	const char *msg = st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);
	int sys_errno = st->db ? sqlite3_system_errno(st->db) : 0;

	LOGP(DSTORE, LOGL_ERROR, "%s: %s failed: %s (sqlite %d)\n", st->path, what, msg, rc);
	return store_errno(rc, sys_errno);
}

static void stmt_done(sqlite3_stmt *stmt)
{
	/* reset() only repeats the error step() already returned, and that was handled there. */
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
}

/* Binding helpers keep the first error so a statement's binds read as a list and are checked once. Strings are
 * bound SQLITE_STATIC: every statement is stepped and its bindings cleared before the caller's strings go. */
static void bind_text(int *rc, sqlite3_stmt *stmt, int idx, const char *s)
{
	if (*rc == SQLITE_OK) {
		*rc = sqlite3_bind_text(stmt, idx, s, -1, SQLITE_STATIC);
	}
}

static void bind_int64(int *rc, sqlite3_stmt *stmt, int idx, int64_t v)
{
	if (*rc == SQLITE_OK) {
		*rc = sqlite3_bind_int64(stmt, idx, v);
	}
}

/* Step a statement that returns no rows (or whose rows are not wanted) to completion. */
static int stmt_exec(struct store *st, enum store_stmt id, int bind_rc, const char *what)
{
	sqlite3_stmt *stmt = st->stmt[id];
	int rc = bind_rc;

	if (rc == SQLITE_OK) {
		do {
			rc = sqlite3_step(stmt);
		} while (rc == SQLITE_ROW);
	}
	if (rc != SQLITE_DONE) {
		rc = store_fail(st, rc, what);
		stmt_done(stmt);
		return rc;
	}
	stmt_done(stmt);
	return 0;
}

/* Step a statement that returns one integer. */
static int stmt_int64(struct store *st, enum store_stmt id, const char *what, int64_t *out)
{
	sqlite3_stmt *stmt = st->stmt[id];
	int rc = sqlite3_step(stmt);

	if (rc != SQLITE_ROW) {
		/* DONE here means the statement lost its row: not something this schema can produce. */
		rc = store_fail(st, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, what);
		stmt_done(stmt);
		return rc;
	}
	*out = sqlite3_column_int64(stmt, 0);
	stmt_done(stmt);
	return 0;
}

/* Run SQL that is not in the statement table (open and upgrade only); rows are discarded. */
static int store_exec_sql(struct store *st, const char *sql)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK) {
		return store_fail(st, rc, sql);
	}
	return 0;
}

/* Run one-row SQL that is not in the statement table; *text may be NULL, else receives a talloc copy. */
static int store_query(struct store *st, const char *sql, int64_t *num, char **text)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	rc = sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL);
	if (rc != SQLITE_OK) {
		return store_fail(st, rc, sql);
	}
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		/* A pragma SQLite does not know returns no row: that is how a misspelt or unsupported one shows. */
		rc = store_fail(st, rc == SQLITE_DONE ? SQLITE_ERROR : rc, sql);
		sqlite3_finalize(stmt);
		return rc;
	}
	if (num) {
		*num = sqlite3_column_int64(stmt, 0);
	}
	if (text) {
		const unsigned char *t = sqlite3_column_text(stmt, 0);
		*text = talloc_strdup(st, t ? (const char *)t : "");
		if (!*text) {
			sqlite3_finalize(stmt);
			return -ENOMEM;
		}
	}
	sqlite3_finalize(stmt);
	return 0;
}

/* Set a pragma and read it back: SQLite silently ignores an unknown pragma name (osmo-hlr ran for years with
 * "PRAGMA synchonous"), so a setting only counts once it reads back as expected. */
static int store_pragma(struct store *st, const char *name, const char *value, int64_t expect)
{
	char sql[96];
	int64_t got;
	int rc;

	snprintf(sql, sizeof(sql), "PRAGMA %s = %s", name, value);
	rc = store_exec_sql(st, sql);
	if (rc < 0) {
		return rc;
	}
	snprintf(sql, sizeof(sql), "PRAGMA %s", name);
	rc = store_query(st, sql, &got, NULL);
	if (rc < 0) {
		return rc;
	}
	if (got != expect) {
		LOGP(DSTORE, LOGL_ERROR, "%s: PRAGMA %s = %s did not take: reads back %" PRId64 ", want %" PRId64 "\n",
		     st->path, name, value, got, expect);
		return -EIO;
	}
	return 0;
}

static int store_set_pragmas(struct store *st)
{
	char *mode = NULL;
	int rc;

	/* WAL: readers never block the writer and a commit is one append; the mode is kept in the file. */
	rc = store_query(st, "PRAGMA journal_mode = WAL", NULL, &mode);
	if (rc < 0) {
		return rc;
	}
	if (strcasecmp(mode, "wal") != 0) {
		LOGP(DSTORE, LOGL_ERROR, "%s: cannot use WAL journal (journal_mode is '%s')\n", st->path, mode);
		talloc_free(mode);
		return -EIO;
	}
	talloc_free(mode);

	/* FULL (2): nothing is acknowledged to a peer before it is committed, so a commit must survive power loss. */
	rc = store_pragma(st, "synchronous", "FULL", 2);
	if (rc < 0) {
		return rc;
	}
	rc = store_pragma(st, "foreign_keys", "ON", 1);
	if (rc < 0) {
		return rc;
	}
	/* Deleted personal data (caller rows, purged cases) must not linger in free pages. */
	rc = store_pragma(st, "secure_delete", "ON", 1);
	if (rc < 0) {
		return rc;
	}
	return 0;
}

/* Run the upgrade steps, each in its own transaction with its user_version bump, so a crash leaves the file at a
 * consistent version. The version is read again under the write lock: another process may have upgraded the file
 * while this one waited. */
static int store_upgrade(struct store *st)
{
	for (;;) {
		const char *const *step;
		char sql[48];
		int64_t version = -1, objects;
		int rc;

		rc = store_exec_sql(st, "BEGIN IMMEDIATE");
		if (rc < 0) {
			return rc;
		}
		rc = store_query(st, "PRAGMA user_version", &version, NULL);
		if (rc < 0) {
			goto rollback;
		}
		if (version == STORE_SCHEMA_VERSION) {
			return store_exec_sql(st, "COMMIT");
		}
		if (version < 0 || version > STORE_SCHEMA_VERSION) {
			LOGP(DSTORE, LOGL_ERROR, "%s: schema version %" PRId64 " is not one this build (%d) knows\n",
			     st->path, version, STORE_SCHEMA_VERSION);
			rc = -ENOTSUP;
			goto rollback;
		}
		if (version == 0) {
			/* Version 0 is "empty": a file with tables but no version is somebody else's database. */
			rc = store_query(st, "SELECT count(*) FROM sqlite_master", &objects, NULL);
			if (rc < 0) {
				goto rollback;
			}
			if (objects > 0) {
				LOGP(DSTORE, LOGL_ERROR,
				     "%s: holds %" PRId64 " schema objects but no schema version:"
				     " not a Yordam store\n",
				     st->path, objects);
				rc = -EBADMSG;
				goto rollback;
			}
		}
		for (step = upgrade_path[version]; *step; step++) {
			rc = store_exec_sql(st, *step);
			if (rc < 0) {
				goto rollback;
			}
		}
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %" PRId64, version + 1);
		rc = store_exec_sql(st, sql);
		if (rc < 0) {
			goto rollback;
		}
		rc = store_exec_sql(st, "COMMIT");
		if (rc < 0) {
			goto rollback;
		}
		LOGP(DSTORE, LOGL_NOTICE, "%s: upgraded schema to version %" PRId64 "\n", st->path, version + 1);
		continue;
	rollback:
		LOGP(DSTORE, LOGL_ERROR, "%s: schema upgrade from version %" PRId64 " failed\n", st->path, version);
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
}

static int store_destructor(struct store *st)
{
	unsigned int i;
	int rc;

	for (i = 0; i < ARRAY_SIZE(st->stmt); i++) {
		sqlite3_finalize(st->stmt[i]);
		st->stmt[i] = NULL;
	}
	/* close_v2 cannot fail with BUSY: every statement is finalised above. */
	rc = sqlite3_close_v2(st->db);
	if (rc != SQLITE_OK) {
		LOGP(DSTORE, LOGL_ERROR, "%s: close failed: %s (sqlite %d)\n", st->path, sqlite3_errstr(rc), rc);
	}
	st->db = NULL;
	return 0;
}

int store_open(void *ctx, const char *path, struct store **out)
{
	struct store *st;
	int64_t version;
	unsigned int i;
	int rc;

	if (!path || !*path || !out) {
		/* An empty path would open a private temporary database and lose everything at close. */
		return -EINVAL;
	}
	*out = NULL;

	st = talloc_zero(ctx, struct store);
	if (!st) {
		return -ENOMEM;
	}
	talloc_set_destructor(st, store_destructor);
	st->path = talloc_strdup(st, path);
	if (!st->path) {
		talloc_free(st);
		return -ENOMEM;
	}

	/* NOMUTEX: the daemon uses the store from its event loop thread only. */
	rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		rc = store_fail(st, rc, "open");
		talloc_free(st);
		return rc;
	}
	sqlite3_extended_result_codes(st->db, 1);

	/* READWRITE silently falls back to read-only on a write-protected file: say so now, not at the first write. */
	if (sqlite3_db_readonly(st->db, "main") == 1) {
		LOGP(DSTORE, LOGL_ERROR, "%s: the database file is read-only\n", st->path);
		talloc_free(st);
		return -EACCES;
	}

	/* First, so that switching to WAL and the upgrades wait for another connection instead of failing. */
	rc = store_pragma(st, "busy_timeout", OSMO_STRINGIFY_VAL(STORE_BUSY_TIMEOUT_MS), STORE_BUSY_TIMEOUT_MS);
	if (rc < 0) {
		talloc_free(st);
		return rc;
	}

	/* Read the version before any pragma writes the file: a newer schema is left exactly as it was. This is
	 * also the first read of the file, where a file that is not a database shows up (SQLITE_NOTADB). */
	rc = store_query(st, "PRAGMA user_version", &version, NULL);
	if (rc < 0) {
		talloc_free(st);
		return rc;
	}
	if (version > STORE_SCHEMA_VERSION || version < 0) {
		LOGP(DSTORE, LOGL_ERROR,
		     "%s: schema version %" PRId64 " is newer than this build's (%d);"
		     " refusing to open it (downgrades are not supported)\n",
		     st->path, version, STORE_SCHEMA_VERSION);
		talloc_free(st);
		return -ENOTSUP;
	}

	rc = store_set_pragmas(st);
	if (rc < 0) {
		talloc_free(st);
		return rc;
	}
	rc = store_upgrade(st);
	if (rc < 0) {
		talloc_free(st);
		return rc;
	}

	for (i = 0; i < ARRAY_SIZE(st->stmt); i++) {
		rc = sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL);
		if (rc != SQLITE_OK) {
			rc = store_fail(st, rc, stmt_sql[i]);
			talloc_free(st);
			return rc;
		}
	}

	LOGP(DSTORE, LOGL_INFO, "%s: open, schema version %d\n", st->path, STORE_SCHEMA_VERSION);
	*out = st;
	return 0;
}

void store_close(struct store *st)
{
	talloc_free(st);
}

int store_schema_version(struct store *st)
{
	int64_t version;
	int rc;

	if (!st) {
		return -EINVAL;
	}
	rc = stmt_int64(st, STORE_STMT_USER_VERSION, "reading user_version", &version);
	if (rc < 0) {
		return rc;
	}
	if (version < 0 || version > INT32_MAX) {
		return -EBADMSG;
	}
	return (int)version;
}

/* --- input checks -------------------------------------------------------------------------- */

/* Strict UTF-8 (no overlong forms, surrogates or code points above U+10FFFF): text columns promise UTF-8 to every
 * reader, and the content comes from outside. */
static bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned int cp, n, i;

		if (*p < 0x80) {
			p++;
			continue;
		} else if ((*p & 0xe0) == 0xc0) {
			cp = *p & 0x1f;
			n = 1;
		} else if ((*p & 0xf0) == 0xe0) {
			cp = *p & 0x0f;
			n = 2;
		} else if ((*p & 0xf8) == 0xf0) {
			cp = *p & 0x07;
			n = 3;
		} else {
			return false;
		}
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80) {
				return false;
			}
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff)) {
			return false;
		}
		p += n + 1;
	}
	return true;
}

/* A required string: present, non-empty and UTF-8. */
static bool str_ok(const char *s)
{
	return s && *s && utf8_valid(s);
}

/* An optional string: NULL, or present, non-empty and UTF-8. */
static bool opt_str_ok(const char *s)
{
	return !s || str_ok(s);
}

/* Content rows may only be written inside store_content_begin/commit: outside it each insert would commit on its
 * own and the content in service would be a mix of two imports. */
static int content_check(struct store *st, const char *what)
{
	if (sqlite3_get_autocommit(st->db)) {
		LOGP(DSTORE, LOGL_ERROR, "%s: %s outside store_content_begin()\n", st->path, what);
		return -EINVAL;
	}
	return 0;
}

/* --- content ------------------------------------------------------------------------------- */

int store_content_begin(struct store *st)
{
	static const enum store_stmt del[] = {
		STORE_STMT_DEL_TEXT,
		STORE_STMT_DEL_HOTLINE,
		STORE_STMT_DEL_NODE,
		STORE_STMT_DEL_LANGUAGE,
	};
	unsigned int i;
	int rc;

	if (!st) {
		return -EINVAL;
	}
	if (!sqlite3_get_autocommit(st->db)) {
		LOGP(DSTORE, LOGL_ERROR, "%s: content import begun while a transaction is open\n", st->path);
		return -EBUSY;
	}
	rc = stmt_exec(st, STORE_STMT_BEGIN, SQLITE_OK, "begin content import");
	if (rc < 0) {
		return rc;
	}
	for (i = 0; i < ARRAY_SIZE(del); i++) {
		rc = stmt_exec(st, del[i], SQLITE_OK, stmt_sql[del[i]]);
		if (rc < 0) {
			store_content_rollback(st);
			return rc;
		}
	}
	return 0;
}

int store_content_commit(struct store *st)
{
	int rc;

	if (!st) {
		return -EINVAL;
	}
	rc = content_check(st, "content commit");
	if (rc < 0) {
		return rc;
	}
	rc = SQLITE_OK;
	bind_int64(&rc, st->stmt[STORE_STMT_SET_IMPORTED_AT], 1, (int64_t)time(NULL));
	rc = stmt_exec(st, STORE_STMT_SET_IMPORTED_AT, rc, "writing content_imported_at");
	if (rc == 0) {
		rc = stmt_exec(st, STORE_STMT_COMMIT, SQLITE_OK, "commit content import");
	}
	if (rc < 0) {
		/* A failed COMMIT (a dangling deferred parent, a full disk) leaves the transaction open: end it here so
		 * the previous content stays in service and the next import can begin; a later rollback is harmless. */
		store_content_rollback(st);
		return rc;
	}
	LOGP(DSTORE, LOGL_NOTICE, "%s: content imported\n", st->path);
	return 0;
}

void store_content_rollback(struct store *st)
{
	if (!st || sqlite3_get_autocommit(st->db)) {
		/* Nothing open: SQLite ended it already (e.g. after a failed commit or an I/O error). */
		return;
	}
	if (stmt_exec(st, STORE_STMT_ROLLBACK, SQLITE_OK, "rollback content import") == 0) {
		LOGP(DSTORE, LOGL_NOTICE, "%s: content import rolled back\n", st->path);
	}
}

int store_content_add_language(struct store *st, const char *code, const char *name, int pos)
{
	sqlite3_stmt *stmt;
	int rc;

	if (!st || !str_ok(code) || !str_ok(name)) {
		return -EINVAL;
	}
	rc = content_check(st, "add language");
	if (rc < 0) {
		return rc;
	}
	rc = SQLITE_OK;
	stmt = st->stmt[STORE_STMT_INS_LANGUAGE];
	bind_text(&rc, stmt, 1, code);
	bind_text(&rc, stmt, 2, name);
	bind_int64(&rc, stmt, 3, pos);
	return stmt_exec(st, STORE_STMT_INS_LANGUAGE, rc, "add language");
}

int store_content_add_node(struct store *st, const char *id, const char *parent, int pos, const char *kind,
			   const char *country)
{
	sqlite3_stmt *stmt;
	int rc;

	if (!st || !str_ok(id) || !opt_str_ok(parent) || !str_ok(kind) || !opt_str_ok(country)) {
		return -EINVAL;
	}
	rc = content_check(st, "add node");
	if (rc < 0) {
		return rc;
	}
	rc = SQLITE_OK;
	stmt = st->stmt[STORE_STMT_INS_NODE];
	bind_text(&rc, stmt, 1, id);
	bind_text(&rc, stmt, 2, parent);
	bind_int64(&rc, stmt, 3, pos);
	bind_text(&rc, stmt, 4, kind);
	bind_text(&rc, stmt, 5, country);
	return stmt_exec(st, STORE_STMT_INS_NODE, rc, "add node");
}

int store_content_add_text(struct store *st, const char *owner, const char *field, const char *lang, const char *text)
{
	sqlite3_stmt *stmt;
	int rc;

	/* An empty body is allowed: a translation may deliberately be blank. */
	if (!st || !str_ok(owner) || !str_ok(field) || !str_ok(lang) || !text || !utf8_valid(text)) {
		return -EINVAL;
	}
	rc = content_check(st, "add text");
	if (rc < 0) {
		return rc;
	}
	rc = SQLITE_OK;
	stmt = st->stmt[STORE_STMT_INS_TEXT];
	bind_text(&rc, stmt, 1, owner);
	bind_text(&rc, stmt, 2, field);
	bind_text(&rc, stmt, 3, lang);
	bind_text(&rc, stmt, 4, text);
	return stmt_exec(st, STORE_STMT_INS_TEXT, rc, "add text");
}

int store_content_add_hotline(struct store *st, const char *id, const char *country, const char *topic,
			      const char *number, int pos, const char *source, bool example)
{
	sqlite3_stmt *stmt;
	int rc;

	if (!st || !str_ok(id) || !str_ok(country) || !str_ok(topic) || !str_ok(number) || !opt_str_ok(source)) {
		return -EINVAL;
	}
	rc = content_check(st, "add hotline");
	if (rc < 0) {
		return rc;
	}
	rc = SQLITE_OK;
	stmt = st->stmt[STORE_STMT_INS_HOTLINE];
	bind_text(&rc, stmt, 1, id);
	bind_text(&rc, stmt, 2, country);
	bind_text(&rc, stmt, 3, topic);
	bind_text(&rc, stmt, 4, number);
	bind_int64(&rc, stmt, 5, pos);
	bind_text(&rc, stmt, 6, source);
	bind_int64(&rc, stmt, 7, example ? 1 : 0);
	return stmt_exec(st, STORE_STMT_INS_HOTLINE, rc, "add hotline");
}

int store_content_present(struct store *st)
{
	int64_t present;
	int rc;

	if (!st) {
		return -EINVAL;
	}
	rc = stmt_int64(st, STORE_STMT_NODE_PRESENT, "checking for content", &present);
	if (rc < 0) {
		return rc;
	}
	return present ? 1 : 0;
}

/* --- iterators ------------------------------------------------------------------------------ */

/* Column i as text. A NULL in a column the schema says NOT NULL means the file was altered behind our back. */
static int col_text(struct store *st, sqlite3_stmt *stmt, int i, bool required, const char **out)
{
	if (sqlite3_column_type(stmt, i) == SQLITE_NULL) {
		if (required) {
			LOGP(DSTORE, LOGL_ERROR, "%s: NULL in required column %s\n", st->path,
			     sqlite3_column_name(stmt, i));
			return -EBADMSG;
		}
		*out = NULL;
		return 0;
	}
	*out = (const char *)sqlite3_column_text(stmt, i);
	if (!*out) {
		return store_fail(st, SQLITE_NOMEM, "reading a text column");
	}
	return 0;
}

/* The caller's callback and data; which member is set follows from the statement being walked. */
struct foreach_cb {
	union {
		store_language_cb language;
		store_node_cb node;
		store_text_cb text;
		store_hotline_cb hotline;
	} cb;
	void *data;
};

typedef int (*store_row_fn)(struct store *st, sqlite3_stmt *stmt, const struct foreach_cb *fc);

/* Step a SELECT and hand each row to row(); a non-zero result of row() ends the walk and is returned. */
static int store_foreach(struct store *st, enum store_stmt id, store_row_fn row, const struct foreach_cb *fc)
{
	sqlite3_stmt *stmt = st->stmt[id];
	int rc, ret = 0;

	/* A callback that starts the same walk again would reset the statement under the outer loop. */
	if (sqlite3_stmt_busy(stmt)) {
		LOGP(DSTORE, LOGL_ERROR, "%s: nested iteration over the same table\n", st->path);
		return -EBUSY;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		ret = row(st, stmt, fc);
		if (ret) {
			break;
		}
	}
	if (!ret && rc != SQLITE_DONE) {
		ret = store_fail(st, rc, stmt_sql[id]);
	}
	stmt_done(stmt);
	return ret;
}

static int row_language(struct store *st, sqlite3_stmt *stmt, const struct foreach_cb *fc)
{
	const char *code, *name;
	int rc;

	if ((rc = col_text(st, stmt, 0, true, &code)) || (rc = col_text(st, stmt, 1, true, &name))) {
		return rc;
	}
	return fc->cb.language(fc->data, code, name, sqlite3_column_int(stmt, 2));
}

static int row_node(struct store *st, sqlite3_stmt *stmt, const struct foreach_cb *fc)
{
	const char *id, *parent, *kind, *country;
	int rc;

	if ((rc = col_text(st, stmt, 0, true, &id)) || (rc = col_text(st, stmt, 1, false, &parent)) ||
	    (rc = col_text(st, stmt, 3, true, &kind)) || (rc = col_text(st, stmt, 4, false, &country))) {
		return rc;
	}
	return fc->cb.node(fc->data, id, parent, sqlite3_column_int(stmt, 2), kind, country);
}

static int row_text(struct store *st, sqlite3_stmt *stmt, const struct foreach_cb *fc)
{
	const char *owner, *field, *lang, *body;
	int rc;

	if ((rc = col_text(st, stmt, 0, true, &owner)) || (rc = col_text(st, stmt, 1, true, &field)) ||
	    (rc = col_text(st, stmt, 2, true, &lang)) || (rc = col_text(st, stmt, 3, true, &body))) {
		return rc;
	}
	return fc->cb.text(fc->data, owner, field, lang, body);
}

static int row_hotline(struct store *st, sqlite3_stmt *stmt, const struct foreach_cb *fc)
{
	const char *id, *country, *topic, *number, *source;
	int rc;

	if ((rc = col_text(st, stmt, 0, true, &id)) || (rc = col_text(st, stmt, 1, true, &country)) ||
	    (rc = col_text(st, stmt, 2, true, &topic)) || (rc = col_text(st, stmt, 3, true, &number)) ||
	    (rc = col_text(st, stmt, 5, false, &source))) {
		return rc;
	}
	return fc->cb.hotline(fc->data, id, country, topic, number, sqlite3_column_int(stmt, 4), source,
			      sqlite3_column_int64(stmt, 6) != 0);
}

int store_content_foreach_language(struct store *st, store_language_cb cb, void *data)
{
	const struct foreach_cb fc = {.cb.language = cb, .data = data};

	if (!st || !cb) {
		return -EINVAL;
	}
	return store_foreach(st, STORE_STMT_SEL_LANGUAGE, row_language, &fc);
}

int store_content_foreach_node(struct store *st, store_node_cb cb, void *data)
{
	const struct foreach_cb fc = {.cb.node = cb, .data = data};

	if (!st || !cb) {
		return -EINVAL;
	}
	return store_foreach(st, STORE_STMT_SEL_NODE, row_node, &fc);
}

int store_content_foreach_text(struct store *st, store_text_cb cb, void *data)
{
	const struct foreach_cb fc = {.cb.text = cb, .data = data};

	if (!st || !cb) {
		return -EINVAL;
	}
	return store_foreach(st, STORE_STMT_SEL_TEXT, row_text, &fc);
}

int store_content_foreach_hotline(struct store *st, store_hotline_cb cb, void *data)
{
	const struct foreach_cb fc = {.cb.hotline = cb, .data = data};

	if (!st || !cb) {
		return -EINVAL;
	}
	return store_foreach(st, STORE_STMT_SEL_HOTLINE, row_hotline, &fc);
}

/* --- callers --------------------------------------------------------------------------------- */

int store_caller_lang_get(struct store *st, const uint8_t key[STORE_CALLER_KEY_LEN], char *lang, size_t lang_len)
{
	sqlite3_stmt *stmt;
	const char *saved;
	size_t len;
	int rc;

	if (!st || !key || !lang) {
		return -EINVAL;
	}
	stmt = st->stmt[STORE_STMT_CALLER_GET];
	rc = sqlite3_bind_blob(stmt, 1, key, STORE_CALLER_KEY_LEN, SQLITE_STATIC);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(stmt);
	}
	if (rc == SQLITE_DONE) {
		stmt_done(stmt);
		return -ENOENT;
	}
	if (rc != SQLITE_ROW) {
		rc = store_fail(st, rc, "reading caller language");
		stmt_done(stmt);
		return rc;
	}
	rc = col_text(st, stmt, 0, true, &saved);
	if (rc < 0) {
		stmt_done(stmt);
		return rc;
	}
	len = strlen(saved);
	if (len >= lang_len) {
		stmt_done(stmt);
		return -ENOSPC;
	}
	memcpy(lang, saved, len + 1);
	stmt_done(stmt);
	return 0;
}

int store_caller_lang_set(struct store *st, const uint8_t key[STORE_CALLER_KEY_LEN], const char *lang)
{
	sqlite3_stmt *stmt;
	int rc = SQLITE_OK;

	if (!st || !key || !str_ok(lang)) {
		return -EINVAL;
	}
	stmt = st->stmt[STORE_STMT_CALLER_SET];
	rc = sqlite3_bind_blob(stmt, 1, key, STORE_CALLER_KEY_LEN, SQLITE_STATIC);
	bind_text(&rc, stmt, 2, lang);
	bind_int64(&rc, stmt, 3, (int64_t)time(NULL));
	return stmt_exec(st, STORE_STMT_CALLER_SET, rc, "saving caller language");
}

long store_caller_count(struct store *st)
{
	int64_t n;
	int rc;

	if (!st) {
		return -EINVAL;
	}
	rc = stmt_int64(st, STORE_STMT_CALLER_COUNT, "counting callers", &n);
	if (rc < 0) {
		return rc;
	}
	return (long)n;
}
