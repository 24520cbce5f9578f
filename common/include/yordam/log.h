/* Yordam's log categories: one table for the whole daemon (Osmocom style). */
#pragma once

#include <osmocom/core/logging.h>

enum yordam_log_cat {
	DMAIN,
	DUSSD,
	DGSUP,
	DMENU,
	DSTORE,
	DCTL,
	DSMS,
	DMODEM,
	DCASES,
	DSYNC,
	_NUM_DYORDAM,
};

extern const struct log_info yordam_log_info;
