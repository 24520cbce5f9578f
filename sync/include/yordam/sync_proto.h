/* Sync protocol, byte level (docs/sync.md): HTTP/1.1 head parsing, the bundle container and
 * payload, the journal answer. Pure code (libc, jansson, mbedcrypto): shared by the appliance's
 * client and the reference central service, and fuzzed. Every input is outside input. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SYNC_HTTP_HEAD_MAX     8192
#define SYNC_JOURNAL_BODY_MAX  (8u << 20)
#define SYNC_BUNDLE_MAX	       (16u << 20)
#define SYNC_BUNDLE_FILES_MAX  256
#define SYNC_NAME_MAX	       64
#define SYNC_TYPE_MAX	       32
#define SYNC_BATCH_RECORDS_MAX 10000
#define SYNC_SEQ_MAX	       ((1ULL << 53) - 1)
#define SYNC_BUNDLE_MAGIC      "YBUNDLE1 "
#define SYNC_BUNDLE_FORMAT     "yordam-bundle/1"

/* A parsed HTTP/1.1 message head. Pointers point into the parsed buffer (not terminated). */
struct sync_http_head {
	size_t head_len;    /* bytes up to and including the blank line */
	int status;	    /* responses: 100..599 */
	const char *method; /* requests */
	size_t method_len;
	const char *target; /* requests */
	size_t target_len;
	bool has_length;
	uint64_t content_length;
	bool close; /* Connection: close */
};

/* Parse a response head from buf[0..len). Returns 0 when complete (out filled), -EAGAIN when more
 * bytes are needed, -EMSGSIZE when the head exceeds SYNC_HTTP_HEAD_MAX, -EBADMSG when malformed
 * (including any Transfer-Encoding, a repeated or non-numeric Content-Length, control bytes). */
int sync_http_parse_response(const char *buf, size_t len, struct sync_http_head *out);
/* Same for a request head ("METHOD TARGET HTTP/1.1"). */
int sync_http_parse_request(const char *buf, size_t len, struct sync_http_head *out);

/* True when s[0..len) is 1..SYNC_NAME_MAX of A-Z a-z 0-9 . _ - and does not start with '.'. */
bool sync_name_valid(const char *s, size_t len);

/* Split a bundle container: header, payload, signature. Returns 0 or -EBADMSG with *why set. */
int sync_bundle_split(const uint8_t *buf, size_t len, const uint8_t **payload, size_t *payload_len, const uint8_t **sig,
		      size_t *sig_len, const char **why);

struct sync_bundle_file {
	char name[SYNC_NAME_MAX + 1];
	const char *text; /* points into the parsed JSON (valid until sync_bundle_payload_free) */
	size_t len;
};

struct sync_bundle_payload {
	char kind[SYNC_NAME_MAX + 1];
	uint64_t version;
	int64_t created;
	unsigned n_files;
	struct sync_bundle_file *files;
	void *json; /* owned json_t */
};

/* Parse and check a (verified) payload. Returns 0, or -EBADMSG with why (a static string). */
int sync_bundle_payload_parse(const uint8_t *buf, size_t len, struct sync_bundle_payload *out, const char **why);
void sync_bundle_payload_free(struct sync_bundle_payload *p);

/* Verify a container with the platform's public key (PEM or DER, EC P-256), then parse its payload.
 * Returns 0, -EBADMSG (malformed), -EPERM (bad signature); why says which check failed. */
struct mbedtls_pk_context;
int sync_bundle_verify(const uint8_t *buf, size_t len, struct mbedtls_pk_context *pub, struct sync_bundle_payload *out,
		       const char **why);

/* The journal answer {"ack":N,...}. Returns 0 or -EBADMSG. */
int sync_ack_parse(const char *buf, size_t len, uint64_t *ack);
