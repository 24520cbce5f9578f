/* Fuzz the SMS text/keyword parser and the reply cutter with arbitrary received text against the
 * bundled content. Input: byte 0 = the caller's language (mod 5, minus 1), byte 1 = parts cap
 * (mod 5), rest = the text (NUL bytes end it, as in a modem's event). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/talloc.h>

#include <yordam/menu.h>
#include <yordam/sms.h>
#include <yordam/text.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)              \
	do {                     \
		if (!(cond)) {   \
			abort(); \
		}                \
	} while (0)

static struct menu_tree *tree;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct text_sms_split sp;
	struct sms_cmd cmd;
	char *text, *first, *rest, norm[80];
	int cur, n;

	if (!tree) {
		struct menu_report rep = {0};
		tree = menu_pack_load(NULL, YORDAM_SRC_DIR "/menus/content", "en", &rep);
		CHECK(tree);
	}
	if (size < 2) {
		return 0;
	}
	cur = data[0] % 5 - 1;
	text = strndup((const char *)data + 2, size - 2);
	CHECK(text);
	sms_parse(tree, text, cur, &cmd);
	CHECK(cmd.kind <= SMS_CMD_EMPTY);
	CHECK(cmd.kind != SMS_CMD_NODE || cmd.node);
	CHECK(cmd.lang >= -1 && cmd.lang < (int)tree->n_lang);
	n = (int)sms_kw_norm(text, strlen(text), norm, sizeof(norm));
	CHECK(n >= 0 && (size_t)n < sizeof(norm) && strlen(norm) == (size_t)n);
	CHECK(sms_kw_distance(norm, "huquq", 1) <= 2);

	n = sms_reply_cut(NULL, text, data[1] & 0x80, data[1] % 5, "\nReply MORE", &first, &rest);
	if (n >= 0) {
		CHECK(first);
		CHECK(text_sms_split(first, strlen(first), &sp) == n);
		CHECK(data[1] % 5 == 0 || n <= data[1] % 5);
		CHECK(!rest || data[1] % 5);
		talloc_free(first);
		talloc_free(rest);
	} else {
		CHECK(!text_utf8_valid(text, strlen(text)) || n == -E2BIG || n == -ENOMEM);
	}
	free(text);
	return 0;
}
