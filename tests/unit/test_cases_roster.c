/* Unit tests for the roster half of the cases library: TZif time zones (against the C library as
 * an independent oracle), duty hours across time zones and DST, overrides, the roster validator
 * and routing with round robin, escalation and waiting. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <osmocom/core/talloc.h>

#include <yordam/cases_roster.h>

#define H 3600
#define D 86400

/* UTC instant of a civil date and time. */
static int64_t utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};

	return (int64_t)timegm(&tm);
}

static void *ctx;

static int setup(void **state)
{
	ctx = talloc_named_const(NULL, 0, "test");
	return 0;
}

static int teardown(void **state)
{
	assert_int_equal(talloc_total_blocks(ctx), 1);
	talloc_free(ctx);
	return 0;
}

static struct cases_tz *zone(const char *name)
{
	struct cases_tz *tz = NULL;

	assert_int_equal(cases_tz_load(ctx, NULL, name, &tz), 0);
	return tz;
}

/* The oracle: glibc's localtime_r with TZ set. setenv/tzset is process-global and not
 * thread-safe, which is why the library never does this; a single-threaded test may. */
static long libc_gmtoff(const char *name, int64_t t, struct tm *tm)
{
	char tzvar[CASES_TZ_NAME_MAX + 2];
	time_t tt = (time_t)t;

	snprintf(tzvar, sizeof(tzvar), ":%s", name);
	setenv("TZ", tzvar, 1);
	tzset();
	assert_non_null(localtime_r(&tt, tm));
	return tm->tm_gmtoff;
}

static void test_tz_against_libc(void **state)
{
	static const char *zones[] = {
		"UTC",
		"Asia/Tashkent",
		"Asia/Samarkand",
		"Europe/Moscow",
		"Asia/Almaty",
		"Asia/Seoul",
		"Europe/Istanbul",
		"Asia/Dushanbe",
		"Asia/Bishkek",
		"America/New_York",
		"Europe/Berlin",
		"Europe/Dublin",       /* negative DST in the footer: IST-1GMT0,M10.5.0,M3.5.0/1 */
		"Australia/Lord_Howe", /* 30-minute DST, southern hemisphere */
		"America/Nuuk",	       /* v3 footer with negative rule times */
		"Africa/Casablanca",   /* explicit transitions far into the future */
		"Pacific/Chatham",
		"Asia/Kathmandu",
		"America/Santiago",
		"Pacific/Kiritimati",
	};
	uint64_t rnd = 88172645463325252ull;
	size_t z, k, checked = 0;
	struct cases_local l;
	struct tm tm;

	for (z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		struct cases_tz *tz = zone(zones[z]);
		int64_t t;
		assert_string_equal(cases_tz_name(tz), zones[z]);
		/* Random instants 1925..2100, then every offset change from 1970 to 2060 and a second
		 * either side of it (found by our own next_change: checks it too). */
		for (k = 0; k < 3000; k++) {
			rnd ^= rnd << 13;
			rnd ^= rnd >> 7;
			rnd ^= rnd << 17;
			t = utc(1925, 1, 1, 0, 0) +
			    (int64_t)(rnd % (uint64_t)(utc(2100, 1, 1, 0, 0) - utc(1925, 1, 1, 0, 0)));
			long off = libc_gmtoff(zones[z], t, &tm);
			if (cases_tz_offset(tz, t) != off) {
				fail_msg("%s at %lld: %d, libc %ld", zones[z], (long long)t, cases_tz_offset(tz, t),
					 off);
			}
			cases_tz_local(tz, t, &l);
			assert_int_equal(l.year, tm.tm_year + 1900);
			assert_int_equal(l.month, tm.tm_mon + 1);
			assert_int_equal(l.mday, tm.tm_mday);
			assert_int_equal(l.hour, tm.tm_hour);
			assert_int_equal(l.min, tm.tm_min);
			assert_int_equal(l.sec, tm.tm_sec);
			assert_int_equal(l.wday, (tm.tm_wday + 6) % 7);
			checked++;
		}
		for (t = utc(1970, 1, 1, 0, 0); (t = cases_tz_next_change(tz, t)) < utc(2060, 1, 1, 0, 0);) {
			long before = libc_gmtoff(zones[z], t - 1, &tm), at = libc_gmtoff(zones[z], t, &tm);
			assert_int_not_equal(before, at); /* a change really happens there */
			assert_int_equal(cases_tz_offset(tz, t - 1), before);
			assert_int_equal(cases_tz_offset(tz, t), at);
			checked++;
		}
	}
	/* And next_change misses nothing: hour by hour through 2024-2027 in two DST zones. */
	for (z = 0; z < 2; z++) {
		const char *name = z ? "Australia/Lord_Howe" : "America/New_York";
		struct cases_tz *tz = zone(name);
		int64_t t, next = cases_tz_next_change(tz, utc(2024, 1, 1, 0, 0));
		for (t = utc(2024, 1, 1, 0, 0); t < utc(2028, 1, 1, 0, 0); t += 1800) {
			if (t >= next) {
				next = cases_tz_next_change(tz, t);
			}
			assert_int_equal(cases_tz_offset(tz, t) == cases_tz_offset(tz, t + 1800), next > t + 1800);
		}
		talloc_free(tz);
	}
	unsetenv("TZ");
	tzset();
	print_message("time zones: %zu instants agree with the C library\n", checked);
	talloc_free_children(ctx);
}

static void test_tz_known(void **state)
{
	struct cases_tz *ny = zone("America/New_York"), *tk = zone("Asia/Tashkent");

	assert_int_equal(cases_tz_offset(tk, utc(2026, 6, 1, 0, 0)), 5 * H);
	assert_int_equal(cases_tz_next_change(tk, utc(2026, 1, 1, 0, 0)), INT64_MAX);
	assert_int_equal(cases_tz_offset(ny, utc(2026, 1, 15, 12, 0)), -5 * H);
	assert_int_equal(cases_tz_offset(ny, utc(2026, 7, 15, 12, 0)), -4 * H);
	/* 2026: DST from 8 March 07:00 UTC to 1 November 06:00 UTC. */
	assert_int_equal(cases_tz_next_change(ny, utc(2026, 1, 1, 0, 0)), utc(2026, 3, 8, 7, 0));
	assert_int_equal(cases_tz_next_change(ny, utc(2026, 3, 8, 7, 0)), utc(2026, 11, 1, 6, 0));
	/* Far beyond the explicit transitions: the footer rule (2300: 10 March and 3 November). */
	assert_int_equal(cases_tz_offset(ny, utc(2300, 7, 1, 0, 0)), -4 * H);
	assert_int_equal(cases_tz_offset(ny, utc(2300, 12, 1, 0, 0)), -5 * H);
	/* Extreme times are clamped, never overflow. */
	assert_int_equal(cases_tz_offset(tk, INT64_MAX), 5 * H);
	assert_true(cases_tz_offset(tk, INT64_MIN) > 0);
	{
		struct cases_local l;
		cases_tz_local(ny, INT64_MAX, &l);
		cases_tz_local(ny, INT64_MIN, &l);
	}
	talloc_free_children(ctx);
}

static void test_tz_names_and_errors(void **state)
{
	struct cases_tz *tz = NULL;
	static const char *good[] = {"UTC", "Asia/Tashkent", "Etc/GMT-5", "America/Port-au-Prince",
				     "America/Argentina/Buenos_Aires"};
	static const char *bad[] = {"",
				    "/etc/passwd",
				    "../etc/passwd",
				    "Asia/../../etc/passwd",
				    "Asia//Tashkent",
				    "Asia/",
				    ".hidden",
				    "Asia/Tash kent",
				    "Asia/Tashkent\n",
				    "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_true(cases_tz_name_valid(good[i]));
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(cases_tz_name_valid(bad[i]));
		assert_int_equal(cases_tz_load(ctx, NULL, bad[i], &tz), -EINVAL);
	}
	assert_false(cases_tz_name_valid(NULL));
	assert_int_equal(cases_tz_load(ctx, NULL, "Asia/Taskent", &tz), -ENOENT);
	assert_int_equal(cases_tz_load(ctx, NULL, "Asia", &tz), -EISDIR);
	assert_int_equal(cases_tz_load(ctx, "/nonexistent", "UTC", &tz), -ENOENT);
	/* Not a TZif file. */
	assert_int_equal(cases_tz_load(ctx, "/usr/share/zoneinfo", "zone.tab", &tz), -EBADMSG);
	talloc_free_children(ctx);
}

/* Every truncation and many corruptions of a real file: an error or a zone, never a crash (ASan). */
static void test_tz_corrupt(void **state)
{
	FILE *f = fopen("/usr/share/zoneinfo/America/New_York", "rb");
	uint8_t buf[8192], *m;
	size_t len, i, ok = 0;
	struct cases_tz *tz;
	uint64_t rnd = 0x9e3779b97f4a7c15ull;

	assert_non_null(f);
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_true(len > 100 && len < sizeof(buf));
	assert_int_equal(cases_tz_parse(ctx, "x", buf, len, &tz), 0);
	talloc_free(tz);
	for (i = 0; i < len; i++) {
		m = malloc(i ? i : 1); /* exact size: ASan sees any over-read */
		memcpy(m, buf, i);
		tz = NULL;
		if (cases_tz_parse(ctx, "x", m, i, &tz) == 0) {
			ok++;
			talloc_free(tz);
		}
		free(m);
	}
	assert_int_equal(ok, 0); /* the footer's closing newline is the last byte */
	for (i = 0; i < 20000; i++) {
		m = malloc(len);
		memcpy(m, buf, len);
		for (int k = 0; k < 3; k++) {
			rnd ^= rnd << 13;
			rnd ^= rnd >> 7;
			rnd ^= rnd << 17;
			m[rnd % len] = (uint8_t)(rnd >> 32);
		}
		tz = NULL;
		if (cases_tz_parse(ctx, "x", m, len, &tz) == 0) {
			(void)cases_tz_offset(tz, (int64_t)(rnd >> 20) - (1ll << 42));
			(void)cases_tz_next_change(tz, 0);
			talloc_free(tz);
		}
		free(m);
	}
	/* Footers that must be refused. */
	static const char *const footers[] = {"X",
					      "<+05",
					      "EST5EDT,M3.2.0",
					      "EST5EDT,M13.1.0,M11.1.0",
					      "EST5EDT,M3.6.0,M11.1.0",
					      "EST5EDT,J0,J365",
					      "EST25",
					      "EST5EDT,M3.2.0/200,M11.1.0"};
	for (i = 0; i < sizeof(footers) / sizeof(footers[0]); i++) {
		uint8_t fb[256] = "TZif2";
		/* v1 header with 1 type, 1 char; v1 data: 6 + 1 bytes; same for v2; then the footer */
		size_t n = 0;
		for (int part = 0; part < 2; part++) {
			memset(fb + n, 0, 44);
			memcpy(fb + n, "TZif2", 5);
			fb[n + 39] = 1; /* typecnt */
			fb[n + 43] = 1; /* charcnt */
			n += 44;
			memset(fb + n, 0, 7);
			n += 7;
		}
		fb[n++] = '\n';
		memcpy(fb + n, footers[i], strlen(footers[i]));
		n += strlen(footers[i]);
		fb[n++] = '\n';
		assert_int_equal(cases_tz_parse(ctx, "x", fb, n, &tz), -EBADMSG);
	}
	talloc_free_children(ctx);
}

/* --- duty hours ------------------------------------------------------------------------------ */

static void test_duty_parse(void **state)
{
	struct cases_duty d;
	const char *why = NULL;

	assert_int_equal(cases_duty_parse("mon-fri 09:00-18:00", &d, &why), 0);
	assert_int_equal(d.days, 0x1f);
	assert_int_equal(d.start_min, 540);
	assert_int_equal(d.end_min, 1080);
	assert_int_equal(cases_duty_parse("  SAT , Sun  9:30 - 14:00 ", &d, &why), 0);
	assert_int_equal(d.days, 0x60);
	assert_int_equal(d.start_min, 570);
	assert_int_equal(cases_duty_parse("daily 00:00-24:00", &d, &why), 0);
	assert_int_equal(d.days, 0x7f);
	assert_int_equal(d.end_min, 1440);
	assert_int_equal(cases_duty_parse("fri-mon 22:00-06:00", &d, &why), 0);
	assert_int_equal(d.days, 0x71);
	assert_int_equal(cases_duty_parse("tue 22:00-00:00", &d, &why), 0);
	assert_int_equal(d.end_min, 1440);
	static const char *bad[] = {"",
				    "mon",
				    "mon 09:00",
				    "mon 09:00-",
				    "mon 9-18",
				    "mon 24:00-01:00",
				    "mon 09:00-24:01",
				    "mon 09:60-10:00",
				    "monday 09:00-10:00",
				    "mon 09:00-09:00",
				    "xyz 09:00-10:00",
				    "mon 09:00-10:00 extra",
				    "mon- 09:00-10:00",
				    "mon,09:00-10:00",
				    "mon 009:00-10:00"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (cases_duty_parse(bad[i], &d, &why) != -EINVAL) {
			fail_msg("\"%s\" accepted", bad[i]);
		}
		assert_non_null(why);
	}
	assert_int_equal(cases_duty_parse(NULL, &d, NULL), -EINVAL);
}

static const char *const L_UZ[] = {"uz"}, *const L_RU[] = {"ru"}, *const L_UZRU[] = {"uz", "ru"},
			 *const L_ANY[] = {"*"};
static const char *const C_RU[] = {"RU"}, *const C_KZ[] = {"kz"}, *const C_KR[] = {"KR"}, *const C_ANY[] = {"*"};
static const char *const T_WAGES[] = {"wages", "documents"}, *const T_ANY[] = {"*"},
			 *const T_CB[] = {"callback", "violence"};
static const char *const WEEKDAYS[] = {"mon-fri 09:00-18:00"}, *const NIGHTS[] = {"mon-fri 22:00-06:00"},
			 *const NY_DUTY[] = {"mon-fri 09:00-17:00", "sun 02:30-04:00", "sun 01:30-03:00"};

#define LIST(a) a, sizeof(a) / sizeof(a[0])

static struct cases_roster *compile(const struct cases_staff *s, size_t n)
{
	struct cases_roster *r = NULL;
	char *errors = NULL;
	int rc = cases_roster_compile(ctx, s, n, NULL, &r, &errors);

	if (rc != 0) {
		fail_msg("roster: %d\n%s", rc, errors ? errors : "");
	}
	talloc_free(errors);
	return r;
}

static void test_duty_across_zones(void **state)
{
	const struct cases_staff staff[] = {
		{"Dilnoza", "+998 90 123-45-67", LIST(L_UZRU), LIST(C_RU), LIST(T_ANY), "Asia/Tashkent", LIST(WEEKDAYS),
		 false},
		{"Oleg", "+7 (916) 000-11-22", LIST(L_RU), LIST(C_RU), LIST(T_ANY), "Europe/Moscow", LIST(WEEKDAYS),
		 false},
		{"Ji-woo", "+82 10 1234 5678", LIST(L_UZ), LIST(C_KR), LIST(T_ANY), "Asia/Seoul", LIST(WEEKDAYS),
		 false},
		{"Night", "+998 91 000 00 01", LIST(L_UZ), LIST(C_ANY), LIST(T_ANY), "Asia/Tashkent", LIST(NIGHTS),
		 false},
		{"NY", "+1 212 555 0100", LIST(L_ANY), LIST(C_ANY), LIST(T_ANY), "America/New_York", LIST(NY_DUTY),
		 false},
	};
	struct cases_roster *r = compile(staff, 5);
	int64_t mon0500 = utc(2026, 3, 2, 5, 0); /* Monday: Tashkent 10:00, Moscow 08:00, Seoul 14:00 */

	assert_string_equal(cases_roster_language(r, 0, 1), "ru");
	assert_null(cases_roster_language(r, 4, 0)); /* "*" is no language of its own */
	assert_true(cases_on_duty(r, NULL, 0, mon0500));
	assert_false(cases_on_duty(r, NULL, 1, mon0500));
	assert_true(cases_on_duty(r, NULL, 2, mon0500));
	assert_true(cases_on_duty(r, NULL, 1, utc(2026, 3, 2, 6, 0)));	 /* Moscow 09:00 */
	assert_false(cases_on_duty(r, NULL, 1, utc(2026, 3, 2, 15, 0))); /* Moscow 18:00: the end is exclusive */
	assert_true(cases_on_duty(r, NULL, 1, utc(2026, 3, 2, 14, 59)));
	assert_false(cases_on_duty(r, NULL, 2, utc(2026, 3, 2, 9, 0))); /* Seoul 18:00 */
	assert_false(cases_on_duty(r, NULL, 0, utc(2026, 3, 7, 5, 0))); /* Saturday */
	/* Overnight: Friday 22:00 to Saturday 06:00 Tashkent; not Sunday night into Monday. */
	assert_true(cases_on_duty(r, NULL, 3, utc(2026, 3, 6, 22, 0)));	 /* Sat 03:00 */
	assert_false(cases_on_duty(r, NULL, 3, utc(2026, 3, 1, 22, 0))); /* Mon 03:00 (Sunday not on duty) */
	assert_true(cases_on_duty(r, NULL, 3, utc(2026, 3, 2, 17, 0)));	 /* Mon 22:00 */

	/* Next duty start: Friday 19:00 Tashkent -> Monday 09:00 Tashkent = 04:00 UTC. */
	assert_int_equal(cases_next_duty_start(r, NULL, 0, utc(2026, 3, 6, 14, 0)), utc(2026, 3, 9, 4, 0));
	assert_int_equal(cases_next_duty_start(r, NULL, 0, mon0500), mon0500); /* already on */
	assert_int_equal(cases_duty_end(r, 0, mon0500), utc(2026, 3, 2, 13, 0));
	assert_int_equal(cases_duty_end(r, 1, mon0500), -1);
	/* New York across the DST change: 09:00 is 14:00 UTC in winter, 13:00 UTC in summer. */
	assert_true(cases_on_duty(r, NULL, 4, utc(2026, 3, 6, 14, 0)));
	assert_false(cases_on_duty(r, NULL, 4, utc(2026, 3, 6, 13, 30)));
	assert_true(cases_on_duty(r, NULL, 4, utc(2026, 3, 9, 13, 0)));
	assert_int_equal(cases_next_duty_start(r, NULL, 4, utc(2026, 3, 6, 23, 0)), utc(2026, 3, 8, 6, 30));
	/* The window 01:30-03:00 on 8 March: 01:30 EST = 06:30 UTC; the clock jumps 02:00 -> 03:00 at
	 * 07:00 UTC, which ends that window; the 02:30-04:00 window does not exist before 03:00 EDT
	 * (07:00 UTC) and is on from the jump: duty continues without a gap. */
	assert_true(cases_on_duty(r, NULL, 4, utc(2026, 3, 8, 7, 0)));
	assert_int_equal(cases_duty_end(r, 4, utc(2026, 3, 8, 6, 45)), utc(2026, 3, 8, 8, 0)); /* 04:00 EDT */
	/* Fall back, 1 November: 01:30 happens twice (05:30 and 06:30 UTC); duty starts at the first. */
	assert_int_equal(cases_next_duty_start(r, NULL, 4, utc(2026, 10, 31, 23, 0)), utc(2026, 11, 1, 5, 30));
	talloc_free(r);
	talloc_free_children(ctx);
}

/* Brute force agrees with next_duty_start and duty_end, minute by minute over two weeks that
 * include a DST change, for every staff member above. */
static void test_duty_brute_force(void **state)
{
	const struct cases_staff staff[] = {
		{"A", "+998901234567", LIST(L_UZ), LIST(C_RU), LIST(T_ANY), "Asia/Tashkent", LIST(NIGHTS), false},
		{"B", "+12125550100", LIST(L_UZ), LIST(C_RU), LIST(T_ANY), "America/New_York", LIST(NY_DUTY), false},
		{"C", "+61255501000", LIST(L_UZ), LIST(C_RU), LIST(T_ANY), "Australia/Lord_Howe", LIST(NY_DUTY), false},
	};
	struct cases_roster *r = compile(staff, 3);
	unsigned i;
	int64_t t, from[3];

	from[0] = utc(2026, 3, 1, 0, 0);
	from[1] = utc(2026, 3, 3, 0, 0);
	from[2] = utc(2026, 3, 30, 0, 0); /* Lord Howe ends DST on 5 April 2026 */
	for (i = 0; i < 3; i++) {
		int64_t next_on = -1, next_off = -1;
		for (t = from[i] + 14 * D; t >= from[i]; t -= 60) {
			if (cases_on_duty(r, NULL, i, t)) {
				next_on = t;
			} else {
				next_off = t;
			}
			if ((t - from[i]) % (97 * 60) == 0 && t <= from[i] + 6 * D) {
				assert_int_equal(cases_next_duty_start(r, NULL, i, t), next_on);
				if (cases_on_duty(r, NULL, i, t)) {
					assert_int_equal(cases_duty_end(r, i, t), next_off);
				}
			}
		}
	}
	talloc_free(r);
	talloc_free_children(ctx);
}

static void test_overrides(void **state)
{
	const struct cases_staff staff[] = {
		{"Dilnoza", "+998901234567", LIST(L_UZ), LIST(C_RU), LIST(T_ANY), "Asia/Tashkent", LIST(WEEKDAYS),
		 false},
	};
	struct cases_roster *r = compile(staff, 1);
	struct cases_override ov[1];
	int64_t mon10 = utc(2026, 3, 2, 5, 0), mon20 = utc(2026, 3, 2, 15, 0);

	/* OFF during the window: off until its end, then the schedule again. */
	cases_override_for(r, 0, CASES_DUTY_OFF, mon10, 8 * H, &ov[0]);
	assert_int_equal(ov[0].mode, CASES_DUTY_OFF);
	assert_int_equal(ov[0].until, utc(2026, 3, 2, 13, 0));
	assert_false(cases_on_duty(r, ov, 0, mon10));
	assert_int_equal(cases_next_duty_start(r, ov, 0, mon10), utc(2026, 3, 3, 4, 0));
	assert_true(cases_on_duty(r, ov, 0, utc(2026, 3, 3, 4, 0)));
	/* ON outside the window: on for max_on. */
	cases_override_for(r, 0, CASES_DUTY_ON, mon20, 8 * H, &ov[0]);
	assert_int_equal(ov[0].until, mon20 + 8 * H);
	assert_true(cases_on_duty(r, ov, 0, mon20));
	assert_int_equal(cases_next_duty_start(r, ov, 0, mon20), mon20);
	assert_false(cases_on_duty(r, ov, 0, mon20 + 8 * H));
	/* OFF outside the window (cancels an ON): until the next window starts. */
	cases_override_for(r, 0, CASES_DUTY_OFF, mon20, 8 * H, &ov[0]);
	assert_int_equal(ov[0].until, utc(2026, 3, 3, 4, 0));
	assert_false(cases_on_duty(r, ov, 0, mon20 + H));
	/* ON inside the window: to its end. */
	cases_override_for(r, 0, CASES_DUTY_ON, mon10, 8 * H, &ov[0]);
	assert_int_equal(ov[0].until, utc(2026, 3, 2, 13, 0));
	talloc_free(r);
	talloc_free_children(ctx);
}

/* --- the roster validator -------------------------------------------------------------------- */

static void test_roster_errors(void **state)
{
	static const char *const bad_lang[] = {"uzbek!"}, *const bad_country[] = {"RUS"}, *const bad_topic[] = {"wage"},
				 *const bad_duty[] = {"mon 09:00-09:00"};
	const struct cases_staff staff[] = {
		{"Good", "+998901234567", LIST(L_UZ), LIST(C_RU), LIST(T_ANY), "Asia/Tashkent", LIST(WEEKDAYS), false},
		{"Aziz", "998901234567", LIST(bad_lang), LIST(bad_country), LIST(bad_topic), "Asia/Taskent",
		 LIST(bad_duty), false},
		{"", "+998 90 123 45 67", NULL, 0, LIST(C_RU), LIST(T_ANY), "../../etc/passwd", NULL, 0, false},
		{"Dup", "00998901234567", LIST(L_UZ), LIST(C_RU), LIST(T_ANY), "Asia/Tashkent", LIST(WEEKDAYS), false},
	};
	struct cases_roster *r = (void *)1;
	char *errors = NULL;

	assert_int_equal(cases_roster_compile(ctx, staff, 4, NULL, &r, &errors), -EINVAL);
	assert_null(r);
	assert_non_null(errors);
	print_message("%s", errors);
	assert_non_null(strstr(errors, "staff 2 (Aziz): phone \"998901234567\": not an international number"));
	assert_non_null(strstr(errors, "staff 2 (Aziz): language \"uzbek!\""));
	assert_non_null(strstr(errors, "staff 2 (Aziz): country \"RUS\""));
	assert_non_null(strstr(errors, "staff 2 (Aziz): topic \"wage\""));
	assert_non_null(strstr(errors, "staff 2 (Aziz): timezone \"Asia/Taskent\": no such zone"));
	assert_non_null(strstr(errors, "staff 2 (Aziz): duty \"mon 09:00-09:00\": empty window"));
	assert_non_null(strstr(errors, "staff 3: name"));
	assert_non_null(strstr(errors, "staff 3: languages: empty"));
	assert_non_null(strstr(errors, "staff 3: timezone \"../../etc/passwd\": not a zone name"));
	assert_non_null(strstr(errors, "staff 4 (Dup): phone +998901234567: already staff 1's"));
	talloc_free(errors);

	/* A valid roster without a supervisor: compiled, with warnings. */
	assert_int_equal(cases_roster_compile(ctx, staff, 1, NULL, &r, &errors), 0);
	assert_non_null(r);
	assert_non_null(strstr(errors, "warning: no supervisor"));
	assert_int_equal(cases_roster_count(r), 1);
	assert_string_equal(cases_roster_phone(r, 0), "+998901234567");
	assert_int_equal(cases_roster_find_phone(r, "00998 90 123 45 67"), 0);
	assert_int_equal(cases_roster_find_phone(r, "+998901234568"), -ENOENT);
	assert_int_equal(cases_roster_find_phone(r, "garbage"), -EINVAL);
	assert_null(cases_roster_name(r, 1));
	/* the languages in config order (the staff texts go out in the first the pack has) */
	assert_string_equal(cases_roster_language(r, 0, 0), "uz");
	assert_null(cases_roster_language(r, 0, 1));
	assert_null(cases_roster_language(r, 1, 0));
	talloc_free(r);
	talloc_free(errors);

	struct cases_staff many[CASES_ROSTER_MAX + 1];

	memset(many, 0, sizeof(many));
	assert_int_equal(cases_roster_compile(ctx, many, CASES_ROSTER_MAX + 1, NULL, &r, &errors), -EINVAL);
	assert_non_null(strstr(errors, "at most 64"));
	talloc_free(errors);
	talloc_free_children(ctx);
}

static void test_phone_normalise(void **state)
{
	char out[20];

	assert_int_equal(cases_phone_normalise("+998 (90) 123-45-67", out, sizeof(out)), 13);
	assert_string_equal(out, "+998901234567");
	assert_int_equal(cases_phone_normalise("00 7 916 000 11 22", out, sizeof(out)), 12);
	assert_string_equal(out, "+79160001122");
	assert_int_equal(cases_phone_normalise("8 916 000 11 22", out, sizeof(out)), -EINVAL);
	assert_int_equal(cases_phone_normalise("+0123456789", out, sizeof(out)), -EINVAL);
	assert_int_equal(cases_phone_normalise("+123456", out, sizeof(out)), -EINVAL);
	assert_int_equal(cases_phone_normalise("+1234567890123456", out, sizeof(out)), -EINVAL);
	assert_int_equal(cases_phone_normalise("+99890x", out, sizeof(out)), -EINVAL);
	assert_int_equal(cases_phone_normalise("+998901234567", out, 5), -ENOSPC);
}

/* --- routing --------------------------------------------------------------------------------- */

static void test_route(void **state)
{
	static const char *const C_RUKZ[] = {"RU", "KZ"};
	const struct cases_staff staff[] = {
		/* 0..2: Uzbek speakers for Russia, weekdays in Tashkent */
		{"A", "+998900000001", LIST(L_UZ), LIST(C_RUKZ), LIST(T_WAGES), "Asia/Tashkent", LIST(WEEKDAYS), false},
		{"B", "+998900000002", LIST(L_UZRU), LIST(C_RU), LIST(T_ANY), "Asia/Tashkent", LIST(WEEKDAYS), false},
		{"C", "+998900000003", LIST(L_UZ), LIST(C_RU), LIST(T_WAGES), "Asia/Tashkent", LIST(WEEKDAYS), false},
		/* 3: Russian only, Kazakhstan */
		{"D", "+77010000004", LIST(L_RU), LIST(C_KZ), LIST(T_ANY), "Asia/Almaty", LIST(WEEKDAYS), false},
		/* 4: callbacks and violence, nights */
		{"E", "+998900000005", LIST(L_UZ), LIST(C_ANY), LIST(T_CB), "Asia/Tashkent", LIST(NIGHTS), false},
		/* 5: supervisor, weekdays */
		{"S", "+998900000006", LIST(L_RU), LIST(C_RU), LIST(T_WAGES), "Asia/Tashkent", LIST(WEEKDAYS), true},
	};
	struct cases_roster *r = compile(staff, 6);
	struct cases_attrs wages_ru = {CASES_KIND_COMPLAINT, CASES_CAT_UNPAID_WAGES, "RU", "uz-Latn"};
	struct cases_attrs wages_kz_ru = {CASES_KIND_COMPLAINT, CASES_CAT_UNPAID_WAGES, "KZ", "ru"};
	struct cases_attrs violence = {CASES_KIND_COMPLAINT, CASES_CAT_VIOLENCE_TRAFFICKING, "TR", "uz-Cyrl"};
	struct cases_attrs cb = {CASES_KIND_CALLBACK, 0, "RU", "uz-Cyrl"};
	struct cases_attrs tajik = {CASES_KIND_COMPLAINT, CASES_CAT_OTHER, "RU", "tg"};
	int64_t mon10 = utc(2026, 3, 2, 5, 0);
	struct cases_route rt;
	struct cases_override ov[6] = {{0}};
	uint64_t tried = 0;
	int last = -1;

	/* Matching */
	assert_true(cases_staff_matches(r, 0, &wages_ru));
	assert_true(cases_staff_matches(r, 1, &wages_ru));
	assert_true(cases_staff_matches(r, 2, &wages_ru));
	assert_false(cases_staff_matches(r, 3, &wages_ru)); /* country, language */
	assert_false(cases_staff_matches(r, 4, &wages_ru)); /* topic */
	assert_false(cases_staff_matches(r, 5, &wages_ru)); /* language */
	assert_true(cases_staff_matches(r, 3, &wages_kz_ru));
	assert_false(cases_staff_matches(r, 0, &wages_kz_ru)); /* A speaks uz only */
	assert_true(cases_staff_matches(r, 4, &cb));
	assert_true(cases_staff_matches(r, 1, &cb)); /* "*" topics include callbacks */

	/* Round robin among A, B, C. */
	assert_int_equal(cases_route(r, NULL, &wages_ru, mon10, last, 0, &rt), 0);
	assert_int_equal(rt.result, CASES_ROUTE_ASSIGN);
	assert_int_equal(rt.staff, 0);
	assert_int_equal(cases_route(r, NULL, &wages_ru, mon10, rt.staff, 0, &rt), 0);
	assert_int_equal(rt.staff, 1);
	assert_int_equal(cases_route(r, NULL, &wages_ru, mon10, rt.staff, 0, &rt), 0);
	assert_int_equal(rt.staff, 2);
	assert_int_equal(cases_route(r, NULL, &wages_ru, mon10, rt.staff, 0, &rt), 0);
	assert_int_equal(rt.staff, 0);
	assert_false(rt.fallback);
	assert_false(rt.wrapped);

	/* Escalation of one case: A, then B, then C, then the supervisor, then around again. */
	last = 5;
	assert_int_equal(cases_route(r, NULL, &wages_ru, mon10, last, tried, &rt), 0);
	assert_int_equal(rt.staff, 0);
	tried |= 1ull << rt.staff;
	assert_int_equal(cases_route(r, NULL, &wages_ru, mon10, rt.staff, tried, &rt), 0);
	assert_int_equal(rt.staff, 1);
	tried |= 1ull << rt.staff;
	assert_int_equal(cases_route(r, NULL, &wages_ru, mon10, rt.staff, tried, &rt), 0);
	assert_int_equal(rt.staff, 2);
	tried |= 1ull << rt.staff;
	assert_int_equal(cases_route(r, NULL, &wages_ru, mon10, rt.staff, tried, &rt), 0);
	assert_int_equal(rt.staff, 5);
	assert_true(rt.fallback);
	assert_false(rt.wrapped);
	tried |= 1ull << rt.staff;
	assert_int_equal(cases_route(r, NULL, &wages_ru, mon10, rt.staff, tried, &rt), 0);
	assert_int_equal(rt.result, CASES_ROUTE_ASSIGN);
	assert_int_equal(rt.staff, 0);
	assert_true(rt.wrapped);
	assert_false(rt.fallback);

	/* Off-duty overrides are respected: B and C off, A gets it; A off too: the supervisor. */
	ov[1] = (struct cases_override){CASES_DUTY_OFF, mon10 + H};
	ov[2] = (struct cases_override){CASES_DUTY_OFF, mon10 + H};
	assert_int_equal(cases_route(r, ov, &wages_ru, mon10, 0, 0, &rt), 0);
	assert_int_equal(rt.staff, 0);
	ov[0] = (struct cases_override){CASES_DUTY_OFF, mon10 + H};
	assert_int_equal(cases_route(r, ov, &wages_ru, mon10, 0, 0, &rt), 0);
	assert_int_equal(rt.staff, 5);
	assert_true(rt.fallback);
	/* Everyone off, the supervisor too: wait until the first of them is back, one hour later. */
	ov[5] = (struct cases_override){CASES_DUTY_OFF, mon10 + 2 * H};
	assert_int_equal(cases_route(r, ov, &wages_ru, mon10, 0, 0, &rt), 0);
	assert_int_equal(rt.result, CASES_ROUTE_WAIT);
	assert_int_equal(rt.expect_at, mon10 + H);
	/* An ON override puts someone on duty outside hours. */
	memset(ov, 0, sizeof(ov));
	int64_t sat = utc(2026, 3, 7, 8, 0);
	assert_int_equal(cases_route(r, ov, &wages_ru, sat, -1, 0, &rt), 0);
	assert_int_equal(rt.result, CASES_ROUTE_WAIT);
	assert_int_equal(rt.expect_at, utc(2026, 3, 9, 4, 0)); /* Monday 09:00 Tashkent */
	ov[2] = (struct cases_override){CASES_DUTY_ON, sat + H};
	assert_int_equal(cases_route(r, ov, &wages_ru, sat, -1, 0, &rt), 0);
	assert_int_equal(rt.result, CASES_ROUTE_ASSIGN);
	assert_int_equal(rt.staff, 2);

	/* Violence in Turkey, Saturday noon: only E covers it, on nights (Sat 06:00 ended) ->
	 * no one matching on duty, no supervisor on duty: wait for the earlier of E (Monday 22:00) and
	 * the supervisor (Monday 09:00). */
	assert_int_equal(cases_route(r, NULL, &violence, sat, -1, 0, &rt), 0);
	assert_int_equal(rt.result, CASES_ROUTE_WAIT);
	assert_int_equal(rt.expect_at, utc(2026, 3, 9, 4, 0));
	/* Monday 23:00 Tashkent: E is on. */
	assert_int_equal(cases_route(r, NULL, &violence, utc(2026, 3, 9, 18, 0), -1, 0, &rt), 0);
	assert_int_equal(rt.staff, 4);
	/* A Tajik speaker: nobody matches; the supervisor on duty takes it. */
	assert_int_equal(cases_route(r, NULL, &tajik, mon10, -1, 0, &rt), 0);
	assert_int_equal(rt.staff, 5);
	assert_true(rt.fallback);
	talloc_free(r);

	/* No supervisor and no match: nobody. */
	r = compile(staff, 3);
	assert_int_equal(cases_route(r, NULL, &tajik, mon10, -1, 0, &rt), 0);
	assert_int_equal(rt.result, CASES_ROUTE_NOBODY);
	assert_int_equal(rt.staff, -1);
	assert_int_equal(cases_route(NULL, NULL, &tajik, mon10, -1, 0, &rt), -EINVAL);
	/* Garbage "last" values are tolerated. */
	assert_int_equal(cases_route(r, NULL, &wages_ru, mon10, 1000, 0, &rt), 0);
	assert_int_equal(rt.staff, 0);
	talloc_free(r);
	talloc_free_children(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tz_against_libc),
		cmocka_unit_test(test_tz_known),
		cmocka_unit_test(test_tz_names_and_errors),
		cmocka_unit_test(test_tz_corrupt),
		cmocka_unit_test(test_duty_parse),
		cmocka_unit_test(test_duty_across_zones),
		cmocka_unit_test(test_duty_brute_force),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_roster_errors),
		cmocka_unit_test(test_phone_normalise),
		cmocka_unit_test(test_route),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
