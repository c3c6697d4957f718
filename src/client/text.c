/* Messages and untrusted text: everything the library says is one bounded
 * line, and nothing a server sends can move the cursor, hide text (bidi
 * overrides) or break a line on the user's terminal. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "client/internal.h"

void cf_errmsg_set(cf_errmsg *msg, const char *fmt, ...)
{
	if (!msg)
		return;
	va_list ap;
	va_start(ap, fmt);
	cf_msg_vformat(msg->text, sizeof msg->text, fmt, ap);
	va_end(ap);
}

/* Decodes one UTF-8 sequence of s[0..len); returns its length, or 0 when
 * invalid (overlong, surrogate, > U+10FFFF, truncated). */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *ret_cp)
{
	uint32_t cp;
	size_t n;
	if (s[0] < 0x80) {
		*ret_cp = s[0];
		return 1;
	} else if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		cp = s[0] & 0x1fu;
		n = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		cp = s[0] & 0x0fu;
		n = 3;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		cp = s[0] & 0x07u;
		n = 4;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret_cp = cp;
	return n;
}

static bool unsafe_code_point(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
	       (cp >= 0x200e && cp <= 0x200f) ||   /* LRM, RLM */
	       (cp >= 0x2028 && cp <= 0x202e) ||   /* LS, PS, bidi embeddings */
	       (cp >= 0x2066 && cp <= 0x2069) ||   /* bidi isolates */
	       cp == 0x061c || cp == 0xfeff;       /* ALM, BOM */
}

char *cf_text_sanitize(char *out, size_t out_size, const char *in,
                       size_t in_len)
{
	static const char ellipsis[] = "...";
	if (!out || out_size == 0)
		return out;
	out[0] = '\0';
	if (!in)
		return out;

	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;
	bool blank = true;        /* drops leading blanks and collapses runs */
	bool truncated = false;
	for (size_t i = 0; i < in_len && s[i] != '\0';) {
		uint32_t cp = 0;
		size_t n = utf8_decode(s + i, in_len - i, &cp);
		const unsigned char *piece = s + i;
		size_t piece_len = n;
		if (n == 0) {
			piece = (const unsigned char *)"?";
			piece_len = 1;
			n = 1;
		} else if (unsafe_code_point(cp) || cp == ' ') {
			i += n;
			if (!blank) {
				piece = (const unsigned char *)" ";
				piece_len = 1;
				n = 0;
			} else {
				continue;
			}
		}
		if (o + piece_len + 1 > out_size) {
			truncated = true;
			break;
		}
		memcpy(out + o, piece, piece_len);
		o += piece_len;
		blank = piece_len == 1 && piece[0] == ' ';
		i += n;
	}
	if (truncated && out_size >= sizeof ellipsis) {
		/* Make room for "..." without cutting a UTF-8 sequence. */
		if (o + sizeof ellipsis > out_size) {
			o = out_size - sizeof ellipsis;
			while (o > 0 &&
			       (((unsigned char)out[o]) & 0xc0) == 0x80)
				o--;
		}
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	if (truncated && out_size >= sizeof ellipsis) {
		memcpy(out + o, ellipsis, sizeof ellipsis - 1);
		o += sizeof ellipsis - 1;
	}
	out[o] = '\0';
	return out;
}

const char *cf_errno_text(int e, char *buf, size_t size)
{
	char tmp[128];
	/* _GNU_SOURCE: the GNU strerror_r, which returns the text. */
	const char *text = strerror_r(e, tmp, sizeof tmp);
	cf_msg_format(buf, size, "%s", text ? text : "unknown error");
	if (buf[0] >= 'A' && buf[0] <= 'Z' && (buf[1] < 'A' || buf[1] > 'Z'))
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

void cf_size_format(char *buf, size_t size, size_t bytes)
{
	static const size_t mib = (size_t)1024 * 1024;
	if (bytes >= mib && bytes % mib == 0)
		cf_msg_format(buf, size, "%zu MiB", bytes / mib);
	else if (bytes >= 1024 && bytes % 1024 == 0)
		cf_msg_format(buf, size, "%zu KiB", bytes / 1024);
	else
		cf_msg_format(buf, size, "%zu bytes", bytes);
}
