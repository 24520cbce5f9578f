/* Average SMS parts per reply over every node and language of a content pack: our reply path
 * (folding, GSM-7 when possible, word-boundary split, no cap) against naive UCS-2 (every reply
 * UCS-2, 70/67 per part, unfolded). Prints the figures; asserts nothing. */
#include <stdio.h>
#include <string.h>

#include <osmocom/core/talloc.h>

#include <yordam/menu.h>
#include <yordam/sms.h>
#include <yordam/text.h>

static unsigned naive_ucs2_parts(const char *s)
{
	long units = text_units(s, strlen(s), TEXT_UCS2);

	if (units <= TEXT_SMS_SINGLE_UCS2) {
		return 1;
	}
	return (unsigned)((units + TEXT_SMS_PART_UCS2 - 1) / TEXT_SMS_PART_UCS2);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "menus/content";
	struct menu_report rep = {0};
	void *ctx = talloc_named_const(NULL, 0, "sms_parts");
	struct menu_tree *t = menu_pack_load(ctx, dir, "en", &rep);
	unsigned long replies = 0, ours = 0, naive = 0, gsm7 = 0, capped = 0;
	unsigned n, l;

	if (!t) {
		fprintf(stderr, "cannot load %s\n", dir);
		return 1;
	}
	printf("%-8s %8s %10s %10s %8s\n", "lang", "replies", "ours", "naive", "gsm7");
	for (l = 0; l < t->n_lang; l++) {
		unsigned long r = 0, o = 0, v = 0, g = 0;
		for (n = 0; n < t->n_nodes; n++) {
			char *raw = menu_sms_text(ctx, t, t->nodes[n], l), *first, *rest;
			int parts;
			if (!raw) {
				continue;
			}
			parts = sms_reply_cut(ctx, raw, true, 0, "", &first, &rest);
			if (parts < 0) {
				fprintf(stderr, "node %s: %d\n", t->nodes[n]->id, parts);
				return 1;
			}
			r++;
			o += (unsigned)parts;
			v += naive_ucs2_parts(raw);
			g += text_coding_of(first, strlen(first)) == TEXT_GSM7;
			capped += parts > 3;
			talloc_free(first);
			talloc_free(raw);
		}
		printf("%-8s %8lu %10.2f %10.2f %7lu%%\n", t->lang_code[l], r, r ? (double)o / r : 0,
		       r ? (double)v / r : 0, r ? 100 * g / r : 0);
		replies += r;
		ours += o;
		naive += v;
		gsm7 += g;
	}
	printf("all      %8lu %10.2f %10.2f %7lu%%\n", replies, (double)ours / replies, (double)naive / replies,
	       100 * gsm7 / replies);
	printf("average parts per reply: ours %.2f, naive UCS-2 %.2f (%.0f%% fewer parts); %lu replies over the"
	       " default cap of 3 parts (sent with \"reply MORE\")\n",
	       (double)ours / replies, (double)naive / replies, 100.0 * (1.0 - (double)ours / (double)naive), capped);
	talloc_free(ctx);
	return 0;
}
