/* Routing: who gets a case now, who next, and when someone will be on duty. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include <yordam/cases_roster.h>

#include "roster_priv.h"

/* Staff tag "uz" matches the reporter's "uz-Latn" and "uz-Cyrl"; "uz-Cyrl" only "uz-Cyrl". */
static bool lang_matches(const char *staff, const char *reporter)
{
	size_t n = strlen(staff);

	if (strcasecmp(staff, reporter) == 0) {
		return true;
	}
	return !strchr(staff, '-') && strncasecmp(staff, reporter, n) == 0 && reporter[n] == '-';
}

bool cases_staff_matches(const struct cases_roster *r, unsigned i, const struct cases_attrs *c)
{
	const struct roster_entry *e;
	uint32_t topic;
	unsigned k;
	bool ok;

	if (!r || !c || i >= r->n) {
		return false;
	}
	e = &r->e[i];
	if (c->kind == CASES_KIND_CALLBACK) {
		topic = CASES_TOPIC_CALLBACK;
	} else if (cases_category_valid(c->category)) {
		topic = 1u << c->category;
	} else {
		return false;
	}
	if (!(e->topics & topic)) {
		return false;
	}
	/* A reporter with no language yet (should not happen: the picker comes first) is anyone's. */
	ok = e->lang_any || !c->language || !c->language[0];
	for (k = 0; !ok && k < e->n_lang; k++) {
		ok = lang_matches(e->lang[k], c->language);
	}
	if (!ok) {
		return false;
	}
	ok = e->country_any;
	for (k = 0; !ok && k < e->n_country; k++) {
		ok = strncasecmp(e->country[k], c->country, 2) == 0 && c->country[0] && c->country[1];
	}
	return ok;
}

/* The first index after last (cyclic) in set and not in skip, or -1. */
static int round_robin(size_t n, int last, uint64_t set, uint64_t skip)
{
	size_t k, i, start = last < 0 || (size_t)last >= n ? 0 : (size_t)last + 1;

	for (k = 0; k < n; k++) {
		i = (start + k) % n;
		if ((set & (1ull << i)) && !(skip & (1ull << i))) {
			return (int)i;
		}
	}
	return -1;
}

int cases_route(const struct cases_roster *r, const struct cases_override *ov, const struct cases_attrs *c, int64_t now,
		int last, uint64_t tried, struct cases_route *out)
{
	uint64_t match = 0, sup = 0, on_match = 0, on_sup = 0;
	int64_t t, best = -1;
	size_t i;
	int pick;

	if (!r || !c || !out) {
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	out->staff = -1;
	out->expect_at = -1;
	for (i = 0; i < r->n; i++) {
		bool on = cases_on_duty(r, ov, (unsigned)i, now);
		if (cases_staff_matches(r, (unsigned)i, c)) {
			match |= 1ull << i;
			on_match |= on ? 1ull << i : 0;
		} else if (r->e[i].supervisor) {
			sup |= 1ull << i;
			on_sup |= on ? 1ull << i : 0;
		}
	}
	pick = round_robin(r->n, last, on_match, tried);
	if (pick < 0 && (pick = round_robin(r->n, last, on_sup, tried)) >= 0) {
		out->fallback = true;
	}
	if (pick < 0 && (on_match | on_sup)) {
		out->wrapped = true;
		pick = round_robin(r->n, last, on_match, 0);
		if (pick < 0) {
			pick = round_robin(r->n, last, on_sup, 0);
			out->fallback = true;
		}
	}
	if (pick >= 0) {
		out->result = CASES_ROUTE_ASSIGN;
		out->staff = pick;
		return 0;
	}
	if (!(match | sup)) {
		out->result = CASES_ROUTE_NOBODY;
		return 0;
	}
	for (i = 0; i < r->n; i++) {
		if (!((match | sup) & (1ull << i))) {
			continue;
		}
		t = cases_next_duty_start(r, ov, (unsigned)i, now);
		if (t >= 0 && (best < 0 || t < best)) {
			best = t;
		}
	}
	out->result = CASES_ROUTE_WAIT;
	out->expect_at = best;
	return 0;
}
