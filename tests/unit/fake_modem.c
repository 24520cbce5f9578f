/* A stand-in for modem/ in unit tests of the SMS layer: records what the SMS layer asks of it. */
#include <errno.h>
#include <string.h>

#include <osmocom/core/utils.h>

#include "fake_modem.h"

const char *modem_name(const struct modem *m)
{
	return m->name;
}

bool modem_ready(const struct modem *m)
{
	return m->ready;
}

bool modem_prefers(const struct modem *m, const char *number)
{
	return m->prefix && !strncmp(number, m->prefix, strlen(m->prefix));
}

int modem_send(struct modem *m, const struct modem_sms_out *o)
{
	if (m->send_rc) {
		return m->send_rc;
	}
	if (m->n_sent >= FAKE_MAX) {
		return -EAGAIN;
	}
	m->sent[m->n_sent++] = *o;
	return 0;
}

int modem_sms_delete(struct modem *m, int folder, int location)
{
	if (m->n_deleted < FAKE_MAX) {
		m->deleted[m->n_deleted++] = location;
	}
	return 0;
}

void modem_get_status(const struct modem *m, struct modem_status *st)
{
	memset(st, 0, sizeof(*st));
	osmo_strlcpy(st->name, m->name, sizeof(st->name));
	st->state = m->ready ? MODEM_ST_READY : MODEM_ST_DOWN;
}

const char *modem_state_name(enum modem_state st)
{
	return "fake";
}
