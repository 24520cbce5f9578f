/* Fuzz target: the sync HTTP/1.1 head parser (responses for the appliance's client, requests for
 * the central service). The first byte chooses which; the rest is the message. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yordam/sync_proto.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sync_http_head h;
	char *buf;
	int rc;

	if (size < 1) {
		return 0;
	}
	/* a private copy, so reads past the end are caught by ASan */
	buf = malloc(size - 1 ? size - 1 : 1);
	if (!buf) {
		return 0;
	}
	memcpy(buf, data + 1, size - 1);
	if (data[0] & 1) {
		rc = sync_http_parse_request(buf, size - 1, &h);
		if (rc == 0 && (!h.method || h.target + h.target_len > buf + h.head_len)) {
			abort();
		}
	} else {
		rc = sync_http_parse_response(buf, size - 1, &h);
		if (rc == 0 && (h.status < 100 || h.status > 599)) {
			abort();
		}
	}
	if (rc == 0 && h.head_len > size - 1) {
		abort();
	}
	if (rc != 0 && rc != -EAGAIN && rc != -EBADMSG && rc != -EMSGSIZE) {
		abort();
	}
	free(buf);
	return 0;
}
