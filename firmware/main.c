/* yordamd: the Yordam daemon. A thin main: arguments, logging, signals, the event loop.
 * Everything else is in the module libraries, wired by daemon.c. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>

#include <yordam/config.h>
#include <yordam/log.h>

#include "daemon.h"

#define DEFAULT_CONFIG "/etc/yordam/yordam.conf"

static volatile int quit;

static void usage(FILE *f)
{
	fprintf(f, "Usage: yordamd [-c FILE] [--check-config]\n"
		   "Serve Yordam's USSD menus (and, later, SMS) from the local store.\n\n"
		   "  -c, --config FILE   configuration file (default " DEFAULT_CONFIG ")\n"
		   "      --check-config  validate the configuration and exit (0 valid, 2 invalid)\n"
		   "      --help-config   list every configuration key with its type, default and range\n"
		   "  -h, --help          this help\n"
		   "  -V, --version       print the version\n\n"
		   "Talk to a running daemon with yordamctl (status, content import, dial).\n");
}

static int log_level_of(const char *s)
{
	if (!strcmp(s, "debug")) {
		return LOGL_DEBUG;
	}
	if (!strcmp(s, "info")) {
		return LOGL_INFO;
	}
	if (!strcmp(s, "error")) {
		return LOGL_ERROR;
	}
	return LOGL_NOTICE;
}

static void setup_logging(void *ctx, const struct yordam_config *cfg)
{
	int level = log_level_of(cfg->log.level);
	unsigned i;

	osmo_init_logging2(ctx, &yordam_log_info);
	log_set_print_category(osmo_stderr_target, 1);
	log_set_print_category_hex(osmo_stderr_target, 0);
	log_set_print_level(osmo_stderr_target, 1);
	log_set_print_filename2(osmo_stderr_target, LOG_FILENAME_NONE);
	log_set_print_extended_timestamp(osmo_stderr_target, cfg->log.timestamps);
	log_set_use_color(osmo_stderr_target, 0);
	for (i = 0; i < osmo_log_info->num_cat; i++) {
		log_set_category_filter(osmo_stderr_target, i, 1, level);
	}
}

static void signal_cb(struct osmo_signalfd *osfd, const struct signalfd_siginfo *fdsi)
{
	/* Runs in the event loop (signalfd), so logging here is safe. */
	LOGP(DMAIN, LOGL_NOTICE, "Signal %u received, shutting down\n", fdsi->ssi_signo);
	quit = 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"check-config", no_argument, NULL, 'C'},
		{"help-config", no_argument, NULL, 'H'},  {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},	  {NULL, 0, NULL, 0},
	};
	const char *path = DEFAULT_CONFIG;
	bool check_only = false;
	struct yordam_config *cfg;
	struct daemon d;
	char err[4096];
	sigset_t sigs;
	void *root;
	int c, rc;

	while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'C':
			check_only = true;
			break;
		case 'H':
			config_print_schema();
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("yordamd " YORDAM_VERSION "\n");
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	root = talloc_named_const(NULL, 0, "yordamd");
	cfg = config_load(root, path, err, sizeof(err));
	if (!cfg) {
		fprintf(stderr, "%s", err);
		talloc_free(root);
		return 2;
	}
	if (check_only) {
		printf("%s: OK\n", path);
		talloc_free(root);
		return 0;
	}
	setup_logging(root, cfg);

	/* Signals arrive through a signalfd on the event loop, never in a handler. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (!osmo_signalfd_setup(root, sigs, signal_cb, NULL)) {
		fprintf(stderr, "cannot set up signal handling\n");
		return 1;
	}

	rc = daemon_init(&d, root, cfg);
	if (rc < 0) {
		log_fini();
		talloc_free(root);
		return 1;
	}
	while (!quit) {
		osmo_select_main(0);
	}
	daemon_fini(&d);
	log_fini();
	talloc_free(root);
	return 0;
}
