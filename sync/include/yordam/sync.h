/* The appliance's sync client (docs/sync.md): journal up, signed bundles down, over mutually
 * authenticated TLS 1.2 (mbedTLS) on the libosmocore event loop with non-blocking sockets.
 *
 * Contract for the journal and the sink (the store and content import implement them):
 * - Every callback is called on the event loop thread, never re-entrantly, and MUST NOT block
 *   for long (a store query is fine, a network call is not).
 * - read_batch MUST return records in strictly ascending seq order, all > after_seq; the record
 *   pointers MUST stay valid until the next journal call.
 * - acked(seq) MUST be durable before it returns 0: the client never re-reads below it.
 * - apply_bundle MUST be all or nothing: on error the content in service MUST stay unchanged.
 *   The directory and its files are removed by the client after the call.
 * - The client MUST NOT be freed from inside one of its callbacks. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SYNC_KINDS_MAX 4

struct sync_record {
	uint64_t seq;
	int64_t time;
	const char *type; /* 1..32 of a-z 0-9 _ */
	const char *data; /* a JSON value as text */
	size_t data_len;
};

struct sync_journal_ops {
	int (*last_acked)(void *data, uint64_t *seq);
	/* Up to max records with seq > after_seq, ascending: returns how many (0: none) or -errno. */
	int (*read_batch)(void *data, uint64_t after_seq, struct sync_record *out, unsigned max);
	int (*acked)(void *data, uint64_t seq);
	/* optional: records after after_seq (for status) */
	int (*backlog)(void *data, uint64_t after_seq, uint64_t *count);
};

struct sync_sink_ops {
	/* The version in service, 0 if none. */
	int (*current_version)(void *data, const char *kind, uint64_t *version);
	/* Install the verified files in dir. On refusal *why may point to a text saying why, valid until the
	 * sink's next call (e.g. content_import's report). Returns 0 or -errno. */
	int (*apply_bundle)(void *data, const char *kind, uint64_t version, const char *dir, const char **why);
};

struct sync_cfg {
	const char *host;    /* name in the platform's certificate; SNI and Host */
	const char *address; /* numeric IPv4 or IPv6 address to connect to */
	uint16_t port;
	const char *ca_file;		   /* the platform CA: the only trust anchor */
	const char *cert_file;		   /* this appliance's certificate (CN = appliance id) */
	const char *key_file;		   /* and its private key */
	const char *bundle_key_file;	   /* the platform's bundle signing public key (EC P-256) */
	const char *work_dir;		   /* where verified bundles are unpacked for the sink */
	const char *kinds[SYNC_KINDS_MAX]; /* bundle kinds to fetch, NULL-terminated ("content", "roster") */
	unsigned interval_ms;		   /* between successful rounds (default 300000) */
	unsigned backoff_min_ms;	   /* first retry delay after a failure (default 5000) */
	unsigned backoff_max_ms;	   /* cap (default 600000) */
	unsigned timeout_ms;		   /* inactivity timeout within a round (default 30000) */
	unsigned batch_max;		   /* records per request (default 500, at most 10000) */
	bool no_resume;			   /* benchmarks: never offer a saved session */
};

struct sync_status {
	time_t last_success; /* 0: never */
	time_t last_attempt;
	char last_error[256]; /* "" when the last round succeeded */
	uint64_t acked_seq;
	uint64_t backlog;      /* records not acknowledged yet (when the journal can tell) */
	uint64_t records_sent; /* since start, duplicates included */
	unsigned rounds_ok, rounds_failed, consecutive_failures;
	unsigned handshakes_full, handshakes_resumed;
	uint64_t bundle_version[SYNC_KINDS_MAX];
	unsigned bundles_applied, bundles_rejected;
	bool busy;		/* a round is in progress */
	unsigned next_round_ms; /* when idle: time to the next round */
};

struct sync_client;

/* Loads keys and certificates (errors name the file) and schedules the first round after
 * first_delay_ms. Returns NULL with *err (static) set on failure. Never touches the network here. */
struct sync_client *sync_client_alloc(void *ctx, const struct sync_cfg *cfg, const struct sync_journal_ops *jops,
				      void *jdata, const struct sync_sink_ops *sops, void *sdata,
				      unsigned first_delay_ms, char *err, size_t err_len);
void sync_client_free(struct sync_client *c);
/* Start a round now unless one is running. */
void sync_client_trigger(struct sync_client *c);
void sync_client_status(struct sync_client *c, struct sync_status *st);
/* Called after every round (ok or not): tests and benchmarks use it. */
void sync_client_set_round_cb(struct sync_client *c, void (*cb)(void *data, bool ok), void *data);
