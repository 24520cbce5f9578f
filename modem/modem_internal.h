/* Shared between the main-loop side (modem.c) and the libgammu worker thread (worker.c).
 *
 * Ownership: fields under "main loop" are touched by the main thread only; fields under
 * "shared" only with m->lock held; the GSM_StateMachine pointer only with m->sm_lock held by
 * anyone but the worker that owns it (the main thread takes it for GSM_AbortOperation, the one
 * cross-thread libgammu call allowed). The worker never uses talloc or libosmocore logging: it
 * reports through fixed-size, malloc'd events on an osmo_it_q, which the main loop frees. */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/timer.h>

#include <yordam/modem.h>

#define MODEM_SENDQ_LEN	    64
#define MODEM_DELQ_LEN	    1024
#define MODEM_EVQ_LEN	    256
#define MODEM_LOG_TEXT	    200
#define MODEM_REDELIVER_MS  60000 /* a reported, undeleted part is handed over again after this */
#define MODEM_STATUS_MS	    60000 /* signal/network/IMSI refresh */
#define MODEM_CALL_DEDUP_MS 15000 /* RING repeats: one report per caller within this */

enum modem_cmd {
	MODEM_CMD_NONE,
	MODEM_CMD_OPEN,	 /* open (or keep) the connection */
	MODEM_CMD_RESET, /* open, reset the modem (AT+CFUN=1,1 where possible), reopen */
	MODEM_CMD_CLOSE, /* close and wait for the next command */
};

enum modem_ev_type {
	MODEM_EV_CONNECTED, /* text: model/manufacturer */
	MODEM_EV_FAILED,    /* err (-errno), text: what failed */
	MODEM_EV_SMS,
	MODEM_EV_SENT,
	MODEM_EV_REPORT,
	MODEM_EV_CALL,
	MODEM_EV_LOG, /* level (LOGL_*), text */
};

struct modem_event {
	struct llist_head list;
	enum modem_ev_type type;
	int err, level;
	uint64_t id;		       /* SENT */
	int result, mr;		       /* SENT, REPORT (mr, result = TP-ST) */
	uint32_t gen;		       /* connection generation that produced it */
	char number[MODEM_NUMBER_MAX]; /* REPORT, CALL */
	char text[MODEM_LOG_TEXT];
	struct modem_sms_part part; /* SMS */
};

struct modem_del {
	int folder, location;
};

struct modem {
	/* --- main loop --- */
	struct modem_cfg cfg; /* strings are talloc children of this; read-only once the worker runs */
	struct modem_callbacks cb;
	struct osmo_fsm_inst *fi;
	struct osmo_it_q *evq;
	struct osmo_timer_list watchdog;
	struct osmo_timer_list reopen_timer; /* DOWN: backoff before reopening */
	unsigned failures;		     /* consecutive */
	unsigned pending_sends;		     /* accepted, result not yet reported */
	uint64_t rx_parts, tx_parts, tx_errors, reopens, resets, calls, rx_unreadable;
	char last_error[128];
	bool freeing;

	/* --- shared, under lock --- */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool quit;
	enum modem_cmd cmd;
	struct modem_sms_out sendq[MODEM_SENDQ_LEN];
	unsigned sendq_head, sendq_len;
	struct modem_del delq[MODEM_DELQ_LEN];
	unsigned delq_head, delq_len;
	int signal_percent;
	char network[64];
	char imsi[20];

	/* --- the state machine pointer and the hung-call watchdog --- */
	pthread_mutex_t sm_lock;
	void *sm;		       /* GSM_StateMachine * of the worker; NULL when closed */
	_Atomic int64_t call_start_ms; /* monotonic start of the libgammu call in progress, 0 when none */
	_Atomic bool abort_sent;

	pthread_t thread;
	bool thread_started;
};

/* worker.c */
void *modem_worker_main(void *arg);
int64_t modem_now_ms(void);
