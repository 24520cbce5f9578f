/* Unit tests of the SMS layer: reply cost (coding, part counts at 160/153/70/67, folding, the
 * MORE cap), keywords across scripts and typos, numeric paths, reassembly (out of order,
 * duplicates, interleaved, 8/16-bit references, the incomplete timeout under a moved clock), the
 * outbox states and crash recovery, STOP/START and the rate limit. A fake modem stands in for
 * modem/ (fake_modem.c). */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <osmocom/core/application.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include <yordam/log.h>
#include <yordam/menu.h>
#include <yordam/secret.h>
#include <yordam/sms.h>
#include <yordam/store.h>
#include <yordam/text.h>

#include "fake_modem.h"

static void *g_ctx;
static struct menu_tree *g_tree;

struct fx {
	char dir[64], db[128], key[128];
	struct store *st;
	struct secret *sec;
	struct sms_service *svc;
	struct sms_cfg cfg;
	struct modem m1, m2;
	int location;
};

static const struct menu_tree *get_tree(void *data)
{
	return g_tree;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

static void fx_open(struct fx *f)
{
	assert_int_equal(store_open(g_ctx, f->db, &f->st), 0);
	assert_int_equal(secret_load(g_ctx, f->key, true, &f->sec), 0);
	f->svc = sms_alloc(g_ctx, &f->cfg, f->st, f->sec, get_tree, NULL);
	assert_non_null(f->svc);
	assert_int_equal(sms_add_modem(f->svc, &f->m1), 0);
	assert_int_equal(sms_start(f->svc), 0);
}

static void fx_close(struct fx *f)
{
	sms_free(f->svc);
	f->svc = NULL;
	store_close(f->st);
	f->st = NULL;
	talloc_free(f->sec);
	f->sec = NULL;
}

static int setup(void **state)
{
	struct fx *f = talloc_zero(g_ctx, struct fx);

	snprintf(f->dir, sizeof(f->dir), "/tmp/yordam-sms-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/y.db", f->dir);
	snprintf(f->key, sizeof(f->key), "%s/y.key", f->dir);
	sms_cfg_defaults(&f->cfg);
	f->m1 = (struct modem){.name = "m1", .ready = true};
	f->m2 = (struct modem){.name = "m2", .ready = true};
	osmo_gettimeofday_override = true;
	osmo_gettimeofday_override_time = (struct timeval){.tv_sec = 1700000000};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f->svc) {
		fx_close(f);
	}
	osmo_gettimeofday_override = false;
	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	talloc_free(f);
	return 0;
}

static void rx(struct fx *f, const char *sender, const char *text, int ref, int total, int seq, bool ref16)
{
	struct modem_sms_part p = {0};

	p.folder = 1;
	p.location = ++f->location;
	osmo_strlcpy(p.sender, sender, sizeof(p.sender));
	osmo_strlcpy(p.text, text, sizeof(p.text));
	p.sent_time = 1700000000 + f->location;
	p.coding = text_coding_of(text, strlen(text)) == TEXT_GSM7 ? MODEM_GSM7 : MODEM_UCS2;
	if (total > 1) {
		p.concat = true;
		p.concat_16bit = ref16;
		p.concat_ref = (uint16_t)ref;
		p.concat_total = (uint8_t)total;
		p.concat_seq = (uint8_t)seq;
		/* each part of a concatenated message has its own SMSC time in real life; the same time is the
		 * harder case for duplicate detection */
		p.sent_time = 1700000000;
	}
	sms_on_received(f->svc, &f->m1, &p);
}

/* Redeliver exactly the part at location loc (the modem's re-delivery of an undeleted part). */
static void rx_again(struct fx *f, const struct modem_sms_part *p)
{
	sms_on_received(f->svc, &f->m1, p);
}

struct out_rows {
	struct fx *f;
	unsigned n;
	char *text[64];
	char *number[64];
	struct store_sms_out o[64];
};

static int out_cb(void *data, const struct store_sms_out *o)
{
	struct out_rows *r = data;

	if (r->n >= 64) {
		return 1;
	}
	r->o[r->n] = *o;
	r->text[r->n] = secret_open_str(g_ctx, r->f->sec, "sms-text", o->text_enc, o->text_enc_len);
	r->number[r->n] = secret_open_str(g_ctx, r->f->sec, "msisdn", o->number_enc, o->number_enc_len);
	r->n++;
	return 0;
}

/* Outbox rows, oldest first. */
static void outbox(struct fx *f, struct out_rows *r)
{
	unsigned i;

	memset(r, 0, sizeof(*r));
	r->f = f;
	assert_int_equal(store_sms_out_recent(f->st, 64, out_cb, r), 0);
	for (i = 0; i < r->n / 2; i++) {
		struct store_sms_out t = r->o[i];
		char *a = r->text[i], *b = r->number[i];
		r->o[i] = r->o[r->n - 1 - i];
		r->text[i] = r->text[r->n - 1 - i];
		r->number[i] = r->number[r->n - 1 - i];
		r->o[r->n - 1 - i] = t;
		r->text[r->n - 1 - i] = a;
		r->number[r->n - 1 - i] = b;
	}
}

static void stats(struct fx *f, struct store_sms_stats *s)
{
	assert_int_equal(store_sms_stats(f->st, s), 0);
}

/* --- reply cost -------------------------------------------------------------------------------- */

static char *repeat(const char *unit, unsigned n)
{
	char *s = talloc_strdup(g_ctx, "");
	while (n--) {
		s = talloc_strdup_append(s, unit);
	}
	return s;
}

static int parts_of(const char *text, enum text_coding *coding)
{
	char *first, *rest;
	int n = sms_reply_cut(g_ctx, text, true, 0, "", &first, &rest);
	if (coding) {
		*coding = (enum text_coding)text_coding_of(first, strlen(first));
	}
	assert_null(rest);
	return n;
}

static void test_boundaries(void **state)
{
	enum text_coding c;

	assert_int_equal(parts_of(repeat("a", 160), &c), 1);
	assert_int_equal(c, TEXT_GSM7);
	assert_int_equal(parts_of(repeat("a", 161), NULL), 2);
	assert_int_equal(parts_of(repeat("a", 306), NULL), 2);
	assert_int_equal(parts_of(repeat("a", 307), NULL), 3);
	/* an extension character costs two septets */
	assert_int_equal(parts_of(repeat("€", 80), NULL), 1);
	assert_int_equal(parts_of(repeat("€", 81), NULL), 2);
	assert_int_equal(parts_of(repeat("ж", 70), &c), 1);
	assert_int_equal(c, TEXT_UCS2);
	assert_int_equal(parts_of(repeat("ж", 71), NULL), 2);
	assert_int_equal(parts_of(repeat("ж", 134), NULL), 2);
	assert_int_equal(parts_of(repeat("ж", 135), NULL), 3);
	/* one Cyrillic letter makes the whole text UCS-2 */
	assert_int_equal(parts_of(talloc_asprintf(g_ctx, "%sж", repeat("a", 69)), &c), 1);
	assert_int_equal(c, TEXT_UCS2);
	assert_int_equal(parts_of(talloc_asprintf(g_ctx, "%sж", repeat("a", 70)), NULL), 2);
}

static void test_folding(void **state)
{
	char *first, *rest;
	enum text_coding c;

	/* Uzbek Latin with U+02BB and U+2019 stays GSM-7: always folded */
	assert_int_equal(parts_of(talloc_asprintf(g_ctx, "Oʻzbekiston gʻalla o’rim %s", repeat("x", 100)), &c), 1);
	assert_int_equal(c, TEXT_GSM7);
	/* typographic quotes and dashes: folded only when configured */
	assert_int_equal(sms_reply_cut(g_ctx, "“Salom” — dunyo…", true, 3, "", &first, &rest), 1);
	assert_string_equal(first, "\"Salom\" - dunyo...");
	assert_int_equal(sms_reply_cut(g_ctx, "“Salom” — dunyo…", false, 3, "", &first, &rest), 1);
	assert_int_equal(text_coding_of(first, strlen(first)), TEXT_UCS2);
	/* invalid UTF-8 is an error, not a crash */
	assert_int_equal(sms_reply_cut(g_ctx, "\xff\xfe", true, 3, "", &first, &rest), -EILSEQ);
}

static void test_cap_and_more(void **state)
{
	char *text = repeat("word ", 200), *first, *rest, *again, *rest2;
	struct text_sms_split sp;
	int n;

	n = sms_reply_cut(g_ctx, text, true, 3, "\nReply MORE for the rest", &first, &rest);
	assert_int_equal(n, 3);
	assert_non_null(rest);
	assert_int_equal(text_sms_split(first, strlen(first), &sp), 3);
	assert_non_null(strstr(first, "Reply MORE"));
	/* nothing lost: what was sent plus the rest is the whole text (in words) */
	assert_int_equal((strlen(first) - strlen("\nReply MORE for the rest") + 1) / 5 + (strlen(rest) + 1) / 5, 200);
	n = sms_reply_cut(g_ctx, rest, true, 3, "\nReply MORE for the rest", &again, &rest2);
	assert_true(n >= 1 && n <= 3);
	/* a cap of one part still fits the hint */
	n = sms_reply_cut(g_ctx, text, true, 1, "\nReply MORE", &first, &rest);
	assert_int_equal(n, 1);
	assert_true(strlen(first) <= 160);
}

static void test_mask_norm(void **state)
{
	char out[32];

	sms_mask_number("+998901234567", 3, out, sizeof(out));
	assert_string_equal(out, "+*********567");
	sms_mask_number("12", 3, out, sizeof(out));
	assert_string_equal(out, "12");
	assert_int_equal(sms_number_norm("+998 90 123-45-67", out, sizeof(out)), 0);
	assert_string_equal(out, "998901234567");
	assert_int_equal(sms_number_norm("00998901234567", out, sizeof(out)), 0);
	assert_string_equal(out, "998901234567");
	assert_int_equal(sms_number_norm("Beeline", out, sizeof(out)), -EINVAL);
	assert_int_equal(sms_number_norm("+1", out, sizeof(out)), -EINVAL);
}

/* --- keywords ------------------------------------------------------------------------------------ */

static void expect_node(const char *text, int cur, const char *id, const char *lang, bool typo)
{
	struct sms_cmd cmd;

	sms_parse(g_tree, text, cur, &cmd);
	assert_int_equal(cmd.kind, SMS_CMD_NODE);
	assert_non_null(cmd.node);
	assert_string_equal(cmd.node->id, id);
	if (lang) {
		assert_int_equal(cmd.lang, menu_lang_index(g_tree, lang));
	}
	assert_int_equal(cmd.typo, typo);
}

static void expect_kind(const char *text, enum sms_cmd_kind kind)
{
	struct sms_cmd cmd;

	sms_parse(g_tree, text, -1, &cmd);
	assert_int_equal(cmd.kind, kind);
}

static void test_keywords(void **state)
{
	struct sms_cmd cmd;
	char n[64];

	assert_int_equal(sms_kw_norm("ҲУҚУҚ", strlen("ҲУҚУҚ"), n, sizeof(n)), 5);
	assert_string_equal(n, "huquq");
	sms_kw_norm("Oʻzbekcha!", strlen("Oʻzbekcha!"), n, sizeof(n));
	assert_string_equal(n, "ozbekcha");
	assert_int_equal(sms_kw_distance("rights", "rihgts", 1), 1);
	assert_int_equal(sms_kw_distance("rights", "rigths", 1), 1);
	assert_int_equal(sms_kw_distance("rights", "rxghtz", 1), 2);

	/* every script and case reaches the same node, in the language of the word */
	expect_node("HUQUQ", -1, "rights", "uz-Latn", false);
	expect_node("huquq", -1, "rights", "uz-Latn", false);
	expect_node("ҲУҚУҚ", -1, "rights", "uz-Cyrl", false);
	expect_node("ҳуқуқ please", -1, "rights", "uz-Cyrl", false);
	expect_node("права", -1, "rights", "ru", false);
	expect_node("Rights", -1, "rights", "en", false);
	/* one typo in a word of 4+ letters: transposition, substitution, deletion, insertion */
	expect_node("RIHGTS", -1, "rights", "en", true);
	expect_node("HUQUK", -1, "rights", "uz-Latn", true);
	expect_node("PRAV", -1, "rights", "ru", true);
	expect_node("counttry", -1, "countries", "en", true);
	/* a Latin transliteration of a Russian keyword still finds it */
	expect_node("prava", -1, "rights", "ru", false);
	/* two typos, or a typo in a short word: not understood */
	expect_kind("RIHGTZ", SMS_CMD_UNKNOWN);
	expect_kind("blah", SMS_CMD_UNKNOWN);
	expect_kind("", SMS_CMD_EMPTY);
	expect_kind("   ", SMS_CMD_EMPTY);
	/* commands in several languages; STOP never with a typo */
	expect_kind("help", SMS_CMD_HELP);
	expect_kind("?", SMS_CMD_HELP);
	expect_kind("помощь", SMS_CMD_HELP);
	expect_kind("STOP", SMS_CMD_STOP);
	expect_kind("стоп", SMS_CMD_STOP);
	expect_kind("STPO", SMS_CMD_UNKNOWN);
	expect_kind("start", SMS_CMD_START);
	expect_kind("more", SMS_CMD_MORE);
	expect_kind("ЕЩЁ", SMS_CMD_MORE);
	/* language names switch language */
	sms_parse(g_tree, "English", -1, &cmd);
	assert_int_equal(cmd.kind, SMS_CMD_LANG);
	assert_int_equal(cmd.lang, menu_lang_index(g_tree, "en"));
	sms_parse(g_tree, "Ўзбекча", -1, &cmd);
	assert_int_equal(cmd.kind, SMS_CMD_LANG);
	assert_int_equal(cmd.lang, menu_lang_index(g_tree, "uz-Cyrl"));
	sms_parse(g_tree, "O'zbekcha", -1, &cmd);
	assert_int_equal(cmd.lang, menu_lang_index(g_tree, "uz-Latn"));
	/* garbage never crashes */
	sms_parse(g_tree, "\xff\xfe\xc0", -1, &cmd);
	sms_parse(NULL, "help", -1, &cmd);
	assert_int_equal(cmd.kind, SMS_CMD_HELP);
}

static void test_numeric_path(void **state)
{
	static const struct menu_caps caps = {.gsm7 = 160, .ucs2 = 70};
	struct menu_cursor c = {.node = g_tree->root};
	unsigned lang = 0;
	struct sms_cmd cmd;

	/* the USSD menus' 1 then 2 */
	assert_int_equal(menu_input(g_tree, &c, &lang, &caps, "1"), MENU_A_SHOW);
	assert_int_equal(menu_input(g_tree, &c, &lang, &caps, "2"), MENU_A_SHOW);
	sms_parse(g_tree, "1*2", 0, &cmd);
	assert_int_equal(cmd.kind, SMS_CMD_NODE);
	assert_ptr_equal(cmd.node, c.node);
	sms_parse(g_tree, "*1*2#", 0, &cmd);
	assert_ptr_equal(cmd.node, c.node);
	sms_parse(g_tree, " 1 ", 0, &cmd);
	assert_string_equal(cmd.node->id, "rights");
	expect_kind("1**2", SMS_CMD_UNKNOWN);
	expect_kind("1*", SMS_CMD_UNKNOWN);
	expect_kind("7*7*7*7", SMS_CMD_UNKNOWN);
	expect_kind("99999999999999999999", SMS_CMD_UNKNOWN);
}

/* --- inbox ----------------------------------------------------------------------------------------- */

static void test_single_and_reply(void **state)
{
	struct fx *f = *state;
	struct store_sms_stats s;
	struct out_rows r;
	char lang[16];
	uint8_t key[32];

	fx_open(f);
	rx(f, "+998901234567", "ПРАВА", 0, 1, 1, false);
	assert_int_equal(f->m1.n_deleted, 0); /* nothing deleted before the commit */
	sms_tick(f->svc);
	assert_int_equal(f->m1.n_deleted, 1);
	stats(f, &s);
	assert_int_equal(s.msg_handled, 1);
	outbox(f, &r);
	assert_true(r.n >= 1);
	assert_string_equal(r.number[0], "+998901234567");
	assert_int_equal(r.o[0].coding, MODEM_UCS2);
	assert_non_null(strstr(r.text[0], "права")); /* the Russian title of the node */
	/* the keyword's language became the caller's */
	assert_int_equal(secret_hash(f->sec, "msisdn", "998901234567", key), 0);
	assert_int_equal(store_caller_lang_get(f->st, key, lang, sizeof(lang)), 0);
	assert_string_equal(lang, "ru");
	/* handed to the modem */
	assert_int_equal(f->m1.n_sent, r.n);
	assert_string_equal(f->m1.sent[0].number, "+998901234567");
	/* a numeric path now answers in Russian */
	rx(f, "+998901234567", "1", 0, 1, 1, false);
	sms_tick(f->svc);
	outbox(f, &r);
	assert_true(r.n >= 2);
	assert_int_equal(r.o[r.n - 1].seq, r.o[r.n - 1].total);
	assert_non_null(strstr(r.text[r.n - r.o[r.n - 1].total], "права"));
}

static void test_reassembly(void **state)
{
	struct fx *f = *state;
	struct store_sms_stats s;
	struct modem_sms_part again;
	struct out_rows r;

	fx_open(f);
	/* out of order, interleaved with another sender using the same reference, a duplicate part */
	rx(f, "+998901111111", "HUQUQ ", 7, 3, 3, false);
	rx(f, "+998902222222", "RIGH", 7, 2, 1, false);
	rx(f, "+998901111111", "xyz ", 7, 3, 1, false);
	sms_tick(f->svc);
	stats(f, &s);
	assert_int_equal(s.msg_handled + s.msg_new, 0);
	assert_int_equal(s.parts_open, 3);
	assert_int_equal(f->m1.n_deleted, 3); /* stored parts are deleted even before their message is complete */
	rx(f, "+998901111111", "xyz ", 7, 3, 1, false); /* duplicate of part 1 */
	/* the same reference as 16-bit is another message */
	rx(f, "+998901111111", "STOP", 7, 2, 1, true);
	rx(f, "+998902222222", "TS", 7, 2, 2, false);
	rx(f, "+998901111111", "abc ", 7, 3, 2, false);
	sms_tick(f->svc);
	stats(f, &s);
	assert_int_equal(s.msg_handled, 2);
	assert_int_equal(s.msg_incomplete, 0);
	assert_int_equal(s.parts_open, 1); /* the 16-bit one waits for its part 2 */
	assert_int_equal(f->m1.n_deleted, 7);
	struct sms_counters c;
	sms_get_counters(f->svc, &c);
	assert_int_equal(c.rx_duplicates, 1);
	outbox(f, &r);
	/* "RIGH"+"TS" = RIGHTS: the English menu; "xyz abc HUQUQ" is not understood (first word xyz) */
	assert_int_equal(r.n, 2);

	/* a part delivered again after its message was handled is a duplicate, not a new message */
	memset(&again, 0, sizeof(again));
	again.folder = 1;
	again.location = 99;
	osmo_strlcpy(again.sender, "+998902222222", sizeof(again.sender));
	osmo_strlcpy(again.text, "TS", sizeof(again.text));
	again.sent_time = 1700000000;
	again.concat = true;
	again.concat_ref = 7;
	again.concat_total = 2;
	again.concat_seq = 2;
	again.coding = MODEM_GSM7;
	rx_again(f, &again);
	sms_tick(f->svc);
	stats(f, &s);
	assert_int_equal(s.msg_handled, 2);
	assert_int_equal(f->m1.n_deleted, 8);
}

static void test_single_duplicate_window(void **state)
{
	struct fx *f = *state;
	struct modem_sms_part p = {.folder = 1, .location = 5, .coding = MODEM_GSM7};
	struct store_sms_stats s;

	fx_open(f);
	osmo_strlcpy(p.sender, "+998903333333", sizeof(p.sender));
	osmo_strlcpy(p.text, "HELP", sizeof(p.text));
	rx_again(f, &p);
	rx_again(f, &p); /* no SMSC time: a duplicate within the window */
	sms_tick(f->svc);
	stats(f, &s);
	assert_int_equal(s.msg_handled, 1);
	osmo_gettimeofday_override_add(f->cfg.dup_window + 1, 0);
	rx_again(f, &p); /* later: the same text again is a new message */
	sms_tick(f->svc);
	stats(f, &s);
	assert_int_equal(s.msg_handled, 2);
	/* with an SMSC time, a re-delivery is a duplicate however late */
	p.sent_time = 1700000123;
	rx_again(f, &p);
	osmo_gettimeofday_override_add(86400, 0);
	rx_again(f, &p);
	sms_tick(f->svc);
	stats(f, &s);
	assert_int_equal(s.msg_handled, 3);
}

static void test_incomplete_timeout(void **state)
{
	struct fx *f = *state;
	struct store_sms_stats s;

	fx_open(f);
	rx(f, "+998904444444", "HUQUQ ", 200, 3, 1, false);
	rx(f, "+998904444444", "end", 200, 3, 3, false);
	sms_tick(f->svc);
	osmo_gettimeofday_override_add(f->cfg.incomplete_timeout - 1, 0);
	sms_tick(f->svc);
	stats(f, &s);
	assert_int_equal(s.msg_handled, 0);
	assert_int_equal(s.parts_open, 2);
	osmo_gettimeofday_override_add(2, 0);
	sms_tick(f->svc);
	stats(f, &s);
	assert_int_equal(s.msg_handled, 1);
	assert_int_equal(s.msg_incomplete, 1);
	assert_int_equal(s.parts_open, 0);

	/* a restart in between resumes from the deadline in the store */
	rx(f, "+998904444444", "HUQUQ ", 201, 2, 1, false);
	sms_tick(f->svc);
	fx_close(f);
	osmo_gettimeofday_override_add(f->cfg.incomplete_timeout + 5, 0);
	fx_open(f);
	sms_tick(f->svc);
	stats(f, &s);
	assert_int_equal(s.msg_handled, 2);
	assert_int_equal(s.msg_incomplete, 2);
}

/* --- outbox ------------------------------------------------------------------------------------------ */

static void test_outbox_states(void **state)
{
	struct fx *f = *state;
	struct store_sms_stats s;
	struct out_rows r;
	int64_t next;

	f->cfg.retry_max = 2;
	fx_open(f);
	assert_int_equal(sms_send(f->svc, "+998905555555", "Salom", "uz-Latn", 0), 1);
	assert_int_equal(sms_send(f->svc, "+998905555556", "Salom 2", NULL, 0), 1);
	sms_tick(f->svc);
	assert_int_equal(f->m1.n_sent, 2);
	stats(f, &s);
	assert_int_equal(s.out_sending, 2);
	sms_on_send_result(f->svc, &f->m1, f->m1.sent[0].id, 0, 42);
	sms_on_send_result(f->svc, &f->m1, f->m1.sent[1].id, -EIO, -1);
	sms_tick(f->svc);
	stats(f, &s);
	assert_int_equal(s.out_sent, 1);
	assert_int_equal(s.out_retry, 1);
	/* the retry waits (backoff with jitter: 3/4 to 5/4 of retry_base) */
	assert_int_equal(store_sms_out_next_at(f->st, &next), 0);
	assert_true(next >= 1700000000 + f->cfg.retry_base * 3 / 4);
	assert_true(next <= 1700000000 + f->cfg.retry_base * 5 / 4 + 1);
	sms_tick(f->svc);
	assert_int_equal(f->m1.n_sent, 2);
	osmo_gettimeofday_override_add(f->cfg.retry_base * 2, 0);
	sms_tick(f->svc);
	assert_int_equal(f->m1.n_sent, 3);
	sms_on_send_result(f->svc, &f->m1, f->m1.sent[2].id, -ETIMEDOUT, -1);
	sms_tick(f->svc);
	stats(f, &s);
	assert_int_equal(s.out_failed, 1); /* retry_max attempts */
	/* a delivery report lands on the part with that reference */
	sms_on_delivery_report(f->svc, &f->m1, 42, "998905555555", 0);
	stats(f, &s);
	assert_int_equal(s.out_reports, 1);
	outbox(f, &r);
	assert_int_equal(r.o[0].report, 0);
	assert_int_equal(r.o[0].mr, 42);

	/* opted out: only direct replies */
	rx(f, "+998905555555", "STOP", 0, 1, 1, false);
	sms_tick(f->svc);
	assert_int_equal(sms_send(f->svc, "+998905555555", "news", NULL, 0), -EPERM);
	assert_int_equal(sms_send(f->svc, "+998905555555", "answer", NULL, SMS_SEND_DIRECT), 1);
	rx(f, "+998905555555", "start", 0, 1, 1, false);
	sms_tick(f->svc);
	assert_int_equal(sms_send(f->svc, "+998905555555", "news", NULL, 0), 1);
	assert_int_equal(sms_send(f->svc, "Beeline", "x", NULL, 0), -EINVAL);
}

static void test_no_modem_and_spread(void **state)
{
	struct fx *f = *state;
	struct store_sms_stats s;
	unsigned i;

	f->m1.ready = false;
	fx_open(f);
	f->m2.prefix = "+7";
	assert_int_equal(sms_add_modem(f->svc, &f->m2), 0);
	f->m2.ready = false;
	for (i = 0; i < 4; i++) {
		assert_int_equal(sms_send(f->svc, i % 2 ? "+79001234567" : "+998901234567", "x", NULL, 0), 1);
	}
	sms_tick(f->svc);
	stats(f, &s);
	assert_int_equal(s.out_queued, 4); /* nobody ready: waits, nothing lost */
	f->m1.ready = f->m2.ready = true;
	sms_on_state_changed(f->svc, &f->m1, MODEM_ST_READY);
	sms_tick(f->svc);
	/* the +7 numbers leave through the modem that prefers them; the others through any */
	assert_int_equal(f->m1.n_sent + f->m2.n_sent, 4);
	for (i = 0; i < f->m1.n_sent; i++) {
		assert_int_not_equal(strncmp(f->m1.sent[i].number, "+7", 2), 0);
	}
	/* a modem that refuses (queue full) does not lose the part */
	f->m1.send_rc = -EAGAIN;
	f->m2.ready = false;
	assert_int_equal(sms_send(f->svc, "+998901234567", "y", NULL, 0), 1);
	sms_tick(f->svc);
	sms_tick(f->svc);
	stats(f, &s);
	assert_int_equal(s.out_queued, 1);
	f->m1.send_rc = 0;
	i = f->m1.n_sent;
	sms_on_send_result(f->svc, &f->m1, 12345, 0,
			   1); /* any result frees the modem's queue; unknown ids are ignored */
	sms_tick(f->svc);
	assert_int_equal(f->m1.n_sent, i + 1);
	stats(f, &s);
	assert_int_equal(s.out_queued, 0);
	assert_true(f->m1.n_sent >= 1);
	sms_remove_modem(f->svc, &f->m2);
}

static void test_crash_recovery(void **state)
{
	struct fx *f = *state;
	struct store_sms_stats s;

	fx_open(f);
	rx(f, "+998906666666", "HUQUQ", 0, 1, 1, false);
	sms_tick(f->svc);
	stats(f, &s);
	assert_int_equal(s.out_sending, 1);
	/* "kill -9": the result never comes; reopen the store */
	fx_close(f);
	f->m1.n_sent = 0;
	fx_open(f);
	stats(f, &s);
	assert_int_equal(s.out_sending + s.out_retry, 1);
	sms_tick(f->svc);
	assert_int_equal(f->m1.n_sent, 1); /* sent again */
	stats(f, &s);
	assert_int_equal(s.msg_handled, 1); /* and answered once: no second reply queued */
	assert_int_equal(s.out_sending, 1);

	/* a message stored but not processed before the crash is processed at start */
	rx(f, "+998906666667", "HELP", 0, 1, 1, false);
	/* commit the part without processing it: run only the receive step, then "crash" */
	sms_free(f->svc); /* flushes received parts (committed), no processing */
	f->svc = NULL;
	stats(f, &s);
	assert_int_equal(s.msg_new, 1);
	store_close(f->st);
	talloc_free(f->sec);
	fx_open(f);
	sms_tick(f->svc);
	stats(f, &s);
	assert_int_equal(s.msg_new, 0);
	assert_int_equal(s.msg_handled, 2);
}

static void test_rate_limit(void **state)
{
	struct fx *f = *state;
	struct store_sms_stats s;
	struct out_rows r;
	unsigned i;

	f->cfg.rate_limit = 2;
	f->cfg.rate_window = 60;
	fx_open(f);
	for (i = 0; i < 6; i++) {
		rx(f, "+998907777777", i % 2 ? "help" : "huquq", 0, 1, 1, false);
	}
	rx(f, "+998908888888", "help", 0, 1, 1, false);
	sms_tick(f->svc);
	stats(f, &s);
	assert_int_equal(s.msg_handled, 3);
	assert_int_equal(s.msg_quarantined, 4);
	outbox(f, &r);
	/* two answers + one notice for the flooder, one answer for the other */
	unsigned flooder = 0, other = 0, notices = 0;
	for (i = 0; i < r.n; i++) {
		if (!strcmp(r.number[i], "+998907777777")) {
			flooder++;
			if (strstr(r.text[i], "Too many") || strstr(r.text[i], "ko'p")) {
				notices++;
			}
		} else {
			other++;
		}
	}
	assert_int_equal(notices, 1);
	assert_true(other >= 1);
	/* after the window they are answered again */
	osmo_gettimeofday_override_add(61, 0);
	rx(f, "+998907777777", "help", 0, 1, 1, false);
	sms_tick(f->svc);
	stats(f, &s);
	assert_int_equal(s.msg_handled, 4);
}

static void test_more(void **state)
{
	struct fx *f = *state;
	struct out_rows r;
	unsigned before;

	f->cfg.parts_max = 1;
	fx_open(f);
	rx(f, "+998909999999", "English", 0, 1, 1, false);
	rx(f, "+998909999999", "1*1", 0, 1, 1, false); /* an article: longer than 1 part */
	sms_tick(f->svc);
	outbox(f, &r);
	assert_int_equal(r.n, 2);
	r.text[0] = r.text[1];
	r.n = 1;
	assert_int_equal(r.n, 1);
	assert_non_null(strstr(r.text[0], "MORE"));
	before = r.n;
	rx(f, "+998909999999", "MORE", 0, 1, 1, false);
	sms_tick(f->svc);
	outbox(f, &r);
	assert_true(r.n > before);
	rx(f, "+998909999999", "MORE", 0, 1, 1, false);
	rx(f, "+998909999999", "MORE", 0, 1, 1, false);
	rx(f, "+998909999999", "MORE", 0, 1, 1, false);
	sms_tick(f->svc);
	outbox(f, &r);
	assert_non_null(strstr(r.text[r.n - 1], "Nothing more"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boundaries),
		cmocka_unit_test(test_folding),
		cmocka_unit_test(test_cap_and_more),
		cmocka_unit_test(test_mask_norm),
		cmocka_unit_test(test_keywords),
		cmocka_unit_test(test_numeric_path),
		cmocka_unit_test_setup_teardown(test_single_and_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reassembly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_single_duplicate_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incomplete_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_states, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_modem_and_spread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_recovery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_more, setup, teardown),
	};
	char dir[512];
	const char *src = getenv("YORDAM_SRC");
	struct menu_report rep = {0};
	int rc;

	g_ctx = talloc_named_const(NULL, 0, "test_sms");
	osmo_init_logging2(g_ctx, &yordam_log_info);
	log_set_log_level(osmo_stderr_target, LOGL_ERROR);
	snprintf(dir, sizeof(dir), "%s/menus/content", src ? src : ".");
	g_tree = menu_pack_load(g_ctx, dir, "en", &rep);
	if (!g_tree) {
		fprintf(stderr, "cannot load %s\n", dir);
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	talloc_free(g_tree);
	return rc;
}
