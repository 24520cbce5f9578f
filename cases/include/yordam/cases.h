/* Complaints and callback requests: categories, case numbers, the case state machine and the
 * SMS commands of hotline staff.
 *
 * A leaf library of pure functions: no I/O, no logging, no clock (every time is a parameter, unix
 * seconds), no globals. Objects are talloc children of the context the caller passes. Every
 * string from a phone is distrusted: bad input is an error code, never undefined behaviour.
 * The routing and roster half is in cases_roster.h, the early warning in cases_warn.h; the design
 * (tables, sealing, USSD and SMS flows) is docs/cases.md. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- categories ------------------------------------------------------------------------------ */

/* Stable codes: stored in the database and sent to the central platform. Never renumber; add new
 * categories at the end. 0 is "no category" and never valid in a case. */
enum cases_category {
	CASES_CAT_UNPAID_WAGES = 1,	     /* "wages" */
	CASES_CAT_DOCUMENTS_RETAINED = 2,    /* "documents": passport or documents retained */
	CASES_CAT_UNSAFE_WORK = 3,	     /* "unsafe" */
	CASES_CAT_FRAUDULENT_RECRUITER = 4,  /* "recruiter" */
	CASES_CAT_VIOLENCE_TRAFFICKING = 5,  /* "violence": violence or trafficking */
	CASES_CAT_DETENTION_DEPORTATION = 6, /* "detention": detention or deportation */
	CASES_CAT_OTHER = 7,		     /* "other" */
};
#define CASES_CAT_MIN 1
#define CASES_CAT_MAX 7

/* Whether code is a known category. */
bool cases_category_valid(int code);
/* The stable slug of a category ("wages", ...), used in config (staff topics), exports and sync;
 * NULL for an unknown code. */
const char *cases_category_slug(int code);
/* English label for logs and yordamctl ("unpaid wages", ...); NULL for an unknown code. */
const char *cases_category_label(int code);
/* Slug (ASCII, case-insensitive) -> code, or -EINVAL. */
int cases_category_from_slug(const char *slug);

/* What a case is: a complaint, or a request to be called back. Stable codes as above. */
enum cases_kind {
	CASES_KIND_COMPLAINT = 1,
	CASES_KIND_CALLBACK = 2,
};

/* --- case numbers ---------------------------------------------------------------------------- */

/* A case number is 7 digits: a 6-digit payload and a Damm check digit. The check digit catches
 * every single-digit error and every swap of two adjacent digits (check digit included); the unit
 * test proves it over all 10^6 numbers. Payloads come from the case's sequence number through a
 * keyed permutation (a Feistel network over 000000..999999), so consecutive cases do not get
 * consecutive numbers and a number does not tell how many cases exist. 10^6 numbers per key: see
 * docs/cases.md for why 6+1 digits and what happens at the end of the space. */
#define CASES_NUMBER_PAYLOAD_DIGITS 6
#define CASES_NUMBER_DIGITS	    7
#define CASES_NUMBER_SPACE	    1000000u /* payloads and sequence numbers: 0 .. CASES_NUMBER_SPACE-1 */
#define CASES_NUMBER_KEY_LEN	    32
#define CASES_NUMBER_STRLEN	    9 /* "123 4567" + NUL */

/* Damm check digit (0..9) of the ASCII digits s[0..n), or -EINVAL if s holds a non-digit. */
int cases_damm_digit(const char *s, size_t n);
/* True when s[0..n) is all digits and its last digit is the Damm check digit of the rest
 * (equivalently: the Damm interim digit of the whole string is 0). False for n < 2. */
bool cases_damm_valid(const char *s, size_t n);

/* The keyed permutation. The key must be a secret the device keeps (e.g. derived from the device
 * key as HMAC(device key, "case-number")): 32 bytes, copied. Allocation derives the round tables
 * (1,250 HMAC-SHA256 blocks, ~20 KB) once; numbering is then a few table look-ups. NULL on OOM. */
struct cases_numgen;
struct cases_numgen *cases_numgen_alloc(void *ctx, const uint8_t key[CASES_NUMBER_KEY_LEN]);

/* Sequence number (0 .. CASES_NUMBER_SPACE-1) -> case number (0 .. 9,999,999, always shown as 7
 * digits with leading zeros). Returns 0, -ENOSPC when seq is past the number space, -EINVAL. */
int cases_number_from_seq(const struct cases_numgen *g, uint64_t seq, uint32_t *number);
/* Inverse: case number -> sequence number. -EBADMSG when the check digit is wrong, -EINVAL when
 * number has more than 7 digits. */
int cases_number_to_seq(const struct cases_numgen *g, uint32_t number, uint64_t *seq);

/* Case number -> "1234567" (grouped: "123 4567", easier to read back in an SMS). out must hold
 * CASES_NUMBER_STRLEN bytes. Returns the length written, or -EINVAL for a number over 7 digits. */
int cases_number_format(uint32_t number, bool grouped, char out[CASES_NUMBER_STRLEN]);

/* Parse a case number as typed: ASCII digits, with spaces, tabs, dashes (ASCII '-', U+2010..U+2015,
 * U+2212), dots and no-break spaces anywhere among them. Returns 0 and *number; -EINVAL when the
 * text holds anything else or no digit, -ERANGE when the digit count is not 7 (*number is then the
 * digits typed, if at most 7), -EBADMSG when the check digit is wrong (*number is what was typed). */
int cases_number_parse(const char *s, size_t len, uint32_t *number);

/* Scan a case number at the start of s (after optional spaces): digits and separators as above
 * until 7 digits are read. Stops at the first character that is neither. *consumed gets the bytes
 * used (separators after the last digit are not consumed); *ndigits the digits read (a digit right
 * after the 7th is counted, so more than 7 means "too long"). Returns what cases_number_parse would for the
 * scanned part. Used by the staff command parser: "R 123 4567 text". */
int cases_number_scan(const char *s, size_t len, size_t *consumed, unsigned *ndigits, uint32_t *number);

/* --- the case state machine ------------------------------------------------------------------ */

/* Stable codes (stored). NEW means "needs to be sent to a staff member": a fresh case, one whose
 * notification failed or timed out (escalation), or one waiting for someone to come on duty. */
enum cases_state {
	CASES_ST_NEW = 1,
	CASES_ST_NOTIFIED = 2, /* an SMS went to a staff member; waiting for a claim */
	CASES_ST_CLAIMED = 3,  /* a staff member owns it */
	CASES_ST_ANSWERED = 4, /* the owner (or a supervisor) replied to the reporter at least once */
	CASES_ST_CLOSED = 5,
};
#define CASES_ST_MIN 1
#define CASES_ST_MAX 5

enum cases_event {
	CASES_EV_NOTIFIED,	 /* system: the notification SMS to the routed staff member was queued */
	CASES_EV_NOTIFY_FAILED,	 /* system: that SMS could not be delivered (outbox gave up) */
	CASES_EV_CLAIM_TIMEOUT,	 /* system: not claimed within the claim timeout */
	CASES_EV_ANSWER_TIMEOUT, /* system: claimed but not answered within the answer timeout */
	CASES_EV_CLAIM,		 /* staff: OK <case> */
	CASES_EV_REPLY,		 /* staff: R <case> <text> */
	CASES_EV_CLOSE,		 /* staff: DONE <case> <note>; operator: yordamctl */
	CASES_EV_INFO,		 /* staff: INFO <case> */
	CASES_EV_RELEASE,	 /* supervisor/operator: give a claimed case back to routing */
	CASES_EV_REOPEN,	 /* supervisor/operator: reopen a closed case */
	CASES_EV_REPORTER_MSG,	 /* reporter: more text about an existing case */
	CASES_EV_STATUS_QUERY,	 /* reporter: status by USSD or SMS */
	_CASES_EV_COUNT,
};

/* Who acts. The caller sets every flag that applies: a supervisor who owns the case is
 * CASES_ACT_STAFF | CASES_ACT_ASSIGNEE | CASES_ACT_SUPERVISOR. */
#define CASES_ACT_SYSTEM     0x01
#define CASES_ACT_REPORTER   0x02 /* the reporter's phone, or another phone with the case PIN */
#define CASES_ACT_STAFF	     0x04 /* any roster member */
#define CASES_ACT_ASSIGNEE   0x08 /* the roster member who claimed the case */
#define CASES_ACT_SUPERVISOR 0x10 /* a roster member marked supervisor */
#define CASES_ACT_OPERATOR   0x20 /* yordamctl on the device */

/* What the caller must do after a transition (several may be set). */
#define CASES_DO_START_CLAIM_TIMER  0x0001 /* arm the claim deadline (stored absolute) */
#define CASES_DO_STOP_TIMERS	    0x0002 /* clear the claim/answer deadlines */
#define CASES_DO_ROUTE_NEXT	    0x0004 /* escalate: route to the next staff member (cases_route) */
#define CASES_DO_SET_ASSIGNEE	    0x0008 /* the acting staff member becomes the owner */
#define CASES_DO_SEND_REPLY	    0x0010 /* send the staff text to the reporter from the service number */
#define CASES_DO_TELL_REPORTER	    0x0020 /* tell the reporter the new status (claimed / closed) */
#define CASES_DO_SEND_INFO	    0x0040 /* send the case summary to the acting staff member */
#define CASES_DO_FORWARD	    0x0080 /* forward the reporter's text to the owner (or keep it) */
#define CASES_DO_SEND_STATUS	    0x0100 /* answer the reporter's status query */
#define CASES_DO_ACK		    0x0200 /* confirm to the acting staff member */
#define CASES_DO_TELL_PREVIOUS	    0x0400 /* tell the previous owner a supervisor took the case over */
#define CASES_DO_REMIND		    0x0800 /* remind the owner and alert the supervisors on duty */
#define CASES_DO_START_ANSWER_TIMER 0x1000 /* arm the answer deadline */
#define CASES_DO_RECORD_NOTE	    0x2000 /* store the closing note */

/* Apply event by actors to a case in state from. Returns 0 with *to and *actions; -EPERM when the
 * event is possible in this state but none of actors may do it (e.g. a staff member claiming a case
 * someone else owns); -EINVAL when the event is not possible in this state (e.g. a claim timeout
 * on a claimed case: a stale timer) or an argument is out of range. Pure table look-up. */
int cases_fsm_step(enum cases_state from, enum cases_event ev, unsigned actors, enum cases_state *to,
		   unsigned *actions);

const char *cases_state_name(int state); /* "new", "notified", ...; NULL for an unknown code */
const char *cases_event_name(int ev);
/* What the reporter is told: NEW and NOTIFIED both read "received". */
enum cases_public_status {
	CASES_PUB_RECEIVED,
	CASES_PUB_IN_PROGRESS,
	CASES_PUB_ANSWERED,
	CASES_PUB_CLOSED,
};
int cases_state_public(enum cases_state st); /* enum cases_public_status, or -EINVAL */

/* --- staff SMS commands ---------------------------------------------------------------------- */

/* Accepted from roster numbers only: the caller checks the sender before parsing. Keywords are
 * case-insensitive and may be typed with Cyrillic letters that look or sound alike (ОК, Р, ДОНЕ,
 * ИНФО, ОН, ОФФ; Kazakh/Uzbek Қ); spaces anywhere around them; punctuation .,:;! after the keyword;
 * the case number may touch the keyword ("OK1234567") and may contain spaces and dashes. */
enum cases_cmd_type {
	CASES_CMD_CLAIM = 1, /* OK <case> */
	CASES_CMD_REPLY,     /* R <case> <text> */
	CASES_CMD_DONE,	     /* DONE <case> [note] */
	CASES_CMD_INFO,	     /* INFO <case> */
	CASES_CMD_ON,	     /* ON */
	CASES_CMD_OFF,	     /* OFF */
};

enum cases_cmd_err {
	CASES_CMD_E_OK = 0,
	CASES_CMD_E_EMPTY,	 /* nothing but white space */
	CASES_CMD_E_TOO_LONG,	 /* over CASES_CMD_MAX_LEN bytes */
	CASES_CMD_E_UTF8,	 /* not valid UTF-8 */
	CASES_CMD_E_UNKNOWN,	 /* not one of the commands */
	CASES_CMD_E_NO_CASE,	 /* the command needs a case number and none follows */
	CASES_CMD_E_BAD_CASE,	 /* the case number has the wrong number of digits */
	CASES_CMD_E_CHECK_DIGIT, /* 7 digits, but the check digit is wrong: a typo */
	CASES_CMD_E_NO_TEXT,	 /* R without a text */
	CASES_CMD_E_TRAILING,	 /* text after a command that takes none (OK, INFO, ON, OFF) */
	_CASES_CMD_E_COUNT,
};

#define CASES_CMD_MAX_LEN 2048 /* bytes; a 15-part UCS-2 SMS is ~2,000 bytes of UTF-8 */

struct cases_cmd {
	enum cases_cmd_type type; /* valid when parsing succeeded, and for the case-number errors */
	uint32_t number;	  /* the case number; for E_CHECK_DIGIT/E_BAD_CASE what was typed (if <= 7 digits) */
	unsigned ndigits;	  /* digits typed in the case number */
	const char *text;	  /* R / DONE: the text, a pointer into the input, trimmed; NULL if none */
	size_t text_len;
};

/* Parse one staff SMS (UTF-8). Returns CASES_CMD_E_OK and fills *out, or an error code (*out then
 * says as much as was understood). Never reads past s[len), needs no NUL. */
enum cases_cmd_err cases_cmd_parse(const char *s, size_t len, struct cases_cmd *out);
/* A short English explanation of an error, for logs and tests (the staff member's answer is the content pack's
 * staff_err_* text, firmware/cases_svc.c). Never NULL. */
const char *cases_cmd_strerror(enum cases_cmd_err err);
