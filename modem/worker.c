/* The libgammu worker thread of one modem.
 *
 * It owns one GSM_StateMachine at a time and is the only thread that calls libgammu with it
 * (except GSM_AbortOperation from the main loop's watchdog). It never touches talloc, the store
 * or libosmocore logging: it hands malloc'd, fixed-size struct modem_event to the main loop
 * through m->evq and takes commands, parts to send and deletions from the shared fields of
 * struct modem under m->lock.
 *
 * Loop while connected: deletions asked by the main loop, one queued send, parts announced by
 * +CMTI, a storage sweep (GSM_GetNextSMS) every poll_ms and right after connecting (a +CMTI
 * lost while disconnected must not lose the message), a status refresh every minute, then a
 * non-blocking GSM_ReadDevice for unsolicited results and a short wait for commands.
 *
 * libgammu callbacks run inside whatever call is reading the port: they only record what they
 * saw in struct worker; the loop acts on it after the call has returned.
 *
 * Unreadable stored parts (the dummy phone fails GetNextSMS with ERR_FILENOTSUPPORTED on a
 * garbage file; a real modem may hold a PDU libgammu cannot decode): the sweep skips them by
 * location and carries on, logs each once per connection and leaves them where they are —
 * nothing is deleted that was not handed over and committed. They count in the status
 * (rx_unreadable) and the log says where they lie. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gammu.h>

#include <osmocom/core/utils.h>
#include <osmocom/core/it_q.h>
#include <osmocom/core/logging.h>

#include "modem_internal.h"
#include "modem_util.h"

#define CMTI_MAX     16
#define DIRECT_MAX   4
#define SEEN_CAP     4096
#define SWEEP_ERRORS 64 /* unreadable parts skipped in one sweep before it gives up */
/* Flow control: stored parts handed over and not yet deleted (the main loop deletes a part once it
 * is committed). A sweep pauses at SWEEP_UNACKED_MAX and resumes when deletions have brought the
 * count under half of it, so a full SIM or a flooded dummy inbox never overflows the deletion queue
 * (MODEM_DELQ_LEN) nor the seen table, and sends and deletions go on between the batches. */
#define SWEEP_UNACKED_MAX 256

struct worker {
	struct modem *m;
	GSM_StateMachine *s;
	GSM_MultiSMSMessage *msms; /* 266 KB: one, reused */
	struct modem_seen seen;
	uint32_t gen;
	int64_t next_sweep, next_status;
	bool sweep_asap;
	bool sweep_paused;	/* stopped at SWEEP_UNACKED_MAX: resume once deletions come */
	unsigned unacked;	/* stored parts reported and not deleted since */
	int64_t last_report_ms; /* when the last stored part was reported */
	/* recorded by callbacks */
	bool send_done;
	int send_status, send_mr;
	struct modem_del cmti[CMTI_MAX];
	unsigned n_cmti;
	GSM_SMSMessage *direct; /* DIRECT_MAX parts or reports delivered whole (+CMT, +CDS) */
	unsigned n_direct;
	bool call_pending;
	char call_number[MODEM_NUMBER_MAX];
	char last_call_number[MODEM_NUMBER_MAX];
	int64_t last_call_ms;
	/* unreadable locations already logged in this connection */
	struct modem_seen bad;
};

int64_t modem_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool quitting(struct modem *m)
{
	bool q;

	pthread_mutex_lock(&m->lock);
	q = m->quit;
	pthread_mutex_unlock(&m->lock);
	return q;
}

/* Hand an event to the main loop; waits while the queue is full (the main loop drains it, also
 * inside modem_free). Frees ev when the modem is going away and the queue stays full. */
static void post(struct worker *w, struct modem_event *ev)
{
	struct modem *m = w->m;

	ev->gen = w->gen;
	while (osmo_it_q_enqueue(m->evq, ev, list) == -ENOSPC) {
		usleep(2000);
	}
}

static struct modem_event *ev_new(enum modem_ev_type type)
{
	struct modem_event *ev;

	/* Out of memory in the worker: nothing sensible to do but wait for memory. */
	while (!(ev = calloc(1, sizeof(*ev)))) {
		usleep(10000);
	}
	ev->type = type;
	return ev;
}

static void __attribute__((format(printf, 3, 4))) wlog(struct worker *w, int level, const char *fmt, ...)
{
	struct modem_event *ev = ev_new(MODEM_EV_LOG);
	va_list ap;

	ev->level = level;
	va_start(ap, fmt);
	vsnprintf(ev->text, sizeof(ev->text), fmt, ap);
	va_end(ap);
	post(w, ev);
}

/* GSM_Error -> -errno at the boundary. */
static int gsm_errno(GSM_Error e)
{
	switch (e) {
	case ERR_NONE:
		return 0;
	case ERR_TIMEOUT:
		return -ETIMEDOUT;
	case ERR_ABORTED:
		return -ECANCELED;
	case ERR_DEVICENOTEXIST:
	case ERR_DEVICENODRIVER:
		return -ENODEV;
	case ERR_DEVICELOCKED:
	case ERR_DEVICEBUSY:
		return -EBUSY;
	case ERR_DEVICENOPERMISSION:
	case ERR_PERMISSION:
	case ERR_SECURITYERROR:
		return -EACCES;
	case ERR_NOTSUPPORTED:
	case ERR_NOTIMPLEMENTED:
		return -ENOTSUP;
	case ERR_EMPTY:
		return -ENOENT;
	case ERR_FULL:
		return -ENOSPC;
	case ERR_MOREMEMORY:
		return -ENOMEM;
	case ERR_FILENOTSUPPORTED:
	case ERR_CORRUPTED:
		return -EBADMSG;
	case ERR_INVALIDLOCATION:
	case ERR_INVALIDDATA:
		return -EINVAL;
	default:
		return -EIO;
	}
}

/* Errors after which the connection is not worth keeping: the device is gone or not answering,
 * or the call was aborted (the abort flag is sticky: only a fresh state machine clears it). */
static bool gsm_fatal(GSM_Error e)
{
	switch (e) {
	case ERR_DEVICEOPENERROR:
	case ERR_DEVICELOCKED:
	case ERR_DEVICENOTEXIST:
	case ERR_DEVICEBUSY:
	case ERR_DEVICENOPERMISSION:
	case ERR_DEVICENODRIVER:
	case ERR_DEVICENOTWORK:
	case ERR_DEVICEDTRRTSERROR:
	case ERR_DEVICECHANGESPEEDERROR:
	case ERR_DEVICEWRITEERROR:
	case ERR_DEVICEREADERROR:
	case ERR_DEVICEPARITYERROR:
	case ERR_TIMEOUT:
	case ERR_ABORTED:
	case ERR_NOTCONNECTED:
		return true;
	default:
		return false;
	}
}

/* Bracket every libgammu call so that the main loop's watchdog can see one that hangs. */
static void call_begin(struct worker *w)
{
	atomic_store(&w->m->call_start_ms, modem_now_ms());
}

static void call_end(struct worker *w)
{
	atomic_store(&w->m->call_start_ms, 0);
}

static GSM_Error call_done(struct worker *w, GSM_Error e)
{
	call_end(w);
	return e;
}

/* Run one libgammu call under the watchdog; its result is left in _gerr (and returned). */
#define GCALL(w, expr) (_gerr = call_done(w, (call_begin(w), (expr))))

/* --- libgammu callbacks: record, never call libgammu --- */

static void cb_send_status(GSM_StateMachine *s, int status, int mr, void *data)
{
	struct worker *w = data;

	w->send_done = true;
	w->send_status = status;
	w->send_mr = mr;
}

static void cb_incoming_sms(GSM_StateMachine *s, GSM_SMSMessage *sms, void *data)
{
	struct worker *w = data;

	if (sms->Location == 0 && (sms->PDU == SMS_Deliver || sms->PDU == SMS_Status_Report)) {
		/* delivered whole (+CMT, +CDS): stored nowhere, so keep a copy */
		if (w->n_direct < DIRECT_MAX) {
			w->direct[w->n_direct++] = *sms;
		}
		return;
	}
	if (w->n_cmti < CMTI_MAX) {
		w->cmti[w->n_cmti].folder = sms->Folder;
		w->cmti[w->n_cmti].location = sms->Location;
		w->n_cmti++;
	} else {
		w->sweep_asap = true;
	}
}

static void unicode_to_utf8(char *dst, size_t dstlen, const unsigned char *ucs2)
{
	/* EncodeUTF8 writes at most 4 bytes per UCS-2 unit; GSM_SMSMessage texts are bounded. */
	char buf[(GSM_MAX_SMS_LENGTH + 1) * 4 + 1];
	size_t n = UnicodeLength(ucs2);

	if (n > GSM_MAX_SMS_LENGTH) {
		dst[0] = '\0';
		return;
	}
	buf[0] = '\0';
	EncodeUTF8(buf, ucs2);
	modem_utf8_copy(dst, dstlen, buf);
}

static void cb_incoming_call(GSM_StateMachine *s, GSM_Call *call, void *data)
{
	struct worker *w = data;

	if (call->Status != GSM_CALL_IncomingCall) {
		return;
	}
	unicode_to_utf8(w->call_number, sizeof(w->call_number), call->PhoneNumber);
	w->call_pending = true;
}

/* --- opening and closing --- */

static void worker_close(struct worker *w)
{
	struct modem *m = w->m;
	GSM_StateMachine *s;
	GSM_Error _gerr;

	if (!w->s) {
		return;
	}
	if (GSM_IsConnected(w->s)) {
		GCALL(w, GSM_TerminateConnection(w->s));
	}
	pthread_mutex_lock(&m->sm_lock);
	s = w->s;
	m->sm = NULL;
	w->s = NULL;
	pthread_mutex_unlock(&m->sm_lock);
	GSM_FreeStateMachine(s);
	(void)_gerr;
}

static int worker_fail(struct worker *w, GSM_Error e, const char *what)
{
	int rc = gsm_errno(e);
	struct modem_event *ev = ev_new(MODEM_EV_FAILED);

	if (!rc) {
		rc = -EIO;
	}
	ev->err = rc;
	snprintf(ev->text, sizeof(ev->text), "%s: %s (%d)", what, GSM_ErrorName(e), (int)e);
	post(w, ev); /* the main loop owns ev from here */
	return rc;
}

/* Signal, network and IMSI for modem_get_status(). Returns a fatal error, or ERR_NONE. */
static GSM_Error refresh_status(struct worker *w)
{
	struct modem *m = w->m;
	GSM_SignalQuality sig;
	GSM_NetworkInfo net;
	char imsi[GSM_MAX_INFO_LENGTH] = "";
	char name[64] = "";
	int percent = -1;
	GSM_Error _gerr;

	memset(&sig, 0, sizeof(sig));
	memset(&net, 0, sizeof(net));
	if (GCALL(w, GSM_GetSignalQuality(w->s, &sig)) == ERR_NONE) {
		percent = sig.SignalPercent;
	}
	if (gsm_fatal(_gerr)) {
		return _gerr;
	}
	if (GCALL(w, GSM_GetNetworkInfo(w->s, &net)) == ERR_NONE) {
		unicode_to_utf8(name, sizeof(name), net.NetworkName);
		if (!name[0] || net.NetworkCode[0]) {
			char both[sizeof(name) + sizeof(net.NetworkCode) + 2];

			snprintf(both, sizeof(both), "%s%s%s", name, name[0] && net.NetworkCode[0] ? " " : "",
				 net.NetworkCode);
			osmo_strlcpy(name, both, sizeof(name));
		}
	}
	if (gsm_fatal(_gerr)) {
		return _gerr;
	}
	if (GCALL(w, GSM_GetSIMIMSI(w->s, imsi)) != ERR_NONE) {
		if (gsm_fatal(_gerr)) {
			return _gerr;
		}
		imsi[0] = '\0';
	}
	pthread_mutex_lock(&m->lock);
	m->signal_percent = percent;
	memcpy(m->network, name, sizeof(m->network));
	m->network[sizeof(m->network) - 1] = '\0';
	osmo_strlcpy(m->imsi, imsi, sizeof(m->imsi));
	pthread_mutex_unlock(&m->lock);
	return ERR_NONE;
}

static int worker_open(struct worker *w, bool reset)
{
	struct modem *m = w->m;
	const char *dbg = getenv("YORDAM_GAMMU_LOG");
	GSM_StateMachine *s;
	GSM_Config *cfg;
	GSM_Error _gerr;
	int i;

	s = GSM_AllocStateMachine();
	if (!s) {
		return worker_fail(w, ERR_MOREMEMORY, "allocating the state machine");
	}
	cfg = GSM_GetConfig(s, 0);
	cfg->Device = strdup(m->cfg.device);
	cfg->Connection = strdup(m->cfg.connection);
	cfg->DebugFile = strdup(dbg ? dbg : "");
	if (!cfg->Device || !cfg->Connection || !cfg->DebugFile) {
		GSM_FreeStateMachine(s);
		return worker_fail(w, ERR_MOREMEMORY, "allocating the configuration");
	}
	snprintf(cfg->Model, sizeof(cfg->Model), "%s", m->cfg.model ? m->cfg.model : "");
	snprintf(cfg->DebugLevel, sizeof(cfg->DebugLevel), "%s", dbg ? "textalldate" : "");
	cfg->UseGlobalDebugFile = FALSE;
	cfg->LockDevice = FALSE;
	cfg->StartInfo = FALSE;
	cfg->SyncTime = FALSE;
	snprintf(cfg->TextReminder, sizeof(cfg->TextReminder), "Reminder");
	snprintf(cfg->TextMeeting, sizeof(cfg->TextMeeting), "Meeting");
	snprintf(cfg->TextCall, sizeof(cfg->TextCall), "Call");
	snprintf(cfg->TextBirthday, sizeof(cfg->TextBirthday), "Birthday");
	snprintf(cfg->TextMemo, sizeof(cfg->TextMemo), "Memo");
	for (i = 0; i < 5; i++) {
		cfg->CNMIParams[i] = -1;
	}
	GSM_SetConfigNum(s, 1);

	pthread_mutex_lock(&m->sm_lock);
	w->s = s;
	m->sm = s;
	atomic_store(&m->abort_sent, false);
	pthread_mutex_unlock(&m->sm_lock);

	if (GCALL(w, GSM_InitConnection(s, 1)) != ERR_NONE) {
		int rc = worker_fail(w, _gerr, "opening the modem");
		worker_close(w);
		return rc;
	}
	if (reset) {
		/* libgammu's AT driver sends AT+CFUN=1,1 for a *soft* reset (hard is NOTSUPPORTED
		 * there); the dummy phone only logs either. */
		if (GCALL(w, GSM_Reset(s, FALSE)) == ERR_NOTSUPPORTED) {
			GCALL(w, GSM_Reset(s, TRUE));
		}
		if (_gerr != ERR_NONE) {
			wlog(w, LOGL_NOTICE, "reset not done: %s", GSM_ErrorName(_gerr));
		} else {
			wlog(w, LOGL_NOTICE, "modem reset");
		}
		worker_close(w);
		if (strcmp(m->cfg.model ? m->cfg.model : "", "dummy")) {
			/* give the modem time to restart before talking to it again */
			for (i = 0; i < 50 && !quitting(m); i++) {
				usleep(100000);
			}
		}
		return worker_open(w, false);
	}

	GSM_SetSendSMSStatusCallback(s, cb_send_status, w);
	GSM_SetIncomingSMSCallback(s, cb_incoming_sms, w);
	GSM_SetIncomingCallCallback(s, cb_incoming_call, w);
	if (GCALL(w, GSM_SetIncomingSMS(s, TRUE)) != ERR_NONE) {
		if (gsm_fatal(_gerr)) {
			int rc = worker_fail(w, _gerr, "enabling incoming SMS");
			worker_close(w);
			return rc;
		}
		wlog(w, LOGL_NOTICE, "no +CMTI notices (%s): relying on the storage sweep", GSM_ErrorName(_gerr));
	}
	if (GCALL(w, GSM_SetIncomingCall(s, TRUE)) != ERR_NONE) {
		if (gsm_fatal(_gerr)) {
			int rc = worker_fail(w, _gerr, "enabling incoming calls");
			worker_close(w);
			return rc;
		}
		wlog(w, LOGL_INFO, "no incoming call notices: %s", GSM_ErrorName(_gerr));
	}
	w->n_cmti = 0;
	w->n_direct = 0;
	w->call_pending = false;
	w->send_done = false;
	modem_seen_clear(&w->seen);
	modem_seen_clear(&w->bad);
	w->next_sweep = 0;
	w->next_status = 0;
	w->sweep_paused = false;
	w->unacked = 0;
	return 0;
}

/* --- received parts --- */

/* Over the meaningful bytes only: the rest of the buffers holds leftovers of earlier reads. */
static uint32_t sms_fingerprint(const GSM_SMSMessage *sms)
{
	uint32_t h = 2166136261u;
	size_t n;

	if (sms->Coding == SMS_Coding_Default_No_Compression || sms->Coding == SMS_Coding_Unicode_No_Compression) {
		n = UnicodeLength(sms->Text) * 2;
	} else {
		n = sms->Length > 0 ? (size_t)sms->Length : 0;
	}
	if (n > sizeof(sms->Text)) {
		n = sizeof(sms->Text);
	}
	h = modem_fnv1a(h, sms->Number, UnicodeLength(sms->Number) * 2);
	h = modem_fnv1a(h, sms->Text, n);
	h = modem_fnv1a(h, &sms->DateTime, sizeof(sms->DateTime));
	h = modem_fnv1a(h, sms->UDH.Text,
			sms->UDH.Length > 0 && sms->UDH.Length <= GSM_MAX_UDH_LENGTH ? (size_t)sms->UDH.Length : 0);
	return h;
}

static void part_from_sms(const GSM_SMSMessage *sms, struct modem_sms_part *p)
{
	struct modem_concat c;
	int rc = 0;

	memset(p, 0, sizeof(*p));
	p->folder = sms->Folder;
	p->location = sms->Location;
	unicode_to_utf8(p->sender, sizeof(p->sender), sms->Number);
	p->sent_time =
		modem_civil_to_unix(sms->DateTime.Year, sms->DateTime.Month, sms->DateTime.Day, sms->DateTime.Hour,
				    sms->DateTime.Minute, sms->DateTime.Second, sms->DateTime.Timezone);
	switch (sms->Coding) {
	case SMS_Coding_Default_No_Compression:
		p->coding = MODEM_GSM7;
		unicode_to_utf8(p->text, sizeof(p->text), sms->Text);
		break;
	case SMS_Coding_Unicode_No_Compression:
		p->coding = MODEM_UCS2;
		unicode_to_utf8(p->text, sizeof(p->text), sms->Text);
		break;
	default: {
		size_t n = sms->Length > 0 ? (size_t)sms->Length : 0;

		/* 8-bit data, or a compressed coding libgammu cannot expand: hand the octets over */
		p->coding = MODEM_8BIT;
		if (n > (sizeof(p->text) - 1) / 2) {
			n = (sizeof(p->text) - 1) / 2;
		}
		modem_hex(p->text, sms->Text, n);
		break;
	}
	}
	if (sms->UDH.Type != UDH_NoUDH && sms->UDH.Length > 0 && sms->UDH.Length <= GSM_MAX_UDH_LENGTH) {
		rc = modem_udh_concat(sms->UDH.Text, (size_t)sms->UDH.Length, &c);
	}
	if (rc == 1) {
		p->concat = true;
		p->concat_16bit = c.is_16bit;
		p->concat_ref = c.ref;
		p->concat_total = c.total;
		p->concat_seq = c.seq;
	} else if ((sms->UDH.Type == UDH_ConcatenatedMessages || sms->UDH.Type == UDH_ConcatenatedMessages16bit) &&
		   sms->UDH.AllParts > 0 && sms->UDH.AllParts < 256 && sms->UDH.PartNumber >= 1 &&
		   sms->UDH.PartNumber <= sms->UDH.AllParts) {
		p->concat = true;
		p->concat_16bit = sms->UDH.Type == UDH_ConcatenatedMessages16bit;
		p->concat_ref = (uint16_t)(p->concat_16bit ? sms->UDH.ID16bit : sms->UDH.ID8bit);
		p->concat_total = (uint8_t)sms->UDH.AllParts;
		p->concat_seq = (uint8_t)sms->UDH.PartNumber;
	}
}

static void queue_own_delete(struct worker *w, int folder, int location)
{
	struct modem *m = w->m;

	pthread_mutex_lock(&m->lock);
	if (m->delq_len < MODEM_DELQ_LEN) {
		m->delq[(m->delq_head + m->delq_len) % MODEM_DELQ_LEN] = (struct modem_del){folder, location};
		m->delq_len++;
	}
	pthread_mutex_unlock(&m->lock);
}

/* One stored or direct message (a GSM_MultiSMSMessage entry) to the main loop. */
static void report_sms(struct worker *w, const GSM_SMSMessage *sms, bool stored)
{
	struct modem_event *ev;

	if (sms->PDU == SMS_Status_Report) {
		ev = ev_new(MODEM_EV_REPORT);
		ev->mr = sms->MessageReference;
		ev->result = sms->DeliveryStatus;
		unicode_to_utf8(ev->number, sizeof(ev->number), sms->Number);
		post(w, ev);
		/* A report is not a message anybody commits: remove it once handed over. */
		if (stored && sms->Location > 0) {
			queue_own_delete(w, sms->Folder, sms->Location);
		}
		return;
	}
	if (sms->PDU != SMS_Deliver) {
		return; /* sent items, drafts, templates: not ours to report */
	}
	if (stored && !modem_seen_check(&w->seen, sms->Folder, sms->Location, sms_fingerprint(sms), modem_now_ms(),
					MODEM_REDELIVER_MS)) {
		return;
	}
	ev = ev_new(MODEM_EV_SMS);
	part_from_sms(sms, &ev->part);
	ev->part.read_ms = modem_now_ms();
	if (!stored) {
		ev->part.folder = 0;
		ev->part.location = 0;
	} else {
		w->unacked++;
		w->last_report_ms = ev->part.read_ms;
	}
	post(w, ev);
}

static void report_multi(struct worker *w, const GSM_MultiSMSMessage *ms)
{
	int i;

	for (i = 0; i < ms->Number && i < GSM_MAX_MULTI_SMS; i++) {
		report_sms(w, &ms->SMS[i], true);
	}
}

static void note_unreadable(struct worker *w, int folder, int location, GSM_Error e)
{
	if (modem_seen_check(&w->bad, folder > 0 ? folder : 1, location, 0, modem_now_ms(), INT64_MAX)) {
		struct modem_event *ev = ev_new(MODEM_EV_LOG);

		ev->level = LOGL_ERROR;
		ev->err = -EBADMSG; /* counted as unreadable by the main loop */
		snprintf(ev->text, sizeof(ev->text),
			 "unreadable message at folder %d location %d (%s): skipped, left in place", folder, location,
			 GSM_ErrorName(e));
		post(w, ev);
	}
}

/* Read every stored part. Returns the fatal GSM_Error that ended it, or ERR_NONE. */
static GSM_Error sweep(struct worker *w)
{
	GSM_MultiSMSMessage *ms = w->msms;
	GSM_Error _gerr;
	bool start = true;
	unsigned errors = 0;
	int last_folder = -1, last_location = -1;

	memset(ms, 0, sizeof(*ms));
	for (;;) {
		int folder, location;

		ms->Number = 0;
		GCALL(w, GSM_GetNextSMS(w->s, ms, start));
		start = false;
		if (_gerr == ERR_EMPTY) {
			return ERR_NONE;
		}
		if (gsm_fatal(_gerr)) {
			return _gerr;
		}
		folder = ms->SMS[0].Folder;
		location = ms->SMS[0].Location;
		if (_gerr != ERR_NONE) {
			/* The iteration state lies in SMS[0].Folder/Location: carry on past it. */
			note_unreadable(w, folder, location, _gerr);
			if (++errors > SWEEP_ERRORS || (folder == last_folder && location == last_location)) {
				return ERR_NONE;
			}
			last_folder = folder;
			last_location = location;
			continue;
		}
		if (ms->Number == 0) {
			/* No parts (the dummy phone does this for a file without Number): skip it too,
			 * but never loop on the same location. */
			if (folder == last_folder && location == last_location) {
				return ERR_NONE;
			}
			note_unreadable(w, folder, location, ERR_EMPTY);
			last_folder = folder;
			last_location = location;
			continue;
		}
		last_folder = folder;
		last_location = location;
		report_multi(w, ms);
		if (quitting(w->m)) {
			return ERR_NONE;
		}
		if (w->unacked >= SWEEP_UNACKED_MAX) {
			/* the rest after the deletions: the next sweep starts over, and skips what
			 * was reported and is not deleted yet */
			w->sweep_paused = true;
			return ERR_NONE;
		}
	}
}

/* Parts announced by +CMTI: read each by location. */
static GSM_Error read_announced(struct worker *w)
{
	GSM_MultiSMSMessage *ms = w->msms;
	GSM_Error _gerr;
	unsigned i, n = w->n_cmti;
	struct modem_del loc[CMTI_MAX];

	memcpy(loc, w->cmti, sizeof(loc[0]) * n);
	w->n_cmti = 0;
	for (i = 0; i < n; i++) {
		memset(ms, 0, sizeof(ms->SMS[0]));
		ms->Number = 1;
		ms->SMS[0].Folder = loc[i].folder;
		ms->SMS[0].Location = loc[i].location;
		GCALL(w, GSM_GetSMS(w->s, ms));
		if (gsm_fatal(_gerr)) {
			return _gerr;
		}
		if (_gerr == ERR_NONE) {
			report_multi(w, ms);
		} else if (_gerr != ERR_EMPTY) {
			note_unreadable(w, loc[i].folder, loc[i].location, _gerr);
			w->sweep_asap = true;
		}
	}
	return ERR_NONE;
}

static void handle_direct(struct worker *w)
{
	unsigned i;

	for (i = 0; i < w->n_direct; i++) {
		report_sms(w, &w->direct[i], false);
	}
	w->n_direct = 0;
}

static GSM_Error handle_call(struct worker *w)
{
	struct modem *m = w->m;
	int64_t now = modem_now_ms();
	GSM_Error _gerr = ERR_NONE;
	struct modem_event *ev;

	w->call_pending = false;
	/* RING and +CLIP repeat every few seconds while the caller waits: report once. */
	if (!strcmp(w->call_number, w->last_call_number) && now - w->last_call_ms < MODEM_CALL_DEDUP_MS) {
		w->last_call_ms = now;
		if (m->cfg.reject_calls) {
			GCALL(w, GSM_CancelCall(w->s, 0, TRUE));
		}
		return gsm_fatal(_gerr) ? _gerr : ERR_NONE;
	}
	memcpy(w->last_call_number, w->call_number, sizeof(w->last_call_number));
	w->last_call_ms = now;
	if (m->cfg.reject_calls) {
		GCALL(w, GSM_CancelCall(w->s, 0, TRUE));
		if (_gerr != ERR_NONE) {
			wlog(w, LOGL_NOTICE, "hanging up on %s: %s", w->call_number, GSM_ErrorName(_gerr));
		}
	}
	ev = ev_new(MODEM_EV_CALL);
	memcpy(ev->number, w->call_number, sizeof(ev->number));
	post(w, ev);
	return gsm_fatal(_gerr) ? _gerr : ERR_NONE;
}

/* --- sending --- */

static GSM_Error send_one(struct worker *w, const struct modem_sms_out *o)
{
	struct modem *m = w->m;
	GSM_SMSMessage *sms = &w->msms->SMS[0];
	struct modem_event *ev = ev_new(MODEM_EV_SENT);
	GSM_Error _gerr;
	int64_t deadline;

	ev->id = o->id;
	ev->mr = -1;
	memset(sms, 0, sizeof(*sms));
	GSM_SetDefaultSMSData(sms);
	sms->Class = -1;					    /* GSM_SetDefaultSMSData makes it a flash SMS */
	sms->PDU = o->want_report ? SMS_Status_Report : SMS_Submit; /* libgammu's way to ask for a report */
	sms->Coding = o->coding == MODEM_UCS2 ? SMS_Coding_Unicode_No_Compression : SMS_Coding_Default_No_Compression;
	sms->SMSC.Location = 1;
	DecodeUTF8(sms->Number, o->number, strnlen(o->number, sizeof(o->number)));
	DecodeUTF8(sms->Text, o->text, strnlen(o->text, sizeof(o->text)));
	sms->Length = (int)UnicodeLength(sms->Text);
	if (o->concat) {
		sms->UDH.Type = UDH_ConcatenatedMessages;
		sms->UDH.ID8bit = o->concat_ref;
		sms->UDH.ID16bit = -1;
		sms->UDH.AllParts = o->concat_total;
		sms->UDH.PartNumber = o->concat_seq;
		GSM_EncodeUDHHeader(NULL, &sms->UDH);
	} else {
		sms->UDH.Type = UDH_NoUDH;
	}

	w->send_done = false;
	GCALL(w, GSM_SendSMS(w->s, sms));
	if (_gerr == ERR_NONE) {
		deadline = modem_now_ms() + (m->cfg.timeout_ms ? m->cfg.timeout_ms : 30000);
		while (!w->send_done && modem_now_ms() < deadline && !quitting(m)) {
			int n;

			call_begin(w);
			n = GSM_ReadDevice(w->s, TRUE);
			call_end(w);
			if (n < 0 || atomic_load(&m->abort_sent)) {
				_gerr = atomic_load(&m->abort_sent) ? ERR_ABORTED : ERR_DEVICEREADERROR;
				break;
			}
		}
	}
	if (w->send_done) {
		ev->result = w->send_status == 0 ? 0 : -EIO;
		ev->mr = w->send_mr == 0xff ? -1 : w->send_mr;
		if (w->send_status != 0) {
			snprintf(ev->text, sizeof(ev->text), "send %" PRIu64 ": modem error %d", o->id, w->send_status);
		}
		_gerr = ERR_NONE;
	} else if (_gerr == ERR_NONE) {
		ev->result = quitting(m) ? -ECANCELED : -ETIMEDOUT;
		snprintf(ev->text, sizeof(ev->text), "send %" PRIu64 ": no result from the modem", o->id);
		/* a modem that takes a part and never answers is not healthy */
		_gerr = quitting(m) ? ERR_NONE : ERR_TIMEOUT;
	} else {
		ev->result = gsm_errno(_gerr);
		if (ev->result == 0) {
			ev->result = -EIO;
		}
		snprintf(ev->text, sizeof(ev->text), "send %" PRIu64 ": %s", o->id, GSM_ErrorName(_gerr));
	}
	post(w, ev);
	return gsm_fatal(_gerr) ? _gerr : ERR_NONE;
}

/* --- the loops --- */

/* Deletions asked by the main loop (and reports we delete ourselves). */
static GSM_Error do_deletes(struct worker *w)
{
	struct modem *m = w->m;
	GSM_SMSMessage *sms = &w->msms->SMS[0];
	GSM_Error _gerr;

	for (;;) {
		struct modem_del d;

		pthread_mutex_lock(&m->lock);
		if (!m->delq_len || m->quit || m->cmd != MODEM_CMD_NONE) {
			pthread_mutex_unlock(&m->lock);
			return ERR_NONE;
		}
		d = m->delq[m->delq_head];
		pthread_mutex_unlock(&m->lock);

		memset(sms, 0, sizeof(*sms));
		sms->Folder = d.folder;
		sms->Location = d.location;
		GCALL(w, GSM_DeleteSMS(w->s, sms));
		if (gsm_fatal(_gerr)) {
			return _gerr; /* left queued: done after reconnecting */
		}
		if (_gerr != ERR_NONE && _gerr != ERR_EMPTY) {
			wlog(w, LOGL_ERROR, "deleting folder %d location %d: %s", d.folder, d.location,
			     GSM_ErrorName(_gerr));
		}
		modem_seen_forget(&w->seen, d.folder, d.location);
		if (w->unacked) {
			w->unacked--;
		}
		pthread_mutex_lock(&m->lock);
		m->delq_head = (m->delq_head + 1) % MODEM_DELQ_LEN;
		m->delq_len--;
		pthread_mutex_unlock(&m->lock);
	}
}

/* Take the next part to send, if any (and no command is waiting). */
static bool take_send(struct worker *w, struct modem_sms_out *o)
{
	struct modem *m = w->m;
	bool got = false;

	pthread_mutex_lock(&m->lock);
	if (m->sendq_len && !m->quit && m->cmd == MODEM_CMD_NONE) {
		*o = m->sendq[m->sendq_head];
		m->sendq_head = (m->sendq_head + 1) % MODEM_SENDQ_LEN;
		m->sendq_len--;
		got = true;
	}
	pthread_mutex_unlock(&m->lock);
	return got;
}

/* Answer every queued part with -ECANCELED (the modem is closed or going away). */
static void cancel_sends(struct worker *w)
{
	struct modem_sms_out o;
	struct modem *m = w->m;

	for (;;) {
		struct modem_event *ev;

		pthread_mutex_lock(&m->lock);
		if (!m->sendq_len) {
			pthread_mutex_unlock(&m->lock);
			return;
		}
		o = m->sendq[m->sendq_head];
		m->sendq_head = (m->sendq_head + 1) % MODEM_SENDQ_LEN;
		m->sendq_len--;
		pthread_mutex_unlock(&m->lock);
		ev = ev_new(MODEM_EV_SENT);
		ev->id = o.id;
		ev->result = -ECANCELED;
		ev->mr = -1;
		post(w, ev);
	}
}

/* Connected: serve until a fatal error, a command or quit. Returns the error or ERR_NONE. */
static GSM_Error worker_run(struct worker *w)
{
	struct modem *m = w->m;
	struct modem_sms_out *o = malloc(sizeof(*o));
	GSM_Error e = ERR_NONE, _gerr;

	if (!o) {
		return ERR_MOREMEMORY;
	}
	for (;;) {
		int64_t now;
		struct timespec until;
		bool stop;

		pthread_mutex_lock(&m->lock);
		stop = m->quit || m->cmd != MODEM_CMD_NONE;
		pthread_mutex_unlock(&m->lock);
		if (stop) {
			break;
		}
		if (atomic_load(&m->abort_sent)) {
			e = ERR_ABORTED;
			break;
		}
		if ((e = do_deletes(w)) != ERR_NONE) {
			break;
		}
		if (w->n_direct) {
			handle_direct(w);
		}
		if (w->call_pending && (e = handle_call(w)) != ERR_NONE) {
			break;
		}
		if (w->n_cmti && (e = read_announced(w)) != ERR_NONE) {
			break;
		}
		now = modem_now_ms();
		if (w->unacked && now - w->last_report_ms >= MODEM_REDELIVER_MS) {
			/* nothing deleted for a long time (the store refuses them?): those parts are
			 * handed over again anyway, so stop waiting for them */
			w->unacked = 0;
		}
		if (w->sweep_paused && w->unacked < SWEEP_UNACKED_MAX / 2) {
			w->sweep_paused = false;
			w->sweep_asap = true;
		}
		if (!w->sweep_paused && (w->sweep_asap || now >= w->next_sweep)) {
			w->sweep_asap = false;
			if ((e = sweep(w)) != ERR_NONE) {
				break;
			}
			w->next_sweep = modem_now_ms() + (m->cfg.poll_ms ? m->cfg.poll_ms : 10000);
			continue; /* deletions asked meanwhile come first */
		}
		if (now >= w->next_status) {
			w->next_status = modem_now_ms() + MODEM_STATUS_MS;
			if ((e = refresh_status(w)) != ERR_NONE) {
				break;
			}
		}
		if (take_send(w, o)) {
			if ((e = send_one(w, o)) != ERR_NONE) {
				break;
			}
			continue;
		}
		/* Unsolicited results (+CMTI, RING, +CLIP): a non-blocking read. A read error means
		 * the device is gone, although GSM_IsConnected still says TRUE. */
		call_begin(w);
		_gerr = GSM_ReadDevice(w->s, FALSE) < 0 ? ERR_DEVICEREADERROR : ERR_NONE;
		call_end(w);
		if (_gerr != ERR_NONE) {
			e = _gerr;
			break;
		}
		if (w->n_cmti || w->n_direct || w->call_pending) {
			continue;
		}
		/* Sleep a little unless work arrives. */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 50 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&m->lock);
		if (!m->quit && m->cmd == MODEM_CMD_NONE && !m->sendq_len && !m->delq_len) {
			pthread_cond_timedwait(&m->cond, &m->lock, &until);
		}
		pthread_mutex_unlock(&m->lock);
	}
	free(o);
	return e;
}

void *modem_worker_main(void *arg)
{
	struct modem *m = arg;
	struct worker *w = calloc(1, sizeof(*w));

	if (!w) {
		return NULL;
	}
	w->m = m;
	w->msms = malloc(sizeof(*w->msms));
	w->direct = calloc(DIRECT_MAX, sizeof(*w->direct));
	if (!w->msms || !w->direct || modem_seen_init(&w->seen, SEEN_CAP) || modem_seen_init(&w->bad, 256)) {
		/* the main loop sees no CONNECTED and keeps retrying; report why */
		struct modem_event *ev = ev_new(MODEM_EV_FAILED);

		ev->err = -ENOMEM;
		snprintf(ev->text, sizeof(ev->text), "worker: out of memory");
		post(w, ev);
		goto out;
	}

	for (;;) {
		enum modem_cmd cmd;
		GSM_Error e;

		/* Wait for a command; parts queued while closed are answered at once. */
		pthread_mutex_lock(&m->lock);
		while (!m->quit && m->cmd == MODEM_CMD_NONE) {
			if (m->sendq_len) {
				pthread_mutex_unlock(&m->lock);
				cancel_sends(w);
				pthread_mutex_lock(&m->lock);
				continue;
			}
			pthread_cond_wait(&m->cond, &m->lock);
		}
		cmd = m->cmd;
		m->cmd = MODEM_CMD_NONE;
		if (m->quit) {
			pthread_mutex_unlock(&m->lock);
			break;
		}
		pthread_mutex_unlock(&m->lock);

		if (cmd == MODEM_CMD_CLOSE) {
			worker_close(w);
			continue;
		}
		if (w->s) {
			worker_close(w);
		}
		w->gen++;
		if (worker_open(w, cmd == MODEM_CMD_RESET)) {
			cancel_sends(w);
			continue;
		}
		{
			struct modem_event *ev = ev_new(MODEM_EV_CONNECTED);

			snprintf(ev->text, sizeof(ev->text), "%s %s", m->cfg.connection, m->cfg.device);
			post(w, ev);
		}
		e = worker_run(w);
		if (e != ERR_NONE) {
			worker_fail(w, e, atomic_load(&m->abort_sent) ? "call aborted (hung)" : "modem lost");
			worker_close(w);
			cancel_sends(w);
		}
		/* a command (reopen/reset/close) or quit ended the run: the loop handles it */
	}
out:
	worker_close(w);
	cancel_sends(w);
	modem_seen_fini(&w->seen);
	modem_seen_fini(&w->bad);
	free(w->direct);
	free(w->msms);
	free(w);
	return NULL;
}
