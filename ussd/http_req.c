/* HTTP USSD requests: form parsing, the cumulative text, timestamps and signatures. Pure: every
 * input here comes from the network and is checked before anything is copied. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/md.h>

#include <yordam/util.h>
#include <yordam/http_req.h>
#include <yordam/text.h>

/* Percent-decode s[0..len) into out (outlen bytes incl. NUL). -EINVAL on a bad escape, a NUL or
 * another control character; -ENOSPC when it does not fit. */
static int form_decode(const char *s, size_t len, char *out, size_t outlen, size_t *outn)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi, lo;

			if (len - i < 3) {
				return -EINVAL;
			}
			hi = yordam_hexval((unsigned char)s[i + 1]);
			lo = yordam_hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0) {
				return -EINVAL;
			}
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f) {
			return -EINVAL;
		}
		if (n + 1 >= outlen) {
			return -ENOSPC;
		}
		out[n++] = (char)c;
	}
	out[n] = '\0';
	*outn = n;
	return 0;
}

static bool name_is(const char *s, size_t len, const char *name)
{
	char buf[64];
	size_t n;

	/* Names are plain in practice, but "session%49d" is the same name to a form decoder. */
	if (form_decode(s, len, buf, sizeof(buf), &n) < 0) {
		return false;
	}
	return !strcmp(buf, name);
}

static bool printable_ascii(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e) {
			return false;
		}
	}
	return true;
}

static int normalise_phone(const char *in, char *out, size_t outlen)
{
	size_t n = 0, digits = 0;

	for (; *in; in++) {
		if (*in == '+' && n == 0) {
			out[n++] = '+';
			continue;
		}
		if (*in == ' ' || *in == '-' || *in == '.' || *in == '(' || *in == ')') {
			continue;
		}
		if (*in < '0' || *in > '9' || n + 1 >= outlen) {
			return -EINVAL;
		}
		out[n++] = *in;
		digits++;
	}
	out[n] = '\0';
	return digits >= 3 && digits <= 20 ? 0 : -EINVAL;
}

static unsigned count_elems(const char *s)
{
	unsigned n = 1;

	for (; *s; s++) {
		n += *s == '*';
	}
	return n;
}

int http_req_parse(const char *body, size_t len, const struct http_fields *f, enum http_req_need need,
		   struct http_req *out, const char **why)
{
	char val[HTTP_TEXT_MAX + 1];
	size_t pos = 0;
	const char *dummy;

	if (!why) {
		why = &dummy;
	}
	memset(out, 0, sizeof(*out));
	if (!body && len) {
		*why = "no body";
		return -EINVAL;
	}
	while (pos < len) {
		const char *pair = body + pos;
		const char *amp = memchr(pair, '&', len - pos);
		size_t plen = amp ? (size_t)(amp - pair) : len - pos;
		const char *eq = memchr(pair, '=', plen);
		size_t nlen = eq ? (size_t)(eq - pair) : plen;
		const char *v = eq ? eq + 1 : pair + plen;
		size_t vlen = plen - nlen - (eq ? 1 : 0);
		char *dst = NULL;
		size_t dstlen = 0, vn;
		bool *has = NULL;
		int rc;

		pos += plen + (amp ? 1 : 0);
		if (!plen) {
			continue; /* "a=1&&b=2" */
		}
		if (name_is(pair, nlen, f->session)) {
			dst = out->session, dstlen = sizeof(out->session), has = &out->has_session;
		} else if (name_is(pair, nlen, f->service)) {
			dst = out->service, dstlen = sizeof(out->service), has = &out->has_service;
		} else if (name_is(pair, nlen, f->phone)) {
			dst = val, dstlen = HTTP_PHONE_MAX * 2, has = &out->has_phone;
		} else if (name_is(pair, nlen, f->text)) {
			dst = out->text, dstlen = sizeof(out->text), has = &out->has_text;
		} else {
			continue;
		}
		if (*has) {
			*why = "a field given twice";
			return -EINVAL;
		}
		*has = true;
		rc = form_decode(v, vlen, dst, dstlen, &vn);
		if (rc == -ENOSPC) {
			*why = "a field too long";
			return -EINVAL;
		}
		if (rc < 0) {
			*why = "bad form encoding or a control character";
			return -EINVAL;
		}
		if (!text_utf8_valid(dst, vn)) {
			*why = "a field not in UTF-8";
			return -EINVAL;
		}
		if (has == &out->has_phone && normalise_phone(val, out->phone, sizeof(out->phone)) < 0) {
			*why = "bad phone number";
			return -EINVAL;
		}
	}
	if (out->has_session && (!out->session[0] || !printable_ascii(out->session))) {
		*why = "bad session id";
		return -EINVAL;
	}
	if (out->has_service && (!out->service[0] || strspn(out->service, "0123456789*#") != strlen(out->service))) {
		*why = "bad service code";
		return -EINVAL;
	}
	if (out->has_text && count_elems(out->text) > HTTP_TEXT_MAX_ELEMS) {
		*why = "too many inputs in text";
		return -EINVAL;
	}
	if (!out->has_session) {
		*why = "session id missing";
		return -EINVAL;
	}
	if (need == HTTP_NEED_DIALOG && !out->has_service) {
		*why = "service code missing";
		return -EINVAL;
	}
	if (need == HTTP_NEED_DIALOG && !out->has_phone) {
		*why = "phone number missing";
		return -EINVAL;
	}
	return 0;
}

int http_req_ussd_string(const struct http_req *r, char *out, size_t outlen)
{
	const char *code = r->service;
	size_t clen;
	int n;

	while (*code == '*' || *code == '#') {
		code++;
	}
	clen = strcspn(code, "#");
	while (clen && code[clen - 1] == '*') {
		clen--;
	}
	n = snprintf(out, outlen, "*%.*s%s%s#", (int)clen, code, r->text[0] ? "*" : "", r->text);
	return n < 0 || (size_t)n >= outlen ? -ENOSPC : 0;
}

void http_phone_mask(const char *phone, char out[HTTP_PHONE_MASK_SIZE])
{
	size_t len = strnlen(phone, HTTP_PHONE_MAX), i;

	for (i = 0; i < len; i++) {
		out[i] = (phone[i] == '+' || i + 3 >= len) ? phone[i] : '*';
	}
	out[len] = '\0';
}

enum http_step http_text_step(const char *prev, const char *text, const char **news)
{
	size_t plen = strlen(prev);
	const char *last;

	if (!strcmp(prev, text)) {
		*news = text + strlen(text);
		return HTTP_STEP_RETRY;
	}
	if (!plen) {
		*news = text;
		return HTTP_STEP_EXTEND;
	}
	if (!strncmp(prev, text, plen) && text[plen] == '*') {
		*news = text + plen + 1;
		return HTTP_STEP_EXTEND;
	}
	last = strrchr(text, '*');
	*news = last ? last + 1 : text;
	return HTTP_STEP_REPLACE;
}

bool http_text_next(const char **s, char *el, size_t ellen)
{
	const char *p = *s, *star;
	size_t n;

	if (!p) {
		return false;
	}
	star = strchr(p, '*');
	n = star ? (size_t)(star - p) : strlen(p);
	if (ellen) {
		size_t c = n < ellen - 1 ? n : ellen - 1;

		memcpy(el, p, c);
		el[c] = '\0';
	}
	*s = star ? star + 1 : NULL;
	return true;
}

int http_ts_parse(const char *s, int64_t *out)
{
	int64_t v = 0;
	size_t n = 0;

	if (!s) {
		return -EINVAL;
	}
	for (; s[n]; n++) {
		if (s[n] < '0' || s[n] > '9' || n >= 12) {
			return -EINVAL;
		}
		v = v * 10 + (s[n] - '0');
	}
	if (!n) {
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int http_sig_compute(const uint8_t *key, size_t keylen, const char *ts, const char *body, size_t blen,
		     uint8_t out[HTTP_SIG_LEN])
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	mbedtls_md_context_t mdc;
	int rc;

	if (!key || !keylen || !ts || (!body && blen) || !md) {
		return -EINVAL;
	}
	mbedtls_md_init(&mdc);
	rc = mbedtls_md_setup(&mdc, md, 1);
	if (rc == 0) {
		rc = mbedtls_md_hmac_starts(&mdc, key, keylen);
	}
	if (rc == 0) {
		rc = mbedtls_md_hmac_update(&mdc, (const unsigned char *)ts, strlen(ts));
	}
	if (rc == 0) {
		rc = mbedtls_md_hmac_update(&mdc, (const unsigned char *)".", 1);
	}
	if (rc == 0 && blen) {
		rc = mbedtls_md_hmac_update(&mdc, (const unsigned char *)body, blen);
	}
	if (rc == 0) {
		rc = mbedtls_md_hmac_finish(&mdc, out);
	}
	mbedtls_md_free(&mdc);
	return rc == 0 ? 0 : -EINVAL;
}

bool http_sig_matches(const char *hdr, const uint8_t expect[HTTP_SIG_LEN])
{
	unsigned diff = 0;
	size_t i;

	if (!hdr) {
		return false;
	}
	if (!strncmp(hdr, "sha256=", 7)) {
		hdr += 7;
	}
	if (strlen(hdr) != HTTP_SIG_HEX_LEN) {
		return false;
	}
	/* Every byte is looked at whatever the earlier ones were: the time taken says nothing about
	 * how much of a forged signature was right. */
	for (i = 0; i < HTTP_SIG_LEN; i++) {
		int hi = yordam_hexval((unsigned char)hdr[2 * i]), lo = yordam_hexval((unsigned char)hdr[2 * i + 1]);

		diff |= (unsigned)(hi < 0) | (unsigned)(lo < 0);
		diff |= (unsigned)(((hi & 0xf) << 4 | (lo & 0xf)) ^ expect[i]);
	}
	return diff == 0;
}
