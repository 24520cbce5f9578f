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
#define STORE_SCHEMA_VERSION 6

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

int store_content_begin(struct store *st);  /* BEGIN IMMEDIATE and delete all current content */
int store_content_commit(struct store *st); /* COMMIT, also stores the content meta row */
void store_content_rollback(struct store *st);

/* pos orders siblings / list entries (ascending). Strings are copied by SQLite. */
int store_content_add_language(struct store *st, const char *code, const char *name, int pos);
/* parent NULL for the root; country may be NULL (used by kind "hotlines"). */
int store_content_add_node(struct store *st, const char *id, const char *parent, int pos, const char *kind,
			   const char *country);
/* A translatable text: owner is "node:<id>", "hotline:<id>" or "ui"; field e.g. "title", "body",
 * "name", "hours", "languages", "keywords", or a ui key. */
int store_content_add_text(struct store *st, const char *owner, const char *field, const char *lang, const char *text);
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
typedef int (*store_text_cb)(void *data, const char *owner, const char *field, const char *lang, const char *text);
typedef int (*store_hotline_cb)(void *data, const char *id, const char *country, const char *topic, const char *number,
				int pos, const char *source, bool example);
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

/* --- transactions ---------------------------------------------------------------------------- */

/* One write transaction (BEGIN IMMEDIATE) around several of the calls below, so that what they
 * change becomes durable together or not at all. Not nestable: -EBUSY when one is open. On any
 * error inside, call store_rollback(). */
int store_begin(struct store *st);
int store_commit(struct store *st); /* on failure the transaction is rolled back */
void store_rollback(struct store *st);

/* --- SMS ------------------------------------------------------------------------------------- */

/* Numbers and texts arrive sealed (secret_seal): the store never sees them in clear. Keys are
 * STORE_CALLER_KEY_LEN-byte keyed hashes. Blob pointers handed to callbacks are valid during the
 * callback only. Times are unix seconds passed in by the caller (so tests can move the clock). */

/* A concatenated message in the making: the parts of one sender with one reference. */
struct store_sms_group {
	uint8_t sender_key[STORE_CALLER_KEY_LEN];
	bool ref16;
	unsigned ref, total;
};

struct store_sms_part {
	uint8_t dedupe[STORE_CALLER_KEY_LEN]; /* keyed hash of sender, reference, seq, SMSC time and text */
	struct store_sms_group g;	      /* g.ref16/ref/total unused unless concat */
	bool concat;
	unsigned seq, coding;
	const void *sender_enc, *text_enc;
	size_t sender_enc_len, text_enc_len;
	int64_t received, deadline; /* deadline: when an incomplete message is processed anyway */
	const char *modem;	    /* may be NULL */
};

/* Insert a received part unless a part with the same dedupe key was received at or after
 * dup_since (0: ever): then -EEXIST. *id (may be NULL) gets the new row id. */
int store_sms_part_add(struct store *st, const struct store_sms_part *p, int64_t dup_since, int64_t *id);
/* The parts of group g not yet in a message, by seq (and arrival for a seq received twice). */
typedef int (*store_sms_group_cb)(void *data, unsigned seq, const void *text_enc, size_t len);
int store_sms_group_foreach(struct store *st, const struct store_sms_group *g, store_sms_group_cb cb, void *data);
/* Mark the open parts of g as belonging to message msg_id. */
int store_sms_group_link(struct store *st, const struct store_sms_group *g, int64_t msg_id);
/* An open group whose earliest deadline is <= now: 0 and *g, *sender_enc (talloc under ctx),
 * *received (its first part's time); -ENOENT when none. */
int store_sms_group_expired(struct store *st, int64_t now, void *ctx, struct store_sms_group *g, void **sender_enc,
			    size_t *sender_enc_len, int64_t *received, char **modem);
/* The earliest deadline of any open group: 0 and *t, or -ENOENT. */
int store_sms_part_next_deadline(struct store *st, int64_t *t);

enum store_sms_msg_state {
	STORE_SMS_MSG_NEW,
	STORE_SMS_MSG_HANDLED,
	STORE_SMS_MSG_QUARANTINED,
};

/* An inbox message (complete, or incomplete after its timeout). */
struct store_sms_msg {
	int64_t id;
	uint8_t sender_key[STORE_CALLER_KEY_LEN];
	const void *sender_enc, *text_enc;
	size_t sender_enc_len, text_enc_len;
	unsigned parts;
	bool incomplete;
	int64_t received;
	const char *modem; /* may be NULL */
};
int store_sms_msg_add(struct store *st, const struct store_sms_msg *m, int64_t *id);
/* The first message still to be processed with id > after_id: 0 and *m (blobs and strings are
 * talloc children of ctx), or -ENOENT. */
int store_sms_msg_next(struct store *st, int64_t after_id, void *ctx, struct store_sms_msg *m);
/* new -> handled | quarantined. -ENOENT if the message is not new (already processed). */
int store_sms_msg_finish(struct store *st, int64_t id, enum store_sms_msg_state state, int64_t now);
/* Messages of sender_key handled (answered) since the given time, or -errno. */
long store_sms_msg_recent(struct store *st, const uint8_t key[STORE_CALLER_KEY_LEN], int64_t since);

enum store_sms_out_state {
	STORE_SMS_OUT_QUEUED,
	STORE_SMS_OUT_SENDING,
	STORE_SMS_OUT_SENT,
	STORE_SMS_OUT_RETRY,
	STORE_SMS_OUT_FAILED,
};
const char *store_sms_out_state_name(enum store_sms_out_state s);

/* One outgoing part. */
struct store_sms_out {
	int64_t id, msg_id; /* msg_id: the inbox message this answers, 0 for none */
	uint8_t number_key[STORE_CALLER_KEY_LEN];
	const void *number_enc, *text_enc;
	size_t number_enc_len, text_enc_len;
	unsigned coding, ref, total, seq, flags;
	enum store_sms_out_state state;
	const char *modem;		      /* NULL until a modem took it */
	int attempts, mr, report, last_error; /* mr/report -1 when unknown */
	int64_t created, next_at, updated;
};
/* Queue a part (state queued, next_at = created = o->created). */
int store_sms_out_add(struct store *st, const struct store_sms_out *o, int64_t *id);
typedef int (*store_sms_out_cb)(void *data, const struct store_sms_out *o);
/* Parts queued or waiting for a retry with next_at <= now, earliest first, at most max. */
int store_sms_out_due(struct store *st, int64_t now, unsigned max, store_sms_out_cb cb, void *data);
/* The last max parts, newest first (for operators). */
int store_sms_out_recent(struct store *st, unsigned max, store_sms_out_cb cb, void *data);
/* Move part id to state; modem NULL keeps the recorded one; mr < 0 and last_error 0 are stored
 * as unknown; attempt adds one to attempts, unattempt takes one back (a part the modem did not
 * take at all). -ENOENT when no such part. */
int store_sms_out_update(struct store *st, int64_t id, enum store_sms_out_state state, const char *modem, int mr,
			 int last_error, int64_t next_at, int64_t now, bool attempt, bool unattempt);
/* Attempts made for part id, or -ENOENT / -errno. */
long store_sms_out_attempts(struct store *st, int64_t id);
/* Record a delivery report on the latest sent part to key with message reference mr.
 * 0, or -ENOENT when no such part. */
int store_sms_out_report(struct store *st, const uint8_t key[STORE_CALLER_KEY_LEN], int mr, int status, int64_t now);
/* After a restart: parts left 'sending' go back to 'retry', due now. Returns how many, or -errno. */
long store_sms_out_recover(struct store *st, int64_t now);
/* The earliest next_at of a queued or retry part: 0 and *t, or -ENOENT. */
int store_sms_out_next_at(struct store *st, int64_t *t);

struct store_sms_stats {
	long parts, parts_open;
	long msg_new, msg_handled, msg_quarantined, msg_incomplete;
	long out_queued, out_sending, out_retry, out_sent, out_failed, out_reports;
	long opted_out;
};
int store_sms_stats(struct store *st, struct store_sms_stats *s);

/* Per-number SMS state. */
struct store_sms_caller {
	bool opted_out;
	int64_t notice_at;    /* when the last rate-limit notice went out */
	const void *more_enc; /* sealed rest of the last reply (for MORE), NULL when none */
	size_t more_enc_len;
	const char *more_lang;
};
/* 0 and *c (blobs and strings under ctx), or -ENOENT (then *c is zeroed). */
int store_sms_caller_get(struct store *st, const uint8_t key[STORE_CALLER_KEY_LEN], void *ctx,
			 struct store_sms_caller *c);
int store_sms_caller_put(struct store *st, const uint8_t key[STORE_CALLER_KEY_LEN], const struct store_sms_caller *c,
			 int64_t now);

/* --- sync journal and retention (docs/sync.md) ------------------------------------------------ */

/* Append a record to the durable journal: kind 1..32 of a-z 0-9 _, body a JSON value (text), personal when the
 * body carries personal data (purged by retention once acknowledged). *seq (may be NULL) gets its sequence number,
 * strictly increasing and never reused. -EINVAL for a bad kind or body. Joins an open store_begin() transaction. */
int store_journal_append(struct store *st, const char *kind, int64_t created, const char *body, bool personal,
			 uint64_t *seq);

struct store_journal_rec {
	uint64_t seq;
	int64_t created;
	const char *kind, *body; /* talloc children of the ctx given to store_journal_read */
	bool personal;
};
/* Up to max records with seq > after, ascending, into out[]: returns how many (0: none) or -errno. */
int store_journal_read(struct store *st, uint64_t after, unsigned max, void *ctx, struct store_journal_rec *out);
/* Records with seq > after. */
int store_journal_backlog(struct store *st, uint64_t after, uint64_t *count);
/* The platform acknowledged every record up to seq (durable when this returns 0; never goes backwards). */
int store_journal_acked(struct store *st, uint64_t seq);

struct store_sync_state {
	uint64_t acked_seq;
	int64_t last_success, last_error_at; /* 0: never */
	char last_error[256];
};
int store_sync_state_get(struct store *st, struct store_sync_state *s);
/* Remember how the last round went: error NULL for success. */
int store_sync_result(struct store *st, int64_t now, const char *error);
/* The bundle version of kind in service: 0 and *version (0 when none was ever applied). */
int store_sync_bundle_get(struct store *st, const char *kind, uint64_t *version);
int store_sync_bundle_set(struct store *st, const char *kind, uint64_t version, int64_t now);

struct store_purge_counts {
	long journal, sms_parts, sms_out, sms_msgs, sms_more;
	long cases, case_events; /* closed cases (and their events) whose personal fields were purged */
};
/* Retention, in one transaction: acknowledged journal records created before journal_before; finished SMS
 * messages received before sms_before with every reply sent or failed (their parts, replies and sealed texts and
 * numbers), single parts and finished replies without a message before it, and the sealed rest of long replies
 * (MORE) older than it. Nothing still in the outbox queue is touched, nor STOP. Cases closed before sms_before lose
 * every sealed field and keyed hash (their events' texts too); the rest of the row stays for statistics, and open
 * cases are never touched. With wait_for_ack (sync on), a closed case is purged only once the platform acknowledged
 * every journal record about it (store_case_journaled); without (sync off), by age alone. *c (may be NULL) gets
 * the counts. */
int store_retention_purge(struct store *st, int64_t journal_before, int64_t sms_before, bool wait_for_ack,
			  struct store_purge_counts *c);

/* --- cases (schema v5, docs/cases.md) -------------------------------------------------------------------- */

/* One case row. Sealed fields (*_enc) arrive sealed from the cases service: the store never sees them in clear.
 * Keys are STORE_CALLER_KEY_LEN-byte keyed hashes; NULL pointers are SQL NULL. Deadlines: 0 is "none" (NULL).
 * Rows read back have their blobs and strings under the ctx passed in. */
struct store_case {
	int64_t id;
	uint32_t number;
	int kind, category, channel, state;
	char country[3];
	const char *lang;
	const uint8_t *reporter_key, *subject_key, *assignee_key; /* STORE_CALLER_KEY_LEN bytes or NULL */
	const void *reporter_enc, *subject_enc, *text_enc, *city_enc, *employer_enc, *pin_hash, *tried;
	size_t reporter_enc_len, subject_enc_len, text_enc_len, city_enc_len, employer_enc_len, pin_hash_len, tried_len;
	bool proxy;
	int pin_fails, escalations;
	int64_t pin_locked_until;
	int64_t claim_deadline, answer_deadline, route_at, expect_at; /* 0: none */
	int64_t created, updated, closed;			      /* closed 0: open */
	const uint8_t *warn_key; /* complaints: early-warning key (set on insert only), else NULL */
};

/* The sequence number the next case gets (its id - 1): call inside store_begin(), compute the case number from
 * it, then store_case_add() with c->id = seq + 1. */
int store_case_next_seq(struct store *st, uint64_t *seq);
/* Insert c (c->id and c->number set by the caller as above; c->created is also its updated). -EEXIST when the
 * number or id is taken, -EINVAL for bad fields. */
int store_case_add(struct store *st, const struct store_case *c);
/* 0 and *c, or -ENOENT. */
int store_case_get(struct store *st, uint32_t number, void *ctx, struct store_case *c);
int store_case_get_id(struct store *st, int64_t id, void *ctx, struct store_case *c);
/* Write back state, assignee, tried, escalations, deadlines, PIN counters, updated and closed. -ENOENT. */
int store_case_update(struct store *st, const struct store_case *c);
/* The earliest deadline (claim, answer, route) of any open case: 0 and *t, or -ENOENT. */
int store_case_next_deadline(struct store *st, int64_t *t);
/* The first open case with a deadline <= now: 0 and *c, or -ENOENT. */
int store_case_due(struct store *st, int64_t now, void *ctx, struct store_case *c);
typedef int (*store_case_cb)(void *data, const struct store_case *c);
/* The newest max cases, newest first; blobs valid during the callback only. */
int store_case_list(struct store *st, unsigned max, store_case_cb cb, void *data);
/* A missed call: the id of an open callback case of key created at or after since (then its updated is set to
 * now), or -ENOENT. Call inside store_begin() with the insert, so "once per caller per window" holds. */
int store_case_beep_find(struct store *st, const uint8_t key[STORE_CALLER_KEY_LEN], int64_t since, int64_t now,
			 int64_t *id);

struct store_case_event {
	int64_t id, case_id, at;
	int event;	/* enum cases_event */
	unsigned actor; /* CASES_ACT_* */
	const uint8_t *staff_key;
	const void *text_enc;
	size_t text_enc_len;
	int64_t sms_out; /* 0: none */
};
int store_case_event_add(struct store *st, const struct store_case_event *e, int64_t *id);
typedef int (*store_case_event_cb)(void *data, const struct store_case_event *e);
int store_case_event_foreach(struct store *st, int64_t case_id, store_case_event_cb cb, void *data);
/* Cases waiting for someone to come on duty (new, route_at later than now) get route_at = now; *n (may be
 * NULL) how many. */
int store_case_route_now(struct store *st, int64_t now, long *n);
/* Journal record seq is the latest about case case_id (retention waits for its acknowledgement). -ENOENT. */
int store_case_journaled(struct store *st, int64_t case_id, int64_t seq);
/* The case whose latest event with an outbox message (sms_out: the message's first part; its
 * parts have consecutive ids) queued the message that part out_id belongs to: 0 and *case_id, or
 * -ENOENT (no such case, or a later event of that case queued another message since). */
int store_case_by_sms_out(struct store *st, int64_t out_id, int64_t *case_id);

/* Staff runtime state (ON/OFF overrides): mode enum cases_duty_mode. -ENOENT when none stored. */
int store_staff_state_get(struct store *st, const uint8_t key[STORE_CALLER_KEY_LEN], int *mode, int64_t *until);
int store_staff_state_put(struct store *st, const uint8_t key[STORE_CALLER_KEY_LEN], int mode, int64_t until);
/* cases_meta: small integers (round robin, number generation). -ENOENT when unset. */
int store_cases_meta_get(struct store *st, const char *key, int64_t *value);
int store_cases_meta_put(struct store *st, const char *key, int64_t value);
/* Early warning: an alert that went out (employer: sealed normalised key; warn_key: the key's hash). */
int store_case_alert_add(struct store *st, int category, const char *country, const void *employer_enc,
			 size_t employer_enc_len, int64_t at, int count, const uint8_t warn_key[STORE_CALLER_KEY_LEN]);
/* Complaints with this warn_key created after since (0 when none). */
int store_case_warn_count(struct store *st, const uint8_t warn_key[STORE_CALLER_KEY_LEN], int64_t since, long *n);
/* The time of the latest alert of this key: 0 and *at, or -ENOENT. */
int store_case_alert_last(struct store *st, const uint8_t warn_key[STORE_CALLER_KEY_LEN], int64_t *at);
