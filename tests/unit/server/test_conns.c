/* The connection guard: eviction order near the cap, refusal at the cap,
 * handshake and head deadlines. Connections are socket pairs: a cut shows as
 * end-of-file on the peer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "server/conns.h"

struct pair {
	int ours, peer;
	struct cf_conn *c;
};

static void open_pair(struct cf_conns *g, struct pair *p)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	p->ours = sv[0];
	p->peer = sv[1];
	p->c = cf_conns_opened(g, p->ours);
	assert_non_null(p->c);
}

/* True when the guard shut our end (the peer reads end-of-file). */
static bool is_cut(const struct pair *p)
{
	char b;
	return recv(p->peer, &b, 1, 0) == 0;
}

static void close_pair(struct pair *p)
{
	cf_conns_closed(p->c);
	close(p->ours);
	close(p->peer);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void oldest_unfinished_makes_room(void **state)
{
	(void)state;
	const struct cf_conns_limits lim = { .max = 4, .handshake_ms = 60000, .head_ms = 60000,
	                                     .idle_ms = 60000 };
	struct cf_conns *g = NULL;
	assert_int_equal(cf_conns_new(&lim, &g), CF_OK);
	struct pair p[6];
	for (int i = 0; i < 4; i++)
		open_pair(g, &p[i]);
	cf_conns_handshake_done(p[0].c);
	cf_conns_head_done(p[0].c);        /* being served: never evicted */
	cf_conns_handshake_done(p[2].c);   /* waiting for its head: evictable */
	open_pair(g, &p[4]);
	assert_false(is_cut(&p[0]));
	assert_true(is_cut(&p[1]));        /* the oldest unfinished one */
	assert_false(is_cut(&p[2]));
	open_pair(g, &p[5]);
	assert_true(is_cut(&p[2]));
	assert_false(is_cut(&p[3]));
	assert_false(is_cut(&p[4]));
	assert_false(is_cut(&p[5]));
	struct cf_conns_stats st;
	cf_conns_stats(g, &st);
	assert_int_equal(st.evicted, 2);
	assert_int_equal(st.open, 4);
	assert_int_equal(st.refused_full, 0);
	for (int i = 0; i < 6; i++)
		close_pair(&p[i]);
	cf_conns_stats(g, &st);
	assert_int_equal(st.open, 0);
	cf_conns_free(g);
}

static void at_the_cap_with_nothing_to_evict_the_new_one_is_refused(void **state)
{
	(void)state;
	const struct cf_conns_limits lim = { .max = 2, .handshake_ms = 60000, .head_ms = 60000,
	                                     .idle_ms = 60000 };
	struct cf_conns *g = NULL;
	assert_int_equal(cf_conns_new(&lim, &g), CF_OK);
	struct pair p[3];
	for (int i = 0; i < 2; i++) {
		open_pair(g, &p[i]);
		cf_conns_head_done(p[i].c);
	}
	/* just answered (keep-alive): not idle long enough to be evicted */
	cf_conns_request_done(p[1].c);
	open_pair(g, &p[2]);
	assert_false(is_cut(&p[0]));
	assert_false(is_cut(&p[1]));
	assert_true(is_cut(&p[2]));
	struct cf_conns_stats st;
	cf_conns_stats(g, &st);
	assert_int_equal(st.refused_full, 1);
	assert_int_equal(st.evicted, 0);
	for (int i = 0; i < 3; i++)
		close_pair(&p[i]);
	cf_conns_free(g);
}

static void deadlines_are_absolute(void **state)
{
	(void)state;
	const struct cf_conns_limits lim = { .max = 100, .handshake_ms = 100, .head_ms = 900,
	                                     .idle_ms = 60000 };
	struct cf_conns *g = NULL;
	assert_int_equal(cf_conns_new(&lim, &g), CF_OK);
	struct pair hs, head, busy;
	open_pair(g, &hs);
	open_pair(g, &head);
	open_pair(g, &busy);
	cf_conns_handshake_done(head.c);
	cf_conns_handshake_done(busy.c);
	cf_conns_head_done(busy.c);
	sleep_ms(400);
	assert_true(is_cut(&hs));
	assert_false(is_cut(&head));
	/* bytes arriving do not matter: the guard never hears of them */
	sleep_ms(900);
	assert_true(is_cut(&head));
	assert_false(is_cut(&busy));
	struct cf_conns_stats st;
	cf_conns_stats(g, &st);
	assert_int_equal(st.handshake_timeouts, 1);
	assert_int_equal(st.head_timeouts, 1);
	assert_int_equal(st.open, 1);
	close_pair(&hs);
	close_pair(&head);
	close_pair(&busy);
	cf_conns_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(oldest_unfinished_makes_room),
		cmocka_unit_test(at_the_cap_with_nothing_to_evict_the_new_one_is_refused),
		cmocka_unit_test(deadlines_are_absolute),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
