/* HTTP USSD port (aggregator callbacks) on libmicrohttpd, driven from osmo_select_main. See
 * http_port.h for the shape and docs/http-port.md for the wire contract. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include <osmocom/core/hashtable.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/timer_compat.h>
#include <osmocom/core/utils.h>

#include <yordam/http_port.h>
#include <yordam/http_req.h>
#include <yordam/log.h>

/* Up to SESSIONS_MAX open and LINGER_MAX ended dialogs: short chains at 16384 buckets (128 KiB). */
#define DIALOG_HASH_BITS 14
#define REPLAY_HASH_BITS 10
/* An ended dialog is kept this long to answer a gateway's retry of its last request with the
 * same final screen, instead of starting a new dialog under the old session id. */
#define LINGER_S     30
#define LINGER_MAX   4096
#define SESSIONS_MAX 20000
#define HOUSEKEEP_MS 250
#define KEY_MIN	     16
#define KEY_MAX	     1024
#define CONN_MEMORY  (16 * 1024)
#define ANSWER_MAX   1024 /* "CON " + a screen (<= 182 septets / 80 UCS-2 units of UTF-8) */

struct http_allow {
	int family;
	uint8_t addr[16];
	unsigned prefix;
};

/* A gateway session id and the dialog behind it. */
struct http_dialog {
	struct hlist_node node;	  /* hp->dialogs by session id */
	struct llist_head linger; /* hp->lingering, oldest first, while lingering */
	struct http_port *hp;
	uint32_t hash;		   /* str_hash(sid) */
	struct ussd_session *sess; /* NULL once released */
	char sid[HTTP_SID_MAX + 1];
	char phone[HTTP_PHONE_MAX + 1];
	char *prev_text; /* text of the last request */
	char *last;	 /* last screen sent, for retries */
	bool last_final;
	bool released;
	bool lingering;
	struct timespec linger_until;
};

/* A signature accepted once; refused again until the timestamp it covered is out of window. */
struct replay_entry {
	struct hlist_node node;
	struct llist_head order; /* hp->replay_order, by expiry */
	uint8_t sig[HTTP_SIG_LEN];
	int64_t expires; /* wall clock, like the timestamps */
};

/* One TCP connection, from MHD's NOTIFY_CONNECTION STARTED to CLOSED, and the request on it. */
struct http_conn {
	struct llist_head entry;
	struct http_port *hp;
	int fd;
	char addr[INET6_ADDRSTRLEN];
	bool allowed;  /* allow-listed address */
	bool req_seen; /* bytes of a request have arrived; it is not answered yet */
	bool served;   /* a request was answered on this connection */
	bool cut;
	struct timespec t_idle; /* connection start or last answer */
	struct timespec req_t0; /* first byte of the request (to within a housekeeping tick) */
	/* the request */
	bool is_end;
	bool answered; /* a response is queued early; discard the body */
	bool signed_ok;
	char ts[16];
	char sig[80];
	char *body;
	size_t body_len;
};

struct http_port_stats {
	uint64_t requests, answered, ends, bad_method, bad_path, too_large, bad_type, bad_addr, bad_sig, replays, busy,
		bad_form, cut, late, retries;
};

struct http_port {
	struct ussd_port port;
	struct http_port_cfg cfg;
	struct MHD_Daemon *mhd;
	struct osmo_fd ofd; /* MHD's epoll fd (MHD owns it) */
	struct osmo_timer_list mhd_timer;
	struct osmo_timer_list house_timer;
	uint16_t bound_port;
	uint8_t *key;
	size_t keylen;
	struct http_allow *allow;
	unsigned n_allow;
	DECLARE_HASHTABLE(dialogs, DIALOG_HASH_BITS);
	struct llist_head lingering;
	unsigned n_linger;
	DECLARE_HASHTABLE(replay, REPLAY_HASH_BITS);
	struct llist_head replay_order;
	unsigned n_replay;
	struct llist_head conns;
	unsigned n_conns;
	/* The answer being built: the engine's tx() for ans_d lands here. One request at a time:
	 * everything runs on the one event loop thread. */
	struct http_dialog *ans_d;
	bool ans_set, ans_final;
	char ans[ANSWER_MAX];
	struct http_port_stats st;
};

#define LOGHP(hp, lvl, fmt, args...) LOGP(DUSSD, lvl, "http %s: " fmt, (hp)->cfg.name, ##args)

static void mono_now(struct timespec *ts)
{
	osmo_clock_gettime(CLOCK_MONOTONIC, ts);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec now;

	mono_now(&now);
	return (long)(now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

static uint32_t str_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h = (h ^ (uint8_t)*s) * 16777619u;
	}
	return h;
}

static void house_arm(struct http_port *hp);

/* The kernel's view of fd: tells a client that started a request from an idle one before
 * libmicrohttpd has a complete request line to show us. false when unknown. */
static bool tcp_info_get(int fd, struct tcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	return fd >= 0 && getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len) == 0 &&
	       len >= offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(ti->tcpi_bytes_received);
}

/* The kernel stamps the last data received in jiffies (1-10 ms); this is well above two of them. */
#define RECV_STAMP_SLACK_MS 25

/* Has an idle connection (!req_seen) received data since its idle start? Housekeeping asks, so
 * that answering a request costs no system call. Before its first request, any byte received
 * counts. After one, the kernel's time of the last data received (tcpi_last_data_recv) is
 * compared with the idle start: the previous request's bytes came before that start, so an idle
 * connection is never taken for a slow one; but a client that sends the start of a request within
 * the slack of our answer and then stalls is not seen, and is cut as idle, after conn_timeout. */
static bool conn_got_data(const struct http_conn *hc, long idle_ms)
{
	struct tcp_info ti;

	if (!tcp_info_get(hc->fd, &ti)) {
		return false;
	}
	if (!hc->served) {
		return ti.tcpi_bytes_received > 0;
	}
	return idle_ms > RECV_STAMP_SLACK_MS && (long)ti.tcpi_last_data_recv < idle_ms - RECV_STAMP_SLACK_MS;
}

static void conn_request_seen(struct http_conn *hc)
{
	if (!hc->req_seen) {
		hc->req_seen = true;
		mono_now(&hc->req_t0);
	}
}

/* --- dialogs --- */

static struct http_dialog *dialog_find(struct http_port *hp, const char *sid)
{
	uint32_t h = str_hash(sid);
	struct http_dialog *d;

	hash_for_each_possible(hp->dialogs, d, node, h)
	{
		if (d->hash == h && !strcmp(d->sid, sid)) {
			return d;
		}
	}
	return NULL;
}

static void dialog_free(struct http_dialog *d)
{
	struct http_port *hp = d->hp;

	hash_del(&d->node);
	if (d->lingering) {
		llist_del(&d->linger);
		hp->n_linger--;
	}
	if (hp->ans_d == d) {
		hp->ans_d = NULL;
	}
	talloc_free(d);
}

static void dialog_linger(struct http_dialog *d)
{
	struct http_port *hp = d->hp;

	if (hp->n_linger >= LINGER_MAX) {
		dialog_free(llist_first_entry(&hp->lingering, struct http_dialog, linger));
	}
	d->lingering = true;
	mono_now(&d->linger_until);
	d->linger_until.tv_sec += LINGER_S;
	llist_add_tail(&d->linger, &hp->lingering);
	hp->n_linger++;
	house_arm(hp);
}

/* *dst = a copy of s under ctx, in the buffer *dst already has when it is large enough: a dialog
 * keeps its last screen and text on every step. 0 or -ENOMEM (*dst unchanged). */
static int str_set(void *ctx, char **dst, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = *dst;

	if (!p || talloc_get_size(p) < n) {
		p = talloc_strdup(ctx, s);
		if (!p) {
			return -ENOMEM;
		}
		talloc_free(*dst);
		*dst = p;
		return 0;
	}
	memcpy(p, s, n);
	return 0;
}

static int http_port_tx(struct ussd_session *sess, const char *text, bool final)
{
	struct http_dialog *d = ussd_session_port_data(sess);
	struct http_port *hp = d->hp;

	if (str_set(d, &d->last, text) < 0) {
		return -ENOMEM;
	}
	d->last_final = final;
	if (hp->ans_d == d) {
		snprintf(hp->ans, sizeof(hp->ans), "%s %s", final ? "END" : "CON", text);
		hp->ans_set = true;
		hp->ans_final = final;
	}
	/* Otherwise nobody is waiting (the engine's idle timeout): the final screen stays cached
	 * for a gateway that asks again. */
	return 0;
}

static void http_port_release(struct ussd_session *sess)
{
	struct http_dialog *d = ussd_session_port_data(sess);

	d->sess = NULL;
	d->released = true;
	if (d->last_final && d->last) {
		dialog_linger(d);
	} else if (d->hp->ans_d != d) {
		dialog_free(d);
	}
	/* else the request handler frees it once it has its answer */
}

/* The gateway's phoneNumber of the dialog. */
static const char *http_port_msisdn(struct ussd_session *sess)
{
	struct http_dialog *d = ussd_session_port_data(sess);

	return d && d->phone[0] ? d->phone : NULL;
}

static const struct ussd_port_ops http_port_ops = {
	.tx = http_port_tx,
	.release = http_port_release,
	.msisdn = http_port_msisdn,
};

/* --- replay cache --- */

static uint32_t sig_hash(const uint8_t *sig)
{
	return (uint32_t)sig[0] | (uint32_t)sig[1] << 8 | (uint32_t)sig[2] << 16 | (uint32_t)sig[3] << 24;
}

static void replay_expire(struct http_port *hp, int64_t now)
{
	struct replay_entry *r, *tmp;

	llist_for_each_entry_safe(r, tmp, &hp->replay_order, order)
	{
		if (r->expires >= now) {
			break;
		}
		hash_del(&r->node);
		llist_del(&r->order);
		hp->n_replay--;
		talloc_free(r);
	}
}

/* 0 when sig is new (and now remembered), -EALREADY for a replay, -ENOSPC when the cache is
 * full (refuse rather than forget a signature that is still valid), -ENOMEM. */
static int replay_check_add(struct http_port *hp, const uint8_t *sig, int64_t ts, int64_t now)
{
	struct replay_entry *r, *pos;

	replay_expire(hp, now);
	hash_for_each_possible(hp->replay, r, node, sig_hash(sig))
	{
		if (!memcmp(r->sig, sig, HTTP_SIG_LEN)) {
			return -EALREADY;
		}
	}
	if (hp->n_replay >= hp->cfg.replay_max) {
		return -ENOSPC;
	}
	r = talloc_zero(hp, struct replay_entry);
	if (!r) {
		return -ENOMEM;
	}
	memcpy(r->sig, sig, HTTP_SIG_LEN);
	r->expires = ts + (int64_t)hp->cfg.ts_tolerance_s;
	/* Keep the list sorted by expiry; timestamps are close to now, so this walks little. */
	llist_for_each_entry_reverse(pos, &hp->replay_order, order)
	{
		if (pos->expires <= r->expires) {
			break;
		}
	}
	llist_add(&r->order, &pos->order);
	hash_add(hp->replay, &r->node, sig_hash(sig));
	hp->n_replay++;
	house_arm(hp);
	return 0;
}

/* --- allow list --- */

static int allow_parse(const char *s, struct http_allow *a)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;
	unsigned max;

	if (osmo_strlcpy(buf, s, sizeof(buf)) >= sizeof(buf)) {
		return -EINVAL;
	}
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
	}
	if (inet_pton(AF_INET, buf, a->addr) == 1) {
		a->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, a->addr) == 1) {
		a->family = AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	a->prefix = max;
	if (slash) {
		char *end;
		unsigned long p = strtoul(slash + 1, &end, 10);

		if (!slash[1] || *end || p > max) {
			return -EINVAL;
		}
		a->prefix = (unsigned)p;
	}
	return 0;
}

static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, full)) {
		return false;
	}
	return !rest || ((a[full] ^ b[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

static bool addr_allowed(const struct http_port *hp, const struct sockaddr *sa)
{
	uint8_t v4[4], v6[16];
	bool is4 = false, is6 = false;
	unsigned i;

	if (!sa) {
		return false;
	}
	if (sa->sa_family == AF_INET) {
		memcpy(v4, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		is4 = true;
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		memcpy(v6, a6, 16);
		is6 = true;
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			memcpy(v4, v6 + 12, 4);
			is4 = true;
		}
	}
	for (i = 0; i < hp->n_allow; i++) {
		const struct http_allow *a = &hp->allow[i];

		if ((a->family == AF_INET && is4 && prefix_match(a->addr, v4, a->prefix)) ||
		    (a->family == AF_INET6 && is6 && prefix_match(a->addr, v6, a->prefix))) {
			return true;
		}
	}
	return false;
}

static void addr_str(const struct sockaddr *sa, char *out, size_t len)
{
	const void *a = NULL;

	if (sa && sa->sa_family == AF_INET) {
		a = &((const struct sockaddr_in *)sa)->sin_addr;
	} else if (sa && sa->sa_family == AF_INET6) {
		a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	}
	if (!a || !inet_ntop(sa->sa_family, a, out, (socklen_t)len)) {
		osmo_strlcpy(out, "?", len);
	}
}

/* --- responses --- */

static enum MHD_Result reply(struct http_conn *hc, struct MHD_Connection *c, unsigned status, const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r) {
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED) {
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "POST");
	}
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	if (hc) {
		hc->answered = true;
	}
	return ret;
}

static enum MHD_Result reject(struct http_conn *hc, struct MHD_Connection *c, unsigned status, uint64_t *counter,
			      const char *why)
{
	struct http_port *hp = hc->hp;
	char body[128];

	(*counter)++;
	/* Authentication failures are what an operator watches for; the rest is noise. */
	LOGHP(hp, status == 401 || status == 403 || status == 409 ? LOGL_NOTICE : LOGL_INFO, "%s: %u %s\n", hc->addr,
	      status, why);
	snprintf(body, sizeof(body), "%s\n", why);
	return reply(hc, c, status, body);
}

/* --- requests --- */

static void req_reset(struct http_conn *hc)
{
	hc->is_end = false;
	hc->answered = false;
	hc->signed_ok = false;
	hc->ts[0] = '\0';
	hc->sig[0] = '\0';
	/* The buffer stays for the next request on the connection. */
	if (hc->body) {
		hc->body[0] = '\0';
	}
	hc->body_len = 0;
}

/* Headers are in: everything that can be decided before the body. */
static enum MHD_Result req_begin(struct http_port *hp, struct http_conn *hc, struct MHD_Connection *c, const char *url,
				 const char *method)
{
	const char *clen, *ctype, *ts, *sig;
	int64_t t, now;

	hp->st.requests++;
	if (strcmp(method, MHD_HTTP_METHOD_POST)) {
		return reject(hc, c, MHD_HTTP_METHOD_NOT_ALLOWED, &hp->st.bad_method, "method not allowed: use POST");
	}
	if (!strcmp(url, hp->cfg.path)) {
		hc->is_end = false;
	} else if (!strcmp(url, hp->cfg.end_path)) {
		hc->is_end = true;
	} else {
		return reject(hc, c, MHD_HTTP_NOT_FOUND, &hp->st.bad_path, "no such path");
	}
	clen = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (clen && (strlen(clen) > 9 || strspn(clen, "0123456789") != strlen(clen) ||
		     strtoul(clen, NULL, 10) > hp->cfg.max_body)) {
		return reject(hc, c, MHD_HTTP_CONTENT_TOO_LARGE, &hp->st.too_large, "body too large");
	}
	ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (ctype && strncasecmp(ctype, MHD_HTTP_POST_ENCODING_FORM_URLENCODED,
				 strlen(MHD_HTTP_POST_ENCODING_FORM_URLENCODED))) {
		return reject(hc, c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, &hp->st.bad_type,
			      "expected application/x-www-form-urlencoded");
	}
	if (hc->allowed) {
		return MHD_YES;
	}
	if (!hp->key) {
		return reject(hc, c, MHD_HTTP_FORBIDDEN, &hp->st.bad_addr, "address not allowed");
	}
	ts = MHD_lookup_connection_value(c, MHD_HEADER_KIND, hp->cfg.ts_header);
	sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND, hp->cfg.sig_header);
	if (!ts || !sig) {
		return reject(hc, c, MHD_HTTP_UNAUTHORIZED, &hp->st.bad_sig, "signature or timestamp missing");
	}
	if (http_ts_parse(ts, &t) < 0 || osmo_strlcpy(hc->sig, sig, sizeof(hc->sig)) >= sizeof(hc->sig)) {
		return reject(hc, c, MHD_HTTP_UNAUTHORIZED, &hp->st.bad_sig, "malformed signature or timestamp");
	}
	now = (int64_t)time(NULL);
	if (t < now - (int64_t)hp->cfg.ts_tolerance_s || t > now + (int64_t)hp->cfg.ts_tolerance_s) {
		return reject(hc, c, MHD_HTTP_UNAUTHORIZED, &hp->st.bad_sig, "timestamp outside the accepted window");
	}
	OSMO_STRLCPY_ARRAY(hc->ts, ts);
	return MHD_YES;
}

static enum MHD_Result answer_dialog(struct http_port *hp, struct http_conn *hc, struct MHD_Connection *c,
				     const struct http_req *rq)
{
	struct http_dialog *d = dialog_find(hp, rq->session);
	char ussd[HTTP_SERVICE_MAX + HTTP_TEXT_MAX + 4];
	char masked[HTTP_PHONE_MASK_SIZE];
	char body[ANSWER_MAX];
	char el[HTTP_TEXT_MAX + 1];
	const char *news;
	enum http_step step;
	struct ussd_session *sess;

	if (d && strcmp(d->phone, rq->phone)) {
		return reject(hc, c, MHD_HTTP_BAD_REQUEST, &hp->st.bad_form, "session id belongs to another caller");
	}
	if (d && d->released) {
		/* A retry after the dialog ended: the same final screen again. */
		hp->st.retries++;
		snprintf(body, sizeof(body), "END %s", d->last ? d->last : "");
		hp->st.answered++;
		return reply(hc, c, MHD_HTTP_OK, body);
	}
	hp->ans_set = false;
	if (!d) {
		if (hp->port.open_sessions >= SESSIONS_MAX) {
			return reject(hc, c, MHD_HTTP_SERVICE_UNAVAILABLE, &hp->st.busy, "too many open dialogs");
		}
		if (http_req_ussd_string(rq, ussd, sizeof(ussd)) < 0) {
			return reject(hc, c, MHD_HTTP_BAD_REQUEST, &hp->st.bad_form, "service code and text too long");
		}
		d = talloc_zero(hp, struct http_dialog);
		if (!d || !(d->prev_text = talloc_strdup(d, rq->text))) {
			talloc_free(d);
			return reject(hc, c, MHD_HTTP_SERVICE_UNAVAILABLE, &hp->st.busy, "out of memory");
		}
		d->hp = hp;
		OSMO_STRLCPY_ARRAY(d->sid, rq->session);
		OSMO_STRLCPY_ARRAY(d->phone, rq->phone);
		d->hash = str_hash(d->sid);
		hash_add(hp->dialogs, &d->node, d->hash);
		http_phone_mask(rq->phone, masked);
		LOGHP(hp, LOGL_INFO, "new dialog from %s on %s\n", masked, rq->service);
		hp->ans_d = d;
		sess = ussd_session_start(&hp->port, rq->phone, ussd, d);
		if (!sess) {
			/* No release follows a failed start: the dialog is ours to drop. */
			dialog_free(d);
			return reject(hc, c, MHD_HTTP_INTERNAL_SERVER_ERROR, &hp->st.busy, "cannot start a dialog");
		}
		if (!d->released) {
			d->sess = sess;
		}
	} else {
		hp->ans_d = d;
		step = http_text_step(d->prev_text, rq->text, &news);
		if (step == HTTP_STEP_RETRY) {
			hp->st.retries++;
			hp->ans_d = NULL;
			snprintf(body, sizeof(body), "%s %s", d->last_final ? "END" : "CON", d->last ? d->last : "");
			hp->st.answered++;
			return reply(hc, c, MHD_HTTP_OK, body);
		}
		str_set(d, &d->prev_text, rq->text);
		if (step == HTTP_STEP_EXTEND) {
			/* Several new inputs at once (a gateway that batched, or a lost answer): each in
			 * turn, as a caller would have typed them. */
			while (!d->released && http_text_next(&news, el, sizeof(el))) {
				ussd_session_input(d->sess, el);
			}
		} else {
			ussd_session_input(d->sess, news);
		}
	}
	/* d may be released now; it is still ours until ans_d is cleared. */
	hp->ans_d = NULL;
	if (d->released && !d->lingering) {
		dialog_free(d);
	}
	if (!hp->ans_set) {
		return reject(hc, c, MHD_HTTP_INTERNAL_SERVER_ERROR, &hp->st.busy, "no screen to send");
	}
	hp->st.answered++;
	return reply(hc, c, MHD_HTTP_OK, hp->ans);
}

static enum MHD_Result answer_end(struct http_port *hp, struct http_conn *hc, struct MHD_Connection *c,
				  const struct http_req *rq)
{
	struct http_dialog *d = dialog_find(hp, rq->session);

	hp->st.ends++;
	if (d && d->sess) {
		/* The caller broke off (or the gateway gave up): release without a screen. The
		 * engine remembers where they were, for a redial. */
		ussd_session_abort(d->sess, "ended by the gateway");
	} else if (d) {
		dialog_free(d);
	}
	hp->st.answered++;
	return reply(hc, c, MHD_HTTP_OK, "OK\n");
}

/* The whole body is in. */
static enum MHD_Result req_finish(struct http_port *hp, struct http_conn *hc, struct MHD_Connection *c)
{
	struct http_req rq;
	const char *why = "?";
	enum MHD_Result ret;
	long ms;

	if (!hc->allowed) {
		uint8_t mac[HTTP_SIG_LEN];
		int64_t t = 0;
		int rc;

		http_ts_parse(hc->ts, &t);
		if (http_sig_compute(hp->key, hp->keylen, hc->ts, hc->body, hc->body_len, mac) < 0 ||
		    !http_sig_matches(hc->sig, mac)) {
			return reject(hc, c, MHD_HTTP_UNAUTHORIZED, &hp->st.bad_sig, "bad signature");
		}
		rc = replay_check_add(hp, mac, t, (int64_t)time(NULL));
		if (rc == -EALREADY) {
			return reject(hc, c, MHD_HTTP_CONFLICT, &hp->st.replays, "replayed request");
		}
		if (rc < 0) {
			return reject(hc, c, MHD_HTTP_SERVICE_UNAVAILABLE, &hp->st.busy, "replay cache full");
		}
	}
	if (http_req_parse(hc->body, hc->body_len, &hp->cfg.fields, hc->is_end ? HTTP_NEED_END : HTTP_NEED_DIALOG, &rq,
			   &why) < 0) {
		return reject(hc, c, MHD_HTTP_BAD_REQUEST, &hp->st.bad_form, why);
	}
	ret = hc->is_end ? answer_end(hp, hc, c, &rq) : answer_dialog(hp, hc, c, &rq);
	/* We answer inline from SQLite; a request this late means the board is in trouble. */
	ms = ms_since(&hc->req_t0);
	if (ms > (long)hp->cfg.deadline_ms) {
		hp->st.late++;
		LOGHP(hp, LOGL_NOTICE, "%s: answered after %ld ms, past the %u ms deadline\n", hc->addr, ms,
		      hp->cfg.deadline_ms);
	}
	return ret;
}

static struct http_conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				 const char *version, const char *upload_data, size_t *upload_data_size, void **req_cls)
{
	struct http_port *hp = cls;
	struct http_conn *hc = conn_of(c);

	if (!hc) {
		/* No memory for our state when the connection came in. */
		return MHD_NO;
	}
	if (!*req_cls) {
		*req_cls = hc;
		req_reset(hc);
		return req_begin(hp, hc, c, url, method);
	}
	if (hc->answered) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		char *nb;

		if (n > hp->cfg.max_body - hc->body_len) {
			/* A body without (or beyond) its Content-Length: no polite answer once it is
			 * flowing, the connection is closed. */
			hp->st.too_large++;
			LOGHP(hp, LOGL_INFO, "%s: body over %u bytes, closing\n", hc->addr, hp->cfg.max_body);
			return MHD_NO;
		}
		if (talloc_get_size(hc->body) < hc->body_len + n + 1) {
			nb = talloc_realloc_size(hc, hc->body, hc->body_len + n + 1);
			if (!nb) {
				return MHD_NO;
			}
			hc->body = nb;
		}
		memcpy(hc->body + hc->body_len, upload_data, n);
		hc->body_len += n;
		hc->body[hc->body_len] = '\0';
		*upload_data_size = 0;
		return MHD_YES;
	}
	return req_finish(hp, hc, c);
}

static void *uri_cb(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct http_conn *hc = conn_of(c);

	if (hc) {
		conn_request_seen(hc);
	}
	return NULL;
}

static void completed_cb(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode toe)
{
	struct http_conn *hc = conn_of(c);

	if (hc) {
		hc->req_seen = false;
		hc->served = true;
		mono_now(&hc->t_idle);
		req_reset(hc);
	}
}

static void conn_cb(void *cls, struct MHD_Connection *c, void **socket_context, enum MHD_ConnectionNotificationCode toe)
{
	struct http_port *hp = cls;
	struct http_conn *hc;
	const union MHD_ConnectionInfo *ci;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		hc = *socket_context;
		if (hc) {
			llist_del(&hc->entry);
			hp->n_conns--;
			talloc_free(hc);
			*socket_context = NULL;
		}
		return;
	}
	hc = talloc_zero(hp, struct http_conn);
	*socket_context = hc;
	if (!hc) {
		return;
	}
	hc->hp = hp;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	hc->fd = ci ? ci->connect_fd : -1;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	addr_str(ci ? ci->client_addr : NULL, hc->addr, sizeof(hc->addr));
	hc->allowed = addr_allowed(hp, ci ? ci->client_addr : NULL);
	mono_now(&hc->t_idle);
	if (conn_got_data(hc, 0)) {
		conn_request_seen(hc);
	}
	llist_add_tail(&hc->entry, &hp->conns);
	hp->n_conns++;
	house_arm(hp);
}

/* libmicrohttpd's own messages: fmt comes from the library, not from a peer. */
static void __attribute__((format(printf, 2, 0))) mhd_log_cb(void *cls, const char *fmt, va_list ap)
{
	struct http_port *hp = cls;
	char buf[256];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	LOGHP(hp, LOGL_INFO, "libmicrohttpd: %s\n", buf);
}

/* --- the event loop --- */

static void mhd_kick(struct http_port *hp)
{
	MHD_UNSIGNED_LONG_LONG to;

	if (MHD_get_timeout(hp->mhd, &to) == MHD_YES) {
		osmo_timer_schedule(&hp->mhd_timer, (int)(to / 1000), (int)(to % 1000) * 1000);
	} else {
		osmo_timer_del(&hp->mhd_timer);
	}
}

static int mhd_fd_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct http_port *hp = ofd->data;

	MHD_run(hp->mhd);
	mhd_kick(hp);
	return 0;
}

static void mhd_timer_cb(void *data)
{
	struct http_port *hp = data;

	MHD_run(hp->mhd);
	mhd_kick(hp);
}

static void house_arm(struct http_port *hp)
{
	if (!osmo_timer_pending(&hp->house_timer)) {
		osmo_timer_schedule(&hp->house_timer, 0, HOUSEKEEP_MS * 1000);
	}
}

/* Cut slow clients, forget old signatures and ended dialogs. */
static void house_cb(void *data)
{
	struct http_port *hp = data;
	struct http_conn *hc;
	struct http_dialog *d, *dtmp;
	struct timespec now;
	bool cut = false;

	llist_for_each_entry(hc, &hp->conns, entry)
	{
		long ms;
		bool slow;

		if (hc->cut || hc->fd < 0) {
			continue;
		}
		if (!hc->req_seen && conn_got_data(hc, ms_since(&hc->t_idle))) {
			conn_request_seen(hc);
		}
		/* A request must be complete within the gateway's deadline of its first byte; an
		 * idle keep-alive connection may wait conn_timeout for its next one. */
		ms = ms_since(hc->req_seen ? &hc->req_t0 : &hc->t_idle);
		slow = hc->req_seen ? ms > (long)hp->cfg.deadline_ms : ms > (long)hp->cfg.conn_timeout_s * 1000;
		if (!slow) {
			continue;
		}
		/* MHD's own timeout counts inactivity only: a client that sends a byte now and then
		 * would hold the connection forever. shutdown() makes MHD see the end of the stream
		 * and close the connection itself; the fd stays MHD's to close. */
		hc->cut = true;
		hp->st.cut++;
		LOGHP(hp, LOGL_INFO, "%s: %s after %ld ms, closing\n", hc->addr,
		      hc->req_seen ? "request not complete" : "no request", ms);
		shutdown(hc->fd, SHUT_RDWR);
		cut = true;
	}
	mono_now(&now);
	llist_for_each_entry_safe(d, dtmp, &hp->lingering, linger)
	{
		if (timespeccmp(&now, &d->linger_until, <)) {
			break;
		}
		dialog_free(d);
	}
	replay_expire(hp, (int64_t)time(NULL));
	if (cut) {
		MHD_run(hp->mhd);
		mhd_kick(hp);
	}
	if (hp->n_conns || hp->n_linger || hp->n_replay) {
		osmo_timer_schedule(&hp->house_timer, 0, HOUSEKEEP_MS * 1000);
	}
}

/* --- setup --- */

static int status_cb(struct ussd_port *port, char *buf, size_t len)
{
	struct http_port *hp = port->priv;
	const struct http_port_stats *s = &hp->st;

	return snprintf(buf, len,
			"listen=%s:%u path=%s auth=%s%s%s conns=%u requests=%" PRIu64 " answered=%" PRIu64
			" ends=%" PRIu64 " retries=%" PRIu64 " rejected: sig=%" PRIu64 " addr=%" PRIu64
			" replay=%" PRIu64 " form=%" PRIu64 " size=%" PRIu64 " method=%" PRIu64 " path=%" PRIu64
			" type=%" PRIu64 " busy=%" PRIu64 "; slow cut=%" PRIu64 " late=%" PRIu64,
			hp->cfg.address, hp->bound_port, hp->cfg.path, hp->key ? "hmac" : "",
			hp->key && hp->n_allow ? "+" : "", hp->n_allow ? "allow" : "", hp->n_conns, s->requests,
			s->answered, s->ends, s->retries, s->bad_sig, s->bad_addr, s->replays, s->bad_form,
			s->too_large, s->bad_method, s->bad_path, s->bad_type, s->busy, s->cut, s->late);
}

static int key_destructor(uint8_t *key)
{
	explicit_bzero(key, talloc_get_size(key));
	return 0;
}

/* The shared secret: the file's bytes, one trailing newline dropped. Mode 0600 like the device
 * key: anyone who reads it can drive dialogs as any caller. */
static int key_load(struct http_port *hp, const char *path)
{
	uint8_t buf[KEY_MAX + 2];
	struct stat sb;
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		rc = -errno;
		LOGHP(hp, LOGL_ERROR, "cannot open the HMAC key file %s: %s\n", path, strerror(errno));
		return rc;
	}
	if (fstat(fd, &sb) != 0) {
		rc = -errno;
	} else if (!S_ISREG(sb.st_mode) || (sb.st_mode & 077)) {
		LOGHP(hp, LOGL_ERROR, "HMAC key file %s must be a regular file with mode 0600 (is %03o)\n", path,
		      (unsigned)(sb.st_mode & 0777));
		rc = -EPERM;
	}
	n = rc ? 0 : read(fd, buf, sizeof(buf));
	if (!rc && n < 0) {
		rc = -errno;
	}
	close(fd);
	if (rc) {
		return rc;
	}
	if (n > 0 && buf[n - 1] == '\n') {
		n--;
	}
	if (n > 0 && buf[n - 1] == '\r') {
		n--;
	}
	if (n < KEY_MIN || n > KEY_MAX) {
		LOGHP(hp, LOGL_ERROR, "HMAC key file %s: the key must be %d..%d bytes\n", path, KEY_MIN, KEY_MAX);
		explicit_bzero(buf, sizeof(buf));
		return -EBADMSG;
	}
	hp->key = talloc_memdup(hp, buf, (size_t)n);
	explicit_bzero(buf, sizeof(buf));
	if (!hp->key) {
		return -ENOMEM;
	}
	hp->keylen = (size_t)n;
	talloc_set_destructor(hp->key, key_destructor);
	return 0;
}

static int http_port_destructor(struct http_port *hp)
{
	osmo_timer_del(&hp->house_timer);
	osmo_timer_del(&hp->mhd_timer);
	if (hp->ofd.fd >= 0) {
		osmo_fd_unregister(&hp->ofd);
		hp->ofd.fd = -1;
	}
	/* MHD first: closing its connections calls back into hp, which is still whole. */
	if (hp->mhd) {
		MHD_stop_daemon(hp->mhd);
		hp->mhd = NULL;
	}
	if (hp->port.engine) {
		ussd_port_unregister(&hp->port);
	}
	return 0;
}

static char *dup_or_null(void *ctx, const char *s)
{
	return s ? talloc_strdup(ctx, s) : NULL;
}

struct http_port *http_port_alloc(void *ctx, struct ussd_engine *e, const struct http_port_cfg *cfg)
{
	struct http_port *hp = talloc_zero(ctx, struct http_port);
	struct sockaddr_storage ss = {0};
	const union MHD_DaemonInfo *di;
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	unsigned i;

	if (!hp) {
		return NULL;
	}
	hp->ofd.fd = -1;
	hash_init(hp->dialogs);
	hash_init(hp->replay);
	INIT_LLIST_HEAD(&hp->lingering);
	INIT_LLIST_HEAD(&hp->replay_order);
	INIT_LLIST_HEAD(&hp->conns);
	osmo_timer_setup(&hp->mhd_timer, mhd_timer_cb, hp);
	osmo_timer_setup(&hp->house_timer, house_cb, hp);
	talloc_set_destructor(hp, http_port_destructor);

	hp->cfg = *cfg;
	hp->cfg.name = talloc_strdup(hp, cfg->name);
	hp->cfg.address = talloc_strdup(hp, cfg->address);
	hp->cfg.path = talloc_strdup(hp, cfg->path);
	hp->cfg.end_path = talloc_strdup(hp, cfg->end_path);
	hp->cfg.fields.session = talloc_strdup(hp, cfg->fields.session);
	hp->cfg.fields.service = talloc_strdup(hp, cfg->fields.service);
	hp->cfg.fields.phone = talloc_strdup(hp, cfg->fields.phone);
	hp->cfg.fields.text = talloc_strdup(hp, cfg->fields.text);
	hp->cfg.sig_header = talloc_strdup(hp, cfg->sig_header);
	hp->cfg.ts_header = talloc_strdup(hp, cfg->ts_header);
	hp->cfg.hmac_key_file = dup_or_null(hp, cfg->hmac_key_file);
	hp->cfg.allow = NULL;
	if (!hp->cfg.name || !hp->cfg.address || !hp->cfg.path || !hp->cfg.end_path || !hp->cfg.fields.session ||
	    !hp->cfg.fields.service || !hp->cfg.fields.phone || !hp->cfg.fields.text || !hp->cfg.sig_header ||
	    !hp->cfg.ts_header || !cfg->max_body || !cfg->replay_max) {
		goto fail;
	}
	for (i = 0; cfg->allow && cfg->allow[i]; i++) {
	}
	if (i) {
		hp->allow = talloc_zero_array(hp, struct http_allow, i);
		if (!hp->allow) {
			goto fail;
		}
		for (hp->n_allow = 0; hp->n_allow < i; hp->n_allow++) {
			if (allow_parse(cfg->allow[hp->n_allow], &hp->allow[hp->n_allow]) < 0) {
				LOGHP(hp, LOGL_ERROR, "bad allow entry '%s'\n", cfg->allow[hp->n_allow]);
				goto fail;
			}
		}
	}
	if (cfg->hmac_key_file && key_load(hp, cfg->hmac_key_file) < 0) {
		goto fail;
	}
	if (!hp->key && !hp->n_allow) {
		LOGHP(hp, LOGL_ERROR, "neither an HMAC key nor an allow list: refusing to serve anyone\n");
		goto fail;
	}

	if (inet_pton(AF_INET, cfg->address, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons(cfg->port);
	} else if (inet_pton(AF_INET6, cfg->address, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(cfg->port);
		flags |= MHD_USE_IPv6;
	} else {
		LOGHP(hp, LOGL_ERROR, "bad listen address '%s'\n", cfg->address);
		goto fail;
	}

	hp->port.name = hp->cfg.name;
	hp->port.kind = "http";
	hp->port.caps = cfg->caps;
	hp->port.ops = &http_port_ops;
	hp->port.priv = hp;
	hp->port.link_up = true;
	hp->port.status = status_cb;
	ussd_port_register(e, &hp->port);

	hp->mhd = MHD_start_daemon(
		flags, 0, NULL, NULL, access_cb, hp, MHD_OPTION_EXTERNAL_LOGGER, mhd_log_cb, hp, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&ss, MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1, MHD_OPTION_CONNECTION_LIMIT,
		cfg->max_conns, MHD_OPTION_CONNECTION_TIMEOUT, cfg->conn_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)CONN_MEMORY, MHD_OPTION_NOTIFY_CONNECTION, conn_cb, hp, MHD_OPTION_NOTIFY_COMPLETED,
		completed_cb, hp, MHD_OPTION_URI_LOG_CALLBACK, uri_cb, hp, MHD_OPTION_END);
	if (!hp->mhd) {
		LOGHP(hp, LOGL_ERROR, "cannot listen on %s port %u\n", cfg->address, cfg->port);
		goto fail;
	}
	di = MHD_get_daemon_info(hp->mhd, MHD_DAEMON_INFO_BIND_PORT);
	hp->bound_port = di ? di->port : cfg->port;
	di = MHD_get_daemon_info(hp->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!di) {
		goto fail;
	}
	osmo_fd_setup(&hp->ofd, di->epoll_fd, OSMO_FD_READ, mhd_fd_cb, hp, 0);
	if (osmo_fd_register(&hp->ofd) < 0) {
		hp->ofd.fd = -1;
		goto fail;
	}
	mhd_kick(hp);
	LOGHP(hp, LOGL_NOTICE, "listening on %s port %u, path %s (end %s), auth %s%s%s\n", cfg->address, hp->bound_port,
	      cfg->path, cfg->end_path, hp->key ? "hmac" : "", hp->key && hp->n_allow ? "+" : "",
	      hp->n_allow ? "allow-list" : "");
	return hp;
fail:
	talloc_free(hp);
	return NULL;
}

void http_port_free(struct http_port *hp)
{
	talloc_free(hp);
}

uint16_t http_port_bound_port(const struct http_port *hp)
{
	return hp->bound_port;
}
