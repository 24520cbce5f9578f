/* Fuzz reassembly of received parts through the SMS service: any sequence of parts (out of order,
 * duplicated, interleaved, contradictory UDH, odd text), clock jumps, restarts of the service.
 * The store lives in a temporary directory for the whole run. Input: records of
 *   [op] [sender] [ref lo] [ref hi] [total] [seq] [len] [len bytes of text]
 * op bit 0-1: 0 part, 1 part with 16-bit ref, 2 tick after the clock jumps op>>2 minutes, 3 restart.
 * Invariant: every part handed over is stored or recognised (no part rejected), and every
 * completed or expired message is processed. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <osmocom/core/application.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include <yordam/log.h>
#include <yordam/menu.h>
#include <yordam/secret.h>
#include <yordam/sms.h>
#include <yordam/store.h>

#include "fake_modem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)              \
	do {                     \
		if (!(cond)) {   \
			abort(); \
		}                \
	} while (0)

static struct menu_tree *tree;
static struct store *st;
static struct secret *sec;
static struct sms_service *svc;
static struct modem m1 = {.name = "m1", .ready = true};
static int location;

static const struct menu_tree *get_tree(void *d)
{
	return tree;
}

static void svc_up(void)
{
	svc = sms_alloc(NULL, NULL, st, sec, get_tree, NULL);
	CHECK(svc);
	CHECK(sms_add_modem(svc, &m1) == 0);
	CHECK(sms_start(svc) == 0);
}

static void init(void)
{
	char dir[] = "/tmp/yordam-fuzz-sms-XXXXXX", path[128];
	struct menu_report rep = {0};

	osmo_init_logging2(NULL, &yordam_log_info);
	log_set_log_level(osmo_stderr_target, LOGL_FATAL);
	tree = menu_pack_load(NULL, YORDAM_SRC_DIR "/menus/content", "en", &rep);
	CHECK(tree);
	CHECK(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/y.db", dir);
	CHECK(store_open(NULL, path, &st) == 0);
	snprintf(path, sizeof(path), "%s/y.key", dir);
	CHECK(secret_load(NULL, path, true, &sec) == 0);
	osmo_gettimeofday_override = true;
	osmo_gettimeofday_override_time = (struct timeval){.tv_sec = 1700000000};
	svc_up();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const senders[] = {"+998901234567", "+79001234567", "Beeline", "", "+1", "0099890"};
	struct sms_counters c0, c1;
	size_t i = 0;

	if (!svc) {
		init();
	}
	sms_get_counters(svc, &c0);
	while (i + 7 <= size) {
		uint8_t op = data[i], len = data[i + 6];
		struct modem_sms_part p = {0};

		if ((op & 3) == 2) {
			osmo_gettimeofday_override_add((time_t)(op >> 2) * 60, 0);
			sms_tick(svc);
			i += 7;
			continue;
		}
		if ((op & 3) == 3) {
			sms_free(svc);
			svc_up();
			sms_get_counters(svc, &c0);
			i += 7;
			continue;
		}
		p.folder = 1;
		p.location = ++location;
		osmo_strlcpy(p.sender, senders[data[i + 1] % ARRAY_SIZE(senders)], sizeof(p.sender));
		p.concat = data[i + 4] != 0;
		p.concat_16bit = op & 1;
		p.concat_ref = (uint16_t)(data[i + 2] | data[i + 3] << 8);
		p.concat_total = data[i + 4];
		p.concat_seq = data[i + 5];
		p.sent_time = op & 0x80 ? 0 : 1700000000;
		p.coding = (enum modem_coding)((op >> 4) % 3);
		i += 7;
		if (len > size - i) {
			len = (uint8_t)(size - i);
		}
		memcpy(p.text, data + i, len); /* may hold NULs and invalid UTF-8 */
		i += len;
		sms_on_received(svc, &m1, &p);
	}
	sms_tick(svc);
	sms_get_counters(svc, &c1);
	CHECK(c1.rx_rejected == c0.rx_rejected);
	if (m1.n_sent > FAKE_MAX - 64) {
		m1.n_sent = 0;
	}
	m1.n_deleted = 0;
	return 0;
}
