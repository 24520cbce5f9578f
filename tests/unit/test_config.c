/* Configuration: every kind of bad input gives a message naming file, line and key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <osmocom/core/talloc.h>

#include <yordam/config.h>

static char err[4096];

static struct yordam_config *parse(const char *text)
{
	return config_parse(NULL, "test.conf", text, "/etc/yordam", err, sizeof(err));
}

static void expect_error(const char *text, const char *msg)
{
	struct yordam_config *cfg = parse(text);

	if (cfg || !strstr(err, msg)) {
		print_error("config:\n%s\nexpected error containing: %s\ngot: %s\n", text, msg, err);
	}
	assert_null(cfg);
	assert_non_null(strstr(err, msg));
}

static void test_defaults(void **state)
{
	struct yordam_config *cfg = parse("");

	assert_non_null(cfg);
	assert_string_equal(cfg->log.level, "notice");
	assert_int_equal(cfg->ussd.idle_timeout, 60);
	assert_int_equal(cfg->ussd.dial_gsm7, 128);
	assert_int_equal(cfg->ussd.dial_ucs2, 56);
	assert_string_equal(cfg->content.fallback_language, "en");
	assert_string_equal(cfg->content.import, "if-empty");
	/* relative paths resolve against the config file's directory */
	assert_string_equal(cfg->store.path, "/etc/yordam/yordam.db");
	assert_int_equal(cfg->n_gsup, 0);
	talloc_free(cfg);
}

static void test_full(void **state)
{
	struct yordam_config *cfg = parse("store: { path = \"/var/lib/y.db\"; key_file = \"k\"; };\n"
					  "ussd: { idle_timeout = 30; };\n"
					  "gsup = ( { name = \"hlr\"; euse = \"x\"; address = \"127.0.0.42\";\n"
					  "  max_gsm7 = 182; max_ucs2 = 80; msisdn_lookup = true; },\n"
					  "  { name = \"hlr2\"; port = 4223; } );\n");

	assert_non_null(cfg);
	assert_string_equal(cfg->store.path, "/var/lib/y.db");
	assert_string_equal(cfg->store.key_file, "/etc/yordam/k");
	assert_int_equal(cfg->ussd.idle_timeout, 30);
	assert_int_equal(cfg->n_gsup, 2);
	assert_string_equal(cfg->gsup[0].name, "hlr");
	assert_string_equal(cfg->gsup[0].euse_name, "x");
	assert_string_equal(cfg->gsup[0].hlr_address, "127.0.0.42");
	assert_int_equal(cfg->gsup[0].hlr_port, 4222);
	assert_int_equal(cfg->gsup[0].caps.gsm7, 182);
	assert_int_equal(cfg->gsup[0].caps.ucs2, 80);
	assert_true(cfg->gsup[0].msisdn_lookup);
	assert_int_equal(cfg->gsup[1].hlr_port, 4223);
	assert_int_equal(cfg->gsup[1].caps.gsm7, 128); /* stock OsmoHLR's limit is the default */
	assert_int_equal(cfg->gsup[1].caps.ucs2, 56);
	assert_string_equal(cfg->gsup[1].euse_name, "yordam");
	talloc_free(cfg);
}

static void test_errors(void **state)
{
	expect_error("log: { level = \"loud\"; };",
		     "test.conf:1: key 'log.level': 'loud' is not one of the allowed values");
	expect_error("\n\nstore: { paht = \"x\"; };", "test.conf:3: key 'store.paht': unknown key");
	expect_error("frobnicate = 1;", "test.conf:1: key 'frobnicate': unknown key");
	expect_error("ussd: { idle_timeout = \"60\"; };", "key 'ussd.idle_timeout': must be an integer");
	expect_error("ussd: { idle_timeout = 0; };", "key 'ussd.idle_timeout': value 0 out of range 5..600");
	expect_error("ussd: { idle_timeout = 100000; };", "out of range");
	expect_error("gsup = ( { name = \"a\"; max_gsm7 = 183; } );",
		     "key 'gsup.[0].max_gsm7': value 183 out of range 16..182");
	expect_error("gsup = ( { name = \"a\"; max_ucs2 = 81; } );", "key 'gsup.[0].max_ucs2': value 81 out of range");
	expect_error("gsup = ( { euse = \"a\"; } );", "key 'gsup.[0].name': required but missing");
	expect_error("gsup = ( { name = \"a\"; }, { name = \"a\"; } );", "port name 'a' used twice");
	expect_error("gsup = ( { name = \"a\"; port = 70000; } );", "key 'gsup.[0].port': value 70000 out of range");
	expect_error("gsup = ( { name = \"a\"; msisdn_lookup = 1; } );", "must be true or false");
	expect_error("gsup = ( { name = \"a\"; reconnect_min_ms = 5000; reconnect_max_ms = 1000; } );",
		     "reconnect_min_ms (5000) exceeds reconnect_max_ms (1000)");
	expect_error("gsup = { name = \"a\"; };", "key 'gsup': must be a list of groups");
	expect_error("log = 3;", "key 'log': must be a group");
	expect_error("store: { path = \"\"; };", "key 'store.path': must not be empty");
	expect_error("log: { level = \"debug\" ", "test.conf:1: syntax error");
	expect_error("content: { import = \"sometimes\"; };", "key 'content.import'");
}

static void test_several_errors_reported(void **state)
{
	struct yordam_config *cfg = parse("a = 1;\nb = 2;\n");

	assert_null(cfg);
	assert_non_null(strstr(err, "test.conf:1: key 'a'"));
	assert_non_null(strstr(err, "test.conf:2: key 'b'"));
}

static void test_missing_file(void **state)
{
	struct yordam_config *cfg = config_load(NULL, "/nonexistent/yordam.conf", err, sizeof(err));

	assert_null(cfg);
	assert_non_null(strstr(err, "/nonexistent/yordam.conf: cannot read"));
}

static void test_demo_configs_valid(void **state)
{
	const char *src = getenv("YORDAM_SRC");
	char path[4096];
	struct yordam_config *cfg;

	assert_non_null(src);
	snprintf(path, sizeof(path), "%s/board/demo.conf", src);
	cfg = config_load(NULL, path, err, sizeof(err));
	if (!cfg) {
		print_error("%s", err);
	}
	assert_non_null(cfg);
	talloc_free(cfg);
	snprintf(path, sizeof(path), "%s/board/rpi/yordam.conf", src);
	cfg = config_load(NULL, path, err, sizeof(err));
	if (!cfg) {
		print_error("%s", err);
	}
	assert_non_null(cfg);
	assert_true(cfg->gsup[0].msisdn_lookup);
	talloc_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),     cmocka_unit_test(test_full),
		cmocka_unit_test(test_errors),	     cmocka_unit_test(test_several_errors_reported),
		cmocka_unit_test(test_missing_file), cmocka_unit_test(test_demo_configs_valid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
