/* The central service's SQLite store: its own database file, one connection used under a mutex,
 * WAL with synchronous=FULL because an answer acknowledges a commit. sqlite3.h is included here:
 * yordam-central is a separate program, not the appliance's daemon (whose only includer is store/). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "central.h"

#define CENTRAL_SCHEMA_VERSION 1

struct central_db {
	sqlite3 *db;
	pthread_mutex_t mu;
};

static const char schema_v1[] = "CREATE TABLE IF NOT EXISTS appliance ("
				"  id TEXT PRIMARY KEY, acked_seq INTEGER NOT NULL DEFAULT 0, last_seen INTEGER);"
				"CREATE TABLE IF NOT EXISTS record ("
				"  appliance TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL,"
				"  time INTEGER NOT NULL, data TEXT NOT NULL, received INTEGER NOT NULL,"
				"  PRIMARY KEY (appliance, seq)) WITHOUT ROWID;"
				"CREATE TABLE IF NOT EXISTS bundle ("
				"  kind TEXT NOT NULL, version INTEGER NOT NULL, blob BLOB NOT NULL,"
				"  created INTEGER NOT NULL, PRIMARY KEY (kind, version));"
				"PRAGMA user_version = 1;";

static int sqlite_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_FULL:
		return -ENOSPC;
	default:
		return -EIO;
	}
}

int central_db_open(const char *path, struct central_db **out, char *err, size_t err_len)
{
	struct central_db *db = calloc(1, sizeof(*db));
	sqlite3_stmt *st = NULL;
	int rc, ver;

	if (!db) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&db->mu, NULL);
	rc = sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, err_len, "%s: %s", path, db->db ? sqlite3_errmsg(db->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(db->db, 5000);
	rc = sqlite3_exec(db->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, err_len, "%s: %s", path, sqlite3_errmsg(db->db));
		goto fail;
	}
	rc = sqlite3_prepare_v2(db->db, "PRAGMA user_version", -1, &st, NULL);
	if (rc != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		snprintf(err, err_len, "%s: %s", path, sqlite3_errmsg(db->db));
		goto fail;
	}
	ver = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (ver > CENTRAL_SCHEMA_VERSION) {
		snprintf(err, err_len, "%s: schema version %d is newer than this program (%d)", path, ver,
			 CENTRAL_SCHEMA_VERSION);
		rc = SQLITE_ERROR;
		goto fail;
	}
	if (ver < 1) {
		rc = sqlite3_exec(db->db, schema_v1, NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			snprintf(err, err_len, "%s: schema: %s", path, sqlite3_errmsg(db->db));
			goto fail;
		}
	}
	*out = db;
	return 0;
fail:
	sqlite3_finalize(st);
	sqlite3_close(db->db);
	pthread_mutex_destroy(&db->mu);
	free(db);
	return rc == SQLITE_OK ? -EIO : sqlite_errno(rc);
}

void central_db_close(struct central_db *db)
{
	if (!db) {
		return;
	}
	sqlite3_close(db->db);
	pthread_mutex_destroy(&db->mu);
	free(db);
}

int central_db_store_batch(struct central_db *db, const char *appliance, const struct central_batch *b, uint64_t *ack,
			   unsigned *stored, unsigned *dups)
{
	sqlite3_stmt *sel = NULL, *ins = NULL, *upd = NULL;
	int64_t now = (int64_t)time(NULL);
	uint64_t acked = 0;
	unsigned i;
	int rc;

	*stored = *dups = 0;
	pthread_mutex_lock(&db->mu);
	rc = sqlite3_exec(db->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		goto out;
	}
	if ((rc = sqlite3_prepare_v2(db->db, "SELECT acked_seq FROM appliance WHERE id = ?", -1, &sel, NULL)) ||
	    (rc = sqlite3_prepare_v2(db->db,
				     "INSERT INTO record (appliance, seq, type, time, data, received) "
				     "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
				     -1, &ins, NULL)) ||
	    (rc = sqlite3_prepare_v2(db->db,
				     "INSERT INTO appliance (id, acked_seq, last_seen) VALUES (?1, ?2, ?3) "
				     "ON CONFLICT (id) DO UPDATE SET acked_seq = max(acked_seq, ?2), last_seen = ?3",
				     -1, &upd, NULL))) {
		goto rollback;
	}
	sqlite3_bind_text(sel, 1, appliance, -1, SQLITE_STATIC);
	rc = sqlite3_step(sel);
	if (rc == SQLITE_ROW) {
		acked = (uint64_t)sqlite3_column_int64(sel, 0);
	} else if (rc != SQLITE_DONE) {
		goto rollback;
	}
	for (i = 0; i < b->n; i++) {
		const struct central_record *r = &b->recs[i];

		if (r->seq <= acked) {
			(*dups)++;
			continue;
		}
		sqlite3_reset(ins);
		sqlite3_bind_text(ins, 1, appliance, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 2, (sqlite3_int64)r->seq);
		sqlite3_bind_text(ins, 3, r->type, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 4, r->time);
		sqlite3_bind_text(ins, 5, r->data, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 6, now);
		rc = sqlite3_step(ins);
		if (rc != SQLITE_DONE) {
			goto rollback;
		}
		if (sqlite3_changes(db->db) == 1) {
			(*stored)++;
		} else {
			(*dups)++;
		}
	}
	if (b->recs[b->n - 1].seq > acked) {
		acked = b->recs[b->n - 1].seq;
	}
	sqlite3_bind_text(upd, 1, appliance, -1, SQLITE_STATIC);
	sqlite3_bind_int64(upd, 2, (sqlite3_int64)acked);
	sqlite3_bind_int64(upd, 3, now);
	rc = sqlite3_step(upd);
	if (rc != SQLITE_DONE) {
		goto rollback;
	}
	rc = sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		goto rollback;
	}
	*ack = acked;
	goto out;
rollback:
	fprintf(stderr, "yordam-central: store batch for %s: %s\n", appliance, sqlite3_errmsg(db->db));
	sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(ins);
	sqlite3_finalize(upd);
	pthread_mutex_unlock(&db->mu);
	return rc == SQLITE_OK ? 0 : sqlite_errno(rc);
}

int central_db_bundle_latest(struct central_db *db, const char *kind, uint64_t after, uint8_t **blob, size_t *len,
			     uint64_t *version)
{
	sqlite3_stmt *st = NULL;
	int rc;

	pthread_mutex_lock(&db->mu);
	rc = sqlite3_prepare_v2(db->db, "SELECT version, blob FROM bundle WHERE kind = ? ORDER BY version DESC LIMIT 1",
				-1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = sqlite_errno(rc);
		goto out;
	}
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		rc = -ENODEV;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		rc = sqlite_errno(rc);
		goto out;
	}
	*version = (uint64_t)sqlite3_column_int64(st, 0);
	if (*version <= after) {
		rc = -ENOENT;
		goto out;
	}
	*len = (size_t)sqlite3_column_bytes(st, 1);
	*blob = malloc(*len ? *len : 1);
	if (!*blob) {
		rc = -ENOMEM;
		goto out;
	}
	if (*len) {
		memcpy(*blob, sqlite3_column_blob(st, 1), *len);
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&db->mu);
	return rc;
}

int central_db_bundle_next_version(struct central_db *db, const char *kind, uint64_t *version)
{
	sqlite3_stmt *st = NULL;
	int rc;

	pthread_mutex_lock(&db->mu);
	rc = sqlite3_prepare_v2(db->db, "SELECT coalesce(max(version), 0) + 1 FROM bundle WHERE kind = ?", -1, &st,
				NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*version = (uint64_t)sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&db->mu);
	return rc == SQLITE_OK ? 0 : sqlite_errno(rc);
}

int central_db_bundle_add(struct central_db *db, const char *kind, uint64_t version, const uint8_t *blob, size_t len)
{
	sqlite3_stmt *st = NULL;
	int rc;

	pthread_mutex_lock(&db->mu);
	rc = sqlite3_prepare_v2(db->db, "INSERT INTO bundle (kind, version, blob, created) VALUES (?, ?, ?, ?)", -1,
				&st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)version);
		sqlite3_bind_blob(st, 3, blob, (int)len, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
		rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	if (rc != SQLITE_OK) {
		fprintf(stderr, "yordam-central: add bundle: %s\n", sqlite3_errmsg(db->db));
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&db->mu);
	return rc == SQLITE_OK ? 0 : sqlite_errno(rc);
}

int central_db_stats(struct central_db *db)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db->db,
				"SELECT a.id, a.acked_seq, (SELECT count(*) FROM record r WHERE r.appliance = a.id), "
				"a.last_seen FROM appliance a ORDER BY a.id",
				-1, &st, NULL);
	if (rc != SQLITE_OK) {
		return sqlite_errno(rc);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		printf("appliance %s: acked %lld, records %lld, last seen %lld\n", sqlite3_column_text(st, 0),
		       sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		return sqlite_errno(rc);
	}
	rc = sqlite3_prepare_v2(db->db, "SELECT kind, max(version), count(*) FROM bundle GROUP BY kind ORDER BY kind",
				-1, &st, NULL);
	if (rc != SQLITE_OK) {
		return sqlite_errno(rc);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		printf("bundle %s: version %lld (%lld published)\n", sqlite3_column_text(st, 0),
		       sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sqlite_errno(rc);
}
