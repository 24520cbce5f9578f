/* The compiled roster, shared by roster.c and route.c (not installed). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <yordam/cases_roster.h>

#define CASES_NAME_MAX	40
#define CASES_PHONE_MAX 17 /* "+" 15 digits NUL */
#define CASES_LANG_MAX	16
#define CASES_TOPIC_ALL 0xffu

struct roster_entry {
	char name[CASES_NAME_MAX + 1];
	char phone[CASES_PHONE_MAX];
	char lang[CASES_STAFF_MAX_LIST][CASES_LANG_MAX];
	unsigned n_lang;
	bool lang_any;
	char country[CASES_STAFF_MAX_LIST][3];
	unsigned n_country;
	bool country_any;
	uint32_t topics; /* 1u << category, CASES_TOPIC_CALLBACK */
	struct cases_tz *tz;
	struct cases_duty duty[CASES_STAFF_MAX_LIST];
	unsigned n_duty;
	bool supervisor;
};

struct cases_roster {
	size_t n;
	struct roster_entry *e;
};

bool cases_roster_sched_on(const struct roster_entry *e, int64_t t);
