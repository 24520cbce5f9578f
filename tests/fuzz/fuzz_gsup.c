/* The GSUP port's input path: a GSUP message from OsmoHLR -> osmo_gsup_decode() -> the SS info
 * IE through fac_decode() -> fac_ussd_text(). Nothing here may crash, whatever the bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>
#include <osmocom/gsm/gsup.h>

#include <yordam/facility.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct log_info fuzz_log_info = {
	.cat = NULL,
	.num_cat = 0,
};

/* libosmocore logs decoding errors; keep that out of the fuzzer's output and time. */
static void fuzz_init(void)
{
	static bool done;
	static void *ctx;

	if (done) {
		return;
	}
	done = true;
	ctx = talloc_named_const(NULL, 0, "fuzz_gsup");
	osmo_init_logging2(ctx, &fuzz_log_info);
	log_target_destroy(osmo_stderr_target);
	osmo_stderr_target = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct osmo_gsup_message gsup;
	struct fac_component c;
	char text[4 * TEXT_USSD_MAX_SEPTETS + 1];
	uint8_t *copy;
	int rc;

	fuzz_init();
	/* GSUP lengths are one octet, an IPA frame at most 64 KiB: nothing bigger reaches the port. */
	if (size > 65535) {
		return 0;
	}
	/* The port hands the decoder a msgb, which always has tailroom; libosmocore 1.7 reads
	 * value[0] of some zero-length IEs (message class, session state), one octet past the
	 * IE. Mirror the msgb with one spare zero octet so that upstream over-read stays inside
	 * the allocation and ASan reports only faults of our own code. */
	copy = malloc(size + 1);
	if (!copy) {
		return 0;
	}
	memcpy(copy, data, size);
	copy[size] = 0;

	rc = osmo_gsup_decode(copy, size, &gsup);
	if (rc == 0 && gsup.ss_info) {
		if (fac_decode(gsup.ss_info, gsup.ss_info_len, &c) == 0 && c.has_ussd) {
			rc = fac_ussd_text(&c, text, sizeof(text));
			if (rc >= 0 && (size_t)rc >= sizeof(text)) {
				abort();
			}
			if (rc >= 0 && strlen(text) != (size_t)rc) {
				/* a NUL inside the text would silently truncate what the menu sees */
				abort();
			}
		}
	}
	/* The decoder alone, straight on the raw bytes, too. */
	if (fac_decode(copy, size, &c) == 0 && c.has_ussd) {
		if (c.ussd_len > sizeof(c.ussd)) {
			abort();
		}
		(void)fac_ussd_text(&c, text, sizeof(text));
	}
	free(copy);
	return 0;
}
