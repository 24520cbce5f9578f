/* A small program around one modem (yordam_modem) for the Python integration tests.
 *
 *   modem_driver DEVICE CONNECTION MODEL [key=value ...]
 *       keys: name poll_ms timeout_ms reopen_min_ms reopen_max_ms reset_after reject_calls prefixes
 *
 * Every callback is one line on stdout:
 *   RX <folder> <location> <sender> <gsm7|ucs2|8bit> <-|c8:ref:total:seq|c16:ref:total:seq> <sent_time> <text hex>
 *   SENT <id> <result> <mr>
 *   STATE <name>
 *   CALL <number>
 *   DELIVERY <mr> <number> <status>
 * Commands on stdin, one a line:
 *   send <id> <number> <gsm7|ucs2> <ref> <total> <seq> <text hex> [report]   (total 0: not concatenated)
 *       -> QUEUED <id> <rc>
 *   delete <folder> <location>  -> DELETE <folder> <location> <rc>
 *   status                      -> STATUS {json}
 *   quit (or end of input)      -> modem_free (its SENT lines), then BYE */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include <yordam/log.h>
#include <yordam/modem.h>

static struct modem *g_modem;
static bool g_quit;
static char g_line[4096];
static size_t g_linelen;

static void print_hex(const char *s)
{
	for (; *s; s++) {
		printf("%02x", (uint8_t)*s);
	}
}

static void on_sms(void *data, struct modem *m, const struct modem_sms_part *p)
{
	static const char *codings[] = {"gsm7", "ucs2", "8bit"};

	printf("RX %d %d %s %s ", p->folder, p->location, p->sender[0] ? p->sender : "-", codings[p->coding]);
	if (p->concat) {
		printf("%s:%u:%u:%u ", p->concat_16bit ? "c16" : "c8", p->concat_ref, p->concat_total, p->concat_seq);
	} else {
		printf("- ");
	}
	printf("%" PRId64 " ", p->sent_time);
	if (p->text[0]) {
		print_hex(p->text);
	} else {
		printf("-");
	}
	printf("\n");
}

static void on_sent(void *data, struct modem *m, uint64_t id, int result, int mr)
{
	printf("SENT %" PRIu64 " %d %d\n", id, result, mr);
}

static void on_report(void *data, struct modem *m, int mr, const char *number, int status)
{
	printf("DELIVERY %d %s %d\n", mr, number[0] ? number : "-", status);
}

static void on_call(void *data, struct modem *m, const char *number)
{
	printf("CALL %s\n", number[0] ? number : "-");
}

static void on_state(void *data, struct modem *m, enum modem_state st)
{
	printf("STATE %s\n", modem_state_name(st));
}

static void json_str(const char *key, const char *v, bool last)
{
	printf("\"%s\":\"", key);
	for (; *v; v++) {
		if (*v == '"' || *v == '\\') {
			printf("\\%c", *v);
		} else if ((uint8_t)*v < 0x20) {
			printf("\\u%04x", (uint8_t)*v);
		} else {
			putchar(*v);
		}
	}
	printf("\"%s", last ? "" : ",");
}

static void print_status(void)
{
	struct modem_status st;

	modem_get_status(g_modem, &st);
	printf("STATUS {");
	json_str("name", st.name, false);
	json_str("state", modem_state_name(st.state), false);
	printf("\"signal\":%d,", st.signal_percent);
	json_str("network", st.network, false);
	json_str("imsi", st.imsi, false);
	printf("\"rx_parts\":%" PRIu64 ",\"tx_parts\":%" PRIu64 ",\"tx_errors\":%" PRIu64 ",\"reopens\":%" PRIu64
	       ",\"resets\":%" PRIu64 ",\"calls\":%" PRIu64 ",\"rx_unreadable\":%" PRIu64 ",",
	       st.rx_parts, st.tx_parts, st.tx_errors, st.reopens, st.resets, st.calls, st.rx_unreadable);
	json_str("last_error", st.last_error, true);
	printf("}\n");
}

static int unhex(char *out, size_t outlen, const char *hex)
{
	size_t n = strlen(hex), i;

	if (!strcmp(hex, "-")) {
		out[0] = '\0';
		return 0;
	}
	if (n % 2 || n / 2 >= outlen) {
		return -EINVAL;
	}
	for (i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
			return -EINVAL;
		}
		out[i] = (char)v;
	}
	out[n / 2] = '\0';
	return 0;
}

static void command(char *line)
{
	char *argv[10];
	int argc = 0;
	char *tok, *save = NULL;

	for (tok = strtok_r(line, " \t\r", &save); tok && argc < 10; tok = strtok_r(NULL, " \t\r", &save)) {
		argv[argc++] = tok;
	}
	if (!argc) {
		return;
	}
	if (!strcmp(argv[0], "send") && argc >= 8) {
		struct modem_sms_out o;
		int rc;

		memset(&o, 0, sizeof(o));
		o.id = strtoull(argv[1], NULL, 10);
		osmo_strlcpy(o.number, argv[2], sizeof(o.number));
		o.coding = !strcmp(argv[3], "ucs2") ? MODEM_UCS2 : MODEM_GSM7;
		o.concat_ref = (uint8_t)atoi(argv[4]);
		o.concat_total = (uint8_t)atoi(argv[5]);
		o.concat_seq = (uint8_t)atoi(argv[6]);
		o.concat = o.concat_total > 0;
		o.want_report = argc >= 9 && !strcmp(argv[8], "report");
		rc = unhex(o.text, sizeof(o.text), argv[7]);
		if (!rc) {
			rc = modem_send(g_modem, &o);
		}
		printf("QUEUED %" PRIu64 " %d\n", o.id, rc);
	} else if (!strcmp(argv[0], "delete") && argc >= 3) {
		int f = atoi(argv[1]), l = atoi(argv[2]);

		printf("DELETE %d %d %d\n", f, l, modem_sms_delete(g_modem, f, l));
	} else if (!strcmp(argv[0], "status")) {
		print_status();
	} else if (!strcmp(argv[0], "quit")) {
		g_quit = true;
	} else {
		printf("ERROR unknown command\n");
	}
}

static int stdin_cb(struct osmo_fd *ofd, unsigned int what)
{
	char buf[1024];
	ssize_t n = read(ofd->fd, buf, sizeof(buf));
	ssize_t i;

	if (n <= 0) {
		g_quit = true;
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			g_line[g_linelen] = '\0';
			command(g_line);
			g_linelen = 0;
		} else if (g_linelen < sizeof(g_line) - 1) {
			g_line[g_linelen++] = buf[i];
		}
	}
	return 0;
}

static unsigned uarg(const char *v)
{
	return (unsigned)strtoul(v, NULL, 10);
}

int main(int argc, char **argv)
{
	void *root;
	struct modem_cfg cfg = {.name = "m1"};
	struct modem_callbacks cb = {
		.sms_received = on_sms,
		.sms_send_result = on_sent,
		.delivery_report = on_report,
		.incoming_call = on_call,
		.state_changed = on_state,
	};
	struct osmo_fd stdin_ofd;
	int i;

	if (argc < 4) {
		fprintf(stderr, "usage: %s DEVICE CONNECTION MODEL [key=value ...]\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	root = talloc_named_const(NULL, 0, "modem_driver");
	osmo_init_logging2(root, &yordam_log_info);
	log_set_print_category(osmo_stderr_target, 1);
	log_set_print_level(osmo_stderr_target, 1);
	log_set_print_extended_timestamp(osmo_stderr_target, 1);
	log_set_use_color(osmo_stderr_target, 0);
	log_set_print_filename2(osmo_stderr_target, LOG_FILENAME_NONE);
	log_set_category_filter(osmo_stderr_target, DMODEM, 1, LOGL_DEBUG);
	log_set_log_level(osmo_stderr_target, LOGL_INFO);

	cfg.device = argv[1];
	cfg.connection = argv[2];
	cfg.model = strcmp(argv[3], "-") ? argv[3] : "";
	for (i = 4; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		const char *v;

		if (!eq) {
			fprintf(stderr, "bad option %s\n", argv[i]);
			return 2;
		}
		*eq = '\0';
		v = eq + 1;
		if (!strcmp(argv[i], "name")) {
			cfg.name = v;
		} else if (!strcmp(argv[i], "poll_ms")) {
			cfg.poll_ms = uarg(v);
		} else if (!strcmp(argv[i], "timeout_ms")) {
			cfg.timeout_ms = uarg(v);
		} else if (!strcmp(argv[i], "reopen_min_ms")) {
			cfg.reopen_min_ms = uarg(v);
		} else if (!strcmp(argv[i], "reopen_max_ms")) {
			cfg.reopen_max_ms = uarg(v);
		} else if (!strcmp(argv[i], "reset_after")) {
			cfg.reset_after = uarg(v);
		} else if (!strcmp(argv[i], "reject_calls")) {
			cfg.reject_calls = uarg(v) != 0;
		} else if (!strcmp(argv[i], "prefixes")) {
			cfg.prefixes = v;
		} else {
			fprintf(stderr, "unknown option %s\n", argv[i]);
			return 2;
		}
	}

	g_modem = modem_alloc(root, &cfg, &cb);
	if (!g_modem) {
		fprintf(stderr, "modem_alloc failed\n");
		return 1;
	}
	osmo_fd_setup(&stdin_ofd, STDIN_FILENO, OSMO_FD_READ, stdin_cb, NULL, 0);
	osmo_fd_register(&stdin_ofd);
	while (!g_quit) {
		osmo_select_main(0);
	}
	osmo_fd_unregister(&stdin_ofd);
	modem_free(g_modem);
	printf("BYE\n");
	log_fini();
	talloc_free(root);
	return 0;
}
