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
	/* Optional (may be NULL): the caller's phone number (MSISDN, digits) when the port knows it,
	 * else NULL. GSUP: OsmoHLR's CTRL look-up started at the dialog's start (hlr_ctrl_msisdn);
	 * HTTP: the request's phoneNumber; the ctl dial console: none. */
	const char *(*msisdn)(struct ussd_session *sess);
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

/* Complaint intake, callback requests and case status, for the menu nodes that need them
 * (complaint form, "call me back", "check my case"). Provided by the daemon's cases service; the
 * engine never stores personal data itself. Every function commits before it returns 0, so the
 * screen that follows never claims what the store does not hold.
 *
 * The engine calls them only at a form's last step, from the event loop, synchronously.
 * subscriber is the caller's phone number when the port knows it (port ops msisdn(): GSUP via
 * OsmoHLR's CTRL MSISDN cache, HTTP the request's phoneNumber), else the port's own stable id
 * (the IMSI on GSUP, the console's --as id). The same person may therefore appear as their IMSI
 * when the HLR look-up has not answered yet; a callback needs a number to dial: an ops
 * implementation should refuse (-EINVAL) a subscriber that is not a phone number (e.g. a
 * 15-digit IMSI it cannot map), and the caller is shown the case_error screen.
 *
 * Return values the engine maps to screens: 0 (the result), -EALREADY (callback: "already
 * requested"), -ENOENT (status: ask for the PIN once when pin was NULL, then "unknown case or
 * wrong PIN"), anything else: the case_error screen ("not saved, call a hotline"). Output
 * strings must be NUL-terminated and short: case_no up to 15 digits, pin up to 8, when and the
 * status text are put on one final screen after a ui text and cut to the port's screen. */
struct ussd_complaint {
	int category;		  /* enum cases_category code (1..7), in the order of the issue: 1 unpaid wages,
			      * 2 retained passport or documents, 3 unsafe work, 4 fraudulent recruiter,
			      * 5 violence or trafficking, 6 detention or deportation, 7 other */
	const char *country;	  /* ISO 3166-1 alpha-2 (from the content's hotlines nodes), or NULL for "other" */
	const char *detail;	  /* optional short free text (city, employer; at most 40 bytes), or NULL */
	const char *lang;	  /* the caller's language code */
	bool proxy;		  /* filed by a relative on behalf of someone abroad */
	const char *on_behalf_of; /* the migrant's number when proxy (digits, optional leading +, 5..20), or NULL */
};

struct ussd_case_ops {
	/* File a complaint from subscriber; writes the case number and PIN (NUL-terminated). */
	int (*file)(void *data, const char *subscriber, const struct ussd_complaint *c, char *case_no, size_t case_len,
		    char *pin, size_t pin_len);
	/* Record a callback request (once per caller per window: -EALREADY when one is pending);
	 * writes when contact is to be expected, as text in lang, into when. */
	int (*callback)(void *data, const char *subscriber, const char *lang, char *when, size_t when_len);
	/* The status of case_no in lang for subscriber; pin is NULL from the reporter's own phone.
	 * -ENOENT for an unknown case or a wrong PIN (one answer for both). */
	int (*status)(void *data, const char *subscriber, const char *case_no, const char *pin, const char *lang,
		      char *text, size_t text_len);
	void *data;
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
/* Set (or clear with NULL) the cases service used by complaint/callback/status nodes. */
void ussd_engine_set_case_ops(struct ussd_engine *e, const struct ussd_case_ops *ops);
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
