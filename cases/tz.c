/* Time zones from TZif files (RFC 8536), evaluated without the C library's global TZ state. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <osmocom/core/talloc.h>

#include <yordam/cases_roster.h>

#include "cases_priv.h"

/* Times further out than this are clamped, so that no arithmetic below can overflow. */
#define TZ_T_LIMIT	   10000000000000LL /* ~317,000 years */
#define TZ_MAX_TRANSITIONS 20000
#define TZ_MAX_TYPES	   256
#define TZ_MAX_CHARS	   4096
#define TZ_MAX_LEAPS	   10000
#define TZ_MAX_FOOTER	   128

/* One rule of a POSIX TZ string: Jn (1..365, no Feb 29), n (0..365) or Mm.w.d, plus a time. */
struct tz_rule {
	char kind; /* 'J', 'N' or 'M' */
	int day;   /* J, N */
	int m, w, d;
	int32_t time; /* seconds after local midnight, -167h..167h */
};

struct tz_posix {
	int32_t std_off, dst_off; /* seconds east of UTC */
	bool has_dst;
	struct tz_rule start, end;
};

struct cases_tz {
	char name[CASES_TZ_NAME_MAX];
	size_t n;
	int64_t *at;	/* transition times, strictly ascending */
	int32_t *off;	/* offset from at[i] on */
	int32_t off0;	/* before the first transition: time type 0 */
	bool has_posix; /* the footer governs times from the last transition on */
	struct tz_posix posix;
};

/* --- civil dates (H. Hinnant's algorithms, proleptic Gregorian) ------------------------------- */

static int64_t floordiv(int64_t a, int64_t b)
{
	return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = floordiv(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = floordiv(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

static int64_t clamp_t(int64_t t)
{
	return t > TZ_T_LIMIT ? TZ_T_LIMIT : t < -TZ_T_LIMIT ? -TZ_T_LIMIT : t;
}

/* --- POSIX TZ strings (the TZif footer) ------------------------------------------------------ */

/* Local seconds (since the epoch, as if UTC) at which rule r fires in year y. */
static int64_t rule_local(const struct tz_rule *r, int64_t y)
{
	int64_t jan1 = days_from_civil(y, 1, 1), day;
	int wday1, mday;

	switch (r->kind) {
	case 'J':
		day = jan1 + r->day - 1 + (is_leap(y) && r->day >= 60 ? 1 : 0);
		break;
	case 'N':
		day = jan1 + r->day;
		break;
	default: /* 'M': day d (0 = Sunday) of week w (5 = last) of month m */
		day = days_from_civil(y, r->m, 1);
		wday1 = (int)((day % 7 + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
		mday = 1 + (r->d - wday1 + 7) % 7 + (r->w - 1) * 7;
		while (mday > month_days(y, r->m)) {
			mday -= 7;
		}
		day += mday - 1;
		break;
	}
	return day * 86400 + r->time;
}

/* UTC instants at which DST starts and ends in local year y. */
static void posix_year(const struct tz_posix *p, int64_t y, int64_t *start, int64_t *end)
{
	*start = rule_local(&p->start, y) - p->std_off;
	*end = rule_local(&p->end, y) - p->dst_off;
}

static int64_t year_of(int64_t local_t)
{
	int64_t y;
	int m, d;

	civil_from_days(floordiv(local_t, 86400), &y, &m, &d);
	return y;
}

static int32_t posix_offset(const struct tz_posix *p, int64_t t)
{
	int64_t y, start, end;

	if (!p->has_dst) {
		return p->std_off;
	}
	y = year_of(t + p->std_off);
	posix_year(p, y, &start, &end);
	if (start < end) {
		return t >= start && t < end ? p->dst_off : p->std_off;
	}
	return t >= start || t < end ? p->dst_off : p->std_off; /* southern hemisphere */
}

/* The first rule instant after t (a candidate change), INT64_MAX with no DST. */
static int64_t posix_next(const struct tz_posix *p, int64_t t)
{
	int64_t y, yy, start, end, best = INT64_MAX;

	if (!p->has_dst) {
		return INT64_MAX;
	}
	y = year_of(t + p->std_off);
	for (yy = y - 1; yy <= y + 2; yy++) {
		posix_year(p, yy, &start, &end);
		if (start > t && start < best) {
			best = start;
		}
		if (end > t && end < best) {
			best = end;
		}
	}
	return best;
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Bounded decimal: at most 3 digits. */
static int parse_num(const char **s, int max, int *out)
{
	int v = 0, n = 0;

	while (is_digit(**s) && n < 3) {
		v = v * 10 + (**s - '0');
		(*s)++;
		n++;
	}
	if (n == 0 || v > max) {
		return -EBADMSG;
	}
	*out = v;
	return 0;
}

/* [+-]hh[:mm[:ss]], hours up to max_h; returns seconds. */
static int parse_hms(const char **s, int max_h, int32_t *out)
{
	int sign = 1, h, m = 0, sec = 0;

	if (**s == '+' || **s == '-') {
		sign = **s == '-' ? -1 : 1;
		(*s)++;
	}
	if (parse_num(s, max_h, &h) < 0) {
		return -EBADMSG;
	}
	if (**s == ':') {
		(*s)++;
		if (parse_num(s, 59, &m) < 0) {
			return -EBADMSG;
		}
		if (**s == ':') {
			(*s)++;
			if (parse_num(s, 59, &sec) < 0) {
				return -EBADMSG;
			}
		}
	}
	*out = sign * (h * 3600 + m * 60 + sec);
	return 0;
}

static int parse_abbr(const char **s)
{
	int n = 0;

	if (**s == '<') {
		(*s)++;
		while (is_alpha(**s) || is_digit(**s) || **s == '+' || **s == '-') {
			(*s)++;
			n++;
		}
		if (**s != '>' || n < 3) {
			return -EBADMSG;
		}
		(*s)++;
		return 0;
	}
	while (is_alpha(**s)) {
		(*s)++;
		n++;
	}
	return n >= 3 ? 0 : -EBADMSG;
}

static int parse_rule(const char **s, struct tz_rule *r)
{
	r->time = 7200;
	if (**s == 'J') {
		(*s)++;
		r->kind = 'J';
		if (parse_num(s, 365, &r->day) < 0 || r->day < 1) {
			return -EBADMSG;
		}
	} else if (**s == 'M') {
		(*s)++;
		r->kind = 'M';
		if (parse_num(s, 12, &r->m) < 0 || r->m < 1 || *(*s)++ != '.' || parse_num(s, 5, &r->w) < 0 ||
		    r->w < 1 || *(*s)++ != '.' || parse_num(s, 6, &r->d) < 0) {
			return -EBADMSG;
		}
	} else {
		r->kind = 'N';
		if (parse_num(s, 365, &r->day) < 0) {
			return -EBADMSG;
		}
	}
	if (**s == '/') {
		(*s)++;
		return parse_hms(s, 167, &r->time);
	}
	return 0;
}

/* Parse a NUL-terminated POSIX TZ string as RFC 8536 allows in a footer. */
static int posix_parse(const char *s, struct tz_posix *p)
{
	int32_t v;

	memset(p, 0, sizeof(*p));
	if (parse_abbr(&s) < 0 || parse_hms(&s, 24, &v) < 0) {
		return -EBADMSG;
	}
	p->std_off = -v; /* POSIX counts west of Greenwich */
	if (*s == '\0') {
		return 0;
	}
	if (parse_abbr(&s) < 0) {
		return -EBADMSG;
	}
	p->has_dst = true;
	p->dst_off = p->std_off + 3600;
	if (*s != ',' && *s != '\0') {
		if (parse_hms(&s, 24, &v) < 0) {
			return -EBADMSG;
		}
		p->dst_off = -v;
	}
	if (*s == '\0') { /* no rules: the US rules, as glibc assumes */
		p->start = (struct tz_rule){.kind = 'M', .m = 3, .w = 2, .d = 0, .time = 7200};
		p->end = (struct tz_rule){.kind = 'M', .m = 11, .w = 1, .d = 0, .time = 7200};
		return 0;
	}
	if (*s++ != ',' || parse_rule(&s, &p->start) < 0 || *s++ != ',' || parse_rule(&s, &p->end) < 0 || *s) {
		return -EBADMSG;
	}
	return 0;
}

/* --- TZif ------------------------------------------------------------------------------------ */

struct tzif_hdr {
	char version;
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static int tzif_header(const uint8_t *buf, size_t len, struct tzif_hdr *h)
{
	if (len < 44 || memcmp(buf, "TZif", 4) != 0) {
		return -EBADMSG;
	}
	h->version = (char)buf[4];
	h->isutcnt = be32(buf + 20);
	h->isstdcnt = be32(buf + 24);
	h->leapcnt = be32(buf + 28);
	h->timecnt = be32(buf + 32);
	h->typecnt = be32(buf + 36);
	h->charcnt = be32(buf + 40);
	if (h->typecnt == 0 || h->typecnt > TZ_MAX_TYPES || h->charcnt == 0 || h->charcnt > TZ_MAX_CHARS ||
	    h->timecnt > TZ_MAX_TRANSITIONS || h->leapcnt > TZ_MAX_LEAPS ||
	    (h->isutcnt != 0 && h->isutcnt != h->typecnt) || (h->isstdcnt != 0 && h->isstdcnt != h->typecnt)) {
		return -EBADMSG;
	}
	return 0;
}

/* Size of a data block (after its header) with time values of tsize bytes. */
static size_t tzif_block_len(const struct tzif_hdr *h, size_t tsize)
{
	return (size_t)h->timecnt * tsize + h->timecnt + (size_t)h->typecnt * 6 + h->charcnt +
	       (size_t)h->leapcnt * (tsize + 4) + h->isstdcnt + h->isutcnt;
}

static int tzif_data(struct cases_tz *tz, const struct tzif_hdr *h, const uint8_t *p, size_t tsize)
{
	const uint8_t *idx = p + (size_t)h->timecnt * tsize, *types = idx + h->timecnt;
	int32_t offs[TZ_MAX_TYPES];
	uint32_t i;

	for (i = 0; i < h->typecnt; i++) {
		int32_t utoff = (int32_t)be32(types + 6 * i);
		/* RFC 8536: -2^31 is invalid; real offsets lie within (-25 h, 26 h). */
		if (utoff < -89999 || utoff > 93599 || types[6 * i + 4] > 1 || types[6 * i + 5] >= h->charcnt) {
			return -EBADMSG;
		}
		offs[i] = utoff;
	}
	tz->n = h->timecnt;
	tz->at = talloc_array(tz, int64_t, tz->n ? tz->n : 1);
	tz->off = talloc_array(tz, int32_t, tz->n ? tz->n : 1);
	if (!tz->at || !tz->off) {
		return -ENOMEM;
	}
	for (i = 0; i < h->timecnt; i++) {
		tz->at[i] = tsize == 8 ? be64(p + 8 * i) : (int64_t)(int32_t)be32(p + 4 * i);
		if (i > 0 && tz->at[i] <= tz->at[i - 1]) {
			return -EBADMSG;
		}
		if (idx[i] >= h->typecnt) {
			return -EBADMSG;
		}
		tz->off[i] = offs[idx[i]];
	}
	tz->off0 = offs[0];
	return 0;
}

int cases_tz_parse(void *ctx, const char *name, const uint8_t *buf, size_t len, struct cases_tz **out)
{
	struct tzif_hdr h;
	struct cases_tz *tz;
	const uint8_t *p = buf;
	size_t rest = len, blk, flen;
	char footer[TZ_MAX_FOOTER + 1];
	int rc;

	if (!buf || !out || !name || strlen(name) >= CASES_TZ_NAME_MAX) {
		return -EINVAL;
	}
	*out = NULL;
	rc = tzif_header(p, rest, &h);
	if (rc < 0) {
		return rc;
	}
	blk = tzif_block_len(&h, 4);
	if (rest - 44 < blk) {
		return -EBADMSG;
	}
	tz = talloc_zero(ctx, struct cases_tz);
	if (!tz) {
		return -ENOMEM;
	}
	snprintf(tz->name, sizeof(tz->name), "%s", name);
	if (h.version == '\0') {
		rc = tzif_data(tz, &h, p + 44, 4);
		goto done;
	}
	if (h.version < '2' || h.version > '4') {
		rc = -EBADMSG;
		goto done;
	}
	p += 44 + blk;
	rest -= 44 + blk;
	rc = tzif_header(p, rest, &h);
	if (rc < 0) {
		goto done;
	}
	blk = tzif_block_len(&h, 8);
	if (rest - 44 < blk) {
		rc = -EBADMSG;
		goto done;
	}
	rc = tzif_data(tz, &h, p + 44, 8);
	if (rc < 0) {
		goto done;
	}
	p += 44 + blk;
	rest -= 44 + blk;
	/* Footer: "\n" POSIX-TZ "\n"; an empty TZ string means none. */
	if (rest < 2 || p[0] != '\n') {
		rc = -EBADMSG;
		goto done;
	}
	for (flen = 0; flen + 1 < rest && p[1 + flen] != '\n'; flen++) {
		if (flen >= TZ_MAX_FOOTER || p[1 + flen] == '\0') {
			rc = -EBADMSG;
			goto done;
		}
	}
	if (flen + 1 >= rest) {
		rc = -EBADMSG; /* no closing newline */
		goto done;
	}
	if (flen) {
		memcpy(footer, p + 1, flen);
		footer[flen] = '\0';
		rc = posix_parse(footer, &tz->posix);
		if (rc < 0) {
			goto done;
		}
		tz->has_posix = true;
	}
done:
	if (rc < 0) {
		talloc_free(tz);
		return rc;
	}
	*out = tz;
	return 0;
}

bool cases_tz_name_valid(const char *name)
{
	size_t i, len, part = 0;

	if (!name) {
		return false;
	}
	len = strlen(name);
	if (len == 0 || len >= CASES_TZ_NAME_MAX) {
		return false;
	}
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (c == '/') {
			if (part == 0) {
				return false; /* leading '/', or "//" */
			}
			part = 0;
			continue;
		}
		if (part == 0 && c == '.') {
			return false; /* ".", "..", hidden files */
		}
		if (!(is_alpha(c) || is_digit(c) || c == '_' || c == '+' || c == '-' || c == '.')) {
			return false;
		}
		part++;
	}
	return part > 0;
}

int cases_tz_load(void *ctx, const char *dir, const char *name, struct cases_tz **out)
{
	char path[PATH_MAX];
	uint8_t *buf;
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd, rc;

	if (!out || !cases_tz_name_valid(name)) {
		return -EINVAL;
	}
	if (snprintf(path, sizeof(path), "%s/%s", dir ? dir : CASES_TZ_DIR_DEFAULT, name) >= (int)sizeof(path)) {
		return -ENAMETOOLONG;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return -errno;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : -EBADMSG;
	}
	if (st.st_size > CASES_TZIF_MAX_SIZE) {
		close(fd);
		return -EFBIG;
	}
	buf = talloc_size(NULL, (size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	/* Read up to the limit, not just st_size: the file may change under us. */
	while (got <= (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size + 1 - got);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			rc = -errno;
			goto exit;
		}
		if (n == 0) {
			break;
		}
		got += (size_t)n;
	}
	if (got > (size_t)st.st_size) {
		rc = -EBADMSG; /* grew while we read it */
		goto exit;
	}
	rc = cases_tz_parse(ctx, name, buf, got, out);
exit:
	talloc_free(buf);
	close(fd);
	return rc;
}

const char *cases_tz_name(const struct cases_tz *tz)
{
	return tz ? tz->name : NULL;
}

/* --- evaluation ------------------------------------------------------------------------------ */

/* Index of the last transition at or before t, or -1. */
static ssize_t tz_index(const struct cases_tz *tz, int64_t t)
{
	size_t lo = 0, hi = tz->n;

	if (tz->n == 0 || t < tz->at[0]) {
		return -1;
	}
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (tz->at[mid] <= t) {
			lo = mid;
		} else {
			hi = mid;
		}
	}
	return (ssize_t)lo;
}

int32_t cases_tz_offset(const struct cases_tz *tz, int64_t t)
{
	ssize_t i;

	if (!tz) {
		return 0;
	}
	t = clamp_t(t);
	if (tz->has_posix && (tz->n == 0 || t >= tz->at[tz->n - 1])) {
		return posix_offset(&tz->posix, t);
	}
	i = tz_index(tz, t);
	return i < 0 ? tz->off0 : tz->off[i];
}

/* The next instant after t at which an explicit transition or a rule fires (changing the offset or
 * not). */
static int64_t tz_next_candidate(const struct cases_tz *tz, int64_t t)
{
	ssize_t i;

	if (tz->n > 0 && t < tz->at[tz->n - 1]) {
		i = tz_index(tz, t);
		return tz->at[i + 1];
	}
	return tz->has_posix ? posix_next(&tz->posix, t) : INT64_MAX;
}

int64_t cases_tz_next_change(const struct cases_tz *tz, int64_t t)
{
	int64_t c;
	int32_t before;
	unsigned guard;

	if (!tz) {
		return INT64_MAX;
	}
	t = clamp_t(t);
	before = cases_tz_offset(tz, t);
	/* Transitions that change only the abbreviation or the isdst flag are skipped; the guard bounds
	 * the walk (a file is at most TZ_MAX_TRANSITIONS long; the rule fires twice a year). */
	for (guard = 0; guard < TZ_MAX_TRANSITIONS + 8; guard++) {
		c = tz_next_candidate(tz, t);
		if (c == INT64_MAX || c >= TZ_T_LIMIT) {
			return INT64_MAX;
		}
		if (cases_tz_offset(tz, c) != before) {
			return c;
		}
		t = c;
	}
	return INT64_MAX;
}

void cases_tz_local(const struct cases_tz *tz, int64_t t, struct cases_local *out)
{
	int64_t local, days, y, secs;
	int m, d;

	t = clamp_t(t);
	out->gmtoff = cases_tz_offset(tz, t);
	local = t + out->gmtoff;
	days = floordiv(local, 86400);
	secs = local - days * 86400;
	civil_from_days(days, &y, &m, &d);
	out->year = (int)y;
	out->month = m;
	out->mday = d;
	out->wday = (int)(((days + 3) % 7 + 7) % 7);
	out->hour = (int)(secs / 3600);
	out->min = (int)(secs / 60 % 60);
	out->sec = (int)(secs % 60);
}
