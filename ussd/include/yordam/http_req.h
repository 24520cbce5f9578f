/* The HTTP USSD port's request parsing and checking: pure functions on bytes a gateway sent,
 * with no HTTP server and no session engine, so unit tests and the fuzzer link just this.
 *
 * Wire contract: docs/http-port.md. A request body is application/x-www-form-urlencoded;
 * the four field names are configurable (struct http_fields). Values are percent-decoded
 * ('+' is a space), must be UTF-8 without control characters, and are bounded:
 *   session  1..HTTP_SID_MAX bytes of printable ASCII
 *   service  1..HTTP_SERVICE_MAX of [0-9*#]
 *   phone    '+'? and 3..20 digits once spaces, '-', '.', '(' and ')' are dropped
 *   text     0..HTTP_TEXT_MAX bytes, at most HTTP_TEXT_MAX_ELEMS elements joined by '*'
 * Unknown fields are ignored (gateways add their own); a known field given twice is an error. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_SID_MAX	     64
#define HTTP_SERVICE_MAX     32
#define HTTP_PHONE_MAX	     21 /* '+' and 20 digits */
#define HTTP_TEXT_MAX	     512
#define HTTP_TEXT_MAX_ELEMS  64
#define HTTP_SIG_LEN	     32 /* HMAC-SHA256 */
#define HTTP_SIG_HEX_LEN     (2 * HTTP_SIG_LEN)
#define HTTP_PHONE_MASK_SIZE (HTTP_PHONE_MAX + 1)

/* Form field names of one gateway's convention. */
struct http_fields {
	const char *session; /* "sessionId" */
	const char *service; /* "serviceCode" */
	const char *phone;   /* "phoneNumber" */
	const char *text;    /* "text" */
};

enum http_req_need {
	HTTP_NEED_DIALOG, /* session, service and phone required; text optional ("" when absent) */
	HTTP_NEED_END,	  /* only session required (an end-of-session notification) */
};

struct http_req {
	char session[HTTP_SID_MAX + 1];
	char service[HTTP_SERVICE_MAX + 1];
	char phone[HTTP_PHONE_MAX + 1]; /* normalised: digits, a leading '+' kept */
	char text[HTTP_TEXT_MAX + 1];
	bool has_session, has_service, has_phone, has_text;
};

/* Parse a form body of len bytes (not NUL-terminated). Returns 0, or -EINVAL with *why set to a
 * static reason (for logs and the 400 body) when the form is malformed or a field invalid. */
int http_req_parse(const char *body, size_t len, const struct http_fields *f, enum http_req_need need,
		   struct http_req *out, const char **why);

/* The engine's request string for a first request: "*384#" and "1*2" give "*384*1*2#".
 * Returns 0 or -ENOSPC. */
int http_req_ussd_string(const struct http_req *r, char *out, size_t outlen);

/* "+998901234567" -> "+*********567": all but the last three digits masked, for logs. */
void http_phone_mask(const char *phone, char out[HTTP_PHONE_MASK_SIZE]);

/* What a gateway's cumulative text means, given the text of the previous request of the same
 * session:
 *  RETRY   the same text again: the gateway retries; answer the last screen again.
 *  EXTEND  prev followed by '*' and new elements (or prev empty): *news points at the new
 *          elements, still joined by '*' (e.g. "2" or "2*1"); apply them in turn.
 *  REPLACE the text does not extend prev (a gateway that sends only the last answer, or one that
 *          lost track): *news points at the last element of text; apply it alone. */
enum http_step {
	HTTP_STEP_RETRY,
	HTTP_STEP_EXTEND,
	HTTP_STEP_REPLACE,
};
enum http_step http_text_step(const char *prev, const char *text, const char **news);

/* Split the next element off *s ("2*1" -> "2", *s then "1"; the last element leaves *s NULL).
 * Copies at most ellen - 1 bytes into el. Returns false once *s is NULL. */
bool http_text_next(const char **s, char *el, size_t ellen);

/* A timestamp header: decimal Unix seconds, 1..12 digits and nothing else. 0 or -EINVAL. */
int http_ts_parse(const char *s, int64_t *out);

/* HMAC-SHA256(key, ts "." body) in raw form. 0 or -EINVAL. */
int http_sig_compute(const uint8_t *key, size_t keylen, const char *ts, const char *body, size_t blen,
		     uint8_t out[HTTP_SIG_LEN]);

/* Check a signature header against the expected MAC, in time independent of where they differ.
 * The header is 64 hex digits (either case), optionally after "sha256=". */
bool http_sig_matches(const char *hdr, const uint8_t expect[HTTP_SIG_LEN]);
