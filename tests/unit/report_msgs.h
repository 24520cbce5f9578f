/* For unit tests: collect the messages of a struct menu_report (pack loading, content validate)
 * and look for one. Header-only; each test includes it once. */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define MAX_MSGS 64

struct msgs {
	unsigned n;
	char msg[MAX_MSGS][512];
	bool error[MAX_MSGS];
};

static inline void collect(void *data, bool error, const char *msg)
{
	struct msgs *m = data;

	if (m->n < MAX_MSGS) {
		snprintf(m->msg[m->n], sizeof(m->msg[0]), "%s", msg);
		m->error[m->n] = error;
		m->n++;
	}
}

static inline bool has_msg(const struct msgs *m, bool error, const char *text)
{
	unsigned i;

	for (i = 0; i < m->n; i++) {
		if (m->error[i] == error && strstr(m->msg[i], text)) {
			return true;
		}
	}
	return false;
}

static inline void dump_msgs(const struct msgs *m)
{
	unsigned i;

	for (i = 0; i < m->n; i++) {
		fprintf(stderr, "  %s: %s\n", m->error[i] ? "error" : "warning", m->msg[i]);
	}
}
