/* Unit tests for the cases library: check digit (exhaustive proof), case numbers, categories,
 * the state machine and the staff SMS commands. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <osmocom/core/talloc.h>

#include <yordam/cases.h>

/* Our own copy of the published Damm table (Damm 2004; the table on Wikipedia), so the proof
 * below does not trust the library's copy: the library must agree with it on every number. */
static const uint8_t T[10][10] = {
	{0, 3, 1, 7, 5, 9, 8, 6, 4, 2}, {7, 0, 9, 2, 1, 5, 4, 8, 6, 3}, {4, 2, 0, 6, 8, 7, 1, 3, 5, 9},
	{1, 7, 5, 0, 9, 8, 3, 4, 2, 6}, {6, 1, 2, 3, 0, 4, 5, 9, 7, 8}, {3, 6, 7, 4, 2, 0, 9, 5, 8, 1},
	{5, 8, 6, 9, 7, 2, 0, 1, 3, 4}, {8, 9, 4, 5, 3, 6, 2, 0, 1, 7}, {9, 4, 3, 8, 6, 1, 7, 2, 0, 5},
	{2, 5, 8, 1, 4, 3, 6, 7, 9, 0},
};

/* The algebra that makes the proof below unsurprising: T is a quasigroup (a Latin square) with a
 * zero diagonal that is weakly totally anti-symmetric. */
static void test_damm_table_properties(void **state)
{
	unsigned c, x, y, seen;

	for (x = 0; x < 10; x++) {
		assert_int_equal(T[x][x], 0);
		for (seen = 0, y = 0; y < 10; y++) {
			seen |= 1u << T[x][y];
		}
		assert_int_equal(seen, 0x3ff); /* every row a permutation */
		for (seen = 0, y = 0; y < 10; y++) {
			seen |= 1u << T[y][x];
		}
		assert_int_equal(seen, 0x3ff); /* every column a permutation */
	}
	for (c = 0; c < 10; c++) {
		for (x = 0; x < 10; x++) {
			for (y = 0; y < 10; y++) {
				if (x != y) {
					assert_int_not_equal(T[T[c][x]][y], T[T[c][y]][x]);
				}
			}
		}
	}
}

/* The proof, by exhaustion: for each of the 10^6 payloads 000000..999999, the 7-digit case number
 * (payload + check digit) is valid, and each of its 63 single-digit substitutions and each of its
 * swaps of two different adjacent digits (the check digit included) is invalid. */
static void test_damm_exhaustive(void **state)
{
	uint64_t substitutions = 0, swaps = 0;
	unsigned p, k, j, a, s, d[CASES_NUMBER_DIGITS], pre[CASES_NUMBER_DIGITS + 1];
	char str[CASES_NUMBER_DIGITS + 1];

	for (p = 0; p < CASES_NUMBER_SPACE; p++) {
		for (k = 0, a = p; k < CASES_NUMBER_PAYLOAD_DIGITS; k++) {
			d[CASES_NUMBER_PAYLOAD_DIGITS - 1 - k] = a % 10;
			a /= 10;
		}
		pre[0] = 0;
		for (k = 0; k < CASES_NUMBER_PAYLOAD_DIGITS; k++) {
			pre[k + 1] = T[pre[k]][d[k]];
		}
		d[CASES_NUMBER_PAYLOAD_DIGITS] = pre[CASES_NUMBER_PAYLOAD_DIGITS]; /* the check digit */
		pre[CASES_NUMBER_DIGITS] = T[pre[CASES_NUMBER_PAYLOAD_DIGITS]][d[CASES_NUMBER_PAYLOAD_DIGITS]];
		assert_int_equal(pre[CASES_NUMBER_DIGITS], 0);

		/* The library agrees: same check digit, and the number is valid. */
		for (k = 0; k < CASES_NUMBER_DIGITS; k++) {
			str[k] = (char)('0' + d[k]);
		}
		str[CASES_NUMBER_DIGITS] = '\0';
		assert_int_equal(cases_damm_digit(str, CASES_NUMBER_PAYLOAD_DIGITS),
				 (int)d[CASES_NUMBER_PAYLOAD_DIGITS]);
		assert_true(cases_damm_valid(str, CASES_NUMBER_DIGITS));

		for (k = 0; k < CASES_NUMBER_DIGITS; k++) {
			for (a = 0; a < 10; a++) {
				if (a == d[k]) {
					continue;
				}
				s = T[pre[k]][a];
				for (j = k + 1; j < CASES_NUMBER_DIGITS; j++) {
					s = T[s][d[j]];
				}
				if (s == 0) {
					fail_msg("single-digit error undetected: %s, digit %u -> %u", str, k, a);
				}
				substitutions++;
			}
		}
		for (k = 0; k + 1 < CASES_NUMBER_DIGITS; k++) {
			if (d[k] == d[k + 1]) {
				continue; /* swapping equal digits changes nothing */
			}
			s = T[T[pre[k]][d[k + 1]]][d[k]];
			for (j = k + 2; j < CASES_NUMBER_DIGITS; j++) {
				s = T[s][d[j]];
			}
			if (s == 0) {
				fail_msg("adjacent swap undetected: %s, positions %u,%u", str, k, k + 1);
			}
			swaps++;
		}
		/* Through the public parser too, for a sample: every substitution is -EBADMSG. */
		if (p % 9973 == 0) {
			uint32_t n;
			char bad[CASES_NUMBER_DIGITS + 1];
			for (k = 0; k < CASES_NUMBER_DIGITS; k++) {
				memcpy(bad, str, sizeof(bad));
				bad[k] = (char)('0' + (d[k] + 1 + p % 9) % 10);
				assert_int_equal(cases_number_parse(bad, CASES_NUMBER_DIGITS, &n), -EBADMSG);
			}
		}
	}
	assert_int_equal(substitutions, 63ull * CASES_NUMBER_SPACE);
	/* 6 adjacent pairs per number, of which 9 in 10 differ on average (the check digit is as likely
	 * to equal its neighbour as any digit). */
	assert_true(swaps > 5ull * CASES_NUMBER_SPACE && swaps < 6ull * CASES_NUMBER_SPACE);
	print_message("check digit: %u numbers, %llu single-digit errors and %llu adjacent swaps, all detected\n",
		      CASES_NUMBER_SPACE, (unsigned long long)substitutions, (unsigned long long)swaps);
}

static void test_damm_edges(void **state)
{
	assert_int_equal(cases_damm_digit("", 0), 0);
	assert_int_equal(cases_damm_digit("572", 3), 4); /* the textbook example: 572 -> 5724 */
	assert_true(cases_damm_valid("5724", 4));
	assert_false(cases_damm_valid("5727", 4));
	assert_int_equal(cases_damm_digit("57a", 3), -EINVAL);
	assert_false(cases_damm_valid("0", 1));
	assert_false(cases_damm_valid("5 724", 5));
}

static const uint8_t key1[CASES_NUMBER_KEY_LEN] = "0123456789abcdef0123456789abcdef";
static const uint8_t key2[CASES_NUMBER_KEY_LEN] = "0123456789abcdef0123456789abcdeF";

/* The keyed map is a permutation of the whole space, invertible, and key-dependent. */
static void test_numgen_permutation(void **state)
{
	void *ctx = talloc_named_const(NULL, 0, "test");
	struct cases_numgen *g = cases_numgen_alloc(ctx, key1), *g2 = cases_numgen_alloc(ctx, key2);
	uint8_t *seen = calloc(CASES_NUMBER_SPACE, 1);
	uint32_t n, n2, same = 0, sequential = 0, prev = 0;
	uint64_t seq, back;
	char str[CASES_NUMBER_STRLEN];

	assert_non_null(g);
	assert_non_null(g2);
	assert_non_null(seen);
	for (seq = 0; seq < CASES_NUMBER_SPACE; seq++) {
		assert_int_equal(cases_number_from_seq(g, seq, &n), 0);
		assert_true(n <= 9999999);
		assert_int_equal(cases_number_format(n, false, str), CASES_NUMBER_DIGITS);
		assert_true(cases_damm_valid(str, CASES_NUMBER_DIGITS));
		assert_int_equal(seen[n / 10], 0);
		seen[n / 10] = 1;
		assert_int_equal(cases_number_to_seq(g, n, &back), 0);
		assert_int_equal(back, seq);
		assert_int_equal(cases_number_from_seq(g2, seq, &n2), 0);
		same += n == n2;
		sequential += seq > 0 && n / 10 == prev / 10 + 1;
		prev = n;
	}
	/* Another key, another permutation: agreement by chance ~1 in 10^6 per number. */
	assert_true(same < 10);
	assert_true(sequential < 10);
	/* Same key, same numbers (the sequence is in the store; numbers survive a restart). */
	{
		struct cases_numgen *g3 = cases_numgen_alloc(ctx, key1);
		assert_int_equal(cases_number_from_seq(g3, 12345, &n), 0);
		assert_int_equal(cases_number_from_seq(g, 12345, &n2), 0);
		assert_int_equal(n, n2);
	}
	assert_int_equal(cases_number_from_seq(g, CASES_NUMBER_SPACE, &n), -ENOSPC);
	assert_int_equal(cases_number_from_seq(NULL, 0, &n), -EINVAL);
	assert_int_equal(cases_number_to_seq(g, 10000000, &back), -EINVAL);
	assert_int_equal(cases_number_from_seq(g, 0, &n), 0);
	assert_int_equal(cases_number_to_seq(g, n / 10 * 10 + (n % 10 + 1) % 10, &back), -EBADMSG);
	assert_null(cases_numgen_alloc(ctx, NULL));
	free(seen);
	talloc_free(ctx);
}

static void test_number_format_parse(void **state)
{
	char out[CASES_NUMBER_STRLEN];
	uint32_t n;
	size_t used;
	unsigned nd;

	assert_int_equal(cases_number_format(1234566, true, out), 8);
	assert_string_equal(out, "123 4566");
	assert_int_equal(cases_number_format(42, false, out), 7);
	assert_string_equal(out, "0000042");
	assert_int_equal(cases_number_format(10000000, false, out), -EINVAL);

	/* 123456 + Damm digit 6 */
	assert_int_equal(cases_damm_digit("123456", 6), 6);
	static const char *ok[] = {
		"1234566",
		"123 4566",
		"123-4566",
		" 12 34 56 6 ",
		"123\xe2\x80\x91"
		"4566",
		"123\xc2\xa0"
		"4566",
		"1.234.566",
		"\t1234566\n",
		"123\xe2\x88\x92"
		"4566",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		n = 0;
		assert_int_equal(cases_number_parse(ok[i], strlen(ok[i]), &n), 0);
		assert_int_equal(n, 1234566);
	}
	assert_int_equal(cases_number_parse("1234565", 7, &n), -EBADMSG);
	assert_int_equal(n, 1234565);
	assert_int_equal(cases_number_parse("1243566", 7, &n), -EBADMSG); /* adjacent swap */
	assert_int_equal(cases_number_parse("123456", 6, &n), -ERANGE);
	assert_int_equal(cases_number_parse("12345666", 8, &n), -ERANGE);
	assert_int_equal(cases_number_parse("123 4566 6", 10, &n), -ERANGE);
	assert_int_equal(cases_number_parse("", 0, &n), -EINVAL);
	assert_int_equal(cases_number_parse("  - ", 4, &n), -EINVAL);
	assert_int_equal(cases_number_parse("abc", 3, &n), -EINVAL);
	assert_int_equal(cases_number_parse("1234566x", 8, &n), -EINVAL);
	assert_int_equal(cases_number_parse("123*4566", 8, &n), -EINVAL);
	assert_int_equal(cases_number_parse("123\xff"
					    "4566",
					    8, &n),
			 -EINVAL);
	/* Not NUL-terminated: only len bytes are read. */
	assert_int_equal(cases_number_parse("12345669999", 7, &n), 0);

	assert_int_equal(cases_number_scan("123 4566 5 workers", 18, &used, &nd, &n), 0);
	assert_int_equal(used, 8);
	assert_int_equal(nd, 7);
	assert_int_equal(cases_number_scan("12345665", 8, &used, &nd, &n), -ERANGE);
	assert_int_equal(nd, 8);
	assert_int_equal(cases_number_scan("123-", 4, &used, &nd, &n), -ERANGE);
	assert_int_equal(used, 3);
}

static void test_categories(void **state)
{
	int c;

	/* The codes are stored and synced: they must never change. */
	assert_int_equal(CASES_CAT_UNPAID_WAGES, 1);
	assert_int_equal(CASES_CAT_DOCUMENTS_RETAINED, 2);
	assert_int_equal(CASES_CAT_UNSAFE_WORK, 3);
	assert_int_equal(CASES_CAT_FRAUDULENT_RECRUITER, 4);
	assert_int_equal(CASES_CAT_VIOLENCE_TRAFFICKING, 5);
	assert_int_equal(CASES_CAT_DETENTION_DEPORTATION, 6);
	assert_int_equal(CASES_CAT_OTHER, 7);
	assert_int_equal(CASES_KIND_COMPLAINT, 1);
	assert_int_equal(CASES_KIND_CALLBACK, 2);
	assert_int_equal(CASES_ST_NEW, 1);
	assert_int_equal(CASES_ST_CLOSED, 5);
	for (c = CASES_CAT_MIN; c <= CASES_CAT_MAX; c++) {
		assert_true(cases_category_valid(c));
		assert_non_null(cases_category_label(c));
		assert_int_equal(cases_category_from_slug(cases_category_slug(c)), c);
	}
	assert_string_equal(cases_category_slug(CASES_CAT_DOCUMENTS_RETAINED), "documents");
	assert_int_equal(cases_category_from_slug("WAGES"), CASES_CAT_UNPAID_WAGES);
	assert_false(cases_category_valid(0));
	assert_false(cases_category_valid(8));
	assert_null(cases_category_slug(0));
	assert_null(cases_category_label(-1));
	assert_int_equal(cases_category_from_slug("wage"), -EINVAL);
	assert_int_equal(cases_category_from_slug(NULL), -EINVAL);
}

/* --- state machine --------------------------------------------------------------------------- */

#define SYS   CASES_ACT_SYSTEM
#define REP   CASES_ACT_REPORTER
#define STAFF CASES_ACT_STAFF
#define OWNER (CASES_ACT_STAFF | CASES_ACT_ASSIGNEE)
#define SUP   (CASES_ACT_STAFF | CASES_ACT_SUPERVISOR)
#define OP    CASES_ACT_OPERATOR

static enum cases_state step(enum cases_state from, enum cases_event ev, unsigned actors, unsigned want_actions)
{
	enum cases_state to;
	unsigned actions;

	assert_int_equal(cases_fsm_step(from, ev, actors, &to, &actions), 0);
	assert_int_equal(actions & want_actions, want_actions);
	return to;
}

static void refused(enum cases_state from, enum cases_event ev, unsigned actors, int err)
{
	enum cases_state to = 0;
	unsigned actions = 0;

	assert_int_equal(cases_fsm_step(from, ev, actors, &to, &actions), err);
}

static void test_fsm_paths(void **state)
{
	enum cases_state s = CASES_ST_NEW;

	/* The happy path: new -> notified -> claimed -> answered -> closed. */
	s = step(s, CASES_EV_NOTIFIED, SYS, CASES_DO_START_CLAIM_TIMER);
	assert_int_equal(s, CASES_ST_NOTIFIED);
	s = step(s, CASES_EV_CLAIM, STAFF, CASES_DO_SET_ASSIGNEE | CASES_DO_STOP_TIMERS | CASES_DO_ACK);
	assert_int_equal(s, CASES_ST_CLAIMED);
	s = step(s, CASES_EV_REPLY, OWNER, CASES_DO_SEND_REPLY);
	assert_int_equal(s, CASES_ST_ANSWERED);
	s = step(s, CASES_EV_REPLY, OWNER, CASES_DO_SEND_REPLY);
	assert_int_equal(s, CASES_ST_ANSWERED);
	s = step(s, CASES_EV_CLOSE, OWNER, CASES_DO_RECORD_NOTE | CASES_DO_TELL_REPORTER);
	assert_int_equal(s, CASES_ST_CLOSED);

	/* Escalation: not claimed in time, or the notification failed -> back to routing. */
	s = step(CASES_ST_NOTIFIED, CASES_EV_CLAIM_TIMEOUT, SYS, CASES_DO_ROUTE_NEXT);
	assert_int_equal(s, CASES_ST_NEW);
	s = step(CASES_ST_NOTIFIED, CASES_EV_NOTIFY_FAILED, SYS, CASES_DO_ROUTE_NEXT);
	assert_int_equal(s, CASES_ST_NEW);
	/* The first person may still claim after the case moved on to the next one. */
	assert_int_equal(step(CASES_ST_NOTIFIED, CASES_EV_CLAIM, STAFF, CASES_DO_SET_ASSIGNEE), CASES_ST_CLAIMED);
	/* A reply to an unclaimed case claims it. */
	assert_int_equal(step(CASES_ST_NEW, CASES_EV_REPLY, STAFF, CASES_DO_SET_ASSIGNEE | CASES_DO_SEND_REPLY),
			 CASES_ST_ANSWERED);
	/* Claimed but unanswered: remind, stay. */
	assert_int_equal(step(CASES_ST_CLAIMED, CASES_EV_ANSWER_TIMEOUT, SYS, CASES_DO_REMIND), CASES_ST_CLAIMED);
	/* Release gives the case back to routing. */
	assert_int_equal(step(CASES_ST_CLAIMED, CASES_EV_RELEASE, OP, CASES_DO_ROUTE_NEXT), CASES_ST_NEW);
	assert_int_equal(step(CASES_ST_CLOSED, CASES_EV_REOPEN, SUP, CASES_DO_ROUTE_NEXT), CASES_ST_NEW);
}

static void test_fsm_who_may(void **state)
{
	enum cases_state to;
	unsigned actions;

	/* Someone else's claimed case: a staff member may not claim, reply or close it. */
	refused(CASES_ST_CLAIMED, CASES_EV_CLAIM, STAFF, -EPERM);
	refused(CASES_ST_CLAIMED, CASES_EV_REPLY, STAFF, -EPERM);
	refused(CASES_ST_ANSWERED, CASES_EV_CLOSE, STAFF, -EPERM);
	refused(CASES_ST_CLAIMED, CASES_EV_RELEASE, STAFF, -EPERM);
	/* The owner claiming again is acknowledged, nothing changes. */
	assert_int_equal(cases_fsm_step(CASES_ST_CLAIMED, CASES_EV_CLAIM, OWNER, &to, &actions), 0);
	assert_int_equal(to, CASES_ST_CLAIMED);
	assert_int_equal(actions, CASES_DO_ACK);
	/* A supervisor takes over; the previous owner is told. */
	assert_int_equal(cases_fsm_step(CASES_ST_CLAIMED, CASES_EV_CLAIM, SUP, &to, &actions), 0);
	assert_true(actions & CASES_DO_SET_ASSIGNEE);
	assert_true(actions & CASES_DO_TELL_PREVIOUS);
	/* A supervisor who owns the case is the owner first. */
	assert_int_equal(cases_fsm_step(CASES_ST_CLAIMED, CASES_EV_CLAIM, SUP | CASES_ACT_ASSIGNEE, &to, &actions), 0);
	assert_int_equal(actions, CASES_DO_ACK);
	/* Only supervisors and the operator close a case nobody claimed. */
	refused(CASES_ST_NOTIFIED, CASES_EV_CLOSE, STAFF, -EPERM);
	assert_int_equal(step(CASES_ST_NOTIFIED, CASES_EV_CLOSE, OP, CASES_DO_RECORD_NOTE), CASES_ST_CLOSED);
	/* Reporters never act as staff; staff never fire system events. */
	refused(CASES_ST_NEW, CASES_EV_CLAIM, REP, -EPERM);
	refused(CASES_ST_NOTIFIED, CASES_EV_CLAIM_TIMEOUT, OWNER | CASES_ACT_SUPERVISOR | OP, -EPERM);
	refused(CASES_ST_NEW, CASES_EV_REPORTER_MSG, STAFF, -EPERM);
	/* Stale events are not possible in the state: -EINVAL (a timer that fired after a claim). */
	refused(CASES_ST_CLAIMED, CASES_EV_CLAIM_TIMEOUT, SYS, -EINVAL);
	refused(CASES_ST_CLAIMED, CASES_EV_NOTIFY_FAILED, SYS, -EINVAL);
	refused(CASES_ST_CLOSED, CASES_EV_REPLY, OWNER, -EINVAL);
	refused(CASES_ST_CLOSED, CASES_EV_CLAIM, OWNER, -EINVAL);
	refused(CASES_ST_NEW, CASES_EV_ANSWER_TIMEOUT, SYS, -EINVAL);
	/* Bad arguments. */
	refused(0, CASES_EV_CLAIM, STAFF, -EINVAL);
	refused(6, CASES_EV_CLAIM, STAFF, -EINVAL);
	refused(CASES_ST_NEW, _CASES_EV_COUNT, STAFF, -EINVAL);
	refused(CASES_ST_NEW, CASES_EV_CLAIM, 0, -EPERM);
	assert_int_equal(cases_fsm_step(CASES_ST_NEW, CASES_EV_CLAIM, STAFF, NULL, &actions), -EINVAL);
}

/* Properties of the whole table, by exhaustion over (state, event, single actor). */
static void test_fsm_table_properties(void **state)
{
	static const unsigned actors[] = {SYS, REP, STAFF, CASES_ACT_ASSIGNEE, CASES_ACT_SUPERVISOR, OP};
	enum cases_state to;
	unsigned actions, a, reachable = 1u << CASES_ST_NEW;
	int s, e;

	for (s = CASES_ST_MIN; s <= CASES_ST_MAX; s++) {
		assert_non_null(cases_state_name(s));
		assert_true(cases_state_public(s) >= 0);
		for (e = 0; e < _CASES_EV_COUNT; e++) {
			assert_non_null(cases_event_name(e));
			for (a = 0; a < sizeof(actors) / sizeof(actors[0]); a++) {
				if (cases_fsm_step(s, e, actors[a], &to, &actions) != 0) {
					continue;
				}
				assert_true(to >= CASES_ST_MIN && to <= CASES_ST_MAX);
				reachable |= 1u << to;
				/* Reporters never move a case. */
				if (actors[a] == REP) {
					assert_int_equal(to, s);
				}
				/* Only a supervisor or the operator reopens a closed case. */
				if (s == CASES_ST_CLOSED && to != CASES_ST_CLOSED) {
					assert_true(actors[a] == CASES_ACT_SUPERVISOR || actors[a] == OP);
				}
				/* Routing again always stops the timers of the previous notification. */
				if ((actions & CASES_DO_ROUTE_NEXT) && s != CASES_ST_CLOSED) {
					assert_true(actions & CASES_DO_STOP_TIMERS);
					assert_int_equal(to, CASES_ST_NEW);
				}
				/* A reply is only ever sent by staff. */
				if (actions & CASES_DO_SEND_REPLY) {
					assert_true(actors[a] & (STAFF | CASES_ACT_ASSIGNEE | CASES_ACT_SUPERVISOR));
				}
			}
		}
	}
	assert_int_equal(reachable, 0x3e); /* every state reachable */
	assert_int_equal(cases_state_public(CASES_ST_NOTIFIED), CASES_PUB_RECEIVED);
	assert_int_equal(cases_state_public(CASES_ST_CLAIMED), CASES_PUB_IN_PROGRESS);
	assert_int_equal(cases_state_public(0), -EINVAL);
	assert_null(cases_state_name(0));
	assert_null(cases_event_name(-1));
}

/* --- staff commands -------------------------------------------------------------------------- */

/* 1234566 is valid; 1234565 is its check-digit typo. */
struct cmd_case {
	const char *in;
	enum cases_cmd_err err;
	enum cases_cmd_type type;
	uint32_t number;
	const char *text;
};

static void test_cmd_parse(void **state)
{
	static const struct cmd_case cases[] = {
		{"OK 1234566", CASES_CMD_E_OK, CASES_CMD_CLAIM, 1234566, NULL},
		{"ok 1234566", CASES_CMD_E_OK, CASES_CMD_CLAIM, 1234566, NULL},
		{"  Ok   123 4566  ", CASES_CMD_E_OK, CASES_CMD_CLAIM, 1234566, NULL},
		{"OK1234566", CASES_CMD_E_OK, CASES_CMD_CLAIM, 1234566, NULL},
		{"OK, 123-4566.", CASES_CMD_E_OK, CASES_CMD_CLAIM, 1234566, NULL},
		{"\xd0\x9e\xd0\x9a 1234566", CASES_CMD_E_OK, CASES_CMD_CLAIM, 1234566, NULL},	      /* ОК */
		{"\xd0\xbe\xd0\xba 1234566", CASES_CMD_E_OK, CASES_CMD_CLAIM, 1234566, NULL},	      /* ок */
		{"O\xd0\x9a 1234566", CASES_CMD_E_OK, CASES_CMD_CLAIM, 1234566, NULL},		      /* OК mixed */
		{"\xd0\x9e\xd2\x9a 1234566", CASES_CMD_E_OK, CASES_CMD_CLAIM, 1234566, NULL},	      /* ОҚ (Uzbek) */
		{"\xef\xbc\xaf\xef\xbc\xab 1234566", CASES_CMD_E_OK, CASES_CMD_CLAIM, 1234566, NULL}, /* fullwidth */
		{"\xc2\xa0OK\xc2\xa0"
		 "1234566",
		 CASES_CMD_E_OK, CASES_CMD_CLAIM, 1234566, NULL},
		{"R 1234566 We will call you tomorrow", CASES_CMD_E_OK, CASES_CMD_REPLY, 1234566,
		 "We will call you tomorrow"},
		{"r 123 4566: Ertaga qo\xca\xbbng\xca\xbbiroq qilamiz  \n", CASES_CMD_E_OK, CASES_CMD_REPLY, 1234566,
		 "Ertaga qo\xca\xbbng\xca\xbbiroq qilamiz"},
		{"\xd0\xa0 1234566 \xd0\x9f\xd0\xbe\xd0\xb7\xd0\xb2\xd0\xbe\xd0\xbd\xd0\xb8\xd0\xbc", CASES_CMD_E_OK,
		 CASES_CMD_REPLY, 1234566, "\xd0\x9f\xd0\xbe\xd0\xb7\xd0\xb2\xd0\xbe\xd0\xbd\xd0\xb8\xd0\xbc"}, /* Р */
		{"R 1234566 5 workers unpaid", CASES_CMD_E_OK, CASES_CMD_REPLY, 1234566, "5 workers unpaid"},
		{"R1234566-ok", CASES_CMD_E_OK, CASES_CMD_REPLY, 1234566, "ok"},
		{"DONE 1234566 paid in full", CASES_CMD_E_OK, CASES_CMD_DONE, 1234566, "paid in full"},
		{"done 1234566", CASES_CMD_E_OK, CASES_CMD_DONE, 1234566, NULL},
		{"\xd0\x94\xd0\x9e\xd0\x9d\xd0\x95 1234566 ok", CASES_CMD_E_OK, CASES_CMD_DONE, 1234566,
		 "ok"}, /* ДОНЕ */
		{"INFO 1234566", CASES_CMD_E_OK, CASES_CMD_INFO, 1234566, NULL},
		{"\xd0\x98\xd0\x9d\xd0\xa4\xd0\x9e 1234566", CASES_CMD_E_OK, CASES_CMD_INFO, 1234566, NULL}, /* ИНФО */
		{"on", CASES_CMD_E_OK, CASES_CMD_ON, 0, NULL},
		{" ON! ", CASES_CMD_E_OK, CASES_CMD_ON, 0, NULL},
		{"\xd0\x9e\xd0\x9d", CASES_CMD_E_OK, CASES_CMD_ON, 0, NULL}, /* ОН */
		{"Off", CASES_CMD_E_OK, CASES_CMD_OFF, 0, NULL},
		{"\xd0\xbe\xd1\x84\xd1\x84", CASES_CMD_E_OK, CASES_CMD_OFF, 0, NULL}, /* офф */
		/* errors */
		{"", CASES_CMD_E_EMPTY, 0, 0, NULL},
		{" \n\t ", CASES_CMD_E_EMPTY, 0, 0, NULL},
		{"HELLO", CASES_CMD_E_UNKNOWN, 0, 0, NULL},
		{"OKAY 1234566", CASES_CMD_E_UNKNOWN, 0, 0, NULL},
		{"OK? 1234566", CASES_CMD_E_UNKNOWN, 0, 0, NULL},
		{"1234566", CASES_CMD_E_UNKNOWN, 0, 0, NULL},
		{"P 1234566 hi", CASES_CMD_E_UNKNOWN, 0, 0, NULL}, /* Latin P is not R */
		{"OK", CASES_CMD_E_NO_CASE, CASES_CMD_CLAIM, 0, NULL},
		{"OK please", CASES_CMD_E_NO_CASE, CASES_CMD_CLAIM, 0, NULL},
		{"OK 1234565", CASES_CMD_E_CHECK_DIGIT, CASES_CMD_CLAIM, 1234565, NULL},
		{"OK 1243566", CASES_CMD_E_CHECK_DIGIT, CASES_CMD_CLAIM, 1243566, NULL},
		{"INFO 123456", CASES_CMD_E_BAD_CASE, CASES_CMD_INFO, 123456, NULL},
		{"OK 12345665", CASES_CMD_E_BAD_CASE, CASES_CMD_CLAIM, 0, NULL},
		{"R 1234565 hello", CASES_CMD_E_CHECK_DIGIT, CASES_CMD_REPLY, 1234565, NULL},
		{"R 1234566", CASES_CMD_E_NO_TEXT, CASES_CMD_REPLY, 1234566, NULL},
		{"R 1234566 :  ", CASES_CMD_E_NO_TEXT, CASES_CMD_REPLY, 1234566, NULL},
		{"OK 1234566 thanks", CASES_CMD_E_TRAILING, CASES_CMD_CLAIM, 1234566, NULL},
		{"ON now", CASES_CMD_E_TRAILING, CASES_CMD_ON, 0, NULL},
		{"OFF 2h", CASES_CMD_E_TRAILING, CASES_CMD_OFF, 0, NULL},
		{"OK \xff", CASES_CMD_E_UTF8, 0, 0, NULL},
		{"OK \xc0\xaf", CASES_CMD_E_UTF8, 0, 0, NULL},
	};
	struct cases_cmd cmd;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct cmd_case *c = &cases[i];
		enum cases_cmd_err err = cases_cmd_parse(c->in, strlen(c->in), &cmd);
		if (err != c->err) {
			fail_msg("\"%s\": got %d (%s), want %d", c->in, err, cases_cmd_strerror(err), c->err);
		}
		if (c->type) {
			assert_int_equal(cmd.type, c->type);
		}
		if (c->number) {
			assert_int_equal(cmd.number, c->number);
		}
		if (c->text) {
			assert_non_null(cmd.text);
			assert_int_equal(cmd.text_len, strlen(c->text));
			assert_memory_equal(cmd.text, c->text, cmd.text_len);
		} else if (err == CASES_CMD_E_OK) {
			assert_null(cmd.text);
		}
		assert_non_null(cases_cmd_strerror(err));
	}
	/* Length limit and reads bounded by len. */
	{
		char *big = malloc(CASES_CMD_MAX_LEN + 2);
		memset(big, 'a', CASES_CMD_MAX_LEN + 1);
		memcpy(big, "R 1234566 ", 10);
		assert_int_equal(cases_cmd_parse(big, CASES_CMD_MAX_LEN + 1, &cmd), CASES_CMD_E_TOO_LONG);
		assert_int_equal(cases_cmd_parse(big, CASES_CMD_MAX_LEN, &cmd), CASES_CMD_E_OK);
		assert_int_equal(cmd.text_len, CASES_CMD_MAX_LEN - 10);
		free(big);
	}
	assert_int_equal(cases_cmd_parse("OK 1234566", 9, &cmd), CASES_CMD_E_BAD_CASE);
	assert_int_equal(cases_cmd_parse(NULL, 0, &cmd), CASES_CMD_E_EMPTY);
	assert_string_equal(cases_cmd_strerror(_CASES_CMD_E_COUNT), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_damm_table_properties),
		cmocka_unit_test(test_damm_exhaustive),
		cmocka_unit_test(test_damm_edges),
		cmocka_unit_test(test_numgen_permutation),
		cmocka_unit_test(test_number_format_parse),
		cmocka_unit_test(test_categories),
		cmocka_unit_test(test_fsm_paths),
		cmocka_unit_test(test_fsm_who_may),
		cmocka_unit_test(test_fsm_table_properties),
		cmocka_unit_test(test_cmd_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
