/* Complaint intake, piece by piece: what a case costs before the cases table exists.
 *
 * Measures the parts that exist today, each in a tight loop with CLOCK_MONOTONIC:
 *   - the case number (keyed Feistel permutation + Damm digit), and the one-off table derivation;
 *   - the staff command parser;
 *   - routing over a roster of 20 staff in 5 time zones (duty hours, round robin);
 *   - the early warning (employer normalisation + sliding-window update, 1,024 keys);
 *   - the crypto of one complaint through secret/: AES-256-GCM sealing of the reporter's number
 *     and of a 480-byte Cyrillic text, and the HMAC-SHA256 look-up key of the number;
 *   - a durable single-row commit through the store's existing API (store_caller_lang_set:
 *     INSERT OR REPLACE, WAL, synchronous=FULL) as a stand-in for the case row's commit.
 * Prints figures, asserts nothing. The real durable intake (the case row, its sealed columns and
 * the outbox row in one transaction) is measured when the store has its cases table. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/talloc.h>

#include <yordam/cases.h>
#include <yordam/cases_roster.h>
#include <yordam/cases_warn.h>
#include <yordam/secret.h>
#include <yordam/store.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#define ROUNDS 5

struct result {
	const char *name, *slug;
	double ns; /* median over rounds, per operation */
	double min_ns, max_ns;
	long ops;
};

static volatile uint64_t sink; /* keeps the compiler from dropping the measured work */

typedef void (*op_fn)(void *data, long i);

static struct result measure(const char *name, const char *slug, op_fn fn, void *data, long ops)
{
	double r[ROUNDS], t0;
	struct result res = {.name = name, .slug = slug, .ops = ops};
	long i;
	int k;

	for (i = 0; i < ops / 10 + 1; i++) { /* warm-up */
		fn(data, i);
	}
	for (k = 0; k < ROUNDS; k++) {
		t0 = now_ns();
		for (i = 0; i < ops; i++) {
			fn(data, i);
		}
		r[k] = (now_ns() - t0) / (double)ops;
	}
	qsort(r, ROUNDS, sizeof(r[0]), cmp_double);
	res.ns = r[ROUNDS / 2];
	res.min_ns = r[0];
	res.max_ns = r[ROUNDS - 1];
	return res;
}

static void print_result(const struct result *r)
{
	const char *unit = r->ns >= 1e6 ? "ms" : r->ns >= 1e3 ? "us" : "ns";
	double div = r->ns >= 1e6 ? 1e6 : r->ns >= 1e3 ? 1e3 : 1;

	printf("  %-44s %10.2f %s/op  (min %.2f, max %.2f; %ld ops x %d rounds)\n", r->name, r->ns / div, unit,
	       r->min_ns / div, r->max_ns / div, r->ops, ROUNDS);
	printf("RESULT name=%s ns_per_op=%.1f min_ns=%.1f max_ns=%.1f ops=%ld\n", r->slug, r->ns, r->min_ns, r->max_ns,
	       r->ops);
}

/* --- the operations -------------------------------------------------------------------------- */

struct ctx_number {
	struct cases_numgen *g;
};

static void op_number(void *data, long i)
{
	struct ctx_number *c = data;
	uint32_t n;

	cases_number_from_seq(c->g, (uint64_t)i % CASES_NUMBER_SPACE, &n);
	sink += n;
}

static void op_cmd(void *data, long i)
{
	static const char *const cmds[] = {"OK 123 4566", "R 1234566 Ertaga soat 10 da qo'ng'iroq qilamiz",
					   "\xd0\x94\xd0\x9e\xd0\x9d\xd0\x95 1234566 paid", "INFO 1234566"};
	const char *s = cmds[i & 3];
	struct cases_cmd cmd;

	sink += cases_cmd_parse(s, strlen(s), &cmd) + cmd.number;
}

struct ctx_route {
	struct cases_roster *r;
	int last;
};

static void op_route(void *data, long i)
{
	static const char *const countries[] = {"RU", "KZ", "KR", "TR"};
	static const char *const langs[] = {"uz-Latn", "uz-Cyrl", "ru", "tg"};
	struct ctx_route *c = data;
	struct cases_attrs a = {CASES_KIND_COMPLAINT, (enum cases_category)(1 + i % 7), "", langs[(i / 7) & 3]};
	struct cases_route rt;

	memcpy(a.country, countries[(i / 3) & 3], 3);
	/* Every 10 minutes of a week: on duty, off duty, waits (which compute the next duty start). */
	cases_route(c->r, NULL, &a, 1772409600 + (i % 1008) * 600, c->last, 0, &rt);
	c->last = rt.staff >= 0 ? rt.staff : c->last;
	sink += (uint64_t)rt.result;
}

struct ctx_warn {
	struct cases_warn *w;
	char (*names)[64];
};

static void op_warn(void *data, long i)
{
	struct ctx_warn *c = data;
	struct cases_warn_alert alert;
	char key[CASES_EMPLOYER_KEY_MAX + 1];
	const char *name = c->names[i % 1024];

	cases_employer_normalise(name, strlen(name), key);
	sink += (uint64_t)cases_warn_add(c->w, (enum cases_category)(1 + i % 7), (i & 1) ? "RU" : "KZ", key,
					 1772409600 + i * 60, false, &alert);
}

struct ctx_crypto {
	struct secret *s;
	const char *text;
};

static void op_crypto(void *data, long i)
{
	struct ctx_crypto *c = data;
	uint8_t sealed_num[64 + SECRET_SEAL_OVERHEAD], sealed_text[1024 + SECRET_SEAL_OVERHEAD], key[SECRET_HASH_LEN];
	char msisdn[16];

	snprintf(msisdn, sizeof(msisdn), "+9989%08ld", i % 100000000);
	sink += (uint64_t)secret_hash(c->s, "msisdn", msisdn, key) + key[0];
	sink += (uint64_t)secret_seal(c->s, "case-msisdn", msisdn, strlen(msisdn), sealed_num, sizeof(sealed_num));
	sink += (uint64_t)secret_seal(c->s, "case-text", c->text, strlen(c->text), sealed_text, sizeof(sealed_text));
}

struct ctx_commit {
	struct store *st;
};

static void op_commit(void *data, long i)
{
	struct ctx_commit *c = data;
	uint8_t key[STORE_CALLER_KEY_LEN] = {0};

	memcpy(key, &i, sizeof(i)); /* a new row each time, as a new case would be */
	key[31] = 0xca;
	sink += (uint64_t)store_caller_lang_set(c->st, key, "uz-Latn");
}

/* --- setup ----------------------------------------------------------------------------------- */

static struct cases_roster *bench_roster(void *ctx)
{
	static const char *const zones[] = {"Asia/Tashkent", "Europe/Moscow", "Asia/Almaty", "Asia/Seoul",
					    "Europe/Istanbul"};
	static const char *const l_uz[] = {"uz"}, *const l_ru[] = {"ru"}, *const l_uzru[] = {"uz", "ru"},
				 *const l_tg[] = {"tg", "ru"};
	static const char *const c_ru[] = {"RU"}, *const c_kz[] = {"KZ"}, *const c_kr[] = {"KR", "TR"},
				 *const c_any[] = {"*"};
	static const char *const t_any[] = {"*"}, *const t_some[] = {"wages", "documents", "unsafe"},
				 *const t_cb[] = {"violence", "detention", "callback"};
	static const char *const d_day[] = {"mon-fri 09:00-18:00", "sat 10:00-14:00"},
				 *const d_night[] = {"mon-fri 22:00-06:00"}, *const d_week[] = {"sat-sun 09:00-21:00"};
	static char names[20][16], phones[20][16];
	struct cases_staff staff[20];
	struct cases_roster *r = NULL;
	char *errors = NULL;
	int i, rc;

	for (i = 0; i < 20; i++) {
		snprintf(names[i], sizeof(names[i]), "staff%d", i);
		snprintf(phones[i], sizeof(phones[i]), "+99890%07d", i);
		staff[i] = (struct cases_staff){
			.name = names[i],
			.phone = phones[i],
			.languages = i % 4 == 0	  ? l_uz
				     : i % 4 == 1 ? l_ru
				     : i % 4 == 2 ? l_uzru
						  : l_tg,
			.n_languages = i % 4 >= 2 ? 2 : 1,
			.countries = i % 4 == 0	  ? c_ru
				     : i % 4 == 1 ? c_kz
				     : i % 4 == 2 ? c_kr
						  : c_any,
			.n_countries = i % 4 == 2 ? 2 : 1,
			.topics = i % 3 == 0   ? t_any
				  : i % 3 == 1 ? t_some
					       : t_cb,
			.n_topics = i % 3 == 0 ? 1 : 3,
			.timezone = zones[i % 5],
			.duty = i % 3 == 0   ? d_day
				: i % 3 == 1 ? d_night
					     : d_week,
			.n_duty = i % 3 == 0 ? 2 : 1,
			.supervisor = i == 0 || i == 10,
		};
	}
	rc = cases_roster_compile(ctx, staff, 20, NULL, &r, &errors);
	if (rc < 0) {
		fprintf(stderr, "roster: %s\n%s", strerror(-rc), errors ? errors : "");
		exit(1);
	}
	return r;
}

static void usage(void)
{
	printf("usage: cases_bench [-d DIR] [-n SCALE]\n"
	       "  -d DIR    directory for the store and key file of the commit measurement (default: a\n"
	       "            new directory under $TMPDIR; the figure is the file system's)\n"
	       "  -c N      commits to measure per round (200)\n"
	       "  -n SCALE  multiply the in-memory operation counts (1)\n");
}

int main(int argc, char **argv)
{
	void *ctx = talloc_named_const(NULL, 0, "cases_bench");
	static const uint8_t key[CASES_NUMBER_KEY_LEN] = "bench key: not a device secret!";
	char dirbuf[256], path[300], keypath[300];
	const char *dir = NULL;
	long scale = 1, commits = 200;
	struct result res[8];
	int nres = 0, opt, rc, i;
	double t0, alloc_ms, total;

	while ((opt = getopt(argc, argv, "d:n:c:h")) != -1) {
		switch (opt) {
		case 'd':
			dir = optarg;
			break;
		case 'n':
			scale = strtol(optarg, NULL, 10);
			break;
		case 'c':
			commits = strtol(optarg, NULL, 10);
			break;
		default:
			usage();
			return opt == 'h' ? 0 : 2;
		}
	}
	if (scale < 1 || commits < 1) {
		usage();
		return 2;
	}
	if (!dir) {
		snprintf(dirbuf, sizeof(dirbuf), "%s/yordam-cases-bench.XXXXXX",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (!mkdtemp(dirbuf)) {
			perror("mkdtemp");
			return 1;
		}
		dir = dirbuf;
	}

	/* Case numbers */
	struct ctx_number cn;
	t0 = now_ns();
	for (i = 0; i < 20; i++) {
		talloc_free(cases_numgen_alloc(ctx, key));
	}
	alloc_ms = (now_ns() - t0) / 20 / 1e6;
	cn.g = cases_numgen_alloc(ctx, key);
	res[nres++] = measure("case number from sequence", "number", op_number, &cn, 1000000 * scale);

	/* Staff command parsing */
	res[nres++] = measure("staff command parse", "staff_cmd", op_cmd, NULL, 1000000 * scale);

	/* Routing */
	struct ctx_route cr = {.r = bench_roster(ctx), .last = -1};
	res[nres++] = measure("route (20 staff, 5 zones)", "route", op_route, &cr, 20000 * scale);

	/* Early warning */
	struct cases_warn_cfg wc = {.window = 7 * 86400, .threshold = 5, .capacity = 1024};
	struct ctx_warn cw = {.w = cases_warn_alloc(ctx, &wc), .names = talloc_zero_size(ctx, 1024 * 64)};
	for (i = 0; i < 1024; i++) {
		snprintf(cw.names[i], 64, i & 1 ? "ООО «Стройинвест-%d»" : "Stroy Invest %d LLC", i);
	}
	res[nres++] = measure("early warning (normalise + add, 1024 keys)", "warn", op_warn, &cw, 100000 * scale);

	/* Crypto of one complaint */
	struct ctx_crypto cc = {.text = "Работодатель не платит зарплату уже три месяца, паспорта забрал бригадир, "
					"нас 12 человек на стройке в Подольске. Просим помочь, звонить вечером после "
					"восьми. Номер бригадира не даём, он узнает."};
	snprintf(keypath, sizeof(keypath), "%s/bench.key", dir);
	rc = secret_load(ctx, keypath, true, &cc.s);
	if (rc < 0) {
		fprintf(stderr, "secret_load %s: %s\n", keypath, strerror(-rc));
		return 1;
	}
	res[nres++] = measure("crypto: hash + seal number + seal text", "crypto", op_crypto, &cc, 20000 * scale);

	/* Durable commit (stand-in) */
	struct ctx_commit cm;
	snprintf(path, sizeof(path), "%s/bench.db", dir);
	rc = store_open(ctx, path, &cm.st);
	if (rc < 0) {
		fprintf(stderr, "store_open %s: %s\n", path, strerror(-rc));
		return 1;
	}
	res[nres++] = measure("commit: one row, WAL, synchronous=FULL", "commit", op_commit, &cm, commits);

	printf("\ncases intake pieces (%zu-byte text, store in %s)\n", strlen(cc.text), dir);
	printf("  %-44s %10.2f ms (once, at start: 1,250 HMAC-SHA256 blocks)\n", "case number tables", alloc_ms);
	for (i = 0; i < nres; i++) {
		print_result(&res[i]);
	}
	total = 0;
	for (i = 0; i < nres; i++) {
		if (strcmp(res[i].name, "staff command parse") != 0) {
			total += res[i].ns;
		}
	}
	printf("\none complaint, sum of the pieces (number + route + warning + crypto + commit): %.1f us\n",
	       total / 1e3);
	for (i = 0; i < nres; i++) {
		if (strcmp(res[i].name, "staff command parse") != 0) {
			printf("  %-44s %5.1f %%\n", res[i].name, 100 * res[i].ns / total);
		}
	}
	printf("upper bound from the pieces: %.0f cases/s on one core (not the durable intake: that figure\n"
	       "comes with the cases table, when the row, its sealed columns and the outbox row commit together)\n",
	       1e9 / total);
	printf("RESULT name=sum ns_per_case=%.1f cases_per_s_bound=%.0f\n", total, 1e9 / total);
	talloc_free(ctx);
	if (!strncmp(dir, dirbuf, sizeof(dirbuf))) {
		unlink(path);
		snprintf(path, sizeof(path), "%s/bench.db-wal", dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/bench.db-shm", dir);
		unlink(path);
		unlink(keypath);
		rmdir(dir);
	}
	return 0;
}
