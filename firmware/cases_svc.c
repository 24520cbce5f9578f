/* The cases service (issue 4, docs/cases.md): complaints and callback requests by SMS, hotline staff
 * commands from roster numbers, status queries, routing and escalation on one deadline timer.
 *
 * SMS texts arrive through the SMS layer's text hook (sms_set_text_hook), which runs inside the
 * received message's store transaction: the case rows, their events and the reply to the sender
 * commit together with the message. Everything else this service sends (the staff notification, a
 * staff reply relayed to the reporter, "your case was claimed", early-warning alerts) is queued with
 * sms_queue() inside the same transaction as the rows that cause it: both commit, or neither.
 * A staff notification the outbox gives up on comes back through the SMS layer's fail hook and
 * escalates the case to the next person, in the transaction that marks the part failed.
 *
 * Reporter-facing texts come from the content pack ([ui] keys sms_case_*, case_state_*, when_*:
 * docs/content-format.md), in the case's language; built-in English only when the pack lacks them.
 * Staff-facing texts (notifications, command answers: staff_*) come from the pack too, in the staff member's
 * language (the first of their roster languages the pack has, else the fallback), and so do the words put into
 * them (state, kind, category); the commands themselves (OK, R, DONE, INFO, ON, OFF) stay Latin.
 *
 * What is stored in clear, what is sealed: docs/cases.md section 1. The journal records ("case")
 * carry no personal data at all: case number, kind, category, country, language, channel, state,
 * event and time (docs/sync.md allows these; the sealed fields never leave the device this way).
 * Logs mask phone numbers and never carry complaint or reply texts. */
#include <errno.h>
#include <limits.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include <yordam/cases.h>
#include <yordam/cases_roster.h>
#include <yordam/cases_warn.h>
#include <yordam/log.h>
#include <yordam/menu.h>
#include <yordam/secret.h>
#include <yordam/sms.h>
#include <yordam/store.h>
#include <yordam/ussd.h>

#include "daemon.h"

/* Sealing domains (docs/cases.md section 1). The reporter's key is the SMS layer's "msisdn" hash. */
#define D_CASE_MSISDN "case-msisdn"
#define D_CASE_TEXT   "case-text"
#define D_CASE_EVENT  "case-event"

#define CASES_EXCERPT	 60 /* bytes of complaint text in a staff notification */
#define CASES_TEXT_MAX	 1600
#define CASES_PIN_TRIES	 5
#define CASES_PIN_LOCK	 86400
#define CASES_WAIT_RETRY 3600 /* nobody in the roster matches: look again in an hour */
#define CASES_TICK_MAX	 32   /* due cases handled per timer run */

#define LOGC(lvl, fmt, args...) LOGP(DMAIN, lvl, "cases: " fmt, ##args)

struct staff_key {
	uint8_t k[SECRET_HASH_LEN];
};

struct cases_svc {
	struct daemon *d;
	struct cases_roster *roster;
	struct cases_numgen *numgen;
	struct staff_key *staff_key; /* per roster index: secret_hash("staff", phone) */
	unsigned n_staff;
	struct osmo_timer_list timer;
	struct ussd_case_ops ops;
};

/* --- pure parts (also tested in test_cases_svc) --------------------------------------------------------- */

static const char *const kw_complaint[] = {"shikoyat", "шикоят", "шикоять", "жалоба", "complaint", NULL};
static const char *const kw_status[] = {"holat", "ҳолат", "холат", "статус", "status", NULL};
static const char *const kw_callback[] = {"qo'ng'iroq", "қўнғироқ", "звонок", "перезвоните", "callback", NULL};
static const char *const *const kw_lists[CASES_KW_N] = {
	[CASES_KW_COMPLAINT] = kw_complaint,
	[CASES_KW_STATUS] = kw_status,
	[CASES_KW_CALLBACK] = kw_callback,
};

int cases_svc_keyword(const char *text, size_t *consumed)
{
	char word[64], norm[64], kn[64];
	size_t i = 0, start, wl;
	unsigned k, j;

	while (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r') {
		i++;
	}
	start = i;
	while (text[i] && text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r' &&
	       !(text[i] >= '0' && text[i] <= '9')) {
		i++;
	}
	wl = i - start;
	if (!wl || wl >= sizeof(word)) {
		return -ENOENT;
	}
	memcpy(word, text + start, wl);
	word[wl] = '\0';
	if (!sms_kw_norm(word, wl, norm, sizeof(norm))) {
		return -ENOENT;
	}
	for (k = 0; k < CASES_KW_N; k++) {
		for (j = 0; kw_lists[k][j]; j++) {
			if (sms_kw_norm(kw_lists[k][j], strlen(kw_lists[k][j]), kn, sizeof(kn)) && !strcmp(norm, kn)) {
				if (consumed) {
					*consumed = i;
				}
				return (int)k;
			}
		}
	}
	return -ENOENT;
}

/* Built-in English, used only when the content pack lacks a text in every language. */
static const char *const builtin_en[_NUM_MENU_UI_ALL] = {
	[MENU_UI_SMS_FILED] =
		("Yordam: your complaint is case {case}. PIN {pin} (to ask from another phone). We keep it "
		 "encrypted and share it only with the hotline. Status: STATUS {digits}"),
	[MENU_UI_SMS_CALLBACK] = "Yordam: we will call you back. Case {case}.",
	[MENU_UI_SMS_NEED_TEXT] =
		"Yordam: write COMPLAINT and what happened, e.g. COMPLAINT 1 my employer does not pay.",
	[MENU_UI_SMS_STATUS] = "Yordam: case {case}: {status}.",
	[MENU_UI_SMS_UNKNOWN] = "Yordam: unknown case or wrong PIN.",
	[MENU_UI_SMS_MISTYPED] = "Yordam: this case number is mistyped, check it.",
	[MENU_UI_SMS_REPLY] = "Yordam {case}:",
	[MENU_UI_SMS_CLAIMED] = "Yordam: case {case} is being handled by the hotline.",
	[MENU_UI_SMS_CLOSED] = "Yordam: case {case} is closed. To file a new one: COMPLAINT and your text.",
	[MENU_UI_SMS_EXPECT] = "Yordam: case {case}: nobody is on duty now; a staff member will contact you {when}.",
	[MENU_UI_STATE_RECEIVED] = "received",
	[MENU_UI_STATE_WORKING] = "in progress",
	[MENU_UI_STATE_ANSWERED] = "answered",
	[MENU_UI_STATE_CLOSED] = "closed",
	[MENU_UI_WHEN_SOON] = "as soon as possible",
	[MENU_UI_WHEN_HOURS] = "in about {hours} h",
	[MENU_UI_STAFF_NEW] =
		"Yordam case {case}: {category}, {country}, {lang}{escalated}: {excerpt}. Reply OK {digits}",
	[MENU_UI_STAFF_ESCALATED] = "(escalated)",
	[MENU_UI_STAFF_CALLBACK] = "Yordam case {case}: CALLBACK, {country}, {lang}. Call {phone}. Reply OK {digits}",
	[MENU_UI_STAFF_REMIND] = "Yordam: case {case} still waits for your reply (R {case} ...).",
	[MENU_UI_STAFF_TOOK_OVER] = "Yordam: {name} took over case {case}.",
	[MENU_UI_STAFF_DUTY] = "Yordam: {mode} until {until}.",
	[MENU_UI_STAFF_NO_CASE] = "Yordam: no case {case}.",
	[MENU_UI_STAFF_TAKEN] = "Yordam: case {case} is {name}'s.",
	[MENU_UI_STAFF_SOMEONE] = "someone else",
	[MENU_UI_STAFF_STATE] = "Yordam: case {case} is {state}.",
	[MENU_UI_STAFF_INFO] =
		"Yordam case {case}: {kind}, {category}, {country}, {lang}, {state}, escalations {escalations}{text}",
	[MENU_UI_STAFF_YOURS] = "Yordam: case {case} is yours.",
	[MENU_UI_STAFF_REPLIED] = "Yordam: case {case} reply sent.",
	[MENU_UI_STAFF_CLOSED] = "Yordam: case {case} closed.",
	[MENU_UI_STAFF_ALERT] = "Yordam alert: {count} {category} complaints, {country}, {employer}, within {window}. "
				"Latest: case {case} (INFO {case}).",
	[MENU_UI_STAFF_EMPLOYER] = "employer '{employer}'",
	[MENU_UI_STAFF_NO_EMPLOYER] = "employer not given",
	[MENU_UI_STAFF_DAYS] = "{n} days",
	[MENU_UI_STAFF_HOURS] = "{n} hours",
	[MENU_UI_STAFF_ERR_TOO_LONG] = "Yordam: message too long. Shorten the text and send it again.",
	[MENU_UI_STAFF_ERR_UNREADABLE] = "Yordam: the message could not be read. Send it again.",
	[MENU_UI_STAFF_ERR_NO_CASE] =
		"Yordam: case number missing. Write it after the command: OK <case>, R <case> <text>",
	[MENU_UI_STAFF_ERR_BAD_CASE] =
		"Yordam: a case number has 7 digits, e.g. OK 123 4566. Check the number and send again.",
	[MENU_UI_STAFF_ERR_CHECK_DIGIT] =
		"Yordam: case number mistyped (check digit wrong). Check the number and send again.",
	[MENU_UI_STAFF_ERR_NO_TEXT] = "Yordam: reply text missing. Write: R <case> <text>",
	[MENU_UI_STAFF_ERR_TRAILING] = "Yordam: unexpected text after the command. Only R and DONE take a text; "
				       "send one command per SMS.",
	[MENU_UI_STAFF_STATE_NEW] = "new",
	[MENU_UI_STAFF_STATE_NOTIFIED] = "notified",
	[MENU_UI_STAFF_STATE_CLAIMED] = "claimed",
	[MENU_UI_STAFF_STATE_ANSWERED] = "answered",
	[MENU_UI_STAFF_STATE_CLOSED] = "closed",
	[MENU_UI_STAFF_KIND_COMPLAINT] = "complaint",
	[MENU_UI_STAFF_KIND_CALLBACK] = "callback",
};
_Static_assert(MENU_UI_STAFF_STATE_CLOSED - MENU_UI_STAFF_STATE_NEW == CASES_ST_CLOSED - CASES_ST_NEW &&
		       CASES_ST_MIN == CASES_ST_NEW && CASES_ST_MAX == CASES_ST_CLOSED,
	       "one staff_state_* text per case state, in order");

const char *cases_svc_builtin(enum menu_ui k)
{
	return (unsigned)k < _NUM_MENU_UI_ALL ? builtin_en[k] : NULL;
}

int cases_svc_cmd_err_text(enum cases_cmd_err err)
{
	switch (err) {
	case CASES_CMD_E_TOO_LONG:
		return MENU_UI_STAFF_ERR_TOO_LONG;
	case CASES_CMD_E_UTF8:
		return MENU_UI_STAFF_ERR_UNREADABLE;
	case CASES_CMD_E_NO_CASE:
		return MENU_UI_STAFF_ERR_NO_CASE;
	case CASES_CMD_E_BAD_CASE:
		return MENU_UI_STAFF_ERR_BAD_CASE;
	case CASES_CMD_E_CHECK_DIGIT:
		return MENU_UI_STAFF_ERR_CHECK_DIGIT;
	case CASES_CMD_E_NO_TEXT:
		return MENU_UI_STAFF_ERR_NO_TEXT;
	case CASES_CMD_E_TRAILING:
		return MENU_UI_STAFF_ERR_TRAILING;
	default:
		/* OK is no error; EMPTY and UNKNOWN are not commands: the text goes on like anyone's */
		return -ENOENT;
	}
}

const char *cases_svc_ui_text(const struct menu_tree *t, int li, enum menu_ui k)
{
	if (t && li >= 0 && (unsigned)li < t->n_lang && t->ui[k][li]) {
		return t->ui[k][li];
	}
	if (t && t->ui[k][t->fallback]) {
		return t->ui[k][t->fallback];
	}
	return builtin_en[k] ? builtin_en[k] : "";
}

static const char *ui_text_at(const struct cases_svc *cs, int li, enum menu_ui k)
{
	return cases_svc_ui_text(cs->d->tree, li, k);
}

/* A reporter-facing text in lang (a pack language code), else the pack's fallback language, else built-in. */
static const char *ui_text(const struct cases_svc *cs, const char *lang, enum menu_ui k)
{
	const struct menu_tree *t = cs->d->tree;

	return ui_text_at(cs, t && lang ? menu_lang_index(t, lang) : -ENOENT, k);
}

/* The pack language staff member i reads: the first of their roster languages the pack has (a tag without a
 * subtag, "uz", takes the pack's first "uz-..."), else the pack's fallback language; -1 without a pack. */
static int staff_lang(const struct cases_svc *cs, unsigned i)
{
	const struct menu_tree *t = cs->d->tree;
	const char *tag;
	unsigned k, l;

	if (!t) {
		return -1;
	}
	for (k = 0; (tag = cases_roster_language(cs->roster, i, k)); k++) {
		size_t n = strlen(tag);

		for (l = 0; l < t->n_lang && l < MENU_MAX_LANG; l++) {
			const char *code = t->lang_code[l];

			if (code && (!strcasecmp(code, tag) ||
				     (!strchr(tag, '-') && !strncasecmp(code, tag, n) && code[n] == '-'))) {
				return (int)l;
			}
		}
	}
	return (int)t->fallback;
}

/* The language code of pack language li (an SMS in it is queued with it). */
static const char *lang_code(const struct menu_tree *t, int li)
{
	return t && li >= 0 && (unsigned)li < t->n_lang && t->lang_code[li] ? t->lang_code[li] : "en";
}

static const char *staff_code(const struct cases_svc *cs, int li)
{
	return lang_code(cs->d->tree, li);
}

const char *cases_svc_staff_category(const struct menu_tree *t, int li, int category, const char *unknown)
{
	const char *code = lang_code(t, li);
	const char *label = cases_category_label(category);

	if (!label) {
		return unknown;
	}
	if (t && li >= 0 && (unsigned)li < t->n_lang && strncasecmp(code, "en", 2) != 0 &&
	    t->ui[MENU_UI_CASE_CAT1 + category - CASES_CAT_MIN][li]) {
		return t->ui[MENU_UI_CASE_CAT1 + category - CASES_CAT_MIN][li];
	}
	return label;
}

/* A case's state and kind as staff read them ({state}, {kind}). */
static const char *staff_state_word(const struct cases_svc *cs, int li, int state)
{
	if (state < CASES_ST_MIN || state > CASES_ST_MAX) {
		return "?";
	}
	return ui_text_at(cs, li, (enum menu_ui)(MENU_UI_STAFF_STATE_NEW + state - CASES_ST_MIN));
}

static const char *staff_kind_word(const struct cases_svc *cs, int li, int kind)
{
	return ui_text_at(cs, li,
			  kind == CASES_KIND_CALLBACK ? MENU_UI_STAFF_KIND_CALLBACK : MENU_UI_STAFF_KIND_COMPLAINT);
}

struct tvar {
	const char *name, *value;
};

/* tmpl with each {name} of vars replaced by its value (no printf with a run-time format); an unknown {...} is
 * kept as it is (content validate refuses such texts). */
static char *fill(void *ctx, const char *tmpl, const struct tvar *vars, unsigned n)
{
	char *out = talloc_strdup(ctx, "");
	const char *p = tmpl;

	while (out && *p) {
		const char *q = strchr(p, '{');
		unsigned i;

		if (!q) {
			return talloc_strdup_append(out, p);
		}
		out = talloc_strndup_append(out, p, (size_t)(q - p));
		for (i = 0; out && i < n; i++) {
			size_t l = strlen(vars[i].name);

			if (!strncmp(q + 1, vars[i].name, l) && q[1 + l] == '}') {
				out = talloc_strdup_append(out, vars[i].value ? vars[i].value : "");
				p = q + l + 2;
				break;
			}
		}
		if (out && i == n) {
			out = talloc_strndup_append(out, q, 1);
			p = q + 1;
		}
	}
	return out;
}

/* The text k in lang with {case} (grouped case number) filled in. */
static char *case_text(void *ctx, const struct cases_svc *cs, const char *lang, enum menu_ui k, const char *nog)
{
	const struct tvar v[] = {{"case", nog}};

	return fill(ctx, ui_text(cs, lang, k), v, 1);
}

/* Staff text k in the pack's language li with vars filled in. */
static char *staff_text(void *ctx, const struct cases_svc *cs, int li, enum menu_ui k, const struct tvar *vars,
			unsigned n)
{
	return fill(ctx, ui_text_at(cs, li, k), vars, n);
}

/* "in about N h" (N rounded up, at least 1): when the reporter can expect contact. Hours from now, not a clock
 * time: the reporter and the staff may be time zones apart. */
static char *in_hours(const struct cases_svc *cs, void *ctx, const char *lang, int64_t secs)
{
	char hours[24];
	const struct tvar hv[] = {{"hours", hours}};

	snprintf(hours, sizeof(hours), "%" PRId64, secs > 0 ? (secs + 3599) / 3600 : 1);
	return fill(ctx, ui_text(cs, lang, MENU_UI_WHEN_HOURS), hv, 1);
}

static const char *pub_status(const struct cases_svc *cs, const char *lang, int state)
{
	static const enum menu_ui words[] = {MENU_UI_STATE_RECEIVED, MENU_UI_STATE_WORKING, MENU_UI_STATE_ANSWERED,
					     MENU_UI_STATE_CLOSED};
	int p = cases_state_public(state);

	return ui_text(cs, lang, words[p >= 0 && p <= 3 ? p : 0]);
}

/* The first n bytes of s cut at a UTF-8 character boundary, newlines as spaces. */
char *cases_svc_excerpt(void *ctx, const char *s, size_t n)
{
	size_t len = strlen(s), i;
	char *out;

	if (len > n) {
		len = n;
		while (len && ((unsigned char)s[len] & 0xc0) == 0x80) {
			len--;
		}
	}
	out = talloc_strndup(ctx, s, len);
	for (i = 0; out && out[i]; i++) {
		if (out[i] == '\n' || out[i] == '\r' || out[i] == '\t') {
			out[i] = ' ';
		}
	}
	return out;
}

/* --- helpers --------------------------------------------------------------------------------------------- */

static int64_t now_s(void)
{
	struct timeval tv;

	osmo_gettimeofday(&tv, NULL);
	return tv.tv_sec;
}

static void mask(const char *number, char *out, size_t len)
{
	sms_mask_number(number, 3, out, len);
}

static void fmt_number(uint32_t number, bool grouped, char out[CASES_NUMBER_STRLEN])
{
	if (cases_number_format(number, grouped, out) < 0) {
		osmo_strlcpy(out, "?", CASES_NUMBER_STRLEN);
	}
}

/* Queue an SMS inside the current transaction (sms_queue): it commits or vanishes with the rows that cause it.
 * A number that opted out (STOP; staff messages are sent anyway) or cannot be sent to is logged and skipped
 * (0, *id = 0). */
static int queue_sms(struct cases_svc *cs, const char *number, const char *body, const char *lang, bool staff,
		     int64_t *id)
{
	int64_t first = 0;
	char m[32];
	int rc;

	if (!body) {
		return -ENOMEM;
	}
	rc = sms_queue(cs->d->sms, number, body, lang, SMS_SEND_NO_CAP | (staff ? SMS_SEND_DIRECT : 0), &first);
	if (id) {
		*id = rc > 0 ? first : 0;
	}
	if (rc == -EPERM || rc == -EINVAL) {
		mask(number, m, sizeof(m));
		LOGC(LOGL_NOTICE, "not sending to %s: %s\n", m,
		     rc == -EPERM ? "opted out (STOP)" : "not a number or text that can be sent");
		return 0;
	}
	return rc < 0 ? rc : 0;
}

static int journal(struct cases_svc *cs, const struct store_case *c, int event, int64_t now)
{
	char body[256];
	uint64_t seq;
	int rc;

	/* No personal data: see the head of this file. */
	snprintf(body, sizeof(body),
		 "{\"number\":%" PRIu32 ",\"kind\":%d,\"category\":%d,\"country\":\"%s\",\"lang\":\"%s\","
		 "\"channel\":%d,\"state\":%d,\"event\":\"%s\",\"at\":%" PRId64 "}",
		 c->number, c->kind, c->category, c->country, c->lang, c->channel, c->state,
		 event < 0 ? "filed" : cases_event_name(event), now);
	rc = store_journal_append(cs->d->store, "case", now, body, true, &seq);
	if (rc == 0) {
		/* retention of this case waits for the platform's acknowledgement of seq */
		rc = store_case_journaled(cs->d->store, c->id, (int64_t)seq);
	}
	if (rc < 0) {
		LOGC(LOGL_ERROR, "journal: cannot record case event: %s\n", strerror(-rc));
	}
	return rc;
}

static int event_add(struct cases_svc *cs, void *tmp, const struct store_case *c, int ev, unsigned actor,
		     const uint8_t *staff_key, const char *text, size_t text_len, int64_t now, int64_t sms_out)
{
	struct store_case_event e = {
		.case_id = c->id, .at = now, .event = ev, .actor = actor, .staff_key = staff_key, .sms_out = sms_out};
	int rc;

	if (text && text_len) {
		e.text_enc = secret_seal_talloc(tmp, cs->d->secret, D_CASE_EVENT, text, text_len, &e.text_enc_len);
		if (!e.text_enc) {
			return -ENOMEM;
		}
	}
	rc = journal(cs, c, ev, now);
	return rc < 0 ? rc : store_case_event_add(cs->d->store, &e, NULL);
}

static int staff_index_by_key(const struct cases_svc *cs, const uint8_t *key)
{
	unsigned i;

	for (i = 0; key && i < cs->n_staff; i++) {
		if (!memcmp(cs->staff_key[i].k, key, SECRET_HASH_LEN)) {
			return (int)i;
		}
	}
	return -ENOENT;
}

static uint64_t tried_get(const struct store_case *c)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; c->tried && i < c->tried_len && i < 8; i++) {
		v |= (uint64_t)((const uint8_t *)c->tried)[i] << (8 * i);
	}
	return v;
}

static void tried_set(void *tmp, struct store_case *c, uint64_t v)
{
	uint8_t *b = talloc_array(tmp, uint8_t, 8);
	unsigned i;

	if (!b) {
		return;
	}
	for (i = 0; i < 8; i++) {
		b[i] = (uint8_t)(v >> (8 * i));
	}
	c->tried = b;
	c->tried_len = 8;
}

static int overrides(struct cases_svc *cs, struct cases_override *ov)
{
	unsigned i;

	for (i = 0; i < cs->n_staff; i++) {
		int mode;
		int64_t until;
		int rc = store_staff_state_get(cs->d->store, cs->staff_key[i].k, &mode, &until);

		ov[i].mode = CASES_DUTY_SCHEDULE;
		ov[i].until = 0;
		if (rc == 0) {
			ov[i].mode = (enum cases_duty_mode)mode;
			ov[i].until = until;
		} else if (rc != -ENOENT) {
			return rc;
		}
	}
	return 0;
}

/* --- routing (inside a transaction) ---------------------------------------------------------------------- */

static int route_case(struct cases_svc *cs, void *tmp, struct store_case *c, int64_t now)
{
	struct cases_override ov[CASES_ROSTER_MAX];
	struct cases_attrs a = {.kind = c->kind, .category = c->category, .language = c->lang};
	struct cases_route r;
	uint64_t tried = tried_get(c);
	int64_t last = -1;
	char no[CASES_NUMBER_STRLEN], nog[CASES_NUMBER_STRLEN], *text = NULL, *body, *who = NULL;
	enum cases_state to;
	unsigned actions;
	int64_t out = 0;
	int rc, li;

	memcpy(a.country, c->country, 3);
	rc = overrides(cs, ov);
	if (rc < 0) {
		return rc;
	}
	if (store_cases_meta_get(cs->d->store, "rr_last", &last) < 0) {
		last = -1;
	}
	rc = cases_route(cs->roster, ov, &a, now, (int)last, tried, &r);
	if (rc < 0) {
		return rc;
	}
	fmt_number(c->number, false, no);
	fmt_number(c->number, true, nog);
	if (r.result != CASES_ROUTE_ASSIGN) {
		bool tell = !c->expect_at;

		c->route_at = r.result == CASES_ROUTE_WAIT && r.expect_at > now ? r.expect_at : now + CASES_WAIT_RETRY;
		c->expect_at = r.result == CASES_ROUTE_WAIT ? r.expect_at : -1;
		c->updated = now;
		LOGC(LOGL_NOTICE, "case %s: nobody %s, waiting until %" PRId64 "\n", no,
		     r.result == CASES_ROUTE_WAIT ? "on duty" : "in the roster matches", c->route_at);
		if (tell && c->reporter_enc && c->expect_at > 0) {
			struct tvar v[] = {{"case", nog}, {"when", in_hours(cs, tmp, c->lang, c->expect_at - now)}};

			who = secret_open_str(tmp, cs->d->secret, D_CASE_MSISDN, c->reporter_enc, c->reporter_enc_len);
			if (!who || !v[1].value) {
				return -ENOMEM;
			}
			rc = queue_sms(cs, who, fill(tmp, ui_text(cs, c->lang, MENU_UI_SMS_EXPECT), v, 2), c->lang,
				       false, NULL);
			if (rc < 0) {
				return rc;
			}
		}
		return store_case_update(cs->d->store, c);
	}
	if (r.wrapped) {
		tried = 0;
	}
	rc = cases_fsm_step(c->state, CASES_EV_NOTIFIED, CASES_ACT_SYSTEM, &to, &actions);
	if (rc < 0) {
		return rc;
	}
	if (c->text_enc) {
		text = secret_open_str(tmp, cs->d->secret, D_CASE_TEXT, c->text_enc, c->text_enc_len);
	}
	li = staff_lang(cs, (unsigned)r.staff);
	if (c->kind == CASES_KIND_CALLBACK) {
		who = c->reporter_enc
			      ? secret_open_str(tmp, cs->d->secret, D_CASE_MSISDN, c->reporter_enc, c->reporter_enc_len)
			      : NULL;
		{
			const struct tvar v[] = {{"case", nog},
						 {"country", c->country},
						 {"lang", c->lang},
						 {"phone", who ? who : "?"},
						 {"digits", no}};

			body = staff_text(tmp, cs, li, MENU_UI_STAFF_CALLBACK, v, ARRAY_SIZE(v));
		}
	} else {
		/* the excerpt: the complaint's text (SMS), else the city or employer typed in the form (USSD) */
		if (!text && c->employer_enc) {
			text = secret_open_str(tmp, cs->d->secret, "case-employer", c->employer_enc,
					       c->employer_enc_len);
		}
		{
			const struct tvar v[] = {
				{"case", nog},
				{"category", cases_svc_staff_category(cs->d->tree, li, c->category, "other")},
				{"country", c->country},
				{"lang", c->lang},
				{"escalated",
				 c->escalations
					 ? talloc_asprintf(tmp, " %s", ui_text_at(cs, li, MENU_UI_STAFF_ESCALATED))
					 : ""},
				{"excerpt", text ? cases_svc_excerpt(tmp, text, CASES_EXCERPT) : "-"},
				{"digits", no}};

			body = v[4].value && v[5].value ? staff_text(tmp, cs, li, MENU_UI_STAFF_NEW, v, ARRAY_SIZE(v))
							: NULL;
		}
	}
	if (!body) {
		return -ENOMEM;
	}
	rc = queue_sms(cs, cases_roster_phone(cs->roster, (unsigned)r.staff), body, staff_code(cs, li), true, &out);
	if (rc < 0) {
		return rc;
	}
	c->state = to;
	c->route_at = 0;
	c->claim_deadline = now + cs->d->cfg->cases.claim_timeout;
	c->updated = now;
	tried_set(tmp, c, tried | (1ull << r.staff));
	rc = store_case_update(cs->d->store, c);
	if (rc == 0) {
		rc = store_cases_meta_put(cs->d->store, "rr_last", r.staff);
	}
	if (rc == 0) {
		rc = event_add(cs, tmp, c, CASES_EV_NOTIFIED, CASES_ACT_SYSTEM, cs->staff_key[r.staff].k, NULL, 0, now,
			       out);
	}
	LOGC(LOGL_INFO, "case %s: notified %s%s\n", no, cases_roster_name(cs->roster, (unsigned)r.staff),
	     r.fallback ? " (supervisor fallback)" : "");
	return rc;
}

/* A notified case goes to the next person: not claimed in time, or its notification could not be sent. */
static int escalate(struct cases_svc *cs, void *tmp, struct store_case *c, enum cases_event ev, int64_t now)
{
	enum cases_state to;
	unsigned actions;
	char no[CASES_NUMBER_STRLEN];
	int rc;

	fmt_number(c->number, true, no);
	rc = cases_fsm_step(c->state, ev, CASES_ACT_SYSTEM, &to, &actions);
	if (rc < 0) {
		c->claim_deadline = 0;
		return store_case_update(cs->d->store, c);
	}
	c->state = to;
	c->claim_deadline = 0;
	c->escalations++;
	LOGC(LOGL_NOTICE, "case %s: %s, escalating (%d)\n", no,
	     ev == CASES_EV_CLAIM_TIMEOUT ? "not claimed in time" : "its notification could not be sent",
	     c->escalations);
	rc = event_add(cs, tmp, c, ev, CASES_ACT_SYSTEM, NULL, NULL, 0, now, 0);
	return rc < 0 ? rc : route_case(cs, tmp, c, now);
}

/* One due case: route a waiting one, escalate an unclaimed one, remind about an unanswered one. */
static int due_case(struct cases_svc *cs, void *tmp, struct store_case *c, int64_t now)
{
	char no[CASES_NUMBER_STRLEN];
	int rc, owner;

	fmt_number(c->number, true, no);
	if (c->state == CASES_ST_NEW) {
		return route_case(cs, tmp, c, now);
	}
	if (c->state == CASES_ST_NOTIFIED && c->claim_deadline && c->claim_deadline <= now) {
		return escalate(cs, tmp, c, CASES_EV_CLAIM_TIMEOUT, now);
	}
	if (c->answer_deadline && c->answer_deadline <= now) {
		owner = staff_index_by_key(cs, c->assignee_key);
		c->answer_deadline = now + cs->d->cfg->cases.answer_timeout;
		c->updated = now;
		if (owner >= 0) {
			const struct tvar v[] = {{"case", no}};
			int li = staff_lang(cs, (unsigned)owner);

			rc = queue_sms(cs, cases_roster_phone(cs->roster, (unsigned)owner),
				       staff_text(tmp, cs, li, MENU_UI_STAFF_REMIND, v, ARRAY_SIZE(v)),
				       staff_code(cs, li), true, NULL);
			if (rc < 0) {
				return rc;
			}
		}
		rc = event_add(cs, tmp, c, CASES_EV_ANSWER_TIMEOUT, CASES_ACT_SYSTEM, NULL, NULL, 0, now, 0);
		return rc < 0 ? rc : store_case_update(cs->d->store, c);
	}
	/* a deadline that no longer applies to this state */
	c->claim_deadline = c->state == CASES_ST_NOTIFIED ? c->claim_deadline : 0;
	c->route_at = 0;
	c->updated = now;
	return store_case_update(cs->d->store, c);
}

static void arm(struct cases_svc *cs)
{
	int64_t t, now = now_s();

	if (store_case_next_deadline(cs->d->store, &t) < 0) {
		osmo_timer_del(&cs->timer);
		return;
	}
	osmo_timer_schedule(&cs->timer, t > now ? t - now : 0, 0);
}

static void timer_cb(void *data)
{
	struct cases_svc *cs = data;
	unsigned n;
	int rc;

	for (n = 0; n < CASES_TICK_MAX; n++) {
		void *tmp = talloc_new(cs);
		struct store_case c;
		int64_t now = now_s();

		if (!tmp) {
			break;
		}
		rc = store_begin(cs->d->store);
		if (rc == 0) {
			rc = store_case_due(cs->d->store, now, tmp, &c);
			if (rc == 0) {
				rc = due_case(cs, tmp, &c, now);
			}
			if (rc == 0) {
				rc = store_commit(cs->d->store);
			} else {
				store_rollback(cs->d->store);
			}
		}
		talloc_free(tmp);
		if (rc < 0) {
			if (rc != -ENOENT) {
				LOGC(LOGL_ERROR, "deadline handling failed: %s\n", strerror(-rc));
				osmo_timer_schedule(&cs->timer, 5, 0);
				return;
			}
			break;
		}
	}
	arm(cs);
}

/* The outbox gave up on a part (sms_set_fail_hook; inside its transaction): when it belongs to the latest
 * notification of a case still waiting for a claim, the case goes to the next person now. */
static int notify_failed(void *data, int64_t out_id)
{
	struct cases_svc *cs = data;
	struct store_case c;
	int64_t id;
	void *tmp;
	int rc = store_case_by_sms_out(cs->d->store, out_id, &id);

	if (rc == -ENOENT) {
		return 0;
	}
	if (rc < 0) {
		return rc;
	}
	tmp = talloc_new(cs);
	if (!tmp) {
		return -ENOMEM;
	}
	rc = store_case_get_id(cs->d->store, id, tmp, &c);
	if (rc == 0 && c.state == CASES_ST_NOTIFIED) {
		rc = escalate(cs, tmp, &c, CASES_EV_NOTIFY_FAILED, now_s());
		osmo_timer_schedule(&cs->timer, 0, 0); /* re-arm on the new deadline */
		if (rc < 0) {
			/* Never hold up the outbox's results for this: the case keeps its claim deadline, which
			 * escalates it later (a failing store fails the outbox's commit anyway). */
			LOGC(LOGL_ERROR, "case %" PRId64 ": cannot escalate after a failed notification: %s\n", id,
			     strerror(-rc));
			rc = 0;
		}
	}
	talloc_free(tmp);
	return rc == -ENOENT ? 0 : rc;
}

/* --- early warning (docs/cases.md section 6): counted in the store, inside the complaint's transaction ----- */

/* The complaint's key: the keyed hash of category, country and the normalised employer (norm, "" if none). */
static int warn_key(struct cases_svc *cs, const struct store_case *c, const char *detail,
		    char norm[CASES_EMPLOYER_KEY_MAX + 1], uint8_t key[SECRET_HASH_LEN])
{
	char ident[64];

	norm[0] = '\0';
	if (detail && cases_employer_normalise(detail, strlen(detail), norm) < 0) {
		norm[0] = '\0';
	}
	snprintf(ident, sizeof(ident), "%d:%s:%s", c->category, c->country, norm);
	return secret_hash(cs->d->secret, "case-warn", ident, key);
}

/* The early-warning alert in the pack's language li: n complaints like c (employer norm, "" if none) within
 * window seconds. */
static char *alert_text(struct cases_svc *cs, void *tmp, int li, const struct store_case *c, const char *norm, long n,
			int64_t window)
{
	char count[24], num[24], nog[CASES_NUMBER_STRLEN];
	const struct tvar nv[] = {{"n", num}}, ev[] = {{"employer", norm}};
	const char *span, *employer;

	snprintf(count, sizeof(count), "%ld", n);
	if (window % 86400 == 0) {
		snprintf(num, sizeof(num), "%" PRId64, window / 86400);
		span = staff_text(tmp, cs, li, MENU_UI_STAFF_DAYS, nv, ARRAY_SIZE(nv));
	} else {
		snprintf(num, sizeof(num), "%" PRId64, (window + 3599) / 3600);
		span = staff_text(tmp, cs, li, MENU_UI_STAFF_HOURS, nv, ARRAY_SIZE(nv));
	}
	employer = *norm ? staff_text(tmp, cs, li, MENU_UI_STAFF_EMPLOYER, ev, ARRAY_SIZE(ev))
			 : ui_text_at(cs, li, MENU_UI_STAFF_NO_EMPLOYER);
	fmt_number(c->number, true, nog);
	if (!span || !employer) {
		return NULL;
	}
	{
		const struct tvar v[] = {{"count", count},
					 {"category", cases_svc_staff_category(cs->d->tree, li, c->category, "other")},
					 {"country", c->country},
					 {"employer", employer},
					 {"window", span},
					 {"case", nog}};

		return staff_text(tmp, cs, li, MENU_UI_STAFF_ALERT, v, ARRAY_SIZE(v));
	}
}

/* After complaint c was stored: when its key has reached the threshold within the window and has not alerted
 * within the last window, record the alert and send it to the staff on duty (nobody on duty: the supervisors;
 * no supervisor: everyone), all in the complaint's transaction. */
static int warn_check(struct cases_svc *cs, void *tmp, const struct store_case *c, const char *norm, int64_t now)
{
	const int64_t window = cs->d->cfg->cases.warn_window;
	struct cases_override ov[CASES_ROSTER_MAX];
	char span[32], jbody[160];
	uint8_t *enc;
	size_t enc_len;
	int64_t last;
	long n;
	unsigned i, pass, sent = 0;
	int rc = store_case_warn_count(cs->d->store, c->warn_key, now - window, &n);

	if (rc < 0 || n < (long)cs->d->cfg->cases.warn_threshold) {
		return rc;
	}
	rc = store_case_alert_last(cs->d->store, c->warn_key, &last);
	if (rc < 0 && rc != -ENOENT) {
		return rc;
	}
	if (!cases_warn_due(n, cs->d->cfg->cases.warn_threshold, rc == 0, last, now, window)) {
		return 0; /* this key alerted within the window already */
	}
	enc = secret_seal_talloc(tmp, cs->d->secret, "case-employer", norm, strlen(norm), &enc_len);
	if (!enc) {
		return -ENOMEM;
	}
	rc = store_case_alert_add(cs->d->store, c->category, c->country, enc, enc_len, now, (int)n, c->warn_key);
	if (rc < 0) {
		return rc;
	}
	snprintf(jbody, sizeof(jbody),
		 "{\"category\":%d,\"country\":\"%s\",\"count\":%ld,\"window\":%" PRId64 ",\"at\":%" PRId64 "}",
		 c->category, c->country, n, window, now);
	rc = daemon_journal_append(cs->d, "alert", jbody, false);
	if (rc < 0) {
		return rc;
	}
	if (window % 86400 == 0) {
		snprintf(span, sizeof(span), "%" PRId64 " days", window / 86400);
	} else {
		snprintf(span, sizeof(span), "%" PRId64 " hours", (window + 3599) / 3600);
	}
	rc = overrides(cs, ov);
	for (pass = 0; rc == 0 && pass < 3 && !sent; pass++) {
		for (i = 0; rc == 0 && i < cs->n_staff; i++) {
			bool pick = pass == 0	? cases_on_duty(cs->roster, ov, i, now)
				    : pass == 1 ? cases_roster_supervisor(cs->roster, i)
						: true;

			if (pick) {
				int li = staff_lang(cs, i);

				rc = queue_sms(cs, cases_roster_phone(cs->roster, i),
					       alert_text(cs, tmp, li, c, norm, n, window), staff_code(cs, li), true,
					       NULL);
				sent++;
			}
		}
	}
	LOGC(LOGL_NOTICE, "early warning: %ld %s complaints in %s within %s: alert sent to %u staff\n", n,
	     cases_category_slug(c->category), c->country, span, sent);
	return rc;
}

/* --- reporters ------------------------------------------------------------------------------------------- */

struct intake_extra {
	int channel;	     /* 1 ussd, 2 sms, 3 missed call, 4 menu callback */
	const char *country; /* ISO alpha-2 or NULL ("ZZ") */
	const char *detail;  /* city / employer as typed, or NULL */
	const char *subject; /* proxy: the migrant's number, or NULL */
	const uint8_t *subject_key;
	bool proxy;
};

static int new_case(struct cases_svc *cs, void *tmp, const char *sender, const uint8_t key[32], int kind, int category,
		    const char *text, const char *lang, int64_t now, struct store_case *c, char pin[5],
		    const struct intake_extra *x)
{
	char ident[32], norm[CASES_EMPLOYER_KEY_MAX + 1];
	uint8_t *ph, *wk = NULL;
	uint64_t seq;
	uint16_t r;
	int rc;

	memset(c, 0, sizeof(*c));
	rc = store_case_next_seq(cs->d->store, &seq);
	if (rc < 0) {
		return rc;
	}
	rc = cases_number_from_seq(cs->numgen, seq, &c->number);
	if (rc < 0) {
		LOGC(LOGL_ERROR, "case numbers exhausted: raise the number generation (docs/cases.md)\n");
		return rc;
	}
	if (getrandom(&r, sizeof(r), 0) != sizeof(r)) {
		return -EIO;
	}
	snprintf(pin, 5, "%04u", (unsigned)(r % 10000));
	snprintf(ident, sizeof(ident), "%07" PRIu32 ":%s", c->number, pin);
	ph = talloc_array(tmp, uint8_t, SECRET_HASH_LEN);
	if (!ph || secret_hash(cs->d->secret, "case-pin", ident, ph) < 0) {
		return -ENOMEM;
	}
	c->id = (int64_t)seq + 1;
	c->kind = kind;
	c->category = category;
	memcpy(c->country, "ZZ", 3);
	if (x && x->country && strlen(x->country) == 2 && x->country[0] >= 'A' && x->country[0] <= 'Z' &&
	    x->country[1] >= 'A' && x->country[1] <= 'Z') {
		memcpy(c->country, x->country, 3);
	}
	c->lang = lang ? lang : "en";
	c->channel = x ? x->channel : 2;
	if (x && x->detail && *x->detail) {
		c->employer_enc = secret_seal_talloc(tmp, cs->d->secret, "case-employer", x->detail, strlen(x->detail),
						     &c->employer_enc_len);
		if (!c->employer_enc) {
			return -ENOMEM;
		}
	}
	if (x && x->proxy) {
		c->proxy = true;
		if (x->subject && x->subject_key) {
			c->subject_key = x->subject_key;
			c->subject_enc = secret_seal_talloc(tmp, cs->d->secret, "case-subject", x->subject,
							    strlen(x->subject), &c->subject_enc_len);
			if (!c->subject_enc) {
				return -ENOMEM;
			}
		}
	}
	c->state = CASES_ST_NEW;
	c->reporter_key = key;
	c->reporter_enc =
		secret_seal_talloc(tmp, cs->d->secret, D_CASE_MSISDN, sender, strlen(sender), &c->reporter_enc_len);
	if (text && *text) {
		c->text_enc = secret_seal_talloc(tmp, cs->d->secret, D_CASE_TEXT, text, strlen(text), &c->text_enc_len);
		if (!c->text_enc) {
			return -ENOMEM;
		}
	}
	if (!c->reporter_enc) {
		return -ENOMEM;
	}
	c->pin_hash = ph;
	c->pin_hash_len = SECRET_HASH_LEN;
	c->route_at = now; /* routed by the deadline timer, after this transaction commits */
	c->created = now;
	c->updated = now;
	if (kind == CASES_KIND_COMPLAINT) {
		wk = talloc_array(tmp, uint8_t, SECRET_HASH_LEN);
		if (!wk) {
			return -ENOMEM;
		}
		rc = warn_key(cs, c, x ? x->detail : NULL, norm, wk);
		if (rc < 0) {
			return rc;
		}
		c->warn_key = wk;
	}
	rc = store_case_add(cs->d->store, c);
	if (rc == 0) {
		rc = journal(cs, c, -1, now);
	}
	if (rc == 0 && wk) {
		rc = warn_check(cs, tmp, c, norm, now);
	}
	if (rc == 0) {
		osmo_timer_schedule(&cs->timer, 0, 0);
	}
	return rc;
}

/* "Your complaint is case ..., PIN ...". */
static char *filed_text(void *ctx, const struct cases_svc *cs, const char *lang, const struct store_case *c,
			const char *pin)
{
	char nog[CASES_NUMBER_STRLEN], no[CASES_NUMBER_STRLEN];
	const struct tvar v[] = {{"case", nog}, {"pin", pin}, {"digits", no}};

	fmt_number(c->number, true, nog);
	fmt_number(c->number, false, no);
	return fill(ctx, ui_text(cs, lang, MENU_UI_SMS_FILED), v, 3);
}

static int intake(struct cases_svc *cs, void *tmp, const char *sender, const uint8_t key[32], const char *rest,
		  const char *lang, char **reply)
{
	struct store_case c;
	char pin[5], nog[CASES_NUMBER_STRLEN], m[32];
	int category = CASES_CAT_OTHER, rc;

	while (*rest == ' ' || *rest == '\n' || *rest == '\t') {
		rest++;
	}
	if (rest[0] >= '1' && rest[0] <= '7' && (rest[1] == ' ' || rest[1] == '\n' || rest[1] == '.' || !rest[1])) {
		category = rest[0] - '0';
		rest += rest[1] ? 2 : 1;
		while (*rest == ' ' || *rest == '\n' || *rest == '\t') {
			rest++;
		}
	}
	if (!*rest) {
		*reply = talloc_strdup(tmp, ui_text(cs, lang, MENU_UI_SMS_NEED_TEXT));
		return SMS_HOOK_HANDLED;
	}
	if (strlen(rest) > CASES_TEXT_MAX) {
		rest = cases_svc_excerpt(tmp, rest, CASES_TEXT_MAX);
		if (!rest) {
			return -ENOMEM;
		}
	}
	rc = new_case(cs, tmp, sender, key, CASES_KIND_COMPLAINT, category, rest, lang, now_s(), &c, pin, NULL);
	if (rc < 0) {
		return rc;
	}
	fmt_number(c.number, true, nog);
	mask(sender, m, sizeof(m));
	LOGC(LOGL_NOTICE, "case %s filed by SMS from %s (%s, %s)\n", nog, m, cases_category_slug(category), c.lang);
	*reply = filed_text(tmp, cs, lang, &c, pin);
	return SMS_HOOK_HANDLED;
}

/* A callback request (channel 2 SMS, 3 missed call, 4 menu). With reply, the answer to an SMS; with ack (a missed
 * call, which has no reply), "we will call you back" is queued by SMS for a new request. */
static int callback(struct cases_svc *cs, void *tmp, const char *sender, const uint8_t key[32], const char *lang,
		    int channel, char **reply, bool ack)
{
	struct store_case c;
	char pin[5], nog[CASES_NUMBER_STRLEN], m[32];
	int64_t now = now_s(), id;
	int rc;

	mask(sender, m, sizeof(m));
	rc = store_case_beep_find(cs->d->store, key, now - (int64_t)cs->d->cfg->cases.beep_window, now, &id);
	if (rc == 0) {
		rc = store_case_get_id(cs->d->store, id, tmp, &c);
		if (rc < 0) {
			return rc;
		}
		LOGC(LOGL_INFO, "callback from %s: case already open\n", m);
		if (!reply) {
			return -EALREADY;
		}
	} else if (rc == -ENOENT) {
		struct intake_extra x = {.channel = channel};

		rc = new_case(cs, tmp, sender, key, CASES_KIND_CALLBACK, CASES_CAT_OTHER, NULL, lang, now, &c, pin, &x);
		if (rc < 0) {
			return rc;
		}
		LOGC(LOGL_NOTICE, "callback requested from %s\n", m);
		if (ack) {
			fmt_number(c.number, true, nog);
			rc = queue_sms(cs, sender, case_text(tmp, cs, lang, MENU_UI_SMS_CALLBACK, nog), lang, false,
				       NULL);
			if (rc < 0) {
				return rc;
			}
		}
	} else {
		return rc;
	}
	fmt_number(c.number, true, nog);
	if (reply) {
		*reply = case_text(tmp, cs, lang, MENU_UI_SMS_CALLBACK, nog);
	}
	return SMS_HOOK_HANDLED;
}

static int status(struct cases_svc *cs, void *tmp, const uint8_t key[32], const char *rest, const char *lang,
		  char **reply, bool *unknown)
{
	struct store_case c;
	char nog[CASES_NUMBER_STRLEN], ident[32], pin[8];
	uint8_t ph[SECRET_HASH_LEN];
	uint32_t number;
	size_t used = 0, len = strlen(rest), i, n = 0;
	unsigned nd;
	int64_t now = now_s();
	bool own;
	int rc;

	if (unknown) {
		*unknown = true;
	}
	rc = cases_number_scan(rest, len, &used, &nd, &number);
	if (rc == -EBADMSG) {
		*reply = talloc_strdup(tmp, ui_text(cs, lang, MENU_UI_SMS_MISTYPED));
		return SMS_HOOK_HANDLED;
	}
	if (rc < 0) {
		*reply = talloc_strdup(tmp, ui_text(cs, lang, MENU_UI_SMS_UNKNOWN));
		return SMS_HOOK_HANDLED;
	}
	for (i = used; i < len && n < sizeof(pin) - 1; i++) {
		if (rest[i] >= '0' && rest[i] <= '9') {
			pin[n++] = rest[i];
		} else if (rest[i] != ' ' && rest[i] != '\t' && rest[i] != '\n') {
			break;
		}
	}
	pin[n] = '\0';
	rc = store_case_get(cs->d->store, number, tmp, &c);
	if (rc == -ENOENT) {
		*reply = talloc_strdup(tmp, ui_text(cs, lang, MENU_UI_SMS_UNKNOWN));
		return SMS_HOOK_HANDLED;
	}
	if (rc < 0) {
		return rc;
	}
	own = (c.reporter_key && !memcmp(c.reporter_key, key, 32)) ||
	      (c.subject_key && !memcmp(c.subject_key, key, 32));
	if (!own) {
		if (n != 4 || !c.pin_hash || c.pin_hash_len != SECRET_HASH_LEN || c.pin_locked_until > now) {
			*reply = talloc_strdup(tmp, ui_text(cs, lang, MENU_UI_SMS_UNKNOWN));
			return SMS_HOOK_HANDLED;
		}
		snprintf(ident, sizeof(ident), "%07" PRIu32 ":%s", c.number, pin);
		rc = secret_hash(cs->d->secret, "case-pin", ident, ph);
		if (rc < 0) {
			return rc;
		}
		if (memcmp(ph, c.pin_hash, SECRET_HASH_LEN)) {
			c.pin_fails++;
			if (c.pin_fails >= CASES_PIN_TRIES) {
				c.pin_fails = 0;
				c.pin_locked_until = now + CASES_PIN_LOCK;
			}
			rc = store_case_update(cs->d->store, &c);
			*reply = talloc_strdup(tmp, ui_text(cs, lang, MENU_UI_SMS_UNKNOWN));
			return rc < 0 ? rc : SMS_HOOK_HANDLED;
		}
	}
	fmt_number(c.number, true, nog);
	if (unknown) {
		*unknown = false;
	}
	{
		const struct tvar v[] = {{"case", nog}, {"status", pub_status(cs, lang, c.state)}};

		*reply = fill(tmp, ui_text(cs, lang, MENU_UI_SMS_STATUS), v, 2);
	}
	return SMS_HOOK_HANDLED;
}

/* --- staff ----------------------------------------------------------------------------------------------- */

static int staff_cmd(struct cases_svc *cs, void *tmp, unsigned who, const struct cases_cmd *cmd, char **reply)
{
	const uint8_t *skey = cs->staff_key[who].k;
	struct store_case c;
	char nog[CASES_NUMBER_STRLEN], *reporter = NULL, *body;
	unsigned actors = CASES_ACT_STAFF, actions;
	enum cases_state to;
	enum cases_event ev;
	int64_t now = now_s();
	int rc, prev, li = staff_lang(cs, who);

	if (cmd->type == CASES_CMD_ON || cmd->type == CASES_CMD_OFF) {
		struct cases_override ov;
		struct cases_local l;
		const struct cases_tz *tz = cases_roster_tz(cs->roster, who);

		cases_override_for(cs->roster, who, cmd->type == CASES_CMD_ON ? CASES_DUTY_ON : CASES_DUTY_OFF, now,
				   cs->d->cfg->cases.on_max, &ov);
		rc = store_staff_state_put(cs->d->store, skey, ov.mode, ov.until);
		if (rc < 0) {
			return rc;
		}
		/* in the staff member's own time zone, as their duty hours are written */
		cases_tz_local(tz, ov.until, &l);
		{
			char until[64];
			const struct tvar v[] = {{"mode", cmd->type == CASES_CMD_ON ? "ON" : "OFF"}, {"until", until}};

			snprintf(until, sizeof(until), "%02d.%02d %02d:%02d %s", l.mday, l.month, l.hour, l.min,
				 cases_tz_name(tz) ?: "UTC");
			*reply = staff_text(tmp, cs, li, MENU_UI_STAFF_DUTY, v, ARRAY_SIZE(v));
		}
		LOGC(LOGL_INFO, "%s is %s\n", cases_roster_name(cs->roster, who),
		     cmd->type == CASES_CMD_ON ? "on" : "off");
		if (cmd->type == CASES_CMD_ON) {
			/* cases waiting for someone on duty go out now (routing decides who matches) */
			rc = store_case_route_now(cs->d->store, now, NULL);
			if (rc < 0) {
				return rc;
			}
			osmo_timer_schedule(&cs->timer, 0, 0);
		}
		return SMS_HOOK_HANDLED;
	}

	fmt_number(cmd->number, true, nog);
	rc = store_case_get(cs->d->store, cmd->number, tmp, &c);
	if (rc == -ENOENT) {
		const struct tvar v[] = {{"case", nog}};

		*reply = staff_text(tmp, cs, li, MENU_UI_STAFF_NO_CASE, v, ARRAY_SIZE(v));
		return SMS_HOOK_HANDLED;
	}
	if (rc < 0) {
		return rc;
	}
	if (cases_roster_supervisor(cs->roster, who)) {
		actors |= CASES_ACT_SUPERVISOR;
	}
	if (c.assignee_key && !memcmp(c.assignee_key, skey, SECRET_HASH_LEN)) {
		actors |= CASES_ACT_ASSIGNEE;
	}
	switch (cmd->type) {
	case CASES_CMD_CLAIM:
		ev = CASES_EV_CLAIM;
		break;
	case CASES_CMD_REPLY:
		ev = CASES_EV_REPLY;
		break;
	case CASES_CMD_DONE:
		ev = CASES_EV_CLOSE;
		break;
	default:
		ev = CASES_EV_INFO;
		break;
	}
	rc = cases_fsm_step(c.state, ev, actors, &to, &actions);
	if (rc == -EPERM) {
		prev = staff_index_by_key(cs, c.assignee_key);
		{
			const struct tvar v[] = {{"case", nog},
						 {"name", prev >= 0 ? cases_roster_name(cs->roster, (unsigned)prev)
								    : ui_text_at(cs, li, MENU_UI_STAFF_SOMEONE)}};

			*reply = staff_text(tmp, cs, li, MENU_UI_STAFF_TAKEN, v, ARRAY_SIZE(v));
		}
		return SMS_HOOK_HANDLED;
	}
	if (rc < 0) {
		const struct tvar v[] = {{"case", nog}, {"state", staff_state_word(cs, li, c.state)}};

		*reply = staff_text(tmp, cs, li, MENU_UI_STAFF_STATE, v, ARRAY_SIZE(v));
		return SMS_HOOK_HANDLED;
	}
	if (c.reporter_enc) {
		reporter = secret_open_str(tmp, cs->d->secret, D_CASE_MSISDN, c.reporter_enc, c.reporter_enc_len);
	}
	prev = staff_index_by_key(cs, c.assignee_key);
	if ((actions & CASES_DO_TELL_PREVIOUS) && prev >= 0 && (unsigned)prev != who) {
		const struct tvar v[] = {{"case", nog}, {"name", cases_roster_name(cs->roster, who)}};
		int pli = staff_lang(cs, (unsigned)prev);

		body = staff_text(tmp, cs, pli, MENU_UI_STAFF_TOOK_OVER, v, ARRAY_SIZE(v));
		rc = queue_sms(cs, cases_roster_phone(cs->roster, (unsigned)prev), body, staff_code(cs, pli), true,
			       NULL);
		if (rc < 0) {
			return rc;
		}
	}
	if (actions & CASES_DO_SET_ASSIGNEE) {
		c.assignee_key = skey;
	}
	if (actions & CASES_DO_STOP_TIMERS) {
		c.claim_deadline = 0;
		c.answer_deadline = 0;
		c.route_at = 0;
	}
	if (actions & CASES_DO_START_ANSWER_TIMER) {
		c.answer_deadline = now + cs->d->cfg->cases.answer_timeout;
	}
	if ((actions & CASES_DO_SEND_REPLY) && reporter) {
		/* the pack's prefix ("Yordam 123 4567:"), a space, the staff member's words */
		body = case_text(tmp, cs, c.lang, MENU_UI_SMS_REPLY, nog);
		body = body ? talloc_asprintf_append(body, " %.*s", (int)cmd->text_len, cmd->text) : NULL;
		rc = queue_sms(cs, reporter, body, c.lang, false, NULL);
		if (rc < 0) {
			return rc;
		}
	}
	if ((actions & CASES_DO_TELL_REPORTER) && reporter && ev != CASES_EV_REPLY) {
		body = case_text(tmp, cs, c.lang, to == CASES_ST_CLOSED ? MENU_UI_SMS_CLOSED : MENU_UI_SMS_CLAIMED,
				 nog);
		rc = queue_sms(cs, reporter, body, c.lang, false, NULL);
		if (rc < 0) {
			return rc;
		}
	}
	if (actions & CASES_DO_SEND_INFO) {
		char *text = c.text_enc ? secret_open_str(tmp, cs->d->secret, D_CASE_TEXT, c.text_enc, c.text_enc_len)
					: NULL;

		char esc[16];
		const struct tvar v[] = {
			{"case", nog},
			{"kind", staff_kind_word(cs, li, c.kind)},
			{"category", cases_svc_staff_category(cs->d->tree, li, c.category, "?")},
			{"country", c.country},
			{"lang", c.lang},
			{"state", staff_state_word(cs, li, c.state)},
			{"escalations", esc},
			{"text", text ? talloc_asprintf(tmp, ": %s", cases_svc_excerpt(tmp, text, 300)) : ""}};

		snprintf(esc, sizeof(esc), "%d", c.escalations);
		*reply = v[7].value ? staff_text(tmp, cs, li, MENU_UI_STAFF_INFO, v, ARRAY_SIZE(v)) : NULL;
		if (!*reply) {
			return -ENOMEM;
		}
	}
	c.state = to;
	c.updated = now;
	if (to == CASES_ST_CLOSED) {
		c.closed = now;
		c.claim_deadline = c.answer_deadline = c.route_at = 0;
	}
	if (ev != CASES_EV_INFO) {
		rc = store_case_update(cs->d->store, &c);
		if (rc < 0) {
			return rc;
		}
	}
	rc = event_add(cs, tmp, &c, ev, actors, skey, cmd->text, cmd->text ? cmd->text_len : 0, now, 0);
	if (rc < 0) {
		return rc;
	}
	LOGC(LOGL_INFO, "case %s: %s by %s -> %s\n", nog, cases_event_name(ev), cases_roster_name(cs->roster, who),
	     cases_state_name(c.state));
	if (!*reply) {
		const struct tvar v[] = {{"case", nog}};

		*reply = staff_text(tmp, cs, li,
				    ev == CASES_EV_CLAIM   ? MENU_UI_STAFF_YOURS
				    : ev == CASES_EV_REPLY ? MENU_UI_STAFF_REPLIED
							   : MENU_UI_STAFF_CLOSED,
				    v, ARRAY_SIZE(v));
	}
	return SMS_HOOK_HANDLED;
}

/* The SMS text hook (inside the message's transaction; see sms.h). */
static int text_hook(void *data, const char *sender, const uint8_t key[32], const char *text, const char *lang,
		     void *ctx, char **reply)
{
	struct cases_svc *cs = data;
	struct cases_cmd cmd;
	enum cases_cmd_err err;
	char plus[40];
	size_t used = 0;
	int who, kw, ui;

	*reply = NULL;
	/* A sender in international format without '+' (TON 145) gets it before the roster look-up. */
	if (sender[0] >= '1' && sender[0] <= '9' && strlen(sender) < sizeof(plus) - 1) {
		snprintf(plus, sizeof(plus), "+%s", sender);
		who = cases_roster_find_phone(cs->roster, plus);
	} else {
		who = cases_roster_find_phone(cs->roster, sender);
	}
	if (who >= 0) {
		err = cases_cmd_parse(text, strlen(text), &cmd);
		if (err == CASES_CMD_E_OK) {
			return staff_cmd(cs, ctx, (unsigned)who, &cmd, reply);
		}
		ui = cases_svc_cmd_err_text(err);
		if (ui >= 0) {
			LOGC(LOGL_INFO, "command from %s refused: %s\n", cases_roster_name(cs->roster, (unsigned)who),
			     cases_cmd_strerror(err));
			*reply = staff_text(ctx, cs, staff_lang(cs, (unsigned)who), (enum menu_ui)ui, NULL, 0);
			return *reply ? SMS_HOOK_HANDLED : -ENOMEM;
		}
	}
	/* Anyone else, a staff command included, is not told anything about the roster: such a text goes on to the
	 * menu router like any unknown text. */
	kw = cases_svc_keyword(text, &used);
	switch (kw) {
	case CASES_KW_COMPLAINT:
		return intake(cs, ctx, sender, key, text + used, lang, reply);
	case CASES_KW_STATUS:
		return status(cs, ctx, key, text + used, lang, reply, NULL);
	case CASES_KW_CALLBACK:
		return callback(cs, ctx, sender, key, lang, 2, reply, false);
	default:
		return SMS_HOOK_PASS;
	}
}

/* --- USSD (struct ussd_case_ops): each call is one transaction, committed before it returns --------------- */

/* The subscriber as a phone number and its "msisdn" key; an IMSI (15 digits without '+') is refused. */
static int ussd_who(struct cases_svc *cs, const char *subscriber, char *num, size_t len, uint8_t key[32])
{
	char norm[32];

	if (!subscriber || sms_number_norm(subscriber, norm, sizeof(norm)) < 0 ||
	    (subscriber[0] != '+' && strlen(norm) >= 15)) {
		return -EINVAL;
	}
	snprintf(num, len, "+%s", norm);
	return secret_hash(cs->d->secret, "msisdn", norm, key);
}

static int ussd_file(void *data, const char *subscriber, const struct ussd_complaint *uc, char *case_no,
		     size_t case_len, char *pin_out, size_t pin_len)
{
	struct cases_svc *cs = data;
	struct intake_extra x = {.channel = 1};
	struct store_case c;
	uint8_t key[32], skey[32];
	char num[40], snum[40], pin[5], nog[CASES_NUMBER_STRLEN];
	void *tmp;
	int rc;

	if (!uc || !cases_category_valid(uc->category) || !case_no || !pin_out || case_len < CASES_NUMBER_DIGITS + 1 ||
	    pin_len < 5 || (uc->detail && strlen(uc->detail) > 160)) {
		return -EINVAL;
	}
	rc = ussd_who(cs, subscriber, num, sizeof(num), key);
	if (rc < 0) {
		return rc;
	}
	x.country = uc->country;
	x.detail = uc->detail;
	x.proxy = uc->proxy;
	if (uc->proxy && uc->on_behalf_of && ussd_who(cs, uc->on_behalf_of, snum, sizeof(snum), skey) == 0) {
		x.subject = snum;
		x.subject_key = skey;
	}
	tmp = talloc_new(cs);
	if (!tmp) {
		return -ENOMEM;
	}
	rc = store_begin(cs->d->store);
	if (rc == 0) {
		rc = new_case(cs, tmp, num, key, CASES_KIND_COMPLAINT, uc->category, NULL, uc->lang, now_s(), &c, pin,
			      &x);
		if (rc == 0) {
			/* the same result by SMS, so the number and PIN are kept */
			rc = queue_sms(cs, num, filed_text(tmp, cs, uc->lang, &c, pin), uc->lang, false, NULL);
		}
		if (rc == 0) {
			rc = store_commit(cs->d->store);
		} else {
			store_rollback(cs->d->store);
		}
	}
	if (rc == 0) {
		fmt_number(c.number, false, case_no);
		osmo_strlcpy(pin_out, pin, pin_len);
		fmt_number(c.number, true, nog);
		LOGC(LOGL_NOTICE, "case %s filed by USSD (%s)\n", nog, cases_category_slug(uc->category));
	}
	talloc_free(tmp);
	return rc;
}

/* When a callback request made now can expect a call: "as soon as possible" with someone on duty who
 * takes callbacks in lang, else "in about N h" (the same routing the case will get, run dry). */
static char *expect_when(struct cases_svc *cs, void *tmp, const char *lang, int64_t now)
{
	struct cases_override ov[CASES_ROSTER_MAX];
	struct cases_attrs a = {.kind = CASES_KIND_CALLBACK, .category = CASES_CAT_OTHER, .language = lang};
	struct cases_route r;

	memcpy(a.country, "ZZ", 3);
	if (overrides(cs, ov) < 0 || cases_route(cs->roster, ov, &a, now, -1, 0, &r) < 0 ||
	    r.result != CASES_ROUTE_WAIT || r.expect_at <= now) {
		return talloc_strdup(tmp, ui_text(cs, lang, MENU_UI_WHEN_SOON));
	}
	return in_hours(cs, tmp, lang, r.expect_at - now);
}

static int ussd_callback(void *data, const char *subscriber, const char *lang, char *when, size_t when_len)
{
	struct cases_svc *cs = data;
	uint8_t key[32];
	char num[40];
	void *tmp;
	int rc;

	rc = ussd_who(cs, subscriber, num, sizeof(num), key);
	if (rc < 0) {
		return rc;
	}
	tmp = talloc_new(cs);
	if (!tmp) {
		return -ENOMEM;
	}
	rc = store_begin(cs->d->store);
	if (rc == 0) {
		rc = callback(cs, tmp, num, key, lang, 4, NULL, false);
		if (rc >= 0 || rc == -EALREADY) {
			int crc = store_commit(cs->d->store);

			rc = crc < 0 ? crc : rc;
		} else {
			store_rollback(cs->d->store);
		}
	}
	if (rc >= 0 && when && when_len) {
		char *w = expect_when(cs, tmp, lang, now_s());

		osmo_strlcpy(when, w ? w : ui_text(cs, lang, MENU_UI_WHEN_SOON), when_len);
	}
	talloc_free(tmp);
	return rc < 0 ? rc : 0;
}

static int ussd_status(void *data, const char *subscriber, const char *case_no, const char *pin, const char *lang,
		       char *text, size_t text_len)
{
	struct cases_svc *cs = data;
	uint8_t key[32];
	char num[40], *reply = NULL, *q;
	bool unknown = true;
	void *tmp;
	int rc;

	if (!case_no || !text || !text_len) {
		return -EINVAL;
	}
	if (ussd_who(cs, subscriber, num, sizeof(num), key) < 0) {
		memset(key, 0, sizeof(key)); /* no phone: only the PIN opens the case */
	}
	tmp = talloc_new(cs);
	if (!tmp) {
		return -ENOMEM;
	}
	q = talloc_asprintf(tmp, "%s %s", case_no, pin ? pin : "");
	rc = q ? store_begin(cs->d->store) : -ENOMEM;
	if (rc == 0) {
		rc = status(cs, tmp, key, q, lang, &reply, &unknown);
		if (rc >= 0) {
			rc = store_commit(cs->d->store);
		} else {
			store_rollback(cs->d->store);
		}
	}
	if (rc == 0 && unknown) {
		rc = -ENOENT;
	}
	if (rc == 0 && reply) {
		osmo_strlcpy(text, reply, text_len);
	}
	talloc_free(tmp);
	return rc;
}

void cases_svc_beep(struct daemon *d, const char *number)
{
	struct cases_svc *cs = d->cases;
	uint8_t key[32];
	char num[40], lang[16], m[32];
	void *tmp;
	int rc;

	if (!cs) {
		return;
	}
	if (!number || !*number || ussd_who(cs, number, num, sizeof(num), key) < 0) {
		LOGC(LOGL_INFO, "missed call without a usable number: ignored\n");
		return;
	}
	mask(num, m, sizeof(m));
	tmp = talloc_new(cs);
	if (!tmp) {
		return;
	}
	if (store_caller_lang_get(d->store, key, lang, sizeof(lang)) < 0) {
		osmo_strlcpy(lang, "uz-Latn", sizeof(lang));
	}
	rc = store_begin(d->store);
	if (rc == 0) {
		rc = callback(cs, tmp, num, key, lang, 3, NULL, true);
		if (rc == SMS_HOOK_HANDLED || rc == -EALREADY) {
			int crc = store_commit(d->store);

			rc = crc < 0 ? crc : rc;
		} else {
			store_rollback(d->store);
		}
	}
	if (rc < 0 && rc != -EALREADY) {
		LOGC(LOGL_ERROR, "missed call from %s: cannot record: %s\n", m, strerror(-rc));
	}
	talloc_free(tmp);
}

/* --- start/stop ------------------------------------------------------------------------------------------ */

int cases_svc_start(struct daemon *d)
{
	const struct yordam_config *cfg = d->cfg;
	struct cases_staff staff[CONFIG_MAX_STAFF];
	struct cases_svc *cs;
	uint8_t nkey[SECRET_HASH_LEN];
	char *errors = NULL;
	unsigned i;
	int rc;

	if (!cfg->cases.enabled) {
		return 0;
	}
	if (!d->sms) {
		LOGC(LOGL_ERROR, "needs the SMS service\n");
		return -ENODEV;
	}
	cs = talloc_zero(d->ctx, struct cases_svc);
	if (!cs) {
		return -ENOMEM;
	}
	cs->d = d;
	osmo_timer_setup(&cs->timer, timer_cb, cs);
	for (i = 0; i < cfg->n_staff; i++) {
		const struct config_staff *m = &cfg->staff[i];
		size_t nl = 0, nc = 0, nt = 0, nd = 0;

		while (m->languages && m->languages[nl]) {
			nl++;
		}
		while (m->countries && m->countries[nc]) {
			nc++;
		}
		while (m->topics && m->topics[nt]) {
			nt++;
		}
		while (m->duty && m->duty[nd]) {
			nd++;
		}
		staff[i] = (struct cases_staff){
			.name = m->name,
			.phone = m->phone,
			.languages = (const char *const *)m->languages,
			.n_languages = nl,
			.countries = (const char *const *)m->countries,
			.n_countries = nc,
			.topics = (const char *const *)m->topics,
			.n_topics = nt,
			.timezone = m->timezone,
			.duty = (const char *const *)m->duty,
			.n_duty = nd,
			.supervisor = m->supervisor,
		};
	}
	rc = cases_roster_compile(cs, staff, cfg->n_staff, cfg->cases.tzdir, &cs->roster, &errors);
	if (rc < 0) {
		LOGC(LOGL_ERROR, "roster: %s\n", errors ? errors : strerror(-rc));
		goto fail;
	}
	if (errors && *errors) {
		LOGC(LOGL_NOTICE, "roster: %s\n", errors);
	}
	cs->n_staff = (unsigned)cases_roster_count(cs->roster);
	cs->staff_key = talloc_zero_array(cs, struct staff_key, cs->n_staff ? cs->n_staff : 1);
	if (!cs->staff_key) {
		rc = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < cs->n_staff; i++) {
		rc = secret_hash(d->secret, "staff", cases_roster_phone(cs->roster, i), cs->staff_key[i].k);
		if (rc < 0) {
			goto fail;
		}
	}
	rc = secret_hash(d->secret, "case-number", "feistel-v1", nkey);
	if (rc < 0) {
		goto fail;
	}
	cs->numgen = cases_numgen_alloc(cs, nkey);
	memset(nkey, 0, sizeof(nkey));
	if (!cs->numgen) {
		rc = -ENOMEM;
		goto fail;
	}
	d->cases = cs;
	sms_set_text_hook(d->sms, text_hook, cs);
	sms_set_fail_hook(d->sms, notify_failed, cs);
	cs->ops =
		(struct ussd_case_ops){.file = ussd_file, .callback = ussd_callback, .status = ussd_status, .data = cs};
	if (d->engine) {
		ussd_engine_set_case_ops(d->engine, &cs->ops);
	}
	osmo_timer_schedule(&cs->timer, 0, 0);
	LOGC(LOGL_NOTICE, "service started, %u staff\n", cs->n_staff);
	return 0;
fail:
	talloc_free(cs);
	return rc;
}

void cases_svc_stop(struct daemon *d)
{
	struct cases_svc *cs = d->cases;

	if (!cs) {
		return;
	}
	if (d->sms) {
		sms_set_text_hook(d->sms, NULL, NULL);
		sms_set_fail_hook(d->sms, NULL, NULL);
	}
	if (d->engine) {
		ussd_engine_set_case_ops(d->engine, NULL);
	}
	osmo_timer_del(&cs->timer);
	talloc_free(cs);
	d->cases = NULL;
}

/* --- yordamctl cases ------------------------------------------------------------------------------------- */

struct list_ctx {
	struct cases_svc *cs;
	char *out;
};

static int list_one(void *data, const struct store_case *c)
{
	struct list_ctx *l = data;
	char nog[CASES_NUMBER_STRLEN];
	int owner = staff_index_by_key(l->cs, c->assignee_key);

	fmt_number(c->number, true, nog);
	l->out = talloc_asprintf_append(l->out, "%s %-9s %-10s %s %-8s %-9s esc %d %s\n", nog,
					c->kind == CASES_KIND_CALLBACK ? "callback" : "complaint",
					cases_category_slug(c->category) ?: "?", c->country, c->lang,
					cases_state_name(c->state) ?: "?", c->escalations,
					owner >= 0 ? cases_roster_name(l->cs->roster, (unsigned)owner) : "-");
	return l->out ? 0 : -ENOMEM;
}

char *cases_svc_list(struct daemon *d, void *ctx, unsigned max)
{
	struct list_ctx l = {.cs = d->cases};

	if (!d->cases) {
		return talloc_strdup(ctx, "cases: off (cases.enabled = false)\n");
	}
	l.out = talloc_strdup(ctx, "");
	if (!l.out || store_case_list(d->store, max, list_one, &l) < 0) {
		talloc_free(l.out);
		return talloc_strdup(ctx, "cases: cannot read the store\n");
	}
	return l.out;
}

static const char *fmt_utc(char buf[32], int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !gmtime_r(&tt, &tm)) {
		return "-";
	}
	strftime(buf, 32, "%Y-%m-%d %H:%M UTC", &tm);
	return buf;
}

static char *open_or_dash(void *ctx, struct cases_svc *cs, const char *domain, const void *enc, size_t len)
{
	char *s = enc && len ? secret_open_str(ctx, cs->d->secret, domain, enc, len) : NULL;

	return s ? s : talloc_strdup(ctx, "-");
}

struct show_ctx {
	struct cases_svc *cs;
	void *ctx;
	char *out;
};

static int show_event(void *data, const struct store_case_event *e)
{
	struct show_ctx *sc = data;
	char at[32];
	int who = staff_index_by_key(sc->cs, e->staff_key);
	char *text = open_or_dash(sc->out, sc->cs, D_CASE_EVENT, e->text_enc, e->text_enc_len);

	sc->out = talloc_asprintf_append(sc->out, "  %s %-10s %s %s\n", fmt_utc(at, e->at),
					 cases_event_name(e->event) ?: "?",
					 who >= 0 ? cases_roster_name(sc->cs->roster, (unsigned)who) : "-", text);
	return sc->out ? 0 : -ENOMEM;
}

/* `yordamctl cases show N`: one case with its personal fields decrypted, on the operator's demand only. */
char *cases_svc_show(struct daemon *d, void *ctx, const char *arg)
{
	struct cases_svc *cs = d->cases;
	struct store_case c;
	struct show_ctx sc;
	char nog[CASES_NUMBER_STRLEN], t1[32], t2[32], t3[32];
	uint32_t number;
	void *tmp;
	int owner;

	if (!cs) {
		return NULL;
	}
	if (!arg || cases_number_parse(arg, strlen(arg), &number) < 0) {
		return talloc_strdup(ctx, "usage: cases show CASE-NUMBER (7 digits, check digit included)\n");
	}
	tmp = talloc_new(ctx);
	if (store_case_get(d->store, number, tmp, &c) < 0) {
		talloc_free(tmp);
		return talloc_strdup(ctx, "no such case\n");
	}
	LOGP(DCASES, LOGL_NOTICE, "operator decrypted case %07u\n", (unsigned)number);
	owner = staff_index_by_key(cs, c.assignee_key);
	fmt_number(c.number, true, nog);
	sc = (struct show_ctx){.cs = cs, .ctx = tmp};
	sc.out = talloc_asprintf(
		ctx,
		"case %s (%s)\nstate: %s, escalations %d, owner %s\ncategory: %s, country %s, language %s, channel %d\n"
		"reporter: %s%s\non behalf of: %s\nemployer/city: %s\ntext: %s\n"
		"created %s, updated %s, closed %s\nevents:\n",
		nog, c.kind == CASES_KIND_CALLBACK ? "callback" : "complaint", cases_state_name(c.state) ?: "?",
		c.escalations, owner >= 0 ? cases_roster_name(cs->roster, (unsigned)owner) : "-",
		cases_category_slug(c.category) ?: "?", c.country, c.lang, c.channel,
		open_or_dash(tmp, cs, D_CASE_MSISDN, c.reporter_enc, c.reporter_enc_len), c.proxy ? " (relative)" : "",
		open_or_dash(tmp, cs, "case-subject", c.subject_enc, c.subject_enc_len),
		open_or_dash(tmp, cs, "case-employer", c.employer_enc, c.employer_enc_len),
		open_or_dash(tmp, cs, D_CASE_TEXT, c.text_enc, c.text_enc_len), fmt_utc(t1, c.created),
		fmt_utc(t2, c.updated), fmt_utc(t3, c.closed));
	if (sc.out) {
		store_case_event_foreach(d->store, c.id, show_event, &sc);
	}
	talloc_free(tmp);
	return sc.out;
}

struct export_ctx {
	struct cases_svc *cs;
	bool decrypt;
	char *out;
};

/* CSV fields never contain a comma, quote or newline unquoted. */
static char *csv(void *ctx, const char *s)
{
	char *q = talloc_strdup(ctx, "\""), *p;

	for (p = (char *)s; q && *p; p++) {
		q = *p == '"' ? talloc_strdup_append(q, "\"\"") : talloc_strndup_append(q, p, 1);
	}
	return q ? talloc_strdup_append(q, "\"") : NULL;
}

static int export_one(void *data, const struct store_case *c)
{
	struct export_ctx *x = data;
	void *tmp = talloc_new(NULL);
	char nog[CASES_NUMBER_STRLEN], t1[32], t2[32];

	fmt_number(c->number, false, nog);
	x->out = talloc_asprintf_append(
		x->out, "%s,%s,%s,%s,%s,%s,%d,%s,%s", nog, c->kind == CASES_KIND_CALLBACK ? "callback" : "complaint",
		cases_category_slug(c->category) ?: "", c->country, c->lang, cases_state_name(c->state) ?: "",
		c->escalations, fmt_utc(t1, c->created), fmt_utc(t2, c->closed));
	if (x->out && x->decrypt) {
		x->out = talloc_asprintf_append(
			x->out, ",%s,%s,%s",
			csv(tmp, open_or_dash(tmp, x->cs, D_CASE_MSISDN, c->reporter_enc, c->reporter_enc_len)),
			csv(tmp, open_or_dash(tmp, x->cs, "case-employer", c->employer_enc, c->employer_enc_len)),
			csv(tmp, open_or_dash(tmp, x->cs, D_CASE_TEXT, c->text_enc, c->text_enc_len)));
	}
	x->out = x->out ? talloc_strdup_append(x->out, "\n") : NULL;
	talloc_free(tmp);
	return x->out ? 0 : -ENOMEM;
}

/* `yordamctl cases export [--decrypt]`: CSV of every case; personal fields only with --decrypt. */
char *cases_svc_export(struct daemon *d, void *ctx, bool decrypt)
{
	struct export_ctx x = {.cs = d->cases, .decrypt = decrypt};

	if (!d->cases) {
		return NULL;
	}
	if (decrypt) {
		LOGP(DCASES, LOGL_NOTICE, "operator exported cases with personal data\n");
	}
	x.out = talloc_asprintf(ctx, "case,kind,category,country,language,state,escalations,created,closed%s\n",
				decrypt ? ",reporter,employer,text" : "");
	if (!x.out || store_case_list(d->store, UINT_MAX, export_one, &x) < 0) {
		talloc_free(x.out);
		return talloc_strdup(ctx, "cases: cannot read the store\n");
	}
	return x.out;
}

const struct ussd_case_ops *cases_svc_ussd_ops(struct daemon *d)
{
	return d && d->cases ? &d->cases->ops : NULL;
}
