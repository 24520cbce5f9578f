/* The daemon's side of sync (docs/sync.md, "The daemon's wiring"): the journal over the store, a content sink that
 * hands a verified bundle to content_import(), the counters record, retention, and status. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include <yordam/log.h>
#include <yordam/sms.h>
#include <yordam/store.h>
#include <yordam/sync.h>
#include <yordam/ussd.h>

#include "daemon.h"

/* How often retention runs (and once at start). */
#define RETENTION_PERIOD_S 3600

struct daemon_sync {
	struct daemon *d;
	struct sync_client *client;
	void *batch; /* the records of the last read_batch, valid until the next journal call */
	char *why;   /* the last refusal report, valid until the sink's next call */
	struct osmo_timer_list counters_timer, retention_timer;
	char *last_counters; /* the counters last journaled (a record is written only when they moved) */
};

/* --- journal ops --------------------------------------------------------------------------------------------- */

static int j_last_acked(void *data, uint64_t *seq)
{
	struct daemon_sync *ds = data;
	struct store_sync_state ss;
	int rc = store_sync_state_get(ds->d->store, &ss);

	if (rc == 0) {
		*seq = ss.acked_seq;
	}
	return rc;
}

static int j_read_batch(void *data, uint64_t after, struct sync_record *out, unsigned max)
{
	struct daemon_sync *ds = data;
	struct store_journal_rec *r;
	int n, i;

	TALLOC_FREE(ds->batch);
	ds->batch = talloc_new(ds);
	r = ds->batch ? talloc_array(ds->batch, struct store_journal_rec, max ? max : 1) : NULL;
	if (!r) {
		return -ENOMEM;
	}
	n = store_journal_read(ds->d->store, after, max, ds->batch, r);
	for (i = 0; i < n; i++) {
		out[i] = (struct sync_record){
			.seq = r[i].seq,
			.time = r[i].created,
			.type = r[i].kind,
			.data = r[i].body,
			.data_len = strlen(r[i].body),
		};
	}
	return n;
}

static int j_acked(void *data, uint64_t seq)
{
	struct daemon_sync *ds = data;

	TALLOC_FREE(ds->batch);
	return store_journal_acked(ds->d->store, seq);
}

static int j_backlog(void *data, uint64_t after, uint64_t *count)
{
	struct daemon_sync *ds = data;

	return store_journal_backlog(ds->d->store, after, count);
}

static const struct sync_journal_ops journal_ops = {
	.last_acked = j_last_acked,
	.read_batch = j_read_batch,
	.acked = j_acked,
	.backlog = j_backlog,
};

/* --- content sink -------------------------------------------------------------------------------------------- */

static int s_current_version(void *data, const char *kind, uint64_t *version)
{
	struct daemon_sync *ds = data;

	return store_sync_bundle_get(ds->d->store, kind, version);
}

static void journal_bundle(struct daemon_sync *ds, const char *type, const char *kind, uint64_t version)
{
	json_t *j = json_pack("{s:s, s:I}", "kind", kind, "version", (json_int_t)version);

	if (j) {
		char *body = json_dumps(j, JSON_COMPACT);
		if (body) {
			daemon_journal_append(ds->d, type, body, false);
			free(body);
		}
		json_decref(j);
	}
}

/* content_import() is all or nothing: parsed and checked, then replaced in one store transaction, then put in
 * service; on any failure the content in service stays and its report says why. */
static int s_apply_bundle(void *data, const char *kind, uint64_t version, const char *dir, const char **why)
{
	struct daemon_sync *ds = data;
	char *report = NULL;
	int rc;

	TALLOC_FREE(ds->why);
	if (strcmp(kind, "content")) {
		*why = "unknown bundle kind";
		return -ENOTSUP;
	}
	rc = content_import(ds->d, dir, ds, &report);
	if (rc < 0) {
		/* The summary line ("import of DIR failed: N errors, ...") first: status keeps the start of it. */
		size_t len = strlen(report);
		const char *last = report + len;

		while (last > report && last[-1] == '\n') {
			last--;
		}
		while (last > report && last[-1] != '\n') {
			last--;
		}
		ds->why = talloc_asprintf(ds, "%s%.*s", last, (int)(last - report), report);
		*why = ds->why ? ds->why : report;
		LOGP(DMAIN, LOGL_ERROR, "content bundle version %" PRIu64 " refused:\n%s", version, report);
		if (ds->why) {
			talloc_free(report);
		} else {
			ds->why = report;
		}
		journal_bundle(ds, "bundle_refused", kind, version);
		return rc;
	}
	talloc_free(report);
	/* After the import: a crash in between makes the client fetch and apply the same version again. */
	rc = store_sync_bundle_set(ds->d->store, kind, version, time(NULL));
	if (rc < 0) {
		LOGP(DMAIN, LOGL_ERROR,
		     "content bundle version %" PRIu64 " in service, but its version not saved: %s\n", version,
		     strerror(-rc));
	}
	LOGP(DMAIN, LOGL_NOTICE, "content bundle version %" PRIu64 " in service\n", version);
	journal_bundle(ds, "bundle_applied", kind, version);
	return 0;
}

static const struct sync_sink_ops sink_ops = {
	.current_version = s_current_version,
	.apply_bundle = s_apply_bundle,
};

/* --- the journal's own records ------------------------------------------------------------------------------ */

int daemon_journal_append(struct daemon *d, const char *kind, const char *body, bool personal)
{
	uint64_t seq;
	int rc;

	if (!d->store) {
		return -ENODEV;
	}
	rc = store_journal_append(d->store, kind, time(NULL), body, personal, &seq);
	if (rc < 0) {
		LOGP(DMAIN, LOGL_ERROR, "journal: cannot append a %s record: %s\n", kind, strerror(-rc));
	}
	return rc;
}

/* {"since":T,"ports":[{"name":..,"kind":..,"sessions":..,...}],"sms":{...}} cumulative since the daemon started
 * (since): the platform takes differences. Nothing personal. */
static char *counters_json(struct daemon *d)
{
	json_t *j = json_object(), *ports = json_array();
	struct ussd_port *p;
	char *s = NULL;

	if (!j || !ports) {
		json_decref(j);
		json_decref(ports);
		return NULL;
	}
	json_object_set_new(j, "since", json_integer((json_int_t)d->started));
	llist_for_each_entry(p, ussd_engine_ports(d->engine), entry)
	{
		json_array_append_new(ports,
				      json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "name", p->name, "kind", p->kind,
						"sessions", (json_int_t)p->stats.sessions, "screens",
						(json_int_t)p->stats.screens, "invalid", (json_int_t)p->stats.invalid,
						"timeouts", (json_int_t)p->stats.timeouts, "aborts",
						(json_int_t)p->stats.aborts));
	}
	json_object_set_new(j, "ports", ports);
	if (d->sms) {
		struct sms_counters c;

		sms_get_counters(d->sms, &c);
		json_object_set_new(j, "sms",
				    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "rx_messages",
					      (json_int_t)c.rx_messages, "processed", (json_int_t)c.processed,
					      "quarantined", (json_int_t)c.quarantined, "replies",
					      (json_int_t)c.replies, "tx_parts", (json_int_t)c.tx_parts, "tx_ok",
					      (json_int_t)c.tx_ok, "tx_failed", (json_int_t)c.tx_failed));
	}
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return s;
}

static void counters_record(struct daemon_sync *ds)
{
	char *s = counters_json(ds->d);

	if (!s) {
		return;
	}
	if (!ds->last_counters || strcmp(s, ds->last_counters)) {
		if (daemon_journal_append(ds->d, "counters", s, false) == 0) {
			talloc_free(ds->last_counters);
			ds->last_counters = talloc_strdup(ds, s);
		}
	}
	free(s);
}

static void counters_cb(void *data)
{
	struct daemon_sync *ds = data;

	counters_record(ds);
	osmo_timer_schedule(&ds->counters_timer, ds->d->cfg->sync.counters_interval, 0);
}

static void retention_run(struct daemon_sync *ds)
{
	const struct yordam_config *cfg = ds->d->cfg;
	int64_t now = time(NULL);
	struct store_purge_counts c;
	int rc;

	rc = store_retention_purge(ds->d->store, now - (int64_t)cfg->sync.journal_retention_days * 86400,
				   now - (int64_t)cfg->sync.retention_days * 86400, cfg->sync.enabled, &c);
	if (rc < 0) {
		LOGP(DMAIN, LOGL_ERROR, "retention: purge failed: %s\n", strerror(-rc));
		return;
	}
	if (c.journal || c.sms_msgs || c.sms_out || c.sms_parts || c.sms_more || c.cases) {
		LOGP(DMAIN, LOGL_NOTICE,
		     "retention: purged %ld acknowledged journal records, %ld SMS messages, %ld replies, %ld parts, "
		     "%ld kept reply rests, %ld closed cases' personal fields\n",
		     c.journal, c.sms_msgs, c.sms_out, c.sms_parts, c.sms_more, c.cases);
	}
}

static void retention_cb(void *data)
{
	struct daemon_sync *ds = data;

	retention_run(ds);
	osmo_timer_schedule(&ds->retention_timer, RETENTION_PERIOD_S, 0);
}

/* Every round's outcome is kept in the store, so status after a restart still tells the last success. */
static void round_cb(void *data, bool ok)
{
	struct daemon_sync *ds = data;
	struct sync_status st;

	if (ok) {
		store_sync_result(ds->d->store, time(NULL), NULL);
		return;
	}
	sync_client_status(ds->client, &st);
	store_sync_result(ds->d->store, time(NULL), st.last_error[0] ? st.last_error : "round failed");
}

/* --- start, stop, status -------------------------------------------------------------------------------------- */

int daemon_sync_start(struct daemon *d)
{
	const struct yordam_config *cfg = d->cfg;
	struct sync_cfg sc = {
		.host = cfg->sync.host,
		.address = cfg->sync.address,
		.port = cfg->sync.port,
		.ca_file = cfg->sync.ca_file,
		.cert_file = cfg->sync.cert_file,
		.key_file = cfg->sync.key_file,
		.bundle_key_file = cfg->sync.bundle_key_file,
		.work_dir = cfg->sync.work_dir,
		.kinds = {"content", NULL},
		.interval_ms = cfg->sync.interval * 1000,
		.backoff_min_ms = cfg->sync.backoff_min_ms,
		.backoff_max_ms = cfg->sync.backoff_max_ms,
		.timeout_ms = cfg->sync.timeout * 1000,
		.batch_max = cfg->sync.batch_size,
	};
	struct daemon_sync *ds;
	char err[256] = "";

	if (!cfg->sync.enabled) {
		/* Personal data is purged on an appliance that never syncs too. */
		ds = talloc_zero(d->ctx, struct daemon_sync);
		if (!ds) {
			return -ENOMEM;
		}
		ds->d = d;
		osmo_timer_setup(&ds->retention_timer, retention_cb, ds);
		retention_cb(ds);
		d->sync = ds;
		return 0;
	}
	ds = talloc_zero(d->ctx, struct daemon_sync);
	if (!ds) {
		return -ENOMEM;
	}
	ds->d = d;
	if (mkdir(cfg->sync.work_dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "sync.work_dir %s: cannot create: %s\n", cfg->sync.work_dir, strerror(errno));
		talloc_free(ds);
		return -errno;
	}
	/* Loads keys and certificates only: the network is touched at the first round, so the daemon starts and
	 * serves without it. */
	ds->client = sync_client_alloc(ds, &sc, &journal_ops, ds, &sink_ops, ds, 500, err, sizeof(err));
	if (!ds->client) {
		fprintf(stderr, "sync: cannot start: %s\n", err);
		talloc_free(ds);
		return -EINVAL;
	}
	sync_client_set_round_cb(ds->client, round_cb, ds);
	osmo_timer_setup(&ds->counters_timer, counters_cb, ds);
	osmo_timer_setup(&ds->retention_timer, retention_cb, ds);
	osmo_timer_schedule(&ds->counters_timer, cfg->sync.counters_interval, 0);
	retention_cb(ds);
	d->sync = ds;
	LOGP(DMAIN, LOGL_NOTICE, "sync: platform %s at %s port %u, every %u s\n", cfg->sync.host, cfg->sync.address,
	     cfg->sync.port, cfg->sync.interval);
	return 0;
}

void daemon_sync_stop(struct daemon *d)
{
	struct daemon_sync *ds = d->sync;

	if (!ds) {
		return;
	}
	osmo_timer_del(&ds->retention_timer);
	if (ds->client) {
		osmo_timer_del(&ds->counters_timer);
		/* The counters as they are at the end of this run: the platform sees the last figures. */
		counters_record(ds);
		sync_client_free(ds->client);
	}
	talloc_free(ds);
	d->sync = NULL;
}

static void fmt_time(char *buf, size_t len, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!t || !gmtime_r(&tt, &tm)) {
		osmo_strlcpy(buf, "never", len);
		return;
	}
	strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

char *daemon_sync_status(struct daemon *d, void *ctx, bool brief)
{
	struct daemon_sync *ds = d->sync;
	struct store_sync_state ss;
	struct sync_status st;
	uint64_t backlog = 0, content = 0;
	char ok[40], at[40];
	int64_t last_success;
	const char *last_error;

	if (!ds || !ds->client) {
		return talloc_strdup(ctx, brief ? "sync: off\n" : "sync: off (sync.enabled is false)\n");
	}
	sync_client_status(ds->client, &st);
	if (store_sync_state_get(d->store, &ss) < 0) {
		memset(&ss, 0, sizeof(ss));
	}
	store_journal_backlog(d->store, ss.acked_seq, &backlog);
	store_sync_bundle_get(d->store, "content", &content);
	/* The client knows this run; the store also remembers earlier runs. */
	last_success = st.last_success ? (int64_t)st.last_success : ss.last_success;
	last_error = st.last_attempt ? st.last_error : ss.last_error;
	fmt_time(ok, sizeof(ok), last_success);
	if (brief) {
		return talloc_asprintf(ctx, "sync: last success %s, backlog %" PRIu64 ", last error %s\n", ok, backlog,
				       last_error[0] ? last_error : "none");
	}
	fmt_time(at, sizeof(at), (int64_t)st.last_attempt);
	return talloc_asprintf(
		ctx,
		"sync: platform %s (%s port %u)\n"
		"last success: %s\n"
		"last attempt: %s\n"
		"last error: %s\n"
		"backlog: %" PRIu64 "\n"
		"acked seq: %" PRIu64 "\n"
		"content version: %" PRIu64 "\n"
		"rounds: %u ok, %u failed (%u in a row)\n"
		"records sent: %" PRIu64 "\n"
		"bundles: %u applied, %u refused\n"
		"handshakes: %u full, %u resumed\n"
		"state: %s\n",
		d->cfg->sync.host, d->cfg->sync.address, d->cfg->sync.port, ok, at, last_error[0] ? last_error : "none",
		backlog, ss.acked_seq, content, st.rounds_ok, st.rounds_failed, st.consecutive_failures,
		st.records_sent, st.bundles_applied, st.bundles_rejected, st.handshakes_full, st.handshakes_resumed,
		st.busy ? "round in progress" : talloc_asprintf(ctx, "next round in %u ms", st.next_round_ms));
}

bool daemon_sync_trigger(struct daemon *d)
{
	if (!d->sync || !d->sync->client) {
		return false;
	}
	sync_client_trigger(d->sync->client);
	return true;
}
