/* Internals shared by the files of the cases library (not installed). */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Bytes of white space (ASCII space, tab, CR, LF, U+00A0, U+202F, U+3000) at the start of s. */
size_t cases_skip_space(const char *s, size_t len);
