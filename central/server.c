/* yordam-central serve: mbedTLS server side, mutual TLS, a minimal HTTP/1.1 on top (docs/sync.md
 * says why not libmicrohttpd). One thread per connection, socket timeouts so a stalled peer frees
 * its thread; the database is used under its own mutex. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <time.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/x509_crt.h>

#include <yordam/sync_tls.h>

#include "central.h"

#define IO_TIMEOUT_S 30
#define BUF_INITIAL  (64u << 10)

struct server {
	const struct central_serve_cfg *cfg;
	struct central_db *db;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_x509_crt ca, cert;
	mbedtls_pk_context key;
	mbedtls_ssl_config conf;
	mbedtls_ssl_cache_context cache;
	atomic_uint active;
	/* fault injection (YORDAM_CENTRAL_FAULT=exit-after-commit:N) */
	unsigned fault_exit_after_commit;
	atomic_uint commits;
};

struct conn {
	struct server *srv;
	mbedtls_net_context net;
	char peer[64];
	char cn[SYNC_NAME_MAX + 1];
};

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;

	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", gmtime_r(&now, &tm));
	flockfile(stderr);
	fprintf(stderr, "%s yordam-central: ", ts);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

static int ssl_write_all(mbedtls_ssl_context *ssl, const char *buf, size_t len)
{
	while (len) {
		int rc = mbedtls_ssl_write(ssl, (const unsigned char *)buf, len);
		if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
			continue;
		}
		if (rc < 0) {
			return rc;
		}
		buf += rc;
		len -= (size_t)rc;
	}
	return 0;
}

static int respond(mbedtls_ssl_context *ssl, int status, const char *reason, const char *ctype, const void *body,
		   size_t len)
{
	char head[256];
	int n, rc;

	if (status == 204) {
		n = snprintf(head, sizeof(head), "HTTP/1.1 204 No Content\r\n\r\n");
	} else {
		n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n",
			     status, reason, ctype, len);
	}
	rc = ssl_write_all(ssl, head, (size_t)n);
	if (rc == 0 && len) {
		rc = ssl_write_all(ssl, body, len);
	}
	return rc;
}

static int respond_text(mbedtls_ssl_context *ssl, int status, const char *reason, const char *text)
{
	return respond(ssl, status, reason, "text/plain; charset=utf-8", text, strlen(text));
}

static int handle_journal(struct conn *cn, mbedtls_ssl_context *ssl, const char *body, size_t len)
{
	struct server *srv = cn->srv;
	struct central_batch b;
	char why[160], out[128];
	uint64_t ack = 0;
	unsigned stored, dups;
	int rc;

	rc = central_batch_parse(body, len, &b, why, sizeof(why));
	if (rc < 0) {
		logf_("%s (%s): journal batch refused: %s", cn->peer, cn->cn, why);
		return respond_text(ssl, 400, "Bad Request", why);
	}
	if (b.has_appliance && strcmp(b.appliance, cn->cn) != 0) {
		logf_("%s (%s): journal batch names appliance %s", cn->peer, cn->cn, b.appliance);
		central_batch_free(&b);
		return respond_text(ssl, 403, "Forbidden", "appliance does not match the certificate");
	}
	rc = central_db_store_batch(srv->db, cn->cn, &b, &ack, &stored, &dups);
	if (rc < 0) {
		central_batch_free(&b);
		return respond_text(ssl, 503, "Service Unavailable", "database error");
	}
	if (srv->fault_exit_after_commit && atomic_fetch_add(&srv->commits, 1) + 1 == srv->fault_exit_after_commit) {
		logf_("fault injection: exit after commit %u (seq %" PRIu64 "-%" PRIu64 "), before answering",
		      srv->fault_exit_after_commit, b.recs[0].seq, b.recs[b.n - 1].seq);
		_exit(3);
	}
	logf_("%s (%s): %u records %" PRIu64 "-%" PRIu64 ": %u stored, %u duplicates, ack %" PRIu64, cn->peer, cn->cn,
	      b.n, b.recs[0].seq, b.recs[b.n - 1].seq, stored, dups, ack);
	central_batch_free(&b);
	snprintf(out, sizeof(out), "{\"ack\":%" PRIu64 ",\"stored\":%u,\"duplicates\":%u}", ack, stored, dups);
	return respond(ssl, 200, "OK", "application/json", out, strlen(out));
}

static int handle_bundle(struct conn *cn, mbedtls_ssl_context *ssl, const char *target, size_t tlen)
{
	static const char prefix[] = "/v1/bundle/";
	const char *kind = target + sizeof(prefix) - 1, *q;
	char kbuf[SYNC_NAME_MAX + 1];
	uint64_t after = 0, version = 0;
	uint8_t *blob = NULL;
	size_t klen, blen = 0;
	int rc;

	q = memchr(kind, '?', tlen - (sizeof(prefix) - 1));
	klen = q ? (size_t)(q - kind) : tlen - (sizeof(prefix) - 1);
	if (!sync_name_valid(kind, klen)) {
		return respond_text(ssl, 400, "Bad Request", "bad kind");
	}
	memcpy(kbuf, kind, klen);
	kbuf[klen] = '\0';
	if (q) {
		const char *p = q + 1, *end = target + tlen;
		if (end - p < 7 || memcmp(p, "after=", 6) != 0 || end - p > 6 + 16) {
			return respond_text(ssl, 400, "Bad Request", "bad query");
		}
		for (p += 6; p < end; p++) {
			if (*p < '0' || *p > '9') {
				return respond_text(ssl, 400, "Bad Request", "bad query");
			}
			after = after * 10 + (uint64_t)(*p - '0');
		}
	}
	rc = central_db_bundle_latest(cn->srv->db, kbuf, after, &blob, &blen, &version);
	if (rc == -ENODEV) {
		return respond_text(ssl, 404, "Not Found", "no bundle of this kind");
	}
	if (rc == -ENOENT) {
		return respond(ssl, 204, NULL, NULL, NULL, 0);
	}
	if (rc < 0) {
		return respond_text(ssl, 503, "Service Unavailable", "database error");
	}
	logf_("%s (%s): %s bundle version %" PRIu64 " (%zu bytes)", cn->peer, cn->cn, kbuf, version, blen);
	rc = respond(ssl, 200, "OK", "application/octet-stream", blob, blen);
	free(blob);
	return rc;
}

static bool target_is(const struct sync_http_head *h, const char *s)
{
	return h->target_len == strlen(s) && memcmp(h->target, s, h->target_len) == 0;
}

static bool method_is(const struct sync_http_head *h, const char *s)
{
	return h->method_len == strlen(s) && memcmp(h->method, s, h->method_len) == 0;
}

/* Serve requests on an established session until the peer closes or errs. */
static void serve_requests(struct conn *cn, mbedtls_ssl_context *ssl)
{
	size_t cap = BUF_INITIAL, len = 0;
	char *buf = malloc(cap), *nb;
	struct sync_http_head h;
	int rc;

	while (buf) {
		size_t need;

		rc = sync_http_parse_request(buf, len, &h);
		if (rc == -EAGAIN) {
			rc = mbedtls_ssl_read(ssl, (unsigned char *)buf + len, cap - len);
			if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
				continue;
			}
			if (rc <= 0) {
				break; /* closed, timed out or failed: nothing pending to answer */
			}
			len += (size_t)rc;
			continue;
		}
		if (rc < 0) {
			respond_text(ssl, rc == -EMSGSIZE ? 431 : 400, "Bad Request", "malformed request");
			break;
		}
		if (h.content_length > SYNC_JOURNAL_BODY_MAX) {
			respond_text(ssl, 413, "Payload Too Large", "body too large");
			break;
		}
		need = h.head_len + (size_t)h.content_length;
		if (need > cap) {
			nb = realloc(buf, need);
			if (!nb) {
				break;
			}
			buf = nb;
			cap = need;
		}
		while (len < need) {
			rc = mbedtls_ssl_read(ssl, (unsigned char *)buf + len, cap - len);
			if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
				continue;
			}
			if (rc <= 0) {
				goto out;
			}
			len += (size_t)rc;
		}
		/* buf may have moved (realloc): parse again so the head's pointers point into it */
		if (sync_http_parse_request(buf, len, &h) != 0) {
			break;
		}
		if (method_is(&h, "POST") && target_is(&h, "/v1/journal")) {
			rc = handle_journal(cn, ssl, buf + h.head_len, (size_t)h.content_length);
		} else if (method_is(&h, "GET") && h.target_len > 11 && memcmp(h.target, "/v1/bundle/", 11) == 0) {
			rc = handle_bundle(cn, ssl, h.target, h.target_len);
		} else {
			rc = respond_text(ssl, 404, "Not Found", "no such resource");
		}
		if (rc != 0 || h.close) {
			break;
		}
		/* keep what the peer sent after this request */
		memmove(buf, buf + need, len - need);
		len -= need;
		if (cap > BUF_INITIAL && len <= BUF_INITIAL) {
			nb = realloc(buf, BUF_INITIAL);
			if (nb) {
				buf = nb;
				cap = BUF_INITIAL;
			}
		}
	}
out:
	free(buf);
}

static void *conn_main(void *arg)
{
	struct conn *cn = arg;
	struct server *srv = cn->srv;
	mbedtls_ssl_context ssl;
	const mbedtls_x509_crt *peer;
	char why[256];
	int rc;

	mbedtls_ssl_init(&ssl);
	rc = mbedtls_ssl_setup(&ssl, &srv->conf);
	if (rc != 0) {
		goto exit;
	}
	mbedtls_ssl_set_bio(&ssl, &cn->net, mbedtls_net_send, mbedtls_net_recv, NULL);
	while ((rc = mbedtls_ssl_handshake(&ssl)) != 0) {
		if (rc != MBEDTLS_ERR_SSL_WANT_READ && rc != MBEDTLS_ERR_SSL_WANT_WRITE) {
			sync_tls_explain(why, sizeof(why), rc, &ssl);
			logf_("%s: handshake failed: %s", cn->peer, why);
			goto exit;
		}
	}
	peer = mbedtls_ssl_get_peer_cert(&ssl);
	if (!peer || sync_tls_cert_cn(peer, cn->cn, sizeof(cn->cn)) < 0 || !sync_name_valid(cn->cn, strlen(cn->cn))) {
		logf_("%s: client certificate without a valid CN (appliance id)", cn->peer);
		goto exit;
	}
	serve_requests(cn, &ssl);
	mbedtls_ssl_close_notify(&ssl);
exit:
	mbedtls_ssl_free(&ssl);
	mbedtls_net_free(&cn->net);
	atomic_fetch_sub(&srv->active, 1);
	free(cn);
	return NULL;
}

static int load_fault(struct server *srv)
{
	const char *f = getenv("YORDAM_CENTRAL_FAULT");
	unsigned n;

	if (!f || !*f) {
		return 0;
	}
	if (sscanf(f, "exit-after-commit:%u", &n) != 1 || n == 0) {
		logf_("YORDAM_CENTRAL_FAULT: unknown fault '%s'", f);
		return -EINVAL;
	}
	srv->fault_exit_after_commit = n;
	logf_("fault injection armed: exit after commit %u", n);
	return 0;
}

int central_serve(const struct central_serve_cfg *cfg)
{
	static const char pers[] = "yordam-central";
	struct server srv;
	struct sockaddr_storage ss;
	socklen_t sl;
	char err[256];
	int lfd = -1, rc, one = 1;

	memset(&srv, 0, sizeof(srv));
	srv.cfg = cfg;
	/* init every object first; one exit frees all */
	mbedtls_entropy_init(&srv.entropy);
	mbedtls_ctr_drbg_init(&srv.drbg);
	mbedtls_x509_crt_init(&srv.ca);
	mbedtls_x509_crt_init(&srv.cert);
	mbedtls_pk_init(&srv.key);
	mbedtls_ssl_config_init(&srv.conf);
	mbedtls_ssl_cache_init(&srv.cache);
	signal(SIGPIPE, SIG_IGN);

	rc = load_fault(&srv);
	if (rc < 0) {
		goto exit;
	}
	rc = central_db_open(cfg->db_path, &srv.db, err, sizeof(err));
	if (rc < 0) {
		logf_("%s", err);
		goto exit;
	}
	rc = mbedtls_ctr_drbg_seed(&srv.drbg, mbedtls_entropy_func, &srv.entropy, (const unsigned char *)pers,
				   sizeof(pers) - 1);
	if (rc == 0 && (rc = mbedtls_x509_crt_parse_file(&srv.ca, cfg->ca_file)) != 0) {
		mbedtls_strerror(rc, err, sizeof(err));
		logf_("%s: %s", cfg->ca_file, err);
	} else if (rc == 0 && (rc = mbedtls_x509_crt_parse_file(&srv.cert, cfg->cert_file)) != 0) {
		mbedtls_strerror(rc, err, sizeof(err));
		logf_("%s: %s", cfg->cert_file, err);
	} else if (rc == 0 && (rc = mbedtls_pk_parse_keyfile(&srv.key, cfg->key_file, NULL)) != 0) {
		mbedtls_strerror(rc, err, sizeof(err));
		logf_("%s: %s", cfg->key_file, err);
	}
	if (rc != 0) {
		rc = -EINVAL;
		goto exit;
	}
	rc = mbedtls_ssl_config_defaults(&srv.conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
					 MBEDTLS_SSL_PRESET_DEFAULT);
	if (rc != 0) {
		rc = -EINVAL;
		goto exit;
	}
	sync_tls_policy_apply(&srv.conf);
	mbedtls_ssl_conf_authmode(&srv.conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&srv.conf, &srv.ca, NULL);
	mbedtls_ssl_conf_rng(&srv.conf, mbedtls_ctr_drbg_random, &srv.drbg);
	mbedtls_ssl_cache_set_timeout(&srv.cache, 86400);
	mbedtls_ssl_cache_set_max_entries(&srv.cache, 1000);
	mbedtls_ssl_conf_session_cache(&srv.conf, &srv.cache, mbedtls_ssl_cache_get, mbedtls_ssl_cache_set);
	rc = mbedtls_ssl_conf_own_cert(&srv.conf, &srv.cert, &srv.key);
	if (rc != 0) {
		logf_("%s does not fit %s", cfg->key_file, cfg->cert_file);
		rc = -EINVAL;
		goto exit;
	}

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, cfg->listen_addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons(cfg->port);
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, cfg->listen_addr, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(cfg->port);
		sl = sizeof(struct sockaddr_in6);
	} else {
		logf_("listen address '%s' is not a numeric address", cfg->listen_addr);
		rc = -EINVAL;
		goto exit;
	}
	lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&ss, sl) < 0 || listen(lfd, 64) < 0) {
		rc = -errno;
		logf_("listen on %s:%u: %s", cfg->listen_addr, cfg->port, strerror(errno));
		goto exit;
	}
	logf_("listening on %s:%u, database %s", cfg->listen_addr, cfg->port, cfg->db_path);

	for (;;) {
		struct sockaddr_storage peer;
		socklen_t pl = sizeof(peer);
		struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
		struct conn *cn;
		pthread_t th;
		pthread_attr_t attr;
		char host[INET6_ADDRSTRLEN] = "?";
		int fd = accept4(lfd, (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE) {
				if (errno == EMFILE || errno == ENFILE) {
					usleep(100000);
				}
				continue;
			}
			rc = -errno;
			logf_("accept: %s", strerror(errno));
			goto exit;
		}
		if (atomic_load(&srv.active) >= cfg->max_conns) {
			close(fd);
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		cn = calloc(1, sizeof(*cn));
		if (!cn) {
			close(fd);
			continue;
		}
		cn->srv = &srv;
		mbedtls_net_init(&cn->net);
		cn->net.fd = fd;
		if (peer.ss_family == AF_INET) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)&peer)->sin_addr, host, sizeof(host));
			snprintf(cn->peer, sizeof(cn->peer), "%s:%u", host,
				 ntohs(((struct sockaddr_in *)&peer)->sin_port));
		} else if (peer.ss_family == AF_INET6) {
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&peer)->sin6_addr, host, sizeof(host));
			snprintf(cn->peer, sizeof(cn->peer), "[%s]:%u", host,
				 ntohs(((struct sockaddr_in6 *)&peer)->sin6_port));
		}
		atomic_fetch_add(&srv.active, 1);
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&th, &attr, conn_main, cn) != 0) {
			atomic_fetch_sub(&srv.active, 1);
			mbedtls_net_free(&cn->net);
			free(cn);
		}
		pthread_attr_destroy(&attr);
	}
exit:
	/* reached on errors only: serve runs until it is killed */
	if (lfd >= 0) {
		close(lfd);
	}
	mbedtls_ssl_cache_free(&srv.cache);
	mbedtls_ssl_config_free(&srv.conf);
	mbedtls_pk_free(&srv.key);
	mbedtls_x509_crt_free(&srv.cert);
	mbedtls_x509_crt_free(&srv.ca);
	mbedtls_ctr_drbg_free(&srv.drbg);
	mbedtls_entropy_free(&srv.entropy);
	central_db_close(srv.db);
	return rc < 0 ? rc : -EIO;
}
