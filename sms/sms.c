/* The SMS service: durable inbox with reassembly, processing, and the outbox queue.
 *
 * Like osmo-msc's sms_queue.c the database is the queue and RAM holds only what is in flight
 * between the main loop and the modem workers: received parts waiting for their (batched)
 * commit, and send results waiting for theirs. Coalescing timers drive the work:
 *  - rx_timer: commit the received parts gathered since the last run in one transaction, then
 *    delete them from the modems (never before);
 *  - work_timer: process new messages (each one's state change and reply rows atomically) and
 *    turn incomplete messages past their deadline into flagged messages;
 *  - send_timer: hand due outbox parts to ready modems; commit send results.
 * Deadlines (incomplete messages, retries) are absolute times in the store, so a restart or a
 * clock step resumes from the database, never from RAM. Batching changes only how many of those
 * atomic changes share one fsync. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include <yordam/log.h>
#include <yordam/menu.h>
#include <yordam/secret.h>
#include <yordam/sms.h>
#include <yordam/store.h>
#include <yordam/text.h>

#define RX_BATCH_MAX   128  /* received parts per transaction */
#define WORK_BATCH_MAX 64   /* messages processed per transaction */
#define SEND_BATCH_MAX 64   /* parts handed to modems per run */
#define RES_BATCH_MAX  256  /* send results per transaction */
#define RETRY_STORE_S  2    /* after a store error, try the work again this much later */
#define LAT_RING       4096 /* receive-to-commit latencies kept for the status (last parts) */

#define D_MSISDN "msisdn"
#define D_TEXT	 "sms-text"

struct sms_modem {
	struct llist_head entry;
	struct modem *m;
	bool full; /* modem_send said -EAGAIN: skip until its next send result */
};

struct rx_item {
	struct modem *m;
	struct modem_sms_part p;
};

struct tx_result {
	uint64_t id;
	int result, mr;
	char modem[MODEM_NAME_MAX];
};

struct sms_service {
	void *ctx;
	struct sms_cfg cfg;
	struct store *st;
	const struct secret *sec;
	sms_tree_fn tree_fn;
	void *tree_data;
	struct llist_head modems;
	struct osmo_timer_list rx_timer, work_timer, send_timer;
	struct rx_item *rx;
	unsigned n_rx;
	struct tx_result *res;
	unsigned n_res;
	unsigned next_ref;
	unsigned inflight;
	bool started;
	struct sms_counters cnt;
	/* receive-to-commit: ms from the worker reading a part to its commit, last LAT_RING parts */
	uint32_t *lat;
	uint64_t n_lat, commits;
	int64_t last_commit_ms;
	FILE *trace;	       /* YORDAM_SMS_TRACE: one "<monotonic ms> <parts>" line per commit (benchmarks) */
	sms_text_hook_fn hook; /* issue 4: the cases service sees a text before the menu keywords */
	void *hook_data;
	sms_fail_hook_fn fail_hook;
	void *fail_data;
	void *user_data; /* the owner's, for modem callbacks that are not the SMS service's (missed calls) */
};

#define LOGSMS(lvl, fmt, args...) LOGP(DSMS, lvl, fmt, ##args)

static struct sms_modem *find_modem(struct sms_service *svc, const struct modem *m);

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_s(void)
{
	struct timeval tv;

	osmo_gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec;
}

/* Schedule t to fire in delay_s seconds unless it already fires sooner. */
static void timer_coalesce(struct osmo_timer_list *t, int64_t delay_s)
{
	struct timeval rem;

	if (delay_s < 0) {
		delay_s = 0;
	}
	if (delay_s > 86400) {
		delay_s = 86400;
	}
	if (osmo_timer_pending(t) && osmo_timer_remaining(t, NULL, &rem) == 0 && rem.tv_sec <= delay_s) {
		return;
	}
	osmo_timer_schedule(t, (int)delay_s, 0);
}

static const struct menu_tree *svc_tree(struct sms_service *svc)
{
	return svc->tree_fn ? svc->tree_fn(svc->tree_data) : NULL;
}

static void masked(const char *number, char *out, size_t outlen)
{
	/* Above debug level a number keeps only its last 3 digits. */
	if (log_check_level(DSMS, LOGL_DEBUG)) {
		osmo_strlcpy(out, number, outlen);
	} else {
		sms_mask_number(number, 3, out, outlen);
	}
}

/* The look-up key of a number: normalised when it is a phone number, else (an alphanumeric sender) as given. */
static int number_key(struct sms_service *svc, const char *number, uint8_t key[STORE_CALLER_KEY_LEN])
{
	char norm[32];

	if (sms_number_norm(number, norm, sizeof(norm)) == 0) {
		return secret_hash(svc->sec, D_MSISDN, norm, key);
	}
	return secret_hash(svc->sec, D_MSISDN, number, key);
}

/* Mark one part failed for good (inside a transaction) and tell the owner. */
static int part_failed(struct sms_service *svc, int64_t id, int err, int64_t now)
{
	int rc = store_sms_out_update(svc->st, id, STORE_SMS_OUT_FAILED, NULL, -1, err, now, now, false, false);

	if (rc == 0 && svc->fail_hook) {
		rc = svc->fail_hook(svc->fail_data, id);
	}
	if (rc == 0) {
		svc->cnt.tx_failed++;
	}
	return rc;
}

/* --- outbox: queueing ------------------------------------------------------------------------- */

static int queue_parts(struct sms_service *svc, int64_t msg_id, const char *number, const uint8_t *key,
		       const char *text, unsigned flags, int64_t now, int64_t *first_id)
{
	struct text_sms_split *sp = talloc(svc, struct text_sms_split);
	uint8_t *num_enc = NULL;
	size_t num_len = 0;
	unsigned i, ref;
	int n, rc = 0;

	if (!sp) {
		return -ENOMEM;
	}
	n = text_sms_split(text, strlen(text), sp);
	if (n < 0) {
		talloc_free(sp);
		return n;
	}
	num_enc = secret_seal_talloc(sp, svc->sec, D_MSISDN, number, strlen(number), &num_len);
	if (!num_enc) {
		talloc_free(sp);
		return -EIO;
	}
	ref = svc->next_ref++ & 0xff;
	for (i = 0; i < (unsigned)n && rc == 0; i++) {
		struct store_sms_out o = {
			.msg_id = msg_id,
			.number_enc = num_enc,
			.number_enc_len = num_len,
			.coding = sp->coding == TEXT_UCS2 ? MODEM_UCS2 : MODEM_GSM7,
			.ref = n > 1 ? ref : 0,
			.total = (unsigned)n,
			.seq = i + 1,
			.flags = flags,
			.created = now,
		};
		size_t len;
		uint8_t *enc =
			secret_seal_talloc(sp, svc->sec, D_TEXT, text + sp->start[i], sp->end[i] - sp->start[i], &len);

		if (!enc) {
			rc = -EIO;
			break;
		}
		memcpy(o.number_key, key, STORE_CALLER_KEY_LEN);
		o.text_enc = enc;
		o.text_enc_len = len;
		rc = store_sms_out_add(svc->st, &o, i == 0 ? first_id : NULL);
	}
	talloc_free(sp);
	if (rc == 0) {
		svc->cnt.tx_parts += (unsigned)n;
	}
	return rc < 0 ? rc : n;
}

static const char *lang_code(const struct menu_tree *t, int lang)
{
	if (!t || !t->n_lang) {
		return "en";
	}
	if (lang < 0 || (unsigned)lang >= t->n_lang) {
		lang = (int)t->fallback;
	}
	return t->lang_code[lang];
}

/* Cut a reply to the cap, keep the rest for MORE in *c, queue it. Inside the caller's transaction. */
static int queue_reply(struct sms_service *svc, int64_t msg_id, const char *number, const uint8_t *key,
		       const char *text, const char *lang, unsigned flags, struct store_sms_caller *c, void *tmp,
		       int64_t now, int64_t *first_id)
{
	char *first, *rest;
	int rc;

	rc = sms_reply_cut(tmp, text, svc->cfg.fold_typo, (flags & SMS_SEND_NO_CAP) ? 0 : svc->cfg.parts_max,
			   sms_ui_text(lang, SMS_UI_MORE), &first, &rest);
	if (rc < 0) {
		return rc;
	}
	if (c) {
		c->more_enc = NULL;
		c->more_enc_len = 0;
		c->more_lang = NULL;
		if (rest) {
			c->more_enc = secret_seal_talloc(tmp, svc->sec, D_TEXT, rest, strlen(rest), &c->more_enc_len);
			if (!c->more_enc) {
				return -EIO;
			}
			c->more_lang = talloc_strdup(tmp, lang);
		}
	}
	return queue_parts(svc, msg_id, number, key, first, flags, now, first_id);
}

static void send_trigger(struct sms_service *svc, int64_t delay)
{
	if (svc->started) {
		timer_coalesce(&svc->send_timer, delay);
	}
}

/* Queue inside the caller's open transaction (sms_queue and sms_send). */
static int queue_in_tx(struct sms_service *svc, const char *number, const char *text, const char *lang, unsigned flags,
		       int64_t *first_id)
{
	uint8_t key[STORE_CALLER_KEY_LEN];
	struct store_sms_caller c;
	char norm[32], saved[16], mask[32];
	void *tmp;
	bool have_caller;
	int rc, n;

	if (!svc || !number || !text || sms_number_norm(number, norm, sizeof(norm)) < 0 ||
	    !text_utf8_valid(text, strlen(text))) {
		return -EINVAL;
	}
	rc = number_key(svc, number, key);
	if (rc < 0) {
		return rc;
	}
	tmp = talloc_new(svc);
	if (!tmp) {
		return -ENOMEM;
	}
	masked(number, mask, sizeof(mask));
	rc = store_sms_caller_get(svc->st, key, tmp, &c);
	if (rc < 0 && rc != -ENOENT) {
		goto out;
	}
	have_caller = rc == 0;
	if (have_caller && c.opted_out && !(flags & SMS_SEND_DIRECT)) {
		LOGSMS(LOGL_NOTICE, "%s opted out (STOP): not sending\n", mask);
		rc = -EPERM;
		goto out;
	}
	if (!lang) {
		lang = store_caller_lang_get(svc->st, key, saved, sizeof(saved)) == 0 ? saved : "en";
	}
	rc = queue_reply(svc, 0, number, key, text, lang, flags, &c, tmp, now_s(), first_id);
	if (rc < 0) {
		goto out;
	}
	n = rc;
	rc = store_sms_caller_put(svc->st, key, &c, now_s());
	if (rc == 0) {
		LOGSMS(LOGL_INFO, "queued %d part(s) to %s\n", n, mask);
		rc = n;
	}
out:
	talloc_free(tmp);
	return rc;
}

int sms_queue(struct sms_service *svc, const char *number, const char *text, const char *lang, unsigned flags,
	      int64_t *first_id)
{
	int rc = queue_in_tx(svc, number, text, lang, flags, first_id);

	if (rc > 0) {
		send_trigger(svc, 0); /* runs on the loop, after the caller's commit */
	}
	return rc;
}

int sms_send(struct sms_service *svc, const char *number, const char *text, const char *lang, unsigned flags)
{
	int rc, n;

	if (!svc) {
		return -EINVAL;
	}
	rc = store_begin(svc->st);
	if (rc < 0) {
		return rc;
	}
	n = queue_in_tx(svc, number, text, lang, flags, NULL);
	if (n < 0) {
		store_rollback(svc->st);
		return n;
	}
	rc = store_commit(svc->st);
	if (rc < 0) {
		return rc;
	}
	send_trigger(svc, 0);
	return n;
}

/* --- inbox: receiving -------------------------------------------------------------------------- */

/* Copy a string field of a modem event, which comes from another thread's fixed buffer: bounded and NUL-checked. */
static bool field_ok(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

void sms_on_received(void *data, struct modem *m, const struct modem_sms_part *p)
{
	struct sms_service *svc = data;
	struct rx_item *it;

	if (!svc || !p) {
		return;
	}
	svc->cnt.rx_parts++;
	if (!field_ok(p->sender, sizeof(p->sender)) || !field_ok(p->text, sizeof(p->text))) {
		/* Cannot happen with our modem layer; if it does, leave the part on the modem for an operator. */
		svc->cnt.rx_rejected++;
		LOGSMS(LOGL_ERROR, "%s: received part with unterminated fields, left on the modem\n",
		       m ? modem_name(m) : "?");
		return;
	}
	if (svc->n_rx >= RX_BATCH_MAX) {
		osmo_timer_del(&svc->rx_timer);
		svc->rx_timer.cb(svc);
	}
	it = &svc->rx[svc->n_rx++];
	/* A modem no longer ours (being freed) cannot delete: the part is stored and, delivered again later, is a
	 * recognised duplicate. */
	it->m = m && find_modem(svc, m) ? m : NULL;
	it->p = *p;
	if (!it->p.read_ms) {
		it->p.read_ms = mono_ms();
	}
	timer_coalesce(&svc->rx_timer, 0);
}

struct group_read {
	struct sms_service *svc;
	void *tmp;
	unsigned total;
	char *text[256];
	unsigned n_seq;
	int err;
};

static int group_read_cb(void *data, unsigned seq, const void *enc, size_t len)
{
	struct group_read *gr = data;

	if (seq < 1 || seq > gr->total || gr->text[seq]) {
		return 0; /* a second part with this seq (a reused reference): the first one counts */
	}
	gr->text[seq] = secret_open_str(gr->tmp, gr->svc->sec, D_TEXT, enc, len);
	if (!gr->text[seq]) {
		LOGSMS(LOGL_ERROR, "a stored part does not open (altered or another key): left out\n");
		gr->text[seq] = talloc_strdup(gr->tmp, "");
		if (!gr->text[seq]) {
			gr->err = -ENOMEM;
			return 1;
		}
	}
	gr->n_seq++;
	return 0;
}

/* Join the open parts of g into one message row (incomplete when some are missing). */
static int group_assemble(struct sms_service *svc, const struct store_sms_group *g, const void *sender_enc,
			  size_t sender_enc_len, int64_t received, const char *modem, bool incomplete, void *tmp,
			  bool *made)
{
	struct group_read gr = {.svc = svc, .tmp = tmp, .total = g->total};
	struct store_sms_msg msg = {0};
	char *text;
	unsigned i;
	int64_t id;
	int rc;

	*made = false;
	rc = store_sms_group_foreach(svc->st, g, group_read_cb, &gr);
	if (rc < 0 || gr.err) {
		return rc < 0 ? rc : gr.err;
	}
	if (!incomplete && gr.n_seq < g->total) {
		return 0;
	}
	text = talloc_strdup(tmp, "");
	for (i = 1; i <= g->total && text; i++) {
		if (gr.text[i]) {
			text = talloc_strdup_append(text, gr.text[i]);
		} else {
			/* A missing part shows where it was, so a reader of the message knows text is lost. */
			text = talloc_strdup_append(text, " … ");
		}
	}
	if (!text) {
		return -ENOMEM;
	}
	memcpy(msg.sender_key, g->sender_key, STORE_CALLER_KEY_LEN);
	msg.sender_enc = sender_enc;
	msg.sender_enc_len = sender_enc_len;
	msg.text_enc = secret_seal_talloc(tmp, svc->sec, D_TEXT, text, strlen(text), &msg.text_enc_len);
	if (!msg.text_enc) {
		return -EIO;
	}
	msg.parts = gr.n_seq;
	msg.incomplete = gr.n_seq < g->total;
	msg.received = received;
	msg.modem = modem;
	rc = store_sms_msg_add(svc->st, &msg, &id);
	if (rc == 0) {
		rc = store_sms_group_link(svc->st, g, id);
	}
	if (rc == 0) {
		*made = true;
		svc->cnt.rx_messages++;
		if (msg.incomplete) {
			svc->cnt.rx_incomplete++;
		}
	}
	return rc;
}

/* Store one part inside the batch transaction. 1 when it completed a message, 0 stored or duplicate. */
static int rx_one(struct sms_service *svc, const struct rx_item *it, int64_t now, void *tmp, bool *dup)
{
	const struct modem_sms_part *p = &it->p;
	struct store_sms_part sp = {0};
	char norm[32], *ident, *text;
	bool concat, made = false;
	int64_t dup_since = 0;
	uint8_t *enc;
	int rc;

	*dup = false;
	/* Outside input: a text that is not UTF-8 is kept with the bad bytes replaced, never dropped. */
	if (text_utf8_valid(p->text, strlen(p->text))) {
		text = talloc_strdup(tmp, p->text);
	} else {
		size_t i, len = strlen(p->text);
		text = talloc_strdup(tmp, "");
		for (i = 0; i < len && text;) {
			uint32_t cp;
			int n = text_utf8_next(p->text + i, len - i, &cp);
			if (n <= 0) {
				text = talloc_strdup_append(text, "\xef\xbf\xbd");
				i++;
			} else {
				text = talloc_strndup_append(text, p->text + i, (size_t)n);
				i += (size_t)n;
			}
		}
	}
	if (!text) {
		return -ENOMEM;
	}
	/* A UDH that makes no sense (0 parts, seq beyond total) is read as a single message. */
	concat = p->concat && p->concat_total >= 1 && p->concat_seq >= 1 && p->concat_seq <= p->concat_total;
	if (concat && p->concat_total == 1) {
		concat = false;
	}
	rc = number_key(svc, p->sender, sp.g.sender_key);
	if (rc < 0) {
		return rc;
	}
	if (sms_number_norm(p->sender, norm, sizeof(norm)) < 0) {
		osmo_strlcpy(norm, p->sender, sizeof(norm));
	}
	ident = talloc_asprintf(tmp, "%s|%d|%d|%u|%u|%u|%" PRId64 "|%d|%s", norm, concat, concat && p->concat_16bit,
				concat ? p->concat_ref : 0, concat ? p->concat_total : 1, concat ? p->concat_seq : 1,
				p->sent_time, (int)p->coding, text);
	if (!ident) {
		return -ENOMEM;
	}
	rc = secret_hash(svc->sec, "sms-part", ident, sp.dedupe);
	if (rc < 0) {
		return rc;
	}
	if (!concat && p->sent_time == 0) {
		/* Without an SMSC time two identical texts are told apart only by time. */
		dup_since = now - (int64_t)svc->cfg.dup_window;
	}
	sp.concat = concat;
	sp.g.ref16 = p->concat_16bit;
	sp.g.ref = p->concat_ref;
	sp.g.total = concat ? p->concat_total : 1;
	sp.seq = concat ? p->concat_seq : 1;
	sp.coding = (unsigned)p->coding;
	sp.sender_enc = enc =
		secret_seal_talloc(tmp, svc->sec, D_MSISDN, p->sender, strlen(p->sender), &sp.sender_enc_len);
	if (!enc) {
		return -EIO;
	}
	sp.text_enc = enc = secret_seal_talloc(tmp, svc->sec, D_TEXT, text, strlen(text), &sp.text_enc_len);
	if (!enc) {
		return -EIO;
	}
	sp.received = now;
	sp.deadline = now + (int64_t)svc->cfg.incomplete_timeout;
	sp.modem = it->m ? modem_name(it->m) : NULL;
	rc = store_sms_part_add(svc->st, &sp, dup_since, NULL);
	if (rc == -EEXIST) {
		*dup = true;
		return 0;
	}
	if (rc < 0) {
		return rc;
	}
	if (!concat) {
		struct store_sms_msg msg = {
			.sender_enc = sp.sender_enc,
			.sender_enc_len = sp.sender_enc_len,
			.text_enc = sp.text_enc,
			.text_enc_len = sp.text_enc_len,
			.parts = 1,
			.received = now,
			.modem = sp.modem,
		};
		memcpy(msg.sender_key, sp.g.sender_key, STORE_CALLER_KEY_LEN);
		rc = store_sms_msg_add(svc->st, &msg, NULL);
		if (rc == 0) {
			svc->cnt.rx_messages++;
		}
		return rc < 0 ? rc : 1;
	}
	rc = group_assemble(svc, &sp.g, sp.sender_enc, sp.sender_enc_len, now, sp.modem, false, tmp, &made);
	return rc < 0 ? rc : (made ? 1 : 0);
}

static void work_trigger(struct sms_service *svc, int64_t delay)
{
	if (svc->started) {
		timer_coalesce(&svc->work_timer, delay);
	}
}

static void expire_schedule(struct sms_service *svc)
{
	int64_t t;

	if (store_sms_part_next_deadline(svc->st, &t) == 0) {
		work_trigger(svc, t - now_s());
	}
}

/* Receive-to-commit figures of the batch in svc->rx just committed. */
static void note_commit(struct sms_service *svc, unsigned n)
{
	int64_t now = mono_ms();
	unsigned i;

	for (i = 0; i < n; i++) {
		int64_t d = now - svc->rx[i].p.read_ms;

		svc->lat[svc->n_lat++ % LAT_RING] = d < 0 ? 0 : d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
	}
	svc->commits++;
	svc->last_commit_ms = now;
	if (svc->trace) {
		fprintf(svc->trace, "%" PRId64 " %u\n", now, n);
		fflush(svc->trace);
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void rx_timer_cb(void *data)
{
	struct sms_service *svc = data;
	unsigned i, n = svc->n_rx, made = 0, dups = 0;
	int64_t now = now_s();
	void *tmp;
	int rc;

	if (!n) {
		return;
	}
	tmp = talloc_new(svc);
	rc = tmp ? store_begin(svc->st) : -ENOMEM;
	for (i = 0; i < n && rc >= 0; i++) {
		bool dup;
		rc = rx_one(svc, &svc->rx[i], now, tmp, &dup);
		if (rc > 0) {
			made++;
		}
		if (dup) {
			dups++;
		}
	}
	if (rc >= 0) {
		rc = store_commit(svc->st);
	} else {
		store_rollback(svc->st);
	}
	talloc_free(tmp);
	svc->n_rx = 0;
	if (rc < 0) {
		/* Nothing was deleted from the modems: every part is delivered again by the next storage sweep. */
		svc->cnt.rx_rejected += n;
		LOGSMS(LOGL_ERROR, "could not store %u received part(s): %s; left on the modem(s)\n", n, strerror(-rc));
		return;
	}
	svc->cnt.rx_duplicates += dups;
	note_commit(svc, n);
	/* Committed: now, and only now, the modems may forget them. A duplicate is deleted too: it is stored. */
	for (i = 0; i < n; i++) {
		struct rx_item *it = &svc->rx[i];
		if (it->m) {
			int drc = modem_sms_delete(it->m, it->p.folder, it->p.location);
			if (drc < 0) {
				LOGSMS(LOGL_NOTICE, "%s: delete of %d/%d failed: %s (a re-delivery is a duplicate)\n",
				       modem_name(it->m), it->p.folder, it->p.location, strerror(-drc));
			}
		}
	}
	LOGSMS(LOGL_DEBUG, "stored %u part(s): %u message(s) complete, %u duplicate(s)\n", n, made, dups);
	if (made) {
		work_trigger(svc, 0);
	}
	if (n > made + dups) {
		expire_schedule(svc);
	}
}

/* --- processing ---------------------------------------------------------------------------------- */

static char *help_text(void *tmp, const struct menu_tree *t, int lang, const char *code)
{
	char *s = talloc_strdup(tmp, sms_ui_text(code, SMS_UI_HELP));
	unsigned n, count = 0;

	if (!t || lang < 0) {
		return s;
	}
	for (n = 0; n < t->n_nodes && s; n++) {
		const char *k = t->nodes[n]->keywords[lang];
		size_t kl;
		if (!k || !*k) {
			continue;
		}
		kl = strcspn(k, ",");
		s = talloc_asprintf_append(s, "%s%.*s", count++ ? ", " : "\n", (int)kl, k);
	}
	return s;
}

/* Process one new message: decide, queue the reply, mark it. Inside the caller's transaction. */
static int process_one(struct sms_service *svc, const struct menu_tree *t, const struct store_sms_msg *msg, int64_t now,
		       void *tmp)
{
	struct store_sms_caller c;
	struct sms_cmd cmd;
	char saved[16], mask[32], norm[32];
	char *sender, *text, *body = NULL;
	int lang = -1, saved_lang = -1;
	bool have_caller, save_lang = false;
	const char *code;
	long recent;
	int rc;

	sender = secret_open_str(tmp, svc->sec, D_MSISDN, msg->sender_enc, msg->sender_enc_len);
	text = secret_open_str(tmp, svc->sec, D_TEXT, msg->text_enc, msg->text_enc_len);
	if (!sender || !text) {
		LOGSMS(LOGL_ERROR, "message %" PRId64 " does not open (altered, or another device key): set aside\n",
		       msg->id);
		svc->cnt.quarantined++;
		return store_sms_msg_finish(svc->st, msg->id, STORE_SMS_MSG_QUARANTINED, now);
	}
	masked(sender, mask, sizeof(mask));
	if (sms_number_norm(sender, norm, sizeof(norm)) < 0) {
		LOGSMS(LOGL_NOTICE, "message %" PRId64 " from %s: not a phone number, cannot answer\n", msg->id, mask);
		svc->cnt.processed++;
		return store_sms_msg_finish(svc->st, msg->id, STORE_SMS_MSG_HANDLED, now);
	}
	rc = store_sms_caller_get(svc->st, msg->sender_key, tmp, &c);
	if (rc < 0 && rc != -ENOENT) {
		return rc;
	}
	have_caller = rc == 0;
	(void)have_caller;
	if (t && store_caller_lang_get(svc->st, msg->sender_key, saved, sizeof(saved)) == 0) {
		saved_lang = menu_lang_index(t, saved);
		lang = saved_lang;
	}

	if (svc->cfg.rate_limit) {
		recent = store_sms_msg_recent(svc->st, msg->sender_key, now - (int64_t)svc->cfg.rate_window);
		if (recent < 0) {
			return (int)recent;
		}
		if ((unsigned long)recent >= svc->cfg.rate_limit) {
			/* Kept, answered once per window, never dropped: an operator sees them in quarantine. */
			svc->cnt.quarantined++;
			LOGSMS(LOGL_NOTICE, "message %" PRId64 " from %s over the rate limit: quarantined\n", msg->id,
			       mask);
			rc = store_sms_msg_finish(svc->st, msg->id, STORE_SMS_MSG_QUARANTINED, now);
			if (rc == 0 && c.notice_at <= now - (int64_t)svc->cfg.rate_window) {
				code = lang_code(t, lang);
				rc = queue_parts(svc, msg->id, sender, msg->sender_key, sms_ui_text(code, SMS_UI_RATE),
						 SMS_SEND_DIRECT, now, NULL);
				c.notice_at = now;
				if (rc >= 0) {
					rc = store_sms_caller_put(svc->st, msg->sender_key, &c, now);
				}
			}
			return rc < 0 ? rc : 0;
		}
	}

	/* --- issue 4: the cases service (staff commands, intake, status) before the menu keywords --- */
	if (svc->hook) {
		char *hook_reply = NULL;

		rc = svc->hook(svc->hook_data, sender, msg->sender_key, text, lang_code(t, lang), tmp, &hook_reply);
		if (rc < 0) {
			return rc;
		}
		if (rc == SMS_HOOK_HANDLED) {
			if (hook_reply) {
				rc = queue_reply(svc, msg->id, sender, msg->sender_key, hook_reply, lang_code(t, lang),
						 SMS_SEND_DIRECT | SMS_SEND_NO_CAP, &c, tmp, now, NULL);
				if (rc < 0) {
					return rc;
				}
				svc->cnt.replies++;
			}
			svc->cnt.processed++;
			return store_sms_msg_finish(svc->st, msg->id, STORE_SMS_MSG_HANDLED, now);
		}
	}
	/* --- end of issue 4 hook --- */
	sms_parse(t, text, lang, &cmd);
	LOGSMS(LOGL_DEBUG, "message %" PRId64 " from %s: command %d%s\n", msg->id, mask, cmd.kind,
	       msg->incomplete ? " (incomplete)" : "");
	switch (cmd.kind) {
	case SMS_CMD_NODE:
	case SMS_CMD_LANG:
		if (cmd.lang >= 0 && cmd.lang != lang) {
			lang = cmd.lang;
			save_lang = true;
		}
		if (lang < 0 && t) {
			lang = (int)t->fallback;
		}
		body = t ? menu_sms_text(tmp, t, cmd.kind == SMS_CMD_NODE ? cmd.node : t->root, (unsigned)lang) : NULL;
		break;
	case SMS_CMD_HELP:
		if (lang < 0 && cmd.lang >= 0) {
			lang = cmd.lang;
			save_lang = true;
		}
		if (lang < 0 && t) {
			lang = (int)t->fallback;
		}
		body = help_text(tmp, t, lang, lang_code(t, lang));
		break;
	case SMS_CMD_STOP:
		c.opted_out = true;
		body = talloc_strdup(tmp, sms_ui_text(lang_code(t, lang), SMS_UI_STOPPED));
		break;
	case SMS_CMD_START:
		c.opted_out = false;
		body = talloc_strdup(tmp, sms_ui_text(lang_code(t, lang), SMS_UI_STARTED));
		break;
	case SMS_CMD_MORE:
		if (c.more_enc) {
			body = secret_open_str(tmp, svc->sec, D_TEXT, c.more_enc, c.more_enc_len);
			if (c.more_lang && t && menu_lang_index(t, c.more_lang) >= 0) {
				lang = menu_lang_index(t, c.more_lang);
			}
		}
		if (!body) {
			body = talloc_strdup(tmp, sms_ui_text(lang_code(t, lang), SMS_UI_NOTHING_MORE));
		}
		break;
	case SMS_CMD_UNKNOWN:
	case SMS_CMD_EMPTY:
		body = talloc_strdup(tmp, sms_ui_text(lang_code(t, lang), SMS_UI_UNKNOWN));
		break;
	}
	if (!body) {
		body = talloc_strdup(tmp, sms_ui_text(lang_code(t, lang), SMS_UI_UNKNOWN));
		if (!body) {
			return -ENOMEM;
		}
	}
	code = lang_code(t, lang);
	if (save_lang) {
		rc = store_caller_lang_set(svc->st, msg->sender_key, code);
		if (rc < 0) {
			return rc;
		}
	}
	rc = queue_reply(svc, msg->id, sender, msg->sender_key, body, code, SMS_SEND_DIRECT, &c, tmp, now, NULL);
	if (rc < 0) {
		LOGSMS(LOGL_ERROR, "message %" PRId64 ": cannot queue the reply: %s\n", msg->id, strerror(-rc));
		return rc;
	}
	svc->cnt.replies++;
	rc = store_sms_caller_put(svc->st, msg->sender_key, &c, now);
	if (rc == 0) {
		rc = store_sms_msg_finish(svc->st, msg->id, STORE_SMS_MSG_HANDLED, now);
	}
	if (rc == 0) {
		svc->cnt.processed++;
		LOGSMS(LOGL_INFO, "message %" PRId64 " from %s answered (%s)\n", msg->id, mask, code);
	}
	return rc;
}

/* Turn expired incomplete groups into flagged messages. Inside the caller's transaction. */
static int expire_groups(struct sms_service *svc, int64_t now, void *tmp, unsigned *made)
{
	unsigned guard;

	for (guard = 0; guard < WORK_BATCH_MAX; guard++) {
		struct store_sms_group g;
		void *enc;
		size_t enc_len;
		int64_t received;
		char *modem;
		bool ok;
		int rc = store_sms_group_expired(svc->st, now, tmp, &g, &enc, &enc_len, &received, &modem);

		if (rc == -ENOENT) {
			return 0;
		}
		if (rc < 0) {
			return rc;
		}
		rc = group_assemble(svc, &g, enc, enc_len, received, modem, true, tmp, &ok);
		if (rc < 0) {
			return rc;
		}
		if (!ok) {
			return -EIO; /* cannot happen: an incomplete assembly always makes a message */
		}
		LOGSMS(LOGL_NOTICE, "an incomplete message (%u part(s) expected) is processed after its timeout\n",
		       g.total);
		(*made)++;
	}
	return 0;
}

static void work_timer_cb(void *data)
{
	struct sms_service *svc = data;
	const struct menu_tree *t = svc_tree(svc);
	int64_t now = now_s(), after = 0;
	unsigned done = 0, made = 0;
	void *tmp = talloc_new(svc);
	int rc;

	if (!tmp) {
		work_trigger(svc, RETRY_STORE_S);
		return;
	}
	rc = store_begin(svc->st);
	if (rc == 0) {
		rc = expire_groups(svc, now, tmp, &made);
	}
	while (rc == 0 && done < WORK_BATCH_MAX) {
		struct store_sms_msg msg;
		rc = store_sms_msg_next(svc->st, after, tmp, &msg);
		if (rc == -ENOENT) {
			rc = 0;
			break;
		}
		if (rc < 0) {
			break;
		}
		after = msg.id;
		rc = process_one(svc, t, &msg, now, tmp);
		done++;
	}
	if (rc == 0) {
		rc = store_commit(svc->st);
	} else {
		store_rollback(svc->st);
	}
	talloc_free(tmp);
	if (rc < 0) {
		LOGSMS(LOGL_ERROR, "processing failed (%s): nothing of this batch is answered; retrying\n",
		       strerror(-rc));
		work_trigger(svc, RETRY_STORE_S);
		return;
	}
	if (done == WORK_BATCH_MAX) {
		work_trigger(svc, 0);
	}
	if (done) {
		send_trigger(svc, 0);
	}
	expire_schedule(svc);
}

/* --- outbox: sending ------------------------------------------------------------------------------- */

static struct sms_modem *find_modem(struct sms_service *svc, const struct modem *m)
{
	struct sms_modem *sm;

	llist_for_each_entry(sm, &svc->modems, entry)
	{
		if (sm->m == m) {
			return sm;
		}
	}
	return NULL;
}

/* A ready modem for number: those preferring it first; among equals chosen by the message's reference, so every
 * part of one concatenated message leaves through the same modem (parts from two numbers never join). */
static struct sms_modem *pick_modem(struct sms_service *svc, const char *number, unsigned spread)
{
	struct sms_modem *sm, *cand[16];
	unsigned n = 0, pass;

	for (pass = 0; pass < 2 && !n; pass++) {
		llist_for_each_entry(sm, &svc->modems, entry)
		{
			if (n < ARRAY_SIZE(cand) && !sm->full && modem_ready(sm->m) &&
			    (pass == 1 || modem_prefers(sm->m, number))) {
				cand[n++] = sm;
			}
		}
	}
	return n ? cand[spread % n] : NULL;
}

struct due_row {
	int64_t id;
	unsigned coding, ref, total, seq, flags, attempts;
	uint8_t key[STORE_CALLER_KEY_LEN];
	char *number, *text;
	struct sms_modem *sm;
	int err;
};

struct due_list {
	struct sms_service *svc;
	void *tmp;
	struct due_row row[SEND_BATCH_MAX];
	unsigned n;
};

static int due_cb(void *data, const struct store_sms_out *o)
{
	struct due_list *dl = data;
	struct due_row *r = &dl->row[dl->n++];

	memset(r, 0, sizeof(*r));
	r->id = o->id;
	r->coding = o->coding;
	r->ref = o->ref;
	r->total = o->total;
	r->seq = o->seq;
	r->flags = o->flags;
	r->attempts = (unsigned)o->attempts;
	memcpy(r->key, o->number_key, sizeof(r->key));
	r->number = secret_open_str(dl->tmp, dl->svc->sec, D_MSISDN, o->number_enc, o->number_enc_len);
	r->text = secret_open_str(dl->tmp, dl->svc->sec, D_TEXT, o->text_enc, o->text_enc_len);
	if (!r->number || !r->text) {
		r->err = -EBADMSG;
	}
	return dl->n >= SEND_BATCH_MAX ? 1 : 0;
}

static int64_t retry_delay(const struct sms_cfg *cfg, unsigned attempts)
{
	uint64_t d = cfg->retry_base ? cfg->retry_base : 1;
	uint32_t r = 0;

	while (attempts-- > 1 && d < cfg->retry_cap) {
		d *= 2;
	}
	if (d > cfg->retry_cap) {
		d = cfg->retry_cap;
	}
	/* +-25% jitter, so parts that failed together (a modem reset) do not all come back in the same second. */
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r)) {
		r = (uint32_t)random();
	}
	return (int64_t)(d * 3 / 4 + (d ? r % (d / 2 + 1) : 0));
}

static int results_flush(struct sms_service *svc);

static void send_timer_cb(void *data)
{
	struct sms_service *svc = data;
	struct due_list *dl;
	int64_t now = now_s(), next;
	unsigned i, handed = 0, spread;
	int rc;

	if (results_flush(svc) < 0) {
		send_trigger(svc, RETRY_STORE_S);
		return;
	}
	if (!pick_modem(svc, "", 0)) {
		return; /* nothing can send: a modem becoming ready triggers us */
	}
	dl = talloc_zero(svc, struct due_list);
	if (!dl) {
		send_trigger(svc, RETRY_STORE_S);
		return;
	}
	dl->svc = svc;
	dl->tmp = dl;
	rc = store_sms_out_due(svc->st, now, SEND_BATCH_MAX, due_cb, dl);
	if (rc < 0) {
		talloc_free(dl);
		send_trigger(svc, RETRY_STORE_S);
		return;
	}
	/* Mark every part 'sending' (and set aside the ones that cannot be sent) in one transaction, before any of
	 * them reaches a modem: a crash from here on finds them 'sending' and retries them. */
	rc = store_begin(svc->st);
	for (i = 0; i < dl->n && rc == 0; i++) {
		struct due_row *r = &dl->row[i];
		if (r->err) {
			LOGSMS(LOGL_ERROR, "outbox part %" PRId64 " does not open: failed\n", r->id);
			rc = part_failed(svc, r->id, r->err, now);
			continue;
		}
		spread = r->total > 1 ? r->ref + r->key[0] : (unsigned)r->id;
		r->sm = pick_modem(svc, r->number, spread);
		if (!r->sm) {
			continue;
		}
		rc = store_sms_out_update(svc->st, r->id, STORE_SMS_OUT_SENDING, modem_name(r->sm->m), -1, 0, now, now,
					  true, false);
	}
	if (rc == 0) {
		rc = store_commit(svc->st);
	} else {
		store_rollback(svc->st);
	}
	if (rc < 0) {
		talloc_free(dl);
		send_trigger(svc, RETRY_STORE_S);
		return;
	}
	for (i = 0; i < dl->n; i++) {
		struct due_row *r = &dl->row[i];
		struct modem_sms_out o = {0};
		char mask[32];

		if (r->err || !r->sm) {
			continue;
		}
		o.id = (uint64_t)r->id;
		osmo_strlcpy(o.number, r->number, sizeof(o.number));
		o.coding = r->coding == MODEM_UCS2 ? MODEM_UCS2 : MODEM_GSM7;
		o.concat = r->total > 1;
		o.concat_ref = (uint8_t)r->ref;
		o.concat_total = (uint8_t)r->total;
		o.concat_seq = (uint8_t)r->seq;
		o.want_report = svc->cfg.delivery_reports;
		osmo_strlcpy(o.text, r->text, sizeof(o.text));
		rc = modem_send(r->sm->m, &o);
		if (rc == 0) {
			svc->inflight++;
			handed++;
			continue;
		}
		masked(r->number, mask, sizeof(mask));
		LOGSMS(rc == -EAGAIN ? LOGL_INFO : LOGL_ERROR, "%s: part %" PRId64 " to %s not taken: %s\n",
		       modem_name(r->sm->m), r->id, mask, strerror(-rc));
		if (rc == -EAGAIN) {
			r->sm->full = true;
		}
		/* Answer it ourselves, as the modem would have: one result per part, whatever happens. */
		if (svc->n_res >= RES_BATCH_MAX) {
			results_flush(svc);
		}
		svc->res[svc->n_res++] = (struct tx_result){.id = (uint64_t)r->id, .result = rc, .mr = -1};
		svc->inflight++;
	}
	LOGSMS(LOGL_DEBUG, "handed %u of %u due part(s) to modems\n", handed, dl->n);
	if (dl->n == SEND_BATCH_MAX && handed) {
		send_trigger(svc, 0);
	} else if (store_sms_out_next_at(svc->st, &next) == 0) {
		send_trigger(svc, next - now_s());
	}
	talloc_free(dl);
	if (svc->n_res) {
		send_trigger(svc, 0);
	}
}

/* Commit the send results gathered since the last run, one transaction for all of them. */
static int results_flush(struct sms_service *svc)
{
	int64_t now = now_s();
	unsigned i;
	int rc;

	if (!svc->n_res) {
		return 0;
	}
	rc = store_begin(svc->st);
	for (i = 0; i < svc->n_res && rc == 0; i++) {
		struct tx_result *r = &svc->res[i];
		enum store_sms_out_state st;
		int64_t next = now;
		long attempts;

		if (r->result == 0) {
			st = STORE_SMS_OUT_SENT;
			svc->cnt.tx_ok++;
		} else if (r->result == -EAGAIN) {
			/* Not taken at all: not an attempt (it was counted when marked sending, so take it back). */
			st = STORE_SMS_OUT_QUEUED;
		} else {
			attempts = r->result == -EINVAL ? (long)svc->cfg.retry_max
							: store_sms_out_attempts(svc->st, (int64_t)r->id);
			if (attempts < 0) {
				rc = attempts == -ENOENT ? 0 : (int)attempts;
				continue;
			}
			if ((unsigned long)attempts >= svc->cfg.retry_max) {
				rc = part_failed(svc, (int64_t)r->id, r->result, now);
				if (rc == -ENOENT) {
					rc = 0;
				}
				continue;
			}
			st = STORE_SMS_OUT_RETRY;
			next = now + retry_delay(&svc->cfg, (unsigned)attempts);
			svc->cnt.tx_retry++;
		}
		rc = store_sms_out_update(svc->st, (int64_t)r->id, st, NULL, r->result == 0 ? r->mr : -1, r->result,
					  next, now, false, r->result == -EAGAIN);
		if (rc == -ENOENT) {
			rc = 0; /* a result for a part we do not know: logged by the caller */
		}
	}
	if (rc == 0) {
		rc = store_commit(svc->st);
	} else {
		store_rollback(svc->st);
	}
	if (rc < 0) {
		LOGSMS(LOGL_ERROR, "cannot record %u send result(s): %s; retrying\n", svc->n_res, strerror(-rc));
		return rc;
	}
	svc->inflight = svc->inflight >= svc->n_res ? svc->inflight - svc->n_res : 0;
	svc->n_res = 0;
	return 0;
}

void sms_on_send_result(void *data, struct modem *m, uint64_t id, int result, int mr)
{
	struct sms_service *svc = data;
	struct sms_modem *sm;

	if (!svc) {
		return;
	}
	sm = m ? find_modem(svc, m) : NULL;
	if (sm) {
		sm->full = false;
	}
	LOGSMS(result ? LOGL_NOTICE : LOGL_DEBUG, "%s: part %" PRIu64 ": %s (mr %d)\n", m ? modem_name(m) : "?", id,
	       result ? strerror(-result) : "sent", mr);
	if (svc->n_res >= RES_BATCH_MAX && results_flush(svc) < 0) {
		/* The store is failing: the part stays 'sending' in the store and is retried after a restart. */
		return;
	}
	svc->res[svc->n_res++] = (struct tx_result){.id = id, .result = result, .mr = mr};
	timer_coalesce(&svc->send_timer, 0);
}

void sms_on_delivery_report(void *data, struct modem *m, int mr, const char *number, int status)
{
	struct sms_service *svc = data;
	uint8_t key[STORE_CALLER_KEY_LEN];
	char mask[32];
	int rc;

	if (!svc || !number || mr < 0 || number_key(svc, number, key) < 0) {
		return;
	}
	masked(number, mask, sizeof(mask));
	rc = store_sms_out_report(svc->st, key, mr, status, now_s());
	if (rc == 0) {
		svc->cnt.reports++;
	}
	LOGSMS(LOGL_INFO, "%s: delivery report for mr %d to %s: status %d%s\n", m ? modem_name(m) : "?", mr, mask,
	       status, rc == -ENOENT ? " (no such part)" : "");
}

void sms_on_state_changed(void *data, struct modem *m, enum modem_state st)
{
	struct sms_service *svc = data;
	struct sms_modem *sm;

	if (!svc) {
		return;
	}
	sm = m ? find_modem(svc, m) : NULL;
	if (sm && st != MODEM_ST_READY && st != MODEM_ST_BUSY) {
		sm->full = false;
	}
	if (st == MODEM_ST_READY) {
		send_trigger(svc, 0);
	}
}

/* --- life cycle ---------------------------------------------------------------------------------------- */

static int sms_destructor(struct sms_service *svc)
{
	osmo_timer_del(&svc->rx_timer);
	osmo_timer_del(&svc->work_timer);
	osmo_timer_del(&svc->send_timer);
	if (svc->trace) {
		fclose(svc->trace);
	}
	return 0;
}

struct sms_service *sms_alloc(void *ctx, const struct sms_cfg *cfg, struct store *st, const struct secret *sec,
			      sms_tree_fn tree, void *tree_data)
{
	struct sms_service *svc;
	uint32_t r = 0;

	if (!st || !sec) {
		return NULL;
	}
	svc = talloc_zero(ctx, struct sms_service);
	if (!svc) {
		return NULL;
	}
	if (cfg) {
		svc->cfg = *cfg;
	} else {
		sms_cfg_defaults(&svc->cfg);
	}
	svc->st = st;
	svc->sec = sec;
	svc->tree_fn = tree;
	svc->tree_data = tree_data;
	INIT_LLIST_HEAD(&svc->modems);
	svc->rx = talloc_array(svc, struct rx_item, RX_BATCH_MAX);
	svc->res = talloc_array(svc, struct tx_result, RES_BATCH_MAX);
	svc->lat = talloc_zero_array(svc, uint32_t, LAT_RING);
	if (!svc->rx || !svc->res || !svc->lat) {
		talloc_free(svc);
		return NULL;
	}
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) == sizeof(r)) {
		svc->next_ref = r;
	}
	if (getenv("YORDAM_SMS_TRACE")) {
		svc->trace = fopen(getenv("YORDAM_SMS_TRACE"), "ae");
	}
	osmo_timer_setup(&svc->rx_timer, rx_timer_cb, svc);
	osmo_timer_setup(&svc->work_timer, work_timer_cb, svc);
	osmo_timer_setup(&svc->send_timer, send_timer_cb, svc);
	talloc_set_destructor(svc, sms_destructor);
	return svc;
}

int sms_start(struct sms_service *svc)
{
	long n;

	if (!svc) {
		return -EINVAL;
	}
	n = store_sms_out_recover(svc->st, now_s());
	if (n < 0) {
		return (int)n;
	}
	if (n > 0) {
		LOGSMS(LOGL_NOTICE, "%ld part(s) left 'sending' by the last run go back to retry\n", n);
	}
	svc->started = true;
	work_trigger(svc, 0);
	send_trigger(svc, 0);
	return 0;
}

void sms_free(struct sms_service *svc)
{
	if (!svc) {
		return;
	}
	/* Whatever is gathered but not committed: commit it now (received parts are then deleted from the modems
	 * that are still there; results recorded). */
	if (svc->n_rx) {
		osmo_timer_del(&svc->rx_timer);
		rx_timer_cb(svc);
	}
	results_flush(svc);
	talloc_free(svc);
}

int sms_add_modem(struct sms_service *svc, struct modem *m)
{
	struct sms_modem *sm;

	if (!svc || !m) {
		return -EINVAL;
	}
	sm = talloc_zero(svc, struct sms_modem);
	if (!sm) {
		return -ENOMEM;
	}
	sm->m = m;
	llist_add_tail(&sm->entry, &svc->modems);
	return 0;
}

void sms_remove_modem(struct sms_service *svc, struct modem *m)
{
	struct sms_modem *sm;
	unsigned i, o = 0;

	if (!svc || !m) {
		return;
	}
	/* Parts received from it and not yet committed: commit them now, while the modem can still delete them. */
	for (i = 0; i < svc->n_rx; i++) {
		if (svc->rx[i].m == m) {
			osmo_timer_del(&svc->rx_timer);
			rx_timer_cb(svc);
			break;
		}
	}
	for (i = 0; i < svc->n_rx; i++) {
		if (svc->rx[i].m != m) {
			svc->rx[o++] = svc->rx[i];
		}
	}
	svc->n_rx = o;
	sm = find_modem(svc, m);
	if (sm) {
		llist_del(&sm->entry);
		talloc_free(sm);
	}
}

void sms_set_user_data(struct sms_service *svc, void *data)
{
	svc->user_data = data;
}

void *sms_user_data(void *svc)
{
	return svc ? ((struct sms_service *)svc)->user_data : NULL;
}

void sms_set_fail_hook(struct sms_service *svc, sms_fail_hook_fn hook, void *data)
{
	if (svc) {
		svc->fail_hook = hook;
		svc->fail_data = hook ? data : NULL;
	}
}

void sms_set_text_hook(struct sms_service *svc, sms_text_hook_fn hook, void *data)
{
	svc->hook = hook;
	svc->hook_data = data;
}

void sms_tick(struct sms_service *svc)
{
	if (!svc) {
		return;
	}
	if (svc->n_rx) {
		osmo_timer_del(&svc->rx_timer);
		rx_timer_cb(svc);
	}
	osmo_timer_del(&svc->work_timer);
	work_timer_cb(svc);
	osmo_timer_del(&svc->send_timer);
	send_timer_cb(svc);
}

void sms_get_counters(const struct sms_service *svc, struct sms_counters *c)
{
	*c = svc->cnt;
}

char *sms_status(struct sms_service *svc, void *ctx)
{
	struct store_sms_stats s = {0};
	struct sms_counters *c = &svc->cnt;
	int rc = store_sms_stats(svc->st, &s);
	unsigned n = svc->n_lat < LAT_RING ? (unsigned)svc->n_lat : LAT_RING;
	uint32_t *v = n ? talloc_memdup(ctx, svc->lat, n * sizeof(*v)) : NULL;
	char *out;

	if (v) {
		qsort(v, n, sizeof(*v), cmp_u32);
	}
	out = talloc_asprintf(
		ctx,
		"sms: rx parts %" PRIu64 " (duplicates %" PRIu64 ", not stored %" PRIu64 "), messages %" PRIu64
		" (incomplete %" PRIu64 "), answered %" PRIu64 ", quarantined %" PRIu64 ", tx parts queued %" PRIu64
		", sent %" PRIu64 ", retries %" PRIu64 ", failed %" PRIu64 ", reports %" PRIu64 "\n"
		"sms store%s: inbox new %ld handled %ld quarantined %ld incomplete %ld, open parts %ld;"
		" outbox queued %ld sending %ld retry %ld sent %ld failed %ld, reports %ld; opted out %ld\n",
		c->rx_parts, c->rx_duplicates, c->rx_rejected, c->rx_messages, c->rx_incomplete, c->processed,
		c->quarantined, c->tx_parts, c->tx_ok, c->tx_retry, c->tx_failed, c->reports,
		rc < 0 ? " (unreadable)" : "", s.msg_new, s.msg_handled, s.msg_quarantined, s.msg_incomplete,
		s.parts_open, s.out_queued, s.out_sending, s.out_retry, s.out_sent, s.out_failed, s.out_reports,
		s.opted_out);
	if (out && v) {
		out = talloc_asprintf_append(
			out,
			"sms rx-to-commit (read from the modem to committed, last %u parts): p50 %" PRIu32
			" ms p99 %" PRIu32 " ms max %" PRIu32 " ms; %" PRIu64 " commits, last at %" PRId64
			" ms (monotonic)\n",
			n, v[n / 2], v[n * 99 / 100], v[n - 1], svc->commits, svc->last_commit_ms);
	}
	talloc_free(v);
	return out;
}

struct outbox_list {
	struct sms_service *svc;
	char *s;
};

static int outbox_cb(void *data, const struct store_sms_out *o)
{
	struct outbox_list *ol = data;
	char *number = secret_open_str(ol->s, ol->svc->sec, D_MSISDN, o->number_enc, o->number_enc_len);
	char *text = secret_open_str(ol->s, ol->svc->sec, D_TEXT, o->text_enc, o->text_enc_len);
	char mask[32];
	long units = text ? text_units(text, strlen(text), o->coding == MODEM_UCS2 ? TEXT_UCS2 : TEXT_GSM7) : -1;

	sms_mask_number(number ? number : "?", 3, mask, sizeof(mask));
	/* One line per part: line breaks and other control characters of the text are shown as '|' and '?'. */
	for (char *p = text; p && *p; p++) {
		if (*p == '\n') {
			*p = '|';
		} else if ((unsigned char)*p < 0x20) {
			*p = '?';
		}
	}
	ol->s = talloc_asprintf_append(ol->s,
				       "%" PRId64 " msg %" PRId64 " to %s %s part %u/%u ref %u %s attempts %d%s%s"
				       " mr %d report %d units %ld: %s\n",
				       o->id, o->msg_id, mask, o->coding == MODEM_UCS2 ? "ucs2" : "gsm7", o->seq,
				       o->total, o->ref, store_sms_out_state_name(o->state), o->attempts,
				       o->modem ? " modem " : "", o->modem ? o->modem : "", o->mr, o->report, units,
				       text ? text : "(does not open)");
	talloc_free(number);
	talloc_free(text);
	return ol->s ? 0 : -ENOMEM;
}

char *sms_outbox_list(struct sms_service *svc, void *ctx, unsigned n)
{
	struct outbox_list ol = {.svc = svc, .s = talloc_strdup(ctx, "")};
	int rc;

	if (!ol.s) {
		return NULL;
	}
	rc = store_sms_out_recent(svc->st, n, outbox_cb, &ol);
	if (rc < 0) {
		return talloc_asprintf_append(ol.s, "error: %s\n", strerror(-rc));
	}
	return ol.s;
}
