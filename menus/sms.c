/* The SMS reply of a node: the same content as its USSD screens, in one unpaginated text. Used by
 * the SMS channel to answer a keyword or a path, and by `yordamctl content validate` to report
 * what each reply costs (text_sms_split). */
#include <errno.h>
#include <string.h>

#include <osmocom/core/talloc.h>

#include <yordam/menu.h>
#include <yordam/text.h>

#include "menu_priv.h"

static const char *str_or_empty(const char *s)
{
	return s ? s : "";
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Append "\nK text" for entry k (0-based). */
static char *add_item(char *s, unsigned k, const char *text)
{
	return s ? talloc_asprintf_append(s, "\n%u %s", k + 1, str_or_empty(text)) : NULL;
}

/* White space trimmed at both ends, in place. */
static char *trim(char *s)
{
	size_t len, start = 0;

	if (!s) {
		return NULL;
	}
	len = strlen(s);
	while (start < len && is_ws(s[start])) {
		start++;
	}
	while (len > start && is_ws(s[len - 1])) {
		len--;
	}
	memmove(s, s + start, len - start);
	s[len - start] = '\0';
	return s;
}

char *menu_sms_text(void *ctx, const struct menu_tree *t, const struct menu_node *n, unsigned lang)
{
	void *tmp;
	char *s = NULL, *body, *out;
	unsigned k;
	long len;

	if (!t || !n || lang >= t->n_lang || lang >= MENU_MAX_LANG) {
		return NULL;
	}
	tmp = talloc_new(ctx);
	if (!tmp) {
		return NULL;
	}
	switch (n->kind) {
	case MENU_K_ARTICLE:
		s = talloc_asprintf(tmp, "%s\n%s", str_or_empty(n->title[lang]), str_or_empty(n->body[lang]));
		break;
	case MENU_K_MENU:
		s = talloc_strdup(tmp, str_or_empty(n->title[lang]));
		for (k = 0; k < n->n_child && k < MENU_MAX_CHILDREN && n->child; k++) {
			s = add_item(s, k, n->child[k]->title[lang]);
		}
		break;
	case MENU_K_LANGUAGE:
		s = talloc_strdup(tmp, str_or_empty(t->ui[MENU_UI_CHOOSE_LANG][lang]));
		for (k = 0; k < t->n_lang && k < MENU_MAX_CHILDREN; k++) {
			s = add_item(s, k, t->lang_name[k]);
		}
		break;
	case MENU_K_HOTLINES:
		body = talloc_size(tmp, MENU_BODY_MAX);
		len = body ? menu_hotline_body(t, n, lang, body, MENU_BODY_MAX) : -ENOMEM;
		s = len < 0 ? NULL : body;
		break;
	case MENU_K_COMPLAINT:
	case MENU_K_CALLBACK:
	case MENU_K_STATUS:
		/* USSD forms: by SMS the title only (the SMS paths have their own keywords). */
		s = talloc_strdup(tmp, str_or_empty(n->title[lang]));
		break;
	default:
		break;
	}
	out = s ? trim(text_fold(ctx, s, TEXT_FOLD_UZ)) : NULL;
	talloc_free(tmp);
	return out;
}
