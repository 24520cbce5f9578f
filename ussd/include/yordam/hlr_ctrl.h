/* MSISDN look-ups over OsmoHLR's CTRL interface (IPA-framed text commands):
 *   GET <id> subscriber.by-imsi-<IMSI>.msisdn  ->  GET_REPLY <id> subscriber.by-imsi-<IMSI>.msisdn <MSISDN>
 * OsmoMSC sends only the IMSI to an EUSE, so this is how a dialog learns the caller's number.
 * Asynchronous: a dialog never waits for it. Results are cached in RAM only (never stored),
 * for cache_s seconds, at most HLR_CTRL_CACHE_MAX entries. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define HLR_CTRL_CACHE_MAX 4096

struct hlr_ctrl;

struct hlr_ctrl *hlr_ctrl_alloc(void *ctx, const char *addr, uint16_t port, unsigned cache_s);
/* Start a look-up unless the IMSI is cached or already being looked up. */
void hlr_ctrl_lookup_msisdn(struct hlr_ctrl *hc, const char *imsi);
/* The cached MSISDN, or NULL (unknown yet, none, or expired). */
const char *hlr_ctrl_msisdn(struct hlr_ctrl *hc, const char *imsi);
struct hlr_ctrl_stats {
	unsigned known;	  /* cached IMSIs with an MSISDN */
	unsigned pending; /* look-ups in flight */
	uint64_t hits, misses, errors;
	bool connected;
};
void hlr_ctrl_get_stats(const struct hlr_ctrl *hc, struct hlr_ctrl_stats *st);
