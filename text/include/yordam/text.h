/* Text for GSM: UTF-8, folding, GSM-7 (3GPP TS 23.038) and UCS-2.
 *
 * A leaf library: pure functions, no allocation except where a talloc context is passed,
 * no logging. Shared by the USSD renderer and the SMS segmenter. All input is distrusted:
 * invalid UTF-8 is an error (-EILSEQ), never undefined behaviour. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest USSD string: 160 octets = 182 GSM-7 septets or 80 UCS-2 characters. */
#define TEXT_USSD_MAX_OCTETS  160
#define TEXT_USSD_MAX_SEPTETS 182
#define TEXT_USSD_MAX_UCS2    80

enum text_coding {
	TEXT_GSM7, /* GSM 7-bit default alphabet + extension table (escape = 2 septets) */
	TEXT_UCS2, /* UTF-16BE; a code point outside the BMP costs 2 units (surrogate pair) */
};

/* Decode one code point from s[0..len). Returns the number of bytes used (1..4), or -EILSEQ
 * for invalid, overlong or surrogate encodings, or -EINVAL when len == 0. */
int text_utf8_next(const char *s, size_t len, uint32_t *cp);
/* Write cp as UTF-8 into out; returns the byte count (1..4), or -EINVAL for invalid cp. */
int text_utf8_put(uint32_t cp, char out[4]);
/* True when s[0..len) is valid UTF-8. */
bool text_utf8_valid(const char *s, size_t len);

/* Folds, applied before choosing a coding. */
#define TEXT_FOLD_UZ 0x1 /* U+02BB U+02BC U+2018 U+2019 -> ' (keeps Uzbek Latin in GSM-7) */
#define TEXT_FOLD_TYPO \
	0x2 /* U+201C U+201D U+201E U+00AB U+00BB -> ", U+2013 U+2014 U+2212 -> -, U+2026 -> ..., U+00A0 -> space */

/* Fold s into a new NUL-terminated talloc string (child of ctx). NULL on invalid UTF-8 or OOM. */
char *text_fold(void *ctx, const char *s, unsigned flags);

/* Septets needed for cp in GSM-7: 1 (default alphabet), 2 (escape + extension table), 0 (not representable). */
unsigned text_gsm7_cost(uint32_t cp);

/* The cheapest coding that can carry s[0..len) unchanged: TEXT_GSM7 if every code point has a
 * GSM-7 cost, else TEXT_UCS2. Returns -EILSEQ on invalid UTF-8. */
int text_coding_of(const char *s, size_t len);

/* Length of s[0..len) in units of the coding: septets for GSM-7, UTF-16 code units for UCS-2.
 * Returns -EILSEQ on invalid UTF-8, -ERANGE if coding is GSM-7 and s has a character outside it. */
long text_units(const char *s, size_t len, enum text_coding coding);

/* How many bytes of s[0..len) fit into budget units of coding. With word_break, the cut is moved
 * back to just after the last space or newline that fits, or to just before the first character
 * that does not fit when that is a space or newline; without either, the cut falls between
 * characters, never inside one. Returns the byte count (0..len), or
 * -EILSEQ / -ERANGE as text_units. A result of len means everything fits. */
long text_fit(const char *s, size_t len, enum text_coding coding, size_t budget, bool word_break);

/* UTF-8 -> unpacked GSM-7 septets (escape 0x1B + code for extension characters).
 * Returns the septet count, -E2BIG if max is too small, -ERANGE for unrepresentable characters,
 * -EILSEQ for invalid UTF-8. */
int text_gsm7_encode(const char *s, size_t len, uint8_t *septets, size_t max);
/* Unpacked GSM-7 septets -> NUL-terminated UTF-8. Unknown extension codes decode as the base
 * character per 23.038 (a lone trailing escape decodes as a space). Returns bytes written
 * (without NUL) or -E2BIG. */
int text_gsm7_decode(const uint8_t *septets, size_t n, char *out, size_t outlen);

/* Pack n septets into octets (LSB first, 23.038 §6.1.2.1). For USSD (§6.1.2.3) set ussd_pad:
 * when the last octet has 7 spare bits they are filled with CR so the receiver does not see an
 * extra '@'; and if the text ends in CR on an octet boundary another CR is appended.
 * Returns the octet count or -E2BIG. */
int text_gsm7_pack(const uint8_t *septets, size_t n, uint8_t *out, size_t outlen, bool ussd_pad);
/* Unpack octets into septets: floor(len*8/7) septets. For USSD (ussd_pad) a trailing CR that is
 * padding (it fills the 7 spare bits of the last octet) is removed. Returns the septet count or -E2BIG. */
int text_gsm7_unpack(const uint8_t *octets, size_t len, uint8_t *septets, size_t max, bool ussd_pad);

/* UTF-8 -> UCS-2 (UTF-16BE). Returns octets written or -E2BIG / -EILSEQ. */
int text_ucs2_encode(const char *s, size_t len, uint8_t *out, size_t outlen);
/* UTF-16BE -> NUL-terminated UTF-8; an odd trailing octet is -EINVAL; an unpaired surrogate becomes U+FFFD.
 * Returns bytes written (without NUL) or -E2BIG. */
int text_ucs2_decode(const uint8_t *in, size_t len, char *out, size_t outlen);

/* SMS segmentation (3GPP TS 23.040): one part carries 160 GSM-7 septets or 70 UCS-2 units; a
 * concatenated message loses room to its UDH, leaving 153 / 67 per part. */
#define TEXT_SMS_SINGLE_GSM7 160
#define TEXT_SMS_SINGLE_UCS2 70
#define TEXT_SMS_PART_GSM7   153
#define TEXT_SMS_PART_UCS2   67
#define TEXT_SMS_MAX_PARTS   255

struct text_sms_split {
	enum text_coding coding;
	unsigned n_parts;
	/* byte ranges of s, one per part, white space at part starts and ends left out */
	size_t start[TEXT_SMS_MAX_PARTS], end[TEXT_SMS_MAX_PARTS];
};

/* Split s[0..len) (already folded) into SMS parts in its cheapest coding, cutting at word
 * boundaries where one lies in a part. A text that fits one message is one part; an empty text
 * is one empty part. Returns the part count, or -EILSEQ for invalid UTF-8, -E2BIG when more than
 * TEXT_SMS_MAX_PARTS parts would be needed. */
int text_sms_split(const char *s, size_t len, struct text_sms_split *out);
