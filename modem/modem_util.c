/* Pure helpers of the modem layer. See modem_util.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "modem_util.h"

unsigned modem_backoff_ms(unsigned min_ms, unsigned max_ms, unsigned failures, uint32_t rnd)
{
	uint64_t d = min_ms ? min_ms : 1;
	unsigned i;

	if (max_ms < min_ms) {
		max_ms = min_ms;
	}
	for (i = 1; i < failures && d < max_ms; i++) {
		d *= 2;
	}
	if (d > max_ms) {
		d = max_ms;
	}
	d -= rnd % (d / 4 + 1);
	if (d < min_ms) {
		d = min_ms;
	}
	return (unsigned)d;
}

int modem_udh_concat(const uint8_t *udh, size_t len, struct modem_concat *c)
{
	size_t end, i;
	int found = 0;

	if (!udh || len < 1) {
		return 0;
	}
	end = (size_t)udh[0] + 1;
	if (end > len) {
		return -EINVAL;
	}
	for (i = 1; i < end;) {
		uint8_t iei, iel;
		const uint8_t *v;

		if (i + 2 > end) {
			return -EINVAL;
		}
		iei = udh[i];
		iel = udh[i + 1];
		v = &udh[i + 2];
		if (i + 2 + iel > end) {
			return -EINVAL;
		}
		if (iei == 0x00 && iel == 3 && v[1] > 0 && v[2] >= 1 && v[2] <= v[1]) {
			c->is_16bit = false;
			c->ref = v[0];
			c->total = v[1];
			c->seq = v[2];
			found = 1;
		} else if (iei == 0x08 && iel == 4 && v[2] > 0 && v[3] >= 1 && v[3] <= v[2]) {
			c->is_16bit = true;
			c->ref = (uint16_t)(v[0] << 8 | v[1]);
			c->total = v[2];
			c->seq = v[3];
			found = 1;
		}
		i += 2 + (size_t)iel;
	}
	return found;
}

size_t modem_udh_build(uint8_t *out, uint8_t ref, uint8_t total, uint8_t seq)
{
	out[0] = 5;
	out[1] = 0x00;
	out[2] = 3;
	out[3] = ref;
	out[4] = total;
	out[5] = seq;
	return 6;
}

bool modem_prefix_match(const char *prefixes, const char *number)
{
	const char *p;

	if (!prefixes || !number) {
		return false;
	}
	if (*number == '+') {
		number++;
	}
	p = prefixes;
	while (*p) {
		const char *start, *end;
		size_t n;

		while (*p == ' ' || *p == '\t' || *p == ',') {
			p++;
		}
		start = p;
		while (*p && *p != ',') {
			p++;
		}
		end = p;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t')) {
			end--;
		}
		if (start < end && *start == '+') {
			start++;
		}
		n = (size_t)(end - start);
		if (n > 0 && !strncmp(number, start, n)) {
			return true;
		}
	}
	return false;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int64_t modem_civil_to_unix(int year, int month, int day, int hour, int minute, int second, int tz_seconds)
{
	int64_t t;

	if (year < 1970 || year > 9999 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 ||
	    minute < 0 || minute > 59 || second < 0 || second > 60) {
		return 0;
	}
	t = days_from_civil(year, (unsigned)month, (unsigned)day) * 86400 + hour * 3600 + minute * 60 + second;
	return t - tz_seconds;
}

char *modem_hex(char *out, const uint8_t *in, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
	return out;
}

void modem_utf8_copy(char *dst, size_t dstlen, const char *src)
{
	size_t n = strlen(src);

	if (n >= dstlen) {
		n = dstlen - 1;
		/* back off over continuation bytes so that no character is cut in two */
		while (n > 0 && ((uint8_t)src[n] & 0xC0) == 0x80) {
			n--;
		}
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

uint32_t modem_fnv1a(uint32_t h, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

int modem_seen_init(struct modem_seen *s, size_t cap)
{
	size_t c = 16;

	while (c < cap) {
		c *= 2;
	}
	s->e = calloc(c, sizeof(*s->e));
	if (!s->e) {
		s->cap = 0;
		s->used = 0;
		return -ENOMEM;
	}
	s->cap = c;
	s->used = 0;
	return 0;
}

void modem_seen_fini(struct modem_seen *s)
{
	free(s->e);
	s->e = NULL;
	s->cap = 0;
	s->used = 0;
}

void modem_seen_clear(struct modem_seen *s)
{
	if (s->e) {
		memset(s->e, 0, s->cap * sizeof(*s->e));
	}
	s->used = 0;
}

static size_t seen_slot(const struct modem_seen *s, int folder, int location)
{
	uint32_t h = (uint32_t)folder * 2654435761u ^ (uint32_t)location * 40503u;

	return (h ^ h >> 15) & (s->cap - 1);
}

bool modem_seen_check(struct modem_seen *s, int folder, int location, uint32_t fp, int64_t now_ms, int64_t redeliver_ms)
{
	size_t i;

	if (!s->e || folder <= 0) {
		return true;
	}
	for (i = seen_slot(s, folder, location);; i = (i + 1) & (s->cap - 1)) {
		struct modem_seen_entry *e = &s->e[i];

		if (e->folder == 0) {
			break;
		}
		if (e->folder == folder && e->location == location) {
			if (e->fp == fp && now_ms - e->when_ms < redeliver_ms) {
				return false;
			}
			e->fp = fp;
			e->when_ms = now_ms;
			return true;
		}
	}
	/* Keep the load under 3/4; forgetting everything only costs duplicates, which the SMS layer
	 * recognises anyway. */
	if ((s->used + 1) * 4 > s->cap * 3) {
		modem_seen_clear(s);
		i = seen_slot(s, folder, location);
	}
	s->e[i] = (struct modem_seen_entry){.folder = folder, .location = location, .fp = fp, .when_ms = now_ms};
	s->used++;
	return true;
}

void modem_seen_forget(struct modem_seen *s, int folder, int location)
{
	size_t i, j, k;

	if (!s->e || folder <= 0) {
		return;
	}
	for (i = seen_slot(s, folder, location);; i = (i + 1) & (s->cap - 1)) {
		if (s->e[i].folder == 0) {
			return;
		}
		if (s->e[i].folder == folder && s->e[i].location == location) {
			break;
		}
	}
	/* Backward-shift deletion keeps linear probing correct without tombstones. */
	j = i;
	for (;;) {
		j = (j + 1) & (s->cap - 1);
		if (s->e[j].folder == 0) {
			break;
		}
		k = seen_slot(s, s->e[j].folder, s->e[j].location);
		/* move e[j] into the hole at i unless its home k lies cyclically in (i, j] */
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			s->e[i] = s->e[j];
			i = j;
		}
	}
	s->e[i].folder = 0;
	s->used--;
}
