/* The keyword router: what a received text asks for. Pure code over the menu tree.
 *
 * Keywords come from the content (keywords.LANG on nodes); command words (HELP, STOP, START,
 * MORE) and the channel's few interface strings are a small built-in multilingual table instead:
 * STOP must work in every language whatever the content holds, and a content pack without them
 * must not break opting out. Both sides of a comparison are normalised to one Latin form
 * (lowercase, Cyrillic transliterated, apostrophes dropped), so HUQUQ, huquq, ҲУҚУҚ and Huquq
 * are one word; one edit (restricted Damerau-Levenshtein) is forgiven in words of 4+ letters. */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include <yordam/menu.h>
#include <yordam/sms.h>
#include <yordam/text.h>

#define KW_MAX 64 /* longest normalised word compared; longer words never match */

static bool is_cyrillic(uint32_t cp)
{
	return cp >= 0x400 && cp <= 0x4ff;
}

/* The content's own normalisation (menu_keyword_norm: case, script, apostrophes), then anything that is not a
 * letter or digit dropped too, so "HELP!" and "help." are HELP. */
size_t sms_kw_norm(const char *word, size_t len, char *out, size_t outlen)
{
	char *n;
	size_t i, o = 0;

	if (!outlen) {
		return 0;
	}
	out[0] = '\0';
	n = menu_keyword_norm(NULL, word, len);
	if (!n) {
		return 0; /* invalid UTF-8 */
	}
	for (i = 0; n[i] && o + 1 < outlen; i++) {
		if (isalnum((unsigned char)n[i])) {
			out[o++] = (char)tolower((unsigned char)n[i]);
		}
	}
	out[o] = '\0';
	talloc_free(n);
	return o;
}

unsigned sms_kw_distance(const char *a, const char *b, unsigned max)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	unsigned d[KW_MAX + 1][KW_MAX + 1];

	if (la > KW_MAX || lb > KW_MAX) {
		return max + 1;
	}
	if ((la > lb ? la - lb : lb - la) > max) {
		return max + 1;
	}
	for (i = 0; i <= la; i++) {
		d[i][0] = (unsigned)i;
	}
	for (j = 0; j <= lb; j++) {
		d[0][j] = (unsigned)j;
	}
	for (i = 1; i <= la; i++) {
		unsigned row_min = max + 1;
		for (j = 1; j <= lb; j++) {
			unsigned cost = a[i - 1] == b[j - 1] ? 0 : 1;
			unsigned v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v) {
				v = d[i][j - 1] + 1;
			}
			if (d[i - 1][j - 1] + cost < v) {
				v = d[i - 1][j - 1] + cost;
			}
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v) {
				v = d[i - 2][j - 2] + 1;
			}
			d[i][j] = v;
			if (v < row_min) {
				row_min = v;
			}
		}
		if (row_min > max) {
			return max + 1;
		}
	}
	/* Early exits return max + 1: so does every result above max (callers compare with max). */
	return d[la][lb] > max ? max + 1 : d[la][lb];
}

/* --- built-in command words and interface strings ------------------------------------------ */

struct cmd_word {
	const char *word;
	enum sms_cmd_kind kind;
	const char *lang; /* a hint for a caller without a saved language */
	bool exact;	  /* never matched with a typo (STOP must not catch SHOP) */
};

static const struct cmd_word cmd_words[] = {
	{"HELP", SMS_CMD_HELP, "en", false},	    {"MENU", SMS_CMD_HELP, NULL, false},
	{"YORDAM", SMS_CMD_HELP, "uz-Latn", false}, {"ЁРДАМ", SMS_CMD_HELP, "uz-Cyrl", false},
	{"ПОМОЩЬ", SMS_CMD_HELP, "ru", false},	    {"СПРАВКА", SMS_CMD_HELP, "ru", false},
	{"МЕНЮ", SMS_CMD_HELP, NULL, false},	    {"STOP", SMS_CMD_STOP, NULL, true},
	{"СТОП", SMS_CMD_STOP, NULL, true},	    {"TO'XTAT", SMS_CMD_STOP, "uz-Latn", true},
	{"ТЎХТАТ", SMS_CMD_STOP, "uz-Cyrl", true},  {"START", SMS_CMD_START, NULL, true},
	{"СТАРТ", SMS_CMD_START, NULL, true},	    {"BOSHLA", SMS_CMD_START, "uz-Latn", true},
	{"БОШЛА", SMS_CMD_START, "uz-Cyrl", true},  {"MORE", SMS_CMD_MORE, "en", false},
	{"YANA", SMS_CMD_MORE, "uz-Latn", true},    {"ЯНА", SMS_CMD_MORE, "uz-Cyrl", true},
	{"ЕЩЕ", SMS_CMD_MORE, "ru", true},	    {"ЕЩЁ", SMS_CMD_MORE, "ru", true},
	{"ДАЛЬШЕ", SMS_CMD_MORE, "ru", false},
};

/* Language names besides the tree's own autonyms and codes. */
static const struct {
	const char *word, *lang;
} lang_words[] = {
	{"ENGLISH", "en"},     {"INGLIZ", "en"},     {"АНГЛИЙСКИЙ", "en"},     {"RUSSIAN", "ru"},
	{"RUSCHA", "ru"},      {"РУСЧА", "ru"},	     {"РУССКИЙ", "ru"},	       {"UZBEK", "uz-Latn"},
	{"O'ZBEK", "uz-Latn"}, {"ЎЗБЕК", "uz-Cyrl"}, {"УЗБЕКСКИЙ", "uz-Cyrl"}, {"LOTIN", "uz-Latn"},
	{"КИРИЛЛ", "uz-Cyrl"},
};

static const struct {
	const char *lang;
	const char *text[_NUM_SMS_UI];
} ui_texts[] = {
	{"en",
	 {
		 [SMS_UI_HELP] = "Send a keyword or a menu number (e.g. 1*2):",
		 [SMS_UI_UNKNOWN] = "Not understood. Send HELP for the keywords, or a menu number such as 1*2.",
		 [SMS_UI_STOPPED] = "You will get no more messages from us. Send START to undo.",
		 [SMS_UI_STARTED] = "Messages are on again. Send HELP for the keywords.",
		 [SMS_UI_RATE] = "Too many messages. They are saved; please wait a while before sending more.",
		 [SMS_UI_MORE] = "\nReply MORE for the rest",
		 [SMS_UI_NOTHING_MORE] = "Nothing more. Send HELP for the keywords.",
	 }},
	{"uz-Latn",
	 {
		 [SMS_UI_HELP] = "Kalit so'z yoki menyu raqamini yuboring (masalan 1*2):",
		 [SMS_UI_UNKNOWN] =
			 "Tushunilmadi. Kalit so'zlar uchun YORDAM yoki menyu raqamini (masalan 1*2) yuboring.",
		 [SMS_UI_STOPPED] = "Endi sizga xabar yubormaymiz. Qaytarish uchun START yuboring.",
		 [SMS_UI_STARTED] = "Xabarlar qayta yoqildi. Kalit so'zlar uchun YORDAM yuboring.",
		 [SMS_UI_RATE] = "Juda ko'p xabar. Xabarlaringiz saqlandi; biroz kuting.",
		 [SMS_UI_MORE] = "\nDavomi uchun YANA yuboring",
		 [SMS_UI_NOTHING_MORE] = "Boshqa hech narsa yo'q. YORDAM yuboring.",
	 }},
	{"uz-Cyrl",
	 {
		 [SMS_UI_HELP] = "Калит сўз ёки меню рақамини юборинг (масалан 1*2):",
		 [SMS_UI_UNKNOWN] = "Тушунилмади. Калит сўзлар учун ЁРДАМ ёки меню рақамини (масалан 1*2) юборинг.",
		 [SMS_UI_STOPPED] = "Энди сизга хабар юбормаймиз. Қайтариш учун START юборинг.",
		 [SMS_UI_STARTED] = "Хабарлар қайта ёқилди. Калит сўзлар учун ЁРДАМ юборинг.",
		 [SMS_UI_RATE] = "Жуда кўп хабар. Хабарларингиз сақланди; бироз кутинг.",
		 [SMS_UI_MORE] = "\nДавоми учун ЯНА юборинг",
		 [SMS_UI_NOTHING_MORE] = "Бошқа ҳеч нарса йўқ. ЁРДАМ юборинг.",
	 }},
	{"ru",
	 {
		 [SMS_UI_HELP] = "Отправьте ключевое слово или номер пункта меню (например 1*2):",
		 [SMS_UI_UNKNOWN] = "Не понятно. Отправьте ПОМОЩЬ для списка слов или номер меню, например 1*2.",
		 [SMS_UI_STOPPED] = "Вы больше не будете получать сообщения. Отправьте СТАРТ, чтобы вернуть.",
		 [SMS_UI_STARTED] = "Сообщения снова включены. Отправьте ПОМОЩЬ для списка слов.",
		 [SMS_UI_RATE] = "Слишком много сообщений. Они сохранены; подождите немного.",
		 [SMS_UI_MORE] = "\nОтветьте ЕЩЕ для продолжения",
		 [SMS_UI_NOTHING_MORE] = "Больше ничего нет. Отправьте ПОМОЩЬ.",
	 }},
};

const char *sms_ui_text(const char *lang, enum sms_ui which)
{
	unsigned i;

	if ((unsigned)which >= _NUM_SMS_UI) {
		return "";
	}
	for (i = 0; lang && i < ARRAY_SIZE(ui_texts); i++) {
		if (!strcasecmp(lang, ui_texts[i].lang)) {
			return ui_texts[i].text[which];
		}
	}
	/* "uz" alone, "ru-RU", ...: the first entry of the same base language. */
	for (i = 0; lang && i < ARRAY_SIZE(ui_texts); i++) {
		size_t n = strcspn(ui_texts[i].lang, "-");
		if (!strncasecmp(lang, ui_texts[i].lang, n) && (lang[n] == '\0' || lang[n] == '-')) {
			return ui_texts[i].text[which];
		}
	}
	return ui_texts[0].text[which];
}

/* --- matching -------------------------------------------------------------------------------- */

struct kw_match {
	const char *word; /* normalised input */
	bool cyr;	  /* the input was written in Cyrillic */
	int cur_lang;
	int best_score; /* lower is better; INT_MAX none */
	struct sms_cmd best;
	bool best_cur; /* the best match is in the caller's language */
};

static bool has_cyrillic(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint32_t cp;
		int n = text_utf8_next(s + i, len - i, &cp);
		if (n <= 0) {
			i++;
			continue;
		}
		if (is_cyrillic(cp)) {
			return true;
		}
		i += (size_t)n;
	}
	return false;
}

/* Offer one candidate word (raw, as written in the content or the table). */
static void kw_offer(struct kw_match *m, const char *raw, size_t raw_len, bool exact_only, enum sms_cmd_kind kind,
		     const struct menu_node *node, int lang)
{
	char norm[KW_MAX + 1];
	size_t wl = strlen(m->word), kl;
	bool typo = false, cur;
	int score;

	kl = sms_kw_norm(raw, raw_len, norm, sizeof(norm));
	if (!kl) {
		return;
	}
	if (strcmp(norm, m->word)) {
		if (exact_only || wl < 4 || kl < 4 || sms_kw_distance(norm, m->word, 1) > 1) {
			return;
		}
		typo = true;
	}
	/* Same word in the same script first (ҲУҚУҚ is uz-Cyrl's, HUQUQ uz-Latn's), then the caller's language. */
	score = (typo ? 2 : 0) + (has_cyrillic(raw, raw_len) != m->cyr ? 1 : 0);
	cur = lang >= 0 && lang == m->cur_lang;
	if (score < m->best_score || (score == m->best_score && cur && !m->best_cur)) {
		m->best_score = score;
		m->best_cur = cur;
		m->best.kind = kind;
		m->best.node = node;
		m->best.lang = lang;
		m->best.typo = typo;
	}
}

/* A numeric path: digits separated by '*', optionally framed like a USSD code (*1*2#). */
static bool parse_path(const struct menu_tree *t, const char *s, size_t len, int cur_lang, struct sms_cmd *cmd)
{
	static const struct menu_caps caps = {.gsm7 = TEXT_SMS_SINGLE_GSM7, .ucs2 = TEXT_SMS_SINGLE_UCS2};
	struct menu_cursor c = {.node = t->root};
	unsigned lang = cur_lang >= 0 ? (unsigned)cur_lang : t->fallback;
	size_t i;
	char tok[8];

	if (len && s[0] == '*') {
		s++;
		len--;
	}
	if (len && s[len - 1] == '#') {
		len--;
	}
	if (!len) {
		return false;
	}
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]) && s[i] != '*') {
			return false;
		}
	}
	cmd->kind = SMS_CMD_UNKNOWN;
	while (len) {
		size_t n = strcspn(s, "*");
		if (n > len) {
			n = len;
		}
		if (n == 0 || n >= sizeof(tok)) {
			return true; /* "1**2" or an absurd key: a path, but not a valid one */
		}
		memcpy(tok, s, n);
		tok[n] = '\0';
		switch (menu_input(t, &c, &lang, &caps, tok)) {
		case MENU_A_INVALID:
			return true;
		case MENU_A_LANG_SET:
			cmd->lang = (int)lang;
			break;
		case MENU_A_SHOW:
			break;
		}
		s += n;
		len -= n;
		if (len) {
			s++;
			len--;
			if (!len) {
				return true; /* trailing '*' */
			}
		}
	}
	cmd->kind = SMS_CMD_NODE;
	cmd->node = c.node;
	return true;
}

void sms_parse(const struct menu_tree *t, const char *text, int cur_lang, struct sms_cmd *cmd)
{
	struct kw_match m = {.cur_lang = cur_lang, .best_score = 1000};
	char word[KW_MAX + 1];
	const char *s = text ? text : "";
	size_t len, wlen, i;
	unsigned n, l;

	memset(cmd, 0, sizeof(*cmd));
	cmd->lang = -1;
	while (*s && isspace((unsigned char)*s)) {
		s++;
	}
	len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1])) {
		len--;
	}
	if (!len) {
		cmd->kind = SMS_CMD_EMPTY;
		return;
	}
	if (len == 1 && s[0] == '?') {
		cmd->kind = SMS_CMD_HELP;
		return;
	}
	if (t && t->root && parse_path(t, s, len, cur_lang, cmd)) {
		return;
	}
	cmd->kind = SMS_CMD_UNKNOWN;
	cmd->lang = -1;
	/* The first word decides; the rest of a message may be anything ("HUQUQ please"). */
	for (wlen = 0; wlen < len && !isspace((unsigned char)s[wlen]); wlen++) {
	}
	if (!sms_kw_norm(s, wlen, word, sizeof(word)) || strlen(word) >= KW_MAX) {
		return;
	}
	m.word = word;
	m.cyr = has_cyrillic(s, wlen);

	for (i = 0; i < ARRAY_SIZE(cmd_words); i++) {
		int lang = t && cmd_words[i].lang ? menu_lang_index(t, cmd_words[i].lang) : -1;
		kw_offer(&m, cmd_words[i].word, strlen(cmd_words[i].word), cmd_words[i].exact, cmd_words[i].kind, NULL,
			 lang < 0 ? -1 : lang);
	}
	if (!t) {
		goto done;
	}
	for (i = 0; i < ARRAY_SIZE(lang_words); i++) {
		int lang = menu_lang_index(t, lang_words[i].lang);
		if (lang >= 0) {
			kw_offer(&m, lang_words[i].word, strlen(lang_words[i].word), false, SMS_CMD_LANG, NULL, lang);
		}
	}
	for (l = 0; l < t->n_lang; l++) {
		if (t->lang_name[l]) {
			kw_offer(&m, t->lang_name[l], strlen(t->lang_name[l]), false, SMS_CMD_LANG, NULL, (int)l);
		}
		if (t->lang_code[l]) {
			kw_offer(&m, t->lang_code[l], strlen(t->lang_code[l]), true, SMS_CMD_LANG, NULL, (int)l);
		}
	}
	for (n = 0; n < t->n_nodes; n++) {
		const struct menu_node *node = t->nodes[n];
		for (l = 0; l < t->n_lang && l < MENU_MAX_LANG; l++) {
			const char *k = node->keywords[l];
			while (k && *k) {
				size_t kl = strcspn(k, ",");
				kw_offer(&m, k, kl, false, SMS_CMD_NODE, node, (int)l);
				k += kl;
				if (*k == ',') {
					k++;
				}
			}
		}
	}
done:
	if (m.best_score < 1000) {
		*cmd = m.best;
	}
}
