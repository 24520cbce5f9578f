/* yordam-central: the reference central platform (docs/sync.md). A separate program: it has its
 * own SQLite database and may include sqlite3.h and mbedTLS; it shares with the appliance only the
 * protocol's byte-level code (yordam_sync_proto). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yordam/sync_proto.h>

/* --- a journal batch as received (journal.c; fuzzed) --- */

struct central_record {
	uint64_t seq;
	int64_t time;
	char type[SYNC_TYPE_MAX + 1];
	char *data; /* the record's JSON value, compact (malloc'd) */
};

struct central_batch {
	bool has_appliance;
	char appliance[SYNC_NAME_MAX + 1];
	unsigned n;
	struct central_record *recs;
};

/* Returns 0, or -EBADMSG with why filled (the first problem). */
int central_batch_parse(const char *buf, size_t len, struct central_batch *b, char *why, size_t why_len);
void central_batch_free(struct central_batch *b);

/* --- the database (db.c) --- */

struct central_db;

int central_db_open(const char *path, struct central_db **out, char *err, size_t err_len);
void central_db_close(struct central_db *db);
/* One transaction: skip duplicates, store the rest, advance the appliance's ack. Thread-safe. */
int central_db_store_batch(struct central_db *db, const char *appliance, const struct central_batch *b, uint64_t *ack,
			   unsigned *stored, unsigned *dups);
/* The latest bundle of kind newer than after: 0 (blob malloc'd), -ENOENT (none newer),
 * -ENODEV (no bundle of that kind at all), other -errno. */
int central_db_bundle_latest(struct central_db *db, const char *kind, uint64_t after, uint8_t **blob, size_t *len,
			     uint64_t *version);
int central_db_bundle_next_version(struct central_db *db, const char *kind, uint64_t *version);
int central_db_bundle_add(struct central_db *db, const char *kind, uint64_t version, const uint8_t *blob, size_t len);
int central_db_stats(struct central_db *db);

/* --- the server (server.c) --- */

struct central_serve_cfg {
	const char *db_path;
	const char *listen_addr;
	uint16_t port;
	const char *ca_file, *cert_file, *key_file;
	unsigned max_conns;
};

int central_serve(const struct central_serve_cfg *cfg);

/* --- publishing (publish.c) --- */

int central_publish(const char *db_path, const char *sign_key, const char *kind, const char *dir);
