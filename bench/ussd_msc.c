/* ussd_msc: a GSUP client playing the MSC, to benchmark USSD dialogs through OsmoHLR to an EUSE.
 *
 * Modes (see bench/README.md):
 *   euse-demo  N sequential BEGIN -> END round trips (osmo-euse-demo answers every BEGIN with END);
 *              with -H D, first opens D dialogs on the yordam route and holds them during the run.
 *   yordam     opens D dialogs (BEGIN, language answer once per new IMSI), then S steps spread
 *              round-robin over them, answering "1" and "0" alternately (down a menu and back).
 *   hold       opens D dialogs and holds them until SIGINT/SIGTERM (for the memory benchmark).
 *
 * One step = send one message, wait for the reply that belongs to it. Latencies are taken with
 * CLOCK_MONOTONIC into a preallocated array; the figures are printed, never asserted. The last
 * line of a measuring mode is machine-readable: "RESULT key=value ...".
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/msgb.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>
#include <osmocom/gsm/gsm0480.h>
#include <osmocom/gsm/gsm_utils.h>
#include <osmocom/gsm/gsup.h>
#include <osmocom/gsm/ipa.h>
#include <osmocom/gsupclient/gsup_client.h>

#define OP_PROCESS_USS_REQ 59
#define OP_USS_REQ	   60
#define DCS_GSM7	   0x0F
#define TAG_INVOKE	   0xA1
#define TAG_RETURN_RESULT  0xA2
#define REPLY_TIMEOUT_S	   10

enum mode {
	MODE_EUSE_DEMO,
	MODE_YORDAM,
	MODE_HOLD,
};

enum dlg_state {
	DLG_IDLE,      /* not opened yet */
	DLG_WAIT_OPEN, /* BEGIN sent */
	DLG_WAIT_LANG, /* language answer sent */
	DLG_OPEN,      /* at the main menu, ready for steps */
	DLG_WAIT_STEP, /* step sent */
	DLG_DEAD,      /* ended or failed */
};

struct dialog {
	uint32_t session_id;
	char imsi[OSMO_IMSI_BUF_SIZE];
	enum dlg_state state;
	uint8_t peer_invoke_id; /* invokeID of the EUSE's last opcode-60 Invoke */
	bool next_up;		/* next answer is "0" */
};

struct bench {
	enum mode mode;
	const char *addr;
	unsigned int port;
	const char *serial;
	const char *code_open; /* code of the dialogs held/stepped (yordam route) */
	const char *code_demo; /* code of the euse-demo round trips */
	const char *lang_answer;
	const char *lang_keyword;
	uint64_t imsi_base;
	uint32_t session_base;
	unsigned int n_dialogs;
	unsigned int n_steps;
	unsigned int n_warmup;
	unsigned int window;
	bool verbose;

	struct osmo_gsup_client *gsupc;
	struct osmo_timer_list start_timer;
	struct osmo_timer_list watchdog;

	struct dialog *dlg;
	unsigned int n_opened;	/* dialogs that reached DLG_OPEN */
	unsigned int n_sent;	/* BEGINs sent while opening */
	unsigned int n_pending; /* open requests in flight */
	unsigned int n_lang;	/* language answers sent */
	struct timespec t_open_start;
	double open_s;

	/* measuring */
	bool stepping;	       /* all dialogs open, steps under way */
	bool measuring;	       /* warm-up over */
	unsigned int step_idx; /* steps done, warmup included */
	unsigned int rr;       /* round-robin cursor */
	uint32_t demo_session;
	struct timespec t_sent;
	struct timespec t_meas_start;
	uint32_t *lat_ns;
	unsigned int n_lat;
	unsigned int errors;
	bool done;
	int exit_code;
};

static struct bench g_bench;
static volatile sig_atomic_t g_stop;

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s -m euse-demo|yordam|hold [options]\n"
		"  -a ADDR      OsmoHLR GSUP address (127.0.0.1)\n"
		"  -p PORT      OsmoHLR GSUP port (4222)\n"
		"  -u SERIAL    IPA serial number (MSC-00-00-00-00-00-00)\n"
		"  -n N         steps to measure (euse-demo: round trips; yordam: menu steps) (10000)\n"
		"  -w N         warm-up steps, not measured (500)\n"
		"  -d D         dialogs to open (yordam, hold) (1)\n"
		"  -H D         euse-demo: dialogs to open and hold on the -c route first (0)\n"
		"  -c CODE      code of the held/stepped dialogs (*100#)\n"
		"  -e CODE      code of the euse-demo round trips (*101#)\n"
		"  -l ANSWER    answer to the language menu (3)\n"
		"  -k TEXT      a first screen containing TEXT is the language menu (Choose a language)\n"
		"  -i BASE      first IMSI as a number; dialog k uses BASE+k (901700000000000)\n"
		"  -W N         BEGINs in flight while opening dialogs (32)\n"
		"  -v           print every screen received\n",
		argv0);
}

static double ts_diff_s(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static uint64_t ts_diff_ns(const struct timespec *a, const struct timespec *b)
{
	return (uint64_t)((int64_t)(b->tv_sec - a->tv_sec) * 1000000000LL + (b->tv_nsec - a->tv_nsec));
}

static void finish(struct bench *b, int exit_code)
{
	b->done = true;
	if (exit_code) {
		b->exit_code = exit_code;
	}
}

static void watchdog_kick(struct bench *b)
{
	if (b->mode == MODE_HOLD && b->n_opened == b->n_dialogs && b->n_dialogs) {
		return; /* holding: nothing is awaited */
	}
	osmo_timer_schedule(&b->watchdog, REPLY_TIMEOUT_S, 0);
}

static void watchdog_cb(void *data)
{
	struct bench *b = data;

	fprintf(stderr, "ussd_msc: no reply for %d s (opened %u/%u, steps %u); giving up\n", REPLY_TIMEOUT_S,
		b->n_opened, b->n_dialogs, b->step_idx);
	finish(b, 2);
}

/* --- facility (04.80 components, as carried in GSUP's SS info IE) --- */

/* Write a BER tag and definite length (short or long form). Returns bytes written. */
static size_t ber_tl(uint8_t *out, uint8_t tag, size_t len)
{
	out[0] = tag;
	if (len < 0x80) {
		out[1] = (uint8_t)len;
		return 2;
	}
	if (len < 0x100) {
		out[1] = 0x81;
		out[2] = (uint8_t)len;
		return 3;
	}
	out[1] = 0x82;
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	return 4;
}

/* USSD-Arg / USSD-Res: SEQUENCE { dcs OCTET STRING, string OCTET STRING } */
static size_t enc_ussd_seq(uint8_t *out, size_t out_len, const char *text)
{
	uint8_t packed[160];
	uint8_t body[200];
	size_t n = 0;
	int octets = 0;

	gsm_7bit_encode_n_ussd(packed, sizeof(packed), text, &octets);
	if (octets < 0 || (size_t)octets > sizeof(packed)) {
		return 0;
	}
	n += ber_tl(body + n, 0x04, 1);
	body[n++] = DCS_GSM7;
	n += ber_tl(body + n, 0x04, (size_t)octets);
	memcpy(body + n, packed, (size_t)octets);
	n += (size_t)octets;

	if (n + 4 > out_len) {
		return 0;
	}
	size_t h = ber_tl(out, 0x30, n);
	memcpy(out + h, body, n);
	return h + n;
}

/* Invoke { invokeID, opcode, USSD-Arg } */
static size_t enc_invoke(uint8_t *out, size_t out_len, uint8_t invoke_id, uint8_t opcode, const char *text)
{
	uint8_t body[220];
	size_t n = 0;

	n += ber_tl(body + n, 0x02, 1);
	body[n++] = invoke_id;
	n += ber_tl(body + n, 0x02, 1);
	body[n++] = opcode;
	n += enc_ussd_seq(body + n, sizeof(body) - n, text);
	if (n + 4 > out_len) {
		return 0;
	}
	size_t h = ber_tl(out, TAG_INVOKE, n);
	memcpy(out + h, body, n);
	return h + n;
}

/* ReturnResult { invokeID, SEQUENCE { opcode, USSD-Res } } */
static size_t enc_return_result(uint8_t *out, size_t out_len, uint8_t invoke_id, uint8_t opcode, const char *text)
{
	uint8_t seq[220];
	uint8_t body[230];
	size_t ns = 0, n = 0;

	ns += ber_tl(seq + ns, 0x02, 1);
	seq[ns++] = opcode;
	ns += enc_ussd_seq(seq + ns, sizeof(seq) - ns, text);

	n += ber_tl(body + n, 0x02, 1);
	body[n++] = invoke_id;
	n += ber_tl(body + n, 0x30, ns);
	memcpy(body + n, seq, ns);
	n += ns;
	if (n + 4 > out_len) {
		return 0;
	}
	size_t h = ber_tl(out, TAG_RETURN_RESULT, n);
	memcpy(out + h, body, n);
	return h + n;
}

/* Read one BER TLV at *p (bounded by end); returns false if malformed. */
static bool ber_next(const uint8_t **p, const uint8_t *end, uint8_t *tag, const uint8_t **val, size_t *len)
{
	const uint8_t *q = *p;
	size_t l;

	if (end - q < 2) {
		return false;
	}
	*tag = *q++;
	l = *q++;
	if (l & 0x80) {
		unsigned int nb = l & 0x7f;
		if (nb == 0 || nb > 2 || (size_t)(end - q) < nb) {
			return false;
		}
		l = 0;
		while (nb--) {
			l = (l << 8) | *q++;
		}
	}
	if ((size_t)(end - q) < l) {
		return false;
	}
	*val = q;
	*len = l;
	*p = q + l;
	return true;
}

struct component {
	uint8_t tag;
	uint8_t invoke_id;
	int opcode;
	uint8_t dcs;
	const uint8_t *text;
	size_t text_len;
};

/* Decode the first component of a facility: Invoke or ReturnResult carrying a USSD string. */
static bool parse_component(const uint8_t *fac, size_t fac_len, struct component *c)
{
	const uint8_t *p = fac, *end = fac + fac_len, *v, *q, *qe;
	size_t l;
	uint8_t t;

	memset(c, 0, sizeof(*c));
	c->opcode = -1;
	if (!ber_next(&p, end, &c->tag, &v, &l)) {
		return false;
	}
	q = v;
	qe = v + l;
	if (!ber_next(&q, qe, &t, &v, &l) || t != 0x02 || l != 1) {
		return false;
	}
	c->invoke_id = v[0];
	if (c->tag == TAG_RETURN_RESULT) {
		if (q == qe) {
			return true; /* ReturnResult without result */
		}
		if (!ber_next(&q, qe, &t, &v, &l) || t != 0x30) {
			return false;
		}
		q = v;
		qe = v + l;
	} else if (c->tag != TAG_INVOKE) {
		return true; /* ReturnError, Reject: the caller looks at the tag */
	}
	if (!ber_next(&q, qe, &t, &v, &l) || t != 0x02 || l != 1) {
		return false;
	}
	c->opcode = v[0];
	if (!ber_next(&q, qe, &t, &v, &l) || t != 0x30) {
		return false;
	}
	q = v;
	qe = v + l;
	if (!ber_next(&q, qe, &t, &v, &l) || t != 0x04 || l != 1) {
		return false;
	}
	c->dcs = v[0];
	if (!ber_next(&q, qe, &t, &v, &l) || t != 0x04) {
		return false;
	}
	c->text = v;
	c->text_len = l;
	return true;
}

/* Text of a component as UTF-8-ish for display/keyword matching (GSM-7 decoded; UCS-2 ASCII only). */
static void component_text(const struct component *c, char *out, size_t out_len)
{
	out[0] = '\0';
	if (!c->text || out_len < 2) {
		return;
	}
	if (c->dcs == DCS_GSM7 || c->dcs == 0x00) {
		gsm_7bit_decode_n_ussd(out, out_len, c->text, (uint8_t)OSMO_MIN(255, c->text_len * 8 / 7));
		return;
	}
	size_t j = 0;
	for (size_t i = 0; i + 1 < c->text_len && j + 1 < out_len; i += 2) {
		unsigned int u = (unsigned int)(c->text[i] << 8) | c->text[i + 1];
		out[j++] = u < 0x80 ? (char)u : '?';
	}
	out[j] = '\0';
}

/* --- sending --- */

static int send_ss(struct bench *b, const char *imsi, uint32_t session_id, enum osmo_gsup_session_state state,
		   const uint8_t *fac, size_t fac_len)
{
	struct osmo_gsup_message m = {
		.message_type = OSMO_GSUP_MSGT_PROC_SS_REQUEST,
		.session_id = session_id,
		.session_state = state,
		.ss_info = (uint8_t *)fac,
		.ss_info_len = fac_len,
		.message_class = OSMO_GSUP_MESSAGE_CLASS_USSD,
	};
	OSMO_STRLCPY_ARRAY(m.imsi, imsi);
	return osmo_gsup_client_enc_send(b->gsupc, &m);
}

static int send_begin(struct bench *b, const char *imsi, uint32_t session_id, const char *code)
{
	uint8_t fac[64];
	size_t n = enc_invoke(fac, sizeof(fac), 1, OP_PROCESS_USS_REQ, code);
	return send_ss(b, imsi, session_id, OSMO_GSUP_SESSION_STATE_BEGIN, fac, n);
}

static int send_answer(struct bench *b, struct dialog *d, const char *answer)
{
	uint8_t fac[64];
	size_t n = enc_return_result(fac, sizeof(fac), d->peer_invoke_id, OP_USS_REQ, answer);
	return send_ss(b, d->imsi, d->session_id, OSMO_GSUP_SESSION_STATE_CONTINUE, fac, n);
}

/* --- the benchmark state machine --- */

static void start_measuring(struct bench *b);
static void next_step(struct bench *b);

static void open_more(struct bench *b)
{
	while (b->n_sent < b->n_dialogs && b->n_pending < b->window) {
		struct dialog *d = &b->dlg[b->n_sent++];
		d->state = DLG_WAIT_OPEN;
		b->n_pending++;
		if (send_begin(b, d->imsi, d->session_id, b->code_open) < 0) {
			fprintf(stderr, "ussd_msc: send failed\n");
			finish(b, 2);
			return;
		}
	}
}

static void dialogs_opened(struct bench *b)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	b->open_s = ts_diff_s(&b->t_open_start, &now);
	printf("opened %u dialogs on %s in %.3f s (%u language answers)\n", b->n_opened, b->code_open, b->open_s,
	       b->n_lang);
	if (b->mode == MODE_HOLD) {
		printf("HELD %u\n", b->n_opened);
		fflush(stdout);
		osmo_timer_del(&b->watchdog);
		return;
	}
	fflush(stdout);
	start_measuring(b);
}

static struct dialog *find_dialog(struct bench *b, uint32_t session_id)
{
	if (session_id < b->session_base || session_id - b->session_base >= b->n_dialogs) {
		return NULL;
	}
	return &b->dlg[session_id - b->session_base];
}

static void record(struct bench *b)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (b->step_idx >= b->n_warmup) {
		b->lat_ns[b->n_lat++] = (uint32_t)OSMO_MIN(ts_diff_ns(&b->t_sent, &now), UINT32_MAX);
	}
	b->step_idx++;
}

static void rx_dialog_msg(struct bench *b, struct dialog *d, const struct osmo_gsup_message *m)
{
	struct component c;
	char text[256];
	bool cont = m->message_type == OSMO_GSUP_MSGT_PROC_SS_REQUEST &&
		    m->session_state == OSMO_GSUP_SESSION_STATE_CONTINUE;
	bool ok = cont && parse_component(m->ss_info, m->ss_info_len, &c) && c.tag == TAG_INVOKE &&
		  c.opcode == OP_USS_REQ;

	if (ok) {
		d->peer_invoke_id = c.invoke_id;
	}
	if (b->verbose || !ok) {
		if (m->ss_info_len && parse_component(m->ss_info, m->ss_info_len, &c)) {
			component_text(&c, text, sizeof(text));
		} else {
			text[0] = '\0';
		}
		fprintf(ok ? stdout : stderr, "%s session %" PRIu32 " %s %s: %s\n", ok ? "rx" : "unexpected",
			m->session_id, osmo_gsup_message_type_name(m->message_type),
			osmo_gsup_session_state_name(m->session_state), text);
	}
	if (!ok) {
		d->state = DLG_DEAD;
		b->errors++;
		finish(b, 3);
		return;
	}

	switch (d->state) {
	case DLG_WAIT_OPEN:
		component_text(&c, text, sizeof(text));
		if (b->lang_keyword[0] && strstr(text, b->lang_keyword)) {
			d->state = DLG_WAIT_LANG;
			b->n_lang++;
			send_answer(b, d, b->lang_answer);
			return;
		}
		/* The caller's language is known: this is the main menu. */
		/* fall through */
	case DLG_WAIT_LANG:
		d->state = DLG_OPEN;
		b->n_opened++;
		b->n_pending--;
		if (b->n_opened == b->n_dialogs) {
			dialogs_opened(b);
		} else {
			open_more(b);
		}
		return;
	case DLG_WAIT_STEP:
		record(b);
		d->state = DLG_OPEN;
		next_step(b);
		return;
	default:
		fprintf(stderr, "ussd_msc: message for session %" PRIu32 " in state %d\n", m->session_id, d->state);
		b->errors++;
		return;
	}
}

static void rx_demo_msg(struct bench *b, const struct osmo_gsup_message *m)
{
	struct component c;

	/* A missing EUSE also gets an END, with OsmoHLR's ReturnError: only a ReturnResult counts. */
	if (m->session_id != b->demo_session || m->message_type != OSMO_GSUP_MSGT_PROC_SS_RESULT ||
	    m->session_state != OSMO_GSUP_SESSION_STATE_END || !parse_component(m->ss_info, m->ss_info_len, &c) ||
	    c.tag != TAG_RETURN_RESULT) {
		fprintf(stderr, "ussd_msc: unexpected %s %s for session %" PRIu32 " (waiting for END on %" PRIu32 ")\n",
			osmo_gsup_message_type_name(m->message_type), osmo_gsup_session_state_name(m->session_state),
			m->session_id, b->demo_session);
		b->errors++;
		finish(b, 3);
		return;
	}
	if (b->verbose) {
		char text[256];
		component_text(&c, text, sizeof(text));
		printf("rx session %" PRIu32 " END: %s\n", m->session_id, text);
	}
	record(b);
	next_step(b);
}

static const char demo_imsi[] = "901709999999999";

static void next_step(struct bench *b)
{
	unsigned int total = b->n_warmup + b->n_steps;

	if (b->step_idx == b->n_warmup && !b->measuring) {
		b->measuring = true;
		clock_gettime(CLOCK_MONOTONIC, &b->t_meas_start);
	}
	if (b->step_idx >= total) {
		finish(b, 0);
		return;
	}
	watchdog_kick(b);
	if (b->mode == MODE_EUSE_DEMO) {
		b->demo_session++;
		clock_gettime(CLOCK_MONOTONIC, &b->t_sent);
		send_begin(b, demo_imsi, b->demo_session, b->code_demo);
		return;
	}
	struct dialog *d = &b->dlg[b->rr];
	b->rr = (b->rr + 1) % b->n_dialogs;
	d->state = DLG_WAIT_STEP;
	clock_gettime(CLOCK_MONOTONIC, &b->t_sent);
	send_answer(b, d, d->next_up ? "0" : "1");
	d->next_up = !d->next_up;
}

static void start_measuring(struct bench *b)
{
	b->step_idx = 0;
	b->n_lat = 0;
	b->stepping = true;
	/* euse-demo sessions live far above every dialog's session id, and differ from run to run: a
	 * session that got OsmoHLR's own error (EUSE not connected yet) stays busy there. */
	b->demo_session = 0x40000000u | (((uint32_t)getpid() & 0x3ff) << 20);
	next_step(b);
}

static int read_cb(struct osmo_gsup_client *gsupc, struct msgb *msg)
{
	struct bench *b = gsupc->data;
	struct osmo_gsup_message m;
	int rc;

	rc = osmo_gsup_decode(msgb_l2(msg), msgb_l2len(msg), &m);
	if (rc < 0) {
		fprintf(stderr, "ussd_msc: cannot decode GSUP message: %d\n", rc);
		b->errors++;
		msgb_free(msg);
		return rc;
	}
	watchdog_kick(b);
	if (m.message_type == OSMO_GSUP_MSGT_PROC_SS_ERROR) {
		fprintf(stderr, "ussd_msc: PROC_SS_ERROR for session %" PRIu32 " cause %u\n", m.session_id, m.cause);
		b->errors++;
		finish(b, 3);
	} else {
		struct dialog *d = find_dialog(b, m.session_id);
		if (d) {
			rx_dialog_msg(b, d, &m);
		} else if (b->mode == MODE_EUSE_DEMO && b->stepping) {
			rx_demo_msg(b, &m);
		} else {
			fprintf(stderr, "ussd_msc: message for unknown session %" PRIu32 "\n", m.session_id);
			b->errors++;
		}
	}
	msgb_free(msg);
	return 0;
}

static void start_cb(void *data)
{
	struct bench *b = data;

	watchdog_kick(b);
	clock_gettime(CLOCK_MONOTONIC, &b->t_open_start);
	if (b->n_dialogs) {
		open_more(b);
	} else {
		dialogs_opened(b);
	}
}

static bool up_down_cb(struct osmo_gsup_client *gsupc, bool up)
{
	struct bench *b = gsupc->data;

	if (up) {
		/* A message sent before the IPA identity exchange completes is dropped. */
		osmo_timer_schedule(&b->start_timer, 0, 300 * 1000);
	} else if (b->n_sent) {
		fprintf(stderr, "ussd_msc: GSUP link lost\n");
		finish(b, 2);
	}
	return true;
}

static void drain_cb(void *data)
{
	*(bool *)data = true;
}

/* End every dialog still open at the HLR (like a phone hanging up: END without facility), so that
 * OsmoHLR's session list does not carry this run's dialogs into the next one. OsmoHLR 1.5 does not
 * tell the EUSE: yordamd keeps them until its idle timeout. */
static void release_dialogs(struct bench *b)
{
	struct osmo_timer_list t;
	bool drained = false;
	unsigned int n = 0;

	for (unsigned int i = 0; i < b->n_sent; i++) {
		struct dialog *d = &b->dlg[i];
		if (d->state == DLG_DEAD || d->state == DLG_IDLE) {
			continue;
		}
		send_ss(b, d->imsi, d->session_id, OSMO_GSUP_SESSION_STATE_END, NULL, 0);
		d->state = DLG_DEAD;
		n++;
	}
	if (!n) {
		return;
	}
	/* Let the write queue reach the socket. */
	osmo_timer_setup(&t, drain_cb, &drained);
	osmo_timer_schedule(&t, 0, 300 * 1000 + n * 20);
	while (!drained) {
		osmo_select_main(0);
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static void report(struct bench *b)
{
	struct timespec now;
	double elapsed, rate;
	uint32_t med, p99, max;
	const char *mode = b->mode == MODE_EUSE_DEMO ? "euse-demo" : "yordam";

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (b->n_lat == 0) {
		fprintf(stderr, "ussd_msc: nothing measured\n");
		return;
	}
	elapsed = ts_diff_s(&b->t_meas_start, &now);
	rate = elapsed > 0 ? b->n_lat / elapsed : 0;
	qsort(b->lat_ns, b->n_lat, sizeof(b->lat_ns[0]), cmp_u32);
	med = b->lat_ns[b->n_lat / 2];
	p99 = b->lat_ns[(b->n_lat * 99 + 99) / 100 - 1];
	max = b->lat_ns[b->n_lat - 1];
	printf("%s: %u steps (+%u warm-up) with %u dialogs open: median %.1f us, p99 %.1f us, max %.1f us, "
	       "%.0f steps/s\n",
	       mode, b->n_lat, b->n_warmup, b->n_dialogs, med / 1e3, p99 / 1e3, max / 1e3, rate);
	printf("RESULT mode=%s open=%u steps=%u median_us=%.1f p99_us=%.1f max_us=%.1f steps_per_s=%.0f "
	       "open_s=%.3f errors=%u\n",
	       mode, b->n_dialogs, b->n_lat, med / 1e3, p99 / 1e3, max / 1e3, rate, b->open_s, b->errors);
}

static void signal_handler(int sig)
{
	g_stop = 1;
}

static int parse_uint(const char *s, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v > UINT32_MAX) {
		return -1;
	}
	*out = (unsigned int)v;
	return 0;
}

int main(int argc, char **argv)
{
	struct bench *b = &g_bench;
	void *ctx = talloc_named_const(NULL, 0, "ussd_msc");
	unsigned int hold = 0;
	const char *mode = NULL;
	int opt;

	*b = (struct bench){
		.addr = "127.0.0.1",
		.port = 4222,
		.serial = "MSC-00-00-00-00-00-00",
		.code_open = "*100#",
		.code_demo = "*101#",
		.lang_answer = "3",
		.lang_keyword = "Choose a language",
		.imsi_base = 901700000000000ULL,
		.session_base = 1,
		.n_dialogs = 1,
		.n_steps = 10000,
		.n_warmup = 500,
		.window = 32,
	};

	while ((opt = getopt(argc, argv, "m:a:p:u:n:w:d:H:c:e:l:k:i:W:vh")) != -1) {
		unsigned int v = 0;
		switch (opt) {
		case 'm':
			mode = optarg;
			break;
		case 'a':
			b->addr = optarg;
			break;
		case 'u':
			b->serial = optarg;
			break;
		case 'c':
			b->code_open = optarg;
			break;
		case 'e':
			b->code_demo = optarg;
			break;
		case 'l':
			b->lang_answer = optarg;
			break;
		case 'k':
			b->lang_keyword = optarg;
			break;
		case 'i':
			b->imsi_base = strtoull(optarg, NULL, 10);
			break;
		case 'v':
			b->verbose = true;
			break;
		case 'p':
		case 'n':
		case 'w':
		case 'd':
		case 'H':
		case 'W':
			if (parse_uint(optarg, &v) < 0) {
				fprintf(stderr, "ussd_msc: -%c wants a number\n", opt);
				return 1;
			}
			if (opt == 'p') {
				b->port = v;
			} else if (opt == 'n') {
				b->n_steps = v;
			} else if (opt == 'w') {
				b->n_warmup = v;
			} else if (opt == 'd') {
				b->n_dialogs = v;
			} else if (opt == 'H') {
				hold = v;
			} else {
				b->window = v ? v : 1;
			}
			break;
		default:
			usage(argv[0]);
			return opt == 'h' ? 0 : 1;
		}
	}
	if (!mode) {
		usage(argv[0]);
		return 1;
	} else if (!strcmp(mode, "euse-demo")) {
		b->mode = MODE_EUSE_DEMO;
		b->n_dialogs = hold;
	} else if (!strcmp(mode, "yordam")) {
		b->mode = MODE_YORDAM;
	} else if (!strcmp(mode, "hold")) {
		b->mode = MODE_HOLD;
	} else {
		usage(argv[0]);
		return 1;
	}
	if (b->mode == MODE_YORDAM && b->n_dialogs == 0) {
		fprintf(stderr, "ussd_msc: yordam mode needs at least one dialog\n");
		return 1;
	}

	b->dlg = talloc_zero_array(ctx, struct dialog, OSMO_MAX(b->n_dialogs, 1));
	b->lat_ns = talloc_array(ctx, uint32_t, OSMO_MAX(b->n_steps + b->n_warmup, 1));
	if (!b->dlg || !b->lat_ns) {
		fprintf(stderr, "ussd_msc: out of memory\n");
		return 1;
	}
	for (unsigned int i = 0; i < b->n_dialogs; i++) {
		b->dlg[i].session_id = b->session_base + i;
		snprintf(b->dlg[i].imsi, sizeof(b->dlg[i].imsi), "%015" PRIu64, b->imsi_base + i);
	}

	osmo_init_logging2(ctx, NULL);
	log_set_log_level(osmo_stderr_target, LOGL_ERROR);
	log_set_print_category(osmo_stderr_target, 1);
	signal(SIGINT, signal_handler);
	signal(SIGTERM, signal_handler);

	osmo_timer_setup(&b->start_timer, start_cb, b);
	osmo_timer_setup(&b->watchdog, watchdog_cb, b);

	struct ipaccess_unit *ipa = talloc_zero(ctx, struct ipaccess_unit);
	ipa->unit_name = talloc_strdup(ipa, "MSC");
	ipa->serno = talloc_strdup(ipa, b->serial);
	struct osmo_gsup_client_config cfg = {
		.ipa_dev = ipa,
		.ip_addr = b->addr,
		.tcp_port = b->port,
		.read_cb = read_cb,
		.up_down_cb = up_down_cb,
		.data = b,
	};
	b->gsupc = osmo_gsup_client_create3(ctx, &cfg);
	if (!b->gsupc) {
		fprintf(stderr, "ussd_msc: cannot create the GSUP client\n");
		return 1;
	}
	watchdog_kick(b);

	while (!b->done && !g_stop) {
		osmo_select_main(0);
	}
	if (b->mode != MODE_HOLD && !g_stop) {
		report(b);
	}
	if (b->errors && !b->exit_code) {
		b->exit_code = 3;
	}
	osmo_timer_del(&b->watchdog);
	release_dialogs(b);
	osmo_gsup_client_destroy(b->gsupc);
	return g_stop && b->mode == MODE_HOLD ? 0 : (g_stop ? 130 : b->exit_code);
}
