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

/* A finished inbox message m older than the cutoff ?1 with nothing of it left in the outbox queue. */
#define STORE_SMS_DONE                                                                                    \
	"m.state IN ('handled', 'quarantined') AND m.received < ?1 AND NOT EXISTS (SELECT 1 FROM sms_out" \
	" AS o WHERE o.msg_id = m.id AND (o.state NOT IN ('sent', 'failed') OR o.created >= ?1))"

/* The columns of a case row, in the order row_case() reads them. */
#define STORE_CASE_COLS                                                                                              \
	"id, number, kind, category, country, lang, channel, state, reporter_key, reporter_enc, proxy, subject_key," \
	" subject_enc, text_enc, city_enc, employer_enc, pin_hash, pin_fails, pin_locked_until, assignee_key,"       \
	" tried, escalations, claim_deadline, answer_deadline, route_at, expect_at, created, updated, closed"

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
	STORE_STMT_SMS_PART_SEEN,
	STORE_STMT_SMS_PART_INS,
	STORE_STMT_SMS_GROUP_SEL,
	STORE_STMT_SMS_GROUP_LINK,
	STORE_STMT_SMS_GROUP_EXPIRED,
	STORE_STMT_SMS_PART_DEADLINE,
	STORE_STMT_SMS_MSG_INS,
	STORE_STMT_SMS_MSG_NEXT,
	STORE_STMT_SMS_MSG_FINISH,
	STORE_STMT_SMS_MSG_RECENT,
	STORE_STMT_SMS_OUT_INS,
	STORE_STMT_SMS_OUT_DUE,
	STORE_STMT_SMS_OUT_UPDATE,
	STORE_STMT_SMS_OUT_REPORT,
	STORE_STMT_SMS_OUT_ATTEMPTS,
	STORE_STMT_SMS_OUT_RECOVER,
	STORE_STMT_SMS_OUT_NEXT_AT,
	STORE_STMT_SMS_OUT_RECENT,
	STORE_STMT_SMS_STATS,
	STORE_STMT_SMS_CALLER_GET,
	STORE_STMT_SMS_CALLER_PUT,
	STORE_STMT_JOURNAL_INS,
	STORE_STMT_JOURNAL_READ,
	STORE_STMT_JOURNAL_BACKLOG,
	STORE_STMT_SYNC_STATE_GET,
	STORE_STMT_SYNC_ACKED,
	STORE_STMT_SYNC_RESULT_OK,
	STORE_STMT_SYNC_RESULT_ERR,
	STORE_STMT_SYNC_BUNDLE_GET,
	STORE_STMT_SYNC_BUNDLE_SET,
	STORE_STMT_PURGE_JOURNAL,
	STORE_STMT_PURGE_SMS_PART,
	STORE_STMT_PURGE_SMS_OUT,
	STORE_STMT_PURGE_SMS_MSG,
	STORE_STMT_PURGE_SMS_MORE,
	/* schema v5: cases (docs/cases.md section 1) */
	STORE_STMT_CASE_NEXT_SEQ,
	STORE_STMT_CASE_INS,
	STORE_STMT_CASE_GET_NUMBER,
	STORE_STMT_CASE_GET_ID,
	STORE_STMT_CASE_UPDATE,
	STORE_STMT_CASE_NEXT_DEADLINE,
	STORE_STMT_CASE_DUE,
	STORE_STMT_CASE_LIST,
	STORE_STMT_CASE_BEEP,
	STORE_STMT_CASE_TOUCH,
	STORE_STMT_CASE_EVENT_INS,
	STORE_STMT_CASE_EVENT_SEL,
	STORE_STMT_CASE_EVENT_BY_OUT,
	STORE_STMT_STAFF_STATE_GET,
	STORE_STMT_STAFF_STATE_PUT,
	STORE_STMT_CASES_META_GET,
	STORE_STMT_CASES_META_PUT,
	STORE_STMT_CASE_ALERT_INS,
	STORE_STMT_CASE_WARN_COUNT,
	STORE_STMT_CASE_ALERT_LAST,
	STORE_STMT_PURGE_CASE_EVENTS,
	STORE_STMT_PURGE_CASES,
	STORE_STMT_CASE_JOURNALED,
	STORE_STMT_CASE_ROUTE_NOW,
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
	[STORE_STMT_SMS_PART_SEEN] = "SELECT EXISTS (SELECT 1 FROM sms_part WHERE dedupe = ?1 AND received >= ?2)",
	[STORE_STMT_SMS_PART_INS] =
		"INSERT INTO sms_part (dedupe, sender_key, sender_enc, concat, ref16, ref, total, seq,"
		" coding, text_enc, received, deadline, modem)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[STORE_STMT_SMS_GROUP_SEL] = "SELECT seq, text_enc FROM sms_part WHERE msg_id IS NULL AND concat = 1"
				     " AND sender_key = ?1 AND ref16 = ?2 AND ref = ?3 AND total = ?4 ORDER BY seq, id",
	[STORE_STMT_SMS_GROUP_LINK] = "UPDATE sms_part SET msg_id = ?5 WHERE msg_id IS NULL AND concat = 1"
				      " AND sender_key = ?1 AND ref16 = ?2 AND ref = ?3 AND total = ?4",
	[STORE_STMT_SMS_GROUP_EXPIRED] =
		"SELECT sender_key, ref16, ref, total, min(deadline), sender_enc, min(received),"
		" modem FROM sms_part WHERE msg_id IS NULL AND concat = 1"
		" GROUP BY sender_key, ref16, ref, total HAVING min(deadline) <= ?1 LIMIT 1",
	[STORE_STMT_SMS_PART_DEADLINE] = "SELECT min(deadline) FROM sms_part WHERE msg_id IS NULL AND concat = 1",
	[STORE_STMT_SMS_MSG_INS] = "INSERT INTO sms_msg (sender_key, sender_enc, text_enc, parts, incomplete, received,"
				   " modem, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'new')",
	[STORE_STMT_SMS_MSG_NEXT] = "SELECT id, sender_key, sender_enc, text_enc, parts, incomplete, received, modem"
				    " FROM sms_msg WHERE state = 'new' AND id > ?1 ORDER BY id LIMIT 1",
	[STORE_STMT_SMS_MSG_FINISH] = "UPDATE sms_msg SET state = ?2, handled = ?3 WHERE id = ?1 AND state = 'new'",
	[STORE_STMT_SMS_MSG_RECENT] = "SELECT count(*) FROM sms_msg WHERE sender_key = ?1 AND received >= ?2"
				      " AND state = 'handled'",
	[STORE_STMT_SMS_OUT_INS] = "INSERT INTO sms_out (msg_id, number_key, number_enc, text_enc, coding, ref, total,"
				   " seq, flags, state, attempts, next_at, created, updated)"
				   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'queued', 0, ?10, ?10, ?10)",
	[STORE_STMT_SMS_OUT_DUE] =
		"SELECT id, msg_id, number_key, number_enc, text_enc, coding, ref, total, seq, flags,"
		" state, modem, attempts, mr, report, last_error, created, next_at, updated"
		" FROM sms_out WHERE state IN ('queued', 'retry') AND next_at <= ?1"
		" ORDER BY next_at, id LIMIT ?2",
	[STORE_STMT_SMS_OUT_UPDATE] = "UPDATE sms_out SET state = ?2, modem = coalesce(?3, modem), mr = ?4,"
				      " last_error = ?5, next_at = ?6, updated = ?7, attempts = max(0, attempts + ?8)"
				      " WHERE id = ?1",
	[STORE_STMT_SMS_OUT_REPORT] =
		"UPDATE sms_out SET report = ?3, report_at = ?4 WHERE id = (SELECT id FROM sms_out"
		" WHERE number_key = ?1 AND mr = ?2 AND state = 'sent' ORDER BY updated DESC,"
		" id DESC LIMIT 1)",
	[STORE_STMT_SMS_OUT_ATTEMPTS] = "SELECT attempts FROM sms_out WHERE id = ?1",
	[STORE_STMT_SMS_OUT_RECOVER] = "UPDATE sms_out SET state = 'retry', next_at = ?1, updated = ?1"
				       " WHERE state = 'sending'",
	[STORE_STMT_SMS_OUT_NEXT_AT] = "SELECT min(next_at) FROM sms_out WHERE state IN ('queued', 'retry')",
	[STORE_STMT_SMS_OUT_RECENT] =
		"SELECT id, msg_id, number_key, number_enc, text_enc, coding, ref, total, seq, flags,"
		" state, modem, attempts, mr, report, last_error, created, next_at, updated"
		" FROM sms_out ORDER BY id DESC LIMIT ?1",
	[STORE_STMT_SMS_STATS] = "SELECT"
				 " (SELECT count(*) FROM sms_part),"
				 " (SELECT count(*) FROM sms_part WHERE msg_id IS NULL AND concat = 1),"
				 " (SELECT count(*) FROM sms_msg WHERE state = 'new'),"
				 " (SELECT count(*) FROM sms_msg WHERE state = 'handled'),"
				 " (SELECT count(*) FROM sms_msg WHERE state = 'quarantined'),"
				 " (SELECT count(*) FROM sms_msg WHERE incomplete = 1),"
				 " (SELECT count(*) FROM sms_out WHERE state = 'queued'),"
				 " (SELECT count(*) FROM sms_out WHERE state = 'sending'),"
				 " (SELECT count(*) FROM sms_out WHERE state = 'retry'),"
				 " (SELECT count(*) FROM sms_out WHERE state = 'sent'),"
				 " (SELECT count(*) FROM sms_out WHERE state = 'failed'),"
				 " (SELECT count(*) FROM sms_out WHERE report IS NOT NULL),"
				 " (SELECT count(*) FROM sms_caller WHERE opted_out = 1)",
	[STORE_STMT_SMS_CALLER_GET] = "SELECT opted_out, notice_at, more_enc, more_lang FROM sms_caller WHERE key = ?1",
	[STORE_STMT_SMS_CALLER_PUT] = "INSERT INTO sms_caller (key, opted_out, notice_at, more_enc, more_lang, updated)"
				      " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (key) DO UPDATE SET"
				      " opted_out = excluded.opted_out, notice_at = excluded.notice_at,"
				      " more_enc = excluded.more_enc, more_lang = excluded.more_lang,"
				      " updated = excluded.updated",
	[STORE_STMT_JOURNAL_INS] = "INSERT INTO journal (kind, created, body, personal) VALUES (?1, ?2, ?3, ?4)",
	[STORE_STMT_JOURNAL_READ] = "SELECT seq, kind, created, body, personal FROM journal WHERE seq > ?1"
				    " ORDER BY seq LIMIT ?2",
	[STORE_STMT_JOURNAL_BACKLOG] = "SELECT count(*) FROM journal WHERE seq > ?1",
	[STORE_STMT_SYNC_STATE_GET] = "SELECT acked_seq, last_success, last_error, last_error_at FROM sync_state"
				      " WHERE id = 1",
	/* max(): an ack never goes backwards, whatever the caller passes. */
	[STORE_STMT_SYNC_ACKED] = "UPDATE sync_state SET acked_seq = max(acked_seq, ?1) WHERE id = 1",
	[STORE_STMT_SYNC_RESULT_OK] = "UPDATE sync_state SET last_success = ?1, last_error = '' WHERE id = 1",
	[STORE_STMT_SYNC_RESULT_ERR] = "UPDATE sync_state SET last_error = ?2, last_error_at = ?1 WHERE id = 1",
	[STORE_STMT_SYNC_BUNDLE_GET] = "SELECT version FROM sync_bundle WHERE kind = ?1",
	[STORE_STMT_SYNC_BUNDLE_SET] = "INSERT INTO sync_bundle (kind, version, applied) VALUES (?1, ?2, ?3)"
				       " ON CONFLICT (kind) DO UPDATE SET version = excluded.version,"
				       " applied = excluded.applied",
	/* Retention (store_retention_purge): only what the platform acknowledged leaves the journal. */
	[STORE_STMT_PURGE_JOURNAL] = "DELETE FROM journal WHERE created < ?1"
				     " AND seq <= (SELECT acked_seq FROM sync_state WHERE id = 1)",
	/* A message is done when it was processed before the cutoff and every reply to it was sent or failed before
	 * it: nothing is left in the outbox queue for it. Its parts, replies and then the message go, in that order
	 * (foreign keys). Single parts (never linked to a message) are kept for duplicate recognition until the
	 * cutoff; open multipart groups are kept. */
	[STORE_STMT_PURGE_SMS_PART] = "DELETE FROM sms_part WHERE (msg_id IS NULL AND concat = 0 AND received < ?1)"
				      " OR msg_id IN (SELECT m.id FROM sms_msg AS m WHERE " STORE_SMS_DONE ")",
	[STORE_STMT_PURGE_SMS_OUT] =
		"DELETE FROM sms_out WHERE state IN ('sent', 'failed') AND created < ?1"
		" AND (msg_id IS NULL OR msg_id IN (SELECT m.id FROM sms_msg AS m WHERE " STORE_SMS_DONE "))",
	[STORE_STMT_PURGE_SMS_MSG] = "DELETE FROM sms_msg AS m WHERE " STORE_SMS_DONE
				     " AND NOT EXISTS (SELECT 1 FROM sms_part AS p WHERE p.msg_id = m.id)",
	/* The sealed rest of a long reply (MORE) is not kept past the cutoff; STOP (opted_out) is. */
	[STORE_STMT_PURGE_SMS_MORE] = "UPDATE sms_caller SET more_enc = NULL, more_lang = NULL"
				      " WHERE more_enc IS NOT NULL AND updated < ?1",
	/* With AUTOINCREMENT the next id is sqlite_sequence's + 1, stable inside the caller's write transaction:
	 * the case number is computed from it before the row is inserted with that very id. */
	[STORE_STMT_CASE_NEXT_SEQ] = "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'cases'), 0)",
	[STORE_STMT_CASE_INS] =
		"INSERT INTO cases (id, number, kind, category, country, lang, channel, state, reporter_key,"
		" reporter_enc, proxy, subject_key, subject_enc, text_enc, city_enc, employer_enc, pin_hash,"
		" claim_deadline, answer_deadline, route_at, expect_at, created, updated, warn_key)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, "
		"?21,"
		" ?22, ?22, ?23)",
	[STORE_STMT_CASE_GET_NUMBER] = "SELECT " STORE_CASE_COLS " FROM cases WHERE number = ?1",
	[STORE_STMT_CASE_GET_ID] = "SELECT " STORE_CASE_COLS " FROM cases WHERE id = ?1",
	[STORE_STMT_CASE_UPDATE] =
		"UPDATE cases SET state = ?2, assignee_key = ?3, tried = ?4, escalations = ?5,"
		" claim_deadline = ?6, answer_deadline = ?7, route_at = ?8, expect_at = ?9,"
		" pin_fails = ?10, pin_locked_until = ?11, updated = ?12, closed = ?13 WHERE id = ?1",
	/* Deadlines: one partial index per deadline column over open cases (schema v6), so both are a few index
	 * look-ups however many cases the store holds. */
	[STORE_STMT_CASE_NEXT_DEADLINE] =
		"SELECT min(t) FROM ("
		"SELECT min(claim_deadline) AS t FROM cases WHERE state != 5 AND claim_deadline IS NOT NULL"
		" UNION ALL SELECT min(answer_deadline) FROM cases WHERE state != 5 AND answer_deadline IS NOT NULL"
		" UNION ALL SELECT min(route_at) FROM cases WHERE state != 5 AND route_at IS NOT NULL)",
	[STORE_STMT_CASE_DUE] =
		"SELECT " STORE_CASE_COLS " FROM cases WHERE id IN ("
		"SELECT id FROM cases WHERE state != 5 AND claim_deadline IS NOT NULL AND claim_deadline <= ?1"
		" UNION SELECT id FROM cases WHERE state != 5 AND answer_deadline IS NOT NULL"
		" AND answer_deadline <= ?1"
		" UNION SELECT id FROM cases WHERE state != 5 AND route_at IS NOT NULL AND route_at <= ?1)"
		" ORDER BY id LIMIT 1",
	/* A staff member came on duty: cases waiting for someone (NEW, routed later) are routed now. */
	[STORE_STMT_CASE_ROUTE_NOW] = "UPDATE cases SET route_at = ?1 WHERE state = 1 AND route_at IS NOT NULL"
				      " AND route_at > ?1",
	[STORE_STMT_CASE_LIST] = "SELECT " STORE_CASE_COLS " FROM cases ORDER BY id DESC LIMIT ?1",
	/* A missed call: an open callback case of this caller created since ?2. */
	[STORE_STMT_CASE_BEEP] = "SELECT id FROM cases WHERE reporter_key = ?1 AND kind = 2 AND state != 5"
				 " AND created >= ?2 ORDER BY id DESC LIMIT 1",
	[STORE_STMT_CASE_TOUCH] = "UPDATE cases SET updated = ?2 WHERE id = ?1",
	[STORE_STMT_CASE_EVENT_INS] =
		"INSERT INTO case_events (case_id, at, event, actor, staff_key, text_enc, sms_out)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[STORE_STMT_CASE_EVENT_SEL] = "SELECT id, case_id, at, event, actor, staff_key, text_enc, sms_out"
				      " FROM case_events WHERE case_id = ?1 ORDER BY id",
	[STORE_STMT_CASE_EVENT_BY_OUT] =
		"SELECT e.case_id FROM sms_out o JOIN case_events e ON e.sms_out = o.id - o.seq + 1 WHERE o.id = ?1"
		" AND e.id = (SELECT max(id) FROM case_events WHERE case_id = e.case_id AND sms_out IS NOT NULL)",
	[STORE_STMT_STAFF_STATE_GET] = "SELECT duty_mode, duty_until FROM staff_state WHERE staff_key = ?1",
	[STORE_STMT_STAFF_STATE_PUT] = "INSERT INTO staff_state (staff_key, duty_mode, duty_until) VALUES (?1, ?2, ?3)"
				       " ON CONFLICT (staff_key) DO UPDATE SET duty_mode = excluded.duty_mode,"
				       " duty_until = excluded.duty_until",
	[STORE_STMT_CASES_META_GET] = "SELECT value FROM cases_meta WHERE key = ?1",
	[STORE_STMT_CASES_META_PUT] = "INSERT INTO cases_meta (key, value) VALUES (?1, ?2)"
				      " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	[STORE_STMT_CASE_ALERT_INS] = "INSERT INTO case_alerts (category, country, employer, at, count, warn_key)"
				      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[STORE_STMT_CASE_WARN_COUNT] = "SELECT count(*) FROM cases WHERE warn_key = ?1 AND created > ?2",
	[STORE_STMT_CASE_ALERT_LAST] = "SELECT at FROM case_alerts WHERE warn_key = ?1 ORDER BY at DESC LIMIT 1",
	/* Retention of cases: a case closed before the cutoff keeps its row (number, kind, category, country,
	 * states, times: what statistics and sync need) but loses every sealed field and keyed hash; open cases,
	 * which staff still work on, are never touched. With ?2 = 1 (sync on) only once the platform acknowledged
	 * every journal record about the case (cases.synced: the seq of the latest). Events first (they are matched
	 * through the case). */
	[STORE_STMT_PURGE_CASE_EVENTS] = "UPDATE case_events SET text_enc = NULL, staff_key = NULL"
					 " WHERE (text_enc IS NOT NULL OR staff_key IS NOT NULL) AND case_id IN"
					 " (SELECT id FROM cases WHERE state = 5 AND closed < ?1 AND (?2 = 0 OR"
					 " coalesce(synced, 0) <= (SELECT acked_seq FROM sync_state)))",
	[STORE_STMT_CASE_JOURNALED] = "UPDATE cases SET synced = ?2 WHERE id = ?1",
	[STORE_STMT_PURGE_CASES] =
		"UPDATE cases SET reporter_key = NULL, reporter_enc = NULL, subject_key = NULL, subject_enc = NULL,"
		" text_enc = NULL, city_enc = NULL, employer_enc = NULL, pin_hash = NULL, assignee_key = NULL,"
		" tried = NULL, warn_key = NULL WHERE state = 5 AND closed < ?1"
		" AND (?2 = 0 OR coalesce(synced, 0) <= (SELECT acked_seq FROM sync_state)) AND (reporter_key IS NOT "
		"NULL OR reporter_enc IS NOT "
		"NULL"
		" OR subject_enc IS NOT NULL OR text_enc IS NOT NULL OR city_enc IS NOT NULL OR employer_enc IS NOT "
		"NULL"
		" OR pin_hash IS NOT NULL)",
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

/* SMS: received parts (kept for duplicate recognition), assembled inbox messages, the outbox (the database is the
 * queue) and per-number SMS state. Numbers and texts are sealed (AES-256-GCM, secret_seal) by the SMS layer; the
 * *_key columns are keyed hashes (secret_hash) for look-ups, dedupe a keyed hash of a part's identity. */
static const char *const upgrade_v3[] = {
	"CREATE TABLE sms_msg (id INTEGER PRIMARY KEY, sender_key BLOB NOT NULL CHECK (length(sender_key) = 32),"
	" sender_enc BLOB NOT NULL, text_enc BLOB NOT NULL, parts INTEGER NOT NULL, incomplete INTEGER NOT NULL,"
	" received INTEGER NOT NULL, modem TEXT, state TEXT NOT NULL CHECK (state IN ('new', 'handled', "
	"'quarantined')),"
	" handled INTEGER)",
	"CREATE INDEX sms_msg_new ON sms_msg (id) WHERE state = 'new'",
	"CREATE INDEX sms_msg_sender ON sms_msg (sender_key, received)",
	"CREATE TABLE sms_part (id INTEGER PRIMARY KEY, dedupe BLOB NOT NULL CHECK (length(dedupe) = 32),"
	" sender_key BLOB NOT NULL CHECK (length(sender_key) = 32), sender_enc BLOB NOT NULL,"
	" concat INTEGER NOT NULL, ref16 INTEGER NOT NULL, ref INTEGER NOT NULL, total INTEGER NOT NULL,"
	" seq INTEGER NOT NULL, coding INTEGER NOT NULL, text_enc BLOB NOT NULL, received INTEGER NOT NULL,"
	" deadline INTEGER NOT NULL, modem TEXT, msg_id INTEGER REFERENCES sms_msg(id))",
	"CREATE INDEX sms_part_dedupe ON sms_part (dedupe, received)",
	"CREATE INDEX sms_part_open ON sms_part (sender_key, ref16, ref, total, seq) WHERE msg_id IS NULL",
	"CREATE INDEX sms_part_deadline ON sms_part (deadline) WHERE msg_id IS NULL",
	"CREATE TABLE sms_out (id INTEGER PRIMARY KEY, msg_id INTEGER REFERENCES sms_msg(id),"
	" number_key BLOB NOT NULL CHECK (length(number_key) = 32), number_enc BLOB NOT NULL, text_enc BLOB NOT NULL,"
	" coding INTEGER NOT NULL, ref INTEGER NOT NULL, total INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" flags INTEGER NOT NULL, state TEXT NOT NULL"
	" CHECK (state IN ('queued', 'sending', 'sent', 'retry', 'failed')),"
	" modem TEXT, attempts INTEGER NOT NULL, mr INTEGER, report INTEGER, report_at INTEGER, last_error INTEGER,"
	" created INTEGER NOT NULL, next_at INTEGER NOT NULL, updated INTEGER NOT NULL)",
	"CREATE INDEX sms_out_due ON sms_out (next_at, id) WHERE state IN ('queued', 'retry')",
	"CREATE INDEX sms_out_state ON sms_out (state)",
	"CREATE INDEX sms_out_mr ON sms_out (number_key, mr)",
	"CREATE INDEX sms_out_msg ON sms_out (msg_id)",
	"CREATE TABLE sms_caller (key BLOB PRIMARY KEY CHECK (length(key) = 32), opted_out INTEGER NOT NULL DEFAULT 0,"
	" notice_at INTEGER NOT NULL DEFAULT 0, more_enc BLOB, more_lang TEXT, updated INTEGER NOT NULL)"
	" WITHOUT ROWID",
	NULL,
};

/* Sync (docs/sync.md): the durable journal sent up to the platform, and what the appliance knows of the platform.
 * AUTOINCREMENT: a seq is never reused, not even after the highest rows were purged. personal = 1 marks a record
 * carrying personal data (retention). sync_state has exactly one row. */
static const char *const upgrade_v4[] = {
	"CREATE TABLE journal (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 32 AND kind NOT GLOB '*[^a-z0-9_]*'),"
	" created INTEGER NOT NULL, body TEXT NOT NULL CHECK (json_valid(body)),"
	" personal INTEGER NOT NULL DEFAULT 0 CHECK (personal IN (0, 1)))",
	"CREATE INDEX journal_created ON journal (created)",
	"CREATE TABLE sync_state (id INTEGER PRIMARY KEY CHECK (id = 1), acked_seq INTEGER NOT NULL DEFAULT 0,"
	" last_success INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '',"
	" last_error_at INTEGER NOT NULL DEFAULT 0)",
	"INSERT INTO sync_state (id) VALUES (1)",
	"CREATE TABLE sync_bundle (kind TEXT PRIMARY KEY, version INTEGER NOT NULL, applied INTEGER NOT NULL)"
	" WITHOUT ROWID",
	NULL,
};

/* Cases (docs/cases.md section 1): complaints and callback requests, their events, staff runtime state, the
 * alerts that went out. Personal fields (*_enc) are sealed by the cases service; *_key are keyed hashes (NULL
 * once retention purged a closed case). Stable codes: kind 1..2, category 1..7, channel 1..4, state 1..5. */
static const char *const upgrade_v5[] = {
	"CREATE TABLE cases (id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" number INTEGER NOT NULL UNIQUE CHECK (number BETWEEN 0 AND 9999999),"
	" kind INTEGER NOT NULL CHECK (kind IN (1, 2)), category INTEGER NOT NULL CHECK (category BETWEEN 1 AND 7),"
	" country TEXT NOT NULL CHECK (length(country) = 2), lang TEXT NOT NULL,"
	" channel INTEGER NOT NULL CHECK (channel BETWEEN 1 AND 4), state INTEGER NOT NULL CHECK (state BETWEEN 1 AND "
	"5),"
	" reporter_key BLOB CHECK (reporter_key IS NULL OR length(reporter_key) = 32), reporter_enc BLOB,"
	" proxy INTEGER NOT NULL DEFAULT 0 CHECK (proxy IN (0, 1)),"
	" subject_key BLOB CHECK (subject_key IS NULL OR length(subject_key) = 32), subject_enc BLOB,"
	" text_enc BLOB, city_enc BLOB, employer_enc BLOB, pin_hash BLOB,"
	" pin_fails INTEGER NOT NULL DEFAULT 0, pin_locked_until INTEGER NOT NULL DEFAULT 0,"
	" assignee_key BLOB CHECK (assignee_key IS NULL OR length(assignee_key) = 32), tried BLOB,"
	" escalations INTEGER NOT NULL DEFAULT 0, claim_deadline INTEGER, answer_deadline INTEGER, route_at INTEGER,"
	" expect_at INTEGER, created INTEGER NOT NULL, updated INTEGER NOT NULL, closed INTEGER, synced INTEGER,"
	" purge_after INTEGER)",
	"CREATE INDEX cases_reporter ON cases (reporter_key, created)",
	"CREATE INDEX cases_subject ON cases (subject_key) WHERE subject_key IS NOT NULL",
	"CREATE INDEX cases_due ON cases (state, claim_deadline, answer_deadline, route_at)",
	"CREATE TABLE case_events (id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES cases(id),"
	" at INTEGER NOT NULL, event INTEGER NOT NULL, actor INTEGER NOT NULL,"
	" staff_key BLOB CHECK (staff_key IS NULL OR length(staff_key) = 32), text_enc BLOB, sms_out INTEGER)",
	"CREATE INDEX case_events_case ON case_events (case_id, id)",
	"CREATE INDEX case_events_out ON case_events (sms_out) WHERE sms_out IS NOT NULL",
	"CREATE TABLE staff_state (staff_key BLOB PRIMARY KEY CHECK (length(staff_key) = 32),"
	" duty_mode INTEGER NOT NULL CHECK (duty_mode IN (0, 1, 2)), duty_until INTEGER NOT NULL) WITHOUT ROWID",
	"CREATE TABLE cases_meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID",
	"CREATE TABLE case_alerts (id INTEGER PRIMARY KEY, category INTEGER NOT NULL, country TEXT NOT NULL,"
	" employer BLOB NOT NULL, at INTEGER NOT NULL, count INTEGER NOT NULL)",
	NULL,
};

/* v6. Deadlines: a partial index per deadline column replaces cases_due, which could not serve "any deadline
 * <= now" and made every routing step scan the table.
 * Early warning (docs/cases.md section 6) counted in the store, not in RAM: a complaint's warn_key is the keyed
 * hash of (category, country, normalised employer), so the count over the window and the last alert of a key are
 * two index look-ups inside the complaint's own transaction. Retention drops it with the other keyed hashes. */
static const char *const upgrade_v6[] = {
	"ALTER TABLE cases ADD COLUMN warn_key BLOB CHECK (warn_key IS NULL OR length(warn_key) = 32)",
	"CREATE INDEX cases_warn ON cases (warn_key, created) WHERE warn_key IS NOT NULL",
	"ALTER TABLE case_alerts ADD COLUMN warn_key BLOB CHECK (warn_key IS NULL OR length(warn_key) = 32)",
	"CREATE INDEX case_alerts_key ON case_alerts (warn_key, at)",
	"DROP INDEX cases_due",
	"CREATE INDEX cases_claim_due ON cases (claim_deadline) WHERE state != 5 AND claim_deadline IS NOT NULL",
	"CREATE INDEX cases_answer_due ON cases (answer_deadline) WHERE state != 5 AND answer_deadline IS NOT NULL",
	"CREATE INDEX cases_route_due ON cases (route_at) WHERE state != 5 AND route_at IS NOT NULL",
	NULL,
};

static const char *const *const upgrade_path[] = {
	upgrade_v1, upgrade_v2, upgrade_v3, upgrade_v4, upgrade_v5, upgrade_v6,
};

_Static_assert(ARRAY_SIZE(upgrade_path) == STORE_SCHEMA_VERSION, "one upgrade step per schema version");
_Static_assert(STORE_CALLER_KEY_LEN == 32, "the caller table CHECKs length(key) = 32");

/* Every dialog start reads its caller's language: a cache in front of the caller table saves the SQLite read,
 * its two fcntl() locks and an fstat(). Only store_caller_lang_set() writes that table and the daemon is the
 * file's only writer, so the cache is exact as long as it holds committed rows only: it is filled outside
 * transactions, and a write inside one only empties the key's slot (a rollback may undo it). 4-way set
 * associative, newest first: a direct-mapped table lost ~20 % of 1,000 callers to collisions. */
#define CALLER_CACHE_WAYS 4
#define CALLER_CACHE_SETS 1024 /* 64 B per slot: 256 KiB */
#define CALLER_CACHE_LANG 30
enum caller_slot_state { CALLER_SLOT_EMPTY, CALLER_SLOT_LANG, CALLER_SLOT_NONE };

struct caller_slot {
	uint8_t key[STORE_CALLER_KEY_LEN];
	uint8_t state; /* enum caller_slot_state */
	char lang[CALLER_CACHE_LANG + 1];
};

struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[_NUM_STORE_STMT];
	struct caller_slot *callers; /* CALLER_CACHE_SETS * CALLER_CACHE_WAYS */
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

/* Step a statement expected to return one row (bind_rc: the binds' result). 0: on the row, the caller reads it and
 * calls stmt_done(); -ENOENT: no row; else -errno (logged). In both error cases the statement is already reset. */
static int stmt_row(struct store *st, sqlite3_stmt *stmt, int bind_rc, const char *what)
{
	int rc = bind_rc;

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(stmt);
	}
	if (rc == SQLITE_ROW) {
		return 0;
	}
	if (rc == SQLITE_DONE) {
		stmt_done(stmt);
		return -ENOENT;
	}
	rc = store_fail(st, rc, what);
	stmt_done(stmt);
	return rc;
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
	st->callers = talloc_zero_array(st, struct caller_slot, CALLER_CACHE_SETS * CALLER_CACHE_WAYS);
	if (!st->path || !st->callers) {
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

/* The key's set (the key is a keyed hash: any 4 of its bytes are uniformly spread), and in it the key's slot
 * or, if it has none, NULL. */
static struct caller_slot *caller_set(struct store *st, const uint8_t *key, struct caller_slot **slot)
{
	struct caller_slot *set;
	uint32_t h;
	unsigned i;

	memcpy(&h, key, sizeof(h));
	set = &st->callers[(h % CALLER_CACHE_SETS) * CALLER_CACHE_WAYS];
	*slot = NULL;
	for (i = 0; i < CALLER_CACHE_WAYS; i++) {
		if (set[i].state != CALLER_SLOT_EMPTY && !memcmp(set[i].key, key, STORE_CALLER_KEY_LEN)) {
			*slot = &set[i];
			break;
		}
	}
	return set;
}

static void caller_slot_forget(struct store *st, const uint8_t *key)
{
	struct caller_slot *cs;

	caller_set(st, key, &cs);
	if (cs) {
		cs->state = CALLER_SLOT_EMPTY;
	}
}

/* Remember a committed row (lang), or that there is none (NULL), first in its set, in place of the key's old
 * slot, an empty one or the last. Inside a transaction, or for a code too long for a slot, the key's slot is
 * emptied instead. */
static void caller_slot_fill(struct store *st, const uint8_t *key, const char *lang)
{
	struct caller_slot *set, *cs;
	size_t len = lang ? strlen(lang) : 0;

	if (!sqlite3_get_autocommit(st->db) || len > CALLER_CACHE_LANG) {
		caller_slot_forget(st, key);
		return;
	}
	set = caller_set(st, key, &cs);
	for (unsigned i = 0; !cs && i < CALLER_CACHE_WAYS; i++) {
		cs = set[i].state == CALLER_SLOT_EMPTY ? &set[i] : NULL;
	}
	memmove(&set[1], &set[0], (size_t)((cs ? cs : &set[CALLER_CACHE_WAYS - 1]) - set) * sizeof(*set));
	memcpy(set[0].key, key, STORE_CALLER_KEY_LEN);
	set[0].state = lang ? CALLER_SLOT_LANG : CALLER_SLOT_NONE;
	memcpy(set[0].lang, lang ? lang : "", len + 1);
}

static int caller_lang_copy(const char *saved, char *lang, size_t lang_len)
{
	size_t len = strlen(saved);

	if (len >= lang_len) {
		return -ENOSPC;
	}
	memcpy(lang, saved, len + 1);
	return 0;
}

int store_caller_lang_get(struct store *st, const uint8_t key[STORE_CALLER_KEY_LEN], char *lang, size_t lang_len)
{
	struct caller_slot *cs;
	sqlite3_stmt *stmt;
	const char *saved;
	int rc;

	if (!st || !key || !lang) {
		return -EINVAL;
	}
	caller_set(st, key, &cs);
	if (cs) {
		return cs->state == CALLER_SLOT_LANG ? caller_lang_copy(cs->lang, lang, lang_len) : -ENOENT;
	}
	stmt = st->stmt[STORE_STMT_CALLER_GET];
	rc = sqlite3_bind_blob(stmt, 1, key, STORE_CALLER_KEY_LEN, SQLITE_STATIC);
	rc = stmt_row(st, stmt, rc, "reading caller language");
	if (rc == -ENOENT) {
		caller_slot_fill(st, key, NULL);
	}
	if (rc < 0) {
		return rc;
	}
	rc = col_text(st, stmt, 0, true, &saved);
	if (rc == 0) {
		caller_slot_fill(st, key, saved);
		rc = caller_lang_copy(saved, lang, lang_len);
	}
	stmt_done(stmt);
	return rc;
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
	rc = stmt_exec(st, STORE_STMT_CALLER_SET, rc, "saving caller language");
	if (rc == 0) {
		caller_slot_fill(st, key, lang);
	} else {
		caller_slot_forget(st, key); /* the row's state is unknown: read it next time */
	}
	return rc;
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

/* --- transactions ---------------------------------------------------------------------------- */

int store_begin(struct store *st)
{
	if (!st) {
		return -EINVAL;
	}
	if (!sqlite3_get_autocommit(st->db)) {
		LOGP(DSTORE, LOGL_ERROR, "%s: transaction begun while one is open\n", st->path);
		return -EBUSY;
	}
	return stmt_exec(st, STORE_STMT_BEGIN, SQLITE_OK, "begin");
}

int store_commit(struct store *st)
{
	int rc;

	if (!st) {
		return -EINVAL;
	}
	rc = stmt_exec(st, STORE_STMT_COMMIT, SQLITE_OK, "commit");
	if (rc < 0) {
		store_rollback(st);
	}
	return rc;
}

void store_rollback(struct store *st)
{
	if (!st || sqlite3_get_autocommit(st->db)) {
		return;
	}
	stmt_exec(st, STORE_STMT_ROLLBACK, SQLITE_OK, "rollback");
}

/* --- SMS ------------------------------------------------------------------------------------- */

static void bind_blob(int *rc, sqlite3_stmt *stmt, int idx, const void *p, size_t len)
{
	if (*rc == SQLITE_OK) {
		*rc = p ? sqlite3_bind_blob(stmt, idx, p, (int)len, SQLITE_STATIC) : sqlite3_bind_null(stmt, idx);
	}
}

static void bind_key(int *rc, sqlite3_stmt *stmt, int idx, const uint8_t *key)
{
	bind_blob(rc, stmt, idx, key, STORE_CALLER_KEY_LEN);
}

/* A blob column copied under ctx; NULL stays NULL. */
static int col_blob_dup(struct store *st, sqlite3_stmt *stmt, int i, void *ctx, const void **out, size_t *len)
{
	const void *p = sqlite3_column_blob(stmt, i);
	int n = sqlite3_column_bytes(stmt, i);

	if (!p) {
		*out = NULL;
		*len = 0;
		return 0;
	}
	*out = talloc_memdup(ctx, p, (size_t)n);
	*len = (size_t)n;
	return *out ? 0 : -ENOMEM;
}

static int col_key(struct store *st, sqlite3_stmt *stmt, int i, uint8_t *key)
{
	const void *p = sqlite3_column_blob(stmt, i);

	if (!p || sqlite3_column_bytes(stmt, i) != STORE_CALLER_KEY_LEN) {
		LOGP(DSTORE, LOGL_ERROR, "%s: bad key in column %s\n", st->path, sqlite3_column_name(stmt, i));
		return -EBADMSG;
	}
	memcpy(key, p, STORE_CALLER_KEY_LEN);
	return 0;
}

static int64_t col_int_or(sqlite3_stmt *stmt, int i, int64_t dflt)
{
	return sqlite3_column_type(stmt, i) == SQLITE_NULL ? dflt : sqlite3_column_int64(stmt, i);
}

/* Step a statement that returns one row of one nullable integer: -ENOENT for NULL. */
static int stmt_min(struct store *st, enum store_stmt id, int bind_rc, const char *what, int64_t *out)
{
	sqlite3_stmt *stmt = st->stmt[id];
	int rc = bind_rc;

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(stmt);
	}
	if (rc != SQLITE_ROW) {
		rc = store_fail(st, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, what);
		stmt_done(stmt);
		return rc;
	}
	if (sqlite3_column_type(stmt, 0) == SQLITE_NULL) {
		stmt_done(stmt);
		return -ENOENT;
	}
	*out = sqlite3_column_int64(stmt, 0);
	stmt_done(stmt);
	return 0;
}

static int64_t last_id(struct store *st)
{
	return sqlite3_last_insert_rowid(st->db);
}

int store_sms_part_add(struct store *st, const struct store_sms_part *p, int64_t dup_since, int64_t *id)
{
	sqlite3_stmt *stmt;
	int64_t seen = 0;
	int rc = SQLITE_OK;

	if (!st || !p || !p->sender_enc || !p->text_enc) {
		return -EINVAL;
	}
	stmt = st->stmt[STORE_STMT_SMS_PART_SEEN];
	bind_key(&rc, stmt, 1, p->dedupe);
	bind_int64(&rc, stmt, 2, dup_since);
	if (rc != SQLITE_OK) {
		rc = store_fail(st, rc, "binding part dedupe");
		stmt_done(stmt);
		return rc;
	}
	rc = stmt_int64(st, STORE_STMT_SMS_PART_SEEN, "looking up a part", &seen);
	if (rc < 0) {
		return rc;
	}
	if (seen) {
		return -EEXIST;
	}
	rc = SQLITE_OK;
	stmt = st->stmt[STORE_STMT_SMS_PART_INS];
	bind_key(&rc, stmt, 1, p->dedupe);
	bind_key(&rc, stmt, 2, p->g.sender_key);
	bind_blob(&rc, stmt, 3, p->sender_enc, p->sender_enc_len);
	bind_int64(&rc, stmt, 4, p->concat ? 1 : 0);
	bind_int64(&rc, stmt, 5, p->concat && p->g.ref16 ? 1 : 0);
	bind_int64(&rc, stmt, 6, p->concat ? p->g.ref : 0);
	bind_int64(&rc, stmt, 7, p->concat ? p->g.total : 1);
	bind_int64(&rc, stmt, 8, p->concat ? p->seq : 1);
	bind_int64(&rc, stmt, 9, p->coding);
	bind_blob(&rc, stmt, 10, p->text_enc, p->text_enc_len);
	bind_int64(&rc, stmt, 11, p->received);
	bind_int64(&rc, stmt, 12, p->deadline);
	bind_text(&rc, stmt, 13, p->modem);
	rc = stmt_exec(st, STORE_STMT_SMS_PART_INS, rc, "storing a received part");
	if (rc == 0 && id) {
		*id = last_id(st);
	}
	return rc;
}

static void bind_group(int *rc, sqlite3_stmt *stmt, const struct store_sms_group *g)
{
	bind_key(rc, stmt, 1, g->sender_key);
	bind_int64(rc, stmt, 2, g->ref16 ? 1 : 0);
	bind_int64(rc, stmt, 3, g->ref);
	bind_int64(rc, stmt, 4, g->total);
}

int store_sms_group_foreach(struct store *st, const struct store_sms_group *g, store_sms_group_cb cb, void *data)
{
	sqlite3_stmt *stmt;
	int rc = SQLITE_OK, ret = 0;

	if (!st || !g || !cb) {
		return -EINVAL;
	}
	stmt = st->stmt[STORE_STMT_SMS_GROUP_SEL];
	bind_group(&rc, stmt, g);
	if (rc != SQLITE_OK) {
		rc = store_fail(st, rc, "binding a part group");
		stmt_done(stmt);
		return rc;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const void *b = sqlite3_column_blob(stmt, 1);
		int n = sqlite3_column_bytes(stmt, 1);
		int64_t seq = sqlite3_column_int64(stmt, 0);

		ret = cb(data, seq < 0 || seq > 255 ? 0 : (unsigned)seq, b, b ? (size_t)n : 0);
		if (ret) {
			break;
		}
	}
	if (!ret && rc != SQLITE_DONE) {
		ret = store_fail(st, rc, "reading a part group");
	}
	stmt_done(stmt);
	return ret;
}

int store_sms_group_link(struct store *st, const struct store_sms_group *g, int64_t msg_id)
{
	sqlite3_stmt *stmt;
	int rc = SQLITE_OK;

	if (!st || !g) {
		return -EINVAL;
	}
	stmt = st->stmt[STORE_STMT_SMS_GROUP_LINK];
	bind_group(&rc, stmt, g);
	bind_int64(&rc, stmt, 5, msg_id);
	return stmt_exec(st, STORE_STMT_SMS_GROUP_LINK, rc, "linking parts to a message");
}

int store_sms_group_expired(struct store *st, int64_t now, void *ctx, struct store_sms_group *g, void **sender_enc,
			    size_t *sender_enc_len, int64_t *received, char **modem)
{
	sqlite3_stmt *stmt;
	const void *enc;
	const char *m;
	int rc = SQLITE_OK;

	if (!st || !g || !sender_enc || !sender_enc_len || !received || !modem) {
		return -EINVAL;
	}
	stmt = st->stmt[STORE_STMT_SMS_GROUP_EXPIRED];
	bind_int64(&rc, stmt, 1, now);
	rc = stmt_row(st, stmt, rc, "looking for expired part groups");
	if (rc < 0) {
		return rc;
	}
	rc = col_key(st, stmt, 0, g->sender_key);
	if (rc == 0) {
		g->ref16 = sqlite3_column_int64(stmt, 1) != 0;
		g->ref = (unsigned)sqlite3_column_int64(stmt, 2);
		g->total = (unsigned)sqlite3_column_int64(stmt, 3);
		*received = sqlite3_column_int64(stmt, 6);
		rc = col_blob_dup(st, stmt, 5, ctx, &enc, sender_enc_len);
		*sender_enc = (void *)enc;
	}
	if (rc == 0) {
		m = (const char *)sqlite3_column_text(stmt, 7);
		*modem = m ? talloc_strdup(ctx, m) : NULL;
	}
	stmt_done(stmt);
	return rc;
}

int store_sms_part_next_deadline(struct store *st, int64_t *t)
{
	if (!st || !t) {
		return -EINVAL;
	}
	return stmt_min(st, STORE_STMT_SMS_PART_DEADLINE, SQLITE_OK, "reading the next part deadline", t);
}

int store_sms_msg_add(struct store *st, const struct store_sms_msg *m, int64_t *id)
{
	sqlite3_stmt *stmt;
	int rc = SQLITE_OK;

	if (!st || !m || !m->sender_enc || !m->text_enc) {
		return -EINVAL;
	}
	stmt = st->stmt[STORE_STMT_SMS_MSG_INS];
	bind_key(&rc, stmt, 1, m->sender_key);
	bind_blob(&rc, stmt, 2, m->sender_enc, m->sender_enc_len);
	bind_blob(&rc, stmt, 3, m->text_enc, m->text_enc_len);
	bind_int64(&rc, stmt, 4, m->parts);
	bind_int64(&rc, stmt, 5, m->incomplete ? 1 : 0);
	bind_int64(&rc, stmt, 6, m->received);
	bind_text(&rc, stmt, 7, m->modem);
	rc = stmt_exec(st, STORE_STMT_SMS_MSG_INS, rc, "storing a received message");
	if (rc == 0 && id) {
		*id = last_id(st);
	}
	return rc;
}

int store_sms_msg_next(struct store *st, int64_t after_id, void *ctx, struct store_sms_msg *m)
{
	sqlite3_stmt *stmt;
	const char *modem;
	int rc = SQLITE_OK;

	if (!st || !m) {
		return -EINVAL;
	}
	memset(m, 0, sizeof(*m));
	stmt = st->stmt[STORE_STMT_SMS_MSG_NEXT];
	bind_int64(&rc, stmt, 1, after_id);
	rc = stmt_row(st, stmt, rc, "reading the next new message");
	if (rc < 0) {
		return rc;
	}
	m->id = sqlite3_column_int64(stmt, 0);
	rc = col_key(st, stmt, 1, m->sender_key);
	if (rc == 0) {
		rc = col_blob_dup(st, stmt, 2, ctx, &m->sender_enc, &m->sender_enc_len);
	}
	if (rc == 0) {
		rc = col_blob_dup(st, stmt, 3, ctx, &m->text_enc, &m->text_enc_len);
	}
	if (rc == 0) {
		int64_t parts = sqlite3_column_int64(stmt, 4);
		m->parts = parts < 0 || parts > 255 ? 0 : (unsigned)parts;
		m->incomplete = sqlite3_column_int64(stmt, 5) != 0;
		m->received = sqlite3_column_int64(stmt, 6);
		modem = (const char *)sqlite3_column_text(stmt, 7);
		m->modem = modem ? talloc_strdup(ctx, modem) : NULL;
	}
	stmt_done(stmt);
	return rc;
}

int store_sms_msg_finish(struct store *st, int64_t id, enum store_sms_msg_state state, int64_t now)
{
	static const char *const names[] = {"new", "handled", "quarantined"};
	sqlite3_stmt *stmt;
	int rc = SQLITE_OK;

	if (!st || state > STORE_SMS_MSG_QUARANTINED) {
		return -EINVAL;
	}
	stmt = st->stmt[STORE_STMT_SMS_MSG_FINISH];
	bind_int64(&rc, stmt, 1, id);
	bind_text(&rc, stmt, 2, names[state]);
	bind_int64(&rc, stmt, 3, now);
	rc = stmt_exec(st, STORE_STMT_SMS_MSG_FINISH, rc, "finishing a message");
	if (rc == 0 && sqlite3_changes(st->db) != 1) {
		return -ENOENT;
	}
	return rc;
}

long store_sms_msg_recent(struct store *st, const uint8_t key[STORE_CALLER_KEY_LEN], int64_t since)
{
	sqlite3_stmt *stmt;
	int64_t n;
	int rc = SQLITE_OK;

	if (!st || !key) {
		return -EINVAL;
	}
	stmt = st->stmt[STORE_STMT_SMS_MSG_RECENT];
	bind_key(&rc, stmt, 1, key);
	bind_int64(&rc, stmt, 2, since);
	if (rc != SQLITE_OK) {
		rc = store_fail(st, rc, "binding recent messages");
		stmt_done(stmt);
		return rc;
	}
	rc = stmt_int64(st, STORE_STMT_SMS_MSG_RECENT, "counting recent messages", &n);
	return rc < 0 ? rc : (long)n;
}

static const char *const out_state_names[] = {
	[STORE_SMS_OUT_QUEUED] = "queued", [STORE_SMS_OUT_SENDING] = "sending", [STORE_SMS_OUT_SENT] = "sent",
	[STORE_SMS_OUT_RETRY] = "retry",   [STORE_SMS_OUT_FAILED] = "failed",
};

const char *store_sms_out_state_name(enum store_sms_out_state s)
{
	return (unsigned)s < ARRAY_SIZE(out_state_names) ? out_state_names[s] : "?";
}

static int out_state_parse(const char *s)
{
	unsigned i;

	for (i = 0; s && i < ARRAY_SIZE(out_state_names); i++) {
		if (!strcmp(s, out_state_names[i])) {
			return (int)i;
		}
	}
	return -EBADMSG;
}

int store_sms_out_add(struct store *st, const struct store_sms_out *o, int64_t *id)
{
	sqlite3_stmt *stmt;
	int rc = SQLITE_OK;

	if (!st || !o || !o->number_enc || !o->text_enc) {
		return -EINVAL;
	}
	stmt = st->stmt[STORE_STMT_SMS_OUT_INS];
	if (o->msg_id > 0) {
		bind_int64(&rc, stmt, 1, o->msg_id);
	}
	bind_key(&rc, stmt, 2, o->number_key);
	bind_blob(&rc, stmt, 3, o->number_enc, o->number_enc_len);
	bind_blob(&rc, stmt, 4, o->text_enc, o->text_enc_len);
	bind_int64(&rc, stmt, 5, o->coding);
	bind_int64(&rc, stmt, 6, o->ref);
	bind_int64(&rc, stmt, 7, o->total);
	bind_int64(&rc, stmt, 8, o->seq);
	bind_int64(&rc, stmt, 9, o->flags);
	bind_int64(&rc, stmt, 10, o->created);
	rc = stmt_exec(st, STORE_STMT_SMS_OUT_INS, rc, "queueing an SMS part");
	if (rc == 0 && id) {
		*id = last_id(st);
	}
	return rc;
}

static int out_foreach(struct store *st, enum store_stmt id, store_sms_out_cb cb, void *data)
{
	sqlite3_stmt *stmt = st->stmt[id];
	int rc, ret = 0;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_sms_out o = {0};
		int state;

		o.id = sqlite3_column_int64(stmt, 0);
		o.msg_id = col_int_or(stmt, 1, 0);
		ret = col_key(st, stmt, 2, o.number_key);
		if (ret) {
			break;
		}
		o.number_enc = sqlite3_column_blob(stmt, 3);
		o.number_enc_len = (size_t)sqlite3_column_bytes(stmt, 3);
		o.text_enc = sqlite3_column_blob(stmt, 4);
		o.text_enc_len = (size_t)sqlite3_column_bytes(stmt, 4);
		o.coding = (unsigned)sqlite3_column_int64(stmt, 5);
		o.ref = (unsigned)sqlite3_column_int64(stmt, 6);
		o.total = (unsigned)sqlite3_column_int64(stmt, 7);
		o.seq = (unsigned)sqlite3_column_int64(stmt, 8);
		o.flags = (unsigned)sqlite3_column_int64(stmt, 9);
		state = out_state_parse((const char *)sqlite3_column_text(stmt, 10));
		if (state < 0) {
			ret = state;
			break;
		}
		o.state = (enum store_sms_out_state)state;
		o.modem = (const char *)sqlite3_column_text(stmt, 11);
		o.attempts = (int)sqlite3_column_int64(stmt, 12);
		o.mr = (int)col_int_or(stmt, 13, -1);
		o.report = (int)col_int_or(stmt, 14, -1);
		o.last_error = (int)col_int_or(stmt, 15, 0);
		o.created = sqlite3_column_int64(stmt, 16);
		o.next_at = sqlite3_column_int64(stmt, 17);
		o.updated = sqlite3_column_int64(stmt, 18);
		ret = cb(data, &o);
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

int store_sms_out_due(struct store *st, int64_t now, unsigned max, store_sms_out_cb cb, void *data)
{
	int rc = SQLITE_OK;

	if (!st || !cb) {
		return -EINVAL;
	}
	bind_int64(&rc, st->stmt[STORE_STMT_SMS_OUT_DUE], 1, now);
	bind_int64(&rc, st->stmt[STORE_STMT_SMS_OUT_DUE], 2, max);
	if (rc != SQLITE_OK) {
		rc = store_fail(st, rc, "binding due parts");
		stmt_done(st->stmt[STORE_STMT_SMS_OUT_DUE]);
		return rc;
	}
	return out_foreach(st, STORE_STMT_SMS_OUT_DUE, cb, data);
}

int store_sms_out_recent(struct store *st, unsigned max, store_sms_out_cb cb, void *data)
{
	int rc = SQLITE_OK;

	if (!st || !cb) {
		return -EINVAL;
	}
	bind_int64(&rc, st->stmt[STORE_STMT_SMS_OUT_RECENT], 1, max);
	if (rc != SQLITE_OK) {
		rc = store_fail(st, rc, "binding recent parts");
		stmt_done(st->stmt[STORE_STMT_SMS_OUT_RECENT]);
		return rc;
	}
	return out_foreach(st, STORE_STMT_SMS_OUT_RECENT, cb, data);
}

int store_sms_out_update(struct store *st, int64_t id, enum store_sms_out_state state, const char *modem, int mr,
			 int last_error, int64_t next_at, int64_t now, bool attempt, bool unattempt)
{
	sqlite3_stmt *stmt;
	int rc = SQLITE_OK;

	if (!st || (unsigned)state >= ARRAY_SIZE(out_state_names)) {
		return -EINVAL;
	}
	stmt = st->stmt[STORE_STMT_SMS_OUT_UPDATE];
	bind_int64(&rc, stmt, 1, id);
	bind_text(&rc, stmt, 2, out_state_names[state]);
	bind_text(&rc, stmt, 3, modem);
	if (mr >= 0) {
		bind_int64(&rc, stmt, 4, mr);
	}
	if (last_error) {
		bind_int64(&rc, stmt, 5, last_error);
	}
	bind_int64(&rc, stmt, 6, next_at);
	bind_int64(&rc, stmt, 7, now);
	bind_int64(&rc, stmt, 8, attempt ? 1 : unattempt ? -1 : 0);
	rc = stmt_exec(st, STORE_STMT_SMS_OUT_UPDATE, rc, "updating an SMS part");
	if (rc == 0 && sqlite3_changes(st->db) != 1) {
		return -ENOENT;
	}
	return rc;
}

int store_sms_out_report(struct store *st, const uint8_t key[STORE_CALLER_KEY_LEN], int mr, int status, int64_t now)
{
	sqlite3_stmt *stmt;
	int rc = SQLITE_OK;

	if (!st || !key) {
		return -EINVAL;
	}
	stmt = st->stmt[STORE_STMT_SMS_OUT_REPORT];
	bind_key(&rc, stmt, 1, key);
	bind_int64(&rc, stmt, 2, mr);
	bind_int64(&rc, stmt, 3, status);
	bind_int64(&rc, stmt, 4, now);
	rc = stmt_exec(st, STORE_STMT_SMS_OUT_REPORT, rc, "recording a delivery report");
	if (rc == 0 && sqlite3_changes(st->db) != 1) {
		return -ENOENT;
	}
	return rc;
}

long store_sms_out_recover(struct store *st, int64_t now)
{
	int rc = SQLITE_OK;

	if (!st) {
		return -EINVAL;
	}
	bind_int64(&rc, st->stmt[STORE_STMT_SMS_OUT_RECOVER], 1, now);
	rc = stmt_exec(st, STORE_STMT_SMS_OUT_RECOVER, rc, "recovering parts left sending");
	return rc < 0 ? rc : (long)sqlite3_changes(st->db);
}

int store_sms_out_next_at(struct store *st, int64_t *t)
{
	if (!st || !t) {
		return -EINVAL;
	}
	return stmt_min(st, STORE_STMT_SMS_OUT_NEXT_AT, SQLITE_OK, "reading the next send time", t);
}

int store_sms_stats(struct store *st, struct store_sms_stats *s)
{
	sqlite3_stmt *stmt;
	long *f[] = {&s->parts,		 &s->parts_open,  &s->msg_new,	   &s->msg_handled, &s->msg_quarantined,
		     &s->msg_incomplete, &s->out_queued,  &s->out_sending, &s->out_retry,   &s->out_sent,
		     &s->out_failed,	 &s->out_reports, &s->opted_out};
	unsigned i;
	int rc;

	if (!st || !s) {
		return -EINVAL;
	}
	stmt = st->stmt[STORE_STMT_SMS_STATS];
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		rc = store_fail(st, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, "reading SMS counters");
		stmt_done(stmt);
		return rc;
	}
	for (i = 0; i < ARRAY_SIZE(f); i++) {
		*f[i] = (long)sqlite3_column_int64(stmt, (int)i);
	}
	stmt_done(stmt);
	return 0;
}

int store_sms_caller_get(struct store *st, const uint8_t key[STORE_CALLER_KEY_LEN], void *ctx,
			 struct store_sms_caller *c)
{
	sqlite3_stmt *stmt;
	const char *lang;
	int rc = SQLITE_OK;

	if (!st || !key || !c) {
		return -EINVAL;
	}
	memset(c, 0, sizeof(*c));
	stmt = st->stmt[STORE_STMT_SMS_CALLER_GET];
	bind_key(&rc, stmt, 1, key);
	rc = stmt_row(st, stmt, rc, "reading SMS caller state");
	if (rc < 0) {
		return rc;
	}
	c->opted_out = sqlite3_column_int64(stmt, 0) != 0;
	c->notice_at = sqlite3_column_int64(stmt, 1);
	rc = col_blob_dup(st, stmt, 2, ctx, &c->more_enc, &c->more_enc_len);
	lang = (const char *)sqlite3_column_text(stmt, 3);
	if (rc == 0 && lang) {
		c->more_lang = talloc_strdup(ctx, lang);
		rc = c->more_lang ? 0 : -ENOMEM;
	}
	stmt_done(stmt);
	return rc;
}

int store_sms_caller_put(struct store *st, const uint8_t key[STORE_CALLER_KEY_LEN], const struct store_sms_caller *c,
			 int64_t now)
{
	sqlite3_stmt *stmt;
	int rc = SQLITE_OK;

	if (!st || !key || !c || (c->more_lang && !str_ok(c->more_lang))) {
		return -EINVAL;
	}
	stmt = st->stmt[STORE_STMT_SMS_CALLER_PUT];
	bind_key(&rc, stmt, 1, key);
	bind_int64(&rc, stmt, 2, c->opted_out ? 1 : 0);
	bind_int64(&rc, stmt, 3, c->notice_at);
	bind_blob(&rc, stmt, 4, c->more_enc, c->more_enc_len);
	bind_text(&rc, stmt, 5, c->more_lang);
	bind_int64(&rc, stmt, 6, now);
	return stmt_exec(st, STORE_STMT_SMS_CALLER_PUT, rc, "saving SMS caller state");
}

long store_sms_out_attempts(struct store *st, int64_t id)
{
	sqlite3_stmt *stmt;
	int64_t n;
	int rc = SQLITE_OK;

	if (!st) {
		return -EINVAL;
	}
	stmt = st->stmt[STORE_STMT_SMS_OUT_ATTEMPTS];
	bind_int64(&rc, stmt, 1, id);
	rc = stmt_row(st, stmt, rc, "reading attempts");
	if (rc < 0) {
		return rc;
	}
	n = sqlite3_column_int64(stmt, 0);
	stmt_done(stmt);
	return (long)n;
}

/* --- sync journal and retention ---------------------------------------------------------------- */

static bool journal_kind_ok(const char *k)
{
	size_t n = k ? strlen(k) : 0;

	return n >= 1 && n <= 32 && strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

int store_journal_append(struct store *st, const char *kind, int64_t created, const char *body, bool personal,
			 uint64_t *seq)
{
	sqlite3_stmt *stmt;
	int rc = SQLITE_OK;

	if (!st || !journal_kind_ok(kind) || !str_ok(body)) {
		return -EINVAL;
	}
	stmt = st->stmt[STORE_STMT_JOURNAL_INS];
	bind_text(&rc, stmt, 1, kind);
	bind_int64(&rc, stmt, 2, created);
	bind_text(&rc, stmt, 3, body);
	bind_int64(&rc, stmt, 4, personal ? 1 : 0);
	rc = stmt_exec(st, STORE_STMT_JOURNAL_INS, rc, "appending a journal record");
	if (rc == 0 && seq) {
		*seq = (uint64_t)last_id(st);
	}
	return rc;
}

int store_journal_read(struct store *st, uint64_t after, unsigned max, void *ctx, struct store_journal_rec *out)
{
	sqlite3_stmt *stmt;
	unsigned n = 0;
	int rc = SQLITE_OK;

	if (!st || (max && !out) || after > INT64_MAX) {
		return -EINVAL;
	}
	stmt = st->stmt[STORE_STMT_JOURNAL_READ];
	bind_int64(&rc, stmt, 1, (int64_t)after);
	bind_int64(&rc, stmt, 2, max);
	if (rc != SQLITE_OK) {
		rc = store_fail(st, rc, "binding a journal read");
		stmt_done(stmt);
		return rc;
	}
	while (n < max && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(stmt, 1);
		const char *body = (const char *)sqlite3_column_text(stmt, 3);

		out[n].seq = (uint64_t)sqlite3_column_int64(stmt, 0);
		out[n].created = sqlite3_column_int64(stmt, 2);
		out[n].personal = sqlite3_column_int64(stmt, 4) != 0;
		out[n].kind = talloc_strdup(ctx, kind ? kind : "");
		out[n].body = talloc_strdup(ctx, body ? body : "null");
		if (!out[n].kind || !out[n].body) {
			stmt_done(stmt);
			return -ENOMEM;
		}
		n++;
	}
	if (n < max && rc != SQLITE_DONE) {
		rc = store_fail(st, rc, "reading the journal");
		stmt_done(stmt);
		return rc;
	}
	stmt_done(stmt);
	return (int)n;
}

int store_journal_backlog(struct store *st, uint64_t after, uint64_t *count)
{
	int64_t n;
	int rc = SQLITE_OK;

	if (!st || !count || after > INT64_MAX) {
		return -EINVAL;
	}
	bind_int64(&rc, st->stmt[STORE_STMT_JOURNAL_BACKLOG], 1, (int64_t)after);
	if (rc != SQLITE_OK) {
		rc = store_fail(st, rc, "binding the journal backlog");
		stmt_done(st->stmt[STORE_STMT_JOURNAL_BACKLOG]);
		return rc;
	}
	rc = stmt_int64(st, STORE_STMT_JOURNAL_BACKLOG, "counting the journal backlog", &n);
	if (rc == 0) {
		*count = n < 0 ? 0 : (uint64_t)n;
	}
	return rc;
}

int store_journal_acked(struct store *st, uint64_t seq)
{
	int rc = SQLITE_OK;

	if (!st || seq > INT64_MAX) {
		return -EINVAL;
	}
	bind_int64(&rc, st->stmt[STORE_STMT_SYNC_ACKED], 1, (int64_t)seq);
	return stmt_exec(st, STORE_STMT_SYNC_ACKED, rc, "recording a journal ack");
}

int store_sync_state_get(struct store *st, struct store_sync_state *s)
{
	sqlite3_stmt *stmt;
	const char *err;
	int rc;

	if (!st || !s) {
		return -EINVAL;
	}
	memset(s, 0, sizeof(*s));
	stmt = st->stmt[STORE_STMT_SYNC_STATE_GET];
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		rc = store_fail(st, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, "reading the sync state");
		stmt_done(stmt);
		return rc;
	}
	s->acked_seq = (uint64_t)sqlite3_column_int64(stmt, 0);
	s->last_success = sqlite3_column_int64(stmt, 1);
	err = (const char *)sqlite3_column_text(stmt, 2);
	osmo_strlcpy(s->last_error, err ? err : "", sizeof(s->last_error));
	s->last_error_at = sqlite3_column_int64(stmt, 3);
	stmt_done(stmt);
	return 0;
}

int store_sync_result(struct store *st, int64_t now, const char *error)
{
	enum store_stmt id = error ? STORE_STMT_SYNC_RESULT_ERR : STORE_STMT_SYNC_RESULT_OK;
	int rc = SQLITE_OK;

	if (!st || (error && !utf8_valid(error))) {
		return -EINVAL;
	}
	bind_int64(&rc, st->stmt[id], 1, now);
	if (error) {
		bind_text(&rc, st->stmt[id], 2, error);
	}
	return stmt_exec(st, id, rc, "recording a sync result");
}

int store_sync_bundle_get(struct store *st, const char *kind, uint64_t *version)
{
	sqlite3_stmt *stmt;
	int rc = SQLITE_OK;

	if (!st || !str_ok(kind) || !version) {
		return -EINVAL;
	}
	*version = 0;
	stmt = st->stmt[STORE_STMT_SYNC_BUNDLE_GET];
	bind_text(&rc, stmt, 1, kind);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(stmt);
	}
	if (rc == SQLITE_ROW) {
		int64_t v = sqlite3_column_int64(stmt, 0);
		*version = v < 0 ? 0 : (uint64_t)v;
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = store_fail(st, rc, "reading a bundle version");
	}
	stmt_done(stmt);
	return rc;
}

int store_sync_bundle_set(struct store *st, const char *kind, uint64_t version, int64_t now)
{
	sqlite3_stmt *stmt;
	int rc = SQLITE_OK;

	if (!st || !str_ok(kind) || version > INT64_MAX) {
		return -EINVAL;
	}
	stmt = st->stmt[STORE_STMT_SYNC_BUNDLE_SET];
	bind_text(&rc, stmt, 1, kind);
	bind_int64(&rc, stmt, 2, (int64_t)version);
	bind_int64(&rc, stmt, 3, now);
	return stmt_exec(st, STORE_STMT_SYNC_BUNDLE_SET, rc, "recording a bundle version");
}

static int purge_step(struct store *st, enum store_stmt id, int64_t before, bool gate, const char *what, long *count)
{
	int rc = SQLITE_OK;

	bind_int64(&rc, st->stmt[id], 1, before);
	if (sqlite3_bind_parameter_count(st->stmt[id]) >= 2) {
		bind_int64(&rc, st->stmt[id], 2, gate ? 1 : 0);
	}
	rc = stmt_exec(st, id, rc, what);
	if (rc == 0) {
		*count = (long)sqlite3_changes(st->db);
	}
	return rc;
}

int store_retention_purge(struct store *st, int64_t journal_before, int64_t sms_before, bool wait_for_ack,
			  struct store_purge_counts *c)
{
	struct store_purge_counts n = {0};
	int rc;

	if (!st) {
		return -EINVAL;
	}
	rc = store_begin(st);
	if (rc < 0) {
		return rc;
	}
	rc = purge_step(st, STORE_STMT_PURGE_JOURNAL, journal_before, wait_for_ack,
			"purging acknowledged journal records", &n.journal);
	if (rc == 0) {
		rc = purge_step(st, STORE_STMT_PURGE_SMS_PART, sms_before, wait_for_ack, "purging received parts",
				&n.sms_parts);
	}
	if (rc == 0) {
		rc = purge_step(st, STORE_STMT_PURGE_SMS_OUT, sms_before, wait_for_ack, "purging sent replies",
				&n.sms_out);
	}
	if (rc == 0) {
		rc = purge_step(st, STORE_STMT_PURGE_SMS_MSG, sms_before, wait_for_ack, "purging finished messages",
				&n.sms_msgs);
	}
	if (rc == 0) {
		rc = purge_step(st, STORE_STMT_PURGE_SMS_MORE, sms_before, wait_for_ack, "purging kept reply rests",
				&n.sms_more);
	}
	if (rc == 0) {
		rc = purge_step(st, STORE_STMT_PURGE_CASE_EVENTS, sms_before, wait_for_ack,
				"purging closed cases' event texts", &n.case_events);
	}
	if (rc == 0) {
		rc = purge_step(st, STORE_STMT_PURGE_CASES, sms_before, wait_for_ack,
				"purging closed cases' personal fields", &n.cases);
	}
	if (rc < 0) {
		store_rollback(st);
		return rc;
	}
	rc = store_commit(st);
	if (rc == 0 && c) {
		*c = n;
	}
	return rc;
}

/* --- cases ----------------------------------------------------------------------------------------------- */

static void bind_opt_key(int *rc, sqlite3_stmt *stmt, int idx, const uint8_t *key)
{
	bind_blob(rc, stmt, idx, key, STORE_CALLER_KEY_LEN);
}

static void bind_opt_time(int *rc, sqlite3_stmt *stmt, int idx, int64_t t)
{
	if (*rc == SQLITE_OK) {
		*rc = t ? sqlite3_bind_int64(stmt, idx, t) : sqlite3_bind_null(stmt, idx);
	}
}

static bool case_country_ok(const char *c)
{
	return c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' && c[2] == '\0';
}

int store_case_next_seq(struct store *st, uint64_t *seq)
{
	int64_t v;
	int rc;

	if (!st || !seq) {
		return -EINVAL;
	}
	rc = stmt_int64(st, STORE_STMT_CASE_NEXT_SEQ, "reading the case sequence", &v);
	if (rc == 0) {
		*seq = v < 0 ? 0 : (uint64_t)v;
	}
	return rc;
}

int store_case_add(struct store *st, const struct store_case *c)
{
	sqlite3_stmt *stmt;
	int rc = SQLITE_OK;

	if (!st || !c || c->id <= 0 || c->number > 9999999 || !c->lang || !str_ok(c->lang) ||
	    !case_country_ok(c->country) || !c->reporter_key || !c->reporter_enc) {
		return -EINVAL;
	}
	stmt = st->stmt[STORE_STMT_CASE_INS];
	bind_int64(&rc, stmt, 1, c->id);
	bind_int64(&rc, stmt, 2, c->number);
	bind_int64(&rc, stmt, 3, c->kind);
	bind_int64(&rc, stmt, 4, c->category);
	bind_text(&rc, stmt, 5, c->country);
	bind_text(&rc, stmt, 6, c->lang);
	bind_int64(&rc, stmt, 7, c->channel);
	bind_int64(&rc, stmt, 8, c->state);
	bind_opt_key(&rc, stmt, 9, c->reporter_key);
	bind_blob(&rc, stmt, 10, c->reporter_enc, c->reporter_enc_len);
	bind_int64(&rc, stmt, 11, c->proxy ? 1 : 0);
	bind_opt_key(&rc, stmt, 12, c->subject_key);
	bind_blob(&rc, stmt, 13, c->subject_enc, c->subject_enc_len);
	bind_blob(&rc, stmt, 14, c->text_enc, c->text_enc_len);
	bind_blob(&rc, stmt, 15, c->city_enc, c->city_enc_len);
	bind_blob(&rc, stmt, 16, c->employer_enc, c->employer_enc_len);
	bind_blob(&rc, stmt, 17, c->pin_hash, c->pin_hash_len);
	bind_opt_time(&rc, stmt, 18, c->claim_deadline);
	bind_opt_time(&rc, stmt, 19, c->answer_deadline);
	bind_opt_time(&rc, stmt, 20, c->route_at);
	bind_opt_time(&rc, stmt, 21, c->expect_at);
	bind_int64(&rc, stmt, 22, c->created);
	bind_opt_key(&rc, stmt, 23, c->warn_key);
	return stmt_exec(st, STORE_STMT_CASE_INS, rc, "storing a case");
}

/* A key column copied under ctx; NULL stays NULL, a wrong length is corruption. */
static int col_key_dup(struct store *st, sqlite3_stmt *stmt, int i, void *ctx, const uint8_t **out)
{
	const void *p = sqlite3_column_blob(stmt, i);

	*out = NULL;
	if (!p) {
		return 0;
	}
	if (sqlite3_column_bytes(stmt, i) != STORE_CALLER_KEY_LEN) {
		LOGP(DSTORE, LOGL_ERROR, "%s: bad key in column %s\n", st->path, sqlite3_column_name(stmt, i));
		return -EBADMSG;
	}
	*out = talloc_memdup(ctx, p, STORE_CALLER_KEY_LEN);
	return *out ? 0 : -ENOMEM;
}

/* Read a row of STORE_CASE_COLS; blobs and strings under ctx. */
static int row_case(struct store *st, sqlite3_stmt *stmt, void *ctx, struct store_case *c)
{
	const char *country = (const char *)sqlite3_column_text(stmt, 4);
	const char *lang = (const char *)sqlite3_column_text(stmt, 5);
	int rc = 0;

	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(stmt, 0);
	c->number = (uint32_t)sqlite3_column_int64(stmt, 1);
	c->kind = sqlite3_column_int(stmt, 2);
	c->category = sqlite3_column_int(stmt, 3);
	if (country && strlen(country) == 2) {
		memcpy(c->country, country, 3);
	} else {
		memcpy(c->country, "ZZ", 3);
	}
	c->lang = talloc_strdup(ctx, lang ? lang : "");
	if (!c->lang) {
		return -ENOMEM;
	}
	c->channel = sqlite3_column_int(stmt, 6);
	c->state = sqlite3_column_int(stmt, 7);
	rc = col_key_dup(st, stmt, 8, ctx, &c->reporter_key);
	if (rc == 0) {
		rc = col_blob_dup(st, stmt, 9, ctx, &c->reporter_enc, &c->reporter_enc_len);
	}
	c->proxy = sqlite3_column_int64(stmt, 10) != 0;
	if (rc == 0) {
		rc = col_key_dup(st, stmt, 11, ctx, &c->subject_key);
	}
	if (rc == 0) {
		rc = col_blob_dup(st, stmt, 12, ctx, &c->subject_enc, &c->subject_enc_len);
	}
	if (rc == 0) {
		rc = col_blob_dup(st, stmt, 13, ctx, &c->text_enc, &c->text_enc_len);
	}
	if (rc == 0) {
		rc = col_blob_dup(st, stmt, 14, ctx, &c->city_enc, &c->city_enc_len);
	}
	if (rc == 0) {
		rc = col_blob_dup(st, stmt, 15, ctx, &c->employer_enc, &c->employer_enc_len);
	}
	if (rc == 0) {
		rc = col_blob_dup(st, stmt, 16, ctx, &c->pin_hash, &c->pin_hash_len);
	}
	c->pin_fails = sqlite3_column_int(stmt, 17);
	c->pin_locked_until = sqlite3_column_int64(stmt, 18);
	if (rc == 0) {
		rc = col_key_dup(st, stmt, 19, ctx, &c->assignee_key);
	}
	if (rc == 0) {
		rc = col_blob_dup(st, stmt, 20, ctx, &c->tried, &c->tried_len);
	}
	c->escalations = sqlite3_column_int(stmt, 21);
	c->claim_deadline = col_int_or(stmt, 22, 0);
	c->answer_deadline = col_int_or(stmt, 23, 0);
	c->route_at = col_int_or(stmt, 24, 0);
	c->expect_at = col_int_or(stmt, 25, 0);
	c->created = sqlite3_column_int64(stmt, 26);
	c->updated = sqlite3_column_int64(stmt, 27);
	c->closed = col_int_or(stmt, 28, 0);
	return rc;
}

/* Step a statement returning at most one case row: 0 and *c, -ENOENT, or -errno. */
static int case_one(struct store *st, enum store_stmt id, int bind_rc, void *ctx, struct store_case *c,
		    const char *what)
{
	sqlite3_stmt *stmt = st->stmt[id];
	int rc = bind_rc;

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(stmt);
	}
	if (rc == SQLITE_DONE) {
		stmt_done(stmt);
		return -ENOENT;
	}
	if (rc != SQLITE_ROW) {
		rc = store_fail(st, rc, what);
		stmt_done(stmt);
		return rc;
	}
	rc = row_case(st, stmt, ctx, c);
	stmt_done(stmt);
	return rc;
}

/* The one case a statement with one integer parameter selects. */
static int case_by(struct store *st, enum store_stmt id, int64_t value, void *ctx, struct store_case *c,
		   const char *what)
{
	int rc = SQLITE_OK;

	if (!st || !c) {
		return -EINVAL;
	}
	bind_int64(&rc, st->stmt[id], 1, value);
	return case_one(st, id, rc, ctx, c, what);
}

int store_case_get(struct store *st, uint32_t number, void *ctx, struct store_case *c)
{
	return case_by(st, STORE_STMT_CASE_GET_NUMBER, number, ctx, c, "reading a case");
}

int store_case_get_id(struct store *st, int64_t id, void *ctx, struct store_case *c)
{
	return case_by(st, STORE_STMT_CASE_GET_ID, id, ctx, c, "reading a case");
}

int store_case_due(struct store *st, int64_t now, void *ctx, struct store_case *c)
{
	return case_by(st, STORE_STMT_CASE_DUE, now, ctx, c, "reading a due case");
}

int store_case_update(struct store *st, const struct store_case *c)
{
	sqlite3_stmt *stmt;
	int rc = SQLITE_OK;

	if (!st || !c || c->state < 1 || c->state > 5) {
		return -EINVAL;
	}
	stmt = st->stmt[STORE_STMT_CASE_UPDATE];
	bind_int64(&rc, stmt, 1, c->id);
	bind_int64(&rc, stmt, 2, c->state);
	bind_opt_key(&rc, stmt, 3, c->assignee_key);
	bind_blob(&rc, stmt, 4, c->tried, c->tried_len);
	bind_int64(&rc, stmt, 5, c->escalations);
	bind_opt_time(&rc, stmt, 6, c->claim_deadline);
	bind_opt_time(&rc, stmt, 7, c->answer_deadline);
	bind_opt_time(&rc, stmt, 8, c->route_at);
	bind_opt_time(&rc, stmt, 9, c->expect_at);
	bind_int64(&rc, stmt, 10, c->pin_fails);
	bind_int64(&rc, stmt, 11, c->pin_locked_until);
	bind_int64(&rc, stmt, 12, c->updated);
	bind_opt_time(&rc, stmt, 13, c->closed);
	rc = stmt_exec(st, STORE_STMT_CASE_UPDATE, rc, "updating a case");
	if (rc == 0 && sqlite3_changes(st->db) != 1) {
		return -ENOENT;
	}
	return rc;
}

int store_case_next_deadline(struct store *st, int64_t *t)
{
	int64_t v;
	int rc;

	if (!st || !t) {
		return -EINVAL;
	}
	rc = stmt_min(st, STORE_STMT_CASE_NEXT_DEADLINE, SQLITE_OK, "reading the next case deadline", &v);
	if (rc == 0 && v == INT64_MAX) {
		return -ENOENT;
	}
	if (rc == 0) {
		*t = v;
	}
	return rc;
}

int store_case_list(struct store *st, unsigned max, store_case_cb cb, void *data)
{
	sqlite3_stmt *stmt;
	int rc = SQLITE_OK;

	if (!st || !cb) {
		return -EINVAL;
	}
	stmt = st->stmt[STORE_STMT_CASE_LIST];
	bind_int64(&rc, stmt, 1, max);
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		struct store_case c;
		void *tmp;

		rc = sqlite3_step(stmt);
		if (rc != SQLITE_ROW) {
			break;
		}
		tmp = talloc_new(NULL);
		if (!tmp) {
			stmt_done(stmt);
			return -ENOMEM;
		}
		rc = row_case(st, stmt, tmp, &c);
		if (rc == 0) {
			rc = cb(data, &c);
		}
		talloc_free(tmp);
		if (rc != 0) {
			stmt_done(stmt);
			return rc;
		}
		rc = SQLITE_ROW;
	}
	if (rc != SQLITE_DONE) {
		rc = store_fail(st, rc, "listing cases");
		stmt_done(stmt);
		return rc;
	}
	stmt_done(stmt);
	return 0;
}

int store_case_beep_find(struct store *st, const uint8_t key[STORE_CALLER_KEY_LEN], int64_t since, int64_t now,
			 int64_t *id)
{
	int64_t found;
	int rc = SQLITE_OK;

	if (!st || !key || !id) {
		return -EINVAL;
	}
	bind_key(&rc, st->stmt[STORE_STMT_CASE_BEEP], 1, key);
	bind_int64(&rc, st->stmt[STORE_STMT_CASE_BEEP], 2, since);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st->stmt[STORE_STMT_CASE_BEEP]);
	}
	if (rc == SQLITE_DONE) {
		stmt_done(st->stmt[STORE_STMT_CASE_BEEP]);
		return -ENOENT;
	}
	if (rc != SQLITE_ROW) {
		rc = store_fail(st, rc, "looking for a recent callback");
		stmt_done(st->stmt[STORE_STMT_CASE_BEEP]);
		return rc;
	}
	found = sqlite3_column_int64(st->stmt[STORE_STMT_CASE_BEEP], 0);
	stmt_done(st->stmt[STORE_STMT_CASE_BEEP]);
	rc = SQLITE_OK;
	bind_int64(&rc, st->stmt[STORE_STMT_CASE_TOUCH], 1, found);
	bind_int64(&rc, st->stmt[STORE_STMT_CASE_TOUCH], 2, now);
	rc = stmt_exec(st, STORE_STMT_CASE_TOUCH, rc, "touching a callback");
	if (rc == 0) {
		*id = found;
	}
	return rc;
}

int store_case_event_add(struct store *st, const struct store_case_event *e, int64_t *id)
{
	sqlite3_stmt *stmt;
	int rc = SQLITE_OK;

	if (!st || !e || e->case_id <= 0) {
		return -EINVAL;
	}
	stmt = st->stmt[STORE_STMT_CASE_EVENT_INS];
	bind_int64(&rc, stmt, 1, e->case_id);
	bind_int64(&rc, stmt, 2, e->at);
	bind_int64(&rc, stmt, 3, e->event);
	bind_int64(&rc, stmt, 4, e->actor);
	bind_opt_key(&rc, stmt, 5, e->staff_key);
	bind_blob(&rc, stmt, 6, e->text_enc, e->text_enc_len);
	bind_opt_time(&rc, stmt, 7, e->sms_out);
	rc = stmt_exec(st, STORE_STMT_CASE_EVENT_INS, rc, "storing a case event");
	if (rc == 0 && id) {
		*id = last_id(st);
	}
	return rc;
}

int store_case_event_foreach(struct store *st, int64_t case_id, store_case_event_cb cb, void *data)
{
	sqlite3_stmt *stmt;
	int rc = SQLITE_OK;

	if (!st || !cb) {
		return -EINVAL;
	}
	stmt = st->stmt[STORE_STMT_CASE_EVENT_SEL];
	bind_int64(&rc, stmt, 1, case_id);
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		struct store_case_event e = {0};
		const void *key;

		rc = sqlite3_step(stmt);
		if (rc != SQLITE_ROW) {
			break;
		}
		e.id = sqlite3_column_int64(stmt, 0);
		e.case_id = sqlite3_column_int64(stmt, 1);
		e.at = sqlite3_column_int64(stmt, 2);
		e.event = sqlite3_column_int(stmt, 3);
		e.actor = (unsigned)sqlite3_column_int(stmt, 4);
		key = sqlite3_column_blob(stmt, 5);
		e.staff_key = key && sqlite3_column_bytes(stmt, 5) == STORE_CALLER_KEY_LEN ? key : NULL;
		e.text_enc = sqlite3_column_blob(stmt, 6);
		e.text_enc_len = (size_t)sqlite3_column_bytes(stmt, 6);
		e.sms_out = col_int_or(stmt, 7, 0);
		rc = cb(data, &e);
		if (rc != 0) {
			stmt_done(stmt);
			return rc;
		}
		rc = SQLITE_ROW;
	}
	if (rc != SQLITE_DONE) {
		rc = store_fail(st, rc, "reading case events");
		stmt_done(stmt);
		return rc;
	}
	stmt_done(stmt);
	return 0;
}

/* Step a statement that returns at most one row of one integer: 0, -ENOENT for no row, -errno. */
static int stmt_opt_int64(struct store *st, enum store_stmt id, int bind_rc, const char *what, int64_t *out)
{
	sqlite3_stmt *stmt = st->stmt[id];
	int rc = bind_rc;

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(stmt);
	}
	if (rc == SQLITE_DONE) {
		stmt_done(stmt);
		return -ENOENT;
	}
	if (rc != SQLITE_ROW) {
		rc = store_fail(st, rc, what);
		stmt_done(stmt);
		return rc;
	}
	*out = sqlite3_column_int64(stmt, 0);
	stmt_done(stmt);
	return 0;
}

int store_case_route_now(struct store *st, int64_t now, long *n)
{
	int rc = SQLITE_OK;

	if (!st) {
		return -EINVAL;
	}
	bind_int64(&rc, st->stmt[STORE_STMT_CASE_ROUTE_NOW], 1, now);
	rc = stmt_exec(st, STORE_STMT_CASE_ROUTE_NOW, rc, "routing waiting cases now");
	if (rc == 0 && n) {
		*n = (long)sqlite3_changes(st->db);
	}
	return rc;
}

int store_case_journaled(struct store *st, int64_t case_id, int64_t seq)
{
	int rc = SQLITE_OK;

	if (!st || case_id <= 0 || seq <= 0) {
		return -EINVAL;
	}
	bind_int64(&rc, st->stmt[STORE_STMT_CASE_JOURNALED], 1, case_id);
	bind_int64(&rc, st->stmt[STORE_STMT_CASE_JOURNALED], 2, seq);
	rc = stmt_exec(st, STORE_STMT_CASE_JOURNALED, rc, "recording a case's journal seq");
	return rc == 0 && sqlite3_changes(st->db) == 0 ? -ENOENT : rc;
}

int store_case_by_sms_out(struct store *st, int64_t out_id, int64_t *case_id)
{
	int rc = SQLITE_OK;

	if (!st || !case_id) {
		return -EINVAL;
	}
	bind_int64(&rc, st->stmt[STORE_STMT_CASE_EVENT_BY_OUT], 1, out_id);
	return stmt_opt_int64(st, STORE_STMT_CASE_EVENT_BY_OUT, rc, "finding a case by outbox part", case_id);
}

int store_staff_state_get(struct store *st, const uint8_t key[STORE_CALLER_KEY_LEN], int *mode, int64_t *until)
{
	sqlite3_stmt *stmt;
	int rc = SQLITE_OK;

	if (!st || !key || !mode || !until) {
		return -EINVAL;
	}
	stmt = st->stmt[STORE_STMT_STAFF_STATE_GET];
	bind_key(&rc, stmt, 1, key);
	rc = stmt_row(st, stmt, rc, "reading staff state");
	if (rc < 0) {
		return rc;
	}
	*mode = sqlite3_column_int(stmt, 0);
	*until = sqlite3_column_int64(stmt, 1);
	stmt_done(stmt);
	return 0;
}

int store_staff_state_put(struct store *st, const uint8_t key[STORE_CALLER_KEY_LEN], int mode, int64_t until)
{
	int rc = SQLITE_OK;

	if (!st || !key || mode < 0 || mode > 2) {
		return -EINVAL;
	}
	bind_key(&rc, st->stmt[STORE_STMT_STAFF_STATE_PUT], 1, key);
	bind_int64(&rc, st->stmt[STORE_STMT_STAFF_STATE_PUT], 2, mode);
	bind_int64(&rc, st->stmt[STORE_STMT_STAFF_STATE_PUT], 3, until);
	return stmt_exec(st, STORE_STMT_STAFF_STATE_PUT, rc, "saving staff state");
}

int store_cases_meta_get(struct store *st, const char *key, int64_t *value)
{
	int rc = SQLITE_OK;

	if (!st || !key || !str_ok(key) || !value) {
		return -EINVAL;
	}
	bind_text(&rc, st->stmt[STORE_STMT_CASES_META_GET], 1, key);
	return stmt_opt_int64(st, STORE_STMT_CASES_META_GET, rc, "reading cases meta", value);
}

int store_cases_meta_put(struct store *st, const char *key, int64_t value)
{
	int rc = SQLITE_OK;

	if (!st || !key || !str_ok(key)) {
		return -EINVAL;
	}
	bind_text(&rc, st->stmt[STORE_STMT_CASES_META_PUT], 1, key);
	bind_int64(&rc, st->stmt[STORE_STMT_CASES_META_PUT], 2, value);
	return stmt_exec(st, STORE_STMT_CASES_META_PUT, rc, "saving cases meta");
}

int store_case_alert_add(struct store *st, int category, const char *country, const void *employer_enc,
			 size_t employer_enc_len, int64_t at, int count, const uint8_t warn_key[STORE_CALLER_KEY_LEN])
{
	sqlite3_stmt *stmt;
	int rc = SQLITE_OK;

	if (!st || !country || !case_country_ok(country) || !employer_enc || !warn_key) {
		return -EINVAL;
	}
	stmt = st->stmt[STORE_STMT_CASE_ALERT_INS];
	bind_int64(&rc, stmt, 1, category);
	bind_text(&rc, stmt, 2, country);
	bind_blob(&rc, stmt, 3, employer_enc, employer_enc_len);
	bind_int64(&rc, stmt, 4, at);
	bind_int64(&rc, stmt, 5, count);
	bind_key(&rc, stmt, 6, warn_key);
	return stmt_exec(st, STORE_STMT_CASE_ALERT_INS, rc, "storing an alert");
}

int store_case_warn_count(struct store *st, const uint8_t warn_key[STORE_CALLER_KEY_LEN], int64_t since, long *n)
{
	int64_t v = 0;
	int rc = SQLITE_OK;

	if (!st || !warn_key || !n) {
		return -EINVAL;
	}
	bind_key(&rc, st->stmt[STORE_STMT_CASE_WARN_COUNT], 1, warn_key);
	bind_int64(&rc, st->stmt[STORE_STMT_CASE_WARN_COUNT], 2, since);
	rc = stmt_opt_int64(st, STORE_STMT_CASE_WARN_COUNT, rc, "counting complaints of a key", &v);
	*n = rc == 0 ? (long)v : 0;
	return rc == -ENOENT ? 0 : rc;
}

int store_case_alert_last(struct store *st, const uint8_t warn_key[STORE_CALLER_KEY_LEN], int64_t *at)
{
	int rc = SQLITE_OK;

	if (!st || !warn_key || !at) {
		return -EINVAL;
	}
	bind_key(&rc, st->stmt[STORE_STMT_CASE_ALERT_LAST], 1, warn_key);
	return stmt_opt_int64(st, STORE_STMT_CASE_ALERT_LAST, rc, "reading the last alert of a key", at);
}
