/* GET /metrics: Prometheus text of what the connection limits did (conns.h)
 * and the request count. Kept apart from ops.c so each stays small. */
#include <stdio.h>

#include "server/conns.h"
#include "server/handlers.h"

void cf_h_metrics(struct cf_request *req)
{
	struct cf_conns_stats st = { 0 };
	if (req->srv->conns)
		cf_conns_stats(req->srv->conns, &st);
	char text[2048];
	int n = snprintf(text, sizeof(text),
		"# TYPE coffre_requests_total counter\n"
		"coffre_requests_total %llu\n"
		"# TYPE coffre_connections_open gauge\n"
		"coffre_connections_open %llu\n"
		"# TYPE coffre_connections_cut_total counter\n"
		"coffre_connections_cut_total{reason=\"handshake_timeout\"} %llu\n"
		"coffre_connections_cut_total{reason=\"head_timeout\"} %llu\n"
		"coffre_connections_cut_total{reason=\"evicted\"} %llu\n"
		"coffre_connections_cut_total{reason=\"full\"} %llu\n"
		"coffre_connections_cut_total{reason=\"mhd_full\"} %llu\n"
		"# TYPE coffre_requests_refused_by_mhd_total counter\n"
		"coffre_requests_refused_by_mhd_total %llu\n",
		(unsigned long long)atomic_load(&req->srv->requests),
		(unsigned long long)st.open, (unsigned long long)st.handshake_timeouts,
		(unsigned long long)st.head_timeouts, (unsigned long long)st.evicted,
		(unsigned long long)st.refused_full, (unsigned long long)st.mhd_full,
		(unsigned long long)st.mhd_refused);
	cf_reply_text(&req->reply, 200, "text/plain; version=0.0.4", text,
	              n > 0 && (size_t)n < sizeof(text) ? (size_t)n : 0);
}
