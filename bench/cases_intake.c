/* Durable complaint intake through the wired daemon (issue 4): cases per second, and where a case's time goes.
 *
 * The composition root is brought up in-process (daemon_init, the yordam_firmware library yordamd links) on a
 * configuration written into a new directory: store and key file there, content tests/data/ipack, cases on,
 * a roster of 20 staff in 5 time zones, no GSUP or HTTP port, no modem, sync off. Then, one case at a time:
 *   - SMS: a complaint arrives as received parts through the SMS layer's public API (sms_on_received with no
 *     modem, as a +CMT part that is stored nowhere) and sms_tick() runs what is due: the parts' commit, then
 *     the message's transaction, in which the cases service's text hook files the case (number, PIN hash,
 *     sealed number and text, journal record, early-warning count) and the reply is queued. "filed" stops
 *     there; the event loop then runs the cases service's deadline timer, which routes the case and queues the
 *     staff notification in a transaction of its own ("routed" = filed + that).
 *   - USSD: the cases service's ussd_case_ops.file (the call the USSD engine makes at the form's confirmation):
 *     one transaction with the case and the confirmation SMS; then the same routing.
 * Both run once in DIR (the file system whose fsync is measured) and, unless told otherwise, once more on a
 * tmpfs: the difference is what the disk's flushes cost.
 *
 * The split of a case's time is measured in place: the link (bench/CMakeLists.txt, -Wl,--wrap) sends every
 * call the daemon's libraries make to secret_hash/_seal/_open and store_commit through the counting wrappers
 * below, so the crypto and the commit (SQLite's COMMIT: WAL frames written and, with synchronous=FULL, the
 * fsync) are timed where they happen, and the crypto operations of one case are counted with their sizes.
 * Those same operations are then timed in isolation (through secret/, at the measured average sizes) as a
 * check on the in-place figure. The system clock is libosmocore's override (a fixed Tuesday 07:00 UTC,
 * +100 ms per case), so routing sees the same staff on duty in every run.
 *
 * Prints figures, asserts nothing about speed; exits non-zero only when the wiring did not do what it should
 * (cases missing, daemon not starting). */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include <yordam/cases.h>
#include <yordam/cases_roster.h>
#include <yordam/config.h>
#include <yordam/log.h>
#include <yordam/modem.h>
#include <yordam/secret.h>
#include <yordam/sms.h>
#include <yordam/store.h>
#include <yordam/ussd.h>

#include "daemon.h"

#ifndef YORDAM_SRC_DIR
#define YORDAM_SRC_DIR "."
#endif

#define CLOCK_START   1772521200 /* Tuesday 2026-03-03 07:00 UTC */
#define CLOCK_STEP_US 100000	 /* per case */
#define N_STAFF	      20

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

/* --- in-place accounting (the --wrap targets) ------------------------------------------------------------ */

enum acct_kind { A_HASH, A_SEAL, A_OPEN, A_COMMIT, A_N };
static const char *const acct_name[A_N] = {"HMAC", "seal", "open", "commit"};

struct acct {
	uint64_t calls[A_N], bytes[A_N];
	double ns[A_N];
};

static struct acct tally;
static int acct_depth; /* a wrapped call inside another one (none today) is counted once */

static void acct_sub(struct acct *out, const struct acct *a, const struct acct *b)
{
	int k;

	for (k = 0; k < A_N; k++) {
		out->calls[k] = a->calls[k] - b->calls[k];
		out->bytes[k] = a->bytes[k] - b->bytes[k];
		out->ns[k] = a->ns[k] - b->ns[k];
	}
}

static void acct_add(struct acct *sum, const struct acct *d)
{
	int k;

	for (k = 0; k < A_N; k++) {
		sum->calls[k] += d->calls[k];
		sum->bytes[k] += d->bytes[k];
		sum->ns[k] += d->ns[k];
	}
}

#define ACCT(kind, len, call)                             \
	do {                                              \
		double t0_ = acct_depth++ ? 0 : now_ns(); \
		rc = call;                                \
		if (--acct_depth == 0) {                  \
			tally.ns[kind] += now_ns() - t0_; \
			tally.calls[kind]++;              \
			tally.bytes[kind] += (len);       \
		}                                         \
	} while (0)

int __real_secret_hash(const struct secret *s, const char *domain, const char *identity, uint8_t out[SECRET_HASH_LEN]);
int __wrap_secret_hash(const struct secret *s, const char *domain, const char *identity, uint8_t out[SECRET_HASH_LEN]);
int __real_secret_seal(const struct secret *s, const char *domain, const void *plain, size_t len, uint8_t *out,
		       size_t outlen);
int __wrap_secret_seal(const struct secret *s, const char *domain, const void *plain, size_t len, uint8_t *out,
		       size_t outlen);
int __real_secret_open(const struct secret *s, const char *domain, const uint8_t *sealed, size_t len, void *out,
		       size_t outlen);
int __wrap_secret_open(const struct secret *s, const char *domain, const uint8_t *sealed, size_t len, void *out,
		       size_t outlen);
uint8_t *__real_secret_seal_talloc(void *ctx, const struct secret *s, const char *domain, const void *plain, size_t len,
				   size_t *outlen);
uint8_t *__wrap_secret_seal_talloc(void *ctx, const struct secret *s, const char *domain, const void *plain, size_t len,
				   size_t *outlen);
char *__real_secret_open_str(void *ctx, const struct secret *s, const char *domain, const void *sealed, size_t len);
char *__wrap_secret_open_str(void *ctx, const struct secret *s, const char *domain, const void *sealed, size_t len);
int __real_store_commit(struct store *st);
int __wrap_store_commit(struct store *st);

int __wrap_secret_hash(const struct secret *s, const char *domain, const char *identity, uint8_t out[SECRET_HASH_LEN])
{
	int rc;

	ACCT(A_HASH, identity ? strlen(identity) : 0, __real_secret_hash(s, domain, identity, out));
	return rc;
}

int __wrap_secret_seal(const struct secret *s, const char *domain, const void *plain, size_t len, uint8_t *out,
		       size_t outlen)
{
	int rc;

	ACCT(A_SEAL, len, __real_secret_seal(s, domain, plain, len, out, outlen));
	return rc;
}

int __wrap_secret_open(const struct secret *s, const char *domain, const uint8_t *sealed, size_t len, void *out,
		       size_t outlen)
{
	int rc;

	ACCT(A_OPEN, len > SECRET_SEAL_OVERHEAD ? len - SECRET_SEAL_OVERHEAD : 0,
	     __real_secret_open(s, domain, sealed, len, out, outlen));
	return rc;
}

uint8_t *__wrap_secret_seal_talloc(void *ctx, const struct secret *s, const char *domain, const void *plain, size_t len,
				   size_t *outlen)
{
	uint8_t *rc;

	ACCT(A_SEAL, len, __real_secret_seal_talloc(ctx, s, domain, plain, len, outlen));
	return rc;
}

char *__wrap_secret_open_str(void *ctx, const struct secret *s, const char *domain, const void *sealed, size_t len)
{
	char *rc;

	ACCT(A_OPEN, len > SECRET_SEAL_OVERHEAD ? len - SECRET_SEAL_OVERHEAD : 0,
	     __real_secret_open_str(ctx, s, domain, sealed, len));
	return rc;
}

int __wrap_store_commit(struct store *st)
{
	int rc;

	ACCT(A_COMMIT, 0, __real_store_commit(st));
	return rc;
}

/* --- the roster (the daemon's config and the routing piece use the same table) ---------------------------- */

static const char *const zones[] = {"Asia/Tashkent", "Europe/Moscow", "Asia/Almaty", "Asia/Seoul", "Europe/Istanbul"};
static const char *const l_uz[] = {"uz", "en"}, *const l_ru[] = {"ru"}, *const l_uzru[] = {"uz", "ru"},
			 *const l_any[] = {"*"};
static const char *const c_ru[] = {"RU"}, *const c_kz[] = {"KZ"}, *const c_kr[] = {"KR", "TR"}, *const c_any[] = {"*"};
static const char *const t_any[] = {"*"}, *const t_some[] = {"wages", "documents", "unsafe"},
			 *const t_cb[] = {"violence", "detention", "callback"};
static const char *const d_day[] = {"mon-fri 09:00-18:00", "sat 10:00-14:00"},
			 *const d_night[] = {"mon-fri 22:00-06:00"}, *const d_week[] = {"sat-sun 09:00-21:00"};
static char staff_name[N_STAFF][16], staff_phone[N_STAFF][16];

static void roster_table(struct cases_staff staff[N_STAFF])
{
	int i;

	for (i = 0; i < N_STAFF; i++) {
		snprintf(staff_name[i], sizeof(staff_name[i]), "staff%d", i);
		snprintf(staff_phone[i], sizeof(staff_phone[i]), "+99890100%04d", i);
		staff[i] = (struct cases_staff){
			.name = staff_name[i],
			.phone = staff_phone[i],
			.languages = i % 4 == 0	  ? l_uz
				     : i % 4 == 1 ? l_ru
				     : i % 4 == 2 ? l_uzru
						  : l_any,
			.n_languages = i % 4 == 1 || i % 4 == 3 ? 1 : 2,
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
}

static char *strlist(void *ctx, const char *const *v, size_t n)
{
	char *s = talloc_strdup(ctx, "[");
	size_t i;

	for (i = 0; i < n && s; i++) {
		s = talloc_asprintf_append(s, "%s\"%s\"", i ? ", " : "", v[i]);
	}
	return s ? talloc_strdup_append(s, "]") : NULL;
}

static char *config_text(void *ctx, const char *content)
{
	struct cases_staff staff[N_STAFF];
	char *s;
	int i;

	roster_table(staff);
	s = talloc_asprintf(ctx,
			    "log: { level = \"error\"; };\n"
			    "store: { path = \"yordam.db\"; key_file = \"yordam.key\"; };\n"
			    "content: { dir = \"%s\"; fallback_language = \"en\"; import = \"if-empty\"; };\n"
			    "control: { socket = \"yordamd.sock\"; };\n"
			    "cases: { enabled = true; claim_timeout = 86400; };\n"
			    "staff = (\n",
			    content);
	for (i = 0; i < N_STAFF && s; i++) {
		const struct cases_staff *m = &staff[i];

		s = talloc_asprintf_append(
			s,
			"  { name = \"%s\"; phone = \"%s\"; languages = %s; countries = %s; topics = %s;\n"
			"    timezone = \"%s\"; duty = %s; supervisor = %s; }%s\n",
			m->name, m->phone, strlist(s, m->languages, m->n_languages),
			strlist(s, m->countries, m->n_countries), strlist(s, m->topics, m->n_topics), m->timezone,
			strlist(s, m->duty, m->n_duty), m->supervisor ? "true" : "false", i + 1 < N_STAFF ? "," : "");
	}
	return s ? talloc_strdup_append(s, ");\n") : NULL;
}

/* --- the daemon ----------------------------------------------------------------------------------------- */

struct bench_daemon {
	void *ctx;
	char dir[300];
	struct yordam_config *cfg;
	struct daemon d;
	bool up;
};

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int bench_up(struct bench_daemon *b, const char *parent, const char *content)
{
	char path[400], err[4096];
	FILE *f;
	char *text;
	int rc;

	memset(b, 0, sizeof(*b));
	snprintf(b->dir, sizeof(b->dir), "%s/yordam-cases-bench.XXXXXX", parent);
	if (!mkdtemp(b->dir)) {
		fprintf(stderr, "mkdtemp %s: %s\n", b->dir, strerror(errno));
		return -errno;
	}
	b->ctx = talloc_named_const(NULL, 0, "cases_bench daemon");
	text = config_text(b->ctx, content);
	snprintf(path, sizeof(path), "%s/yordam.conf", b->dir);
	f = fopen(path, "w");
	if (!f || !text || fputs(text, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "%s: cannot write the configuration\n", path);
		return -EIO;
	}
	b->cfg = config_load(b->ctx, path, err, sizeof(err));
	if (!b->cfg) {
		fprintf(stderr, "%s", err);
		return -EINVAL;
	}
	/* The clock from here on is the override: timers scheduled by daemon_init run on it too. */
	osmo_gettimeofday_override = true;
	osmo_gettimeofday_override_time = (struct timeval){.tv_sec = CLOCK_START};
	rc = daemon_init(&b->d, b->ctx, b->cfg);
	if (rc < 0) {
		fprintf(stderr, "daemon_init in %s: %s\n", b->dir, strerror(-rc));
		return rc;
	}
	b->up = true;
	if (!b->d.cases || !cases_svc_ussd_ops(&b->d)) {
		fprintf(stderr, "the cases service did not start\n");
		return -ENODEV;
	}
	return 0;
}

static void bench_down(struct bench_daemon *b, bool keep)
{
	if (b->up) {
		daemon_fini(&b->d);
	}
	b->up = false;
	talloc_free(b->ctx);
	b->ctx = NULL;
	if (!keep && b->dir[0]) {
		nftw(b->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	}
}

/* Run the event loop while a timer is due now (the cases service's deadline timer, the SMS service's). */
static void drain(void)
{
	int i;

	for (i = 0; i < 64; i++) {
		osmo_timers_prepare();
		if (osmo_timers_nearest_ms() != 0) {
			break;
		}
		osmo_select_main(1);
	}
}

/* --- the workloads -------------------------------------------------------------------------------------- */

/* One part of a complaint: 148 GSM-7 characters of Uzbek Latin. */
static const char sms_latin[] = "SHIKOYAT %d Ish beruvchi 3 oydan beri maosh to'lamayapti, pasportlarni brigadir olib "
				"qo'ydi. Podolsk, qurilish, 12 kishimiz. Kechqurun qo'ng'iroq qiling";
/* Three UCS-2 parts: a Russian complaint (cut into parts of at most 67 characters, as a phone does). */
static const char sms_cyrillic[] =
	"ЖАЛОБА %d Работодатель не платит зарплату уже три месяца, паспорта забрал бригадир, нас 12 человек на "
	"стройке в Подольске. Просим помочь, звонить вечером после восьми. Номер бригадира не даём, он узнает.";

static const char *const employers[] = {"OOO Stroyinvest", "ООО «Стройинвест»", "Agro Kazan LLC", "Samsung Heavy",
					"Podolsk Beton",   "Daewoo Bus",	"Ак Барс Строй",  ""};
static const char *const countries[] = {"RU", "KZ", "KR", "TR"};
static const char *const ussd_langs[] = {"uz-Latn", "ru", "en"};

enum mode { M_SMS1, M_SMS3, M_USSD, M_N };
static const char *const mode_slug[M_N] = {"sms1", "sms3", "ussd"};
static const char *const mode_name[M_N] = {
	"SMS, 1 part (GSM-7, Uzbek Latin)",
	"SMS, 3 parts (UCS-2, Russian)",
	"USSD form (ussd_case_ops.file)",
};

struct run {
	enum mode mode;
	long n, warmup, cases_before;
	double *filed, *routed; /* ns per case */
	double elapsed_ns;
	struct acct filed_acct, routed_acct; /* phase totals over the n cases */
	size_t text_bytes;
	unsigned parts;
	double iso_ns[A_N]; /* isolated cost of one operation at the run's average size */
};

/* Cut text into parts of at most max code points at character boundaries. */
static unsigned cut_parts(const char *text, unsigned max, struct modem_sms_part *p, unsigned n_max)
{
	const unsigned char *s = (const unsigned char *)text;
	unsigned n = 0, cps;
	size_t i = 0, start;

	while (s[i] && n < n_max) {
		start = i;
		for (cps = 0; s[i] && cps < max; cps++) {
			i++;
			while ((s[i] & 0xc0) == 0x80) {
				i++;
			}
		}
		memset(p[n].text, 0, sizeof(p[n].text));
		memcpy(p[n].text, text + start, i - start < sizeof(p[n].text) ? i - start : sizeof(p[n].text) - 1);
		n++;
	}
	return n;
}

static int one_sms(struct bench_daemon *b, struct run *r, long i)
{
	struct modem_sms_part parts[4];
	char text[512];
	unsigned n, k;

	snprintf(text, sizeof(text), r->mode == M_SMS1 ? sms_latin : sms_cyrillic, (int)(1 + i % 7));
	memset(parts, 0, sizeof(parts));
	n = r->mode == M_SMS1 ? cut_parts(text, 160, parts, 1) : cut_parts(text, 67, parts, 4);
	for (k = 0; k < n; k++) {
		struct modem_sms_part *p = &parts[k];

		snprintf(p->sender, sizeof(p->sender), "+9989%d%07u", r->mode == M_SMS1 ? 3 : 4,
			 (unsigned)(i % 10000000));
		p->sent_time = osmo_gettimeofday_override_time.tv_sec - 3;
		p->coding = r->mode == M_SMS1 ? MODEM_GSM7 : MODEM_UCS2;
		p->concat = n > 1;
		p->concat_ref = (uint16_t)(i & 0xff);
		p->concat_total = (uint8_t)n;
		p->concat_seq = (uint8_t)(k + 1);
		sms_on_received(b->d.sms, NULL, p); /* NULL modem: a part delivered whole, nothing to delete */
	}
	r->text_bytes = strlen(text);
	r->parts = n;
	sms_tick(b->d.sms);
	return 0;
}

static int one_ussd(struct bench_daemon *b, struct run *r, long i)
{
	const struct ussd_case_ops *ops = cases_svc_ussd_ops(&b->d);
	char subscriber[24], other[24], case_no[16], pin[8];
	const char *employer = employers[i % 8];
	struct ussd_complaint uc = {
		.category = (int)(1 + i % 7),
		.country = i % 9 == 8 ? NULL : countries[(i / 7) % 4],
		.detail = *employer ? employer : NULL,
		.lang = ussd_langs[i % 3],
		.proxy = i % 10 == 0,
	};
	int rc;

	snprintf(subscriber, sizeof(subscriber), "+9989%d%07u", 5, (unsigned)(i % 10000000));
	snprintf(other, sizeof(other), "+79%09u", (unsigned)(i % 1000000000));
	uc.on_behalf_of = uc.proxy ? other : NULL;
	rc = ops->file(ops->data, subscriber, &uc, case_no, sizeof(case_no), pin, sizeof(pin));
	if (rc < 0) {
		fprintf(stderr, "ussd file #%ld: %s\n", i, strerror(-rc));
		return rc;
	}
	r->text_bytes = uc.detail ? strlen(uc.detail) : 0;
	r->parts = 0;
	return 0;
}

/* Cases by state, from `yordamctl cases list` (cases_svc_list). */
static void case_states(struct bench_daemon *b, long *total, long *notified, long *waiting)
{
	char *list = cases_svc_list(&b->d, b->ctx, 1u << 30), *line, *save = NULL;

	*total = *notified = *waiting = 0;
	for (line = list ? strtok_r(list, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		(*total)++;
		*notified += strstr(line, " notified ") != NULL;
		*waiting += strstr(line, " new ") != NULL;
	}
	talloc_free(list);
}

/* --- isolated crypto ------------------------------------------------------------------------------------ */

static double iso_op(const struct secret *s, enum acct_kind k, size_t len)
{
	static uint8_t plain[2048], sealed[2048 + SECRET_SEAL_OVERHEAD], out[2048 + SECRET_SEAL_OVERHEAD];
	static char ident[2048];
	uint8_t h[SECRET_HASH_LEN];
	double r[5], t0;
	int j, i, rc = 0, sealed_len;
	const int ops = 2000;

	len = len < sizeof(plain) - 1 ? len : sizeof(plain) - 1;
	memset(plain, 'x', len);
	memset(ident, '7', len);
	ident[len] = '\0';
	sealed_len = __real_secret_seal(s, "sms-text", plain, len, sealed, sizeof(sealed));
	for (j = 0; j < 5; j++) {
		t0 = now_ns();
		for (i = 0; i < ops; i++) {
			switch (k) {
			case A_HASH:
				rc |= __real_secret_hash(s, "msisdn", ident, h);
				break;
			case A_SEAL:
				rc |= __real_secret_seal(s, "sms-text", plain, len, out, sizeof(out)) < 0;
				break;
			case A_OPEN:
				rc |= __real_secret_open(s, "sms-text", sealed, (size_t)sealed_len, out, sizeof(out)) <
				      0;
				break;
			default:
				break;
			}
		}
		r[j] = (now_ns() - t0) / ops;
	}
	if (rc) {
		fprintf(stderr, "isolated %s failed\n", acct_name[k]);
	}
	qsort(r, 5, sizeof(r[0]), cmp_double);
	return r[2];
}

/* --- one run -------------------------------------------------------------------------------------------- */

static int run_mode(struct bench_daemon *b, struct run *r, enum mode m, long n, long warmup, long *seq)
{
	struct acct a0, a1, a2, d;
	double t0, t1, t2;
	long i;
	int rc, k;

	memset(r, 0, sizeof(*r));
	r->mode = m;
	r->n = n;
	r->warmup = warmup;
	r->cases_before = *seq;
	r->filed = talloc_array(b->ctx, double, n);
	r->routed = talloc_array(b->ctx, double, n);
	if (!r->filed || !r->routed) {
		return -ENOMEM;
	}
	for (i = -warmup; i < n; i++) {
		long id = (*seq)++;

		a0 = tally;
		t0 = now_ns();
		rc = m == M_USSD ? one_ussd(b, r, id) : one_sms(b, r, id);
		if (rc < 0) {
			return rc;
		}
		a1 = tally;
		t1 = now_ns();
		drain();
		a2 = tally;
		t2 = now_ns();
		osmo_gettimeofday_override_add(0, CLOCK_STEP_US);
		if (i < 0) {
			continue;
		}
		r->filed[i] = t1 - t0;
		r->routed[i] = t2 - t0;
		r->elapsed_ns += t2 - t0;
		acct_sub(&d, &a1, &a0);
		acct_add(&r->filed_acct, &d);
		acct_sub(&d, &a2, &a1);
		acct_add(&r->routed_acct, &d);
	}
	/* The same crypto, in isolation, at this run's average sizes. */
	for (k = A_HASH; k <= A_OPEN; k++) {
		struct acct all = r->filed_acct;

		acct_add(&all, &r->routed_acct);
		r->iso_ns[k] = all.calls[k] ? iso_op(b->d.secret, (enum acct_kind)k, all.bytes[k] / all.calls[k]) : 0;
	}
	return 0;
}

static double pct(const double *v, long n, double p)
{
	double *s = malloc(sizeof(double) * (size_t)n), x;
	long idx = (long)(p * (double)n + 0.999999) - 1;

	memcpy(s, v, sizeof(double) * (size_t)n);
	qsort(s, (size_t)n, sizeof(double), cmp_double);
	idx = idx < 0 ? 0 : idx >= n ? n - 1 : idx;
	x = s[idx];
	free(s);
	return x;
}

struct summary {
	double mean_us, crypto_us, crypto_iso_us, commit_us, rest_us, cases_per_s;
};

static struct summary report(const struct run *r, const char *fs)
{
	struct acct all = r->filed_acct;
	struct summary s;
	double n = (double)r->n, crypto_ns = 0, iso_ns = 0;
	int k;

	acct_add(&all, &r->routed_acct);
	for (k = A_HASH; k <= A_OPEN; k++) {
		crypto_ns += all.ns[k];
		iso_ns += (double)all.calls[k] * r->iso_ns[k];
	}
	s.mean_us = r->elapsed_ns / n / 1e3;
	s.crypto_us = crypto_ns / n / 1e3;
	s.crypto_iso_us = iso_ns / n / 1e3;
	s.commit_us = all.ns[A_COMMIT] / n / 1e3;
	s.rest_us = s.mean_us - s.crypto_us - s.commit_us;
	s.cases_per_s = n / (r->elapsed_ns / 1e9);

	printf("%s, %s, %ld cases (%zu-byte %s%s)\n", mode_name[r->mode], fs, r->n, r->text_bytes,
	       r->mode == M_USSD ? "employer/city" : "text",
	       r->mode == M_USSD ? ""
	       : r->parts > 1	 ? " in 3 parts"
				 : "");
	printf("  filed  (%s): p50 %8.1f us  p99 %8.1f us  max %8.1f us\n",
	       r->mode == M_USSD ? "case + confirmation SMS, one transaction" : "parts committed; case, reply queued",
	       pct(r->filed, r->n, 0.5) / 1e3, pct(r->filed, r->n, 0.99) / 1e3, pct(r->filed, r->n, 1.0) / 1e3);
	printf("  routed (+ staff notification, own transaction):   p50 %8.1f us  p99 %8.1f us  max %8.1f us\n",
	       pct(r->routed, r->n, 0.5) / 1e3, pct(r->routed, r->n, 0.99) / 1e3, pct(r->routed, r->n, 1.0) / 1e3);
	printf("  %.0f cases/s one at a time (mean %.1f us per case, filed and routed)\n", s.cases_per_s, s.mean_us);
	{
		/* Growth with the store: the first and the last tenth of the run. */
		long t = r->n / 10 ? r->n / 10 : 1, i;
		double first = 0, last = 0;

		for (i = 0; i < t; i++) {
			first += r->routed[i];
			last += r->routed[r->n - 1 - i];
		}
		printf("  store held %ld cases before, %ld after; mean per case in the first tenth %.1f us, in the "
		       "last "
		       "%.1f us\n",
		       r->cases_before, r->cases_before + r->n + r->warmup, first / t / 1e3, last / t / 1e3);
	}
	printf("  per case: %.2f commits (%.2f filing, %.2f routing)", (double)all.calls[A_COMMIT] / n,
	       (double)r->filed_acct.calls[A_COMMIT] / n, (double)r->routed_acct.calls[A_COMMIT] / n);
	for (k = A_HASH; k <= A_OPEN; k++) {
		printf(", %.2f %s%s (avg %.0f B)", (double)all.calls[k] / n, acct_name[k], k == A_HASH ? "" : "s",
		       all.calls[k] ? (double)all.bytes[k] / (double)all.calls[k] : 0.0);
	}
	printf("\n  split of the mean: crypto %.1f us (%.1f %%; isolated %.1f us: HMAC %.2f, seal %.2f, open %.2f us "
	       "each), commit %.1f us (%.1f %%), rest %.1f us (%.1f %%)\n",
	       s.crypto_us, 100 * s.crypto_us / s.mean_us, s.crypto_iso_us, r->iso_ns[A_HASH] / 1e3,
	       r->iso_ns[A_SEAL] / 1e3, r->iso_ns[A_OPEN] / 1e3, s.commit_us, 100 * s.commit_us / s.mean_us, s.rest_us,
	       100 * s.rest_us / s.mean_us);
	printf("RESULT mode=%s fs=%s cases=%ld cases_per_s=%.1f mean_us=%.1f filed_p50_us=%.1f filed_p99_us=%.1f "
	       "routed_p50_us=%.1f routed_p99_us=%.1f crypto_us=%.2f crypto_iso_us=%.2f commit_us=%.1f rest_us=%.1f "
	       "commits_per_case=%.2f hmac_per_case=%.2f seals_per_case=%.2f opens_per_case=%.2f\n",
	       mode_slug[r->mode], fs, r->n, s.cases_per_s, s.mean_us, pct(r->filed, r->n, 0.5) / 1e3,
	       pct(r->filed, r->n, 0.99) / 1e3, pct(r->routed, r->n, 0.5) / 1e3, pct(r->routed, r->n, 0.99) / 1e3,
	       s.crypto_us, s.crypto_iso_us, s.commit_us, s.rest_us, (double)all.calls[A_COMMIT] / n,
	       (double)all.calls[A_HASH] / n, (double)all.calls[A_SEAL] / n, (double)all.calls[A_OPEN] / n);
	return s;
}

/* --- pieces that stay meaningful on their own ----------------------------------------------------------- */

static double piece(void (*fn)(void *data, long i), void *data, long ops)
{
	double r[5], t0;
	long i;
	int k;

	for (i = 0; i < ops / 10; i++) {
		fn(data, i);
	}
	for (k = 0; k < 5; k++) {
		t0 = now_ns();
		for (i = 0; i < ops; i++) {
			fn(data, i);
		}
		r[k] = (now_ns() - t0) / (double)ops;
	}
	qsort(r, 5, sizeof(r[0]), cmp_double);
	return r[2];
}

static volatile uint64_t sink;

static void op_number(void *data, long i)
{
	uint32_t n = 0;

	cases_number_from_seq(data, (uint64_t)i % CASES_NUMBER_SPACE, &n);
	sink += n;
}

struct ctx_route {
	struct cases_roster *r;
	int last;
};

static void op_route(void *data, long i)
{
	static const char *const langs[] = {"uz-Latn", "uz-Cyrl", "ru", "en"};
	struct ctx_route *c = data;
	struct cases_attrs a = {CASES_KIND_COMPLAINT, (enum cases_category)(1 + i % 7), "", langs[(i / 7) & 3]};
	struct cases_route rt;

	memcpy(a.country, countries[(i / 3) & 3], 3);
	/* Every 10 minutes of a week: on duty, off duty, waits (which compute the next duty start). */
	cases_route(c->r, NULL, &a, CLOCK_START + (i % 1008) * 600, c->last, 0, &rt);
	c->last = rt.staff >= 0 ? rt.staff : c->last;
	sink += (uint64_t)rt.result;
}

static int pieces(void *ctx)
{
	static const uint8_t key[CASES_NUMBER_KEY_LEN] = "bench key: not a device secret!";
	struct cases_staff staff[N_STAFF];
	struct ctx_route cr = {.last = -1};
	struct cases_numgen *g;
	char *errors = NULL;
	double t0, tables_ms;
	int rc;

	t0 = now_ns();
	g = cases_numgen_alloc(ctx, key);
	tables_ms = (now_ns() - t0) / 1e6;
	roster_table(staff);
	rc = cases_roster_compile(ctx, staff, N_STAFF, NULL, &cr.r, &errors);
	if (!g || rc < 0) {
		fprintf(stderr, "pieces: %s\n%s", rc < 0 ? strerror(-rc) : "no memory", errors ? errors : "");
		return -EINVAL;
	}
	printf("pieces (in memory; inside the figures above): case number tables %.2f ms once at start, "
	       "case number %.0f ns, route (20 staff, 5 zones) %.2f us\n",
	       tables_ms, piece(op_number, g, 1000000), piece(op_route, &cr, 20000) / 1e3);
	return 0;
}

/* --- main ----------------------------------------------------------------------------------------------- */

static void usage(void)
{
	printf("usage: cases_bench [-n N] [-w W] [-d DIR] [-t TMPFS] [-C CONTENT] [-k]\n"
	       "  -n N        cases per workload (2000)\n"
	       "  -w W        warm-up cases per workload, not counted (50)\n"
	       "  -d DIR      where the daemon's directory is made: its file system is measured ($TMPDIR or /tmp)\n"
	       "  -t TMPFS    run again there for the comparison ('' skips; default /dev/shm when it exists)\n"
	       "  -C CONTENT  content pack (default tests/data/ipack of the source tree)\n"
	       "  -k          keep the daemon directories\n");
}

int main(int argc, char **argv)
{
	void *root = talloc_named_const(NULL, 0, "cases_bench");
	const char *dirs[2] = {getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", NULL};
	const char *content = YORDAM_SRC_DIR "/tests/data/ipack";
	struct summary sum[2][M_N];
	struct run runs[M_N];
	struct stat st;
	long n = 2000, warmup = 50;
	bool keep = false, tmpfs_set = false;
	int opt, rc = 0, di, m, i;

	while ((opt = getopt(argc, argv, "n:w:d:t:C:kh")) != -1) {
		switch (opt) {
		case 'n':
			n = strtol(optarg, NULL, 10);
			break;
		case 'w':
			warmup = strtol(optarg, NULL, 10);
			break;
		case 'd':
			dirs[0] = optarg;
			break;
		case 't':
			dirs[1] = *optarg ? optarg : NULL;
			tmpfs_set = true;
			break;
		case 'C':
			content = optarg;
			break;
		case 'k':
			keep = true;
			break;
		default:
			usage();
			return opt == 'h' ? 0 : 2;
		}
	}
	if (n < 1 || warmup < 0 || optind != argc) {
		usage();
		return 2;
	}
	if (!tmpfs_set && stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode)) {
		dirs[1] = "/dev/shm";
	}

	osmo_init_logging2(root, &yordam_log_info);
	log_set_print_category(osmo_stderr_target, 1);
	log_set_print_filename2(osmo_stderr_target, LOG_FILENAME_NONE);
	for (i = 0; i < (int)osmo_log_info->num_cat; i++) {
		log_set_category_filter(osmo_stderr_target, i, 1, LOGL_ERROR);
	}

	/* Each workload on a fresh daemon and store: routing scans the cases table (see bench/README.md), so a
	 * workload run after another would pay for the other's cases. */
	for (di = 0; di < 2 && dirs[di] && rc == 0; di++) {
		for (m = 0; m < M_N && rc == 0; m++) {
			struct bench_daemon b;
			long seq = 0, total, notified, waiting;

			rc = bench_up(&b, dirs[di], content);
			if (rc == 0) {
				printf("\n== %s: store in %s (%s)\n", mode_slug[m], b.dir,
				       di == 0 ? "DIR" : "tmpfs, for the comparison");
				rc = run_mode(&b, &runs[m], (enum mode)m, n, warmup, &seq);
			}
			if (rc == 0) {
				sum[di][m] = report(&runs[m], di == 0 ? "dir" : "tmpfs");
				case_states(&b, &total, &notified, &waiting);
				printf("  cases in the store: %ld (%ld notified to staff, %ld waiting for someone on "
				       "duty)\n",
				       total, notified, waiting);
				if (total != n + warmup || notified + waiting != total) {
					fprintf(stderr,
						"expected %ld cases, each notified or waiting: the wiring did "
						"something else\n",
						n + warmup);
					rc = -EPROTO;
				}
			}
			bench_down(&b, keep);
		}
	}
	if (rc == 0) {
		printf("\nsummary, store on DIR: one case filed and routed, mean per case\n"
		       "  %-34s %8s %9s %16s %17s %17s %16s\n",
		       "workload", "cases/s", "us/case", "crypto", "commit", dirs[1] ? "of which fsync" : "", "rest");
		for (m = 0; m < M_N; m++) {
			const struct summary *s = &sum[0][m];
			/* What the disk costs: the commit on DIR minus the same commits on tmpfs. */
			double fs = dirs[1] ? s->commit_us - sum[1][m].commit_us : 0;
			char fsb[32] = "";

			if (dirs[1]) {
				snprintf(fsb, sizeof(fsb), "%.1f (%4.1f %%)", fs, 100 * fs / s->mean_us);
			}
			printf("  %-34s %8.0f %9.1f %7.1f (%4.1f %%) %8.1f (%4.1f %%) %17s %7.1f (%4.1f %%)\n",
			       mode_name[m], s->cases_per_s, s->mean_us, s->crypto_us, 100 * s->crypto_us / s->mean_us,
			       s->commit_us, 100 * s->commit_us / s->mean_us, fsb, s->rest_us,
			       100 * s->rest_us / s->mean_us);
		}
		if (dirs[1]) {
			printf("  (fsync = commit on DIR minus commit on tmpfs; the whole case on DIR minus on tmpfs:");
			for (m = 0; m < M_N; m++) {
				double diff = sum[0][m].mean_us - sum[1][m].mean_us;

				printf("%s %s %.1f us", m ? "," : "", mode_slug[m], diff);
				printf("%s", m + 1 == M_N ? ")\n" : "");
			}
			for (m = 0; m < M_N; m++) {
				printf("RESULT mode=%s fsync_us=%.1f case_dir_minus_tmpfs_us=%.1f\n", mode_slug[m],
				       sum[0][m].commit_us - sum[1][m].commit_us,
				       sum[0][m].mean_us - sum[1][m].mean_us);
			}
		}
	}
	if (rc == 0) {
		rc = pieces(root);
	}
	log_fini();
	talloc_free(root);
	return rc < 0 ? 1 : 0;
}
