/* yordam-central: the reference central platform for Yordam appliances (docs/sync.md). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "central.h"

static void usage(FILE *f)
{
	fprintf(f, "usage:\n"
		   "  yordam-central init    --db FILE\n"
		   "  yordam-central serve   --db FILE --listen ADDR:PORT --ca CA.pem --cert CERT.pem --key KEY.pem\n"
		   "                         [--max-conns N]\n"
		   "  yordam-central publish --db FILE --sign-key KEY.pem [--kind content] DIR\n"
		   "  yordam-central stats   --db FILE\n"
		   "Protocol, keys and certificates: docs/sync.md. Fault injection for tests:\n"
		   "  YORDAM_CENTRAL_FAULT=exit-after-commit:N (serve exits after the N-th committed batch)\n");
}

static int parse_listen(const char *s, char *addr, size_t alen, uint16_t *port)
{
	const char *colon = strrchr(s, ':');
	char *end;
	unsigned long p;
	size_t n;

	if (!colon) {
		return -EINVAL;
	}
	n = (size_t)(colon - s);
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n == 0 || n >= alen) {
		return -EINVAL;
	}
	memcpy(addr, s, n);
	addr[n] = '\0';
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (errno || *end || p == 0 || p > 65535) {
		return -EINVAL;
	}
	*port = (uint16_t)p;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},	{"listen", required_argument, NULL, 'l'},
		{"ca", required_argument, NULL, 'a'},	{"cert", required_argument, NULL, 'c'},
		{"key", required_argument, NULL, 'k'},	{"sign-key", required_argument, NULL, 's'},
		{"kind", required_argument, NULL, 'K'}, {"max-conns", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},	{NULL, 0, NULL, 0},
	};
	struct central_serve_cfg sc = {.max_conns = 64};
	const char *cmd, *db = NULL, *listen = NULL, *sign_key = NULL, *kind = "content";
	char addr[64];
	int o, rc;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	cmd = argv[1];
	optind = 2;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'd':
			db = optarg;
			break;
		case 'l':
			listen = optarg;
			break;
		case 'a':
			sc.ca_file = optarg;
			break;
		case 'c':
			sc.cert_file = optarg;
			break;
		case 'k':
			sc.key_file = optarg;
			break;
		case 's':
			sign_key = optarg;
			break;
		case 'K':
			kind = optarg;
			break;
		case 'm':
			sc.max_conns = (unsigned)atoi(optarg);
			if (sc.max_conns < 1 || sc.max_conns > 4096) {
				fprintf(stderr, "--max-conns: 1..4096\n");
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!db) {
		fprintf(stderr, "%s: --db is required\n", cmd);
		return 2;
	}
	if (strcmp(cmd, "init") == 0 || strcmp(cmd, "stats") == 0) {
		struct central_db *d;
		char err[256];
		rc = central_db_open(db, &d, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		rc = strcmp(cmd, "stats") == 0 ? central_db_stats(d) : 0;
		central_db_close(d);
		return rc < 0 ? 1 : 0;
	}
	if (strcmp(cmd, "serve") == 0) {
		if (!listen || !sc.ca_file || !sc.cert_file || !sc.key_file ||
		    parse_listen(listen, addr, sizeof(addr), &sc.port) < 0) {
			fprintf(stderr, "serve: --listen ADDR:PORT, --ca, --cert and --key are required\n");
			return 2;
		}
		sc.db_path = db;
		sc.listen_addr = addr;
		return central_serve(&sc) < 0 ? 1 : 0;
	}
	if (strcmp(cmd, "publish") == 0) {
		if (!sign_key || optind != argc - 1) {
			fprintf(stderr, "publish: --sign-key and one DIR are required\n");
			return 2;
		}
		return central_publish(db, sign_key, kind, argv[optind]) < 0 ? 1 : 0;
	}
	fprintf(stderr, "unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
