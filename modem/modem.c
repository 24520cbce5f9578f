/* The main-loop side of a modem: API, per-modem FSM, events from the worker thread.
 *
 * FSM (osmo_fsm, timeouts from modem_tdefs):
 *   INIT ──connected──▶ READY ◀──▶ BUSY (parts queued or in flight)
 *    │                    │          │
 *    └──failed──▶ DOWN ◀──┴─failed───┘      DOWN waits (exponential backoff + jitter), then
 *                 │  ▲                      INIT again, or RESETTING after every reset_after
 *                 ▼  │ failed               consecutive failures. RESETTING opens the modem,
 *              RESETTING ──connected──▶ READY   resets it (AT+CFUN=1,1) and reopens it.
 *
 * A libgammu call that is not back within cfg.timeout_ms is aborted from here by the watchdog
 * (GSM_AbortOperation, the one cross-thread libgammu call allowed); the worker then sees
 * ERR_ABORTED, drops the state machine (the abort flag is sticky) and reports a failure.
 *
 * Numeric fields of struct modem_cfg left 0 take the defaults given in modem.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gammu.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/it_q.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/tdef.h>
#include <osmocom/core/utils.h>

#include <yordam/log.h>
#include <yordam/modem.h>

#include "modem_internal.h"
#include "modem_util.h"

#define LOGM(m, lvl, fmt, args...) LOGP(DMODEM, lvl, "%s: " fmt, (m)->cfg.name, ##args)

enum modem_fsm_event {
	MODEM_FEV_CONNECTED,
	MODEM_FEV_FAILED,
	MODEM_FEV_SEND_QUEUED,
	MODEM_FEV_SEND_DONE,
};

static const struct value_string modem_fsm_event_names[] = {
	{MODEM_FEV_CONNECTED, "CONNECTED"},
	{MODEM_FEV_FAILED, "FAILED"},
	{MODEM_FEV_SEND_QUEUED, "SEND_QUEUED"},
	{MODEM_FEV_SEND_DONE, "SEND_DONE"},
	{0, NULL},
};

/* Timers (X numbers are Osmocom-style, not 3GPP). */
struct osmo_tdef modem_tdefs[] = {
	{.T = -1, .default_val = 180, .unit = OSMO_TDEF_S, .desc = "longest (re)open of a modem, reset included"},
	{.T = -2, .default_val = 1000, .unit = OSMO_TDEF_MS, .desc = "hung-call watchdog period"},
	{.T = -3, .default_val = 0, .unit = OSMO_TDEF_MS, .desc = "reopen backoff (computed from the config)"},
	{}};

static struct osmo_fsm modem_fsm;
static void go_down(struct osmo_fsm_inst *fi);

static void notify_state(struct modem *m, enum modem_state st)
{
	if (!m->freeing && m->cb.state_changed) {
		m->cb.state_changed(m->cb.data, m, st);
	}
}

/* Hand a command to the worker and wake it. */
static void worker_cmd(struct modem *m, enum modem_cmd cmd)
{
	pthread_mutex_lock(&m->lock);
	m->cmd = cmd;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

static void abort_call(struct modem *m, const char *why)
{
	pthread_mutex_lock(&m->sm_lock);
	if (m->sm && !atomic_load(&m->abort_sent)) {
		atomic_store(&m->abort_sent, true);
		GSM_AbortOperation(m->sm);
		LOGM(m, LOGL_ERROR, "aborting the libgammu call in progress: %s\n", why);
		snprintf(m->last_error, sizeof(m->last_error), "aborted: %s", why);
	}
	pthread_mutex_unlock(&m->sm_lock);
}

static void st_init_onenter(struct osmo_fsm_inst *fi, uint32_t prev_state)
{
	struct modem *m = fi->priv;

	if (prev_state == MODEM_ST_DOWN) {
		m->reopens++;
	}
	worker_cmd(m, MODEM_CMD_OPEN);
	notify_state(m, MODEM_ST_INIT);
}

static void st_opening_action(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct modem *m = fi->priv;

	switch (event) {
	case MODEM_FEV_CONNECTED:
		if (fi->state == MODEM_ST_RESETTING) {
			m->resets++;
		}
		m->failures = 0;
		osmo_fsm_inst_state_chg(fi, m->pending_sends ? MODEM_ST_BUSY : MODEM_ST_READY, 0, 0);
		break;
	case MODEM_FEV_FAILED:
		go_down(fi);
		break;
	default:
		break;
	}
}

static void st_ready_onenter(struct osmo_fsm_inst *fi, uint32_t prev_state)
{
	notify_state(fi->priv, MODEM_ST_READY);
}

static void st_busy_onenter(struct osmo_fsm_inst *fi, uint32_t prev_state)
{
	notify_state(fi->priv, MODEM_ST_BUSY);
}

static void st_up_action(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct modem *m = fi->priv;

	switch (event) {
	case MODEM_FEV_FAILED:
		go_down(fi);
		break;
	case MODEM_FEV_SEND_QUEUED:
		if (fi->state == MODEM_ST_READY) {
			osmo_fsm_inst_state_chg(fi, MODEM_ST_BUSY, 0, 0);
		}
		break;
	case MODEM_FEV_SEND_DONE:
		if (fi->state == MODEM_ST_BUSY && !m->pending_sends) {
			osmo_fsm_inst_state_chg(fi, MODEM_ST_READY, 0, 0);
		}
		break;
	default:
		break;
	}
}

/* Every way into DOWN: count the failure and wait before reopening. The wait runs on a timer of
 * our own: osmo_fsm_inst_state_chg_ms() of libosmocore < 1.8 schedules milliseconds as
 * microseconds (fixed upstream in 76bdbd4b). */
static void go_down(struct osmo_fsm_inst *fi)
{
	struct modem *m = fi->priv;
	unsigned ms;

	m->failures++;
	ms = modem_backoff_ms(m->cfg.reopen_min_ms, m->cfg.reopen_max_ms, m->failures, (uint32_t)random());
	LOGM(m, LOGL_NOTICE, "down (%u consecutive failure%s), reopening in %u ms\n", m->failures,
	     m->failures == 1 ? "" : "s", ms);
	osmo_fsm_inst_state_chg(fi, MODEM_ST_DOWN, 0, -3);
	osmo_timer_schedule(&m->reopen_timer, ms / 1000, (ms % 1000) * 1000);
}

static void reopen_timer_cb(void *data)
{
	struct modem *m = data;
	struct osmo_fsm_inst *fi = m->fi;

	if (fi->state != MODEM_ST_DOWN) {
		return;
	}
	if (m->cfg.reset_after && m->failures >= m->cfg.reset_after && m->failures % m->cfg.reset_after == 0) {
		osmo_fsm_inst_state_chg(fi, MODEM_ST_RESETTING, osmo_tdef_get(modem_tdefs, -1, OSMO_TDEF_S, 180), -1);
	} else {
		osmo_fsm_inst_state_chg(fi, MODEM_ST_INIT, osmo_tdef_get(modem_tdefs, -1, OSMO_TDEF_S, 180), -1);
	}
}

static void st_down_onleave(struct osmo_fsm_inst *fi, uint32_t next_state)
{
	struct modem *m = fi->priv;

	osmo_timer_del(&m->reopen_timer);
}

static void st_down_onenter(struct osmo_fsm_inst *fi, uint32_t prev_state)
{
	notify_state(fi->priv, MODEM_ST_DOWN);
}

static void st_down_action(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	/* A worker still opening when INIT timed out may connect after all. */
	if (event == MODEM_FEV_CONNECTED) {
		struct modem *m = fi->priv;

		m->failures = 0;
		osmo_fsm_inst_state_chg(fi, m->pending_sends ? MODEM_ST_BUSY : MODEM_ST_READY, 0, 0);
	}
}

static void st_resetting_onenter(struct osmo_fsm_inst *fi, uint32_t prev_state)
{
	struct modem *m = fi->priv;

	LOGM(m, LOGL_NOTICE, "resetting after %u consecutive failures\n", m->failures);
	worker_cmd(m, MODEM_CMD_RESET);
	notify_state(m, MODEM_ST_RESETTING);
}

static int modem_fsm_timer_cb(struct osmo_fsm_inst *fi)
{
	struct modem *m = fi->priv;

	switch (fi->state) {
	case MODEM_ST_INIT:
	case MODEM_ST_RESETTING:
		abort_call(m, "opening took too long");
		snprintf(m->last_error, sizeof(m->last_error), "opening took too long");
		go_down(fi);
		return 0;
	default:
		return 0;
	}
}

#define S(x) (1 << (x))

static const struct osmo_fsm_state modem_fsm_states[] = {
	[MODEM_ST_INIT] =
		{
			.name = "INIT",
			.in_event_mask = S(MODEM_FEV_CONNECTED) | S(MODEM_FEV_FAILED) | S(MODEM_FEV_SEND_QUEUED) |
					 S(MODEM_FEV_SEND_DONE),
			.out_state_mask = S(MODEM_ST_INIT) | S(MODEM_ST_READY) | S(MODEM_ST_BUSY) | S(MODEM_ST_DOWN),
			.onenter = st_init_onenter,
			.action = st_opening_action,
		},
	[MODEM_ST_READY] =
		{
			.name = "READY",
			.in_event_mask = S(MODEM_FEV_FAILED) | S(MODEM_FEV_SEND_QUEUED) | S(MODEM_FEV_SEND_DONE) |
					 S(MODEM_FEV_CONNECTED),
			.out_state_mask = S(MODEM_ST_BUSY) | S(MODEM_ST_DOWN),
			.onenter = st_ready_onenter,
			.action = st_up_action,
		},
	[MODEM_ST_BUSY] =
		{
			.name = "BUSY",
			.in_event_mask = S(MODEM_FEV_FAILED) | S(MODEM_FEV_SEND_QUEUED) | S(MODEM_FEV_SEND_DONE) |
					 S(MODEM_FEV_CONNECTED),
			.out_state_mask = S(MODEM_ST_READY) | S(MODEM_ST_DOWN),
			.onenter = st_busy_onenter,
			.action = st_up_action,
		},
	[MODEM_ST_RESETTING] =
		{
			.name = "RESETTING",
			.in_event_mask = S(MODEM_FEV_CONNECTED) | S(MODEM_FEV_FAILED) | S(MODEM_FEV_SEND_QUEUED) |
					 S(MODEM_FEV_SEND_DONE),
			.out_state_mask = S(MODEM_ST_READY) | S(MODEM_ST_BUSY) | S(MODEM_ST_DOWN),
			.onenter = st_resetting_onenter,
			.action = st_opening_action,
		},
	[MODEM_ST_DOWN] =
		{
			.name = "DOWN",
			.in_event_mask = S(MODEM_FEV_CONNECTED) | S(MODEM_FEV_FAILED) | S(MODEM_FEV_SEND_QUEUED) |
					 S(MODEM_FEV_SEND_DONE),
			.out_state_mask =
				S(MODEM_ST_INIT) | S(MODEM_ST_RESETTING) | S(MODEM_ST_READY) | S(MODEM_ST_BUSY),
			.onenter = st_down_onenter,
			.onleave = st_down_onleave,
			.action = st_down_action,
		},
};

static struct osmo_fsm modem_fsm = {
	.name = "modem",
	.states = modem_fsm_states,
	.num_states = ARRAY_SIZE(modem_fsm_states),
	.timer_cb = modem_fsm_timer_cb,
	.event_names = modem_fsm_event_names,
	.log_subsys = DMODEM,
};

/* --- events from the worker --- */

static void dispatch(struct modem *m, struct modem_event *ev)
{
	switch (ev->type) {
	case MODEM_EV_CONNECTED:
		LOGM(m, LOGL_NOTICE, "connected (%s)\n", ev->text);
		osmo_fsm_inst_dispatch(m->fi, MODEM_FEV_CONNECTED, NULL);
		break;
	case MODEM_EV_FAILED:
		LOGM(m, LOGL_ERROR, "%s\n", ev->text);
		osmo_strlcpy(m->last_error, ev->text, sizeof(m->last_error));
		osmo_fsm_inst_dispatch(m->fi, MODEM_FEV_FAILED, NULL);
		break;
	case MODEM_EV_LOG:
		LOGM(m, ev->level, "%s\n", ev->text);
		if (ev->level >= LOGL_ERROR) {
			osmo_strlcpy(m->last_error, ev->text, sizeof(m->last_error));
		}
		if (ev->err == -EBADMSG) {
			m->rx_unreadable++;
		}
		break;
	case MODEM_EV_SMS:
		m->rx_parts++;
		/* The sender in clear only at debug level (issue 4: logs mask numbers above it). */
		LOGM(m, LOGL_INFO, "part at %d/%d from ...%s%s\n", ev->part.folder, ev->part.location,
		     strlen(ev->part.sender) > 3 ? ev->part.sender + strlen(ev->part.sender) - 3 : "",
		     ev->part.concat ? " (concatenated)" : "");
		LOGM(m, LOGL_DEBUG, "part at %d/%d from %s\n", ev->part.folder, ev->part.location, ev->part.sender);
		if (m->cb.sms_received) {
			m->cb.sms_received(m->cb.data, m, &ev->part);
		}
		break;
	case MODEM_EV_SENT:
		if (ev->result == 0) {
			m->tx_parts++;
		} else {
			m->tx_errors++;
			if (ev->text[0]) {
				LOGM(m, LOGL_NOTICE, "%s\n", ev->text);
				osmo_strlcpy(m->last_error, ev->text, sizeof(m->last_error));
			}
		}
		if (m->pending_sends) {
			m->pending_sends--;
		}
		if (m->cb.sms_send_result) {
			m->cb.sms_send_result(m->cb.data, m, ev->id, ev->result, ev->mr);
		}
		if (!m->freeing) {
			osmo_fsm_inst_dispatch(m->fi, MODEM_FEV_SEND_DONE, NULL);
		}
		break;
	case MODEM_EV_REPORT:
		if (m->cb.delivery_report) {
			m->cb.delivery_report(m->cb.data, m, ev->mr, ev->number, ev->result);
		}
		break;
	case MODEM_EV_CALL:
		m->calls++;
		LOGM(m, LOGL_INFO, "incoming call%s\n", m->cfg.reject_calls ? ", rejected" : "");
		if (m->cb.incoming_call) {
			m->cb.incoming_call(m->cb.data, m, ev->number);
		}
		break;
	}
}

static void evq_read_cb(struct osmo_it_q *q, struct llist_head *item)
{
	struct modem *m = q->data;
	struct modem_event *ev = llist_entry(item, struct modem_event, list);

	dispatch(m, ev);
	free(ev);
}

static void watchdog_schedule(struct modem *m)
{
	unsigned long us = osmo_tdef_get(modem_tdefs, -2, OSMO_TDEF_US, 1000000);

	osmo_timer_schedule(&m->watchdog, us / 1000000, us % 1000000);
}

static void watchdog_cb(void *data)
{
	struct modem *m = data;
	int64_t start = atomic_load(&m->call_start_ms);

	if (start && modem_now_ms() - start > (int64_t)m->cfg.timeout_ms) {
		abort_call(m, "the modem stopped answering");
	}
	watchdog_schedule(m);
}

/* --- API --- */

struct modem *modem_alloc(void *ctx, const struct modem_cfg *cfg, const struct modem_callbacks *cb)
{
	static bool registered;
	static unsigned serial;
	struct modem *m;
	char qname[64];

	if (!registered) {
		if (osmo_fsm_register(&modem_fsm) < 0) {
			return NULL;
		}
		osmo_tdefs_reset(modem_tdefs);
		registered = true;
	}
	m = talloc_zero(ctx, struct modem);
	if (!m) {
		return NULL;
	}
	m->cfg = *cfg;
	m->cfg.name = talloc_strdup(m, cfg->name ? cfg->name : "modem");
	m->cfg.device = talloc_strdup(m, cfg->device ? cfg->device : "");
	m->cfg.connection = talloc_strdup(m, cfg->connection ? cfg->connection : "at");
	m->cfg.model = talloc_strdup(m, cfg->model ? cfg->model : "");
	m->cfg.prefixes = cfg->prefixes ? talloc_strdup(m, cfg->prefixes) : NULL;
	if (!m->cfg.name || !m->cfg.device || !m->cfg.connection || !m->cfg.model ||
	    (cfg->prefixes && !m->cfg.prefixes)) {
		talloc_free(m);
		return NULL;
	}
	m->cfg.poll_ms = cfg->poll_ms ? cfg->poll_ms : 10000;
	m->cfg.timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : 30000;
	m->cfg.reopen_min_ms = cfg->reopen_min_ms ? cfg->reopen_min_ms : 1000;
	m->cfg.reopen_max_ms = cfg->reopen_max_ms ? cfg->reopen_max_ms : 60000;
	if (m->cfg.reopen_max_ms < m->cfg.reopen_min_ms) {
		m->cfg.reopen_max_ms = m->cfg.reopen_min_ms;
	}
	m->cfg.reset_after = cfg->reset_after ? cfg->reset_after : 3;
	if (cb) {
		m->cb = *cb;
	}
	m->signal_percent = -1;
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cond, NULL);
	pthread_mutex_init(&m->sm_lock, NULL);

	snprintf(qname, sizeof(qname), "modem-%s-%u", m->cfg.name, serial++);
	m->evq = osmo_it_q_alloc(m, qname, MODEM_EVQ_LEN, evq_read_cb, m);
	if (!m->evq) {
		goto fail;
	}
	if (osmo_fd_register(&m->evq->event_ofd) < 0) {
		osmo_it_q_destroy(m->evq);
		m->evq = NULL;
		goto fail;
	}
	m->fi = osmo_fsm_inst_alloc(&modem_fsm, m, m, LOGL_INFO, NULL);
	if (!m->fi) {
		goto fail;
	}
	osmo_fsm_inst_update_id_f_sanitize(m->fi, '-', "%s", m->cfg.name);
	if (pthread_create(&m->thread, NULL, modem_worker_main, m)) {
		goto fail;
	}
	m->thread_started = true;
	osmo_timer_setup(&m->watchdog, watchdog_cb, m);
	osmo_timer_setup(&m->reopen_timer, reopen_timer_cb, m);
	watchdog_schedule(m);
	/* INIT is the initial state: re-enter it so that its onenter tells the worker to open. */
	osmo_fsm_inst_state_chg(m->fi, MODEM_ST_INIT, osmo_tdef_get(modem_tdefs, -1, OSMO_TDEF_S, 180), -1);
	return m;

fail:
	if (m->fi) {
		osmo_fsm_inst_free(m->fi);
	}
	if (m->evq) {
		osmo_fd_unregister(&m->evq->event_ofd);
		osmo_it_q_destroy(m->evq);
	}
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->sm_lock);
	talloc_free(m);
	return NULL;
}

/* Take one event off the queue. Not osmo_it_q_dequeue(): in libosmocore < 1.10 it unlinks the
 * list head itself when the queue is empty (fixed upstream in 9c972934). */
static struct modem_event *evq_pop(struct osmo_it_q *q)
{
	struct llist_head *l = NULL;

	pthread_mutex_lock(&q->mutex);
	if (!llist_empty(&q->list)) {
		l = q->list.next;
		llist_del(l);
		q->current_length--;
	}
	pthread_mutex_unlock(&q->mutex);
	return l ? llist_entry(l, struct modem_event, list) : NULL;
}

/* Dispatch what the worker has queued; used by modem_free while the worker winds down. */
static void drain_events(struct modem *m)
{
	struct modem_event *ev;

	while ((ev = evq_pop(m->evq))) {
		/* Only send results matter now: every accepted part gets its one answer. */
		if (ev->type == MODEM_EV_SENT) {
			dispatch(m, ev);
		}
		free(ev);
	}
}

void modem_free(struct modem *m)
{
	if (!m) {
		return;
	}
	m->freeing = true;
	osmo_timer_del(&m->watchdog);
	osmo_timer_del(&m->reopen_timer);
	if (m->thread_started) {
		pthread_mutex_lock(&m->lock);
		m->quit = true;
		pthread_cond_broadcast(&m->cond);
		pthread_mutex_unlock(&m->lock);
		/* A call may hang for half a minute; do not wait for it. */
		pthread_mutex_lock(&m->sm_lock);
		if (m->sm) {
			atomic_store(&m->abort_sent, true);
			GSM_AbortOperation(m->sm);
		}
		pthread_mutex_unlock(&m->sm_lock);
		for (;;) {
			struct timespec ts;

			drain_events(m);
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 20 * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			if (pthread_timedjoin_np(m->thread, NULL, &ts) == 0) {
				break;
			}
		}
		drain_events(m);
	}
	/* The worker answered its queue on the way out; anything left is answered here. */
	while (m->sendq_len) {
		struct modem_sms_out *o = &m->sendq[m->sendq_head];

		m->sendq_head = (m->sendq_head + 1) % MODEM_SENDQ_LEN;
		m->sendq_len--;
		if (m->cb.sms_send_result) {
			m->cb.sms_send_result(m->cb.data, m, o->id, -ECANCELED, -1);
		}
	}
	osmo_fd_unregister(&m->evq->event_ofd);
	osmo_it_q_destroy(m->evq);
	osmo_fsm_inst_free(m->fi);
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->sm_lock);
	talloc_free(m);
}

static bool text_fits(const char *s, size_t max)
{
	return memchr(s, '\0', max) != NULL;
}

int modem_send(struct modem *m, const struct modem_sms_out *o)
{
	if (!m || !o || !text_fits(o->number, sizeof(o->number)) || !text_fits(o->text, sizeof(o->text)) ||
	    !o->number[0] || (o->coding != MODEM_GSM7 && o->coding != MODEM_UCS2)) {
		return -EINVAL;
	}
	if (o->concat && (o->concat_total < 1 || o->concat_seq < 1 || o->concat_seq > o->concat_total)) {
		return -EINVAL;
	}
	if (m->fi->state != MODEM_ST_READY && m->fi->state != MODEM_ST_BUSY) {
		return -EAGAIN;
	}
	pthread_mutex_lock(&m->lock);
	if (m->sendq_len >= MODEM_SENDQ_LEN) {
		pthread_mutex_unlock(&m->lock);
		return -EAGAIN;
	}
	m->sendq[(m->sendq_head + m->sendq_len) % MODEM_SENDQ_LEN] = *o;
	m->sendq_len++;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
	m->pending_sends++;
	osmo_fsm_inst_dispatch(m->fi, MODEM_FEV_SEND_QUEUED, NULL);
	return 0;
}

int modem_sms_delete(struct modem *m, int folder, int location)
{
	if (!m) {
		return -EINVAL;
	}
	if (folder <= 0 && location <= 0) {
		return 0; /* delivered whole (+CMT): stored nowhere */
	}
	if (folder < 0 || location <= 0) {
		return -EINVAL;
	}
	pthread_mutex_lock(&m->lock);
	if (m->delq_len >= MODEM_DELQ_LEN) {
		pthread_mutex_unlock(&m->lock);
		/* The part is handed over again later; deleting it then is just as good. */
		return -ENOSPC;
	}
	m->delq[(m->delq_head + m->delq_len) % MODEM_DELQ_LEN] = (struct modem_del){folder, location};
	m->delq_len++;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

const char *modem_name(const struct modem *m)
{
	return m->cfg.name;
}

bool modem_ready(const struct modem *m)
{
	return m && (m->fi->state == MODEM_ST_READY || m->fi->state == MODEM_ST_BUSY);
}

bool modem_prefers(const struct modem *m, const char *number)
{
	return m && modem_prefix_match(m->cfg.prefixes, number);
}

void modem_get_status(const struct modem *m, struct modem_status *st)
{
	struct modem *mm = (struct modem *)m; /* the lock is not part of the logical state */

	memset(st, 0, sizeof(*st));
	osmo_strlcpy(st->name, m->cfg.name, sizeof(st->name));
	st->state = (enum modem_state)m->fi->state;
	st->rx_parts = m->rx_parts;
	st->tx_parts = m->tx_parts;
	st->tx_errors = m->tx_errors;
	st->reopens = m->reopens;
	st->resets = m->resets;
	st->calls = m->calls;
	st->rx_unreadable = m->rx_unreadable;
	osmo_strlcpy(st->last_error, m->last_error, sizeof(st->last_error));
	pthread_mutex_lock(&mm->lock);
	st->signal_percent = m->signal_percent;
	osmo_strlcpy(st->network, m->network, sizeof(st->network));
	osmo_strlcpy(st->imsi, m->imsi, sizeof(st->imsi));
	pthread_mutex_unlock(&mm->lock);
}

const char *modem_state_name(enum modem_state st)
{
	switch (st) {
	case MODEM_ST_INIT:
		return "INIT";
	case MODEM_ST_READY:
		return "READY";
	case MODEM_ST_BUSY:
		return "BUSY";
	case MODEM_ST_RESETTING:
		return "RESETTING";
	case MODEM_ST_DOWN:
		return "DOWN";
	}
	return "?";
}
