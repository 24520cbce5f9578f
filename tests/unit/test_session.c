/* The USSD session engine against a recording port: navigation, language memory, the resume
 * offer, and idle timeouts that hold when the wall clock steps (libosmocore's clock override). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <osmocom/core/application.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include <yordam/log.h>
#include <yordam/menu.h>
#include <yordam/secret.h>
#include <yordam/store.h>
#include <yordam/text.h>
#include <yordam/ussd.h>

#define IDLE 60

struct rec {
	char last[1024];
	bool last_final;
	unsigned tx, released;
	const char *msisdn; /* what the port knows of the caller's number (NULL: nothing) */
};

static int rec_tx(struct ussd_session *sess, const char *text, bool final)
{
	struct rec *r = ussd_session_port_data(sess);
	const struct menu_caps *caps = &ussd_session_port(sess)->caps;
	int coding = text_coding_of(text, strlen(text));

	/* Every screen the engine sends fits the port. */
	assert_true(coding >= 0);
	assert_true(text_units(text, strlen(text), coding) <= (long)(coding == TEXT_GSM7 ? caps->gsm7 : caps->ucs2));

	snprintf(r->last, sizeof(r->last), "%s", text);
	r->last_final = final;
	r->tx++;
	return 0;
}

static void rec_release(struct ussd_session *sess)
{
	struct rec *r = ussd_session_port_data(sess);

	r->released++;
}

static const char *rec_msisdn(struct ussd_session *sess)
{
	struct rec *r = ussd_session_port_data(sess);

	return r->msisdn;
}

static const struct ussd_port_ops rec_ops = {.tx = rec_tx, .release = rec_release, .msisdn = rec_msisdn};

struct fx {
	void *ctx;
	char dir[64];
	struct store *st;
	struct secret *sec;
	struct menu_tree *tree;
	struct ussd_engine *e;
	struct ussd_port port;
};

static int setup_pack(void **state, const char *pack)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct menu_report rep = {0};
	struct ussd_engine_cfg cfg = {.idle_timeout_s = IDLE, .resume_window_s = 120};
	char path[256];

	f->ctx = talloc_named_const(NULL, 0, "test");
	strcpy(f->dir, "/tmp/yordam-session-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof(path), "%s/key", f->dir);
	assert_int_equal(secret_load(f->ctx, path, true, &f->sec), 0);
	snprintf(path, sizeof(path), "%s/db", f->dir);
	assert_int_equal(store_open(f->ctx, path, &f->st), 0);
	snprintf(path, sizeof(path), "%s/%s", getenv("YORDAM_SRC"), pack);
	f->tree = menu_pack_load(f->ctx, path, "en", &rep);
	assert_non_null(f->tree);

	/* Both clocks under the test's control, starting from "now". */
	osmo_gettimeofday_override = true;
	gettimeofday(&osmo_gettimeofday_override_time, NULL);
	osmo_clock_override_enable(CLOCK_MONOTONIC, true);

	f->e = ussd_engine_alloc(f->ctx, f->st, f->sec, &cfg);
	assert_non_null(f->e);
	ussd_engine_set_tree(f->e, f->tree);
	f->port =
		(struct ussd_port){.name = "rec", .kind = "test", .caps = {128, 56}, .ops = &rec_ops, .link_up = true};
	ussd_port_register(f->e, &f->port);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_pack(state, "tests/data/ipack");
}

/* The bundled pack: it has the complaint, callback and status nodes. */
static int setup_bundled(void **state)
{
	return setup_pack(state, "menus/content");
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	ussd_port_unregister(&f->port);
	talloc_free(f->ctx);
	osmo_gettimeofday_override = false;
	osmo_clock_override_enable(CLOCK_MONOTONIC, false);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Run due timers without sleeping. */
static void run_timers(void)
{
	osmo_timers_prepare();
	osmo_timers_update();
}

static struct ussd_session *dial(struct fx *f, struct rec *r, const char *who, const char *code)
{
	memset(r, 0, sizeof(*r));
	return ussd_session_start(&f->port, who, code, r);
}

static void test_first_dial_language_and_memory(void **state)
{
	struct fx *f = *state;
	struct rec r;
	struct ussd_session *s = dial(f, &r, "001010000000001", "*100#");

	assert_non_null(s);
	assert_non_null(strstr(r.last, "1 O'zbekcha"));
	assert_non_null(strstr(r.last, "3 English"));
	ussd_session_input(s, "3");
	assert_non_null(strstr(r.last, "Language saved"));
	assert_non_null(strstr(r.last, "1 Your rights"));
	ussd_session_input(s, "9");
	assert_non_null(strstr(r.last, "Invalid choice"));
	ussd_session_input(s, "1");
	assert_non_null(strstr(r.last, "1 Equal pay"));
	ussd_session_abort(s, "test");
	assert_int_equal(r.released, 1);
	assert_int_equal(f->port.open_sessions, 0);
	assert_int_equal(store_caller_count(f->st), 1);

	/* Same subscriber: the language is remembered; the broken-off dialog is offered back. */
	s = dial(f, &r, "001010000000001", "*100#");
	assert_string_equal(r.last, "1 Continue\n2 Start over");
	ussd_session_input(s, "1");
	assert_non_null(strstr(r.last, "Your rights\n1 Equal pay"));
	ussd_session_abort(s, "test");
	s = dial(f, &r, "001010000000001", "*100#");
	ussd_session_input(s, "7");
	assert_non_null(strstr(r.last, "Invalid choice\n1 Continue"));
	ussd_session_input(s, "2");
	assert_non_null(strstr(r.last, "Yordam\n1 Your rights"));
	ussd_session_abort(s, "test");
	/* Aborted at the main menu: nothing to offer. */
	s = dial(f, &r, "001010000000001", "*100#");
	assert_non_null(strstr(r.last, "Yordam\n1 Your rights"));
	ussd_session_abort(s, "test");
}

static void test_resume_window_expires(void **state)
{
	struct fx *f = *state;
	struct rec r;
	struct ussd_session *s = dial(f, &r, "001010000000002", "*100#");

	ussd_session_input(s, "3");
	ussd_session_input(s, "1");
	ussd_session_abort(s, "test");
	osmo_clock_override_add(CLOCK_MONOTONIC, 121, 0);
	s = dial(f, &r, "001010000000002", "*100#");
	assert_non_null(strstr(r.last, "Yordam\n1 Your rights"));
	ussd_session_abort(s, "test");
}

static void test_direct_path(void **state)
{
	struct fx *f = *state;
	struct rec r;
	struct ussd_session *s = dial(f, &r, "001010000000003", "*100#");

	ussd_session_input(s, "3");
	ussd_session_abort(s, "test");
	s = dial(f, &r, "001010000000003", "*100*1*2#");
	assert_non_null(strstr(r.last, "Your passport is yours."));
	ussd_session_abort(s, "test");
	s = dial(f, &r, "001010000000003", "*100*1*7#");
	assert_non_null(strstr(r.last, "Invalid choice\n1 Equal pay"));
	ussd_session_abort(s, "test");
}

static void test_idle_timeout(void **state)
{
	struct fx *f = *state;
	struct rec r;

	assert_non_null(dial(f, &r, "001010000000004", "*100#"));
	osmo_gettimeofday_override_add(IDLE - 1, 0);
	osmo_clock_override_add(CLOCK_MONOTONIC, IDLE - 1, 0);
	run_timers();
	assert_int_equal(r.released, 0);
	osmo_gettimeofday_override_add(2, 0);
	osmo_clock_override_add(CLOCK_MONOTONIC, 2, 0);
	run_timers();
	assert_int_equal(r.released, 1);
	assert_true(r.last_final);
	assert_string_equal(r.last, "Time is up. Please dial again.");
}

/* The wall clock jumps an hour ahead (an RTC-less board learning the time): the dialog must not
 * end before the caller has really been idle for the timeout. */
static void test_wall_clock_step_forward(void **state)
{
	struct fx *f = *state;
	struct rec r;

	assert_non_null(dial(f, &r, "001010000000005", "*100#"));
	osmo_gettimeofday_override_add(3600, 0);
	osmo_clock_override_add(CLOCK_MONOTONIC, 1, 0);
	run_timers();
	assert_int_equal(r.released, 0);
	osmo_gettimeofday_override_add(IDLE, 0);
	osmo_clock_override_add(CLOCK_MONOTONIC, IDLE, 0);
	run_timers();
	assert_int_equal(r.released, 1);
	assert_true(r.last_final);
}

/* The wall clock jumps a day back: libosmocore's timer would wait a day; the monotonic sweep
 * ends the dialog on time. */
static void test_wall_clock_step_back(void **state)
{
	struct fx *f = *state;
	struct rec r;

	assert_non_null(dial(f, &r, "001010000000006", "*100#"));
	osmo_gettimeofday_override_time.tv_sec -= 86400;
	osmo_clock_override_add(CLOCK_MONOTONIC, IDLE + 3, 0);
	run_timers();
	assert_int_equal(r.released, 0); /* the wall-clock timer is a day away */
	ussd_engine_sweep(f->e);
	assert_int_equal(r.released, 1);
	assert_true(r.last_final);
	assert_string_equal(r.last, "Time is up. Please dial again.");
	assert_int_equal(f->port.stats.timeouts, 1);
}

static void test_content_swap_keeps_sessions(void **state)
{
	struct fx *f = *state;
	struct menu_report rep = {0};
	struct rec r;
	struct ussd_session *s = dial(f, &r, "001010000000007", "*100#");
	struct menu_tree *t2;
	char path[256];

	ussd_session_input(s, "3");
	ussd_session_input(s, "1");
	snprintf(path, sizeof(path), "%s/tests/data/ipack", getenv("YORDAM_SRC"));
	t2 = menu_pack_load(f->ctx, path, "en", &rep);
	assert_non_null(t2);
	ussd_engine_set_tree(f->e, t2);
	talloc_free(f->tree);
	f->tree = t2;
	ussd_session_input(s, "2");
	assert_non_null(strstr(r.last, "Your passport is yours."));
	ussd_session_abort(s, "test");
}

/* --- complaint, callback and status forms, against a fake cases service -------------------- */

struct fake_cases {
	int rc_file, rc_callback;
	unsigned n_file, n_callback, n_status;
	char subscriber[64];
	struct ussd_complaint c;
	char country[4], detail[64], lang[16], behalf[32];
	char status_pin[16];
	bool status_pin_null;
};

static int fake_file(void *data, const char *subscriber, const struct ussd_complaint *c, char *case_no, size_t case_len,
		     char *pin, size_t pin_len)
{
	struct fake_cases *fc = data;

	fc->n_file++;
	snprintf(fc->subscriber, sizeof(fc->subscriber), "%s", subscriber);
	fc->c = *c;
	snprintf(fc->country, sizeof(fc->country), "%s", c->country ? c->country : "-");
	snprintf(fc->detail, sizeof(fc->detail), "%s", c->detail ? c->detail : "-");
	snprintf(fc->lang, sizeof(fc->lang), "%s", c->lang);
	snprintf(fc->behalf, sizeof(fc->behalf), "%s", c->on_behalf_of ? c->on_behalf_of : "-");
	if (fc->rc_file) {
		return fc->rc_file;
	}
	snprintf(case_no, case_len, "%s", "123456789012");
	snprintf(pin, pin_len, "%s", "4321");
	return 0;
}

static int fake_callback(void *data, const char *subscriber, const char *lang, char *when, size_t when_len)
{
	struct fake_cases *fc = data;

	fc->n_callback++;
	snprintf(fc->subscriber, sizeof(fc->subscriber), "%s", subscriber);
	snprintf(fc->lang, sizeof(fc->lang), "%s", lang);
	if (fc->rc_callback) {
		return fc->rc_callback;
	}
	snprintf(when, when_len, "%s", "today before 18:00");
	return 0;
}

/* Case 123456789012 was filed from +998901112233 with PIN 4321. */
static int fake_status(void *data, const char *subscriber, const char *case_no, const char *pin, const char *lang,
		       char *text, size_t text_len)
{
	struct fake_cases *fc = data;

	fc->n_status++;
	fc->status_pin_null = !pin;
	snprintf(fc->status_pin, sizeof(fc->status_pin), "%s", pin ? pin : "");
	if (strcmp(case_no, "123456789012") != 0) {
		return -ENOENT;
	}
	if (!pin && strcmp(subscriber, "+998901112233") != 0) {
		return -ENOENT;
	}
	if (pin && strcmp(pin, "4321") != 0) {
		return -ENOENT;
	}
	snprintf(text, text_len, "Case %s (%s): claimed by the hotline, we will contact you.", case_no, lang);
	return 0;
}

/* "9" until the screen shows want (a text may take more than one screen). */
static void page_until(struct ussd_session *s, struct rec *r, const char *want)
{
	unsigned i;

	for (i = 0; i < 4 && !strstr(r->last, want); i++) {
		ussd_session_input(s, "9");
	}
	if (!strstr(r->last, want)) {
		fprintf(stderr, "screen: [%s], wanted [%s]\n", r->last, want);
	}
	assert_non_null(strstr(r->last, want));
}

static struct fake_cases fake;
static const struct ussd_case_ops fake_ops = {
	.file = fake_file, .callback = fake_callback, .status = fake_status, .data = &fake};

/* A caller of the bundled pack who chose English (key 4), back at the main menu. */
static struct ussd_session *dial_en(struct fx *f, struct rec *r, const char *who, const char *code)
{
	struct ussd_session *s;

	memset(&fake, 0, sizeof(fake));
	s = dial(f, r, who, "*100#");
	assert_non_null(s);
	ussd_session_input(s, "4");
	assert_non_null(strstr(r->last, "Language saved"));
	ussd_session_abort(s, "test");
	s = dial(f, r, who, code);
	assert_non_null(s);
	return s;
}

static void test_form_no_ops(void **state)
{
	struct fx *f = *state;
	struct rec r;
	struct ussd_session *s = dial_en(f, &r, "001010000000101", "*100*4*8#");

	assert_non_null(strstr(r.last, "This service is not available yet. Please call a hotline."));
	assert_false(r.last_final);
	ussd_session_input(s, "1");
	assert_non_null(strstr(r.last, "Invalid choice"));
	ussd_session_input(s, "0");
	assert_non_null(strstr(r.last, "If there is a problem"));
	ussd_session_input(s, "00");
	ussd_session_input(s, "5");
	ussd_session_input(s, "6");
	assert_non_null(strstr(r.last, "This service is not available"));
	ussd_session_input(s, "00");
	assert_non_null(strstr(r.last, "Yordam\n1 "));
	ussd_session_abort(s, "test");
	assert_int_equal(r.released, 1);
}

static void test_complaint_self(void **state)
{
	struct fx *f = *state;
	struct rec r;
	struct ussd_session *s;

	ussd_engine_set_case_ops(f->e, &fake_ops);
	s = dial_en(f, &r, "001010000000102", "*100#");
	r.msisdn = "+998901112233";
	ussd_session_input(s, "4");
	ussd_session_input(s, "8");
	/* category list, paginated at the port's size */
	assert_non_null(strstr(r.last, "What happened?\n1 Unpaid wages\n2 Passport or papers taken"));
	ussd_session_input(s, "8");
	assert_non_null(strstr(r.last, "Invalid choice\n1 Unpaid wages"));
	ussd_session_input(s, "9");
	assert_non_null(strstr(r.last, "7 Other"));
	ussd_session_input(s, "0");
	assert_non_null(strstr(r.last, "1 Unpaid wages"));
	ussd_session_input(s, "1");
	/* countries from the content's hotlines nodes, plus "other" */
	assert_non_null(strstr(r.last, "In which country?\n1 Russia\n2 Kazakhstan\n3 South Korea"));
	assert_non_null(strstr(r.last, "6 Other country"));
	ussd_session_input(s, "0");
	assert_non_null(strstr(r.last, "What happened?"));
	ussd_session_input(s, "1");
	ussd_session_input(s, "7");
	assert_non_null(strstr(r.last, "Invalid choice"));
	ussd_session_input(s, "3");
	assert_string_equal(r.last, "Type the city or employer (up to 40 letters), or 0 to skip");
	ussd_session_input(s, "This employer name is far too long to be accepted here");
	assert_non_null(strstr(r.last, "Invalid choice\nType the city"));
	ussd_session_input(s, "  Ansan, Hanil Metal  ");
	assert_non_null(strstr(r.last, "Who is it for?\n1 For myself\n2 For a relative abroad"));
	ussd_session_input(s, "0");
	assert_non_null(strstr(r.last, "Type the city"));
	ussd_session_input(s, "Ansan, Hanil Metal");
	ussd_session_input(s, "1");
	assert_non_null(strstr(r.last, "We keep your complaint and number encrypted."));
	ussd_session_input(s, "0");
	assert_non_null(strstr(r.last, "Who is it for?"));
	ussd_session_input(s, "1");
	ussd_session_input(s, "3");
	assert_non_null(strstr(r.last, "Invalid choice"));
	/* the consent text may take two screens: 9 shows the rest */
	page_until(s, &r, "2 Cancel");
	ussd_session_input(s, "1");
	assert_non_null(strstr(r.last, "Send this complaint?\nUnpaid wages\nSouth Korea\nAnsan, Hanil Metal"));
	assert_int_equal(fake.n_file, 0);
	page_until(s, &r, "2 Cancel");
	ussd_session_input(s, "1");
	assert_int_equal(fake.n_file, 1);
	assert_true(r.last_final);
	assert_string_equal(r.last,
			    "Complaint saved. Case number: 123456789012\nPIN: 4321\nKeep them to check your case.");
	assert_int_equal(r.released, 1);
	assert_string_equal(fake.subscriber, "+998901112233");
	assert_int_equal(fake.c.category, 1);
	assert_string_equal(fake.country, "KR");
	assert_string_equal(fake.detail, "Ansan, Hanil Metal");
	assert_string_equal(fake.lang, "en");
	assert_false(fake.c.proxy);
	assert_string_equal(fake.behalf, "-");
	/* a finished complaint is not offered back */
	s = dial(f, &r, "001010000000102", "*100#");
	assert_non_null(strstr(r.last, "Yordam\n1 "));
	ussd_session_abort(s, "test");
}

static void test_complaint_proxy_cyrillic(void **state)
{
	struct fx *f = *state;
	struct rec r;
	struct ussd_session *s;

	ussd_engine_set_case_ops(f->e, &fake_ops);
	memset(&fake, 0, sizeof(fake));
	/* uz-Cyrl (key 2): UCS-2 screens of 56 characters */
	s = dial(f, &r, "001010000000103", "*100#");
	ussd_session_input(s, "2");
	ussd_session_abort(s, "test");
	s = dial(f, &r, "001010000000103", "*100*4*8#");
	assert_non_null(strstr(r.last, "Нима бўлди?\n1 Ойлик тўланмади"));
	ussd_session_input(s, "5");
	ussd_session_input(s, "6"); /* other country */
	assert_non_null(strstr(r.last, "Шаҳар ёки иш берувчи"));
	ussd_session_input(s, "0"); /* skips */
	assert_non_null(strstr(r.last, "Ким учун?"));
	ussd_session_input(s, "2");
	assert_non_null(strstr(r.last, "Қариндошингиз телефон рақамини ёзинг"));
	ussd_session_input(s, "12ab");
	assert_non_null(strstr(r.last, "Хато\nҚариндошингиз"));
	ussd_session_input(s, "0");
	assert_non_null(strstr(r.last, "Ким учун?"));
	ussd_session_input(s, "2");
	ussd_session_input(s, "+79161234567");
	page_until(s, &r, "2 Бекор");
	ussd_session_input(s, "1");
	/* the summary takes more than one 56-character screen: 9 shows the rest */
	assert_non_null(strstr(r.last, "Юборилсинми?\nЗўравонлик"));
	page_until(s, &r, "Бошқа давлат");
	page_until(s, &r, "+79161234567");
	page_until(s, &r, "2 Бекор");
	ussd_session_input(s, "1");
	assert_true(r.last_final);
	/* the case number whole on a 56-character screen */
	assert_non_null(strstr(r.last, "123456789012"));
	assert_non_null(strstr(r.last, "PIN: 4321"));
	assert_int_equal(fake.c.category, 5);
	assert_string_equal(fake.country, "-");
	assert_string_equal(fake.detail, "-");
	assert_true(fake.c.proxy);
	assert_string_equal(fake.behalf, "+79161234567");
	assert_string_equal(fake.lang, "uz-Cyrl");
	/* no MSISDN from the port: the port's id */
	assert_string_equal(fake.subscriber, "001010000000103");
}

static void test_complaint_cancel_and_failure(void **state)
{
	struct fx *f = *state;
	struct rec r;
	struct ussd_session *s;

	ussd_engine_set_case_ops(f->e, &fake_ops);
	s = dial_en(f, &r, "001010000000104", "*100*4*8#");
	ussd_session_input(s, "2");
	ussd_session_input(s, "1");
	ussd_session_input(s, "0");
	ussd_session_input(s, "1");
	page_until(s, &r, "2 Cancel");
	ussd_session_input(s, "2");
	assert_true(r.last_final);
	assert_string_equal(r.last, "Cancelled. Nothing was saved.");
	assert_int_equal(fake.n_file, 0);
	assert_int_equal(r.released, 1);

	s = dial_en(f, &r, "001010000000105", "*100*4*8#");
	fake.rc_file = -EIO;
	ussd_session_input(s, "3");
	ussd_session_input(s, "1");
	ussd_session_input(s, "0");
	ussd_session_input(s, "1");
	page_until(s, &r, "2 Cancel");
	ussd_session_input(s, "1");
	page_until(s, &r, "2 Cancel");
	ussd_session_input(s, "1");
	assert_int_equal(fake.n_file, 1);
	assert_true(r.last_final);
	assert_string_equal(r.last, "Sorry, it was not saved. Try later or call a hotline.");
	assert_int_equal(r.released, 1);
}

static void test_callback(void **state)
{
	struct fx *f = *state;
	struct rec r;
	struct ussd_session *s;

	ussd_engine_set_case_ops(f->e, &fake_ops);
	s = dial_en(f, &r, "001010000000106", "*100*5*6#");
	assert_non_null(strstr(r.last, "We will call you back on this phone.\n1 Yes"));
	ussd_session_input(s, "2");
	assert_non_null(strstr(r.last, "Invalid choice"));
	ussd_session_input(s, "0");
	assert_non_null(strstr(r.last, "Hotlines"));
	ussd_session_input(s, "6");
	r.msisdn = "+998901112233";
	ussd_session_input(s, "1");
	assert_true(r.last_final);
	assert_string_equal(r.last, "Request saved. Expect our call: today before 18:00");
	assert_string_equal(fake.subscriber, "+998901112233");
	assert_string_equal(fake.lang, "en");

	s = dial(f, &r, "001010000000106", "*100*5*6#");
	fake.rc_callback = -EALREADY;
	ussd_session_input(s, "1");
	assert_true(r.last_final);
	assert_string_equal(r.last, "You already asked. We will call you.");

	s = dial(f, &r, "001010000000106", "*100*5*6#");
	fake.rc_callback = -EINVAL;
	ussd_session_input(s, "1");
	assert_true(r.last_final);
	assert_string_equal(r.last, "Sorry, it was not saved. Try later or call a hotline.");
}

static void test_status(void **state)
{
	struct fx *f = *state;
	struct rec r;
	struct ussd_session *s;

	ussd_engine_set_case_ops(f->e, &fake_ops);
	/* the reporter's own phone: no PIN asked */
	s = dial_en(f, &r, "001010000000107", "*100*5*7#");
	r.msisdn = "+998901112233";
	assert_non_null(strstr(r.last, "Type your case number"));
	ussd_session_input(s, "12");
	assert_non_null(strstr(r.last, "Invalid choice"));
	ussd_session_input(s, "123456789012");
	assert_true(r.last_final);
	assert_non_null(strstr(r.last, "Case 123456789012 (en): claimed"));
	assert_true(fake.status_pin_null);
	assert_int_equal(fake.n_status, 1);

	/* another phone: the PIN, once */
	s = dial_en(f, &r, "001010000000108", "*100*5*7#");
	ussd_session_input(s, "123456789012");
	assert_false(r.last_final);
	assert_non_null(strstr(r.last, "Type the PIN of your case"));
	ussd_session_input(s, "0");
	assert_non_null(strstr(r.last, "Type your case number"));
	ussd_session_input(s, "123456789012");
	ussd_session_input(s, "4321");
	assert_true(r.last_final);
	assert_non_null(strstr(r.last, "Case 123456789012 (en)"));
	assert_string_equal(fake.status_pin, "4321");

	/* wrong PIN, or unknown case: one answer */
	s = dial(f, &r, "001010000000108", "*100*5*7#");
	ussd_session_input(s, "123456789012");
	ussd_session_input(s, "9999");
	assert_true(r.last_final);
	assert_string_equal(r.last, "Unknown case number or wrong PIN.");
}

static void test_form_screens_fit_every_language(void **state)
{
	struct fx *f = *state;
	const struct menu_caps caps[] = {{128, 56}, {182, 80}, {60, 30}};
	unsigned l, c, k, np;

	/* every form text of the bundled pack as the engine lays it out (rec_tx checks the engine's) */
	for (l = 0; l < f->tree->n_lang; l++) {
		for (c = 0; c < 3; c++) {
			for (k = MENU_UI_CASE_UNAVAIL; k < _NUM_MENU_UI_ALL; k++) {
				struct menu_form_screen fs = {.at = menu_node_by_id(f->tree, "problems.file"),
							      .heading = "X",
							      .body = f->tree->ui[k][l]};
				char out[1024];
				unsigned p;

				assert_non_null(fs.body);
				/* no fallback: every language has its own text */
				assert_true(l == f->tree->fallback || fs.body != f->tree->ui[k][f->tree->fallback]);
				assert_true(menu_render_form(f->tree, &fs, 0, l, &caps[c], NULL, out, sizeof(out),
							     &np) > 0);
				for (p = 1; p < np; p++) {
					assert_true(menu_render_form(f->tree, &fs, p, l, &caps[c], NULL, out,
								     sizeof(out), NULL) > 0);
				}
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_dial_language_and_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_window_expires, setup, teardown),
		cmocka_unit_test_setup_teardown(test_direct_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wall_clock_step_forward, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wall_clock_step_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_content_swap_keeps_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_form_no_ops, setup_bundled, teardown),
		cmocka_unit_test_setup_teardown(test_complaint_self, setup_bundled, teardown),
		cmocka_unit_test_setup_teardown(test_complaint_proxy_cyrillic, setup_bundled, teardown),
		cmocka_unit_test_setup_teardown(test_complaint_cancel_and_failure, setup_bundled, teardown),
		cmocka_unit_test_setup_teardown(test_callback, setup_bundled, teardown),
		cmocka_unit_test_setup_teardown(test_status, setup_bundled, teardown),
		cmocka_unit_test_setup_teardown(test_form_screens_fit_every_language, setup_bundled, teardown),
	};
	void *log_ctx = talloc_named_const(NULL, 0, "log");
	int rc;

	osmo_init_logging2(log_ctx, &yordam_log_info);
	log_set_log_level(osmo_stderr_target, LOGL_ERROR);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	log_fini();
	talloc_free(log_ctx);
	return rc;
}
