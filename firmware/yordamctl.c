/* yordamctl: the operator's command line to a running yordamd (see ctl.c for the protocol). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <osmocom/core/talloc.h>

#include <yordam/config.h>

#define DEFAULT_CONFIG "/etc/yordam/yordam.conf"
#define REPLY_MAX      (1024 * 1024)

static int timeout_ms = 30000;

static void usage(FILE *f)
{
	fprintf(f, "Usage: yordamctl [-c CONFIG | -s SOCKET] [-t SECONDS] COMMAND\n"
		   "Commands:\n"
		   "  status                     ports, links, open sessions, counters\n"
		   "  content import DIR         import a content pack into the store and serve it\n"
		   "  content validate [DIR]     check a pack (or the content in service) against every port\n"
		   "  dial CODE [--as ID]        walk the menus from this terminal, e.g. dial '*100#';\n"
		   "                             answers are read from standard input, one per line;\n"
		   "                             --as +NUMBER stands for that phone (complaint forms)\n"
		   "  sms status                 SMS counters and queue figures\n"
		   "  sms outbox [N]             the last N outbox parts (numbers masked)\n"
		   "  sms send NUMBER TEXT...    queue an SMS through the one send API\n"
		   "  cases list                 the newest 100 cases (no personal data)\n"
		   "  cases show CASE            one case with its personal data decrypted (logged)\n"
		   "  cases export [--decrypt]   every case as CSV; personal data only with --decrypt\n"
		   "  clock advance SECONDS      tests only (control.test_clock): move the daemon's clock ahead\n"
		   "  sync status                last success, backlog, last error of the sync with the platform\n"
		   "  sync now                   start a sync round now\n"
		   "Options:\n"
		   "  -c, --config FILE   take the control socket from yordamd's configuration (default " DEFAULT_CONFIG
		   ")\n"
		   "  -s, --socket PATH   control socket of the daemon\n"
		   "  -t, --timeout S     seconds to wait for an answer (default 30)\n");
}

static int ctl_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "yordamctl: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "yordamctl: cannot connect to %s: %s (is yordamd running?)\n", path, strerror(errno));
		if (fd >= 0) {
			close(fd);
		}
		return -1;
	}
	return fd;
}

static int send_line(int fd, const char *line)
{
	size_t len = strlen(line);
	char buf[4100];

	if (len + 1 >= sizeof(buf) || strchr(line, '\n')) {
		fprintf(stderr, "yordamctl: request too long or contains a line break\n");
		return -1;
	}
	memcpy(buf, line, len);
	buf[len++] = '\n';
	if (write(fd, buf, len) != (ssize_t)len) {
		fprintf(stderr, "yordamctl: write: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* Buffered reader for "TYPE LEN\n" + LEN bytes frames. */
struct reader {
	int fd;
	char buf[REPLY_MAX + 64];
	size_t len;
};

static int fill(struct reader *r)
{
	struct pollfd p = {.fd = r->fd, .events = POLLIN};
	ssize_t n;

	if (r->len == sizeof(r->buf)) {
		return -1;
	}
	if (poll(&p, 1, timeout_ms) <= 0) {
		fprintf(stderr, "yordamctl: no answer from yordamd within %d s\n", timeout_ms / 1000);
		return -1;
	}
	n = read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
	if (n <= 0) {
		fprintf(stderr, "yordamctl: yordamd closed the connection\n");
		return -1;
	}
	r->len += (size_t)n;
	return 0;
}

static int read_reply(struct reader *r, char type[8], char **payload)
{
	char *nl;
	size_t hlen, plen;

	while (!(nl = memchr(r->buf, '\n', r->len))) {
		if (fill(r) < 0) {
			return -1;
		}
	}
	hlen = (size_t)(nl - r->buf) + 1;
	if (sscanf(r->buf, "%7s %zu", type, &plen) != 2 || plen > REPLY_MAX) {
		fprintf(stderr, "yordamctl: malformed answer from yordamd\n");
		return -1;
	}
	while (r->len < hlen + plen) {
		if (fill(r) < 0) {
			return -1;
		}
	}
	*payload = malloc(plen + 1);
	if (!*payload) {
		return -1;
	}
	memcpy(*payload, r->buf + hlen, plen);
	(*payload)[plen] = '\0';
	memmove(r->buf, r->buf + hlen + plen, r->len - hlen - plen);
	r->len -= hlen + plen;
	return 0;
}

static int simple(int fd, const char *line)
{
	struct reader *r = calloc(1, sizeof(*r));
	char type[8], *payload = NULL;
	int rc = 1;

	if (!r) {
		return 1;
	}
	r->fd = fd;
	if (send_line(fd, line) == 0 && read_reply(r, type, &payload) == 0) {
		fputs(payload, strcmp(type, "OK") ? stderr : stdout);
		rc = strcmp(type, "OK") ? 1 : 0;
	}
	free(payload);
	free(r);
	return rc;
}

static int dial(int fd, const char *code, const char *id)
{
	struct reader *r = calloc(1, sizeof(*r));
	bool tty = isatty(STDIN_FILENO);
	char type[8], *payload = NULL, line[4096], req[4200];
	int rc = 1;

	if (!r) {
		return 1;
	}
	r->fd = fd;
	snprintf(req, sizeof(req), "dial %s%s%s", code, id ? " " : "", id ? id : "");
	if (send_line(fd, req) < 0) {
		goto out;
	}
	for (;;) {
		if (read_reply(r, type, &payload) < 0) {
			goto out;
		}
		if (!strcmp(type, "ERR")) {
			fputs(payload, stderr);
			goto out;
		}
		printf("%s\n", payload);
		free(payload);
		payload = NULL;
		if (!strcmp(type, "END")) {
			printf("[dialog ended]\n");
			rc = 0;
			goto out;
		}
		printf("> ");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin)) {
			/* The caller hung up. */
			printf("[hung up]\n");
			send_line(fd, "bye");
			rc = 0;
			goto out;
		}
		line[strcspn(line, "\r\n")] = '\0';
		if (!tty) {
			/* Scripted input: echo it so the transcript reads like a session. */
			printf("%s\n", line);
		}
		printf("\n");
		snprintf(req, sizeof(req), "in %s", line);
		if (send_line(fd, req) < 0) {
			goto out;
		}
	}
out:
	free(payload);
	free(r);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},  {"socket", required_argument, NULL, 's'},
		{"timeout", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
		{"as", required_argument, NULL, 'a'},	   {NULL, 0, NULL, 0},
	};
	const char *config = NULL, *sock = getenv("YORDAM_SOCKET"), *as = NULL;
	char err[4096], req[PATH_MAX + 64], dir[PATH_MAX];
	void *ctx = talloc_named_const(NULL, 0, "yordamctl");
	int c, fd, rc;

	while ((c = getopt_long(argc, argv, "+c:s:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 't':
			timeout_ms = atoi(optarg) * 1000;
			if (timeout_ms <= 0) {
				fprintf(stderr, "yordamctl: bad timeout\n");
				return 2;
			}
			break;
		case 'a':
			as = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (!sock || config) {
		struct yordam_config *cfg = config_load(ctx, config ? config : DEFAULT_CONFIG, err, sizeof(err));
		if (!cfg) {
			fprintf(stderr, "%s", err);
			return 2;
		}
		sock = talloc_strdup(ctx, cfg->control.socket);
	}

	argv += optind;
	argc -= optind;
	if (!strcmp(argv[0], "status") && argc == 1) {
		snprintf(req, sizeof(req), "status");
	} else if (!strcmp(argv[0], "content") && argc >= 2 && !strcmp(argv[1], "import") && argc == 3) {
		/* The daemon runs elsewhere: send it an absolute path. */
		if (!realpath(argv[2], dir)) {
			fprintf(stderr, "yordamctl: %s: %s\n", argv[2], strerror(errno));
			return 2;
		}
		snprintf(req, sizeof(req), "content import %s", dir);
	} else if (!strcmp(argv[0], "content") && argc >= 2 && !strcmp(argv[1], "validate") && argc <= 3) {
		if (argc == 3 && !realpath(argv[2], dir)) {
			fprintf(stderr, "yordamctl: %s: %s\n", argv[2], strerror(errno));
			return 2;
		}
		snprintf(req, sizeof(req), "content validate%s%s", argc == 3 ? " " : "", argc == 3 ? dir : "");
	} else if (!strcmp(argv[0], "cases") && argc == 2 && !strcmp(argv[1], "list")) {
		snprintf(req, sizeof(req), "cases list");
	} else if (!strcmp(argv[0], "cases") && argc == 3 && !strcmp(argv[1], "show") && !strchr(argv[2], '\n')) {
		snprintf(req, sizeof(req), "cases show %.64s", argv[2]);
	} else if (!strcmp(argv[0], "cases") && argc >= 2 && argc <= 3 && !strcmp(argv[1], "export") &&
		   (argc == 2 || !strcmp(argv[2], "--decrypt"))) {
		snprintf(req, sizeof(req), "cases export%s", argc == 3 ? " --decrypt" : "");
	} else if (!strcmp(argv[0], "clock") && argc == 3 && !strcmp(argv[1], "advance") && !strchr(argv[2], '\n')) {
		snprintf(req, sizeof(req), "clock advance %.20s", argv[2]);
	} else if (!strcmp(argv[0], "sync") && argc == 2 && (!strcmp(argv[1], "status") || !strcmp(argv[1], "now"))) {
		snprintf(req, sizeof(req), "sync %s", argv[1]);
	} else if (!strcmp(argv[0], "sms") && argc >= 2) {
		size_t used = 0;
		int i;
		for (i = 0; i < argc; i++) {
			int n = snprintf(req + used, sizeof(req) - used, "%s%s", i ? " " : "", argv[i]);
			if (n < 0 || (size_t)n >= sizeof(req) - used || strchr(argv[i], '\n')) {
				fprintf(stderr, "yordamctl: request too long or holds a line break\n");
				return 2;
			}
			used += (size_t)n;
		}
	} else if (!strcmp(argv[0], "dial") && argc >= 2) {
		/* allow "dial CODE --as ID" as well as "--as ID dial CODE" */
		optind = 2;
		while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
			if (c == 'a') {
				as = optarg;
			} else {
				usage(stderr);
				return 2;
			}
		}
		if (strchr(argv[1], ' ') || (as && strchr(as, ' '))) {
			fprintf(stderr, "yordamctl: CODE and ID must not contain spaces\n");
			return 2;
		}
		fd = ctl_connect(sock);
		if (fd < 0) {
			return 1;
		}
		rc = dial(fd, argv[1], as);
		close(fd);
		talloc_free(ctx);
		return rc;
	} else {
		usage(stderr);
		return 2;
	}
	fd = ctl_connect(sock);
	if (fd < 0) {
		return 1;
	}
	rc = simple(fd, req);
	close(fd);
	talloc_free(ctx);
	return rc;
}
