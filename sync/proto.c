/* Sync protocol, byte level: HTTP/1.1 heads, the bundle container and payload, the journal answer.
 * Every byte here comes from the network: bounds first, then meaning. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>

#include <yordam/sync_proto.h>

static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
		return true;
	}
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Field values and reason phrases: visible ASCII, obs-text, space and tab. */
static bool is_vchar(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* Length of the head including the terminating CRLF CRLF, 0 when not (yet) complete. */
static size_t head_end(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i + 3 < len; i++) {
		if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
			return i + 4;
		}
	}
	return 0;
}

static bool ieq(const char *a, size_t alen, const char *b)
{
	return alen == strlen(b) && strncasecmp(a, b, alen) == 0;
}

static int parse_length(const char *v, size_t vlen, uint64_t *out)
{
	uint64_t n = 0;
	size_t i;

	if (vlen == 0 || vlen > 15) {
		return -EBADMSG;
	}
	for (i = 0; i < vlen; i++) {
		if (v[i] < '0' || v[i] > '9') {
			return -EBADMSG;
		}
		n = n * 10 + (uint64_t)(v[i] - '0');
	}
	*out = n;
	return 0;
}

/* Header lines from p up to the blank line at end (end points at the final CRLF CRLF's second CRLF). */
static int parse_fields(const char *p, const char *end, struct sync_http_head *out)
{
	while (p < end) {
		const char *eol = memchr(p, '\r', (size_t)(end - p) + 1);
		const char *colon, *v, *ve;
		size_t nlen;

		if (!eol || eol[1] != '\n') {
			return -EBADMSG;
		}
		colon = memchr(p, ':', (size_t)(eol - p));
		if (!colon || colon == p) {
			return -EBADMSG; /* also rejects obs-fold: a line starting with white space */
		}
		for (v = p; v < colon; v++) {
			if (!is_tchar((unsigned char)*v)) {
				return -EBADMSG;
			}
		}
		nlen = (size_t)(colon - p);
		v = colon + 1;
		ve = eol;
		while (v < ve && (*v == ' ' || *v == '\t')) {
			v++;
		}
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) {
			ve--;
		}
		for (const char *q = v; q < ve; q++) {
			if (!is_vchar((unsigned char)*q)) {
				return -EBADMSG;
			}
		}
		if (ieq(p, nlen, "content-length")) {
			if (out->has_length) {
				return -EBADMSG;
			}
			if (parse_length(v, (size_t)(ve - v), &out->content_length) < 0) {
				return -EBADMSG;
			}
			out->has_length = true;
		} else if (ieq(p, nlen, "transfer-encoding")) {
			return -EBADMSG;
		} else if (ieq(p, nlen, "connection")) {
			/* a token list: look for "close" as a whole token */
			const char *t = v;
			while (t < ve) {
				const char *te = t;
				while (te < ve && *te != ',') {
					te++;
				}
				const char *a = t, *b = te;
				while (a < b && (*a == ' ' || *a == '\t')) {
					a++;
				}
				while (b > a && (b[-1] == ' ' || b[-1] == '\t')) {
					b--;
				}
				if (ieq(a, (size_t)(b - a), "close")) {
					out->close = true;
				}
				t = te < ve ? te + 1 : te;
			}
		}
		p = eol + 2;
	}
	return 0;
}

static int head_prepare(const char *buf, size_t len, struct sync_http_head *out, const char **line_end)
{
	size_t hl;

	memset(out, 0, sizeof(*out));
	hl = head_end(buf, len < SYNC_HTTP_HEAD_MAX ? len : SYNC_HTTP_HEAD_MAX);
	if (!hl) {
		return len >= SYNC_HTTP_HEAD_MAX ? -EMSGSIZE : -EAGAIN;
	}
	out->head_len = hl;
	*line_end = memchr(buf, '\r', hl);
	/* head_end found CRLF CRLF, so a CR exists; a CR not followed by LF is malformed */
	if (!*line_end || (*line_end)[1] != '\n') {
		return -EBADMSG;
	}
	return 0;
}

int sync_http_parse_response(const char *buf, size_t len, struct sync_http_head *out)
{
	const char *le, *p;
	int rc = head_prepare(buf, len, out, &le);

	if (rc < 0) {
		return rc;
	}
	/* "HTTP/1.1 200 OK" (HTTP/1.0 accepted: openssl s_server -www answers with it) */
	if (le - buf < 12 || (memcmp(buf, "HTTP/1.1 ", 9) != 0 && memcmp(buf, "HTTP/1.0 ", 9) != 0)) {
		return -EBADMSG;
	}
	if (buf[9] < '1' || buf[9] > '5' || buf[10] < '0' || buf[10] > '9' || buf[11] < '0' || buf[11] > '9') {
		return -EBADMSG;
	}
	out->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	if (le - buf > 12 && buf[12] != ' ') {
		return -EBADMSG;
	}
	for (p = buf + 12; p < le; p++) {
		if (!is_vchar((unsigned char)*p)) {
			return -EBADMSG;
		}
	}
	if (buf[7] == '0') {
		out->close = true;
	}
	return parse_fields(le + 2, buf + out->head_len - 2, out);
}

int sync_http_parse_request(const char *buf, size_t len, struct sync_http_head *out)
{
	const char *le, *sp1, *sp2, *p;
	int rc = head_prepare(buf, len, out, &le);

	if (rc < 0) {
		return rc;
	}
	sp1 = memchr(buf, ' ', (size_t)(le - buf));
	if (!sp1 || sp1 == buf) {
		return -EBADMSG;
	}
	for (p = buf; p < sp1; p++) {
		if (!is_tchar((unsigned char)*p)) {
			return -EBADMSG;
		}
	}
	sp2 = memchr(sp1 + 1, ' ', (size_t)(le - sp1 - 1));
	if (!sp2 || sp2 == sp1 + 1 || le - sp2 != 9 || memcmp(sp2 + 1, "HTTP/1.1", 8) != 0) {
		return -EBADMSG;
	}
	for (p = sp1 + 1; p < sp2; p++) {
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
			return -EBADMSG;
		}
	}
	out->method = buf;
	out->method_len = (size_t)(sp1 - buf);
	out->target = sp1 + 1;
	out->target_len = (size_t)(sp2 - sp1 - 1);
	return parse_fields(le + 2, buf + out->head_len - 2, out);
}

bool sync_name_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > SYNC_NAME_MAX || s[0] == '.') {
		return false;
	}
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-')) {
			return false;
		}
	}
	return true;
}

/* A decimal without sign or leading zeros, ending at stop. */
static int parse_dec(const uint8_t **p, const uint8_t *end, uint8_t stop, uint64_t max, uint64_t *out)
{
	const uint8_t *q = *p;
	uint64_t n = 0;

	if (q >= end || *q < '0' || *q > '9' || (*q == '0' && q + 1 < end && q[1] != stop)) {
		return -EBADMSG;
	}
	while (q < end && *q >= '0' && *q <= '9') {
		n = n * 10 + (uint64_t)(*q - '0');
		if (n > max) {
			return -EBADMSG;
		}
		q++;
	}
	if (q >= end || *q != stop) {
		return -EBADMSG;
	}
	*p = q + 1;
	*out = n;
	return 0;
}

int sync_bundle_split(const uint8_t *buf, size_t len, const uint8_t **payload, size_t *payload_len, const uint8_t **sig,
		      size_t *sig_len, const char **why)
{
	const size_t ml = strlen(SYNC_BUNDLE_MAGIC);
	const uint8_t *p = buf, *end = buf + len;
	uint64_t pl, sl;

	if (len < ml || memcmp(buf, SYNC_BUNDLE_MAGIC, ml) != 0) {
		*why = "not a bundle (bad magic)";
		return -EBADMSG;
	}
	p += ml;
	/* the header is short: look at most 32 bytes into it */
	if (end - p > 32) {
		end = p + 32;
	}
	if (parse_dec(&p, end, ' ', SYNC_BUNDLE_MAX, &pl) < 0 || parse_dec(&p, end, '\n', 80, &sl) < 0) {
		*why = "malformed bundle header";
		return -EBADMSG;
	}
	if (sl < 8 || pl == 0) {
		*why = "malformed bundle header";
		return -EBADMSG;
	}
	if ((size_t)(p - buf) + pl + sl != len) {
		*why = (size_t)(p - buf) + pl + sl > len ? "bundle truncated" : "bundle has trailing bytes";
		return -EBADMSG;
	}
	*payload = p;
	*payload_len = (size_t)pl;
	*sig = p + pl;
	*sig_len = (size_t)sl;
	return 0;
}

void sync_bundle_payload_free(struct sync_bundle_payload *p)
{
	free(p->files);
	p->files = NULL;
	if (p->json) {
		json_decref(p->json);
		p->json = NULL;
	}
}

static int payload_fail(struct sync_bundle_payload *out, const char **why, const char *msg)
{
	sync_bundle_payload_free(out);
	*why = msg;
	return -EBADMSG;
}

int sync_bundle_payload_parse(const uint8_t *buf, size_t len, struct sync_bundle_payload *out, const char **why)
{
	json_error_t jerr;
	json_t *root, *v, *files;
	const char *s;
	size_t i, total = 0;

	memset(out, 0, sizeof(*out));
	if (len > SYNC_BUNDLE_MAX) {
		*why = "payload too large";
		return -EBADMSG;
	}
	/* JSON_REJECT_DUPLICATES: one meaning per member, whatever parser reads it */
	root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		*why = "payload is not valid JSON";
		return -EBADMSG;
	}
	out->json = root;
	if (!json_is_object(root)) {
		return payload_fail(out, why, "payload is not a JSON object");
	}
	v = json_object_get(root, "format");
	if (!json_is_string(v) || strcmp(json_string_value(v), SYNC_BUNDLE_FORMAT) != 0) {
		return payload_fail(out, why, "unknown bundle format");
	}
	v = json_object_get(root, "kind");
	if (!json_is_string(v) || !sync_name_valid(json_string_value(v), json_string_length(v))) {
		return payload_fail(out, why, "bad kind");
	}
	memcpy(out->kind, json_string_value(v), json_string_length(v) + 1);
	v = json_object_get(root, "version");
	if (!json_is_integer(v) || json_integer_value(v) < 1 || (uint64_t)json_integer_value(v) > SYNC_SEQ_MAX) {
		return payload_fail(out, why, "bad version");
	}
	out->version = (uint64_t)json_integer_value(v);
	v = json_object_get(root, "created");
	if (v && !json_is_integer(v)) {
		return payload_fail(out, why, "bad created");
	}
	out->created = v ? (int64_t)json_integer_value(v) : 0;
	files = json_object_get(root, "files");
	if (!json_is_array(files) || json_array_size(files) == 0 || json_array_size(files) > SYNC_BUNDLE_FILES_MAX) {
		return payload_fail(out, why, "bad files list (1-256 files)");
	}
	out->files = calloc(json_array_size(files), sizeof(*out->files));
	if (!out->files) {
		return payload_fail(out, why, "out of memory");
	}
	for (i = 0; i < json_array_size(files); i++) {
		json_t *f = json_array_get(files, i), *name, *text;
		struct sync_bundle_file *bf = &out->files[i];

		if (!json_is_object(f)) {
			return payload_fail(out, why, "bad file entry");
		}
		name = json_object_get(f, "name");
		text = json_object_get(f, "text");
		if (!json_is_string(name) || !sync_name_valid(json_string_value(name), json_string_length(name))) {
			return payload_fail(out, why, "bad file name");
		}
		if (!json_is_string(text)) {
			return payload_fail(out, why, "bad file text");
		}
		s = json_string_value(text);
		/* jansson rejects \u0000 unless asked: strlen is the length */
		if (strlen(s) != json_string_length(text)) {
			return payload_fail(out, why, "NUL in file text");
		}
		for (size_t k = 0; k < i; k++) {
			if (strcmp(out->files[k].name, json_string_value(name)) == 0) {
				return payload_fail(out, why, "duplicate file name");
			}
		}
		memcpy(bf->name, json_string_value(name), json_string_length(name) + 1);
		bf->text = s;
		bf->len = json_string_length(text);
		total += bf->len;
		if (total > SYNC_BUNDLE_MAX) {
			return payload_fail(out, why, "files too large");
		}
		out->n_files++;
	}
	return 0;
}

int sync_bundle_verify(const uint8_t *buf, size_t len, struct mbedtls_pk_context *pub, struct sync_bundle_payload *out,
		       const char **why)
{
	const uint8_t *payload, *sig;
	size_t plen, slen;
	uint8_t hash[32];
	int rc;

	memset(out, 0, sizeof(*out));
	rc = sync_bundle_split(buf, len, &payload, &plen, &sig, &slen, why);
	if (rc < 0) {
		return rc;
	}
	if (mbedtls_sha256_ret(payload, plen, hash, 0) != 0) {
		*why = "hash failed";
		return -EIO;
	}
	rc = mbedtls_pk_verify(pub, MBEDTLS_MD_SHA256, hash, sizeof(hash), sig, slen);
	if (rc != 0) {
		*why = "signature does not verify with the platform's bundle key";
		return -EPERM;
	}
	return sync_bundle_payload_parse(payload, plen, out, why);
}

int sync_ack_parse(const char *buf, size_t len, uint64_t *ack)
{
	json_error_t jerr;
	json_t *root, *v;
	int rc = -EBADMSG;

	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		return -EBADMSG;
	}
	v = json_object_get(root, "ack");
	if (json_is_object(root) && json_is_integer(v) && json_integer_value(v) >= 0 &&
	    (uint64_t)json_integer_value(v) <= SYNC_SEQ_MAX) {
		*ack = (uint64_t)json_integer_value(v);
		rc = 0;
	}
	json_decref(root);
	return rc;
}
