/* Pure helpers of the modem layer (no libgammu, no libosmocore): unit-tested on their own. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reopen delay after the n-th consecutive failure (n >= 1): min_ms doubled per failure, capped
 * at max_ms, minus up to a quarter of jitter taken from rnd; never below min_ms. */
unsigned modem_backoff_ms(unsigned min_ms, unsigned max_ms, unsigned failures, uint32_t rnd);

struct modem_concat {
	bool is_16bit;
	uint16_t ref;
	uint8_t total, seq;
};

/* Find a concatenation element (IEI 0x00: 8-bit reference, IEI 0x08: 16-bit) in a raw User Data
 * Header (udh[0] is the UDHL). Other elements are skipped. 1: found and filled c; 0: none (or an
 * element with total 0 or seq outside 1..total, which 23.040 says to ignore); -EINVAL: the
 * header is malformed (lengths run past its end). */
int modem_udh_concat(const uint8_t *udh, size_t len, struct modem_concat *c);

/* Build a concatenation UDH (05 00 03 ref total seq) into out (>= 6 bytes); returns 6. */
size_t modem_udh_build(uint8_t *out, uint8_t ref, uint8_t total, uint8_t seq);

/* Does number start with one of the comma-separated prefixes? A leading '+' is ignored on
 * both sides, blanks around prefixes too. NULL or empty prefixes match nothing. */
bool modem_prefix_match(const char *prefixes, const char *number);

/* Seconds since the epoch of a civil UTC date/time minus tz_seconds (the sender's offset from
 * UTC); 0 when the date is unusable (year < 1970, month or day out of range). */
int64_t modem_civil_to_unix(int year, int month, int day, int hour, int minute, int second, int tz_seconds);

/* Lowercase hex of len bytes into out (2*len+1 bytes); returns out. */
char *modem_hex(char *out, const uint8_t *in, size_t len);

/* Copy src into dst (size dstlen >= 1), cutting at a UTF-8 character boundary if it is too long. */
void modem_utf8_copy(char *dst, size_t dstlen, const char *src);

/* Parts already reported in this connection, so that a storage sweep does not hand the same part
 * to the main loop again and again while the SMS layer commits it: keyed by (folder, location,
 * content fingerprint); a part is handed over again when its entry is older than the
 * re-delivery interval, or after modem_seen_forget() (deleted) or a new connection. */
struct modem_seen_entry {
	int folder, location; /* folder 0: free slot */
	uint32_t fp;
	int64_t when_ms;
};

struct modem_seen {
	struct modem_seen_entry *e;
	size_t cap; /* power of two */
	size_t used;
};

/* cap is rounded up to a power of two; entries are malloc'd (worker thread). */
int modem_seen_init(struct modem_seen *s, size_t cap);
void modem_seen_fini(struct modem_seen *s);
void modem_seen_clear(struct modem_seen *s);
/* Should this part be reported now? true: yes (and it is recorded as reported at now_ms). */
bool modem_seen_check(struct modem_seen *s, int folder, int location, uint32_t fp, int64_t now_ms,
		      int64_t redeliver_ms);
void modem_seen_forget(struct modem_seen *s, int folder, int location);

/* FNV-1a over a buffer, chained from h (start with 2166136261u). */
uint32_t modem_fnv1a(uint32_t h, const void *buf, size_t len);
