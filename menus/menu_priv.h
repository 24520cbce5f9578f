/* Inside the menus module only: the tree builder shared by the pack parser (pack.c) and the store
 * loader (tree.c), so both apply exactly the same rules to every field, and the hotline list
 * builder shared by validation (tree.c) and rendering (render.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <yordam/menu.h>

/* One text (a value, a title, a body), in bytes. A pack line is at most 4096 bytes, so only
 * content coming back from the store can hit this; the renderer relies on it for its buffers. */
#define MENU_TEXT_MAX 4096
/* The hotline list of one country in one language, as built for the screen, in bytes. */
#define MENU_BODY_MAX 8192
/* Bounds on the work a hostile pack can cause (lookups are linear). */
#define MENU_MAX_NODES	  2048
#define MENU_MAX_HOTLINES 2048
/* Stop reporting after this many errors: the rest is noise. */
#define MENU_MAX_ERRORS 50

struct menu_build;

void menu_report_add(struct menu_report *rep, bool error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

struct menu_build *menu_build_new(void *ctx, const char *fallback_lang, struct menu_report *rep);
/* Messages at file:line (line 0: file only). */
void menu_build_error(struct menu_build *b, const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
unsigned menu_build_n_errors(const struct menu_build *b);

/* Sections. Each returns the index of the new object or -errno (already reported). */
int menu_build_language(struct menu_build *b, const char *file, unsigned line, const char *code);
int menu_build_node(struct menu_build *b, const char *file, unsigned line, const char *id);
int menu_build_hotline(struct menu_build *b, const char *file, unsigned line, const char *id);

/* One "key[.lang] = value" of a section; lang is NULL when the key had none. 0 or -errno (reported). */
int menu_build_language_field(struct menu_build *b, const char *file, unsigned line, int idx, const char *key,
			      const char *lang, const char *value);
int menu_build_node_field(struct menu_build *b, const char *file, unsigned line, int idx, const char *key,
			  const char *lang, const char *value);
int menu_build_hotline_field(struct menu_build *b, const char *file, unsigned line, int idx, const char *key,
			     const char *lang, const char *value);
int menu_build_ui_field(struct menu_build *b, const char *file, unsigned line, const char *key, const char *lang,
			const char *value);

/* Check what the whole pack needs (roots, parents, cycles, translations, ...) and hand the tree over
 * to ctx. NULL when any error was reported, now or before. Frees the builder either way. */
struct menu_tree *menu_build_finish(struct menu_build *b, void *ctx);

/* 1–64 characters of A-Z a-z 0-9 . _ - */
bool menu_id_valid(const char *s, size_t len);

/* The body of a hotlines node in language lang, unfolded: one entry per line. Returns the byte
 * length (NUL-terminated in out) or -ENOSPC. */
long menu_hotline_body(const struct menu_tree *t, const struct menu_node *n, unsigned lang, char *out, size_t outlen);
