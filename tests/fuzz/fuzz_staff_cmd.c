/* Fuzz the staff SMS command parser (and the case-number parser it uses) with arbitrary bytes.
 * Invariants: no crash or over-read; a parsed text lies inside the input and is valid UTF-8
 * without leading or trailing white space; a successfully parsed case number passes the check
 * digit; parsing is deterministic. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yordam/cases.h>
#include <yordam/text.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts in every build type: a fuzz invariant must not vanish under NDEBUG. */
#define CHECK(cond)              \
	do {                     \
		if (!(cond)) {   \
			abort(); \
		}                \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so ASan reports any read past the end. */
	char *s = malloc(size ? size : 1);
	struct cases_cmd a, b;
	enum cases_cmd_err e1, e2;
	char digits[CASES_NUMBER_STRLEN];
	uint32_t n;
	int rc;

	CHECK(s);
	memcpy(s, data, size);
	e1 = cases_cmd_parse(s, size, &a);
	CHECK((unsigned)e1 < _CASES_CMD_E_COUNT);
	CHECK(cases_cmd_strerror(e1) != NULL);
	e2 = cases_cmd_parse(s, size, &b);
	CHECK(e1 == e2 && memcmp(&a, &b, sizeof(a)) == 0);
	if (e1 == CASES_CMD_E_OK) {
		CHECK(a.type >= CASES_CMD_CLAIM && a.type <= CASES_CMD_OFF);
		if (a.type != CASES_CMD_ON && a.type != CASES_CMD_OFF) {
			CHECK(cases_number_format(a.number, false, digits) == CASES_NUMBER_DIGITS);
			CHECK(cases_damm_valid(digits, CASES_NUMBER_DIGITS));
		}
		if (a.type == CASES_CMD_REPLY) {
			CHECK(a.text && a.text_len > 0);
		}
		if (a.text) {
			CHECK(a.text >= s && a.text + a.text_len <= s + size && a.text_len > 0);
			CHECK(text_utf8_valid(a.text, a.text_len));
			CHECK(a.text[0] != ' ' && a.text[a.text_len - 1] != ' ' && a.text[a.text_len - 1] != '\n');
		}
	}
	rc = cases_number_parse(s, size, &n);
	CHECK(rc == 0 || rc == -EINVAL || rc == -ERANGE || rc == -EBADMSG);
	if (rc == 0) {
		CHECK(cases_number_format(n, false, digits) == CASES_NUMBER_DIGITS);
		CHECK(cases_damm_valid(digits, CASES_NUMBER_DIGITS));
	}
	free(s);
	return 0;
}
