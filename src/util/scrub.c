/* PII scrubber: one left-to-right pass over the input. At each position the
 * matchers are tried in a fixed order (e-mail, hex id or UUID, international
 * phone, French national phone, NIR); the first that matches replaces its
 * span by a marker, otherwise one byte is copied. Every matcher either
 * consumes what it scanned (on success) or looks ahead a bounded distance,
 * and the two unbounded scans (e-mail local part, hex token) are done once
 * per run, so the whole pass is linear. See docs/internals/log.md. */
#include "util/scrub.h"

#include <string.h>

/* ASCII classes; <ctype.h> depends on the locale and on signedness. */
static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
static bool is_alnum(unsigned char c) { return is_digit(c) || is_alpha(c); }
static bool is_hex(unsigned char c)
{
	return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* Characters of an e-mail local part, as written in logs: the RFC 5322
 * specials (= ? / ! ...) are left out on purpose because they separate keys
 * from values ("email=a@b.fr" keeps "email="). Bytes >= 0x80 are kept in so
 * that internationalised addresses are caught whole. */
static bool is_local_char(unsigned char c)
{
	return is_alnum(c) || c == '.' || c == '_' || c == '+' || c == '-' || c >= 0x80;
}

static bool is_domain_char(unsigned char c)
{
	return is_alnum(c) || c == '.' || c == '-' || c == '_' || c >= 0x80;
}

struct scan {
	const unsigned char *in;
	size_t len;
	size_t floor; /* end of the last match: bytes before it are a boundary */
};

static unsigned char at(const struct scan *s, size_t p)
{
	return p < s->len ? s->in[p] : 0;
}

/* 3 if a percent-escape "%XY" starts at p, else 0. */
static size_t pct_len(const struct scan *s, size_t p)
{
	return (at(s, p) == '%' && p + 2 < s->len && is_hex(s->in[p + 1]) &&
	        is_hex(s->in[p + 2])) ? 3 : 0;
}

/* Length of an at-sign at p: "@" or its URL encoding "%40". */
static size_t at_sign_len(const struct scan *s, size_t p)
{
	if (at(s, p) == '@')
		return 1;
	if (pct_len(s, p) && s->in[p + 1] == '4' && s->in[p + 2] == '0')
		return 3;
	return 0;
}

/* Length of a separator inside a phone number or NIR at p: space, tab,
 * '.', '-', '/', '+' (a space in a query string), "%20", and the UTF-8
 * no-break spaces U+00A0 and U+202F that French typography puts there. */
static size_t sep_len(const struct scan *s, size_t p)
{
	unsigned char c = at(s, p);
	if (c == ' ' || c == '\t' || c == '.' || c == '-' || c == '+' || c == '/')
		return 1;
	if (c == '%' && at(s, p + 1) == '2' && at(s, p + 2) == '0')
		return 3;
	if (c == 0xC2 && at(s, p + 1) == 0xA0)
		return 2;
	if (c == 0xE2 && at(s, p + 1) == 0x80 && at(s, p + 2) == 0xAF)
		return 3;
	return 0;
}

/* A number may start at p: the byte before it (if not consumed by a
 * match) is not a digit, and not the '.' of a decimal ("0.0612345678 s"
 * is a duration, "3.1415926535897" is not a NIR). */
static bool number_starts(const struct scan *s, size_t p)
{
	if (p <= s->floor)
		return true;
	if (is_digit(s->in[p - 1]))
		return false;
	if (s->in[p - 1] == '.' && p - 1 > s->floor && is_digit(s->in[p - 2]))
		return false;
	return true;
}

/* End of the run of local-part characters that starts at p; percent
 * escapes other than "%40" belong to the run ("john%2Bdoe"). */
static size_t local_run_end(const struct scan *s, size_t p)
{
	while (p < s->len) {
		if (s->in[p] == '%') {
			if (pct_len(s, p) && !at_sign_len(s, p)) {
				p += 3;
				continue;
			}
			break;
		}
		if (!is_local_char(s->in[p]))
			break;
		p++;
	}
	return p;
}

/* E-mail: a non-empty run of local-part characters, an at-sign, and the
 * domain (possibly empty: "john@" alone is still scrubbed). The run is
 * maximal to the right, so when it is not followed by an at-sign no e-mail
 * starts anywhere inside it: *ret_run_end lets the caller skip the check
 * until then, which keeps the pass linear. */
static bool match_email(const struct scan *s, size_t p, size_t *ret_end, size_t *ret_run_end)
{
	size_t r = local_run_end(s, p);
	*ret_run_end = r;
	size_t a = r > p ? at_sign_len(s, r) : 0;
	if (a == 0)
		return false;
	size_t d = r + a, e = d;
	while (e < s->len && is_domain_char(s->in[e]))
		e++;
	while (e > d && (s->in[e - 1] == '.' || s->in[e - 1] == '-'))
		e--;
	*ret_end = e;
	return true;
}

/* Hex identifier: a whole alphanumeric token of at least 16 hex digits with
 * at least one letter (request ids, hashes). Kept verbatim, even when it
 * happens to contain ten digits in a row. Called only at a token start. */
static bool match_hex_id(const struct scan *s, size_t p, size_t *ret_end)
{
	size_t q = p;
	bool letter = false, hex = true;
	while (q < s->len && is_alnum(s->in[q])) {
		hex = hex && is_hex(s->in[q]);
		letter = letter || is_alpha(s->in[q]);
		q++;
	}
	if (!hex || !letter || q - p < 16)
		return false;
	*ret_end = q;
	return true;
}

/* UUID: 8-4-4-4-12 hex digits, a whole token. Kept verbatim. */
static bool match_uuid(const struct scan *s, size_t p, size_t *ret_end)
{
	size_t q = p;
	for (int i = 0; i < 36; i++, q++) {
		unsigned char c = at(s, q);
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? c != '-' : !is_hex(c))
			return false;
	}
	if (is_alnum(at(s, q)))
		return false;
	*ret_end = q;
	return true;
}

/* A blank separator: space, tab, or a UTF-8 no-break space. */
static bool is_blank_sep(const struct scan *s, size_t p)
{
	unsigned char c = at(s, p);
	return c == ' ' || c == '\t' || c == 0xC2 || c == 0xE2;
}

/* Digits of an international number after its prefix ("+", "%2B", "00"):
 * groups of digits joined by one separator, optionally in parentheses
 * ("+33 (0)6 12", "+1 (555) 123-4567"). Groups are always taken whole.
 * Because a log line goes on with numbers of its own ("+33612345678 200
 * 3ms"), no joiner is crossed once 15 digits (the E.164 maximum) are read,
 * nor after a group of 6 or more digits that completes 8 (the rest of the
 * number was written compactly), nor a blank once the number has used
 * another separator ("%2B33%206%2012 200"), nor to reach a group followed
 * by a letter ("3ms"). Returns the number of digits
 * and sets *ret_end after the last one. */
static size_t intl_digits(const struct scan *s, size_t p, size_t *ret_end)
{
	size_t digits = 0, group = 0, end = p;
	bool open = false, punct = false;
	for (;;) {
		size_t q = p;
		bool now_open = open, now_punct = punct;
		if (digits > 0) {
			if (digits >= 15 || (group >= 6 && digits >= 8))
				break;
			if (now_open && at(s, q) == ')') {
				q++;
				now_open = false;
			}
			size_t n = sep_len(s, q);
			if (n > 0 && is_blank_sep(s, q) && now_punct)
				break;
			if (n > 0 && !is_blank_sep(s, q))
				now_punct = true;
			q += n;
		}
		if (!now_open && at(s, q) == '(') {
			q++;
			now_open = true;
		}
		if (!is_digit(at(s, q)))
			break;
		size_t g = 0;
		while (q < s->len && is_digit(s->in[q])) {
			q++;
			g++;
		}
		if (digits > 0 && is_alpha(at(s, q)))
			break; /* "... 78 3ms": a quantity, not a group */
		group = g;
		digits += g;
		open = now_open;
		punct = now_punct;
		end = p = q;
	}
	*ret_end = end;
	return digits;
}

/* International phone: "+", "%2B" or "00" then at least 8 digits. */
static bool match_intl_phone(const struct scan *s, size_t p, size_t *ret_end)
{
	size_t q;
	unsigned char c = s->in[p];
	if (c == '+') {
		q = p + 1;
	} else if (c == '%' && at(s, p + 1) == '2' && (at(s, p + 2) | 0x20) == 'b') {
		q = p + 3;
	} else if (c == '0' && at(s, p + 1) == '0' && number_starts(s, p)) {
		q = p + 2;
		q += sep_len(s, q);
		if (at(s, q) < '1' || at(s, q) > '9')
			return false;
	} else {
		return false;
	}
	return intl_digits(s, q, ret_end) >= 8;
}

/* French national phone: '0', a digit 1-9, eight more digits, a separator
 * allowed before each of those eight; not followed by another digit. */
static bool match_fr_phone(const struct scan *s, size_t p, size_t *ret_end)
{
	if (s->in[p] != '0' || at(s, p + 1) < '1' || at(s, p + 1) > '9' || !number_starts(s, p))
		return false;
	size_t q = p + 2;
	for (int n = 2; n < 10; n++) {
		q += sep_len(s, q);
		if (!is_digit(at(s, q)))
			return false;
		q++;
	}
	if (is_digit(at(s, q)))
		return false;
	*ret_end = q;
	return true;
}

/* NIR (French social security number): sex (1 2 3 4 7 8), year, month,
 * department (2 digits, or 2A/2B for Corsica), commune (3), order (3) and
 * an optional 2-digit key. A separator is allowed only between those groups,
 * which keeps IPv4 addresses and dates out, and the body has either none or
 * at least two. Not followed by a digit (a 14-digit run counts as a NIR
 * with a one-digit key). */
static bool match_nir(const struct scan *s, size_t p, size_t *ret_end)
{
	static const char sexes[] = "123478";
	unsigned char c = s->in[p];
	if (!is_digit(c) || !memchr(sexes, c, sizeof(sexes) - 1) || !number_starts(s, p))
		return false;
	size_t q = p + 1;
	int seps = 0;
	for (int slot = 1; slot < 13; slot++) {
		if (slot == 1 || slot == 3 || slot == 5 || slot == 7 || slot == 10) {
			size_t n = sep_len(s, q);
			q += n;
			seps += n > 0;
		}
		unsigned char d = at(s, q);
		bool ok = is_digit(d);
		if (slot == 6 && s->in[q - 1] == '2' && ((d | 0x20) == 'a' || (d | 0x20) == 'b'))
			ok = true;
		if (!ok)
			return false;
		q++;
	}
	if (seps == 1)
		return false; /* "3.1415926535897", "a456-426614174000": one joiner
		               * is a decimal point or a UUID dash, not a layout */
	size_t k = q + sep_len(s, q);
	if (is_digit(at(s, k)) && is_digit(at(s, k + 1)) && !is_digit(at(s, k + 2))) {
		q = k + 2;              /* with its key */
	} else if (is_digit(at(s, q))) {
		if (is_digit(at(s, q + 1)))
			return false;   /* a longer number */
		q++;                    /* one-digit key */
	}
	*ret_end = q;
	return true;
}

/* Bytes that can continue a phone number or NIR: digits, separators
 * (including the bytes of the UTF-8 no-break spaces and of "%20") and
 * parentheses. */
static bool is_number_char(unsigned char c)
{
	return is_digit(c) || c == ' ' || c == '\t' || c == '.' || c == '-' || c == '+' || c == '/' ||
	       c == '(' || c == ')' || c == '%' || c == 0xC2 || c == 0xA0 || c == 0xE2 ||
	       c == 0x80 || c == 0xAF;
}

/* Start of the trailing run of number characters in buf[0, n) (with the
 * Corsican "2A"/"2B"), if that run holds a digit; n otherwise. */
static size_t trailing_number_start(const unsigned char *buf, size_t n)
{
	size_t j = n;
	bool digit = false;
	while (j > 0) {
		unsigned char c = buf[j - 1];
		bool corsica = ((c | 0x20) == 'a' || (c | 0x20) == 'b') && j >= 2 && buf[j - 2] == '2';
		if (!is_number_char(c) && !corsica)
			break;
		digit = digit || is_digit(c);
		j--;
	}
	return digit ? j : n;
}

/* With CF_SCRUB_TAIL_CUT the input may end inside an identifier that the
 * matchers can no longer recognise ("06 12 34 5", "jean.dup"): drop the
 * trailing word (at most TAIL_WORD_MAX bytes: an RFC 5321 local part is at
 * most 64, and once an at-sign is left in the rest the e-mail matcher takes
 * it), then any trailing run of digits and separators. */
#define TAIL_WORD_MAX 256

static size_t cut_tail(const unsigned char *in, size_t len)
{
	size_t j = len;
	while (j > 0 && len - j < TAIL_WORD_MAX &&
	       (is_local_char(in[j - 1]) || in[j - 1] == '@' || in[j - 1] == '%'))
		j--;
	return trailing_number_start(in, j);
}

/* Length of buf[0, n) without a trailing incomplete UTF-8 sequence. */
static size_t utf8_complete(const char *buf, size_t n)
{
	size_t j = n, back = 0;
	while (j > 0 && back < 4 && ((unsigned char)buf[j - 1] & 0xC0) == 0x80) {
		j--;
		back++;
	}
	if (j == 0 || (unsigned char)buf[j - 1] < 0xC0)
		return n; /* ASCII or stray continuation bytes: nothing to complete */
	unsigned char lead = (unsigned char)buf[j - 1];
	size_t need = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : 1;
	return back >= need ? n : j - 1;
}

struct sink {
	char *buf;
	size_t room; /* bytes available before the NUL */
	size_t len;
	bool full;
};

static bool put_byte(struct sink *o, unsigned char c)
{
	if (o->len < o->room) {
		o->buf[o->len++] = (char)c;
		return true;
	}
	o->full = true;
	return false;
}

static bool put_marker(struct sink *o, const char *m)
{
	size_t n = strlen(m);
	if (n > o->room - o->len) {
		o->full = true;
		return false;
	}
	memcpy(o->buf + o->len, m, n);
	o->len += n;
	return true;
}

size_t cf_scrub_ex(char *out, size_t out_cap, const char *in, size_t in_len,
                   unsigned flags, bool *ret_truncated)
{
	bool truncated = false;
	if (out_cap == 0 || out == NULL) {
		if (ret_truncated)
			*ret_truncated = in_len > 0;
		return 0;
	}
	if (in == NULL)
		in_len = 0;

	struct scan s = { .in = (const unsigned char *)in, .len = in_len, .floor = 0 };
	if (flags & CF_SCRUB_TAIL_CUT) {
		s.len = cut_tail(s.in, in_len);
		truncated = s.len < in_len;
	}

	struct sink o = { .buf = out, .room = out_cap - 1, .len = 0, .full = false };
	size_t i = 0, no_email_until = 0;
	while (i < s.len && !o.full) {
		size_t end = 0, run_end = 0;
		const char *mark = NULL;
		unsigned char c = s.in[i];

		if (i >= no_email_until) {
			if (match_email(&s, i, &end, &run_end))
				mark = CF_SCRUB_MARK_EMAIL;
			else
				no_email_until = run_end > i ? run_end : i + 1;
		}
		if (!mark && is_hex(c) && (i == 0 || !is_alnum(s.in[i - 1])) &&
		    (match_hex_id(&s, i, &end) || match_uuid(&s, i, &end))) {
			while (i < end && put_byte(&o, s.in[i]))
				i++;
			continue;
		}
		if (!mark && (c == '+' || c == '%' || c == '0') && match_intl_phone(&s, i, &end))
			mark = CF_SCRUB_MARK_PHONE;
		if (!mark && c == '0' && match_fr_phone(&s, i, &end))
			mark = CF_SCRUB_MARK_PHONE;
		if (!mark && match_nir(&s, i, &end))
			mark = CF_SCRUB_MARK_NIR;

		if (mark) {
			if (put_marker(&o, mark))
				i = s.floor = end;
		} else if (put_byte(&o, c)) {
			i++;
		}
	}

	if (o.full) {
		/* The cap cut the text at s.in[i]. Never leave half a number
		 * ("0612345678" from an 11-digit run) or half a UTF-8 character
		 * behind. A marker ends in ']', which stops both walks back. */
		truncated = true;
		if (o.len > 0 && i < s.len && is_number_char((unsigned char)o.buf[o.len - 1]) &&
		    is_number_char(s.in[i]))
			o.len = trailing_number_start((const unsigned char *)o.buf, o.len);
		o.len = utf8_complete(o.buf, o.len);
	}
	out[o.len] = '\0';
	if (ret_truncated)
		*ret_truncated = truncated;
	return o.len;
}

size_t cf_scrub(char *out, size_t out_cap, const char *in, size_t in_len)
{
	return cf_scrub_ex(out, out_cap, in, in_len, 0, NULL);
}
