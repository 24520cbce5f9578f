/* Fuzz target: signed bundles. The input goes through the container splitter and signature check
 * (with a fixed test public key: a forgery the fuzzer finds would be a finding), and, since the
 * signature stops almost everything, straight into the payload parser as well. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/pk.h>

#include <yordam/sync_proto.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A throw-away P-256 public key (its private half was never kept). */
static const char test_pub[] = "-----BEGIN PUBLIC KEY-----\n"
			       "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEb+y6prkgD20DyrkhZ1SpF9RQ1TH+\n"
			       "+N0jKcnkwFDdcaDi3O/2JfMsWX0rpB36A+fgM5fsw+AHkGr+xmpvtUCf+A==\n"
			       "-----END PUBLIC KEY-----\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static mbedtls_pk_context pub;
	static int loaded;
	struct sync_bundle_payload p;
	const uint8_t *payload, *sig;
	size_t plen, slen;
	const char *why = NULL;
	uint8_t *buf;
	unsigned i;

	if (!loaded) {
		mbedtls_pk_init(&pub);
		if (mbedtls_pk_parse_public_key(&pub, (const unsigned char *)test_pub, sizeof(test_pub)) != 0) {
			abort();
		}
		loaded = 1;
	}
	buf = malloc(size ? size : 1);
	if (!buf) {
		return 0;
	}
	memcpy(buf, data, size);
	if (sync_bundle_split(buf, size, &payload, &plen, &sig, &slen, &why) == 0) {
		if (payload + plen + slen != buf + size) {
			abort();
		}
	}
	if (sync_bundle_verify(buf, size, &pub, &p, &why) == 0) {
		abort(); /* a bundle verified with a key whose private half does not exist */
	}
	if (sync_bundle_payload_parse(buf, size, &p, &why) == 0) {
		for (i = 0; i < p.n_files; i++) {
			if (!sync_name_valid(p.files[i].name, strlen(p.files[i].name)) ||
			    strlen(p.files[i].text) != p.files[i].len) {
				abort();
			}
		}
		sync_bundle_payload_free(&p);
	} else if (!why) {
		abort();
	}
	free(buf);
	return 0;
}
