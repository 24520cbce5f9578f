/* GSM modems through libgammu.
 *
 * libgammu blocks and cannot be polled, so each modem has its own worker thread with its own
 * libgammu state machine (libgammu has no locking; one state machine per thread is safe).
 * Workers never touch talloc, the store or anything of the main loop: they exchange fixed-size
 * events with it through osmo_it_q (eventfd). Every callback below runs on the main loop.
 * gammu.h is included by modem/ alone.
 *
 * Contract with the SMS layer (sms/):
 *  - sms_received() hands over one received part. The SMS layer MUST commit it durably and only
 *    then call modem_sms_delete() for it. A part is re-delivered (after a reconnect or a storage
 *    sweep) until it is deleted, so the SMS layer MUST recognise duplicates.
 *  - modem_send() queues one already-encoded part; exactly one sms_send_result() follows for its
 *    id, whatever happens (sent, modem error, timeout, modem reset, modem_free). The SMS layer
 *    keeps the outbox in the store and decides retries.
 *  - A modem that errors, stops answering or vanishes is reopened with backoff and, after
 *    repeated failure, reset; the other modems keep working. state_changed() reports it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define MODEM_NAME_MAX	 32
#define MODEM_NUMBER_MAX 24
/* One part's text as UTF-8: at most 160 septets or 70 UCS-2 units, 4 bytes each at worst. */
#define MODEM_PART_TEXT_MAX (160 * 4 + 1)

enum modem_coding {
	MODEM_GSM7,
	MODEM_UCS2,
	MODEM_8BIT, /* received binary data; text holds it as hex */
};

struct modem_cfg {
	const char *name;	/* e.g. "m1" */
	const char *device;	/* /dev/serial/by-id/..., or the dummy phone's directory */
	const char *connection; /* libgammu connection: "at", "at115200", "none" (dummy) */
	const char *model;	/* libgammu model: "" (auto) or "dummy" */
	unsigned poll_ms;	/* storage sweep for missed +CMTI (default 10000) */
	unsigned timeout_ms;	/* a call not back within this is aborted (default 30000) */
	unsigned reopen_min_ms; /* backoff after a failure (default 1000) */
	unsigned reopen_max_ms; /* backoff cap (default 60000) */
	unsigned reset_after;	/* consecutive failures before a reset (AT+CFUN=1,1), default 3 */
	bool reject_calls;	/* hang up incoming calls and report them (missed-call "beeps") */
	const char *prefixes;	/* comma-separated number prefixes this modem prefers, or NULL */
};

struct modem;

/* One received part, as stored on the modem or SIM. */
struct modem_sms_part {
	/* where it lies on the modem: pass back to modem_sms_delete(); 0/0 for a part the modem
	 * delivered whole (+CMT) and stored nowhere (deleting it is a no-op) */
	int folder, location;
	char sender[MODEM_NUMBER_MAX];
	int64_t sent_time; /* SMSC timestamp (unix time), 0 when unknown */
	enum modem_coding coding;
	bool concat;	   /* a part of a concatenated message */
	bool concat_16bit; /* 16-bit reference (UDH IEI 0x08) */
	uint16_t concat_ref;
	uint8_t concat_total, concat_seq; /* 1-based */
	char text[MODEM_PART_TEXT_MAX];	  /* UTF-8 */
	int64_t read_ms; /* when the worker read it (modem_now_ms(), CLOCK_MONOTONIC), 0 when unknown */
};

/* One part to send, already cut to fit (see sms/ for the segmenter). */
struct modem_sms_out {
	uint64_t id; /* chosen by the caller; echoed in sms_send_result */
	char number[MODEM_NUMBER_MAX];
	enum modem_coding coding; /* MODEM_GSM7 or MODEM_UCS2 */
	bool concat;
	uint8_t concat_ref, concat_total, concat_seq;
	bool want_report; /* request a delivery report */
	char text[MODEM_PART_TEXT_MAX];
};

enum modem_state {
	MODEM_ST_INIT,
	MODEM_ST_READY,
	MODEM_ST_BUSY,
	MODEM_ST_RESETTING,
	MODEM_ST_DOWN, /* waiting to reopen */
};

struct modem_status {
	char name[MODEM_NAME_MAX];
	enum modem_state state;
	int signal_percent; /* -1 unknown */
	char network[64];   /* operator name/code, "" unknown */
	char imsi[20];	    /* "" unknown */
	uint64_t rx_parts, tx_parts, tx_errors, reopens, resets, calls;
	char last_error[128];
	uint64_t rx_unreadable; /* stored parts that could not be read: skipped and left in place */
};

struct modem_callbacks {
	void (*sms_received)(void *data, struct modem *m, const struct modem_sms_part *p);
	/* result 0: sent, mr = message reference (or -1); else -errno (-ETIMEDOUT, -EIO, -ECANCELED, ...) */
	void (*sms_send_result)(void *data, struct modem *m, uint64_t id, int result, int mr);
	/* A delivery report for a message reference sent earlier; status per 3GPP TS 23.040 TP-ST. */
	void (*delivery_report)(void *data, struct modem *m, int mr, const char *number, int status);
	/* An incoming call was seen (and rejected when cfg->reject_calls). */
	void (*incoming_call)(void *data, struct modem *m, const char *number);
	void (*state_changed)(void *data, struct modem *m, enum modem_state st);
	void *data;
};

/* Start the worker (which opens the device with backoff). NULL on allocation failure only. */
struct modem *modem_alloc(void *ctx, const struct modem_cfg *cfg, const struct modem_callbacks *cb);
/* Stop the worker (aborting a hung libgammu call), answer every queued send with -ECANCELED,
 * free. NULL is allowed. Not from inside one of this modem's own callbacks. */
void modem_free(struct modem *m);

/* Queue one part. 0 queued; -EAGAIN when not ready or the queue is full (try another modem or
 * later); -EINVAL for a bad part. */
int modem_send(struct modem *m, const struct modem_sms_out *o);
/* The part at folder/location is durably stored: delete it from the modem. */
int modem_sms_delete(struct modem *m, int folder, int location);

const char *modem_name(const struct modem *m);
bool modem_ready(const struct modem *m);
/* Does this modem prefer number (by cfg->prefixes)? */
bool modem_prefers(const struct modem *m, const char *number);
void modem_get_status(const struct modem *m, struct modem_status *st);
const char *modem_state_name(enum modem_state st);
