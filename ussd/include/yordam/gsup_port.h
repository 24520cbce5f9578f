/* The GSUP USSD port: Yordam as an External USSD Entity (EUSE) of OsmoHLR.
 *
 * Connects to OsmoHLR's GSUP server with IPA unit name and serial number "EUSE-<euse_name>"
 * (the serial is set explicitly: OsmoHLR routes by it). Menus go out as an Invoke of
 * unstructuredSS-Request (opcode 60) in a CONTINUE, the final screen as a ReturnResult of
 * processUnstructuredSS-Request (opcode 59) with the phone's first invokeID in an END.
 * OsmoHLR reports neither its timeouts nor the phone's release to an EUSE, so dialogs rely on
 * the session's own idle timer. When the link drops every dialog on it is ended and freed, and
 * the port reconnects with exponential backoff and jitter. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <yordam/ussd.h>

struct gsup_port_cfg {
	const char *name;	 /* port name, e.g. "hlr" */
	const char *euse_name;	 /* OsmoHLR's "euse NAME" */
	const char *hlr_address; /* GSUP server */
	uint16_t hlr_port;
	struct menu_caps caps;	   /* stock OsmoHLR forwards at most 128 septets / 56 UCS-2 characters */
	unsigned reconnect_min_ms; /* first retry after the link drops */
	unsigned reconnect_max_ms; /* backoff cap */
	/* MSISDN look-up over OsmoHLR's CTRL interface (OsmoMSC only sends the IMSI). */
	bool msisdn_lookup;
	const char *ctrl_address;
	uint16_t ctrl_port;
	unsigned msisdn_cache_s;
};

struct gsup_port;

struct gsup_port *gsup_port_alloc(void *ctx, struct ussd_engine *e, const struct gsup_port_cfg *cfg);
void gsup_port_free(struct gsup_port *gp);
