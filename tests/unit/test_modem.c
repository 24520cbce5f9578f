/* Pure parts of the modem layer: backoff, UDH concatenation, prefixes, time, the seen-set. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "modem_util.h"

static void test_backoff(void **state)
{
	unsigned i, d;

	/* no jitter (rnd 0): doubling from min, capped at max */
	assert_int_equal(modem_backoff_ms(1000, 60000, 1, 0), 1000);
	assert_int_equal(modem_backoff_ms(1000, 60000, 2, 0), 2000);
	assert_int_equal(modem_backoff_ms(1000, 60000, 3, 0), 4000);
	assert_int_equal(modem_backoff_ms(1000, 60000, 6, 0), 32000);
	assert_int_equal(modem_backoff_ms(1000, 60000, 7, 0), 60000);
	assert_int_equal(modem_backoff_ms(1000, 60000, 1000000, 0), 60000);
	/* jitter takes off at most a quarter, never below min */
	for (i = 0; i < 1000; i++) {
		d = modem_backoff_ms(1000, 60000, 5, i * 2654435761u);
		assert_true(d >= 12000 && d <= 16000);
		d = modem_backoff_ms(1000, 60000, 1, i * 2654435761u);
		assert_int_equal(d, 1000);
		d = modem_backoff_ms(1000, 60000, 50, i * 2654435761u);
		assert_true(d >= 45000 && d <= 60000);
	}
	/* max below min, zero min: still sane */
	assert_int_equal(modem_backoff_ms(5000, 1000, 3, 0), 5000);
	assert_true(modem_backoff_ms(0, 0, 3, 0) >= 1 || modem_backoff_ms(0, 0, 3, 0) == 0);
}

static void test_udh_concat(void **state)
{
	struct modem_concat c;
	static const uint8_t c8[] = {0x05, 0x00, 0x03, 0x42, 0x03, 0x02};
	static const uint8_t c16[] = {0x06, 0x08, 0x04, 0xab, 0xcd, 0x02, 0x01};
	/* a port-addressing element first, then the concatenation */
	static const uint8_t mixed[] = {0x0b, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0, 0x00, 0x03, 0x07, 0x02, 0x02};
	static const uint8_t none[] = {0x04, 0x05, 0x02, 0x0b, 0x84};
	static const uint8_t bad_seq[] = {0x05, 0x00, 0x03, 0x42, 0x02, 0x03};
	static const uint8_t zero_total[] = {0x05, 0x00, 0x03, 0x42, 0x00, 0x00};
	static const uint8_t overrun[] = {0x05, 0x00, 0x07, 0x42, 0x03, 0x02};
	static const uint8_t short_udhl[] = {0x09, 0x00, 0x03};

	memset(&c, 0, sizeof(c));
	assert_int_equal(modem_udh_concat(c8, sizeof(c8), &c), 1);
	assert_false(c.is_16bit);
	assert_int_equal(c.ref, 0x42);
	assert_int_equal(c.total, 3);
	assert_int_equal(c.seq, 2);

	assert_int_equal(modem_udh_concat(c16, sizeof(c16), &c), 1);
	assert_true(c.is_16bit);
	assert_int_equal(c.ref, 0xabcd);
	assert_int_equal(c.total, 2);
	assert_int_equal(c.seq, 1);

	assert_int_equal(modem_udh_concat(mixed, sizeof(mixed), &c), 1);
	assert_int_equal(c.ref, 7);
	assert_int_equal(c.seq, 2);

	assert_int_equal(modem_udh_concat(none, sizeof(none), &c), 0);
	assert_int_equal(modem_udh_concat(bad_seq, sizeof(bad_seq), &c), 0);
	assert_int_equal(modem_udh_concat(zero_total, sizeof(zero_total), &c), 0);
	assert_int_equal(modem_udh_concat(overrun, sizeof(overrun), &c), -EINVAL);
	assert_int_equal(modem_udh_concat(short_udhl, sizeof(short_udhl), &c), -EINVAL);
	assert_int_equal(modem_udh_concat(NULL, 0, &c), 0);
}

static void test_udh_build_roundtrip(void **state)
{
	uint8_t udh[6];
	struct modem_concat c;

	assert_int_equal(modem_udh_build(udh, 200, 4, 3), 6);
	assert_memory_equal(udh, ((uint8_t[]){0x05, 0x00, 0x03, 200, 4, 3}), 6);
	assert_int_equal(modem_udh_concat(udh, sizeof(udh), &c), 1);
	assert_int_equal(c.ref, 200);
	assert_int_equal(c.total, 4);
	assert_int_equal(c.seq, 3);
}

static void test_prefix(void **state)
{
	assert_true(modem_prefix_match("+99890,+99891", "+998901234567"));
	assert_true(modem_prefix_match("+99890, +99891", "+998911234567"));
	assert_true(modem_prefix_match(" 99891 ", "+998911234567"));
	assert_true(modem_prefix_match("+7", "79161234567"));
	assert_false(modem_prefix_match("+99890,+99891", "+998931234567"));
	assert_false(modem_prefix_match("", "+998901234567"));
	assert_false(modem_prefix_match(",, ,", "+998901234567"));
	assert_false(modem_prefix_match(NULL, "+998901234567"));
	assert_false(modem_prefix_match("+99890", NULL));
}

static void test_time(void **state)
{
	assert_int_equal(modem_civil_to_unix(1970, 1, 1, 0, 0, 0, 0), 0);
	assert_int_equal(modem_civil_to_unix(2025, 1, 2, 3, 4, 5, 0), 1735787045);
	/* 08:04:05 at UTC+5 (Tashkent) is 03:04:05 UTC */
	assert_int_equal(modem_civil_to_unix(2025, 1, 2, 8, 4, 5, 5 * 3600), 1735787045);
	assert_int_equal(modem_civil_to_unix(2024, 2, 29, 12, 0, 0, 0), 1709208000);
	assert_int_equal(modem_civil_to_unix(0, 0, 0, 0, 0, 0, 0), 0);
	assert_int_equal(modem_civil_to_unix(2025, 13, 1, 0, 0, 0, 0), 0);
	assert_int_equal(modem_civil_to_unix(2025, 1, 1, 24, 0, 0, 0), 0);
}

static void test_utf8_copy_and_hex(void **state)
{
	char buf[6], hex[9];

	modem_utf8_copy(buf, sizeof(buf), "abc");
	assert_string_equal(buf, "abc");
	/* "abcП": П is two bytes; "abcПр" does not fit in 5 bytes and must not be cut inside р */
	modem_utf8_copy(buf, sizeof(buf), "abc\xd0\x9f\xd1\x80");
	assert_string_equal(buf, "abc\xd0\x9f");
	modem_utf8_copy(buf, sizeof(buf), "ab\xd0\x9f\xd1\x80");
	assert_string_equal(buf, "ab\xd0\x9f");
	modem_utf8_copy(buf, 4, "ab\xe2\x80\x99");
	assert_string_equal(buf, "ab");
	assert_string_equal(modem_hex(hex, (const uint8_t *)"\x01\xab\xff", 3), "01abff");
	assert_string_equal(modem_hex(hex, (const uint8_t *)"", 0), "");
}

static void test_seen(void **state)
{
	struct modem_seen s;
	int i;

	assert_int_equal(modem_seen_init(&s, 64), 0);
	/* first sight: report; again within the interval: not; after it: again */
	assert_true(modem_seen_check(&s, 1, 10001, 7, 1000, 60000));
	assert_false(modem_seen_check(&s, 1, 10001, 7, 2000, 60000));
	assert_true(modem_seen_check(&s, 1, 10001, 7, 61000, 60000));
	assert_false(modem_seen_check(&s, 1, 10001, 7, 62000, 60000));
	/* other content at the same place: a new part */
	assert_true(modem_seen_check(&s, 1, 10001, 8, 62000, 60000));
	/* deleted: the place can hold a new part with the same fingerprint */
	modem_seen_forget(&s, 1, 10001);
	assert_true(modem_seen_check(&s, 1, 10001, 8, 62001, 60000));
	/* folder 0 (not stored) is always reported */
	assert_true(modem_seen_check(&s, 0, 0, 1, 0, 60000));
	assert_true(modem_seen_check(&s, 0, 0, 1, 0, 60000));

	/* many entries with collisions; forget every other one; the rest are still known */
	modem_seen_clear(&s);
	for (i = 1; i <= 40; i++) {
		assert_true(modem_seen_check(&s, 1 + i % 3, i * 64, (uint32_t)i, 0, 60000));
	}
	for (i = 1; i <= 40; i += 2) {
		modem_seen_forget(&s, 1 + i % 3, i * 64);
	}
	for (i = 1; i <= 40; i++) {
		assert_int_equal(modem_seen_check(&s, 1 + i % 3, i * 64, (uint32_t)i, 1, 60000), i % 2 == 1);
	}
	/* forgetting something unknown is harmless */
	modem_seen_forget(&s, 5, 5);
	/* filling beyond 3/4 clears (duplicates, never a lost part) */
	for (i = 0; i < 200; i++) {
		modem_seen_check(&s, 3, 100000 + i, 0, 0, 60000);
	}
	assert_true(s.used <= s.cap * 3 / 4);
	modem_seen_fini(&s);
	assert_null(s.e);
}

static void test_fnv(void **state)
{
	assert_int_equal(modem_fnv1a(2166136261u, "", 0), 2166136261u);
	assert_int_equal(modem_fnv1a(2166136261u, "a", 1), 0xe40c292cu);
	assert_int_not_equal(modem_fnv1a(2166136261u, "ab", 2), modem_fnv1a(2166136261u, "ba", 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_udh_concat),
		cmocka_unit_test(test_udh_build_roundtrip),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_utf8_copy_and_hex),
		cmocka_unit_test(test_seen),
		cmocka_unit_test(test_fnv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
