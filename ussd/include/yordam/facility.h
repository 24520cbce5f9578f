/* GSM 04.80 / 3GPP TS 24.080 Facility IE contents for USSD, as carried in GSUP's SS info IE.
 *
 * Our own strict BER encoder and decoder: libosmocore 1.7 has no generator for the network's
 * unstructuredSS-Request Invoke (opcode 60), and both its generator and parser use one-byte
 * lengths only, which mis-encodes texts past ~128 septets. Here lengths use the short form
 * below 128 and the long form (0x81 LL) from 128 up. The decoder accepts either form, checks
 * every length against its container, and rejects trailing garbage, indefinite lengths and
 * lengths that are not minimally encoded.
 *
 * Only the components USSD uses are handled: Invoke (0xA1), ReturnResult (0xA2),
 * ReturnError (0xA3) and Reject (0xA4); operations processUnstructuredSS-Request (59),
 * unstructuredSS-Request (60) and unstructuredSS-Notify (61). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yordam/text.h>

#define FAC_OP_PROCESS_USS_REQ 59
#define FAC_OP_USS_REQ	       60
#define FAC_OP_USS_NOTIFY      61

#define FAC_COMP_INVOKE	       0xA1
#define FAC_COMP_RETURN_RESULT 0xA2
#define FAC_COMP_RETURN_ERROR  0xA3
#define FAC_COMP_REJECT	       0xA4

/* Data coding schemes (3GPP TS 23.038 §5) we emit: */
#define FAC_DCS_GSM7 0x0F /* GSM 7-bit default alphabet, language unspecified */
#define FAC_DCS_UCS2 0x48 /* 0100 1000: general data coding, UCS-2, uncompressed, no class */

/* Biggest facility we produce or accept: a 160-octet USSD string plus headers. */
#define FAC_MAX_LEN 200

struct fac_component {
	uint8_t type;	  /* FAC_COMP_* */
	int invoke_id;	  /* -1 when absent (Reject with NULL invokeID) */
	int opcode;	  /* -1 when absent (ReturnResult without result, ReturnError, Reject) */
	int error_code;	  /* ReturnError: localValue error code, else -1 */
	int problem_tag;  /* Reject: problem tag (0x80..0x83), else -1 */
	int problem_code; /* Reject: problem code, else -1 */
	bool has_ussd;	  /* a USSD-Arg/USSD-Res with dcs and string was present */
	uint8_t dcs;
	uint8_t ussd[TEXT_USSD_MAX_OCTETS]; /* the raw USSD-String */
	size_t ussd_len;
};

/* Decode one component from a GSUP SS info IE (the Facility IE's value: one component, no IE
 * tag). Returns 0, or -EBADMSG for anything malformed (never reads outside buf). */
int fac_decode(const uint8_t *buf, size_t len, struct fac_component *c);

/* Decode the USSD string of c into UTF-8 according to its DCS (GSM-7 packed with USSD padding,
 * UCS-2, or 8-bit treated as ISO-8859-1). Returns bytes written, -ENOTSUP for an unknown DCS,
 * -E2BIG, or -EBADMSG. */
int fac_ussd_text(const struct fac_component *c, char *out, size_t outlen);

/* Encode text (UTF-8, already folded) as a USSD string: GSM-7 (packed, USSD-padded, dcs 0x0F)
 * when every character is in GSM-7, else UCS-2 (dcs 0x48). Returns the octet count and sets *dcs,
 * or -E2BIG if it does not fit 160 octets, -EILSEQ for invalid UTF-8. */
int fac_ussd_encode(const char *text, uint8_t *dcs, uint8_t *out, size_t outlen);

/* The network's request for more input: Invoke { invokeID, opcode 60, USSD-Arg { dcs, string } }.
 * Returns the facility length, or -E2BIG / -EILSEQ. */
int fac_enc_invoke_uss_req(uint8_t *out, size_t outlen, uint8_t invoke_id, const char *text);
/* The final answer to the phone's request: ReturnResult { invokeID, SEQUENCE { opcode 59,
 * USSD-Res { dcs, string } } }. */
int fac_enc_result_process_uss(uint8_t *out, size_t outlen, uint8_t invoke_id, const char *text);
/* ReturnError { invokeID, localValue error } (e.g. 34 systemFailure, 35 dataMissing,
 * 36 unexpectedDataValue, 71 unknownAlphabet). */
int fac_enc_return_error(uint8_t *out, size_t outlen, uint8_t invoke_id, uint8_t error_code);
