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

static void test_http(void **state)
{
	struct yordam_config *cfg = parse("http = ( { name = \"gw\"; port = 8080; hmac_key_file = \"gw.key\"; },\n"
					  "  { name = \"gw2\"; address = \"::1\"; port = 8081; path = \"/cb\";\n"
					  "    session_field = \"SESSION_ID\"; text_field = \"USSD_STRING\";\n"
					  "    max_gsm7 = 182; max_ucs2 = 80; deadline_ms = 1500; max_body = 1024;\n"
					  "    allow = [ \"10.0.0.0/8\", \"192.0.2.7\", \"fd00::/8\" ];\n"
					  "    timestamp_tolerance = 60; conn_timeout = 5; } );\n");
	const struct http_port_cfg *h;

	assert_non_null(cfg);
	assert_int_equal(cfg->n_http, 2);
	h = &cfg->http[0];
	assert_string_equal(h->name, "gw");
	assert_string_equal(h->address, "127.0.0.1"); /* loopback unless told otherwise */
	assert_int_equal(h->port, 8080);
	assert_string_equal(h->path, "/ussd");
	assert_string_equal(h->end_path, "/ussd/end");
	assert_string_equal(h->fields.session, "sessionId");
	assert_string_equal(h->fields.service, "serviceCode");
	assert_string_equal(h->fields.phone, "phoneNumber");
	assert_string_equal(h->fields.text, "text");
	assert_int_equal(h->caps.gsm7, 160); /* a common aggregator cap */
	assert_int_equal(h->caps.ucs2, 70);
	assert_int_equal(h->deadline_ms, 2000);
	assert_int_equal(h->max_body, 4096);
	assert_int_equal(h->ts_tolerance_s, 300);
	assert_string_equal(h->sig_header, "X-Yordam-Signature");
	assert_string_equal(h->ts_header, "X-Yordam-Timestamp");
	assert_string_equal(h->hmac_key_file, "/etc/yordam/gw.key");
	assert_null(h->allow);
	h = &cfg->http[1];
	assert_string_equal(h->address, "::1");
	assert_string_equal(h->path, "/cb");
	assert_string_equal(h->fields.session, "SESSION_ID");
	assert_string_equal(h->fields.text, "USSD_STRING");
	assert_int_equal(h->caps.gsm7, 182);
	assert_int_equal(h->deadline_ms, 1500);
	assert_int_equal(h->max_body, 1024);
	assert_int_equal(h->ts_tolerance_s, 60);
	assert_int_equal(h->conn_timeout_s, 5);
	assert_null(h->hmac_key_file);
	assert_non_null(h->allow);
	assert_string_equal(h->allow[0], "10.0.0.0/8");
	assert_string_equal(h->allow[2], "fd00::/8");
	assert_null(h->allow[3]);
	talloc_free(cfg);
}

static void test_http_errors(void **state)
{
#define GW "name = \"gw\"; port = 8080; allow = [ \"127.0.0.1\" ]; "
	expect_error("http = ( { name = \"gw\"; port = 8080; } );", "key 'http.[0]': needs hmac_key_file or allow");
	expect_error("http = ( { name = \"gw\"; allow = [ \"127.0.0.1\" ]; } );", "key 'http.[0].port': required");
	expect_error("http = ( { " GW "address = \"localhost\"; } );",
		     "key 'http.[0].address': 'localhost': not an IPv4 or IPv6 address");
	expect_error("http = ( { name = \"gw\"; port = 8080;\n allow = [ \"10.0.0.0/33\" ]; } );",
		     "test.conf:2: key 'http.[0].allow': '10.0.0.0/33': bad prefix length");
	expect_error("http = ( { name = \"gw\"; port = 8080; allow = [ \"10.0.0.x\" ]; } );",
		     "'10.0.0.x': not an address");
	expect_error("http = ( { name = \"gw\"; port = 8080; allow = [ 1 ]; } );", "must be a non-empty string");
	expect_error("http = ( { name = \"gw\"; port = 8080; allow = \"127.0.0.1\"; } );", "must be a list of strings");
	expect_error("http = ( { " GW "path = \"ussd\"; } );", "key 'http.[0].path': 'ussd': must start with '/'");
	expect_error("http = ( { " GW "path = \"/a b\"; } );", "key 'http.[0].path'");
	expect_error("http = ( { " GW "end_path = \"/ussd\"; } );", "path and end_path must differ");
	expect_error("http = ( { " GW "text_field = \"te xt\"; } );", "key 'http.[0].text_field'");
	expect_error("http = ( { " GW "signature_header = \"X-Sig:\"; } );", "key 'http.[0].signature_header'");
	expect_error("http = ( { " GW "max_gsm7 = 200; } );",
		     "key 'http.[0].max_gsm7': value 200 out of range 16..182");
	expect_error("http = ( { " GW "deadline_ms = 10; } );", "key 'http.[0].deadline_ms': value 10 out of range");
	expect_error("http = ( { " GW "max_body = 100000000; } );", "key 'http.[0].max_body'");
	expect_error("http = ( { " GW "timestamp_tolerance = 0; } );", "key 'http.[0].timestamp_tolerance'");
	expect_error("http = ( { " GW "hmac_key_file = \"\"; } );", "key 'http.[0].hmac_key_file': must not be empty");
	expect_error("http = ( { " GW "frob = 1; } );", "key 'http.[0].frob': unknown key");
	expect_error("http = ( { " GW "}, { " GW "} );", "port name 'gw' used twice");
	expect_error("gsup = ( { name = \"gw\"; } );\nhttp = ( { " GW "} );", "port name 'gw' used twice");
	expect_error("http = { " GW "};", "key 'http': must be a list of groups");
	expect_error("http = ( {" GW "}, {" GW "}, {" GW "}, {" GW "}, {" GW "} );", "at most 4 ports");
#undef GW
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

static void test_modems(void **state)
{
	struct yordam_config *cfg =
		parse("modems = ( { name = \"m1\"; device = \"/dev/serial/by-id/usb-modem\"; },\n"
		      "  { name = \"d\"; device = \"dummy-dir\"; connection = \"none\";\n"
		      "    model = \"dummy\"; poll_ms = 500; timeout_ms = 5000; reopen_min_ms = 200;\n"
		      "    reopen_max_ms = 2000; reset_after = 5; reject_calls = true;\n"
		      "    prefixes = \"+99890,+99891\"; } );\n");

	assert_non_null(cfg);
	assert_int_equal(cfg->n_modems, 2);
	/* defaults as in modem.h */
	assert_string_equal(cfg->modems[0].name, "m1");
	assert_string_equal(cfg->modems[0].device, "/dev/serial/by-id/usb-modem");
	assert_string_equal(cfg->modems[0].connection, "at");
	assert_null(cfg->modems[0].model);
	assert_int_equal(cfg->modems[0].poll_ms, 10000);
	assert_int_equal(cfg->modems[0].timeout_ms, 30000);
	assert_int_equal(cfg->modems[0].reopen_min_ms, 1000);
	assert_int_equal(cfg->modems[0].reopen_max_ms, 60000);
	assert_int_equal(cfg->modems[0].reset_after, 3);
	assert_false(cfg->modems[0].reject_calls);
	assert_null(cfg->modems[0].prefixes);
	/* everything set; a relative device resolves against the config file's directory */
	assert_string_equal(cfg->modems[1].device, "/etc/yordam/dummy-dir");
	assert_string_equal(cfg->modems[1].connection, "none");
	assert_string_equal(cfg->modems[1].model, "dummy");
	assert_int_equal(cfg->modems[1].poll_ms, 500);
	assert_int_equal(cfg->modems[1].timeout_ms, 5000);
	assert_int_equal(cfg->modems[1].reopen_min_ms, 200);
	assert_int_equal(cfg->modems[1].reopen_max_ms, 2000);
	assert_int_equal(cfg->modems[1].reset_after, 5);
	assert_true(cfg->modems[1].reject_calls);
	assert_string_equal(cfg->modems[1].prefixes, "+99890,+99891");
	talloc_free(cfg);

	cfg = parse("");
	assert_non_null(cfg);
	assert_int_equal(cfg->n_modems, 0);
	talloc_free(cfg);
}

static void test_modem_errors(void **state)
{
	expect_error("modems = ( { device = \"/dev/x\"; } );",
		     "test.conf:1: key 'modems.[0].name': required but missing");
	expect_error("modems = ( { name = \"m\"; } );", "key 'modems.[0].device': required but missing");
	expect_error("modems = ( { name = \"m\"; device = \"/dev/x\";\n poll_ms = 5; } );",
		     "test.conf:2: key 'modems.[0].poll_ms': value 5 out of range");
	expect_error("modems = ( { name = \"m\"; device = \"/dev/x\"; timeout_ms = \"30\"; } );",
		     "key 'modems.[0].timeout_ms': must be an integer");
	expect_error("modems = ( { name = \"m\"; device = \"/dev/x\"; reset_after = 0; } );",
		     "key 'modems.[0].reset_after': value 0 out of range");
	expect_error("modems = ( { name = \"m\"; device = \"/dev/x\"; reject_calls = 1; } );",
		     "key 'modems.[0].reject_calls': must be true or false");
	expect_error("modems = ( { name = \"m\"; device = \"/dev/x\"; baud = 9600; } );",
		     "key 'modems.[0].baud': unknown key");
	expect_error("modems = ( { name = \"m\"; device = \"/dev/x\"; model = \"\"; } );",
		     "key 'modems.[0].model': must not be empty");
	expect_error("modems = ( { name = \"m 1\"; device = \"/dev/x\"; } );", "key 'modems.[0].name'");
	expect_error("modems = ( { name = \"m\"; device = \"/dev/x\"; reopen_min_ms = 5000; reopen_max_ms = 1000; } );",
		     "reopen_min_ms (5000) exceeds reopen_max_ms (1000)");
	expect_error("modems = ( { name = \"m\"; device = \"/dev/x\"; },\n { name = \"m\"; device = \"/dev/y\"; } );",
		     "test.conf:2: key 'modems.[1]': modem name 'm' used twice");
	expect_error("modems = ( { name = \"a\"; device = \"/dev/x\"; }, { name = \"b\"; device = \"/dev/x\"; } );",
		     "device '/dev/x' used by two modems");
	expect_error("modems = { name = \"m\"; device = \"/dev/x\"; };", "key 'modems': must be a list of groups");
	expect_error("modems = ( 1 );", "key 'modems.[0]': must be a group");
	expect_error("modems = ( {name=\"a\";device=\"1\";}, {name=\"b\";device=\"2\";}, {name=\"c\";device=\"3\";},\n"
		     "{name=\"d\";device=\"4\";}, {name=\"e\";device=\"5\";}, {name=\"f\";device=\"6\";},\n"
		     "{name=\"g\";device=\"7\";}, {name=\"h\";device=\"8\";}, {name=\"i\";device=\"9\";} );",
		     "at most 8 modems");
}

static void test_sync(void **state)
{
	struct yordam_config *cfg = parse("");

	assert_non_null(cfg);
	assert_false(cfg->sync.enabled);
	assert_int_equal(cfg->sync.port, 8443);
	assert_int_equal(cfg->sync.interval, 300);
	assert_int_equal(cfg->sync.batch_size, 500);
	assert_int_equal(cfg->sync.retention_days, 7);
	assert_string_equal(cfg->sync.work_dir, "/etc/yordam/sync");
	talloc_free(cfg);

	cfg = parse("sync: { enabled = true; address = \"10.8.0.1\"; port = 443; host = \"platform.example.org\";\n"
		    " ca_file = \"ca.pem\"; cert_file = \"/etc/yordam/a.pem\"; key_file = \"a.key\";\n"
		    " bundle_key_file = \"bundle.pub\"; interval = 60; backoff_min_ms = 1000; backoff_max_ms = 2000;\n"
		    " batch_size = 100; retention_days = 14; journal_retention_days = 0; counters_interval = 5; };");
	assert_non_null(cfg);
	assert_true(cfg->sync.enabled);
	assert_string_equal(cfg->sync.address, "10.8.0.1");
	assert_int_equal(cfg->sync.port, 443);
	assert_string_equal(cfg->sync.host, "platform.example.org");
	assert_string_equal(cfg->sync.ca_file, "/etc/yordam/ca.pem");
	assert_string_equal(cfg->sync.cert_file, "/etc/yordam/a.pem");
	assert_string_equal(cfg->sync.bundle_key_file, "/etc/yordam/bundle.pub");
	assert_int_equal(cfg->sync.interval, 60);
	assert_int_equal(cfg->sync.backoff_max_ms, 2000);
	assert_int_equal(cfg->sync.batch_size, 100);
	assert_int_equal(cfg->sync.retention_days, 14);
	assert_int_equal(cfg->sync.journal_retention_days, 0);
	assert_int_equal(cfg->sync.counters_interval, 5);
	talloc_free(cfg);

	/* disabled: nothing else is needed */
	cfg = parse("sync: { enabled = false; };");
	assert_non_null(cfg);
	talloc_free(cfg);
}

static void test_sync_errors(void **state)
{
	expect_error("sync: { enabled = true; };", "test.conf:1: key 'sync.address': required when sync.enabled");
	expect_error("sync: { enabled = true; };", "key 'sync.bundle_key_file': required when sync.enabled");
	expect_error("sync: {\n address = \"platform.example.org\"; };",
		     "test.conf:2: key 'sync.address': 'platform.example.org': not an IPv4 or IPv6 address");
	expect_error("sync: { port = 0; };", "key 'sync.port': value 0 out of range");
	expect_error("sync: { batch_size = 20000; };", "key 'sync.batch_size': value 20000 out of range");
	expect_error("sync: { retention_days = 0; };", "key 'sync.retention_days': value 0 out of range");
	expect_error("sync: { enabled = 1; };", "key 'sync.enabled': must be true or false");
	expect_error("sync: { server = \"x\"; };", "key 'sync.server': unknown key");
	expect_error("sync: { ca_file = \"\"; };", "key 'sync.ca_file': must not be empty");
	expect_error("sync: { backoff_min_ms = 5000; backoff_max_ms = 1000; };",
		     "backoff_min_ms (5000) exceeds backoff_max_ms (1000)");
	expect_error("sync = 1;", "key 'sync': must be a group");
}

/* The complaints service (issue 4): off by default, a staff roster validated by cases_roster_compile(). */
static void test_cases(void **state)
{
	struct yordam_config *cfg = parse("");

	assert_non_null(cfg);
	assert_false(cfg->cases.enabled);
	assert_int_equal(cfg->cases.claim_timeout, 900);
	assert_int_equal(cfg->cases.beep_window, 21600);
	assert_int_equal(cfg->cases.warn_threshold, 5);
	assert_string_equal(cfg->cases.tzdir, "/usr/share/zoneinfo");
	assert_int_equal(cfg->n_staff, 0);
	talloc_free(cfg);

	cfg = parse(
		"cases: { enabled = true; claim_timeout = 60; warn_window = 86400; warn_threshold = 3; };\n"
		"staff = (\n"
		" { name = \"Dilnoza\"; phone = \"+998 90 123-45-67\"; languages = [\"uz\", \"ru\"];\n"
		"   countries = [\"RU\", \"KZ\"]; topics = [\"wages\", \"callback\"]; timezone = \"Asia/Tashkent\";\n"
		"   duty = [\"mon-fri 09:00-18:00\", \"sat 10:00-14:00\"]; },\n"
		" { name = \"Aziz\"; phone = \"+998910000001\"; languages = [\"*\"]; countries = [\"*\"];\n"
		"   topics = [\"*\"]; timezone = \"Asia/Tashkent\"; duty = [\"daily 20:00-08:00\"]; supervisor = true; "
		"}\n"
		");");
	assert_non_null(cfg);
	assert_true(cfg->cases.enabled);
	assert_int_equal(cfg->cases.claim_timeout, 60);
	assert_int_equal(cfg->cases.warn_threshold, 3);
	assert_int_equal(cfg->n_staff, 2);
	assert_string_equal(cfg->staff[0].name, "Dilnoza");
	assert_string_equal(cfg->staff[0].phone, "+998 90 123-45-67");
	assert_string_equal(cfg->staff[0].duty[1], "sat 10:00-14:00");
	assert_null(cfg->staff[0].duty[2]);
	assert_false(cfg->staff[0].supervisor);
	assert_true(cfg->staff[1].supervisor);
	talloc_free(cfg);
}

static void test_cases_errors(void **state)
{
	expect_error("cases: { enabled = true; };", "key 'cases.enabled': needs a staff list");
	expect_error("cases: { claim_timeout = 1; };", "key 'cases.claim_timeout': value 1 out of range");
	expect_error("cases: { colour = 1; };", "key 'cases.colour': unknown key");
	expect_error("staff = ( { name = \"A\"; } );", "key 'staff.[0].phone': required but missing");
	expect_error("staff = ( { name = \"A\"; phone = \"+998901234567\"; languages = [\"uz\"]; countries = [\"RU\"];"
		     " topics = [\"wages\"]; timezone = \"Asia/Tashkent\"; duti = [\"x\"]; } );",
		     "key 'staff.[0].duti': unknown key");
	/* the roster validator's messages, at the staff list's line */
	expect_error(
		"\nstaff = (\n { name = \"A\"; phone = \"+998901234567\"; languages = [\"uz\"]; countries = [\"RU\"];"
		" topics = [\"wages\"]; timezone = \"Asia/Taskent\"; } );",
		"test.conf:2: key 'staff': staff 1 (A): timezone");
	expect_error("staff = ( { name = \"A\"; phone = \"901234567\"; languages = [\"uz\"]; countries = [\"RU\"];"
		     " topics = [\"wages\"]; timezone = \"Asia/Tashkent\"; } );",
		     "key 'staff': staff 1 (A)");
	expect_error("staff = ( { name = \"A\"; phone = \"+998901234567\"; languages = [\"uz\"]; countries = [\"RU\"];"
		     " topics = [\"wages\"]; timezone = \"Asia/Tashkent\"; duty = [\"mon 25:00-26:00\"]; } );",
		     "key 'staff': staff 1 (A)");
	expect_error("staff = { name = \"A\"; };", "key 'staff': must be a list of groups");
}

static void test_sms(void **state)
{
	struct yordam_config *cfg = parse("");
	struct sms_cfg def;

	/* the defaults are the SMS layer's own */
	assert_non_null(cfg);
	sms_cfg_defaults(&def);
	assert_int_equal(cfg->sms.parts_max, 3);
	assert_int_equal(cfg->sms.incomplete_timeout, 600);
	assert_int_equal(cfg->sms.parts_max, def.parts_max);
	assert_int_equal(cfg->sms.fold_typo, def.fold_typo);
	assert_int_equal(cfg->sms.rate_limit, def.rate_limit);
	assert_int_equal(cfg->sms.rate_window, def.rate_window);
	assert_int_equal(cfg->sms.incomplete_timeout, def.incomplete_timeout);
	assert_int_equal(cfg->sms.dup_window, def.dup_window);
	assert_int_equal(cfg->sms.retry_max, def.retry_max);
	assert_int_equal(cfg->sms.retry_base, def.retry_base);
	assert_int_equal(cfg->sms.retry_cap, def.retry_cap);
	assert_int_equal(cfg->sms.delivery_reports, def.delivery_reports);
	talloc_free(cfg);

	cfg = parse("sms: { parts_max = 5; fold_typo = false; rate_limit = 0; rate_window = 60;"
		    " incomplete_timeout = 30; duplicate_window = 0; retry_max = 2; retry_base = 5; retry_cap = 50;"
		    " delivery_reports = true; };");
	assert_non_null(cfg);
	assert_int_equal(cfg->sms.parts_max, 5);
	assert_false(cfg->sms.fold_typo);
	assert_int_equal(cfg->sms.rate_limit, 0);
	assert_int_equal(cfg->sms.rate_window, 60);
	assert_int_equal(cfg->sms.incomplete_timeout, 30);
	assert_int_equal(cfg->sms.dup_window, 0);
	assert_int_equal(cfg->sms.retry_max, 2);
	assert_int_equal(cfg->sms.retry_base, 5);
	assert_int_equal(cfg->sms.retry_cap, 50);
	assert_true(cfg->sms.delivery_reports);
	talloc_free(cfg);

	expect_error("sms: { parts_max = 0; };", "key 'sms.parts_max': value 0 out of range");
	expect_error("sms: {\n incomplete_timeout = 5; };",
		     "test.conf:2: key 'sms.incomplete_timeout': value 5 out of range");
	expect_error("sms: { fold_typo = 1; };", "key 'sms.fold_typo': must be true or false");
	expect_error("sms: { rate = 3; };", "key 'sms.rate': unknown key");
	expect_error("sms = 3;", "key 'sms': must be a group");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),     cmocka_unit_test(test_full),
		cmocka_unit_test(test_errors),	     cmocka_unit_test(test_several_errors_reported),
		cmocka_unit_test(test_missing_file), cmocka_unit_test(test_demo_configs_valid),
		cmocka_unit_test(test_http),	     cmocka_unit_test(test_http_errors),
		cmocka_unit_test(test_modems),	     cmocka_unit_test(test_modem_errors),
		cmocka_unit_test(test_sms),	     cmocka_unit_test(test_cases),
		cmocka_unit_test(test_cases_errors), cmocka_unit_test(test_sync),
		cmocka_unit_test(test_sync_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
