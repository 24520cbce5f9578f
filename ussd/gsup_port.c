/* GSUP USSD port: OsmoHLR External USSD Entity. See gsup_port.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/hashtable.h>
#include <osmocom/core/msgb.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>
#include <osmocom/gsm/gsm48.h>
#include <osmocom/gsm/gsup.h>
#include <osmocom/gsm/ipa.h>
#include <osmocom/gsupclient/gsup_client.h>

#include <yordam/facility.h>
#include <yordam/gsup_port.h>
#include <yordam/hlr_ctrl.h>
#include <yordam/log.h>

/* 3GPP TS 29.002 error codes used in ReturnError */
#define MAP_ERR_SYSTEM_FAILURE	34
#define MAP_ERR_UNEXPECTED_DATA 36

/* Reject problem codes (TS 24.080 table 3.13+) */
#define REJ_TAG_GENERAL	 0x80
#define REJ_GEN_MISTYPED 0x01

#define DIALOG_HASH_BITS 12

struct gsup_dialog {
	struct hlist_node node;
	struct gsup_port *gp;
	struct ussd_session *sess;
	char imsi[OSMO_IMSI_BUF_SIZE];
	uint32_t session_id;
	uint8_t phone_invoke_id; /* from the BEGIN; the final ReturnResult answers it */
	uint8_t our_invoke_id;	 /* of the last Invoke we sent */
};

struct gsup_port {
	struct ussd_port port;
	struct gsup_port_cfg cfg;
	struct osmo_gsup_client *gsupc;
	struct ipaccess_unit *ipa_dev;
	struct hlr_ctrl *ctrl;
	DECLARE_HASHTABLE(dialogs, DIALOG_HASH_BITS);
	/* Reconnect backoff: libosmo-gsup-client retries every second by itself; we take over its
	 * connect timer to space retries out exponentially with jitter. */
	unsigned backoff_ms;
	bool retry_armed;
	uint64_t rx_msgs, rx_errors, reconnects;
};

#define LOGGP(gp, lvl, fmt, args...) LOGP(DGSUP, lvl, "%s: " fmt, (gp)->cfg.name, ##args)

static uint32_t dialog_hash(const char *imsi, uint32_t session_id)
{
	uint32_t h = session_id * 2654435761u;
	for (; *imsi; imsi++) {
		h = h * 31 + (uint8_t)*imsi;
	}
	return h;
}

static struct gsup_dialog *dialog_find(struct gsup_port *gp, const char *imsi, uint32_t session_id)
{
	struct gsup_dialog *d;

	hash_for_each_possible(gp->dialogs, d, node, dialog_hash(imsi, session_id))
	{
		if (d->session_id == session_id && !strcmp(d->imsi, imsi)) {
			return d;
		}
	}
	return NULL;
}

static int gsup_send(struct gsup_port *gp, const char *imsi, uint32_t session_id, enum osmo_gsup_message_type type,
		     enum osmo_gsup_session_state state, const uint8_t *fac, size_t fac_len)
{
	struct osmo_gsup_message m = {
		.message_type = type,
		.session_id = session_id,
		.session_state = state,
		.ss_info = (uint8_t *)fac,
		.ss_info_len = fac_len,
		.message_class = OSMO_GSUP_MESSAGE_CLASS_USSD,
	};

	if (!gp->gsupc || !gp->port.link_up) {
		return -ENOTCONN;
	}
	OSMO_STRLCPY_ARRAY(m.imsi, imsi);
	return osmo_gsup_client_enc_send(gp->gsupc, &m);
}

/* End a dialog we hold no session for (unknown, malformed, or start failed). */
static void gsup_end_with_error(struct gsup_port *gp, const char *imsi, uint32_t session_id, int invoke_id,
				uint8_t error_code)
{
	uint8_t fac[16];
	int len = fac_enc_return_error(fac, sizeof(fac), invoke_id < 0 ? 0 : (uint8_t)invoke_id, error_code);

	if (len < 0 || gsup_send(gp, imsi, session_id, OSMO_GSUP_MSGT_PROC_SS_RESULT, OSMO_GSUP_SESSION_STATE_END, fac,
				 (size_t)len) < 0) {
		LOGGP(gp, LOGL_ERROR, "Could not end session 0x%08" PRIx32 "\n", session_id);
	}
}

static int gsup_port_tx(struct ussd_session *sess, const char *text, bool final)
{
	struct gsup_dialog *d = ussd_session_port_data(sess);
	struct gsup_port *gp = d->gp;
	uint8_t fac[FAC_MAX_LEN];
	int len;

	if (final) {
		len = fac_enc_result_process_uss(fac, sizeof(fac), d->phone_invoke_id, text);
	} else {
		/* Each Invoke of ours gets a fresh invokeID; the phone's ReturnResult quotes it. */
		d->our_invoke_id++;
		len = fac_enc_invoke_uss_req(fac, sizeof(fac), d->our_invoke_id, text);
	}
	if (len < 0) {
		return len;
	}
	return gsup_send(gp, d->imsi, d->session_id,
			 final ? OSMO_GSUP_MSGT_PROC_SS_RESULT : OSMO_GSUP_MSGT_PROC_SS_REQUEST,
			 final ? OSMO_GSUP_SESSION_STATE_END : OSMO_GSUP_SESSION_STATE_CONTINUE, fac, (size_t)len);
}

static void gsup_port_release(struct ussd_session *sess)
{
	struct gsup_dialog *d = ussd_session_port_data(sess);

	hash_del(&d->node);
	talloc_free(d);
}

/* The caller's number from OsmoHLR's CTRL look-up, started when the dialog began. */
static const char *gsup_port_msisdn(struct ussd_session *sess)
{
	struct gsup_dialog *d = ussd_session_port_data(sess);

	return d && d->gp->ctrl ? hlr_ctrl_msisdn(d->gp->ctrl, d->imsi) : NULL;
}

static const struct ussd_port_ops gsup_port_ops = {
	.tx = gsup_port_tx,
	.release = gsup_port_release,
	.msisdn = gsup_port_msisdn,
};

static void rx_begin(struct gsup_port *gp, const struct osmo_gsup_message *gm, const struct fac_component *c)
{
	struct gsup_dialog *d = dialog_find(gp, gm->imsi, gm->session_id);
	char text[TEXT_USSD_MAX_SEPTETS * 3 + 1];

	if (d) {
		/* The network reused a session id we still hold: the old dialog is gone. */
		ussd_session_abort(d->sess, "session id reused by a new BEGIN");
	}
	if (c->type != FAC_COMP_INVOKE || c->opcode != FAC_OP_PROCESS_USS_REQ || !c->has_ussd ||
	    fac_ussd_text(c, text, sizeof(text)) < 0) {
		LOGGP(gp, LOGL_NOTICE, "BEGIN 0x%08" PRIx32 " is not a USSD request, rejecting\n", gm->session_id);
		gsup_end_with_error(gp, gm->imsi, gm->session_id, c->invoke_id, MAP_ERR_UNEXPECTED_DATA);
		return;
	}
	d = talloc_zero(gp, struct gsup_dialog);
	if (!d) {
		gsup_end_with_error(gp, gm->imsi, gm->session_id, c->invoke_id, MAP_ERR_SYSTEM_FAILURE);
		return;
	}
	d->gp = gp;
	OSMO_STRLCPY_ARRAY(d->imsi, gm->imsi);
	d->session_id = gm->session_id;
	d->phone_invoke_id = (uint8_t)c->invoke_id;
	hash_add(gp->dialogs, &d->node, dialog_hash(d->imsi, d->session_id));
	if (gp->ctrl) {
		/* Fire and forget: the cache is warm for later uses (callbacks, cases). */
		hlr_ctrl_lookup_msisdn(gp->ctrl, d->imsi);
	}
	d->sess = ussd_session_start(&gp->port, d->imsi, text, d);
	if (!d->sess) {
		hash_del(&d->node);
		talloc_free(d);
		gsup_end_with_error(gp, gm->imsi, gm->session_id, c->invoke_id, MAP_ERR_SYSTEM_FAILURE);
	}
}

static void rx_continue(struct gsup_port *gp, const struct osmo_gsup_message *gm, const struct fac_component *c)
{
	struct gsup_dialog *d = dialog_find(gp, gm->imsi, gm->session_id);
	char text[TEXT_USSD_MAX_SEPTETS * 3 + 1];

	if (!d) {
		LOGGP(gp, LOGL_NOTICE, "CONTINUE for unknown session 0x%08" PRIx32 ", ending it\n", gm->session_id);
		gsup_end_with_error(gp, gm->imsi, gm->session_id, c ? c->invoke_id : 0, MAP_ERR_SYSTEM_FAILURE);
		return;
	}
	if (!c) {
		ussd_session_abort(d->sess, "CONTINUE without facility");
		gsup_end_with_error(gp, gm->imsi, gm->session_id, d->phone_invoke_id, MAP_ERR_UNEXPECTED_DATA);
		return;
	}
	switch (c->type) {
	case FAC_COMP_RETURN_RESULT:
		if (c->has_ussd && fac_ussd_text(c, text, sizeof(text)) >= 0) {
			if (c->invoke_id != d->our_invoke_id) {
				LOGGP(gp, LOGL_INFO, "answer quotes invokeID %d, expected %u; accepted\n", c->invoke_id,
				      d->our_invoke_id);
			}
			ussd_session_input(d->sess, text);
			return;
		}
		/* An empty answer or one in an alphabet we cannot read: treat as invalid input so the
		 * caller keeps their place. */
		ussd_session_input(d->sess, "");
		return;
	case FAC_COMP_RETURN_ERROR:
	case FAC_COMP_REJECT:
		LOGGP(gp, LOGL_INFO, "phone answered with %s, ending session 0x%08" PRIx32 "\n",
		      c->type == FAC_COMP_REJECT ? "Reject" : "ReturnError", gm->session_id);
		ussd_session_abort(d->sess, "error from the phone");
		return;
	default:
		LOGGP(gp, LOGL_NOTICE, "unexpected component 0x%02x in CONTINUE\n", c->type);
		ussd_session_input(d->sess, "");
		return;
	}
}

static void rx_ss(struct gsup_port *gp, const struct osmo_gsup_message *gm)
{
	struct fac_component c;
	struct fac_component *cp = NULL;
	struct gsup_dialog *d;

	if (gm->ss_info && gm->ss_info_len) {
		if (fac_decode(gm->ss_info, gm->ss_info_len, &c) < 0) {
			gp->rx_errors++;
			LOGGP(gp, LOGL_NOTICE, "malformed facility in session 0x%08" PRIx32 ": %s\n", gm->session_id,
			      osmo_hexdump_nospc(gm->ss_info, gm->ss_info_len));
			d = dialog_find(gp, gm->imsi, gm->session_id);
			if (d) {
				ussd_session_abort(d->sess, "malformed facility");
			}
			if (gm->session_state != OSMO_GSUP_SESSION_STATE_END) {
				gsup_end_with_error(gp, gm->imsi, gm->session_id, -1, MAP_ERR_UNEXPECTED_DATA);
			}
			return;
		}
		cp = &c;
	}

	switch (gm->session_state) {
	case OSMO_GSUP_SESSION_STATE_BEGIN:
		if (!cp) {
			gsup_end_with_error(gp, gm->imsi, gm->session_id, -1, MAP_ERR_UNEXPECTED_DATA);
			return;
		}
		rx_begin(gp, gm, cp);
		return;
	case OSMO_GSUP_SESSION_STATE_CONTINUE:
		rx_continue(gp, gm, cp);
		return;
	case OSMO_GSUP_SESSION_STATE_END:
		d = dialog_find(gp, gm->imsi, gm->session_id);
		if (d) {
			ussd_session_abort(d->sess, "released by the phone");
		}
		return;
	default:
		gp->rx_errors++;
		LOGGP(gp, LOGL_NOTICE, "SS message without session state, ignored\n");
		return;
	}
}

static int gsup_read_cb(struct osmo_gsup_client *gsupc, struct msgb *msg)
{
	struct gsup_port *gp = gsupc->data;
	struct osmo_gsup_message gm = {0};
	struct gsup_dialog *d;
	int rc;

	gp->rx_msgs++;
	rc = osmo_gsup_decode(msgb_l2(msg), msgb_l2len(msg), &gm);
	if (rc < 0) {
		gp->rx_errors++;
		LOGGP(gp, LOGL_NOTICE, "undecodable GSUP message (%d): %s\n", rc, msgb_hexdump(msg));
		msgb_free(msg);
		return rc;
	}
	switch (gm.message_type) {
	case OSMO_GSUP_MSGT_PROC_SS_REQUEST:
	case OSMO_GSUP_MSGT_PROC_SS_RESULT:
		rx_ss(gp, &gm);
		break;
	case OSMO_GSUP_MSGT_PROC_SS_ERROR:
		d = dialog_find(gp, gm.imsi, gm.session_id);
		if (d) {
			ussd_session_abort(d->sess, "PROC_SS_ERROR from the network");
		}
		break;
	default:
		LOGGP(gp, LOGL_INFO, "ignoring GSUP %s\n", osmo_gsup_message_type_name(gm.message_type));
		break;
	}
	msgb_free(msg);
	return 0;
}

static void gsup_port_drop_dialogs(struct gsup_port *gp, const char *why)
{
	struct gsup_dialog *d;
	struct hlist_node *tmp;
	unsigned int bkt;

	hash_for_each_safe(gp->dialogs, bkt, tmp, d, node)
	{
		ussd_session_abort(d->sess, why);
	}
}

static unsigned backoff_next(struct gsup_port *gp)
{
	unsigned base = gp->backoff_ms ? gp->backoff_ms * 2 : gp->cfg.reconnect_min_ms;
	unsigned jitter;

	if (base > gp->cfg.reconnect_max_ms) {
		base = gp->cfg.reconnect_max_ms;
	}
	gp->backoff_ms = base;
	/* +-25 % so a fleet of appliances does not reconnect in lockstep after an HLR restart. */
	jitter = base / 2 ? (unsigned)random() % (base / 2) : 0;
	return base - base / 4 + jitter;
}

static bool gsup_up_down_cb(struct osmo_gsup_client *gsupc, bool up)
{
	struct gsup_port *gp = gsupc->data;
	unsigned delay;

	if (up) {
		LOGGP(gp, LOGL_NOTICE, "GSUP link to %s:%u is up (EUSE-%s)\n", gp->cfg.hlr_address, gp->cfg.hlr_port,
		      gp->cfg.euse_name);
		gp->port.link_up = true;
		gp->backoff_ms = 0;
		gp->retry_armed = false;
		return true;
	}
	if (gp->retry_armed) {
		/* Our backoff timer expired: let the client connect now. */
		gp->retry_armed = false;
		gp->reconnects++;
		return true;
	}
	if (gp->port.link_up) {
		LOGGP(gp, LOGL_ERROR, "GSUP link to %s:%u is down, ending %u dialogs\n", gp->cfg.hlr_address,
		      gp->cfg.hlr_port, gp->port.open_sessions);
		gp->port.link_up = false;
		gsup_port_drop_dialogs(gp, "GSUP link down");
	}
	delay = backoff_next(gp);
	LOGGP(gp, LOGL_INFO, "reconnecting in %u ms\n", delay);
	gp->retry_armed = true;
	osmo_timer_schedule(&gsupc->connect_timer, delay / 1000, (delay % 1000) * 1000);
	return false;
}

static int gsup_port_status(struct ussd_port *port, char *buf, size_t len)
{
	struct gsup_port *gp = container_of(port, struct gsup_port, port);
	struct hlr_ctrl_stats cs;
	int n = snprintf(buf, len, "hlr=%s:%u euse=EUSE-%s rx=%" PRIu64 " rx_errors=%" PRIu64 " reconnects=%" PRIu64,
			 gp->cfg.hlr_address, gp->cfg.hlr_port, gp->cfg.euse_name, gp->rx_msgs, gp->rx_errors,
			 gp->reconnects);

	if (gp->ctrl && n >= 0 && (size_t)n < len) {
		hlr_ctrl_get_stats(gp->ctrl, &cs);
		n += snprintf(buf + n, len - (size_t)n, " ctrl=%s msisdn_known=%u pending=%u ctrl_errors=%" PRIu64,
			      cs.connected ? "up" : "down", cs.known, cs.pending, cs.errors);
	}
	return n;
}

static int gsup_port_destructor(struct gsup_port *gp)
{
	/* Sessions first: their release touches gp->dialogs. */
	ussd_port_unregister(&gp->port);
	if (gp->gsupc) {
		osmo_gsup_client_destroy(gp->gsupc);
		gp->gsupc = NULL;
	}
	return 0;
}

struct gsup_port *gsup_port_alloc(void *ctx, struct ussd_engine *e, const struct gsup_port_cfg *cfg)
{
	struct gsup_port *gp = talloc_zero(ctx, struct gsup_port);
	struct osmo_gsup_client_config gcfg = {0};
	char *id;

	if (!gp) {
		return NULL;
	}
	gp->cfg = *cfg;
	gp->cfg.name = talloc_strdup(gp, cfg->name);
	gp->cfg.euse_name = talloc_strdup(gp, cfg->euse_name);
	gp->cfg.hlr_address = talloc_strdup(gp, cfg->hlr_address);
	gp->cfg.ctrl_address = cfg->ctrl_address ? talloc_strdup(gp, cfg->ctrl_address) : NULL;
	hash_init(gp->dialogs);

	gp->port.name = gp->cfg.name;
	gp->port.kind = "gsup";
	gp->port.caps = cfg->caps;
	gp->port.ops = &gsup_port_ops;
	gp->port.priv = gp;
	gp->port.status = gsup_port_status;
	ussd_port_register(e, &gp->port);
	talloc_set_destructor(gp, gsup_port_destructor);

	/* OsmoHLR names an EUSE by its IPA serial number: set it, or libosmo-abis sends
	 * "<unit>-00-00-00-00-00-00" and no route matches. */
	id = talloc_asprintf(gp, "EUSE-%s", cfg->euse_name);
	gp->ipa_dev = talloc_zero(gp, struct ipaccess_unit);
	if (!id || !gp->ipa_dev) {
		talloc_free(gp);
		return NULL;
	}
	gp->ipa_dev->unit_name = id;
	gp->ipa_dev->serno = id;
	gp->ipa_dev->swversion = "yordam";

	if (cfg->msisdn_lookup) {
		gp->ctrl = hlr_ctrl_alloc(gp, cfg->ctrl_address, cfg->ctrl_port, cfg->msisdn_cache_s);
		if (!gp->ctrl) {
			talloc_free(gp);
			return NULL;
		}
	}

	gcfg.ipa_dev = gp->ipa_dev;
	gcfg.ip_addr = gp->cfg.hlr_address;
	gcfg.tcp_port = cfg->hlr_port;
	gcfg.read_cb = gsup_read_cb;
	gcfg.up_down_cb = gsup_up_down_cb;
	gcfg.data = gp;
	gp->gsupc = osmo_gsup_client_create3(gp, &gcfg);
	if (!gp->gsupc) {
		LOGGP(gp, LOGL_ERROR, "cannot create the GSUP client for %s:%u\n", cfg->hlr_address, cfg->hlr_port);
		talloc_free(gp);
		return NULL;
	}
	return gp;
}

void gsup_port_free(struct gsup_port *gp)
{
	talloc_free(gp);
}
