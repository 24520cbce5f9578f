/* SMS over GSM modems: the durable inbox (reassembly), the keyword router on the menu tree, the
 * outbox queue and the one API the rest of the daemon sends SMS with.
 *
 * The database is the queue (as osmo-msc's sms_queue.c): every received part, assembled message
 * and outgoing part is a row; RAM holds only timers. The contract with modem/ (modem.h):
 *  - a received part is committed (with duplicate recognition) before modem_sms_delete();
 *  - processing a message and queuing its reply are one transaction, so after a crash nothing is
 *    answered twice or never; messages still 'new' at start are processed then;
 *  - an outgoing part is marked 'sending' before modem_send() and gets exactly one result; parts
 *    left 'sending' by a crash go back to 'retry' at start.
 * Numbers and texts are sealed (secret_seal) at rest; look-ups use secret_hash(s, "msisdn", n).
 * Every callback below must be called on the main loop. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yordam/modem.h>

struct store;
struct secret;
struct menu_tree;
struct sms_service;

struct sms_cfg {
	unsigned parts_max;	     /* parts per reply before "reply MORE" (default 3) */
	bool fold_typo;		     /* TEXT_FOLD_TYPO on replies (TEXT_FOLD_UZ always) */
	unsigned rate_limit;	     /* messages answered per sender per rate_window; 0 = no limit */
	unsigned rate_window;	     /* seconds */
	unsigned incomplete_timeout; /* seconds before an incomplete multipart message is processed anyway */
	unsigned dup_window;	     /* seconds in which an identical single message without SMSC time is a duplicate */
	unsigned retry_max;	     /* attempts before a part is failed */
	unsigned retry_base;	     /* first retry delay, seconds; doubles per attempt with +-25% jitter */
	unsigned retry_cap;	     /* longest retry delay, seconds */
	bool delivery_reports;	     /* ask for delivery reports */
};

/* The defaults above, for tests and the config schema. */
void sms_cfg_defaults(struct sms_cfg *cfg);

/* The menu tree in service. It belongs to the daemon and is swapped on content import, so the
 * SMS service asks for it on every message instead of keeping a copy. */
typedef const struct menu_tree *(*sms_tree_fn)(void *data);

struct sms_service *sms_alloc(void *ctx, const struct sms_cfg *cfg, struct store *st, const struct secret *sec,
			      sms_tree_fn tree, void *tree_data);
/* Resume after a (re)start: parts left 'sending' go to 'retry', pending messages are processed,
 * timers armed. Call once the modems are added. 0 or -errno. */
int sms_start(struct sms_service *svc);
void sms_free(struct sms_service *svc);

/* Modems the outbox may use. Removing one does not touch its rows: modem_free() answers its
 * queued sends with -ECANCELED through sms_on_send_result(), so call that first. */
int sms_add_modem(struct sms_service *svc, struct modem *m);
void sms_remove_modem(struct sms_service *svc, struct modem *m);

/* Routes for struct modem_callbacks (data = the service). */
void sms_on_received(void *svc, struct modem *m, const struct modem_sms_part *p);
void sms_on_send_result(void *svc, struct modem *m, uint64_t id, int result, int mr);
void sms_on_delivery_report(void *svc, struct modem *m, int mr, const char *number, int status);
void sms_on_state_changed(void *svc, struct modem *m, enum modem_state st);

/* Flags of sms_send. */
#define SMS_SEND_DIRECT 0x1 /* a direct reply to the number's own message: sent even when it opted out */
#define SMS_SEND_NO_CAP 0x2 /* send every part, no "reply MORE" cut */

/* The one way to send an SMS: folded, encoded (GSM-7 when possible), split, capped (the rest
 * kept for MORE), queued durably in one transaction. lang is a tree language code or NULL
 * (the number's saved language, else the fallback). Returns the number of parts queued,
 * -EPERM when the number opted out (STOP) and the message is not a direct reply, -EINVAL for a
 * bad number or text, or -errno from the store. */
int sms_send(struct sms_service *svc, const char *number, const char *text, const char *lang, unsigned flags);

/* sms_send inside the caller's open transaction (store_begin .. store_commit are the caller's), for
 * a message that must commit or vanish together with the caller's own rows (a case and its staff
 * notification). *first_id (may be NULL) gets the outbox id of the first part; the parts of one
 * message have consecutive ids. Sending starts on the loop after the caller returns. Same returns. */
int sms_queue(struct sms_service *svc, const char *number, const char *text, const char *lang, unsigned flags,
	      int64_t *first_id);

/* Run whatever is due now (process new messages, expire incomplete ones, send); the timers call
 * it, tests may too. */
void sms_tick(struct sms_service *svc);

/* Issue 4: a hook that sees every received text before the menu keywords (the cases service: staff
 * commands, complaint intake, status). It runs inside the message's store transaction: it may use
 * the store (no store_begin) but must not call sms_send (queue what else it sends and send it after
 * the commit). sender is the number as received, key its keyed hash, lang the caller's language
 * code. Returns SMS_HOOK_HANDLED (with *reply, talloc under ctx, sent to the sender; NULL for no
 * reply), SMS_HOOK_PASS to let the menu router answer, or -errno (the message is retried). */
#define SMS_HOOK_PASS	 0
#define SMS_HOOK_HANDLED 1
typedef int (*sms_text_hook_fn)(void *data, const char *sender, const uint8_t key[32], const char *text,
				const char *lang, void *ctx, char **reply);
/* The owner's pointer, for modem callbacks that share the SMS service as their data (missed calls). */
void sms_set_user_data(struct sms_service *svc, void *data);
void *sms_user_data(void *svc);
/* Set (or clear with NULL) the text hook. */
void sms_set_text_hook(struct sms_service *svc, sms_text_hook_fn hook, void *data);
/* Issue 4: a hook told of every outbox part the outbox gives up on (retries exhausted, a permanent
 * error, a part that does not open), inside the transaction that marks it failed, so the owner
 * reacts exactly once (a staff notification that cannot go out escalates the case). It may use the
 * store (no store_begin) and sms_queue. -errno rolls the batch back; it is retried later. */
typedef int (*sms_fail_hook_fn)(void *data, int64_t out_id);
void sms_set_fail_hook(struct sms_service *svc, sms_fail_hook_fn hook, void *data);

struct sms_counters {
	uint64_t rx_parts, rx_duplicates, rx_rejected, rx_messages, rx_incomplete;
	uint64_t processed, quarantined, replies, tx_parts, tx_ok, tx_retry, tx_failed, reports;
};
void sms_get_counters(const struct sms_service *svc, struct sms_counters *c);
/* Human-readable status lines (counters and the store's queue figures) under ctx. */
char *sms_status(struct sms_service *svc, void *ctx);
/* The last n outbox rows, newest first, numbers masked but for the last 3 digits. */
char *sms_outbox_list(struct sms_service *svc, void *ctx, unsigned n);

/* --- pure helpers (sms/reply.c, sms/keyword.c), public for tests and fuzzers ------------------ */

/* Mask a number for logs and operators: all but the last keep digits become '*'. */
void sms_mask_number(const char *number, unsigned keep, char *out, size_t outlen);
/* Normalise a number for hashing: digits only, a leading '+' or "00" dropped. -EINVAL when not
 * 3..20 digits (an alphanumeric sender cannot be answered). */
int sms_number_norm(const char *number, char *out, size_t outlen);

/* A reply cut to at most parts_max parts (0: no cap): *first is what to send now (talloc under
 * ctx), *rest what MORE returns (NULL when nothing is left). more_hint (e.g. "\nReply MORE") is
 * appended to a cut reply and counted in its budget. Folded with TEXT_FOLD_UZ and, with
 * fold_typo, TEXT_FOLD_TYPO. Returns the part count of *first, or -errno. */
int sms_reply_cut(void *ctx, const char *text, bool fold_typo, unsigned parts_max, const char *more_hint, char **first,
		  char **rest);

/* The keyword router. */
enum sms_cmd_kind {
	SMS_CMD_UNKNOWN,
	SMS_CMD_NODE, /* a keyword or a numeric path: reply with the node's text */
	SMS_CMD_HELP,
	SMS_CMD_STOP,
	SMS_CMD_START,
	SMS_CMD_MORE,
	SMS_CMD_LANG, /* a language name: switch language, reply with the root */
	SMS_CMD_EMPTY,
};

struct sms_cmd {
	enum sms_cmd_kind kind;
	const struct menu_node *node;
	int lang;  /* language the keyword belongs to (switch to it), -1 for none */
	bool typo; /* matched with one edit */
};

/* Normalise one word for matching: lowercase, Cyrillic transliterated to Latin, apostrophes and
 * marks dropped. Returns the length written (NUL-terminated), 0 for nothing left. */
size_t sms_kw_norm(const char *word, size_t len, char *out, size_t outlen);
/* Restricted Damerau-Levenshtein distance, stopping early above max. */
unsigned sms_kw_distance(const char *a, const char *b, unsigned max);
/* Parse a received text against tree t for a caller whose language is cur_lang (-1 unknown). */
void sms_parse(const struct menu_tree *t, const char *text, int cur_lang, struct sms_cmd *cmd);
/* Built-in interface strings of the SMS channel by language code (falls back to English). */
enum sms_ui {
	SMS_UI_HELP,	     /* heading of the keyword list */
	SMS_UI_UNKNOWN,	     /* unrecognised text */
	SMS_UI_STOPPED,	     /* after STOP */
	SMS_UI_STARTED,	     /* after START */
	SMS_UI_RATE,	     /* over the rate limit */
	SMS_UI_MORE,	     /* appended to a cut reply */
	SMS_UI_NOTHING_MORE, /* MORE with nothing left */
	_NUM_SMS_UI,
};
const char *sms_ui_text(const char *lang, enum sms_ui which);
