/* The HTTP USSD port: Yordam behind an operator's or aggregator's USSD gateway.
 *
 * The gateway POSTs a form (sessionId, serviceCode, phoneNumber, text: the caller's inputs joined
 * by '*', empty on the first request) and reads the answer: text/plain "CON <screen>" (the dialog
 * goes on) or "END <screen>" (it is over). An end-of-session notification (a POST of sessionId to
 * end_path) ends a dialog the caller broke off. The wire contract, the signature scheme and every
 * status code are in docs/http-port.md.
 *
 * libmicrohttpd runs without threads of its own, on our osmo_select_main loop: its epoll fd is
 * an osmo_fd, and an osmo_timer follows MHD_get_timeout(). The session engine answers
 * synchronously from SQLite, so every request is answered inside its own MHD callback and never
 * waits on anything slow.
 *
 * Security (per port): the listen address; every request either comes from an allow-listed
 * address or carries HMAC-SHA256(key, timestamp "." body) with a timestamp within the tolerance;
 * a signature is accepted once (bounded replay cache); bodies are size-limited; a connection
 * whose request is not complete within deadline_ms of its first line, or that sends no complete
 * request for conn_timeout seconds, is cut. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <yordam/http_req.h>
#include <yordam/ussd.h>

struct http_port_cfg {
	const char *name;     /* port name, e.g. "aggregator" */
	const char *address;  /* listen address, IPv4 or IPv6 literal */
	uint16_t port;	      /* listen port (0: any, for tests that read it back) */
	const char *path;     /* dialog requests, e.g. "/ussd" */
	const char *end_path; /* end-of-session notifications, e.g. "/ussd/end" */
	struct http_fields fields;
	struct menu_caps caps;	   /* the gateway's screen cap; 160 GSM-7 / 70 UCS-2 by default */
	unsigned deadline_ms;	   /* the gateway's answer deadline; also bounds receiving a request */
	unsigned max_body;	   /* bytes; larger bodies get 413 */
	unsigned max_conns;	   /* concurrent connections */
	unsigned conn_timeout_s;   /* a connection with no complete request for this long is closed */
	const char *hmac_key_file; /* NULL: no signatures (then allow must be set) */
	const char *sig_header;	   /* "X-Yordam-Signature" */
	const char *ts_header;	   /* "X-Yordam-Timestamp" */
	unsigned ts_tolerance_s;   /* accepted clock difference, both ways */
	unsigned replay_max;	   /* signatures remembered; beyond it requests get 503 */
	const char *const *allow;  /* NULL-terminated "ADDR" or "ADDR/PREFIX" entries, or NULL */
};

struct http_port;

/* Start listening. Returns NULL with the reason logged (bad key file, address in use, ...). */
struct http_port *http_port_alloc(void *ctx, struct ussd_engine *e, const struct http_port_cfg *cfg);
/* Stop listening, close every connection and end every dialog. NULL is fine. */
void http_port_free(struct http_port *hp);
/* The TCP port actually bound (differs from cfg->port when that was 0). */
uint16_t http_port_bound_port(const struct http_port *hp);
