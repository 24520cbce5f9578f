/* Replies at the lowest cost: fold, choose the coding, cut to a cap of parts with a MORE hint.
 * Pure code (talloc only). */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include <osmocom/core/talloc.h>

#include <yordam/sms.h>
#include <yordam/text.h>

/* Here, not in sms.c, so the configuration can use the defaults without linking the service. */
void sms_cfg_defaults(struct sms_cfg *cfg)
{
	*cfg = (struct sms_cfg){
		.parts_max = 3,
		.fold_typo = true,
		.rate_limit = 10,
		.rate_window = 600,
		.incomplete_timeout = 600,
		.dup_window = 300,
		.retry_max = 6,
		.retry_base = 30,
		.retry_cap = 3600,
		.delivery_reports = false,
	};
}

void sms_mask_number(const char *number, unsigned keep, char *out, size_t outlen)
{
	size_t len, i;

	if (!outlen) {
		return;
	}
	if (!number) {
		number = "";
	}
	len = strnlen(number, outlen - 1);
	for (i = 0; i < len; i++) {
		char c = number[i];
		/* Only the last keep characters and a leading '+' stay readable. */
		out[i] = (i + keep >= len || (i == 0 && c == '+')) ? c : '*';
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] >= 0x7f) {
			out[i] = '?';
		}
	}
	out[len] = '\0';
}

int sms_number_norm(const char *number, char *out, size_t outlen)
{
	const char *p = number;
	size_t o = 0;

	if (!number || !out || outlen < 2) {
		return -EINVAL;
	}
	while (*p == ' ') {
		p++;
	}
	if (*p == '+') {
		p++;
	} else if (p[0] == '0' && p[1] == '0') {
		p += 2;
	}
	for (; *p; p++) {
		if (*p == ' ' || *p == '-') {
			continue;
		}
		if (!isdigit((unsigned char)*p) || o + 1 >= outlen || o >= 20) {
			return -EINVAL;
		}
		out[o++] = *p;
	}
	out[o] = '\0';
	return o >= 3 ? 0 : -EINVAL;
}

int sms_reply_cut(void *ctx, const char *text, bool fold_typo, unsigned parts_max, const char *more_hint, char **first,
		  char **rest)
{
	struct text_sms_split *sp;
	char *folded, *cand = NULL;
	size_t len, cut;
	int n;

	*first = *rest = NULL;
	if (!text) {
		return -EINVAL;
	}
	folded = text_fold(ctx, text, TEXT_FOLD_UZ | (fold_typo ? TEXT_FOLD_TYPO : 0));
	if (!folded) {
		return -EILSEQ;
	}
	sp = talloc(ctx, struct text_sms_split);
	if (!sp) {
		talloc_free(folded);
		return -ENOMEM;
	}
	len = strlen(folded);
	n = text_sms_split(folded, len, sp);
	if (n >= 0 && (parts_max == 0 || (unsigned)n <= parts_max)) {
		*first = folded;
		talloc_free(sp);
		return n;
	}
	if (n < 0 && n != -E2BIG) {
		talloc_free(sp);
		talloc_free(folded);
		return n;
	}
	if (parts_max == 0) {
		parts_max = TEXT_SMS_MAX_PARTS;
	}
	/* Too long: keep what fits in parts_max parts together with the hint, cutting back a word at a time. */
	cut = n > 0 ? sp->end[parts_max - 1] : len;
	if (!more_hint) {
		more_hint = "";
	}
	for (;;) {
		size_t c = cut;

		talloc_free(cand);
		cand = talloc_asprintf(ctx, "%.*s%s", (int)cut, folded, more_hint);
		if (!cand) {
			n = -ENOMEM;
			break;
		}
		n = text_sms_split(cand, strlen(cand), sp);
		if (n >= 0 && (unsigned)n <= parts_max) {
			break;
		}
		if (cut == 0) {
			n = -E2BIG; /* the hint alone does not fit: a cap this small is a configuration error */
			break;
		}
		/* Back to the previous white space, or else one character. */
		while (c > 0 && !isspace((unsigned char)folded[c - 1])) {
			c--;
		}
		while (c > 0 && isspace((unsigned char)folded[c - 1])) {
			c--;
		}
		if (c == 0 || cut - c > 40) {
			c = cut - 1;
			while (c > 0 && ((unsigned char)folded[c] & 0xc0) == 0x80) {
				c--;
			}
		}
		cut = c;
	}
	talloc_free(sp);
	if (n < 0) {
		talloc_free(cand);
		talloc_free(folded);
		return n;
	}
	while (folded[cut] && isspace((unsigned char)folded[cut])) {
		cut++;
	}
	if (folded[cut]) {
		*rest = talloc_strdup(ctx, folded + cut);
		if (!*rest) {
			talloc_free(cand);
			talloc_free(folded);
			return -ENOMEM;
		}
	}
	talloc_free(folded);
	*first = cand;
	return n;
}
