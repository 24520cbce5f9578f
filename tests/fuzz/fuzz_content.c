/* Content packs come from operators and from the central platform: bytes -> menu_pack_parse, and
 * when a tree results, every page of every node in every language must render within the screen
 * budget of its coding (128 GSM-7 / 56 UCS-2, OsmoHLR's limits), and input must never crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/talloc.h>

#include <yordam/menu.h>
#include <yordam/text.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_screen(const char *out, int len, const struct menu_caps *caps)
{
	int coding = text_coding_of(out, len);
	long u;

	if (coding < 0 || (int)strlen(out) != len) {
		abort();
	}
	u = text_units(out, len, coding);
	if (u < 0 || u > (coding == TEXT_GSM7 ? (long)caps->gsm7 : (long)caps->ucs2)) {
		abort();
	}
}

static void render_all(const struct menu_tree *t)
{
	static const struct menu_caps caps = {128, 56};
	static const char *const inputs[] = {"1", "9", "0", "00", "8", "x"};
	char out[1024];
	unsigned i, lang, p, np, k;

	for (i = 0; i < t->n_nodes; i++) {
		for (lang = 0; lang < t->n_lang; lang++) {
			for (p = 0, np = 1; p < np && p < 64; p++) {
				struct menu_cursor c = {t->nodes[i], p};
				const char *notice = (p & 1) ? t->ui[MENU_UI_INVALID][lang] : NULL;
				int len = menu_render(t, &c, lang, &caps, notice, out, sizeof(out), &np);

				if (len <= 0) {
					abort();
				}
				check_screen(out, len, &caps);
			}
			for (k = 0; k < sizeof(inputs) / sizeof(inputs[0]); k++) {
				struct menu_cursor c = {t->nodes[i], 0};
				unsigned l = lang;

				if (menu_input(t, &c, &l, &caps, inputs[k]) != MENU_A_INVALID) {
					int len = menu_render(t, &c, l, &caps, NULL, out, sizeof(out), &np);

					if (len <= 0) {
						abort();
					}
					check_screen(out, len, &caps);
				}
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	void *ctx = talloc_new(NULL);
	struct menu_report rep = {0};
	struct menu_tree *t = menu_pack_parse(ctx, "fuzz.pack", (const char *)data, size, "en", &rep);

	if (t) {
		render_all(t);
	}
	talloc_free(ctx);
	return 0;
}
