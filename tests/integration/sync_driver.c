/* sync_driver: a test client linking yordam_sync, driven by test_sync*.py and bench/sync_*.sh.
 *
 * It runs the real client on a libosmocore loop with an in-memory journal of N generated records
 * (seq 1..N, data {"n":seq,"text":...}; the acknowledged seq optionally persisted in a file with
 * fsync + rename) and a file-backed sink that installs each verified bundle into SINK/KIND/vVERSION
 * and records the version in SINK/KIND/current (rename, so a half-applied bundle never shows).
 * Real durability arrives when the daemon wires the store in; this is the harness's stand-in.
 *
 * Goals (exit 0 when reached, 1 at --max-seconds or when --rounds are used up without it):
 *   --until-acked         every record acknowledged, then one more successful round
 *   --until-version V     the first kind's version in service >= V
 *   --rounds K            stop after K rounds (exit 0 if the last one succeeded)
 * --grow N makes the journal hold N records at first and N more after every round.
 * Every round prints "ROUND ok|fail ..." and the end "RESULT key=value ...". */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>

#include <yordam/log.h>
#include <yordam/sync.h>

struct journal {
	uint64_t n;
	uint64_t visible; /* records the journal holds so far (--grow) */
	uint64_t grow;
	uint64_t acked;
	const char *state_file;
	char **data;
	size_t *len;
	char type[16];
};

struct sink {
	const char *dir;
	bool reject;
	unsigned applied;
};

static struct sync_client *client;
static struct journal jr;
static struct sink sk;
static bool until_acked;
static uint64_t until_version;
static unsigned max_rounds, rounds;
static int exit_code = -1;
static struct timespec t0;

static double elapsed(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
}

static int write_file_atomic(const char *path, const char *text)
{
	char tmp[4096];
	int fd, rc = 0;
	size_t len = strlen(text);

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		return -errno;
	}
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
		rc = -EIO;
	}
	if (close(fd) < 0 && rc == 0) {
		rc = -errno;
	}
	if (rc == 0 && rename(tmp, path) < 0) {
		rc = -errno;
	}
	return rc;
}

/* --- the journal --- */

static int j_last_acked(void *data, uint64_t *seq)
{
	*seq = jr.acked;
	return 0;
}

static int j_read_batch(void *data, uint64_t after, struct sync_record *out, unsigned max)
{
	unsigned k = 0;
	uint64_t s;

	for (s = after + 1; s <= jr.visible && k < max; s++, k++) {
		out[k].seq = s;
		out[k].time = 1764000000 + (int64_t)s;
		out[k].type = jr.type;
		out[k].data = jr.data[s - 1];
		out[k].data_len = jr.len[s - 1];
	}
	return (int)k;
}

static int j_acked(void *data, uint64_t seq)
{
	char buf[32];

	if (seq < jr.acked || seq > jr.n) {
		fprintf(stderr, "journal: ack %" PRIu64 " out of range (acked %" PRIu64 ")\n", seq, jr.acked);
		return -EINVAL;
	}
	if (jr.state_file) {
		snprintf(buf, sizeof(buf), "%" PRIu64 "\n", seq);
		if (write_file_atomic(jr.state_file, buf) < 0) {
			return -EIO;
		}
	}
	jr.acked = seq;
	return 0;
}

static int j_backlog(void *data, uint64_t after, uint64_t *count)
{
	*count = jr.visible > after ? jr.visible - after : 0;
	return 0;
}

static const struct sync_journal_ops journal_ops = {
	.last_acked = j_last_acked,
	.read_batch = j_read_batch,
	.acked = j_acked,
	.backlog = j_backlog,
};

/* --- the sink --- */

static int s_current(void *data, const char *kind, uint64_t *version)
{
	char path[4096], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/current", sk.dir, kind);
	f = fopen(path, "r");
	if (!f) {
		*version = 0;
		return errno == ENOENT ? 0 : -errno;
	}
	if (!fgets(buf, sizeof(buf), f)) {
		buf[0] = '\0';
	}
	fclose(f);
	*version = strtoull(buf, NULL, 10);
	return 0;
}

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out, rc = 0;
	ssize_t n;

	if (in < 0) {
		return -errno;
	}
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0) {
		close(in);
		return -errno;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write(out, buf, (size_t)n) != n) {
			rc = -EIO;
			break;
		}
	}
	if (n < 0 || fsync(out) < 0) {
		rc = -EIO;
	}
	close(in);
	if (close(out) < 0) {
		rc = -EIO;
	}
	return rc;
}

static int s_apply(void *data, const char *kind, uint64_t version, const char *dir, const char **why)
{
	char kdir[1024], tmp[1100], final[1100], from[4096], to[1400], cur[32];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (sk.reject) {
		*why = "the sink refuses every bundle (--sink-reject)";
		return -EINVAL;
	}
	snprintf(kdir, sizeof(kdir), "%s/%s", sk.dir, kind);
	mkdir(sk.dir, 0755);
	mkdir(kdir, 0755);
	snprintf(tmp, sizeof(tmp), "%s/v%" PRIu64 ".tmp", kdir, version);
	snprintf(final, sizeof(final), "%s/v%" PRIu64, kdir, version);
	if (mkdir(tmp, 0755) < 0) {
		*why = "cannot create the staging directory";
		return -errno;
	}
	d = opendir(dir);
	if (!d) {
		return -errno;
	}
	while ((de = readdir(d)) && rc == 0) {
		if (de->d_name[0] == '.') {
			continue;
		}
		snprintf(from, sizeof(from), "%s/%s", dir, de->d_name);
		if (snprintf(to, sizeof(to), "%s/%.255s", tmp, de->d_name) >= (int)sizeof(to)) {
			rc = -ENAMETOOLONG;
			break;
		}
		rc = copy_file(from, to);
	}
	closedir(d);
	if (rc == 0 && rename(tmp, final) < 0) {
		rc = -errno;
	}
	snprintf(cur, sizeof(cur), "%" PRIu64 "\n", version);
	if (rc == 0) {
		snprintf(to, sizeof(to), "%s/current", kdir);
		rc = write_file_atomic(to, cur);
	}
	if (rc == 0) {
		sk.applied++;
		printf("APPLIED %s %" PRIu64 " %s\n", kind, version, final);
		fflush(stdout);
	}
	return rc;
}

static const struct sync_sink_ops sink_ops = {
	.current_version = s_current,
	.apply_bundle = s_apply,
};

/* --- the loop --- */

static void print_result(void)
{
	struct sync_status st;
	double t = elapsed();

	sync_client_status(client, &st);
	printf("RESULT acked=%" PRIu64 " records=%" PRIu64 " sent=%" PRIu64 " rounds_ok=%u rounds_failed=%u "
	       "handshakes_full=%u handshakes_resumed=%u bundle_version=%" PRIu64 " bundles_applied=%u "
	       "bundles_rejected=%u elapsed_s=%.3f records_per_s=%.0f last_error=%s\n",
	       jr.acked, jr.n, st.records_sent, st.rounds_ok, st.rounds_failed, st.handshakes_full,
	       st.handshakes_resumed, st.bundle_version[0], st.bundles_applied, st.bundles_rejected, t,
	       t > 0 ? (double)st.records_sent / t : 0.0, st.last_error[0] ? st.last_error : "-");
	fflush(stdout);
}

static void round_cb(void *data, bool ok)
{
	struct sync_status st;

	rounds++;
	if (jr.grow) {
		jr.visible = jr.visible + jr.grow < jr.n ? jr.visible + jr.grow : jr.n;
	}
	sync_client_status(client, &st);
	printf("ROUND %s n=%u acked=%" PRIu64 " full=%u resumed=%u version=%" PRIu64 " error=%s\n", ok ? "ok" : "fail",
	       rounds, jr.acked, st.handshakes_full, st.handshakes_resumed, st.bundle_version[0],
	       st.last_error[0] ? st.last_error : "-");
	fflush(stdout);
	if (ok && until_acked && jr.acked == jr.n) {
		exit_code = 0;
	} else if (ok && until_version && st.bundle_version[0] >= until_version) {
		exit_code = 0;
	} else if (max_rounds && rounds >= max_rounds) {
		exit_code = (ok && !until_acked && !until_version) ? 0 : 1;
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: sync_driver --host NAME --address IP --port N --ca F --cert F --key F --bundle-pub F\n"
			"  --work DIR --sink DIR [--records N] [--journal-state F] [--batch N] [--interval-ms N]\n"
			"  [--backoff-min-ms N] [--backoff-max-ms N] [--timeout-ms N] [--kind K] [--no-resume]\n"
			"  [--sink-reject] [--grow N] [--until-acked] [--until-version V] [--rounds K] [--max-seconds "
			"S] [-v]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"host", 1, NULL, 'H'},
		{"address", 1, NULL, 'A'},
		{"port", 1, NULL, 'P'},
		{"ca", 1, NULL, 'C'},
		{"cert", 1, NULL, 'c'},
		{"key", 1, NULL, 'k'},
		{"bundle-pub", 1, NULL, 'b'},
		{"work", 1, NULL, 'w'},
		{"sink", 1, NULL, 's'},
		{"records", 1, NULL, 'n'},
		{"journal-state", 1, NULL, 'j'},
		{"batch", 1, NULL, 'B'},
		{"interval-ms", 1, NULL, 'i'},
		{"backoff-min-ms", 1, NULL, 'm'},
		{"backoff-max-ms", 1, NULL, 'M'},
		{"timeout-ms", 1, NULL, 't'},
		{"kind", 1, NULL, 'K'},
		{"no-resume", 0, NULL, 'R'},
		{"sink-reject", 0, NULL, 'X'},
		{"until-acked", 0, NULL, 'a'},
		{"until-version", 1, NULL, 'V'},
		{"grow", 1, NULL, 'g'},
		{"rounds", 1, NULL, 'r'},
		{"max-seconds", 1, NULL, 'S'},
		{NULL, 0, NULL, 0},
	};
	struct sync_cfg cfg = {0};
	void *ctx = talloc_named_const(NULL, 0, "sync_driver");
	unsigned max_seconds = 120, nk = 0;
	int o, level = LOGL_NOTICE;
	char err[256];
	uint64_t i;

	while ((o = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (o) {
		case 'H':
			cfg.host = optarg;
			break;
		case 'A':
			cfg.address = optarg;
			break;
		case 'P':
			cfg.port = (uint16_t)atoi(optarg);
			break;
		case 'C':
			cfg.ca_file = optarg;
			break;
		case 'c':
			cfg.cert_file = optarg;
			break;
		case 'k':
			cfg.key_file = optarg;
			break;
		case 'b':
			cfg.bundle_key_file = optarg;
			break;
		case 'w':
			cfg.work_dir = optarg;
			break;
		case 's':
			sk.dir = optarg;
			break;
		case 'n':
			jr.n = strtoull(optarg, NULL, 10);
			break;
		case 'j':
			jr.state_file = optarg;
			break;
		case 'B':
			cfg.batch_max = (unsigned)atoi(optarg);
			break;
		case 'i':
			cfg.interval_ms = (unsigned)atoi(optarg);
			break;
		case 'm':
			cfg.backoff_min_ms = (unsigned)atoi(optarg);
			break;
		case 'M':
			cfg.backoff_max_ms = (unsigned)atoi(optarg);
			break;
		case 't':
			cfg.timeout_ms = (unsigned)atoi(optarg);
			break;
		case 'K':
			if (nk < SYNC_KINDS_MAX) {
				cfg.kinds[nk++] = optarg;
			}
			break;
		case 'R':
			cfg.no_resume = true;
			break;
		case 'X':
			sk.reject = true;
			break;
		case 'a':
			until_acked = true;
			break;
		case 'V':
			until_version = strtoull(optarg, NULL, 10);
			break;
		case 'g':
			jr.grow = strtoull(optarg, NULL, 10);
			break;
		case 'r':
			max_rounds = (unsigned)atoi(optarg);
			break;
		case 'S':
			max_seconds = (unsigned)atoi(optarg);
			break;
		case 'v':
			level = LOGL_DEBUG;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (!sk.dir) {
		usage();
		return 2;
	}
	osmo_init_logging2(ctx, &yordam_log_info);
	log_set_print_category(osmo_stderr_target, 1);
	log_set_print_level(osmo_stderr_target, 1);
	log_set_print_filename2(osmo_stderr_target, LOG_FILENAME_NONE);
	log_set_use_color(osmo_stderr_target, 0);
	log_set_category_filter(osmo_stderr_target, DSYNC, 1, level);

	snprintf(jr.type, sizeof(jr.type), "case_event");
	jr.visible = jr.grow && jr.grow < jr.n ? jr.grow : jr.n;
	jr.data = calloc(jr.n ? jr.n : 1, sizeof(*jr.data));
	jr.len = calloc(jr.n ? jr.n : 1, sizeof(*jr.len));
	for (i = 0; i < jr.n; i++) {
		int n = asprintf(&jr.data[i],
				 "{\"n\":%" PRIu64 ",\"text\":\"record %" PRIu64 " of the sync test journal\"}", i + 1,
				 i + 1);
		if (n < 0) {
			return 1;
		}
		jr.len[i] = (size_t)n;
	}
	if (jr.state_file) {
		FILE *f = fopen(jr.state_file, "r");
		if (f) {
			if (fscanf(f, "%" SCNu64, &jr.acked) != 1) {
				jr.acked = 0;
			}
			fclose(f);
		}
	}

	client = sync_client_alloc(ctx, &cfg, &journal_ops, NULL, &sink_ops, NULL, 0, err, sizeof(err));
	if (!client) {
		printf("RESULT setup_error=%s\n", err);
		return 2;
	}
	sync_client_set_round_cb(client, round_cb, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (exit_code < 0) {
		osmo_select_main(0);
		if (elapsed() > max_seconds) {
			printf("TIMEOUT after %u s\n", max_seconds);
			exit_code = 1;
		}
	}
	print_result();
	sync_client_free(client);
	for (i = 0; i < jr.n; i++) {
		free(jr.data[i]);
	}
	free(jr.data);
	free(jr.len);
	log_fini();
	talloc_free(ctx);
	return exit_code;
}
