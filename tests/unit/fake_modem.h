/* The fake modem of the SMS unit tests (fake_modem.c). */
#pragma once

#include <yordam/modem.h>

#define FAKE_MAX 512

struct modem {
	const char *name;
	bool ready;
	const char *prefix;
	int send_rc; /* non-zero: modem_send fails with it */
	struct modem_sms_out sent[FAKE_MAX];
	unsigned n_sent;
	int deleted[FAKE_MAX];
	unsigned n_deleted;
};
