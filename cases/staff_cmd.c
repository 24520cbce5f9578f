/* The SMS commands of hotline staff: OK, R, DONE, INFO, ON, OFF. */
#include <errno.h>
#include <string.h>

#include <yordam/cases.h>
#include <yordam/text.h>

#include "cases_priv.h"

/* A keyword letter as ASCII upper case, or 0. Cyrillic (and Greek) letters map to the Latin letter
 * they look or sound like, so that a phone left on a Cyrillic layout still works: "ОК", "ДОНЕ",
 * "ИНФО", "ОН", "ОФФ" and "Р" (which sounds as R, and no command has a P). */
static char keyword_letter(uint32_t cp)
{
	static const struct {
		uint32_t cp;
		char c;
	} alike[] = {
		{0x0410, 'A'}, {0x0412, 'B'}, {0x0414, 'D'}, {0x0415, 'E'}, {0x0401, 'E'}, {0x0418, 'I'},
		{0x0406, 'I'}, {0x041a, 'K'}, {0x049a, 'K'}, {0x041c, 'M'}, {0x041d, 'N'}, {0x041e, 'O'},
		{0x0420, 'R'}, {0x0421, 'C'}, {0x0422, 'T'}, {0x0424, 'F'}, {0x0425, 'X'}, {0x039f, 'O'},
		{0x039a, 'K'}, {0x039d, 'N'}, {0x0395, 'E'}, {0x0399, 'I'},
	};
	size_t i;

	if (cp >= 'a' && cp <= 'z') {
		return (char)(cp - 'a' + 'A');
	}
	if (cp >= 'A' && cp <= 'Z') {
		return (char)cp;
	}
	if (cp >= 0xff21 && cp <= 0xff3a) { /* fullwidth Latin */
		return (char)(cp - 0xff21 + 'A');
	}
	if (cp >= 0xff41 && cp <= 0xff5a) {
		return (char)(cp - 0xff41 + 'A');
	}
	/* Cyrillic lower case а..я is upper case + 0x20; ѐ..џ (incl. ё, і) is upper case + 0x50. */
	if (cp >= 0x0430 && cp <= 0x044f) {
		cp -= 0x20;
	} else if (cp >= 0x0450 && cp <= 0x045f) {
		cp -= 0x50;
	} else if (cp == 0x049b) {
		cp = 0x049a;
	} else if (cp >= 0x03b1 && cp <= 0x03c9) {
		cp -= 0x20;
	}
	for (i = 0; i < sizeof(alike) / sizeof(alike[0]); i++) {
		if (alike[i].cp == cp) {
			return alike[i].c;
		}
	}
	return 0;
}

static const struct {
	const char *kw;
	enum cases_cmd_type type;
} commands[] = {
	{"OK", CASES_CMD_CLAIM},  {"R", CASES_CMD_REPLY}, {"DONE", CASES_CMD_DONE},
	{"INFO", CASES_CMD_INFO}, {"ON", CASES_CMD_ON},	  {"OFF", CASES_CMD_OFF},
};

static bool is_punct(char c)
{
	return c == '.' || c == ',' || c == ':' || c == ';' || c == '!';
}

/* Skip white space and punctuation. */
static size_t skip_blank_punct(const char *s, size_t len)
{
	size_t i = 0, n;

	for (;;) {
		n = cases_skip_space(s + i, len - i);
		i += n;
		if (i < len && is_punct(s[i])) {
			i++;
			continue;
		}
		if (!n) {
			return i;
		}
	}
}

enum cases_cmd_err cases_cmd_parse(const char *s, size_t len, struct cases_cmd *out)
{
	char kw[8];
	size_t i, n, kwlen = 0, used, end, text_start;
	enum cases_cmd_err number_err;
	uint32_t cp;
	unsigned k;
	int rc;
	char c;

	if (!out) {
		return CASES_CMD_E_UNKNOWN;
	}
	memset(out, 0, sizeof(*out));
	if (!s && len) {
		return CASES_CMD_E_UTF8;
	}
	if (len > CASES_CMD_MAX_LEN) {
		return CASES_CMD_E_TOO_LONG;
	}
	if (!text_utf8_valid(s, len)) {
		return CASES_CMD_E_UTF8;
	}
	i = cases_skip_space(s, len);
	if (i == len) {
		return CASES_CMD_E_EMPTY;
	}

	/* The keyword: letters up to anything else. */
	while (i < len) {
		rc = text_utf8_next(s + i, len - i, &cp);
		if (rc <= 0) {
			return CASES_CMD_E_UTF8;
		}
		c = keyword_letter(cp);
		if (!c) {
			break;
		}
		if (kwlen == sizeof(kw)) {
			return CASES_CMD_E_UNKNOWN;
		}
		kw[kwlen++] = c;
		i += (size_t)rc;
	}
	for (k = 0; k < sizeof(commands) / sizeof(commands[0]); k++) {
		if (strlen(commands[k].kw) == kwlen && memcmp(commands[k].kw, kw, kwlen) == 0) {
			break;
		}
	}
	if (k == sizeof(commands) / sizeof(commands[0])) {
		return CASES_CMD_E_UNKNOWN;
	}
	out->type = commands[k].type;
	/* Something other than a space, punctuation or a digit glued to the keyword: "OK?" "ON2". */
	if (i < len && !(s[i] >= '0' && s[i] <= '9') && !is_punct(s[i]) && !cases_skip_space(s + i, len - i)) {
		return CASES_CMD_E_UNKNOWN;
	}
	i += skip_blank_punct(s + i, len - i);

	if (out->type == CASES_CMD_ON || out->type == CASES_CMD_OFF) {
		return i == len ? CASES_CMD_E_OK : CASES_CMD_E_TRAILING;
	}

	/* The case number. */
	rc = cases_number_scan(s + i, len - i, &used, &out->ndigits, &out->number);
	if (out->ndigits == 0) {
		return CASES_CMD_E_NO_CASE;
	}
	number_err = rc == 0 ? CASES_CMD_E_OK : rc == -EBADMSG ? CASES_CMD_E_CHECK_DIGIT : CASES_CMD_E_BAD_CASE;
	if (number_err) {
		return number_err;
	}
	i += used;

	if (out->type == CASES_CMD_CLAIM || out->type == CASES_CMD_INFO) {
		i += skip_blank_punct(s + i, len - i);
		return i == len ? CASES_CMD_E_OK : CASES_CMD_E_TRAILING;
	}

	/* R and DONE: "R 1234567: text", "R 1234567 - text". */
	i += cases_skip_space(s + i, len - i);
	if (i < len && (s[i] == ':' || s[i] == '-' || s[i] == ',')) {
		i++;
		i += cases_skip_space(s + i, len - i);
	}
	/* Trim trailing white space: walk forward, remembering the end of the last non-space. */
	text_start = i;
	end = i;
	while (i < len) {
		n = cases_skip_space(s + i, len - i);
		if (n) {
			i += n;
			continue;
		}
		rc = text_utf8_next(s + i, len - i, &cp);
		i += rc > 0 ? (size_t)rc : 1; /* rc > 0: the input was validated above */
		end = i;
	}
	if (end > text_start) {
		out->text = s + text_start;
		out->text_len = end - text_start;
	}
	if (out->type == CASES_CMD_REPLY && !out->text) {
		return CASES_CMD_E_NO_TEXT;
	}
	return CASES_CMD_E_OK;
}

const char *cases_cmd_strerror(enum cases_cmd_err err)
{
	static const char *const msg[_CASES_CMD_E_COUNT] = {
		[CASES_CMD_E_OK] = "ok",
		[CASES_CMD_E_EMPTY] = "empty message",
		[CASES_CMD_E_TOO_LONG] = "message too long",
		[CASES_CMD_E_UTF8] = "message is not valid text",
		[CASES_CMD_E_UNKNOWN] = "unknown command: use OK, R, DONE, INFO, ON or OFF",
		[CASES_CMD_E_NO_CASE] = "case number missing",
		[CASES_CMD_E_BAD_CASE] = "a case number has 7 digits",
		[CASES_CMD_E_CHECK_DIGIT] = "case number mistyped (check digit wrong)",
		[CASES_CMD_E_NO_TEXT] = "reply text missing: R <case> <text>",
		[CASES_CMD_E_TRAILING] = "unexpected text after the command",
	};

	if ((unsigned)err >= _CASES_CMD_E_COUNT) {
		return "unknown error";
	}
	return msg[err];
}
