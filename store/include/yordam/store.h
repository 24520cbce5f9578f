/* The SQLite store: schema, migrations and every statement the daemon runs.
 *
 * The only file that includes sqlite3.h is store/store.c. SQLite result codes are turned into
 * -errno here, the native code logged once with context (DSTORE). Every statement is prepared
 * at open from one table (enum store_stmt in store.c), never built at run time.
 *
 * Content (languages, menu nodes, texts, hotlines) is replaced as a whole inside one transaction:
 * store_content_begin(), the store_content_add_*() calls, store_content_commit() (or
 * store_content_rollback() on any error), so the content in service is always complete.
 * Reading it back goes through the store_content_foreach_*() iterators. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

/* Current schema version (PRAGMA user_version) written by this build. */
#define STORE_SCHEMA_VERSION 2

/* Length of the keyed hash that identifies a caller (HMAC-SHA256 of the IMSI/MSISDN). */
#define STORE_CALLER_KEY_LEN 32

/* Open (creating if missing) the database at path: WAL journal, synchronous=FULL, foreign keys on,
 * secure_delete on, busy timeout set; runs every pending forward migration in one transaction per
 * step; prepares every statement. The store is a talloc child of ctx. Returns 0 and *out, or -errno
 * (-ENOENT directory missing, -EACCES, -EIO, -ENOTSUP when the file's schema is newer than this build). */
int store_open(void *ctx, const char *path, struct store **out);
/* Finalise statements and close. NULL is allowed. Also done by talloc_free(). */
void store_close(struct store *st);

/* PRAGMA user_version of the open database. */
int store_schema_version(struct store *st);

/* --- content --------------------------------------------------------------------------- */

int store_content_begin(struct store *st);   /* BEGIN IMMEDIATE and delete all current content */
int store_content_commit(struct store *st);  /* COMMIT, also stores the content meta row */
void store_content_rollback(struct store *st);

/* pos orders siblings / list entries (ascending). Strings are copied by SQLite. */
int store_content_add_language(struct store *st, const char *code, const char *name, int pos);
/* parent NULL for the root; country may be NULL (used by kind "hotlines"). */
int store_content_add_node(struct store *st, const char *id, const char *parent, int pos, const char *kind,
			   const char *country);
/* A translatable text: owner is "node:<id>", "hotline:<id>" or "ui"; field e.g. "title", "body",
 * "name", "hours", "languages", "keywords", or a ui key. */
int store_content_add_text(struct store *st, const char *owner, const char *field, const char *lang,
			   const char *text);
int store_content_add_hotline(struct store *st, const char *id, const char *country, const char *topic,
			      const char *number, int pos, const char *source, bool example);

/* Whether any content has been imported (at least one node). 1 yes, 0 no, -errno on error. */
int store_content_present(struct store *st);

/* Iterators: call cb once per row in pos order (nodes: in parent, pos order, root first);
 * a non-zero return from cb stops the iteration and is returned. Strings are valid during the
 * callback only; NULL columns are passed as NULL. */
typedef int (*store_language_cb)(void *data, const char *code, const char *name, int pos);
typedef int (*store_node_cb)(void *data, const char *id, const char *parent, int pos, const char *kind,
			     const char *country);
typedef int (*store_text_cb)(void *data, const char *owner, const char *field, const char *lang,
			     const char *text);
typedef int (*store_hotline_cb)(void *data, const char *id, const char *country, const char *topic,
				const char *number, int pos, const char *source, bool example);
int store_content_foreach_language(struct store *st, store_language_cb cb, void *data);
int store_content_foreach_node(struct store *st, store_node_cb cb, void *data);
int store_content_foreach_text(struct store *st, store_text_cb cb, void *data);
int store_content_foreach_hotline(struct store *st, store_hotline_cb cb, void *data);

/* --- callers ----------------------------------------------------------------------------- */

/* The language a caller chose. key is the keyed hash of the caller identity, never the identity.
 * Returns 0 and copies the code into lang (NUL-terminated), -ENOENT when none is saved,
 * -ENOSPC if lang_len is too small, or -errno. */
int store_caller_lang_get(struct store *st, const uint8_t key[STORE_CALLER_KEY_LEN], char *lang, size_t lang_len);
/* Remember (insert or replace) the caller's language, with the current time. 0 or -errno. */
int store_caller_lang_set(struct store *st, const uint8_t key[STORE_CALLER_KEY_LEN], const char *lang);
/* Number of callers with a saved language, or -errno. */
long store_caller_count(struct store *st);
