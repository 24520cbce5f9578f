/* Hotline staff: time zones, the roster, duty hours and routing.
 *
 * Pure functions over (roster, case attributes, overrides, now): time is always a parameter (unix
 * seconds, UTC); nothing here reads the clock, the environment or TZ. Time zones are read from TZif
 * files (RFC 8536, /usr/share/zoneinfo) once, when the roster is compiled, and evaluated here, so
 * no setenv("TZ")/tzset (process-global, not thread-safe) is ever needed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yordam/cases.h>

/* --- time zones ------------------------------------------------------------------------------ */

#define CASES_TZ_DIR_DEFAULT "/usr/share/zoneinfo"
#define CASES_TZ_NAME_MAX    64
#define CASES_TZIF_MAX_SIZE  65536 /* the largest zone in tzdata 2025 is ~3 KB */

struct cases_tz;

/* Whether name looks like an IANA zone name ("Asia/Tashkent", "UTC", "Etc/GMT-5"): 1..63 bytes of
 * [A-Za-z0-9_+-] in '/'-separated parts, none empty or starting with '.', not absolute. Checked
 * before a name from the config becomes a path. */
bool cases_tz_name_valid(const char *name);
/* Read dir/name (dir NULL: CASES_TZ_DIR_DEFAULT) and parse it. Returns 0 and *out (talloc child of
 * ctx), -EINVAL for a bad name, -ENOENT, -EFBIG, -EBADMSG for a malformed file, or -errno. */
int cases_tz_load(void *ctx, const char *dir, const char *name, struct cases_tz **out);
/* Parse a TZif file (version 1 to 4) from memory. Leap-second records are ignored (a "right/" zone
 * is then ~27 s off: irrelevant for duty hours). -EBADMSG for anything malformed. */
int cases_tz_parse(void *ctx, const char *name, const uint8_t *buf, size_t len, struct cases_tz **out);
const char *cases_tz_name(const struct cases_tz *tz);

/* Seconds east of UTC in effect at t. */
int32_t cases_tz_offset(const struct cases_tz *tz, int64_t t);
/* The first instant after t at which the offset changes, or INT64_MAX if it never does again. */
int64_t cases_tz_next_change(const struct cases_tz *tz, int64_t t);

struct cases_local {
	int year, month, mday; /* month 1..12 */
	int wday;	       /* 0 = Monday .. 6 = Sunday (ISO) */
	int hour, min, sec;
	int32_t gmtoff;
};
void cases_tz_local(const struct cases_tz *tz, int64_t t, struct cases_local *out);

/* --- duty hours ------------------------------------------------------------------------------ */

/* A weekly window in the staff member's local time. end_min <= start_min means the window runs
 * past midnight into the next day ("mon-fri 22:00-06:00": Monday 22:00 to Tuesday 06:00, ...). */
struct cases_duty {
	uint8_t days;	    /* bit 0 = Monday .. bit 6 = Sunday */
	uint16_t start_min; /* 0..1439 */
	uint16_t end_min;   /* 1..1440 */
};

/* Parse "mon-fri 09:00-18:00", "sat,sun 10:00-14:00", "daily 08:00-20:00", "fri 22:00-06:00",
 * "mon-sun 00:00-24:00" (day names: English, three letters, case-insensitive; "daily"; ranges may
 * wrap, "fri-mon"). Returns 0, or -EINVAL with *why set to a short English reason. */
int cases_duty_parse(const char *s, struct cases_duty *out, const char **why);

/* --- the roster ------------------------------------------------------------------------------ */

#define CASES_ROSTER_MAX     64 /* staff per roster (escalation keeps a 64-bit "tried" mask) */
#define CASES_STAFF_MAX_LIST 16 /* languages, countries, topics, duty windows per staff member */

/* One staff member as the configuration gives it; every pointer is owned by the caller and only
 * read during cases_roster_compile(). The lead fills these from libconfig. */
struct cases_staff {
	const char *name;	      /* shown in logs and to supervisors; 1..40 bytes of UTF-8 */
	const char *phone;	      /* E.164, "+998 90 123-45-67" style spacing allowed */
	const char *const *languages; /* "uz", "uz-Cyrl", "ru", "en", "tg", "ky", or "*" */
	size_t n_languages;
	const char *const *countries; /* ISO 3166-1 alpha-2 ("RU", "KZ", "KR", "TR", "UZ", "ZZ" other), or "*" */
	size_t n_countries;
	const char *const *topics; /* category slugs, "callback", or "*" */
	size_t n_topics;
	const char *timezone;	 /* IANA name, e.g. "Asia/Tashkent" */
	const char *const *duty; /* cases_duty_parse() strings; none = never on duty by schedule (ON only) */
	size_t n_duty;
	bool supervisor; /* gets cases no one else on duty matches, escalations, early-warning alerts */
};

#define CASES_TOPIC_CALLBACK 0x80u /* topic bit for callback requests; categories are 1u << code */

struct cases_roster;

/* Validate and compile staff[0..n) (n <= CASES_ROSTER_MAX): phones normalised to "+digits" and
 * unique, lists non-empty and known, zones loaded from tzdir (NULL: the default), duty windows
 * parsed. On any bad entry returns -EINVAL and *errors (talloc string, child of ctx) lists every
 * problem, one per line: "staff 3 (Aziz): timezone \"Asia/Taskent\": no such zone". On success
 * *errors is NULL or lists warnings ("no supervisor", "no one covers topic ..."). 0 or -errno. */
int cases_roster_compile(void *ctx, const struct cases_staff *staff, size_t n, const char *tzdir,
			 struct cases_roster **out, char **errors);
size_t cases_roster_count(const struct cases_roster *r);
const char *cases_roster_name(const struct cases_roster *r, unsigned i);
const char *cases_roster_phone(const struct cases_roster *r, unsigned i);	  /* normalised "+998..." */
const struct cases_tz *cases_roster_tz(const struct cases_roster *r, unsigned i); /* the staff member's zone */
bool cases_roster_supervisor(const struct cases_roster *r, unsigned i);
/* The k-th language tag of staff i's languages in config order ("uz", "uz-Cyrl", "ru", ...), "*" left
 * out; NULL past the end. The staff texts go out in the first of them the content pack has. */
const char *cases_roster_language(const struct cases_roster *r, unsigned i, unsigned k);
/* Index of the staff member with this (normalised or not) phone number, or -ENOENT / -EINVAL. */
int cases_roster_find_phone(const struct cases_roster *r, const char *phone);

/* Normalise a phone number to "+" and 7..15 digits: spaces, dashes, dots and parentheses are
 * dropped; "00" becomes "+". Numbers without a country code are refused (-EINVAL): the roster must
 * be unambiguous. Returns the length, -EINVAL or -ENOSPC. */
int cases_phone_normalise(const char *in, char *out, size_t outlen);

/* --- on/off duty ----------------------------------------------------------------------------- */

/* A staff member's ON/OFF by SMS overrides the schedule until a time (kept in the store). */
enum cases_duty_mode {
	CASES_DUTY_SCHEDULE = 0,
	CASES_DUTY_ON = 1,
	CASES_DUTY_OFF = 2,
};
struct cases_override {
	enum cases_duty_mode mode;
	int64_t until; /* the override applies while now < until */
};

/* Whether staff i is on duty at now (override first, then the weekly windows). ov may be NULL
 * (no overrides) or holds cases_roster_count() entries. */
bool cases_on_duty(const struct cases_roster *r, const struct cases_override *ov, unsigned i, int64_t now);
/* The first instant >= now at which staff i is on duty, looking at most 8 days ahead; -1 if none
 * (no duty windows, or an OFF override past the horizon). */
int64_t cases_next_duty_start(const struct cases_roster *r, const struct cases_override *ov, unsigned i, int64_t now);
/* The first instant > now at which staff i's scheduled duty ends (when on duty), else -1. */
int64_t cases_duty_end(const struct cases_roster *r, unsigned i, int64_t now);
/* The override an ON or OFF command sets: ON lasts to the end of the current scheduled window
 * or, outside one, max_on seconds; OFF lasts to the end of the current scheduled window, or
 * (outside one) only until the next window starts. */
void cases_override_for(const struct cases_roster *r, unsigned i, enum cases_duty_mode mode, int64_t now,
			int64_t max_on, struct cases_override *out);

/* --- routing --------------------------------------------------------------------------------- */

struct cases_attrs {
	enum cases_kind kind;
	enum cases_category category; /* complaints; ignored for callbacks */
	char country[3];	      /* ISO alpha-2, "ZZ" unknown */
	const char *language;	      /* the reporter's language code, e.g. "uz-Latn" */
};

enum cases_route_result {
	CASES_ROUTE_ASSIGN = 1, /* notify out->staff */
	CASES_ROUTE_WAIT = 2,	/* nobody suitable on duty: wait; out->expect_at is when someone is */
	CASES_ROUTE_NOBODY = 3, /* nobody in the roster matches, not even a supervisor: a config error */
};

struct cases_route {
	enum cases_route_result result;
	int staff;	   /* ASSIGN: roster index */
	bool fallback;	   /* ASSIGN: a supervisor, because no matching staff member is on duty or left */
	bool wrapped;	   /* ASSIGN: everyone on duty was tried; starting over (the caller clears tried) */
	int64_t expect_at; /* WAIT: the next duty start among matching staff and supervisors; -1 unknown */
};

/* Whether staff i matches a case by language (primary subtag: "uz" matches "uz-Cyrl"), country
 * and topic; "*" matches anything. */
bool cases_staff_matches(const struct cases_roster *r, unsigned i, const struct cases_attrs *c);

/* Pick who gets the case at now. Candidates: matching staff on duty; when none of them is left
 * untried, supervisors on duty. Round robin: the first candidate after last (the index that got
 * the previous case of this roster, -1 none), skipping those in tried (bit i = staff i was already
 * notified about this case). When every candidate on duty was tried, starts over (wrapped) with the
 * next after last. Returns 0 and *out, or -EINVAL. */
int cases_route(const struct cases_roster *r, const struct cases_override *ov, const struct cases_attrs *c, int64_t now,
		int last, uint64_t tried, struct cases_route *out);
