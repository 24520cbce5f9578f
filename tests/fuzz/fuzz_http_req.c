/* The HTTP port's request parser: a form body as a gateway (or anyone) might send it, then what
 * the port does with a parsed request: the cumulative-text step against a previous text, the
 * element split, the dial string, the masked number; the first line doubles as the timestamp
 * and signature headers. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <yordam/http_req.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct http_fields f = {"sessionId", "serviceCode", "phoneNumber", "text"};
	static const uint8_t key[] = "fuzz-key-0123456789";
	const char *body = (const char *)data;
	struct http_req r, prev;
	char hdr[96], el[HTTP_TEXT_MAX + 1], ussd[HTTP_SERVICE_MAX + HTTP_TEXT_MAX + 4];
	char masked[HTTP_PHONE_MASK_SIZE];
	uint8_t mac[HTTP_SIG_LEN];
	const char *nl = memchr(data, '\n', size), *news;
	size_t hlen = nl ? (size_t)(nl - body) : 0;
	int64_t ts;

	if (hlen && hlen < sizeof(hdr)) {
		memcpy(hdr, body, hlen);
		hdr[hlen] = '\0';
		if (http_ts_parse(hdr, &ts) == 0 && http_sig_compute(key, sizeof(key) - 1, hdr, body, size, mac) == 0) {
			http_sig_matches(hdr, mac);
		}
		http_sig_matches(hdr, mac);
	}
	http_req_parse(body, size, &f, HTTP_NEED_END, &r, NULL);
	if (http_req_parse(body, size, &f, HTTP_NEED_DIALOG, &r, NULL) != 0) {
		return 0;
	}
	/* Every text against a few previous ones: itself shortened, empty, and a fixed one. */
	prev = r;
	prev.text[strlen(prev.text) / 2] = '\0';
	for (int i = 0; i < 3; i++) {
		const char *p = i == 0 ? prev.text : i == 1 ? "" : "1*2";

		http_text_step(p, r.text, &news);
		while (http_text_next(&news, el, sizeof(el))) {
		}
	}
	http_req_ussd_string(&r, ussd, sizeof(ussd));
	http_phone_mask(r.phone, masked);
	return 0;
}
