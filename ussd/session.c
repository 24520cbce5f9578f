/* USSD dialog FSM, modelled on osmo-hlr's lu_fsm.c: one instance per dialog, timeouts from an
 * osmo_tdef table, private state as a talloc child of the instance, and a cleanup callback that
 * releases the port's state so no dialog is left behind. */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/hashtable.h>
#include <osmocom/core/select.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include <yordam/log.h>
#include <yordam/secret.h>
#include <yordam/store.h>
#include <yordam/text.h>
#include <yordam/ussd.h>

/* One screen: 182 septets or 80 UCS-2 units of UTF-8, at most 4 bytes each. */
#define S(x) (1 << (x))

#define SCREEN_BUF     800
#define USSD_INPUT_MAX 160

enum ussd_fsm_state {
	USSD_ST_WAIT_USER,
};

enum ussd_fsm_event {
	USSD_EV_INPUT, /* data: const char * */
	USSD_EV_ABORT, /* data: const char * reason */
};

static const struct value_string ussd_fsm_event_names[] = {
	{USSD_EV_INPUT, "INPUT"},
	{USSD_EV_ABORT, "ABORT"},
	{0, NULL},
};

/* Where a caller was when their dialog broke off (timeout, phone release, link loss): offered
 * back on a redial within the resume window. RAM only; bounded. */
struct resume_entry {
	struct hlist_node hnode;
	struct llist_head lru; /* oldest first */
	uint8_t key[SECRET_HASH_LEN];
	char node_id[64];
	unsigned page, lang;
	struct timespec expires; /* CLOCK_MONOTONIC */
};

#define RESUME_MAX 4096

struct ussd_engine {
	struct store *store;
	struct secret *secret;
	const struct menu_tree *tree;
	struct llist_head ports;
	struct llist_head sessions;
	unsigned n_sessions;
	struct osmo_tdef tdefs[2];
	uint32_t next_id;
	unsigned resume_window_s;
	DECLARE_HASHTABLE(resume, 12); /* up to RESUME_MAX entries: short chains */
	struct llist_head resume_lru;
	unsigned n_resume;
	/* Safety net on the monotonic clock: libosmocore timers follow the wall clock, which a board
	 * without an RTC steps at boot. */
	struct osmo_fd sweep;
	const struct ussd_case_ops *case_ops; /* NULL: the cases service is off */
};

/* The steps of the complaint, callback and status forms. */
enum form_step {
	FORM_NONE,
	FORM_UNAVAIL, /* no cases service */
	FORM_CAT,
	FORM_COUNTRY,
	FORM_DETAIL,
	FORM_WHO,
	FORM_NUMBER,
	FORM_CONSENT,
	FORM_CONFIRM,
	FORM_CB_CONFIRM,
	FORM_ST_CASE,
	FORM_ST_PIN,
};

#define FORM_DETAIL_MAX	   40
#define FORM_NUMBER_MAX	   20
#define FORM_CASE_MAX	   15
#define FORM_PIN_MAX	   8
#define FORM_COUNTRIES_MAX (MENU_MAX_CHILDREN - 1) /* the last key is "other" */
#define SUBSCRIBER_MAX	   64

/* What the caller has answered so far: fixed size, RAM only, gone with the dialog. */
struct form_state {
	enum form_step step;
	unsigned page, n_pages;
	int category;	 /* 1..7 */
	char country[3]; /* "" for other */
	char detail[FORM_DETAIL_MAX + 1];
	bool proxy;
	char behalf[FORM_NUMBER_MAX + 1];
	char case_no[FORM_CASE_MAX + 1];
};

struct ussd_session {
	struct llist_head entry; /* engine->sessions */
	struct osmo_fsm_inst *fi;
	struct ussd_engine *engine;
	struct ussd_port *port;
	void *port_data;
	struct menu_cursor cursor;
	unsigned lang;
	uint8_t caller_key[SECRET_HASH_LEN];
	bool have_key;
	bool released;
	bool finished;		  /* ended by a final screen of ours: nothing to resume */
	bool resume_offered;	  /* the screen shown is the resume offer */
	struct menu_cursor saved; /* where the offer returns to */
	unsigned saved_lang;
	struct timespec last_active; /* CLOCK_MONOTONIC */
	struct form_state form;
	char subscriber[SUBSCRIBER_MAX]; /* the port's id of the caller, for the cases service only */
};

#define LOGPS(sess, lvl, fmt, args...) LOGPFSML((sess)->fi, lvl, fmt, ##args)

static struct osmo_fsm ussd_fsm;

static bool is_form_node(const struct menu_node *n);
static void form_begin(struct ussd_session *sess, const char *notice);
static void form_input(struct ussd_session *sess, const char *input);

static const struct osmo_tdef_state_timeout ussd_fsm_timeouts[32] = {
	[USSD_ST_WAIT_USER] = {.T = USSD_T_IDLE},
};

/* Send the screen at the cursor (text NULL) or a fixed text; final ends the dialog. */
static int session_send(struct ussd_session *sess, const char *notice, bool final_text, const char *text)
{
	const struct menu_tree *t = sess->engine->tree;
	char buf[SCREEN_BUF];
	unsigned n_pages;
	int rc;

	if (text) {
		rc = osmo_strlcpy(buf, text, sizeof(buf)) >= sizeof(buf) ? -ENOSPC : 0;
	} else {
		rc = menu_render(t, &sess->cursor, sess->lang, &sess->port->caps, notice, buf, sizeof(buf), &n_pages);
	}
	if (rc < 0) {
		LOGPS(sess, LOGL_ERROR, "Cannot render node %s page %u: %s\n", sess->cursor.node->id, sess->cursor.page,
		      strerror(-rc));
		return rc;
	}
	if (final_text) {
		sess->finished = true;
	}
	rc = sess->port->ops->tx(sess, buf, final_text);
	if (rc < 0) {
		sess->port->stats.tx_errors++;
		LOGPS(sess, LOGL_ERROR, "Port %s could not send: %s\n", sess->port->name, strerror(-rc));
		return rc;
	}
	sess->port->stats.screens++;
	return 0;
}

static void mono_now(struct timespec *ts)
{
	osmo_clock_gettime(CLOCK_MONOTONIC, ts);
}

static long mono_elapsed_s(const struct timespec *since)
{
	struct timespec now;

	mono_now(&now);
	return (long)(now.tv_sec - since->tv_sec) - (now.tv_nsec < since->tv_nsec ? 1 : 0);
}

static uint32_t key_hash(const uint8_t *key)
{
	return (uint32_t)key[0] | (uint32_t)key[1] << 8 | (uint32_t)key[2] << 16 | (uint32_t)key[3] << 24;
}

static struct resume_entry *resume_find(struct ussd_engine *e, const uint8_t *key)
{
	struct resume_entry *r;

	hash_for_each_possible(e->resume, r, hnode, key_hash(key))
	{
		if (!memcmp(r->key, key, SECRET_HASH_LEN)) {
			return r;
		}
	}
	return NULL;
}

static void resume_del(struct ussd_engine *e, struct resume_entry *r)
{
	hash_del(&r->hnode);
	llist_del(&r->lru);
	e->n_resume--;
	talloc_free(r);
}

/* Remember where an unfinished dialog was, unless there is nothing worth going back to. */
static void resume_save(struct ussd_session *sess)
{
	struct ussd_engine *e = sess->engine;
	const struct menu_cursor *c = sess->resume_offered ? &sess->saved : &sess->cursor;
	struct resume_entry *r;

	if (!e->resume_window_s || !sess->have_key || sess->finished || !c->node ||
	    (c->node == e->tree->root && c->page == 0) || c->node == e->tree->lang_node ||
	    strlen(c->node->id) >= sizeof(r->node_id)) {
		return;
	}
	r = resume_find(e, sess->caller_key);
	if (r) {
		resume_del(e, r);
	}
	if (e->n_resume >= RESUME_MAX) {
		resume_del(e, llist_first_entry(&e->resume_lru, struct resume_entry, lru));
	}
	r = talloc_zero(e, struct resume_entry);
	if (!r) {
		return;
	}
	memcpy(r->key, sess->caller_key, SECRET_HASH_LEN);
	OSMO_STRLCPY_ARRAY(r->node_id, c->node->id);
	r->page = c->page;
	r->lang = sess->resume_offered ? sess->saved_lang : sess->lang;
	mono_now(&r->expires);
	r->expires.tv_sec += e->resume_window_s;
	hash_add(e->resume, &r->hnode, key_hash(r->key));
	llist_add_tail(&r->lru, &e->resume_lru);
	e->n_resume++;
}

/* Take the caller's resume entry if there is a live one; fills sess->saved. */
static bool resume_take(struct ussd_session *sess)
{
	struct ussd_engine *e = sess->engine;
	struct resume_entry *r = sess->have_key ? resume_find(e, sess->caller_key) : NULL;
	const struct menu_node *n;
	struct timespec now;
	bool ok;

	if (!r) {
		return false;
	}
	mono_now(&now);
	n = menu_node_by_id(e->tree, r->node_id);
	ok = n && r->lang < e->tree->n_lang &&
	     (now.tv_sec < r->expires.tv_sec || (now.tv_sec == r->expires.tv_sec && now.tv_nsec < r->expires.tv_nsec));
	if (ok) {
		sess->saved.node = n;
		sess->saved.page = r->page;
		sess->saved_lang = r->lang;
	}
	resume_del(e, r);
	return ok;
}

/* Show the screen at the cursor and wait for the caller, restarting the idle timer. */
static void session_show(struct ussd_session *sess, const char *notice)
{
	mono_now(&sess->last_active);
	if (session_send(sess, notice, false, NULL) < 0) {
		osmo_fsm_inst_term(sess->fi, OSMO_FSM_TERM_ERROR, NULL);
		return;
	}
	osmo_tdef_fsm_inst_state_chg(sess->fi, USSD_ST_WAIT_USER, ussd_fsm_timeouts, sess->engine->tdefs, 60);
}

static const char *ui(const struct ussd_session *sess, enum menu_ui k)
{
	return sess->engine->tree->ui[k][sess->lang];
}

/* Apply one input; returns the notice to show with the next screen (NULL for none). */
static const char *session_apply(struct ussd_session *sess, const char *input)
{
	unsigned lang = sess->lang;
	enum menu_action a;
	int rc;

	a = menu_input(sess->engine->tree, &sess->cursor, &lang, &sess->port->caps, input);
	switch (a) {
	case MENU_A_SHOW:
		return NULL;
	case MENU_A_INVALID:
		sess->port->stats.invalid++;
		return ui(sess, MENU_UI_INVALID);
	case MENU_A_LANG_SET:
		sess->lang = lang;
		/* Committed before the confirmation goes out: the screen never claims what the
		 * store does not hold. */
		rc = sess->have_key ? store_caller_lang_set(sess->engine->store, sess->caller_key,
							    sess->engine->tree->lang_code[lang])
				    : -EINVAL;
		if (rc < 0) {
			LOGPS(sess, LOGL_ERROR, "Could not save the caller's language: %s\n", strerror(-rc));
		}
		return ui(sess, MENU_UI_LANG_SAVED);
	}
	return NULL;
}

/* Offer "1 Continue / 2 Start over" and wait for the answer. 0 or -errno (nothing sent). */
static int session_offer_resume(struct ussd_session *sess, const char *notice)
{
	char text[SCREEN_BUF];
	int rc;

	sess->resume_offered = true;
	sess->lang = sess->saved_lang;
	snprintf(text, sizeof(text), "%s%s%s", notice ? notice : "", notice ? "\n" : "", ui(sess, MENU_UI_RESUME));
	mono_now(&sess->last_active);
	rc = session_send(sess, NULL, false, text);
	if (rc == 0) {
		osmo_tdef_fsm_inst_state_chg(sess->fi, USSD_ST_WAIT_USER, ussd_fsm_timeouts, sess->engine->tdefs, 60);
	}
	return rc;
}

/* "1" continues where the caller was, "2" starts from the main menu. */
static void session_resume_answer(struct ussd_session *sess, const char *input)
{
	char c[4] = "";

	sscanf(input, " %3s", c);
	if (!strcmp(c, "1")) {
		sess->resume_offered = false;
		sess->cursor = sess->saved;
		if (is_form_node(sess->cursor.node)) {
			form_begin(sess, NULL);
			return;
		}
		session_show(sess, NULL);
	} else if (!strcmp(c, "2")) {
		sess->resume_offered = false;
		sess->cursor.node = sess->engine->tree->root;
		sess->cursor.page = 0;
		session_show(sess, NULL);
	} else {
		sess->port->stats.invalid++;
		if (session_offer_resume(sess, ui(sess, MENU_UI_INVALID)) < 0) {
			osmo_fsm_inst_term(sess->fi, OSMO_FSM_TERM_ERROR, NULL);
		}
	}
}

/* --- complaint, callback and status forms ---------------------------------------------------- */

static bool is_form_node(const struct menu_node *n)
{
	return n && (n->kind == MENU_K_COMPLAINT || n->kind == MENU_K_CALLBACK || n->kind == MENU_K_STATUS);
}

static const char *ui_or_empty(const struct ussd_session *sess, enum menu_ui k)
{
	const char *s = ui(sess, k);

	return s ? s : "";
}

/* s folded and cut (at a word when possible) to one screen of the port into out. */
static int fit_screen(const struct ussd_session *sess, const char *s, char *out, size_t outlen, bool *cut)
{
	char *f = text_fold(NULL, s, TEXT_FOLD_UZ);
	int coding;
	long n;

	if (!f) {
		return -EINVAL;
	}
	coding = text_coding_of(f, strlen(f));
	n = coding < 0 ? -EINVAL
		       : text_fit(f, strlen(f), coding,
				  coding == TEXT_GSM7 ? sess->port->caps.gsm7 : sess->port->caps.ucs2, true);
	if (n < 0 || (size_t)n >= outlen) {
		talloc_free(f);
		return -EINVAL;
	}
	if (cut) {
		*cut = (size_t)n < strlen(f);
	}
	memcpy(out, f, n);
	out[n] = '\0';
	talloc_free(f);
	return 0;
}

/* Leave the form and end the dialog with a final screen: the first of texts that fits whole, else
 * the last one cut. */
static void form_final(struct ussd_session *sess, const char *const *texts, unsigned n)
{
	char buf[SCREEN_BUF];
	unsigned i;
	bool cut = true;
	int rc = -EINVAL;

	for (i = 0; i < n && cut; i++) {
		rc = fit_screen(sess, texts[i], buf, sizeof(buf), &cut);
		if (rc < 0) {
			cut = true;
		}
	}
	memset(&sess->form, 0, sizeof(sess->form));
	if (rc == 0) {
		session_send(sess, NULL, true, buf);
	}
	osmo_fsm_inst_term(sess->fi, OSMO_FSM_TERM_REGULAR, NULL);
}

static void form_final1(struct ussd_session *sess, const char *text)
{
	form_final(sess, &text, 1);
}

static void form_error(struct ussd_session *sess, const char *what, int rc)
{
	LOGPS(sess, LOGL_ERROR, "Cases service: %s failed: %s\n", what, strerror(-rc));
	form_final1(sess, ui_or_empty(sess, MENU_UI_CASE_ERROR));
}

/* The caller as the cases service sees them: their number when the port knows it. */
static const char *form_subscriber(struct ussd_session *sess)
{
	const char *m = sess->port->ops->msisdn ? sess->port->ops->msisdn(sess) : NULL;

	return m && *m ? m : sess->subscriber;
}

static const char *form_lang(const struct ussd_session *sess)
{
	return sess->engine->tree->lang_code[sess->lang];
}

static unsigned form_countries(const struct ussd_session *sess, const struct menu_node **nodes)
{
	return menu_form_countries(sess->engine->tree, nodes, FORM_COUNTRIES_MAX);
}

static const char *form_country_label(const struct ussd_session *sess)
{
	const struct menu_node *nodes[FORM_COUNTRIES_MAX];
	unsigned i, n = form_countries(sess, nodes);

	for (i = 0; sess->form.country[0] && i < n; i++) {
		if (!strcmp(nodes[i]->country, sess->form.country)) {
			return nodes[i]->title[sess->lang];
		}
	}
	return ui_or_empty(sess, MENU_UI_CASE_OTHER);
}

/* Show the screen of the current step, with notice (e.g. invalid input) first. 0 or -errno
 * (nothing sent; the caller ends the dialog). */
static int form_show_rc(struct ussd_session *sess, const char *notice)
{
	const struct menu_tree *t = sess->engine->tree;
	struct form_state *fs = &sess->form;
	const struct menu_node *nodes[FORM_COUNTRIES_MAX];
	const char *items[MENU_MAX_CHILDREN];
	/* Texts stand on their own, without the node's title: every unit counts at 56. */
	struct menu_form_screen f = {.at = sess->cursor.node};
	char body[SCREEN_BUF], buf[SCREEN_BUF];
	unsigned i, n;
	int rc;

	switch (fs->step) {
	case FORM_UNAVAIL:
		f.body = ui_or_empty(sess, MENU_UI_CASE_UNAVAIL);
		break;
	case FORM_CAT:
		f.heading = ui_or_empty(sess, MENU_UI_CASE_CAT);
		for (i = 0; i < 7; i++) {
			items[i] = ui_or_empty(sess, MENU_UI_CASE_CAT1 + i);
		}
		f.items = items;
		f.n_items = 7;
		break;
	case FORM_COUNTRY:
		f.heading = ui_or_empty(sess, MENU_UI_CASE_COUNTRY);
		n = form_countries(sess, nodes);
		for (i = 0; i < n; i++) {
			items[i] = nodes[i]->title[sess->lang];
		}
		items[n] = ui_or_empty(sess, MENU_UI_CASE_OTHER);
		f.items = items;
		f.n_items = n + 1;
		break;
	case FORM_DETAIL:
		/* Typed text, and "0" skips: no footer that would promise "0 Back". */
		snprintf(body, sizeof(body), "%s%s%s", notice ? notice : "", notice ? "\n" : "",
			 ui_or_empty(sess, MENU_UI_CASE_DETAIL));
		fs->n_pages = 1;
		mono_now(&sess->last_active);
		rc = fit_screen(sess, body, buf, sizeof(buf), NULL);
		if (rc < 0 || (rc = session_send(sess, NULL, false, buf)) < 0) {
			return rc;
		}
		osmo_tdef_fsm_inst_state_chg(sess->fi, USSD_ST_WAIT_USER, ussd_fsm_timeouts, sess->engine->tdefs, 60);
		return 0;
	case FORM_WHO:
		f.heading = ui_or_empty(sess, MENU_UI_CASE_WHO);
		items[0] = ui_or_empty(sess, MENU_UI_CASE_SELF);
		items[1] = ui_or_empty(sess, MENU_UI_CASE_RELATIVE);
		f.items = items;
		f.n_items = 2;
		break;
	case FORM_NUMBER:
		f.body = ui_or_empty(sess, MENU_UI_CASE_NUMBER);
		break;
	case FORM_CONSENT:
		f.body = ui_or_empty(sess, MENU_UI_CASE_CONSENT);
		break;
	case FORM_CONFIRM:
		f.heading = ui_or_empty(sess, MENU_UI_CASE_CONFIRM);
		snprintf(body, sizeof(body), "%s\n%s%s%s%s%s\n%s",
			 ui_or_empty(sess, MENU_UI_CASE_CAT1 + fs->category - 1), form_country_label(sess),
			 fs->detail[0] ? "\n" : "", fs->detail, fs->proxy ? "\n" : "", fs->proxy ? fs->behalf : "",
			 ui_or_empty(sess, MENU_UI_CASE_KEYS));
		f.body = body;
		break;
	case FORM_CB_CONFIRM:
		f.body = ui_or_empty(sess, MENU_UI_CB_CONFIRM);
		break;
	case FORM_ST_CASE:
		f.body = ui_or_empty(sess, MENU_UI_ST_CASE);
		break;
	case FORM_ST_PIN:
		f.body = ui_or_empty(sess, MENU_UI_ST_PIN);
		break;
	default:
		OSMO_ASSERT(0);
	}
	if (!f.items && notice) {
		/* A text keeps its keys in view after invalid input: the notice is its heading. */
		f.heading = notice;
		notice = NULL;
		fs->page = 0;
	}
	rc = menu_render_form(t, &f, fs->page, sess->lang, &sess->port->caps, notice, buf, sizeof(buf), &fs->n_pages);
	if (rc < 0 && fs->page) {
		fs->page = 0;
		rc = menu_render_form(t, &f, 0, sess->lang, &sess->port->caps, notice, buf, sizeof(buf), &fs->n_pages);
	}
	mono_now(&sess->last_active);
	if (rc < 0) {
		LOGPS(sess, LOGL_ERROR, "Cannot render form step %d of node %s: %s\n", fs->step, sess->cursor.node->id,
		      strerror(-rc));
	}
	if (rc < 0 || (rc = session_send(sess, NULL, false, buf)) < 0) {
		return rc;
	}
	osmo_tdef_fsm_inst_state_chg(sess->fi, USSD_ST_WAIT_USER, ussd_fsm_timeouts, sess->engine->tdefs, 60);
	return 0;
}

static void form_show(struct ussd_session *sess, const char *notice)
{
	if (form_show_rc(sess, notice) < 0) {
		osmo_fsm_inst_term(sess->fi, OSMO_FSM_TERM_ERROR, NULL);
	}
}

static void form_goto(struct ussd_session *sess, enum form_step step)
{
	sess->form.step = step;
	sess->form.page = 0;
	form_show(sess, NULL);
}

/* The cursor arrived at a form node: its first step. 0 or -errno (nothing sent). */
static int form_begin_rc(struct ussd_session *sess, const char *notice)
{
	memset(&sess->form, 0, sizeof(sess->form));
	sess->cursor.page = 0;
	if (!sess->engine->case_ops) {
		sess->form.step = FORM_UNAVAIL;
	} else if (sess->cursor.node->kind == MENU_K_COMPLAINT) {
		sess->form.step = FORM_CAT;
	} else if (sess->cursor.node->kind == MENU_K_CALLBACK) {
		sess->form.step = FORM_CB_CONFIRM;
	} else {
		sess->form.step = FORM_ST_CASE;
	}
	return form_show_rc(sess, notice);
}

static void form_begin(struct ussd_session *sess, const char *notice)
{
	if (form_begin_rc(sess, notice) < 0) {
		osmo_fsm_inst_term(sess->fi, OSMO_FSM_TERM_ERROR, NULL);
	}
}

/* Leave the form for the menu: "0" from the first step goes where "0" goes from the node. */
static void form_leave(struct ussd_session *sess, const char *key)
{
	unsigned lang = sess->lang;

	memset(&sess->form, 0, sizeof(sess->form));
	sess->cursor.page = 0;
	menu_input(sess->engine->tree, &sess->cursor, &lang, &sess->port->caps, key);
	if (is_form_node(sess->cursor.node)) {
		/* "0" from a form at the root's level: nowhere else to go */
		sess->cursor.node = sess->engine->tree->root;
		sess->cursor.page = 0;
	}
	session_show(sess, NULL);
}

/* A key in 1..max, else 0. */
static unsigned form_key(const char *s, unsigned max)
{
	return s[0] >= '1' && s[0] <= '9' && !s[1] && (unsigned)(s[0] - '0') <= max ? (unsigned)(s[0] - '0') : 0;
}

/* Digits, with an optional leading '+' when plus, between min and max of them. */
static bool digits_ok(const char *s, size_t min, size_t max, bool plus)
{
	size_t n = 0;

	if (plus && *s == '+') {
		s++;
	}
	for (; *s; s++, n++) {
		if (!isdigit((unsigned char)*s)) {
			return false;
		}
	}
	return n >= min && n <= max;
}

static bool detail_ok(const char *s)
{
	size_t len = strlen(s);

	if (!len || len > FORM_DETAIL_MAX || !text_utf8_valid(s, len)) {
		return false;
	}
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			return false;
		}
	}
	return true;
}

static void form_submit(struct ussd_session *sess)
{
	const struct ussd_case_ops *ops = sess->engine->case_ops;
	struct form_state *fs = &sess->form;
	struct ussd_complaint c = {
		.category = fs->category,
		.country = fs->country[0] ? fs->country : NULL,
		.detail = fs->detail[0] ? fs->detail : NULL,
		.lang = form_lang(sess),
		.proxy = fs->proxy,
		.on_behalf_of = fs->proxy ? fs->behalf : NULL,
	};
	char case_no[32] = "", pin[16] = "";
	char full[SCREEN_BUF], mid[SCREEN_BUF], bare[SCREEN_BUF];
	const char *texts[] = {full, mid, bare};
	int rc;

	rc = ops->file ? ops->file(ops->data, form_subscriber(sess), &c, case_no, sizeof(case_no), pin, sizeof(pin))
		       : -ENOTSUP;
	if (rc < 0 || !case_no[0]) {
		form_error(sess, "file", rc < 0 ? rc : -EINVAL);
		return;
	}
	/* The case number comes first and is never cut: the longer texts give way. */
	snprintf(full, sizeof(full), "%s %s\n%s %s\n%s", ui_or_empty(sess, MENU_UI_CASE_DONE), case_no,
		 ui_or_empty(sess, MENU_UI_CASE_PIN), pin, ui_or_empty(sess, MENU_UI_CASE_KEEP));
	snprintf(mid, sizeof(mid), "%s %s\n%s %s", ui_or_empty(sess, MENU_UI_CASE_DONE), case_no,
		 ui_or_empty(sess, MENU_UI_CASE_PIN), pin);
	snprintf(bare, sizeof(bare), "%s\nPIN %s", case_no, pin);
	LOGPS(sess, LOGL_INFO, "Complaint filed (category %d)\n", fs->category);
	form_final(sess, texts, ARRAY_SIZE(texts));
}

static void form_callback(struct ussd_session *sess)
{
	const struct ussd_case_ops *ops = sess->engine->case_ops;
	char when[128] = "", text[SCREEN_BUF];
	int rc;

	rc = ops->callback ? ops->callback(ops->data, form_subscriber(sess), form_lang(sess), when, sizeof(when))
			   : -ENOTSUP;
	if (rc == -EALREADY) {
		form_final1(sess, ui_or_empty(sess, MENU_UI_CB_ALREADY));
	} else if (rc < 0) {
		form_error(sess, "callback", rc);
	} else {
		snprintf(text, sizeof(text), "%s %s", ui_or_empty(sess, MENU_UI_CB_DONE), when);
		form_final1(sess, text);
	}
}

static void form_status(struct ussd_session *sess, const char *pin)
{
	const struct ussd_case_ops *ops = sess->engine->case_ops;
	char text[512] = "";
	int rc;

	rc = ops->status ? ops->status(ops->data, form_subscriber(sess), sess->form.case_no, pin, form_lang(sess), text,
				       sizeof(text))
			 : -ENOTSUP;
	if (rc == -ENOENT && !pin) {
		form_goto(sess, FORM_ST_PIN);
	} else if (rc == -ENOENT) {
		form_final1(sess, ui_or_empty(sess, MENU_UI_ST_UNKNOWN));
	} else if (rc < 0 || !text[0]) {
		form_error(sess, "status", rc < 0 ? rc : -EINVAL);
	} else {
		form_final1(sess, text);
	}
}

/* The step before this one ("0" on a step's first page). */
static void form_back(struct ussd_session *sess)
{
	struct form_state *fs = &sess->form;

	switch (fs->step) {
	case FORM_COUNTRY:
		form_goto(sess, FORM_CAT);
		break;
	case FORM_WHO:
		form_goto(sess, FORM_DETAIL);
		break;
	case FORM_NUMBER:
		form_goto(sess, FORM_WHO);
		break;
	case FORM_CONSENT:
		form_goto(sess, fs->proxy ? FORM_NUMBER : FORM_WHO);
		break;
	case FORM_CONFIRM:
		form_goto(sess, FORM_CONSENT);
		break;
	case FORM_ST_PIN:
		form_goto(sess, FORM_ST_CASE);
		break;
	default:
		form_leave(sess, "0");
		break;
	}
}

static void form_input(struct ussd_session *sess, const char *input)
{
	struct form_state *fs = &sess->form;
	const struct menu_node *nodes[FORM_COUNTRIES_MAX];
	char in[USSD_INPUT_MAX + 1];
	size_t len;
	unsigned k, n;
	char *s = in;

	osmo_strlcpy(in, input ? input : "", sizeof(in));
	while (*s && isspace((unsigned char)*s)) {
		s++;
	}
	len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1])) {
		s[--len] = '\0';
	}
	if (!strcmp(s, "00")) {
		memset(fs, 0, sizeof(*fs));
		sess->cursor.node = sess->engine->tree->root;
		sess->cursor.page = 0;
		session_show(sess, NULL);
		return;
	}
	if (fs->step == FORM_DETAIL) {
		if (!strcmp(s, "0")) {
			fs->detail[0] = '\0';
			form_goto(sess, FORM_WHO);
			return;
		}
		if (detail_ok(s)) {
			OSMO_STRLCPY_ARRAY(fs->detail, s);
			form_goto(sess, FORM_WHO);
			return;
		}
		goto invalid;
	}
	if (!strcmp(s, "0")) {
		if (fs->page > 0) {
			fs->page--;
			form_show(sess, NULL);
		} else {
			form_back(sess);
		}
		return;
	}
	if (!strcmp(s, "9") && fs->page + 1 < fs->n_pages) {
		fs->page++;
		form_show(sess, NULL);
		return;
	}
	switch (fs->step) {
	case FORM_CAT:
		k = form_key(s, 7);
		if (!k) {
			goto invalid;
		}
		fs->category = (int)k;
		form_goto(sess, FORM_COUNTRY);
		return;
	case FORM_COUNTRY:
		n = form_countries(sess, nodes);
		k = form_key(s, n + 1);
		if (!k) {
			goto invalid;
		}
		if (k <= n) {
			OSMO_STRLCPY_ARRAY(fs->country, nodes[k - 1]->country);
		} else {
			fs->country[0] = '\0';
		}
		form_goto(sess, FORM_DETAIL);
		return;
	case FORM_WHO:
		k = form_key(s, 2);
		if (!k) {
			goto invalid;
		}
		fs->proxy = k == 2;
		if (!fs->proxy) {
			fs->behalf[0] = '\0';
		}
		form_goto(sess, fs->proxy ? FORM_NUMBER : FORM_CONSENT);
		return;
	case FORM_NUMBER:
		if (!digits_ok(s, 5, FORM_NUMBER_MAX - 1, true)) {
			goto invalid;
		}
		OSMO_STRLCPY_ARRAY(fs->behalf, s);
		form_goto(sess, FORM_CONSENT);
		return;
	case FORM_CONSENT:
	case FORM_CONFIRM:
		k = form_key(s, 2);
		if (!k) {
			goto invalid;
		}
		if (k == 2) {
			LOGPS(sess, LOGL_INFO, "Complaint cancelled by the caller\n");
			form_final1(sess, ui_or_empty(sess, MENU_UI_CASE_CANCELLED));
		} else if (fs->step == FORM_CONSENT) {
			form_goto(sess, FORM_CONFIRM);
		} else {
			form_submit(sess);
		}
		return;
	case FORM_CB_CONFIRM:
		if (!form_key(s, 1)) {
			goto invalid;
		}
		form_callback(sess);
		return;
	case FORM_ST_CASE:
		if (!digits_ok(s, 4, FORM_CASE_MAX, false)) {
			goto invalid;
		}
		OSMO_STRLCPY_ARRAY(fs->case_no, s);
		form_status(sess, NULL);
		return;
	case FORM_ST_PIN:
		if (!digits_ok(s, 3, FORM_PIN_MAX, false)) {
			goto invalid;
		}
		form_status(sess, s);
		return;
	default:
		break;
	}
invalid:
	sess->port->stats.invalid++;
	form_show(sess, ui_or_empty(sess, MENU_UI_INVALID));
}

static void ussd_fsm_wait_user(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct ussd_session *sess = fi->priv;
	const char *notice;

	switch (event) {
	case USSD_EV_INPUT:
		if (sess->resume_offered) {
			session_resume_answer(sess, data);
			break;
		}
		if (sess->form.step != FORM_NONE) {
			form_input(sess, data);
			break;
		}
		notice = session_apply(sess, data);
		if (is_form_node(sess->cursor.node)) {
			form_begin(sess, notice);
			break;
		}
		session_show(sess, notice);
		break;
	case USSD_EV_ABORT:
		sess->port->stats.aborts++;
		LOGPS(sess, LOGL_INFO, "Dialog ended by the peer: %s\n", (const char *)data);
		osmo_fsm_inst_term(fi, OSMO_FSM_TERM_REGULAR, NULL);
		break;
	default:
		OSMO_ASSERT(0);
	}
}

/* End a dialog whose caller stopped answering. */
static void session_timeout(struct ussd_session *sess)
{
	struct osmo_fsm_inst *fi = sess->fi;

	sess->port->stats.timeouts++;
	LOGPS(sess, LOGL_INFO, "Caller idle for too long, ending the dialog\n");
	/* OsmoHLR never tells an EUSE about its own timeouts: end cleanly so that the network
	 * side is released whatever state it is in. */
	if (sess->port->link_up) {
		session_send(sess, NULL, true, ui(sess, MENU_UI_TIMEOUT));
		/* The caller did not finish: a redial may continue from here. */
		sess->finished = false;
	}
	osmo_fsm_inst_term(fi, OSMO_FSM_TERM_TIMEOUT, NULL);
}

static int ussd_fsm_timer_cb(struct osmo_fsm_inst *fi)
{
	struct ussd_session *sess = fi->priv;
	unsigned idle = osmo_tdef_get(sess->engine->tdefs, USSD_T_IDLE, OSMO_TDEF_S, 60);
	long elapsed = mono_elapsed_s(&sess->last_active);

	/* A wall clock stepped forward fires the timer early: trust the monotonic clock. */
	if (elapsed >= 0 && (unsigned long)elapsed + 1 < idle) {
		osmo_fsm_inst_state_chg(fi, USSD_ST_WAIT_USER, idle - (unsigned)elapsed, USSD_T_IDLE);
		return 0;
	}
	session_timeout(sess);
	return 0;
}

static void ussd_fsm_cleanup(struct osmo_fsm_inst *fi, enum osmo_fsm_term_cause cause)
{
	struct ussd_session *sess = fi->priv;

	resume_save(sess);
	llist_del(&sess->entry);
	sess->engine->n_sessions--;
	sess->port->open_sessions--;
	if (!sess->released) {
		sess->released = true;
		sess->port->ops->release(sess);
	}
}

static const struct osmo_fsm_state ussd_fsm_states[] = {
	[USSD_ST_WAIT_USER] =
		{
			.name = "WAIT_USER",
			.in_event_mask = S(USSD_EV_INPUT) | S(USSD_EV_ABORT),
			.out_state_mask = S(USSD_ST_WAIT_USER),
			.action = ussd_fsm_wait_user,
		},
};

static struct osmo_fsm ussd_fsm = {
	.name = "ussd",
	.states = ussd_fsm_states,
	.num_states = ARRAY_SIZE(ussd_fsm_states),
	.event_names = ussd_fsm_event_names,
	.timer_cb = ussd_fsm_timer_cb,
	.cleanup = ussd_fsm_cleanup,
	.log_subsys = DUSSD,
};

static __attribute__((constructor)) void ussd_fsm_register(void)
{
	OSMO_ASSERT(osmo_fsm_register(&ussd_fsm) == 0);
}

#define SWEEP_INTERVAL_S 5

void ussd_engine_sweep(struct ussd_engine *e)
{
	unsigned idle = osmo_tdef_get(e->tdefs, USSD_T_IDLE, OSMO_TDEF_S, 60);
	struct ussd_session *sess, *tmp;

	/* A wall clock stepped back would hold libosmocore timers for as long as the step: end
	 * what the monotonic clock says is overdue. Terminating a session only removes that one
	 * from the list; the next pointer stays valid. */
	llist_for_each_entry_safe(sess, tmp, &e->sessions, entry)
	{
		if (mono_elapsed_s(&sess->last_active) >= (long)idle + 2) {
			LOGPS(sess, LOGL_NOTICE,
			      "Idle past its deadline on the monotonic clock (wall clock stepped?)\n");
			session_timeout(sess);
		}
	}
}

static int sweep_cb(struct osmo_fd *ofd, unsigned int what)
{
	uint64_t expirations;

	if (read(ofd->fd, &expirations, sizeof(expirations)) < 0) {
		return 0;
	}
	ussd_engine_sweep(ofd->data);
	return 0;
}

static int engine_destructor(struct ussd_engine *e)
{
	if (e->sweep.fd >= 0) {
		osmo_fd_unregister(&e->sweep);
		close(e->sweep.fd);
		e->sweep.fd = -1;
	}
	return 0;
}

struct ussd_engine *ussd_engine_alloc(void *ctx, struct store *st, struct secret *sec,
				      const struct ussd_engine_cfg *cfg)
{
	struct ussd_engine *e = talloc_zero(ctx, struct ussd_engine);
	struct osmo_tdef tdefs[] = {
		{.T = USSD_T_IDLE,
		 .default_val = 60,
		 .unit = OSMO_TDEF_S,
		 .desc = "USSD dialog idle timeout (the HLR never reports its own)"},
		{},
	};

	if (!e) {
		return NULL;
	}
	e->store = st;
	e->secret = sec;
	INIT_LLIST_HEAD(&e->ports);
	INIT_LLIST_HEAD(&e->sessions);
	INIT_LLIST_HEAD(&e->resume_lru);
	hash_init(e->resume);
	memcpy(e->tdefs, tdefs, sizeof(tdefs));
	osmo_tdefs_reset(e->tdefs);
	if (cfg && cfg->idle_timeout_s) {
		osmo_tdef_set(e->tdefs, USSD_T_IDLE, cfg->idle_timeout_s, OSMO_TDEF_S);
	}
	e->resume_window_s = cfg ? cfg->resume_window_s : 0;
	e->sweep.fd = -1;
	if (osmo_timerfd_setup(&e->sweep, sweep_cb, e) == 0) {
		struct timespec every = {.tv_sec = SWEEP_INTERVAL_S};

		osmo_timerfd_schedule(&e->sweep, &every, &every);
	} else {
		LOGP(DUSSD, LOGL_ERROR, "No monotonic sweep timer: dialogs rely on the wall clock alone\n");
	}
	talloc_set_destructor(e, engine_destructor);
	return e;
}

void ussd_engine_set_tree(struct ussd_engine *e, const struct menu_tree *t)
{
	struct ussd_session *sess;

	llist_for_each_entry(sess, &e->sessions, entry)
	{
		const struct menu_node *n = menu_node_by_id(t, sess->cursor.node->id);
		int lang = menu_lang_index(t, e->tree->lang_code[sess->lang]);

		sess->cursor.node = n ? n : t->root;
		sess->cursor.page = 0;
		if (sess->form.step != FORM_NONE) {
			/* Country keys may have changed: the form starts over at the next input. */
			memset(&sess->form, 0, sizeof(sess->form));
			sess->cursor.node = n && n->parent ? n->parent : t->root;
		}
		sess->lang = lang >= 0 ? (unsigned)lang : t->fallback;
	}
	e->tree = t;
}

void ussd_engine_set_case_ops(struct ussd_engine *e, const struct ussd_case_ops *ops)
{
	e->case_ops = ops;
}

const struct menu_tree *ussd_engine_tree(const struct ussd_engine *e)
{
	return e->tree;
}

struct osmo_tdef *ussd_engine_tdefs(struct ussd_engine *e)
{
	return e->tdefs;
}

struct llist_head *ussd_engine_ports(struct ussd_engine *e)
{
	return &e->ports;
}

unsigned ussd_engine_open_sessions(const struct ussd_engine *e)
{
	return e->n_sessions;
}

void ussd_port_register(struct ussd_engine *e, struct ussd_port *port)
{
	port->engine = e;
	llist_add_tail(&port->entry, &e->ports);
}

void ussd_port_unregister(struct ussd_port *port)
{
	struct ussd_session *sess, *tmp;

	llist_for_each_entry_safe(sess, tmp, &port->engine->sessions, entry)
	{
		if (sess->port == port) {
			ussd_session_abort(sess, "port closed");
		}
	}
	llist_del(&port->entry);
}

/* "*100*3*1#" -> inputs "3", "1" applied in turn after the first screen's cursor is set. */
static const char *session_apply_path(struct ussd_session *sess, const char *request)
{
	char buf[USSD_INPUT_MAX + 1];
	const char *notice = NULL;
	char *p, *tok, *save = NULL;
	size_t len;

	if (!request || request[0] != '*') {
		return NULL;
	}
	len = osmo_strlcpy(buf, request + 1, sizeof(buf));
	if (len >= sizeof(buf)) {
		return NULL;
	}
	p = strchr(buf, '#');
	if (p) {
		*p = '\0';
	}
	tok = strtok_r(buf, "*", &save); /* the service code itself */
	while (tok && (tok = strtok_r(NULL, "*", &save))) {
		notice = session_apply(sess, tok);
		if (notice == ui(sess, MENU_UI_INVALID)) {
			break;
		}
	}
	return notice;
}

/* "*100*3*1#" carries a path; "*100#" does not. */
static bool path_given(const char *request)
{
	const char *p = request && request[0] == '*' ? strchr(request + 1, '*') : NULL;

	return p && p[1] && p[1] != '#';
}

struct ussd_session *ussd_session_start(struct ussd_port *port, const char *subscriber, const char *request,
					void *port_data)
{
	struct ussd_engine *e = port->engine;
	struct ussd_session *sess;
	struct osmo_fsm_inst *fi;
	const char *notice = NULL;
	char lang[16];
	int rc;

	if (!e->tree) {
		LOGP(DUSSD, LOGL_ERROR, "%s: no content loaded, cannot serve a dialog\n", port->name);
		return NULL;
	}
	fi = osmo_fsm_inst_alloc(&ussd_fsm, e, NULL, LOGL_DEBUG, NULL);
	if (!fi) {
		return NULL;
	}
	osmo_fsm_inst_update_id_f(fi, "%s-%u", port->name, e->next_id++);
	sess = talloc_zero(fi, struct ussd_session);
	if (!sess) {
		osmo_fsm_inst_free(fi);
		return NULL;
	}
	fi->priv = sess;
	sess->fi = fi;
	sess->engine = e;
	sess->port = port;
	sess->port_data = port_data;
	sess->lang = e->tree->fallback;
	/* Released by the port if start fails from here on, like every other dialog. */
	llist_add_tail(&sess->entry, &e->sessions);
	e->n_sessions++;
	port->open_sessions++;
	port->stats.sessions++;

	if (subscriber) {
		OSMO_STRLCPY_ARRAY(sess->subscriber, subscriber);
	}
	sess->have_key = subscriber && secret_hash(e->secret, "caller", subscriber, sess->caller_key) == 0;
	rc = sess->have_key ? store_caller_lang_get(e->store, sess->caller_key, lang, sizeof(lang)) : -ENOENT;
	if (rc == 0 && (rc = menu_lang_index(e->tree, lang)) >= 0) {
		sess->lang = (unsigned)rc;
		sess->cursor.node = e->tree->root;
		notice = session_apply_path(sess, request);
	} else {
		if (rc != -ENOENT) {
			LOGPS(sess, LOGL_ERROR, "Caller's language unavailable (%s), asking again\n", strerror(-rc));
		}
		/* First dial: ask for a language before anything else. */
		sess->cursor.node = e->tree->lang_node;
	}
	sess->cursor.page = 0;
	mono_now(&sess->last_active);
	LOGPS(sess, LOGL_INFO, "New dialog on %s, node %s\n", port->name, sess->cursor.node->id);
	if (rc >= 0 && !path_given(request) && resume_take(sess)) {
		if (session_offer_resume(sess, NULL) < 0) {
			sess->released = true;
			osmo_fsm_inst_term(fi, OSMO_FSM_TERM_ERROR, NULL);
			return NULL;
		}
		return sess;
	}
	if (is_form_node(sess->cursor.node) ? form_begin_rc(sess, notice) < 0
					    : session_send(sess, notice, false, NULL) < 0) {
		/* The port answers its peer itself when start fails. */
		sess->released = true;
		osmo_fsm_inst_term(fi, OSMO_FSM_TERM_ERROR, NULL);
		return NULL;
	}
	osmo_tdef_fsm_inst_state_chg(fi, USSD_ST_WAIT_USER, ussd_fsm_timeouts, e->tdefs, 60);
	return sess;
}

void ussd_session_input(struct ussd_session *sess, const char *text)
{
	osmo_fsm_inst_dispatch(sess->fi, USSD_EV_INPUT, (void *)text);
}

void ussd_session_abort(struct ussd_session *sess, const char *why)
{
	osmo_fsm_inst_dispatch(sess->fi, USSD_EV_ABORT, (void *)why);
}

void *ussd_session_port_data(const struct ussd_session *sess)
{
	return sess->port_data;
}

struct ussd_port *ussd_session_port(const struct ussd_session *sess)
{
	return sess->port;
}
