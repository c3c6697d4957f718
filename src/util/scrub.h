/* PII scrubber for technical logs (DESIGN §7): replaces e-mail addresses,
 * phone numbers and French NIR numbers by the markers "[email]", "[phone]"
 * and "[nir]" before a line reaches any file. Rules and limits are in
 * docs/internals/log.md; the scanner is one left-to-right pass, linear in
 * the input, with no regular expressions and no allocation.
 *
 * Thread-safe (no state). Library code may call it; it never logs. */
#ifndef CF_UTIL_SCRUB_H
#define CF_UTIL_SCRUB_H

#include <stdbool.h>
#include <stddef.h>

#define CF_SCRUB_MARK_EMAIL "[email]"
#define CF_SCRUB_MARK_PHONE "[phone]"
#define CF_SCRUB_MARK_NIR   "[nir]"

/* Flags for cf_scrub_ex. */
enum {
	/* The input was cut by its producer (e.g. vsnprintf truncation): its
	 * end may hold the beginning of an identifier that no rule can
	 * recognise any more. The trailing word and any trailing run of digits
	 * and separators are dropped before scanning. */
	CF_SCRUB_TAIL_CUT = 1u << 0,
};

/* Writes to out a copy of the first in_len bytes of in in which every
 * identifier is replaced by its marker, followed by a NUL; returns the
 * number of bytes written before the NUL.
 *
 * - out_cap == 0: nothing is written, returns 0 (out may then be NULL).
 * - At most out_cap - 1 bytes are written. A marker is written whole or
 *   not at all; when the cap cuts a run of digits and separators, that
 *   run is dropped rather than left half printed. The output never holds
 *   a prefix of an identifier: identifiers are found in the input, never
 *   in the output.
 * - Reads exactly [in, in + in_len); in need not be NUL-terminated and may
 *   be NULL when in_len == 0. Embedded NUL bytes are copied like any
 *   other byte. in and out must not overlap. */
size_t cf_scrub(char *out, size_t out_cap, const char *in, size_t in_len);

/* cf_scrub with flags (CF_SCRUB_*). When ret_truncated is not NULL it is
 * set to true if output was dropped because of out_cap or TAIL_CUT. */
size_t cf_scrub_ex(char *out, size_t out_cap, const char *in, size_t in_len,
                   unsigned flags, bool *ret_truncated);

#endif
