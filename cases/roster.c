/* The staff roster: validation, compilation, phone numbers, duty hours and overrides. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <osmocom/core/talloc.h>

#include <yordam/cases_roster.h>
#include <yordam/text.h>

#include "cases_priv.h"
#include "roster_priv.h"

#define DAY	    86400
#define HORIZON	    (8 * DAY)
#define MAX_OFFSETS 16

/* --- duty windows ---------------------------------------------------------------------------- */

static const char *const day_names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static const char *skip_sp(const char *s)
{
	while (*s == ' ' || *s == '\t') {
		s++;
	}
	return s;
}

static int parse_day(const char **s)
{
	int d;

	for (d = 0; d < 7; d++) {
		if (strncasecmp(*s, day_names[d], 3) == 0 && !isalpha((unsigned char)(*s)[3])) {
			*s += 3;
			return d;
		}
	}
	return -1;
}

/* H:MM or HH:MM; 24:00 only when allow_24. Returns minutes or -1. */
static int parse_clock(const char **s, bool allow_24)
{
	int h = 0, m, n = 0;

	while (isdigit((unsigned char)**s) && n < 2) {
		h = h * 10 + (**s - '0');
		(*s)++;
		n++;
	}
	if (n == 0 || **s != ':' || !isdigit((unsigned char)(*s)[1]) || !isdigit((unsigned char)(*s)[2])) {
		return -1;
	}
	m = ((*s)[1] - '0') * 10 + ((*s)[2] - '0');
	*s += 3;
	if (m > 59 || h > 24 || (h == 24 && (m != 0 || !allow_24))) {
		return -1;
	}
	return h * 60 + m;
}

int cases_duty_parse(const char *s, struct cases_duty *out, const char **why)
{
	const char *dummy;
	int a, b, start, end;
	uint8_t days = 0;

	if (!why) {
		why = &dummy;
	}
	if (!s || !out) {
		*why = "missing";
		return -EINVAL;
	}
	s = skip_sp(s);
	if (strncasecmp(s, "daily", 5) == 0 && !isalpha((unsigned char)s[5])) {
		days = 0x7f;
		s += 5;
	} else {
		for (;;) {
			s = skip_sp(s);
			a = parse_day(&s);
			if (a < 0) {
				*why = "expected a day (mon..sun or daily)";
				return -EINVAL;
			}
			s = skip_sp(s);
			b = a;
			if (*s == '-') {
				s = skip_sp(s + 1);
				b = parse_day(&s);
				if (b < 0) {
					*why = "expected a day after '-'";
					return -EINVAL;
				}
			}
			for (;; a = (a + 1) % 7) { /* ranges may wrap: fri-mon */
				days |= (uint8_t)(1u << a);
				if (a == b) {
					break;
				}
			}
			s = skip_sp(s);
			if (*s != ',') {
				break;
			}
			s++;
		}
	}
	s = skip_sp(s);
	start = parse_clock(&s, false);
	if (start < 0) {
		*why = "expected a start time HH:MM (00:00..23:59)";
		return -EINVAL;
	}
	s = skip_sp(s);
	if (*s != '-') {
		*why = "expected '-' between the times";
		return -EINVAL;
	}
	s = skip_sp(s + 1);
	end = parse_clock(&s, true);
	if (end < 0) {
		*why = "expected an end time HH:MM (00:01..24:00)";
		return -EINVAL;
	}
	if (*skip_sp(s)) {
		*why = "unexpected text after the end time";
		return -EINVAL;
	}
	if (end == start || (end == 0 && start == 0)) {
		*why = "empty window (use 00:00-24:00 for a whole day)";
		return -EINVAL;
	}
	out->days = days;
	out->start_min = (uint16_t)start;
	out->end_min = (uint16_t)(end == 0 ? 1440 : end); /* "22:00-00:00" ends at midnight */
	return 0;
}

/* --- phone numbers --------------------------------------------------------------------------- */

int cases_phone_normalise(const char *in, char *out, size_t outlen)
{
	char buf[CASES_PHONE_MAX];
	size_t n = 0;
	const char *s;

	if (!in || !out) {
		return -EINVAL;
	}
	s = skip_sp(in);
	if (s[0] == '+') {
		s++;
	} else if (s[0] == '0' && s[1] == '0') {
		s += 2;
	} else {
		return -EINVAL;
	}
	buf[n++] = '+';
	for (; *s; s++) {
		if (isdigit((unsigned char)*s)) {
			if (n == 1 && *s == '0') {
				return -EINVAL; /* country codes never start with 0 */
			}
			if (n == 16) {
				return -EINVAL; /* E.164: at most 15 digits */
			}
			buf[n++] = *s;
		} else if (!(*s == ' ' || *s == '\t' || *s == '-' || *s == '.' || *s == '(' || *s == ')')) {
			return -EINVAL;
		}
	}
	if (n < 8) {
		return -EINVAL;
	}
	if (outlen < n + 1) {
		return -ENOSPC;
	}
	memcpy(out, buf, n);
	out[n] = '\0';
	return (int)n;
}

/* --- compile --------------------------------------------------------------------------------- */

static bool lang_tag_valid(const char *t)
{
	size_t i, part = 0, len = strlen(t);

	if (strcmp(t, "*") == 0) {
		return true;
	}
	if (len < 2 || len >= CASES_LANG_MAX) {
		return false;
	}
	for (i = 0; i <= len; i++) {
		if (t[i] == '-' || t[i] == '\0') {
			if (part < 2 || part > 8) {
				return false;
			}
			part = 0;
			continue;
		}
		if (!isalnum((unsigned char)t[i]) || (i < 3 && !isalpha((unsigned char)t[i]))) {
			return false;
		}
		part++;
	}
	return true;
}

static void add_error(char **errors, void *ctx, const struct cases_staff *st, size_t i, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void add_error(char **errors, void *ctx, const struct cases_staff *st, size_t i, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!*errors) {
		*errors = talloc_strdup(ctx, "");
	}
	if (!*errors) {
		return;
	}
	if (st && st->name && st->name[0] && text_utf8_valid(st->name, strlen(st->name)) &&
	    strlen(st->name) <= CASES_NAME_MAX) {
		*errors = talloc_asprintf_append(*errors, "staff %zu (%s): %s\n", i + 1, st->name, msg);
	} else if (st) {
		*errors = talloc_asprintf_append(*errors, "staff %zu: %s\n", i + 1, msg);
	} else {
		*errors = talloc_asprintf_append(*errors, "%s\n", msg);
	}
}

/* Check a list (pointer + count) before reading it. */
static bool list_ok(char **errors, void *ctx, const struct cases_staff *st, size_t i, const char *what,
		    const char *const *list, size_t n, bool may_be_empty)
{
	size_t k;

	if (n > CASES_STAFF_MAX_LIST) {
		add_error(errors, ctx, st, i, "%s: %zu entries, at most %d", what, n, CASES_STAFF_MAX_LIST);
		return false;
	}
	if (n == 0 && !may_be_empty) {
		add_error(errors, ctx, st, i, "%s: empty (use \"*\" for any)", what);
		return false;
	}
	if (n && !list) {
		add_error(errors, ctx, st, i, "%s: missing", what);
		return false;
	}
	for (k = 0; k < n; k++) {
		if (!list[k]) {
			add_error(errors, ctx, st, i, "%s: entry %zu missing", what, k + 1);
			return false;
		}
	}
	return true;
}

static int compile_one(void *ctx, struct roster_entry *e, const struct cases_staff *st, size_t i, const char *tzdir,
		       char **errors, void *tzctx)
{
	const char *why;
	size_t k, len;
	int bad = 0, rc, topic;

	memset(e, 0, sizeof(*e));
	len = st->name ? strlen(st->name) : 0;
	if (len == 0 || len > CASES_NAME_MAX || !text_utf8_valid(st->name, len)) {
		add_error(errors, ctx, st, i, "name: 1..%d bytes of UTF-8 required", CASES_NAME_MAX);
		bad = 1;
	} else {
		for (k = 0; k < len; k++) {
			if ((unsigned char)st->name[k] < 0x20 || st->name[k] == 0x7f) {
				add_error(errors, ctx, st, i, "name: control character");
				bad = 1;
				break;
			}
		}
		memcpy(e->name, st->name, len + 1);
	}
	if (!st->phone || cases_phone_normalise(st->phone, e->phone, sizeof(e->phone)) < 0) {
		add_error(errors, ctx, st, i,
			  "phone \"%.20s\": not an international number (+ country code, 7..15 digits)",
			  st->phone ? st->phone : "");
		bad = 1;
	}
	if (list_ok(errors, ctx, st, i, "languages", st->languages, st->n_languages, false)) {
		for (k = 0; k < st->n_languages; k++) {
			if (!lang_tag_valid(st->languages[k])) {
				add_error(errors, ctx, st, i,
					  "language \"%.16s\": not a language tag like uz, uz-Cyrl, ru",
					  st->languages[k]);
				bad = 1;
			} else if (strcmp(st->languages[k], "*") == 0) {
				e->lang_any = true;
			} else {
				snprintf(e->lang[e->n_lang++], CASES_LANG_MAX, "%s", st->languages[k]);
			}
		}
	} else {
		bad = 1;
	}
	if (list_ok(errors, ctx, st, i, "countries", st->countries, st->n_countries, false)) {
		for (k = 0; k < st->n_countries; k++) {
			const char *c = st->countries[k];
			if (strcmp(c, "*") == 0) {
				e->country_any = true;
			} else if (strlen(c) == 2 && isalpha((unsigned char)c[0]) && isalpha((unsigned char)c[1])) {
				e->country[e->n_country][0] = (char)toupper((unsigned char)c[0]);
				e->country[e->n_country][1] = (char)toupper((unsigned char)c[1]);
				e->n_country++;
			} else {
				add_error(errors, ctx, st, i, "country \"%.16s\": not an ISO 3166 code like RU, KZ", c);
				bad = 1;
			}
		}
	} else {
		bad = 1;
	}
	if (list_ok(errors, ctx, st, i, "topics", st->topics, st->n_topics, false)) {
		for (k = 0; k < st->n_topics; k++) {
			const char *t = st->topics[k];
			if (strcmp(t, "*") == 0) {
				e->topics |= CASES_TOPIC_ALL;
			} else if (strcasecmp(t, "callback") == 0) {
				e->topics |= CASES_TOPIC_CALLBACK;
			} else if ((topic = cases_category_from_slug(t)) > 0) {
				e->topics |= 1u << topic;
			} else {
				add_error(errors, ctx, st, i,
					  "topic \"%.16s\": use wages, documents, unsafe, recruiter, violence, "
					  "detention, other, callback or *",
					  t);
				bad = 1;
			}
		}
	} else {
		bad = 1;
	}
	if (!st->timezone) {
		add_error(errors, ctx, st, i, "timezone: missing (an IANA name like Asia/Tashkent)");
		bad = 1;
	} else if (!cases_tz_name_valid(st->timezone)) {
		add_error(errors, ctx, st, i, "timezone \"%.40s\": not a zone name like Asia/Tashkent", st->timezone);
		bad = 1;
	} else {
		rc = cases_tz_load(tzctx, tzdir, st->timezone, &e->tz);
		if (rc < 0) {
			add_error(errors, ctx, st, i, "timezone \"%s\": %s", st->timezone,
				  rc == -ENOENT	   ? "no such zone"
				  : rc == -EBADMSG ? "malformed zone file"
						   : strerror(-rc));
			bad = 1;
		}
	}
	if (list_ok(errors, ctx, st, i, "duty", st->duty, st->n_duty, true)) {
		for (k = 0; k < st->n_duty; k++) {
			if (cases_duty_parse(st->duty[k], &e->duty[e->n_duty], &why) < 0) {
				add_error(errors, ctx, st, i, "duty \"%.40s\": %s", st->duty[k], why);
				bad = 1;
			} else {
				e->n_duty++;
			}
		}
	} else {
		bad = 1;
	}
	e->supervisor = st->supervisor;
	return bad ? -EINVAL : 0;
}

int cases_roster_compile(void *ctx, const struct cases_staff *staff, size_t n, const char *tzdir,
			 struct cases_roster **out, char **errors)
{
	struct cases_roster *r;
	char *errs = NULL;
	size_t i, j;
	int bad = 0, cat;
	uint32_t covered = 0;
	bool any_sup = false;

	if (!out || !errors || (n && !staff)) {
		return -EINVAL;
	}
	*out = NULL;
	*errors = NULL;
	if (n > CASES_ROSTER_MAX) {
		add_error(errors, ctx, NULL, 0, "roster: %zu staff, at most %d", n, CASES_ROSTER_MAX);
		return -EINVAL;
	}
	r = talloc_zero(ctx, struct cases_roster);
	if (!r) {
		return -ENOMEM;
	}
	r->n = n;
	r->e = talloc_zero_array(r, struct roster_entry, n ? n : 1);
	if (!r->e) {
		talloc_free(r);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if (compile_one(ctx, &r->e[i], &staff[i], i, tzdir, &errs, r) < 0) {
			bad = 1;
		}
	}
	for (j = 1; j < n; j++) {
		for (i = 0; i < j && r->e[j].phone[0]; i++) {
			if (strcmp(r->e[i].phone, r->e[j].phone) == 0) {
				add_error(&errs, ctx, &staff[j], j, "phone %s: already staff %zu's", r->e[j].phone,
					  i + 1);
				bad = 1;
				break;
			}
		}
	}
	if (bad) {
		talloc_free(r);
		*errors = errs;
		return -EINVAL;
	}
	/* Warnings: the roster works, but some cases would only ever wait. */
	for (i = 0; i < n; i++) {
		covered |= r->e[i].topics;
		any_sup |= r->e[i].supervisor;
		if (r->e[i].n_duty == 0) {
			add_error(&errs, ctx, &staff[i], i, "warning: no duty hours: on duty only after ON");
		}
	}
	if (!any_sup) {
		add_error(&errs, ctx, NULL, 0, "warning: no supervisor: cases no one matches will wait or be dropped");
	}
	for (cat = CASES_CAT_MIN; cat <= CASES_CAT_MAX; cat++) {
		if (!(covered & (1u << cat)) && !any_sup) {
			add_error(&errs, ctx, NULL, 0, "warning: no one covers topic %s", cases_category_slug(cat));
		}
	}
	if (!(covered & CASES_TOPIC_CALLBACK) && !any_sup) {
		add_error(&errs, ctx, NULL, 0, "warning: no one covers topic callback");
	}
	*errors = errs;
	*out = r;
	return 0;
}

size_t cases_roster_count(const struct cases_roster *r)
{
	return r ? r->n : 0;
}

const char *cases_roster_name(const struct cases_roster *r, unsigned i)
{
	return r && i < r->n ? r->e[i].name : NULL;
}

const char *cases_roster_language(const struct cases_roster *r, unsigned i, unsigned k)
{
	return r && i < r->n && k < r->e[i].n_lang ? r->e[i].lang[k] : NULL;
}

const struct cases_tz *cases_roster_tz(const struct cases_roster *r, unsigned i)
{
	return r && i < r->n ? r->e[i].tz : NULL;
}

const char *cases_roster_phone(const struct cases_roster *r, unsigned i)
{
	return r && i < r->n ? r->e[i].phone : NULL;
}

bool cases_roster_supervisor(const struct cases_roster *r, unsigned i)
{
	return r && i < r->n && r->e[i].supervisor;
}

int cases_roster_find_phone(const struct cases_roster *r, const char *phone)
{
	char norm[CASES_PHONE_MAX];
	size_t i;

	if (!r || !phone || cases_phone_normalise(phone, norm, sizeof(norm)) < 0) {
		return -EINVAL;
	}
	for (i = 0; i < r->n; i++) {
		if (strcmp(r->e[i].phone, norm) == 0) {
			return (int)i;
		}
	}
	return -ENOENT;
}

/* --- duty at a time -------------------------------------------------------------------------- */

static int64_t fdiv(int64_t a, int64_t b)
{
	return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

bool cases_roster_sched_on(const struct roster_entry *e, int64_t t)
{
	struct cases_local l;
	unsigned m, k, wd, yd;

	cases_tz_local(e->tz, t, &l);
	m = (unsigned)(l.hour * 60 + l.min);
	wd = (unsigned)l.wday;
	yd = (wd + 6) % 7;
	for (k = 0; k < e->n_duty; k++) {
		const struct cases_duty *w = &e->duty[k];
		if (w->end_min > w->start_min) {
			if ((w->days & (1u << wd)) && m >= w->start_min && m < w->end_min) {
				return true;
			}
		} else if (((w->days & (1u << wd)) && m >= w->start_min) ||
			   ((w->days & (1u << yd)) && m < w->end_min)) {
			return true;
		}
	}
	return false;
}

/* Distinct offsets in effect between from and to. */
static unsigned offsets_between(const struct cases_tz *tz, int64_t from, int64_t to, int32_t *offs)
{
	unsigned n = 0, k;
	int64_t t = from;
	int32_t o;

	for (;;) {
		o = cases_tz_offset(tz, t);
		for (k = 0; k < n && offs[k] != o; k++) {
		}
		if (k == n && n < MAX_OFFSETS) {
			offs[n++] = o;
		}
		t = cases_tz_next_change(tz, t);
		if (t == INT64_MAX || t > to) {
			return n;
		}
	}
}

/* The first instant in [from, from + HORIZON] at which the schedule turns to want (on or off),
 * or -1. The schedule changes only where the local clock reaches a window edge or where the offset
 * jumps; both kinds of instants are candidates, checked against the schedule itself. */
static int64_t sched_next(const struct roster_entry *e, int64_t from, bool want)
{
	int32_t offs[MAX_OFFSETS];
	int64_t to = from + HORIZON, best = -1, day0, d, L, t;
	unsigned n, w, o;

	if (cases_roster_sched_on(e, from) == want) {
		return from;
	}
	n = offsets_between(e->tz, from - 2 * DAY, to + 2 * DAY, offs);
	day0 = fdiv(from + cases_tz_offset(e->tz, from), DAY);
	for (d = day0 - 1; d <= day0 + 9; d++) {
		unsigned wd = (unsigned)(((d + 3) % 7 + 7) % 7);
		for (w = 0; w < e->n_duty; w++) {
			const struct cases_duty *win = &e->duty[w];
			if (!(win->days & (1u << wd))) {
				continue;
			}
			if (want) {
				L = d * DAY + win->start_min * 60;
			} else {
				L = (win->end_min > win->start_min ? d : d + 1) * DAY + win->end_min * 60;
			}
			for (o = 0; o < n; o++) {
				t = L - offs[o];
				if (t < from || t > to || (best >= 0 && t >= best) ||
				    cases_tz_offset(e->tz, t) != offs[o]) {
					continue;
				}
				if (cases_roster_sched_on(e, t) == want) {
					best = t;
				}
			}
		}
	}
	for (t = cases_tz_next_change(e->tz, from); t != INT64_MAX && t <= to && (best < 0 || t < best);
	     t = cases_tz_next_change(e->tz, t)) {
		if (cases_roster_sched_on(e, t) == want) {
			best = t;
			break;
		}
	}
	return best;
}

static bool override_active(const struct cases_override *ov, unsigned i, int64_t now)
{
	return ov && ov[i].mode != CASES_DUTY_SCHEDULE && now < ov[i].until;
}

bool cases_on_duty(const struct cases_roster *r, const struct cases_override *ov, unsigned i, int64_t now)
{
	if (!r || i >= r->n) {
		return false;
	}
	if (override_active(ov, i, now)) {
		return ov[i].mode == CASES_DUTY_ON;
	}
	return cases_roster_sched_on(&r->e[i], now);
}

int64_t cases_next_duty_start(const struct cases_roster *r, const struct cases_override *ov, unsigned i, int64_t now)
{
	int64_t from = now;

	if (!r || i >= r->n) {
		return -1;
	}
	if (override_active(ov, i, now)) {
		if (ov[i].mode == CASES_DUTY_ON) {
			return now;
		}
		from = ov[i].until;
		if (from - now > HORIZON) {
			return -1;
		}
	}
	return sched_next(&r->e[i], from, true);
}

int64_t cases_duty_end(const struct cases_roster *r, unsigned i, int64_t now)
{
	if (!r || i >= r->n || !cases_roster_sched_on(&r->e[i], now)) {
		return -1;
	}
	return sched_next(&r->e[i], now, false);
}

void cases_override_for(const struct cases_roster *r, unsigned i, enum cases_duty_mode mode, int64_t now,
			int64_t max_on, struct cases_override *out)
{
	int64_t end;

	out->mode = mode;
	out->until = now;
	if (!r || i >= r->n || mode == CASES_DUTY_SCHEDULE) {
		out->mode = CASES_DUTY_SCHEDULE;
		return;
	}
	end = cases_duty_end(r, i, now);
	if (end > now) {
		out->until = end;
	} else if (mode == CASES_DUTY_ON || cases_roster_sched_on(&r->e[i], now)) {
		out->until = now + max_on; /* ON outside hours, or OFF in a schedule without an end in sight */
	} else {
		end = sched_next(&r->e[i], now, true); /* OFF outside hours: until the next window */
		out->until = end > now ? end : now;
	}
}
