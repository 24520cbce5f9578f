/* The appliance's sync client: one non-blocking TLS connection per round on the libosmocore
 * event loop (docs/sync.md). State: IDLE -> CONNECTING -> HANDSHAKE -> (SEND -> RECV)* -> IDLE.
 * Every step that can wait returns to the loop; pump() advances as far as the socket allows. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include <yordam/util.h>
#include <yordam/log.h>
#include <yordam/sync.h>
#include <yordam/sync_proto.h>
#include <yordam/sync_tls.h>

#define LOGSYNC(c, lvl, fmt, args...) LOGP(DSYNC, lvl, "sync %s:%u: " fmt, (c)->cfg.host, (c)->cfg.port, ##args)

#define JOURNAL_RESP_MAX (64u << 10)
#define IN_INITIAL	 (16u << 10)

enum sync_state {
	SYNC_ST_IDLE,
	SYNC_ST_CONNECTING,
	SYNC_ST_HANDSHAKE,
	SYNC_ST_SEND,
	SYNC_ST_RECV,
};

static const char *const state_names[] = {"idle", "connecting", "handshake", "sending", "receiving"};

enum sync_phase {
	SYNC_PH_JOURNAL,
	SYNC_PH_BUNDLES,
};

struct sync_client {
	struct sync_cfg cfg;
	const struct sync_journal_ops *jops;
	void *jdata;
	const struct sync_sink_ops *sops;
	void *sdata;
	void (*round_cb)(void *data, bool ok);
	void *round_cb_data;

	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_x509_crt ca, own;
	mbedtls_pk_context key, bundle_pub;
	mbedtls_ssl_config conf;
	mbedtls_ssl_context ssl;
	bool ssl_live;
	mbedtls_ssl_session saved;
	bool have_saved;
	struct sockaddr_storage addr;
	socklen_t addr_len;

	struct osmo_fd ofd;
	struct osmo_timer_list round_timer, io_timer;
	enum sync_state state;
	enum sync_phase phase;
	int io_errno;

	/* the round */
	uint64_t acked;
	uint64_t batch_last;
	unsigned batch_n;
	unsigned kind_idx;
	struct sync_record *recs;
	char *out;
	size_t out_len, out_off;
	char *in;
	size_t in_len, in_cap;
	bool head_done;
	struct sync_http_head head;

	struct sync_status st;
	char bundle_error[256];
};

static void pump(struct sync_client *c);
static void round_start(struct sync_client *c);

/* --- socket I/O for mbedTLS: send() with MSG_NOSIGNAL, a dead peer must not raise SIGPIPE --- */

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct sync_client *c = ctx;
	ssize_t n = send(c->ofd.fd, buf, len, MSG_NOSIGNAL);

	if (n >= 0) {
		return (int)n;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	}
	c->io_errno = errno;
	return (errno == EPIPE || errno == ECONNRESET) ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_SEND_FAILED;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct sync_client *c = ctx;
	ssize_t n = recv(c->ofd.fd, buf, len, 0);

	if (n >= 0) {
		return (int)n;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
		return MBEDTLS_ERR_SSL_WANT_READ;
	}
	c->io_errno = errno;
	return errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_RECV_FAILED;
}

/* --- end of a round --- */

static unsigned backoff_ms(struct sync_client *c)
{
	uint64_t d = c->cfg.backoff_min_ms;
	uint32_t r = 0;
	unsigned i;

	for (i = 1; i < c->st.consecutive_failures && d < c->cfg.backoff_max_ms; i++) {
		d *= 2;
	}
	if (d > c->cfg.backoff_max_ms) {
		d = c->cfg.backoff_max_ms;
	}
	/* jitter: uniform in [d/2, d], so appliances that lost the platform together spread out */
	if (mbedtls_ctr_drbg_random(&c->drbg, (unsigned char *)&r, sizeof(r)) != 0) {
		r = (uint32_t)random();
	}
	return (unsigned)(d / 2 + (d - d / 2) * (uint64_t)r / UINT32_MAX);
}

static void schedule(struct sync_client *c, unsigned ms)
{
	osmo_timer_schedule(&c->round_timer, ms / 1000, (ms % 1000) * 1000);
	c->st.next_round_ms = ms;
}

static void round_finish(struct sync_client *c, bool ok)
{
	unsigned delay;

	osmo_timer_del(&c->io_timer);
	if (c->ssl_live) {
		if (ok) {
			/* best effort: one non-blocking attempt, the round is over either way */
			mbedtls_ssl_close_notify(&c->ssl);
		}
		mbedtls_ssl_free(&c->ssl);
		c->ssl_live = false;
	}
	if (c->ofd.fd >= 0) {
		osmo_fd_unregister(&c->ofd);
		close(c->ofd.fd);
		c->ofd.fd = -1;
	}
	TALLOC_FREE(c->out);
	TALLOC_FREE(c->in);
	c->in_len = c->in_cap = 0;
	c->state = SYNC_ST_IDLE;
	c->st.busy = false;
	if (ok) {
		c->st.rounds_ok++;
		c->st.consecutive_failures = 0;
		c->st.last_success = time(NULL);
		c->st.last_error[0] = '\0';
		delay = c->cfg.interval_ms;
	} else {
		c->st.rounds_failed++;
		c->st.consecutive_failures++;
		delay = backoff_ms(c);
		LOGSYNC(c, LOGL_INFO, "next attempt in %u ms (failure %u in a row)\n", delay,
			c->st.consecutive_failures);
	}
	schedule(c, delay);
	if (c->round_cb) {
		c->round_cb(c->round_cb_data, ok);
	}
}

static void fail(struct sync_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct sync_client *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->st.last_error, sizeof(c->st.last_error), fmt, ap);
	va_end(ap);
	LOGSYNC(c, LOGL_ERROR, "round failed: %s\n", c->st.last_error);
	round_finish(c, false);
}

static void fail_tls(struct sync_client *c, int rc, const char *during)
{
	char why[200];

	sync_tls_explain(why, sizeof(why), rc, &c->ssl);
	if (c->io_errno && (rc == MBEDTLS_ERR_NET_CONN_RESET || rc == MBEDTLS_ERR_NET_SEND_FAILED ||
			    rc == MBEDTLS_ERR_NET_RECV_FAILED)) {
		fail(c, "%s: %s", during, strerror(c->io_errno));
		return;
	}
	/* a saved session the platform no longer likes must not poison the next round */
	if (c->state == SYNC_ST_HANDSHAKE && c->have_saved) {
		mbedtls_ssl_session_free(&c->saved);
		mbedtls_ssl_session_init(&c->saved);
		c->have_saved = false;
	}
	fail(c, "%s: %s", during, why);
}

static void want(struct sync_client *c, unsigned what)
{
	osmo_fd_write_disable(&c->ofd);
	osmo_fd_read_disable(&c->ofd);
	c->ofd.when |= what;
}

/* mbedTLS needs the socket readable or writable first (in any state: TLS may read while we write):
 * wait for that, true. */
static bool blocked(struct sync_client *c, int rc)
{
	if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
		want(c, rc == MBEDTLS_ERR_SSL_WANT_READ ? OSMO_FD_READ : OSMO_FD_WRITE);
		return true;
	}
	return false;
}

static void progress(struct sync_client *c)
{
	osmo_timer_schedule(&c->io_timer, c->cfg.timeout_ms / 1000, (c->cfg.timeout_ms % 1000) * 1000);
}

/* --- requests --- */

static bool type_valid(const char *t)
{
	size_t i, n = t ? strlen(t) : 0;

	if (n == 0 || n > SYNC_TYPE_MAX) {
		return false;
	}
	for (i = 0; i < n; i++) {
		if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9') || t[i] == '_')) {
			return false;
		}
	}
	return true;
}

static int set_request(struct sync_client *c, const char *method, const char *target, const char *body, size_t body_len)
{
	char *head;
	size_t hl;

	TALLOC_FREE(c->out);
	if (body) {
		head = talloc_asprintf(c,
				       "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
				       "Content-Length: %zu\r\n\r\n",
				       method, target, c->cfg.host, body_len);
	} else {
		head = talloc_asprintf(c, "%s %s HTTP/1.1\r\nHost: %s\r\n\r\n", method, target, c->cfg.host);
	}
	if (!head) {
		return -ENOMEM;
	}
	hl = strlen(head);
	c->out = talloc_realloc_size(c, head, hl + body_len);
	if (!c->out) {
		talloc_free(head);
		return -ENOMEM;
	}
	if (body_len) {
		memcpy(c->out + hl, body, body_len);
	}
	c->out_len = hl + body_len;
	c->out_off = 0;
	c->in_len = 0;
	c->head_done = false;
	c->state = SYNC_ST_SEND;
	return 0;
}

/* The next journal batch as a request; 0 with batch_n == 0 when the journal is drained. */
static int journal_request(struct sync_client *c)
{
	json_t *root = NULL, *arr;
	char *body = NULL;
	uint64_t prev = c->acked;
	int n, i, rc = 0;

	n = c->jops->read_batch(c->jdata, c->acked, c->recs, c->cfg.batch_max);
	if (n < 0) {
		fail(c, "journal read failed: %s", strerror(-n));
		return n;
	}
	c->batch_n = (unsigned)n;
	if (n == 0) {
		return 0;
	}
	root = json_object();
	arr = json_array();
	if (!root || !arr || json_object_set_new(root, "records", arr) < 0) {
		json_decref(arr);
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		const struct sync_record *r = &c->recs[i];
		json_error_t jerr;
		json_t *data, *rec;

		/* the journal is local, but a bug there must not become a gap or a duplicate upstream */
		if (r->seq <= prev || r->seq > SYNC_SEQ_MAX || !type_valid(r->type)) {
			fail(c, "journal returned an invalid record (seq %" PRIu64 " after %" PRIu64 ")", r->seq, prev);
			rc = -EINVAL;
			goto out_failed;
		}
		data = json_loadb(r->data, r->data_len, JSON_DECODE_ANY, &jerr);
		if (!data) {
			fail(c, "journal record %" PRIu64 " holds invalid JSON: %s", r->seq, jerr.text);
			rc = -EINVAL;
			goto out_failed;
		}
		rec = json_pack("{s:I,s:s,s:I,s:o}", "seq", (json_int_t)r->seq, "type", r->type, "time",
				(json_int_t)r->time, "data", data);
		if (!rec || json_array_append_new(arr, rec) < 0) {
			rc = -ENOMEM;
			goto out;
		}
		prev = r->seq;
	}
	c->batch_last = prev;
	body = json_dumps(root, JSON_COMPACT);
	if (!body) {
		rc = -ENOMEM;
		goto out;
	}
	if (strlen(body) > SYNC_JOURNAL_BODY_MAX) {
		fail(c, "journal batch of %d records is %zu bytes, over the %u limit: lower batch_max", n, strlen(body),
		     SYNC_JOURNAL_BODY_MAX);
		rc = -EMSGSIZE;
		goto out_failed;
	}
	rc = set_request(c, "POST", "/v1/journal", body, strlen(body));
out:
	if (rc < 0) {
		fail(c, "cannot build the journal request: %s", strerror(-rc));
	}
out_failed:
	free(body);
	json_decref(root);
	return rc;
}

/* Set up the next request of the round, or finish the round. */
static void next_request(struct sync_client *c)
{
	if (c->phase == SYNC_PH_JOURNAL) {
		if (journal_request(c) < 0) {
			return;
		}
		if (c->batch_n > 0) {
			return;
		}
		c->phase = SYNC_PH_BUNDLES;
		c->kind_idx = 0;
	}
	while (c->kind_idx < SYNC_KINDS_MAX && c->cfg.kinds[c->kind_idx]) {
		const char *kind = c->cfg.kinds[c->kind_idx];
		uint64_t v = 0;
		char target[128];
		int rc = c->sops->current_version(c->sdata, kind, &v);

		if (rc < 0) {
			LOGSYNC(c, LOGL_ERROR, "cannot read the %s version in service: %s\n", kind, strerror(-rc));
			c->kind_idx++;
			continue;
		}
		c->st.bundle_version[c->kind_idx] = v;
		snprintf(target, sizeof(target), "/v1/bundle/%s?after=%" PRIu64, kind, v);
		if (set_request(c, "GET", target, NULL, 0) < 0) {
			fail(c, "out of memory");
		}
		return;
	}
	LOGSYNC(c, LOGL_INFO, "round done: acknowledged up to %" PRIu64 "\n", c->acked);
	round_finish(c, true);
}

/* --- bundles --- */

static void remove_dir(const char *dir, const struct sync_bundle_payload *p)
{
	char path[4096];
	unsigned i;

	for (i = 0; i < p->n_files; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, p->files[i].name);
		unlink(path);
	}
	rmdir(dir);
}

static int unpack(const char *dir, const struct sync_bundle_payload *p)
{
	char path[4096];
	unsigned i;
	int fd, rc;

	for (i = 0; i < p->n_files; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, p->files[i].name);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			return -errno;
		}
		rc = yordam_write_all(fd, p->files[i].text, p->files[i].len);
		if (rc == 0 && fsync(fd) < 0) {
			rc = -errno;
		}
		if (close(fd) < 0 && rc == 0) {
			rc = -errno;
		}
		if (rc < 0) {
			return rc;
		}
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		return -errno;
	}
	rc = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

static void bundle_reject(struct sync_client *c, const char *kind, const char *why)
{
	c->st.bundles_rejected++;
	snprintf(c->bundle_error, sizeof(c->bundle_error), "%s bundle rejected: %s", kind, why);
	LOGSYNC(c, LOGL_ERROR, "%s bundle rejected, content in service unchanged: %s\n", kind, why);
}

static void bundle_handle(struct sync_client *c, const uint8_t *buf, size_t len)
{
	const char *kind = c->cfg.kinds[c->kind_idx];
	struct sync_bundle_payload p;
	const char *why = NULL;
	uint64_t cur = 0;
	char *dir;
	int rc;

	rc = sync_bundle_verify(buf, len, &c->bundle_pub, &p, &why);
	if (rc < 0) {
		bundle_reject(c, kind, why);
		return;
	}
	if (strcmp(p.kind, kind) != 0) {
		bundle_reject(c, kind, "bundle is of another kind");
		goto out;
	}
	if (c->sops->current_version(c->sdata, kind, &cur) < 0 || p.version <= cur) {
		bundle_reject(c, kind, "bundle version is not newer than the one in service (replay?)");
		goto out;
	}
	dir = talloc_asprintf(c, "%s/bundle-%s.XXXXXX", c->cfg.work_dir, kind);
	if (!dir || !mkdtemp(dir)) {
		char e[160];
		snprintf(e, sizeof(e), "cannot create a directory in %s: %s", c->cfg.work_dir, strerror(errno));
		bundle_reject(c, kind, e);
		talloc_free(dir);
		goto out;
	}
	rc = unpack(dir, &p);
	if (rc < 0) {
		char e[160];
		snprintf(e, sizeof(e), "cannot write the files: %s", strerror(-rc));
		bundle_reject(c, kind, e);
	} else {
		why = NULL;
		rc = c->sops->apply_bundle(c->sdata, kind, p.version, dir, &why);
		if (rc < 0) {
			char e[200];
			snprintf(e, sizeof(e), "version %" PRIu64 " refused by the sink: %s", p.version,
				 why ? why : strerror(-rc));
			bundle_reject(c, kind, e);
		} else {
			c->st.bundles_applied++;
			c->st.bundle_version[c->kind_idx] = p.version;
			c->bundle_error[0] = '\0';
			LOGSYNC(c, LOGL_NOTICE, "%s bundle version %" PRIu64 " applied (%u files)\n", kind, p.version,
				p.n_files);
		}
	}
	remove_dir(dir, &p);
	talloc_free(dir);
out:
	sync_bundle_payload_free(&p);
}

/* --- responses --- */

static void body_snippet(char *dst, size_t dlen, const char *b, size_t len)
{
	size_t i, k = 0;

	for (i = 0; i < len && k + 1 < dlen && i < 120; i++) {
		dst[k++] = (b[i] >= 0x20 && b[i] < 0x7f) ? b[i] : '.';
	}
	dst[k] = '\0';
}

static void handle_response(struct sync_client *c)
{
	const char *body = c->in + c->head.head_len;
	size_t blen = (size_t)c->head.content_length;
	char snip[128];
	uint64_t ack;
	int rc;

	if (c->phase == SYNC_PH_JOURNAL) {
		if (c->head.status != 200) {
			body_snippet(snip, sizeof(snip), body, blen);
			fail(c, "the platform answered %d to a journal batch: %s", c->head.status, snip);
			return;
		}
		if (sync_ack_parse(body, blen, &ack) < 0) {
			fail(c, "malformed journal answer");
			return;
		}
		if (ack < c->batch_last) {
			fail(c, "the platform acknowledged %" PRIu64 " but the batch ended at %" PRIu64, ack,
			     c->batch_last);
			return;
		}
		if (ack > c->batch_last) {
			LOGSYNC(c, LOGL_NOTICE,
				"the platform acknowledges %" PRIu64 ", beyond what we sent (%" PRIu64
				"): sequence numbers reused?\n",
				ack, c->batch_last);
		}
		rc = c->jops->acked(c->jdata, c->batch_last);
		if (rc < 0) {
			fail(c, "journal could not record the acknowledgement: %s", strerror(-rc));
			return;
		}
		c->acked = c->batch_last;
		c->st.acked_seq = c->acked;
		c->st.records_sent += c->batch_n;
		next_request(c);
		return;
	}
	switch (c->head.status) {
	case 200:
		bundle_handle(c, (const uint8_t *)body, blen);
		break;
	case 204:
		break;
	case 404:
		LOGSYNC(c, LOGL_NOTICE, "the platform has no bundles of kind %s\n", c->cfg.kinds[c->kind_idx]);
		break;
	default:
		body_snippet(snip, sizeof(snip), body, blen);
		fail(c, "the platform answered %d to a bundle request: %s", c->head.status, snip);
		return;
	}
	c->kind_idx++;
	next_request(c);
}

/* Returns 1 when a complete response is in c->in, 0 when more is needed, <0 after fail(). */
static int parse_in(struct sync_client *c)
{
	size_t max = c->phase == SYNC_PH_JOURNAL ? JOURNAL_RESP_MAX : SYNC_BUNDLE_MAX;
	int rc;

	if (!c->head_done) {
		rc = sync_http_parse_response(c->in, c->in_len, &c->head);
		if (rc == -EAGAIN) {
			return 0;
		}
		if (rc < 0) {
			fail(c, "malformed HTTP response from the platform (%s)",
			     rc == -EMSGSIZE ? "head too long" : "bad head");
			return -1;
		}
		if (c->head.status < 200) {
			fail(c, "unexpected HTTP status %d", c->head.status);
			return -1;
		}
		if (!c->head.has_length) {
			if (c->head.status != 204 && c->head.status != 304) {
				fail(c, "HTTP response without Content-Length");
				return -1;
			}
			c->head.content_length = 0;
		}
		if (c->head.content_length > max) {
			fail(c, "HTTP response body too large (%" PRIu64 " bytes)", c->head.content_length);
			return -1;
		}
		c->head_done = true;
		if (c->head.head_len + c->head.content_length > c->in_cap) {
			char *n = talloc_realloc_size(c, c->in, c->head.head_len + c->head.content_length);
			if (!n) {
				fail(c, "out of memory for a %" PRIu64 " byte response", c->head.content_length);
				return -1;
			}
			c->in = n;
			c->in_cap = c->head.head_len + (size_t)c->head.content_length;
		}
	}
	if (c->in_len < c->head.head_len + c->head.content_length) {
		return 0;
	}
	if (c->in_len > c->head.head_len + c->head.content_length) {
		fail(c, "unexpected bytes after the HTTP response");
		return -1;
	}
	return 1;
}

/* --- the pump --- */

static void handshake_done(struct sync_client *c)
{
	bool resumed = false;
	uint32_t flags = mbedtls_ssl_get_verify_result(&c->ssl);

	/* VERIFY_REQUIRED already failed the handshake otherwise; belt and braces */
	if (flags != 0) {
		fail(c, "certificate verification flags 0x%x after handshake", (unsigned)flags);
		return;
	}
	/* Without tickets, a resumed session is the one whose id the server echoed back. */
	if (c->have_saved && c->saved.id_len > 0 && c->ssl.session && c->ssl.session->id_len == c->saved.id_len &&
	    memcmp(c->ssl.session->id, c->saved.id, c->saved.id_len) == 0) {
		resumed = true;
	}
	if (resumed) {
		c->st.handshakes_resumed++;
	} else {
		c->st.handshakes_full++;
		if (c->have_saved) {
			mbedtls_ssl_session_free(&c->saved);
			mbedtls_ssl_session_init(&c->saved);
			c->have_saved = false;
		}
		if (!c->cfg.no_resume && mbedtls_ssl_get_session(&c->ssl, &c->saved) == 0) {
			c->have_saved = true;
		}
	}
	LOGSYNC(c, LOGL_DEBUG, "%s handshake, %s\n", resumed ? "resumed" : "full",
		mbedtls_ssl_get_ciphersuite(&c->ssl));
	c->phase = SYNC_PH_JOURNAL;
	next_request(c);
}

static void pump(struct sync_client *c)
{
	int rc;

	for (;;) {
		switch (c->state) {
		case SYNC_ST_HANDSHAKE:
			rc = mbedtls_ssl_handshake(&c->ssl);
			if (blocked(c, rc)) {
				return;
			}
			if (rc != 0) {
				fail_tls(c, rc, "TLS handshake failed");
				return;
			}
			progress(c);
			handshake_done(c);
			break;
		case SYNC_ST_SEND:
			rc = mbedtls_ssl_write(&c->ssl, (const unsigned char *)c->out + c->out_off,
					       c->out_len - c->out_off);
			if (blocked(c, rc)) {
				return;
			}
			if (rc < 0) {
				fail_tls(c, rc, "sending to the platform");
				return;
			}
			progress(c);
			c->out_off += (size_t)rc;
			if (c->out_off == c->out_len) {
				TALLOC_FREE(c->out);
				c->state = SYNC_ST_RECV;
			}
			break;
		case SYNC_ST_RECV:
			if (!c->in) {
				c->in = talloc_size(c, IN_INITIAL);
				if (!c->in) {
					fail(c, "out of memory");
					return;
				}
				c->in_cap = IN_INITIAL;
				c->in_len = 0;
			}
			if (c->in_len == c->in_cap) {
				/* head complete and the buffer holds exactly the message: more is a protocol error */
				fail(c, "unexpected bytes after the HTTP response");
				return;
			}
			rc = mbedtls_ssl_read(&c->ssl, (unsigned char *)c->in + c->in_len, c->in_cap - c->in_len);
			if (blocked(c, rc)) {
				return;
			}
			if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
				fail(c, "the platform closed the connection before answering");
				return;
			}
			if (rc < 0) {
				fail_tls(c, rc, "receiving from the platform");
				return;
			}
			progress(c);
			c->in_len += (size_t)rc;
			rc = parse_in(c);
			if (rc < 0) {
				return;
			}
			if (rc == 1) {
				handle_response(c);
			}
			break;
		default:
			return;
		}
	}
}

static int fd_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct sync_client *c = ofd->data;
	int err = 0, rc;
	socklen_t elen = sizeof(err);

	if (c->state == SYNC_ST_CONNECTING) {
		if (getsockopt(ofd->fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0) {
			err = errno;
		}
		if (err) {
			fail(c, "cannot connect to %s:%u: %s", c->cfg.address, c->cfg.port, strerror(err));
			return 0;
		}
		progress(c);
		mbedtls_ssl_init(&c->ssl);
		c->ssl_live = true;
		rc = mbedtls_ssl_setup(&c->ssl, &c->conf);
		if (rc == 0) {
			rc = mbedtls_ssl_set_hostname(&c->ssl, c->cfg.host);
		}
		if (rc == 0 && c->have_saved && !c->cfg.no_resume) {
			rc = mbedtls_ssl_set_session(&c->ssl, &c->saved);
		}
		if (rc != 0) {
			fail_tls(c, rc, "TLS setup failed");
			return 0;
		}
		mbedtls_ssl_set_bio(&c->ssl, c, bio_send, bio_recv, NULL);
		c->state = SYNC_ST_HANDSHAKE;
	}
	pump(c);
	return 0;
}

static void io_timeout_cb(void *data)
{
	struct sync_client *c = data;

	fail(c, "timed out after %u ms (%s)", c->cfg.timeout_ms, state_names[c->state]);
}

static void round_start(struct sync_client *c)
{
	int fd, rc;

	if (c->state != SYNC_ST_IDLE) {
		return;
	}
	osmo_timer_del(&c->round_timer);
	c->st.busy = true;
	c->st.last_attempt = time(NULL);
	c->io_errno = 0;
	c->phase = SYNC_PH_JOURNAL;
	c->state = SYNC_ST_CONNECTING;
	rc = c->jops->last_acked(c->jdata, &c->acked);
	if (rc < 0) {
		fail(c, "journal: cannot read the acknowledged sequence number: %s", strerror(-rc));
		return;
	}
	c->st.acked_seq = c->acked;
	fd = socket(c->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fail(c, "socket: %s", strerror(errno));
		return;
	}
	if (connect(fd, (struct sockaddr *)&c->addr, c->addr_len) < 0 && errno != EINPROGRESS) {
		int e = errno;
		close(fd);
		fail(c, "cannot connect to %s:%u: %s", c->cfg.address, c->cfg.port, strerror(e));
		return;
	}
	osmo_fd_setup(&c->ofd, fd, OSMO_FD_WRITE, fd_cb, c, 0);
	if (osmo_fd_register(&c->ofd) < 0) {
		close(fd);
		c->ofd.fd = -1;
		fail(c, "cannot register the socket");
		return;
	}
	progress(c);
}

static void round_timer_cb(void *data)
{
	round_start(data);
}

/* --- the object --- */

static int client_destructor(struct sync_client *c)
{
	osmo_timer_del(&c->round_timer);
	osmo_timer_del(&c->io_timer);
	if (c->ssl_live) {
		mbedtls_ssl_free(&c->ssl);
	}
	if (c->ofd.fd >= 0) {
		osmo_fd_unregister(&c->ofd);
		close(c->ofd.fd);
	}
	mbedtls_ssl_session_free(&c->saved);
	mbedtls_ssl_config_free(&c->conf);
	mbedtls_pk_free(&c->bundle_pub);
	mbedtls_pk_free(&c->key);
	mbedtls_x509_crt_free(&c->own);
	mbedtls_x509_crt_free(&c->ca);
	mbedtls_ctr_drbg_free(&c->drbg);
	mbedtls_entropy_free(&c->entropy);
	return 0;
}

static bool host_valid(const char *h)
{
	size_t i, n = h ? strlen(h) : 0;

	if (n == 0 || n > 253) {
		return false;
	}
	for (i = 0; i < n; i++) {
		if (!((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' && h[i] <= 'Z') || (h[i] >= '0' && h[i] <= '9') ||
		      h[i] == '.' || h[i] == '-')) {
			return false;
		}
	}
	return true;
}

#define ALLOC_ERR(fmt, args...)                      \
	do {                                         \
		snprintf(err, err_len, fmt, ##args); \
		goto exit;                           \
	} while (0)

struct sync_client *sync_client_alloc(void *ctx, const struct sync_cfg *cfg, const struct sync_journal_ops *jops,
				      void *jdata, const struct sync_sink_ops *sops, void *sdata,
				      unsigned first_delay_ms, char *err, size_t err_len)
{
	static const char pers[] = "yordam-sync";
	struct sync_client *c = talloc_zero(ctx, struct sync_client);
	char e[128];
	int rc;
	unsigned i;

	if (!c) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	/* init every object first, so the destructor can free them all whatever fails below */
	c->ofd.fd = -1;
	mbedtls_entropy_init(&c->entropy);
	mbedtls_ctr_drbg_init(&c->drbg);
	mbedtls_x509_crt_init(&c->ca);
	mbedtls_x509_crt_init(&c->own);
	mbedtls_pk_init(&c->key);
	mbedtls_pk_init(&c->bundle_pub);
	mbedtls_ssl_config_init(&c->conf);
	mbedtls_ssl_session_init(&c->saved);
	osmo_timer_setup(&c->round_timer, round_timer_cb, c);
	osmo_timer_setup(&c->io_timer, io_timeout_cb, c);
	talloc_set_destructor(c, client_destructor);

	c->cfg = *cfg;
	c->jops = jops;
	c->jdata = jdata;
	c->sops = sops;
	c->sdata = sdata;
	if (!jops || !jops->last_acked || !jops->read_batch || !jops->acked || !sops || !sops->current_version ||
	    !sops->apply_bundle) {
		ALLOC_ERR("journal or sink operations missing");
	}
	if (!host_valid(cfg->host)) {
		ALLOC_ERR("sync host: not a host name");
	}
	if (!cfg->address || !cfg->ca_file || !cfg->cert_file || !cfg->key_file || !cfg->bundle_key_file ||
	    !cfg->work_dir) {
		ALLOC_ERR("sync: address, ca_file, cert_file, key_file, bundle_key_file and work_dir are required");
	}
	/* copy the strings: the configuration may go away */
	c->cfg.host = talloc_strdup(c, cfg->host);
	c->cfg.address = talloc_strdup(c, cfg->address);
	c->cfg.work_dir = talloc_strdup(c, cfg->work_dir);
	for (i = 0; i < SYNC_KINDS_MAX && cfg->kinds[i]; i++) {
		if (!sync_name_valid(cfg->kinds[i], strlen(cfg->kinds[i]))) {
			ALLOC_ERR("sync: bad bundle kind '%s'", cfg->kinds[i]);
		}
		c->cfg.kinds[i] = talloc_strdup(c, cfg->kinds[i]);
	}
	c->cfg.interval_ms = cfg->interval_ms ? cfg->interval_ms : 300000;
	c->cfg.backoff_min_ms = cfg->backoff_min_ms ? cfg->backoff_min_ms : 5000;
	c->cfg.backoff_max_ms = cfg->backoff_max_ms ? cfg->backoff_max_ms : 600000;
	if (c->cfg.backoff_max_ms < c->cfg.backoff_min_ms) {
		c->cfg.backoff_max_ms = c->cfg.backoff_min_ms;
	}
	c->cfg.timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : 30000;
	c->cfg.batch_max = cfg->batch_max ? cfg->batch_max : 500;
	if (c->cfg.batch_max > SYNC_BATCH_RECORDS_MAX) {
		ALLOC_ERR("sync: batch_max above %u", SYNC_BATCH_RECORDS_MAX);
	}
	if (!c->cfg.host || !c->cfg.address || !c->cfg.work_dir) {
		ALLOC_ERR("out of memory");
	}
	c->recs = talloc_zero_array(c, struct sync_record, c->cfg.batch_max);
	if (!c->recs) {
		ALLOC_ERR("out of memory");
	}

	memset(&c->addr, 0, sizeof(c->addr));
	{
		struct sockaddr_in *a4 = (struct sockaddr_in *)&c->addr;
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&c->addr;
		if (inet_pton(AF_INET, cfg->address, &a4->sin_addr) == 1) {
			a4->sin_family = AF_INET;
			a4->sin_port = htons(cfg->port);
			c->addr_len = sizeof(*a4);
		} else if (inet_pton(AF_INET6, cfg->address, &a6->sin6_addr) == 1) {
			a6->sin6_family = AF_INET6;
			a6->sin6_port = htons(cfg->port);
			c->addr_len = sizeof(*a6);
		} else {
			ALLOC_ERR("sync address '%s': not a numeric IPv4/IPv6 address", cfg->address);
		}
	}
	if (cfg->port == 0) {
		ALLOC_ERR("sync port: 0");
	}

	rc = mbedtls_ctr_drbg_seed(&c->drbg, mbedtls_entropy_func, &c->entropy, (const unsigned char *)pers,
				   sizeof(pers) - 1);
	if (rc != 0) {
		mbedtls_strerror(rc, e, sizeof(e));
		ALLOC_ERR("random generator: %s", e);
	}
	rc = mbedtls_x509_crt_parse_file(&c->ca, cfg->ca_file);
	if (rc != 0) {
		mbedtls_strerror(rc, e, sizeof(e));
		ALLOC_ERR("%s: cannot load the platform CA: %s", cfg->ca_file, e);
	}
	rc = mbedtls_x509_crt_parse_file(&c->own, cfg->cert_file);
	if (rc != 0) {
		mbedtls_strerror(rc, e, sizeof(e));
		ALLOC_ERR("%s: cannot load the appliance certificate: %s", cfg->cert_file, e);
	}
	rc = mbedtls_pk_parse_keyfile(&c->key, cfg->key_file, NULL);
	if (rc != 0) {
		mbedtls_strerror(rc, e, sizeof(e));
		ALLOC_ERR("%s: cannot load the appliance key: %s", cfg->key_file, e);
	}
	if (mbedtls_pk_check_pair(&c->own.pk, &c->key) != 0) {
		ALLOC_ERR("%s does not match %s", cfg->key_file, cfg->cert_file);
	}
	rc = mbedtls_pk_parse_public_keyfile(&c->bundle_pub, cfg->bundle_key_file);
	if (rc != 0) {
		mbedtls_strerror(rc, e, sizeof(e));
		ALLOC_ERR("%s: cannot load the bundle key: %s", cfg->bundle_key_file, e);
	}
	if (!mbedtls_pk_can_do(&c->bundle_pub, MBEDTLS_PK_ECDSA) ||
	    mbedtls_pk_ec(c->bundle_pub)->grp.id != MBEDTLS_ECP_DP_SECP256R1) {
		ALLOC_ERR("%s: the bundle key must be an EC P-256 public key", cfg->bundle_key_file);
	}
	rc = mbedtls_ssl_config_defaults(&c->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
					 MBEDTLS_SSL_PRESET_DEFAULT);
	if (rc != 0) {
		ALLOC_ERR("TLS configuration failed");
	}
	sync_tls_policy_apply(&c->conf);
	/* never VERIFY_OPTIONAL: a platform that does not verify is not the platform */
	mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&c->conf, &c->ca, NULL);
	mbedtls_ssl_conf_rng(&c->conf, mbedtls_ctr_drbg_random, &c->drbg);
	/* resumption by session id only, so that a resumed handshake can be told from a full one */
	mbedtls_ssl_conf_session_tickets(&c->conf, MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
	rc = mbedtls_ssl_conf_own_cert(&c->conf, &c->own, &c->key);
	if (rc != 0) {
		ALLOC_ERR("TLS configuration: own certificate refused");
	}
	schedule(c, first_delay_ms);
	return c;
exit:
	talloc_free(c);
	return NULL;
}

void sync_client_free(struct sync_client *c)
{
	talloc_free(c);
}

void sync_client_trigger(struct sync_client *c)
{
	round_start(c);
}

void sync_client_set_round_cb(struct sync_client *c, void (*cb)(void *data, bool ok), void *data)
{
	c->round_cb = cb;
	c->round_cb_data = data;
}

void sync_client_status(struct sync_client *c, struct sync_status *st)
{
	uint64_t n;

	if (c->jops->backlog && c->jops->backlog(c->jdata, c->st.acked_seq, &n) == 0) {
		c->st.backlog = n;
	}
	*st = c->st;
	if (!st->last_error[0] && c->bundle_error[0]) {
		snprintf(st->last_error, sizeof(st->last_error), "%s", c->bundle_error);
	}
}
