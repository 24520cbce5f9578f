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
#include <yordam/ussd.h>

#define IDLE 60

struct rec {
	char last[1024];
	bool last_final;
	unsigned tx, released;
};

static int rec_tx(struct ussd_session *sess, const char *text, bool final)
{
	struct rec *r = ussd_session_port_data(sess);

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

static const struct ussd_port_ops rec_ops = {.tx = rec_tx, .release = rec_release};

struct fx {
	void *ctx;
	char dir[64];
	struct store *st;
	struct secret *sec;
	struct menu_tree *tree;
	struct ussd_engine *e;
	struct ussd_port port;
};

static int setup(void **state)
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
	snprintf(path, sizeof(path), "%s/tests/data/ipack", getenv("YORDAM_SRC"));
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
