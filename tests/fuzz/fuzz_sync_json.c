/* Fuzz target: the sync protocol's JSON bodies — the journal answer the appliance parses and the
 * journal batch the central service parses. The first byte chooses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "central.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct central_batch b;
	char why[160];
	uint64_t ack;
	unsigned i;

	if (size < 1) {
		return 0;
	}
	if (data[0] & 1) {
		if (central_batch_parse((const char *)data + 1, size - 1, &b, why, sizeof(why)) == 0) {
			for (i = 1; i < b.n; i++) {
				if (b.recs[i].seq <= b.recs[i - 1].seq || !b.recs[i].data) {
					abort();
				}
			}
			central_batch_free(&b);
		}
	} else if (sync_ack_parse((const char *)data + 1, size - 1, &ack) == 0 && ack > SYNC_SEQ_MAX) {
		abort();
	}
	return 0;
}
