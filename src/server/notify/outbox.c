/* The outbox backend: one file per message in a folder, for a machine with
 * no mail server or SMS gateway (environment = test; see outbox.h). */
#include "server/notify/outbox.h"
#include "server/notify/channel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <sodium.h>

#include "util/fsutil.h"

#define OUTBOX_DIR_MAX 1024

struct outbox {
	char dir[OUTBOX_DIR_MAX];
	const char *ext;      /* "eml" or "txt" */
	unsigned long seq;    /* sending thread only */
};

/* DIR/20261206T041502.123456Z-000001-9f3a61c2.EXT: the time first, so names
 * sort by time; the sequence orders messages of one microsecond; the random
 * part keeps a restarted server from reusing a name. */
static cf_err file_name(struct outbox *o, char *out, size_t cap)
{
	struct timeval tv;
	struct tm tm;
	gettimeofday(&tv, NULL);
	time_t secs = tv.tv_sec;
	if (!gmtime_r(&secs, &tm))
		return CF_ERR_INVALID;
	uint8_t rnd[4];
	randombytes_buf(rnd, sizeof(rnd));
	char hex[9];
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	o->seq = (o->seq + 1) % 1000000;
	int n = snprintf(out, cap, "%s/%04d%02d%02dT%02d%02d%02d.%06ldZ-%06lu-%s.%s", o->dir,
	                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	                 tm.tm_sec, (long)tv.tv_usec, o->seq, hex, o->ext);
	return n < 0 || (size_t)n >= cap ? CF_ERR_TOO_LARGE : CF_OK;
}

static cf_err outbox_deliver(struct cf_channel *ch, const struct cf_notify_item *it,
                             char *why, size_t cap, bool *ret_permanent)
{
	struct outbox *o = ch->ctx;
	char path[OUTBOX_DIR_MAX + 64];
	cf_err err = file_name(o, path, sizeof(path));
	if (err) {
		snprintf(why, cap, "cannot name the outbox file");
		*ret_permanent = true;
		return err;
	}
	/* Temporary file (a name that no *.eml / *.txt glob matches), fsync,
	 * rename, fsync of the folder; mode 0600. */
	err = cf_write_file_atomic(path, it->body, strlen(it->body), 0600);
	if (err) {
		snprintf(why, cap, "cannot write to the outbox folder");
		return err;
	}
	return CF_OK;
}

static void outbox_free(void *ctx)
{
	free(ctx);
}

static const struct cf_channel_ops outbox_mail_ops = {
	.what = "e-mail (outbox)", .component = "mail", .deliver = outbox_deliver,
	.ctx_free = outbox_free, .uses_curl = false,
};

static const struct cf_channel_ops outbox_sms_ops = {
	.what = "SMS (outbox)", .component = "sms", .deliver = outbox_deliver,
	.ctx_free = outbox_free, .uses_curl = false,
};

cf_err cf_outbox_open(struct cf_channel **ret, const char *dir, enum cf_outbox_kind kind,
                      const struct cf_notify_tuning *tuning, char *msg, size_t cap)
{
	if (strlen(dir) >= OUTBOX_DIR_MAX) {
		if (msg && cap)
			snprintf(msg, cap, "the outbox folder name is too long");
		return CF_ERR_TOO_LARGE;
	}
	if (cf_mkdir_p(dir, 0700) || chmod(dir, 0700) != 0) {
		if (msg && cap)
			snprintf(msg, cap, "cannot create the outbox folder %s (mode 0700)", dir);
		return CF_ERR_IO;
	}
	struct outbox *o = calloc(1, sizeof(*o));
	if (!o) {
		if (msg && cap)
			snprintf(msg, cap, "out of memory");
		return CF_ERR_NOMEM;
	}
	snprintf(o->dir, sizeof(o->dir), "%s", dir);
	o->ext = kind == CF_OUTBOX_MAIL ? "eml" : "txt";
	return cf_channel_new(ret, kind == CF_OUTBOX_MAIL ? &outbox_mail_ops : &outbox_sms_ops,
	                      o, tuning, msg, cap);
}
