/* Screens and navigation: the layout of a node's pages at a given screen size, the screen of one
 * page, and the caller's keys. Runs on every USSD step, so the layout of a (node, language, caps)
 * and its notice-free screens are computed once and kept with the tree (see "layout cache" below
 * and menu.h); form screens, which carry a caller's answers, are laid out on every call. No
 * allocation on the way of a screen except when the cache takes a new layout or screen. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <osmocom/core/talloc.h>

#include <yordam/menu.h>
#include <yordam/text.h>

#include "menu_priv.h"

/* One screen in bytes: at most 182 septets or 80 UTF-16 units, at most 4 bytes each. */
#define SCREEN_MAX 1024
#define LABEL_MAX  256
/* Smaller screens could not hold a heading, one entry and the keys-only footer. */
#define MENU_MIN_CAP 16
/* Units kept for content when a heading is too long and must be cut. */
#define CONTENT_MIN 6
/* Layout cache: buckets of the hash by (node, language, caps), and the bytes it may hold per tree.
 * A realistic pack (100 nodes, 4 languages, 3 screen sizes) needs well under half of it; past the
 * bound, layouts are computed on every call as before, never dropped while in use. */
#define CACHE_BUCKETS	256
#define CACHE_BYTES_MAX (2u * 1024 * 1024)

enum foot_item {
	F_MORE,
	F_BACK,
	F_HOME,
	_NUM_F,
};

static const char *const foot_key[_NUM_F] = {"9", "0", "00"};
static const enum menu_ui foot_ui[_NUM_F] = {MENU_UI_MORE, MENU_UI_BACK, MENU_UI_HOME};

struct page {
	size_t start, end; /* entries, or body bytes */
	bool more;
};

/* The layout of one node in one language at one screen size. */
struct lay {
	const struct menu_tree *t;
	const struct menu_node *n;
	unsigned lang;
	bool is_root;
	enum text_coding coding;
	long budget;
	bool labels;			     /* footer items with their label, or keys only */
	char label[_NUM_F][LABEL_MAX];	     /* folded */
	long u_foot[_NUM_F];		     /* units of each footer item */
	const struct menu_form_screen *form; /* a form screen instead of the node's own */
	const char *heading;		     /* unfolded */
	long head_units;		     /* units reserved for the heading line */
	unsigned n_items;		     /* menu and language kinds */
	long item_units[MENU_MAX_CHILDREN];  /* "K text" */
	const char *body;		     /* article and hotlines kinds: folded, white space trimmed */
	size_t body_len;
	const struct page *pages; /* every page, when known (a cached layout); else walked on demand */
	long n_pages;
	/* Scratch space, not part of a cached layout: bodybuf receives the body while it is laid
	 * out (MENU_BODY_MAX bytes), tmp a folded text (MENU_TEXT_MAX + 1 bytes). */
	char *bodybuf;
	char *tmp;
};

struct lay_scratch {
	char body[MENU_BODY_MAX];
	char tmp[MENU_TEXT_MAX + 1];
};

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static const char *str_or_empty(const char *s)
{
	return s ? s : "";
}

/* TEXT_FOLD_UZ into a caller's buffer, because text_fold() allocates and menu_input() must not;
 * test_menus checks that both agree. With gsm7_only, what GSM-7 cannot carry becomes '?' (for a
 * caller's notice that does not share the screen's coding). Works in place (out == s). */
static long fold(const char *s, size_t len, char *out, size_t outlen, bool gsm7_only)
{
	size_t i = 0, o = 0;

	while (i < len) {
		uint32_t cp;
		int n = text_utf8_next(s + i, len - i, &cp);

		if (n < 0) {
			return n;
		}
		bool uz = cp == 0x02BB || cp == 0x02BC || cp == 0x2018 || cp == 0x2019;

		if (uz || (gsm7_only && text_gsm7_cost(cp) == 0)) {
			if (o + 1 >= outlen) {
				return -ENOSPC;
			}
			out[o++] = uz ? '\'' : '?';
		} else {
			if (o + n >= outlen) {
				return -ENOSPC;
			}
			memmove(out + o, s + i, n);
			o += n;
		}
		i += n;
	}
	if (o >= outlen) {
		return -ENOSPC;
	}
	out[o] = '\0';
	return o;
}

static long folded_units(struct lay *L, const char *s)
{
	long n = fold(s, strlen(s), L->tmp, MENU_TEXT_MAX + 1, false);

	return n < 0 ? n : text_units(L->tmp, n, L->coding);
}

static int folded_coding(struct lay *L, const char *s)
{
	long n = fold(s, strlen(s), L->tmp, MENU_TEXT_MAX + 1, false);

	return n < 0 ? (int)n : text_coding_of(L->tmp, n);
}

static const char *item_text(const struct lay *L, unsigned i)
{
	if (L->form) {
		return str_or_empty(L->form->items[i]);
	}
	if (L->n->kind == MENU_K_LANGUAGE) {
		return str_or_empty(L->t->lang_name[i]);
	}
	return str_or_empty(L->n->child[i]->title[L->lang]);
}

static long foot_units(const struct lay *L, bool more, bool back, bool home)
{
	bool on[_NUM_F] = {more, back, home};
	long u = 0;
	unsigned i, k = 0;

	for (i = 0; i < _NUM_F; i++) {
		if (on[i]) {
			u += L->u_foot[i];
			k++;
		}
	}
	return k ? 1 + u + (k - 1) : 0;
}

static bool node_in_tree(const struct menu_tree *t, const struct menu_node *n)
{
	unsigned i;

	for (i = 0; t->nodes && i < t->n_nodes; i++) {
		if (t->nodes[i] == n) {
			return true;
		}
	}
	return false;
}

static int lay_body(struct lay *L)
{
	const struct menu_node *n = L->n;
	char *b = L->bodybuf;
	size_t start = 0;
	long len;

	if (L->form || n->kind == MENU_K_ARTICLE) {
		const char *src = str_or_empty(L->form ? L->form->body : n->body[L->lang]);
		len = fold(src, strlen(src), b, MENU_BODY_MAX, false);
	} else {
		len = menu_hotline_body(L->t, n, L->lang, b, MENU_BODY_MAX);
		if (len >= 0) {
			len = fold(b, len, b, MENU_BODY_MAX, false);
		}
	}
	if (len < 0) {
		return -EINVAL;
	}
	/* Trimmed at both ends, so that a page cut always leaves something for the next page. */
	while ((long)start < len && is_ws(b[start])) {
		start++;
	}
	while (len > (long)start && is_ws(b[len - 1])) {
		len--;
	}
	memmove(b, b + start, len - start);
	L->body_len = len - start;
	b[L->body_len] = '\0';
	L->body = b;
	return 0;
}

static bool page_back(const struct lay *L, unsigned p)
{
	return !L->is_root || p > 0;
}

/* "00 Home" is not shown where "0" already leads to the main menu: the first page of a node
 * listed in it. Every unit counts on a 56-character screen; "00" still works there. */
static bool page_home(const struct lay *L, unsigned p)
{
	return !L->is_root && !(L->n->parent == L->t->root && p == 0);
}

static bool lay_is_list(const struct lay *L)
{
	if (L->form) {
		return L->form->items != NULL;
	}
	return L->n->kind == MENU_K_MENU || L->n->kind == MENU_K_LANGUAGE;
}

static int lay_setup_form(struct lay *L, const struct menu_tree *t, const struct menu_node *n, unsigned lang,
			  const struct menu_caps *caps, const struct menu_form_screen *form)
{
	const char *pieces[3 + _NUM_F];
	bool ucs2 = false;
	long u, full, head_max, room, max_item;
	unsigned i;
	int c;

	if (!t || !n || !caps || lang >= t->n_lang || lang >= MENU_MAX_LANG || !node_in_tree(t, n)) {
		return -EINVAL;
	}
	if (caps->gsm7 < MENU_MIN_CAP || caps->gsm7 > TEXT_USSD_MAX_SEPTETS || caps->ucs2 < MENU_MIN_CAP ||
	    caps->ucs2 > TEXT_USSD_MAX_UCS2) {
		return -EINVAL;
	}
	L->t = t;
	L->n = n;
	L->lang = lang;
	L->is_root = n == t->root;
	L->form = form;
	L->heading = str_or_empty(n->kind == MENU_K_LANGUAGE ? t->ui[MENU_UI_CHOOSE_LANG][lang] : n->title[lang]);
	L->n_items = 0;
	L->body = "";
	L->body_len = 0;
	L->pages = NULL;
	L->n_pages = 0;
	if (form) {
		L->heading = str_or_empty(form->heading);
		if (form->items && form->n_items > MENU_MAX_CHILDREN) {
			return -EINVAL;
		}
		L->n_items = form->items ? form->n_items : 0;
		if (!form->items && lay_body(L) < 0) {
			return -EINVAL;
		}
	}
	/* A form screen is laid out above: the no-op case of the form kinds. */
	switch (form ? MENU_K_COMPLAINT : n->kind) {
	case MENU_K_MENU:
		if (n->n_child && !n->child) {
			return -EINVAL;
		}
		L->n_items = n->n_child < MENU_MAX_CHILDREN ? n->n_child : MENU_MAX_CHILDREN;
		break;
	case MENU_K_LANGUAGE:
		L->n_items = t->n_lang < MENU_MAX_CHILDREN ? t->n_lang : MENU_MAX_CHILDREN;
		break;
	case MENU_K_ARTICLE:
	case MENU_K_HOTLINES:
		if (lay_body(L) < 0) {
			return -EINVAL;
		}
		break;
	case MENU_K_COMPLAINT:
	case MENU_K_CALLBACK:
	case MENU_K_STATUS:
		/* On their own (validate, a redraw) as their title; the engine renders their forms. */
		break;
	default:
		return -EINVAL;
	}

	/* One coding for every screen of the node, whatever notice or page: page boundaries must
	 * not move under the caller. */
	pieces[0] = L->heading;
	pieces[1] = str_or_empty(t->ui[MENU_UI_INVALID][lang]);
	pieces[2] = str_or_empty(t->ui[MENU_UI_LANG_SAVED][lang]);
	for (i = 0; i < _NUM_F; i++) {
		pieces[3 + i] = str_or_empty(t->ui[foot_ui[i]][lang]);
	}
	for (i = 0; i < 3 + _NUM_F + L->n_items; i++) {
		c = folded_coding(L, i < 3 + _NUM_F ? pieces[i] : item_text(L, i - 3 - _NUM_F));
		if (c < 0) {
			return -EINVAL;
		}
		ucs2 |= c == TEXT_UCS2;
	}
	c = text_coding_of(L->body, L->body_len);
	if (c < 0) {
		return -EINVAL;
	}
	ucs2 |= c == TEXT_UCS2;
	L->coding = ucs2 ? TEXT_UCS2 : TEXT_GSM7;
	L->budget = ucs2 ? caps->ucs2 : caps->gsm7;

	/* Labels unless they would take more than half the screen; then the keys alone. */
	full = 1 + (_NUM_F - 1);
	L->labels = true;
	for (i = 0; i < _NUM_F; i++) {
		long n_b = fold(pieces[3 + i], strlen(pieces[3 + i]), L->label[i], LABEL_MAX, false);

		u = n_b < 0 ? -1 : text_units(L->label[i], n_b, L->coding);
		if (u < 0) {
			L->labels = false;
			break;
		}
		full += strlen(foot_key[i]) + 1 + u;
		L->u_foot[i] = strlen(foot_key[i]) + 1 + u;
	}
	if (!L->labels || full > L->budget / 2) {
		L->labels = false;
		for (i = 0; i < _NUM_F; i++) {
			L->u_foot[i] = strlen(foot_key[i]);
		}
	}

	max_item = 0;
	for (i = 0; i < L->n_items; i++) {
		u = folded_units(L, item_text(L, i));
		if (u < 0) {
			return -EINVAL;
		}
		L->item_units[i] = 2 + u;
		max_item = L->item_units[i] > max_item ? L->item_units[i] : max_item;
	}

	/* The language picker is the first screen a new caller sees and must not need "9 More": the
	 * autonyms speak for themselves, so its heading is shown only when the whole list fits with
	 * it, and a notice only when it fits (see menu_render). */
	if (n->kind == MENU_K_LANGUAGE) {
		long total = foot_units(L, false, page_back(L, 0), page_home(L, 0));

		for (i = 0; i < L->n_items; i++) {
			total += 1 + L->item_units[i];
		}
		u = folded_units(L, L->heading);
		L->head_units = u >= 0 && u + total <= L->budget ? u : 0;
		return 0;
	}

	/* The heading may use what is left after the largest footer and a little content. In a menu
	 * the entries matter more than the title: it yields room until the longest entry fits beside
	 * it, but not below the notices that take its place (up to half the room), and those are
	 * reserved in full so that a notice never moves a page boundary. */
	room = L->budget - foot_units(L, true, true, !L->is_root) - 1;
	head_max = room - CONTENT_MIN;
	u = folded_units(L, L->heading);
	if (u < 0) {
		return -EINVAL;
	}
	if (lay_is_list(L)) {
		long notices = 0, m;

		for (i = 1; i < 3; i++) {
			long un = folded_units(L, pieces[i]);

			if (un < 0) {
				return -EINVAL;
			}
			notices = un > notices ? un : notices;
		}
		/* A form's heading is its question: it keeps up to half the room, like a notice. */
		if (L->form && u > notices) {
			notices = u;
		}
		m = notices < room / 2 ? notices : room / 2;
		m = room - max_item > m ? room - max_item : m;
		head_max = m < head_max ? m : head_max;
		u = notices > u ? notices : u;
	}
	if (head_max < 0) {
		head_max = 0;
	}
	L->head_units = u < head_max ? u : head_max;
	return 0;
}

/* Walk the pages up to page want (all of them for UINT_MAX); fills *pg for page want when it
 * exists, and all[p] for each page p < n_all walked (all may be NULL). Returns the page count (of
 * all pages, when want is past the end) or -errno. */
static long lay_pages_menu(const struct lay *L, unsigned want, struct page *pg, struct page *all, long n_all)
{
	size_t start = 0, end;
	unsigned p;

	for (p = 0;; p++) {
		bool back = page_back(L, p), home = page_home(L, p);
		long rest = 0, used = 0, avail;
		struct page cur;

		for (end = start; end < L->n_items; end++) {
			rest += 1 + L->item_units[end];
		}
		avail = L->budget - L->head_units - foot_units(L, false, back, home);
		if (rest <= avail) {
			cur = (struct page){start, L->n_items, false};
		} else {
			avail = L->budget - L->head_units - foot_units(L, true, back, home);
			for (end = start; end < L->n_items && used + 1 + L->item_units[end] <= avail; end++) {
				used += 1 + L->item_units[end];
			}
			if (end == start) {
				/* Not even one entry fits: it is cut when shown. */
				end = start + 1;
			}
			cur = (struct page){start, end, end < L->n_items};
		}
		if (p == want && pg) {
			*pg = cur;
		}
		if (all && (long)p < n_all) {
			all[p] = cur;
		}
		if (!cur.more) {
			return p + 1;
		}
		start = cur.end;
	}
}

static long lay_pages_text(const struct lay *L, unsigned want, struct page *pg, struct page *all, long n_all)
{
	size_t pos = 0;
	unsigned p;

	for (p = 0;; p++) {
		bool back = page_back(L, p), home = page_home(L, p);
		const char *rest = L->body + pos;
		size_t rlen = L->body_len - pos;
		long head = p == 0 && *L->heading ? L->head_units + (L->body_len ? 1 : 0) : 0;
		long u = text_units(rest, rlen, L->coding), avail, cut;
		struct page cur;

		if (u < 0) {
			return -EINVAL;
		}
		avail = L->budget - head - foot_units(L, false, back, home);
		if (u <= avail) {
			cur = (struct page){pos, L->body_len, false};
		} else {
			avail = L->budget - head - foot_units(L, true, back, home);
			cut = avail > 0 ? text_fit(rest, rlen, L->coding, avail, true) : 0;
			if (cut == 0 && avail > 0) {
				cut = text_fit(rest, rlen, L->coding, avail, false);
			}
			if (cut <= 0) {
				return -EINVAL;
			}
			cur = (struct page){pos, pos + cut, true};
			pos += cut;
			while (pos < L->body_len && is_ws(L->body[pos])) {
				pos++;
			}
			/* Cannot happen with a trimmed body; never leave an empty last page if it does. */
			cur.more = pos < L->body_len;
		}
		if (p == want && pg) {
			*pg = cur;
		}
		if (all && (long)p < n_all) {
			all[p] = cur;
		}
		if (!cur.more) {
			return p + 1;
		}
	}
}

static int lay_setup(struct lay *L, const struct menu_tree *t, const struct menu_node *n, unsigned lang,
		     const struct menu_caps *caps)
{
	return lay_setup_form(L, t, n, lang, caps, NULL);
}

static long lay_pages_walk(const struct lay *L, unsigned want, struct page *pg, struct page *all, long n_all)
{
	if (lay_is_list(L)) {
		return lay_pages_menu(L, want, pg, all, n_all);
	}
	return lay_pages_text(L, want, pg, all, n_all);
}

/* The page count, and page want in *pg when it exists: from the page table of a cached layout,
 * else walked. */
static long lay_pages(const struct lay *L, unsigned want, struct page *pg)
{
	if (L->pages) {
		if (pg && want < (unsigned long)L->n_pages) {
			*pg = L->pages[want];
		}
		return L->n_pages;
	}
	return lay_pages_walk(L, want, pg, NULL, 0);
}

/* --- layout cache ------------------------------------------------------------------------
 *
 * A layout depends on the tree, the node, the language and the caps, nothing else: no caller
 * data. A built tree is never changed (new content is a new tree, and the old one is freed with
 * its cache), so an entry is right for as long as its tree lives and needs no invalidation; the
 * key holds the node pointer, not its id, so two trees can never share an entry. Entries are
 * never evicted either: once the tree's budget is spent, further layouts are computed per call,
 * so a layout or screen handed out stays valid while the tree lives. */

struct lay_entry {
	struct lay_entry *next; /* bucket chain */
	const struct menu_node *n;
	unsigned lang, gsm7, ucs2;
	struct lay lay;	    /* body and pages point into this entry; no scratch */
	char **screen;	    /* [lay.n_pages]: the screen without a notice, NULL until first rendered */
	size_t *screen_len; /* [lay.n_pages] */
};

struct menu_render_cache {
	bool off;
	size_t bytes;
	struct menu_render_cache_stats st;
	struct lay_entry *bucket[CACHE_BUCKETS];
};

static unsigned cache_hash(const struct menu_node *n, unsigned lang, const struct menu_caps *caps)
{
	uint64_t p = (uint64_t)(uintptr_t)n;
	uint32_t h = (uint32_t)(p >> 4) ^ (uint32_t)(p >> 32);

	h = (h ^ lang * 0x9E3779B1u ^ caps->gsm7 * 0x85EBCA77u ^ caps->ucs2 * 0xC2B2AE3Du) * 0x9E3779B1u;
	return h >> 24; /* CACHE_BUCKETS == 256 */
}

/* The tree's cache, made on first use (NULL when off or out of memory: render uncached). The only
 * member of a built tree that ever changes, hence the cast: trees are talloc objects (made by
 * menu_build_finish), never const objects, and the cache goes with the tree. */
static struct menu_render_cache *cache_of(const struct menu_tree *t)
{
	struct menu_tree *mt = (struct menu_tree *)t;

	if (!t) {
		return NULL;
	}
	if (!t->render_cache) {
		mt->render_cache = talloc_zero(mt, struct menu_render_cache);
	}
	return t->render_cache && !t->render_cache->off ? t->render_cache : NULL;
}

static struct lay_entry *cache_find(struct menu_render_cache *rc, unsigned h, const struct menu_node *n, unsigned lang,
				    const struct menu_caps *caps)
{
	struct lay_entry *e;

	for (e = rc->bucket[h]; e; e = e->next) {
		if (e->n == n && e->lang == lang && e->gsm7 == caps->gsm7 && e->ucs2 == caps->ucs2) {
			return e;
		}
	}
	return NULL;
}

/* Keep a copy of the layout L (just set up, scratch body) with its page table; NULL when over
 * budget or out of memory. */
static struct lay_entry *cache_add(struct menu_render_cache *rc, unsigned h, const struct lay *L,
				   const struct menu_caps *caps)
{
	long np = lay_pages_walk(L, UINT_MAX, NULL, NULL, 0);
	struct lay_entry *e;
	struct page *pages;
	size_t need;
	char *body;

	if (np <= 0) {
		return NULL;
	}
	need = sizeof(*e) + L->body_len + 1 + (size_t)np * (sizeof(*pages) + sizeof(char *) + sizeof(size_t));
	if (rc->bytes + need > CACHE_BYTES_MAX) {
		return NULL;
	}
	e = talloc_zero(rc, struct lay_entry);
	pages = e ? talloc_array(e, struct page, np) : NULL;
	body = e ? talloc_memdup(e, L->body, L->body_len + 1) : NULL;
	if (e) {
		e->screen = talloc_zero_array(e, char *, np);
		e->screen_len = talloc_zero_array(e, size_t, np);
	}
	if (!pages || !body || !e->screen || !e->screen_len || lay_pages_walk(L, UINT_MAX, NULL, pages, np) != np) {
		talloc_free(e);
		return NULL;
	}
	e->n = L->n;
	e->lang = L->lang;
	e->gsm7 = caps->gsm7;
	e->ucs2 = caps->ucs2;
	e->lay = *L;
	e->lay.body = body;
	e->lay.pages = pages;
	e->lay.n_pages = np;
	e->lay.bodybuf = NULL;
	e->lay.tmp = NULL;
	e->next = rc->bucket[h];
	rc->bucket[h] = e;
	rc->bytes += need;
	rc->st.entries++;
	rc->st.bytes = rc->bytes;
	return e;
}

static void cache_screen(struct menu_render_cache *rc, struct lay_entry *e, unsigned page, const char *scr, size_t len)
{
	if (page >= (unsigned long)e->lay.n_pages || e->screen[page] || rc->bytes + len + 1 > CACHE_BYTES_MAX) {
		return;
	}
	e->screen[page] = talloc_memdup(e, scr, len + 1);
	if (e->screen[page]) {
		e->screen_len[page] = len;
		rc->bytes += len + 1;
		rc->st.bytes = rc->bytes;
	}
}

/* The layout of node n in t for lang and caps into *L (tmp and bodybuf from sc): a copy of the
 * cached one, or set up now (and cached when there is room). *ep gets the cache entry or NULL.
 * 0 or -EINVAL. */
static int lay_get(struct lay *L, struct lay_scratch *sc, const struct menu_tree *t, const struct menu_node *n,
		   unsigned lang, const struct menu_caps *caps, struct lay_entry **ep)
{
	struct menu_render_cache *rc = caps ? cache_of(t) : NULL;
	struct lay_entry *e = NULL;
	unsigned h = 0;

	*ep = NULL;
	if (rc) {
		/* Only pointers are compared: a node of another tree (or none) is never found. */
		h = cache_hash(n, lang, caps);
		e = cache_find(rc, h, n, lang, caps);
		if (e) {
			rc->st.hits++;
		} else {
			rc->st.misses++;
		}
	}
	if (!e) {
		L->bodybuf = sc->body;
		L->tmp = sc->tmp;
		if (lay_setup(L, t, n, lang, caps) < 0) {
			return -EINVAL;
		}
		e = rc ? cache_add(rc, h, L, caps) : NULL;
		if (!e) {
			return 0;
		}
	}
	*L = e->lay;
	L->tmp = sc->tmp;
	*ep = e;
	return 0;
}

struct out {
	char *buf;
	size_t len, cap;
	int err;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->err || o->len + n >= o->cap) {
		o->err = -ENOSPC;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void put_str(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* s folded and cut to budget units: at a word boundary when asked and possible, else between
 * characters. Returns the units used. */
static long put_cut(struct lay *L, struct out *o, const char *s, long budget, bool gsm7_only, bool word_break)
{
	long n = fold(s, strlen(s), L->tmp, MENU_TEXT_MAX + 1, gsm7_only), cut, u;

	if (n < 0 || budget < 0) {
		o->err = -EINVAL;
		return 0;
	}
	cut = text_fit(L->tmp, n, L->coding, budget, word_break);
	if (cut > 0 && cut < n) {
		long keep = cut;

		while (cut > 0 && is_ws(L->tmp[cut - 1])) {
			cut--;
		}
		if (cut == 0) {
			cut = word_break ? text_fit(L->tmp, n, L->coding, budget, false) : keep;
		}
	}
	u = cut < 0 ? -1 : text_units(L->tmp, cut, L->coding);
	if (u < 0) {
		o->err = -EINVAL;
		return 0;
	}
	put(o, L->tmp, cut);
	return u;
}

static void put_footer(const struct lay *L, struct out *o, bool more, bool back, bool home)
{
	bool on[_NUM_F] = {more, back, home};
	bool first = true;
	unsigned i;

	for (i = 0; i < _NUM_F; i++) {
		if (!on[i]) {
			continue;
		}
		put_str(o, first ? "\n" : " ");
		put_str(o, foot_key[i]);
		if (L->labels) {
			put_str(o, " ");
			put_str(o, L->label[i]);
		}
		first = false;
	}
}

static int render_lay(struct lay *Lp, unsigned page, const char *notice, char *out, size_t outlen, unsigned *n_pages);

int menu_render(const struct menu_tree *t, const struct menu_cursor *c, unsigned lang, const struct menu_caps *caps,
		const char *notice, char *out, size_t outlen, unsigned *n_pages)
{
	struct lay_scratch sc;
	struct lay_entry *e;
	struct lay L;
	int rc;

	if (!c || !out || !outlen) {
		return -EINVAL;
	}
	if (lay_get(&L, &sc, t, c->node, lang, caps, &e) < 0) {
		return -EINVAL;
	}
	if (notice && !*notice) {
		notice = NULL;
	}
	if (e && !notice && c->page < (unsigned long)L.n_pages && e->screen[c->page]) {
		size_t len = e->screen_len[c->page];

		t->render_cache->st.screen_hits++;
		if (len + 1 > outlen) {
			return -ENOSPC;
		}
		memcpy(out, e->screen[c->page], len + 1);
		if (n_pages) {
			*n_pages = L.n_pages;
		}
		return (int)len;
	}
	rc = render_lay(&L, c->page, notice, out, outlen, n_pages);
	if (rc >= 0 && e && !notice) {
		cache_screen(t->render_cache, e, c->page, out, rc);
	}
	return rc;
}

/* Never cached: a form screen carries what this caller answered. */
int menu_render_form(const struct menu_tree *t, const struct menu_form_screen *f, unsigned page, unsigned lang,
		     const struct menu_caps *caps, const char *notice, char *out, size_t outlen, unsigned *n_pages)
{
	struct lay_scratch sc;
	struct lay L;

	if (!f || !out || !outlen || (f->items && !f->n_items)) {
		return -EINVAL;
	}
	L.bodybuf = sc.body;
	L.tmp = sc.tmp;
	if (lay_setup_form(&L, t, f->at, lang, caps, f) < 0) {
		return -EINVAL;
	}
	return render_lay(&L, page, notice, out, outlen, n_pages);
}

void menu_render_cache_stats(const struct menu_tree *t, struct menu_render_cache_stats *st)
{
	if (!st) {
		return;
	}
	memset(st, 0, sizeof(*st));
	if (t && t->render_cache) {
		*st = t->render_cache->st;
	}
}

void menu_render_cache_enable(const struct menu_tree *t, bool on)
{
	struct menu_tree *mt = (struct menu_tree *)t;

	if (!t) {
		return;
	}
	if (!t->render_cache) {
		mt->render_cache = talloc_zero(mt, struct menu_render_cache);
	}
	if (t->render_cache) {
		t->render_cache->off = !on;
	}
}

static int render_lay(struct lay *Lp, unsigned page, const char *notice, char *out, size_t outlen, unsigned *n_pages)
{
#define L (*Lp)
	struct menu_cursor cur = {.node = Lp->n, .page = page}, *c = &cur;
	struct page pg;
	char scr[SCREEN_MAX];
	struct out o = {.buf = scr, .cap = sizeof(scr)};
	bool back, home;
	long np, foot, u;
	size_t i;

	np = lay_pages(&L, c->page, &pg);
	if (np < 0 || c->page >= np) {
		return -EINVAL;
	}
	if (notice && !*notice) {
		notice = NULL;
	}
	back = page_back(&L, c->page);
	home = page_home(&L, c->page);
	foot = foot_units(&L, pg.more, back, home);
	scr[0] = '\0';

	if (!L.form && L.n->kind == MENU_K_LANGUAGE) {
		long used = foot, nu = notice ? folded_units(&L, notice) : -1;
		bool line = false;

		for (i = pg.start; i < pg.end; i++) {
			used += 1 + L.item_units[i];
		}
		if (nu >= 0 && nu + 1 + used <= L.budget) {
			put_cut(&L, &o, notice, nu, L.coding == TEXT_GSM7, false);
			line = true;
		} else if (L.head_units > 0) {
			put_cut(&L, &o, L.heading, L.head_units, false, true);
			line = true;
		}
		for (i = pg.start; i < pg.end; i++) {
			char key[3] = {'1' + i, ' ', '\0'};

			put_str(&o, line ? "\n" : "");
			put_str(&o, key);
			put_cut(&L, &o, item_text(&L, i), L.item_units[i] - 2, false, false);
			line = true;
		}
	} else if (lay_is_list(&L)) {
		long used = L.head_units;

		/* A notice takes the heading's place and its reserved room. */
		if (notice) {
			put_cut(&L, &o, notice, L.head_units, L.coding == TEXT_GSM7, false);
		} else {
			put_cut(&L, &o, L.heading, L.head_units, false, true);
		}
		for (i = pg.start; i < pg.end; i++) {
			char key[3] = {'1' + i, ' ', '\0'};

			put_str(&o, "\n");
			put_str(&o, key);
			used += 1 + 2;
			used += put_cut(&L, &o, item_text(&L, i), L.budget - used - foot, false, false);
		}
	} else if (notice) {
		/* The caller keeps their place: the notice and the keys that are valid here. */
		put_cut(&L, &o, notice, L.budget - foot, L.coding == TEXT_GSM7, false);
	} else {
		size_t end = pg.end;

		if (c->page == 0 && *L.heading) {
			put_cut(&L, &o, L.heading, L.head_units, false, true);
			if (L.body_len) {
				put_str(&o, "\n");
			}
		}
		while (end > pg.start && is_ws(L.body[end - 1])) {
			end--;
		}
		put(&o, L.body + pg.start, end - pg.start);
	}
	put_footer(&L, &o, pg.more, back, home);
	if (o.err) {
		return o.err == -ENOSPC ? -EINVAL : o.err;
	}
	/* The layout guarantees this; checked because a screen over the cap is silently dropped by
	 * the network, which would be far worse than an error here. */
	u = text_units(scr, o.len, L.coding);
	if (u < 0 || u > L.budget) {
		return -EINVAL;
	}
	if (o.len + 1 > outlen) {
		return -ENOSPC;
	}
	memcpy(out, scr, o.len + 1);
	if (n_pages) {
		*n_pages = np;
	}
	return o.len;
#undef L
}

/* The page of parent that lists its child number idx. */
static unsigned page_of_item(const struct lay *L, unsigned idx)
{
	struct page pg;
	long np = lay_pages(L, UINT_MAX, NULL);
	unsigned p;

	for (p = 0; np > 0 && p < np; p++) {
		if (lay_pages(L, p, &pg) > 0 && idx >= pg.start && idx < pg.end) {
			return p;
		}
	}
	return 0;
}

enum menu_action menu_input(const struct menu_tree *t, struct menu_cursor *c, unsigned *lang,
			    const struct menu_caps *caps, const char *input)
{
	struct lay_scratch sc;
	struct lay_entry *ent;
	struct lay L;
	const struct menu_node *n;
	const char *s, *e;
	long np;
	unsigned k;

	if (!t || !c || !lang || !caps || !input || !t->root) {
		return MENU_A_INVALID;
	}
	s = input;
	while (is_ws(*s)) {
		s++;
	}
	e = s + strlen(s);
	while (e > s && is_ws(e[-1])) {
		e--;
	}
	/* Home works from anywhere, even from a cursor that no longer fits the layout. */
	if (e - s == 2 && s[0] == '0' && s[1] == '0' && *lang < t->n_lang) {
		c->node = t->root;
		c->page = 0;
		return MENU_A_SHOW;
	}
	if (e - s != 1 || lay_get(&L, &sc, t, c->node, *lang, caps, &ent) < 0) {
		return MENU_A_INVALID;
	}
	np = lay_pages(&L, UINT_MAX, NULL);
	if (np <= 0 || c->page >= np) {
		return MENU_A_INVALID;
	}
	n = c->node;
	switch (s[0]) {
	case '0':
		if (c->page > 0) {
			c->page--;
			return MENU_A_SHOW;
		}
		if (!n->parent) {
			return MENU_A_INVALID;
		}
		for (k = 0; k < n->parent->n_child && n->parent->child[k] != n; k++) {
		}
		if (lay_get(&L, &sc, t, n->parent, *lang, caps, &ent) < 0) {
			return MENU_A_INVALID;
		}
		c->node = n->parent;
		c->page = page_of_item(&L, k);
		return MENU_A_SHOW;
	case '9':
		if (c->page + 1 >= np) {
			return MENU_A_INVALID;
		}
		c->page++;
		return MENU_A_SHOW;
	default:
		if (s[0] < '1' || s[0] > '8') {
			return MENU_A_INVALID;
		}
		k = s[0] - '1';
		if (n->kind == MENU_K_MENU && k < L.n_items) {
			c->node = n->child[k];
			c->page = 0;
			return MENU_A_SHOW;
		}
		if (n->kind == MENU_K_LANGUAGE && k < L.n_items) {
			*lang = k;
			c->node = t->root;
			c->page = 0;
			return MENU_A_LANG_SET;
		}
		return MENU_A_INVALID;
	}
}

static int append(char *out, size_t outlen, size_t *o, const char *s)
{
	size_t n = strlen(s);

	if (*o + n >= outlen) {
		return -ENOSPC;
	}
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
	return 0;
}

long menu_hotline_body(const struct menu_tree *t, const struct menu_node *n, unsigned lang, char *out, size_t outlen)
{
	size_t o = 0;
	bool any = false;
	unsigned i;
	int rc = 0;

	if (!t || !n || !out || !outlen || lang >= t->n_lang || lang >= MENU_MAX_LANG) {
		return -EINVAL;
	}
	out[0] = '\0';
	for (i = 0; i < t->n_hotlines && rc == 0; i++) {
		const struct menu_hotline *h = t->hotlines[i];
		const char *hours = h->hours[lang], *langs = h->languages[lang];

		if (!h->country || !n->country || strcmp(h->country, n->country) != 0) {
			continue;
		}
		if (any) {
			rc |= append(out, outlen, &o, "\n");
		}
		if (h->example) {
			rc |= append(out, outlen, &o, str_or_empty(t->ui[MENU_UI_EXAMPLE][lang]));
			rc |= append(out, outlen, &o, " ");
		}
		rc |= append(out, outlen, &o, str_or_empty(h->name[lang]));
		rc |= append(out, outlen, &o, ": ");
		rc |= append(out, outlen, &o, str_or_empty(h->number));
		if (hours || langs) {
			rc |= append(out, outlen, &o, " (");
			rc |= append(out, outlen, &o, str_or_empty(hours));
			rc |= append(out, outlen, &o, hours && langs ? "; " : "");
			rc |= append(out, outlen, &o, str_or_empty(langs));
			rc |= append(out, outlen, &o, ")");
		}
		any = true;
	}
	if (!any && rc == 0) {
		rc = append(out, outlen, &o, str_or_empty(t->ui[MENU_UI_NO_HOTLINES][lang]));
	}
	return rc ? -ENOSPC : (long)o;
}

/* A hotlines node listed beside a hotlines node of another country: the directory by country. */
static bool in_directory(const struct menu_node *n)
{
	unsigned k;

	for (k = 0; n->parent && n->parent->child && k < n->parent->n_child; k++) {
		const struct menu_node *s = n->parent->child[k];

		if (s->kind == MENU_K_HOTLINES && s->country && strcmp(s->country, n->country) != 0) {
			return true;
		}
	}
	return false;
}

unsigned menu_form_countries(const struct menu_tree *t, const struct menu_node **node, unsigned max)
{
	unsigned i, j, n = 0;

	for (i = 0; t && i < t->n_nodes && n < max; i++) {
		const struct menu_node *h = t->nodes[i];

		if (h->kind != MENU_K_HOTLINES || !h->country) {
			continue;
		}
		for (j = 0; j < n && strcmp(node[j]->country, h->country) != 0; j++) {
		}
		if (j < n) {
			/* Seen: a directory entry labels it better than a country's own "Hotlines". */
			if (!in_directory(node[j]) && in_directory(h)) {
				node[j] = h;
			}
			continue;
		}
		node[n++] = h;
	}
	return n;
}
