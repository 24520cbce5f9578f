/* GSM 7-bit default alphabet and extension table (3GPP TS 23.038 §6.2.1, §6.2.1.1), septet
 * packing (§6.1.2.1, USSD padding §6.1.2.3) and UCS-2 (UTF-16BE). */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <yordam/text.h>

#define GSM7_ESC 0x1b
#define GSM7_CR	 0x0d
#define GSM7_SP	 0x20

/* 23.038 §6.2.1: septet -> code point. 0x1B is the escape to the extension table; it never comes
 * from a code point, and decodes as a space when nothing valid follows it. */
static const uint16_t gsm7_default[128] = {
	0x0040, 0x00a3, 0x0024, 0x00a5, 0x00e8, 0x00e9, 0x00f9, 0x00ec, /* @ £ $ ¥ è é ù ì */
	0x00f2, 0x00c7, 0x000a, 0x00d8, 0x00f8, 0x000d, 0x00c5, 0x00e5, /* ò Ç LF Ø ø CR Å å */
	0x0394, 0x005f, 0x03a6, 0x0393, 0x039b, 0x03a9, 0x03a0, 0x03a8, /* Δ _ Φ Γ Λ Ω Π Ψ */
	0x03a3, 0x0398, 0x039e, 0x0020, 0x00c6, 0x00e6, 0x00df, 0x00c9, /* Σ Θ Ξ ESC Æ æ ß É */
	0x0020, 0x0021, 0x0022, 0x0023, 0x00a4, 0x0025, 0x0026, 0x0027, /* SP ! " # ¤ % & ' */
	0x0028, 0x0029, 0x002a, 0x002b, 0x002c, 0x002d, 0x002e, 0x002f, /* ( ) * + , - . / */
	0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037, /* 0-7 */
	0x0038, 0x0039, 0x003a, 0x003b, 0x003c, 0x003d, 0x003e, 0x003f, /* 8 9 : ; < = > ? */
	0x00a1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047, /* ¡ A-G */
	0x0048, 0x0049, 0x004a, 0x004b, 0x004c, 0x004d, 0x004e, 0x004f, /* H-O */
	0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057, /* P-W */
	0x0058, 0x0059, 0x005a, 0x00c4, 0x00d6, 0x00d1, 0x00dc, 0x00a7, /* X Y Z Ä Ö Ñ Ü § */
	0x00bf, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067, /* ¿ a-g */
	0x0068, 0x0069, 0x006a, 0x006b, 0x006c, 0x006d, 0x006e, 0x006f, /* h-o */
	0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077, /* p-w */
	0x0078, 0x0079, 0x007a, 0x00e4, 0x00f6, 0x00f1, 0x00fc, 0x00e0, /* x y z ä ö ñ ü à */
};

/* 23.038 §6.2.1.1: code after an escape -> code point; 0 where the table has nothing. */
static uint32_t gsm7_ext_cp(uint8_t code)
{
	switch (code) {
	case 0x0a:
		return 0x000c; /* form feed */
	case 0x14:
		return '^';
	case 0x28:
		return '{';
	case 0x29:
		return '}';
	case 0x2f:
		return '\\';
	case 0x3c:
		return '[';
	case 0x3d:
		return '~';
	case 0x3e:
		return ']';
	case 0x40:
		return '|';
	case 0x65:
		return 0x20ac; /* € */
	default:
		return 0;
	}
}

/* Reverse lookup for U+0000..U+00FF, the range nearly every screen stays in: one table read.
 * R(x): default alphabet septet x; X(x): escape + extension code x; 0: not representable. */
#define R(x) (0x100 | (x))
#define X(x) (0x200 | (x))
static const uint16_t gsm7_from_latin1[256] = {
	['@'] = R(0x00),  [0xa3] = R(0x01), ['$'] = R(0x02),  [0xa5] = R(0x03), [0xe8] = R(0x04), [0xe9] = R(0x05),
	[0xf9] = R(0x06), [0xec] = R(0x07), [0xf2] = R(0x08), [0xc7] = R(0x09), ['\n'] = R(0x0a), [0xd8] = R(0x0b),
	[0xf8] = R(0x0c), ['\r'] = R(0x0d), [0xc5] = R(0x0e), [0xe5] = R(0x0f), ['_'] = R(0x11),  [0xc6] = R(0x1c),
	[0xe6] = R(0x1d), [0xdf] = R(0x1e), [0xc9] = R(0x1f), [' '] = R(0x20),	['!'] = R(0x21),  ['"'] = R(0x22),
	['#'] = R(0x23),  [0xa4] = R(0x24), ['%'] = R(0x25),  ['&'] = R(0x26),	['\''] = R(0x27), ['('] = R(0x28),
	[')'] = R(0x29),  ['*'] = R(0x2a),  ['+'] = R(0x2b),  [','] = R(0x2c),	['-'] = R(0x2d),  ['.'] = R(0x2e),
	['/'] = R(0x2f),  ['0'] = R(0x30),  ['1'] = R(0x31),  ['2'] = R(0x32),	['3'] = R(0x33),  ['4'] = R(0x34),
	['5'] = R(0x35),  ['6'] = R(0x36),  ['7'] = R(0x37),  ['8'] = R(0x38),	['9'] = R(0x39),  [':'] = R(0x3a),
	[';'] = R(0x3b),  ['<'] = R(0x3c),  ['='] = R(0x3d),  ['>'] = R(0x3e),	['?'] = R(0x3f),  [0xa1] = R(0x40),
	['A'] = R(0x41),  ['B'] = R(0x42),  ['C'] = R(0x43),  ['D'] = R(0x44),	['E'] = R(0x45),  ['F'] = R(0x46),
	['G'] = R(0x47),  ['H'] = R(0x48),  ['I'] = R(0x49),  ['J'] = R(0x4a),	['K'] = R(0x4b),  ['L'] = R(0x4c),
	['M'] = R(0x4d),  ['N'] = R(0x4e),  ['O'] = R(0x4f),  ['P'] = R(0x50),	['Q'] = R(0x51),  ['R'] = R(0x52),
	['S'] = R(0x53),  ['T'] = R(0x54),  ['U'] = R(0x55),  ['V'] = R(0x56),	['W'] = R(0x57),  ['X'] = R(0x58),
	['Y'] = R(0x59),  ['Z'] = R(0x5a),  [0xc4] = R(0x5b), [0xd6] = R(0x5c), [0xd1] = R(0x5d), [0xdc] = R(0x5e),
	[0xa7] = R(0x5f), [0xbf] = R(0x60), ['a'] = R(0x61),  ['b'] = R(0x62),	['c'] = R(0x63),  ['d'] = R(0x64),
	['e'] = R(0x65),  ['f'] = R(0x66),  ['g'] = R(0x67),  ['h'] = R(0x68),	['i'] = R(0x69),  ['j'] = R(0x6a),
	['k'] = R(0x6b),  ['l'] = R(0x6c),  ['m'] = R(0x6d),  ['n'] = R(0x6e),	['o'] = R(0x6f),  ['p'] = R(0x70),
	['q'] = R(0x71),  ['r'] = R(0x72),  ['s'] = R(0x73),  ['t'] = R(0x74),	['u'] = R(0x75),  ['v'] = R(0x76),
	['w'] = R(0x77),  ['x'] = R(0x78),  ['y'] = R(0x79),  ['z'] = R(0x7a),	[0xe4] = R(0x7b), [0xf6] = R(0x7c),
	[0xf1] = R(0x7d), [0xfc] = R(0x7e), [0xe0] = R(0x7f), [0x0c] = X(0x0a), ['^'] = X(0x14),  ['{'] = X(0x28),
	['}'] = X(0x29),  ['\\'] = X(0x2f), ['['] = X(0x3c),  ['~'] = X(0x3d),	[']'] = X(0x3e),  ['|'] = X(0x40),
};

/* Returns R()/X() as in gsm7_from_latin1, or 0. */
static unsigned gsm7_lookup(uint32_t cp)
{
	if (cp < 0x100) {
		return gsm7_from_latin1[cp];
	}
	switch (cp) {
	case 0x0393:
		return R(0x13); /* Γ */
	case 0x0394:
		return R(0x10); /* Δ */
	case 0x0398:
		return R(0x19); /* Θ */
	case 0x039b:
		return R(0x14); /* Λ */
	case 0x039e:
		return R(0x1a); /* Ξ */
	case 0x03a0:
		return R(0x16); /* Π */
	case 0x03a3:
		return R(0x18); /* Σ */
	case 0x03a6:
		return R(0x12); /* Φ */
	case 0x03a8:
		return R(0x17); /* Ψ */
	case 0x03a9:
		return R(0x15); /* Ω */
	case 0x20ac:
		return X(0x65); /* € */
	default:
		return 0;
	}
}
#undef R
#undef X

unsigned text_gsm7_cost(uint32_t cp)
{
	unsigned v = gsm7_lookup(cp);

	if (v & 0x100) {
		return 1;
	}
	if (v & 0x200) {
		return 2;
	}
	return 0;
}

int text_gsm7_encode(const char *s, size_t len, uint8_t *septets, size_t max)
{
	long units;
	size_t i = 0, n = 0;

	/* Measure first: the error does not depend on the buffer size and nothing is half written. */
	units = text_units(s, len, TEXT_GSM7);
	if (units < 0) {
		return (int)units;
	}
	if ((size_t)units > max || units > INT_MAX) {
		return -E2BIG;
	}
	while (i < len) {
		uint32_t cp;
		unsigned v;
		int k = text_utf8_next(s + i, len - i, &cp);

		if (k < 0) {
			return k;
		}
		i += (size_t)k;
		v = gsm7_lookup(cp);
		if (v & 0x200) {
			septets[n++] = GSM7_ESC;
		}
		septets[n++] = v & 0x7f;
	}
	return (int)n;
}

/* Appends the UTF-8 of cp to out[*pos..) keeping room for the final NUL. */
static int put_cp(uint32_t cp, char *out, size_t outlen, size_t *pos)
{
	char buf[4];
	int k = text_utf8_put(cp, buf);

	if (k < 0) {
		return k;
	}
	if ((size_t)k >= outlen - *pos) {
		return -E2BIG;
	}
	memcpy(out + *pos, buf, (size_t)k);
	*pos += (size_t)k;
	return 0;
}

int text_gsm7_decode(const uint8_t *septets, size_t n, char *out, size_t outlen)
{
	size_t i, pos = 0;
	int rc;

	if (outlen == 0) {
		return -E2BIG;
	}
	for (i = 0; i < n; i++) {
		/* Only 7 bits travel over the air; a set top bit from a caller's buffer is ignored. */
		uint8_t c = septets[i] & 0x7f;
		uint32_t cp;

		if (c != GSM7_ESC) {
			cp = gsm7_default[c];
		} else if (i + 1 == n) {
			cp = ' '; /* lone trailing escape */
		} else {
			uint8_t e = septets[++i] & 0x7f;

			/* ESC ESC is reserved for a further extension table: shown as a space (§6.2.1.1).
			 * Any other unknown code shows its default-alphabet character. */
			cp = gsm7_ext_cp(e);
			if (!cp) {
				cp = gsm7_default[e];
			}
		}
		rc = put_cp(cp, out, outlen, &pos);
		if (rc < 0) {
			return rc;
		}
	}
	if (pos > INT_MAX) {
		return -E2BIG;
	}
	out[pos] = '\0';
	return (int)pos;
}

int text_gsm7_pack(const uint8_t *septets, size_t n, uint8_t *out, size_t outlen, bool ussd_pad)
{
	size_t total = n, octets, i;

	if (n > (size_t)INT_MAX / 8) {
		return -E2BIG;
	}
	if (ussd_pad && n > 0) {
		/* 7 spare bits at the end: fill them with CR rather than leave a zero septet ('@').
		 * Ending on an octet boundary with a wanted CR: add one, because the receiver removes a
		 * final CR on an octet boundary as padding. Both come down to one extra CR septet. */
		if (n % 8 == 7 || (n % 8 == 0 && (septets[n - 1] & 0x7f) == GSM7_CR)) {
			total = n + 1;
		}
	}
	octets = (total * 7 + 7) / 8;
	if (octets > outlen) {
		return -E2BIG;
	}
	memset(out, 0, octets);
	for (i = 0; i < total; i++) {
		unsigned c = i < n ? (septets[i] & 0x7f) : GSM7_CR;
		size_t bit = i * 7, byte = bit / 8;
		unsigned shift = bit % 8;

		out[byte] |= (uint8_t)(c << shift);
		if (shift > 1) {
			out[byte + 1] |= (uint8_t)(c >> (8 - shift));
		}
	}
	return (int)octets;
}

int text_gsm7_unpack(const uint8_t *octets, size_t len, uint8_t *septets, size_t max, bool ussd_pad)
{
	size_t n, i;

	if (len > (size_t)INT_MAX / 8) {
		return -E2BIG;
	}
	n = len * 8 / 7;
	for (i = 0; i < n; i++) {
		size_t bit = i * 7, byte = bit / 8;
		unsigned shift = bit % 8;
		unsigned c = octets[byte] >> shift;

		if (shift > 1) {
			c |= (unsigned)octets[byte + 1] << (8 - shift);
		}
		c &= 0x7f;
		/* Only the last septet can be padding, and only when it fills the last octet's top
		 * 7 bits, i.e. when the septets end on an octet boundary (len a multiple of 7). */
		if (ussd_pad && i + 1 == n && len % 7 == 0 && c == GSM7_CR) {
			return (int)i;
		}
		if (i >= max) {
			return -E2BIG;
		}
		septets[i] = (uint8_t)c;
	}
	return (int)n;
}

int text_ucs2_encode(const char *s, size_t len, uint8_t *out, size_t outlen)
{
	long units;
	size_t i = 0, pos = 0;

	units = text_units(s, len, TEXT_UCS2);
	if (units < 0) {
		return (int)units;
	}
	if ((size_t)units > outlen / 2 || units > INT_MAX / 2) {
		return -E2BIG;
	}
	while (i < len) {
		uint32_t cp;
		int k = text_utf8_next(s + i, len - i, &cp);

		if (k < 0) {
			return k;
		}
		i += (size_t)k;
		if (cp >= 0x10000) {
			uint32_t v = cp - 0x10000;
			uint16_t hi = (uint16_t)(0xd800 | (v >> 10)), lo = (uint16_t)(0xdc00 | (v & 0x3ff));

			out[pos++] = hi >> 8;
			out[pos++] = hi & 0xff;
			out[pos++] = lo >> 8;
			out[pos++] = lo & 0xff;
		} else {
			out[pos++] = (uint8_t)(cp >> 8);
			out[pos++] = cp & 0xff;
		}
	}
	return (int)pos;
}

int text_ucs2_decode(const uint8_t *in, size_t len, char *out, size_t outlen)
{
	size_t i, pos = 0;
	int rc;

	if (len % 2) {
		return -EINVAL;
	}
	if (outlen == 0) {
		return -E2BIG;
	}
	for (i = 0; i < len; i += 2) {
		uint32_t cp = (uint32_t)in[i] << 8 | in[i + 1];

		if (cp >= 0xd800 && cp <= 0xdbff && i + 3 < len) {
			uint32_t lo = (uint32_t)in[i + 2] << 8 | in[i + 3];

			if (lo >= 0xdc00 && lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				i += 2;
			}
		}
		if (cp >= 0xd800 && cp <= 0xdfff) {
			cp = 0xfffd; /* unpaired surrogate */
		}
		rc = put_cp(cp, out, outlen, &pos);
		if (rc < 0) {
			return rc;
		}
	}
	if (pos > INT_MAX) {
		return -E2BIG;
	}
	out[pos] = '\0';
	return (int)pos;
}
