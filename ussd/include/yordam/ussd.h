/* USSD sessions: one osmo_fsm instance per dialog, shared by every port (gsup, ctl, later http).
 *
 * Data flows one way: a port decodes a peer's message and calls ussd_session_start / _input /
 * _abort; the session evaluates the menu (pure), commits what must persist (the caller's
 * language) to the store, renders the next screen to the port's caps and hands it to the port's
 * tx(). The port encodes and sends it.
 *
 * Port contract:
 *  - tx() MUST send the screen or return -errno; it MUST NOT free or end the session.
 *  - release() is called exactly once when the session goes away, for whatever reason; after it
 *    returns the session pointer is invalid. It MUST forget the session (e.g. remove it from a
 *    lookup table) and MUST NOT call back into the session.
 *  - A port MUST NOT call ussd_session_* on a session after its release().
 *  - Every dialog a port starts ends with either a final tx (final=true) followed by release,
 *    or an abort (no tx) followed by release. No peer is left waiting by the engine: when the
 *    idle timer fires the caller gets the "timeout" screen as a final answer. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/tdef.h>

#include <yordam/menu.h>

struct store;
struct secret;
struct ussd_session;
struct ussd_engine;

enum ussd_timer {
	USSD_T_IDLE = -1, /* X1: waiting for the caller's answer; the dialog ends when it fires */
};

struct ussd_port_ops {
	int (*tx)(struct ussd_session *sess, const char *text, bool final);
	void (*release)(struct ussd_session *sess);
};

struct ussd_port_stats {
	uint64_t sessions, timeouts, aborts, invalid, screens, tx_errors;
};

struct ussd_port {
	struct llist_head entry; /* in the engine's port list */
	struct ussd_engine *engine;
	const char *name; /* from config, e.g. "hlr" */
	const char *kind; /* "gsup", "ctl", ... */
	struct menu_caps caps;
	const struct ussd_port_ops *ops;
	void *priv;
	bool link_up;
	unsigned open_sessions;
	struct ussd_port_stats stats;
	/* one line of port-specific status for yordamctl status (may be NULL) */
	int (*status)(struct ussd_port *port, char *buf, size_t len);
};

struct ussd_engine_cfg {
	unsigned idle_timeout_s;  /* X1 default; 60 s */
	unsigned resume_window_s; /* a redial within this long after a broken-off dialog is offered
				   * "1 Continue / 2 Start over"; 0 disables */
};

struct ussd_engine *ussd_engine_alloc(void *ctx, struct store *st, struct secret *sec,
				      const struct ussd_engine_cfg *cfg);
/* Serve from tree t from now on. Open sessions move to the node with the same id in t (or to
 * the root if it is gone). The engine does not own t: the caller frees the old tree after this. */
void ussd_engine_set_tree(struct ussd_engine *e, const struct menu_tree *t);
const struct menu_tree *ussd_engine_tree(const struct ussd_engine *e);
struct osmo_tdef *ussd_engine_tdefs(struct ussd_engine *e);
/* Iterate ports (for status). */
struct llist_head *ussd_engine_ports(struct ussd_engine *e);
unsigned ussd_engine_open_sessions(const struct ussd_engine *e);

/* End every dialog idle past its deadline on the monotonic clock. Runs every few seconds from a
 * CLOCK_MONOTONIC timerfd, because libosmocore's timers follow the wall clock, which a board
 * without an RTC steps at boot; public for tests that drive the clocks. */
void ussd_engine_sweep(struct ussd_engine *e);

void ussd_port_register(struct ussd_engine *e, struct ussd_port *port);
void ussd_port_unregister(struct ussd_port *port);

/* A new dialog from subscriber (IMSI, MSISDN or another stable id; hashed, never stored).
 * port_data is the port's per-dialog state, returned by ussd_session_port_data(). request is
 * the dialled string (e.g. "*100#", or "*100*3*1#" to go straight to 3 then 1).
 * The first screen is sent through port->ops->tx before this returns. Returns the session, or
 * NULL if the dialog could not be started (then the port must answer the peer itself). */
struct ussd_session *ussd_session_start(struct ussd_port *port, const char *subscriber, const char *request,
					void *port_data);
/* The caller answered the last screen. */
void ussd_session_input(struct ussd_session *sess, const char *text);
/* The dialog is gone on the peer's side (phone abort, error, link down): release without tx. */
void ussd_session_abort(struct ussd_session *sess, const char *why);
void *ussd_session_port_data(const struct ussd_session *sess);
struct ussd_port *ussd_session_port(const struct ussd_session *sess);
