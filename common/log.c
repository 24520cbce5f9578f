/* The one table of log categories. */
#include <osmocom/core/utils.h>
#include <yordam/log.h>

static const struct log_info_cat yordam_cats[] = {
	[DMAIN] = {.name = "DMAIN", .description = "Daemon main and wiring", .enabled = 1, .loglevel = LOGL_NOTICE},
	[DUSSD] = {.name = "DUSSD", .description = "USSD sessions", .enabled = 1, .loglevel = LOGL_NOTICE},
	[DGSUP] = {.name = "DGSUP", .description = "GSUP/EUSE port", .enabled = 1, .loglevel = LOGL_NOTICE},
	[DMENU] = {.name = "DMENU", .description = "Menu content", .enabled = 1, .loglevel = LOGL_NOTICE},
	[DSTORE] = {.name = "DSTORE", .description = "SQLite store", .enabled = 1, .loglevel = LOGL_NOTICE},
	[DCTL] = {.name = "DCTL", .description = "Control socket", .enabled = 1, .loglevel = LOGL_NOTICE},
	[DSMS] = {.name = "DSMS", .description = "SMS", .enabled = 1, .loglevel = LOGL_NOTICE},
	[DMODEM] = {.name = "DMODEM", .description = "Modems", .enabled = 1, .loglevel = LOGL_NOTICE},
	[DCASES] = {.name = "DCASES", .description = "Cases and staff", .enabled = 1, .loglevel = LOGL_NOTICE},
	[DSYNC] = {.name = "DSYNC",
		   .description = "Sync with the central platform",
		   .enabled = 1,
		   .loglevel = LOGL_NOTICE},
};

const struct log_info yordam_log_info = {
	.cat = yordam_cats,
	.num_cat = ARRAY_SIZE(yordam_cats),
};
