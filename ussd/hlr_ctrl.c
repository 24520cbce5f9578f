/* OsmoHLR CTRL client for MSISDN look-ups. See hlr_ctrl.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include <osmocom/core/hashtable.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/select.h>
#include <osmocom/core/socket.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include <yordam/hlr_ctrl.h>
#include <yordam/log.h>

#define IPA_PROTO_OSMO 0xEE
#define IPA_EXT_CTRL   0x00
#define IMSI_MAX       16
#define MSISDN_MAX     16
#define RETRY_S	       5
#define MAX_PENDING    1024

struct ctrl_entry {
	struct hlist_node hnode;
	struct llist_head lru;
	char imsi[IMSI_MAX];
	char msisdn[MSISDN_MAX]; /* "" while pending or when the subscriber has none */
	bool pending, sent;
	uint32_t req_id;
	time_t expires;
};

struct hlr_ctrl {
	char *addr;
	uint16_t port;
	unsigned cache_s;
	struct osmo_fd ofd;
	bool connected;
	struct osmo_timer_list retry;
	DECLARE_HASHTABLE(cache, 10);
	struct llist_head lru; /* oldest first */
	unsigned n_entries;
	uint32_t next_id;
	uint8_t rbuf[512];
	size_t rlen;
	uint64_t hits, misses, errors;
};

static uint32_t imsi_hash(const char *imsi)
{
	uint32_t h = 5381;
	for (; *imsi; imsi++) {
		h = h * 33 + (uint8_t)*imsi;
	}
	return h;
}

static struct ctrl_entry *entry_find(struct hlr_ctrl *hc, const char *imsi)
{
	struct ctrl_entry *e;

	hash_for_each_possible(hc->cache, e, hnode, imsi_hash(imsi))
	{
		if (!strcmp(e->imsi, imsi)) {
			return e;
		}
	}
	return NULL;
}

static void entry_free(struct hlr_ctrl *hc, struct ctrl_entry *e)
{
	hash_del(&e->hnode);
	llist_del(&e->lru);
	hc->n_entries--;
	talloc_free(e);
}

static void ctrl_close(struct hlr_ctrl *hc)
{
	struct ctrl_entry *e, *tmp;

	if (hc->ofd.fd >= 0) {
		osmo_fd_unregister(&hc->ofd);
		close(hc->ofd.fd);
		hc->ofd.fd = -1;
	}
	hc->connected = false;
	hc->rlen = 0;
	/* Requests in flight are lost with the connection: forget them, a later dialog asks again. */
	llist_for_each_entry_safe(e, tmp, &hc->lru, lru)
	{
		if (e->pending) {
			entry_free(hc, e);
		}
	}
}

static int ctrl_send(struct hlr_ctrl *hc, struct ctrl_entry *e)
{
	uint8_t buf[128];
	int n = snprintf((char *)buf + 4, sizeof(buf) - 4, "GET %" PRIu32 " subscriber.by-imsi-%s.msisdn", e->req_id,
			 e->imsi);
	ssize_t w;

	if (n < 0 || (size_t)n >= sizeof(buf) - 4) {
		return -EINVAL;
	}
	buf[0] = (uint8_t)((n + 1) >> 8);
	buf[1] = (uint8_t)(n + 1);
	buf[2] = IPA_PROTO_OSMO;
	buf[3] = IPA_EXT_CTRL;
	w = write(hc->ofd.fd, buf, (size_t)n + 4);
	if (w != n + 4) {
		return -EIO;
	}
	e->sent = true;
	return 0;
}

static void ctrl_handle_reply(struct hlr_ctrl *hc, const char *s, size_t len)
{
	char line[256], imsi[IMSI_MAX] = "", value[64] = "";
	struct ctrl_entry *e;
	uint32_t id;

	if (len >= sizeof(line)) {
		hc->errors++;
		return;
	}
	memcpy(line, s, len);
	line[len] = '\0';
	if (sscanf(line, "GET_REPLY %" SCNu32 " subscriber.by-imsi-%15[0-9].msisdn %63s", &id, imsi, value) == 3) {
		e = entry_find(hc, imsi);
		if (!e || !e->pending || e->req_id != id) {
			return;
		}
		e->pending = false;
		/* OsmoHLR answers "none" for a subscriber without an MSISDN. */
		if (strcmp(value, "none") && strspn(value, "0123456789") == strlen(value) &&
		    strlen(value) < MSISDN_MAX) {
			OSMO_STRLCPY_ARRAY(e->msisdn, value);
		}
		e->expires = time(NULL) + hc->cache_s;
		return;
	}
	if (sscanf(line, "ERROR %" SCNu32, &id) == 1) {
		/* Usually a subscriber OsmoHLR does not know: not a fault of the link. */
		llist_for_each_entry(e, &hc->lru, lru)
		{
			if (e->pending && e->req_id == id) {
				entry_free(hc, e);
				break;
			}
		}
		return;
	}
	/* TRAP and anything else: not ours. */
}

static void ctrl_schedule_retry(struct hlr_ctrl *hc)
{
	ctrl_close(hc);
	hc->errors++;
	osmo_timer_schedule(&hc->retry, RETRY_S, 0);
}

static int ctrl_fd_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct hlr_ctrl *hc = ofd->data;
	struct ctrl_entry *e;
	ssize_t n;

	if (what & OSMO_FD_WRITE) {
		int err = 0;
		socklen_t elen = sizeof(err);

		osmo_fd_write_disable(ofd);
		if (getsockopt(ofd->fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 || err) {
			LOGP(DGSUP, LOGL_NOTICE, "HLR CTRL %s:%u: connect failed: %s\n", hc->addr, hc->port,
			     strerror(err ? err : errno));
			ctrl_schedule_retry(hc);
			return 0;
		}
		hc->connected = true;
		llist_for_each_entry(e, &hc->lru, lru)
		{
			if (e->pending && !e->sent && ctrl_send(hc, e) < 0) {
				ctrl_schedule_retry(hc);
				return 0;
			}
		}
	}
	if (!(what & OSMO_FD_READ)) {
		return 0;
	}
	n = read(ofd->fd, hc->rbuf + hc->rlen, sizeof(hc->rbuf) - hc->rlen);
	if (n <= 0) {
		LOGP(DGSUP, LOGL_NOTICE, "HLR CTRL %s:%u: connection closed\n", hc->addr, hc->port);
		ctrl_schedule_retry(hc);
		return 0;
	}
	hc->rlen += (size_t)n;
	while (hc->rlen >= 3) {
		size_t flen = (size_t)hc->rbuf[0] << 8 | hc->rbuf[1];

		if (flen + 3 > sizeof(hc->rbuf)) {
			ctrl_schedule_retry(hc);
			return 0;
		}
		if (hc->rlen < flen + 3) {
			break;
		}
		if (hc->rbuf[2] == IPA_PROTO_OSMO && flen >= 1 && hc->rbuf[3] == IPA_EXT_CTRL) {
			ctrl_handle_reply(hc, (const char *)hc->rbuf + 4, flen - 1);
		}
		memmove(hc->rbuf, hc->rbuf + flen + 3, hc->rlen - flen - 3);
		hc->rlen -= flen + 3;
	}
	return 0;
}

static int ctrl_connect(struct hlr_ctrl *hc)
{
	int fd = osmo_sock_init(AF_INET, SOCK_STREAM, IPPROTO_TCP, hc->addr, hc->port,
				OSMO_SOCK_F_CONNECT | OSMO_SOCK_F_NONBLOCK);

	if (fd < 0) {
		return fd;
	}
	osmo_fd_setup(&hc->ofd, fd, OSMO_FD_READ | OSMO_FD_WRITE, ctrl_fd_cb, hc, 0);
	if (osmo_fd_register(&hc->ofd) < 0) {
		close(fd);
		hc->ofd.fd = -1;
		return -EIO;
	}
	return 0;
}

static void ctrl_retry_cb(void *data)
{
	struct hlr_ctrl *hc = data;

	if (hc->ofd.fd < 0 && ctrl_connect(hc) < 0) {
		osmo_timer_schedule(&hc->retry, RETRY_S, 0);
	}
}

static int hlr_ctrl_destructor(struct hlr_ctrl *hc)
{
	osmo_timer_del(&hc->retry);
	if (hc->ofd.fd >= 0) {
		osmo_fd_unregister(&hc->ofd);
		close(hc->ofd.fd);
	}
	return 0;
}

struct hlr_ctrl *hlr_ctrl_alloc(void *ctx, const char *addr, uint16_t port, unsigned cache_s)
{
	struct hlr_ctrl *hc = talloc_zero(ctx, struct hlr_ctrl);

	if (!hc) {
		return NULL;
	}
	hc->addr = talloc_strdup(hc, addr);
	hc->port = port;
	hc->cache_s = cache_s;
	hc->ofd.fd = -1;
	hash_init(hc->cache);
	INIT_LLIST_HEAD(&hc->lru);
	osmo_timer_setup(&hc->retry, ctrl_retry_cb, hc);
	talloc_set_destructor(hc, hlr_ctrl_destructor);
	if (ctrl_connect(hc) < 0) {
		osmo_timer_schedule(&hc->retry, RETRY_S, 0);
	}
	return hc;
}

void hlr_ctrl_lookup_msisdn(struct hlr_ctrl *hc, const char *imsi)
{
	struct ctrl_entry *e;
	size_t len = strlen(imsi);

	if (len == 0 || len >= IMSI_MAX || strspn(imsi, "0123456789") != len) {
		return;
	}
	e = entry_find(hc, imsi);
	if (e && (e->pending || e->expires > time(NULL))) {
		return;
	}
	if (e) {
		entry_free(hc, e);
	}
	while (hc->n_entries >= HLR_CTRL_CACHE_MAX) {
		entry_free(hc, llist_first_entry(&hc->lru, struct ctrl_entry, lru));
	}
	e = talloc_zero(hc, struct ctrl_entry);
	if (!e) {
		return;
	}
	OSMO_STRLCPY_ARRAY(e->imsi, imsi);
	e->pending = true;
	e->req_id = ++hc->next_id;
	hash_add(hc->cache, &e->hnode, imsi_hash(imsi));
	llist_add_tail(&e->lru, &hc->lru);
	hc->n_entries++;
	if (hc->connected && ctrl_send(hc, e) < 0) {
		ctrl_schedule_retry(hc);
	}
}

const char *hlr_ctrl_msisdn(struct hlr_ctrl *hc, const char *imsi)
{
	struct ctrl_entry *e = entry_find(hc, imsi);

	if (!e || e->pending || e->expires <= time(NULL) || !e->msisdn[0]) {
		hc->misses++;
		return NULL;
	}
	hc->hits++;
	return e->msisdn;
}

void hlr_ctrl_get_stats(const struct hlr_ctrl *hc, struct hlr_ctrl_stats *st)
{
	const struct ctrl_entry *e;

	memset(st, 0, sizeof(*st));
	llist_for_each_entry(e, &hc->lru, lru)
	{
		if (e->pending) {
			st->pending++;
		} else if (e->msisdn[0]) {
			st->known++;
		}
	}
	st->hits = hc->hits;
	st->misses = hc->misses;
	st->errors = hc->errors;
	st->connected = hc->connected;
}
