/* The cases service (issue 4, docs/cases.md): complaints and callback requests by SMS, hotline staff
 * commands from roster numbers, status queries, routing and escalation on one deadline timer.
 *
 * SMS texts arrive through the SMS layer's text hook (sms_set_text_hook), which runs inside the
 * received message's store transaction: the case rows, their events and the reply to the sender
 * commit together with the message. Everything else this service sends (the staff notification, a
 * staff reply relayed to the reporter, "your case was claimed") cannot go through sms_send() inside
 * that transaction: it is kept in RAM and sent right after the commit (a zero timer). A crash in
 * between loses such a message, never a case: a new case is committed with route_at = now, so the
 * deadline timer routes (and notifies) it after any restart.
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
#include <sys/random.h>
#include <time.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include <yordam/cases.h>
#include <yordam/cases_roster.h>
#include <yordam/log.h>
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

struct pending_sms {
	struct llist_head entry;
	char *number, *text, *lang;
};

struct staff_key {
	uint8_t k[SECRET_HASH_LEN];
};

struct cases_svc {
	struct daemon *d;
	struct cases_roster *roster;
	struct cases_numgen *numgen;
	struct staff_key *staff_key; /* per roster index: secret_hash("staff", phone) */
	unsigned n_staff;
	struct osmo_timer_list timer, flush_timer;
	struct llist_head pending;
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

/* Reporter-facing texts by language; English fallback. */
enum cases_msg {
	M_FILED,    /* %s case number, %s PIN */
	M_CALLBACK, /* %s case number */
	M_NEED_TEXT,
	M_STATUS, /* %s case number, %s status */
	M_UNKNOWN,
	M_CHECK_DIGIT,
	M_REPLY_PREFIX, /* %s case number */
	M_CLAIMED,	/* %s case number */
	M_CLOSED,	/* %s case number */
	M_EXPECT,	/* %s case number, %s time */
	_M_COUNT,
};

static const char *const msgs_en[_M_COUNT] = {
	[M_FILED] = ("Yordam: your complaint is case %s. PIN %s (to ask from another phone). We keep it encrypted "
		     "and share it only with the hotline. Status: STATUS %s"),
	[M_CALLBACK] = "Yordam: we will call you back. Case %s.",
	[M_NEED_TEXT] = "Yordam: write COMPLAINT and what happened, e.g. COMPLAINT 1 my employer does not pay.",
	[M_STATUS] = "Yordam: case %s: %s.",
	[M_UNKNOWN] = "Yordam: unknown case or wrong PIN.",
	[M_CHECK_DIGIT] = "Yordam: this case number is mistyped, check it.",
	[M_REPLY_PREFIX] = "Yordam %s: ",
	[M_CLAIMED] = "Yordam: case %s is being handled by the hotline.",
	[M_CLOSED] = "Yordam: case %s is closed. To file a new one: COMPLAINT and your text.",
	[M_EXPECT] = "Yordam: case %s: a staff member will contact you from %s.",
};
static const char *const msgs_ru[_M_COUNT] = {
	[M_FILED] = ("Yordam: ваша жалоба - дело %s. PIN %s (для запроса с другого телефона). Мы храним её "
		     "зашифрованной и передаём только горячей линии. Статус: СТАТУС %s"),
	[M_CALLBACK] = "Yordam: мы вам перезвоним. Дело %s.",
	[M_NEED_TEXT] = "Yordam: напишите ЖАЛОБА и что случилось, например: ЖАЛОБА 1 не платят зарплату.",
	[M_STATUS] = "Yordam: дело %s: %s.",
	[M_UNKNOWN] = "Yordam: неизвестное дело или неверный PIN.",
	[M_CHECK_DIGIT] = "Yordam: номер дела набран с ошибкой, проверьте.",
	[M_REPLY_PREFIX] = "Yordam %s: ",
	[M_CLAIMED] = "Yordam: делом %s занимается горячая линия.",
	[M_CLOSED] = "Yordam: дело %s закрыто. Новая жалоба: ЖАЛОБА и ваш текст.",
	[M_EXPECT] = "Yordam: дело %s: сотрудник свяжется с вами с %s.",
};
static const char *const msgs_uz[_M_COUNT] = {
	[M_FILED] = ("Yordam: shikoyatingiz - ish %s. PIN %s (boshqa telefondan so'rash uchun). U shifrlangan "
		     "holda saqlanadi va faqat ishonch telefoniga beriladi. Holat: HOLAT %s"),
	[M_CALLBACK] = "Yordam: sizga qo'ng'iroq qilamiz. Ish %s.",
	[M_NEED_TEXT] = "Yordam: SHIKOYAT va nima bo'lganini yozing, masalan: SHIKOYAT 1 ish haqi to'lanmayapti.",
	[M_STATUS] = "Yordam: ish %s: %s.",
	[M_UNKNOWN] = "Yordam: noma'lum ish yoki noto'g'ri PIN.",
	[M_CHECK_DIGIT] = "Yordam: ish raqami xato terilgan, tekshiring.",
	[M_REPLY_PREFIX] = "Yordam %s: ",
	[M_CLAIMED] = "Yordam: ish %s bilan ishonch telefoni shug'ullanmoqda.",
	[M_CLOSED] = "Yordam: ish %s yopildi. Yangi shikoyat: SHIKOYAT va matningiz.",
	[M_EXPECT] = "Yordam: ish %s: xodim siz bilan %s dan bog'lanadi.",
};

static const char *const pub_en[] = {"received", "in progress", "answered", "closed"};
static const char *const pub_ru[] = {"получено", "в работе", "дан ответ", "закрыто"};
static const char *const pub_uz[] = {"qabul qilindi", "ko'rib chiqilmoqda", "javob berildi", "yopildi"};

/* The template with each "%s" replaced by the next argument (a, b, c; NULL as ""): no printf with
 * a run-time format. */
static char *fill(void *ctx, const char *tmpl, const char *a, const char *b, const char *c)
{
	const char *args[3] = {a, b, c};
	const char *p = tmpl, *q;
	char *out = talloc_strdup(ctx, "");
	unsigned i = 0;

	while (out && (q = strstr(p, "%s"))) {
		out = talloc_strndup_append(out, p, (size_t)(q - p));
		if (out) {
			out = talloc_strdup_append(out, i < 3 && args[i] ? args[i] : "");
		}
		i++;
		p = q + 2;
	}
	return out ? talloc_strdup_append(out, p) : NULL;
}

static bool lang_is(const char *lang, const char *prefix)
{
	size_t n = strlen(prefix);

	return lang && !strncmp(lang, prefix, n) && (lang[n] == '\0' || lang[n] == '-');
}

static const char *msg(const char *lang, enum cases_msg m)
{
	if (lang_is(lang, "ru")) {
		return msgs_ru[m];
	}
	if (lang_is(lang, "uz")) {
		return msgs_uz[m];
	}
	return msgs_en[m];
}

static const char *pub_status(const char *lang, int state)
{
	int p = cases_state_public(state);

	if (p < 0 || p > 3) {
		p = 0;
	}
	if (lang_is(lang, "ru")) {
		return pub_ru[p];
	}
	if (lang_is(lang, "uz")) {
		return pub_uz[p];
	}
	return pub_en[p];
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

/* Queue an SMS to send after the current transaction commits. */
static int later(struct cases_svc *cs, const char *number, const char *text, const char *lang)
{
	struct pending_sms *p = talloc_zero(cs, struct pending_sms);

	if (!p) {
		return -ENOMEM;
	}
	p->number = talloc_strdup(p, number);
	p->text = talloc_strdup(p, text);
	p->lang = lang ? talloc_strdup(p, lang) : NULL;
	if (!p->number || !p->text) {
		talloc_free(p);
		return -ENOMEM;
	}
	llist_add_tail(&p->entry, &cs->pending);
	osmo_timer_schedule(&cs->flush_timer, 0, 0);
	return 0;
}

static void flush_cb(void *data)
{
	struct cases_svc *cs = data;
	struct pending_sms *p, *n;
	char m[32];
	int rc;

	llist_for_each_entry_safe(p, n, &cs->pending, entry)
	{
		llist_del(&p->entry);
		rc = sms_send(cs->d->sms, p->number, p->text, p->lang, SMS_SEND_NO_CAP);
		if (rc < 0) {
			mask(p->number, m, sizeof(m));
			LOGC(LOGL_ERROR, "cannot queue an SMS to %s: %s\n", m, strerror(-rc));
		}
		talloc_free(p);
	}
}

static void journal(struct cases_svc *cs, const struct store_case *c, int event, int64_t now)
{
	char body[256];

	/* No personal data: see the head of this file. */
	snprintf(body, sizeof(body),
		 "{\"number\":%" PRIu32 ",\"kind\":%d,\"category\":%d,\"country\":\"%s\",\"lang\":\"%s\","
		 "\"channel\":%d,\"state\":%d,\"event\":\"%s\",\"at\":%" PRId64 "}",
		 c->number, c->kind, c->category, c->country, c->lang, c->channel, c->state,
		 event < 0 ? "filed" : cases_event_name(event), now);
	daemon_journal_append(cs->d, "case", body, true);
}

static int event_add(struct cases_svc *cs, void *tmp, const struct store_case *c, int ev, unsigned actor,
		     const uint8_t *staff_key, const char *text, size_t text_len, int64_t now)
{
	struct store_case_event e = {.case_id = c->id, .at = now, .event = ev, .actor = actor, .staff_key = staff_key};

	if (text && text_len) {
		e.text_enc = secret_seal_talloc(tmp, cs->d->secret, D_CASE_EVENT, text, text_len, &e.text_enc_len);
		if (!e.text_enc) {
			return -ENOMEM;
		}
	}
	journal(cs, c, ev, now);
	return store_case_event_add(cs->d->store, &e, NULL);
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
	int rc;

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
			char when[32];
			time_t t = (time_t)c->expect_at;
			struct tm tm;

			who = secret_open_str(tmp, cs->d->secret, D_CASE_MSISDN, c->reporter_enc, c->reporter_enc_len);
			gmtime_r(&t, &tm);
			strftime(when, sizeof(when), "%d.%m %H:%M UTC", &tm);
			body = fill(tmp, msg(c->lang, M_EXPECT), nog, when, NULL);
			if (who && body) {
				later(cs, who, body, c->lang);
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
	if (c->kind == CASES_KIND_CALLBACK) {
		who = c->reporter_enc
			      ? secret_open_str(tmp, cs->d->secret, D_CASE_MSISDN, c->reporter_enc, c->reporter_enc_len)
			      : NULL;
		body = talloc_asprintf(tmp, "Yordam case %s: CALLBACK, %s, %s. Call %s. Reply OK %s", nog, c->country,
				       c->lang, who ? who : "?", no);
	} else {
		body = talloc_asprintf(tmp, "Yordam case %s: %s, %s, %s%s: %s. Reply OK %s", nog,
				       cases_category_label(c->category) ?: "other", c->country, c->lang,
				       c->escalations ? " (escalated)" : "",
				       text ? cases_svc_excerpt(tmp, text, CASES_EXCERPT) : "", no);
	}
	if (!body) {
		return -ENOMEM;
	}
	rc = later(cs, cases_roster_phone(cs->roster, (unsigned)r.staff), body, "en");
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
		rc = event_add(cs, tmp, c, CASES_EV_NOTIFIED, CASES_ACT_SYSTEM, cs->staff_key[r.staff].k, NULL, 0, now);
	}
	LOGC(LOGL_INFO, "case %s: notified %s%s\n", no, cases_roster_name(cs->roster, (unsigned)r.staff),
	     r.fallback ? " (supervisor fallback)" : "");
	return rc;
}

/* One due case: route a waiting one, escalate an unclaimed one, remind about an unanswered one. */
static int due_case(struct cases_svc *cs, void *tmp, struct store_case *c, int64_t now)
{
	enum cases_state to;
	unsigned actions;
	char no[CASES_NUMBER_STRLEN];
	int rc, owner;

	fmt_number(c->number, true, no);
	if (c->state == CASES_ST_NEW) {
		return route_case(cs, tmp, c, now);
	}
	if (c->state == CASES_ST_NOTIFIED && c->claim_deadline && c->claim_deadline <= now) {
		rc = cases_fsm_step(c->state, CASES_EV_CLAIM_TIMEOUT, CASES_ACT_SYSTEM, &to, &actions);
		if (rc < 0) {
			c->claim_deadline = 0;
			return store_case_update(cs->d->store, c);
		}
		c->state = to;
		c->claim_deadline = 0;
		c->escalations++;
		LOGC(LOGL_NOTICE, "case %s: not claimed in time, escalating (%d)\n", no, c->escalations);
		rc = event_add(cs, tmp, c, CASES_EV_CLAIM_TIMEOUT, CASES_ACT_SYSTEM, NULL, NULL, 0, now);
		if (rc < 0) {
			return rc;
		}
		return route_case(cs, tmp, c, now);
	}
	if (c->answer_deadline && c->answer_deadline <= now) {
		owner = staff_index_by_key(cs, c->assignee_key);
		c->answer_deadline = now + cs->d->cfg->cases.answer_timeout;
		c->updated = now;
		if (owner >= 0) {
			char *body =
				talloc_asprintf(tmp, "Yordam: case %s still waits for your reply (R %s ...).", no, no);

			if (body) {
				later(cs, cases_roster_phone(cs->roster, (unsigned)owner), body, "en");
			}
		}
		rc = event_add(cs, tmp, c, CASES_EV_ANSWER_TIMEOUT, CASES_ACT_SYSTEM, NULL, NULL, 0, now);
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
	char ident[32];
	uint8_t *ph;
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
	rc = store_case_add(cs->d->store, c);
	if (rc == 0) {
		journal(cs, c, -1, now);
		osmo_timer_schedule(&cs->timer, 0, 0);
	}
	return rc;
}

static int intake(struct cases_svc *cs, void *tmp, const char *sender, const uint8_t key[32], const char *rest,
		  const char *lang, char **reply)
{
	struct store_case c;
	char pin[5], nog[CASES_NUMBER_STRLEN], no[CASES_NUMBER_STRLEN], m[32];
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
		*reply = talloc_strdup(tmp, msg(lang, M_NEED_TEXT));
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
	fmt_number(c.number, false, no);
	mask(sender, m, sizeof(m));
	LOGC(LOGL_NOTICE, "case %s filed by SMS from %s (%s, %s)\n", nog, m, cases_category_slug(category), c.lang);
	*reply = fill(tmp, msg(lang, M_FILED), nog, pin, no);
	return SMS_HOOK_HANDLED;
}

static int callback(struct cases_svc *cs, void *tmp, const char *sender, const uint8_t key[32], const char *lang,
		    int channel, char **reply)
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
	} else {
		return rc;
	}
	fmt_number(c.number, true, nog);
	if (reply) {
		*reply = fill(tmp, msg(lang, M_CALLBACK), nog, NULL, NULL);
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
		*reply = talloc_strdup(tmp, msg(lang, M_CHECK_DIGIT));
		return SMS_HOOK_HANDLED;
	}
	if (rc < 0) {
		*reply = talloc_strdup(tmp, msg(lang, M_UNKNOWN));
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
		*reply = talloc_strdup(tmp, msg(lang, M_UNKNOWN));
		return SMS_HOOK_HANDLED;
	}
	if (rc < 0) {
		return rc;
	}
	own = (c.reporter_key && !memcmp(c.reporter_key, key, 32)) ||
	      (c.subject_key && !memcmp(c.subject_key, key, 32));
	if (!own) {
		if (n != 4 || !c.pin_hash || c.pin_hash_len != SECRET_HASH_LEN || c.pin_locked_until > now) {
			*reply = talloc_strdup(tmp, msg(lang, M_UNKNOWN));
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
			*reply = talloc_strdup(tmp, msg(lang, M_UNKNOWN));
			return rc < 0 ? rc : SMS_HOOK_HANDLED;
		}
	}
	fmt_number(c.number, true, nog);
	if (unknown) {
		*unknown = false;
	}
	*reply = fill(tmp, msg(lang, M_STATUS), nog, pub_status(lang, c.state), NULL);
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
	int rc, prev;

	if (cmd->type == CASES_CMD_ON || cmd->type == CASES_CMD_OFF) {
		struct cases_override ov;
		char when[32];
		time_t t;
		struct tm tm;

		cases_override_for(cs->roster, who, cmd->type == CASES_CMD_ON ? CASES_DUTY_ON : CASES_DUTY_OFF, now,
				   cs->d->cfg->cases.on_max, &ov);
		rc = store_staff_state_put(cs->d->store, skey, ov.mode, ov.until);
		if (rc < 0) {
			return rc;
		}
		t = (time_t)ov.until;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%d.%m %H:%M UTC", &tm);
		*reply = talloc_asprintf(tmp, "Yordam: %s until %s.", cmd->type == CASES_CMD_ON ? "ON" : "OFF", when);
		LOGC(LOGL_INFO, "%s is %s\n", cases_roster_name(cs->roster, who),
		     cmd->type == CASES_CMD_ON ? "on" : "off");
		if (cmd->type == CASES_CMD_ON) {
			osmo_timer_schedule(&cs->timer, 0, 0); /* waiting cases may go out now */
		}
		return SMS_HOOK_HANDLED;
	}

	fmt_number(cmd->number, true, nog);
	rc = store_case_get(cs->d->store, cmd->number, tmp, &c);
	if (rc == -ENOENT) {
		*reply = talloc_asprintf(tmp, "Yordam: no case %s.", nog);
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
		*reply = talloc_asprintf(tmp, "Yordam: case %s is %s's.", nog,
					 prev >= 0 ? cases_roster_name(cs->roster, (unsigned)prev) : "someone else");
		return SMS_HOOK_HANDLED;
	}
	if (rc < 0) {
		*reply = talloc_asprintf(tmp, "Yordam: case %s is %s.", nog, cases_state_name(c.state) ?: "?");
		return SMS_HOOK_HANDLED;
	}
	if (c.reporter_enc) {
		reporter = secret_open_str(tmp, cs->d->secret, D_CASE_MSISDN, c.reporter_enc, c.reporter_enc_len);
	}
	prev = staff_index_by_key(cs, c.assignee_key);
	if ((actions & CASES_DO_TELL_PREVIOUS) && prev >= 0 && (unsigned)prev != who) {
		body = talloc_asprintf(tmp, "Yordam: %s took over case %s.", cases_roster_name(cs->roster, who), nog);
		if (body) {
			later(cs, cases_roster_phone(cs->roster, (unsigned)prev), body, "en");
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
		body = fill(tmp, msg(c.lang, M_REPLY_PREFIX), nog, NULL, NULL);
		body = body ? talloc_strndup_append(body, cmd->text, cmd->text_len) : NULL;
		if (!body) {
			return -ENOMEM;
		}
		rc = later(cs, reporter, body, c.lang);
		if (rc < 0) {
			return rc;
		}
	}
	if ((actions & CASES_DO_TELL_REPORTER) && reporter && ev != CASES_EV_REPLY) {
		body = fill(tmp, msg(c.lang, to == CASES_ST_CLOSED ? M_CLOSED : M_CLAIMED), nog, NULL, NULL);
		if (body) {
			later(cs, reporter, body, c.lang);
		}
	}
	if (actions & CASES_DO_SEND_INFO) {
		char *text = c.text_enc ? secret_open_str(tmp, cs->d->secret, D_CASE_TEXT, c.text_enc, c.text_enc_len)
					: NULL;

		*reply = talloc_asprintf(tmp, "Yordam case %s: %s, %s, %s, %s, %s, escalations %d%s%s", nog,
					 c.kind == CASES_KIND_CALLBACK ? "callback" : "complaint",
					 cases_category_label(c.category) ?: "?", c.country, c.lang,
					 cases_state_name(c.state) ?: "?", c.escalations, text ? ": " : "",
					 text ? cases_svc_excerpt(tmp, text, 300) : "");
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
	rc = event_add(cs, tmp, &c, ev, actors, skey, cmd->text, cmd->text ? cmd->text_len : 0, now);
	if (rc < 0) {
		return rc;
	}
	LOGC(LOGL_INFO, "case %s: %s by %s -> %s\n", nog, cases_event_name(ev), cases_roster_name(cs->roster, who),
	     cases_state_name(c.state));
	if (!*reply) {
		*reply = talloc_asprintf(tmp, "Yordam: case %s %s.", nog,
					 ev == CASES_EV_CLAIM	? "is yours"
					 : ev == CASES_EV_REPLY ? "reply sent"
								: "closed");
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
	int who, kw;

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
		if (err != CASES_CMD_E_UNKNOWN && err != CASES_CMD_E_EMPTY) {
			*reply = talloc_asprintf(ctx, "Yordam: %s.", cases_cmd_strerror(err));
			return SMS_HOOK_HANDLED;
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
		return callback(cs, ctx, sender, key, lang, 2, reply);
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
	char num[40], snum[40], pin[5], nog[CASES_NUMBER_STRLEN], *body;
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
			rc = store_commit(cs->d->store);
		} else {
			store_rollback(cs->d->store);
		}
	}
	if (rc == 0) {
		fmt_number(c.number, false, case_no);
		osmo_strlcpy(pin_out, pin, pin_len);
		fmt_number(c.number, true, nog);
		/* the same result by SMS, so the number and PIN are kept */
		body = fill(tmp, msg(uc->lang, M_FILED), nog, pin, case_no);
		if (body) {
			later(cs, num, body, uc->lang);
		}
		LOGC(LOGL_NOTICE, "case %s filed by USSD (%s)\n", nog, cases_category_slug(uc->category));
	}
	talloc_free(tmp);
	return rc;
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
		rc = callback(cs, tmp, num, key, lang, 4, NULL);
		if (rc >= 0 || rc == -EALREADY) {
			int crc = store_commit(cs->d->store);

			rc = crc < 0 ? crc : rc;
		} else {
			store_rollback(cs->d->store);
		}
	}
	talloc_free(tmp);
	if (rc < 0) {
		return rc;
	}
	if (when && when_len) {
		osmo_strlcpy(when,
			     lang_is(lang, "ru")   ? "как можно скорее"
			     : lang_is(lang, "uz") ? "imkon qadar tez"
						   : "as soon as possible",
			     when_len);
	}
	return 0;
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
	struct store_case c;
	uint8_t key[32];
	char num[40], lang[16], m[32], nog[CASES_NUMBER_STRLEN], *body;
	int64_t id;
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
		rc = callback(cs, tmp, num, key, lang, 3, NULL);
		if (rc == 0 || rc == SMS_HOOK_HANDLED || rc == -EALREADY) {
			int crc = store_commit(d->store);

			rc = crc < 0 ? crc : rc;
		} else {
			store_rollback(d->store);
		}
	}
	if (rc == SMS_HOOK_HANDLED && store_case_beep_find(d->store, key, now_s() - 60, now_s(), &id) == 0 &&
	    store_case_get_id(d->store, id, tmp, &c) == 0) {
		fmt_number(c.number, true, nog);
		body = fill(tmp, msg(lang, M_CALLBACK), nog, NULL, NULL);
		if (body) {
			later(cs, num, body, lang);
		}
	} else if (rc < 0 && rc != -EALREADY) {
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
	INIT_LLIST_HEAD(&cs->pending);
	osmo_timer_setup(&cs->timer, timer_cb, cs);
	osmo_timer_setup(&cs->flush_timer, flush_cb, cs);
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
	}
	if (d->engine) {
		ussd_engine_set_case_ops(d->engine, NULL);
	}
	osmo_timer_del(&cs->timer);
	osmo_timer_del(&cs->flush_timer);
	flush_cb(cs); /* what the last committed transaction still has to send */
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
