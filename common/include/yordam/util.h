/* Small helpers that several modules need and libosmocore does not have in this form. */
#pragma once

#include <stddef.h>

/* The value of one hex digit (either case), -1 for any other character. Branch-light enough for the
 * constant-time signature compare of the HTTP port. */
int yordam_hexval(int c);

/* Write all of buf to fd, retrying after EINTR and short writes. 0 or -errno. */
int yordam_write_all(int fd, const void *buf, size_t len);
