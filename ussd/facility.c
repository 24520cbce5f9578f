/* GSM 04.80 Facility components for USSD: strict BER encoder and decoder (see facility.h). */
#include <errno.h>
#include <string.h>

#include <yordam/facility.h>

/* Universal and 24.080 tags. */
#define BER_INTEGER	  0x02
#define BER_OCTET_STRING  0x04
#define BER_NULL	  0x05
#define BER_SEQUENCE	  0x30
#define FAC_LINKED_ID	  0x80 /* [0] IMPLICIT linkedID inside an Invoke */
#define FAC_PROBLEM_FIRST 0x80
#define FAC_PROBLEM_LAST  0x83

/* A window into the input; every read goes through ber_next(), which checks the window. */
struct ber_rd {
	const uint8_t *p;
	size_t len;
};

/* Take one TLV off the front of r. Tags are single octets (24.080 never uses high tag numbers).
 * Lengths: short form, or 0x81 LL with LL >= 128; anything else (indefinite 0x80, 0x82.., a
 * non-minimal 0x81 0x7F) is malformed, as is a value running past the window. */
static int ber_next(struct ber_rd *r, uint8_t *tag, struct ber_rd *val)
{
	size_t hdr, n;

	if (r->len < 2) {
		return -EBADMSG;
	}
	if ((r->p[0] & 0x1f) == 0x1f) {
		return -EBADMSG;
	}
	if (r->p[1] < 0x80) {
		hdr = 2;
		n = r->p[1];
	} else if (r->p[1] == 0x81) {
		if (r->len < 3 || r->p[2] < 0x80) {
			return -EBADMSG;
		}
		hdr = 3;
		n = r->p[2];
	} else {
		return -EBADMSG;
	}
	if (n > r->len - hdr) {
		return -EBADMSG;
	}
	*tag = r->p[0];
	val->p = r->p + hdr;
	val->len = n;
	r->p += hdr + n;
	r->len -= hdr + n;
	return 0;
}

static int ber_expect(struct ber_rd *r, uint8_t tag, struct ber_rd *val)
{
	uint8_t t;
	int rc = ber_next(r, &t, val);

	if (rc < 0) {
		return rc;
	}
	return t == tag ? 0 : -EBADMSG;
}

/* A one-octet value: invokeID, opcode, error code, problem code and dcs all fit one octet, and
 * longer encodings of them would be values this codec has no use for. */
static int ber_u8(struct ber_rd *r, uint8_t tag, uint8_t *v)
{
	struct ber_rd val;
	int rc = ber_expect(r, tag, &val);

	if (rc < 0) {
		return rc;
	}
	if (val.len != 1) {
		return -EBADMSG;
	}
	*v = val.p[0];
	return 0;
}

static bool ber_peek(const struct ber_rd *r, uint8_t tag)
{
	return r->len > 0 && r->p[0] == tag;
}

/* USSD-Arg / USSD-Res ::= SEQUENCE { ussd-DataCodingScheme, ussd-String, ... }. USSD-Arg may go on
 * with alertingPattern and msisdn [0], and both types are extensible, so anything after the string
 * is skipped, but only if it is well-formed BER. */
static int fac_decode_ussd(struct ber_rd seq, struct fac_component *c)
{
	struct ber_rd str, skip;
	uint8_t tag;
	int rc;

	rc = ber_u8(&seq, BER_OCTET_STRING, &c->dcs);
	if (rc < 0) {
		return rc;
	}
	rc = ber_expect(&seq, BER_OCTET_STRING, &str);
	if (rc < 0) {
		return rc;
	}
	if (str.len > sizeof(c->ussd)) {
		return -EBADMSG;
	}
	while (seq.len > 0) {
		rc = ber_next(&seq, &tag, &skip);
		if (rc < 0) {
			return rc;
		}
	}
	memcpy(c->ussd, str.p, str.len);
	c->ussd_len = str.len;
	c->has_ussd = true;
	return 0;
}

static bool fac_op_has_ussd_arg(int opcode)
{
	return opcode == FAC_OP_PROCESS_USS_REQ || opcode == FAC_OP_USS_REQ || opcode == FAC_OP_USS_NOTIFY;
}

/* An optional trailing parameter: at most one element, and nothing after it. USSD operations get
 * their argument decoded; other operations keep has_ussd false so the caller can still answer the
 * invokeID with a ReturnError or Reject. */
static int fac_decode_param(struct ber_rd body, bool want_ussd, struct fac_component *c)
{
	struct ber_rd param;
	uint8_t tag;
	int rc;

	if (body.len == 0) {
		return 0;
	}
	rc = ber_next(&body, &tag, &param);
	if (rc < 0) {
		return rc;
	}
	if (body.len != 0) {
		return -EBADMSG;
	}
	if (!want_ussd) {
		return 0;
	}
	if (tag != BER_SEQUENCE) {
		return -EBADMSG;
	}
	return fac_decode_ussd(param, c);
}

static int fac_decode_invoke(struct ber_rd body, struct fac_component *c)
{
	uint8_t id, linked, op;
	int rc;

	rc = ber_u8(&body, BER_INTEGER, &id);
	if (rc < 0) {
		return rc;
	}
	c->invoke_id = id;
	if (ber_peek(&body, FAC_LINKED_ID)) {
		rc = ber_u8(&body, FAC_LINKED_ID, &linked);
		if (rc < 0) {
			return rc;
		}
	}
	rc = ber_u8(&body, BER_INTEGER, &op);
	if (rc < 0) {
		return rc;
	}
	c->opcode = op;
	return fac_decode_param(body, fac_op_has_ussd_arg(op), c);
}

static int fac_decode_result(struct ber_rd body, struct fac_component *c)
{
	struct ber_rd seq;
	uint8_t id, op;
	int rc;

	rc = ber_u8(&body, BER_INTEGER, &id);
	if (rc < 0) {
		return rc;
	}
	c->invoke_id = id;
	/* A ReturnResult without result (e.g. acknowledging unstructuredSS-Notify) is legal. */
	if (body.len == 0) {
		return 0;
	}
	rc = ber_expect(&body, BER_SEQUENCE, &seq);
	if (rc < 0) {
		return rc;
	}
	if (body.len != 0) {
		return -EBADMSG;
	}
	rc = ber_u8(&seq, BER_INTEGER, &op);
	if (rc < 0) {
		return rc;
	}
	c->opcode = op;
	/* unstructuredSS-Notify's result is NULL: only 59 and 60 return a USSD-Res. */
	return fac_decode_param(seq, op == FAC_OP_PROCESS_USS_REQ || op == FAC_OP_USS_REQ, c);
}

static int fac_decode_error(struct ber_rd body, struct fac_component *c)
{
	uint8_t id, err;
	int rc;

	rc = ber_u8(&body, BER_INTEGER, &id);
	if (rc < 0) {
		return rc;
	}
	c->invoke_id = id;
	/* Only localValue error codes; a globalValue (OID) error is not used by USSD. */
	rc = ber_u8(&body, BER_INTEGER, &err);
	if (rc < 0) {
		return rc;
	}
	c->error_code = err;
	return fac_decode_param(body, false, c);
}

static int fac_decode_reject(struct ber_rd body, struct fac_component *c)
{
	struct ber_rd val;
	uint8_t id, tag, code;
	int rc;

	if (ber_peek(&body, BER_NULL)) {
		rc = ber_expect(&body, BER_NULL, &val);
		if (rc < 0 || val.len != 0) {
			return -EBADMSG;
		}
	} else {
		rc = ber_u8(&body, BER_INTEGER, &id);
		if (rc < 0) {
			return rc;
		}
		c->invoke_id = id;
	}
	rc = ber_next(&body, &tag, &val);
	if (rc < 0) {
		return rc;
	}
	if (tag < FAC_PROBLEM_FIRST || tag > FAC_PROBLEM_LAST || val.len != 1 || body.len != 0) {
		return -EBADMSG;
	}
	code = val.p[0];
	c->problem_tag = tag;
	c->problem_code = code;
	return 0;
}

int fac_decode(const uint8_t *buf, size_t len, struct fac_component *c)
{
	struct ber_rd top = {.p = buf, .len = len};
	struct ber_rd body;
	uint8_t type;
	int rc;

	if (!c) {
		return -EINVAL;
	}
	memset(c, 0, sizeof(*c));
	c->invoke_id = -1;
	c->opcode = -1;
	c->error_code = -1;
	c->problem_tag = -1;
	c->problem_code = -1;
	if (!buf) {
		return -EBADMSG;
	}

	rc = ber_next(&top, &type, &body);
	if (rc < 0) {
		return rc;
	}
	if (top.len != 0) {
		return -EBADMSG;
	}
	c->type = type;
	switch (type) {
	case FAC_COMP_INVOKE:
		rc = fac_decode_invoke(body, c);
		break;
	case FAC_COMP_RETURN_RESULT:
		rc = fac_decode_result(body, c);
		break;
	case FAC_COMP_RETURN_ERROR:
		rc = fac_decode_error(body, c);
		break;
	case FAC_COMP_REJECT:
		rc = fac_decode_reject(body, c);
		break;
	default:
		rc = -EBADMSG;
		break;
	}
	if (rc < 0) {
		/* Leave nothing half-decoded for a caller that ignores the return code. */
		c->has_ussd = false;
		c->ussd_len = 0;
		return -EBADMSG;
	}
	return 0;
}

/* How to read a USSD string's octets, from its data coding scheme (3GPP TS 23.038 §5). */
enum fac_alphabet {
	FAC_ALPHA_GSM7,
	FAC_ALPHA_8BIT,
	FAC_ALPHA_UCS2,
	FAC_ALPHA_UNKNOWN,
};

static enum fac_alphabet fac_dcs_alphabet(uint8_t dcs)
{
	switch (dcs >> 4) {
	case 0x0: /* language groups using the GSM 7-bit default alphabet */
	case 0x2:
	case 0x3:
		return FAC_ALPHA_GSM7;
	case 0x1:
		/* 0x10 / 0x11 prefix the text with a language indication we would show as text. */
		return FAC_ALPHA_UNKNOWN;
	case 0x4: /* general data coding; compressed (bit 5) is not supported */
	case 0x5:
		switch ((dcs >> 2) & 0x3) {
		case 0:
			return FAC_ALPHA_GSM7;
		case 1:
			return FAC_ALPHA_8BIT;
		case 2:
			return FAC_ALPHA_UCS2;
		default:
			return FAC_ALPHA_UNKNOWN;
		}
	case 0xF:
		return (dcs & 0x04) ? FAC_ALPHA_8BIT : FAC_ALPHA_GSM7;
	default:
		return FAC_ALPHA_UNKNOWN;
	}
}

static int fac_latin1_decode(const uint8_t *in, size_t len, char *out, size_t outlen)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (in[i] == 0) {
			/* would silently cut the C string short */
			return -EBADMSG;
		}
		if (in[i] < 0x80) {
			if (outlen - o < 2) {
				return -E2BIG;
			}
			out[o++] = (char)in[i];
		} else {
			if (outlen - o < 3) {
				return -E2BIG;
			}
			out[o++] = (char)(0xC0 | (in[i] >> 6));
			out[o++] = (char)(0x80 | (in[i] & 0x3F));
		}
	}
	out[o] = '\0';
	return (int)o;
}

/* A NUL inside the text (U+0000 in UCS-2) would silently cut short what the menu sees. */
static int fac_no_nul(const char *out, int rc)
{
	if (rc > 0 && memchr(out, '\0', (size_t)rc)) {
		return -EBADMSG;
	}
	return rc;
}

int fac_ussd_text(const struct fac_component *c, char *out, size_t outlen)
{
	/* 160 octets unpack to at most 182 septets */
	uint8_t septets[TEXT_USSD_MAX_SEPTETS];
	int n, rc;

	if (!c || !out || !c->has_ussd || c->ussd_len > sizeof(c->ussd)) {
		return -EINVAL;
	}
	if (outlen == 0) {
		return -E2BIG;
	}
	switch (fac_dcs_alphabet(c->dcs)) {
	case FAC_ALPHA_GSM7:
		n = text_gsm7_unpack(c->ussd, c->ussd_len, septets, sizeof(septets), true);
		if (n < 0) {
			return -EBADMSG;
		}
		return fac_no_nul(out, text_gsm7_decode(septets, (size_t)n, out, outlen));
	case FAC_ALPHA_UCS2:
		rc = text_ucs2_decode(c->ussd, c->ussd_len, out, outlen);
		if (rc == -EINVAL) {
			/* odd octet count */
			return -EBADMSG;
		}
		return fac_no_nul(out, rc);
	case FAC_ALPHA_8BIT:
		return fac_latin1_decode(c->ussd, c->ussd_len, out, outlen);
	default:
		return -ENOTSUP;
	}
}

int fac_ussd_encode(const char *text, uint8_t *dcs, uint8_t *out, size_t outlen)
{
	uint8_t septets[TEXT_USSD_MAX_SEPTETS];
	size_t len, room;
	int coding, n, rc;

	if (!text || !dcs || !out) {
		return -EINVAL;
	}
	len = strlen(text);
	room = outlen < TEXT_USSD_MAX_OCTETS ? outlen : TEXT_USSD_MAX_OCTETS;
	coding = text_coding_of(text, len);
	if (coding < 0) {
		return coding;
	}
	if (coding == TEXT_GSM7) {
		n = text_gsm7_encode(text, len, septets, sizeof(septets));
		if (n < 0) {
			return n == -EILSEQ ? -EILSEQ : -E2BIG;
		}
		rc = text_gsm7_pack(septets, (size_t)n, out, room, true);
		if (rc < 0) {
			return -E2BIG;
		}
		*dcs = FAC_DCS_GSM7;
		return rc;
	}
	rc = text_ucs2_encode(text, len, out, room);
	if (rc < 0) {
		return rc == -EILSEQ ? -EILSEQ : -E2BIG;
	}
	*dcs = FAC_DCS_UCS2;
	return rc;
}

/* Encoding is done forwards: every length is known from the USSD string's length, and is at most
 * 255 (FAC_MAX_LEN), so one or two length octets. */
static size_t ber_tl_size(size_t n)
{
	return n < 0x80 ? 2 : 3;
}

static uint8_t *ber_put_tl(uint8_t *p, uint8_t tag, size_t n)
{
	*p++ = tag;
	if (ber_tl_size(n) == 3) {
		*p++ = 0x81;
	}
	*p++ = (uint8_t)n;
	return p;
}

static uint8_t *ber_put_u8(uint8_t *p, uint8_t tag, uint8_t v)
{
	*p++ = tag;
	*p++ = 1;
	*p++ = v;
	return p;
}

/* Writes SEQUENCE { dcs, string }; returns the end. */
static uint8_t *fac_put_ussd(uint8_t *p, size_t seq_len, uint8_t dcs, const uint8_t *str, size_t str_len)
{
	p = ber_put_tl(p, BER_SEQUENCE, seq_len);
	p = ber_put_u8(p, BER_OCTET_STRING, dcs);
	p = ber_put_tl(p, BER_OCTET_STRING, str_len);
	memcpy(p, str, str_len);
	return p + str_len;
}

int fac_enc_invoke_uss_req(uint8_t *out, size_t outlen, uint8_t invoke_id, const char *text)
{
	uint8_t str[TEXT_USSD_MAX_OCTETS];
	size_t str_len, arg_len, body_len, total;
	uint8_t dcs, *p;
	int rc;

	if (!out) {
		return -EINVAL;
	}
	rc = fac_ussd_encode(text, &dcs, str, sizeof(str));
	if (rc < 0) {
		return rc;
	}
	str_len = (size_t)rc;
	arg_len = 3 + ber_tl_size(str_len) + str_len;
	body_len = 3 + 3 + ber_tl_size(arg_len) + arg_len;
	total = ber_tl_size(body_len) + body_len;
	if (total > outlen) {
		return -E2BIG;
	}

	p = ber_put_tl(out, FAC_COMP_INVOKE, body_len);
	p = ber_put_u8(p, BER_INTEGER, invoke_id);
	p = ber_put_u8(p, BER_INTEGER, FAC_OP_USS_REQ);
	p = fac_put_ussd(p, arg_len, dcs, str, str_len);
	return (int)(p - out);
}

int fac_enc_result_process_uss(uint8_t *out, size_t outlen, uint8_t invoke_id, const char *text)
{
	uint8_t str[TEXT_USSD_MAX_OCTETS];
	size_t str_len, res_len, seq_len, body_len, total;
	uint8_t dcs, *p;
	int rc;

	if (!out) {
		return -EINVAL;
	}
	rc = fac_ussd_encode(text, &dcs, str, sizeof(str));
	if (rc < 0) {
		return rc;
	}
	str_len = (size_t)rc;
	res_len = 3 + ber_tl_size(str_len) + str_len;
	seq_len = 3 + ber_tl_size(res_len) + res_len;
	body_len = 3 + ber_tl_size(seq_len) + seq_len;
	total = ber_tl_size(body_len) + body_len;
	if (total > outlen) {
		return -E2BIG;
	}

	p = ber_put_tl(out, FAC_COMP_RETURN_RESULT, body_len);
	p = ber_put_u8(p, BER_INTEGER, invoke_id);
	p = ber_put_tl(p, BER_SEQUENCE, seq_len);
	p = ber_put_u8(p, BER_INTEGER, FAC_OP_PROCESS_USS_REQ);
	p = fac_put_ussd(p, res_len, dcs, str, str_len);
	return (int)(p - out);
}

int fac_enc_return_error(uint8_t *out, size_t outlen, uint8_t invoke_id, uint8_t error_code)
{
	uint8_t *p;

	if (!out) {
		return -EINVAL;
	}
	if (outlen < 8) {
		return -E2BIG;
	}
	p = ber_put_tl(out, FAC_COMP_RETURN_ERROR, 6);
	p = ber_put_u8(p, BER_INTEGER, invoke_id);
	p = ber_put_u8(p, BER_INTEGER, error_code);
	return (int)(p - out);
}
