/* The control socket: yordamctl's way into the daemon.
 *
 * Protocol (unix stream socket, one request per line, at most CTL_LINE_MAX bytes):
 *   status | content import DIR | content validate [DIR] | dial CODE [ID] | in TEXT | bye
 *   | sms status | sms outbox [N] | sms send NUMBER TEXT
 *   | sync status | sync now
 * Every answer is a header line "TYPE LEN\n" followed by exactly LEN bytes, TYPE one of
 * OK, ERR, CON (a screen awaiting input) or END (a final screen). A connection holds at most one
 * dial dialog; it runs through the same session engine as every other port, with the caps of
 * ussd.dial_gsm7 / ussd.dial_ucs2. Output is buffered and written when the socket is writable,
 * so a stuck client never blocks the daemon. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/select.h>
#include <osmocom/core/socket.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include <yordam/log.h>
#include <yordam/sms.h>
#include <yordam/ussd.h>

#include "daemon.h"

#define CTL_LINE_MAX 4096
#define CTL_OUT_MAX  (1024 * 1024)

struct ctl_conn {
	struct llist_head entry;
	struct ctl *ctl;
	struct osmo_fd ofd;
	char in[CTL_LINE_MAX + 1];
	size_t in_len;
	char *out; /* talloc buffer of pending output */
	size_t out_len, out_off;
	struct ussd_session *sess;
	char msisdn[24]; /* dial CODE +NUMBER: the console caller stands for that phone (forms, cases) */
	bool closing;	 /* close once output is flushed */
};

struct ctl {
	struct daemon *d;
	struct osmo_fd lfd;
	struct osmo_fd clock_fd; /* control.test_clock: the ticking of the test clock */
	int64_t clock_offset;	 /* seconds `clock advance` added */
	char *path;
	struct llist_head conns;
	struct ussd_port port;
};

static void conn_free(struct ctl_conn *cc)
{
	if (cc->sess) {
		ussd_session_abort(cc->sess, "control connection closed");
	}
	osmo_fd_unregister(&cc->ofd);
	close(cc->ofd.fd);
	llist_del(&cc->entry);
	talloc_free(cc);
}

static void conn_send(struct ctl_conn *cc, const char *type, const char *payload)
{
	size_t len = strlen(payload);
	char hdr[32];
	int n = snprintf(hdr, sizeof(hdr), "%s %zu\n", type, len);

	if (cc->out_len + (size_t)n + len > CTL_OUT_MAX) {
		LOGP(DCTL, LOGL_NOTICE, "control client not reading, dropping it\n");
		cc->closing = true;
		return;
	}
	cc->out = talloc_realloc_size(cc, cc->out, cc->out_len + (size_t)n + len + 1);
	if (!cc->out) {
		cc->closing = true;
		return;
	}
	memcpy(cc->out + cc->out_len, hdr, (size_t)n);
	memcpy(cc->out + cc->out_len + n, payload, len);
	cc->out_len += (size_t)n + len;
	osmo_fd_write_enable(&cc->ofd);
}

static int ctl_port_tx(struct ussd_session *sess, const char *text, bool final)
{
	struct ctl_conn *cc = ussd_session_port_data(sess);

	conn_send(cc, final ? "END" : "CON", text);
	return 0;
}

static void ctl_port_release(struct ussd_session *sess)
{
	struct ctl_conn *cc = ussd_session_port_data(sess);

	cc->sess = NULL;
}

static const char *ctl_port_msisdn(struct ussd_session *sess)
{
	struct ctl_conn *cc = ussd_session_port_data(sess);

	return cc && cc->msisdn[0] ? cc->msisdn : NULL;
}

static const struct ussd_port_ops ctl_port_ops = {
	.tx = ctl_port_tx,
	.release = ctl_port_release,
	.msisdn = ctl_port_msisdn,
};

/* "+" and 5..15 digits: an ID given as an international phone number. */
static bool is_phone(const char *id)
{
	size_t n = 0;

	if (!id || *id++ != '+') {
		return false;
	}
	while (id[n] >= '0' && id[n] <= '9') {
		n++;
	}
	return !id[n] && n >= 5 && n <= 15;
}

static void cmd_dial(struct ctl_conn *cc, char *args)
{
	char *save = NULL, *code = strtok_r(args, " ", &save), *id = strtok_r(NULL, " ", &save);
	char subscriber[96];

	if (!code) {
		conn_send(cc, "ERR", "usage: dial CODE [ID]\n");
		return;
	}
	if (cc->sess) {
		conn_send(cc, "ERR", "a dialog is already open on this connection\n");
		return;
	}
	/* The console caller is a subscriber of its own, kept apart from real IMSIs; an ID that is a phone number
	 * is also its number, as OsmoHLR's look-up gives a phone's (so the complaint form can file a case). */
	snprintf(subscriber, sizeof(subscriber), "ctl:%s", id ? id : "console");
	OSMO_STRLCPY_ARRAY(cc->msisdn, is_phone(id) ? id : "");
	cc->sess = ussd_session_start(&cc->ctl->port, subscriber, code, cc);
	if (!cc->sess) {
		conn_send(cc, "ERR", "could not start a dialog (see the daemon's log)\n");
	}
}

/* sms outbox [N]: the last N parts, newest first, numbers masked (sms_outbox_list). */
static void cmd_sms_outbox(struct ctl_conn *cc, struct daemon *d, const char *arg, void *tmp)
{
	char *end = NULL;
	unsigned long n = 20;
	char *list;

	if (arg) {
		errno = 0;
		n = strtoul(arg, &end, 10);
		if (errno || end == arg || *end || n == 0 || n > 100000) {
			conn_send(cc, "ERR", "usage: sms outbox [N], N = 1..100000\n");
			return;
		}
	}
	list = d->sms ? sms_outbox_list(d->sms, tmp, (unsigned)n) : NULL;
	conn_send(cc, list ? "OK" : "ERR", list ? list : "sms: off\n");
}

/* sms send NUMBER TEXT: through the same API the rest of the daemon uses. */
static void cmd_sms_send(struct ctl_conn *cc, struct daemon *d, char *args)
{
	char *sp = strchr(args, ' ');
	char msg[64];
	int rc;

	if (!sp || !sp[1]) {
		conn_send(cc, "ERR", "usage: sms send NUMBER TEXT\n");
		return;
	}
	*sp = '\0';
	rc = d->sms ? sms_send(d->sms, args, sp + 1, NULL, 0) : -ENODEV;
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "sms send: %s\n", strerror(-rc));
		conn_send(cc, "ERR", msg);
		return;
	}
	snprintf(msg, sizeof(msg), "queued %d part(s)\n", rc);
	conn_send(cc, "OK", msg);
}

/* --- the test clock (control.test_clock) -------------------------------------------------------------------
 * libosmocore's clock override (osmo_gettimeofday, which its timers and the cases service use) runs at the real
 * time plus an offset that `clock advance N` moves forward: tests drive claim timeouts and duty hours without
 * sleeping, while everything else keeps running in real time. CLOCK_MONOTONIC users (USSD idle sweeps) do not
 * see it. Off by default; never on an appliance in service. */

static void clock_update(struct ctl *c)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	osmo_gettimeofday_override_time.tv_sec = ts.tv_sec + c->clock_offset;
	osmo_gettimeofday_override_time.tv_usec = ts.tv_nsec / 1000;
}

static int clock_cb(struct osmo_fd *ofd, unsigned int what)
{
	uint64_t ticks;

	(void)what;
	if (read(ofd->fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN) {
		LOGP(DCTL, LOGL_ERROR, "test clock: %s\n", strerror(errno));
	}
	clock_update(ofd->data);
	return 0;
}

static int clock_start(struct ctl *c)
{
	struct itimerspec its = {.it_interval = {.tv_nsec = 20000000}, .it_value = {.tv_nsec = 20000000}};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	if (fd < 0 || timerfd_settime(fd, 0, &its, NULL) < 0) {
		if (fd >= 0) {
			close(fd);
		}
		return -errno;
	}
	osmo_fd_setup(&c->clock_fd, fd, OSMO_FD_READ, clock_cb, c, 0);
	if (osmo_fd_register(&c->clock_fd) < 0) {
		close(fd);
		c->clock_fd.fd = -1;
		return -EIO;
	}
	clock_update(c);
	osmo_gettimeofday_override = true;
	LOGP(DCTL, LOGL_NOTICE, "test clock on (control.test_clock): `yordamctl clock advance N` moves time\n");
	return 0;
}

static void cmd_clock(struct ctl_conn *cc, struct ctl *c, const char *arg)
{
	char *end, msg[96];
	long n;

	errno = 0;
	n = strtol(arg, &end, 10);
	if (c->clock_fd.fd < 0) {
		conn_send(cc, "ERR", "clock: off (control.test_clock = false)\n");
		return;
	}
	if (errno || end == arg || *end || n <= 0 || n > 366L * 86400) {
		conn_send(cc, "ERR", "clock advance: give seconds, 1..31622400\n");
		return;
	}
	c->clock_offset += n;
	clock_update(c);
	snprintf(msg, sizeof(msg), "clock: +%ld s, %lld s ahead of the real time\n", n, (long long)c->clock_offset);
	LOGP(DCTL, LOGL_NOTICE, "test clock advanced by %ld s\n", n);
	conn_send(cc, "OK", msg);
}

static void conn_handle_line(struct ctl_conn *cc, char *line)
{
	struct daemon *d = cc->ctl->d;
	void *tmp = talloc_new(cc);
	char *report = NULL;
	int rc;

	if (!strcmp(line, "status")) {
		conn_send(cc, "OK", daemon_status(d, tmp));
	} else if (!strncmp(line, "content import ", 15)) {
		rc = content_import(d, line + 15, tmp, &report);
		conn_send(cc, rc == 0 ? "OK" : "ERR", report);
	} else if (!strcmp(line, "content validate") || !strncmp(line, "content validate ", 17)) {
		rc = content_validate(d, line[16] ? line + 17 : NULL, tmp, &report);
		conn_send(cc, rc == 0 ? "OK" : "ERR", report);
	} else if (!strncmp(line, "dial ", 5)) {
		cmd_dial(cc, line + 5);
	} else if (!strncmp(line, "in ", 3) || !strcmp(line, "in")) {
		if (!cc->sess) {
			conn_send(cc, "ERR", "no dialog open\n");
		} else {
			ussd_session_input(cc->sess, line[2] ? line + 3 : "");
		}
	} else if (!strcmp(line, "sms status")) {
		conn_send(cc, "OK", d->sms ? sms_status(d->sms, tmp) : "sms: off\n");
	} else if (!strcmp(line, "sms outbox") || !strncmp(line, "sms outbox ", 11)) {
		cmd_sms_outbox(cc, d, line[10] ? line + 11 : NULL, tmp);
	} else if (!strncmp(line, "sms send ", 9)) {
		cmd_sms_send(cc, d, line + 9);
	} else if (!strncmp(line, "cases show", 10) && (!line[10] || line[10] == ' ')) {
		char *r = cases_svc_show(d, tmp, line[10] ? line + 11 : NULL);

		/* a case starts "case NNN NNNN"; anything else is an error message */
		conn_send(cc, r && !strncmp(r, "case ", 5) ? "OK" : "ERR",
			  r ? r : "cases: off (cases.enabled = false)\n");
	} else if (!strcmp(line, "cases export") || !strcmp(line, "cases export --decrypt")) {
		char *r = cases_svc_export(d, tmp, line[12] != '\0');

		conn_send(cc, r ? "OK" : "ERR", r ? r : "cases: off (cases.enabled = false)\n");
	} else if (!strcmp(line, "cases list")) {
		conn_send(cc, d->cases ? "OK" : "ERR", cases_svc_list(d, tmp, 100));
	} else if (!strcmp(line, "sync status")) {
		conn_send(cc, "OK", daemon_sync_status(d, tmp, false));
	} else if (!strcmp(line, "sync now")) {
		bool on = daemon_sync_trigger(d);

		conn_send(cc, on ? "OK" : "ERR", on ? "sync round started\n" : "sync: off\n");
	} else if (!strncmp(line, "clock advance ", 14)) {
		cmd_clock(cc, cc->ctl, line + 14);
	} else if (!strcmp(line, "bye")) {
		if (cc->sess) {
			ussd_session_abort(cc->sess, "caller hung up");
		}
		conn_send(cc, "OK", "");
		cc->closing = true;
	} else {
		conn_send(cc, "ERR",
			  "unknown command; commands: status, content import DIR, content validate [DIR], "
			  "dial CODE [ID], in TEXT, sms status, sms outbox [N], sms send NUMBER TEXT, sync status, "
			  "sync now, bye\n");
	}
	talloc_free(tmp);
}

static int conn_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct ctl_conn *cc = ofd->data;
	ssize_t n;
	char *nl;

	if (what & OSMO_FD_READ) {
		n = read(ofd->fd, cc->in + cc->in_len, CTL_LINE_MAX - cc->in_len);
		if (n <= 0) {
			conn_free(cc);
			return 0;
		}
		cc->in_len += (size_t)n;
		cc->in[cc->in_len] = '\0';
		while ((nl = memchr(cc->in, '\n', cc->in_len))) {
			size_t used = (size_t)(nl - cc->in) + 1;
			*nl = '\0';
			if (nl > cc->in && nl[-1] == '\r') {
				nl[-1] = '\0';
			}
			if (strlen(cc->in) != used - 1) {
				conn_send(cc, "ERR", "NUL byte in request\n");
				cc->closing = true;
			} else {
				conn_handle_line(cc, cc->in);
			}
			memmove(cc->in, cc->in + used, cc->in_len - used);
			cc->in_len -= used;
			cc->in[cc->in_len] = '\0';
		}
		if (cc->in_len == CTL_LINE_MAX) {
			conn_send(cc, "ERR", "request line too long\n");
			cc->in_len = 0;
			cc->closing = true;
		}
	}
	if ((what & OSMO_FD_WRITE) || cc->out_len) {
		while (cc->out_off < cc->out_len) {
			n = write(ofd->fd, cc->out + cc->out_off, cc->out_len - cc->out_off);
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				return 0;
			}
			if (n <= 0) {
				conn_free(cc);
				return 0;
			}
			cc->out_off += (size_t)n;
		}
		cc->out_off = cc->out_len = 0;
		osmo_fd_write_disable(ofd);
		if (cc->closing) {
			conn_free(cc);
		}
	}
	return 0;
}

static int accept_cb(struct osmo_fd *lfd, unsigned int what)
{
	struct ctl *c = lfd->data;
	struct ctl_conn *cc;
	int fd = accept4(lfd->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0) {
		LOGP(DCTL, LOGL_ERROR, "accept: %s\n", strerror(errno));
		return 0;
	}
	cc = talloc_zero(c, struct ctl_conn);
	if (!cc) {
		close(fd);
		return 0;
	}
	cc->ctl = c;
	osmo_fd_setup(&cc->ofd, fd, OSMO_FD_READ, conn_cb, cc, 0);
	if (osmo_fd_register(&cc->ofd) < 0) {
		close(fd);
		talloc_free(cc);
		return 0;
	}
	llist_add_tail(&cc->entry, &c->conns);
	return 0;
}

static int ctl_destructor(struct ctl *c)
{
	struct ctl_conn *cc, *tmp;

	llist_for_each_entry_safe(cc, tmp, &c->conns, entry)
	{
		conn_free(cc);
	}
	ussd_port_unregister(&c->port);
	if (c->clock_fd.fd >= 0) {
		osmo_fd_unregister(&c->clock_fd);
		close(c->clock_fd.fd);
		osmo_gettimeofday_override = false;
	}
	if (c->lfd.fd >= 0) {
		osmo_fd_unregister(&c->lfd);
		close(c->lfd.fd);
		unlink(c->path);
	}
	return 0;
}

struct ctl *ctl_alloc(struct daemon *d, const char *path)
{
	struct ctl *c = talloc_zero(d->ctx, struct ctl);
	mode_t old;
	int fd;

	if (!c) {
		return NULL;
	}
	c->d = d;
	c->path = talloc_strdup(c, path);
	c->lfd.fd = -1;
	c->clock_fd.fd = -1;
	INIT_LLIST_HEAD(&c->conns);
	c->port.name = "dial";
	c->port.kind = "ctl";
	c->port.caps.gsm7 = (unsigned)d->cfg->ussd.dial_gsm7;
	c->port.caps.ucs2 = (unsigned)d->cfg->ussd.dial_ucs2;
	c->port.ops = &ctl_port_ops;
	c->port.link_up = true;
	ussd_port_register(d->engine, &c->port);
	talloc_set_destructor(c, ctl_destructor);

	/* A stale socket from a crashed run would make bind fail. */
	unlink(path);
	/* Only the owner (and root) may talk to the daemon. */
	old = umask(0077);
	fd = osmo_sock_unix_init(SOCK_STREAM, 0, path, OSMO_SOCK_F_BIND | OSMO_SOCK_F_NONBLOCK);
	umask(old);
	if (fd < 0) {
		LOGP(DCTL, LOGL_ERROR, "cannot listen on %s: %s\n", path, strerror(errno));
		talloc_free(c);
		return NULL;
	}
	osmo_fd_setup(&c->lfd, fd, OSMO_FD_READ, accept_cb, c, 0);
	if (osmo_fd_register(&c->lfd) < 0) {
		close(fd);
		c->lfd.fd = -1;
		talloc_free(c);
		return NULL;
	}
	if (d->cfg->control.test_clock && clock_start(c) < 0) {
		LOGP(DCTL, LOGL_ERROR, "test clock: cannot start: %s\n", strerror(errno));
		talloc_free(c);
		return NULL;
	}
	return c;
}

void ctl_free(struct ctl *c)
{
	talloc_free(c);
}
