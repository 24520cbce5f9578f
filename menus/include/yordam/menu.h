/* The menu model: a tree of nodes with texts per language, the hotline directory, and the
 * interface strings. Pure code: no I/O except reading a content pack directory (menu_pack_load)
 * and the store calls of menu_tree_load / menu_tree_save. No knowledge of USSD or SMS
 * transports: the caller passes the screen capacity (struct menu_caps).
 *
 * The content pack format is documented in docs/content-format.md. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <yordam/store.h>

#define MENU_MAX_LANG	  16
#define MENU_MAX_CHILDREN 8 /* keys 1..8; 9 is "more", 0 "back", 00 "home" */

enum menu_kind {
	MENU_K_MENU,	 /* submenu: lists its children */
	MENU_K_ARTICLE,	 /* paged text (field "body") */
	MENU_K_HOTLINES, /* the hotlines of one country (node key "country") */
	MENU_K_LANGUAGE, /* language/script picker */
	/* Served by the USSD engine with the cases service (struct ussd_case_ops); rendered on their
	 * own (validate, SMS) as their title. Their screens come from the form ui texts below. */
	MENU_K_COMPLAINT, /* the complaint intake form */
	MENU_K_CALLBACK,  /* "call me back" */
	MENU_K_STATUS,	  /* "check my case" */
};

/* Interface strings every language must have (section [ui] of a pack). */
enum menu_ui {
	MENU_UI_BACK,	     /* "Back" (key 0) */
	MENU_UI_HOME,	     /* "Home" (key 00) */
	MENU_UI_MORE,	     /* "More" (key 9) */
	MENU_UI_INVALID,     /* shown above the screen after invalid input */
	MENU_UI_CHOOSE_LANG, /* heading of the language picker */
	MENU_UI_LANG_SAVED,  /* confirmation after a language is chosen */
	MENU_UI_NO_HOTLINES, /* a country with no hotline entries */
	MENU_UI_TIMEOUT,     /* final screen when the dialog timed out */
	MENU_UI_GOODBYE,     /* final screen when the caller leaves */
	MENU_UI_EXAMPLE,     /* label put before a hotline entry marked example (placeholder) */
	MENU_UI_RESUME,	     /* offered on a redial soon after a dialog broke off: "1 Continue\n2 Start over" */
	_NUM_MENU_UI,	     /* the texts every pack has */
	/* Texts of the complaint / callback / status nodes (the forms): required in every language
	 * only when the pack has such a node (else they may be absent: NULL). Counted apart
	 * (_NUM_MENU_UI_ALL) so that code that checks "every ui text" keeps to the texts every pack
	 * must have. */
	MENU_UI_CASE_UNAVAIL = _NUM_MENU_UI, /* the cases service is off: "not available yet, call a hotline" */
	MENU_UI_CASE_ERROR,		     /* final: the service failed, nothing promised */
	MENU_UI_CASE_CAT,		     /* heading of the category list */
	MENU_UI_CASE_CAT1,		     /* unpaid wages */
	MENU_UI_CASE_CAT2,		     /* retained passport or documents */
	MENU_UI_CASE_CAT3,		     /* unsafe work */
	MENU_UI_CASE_CAT4,		     /* fraudulent recruiter */
	MENU_UI_CASE_CAT5,		     /* violence or trafficking */
	MENU_UI_CASE_CAT6,		     /* detention or deportation */
	MENU_UI_CASE_CAT7,		     /* other */
	MENU_UI_CASE_COUNTRY,		     /* heading of the country list */
	MENU_UI_CASE_OTHER,		     /* "Other country", the last entry of the country list */
	MENU_UI_CASE_DETAIL,		     /* prompt: type city or employer, 0 to skip */
	MENU_UI_CASE_WHO,		     /* heading: who is it for */
	MENU_UI_CASE_SELF,		     /* "For myself" */
	MENU_UI_CASE_RELATIVE,		     /* "For a relative abroad" */
	MENU_UI_CASE_NUMBER,		     /* prompt: the migrant's phone number */
	MENU_UI_CASE_CONSENT,		     /* what happens with the data, ending with the keys "1 Agree\n2 Cancel" */
	MENU_UI_CASE_CONFIRM,		     /* heading of the summary, the keys "1 Send\n2 Cancel" follow it */
	MENU_UI_CASE_KEYS,		     /* "1 Send\n2 Cancel" */
	MENU_UI_CASE_CANCELLED,		     /* final: nothing was sent */
	MENU_UI_CASE_DONE,		     /* final, before the case number: "Complaint saved. Case:" */
	MENU_UI_CASE_PIN,		     /* final, before the PIN: "PIN:" */
	MENU_UI_CASE_KEEP,  /* final, after the PIN: "Keep them to check your case." (dropped if no room) */
	MENU_UI_CB_CONFIRM, /* "We will call this phone back.\n1 Yes" */
	MENU_UI_CB_DONE,    /* final, before the ops' "when" text */
	MENU_UI_CB_ALREADY, /* final: a callback is already pending */
	MENU_UI_ST_CASE,    /* prompt: the case number */
	MENU_UI_ST_PIN,	    /* prompt: the PIN given at intake (another phone) */
	MENU_UI_ST_UNKNOWN, /* final: unknown case or wrong PIN */
	/* SMS texts of the cases service (firmware/cases_svc.c), with {name} placeholders
	 * (menu_ui_placeholders); the same class: required only with form nodes. */
	MENU_UI_SMS_FILED,	/* {case} {pin} {digits} */
	MENU_UI_SMS_CALLBACK,	/* {case} */
	MENU_UI_SMS_NEED_TEXT,	/* keyword without a text */
	MENU_UI_SMS_STATUS,	/* {case} {status} */
	MENU_UI_SMS_UNKNOWN,	/* unknown case or wrong PIN */
	MENU_UI_SMS_MISTYPED,	/* check digit wrong */
	MENU_UI_SMS_REPLY,	/* {case}: prefix of a staff member's reply */
	MENU_UI_SMS_CLAIMED,	/* {case} */
	MENU_UI_SMS_CLOSED,	/* {case} */
	MENU_UI_SMS_EXPECT,	/* {case} {when}: nobody on duty */
	MENU_UI_STATE_RECEIVED, /* public status words */
	MENU_UI_STATE_WORKING,
	MENU_UI_STATE_ANSWERED,
	MENU_UI_STATE_CLOSED,
	MENU_UI_WHEN_SOON,  /* "as soon as possible" */
	MENU_UI_WHEN_HOURS, /* {hours}: "in about {hours} h" */
	/* SMS of the cases service to hotline staff, in the staff member's language (the first of their
	 * roster languages the pack has, else the fallback); the same class. Commands stay Latin. */
	MENU_UI_STAFF_NEW,	   /* {case} {category} {country} {lang} {escalated} {excerpt} {digits} */
	MENU_UI_STAFF_ESCALATED,   /* "(escalated)": fills {escalated} after a space, else it is empty */
	MENU_UI_STAFF_CALLBACK,	   /* {case} {country} {lang} {phone} {digits} */
	MENU_UI_STAFF_REMIND,	   /* {case}: the claimed case still waits for a reply */
	MENU_UI_STAFF_TOOK_OVER,   /* {name} {case}: told to the previous assignee */
	MENU_UI_STAFF_DUTY,	   /* {mode} {until}: ON/OFF acknowledged */
	MENU_UI_STAFF_NO_CASE,	   /* {case} */
	MENU_UI_STAFF_TAKEN,	   /* {case} {name}: someone else's case */
	MENU_UI_STAFF_SOMEONE,	   /* "someone else": fills {name} of staff_taken when not on the roster */
	MENU_UI_STAFF_STATE,	   /* {case} {state}: the command does not apply in this state */
	MENU_UI_STAFF_INFO,	   /* {case} {kind} {category} {country} {lang} {state} {escalations} {text} */
	MENU_UI_STAFF_YOURS,	   /* {case}: OK acknowledged */
	MENU_UI_STAFF_REPLIED,	   /* {case}: R acknowledged */
	MENU_UI_STAFF_CLOSED,	   /* {case}: DONE acknowledged */
	MENU_UI_STAFF_ALERT,	   /* {count} {category} {country} {employer} {window} {case}: early warning */
	MENU_UI_STAFF_EMPLOYER,	   /* {employer}: fills the alert's {employer} */
	MENU_UI_STAFF_NO_EMPLOYER, /* fills the alert's {employer} when none was given */
	MENU_UI_STAFF_DAYS,	   /* {n}: fills the alert's {window} */
	MENU_UI_STAFF_HOURS,	   /* {n}: fills the alert's {window} */
	/* The answers to a staff command the parser refused (enum cases_cmd_err; EMPTY and UNKNOWN get none):
	 * what to send instead. From here on, optional at load (MENU_UI_LATER). */
	MENU_UI_STAFF_ERR_TOO_LONG,    /* over CASES_CMD_MAX_LEN bytes */
	MENU_UI_STAFF_ERR_UNREADABLE,  /* not valid UTF-8 */
	MENU_UI_STAFF_ERR_NO_CASE,     /* no case number after OK, R, DONE, INFO */
	MENU_UI_STAFF_ERR_BAD_CASE,    /* not 7 digits */
	MENU_UI_STAFF_ERR_CHECK_DIGIT, /* 7 digits, check digit wrong */
	MENU_UI_STAFF_ERR_NO_TEXT,     /* R without a text */
	MENU_UI_STAFF_ERR_TRAILING,    /* text after OK, INFO, ON, OFF */
	/* The words staff texts are filled with: {state} (enum cases_state, in its order) and {kind}. */
	MENU_UI_STAFF_STATE_NEW,
	MENU_UI_STAFF_STATE_NOTIFIED,
	MENU_UI_STAFF_STATE_CLAIMED,
	MENU_UI_STAFF_STATE_ANSWERED,
	MENU_UI_STAFF_STATE_CLOSED,
	MENU_UI_STAFF_KIND_COMPLAINT,
	MENU_UI_STAFF_KIND_CALLBACK,
	_NUM_MENU_UI_ALL,
};
/* The ui texts from here on came after content was stored on devices: they may be absent at load even with
 * form nodes (the cases service has English for them); content validate asks for them like the others. */
#define MENU_UI_LATER MENU_UI_STAFF_ERR_TOO_LONG
extern const char *const menu_ui_keys[_NUM_MENU_UI_ALL]; /* "back", "home", "more", ... */

/* The {name} placeholders of ui text k when it is a template the cases service fills in
 * (MENU_UI_SMS_FILED .. _NUM_MENU_UI_ALL - 1): a NULL-terminated list, empty for the texts sent as they
 * are; NULL for every other ui text (shown as written, braces and all). A template holds each of its
 * placeholders and no other '{': the pack loader refuses it otherwise (file:line, key and language). */
const char *const *menu_ui_placeholders(enum menu_ui k);

const char *menu_kind_name(enum menu_kind k);
int menu_kind_parse(const char *s); /* enum value or -EINVAL */

struct menu_node {
	const char *id;
	enum menu_kind kind;
	const char *country;	  /* MENU_K_HOTLINES only, else NULL */
	struct menu_node *parent; /* NULL for the root */
	struct menu_node **child;
	unsigned n_child;
	const char *title[MENU_MAX_LANG];    /* never NULL once the tree is complete (fallback applied) */
	const char *body[MENU_MAX_LANG];     /* MENU_K_ARTICLE: never NULL once complete; else NULL */
	const char *keywords[MENU_MAX_LANG]; /* comma-separated SMS keywords; NULL where none (no fallback) */
};

struct menu_hotline {
	const char *id, *country, *topic, *number, *source; /* source may be NULL */
	bool example;					    /* not backed by a source: the operator must replace it */
	const char *name[MENU_MAX_LANG], *hours[MENU_MAX_LANG], *languages[MENU_MAX_LANG];
};

struct menu_tree {
	unsigned n_lang;
	const char *lang_code[MENU_MAX_LANG]; /* e.g. "uz-Latn", "uz-Cyrl", "ru", "en" */
	const char *lang_name[MENU_MAX_LANG]; /* autonym shown in the picker, e.g. "Oʻzbekcha" */
	unsigned fallback;		      /* index of the fallback language */
	struct menu_node *root;
	struct menu_node *lang_node; /* first MENU_K_LANGUAGE node: shown at a caller's first dial (required) */
	struct menu_node **nodes;    /* all nodes, root first, in pack order */
	unsigned n_nodes;
	struct menu_hotline **hotlines;
	unsigned n_hotlines;
	const char *ui[_NUM_MENU_UI_ALL][MENU_MAX_LANG];
	/* The rendering's layouts and screens (see menu_render): made on first use, freed with the
	 * tree. The only member that changes once the tree is built. */
	struct menu_render_cache *render_cache;
};

/* Problems found while loading: errors make the load fail; warnings (e.g. a missing translation
 * that fell back) do not. Each message names file:line where known. */
struct menu_report {
	unsigned n_errors, n_warnings;
	void (*cb)(void *data, bool error, const char *msg); /* may be NULL */
	void *data;
};

/* Parse every "*.pack" file of dir (sorted by name) into a new tree under ctx. fallback_lang is
 * the code whose text replaces a missing translation (reported as a warning). Returns NULL when
 * any error was reported (syntax, unknown key, duplicate id, unknown parent, a cycle, more than
 * MENU_MAX_CHILDREN children, a text missing in the fallback language too, ...). */
struct menu_tree *menu_pack_load(void *ctx, const char *dir, const char *fallback_lang, struct menu_report *rep);
/* The same from a buffer (one file; name is used in messages). Used by the fuzzer. */
struct menu_tree *menu_pack_parse(void *ctx, const char *name, const char *buf, size_t len, const char *fallback_lang,
				  struct menu_report *rep);

/* Replace the content in the store with this tree, in one transaction. 0 or -errno. */
int menu_tree_save(const struct menu_tree *t, struct store *st);
/* Build a tree from the content in the store (NULL on error or when there is none; reported). */
struct menu_tree *menu_tree_load(void *ctx, struct store *st, const char *fallback_lang, struct menu_report *rep);

int menu_lang_index(const struct menu_tree *t, const char *code); /* index or -ENOENT */
const struct menu_node *menu_node_by_id(const struct menu_tree *t, const char *id);

/* --- navigation and rendering -------------------------------------------------------------- */

/* Capacity of one screen on the channel it goes out on, footer included. */
struct menu_caps {
	unsigned gsm7; /* septets, <= 182 */
	unsigned ucs2; /* UTF-16 code units, <= 80 */
};

/* Where a caller is: a node and a page of it. */
struct menu_cursor {
	const struct menu_node *node;
	unsigned page;
};

enum menu_action {
	MENU_A_SHOW,	 /* show the screen at the (new) cursor */
	MENU_A_INVALID,	 /* input not understood: cursor unchanged, show the screen with the invalid notice */
	MENU_A_LANG_SET, /* a language was picked: *lang changed, cursor moved to the root */
};

/* Apply the caller's input to cursor. Keys: "1".."8" pick a child (or, in the language picker, a
 * language), "9" next page, "0" previous page or parent, "00" root. Leading/trailing white space
 * is ignored; anything else is MENU_A_INVALID. The page count depends on caps and *lang. */
enum menu_action menu_input(const struct menu_tree *t, struct menu_cursor *c, unsigned *lang,
			    const struct menu_caps *caps, const char *input);

/* Render the screen at cursor in language lang, folded (TEXT_FOLD_UZ) and cut to caps, footer
 * included, into out (NUL-terminated UTF-8). notice (may be NULL) is a line shown first, e.g. the
 * invalid-input text; it is part of the budget. *n_pages gets the node's page count.
 * Returns the byte length, or -ENOSPC if outlen is too small, -EINVAL on a bad cursor.
 *
 * The layout of a (node, language, caps) and its screens without a notice are computed once and
 * kept in the tree (t->render_cache, at most 2 MiB; past that, computed per call): a built tree
 * never changes and new content is a new tree, so nothing can go stale. menu_input uses the same
 * layouts; menu_render_form screens are never kept. So menu_render and menu_input write to a
 * const tree: do not call them on one tree from two threads at once. */
int menu_render(const struct menu_tree *t, const struct menu_cursor *c, unsigned lang, const struct menu_caps *caps,
		const char *notice, char *out, size_t outlen, unsigned *n_pages);

struct menu_render_cache_stats {
	unsigned long hits, misses; /* layout look-ups */
	unsigned long screen_hits;  /* screens served whole */
	unsigned entries;	    /* layouts kept */
	size_t bytes;		    /* of layouts and screens kept */
};
void menu_render_cache_stats(const struct menu_tree *t, struct menu_render_cache_stats *st);
/* Off: every call computes its layout and screen (kept entries stay, unused). Tests compare. */
void menu_render_cache_enable(const struct menu_tree *t, bool on);

/* One screen of a form (complaint, callback, status), laid out by the same paginator as the
 * nodes: a list (items != NULL: "K item" per entry, keys 1..n_items, at most MENU_MAX_CHILDREN)
 * or a paged text (body). at is the form's node (in t): footer keys as on its own screens. A
 * text with no heading (NULL or "") starts with its body.
 * Returns the byte length or -errno like menu_render. */
struct menu_form_screen {
	const struct menu_node *at;
	const char *heading;
	const char *const *items;
	unsigned n_items;
	const char *body;
};
int menu_render_form(const struct menu_tree *t, const struct menu_form_screen *f, unsigned page, unsigned lang,
		     const struct menu_caps *caps, const char *notice, char *out, size_t outlen, unsigned *n_pages);

/* The countries the complaint form offers: the distinct countries of the hotlines nodes, in pack
 * order, labelled by the title of the first hotlines node of that country that shares its parent
 * with a hotlines node of another country (the directory by country), else its own title. At most
 * max; returns the count. node[i] is the hotlines node whose title labels country i. */
unsigned menu_form_countries(const struct menu_tree *t, const struct menu_node **node, unsigned max);

/* --- SMS ------------------------------------------------------------------------------------ */

/* The SMS reply for node n in language lang (the same content as its USSD screens, unpaginated):
 * an article is its title, a line break and its body; a menu its title and one line "K title"
 * per child; a hotlines node its entries, one per line (or the no_hotlines text); the language
 * picker its heading (ui choose_lang) and one line "K name" per language. Folded with
 * TEXT_FOLD_UZ, white space trimmed at both ends. A talloc string under ctx, or NULL on error.
 * Segmenting it into SMS parts is the caller's job (text_sms_split). */
char *menu_sms_text(void *ctx, const struct menu_tree *t, const struct menu_node *n, unsigned lang);

/* One SMS keyword (kw[0..len), e.g. one item of a node's comma-separated keywords) as it is
 * compared: upper case, Cyrillic transliterated to Latin in the Uzbek convention (ҲУҚУҚ and
 * HUQUQ are both "HUQUQ", ЎЗБЕК and Oʻzbek both "OZBEK"), apostrophes, ʻ ʼ ‘ ’, the hard and soft
 * signs, spaces, '-', '_' and '.' left out. A talloc string under ctx (possibly empty), or NULL
 * on invalid UTF-8. */
char *menu_keyword_norm(void *ctx, const char *kw, size_t len);
