#!/usr/bin/env bash
# coffre benchmark: coffred against nginx over TLS on 127.0.0.1, with wrk.
# Usage: bench/run.sh   (or `make bench`); knobs are environment variables, see
# bench/README.md. Progress goes to stderr, the report to stdout.
#
# Steps: install packages (scripts/install-deps.sh bench), build the release
# flavour, start coffred (temporary data dir, bench config, port picked by
# coffred) and a private nginx (temporary prefix, same certificate and key as
# coffred, 1 KiB static file), warm every target up, then run N rounds of wrk
# over the targets in turn and print medians, raw rounds and the goals.
# Everything started here is stopped by the EXIT trap, which then checks with
# pgrep that nothing is left.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

# BENCH_QUICK=1: a short end-to-end check that everything runs (1 round of
# 2 s, 1 s warm-up, 20,000 audit events, 32 identity users), not figures to
# quote. Explicit BENCH_* settings still win; exported for identity_bench.py.
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	export BENCH_ROUNDS=${BENCH_ROUNDS:-1} BENCH_SECONDS=${BENCH_SECONDS:-2}
	export BENCH_WARMUP=${BENCH_WARMUP:-1} BENCH_AUDIT_EVENTS=${BENCH_AUDIT_EVENTS:-20000}
	export BENCH_IDENTITY_USERS=${BENCH_IDENTITY_USERS:-32}
fi
ROUNDS=${BENCH_ROUNDS:-3}
DURATION=${BENCH_SECONDS:-10}
WARMUP=${BENCH_WARMUP:-2}
THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
ONLY=${BENCH_ONLY:-}
KEEP=${BENCH_KEEP:-0}
STRICT=${BENCH_STRICT:-0}
EXTRA_CONFIG=${BENCH_COFFRED_CONFIG:-}

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

for v in ROUNDS:BENCH_ROUNDS DURATION:BENCH_SECONDS THREADS:BENCH_THREADS \
	CONNECTIONS:BENCH_CONNECTIONS; do
	val=${v%%:*}
	[[ ${!val} =~ ^[1-9][0-9]{0,5}$ ]] || die "${v#*:} must be a positive integer (got '${!val}')"
done
[[ $WARMUP =~ ^[0-9]{1,4}$ ]] || die "BENCH_WARMUP must be a whole number of seconds"
[ -z "$EXTRA_CONFIG" ] || [ -r "$EXTRA_CONFIG" ] || die "cannot read BENCH_COFFRED_CONFIG=$EXTRA_CONFIG"

# ---------------------------------------------------------------------------
# Processes we own, and the trap that stops them.

TMP=""
COFFRED_PID=""
NGINX_PID=""
NGINX_WORKERS=()
WRK_PID=""

# True while the process exists and is not a zombie.
alive() {
	local line
	[ -n "$1" ] && read -r line 2>/dev/null </proc/"$1"/stat || return 1
	line=${line##*) }
	[ "${line:0:1}" != Z ]
}

# stop_pid PID NAME: SIGTERM, up to 5 s to go, then SIGKILL; reaps our children.
stop_pid() {
	local pid=$1 name=$2 i
	[ -n "$pid" ] || return 0
	if alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			alive "$pid" || break
			sleep 0.1
		done
		if alive "$pid"; then
			log "$name (pid $pid) ignored SIGTERM for 5 s; sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	wait "$pid" 2>/dev/null || true
}

# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	local rc=$? pid left=() f
	set +e
	trap - EXIT INT TERM
	stop_pid "$WRK_PID" wrk
	stop_pid "$NGINX_PID" nginx
	# The nginx master waits for its workers; these are only left if it was killed.
	for pid in "${NGINX_WORKERS[@]}"; do
		if alive "$pid" && tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null | grep -q '^nginx'; then
			kill -KILL "$pid" 2>/dev/null
		fi
	done
	stop_pid "$COFFRED_PID" coffred

	# Nothing of ours may remain: no child of this shell, nothing whose command
	# line names our temporary folder, none of the pids we recorded.
	if [ -n "$TMP" ]; then
		f=$(mktemp)
		pgrep -P $$ >"$f" || true
		pgrep -f -- "$TMP/" >>"$f" || true
		for pid in $COFFRED_PID $NGINX_PID "${NGINX_WORKERS[@]}" $WRK_PID; do
			alive "$pid" && echo "$pid" >>"$f"
		done
		mapfile -t left < <(sort -un "$f")
		rm -f "$f"
		if [ ${#left[@]} -gt 0 ]; then
			log "error: processes left behind:"
			ps -o pid,ppid,args -p "$(IFS=,; echo "${left[*]}")" >&2 || true
			rc=1
		else
			log "stopped coffred and nginx; pgrep finds no process left behind"
		fi
		if [ "$KEEP" = 1 ]; then
			log "kept $TMP (BENCH_KEEP=1)"
		else
			rm -rf "$TMP"
		fi
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------
# Targets and goals. A target is a name, a URL and extra wrk arguments (for
# example `-s bench/some_post.lua`); goals compare the median req/s of two.

TARGETS=()
declare -A T_URL=() T_ARGS=() R_RPS=() R_P50=() R_P99=() R_ERR=() R_NON2XX=() R_CONN=() R_REQS=() R_CPU=() SERVER_PIDS=()
GOALS=()

# bench_target NAME URL [wrk args...]
bench_target() {
	local name=$1 url=$2
	shift 2
	[[ $name =~ ^[a-z0-9][a-z0-9_-]*$ ]] || die "bad target name '$name'"
	[ -z "${T_URL[$name]+x}" ] || die "target '$name' defined twice"
	TARGETS+=("$name")
	T_URL[$name]=$url
	T_ARGS[$name]=""
	if [ $# -gt 0 ]; then T_ARGS[$name]=$(printf '%q ' "$@"); fi
}

# bench_goal NAME BASELINE PERCENT: NAME's median req/s >= PERCENT% of BASELINE's.
bench_goal() {
	GOALS+=("$1 $2 $3")
}

define_targets() {
	bench_target coffred "https://127.0.0.1:$COFFRED_PORT/healthz"
	bench_target nginx "https://127.0.0.1:$NGINX_PORT/1k.bin"
	bench_goal coffred nginx 70
	# GET /v1/server is audited: its answer leaves once its event is durable
	# (group commit, WAL, synchronous=FULL). Issue goal: >= 15,000 req/s.
	bench_target coffred-audited "https://127.0.0.1:$COFFRED_PORT/v1/server"
}

# ---------------------------------------------------------------------------
# wrk

# TCP connections opened so far in this network namespace (/proc/net/snmp).
tcp_active_opens() {
	awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "ActiveOpens") k = i; h = 1 }
		else print $k }' /proc/net/snmp 2>/dev/null || echo 0
}

# CPU ticks (user + system) used so far by the given processes.
pids_ticks() {
	local pid line fs total=0
	for pid in "$@"; do
		read -r line 2>/dev/null </proc/"$pid"/stat || continue
		read -r -a fs <<<"${line##*) }"
		total=$((total + fs[11] + fs[12]))
	done
	echo "$total"
}

# run_wrk NAME SECONDS OUTFILE: one wrk run against a target; in the
# background so that a signal reaches the trap at once. Sets WRK_CONNECTS to
# the TCP connections opened meanwhile: wrk does not count a server's
# "Connection: close" as an error, it just reconnects, so this number is what
# shows whether keep-alive held (about -c connections, not one per request).
# Sets SERVER_TICKS to the CPU ticks the server behind the URL's port used
# (0 when the port is not one of ours): CPU per request holds better than
# req/s when something else shares the machine.
run_wrk() {
	local name=$1 secs=$2 out=$3 args=() opens port pids ticks
	eval "args=(${T_ARGS[$name]})"
	port=$(target_hostport "${T_URL[$name]}")
	port=${port##*:}
	pids=${SERVER_PIDS[$port]:-}
	opens=$(tcp_active_opens)
	# shellcheck disable=SC2086 # pids is a list
	ticks=$(pids_ticks $pids)
	wrk -t"$THREADS" -c"$CONNECTIONS" -d"${secs}s" --latency "${args[@]}" "${T_URL[$name]}" \
		>"$out" 2>&1 &
	WRK_PID=$!
	local rc=0
	wait "$WRK_PID" || rc=$?
	WRK_PID=""
	WRK_CONNECTS=$(($(tcp_active_opens) - opens))
	# shellcheck disable=SC2086
	SERVER_TICKS=$(($(pids_ticks $pids) - ticks))
	[ $rc -eq 0 ] || { cat "$out" >&2; die "wrk failed on $name (exit $rc)"; }
}

# parse_wrk FILE -> "req/s p50_ms p99_ms requests connect/read/write/timeout non2xx"
parse_wrk() {
	awk '
	function ms(v,  n) {
		n = v + 0
		if (v ~ /us$/) return n / 1000
		if (v ~ /ms$/) return n
		if (v ~ /m$/)  return n * 60000
		if (v ~ /h$/)  return n * 3600000
		if (v ~ /s$/)  return n * 1000
		return n
	}
	/^ *50% /            { p50 = ms($2) }
	/^ *99% /            { p99 = ms($2) }
	/ requests in /      { reqs = $1 }
	/Socket errors:/     { gsub(",", ""); c = $4; r = $6; w = $8; t = $10 }
	/Non-2xx or 3xx/     { non = $NF }
	/^Requests\/sec:/    { rps = $2 }
	END {
		if (rps == "" || p50 == "" || p99 == "") exit 1
		printf "%.1f %.3f %.3f %d %d/%d/%d/%d %d\n", rps, p50, p99, reqs, c, r, w, t, non
	}' c=0 r=0 w=0 t=0 non=0 "$1"
}

median() {
	printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 }
		END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# ---------------------------------------------------------------------------
# Servers

start_coffred() {
	local dir=$TMP/coffred i
	mkdir -p "$dir"
	{
		echo "# bench: all load comes from one address, and no per-request log lines"
		echo "limits.ip_rate = 0"
		echo "log.level = warn"
		[ -z "$EXTRA_CONFIG" ] || cat "$EXTRA_CONFIG"
	} >"$dir/bench.conf"
	"$COFFRED" run --data-dir "$dir/data" --listen 127.0.0.1:0 --config "$dir/bench.conf" \
		>"$dir/stdout" 2>"$dir/stderr" &
	COFFRED_PID=$!
	COFFRED_PORT=""
	for ((i = 0; i < 150; i++)); do
		COFFRED_PORT=$(sed -n 's|.*listening on https://127\.0\.0\.1:\([0-9]\{1,5\}\).*|\1|p' \
			"$dir/stdout" | head -n1)
		[ -z "$COFFRED_PORT" ] || break
		alive "$COFFRED_PID" || { cat "$dir/stderr" >&2; die "coffred stopped at start"; }
		sleep 0.1
	done
	[ -n "$COFFRED_PORT" ] || { cat "$dir/stderr" >&2; die "coffred did not start in 15 s"; }
	CERT=$dir/data/tls/server.pem
	KEY=$dir/data/tls/server.key
	CA=$dir/data/tls/ca.pem
	if [ ! -r "$CERT" ] || [ ! -r "$KEY" ] || [ ! -r "$CA" ]; then
		die "coffred made no certificate in $dir/data/tls"
	fi
	SERVER_PIDS[$COFFRED_PORT]=$COFFRED_PID
	log "coffred pid $COFFRED_PID on 127.0.0.1:$COFFRED_PORT"
}

port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

write_nginx_conf() {
	local dir=$1 port=$2
	cat >"$dir/nginx.conf" <<EOF
# Private nginx for the coffre benchmark; not the system service.
daemon off;
master_process on;
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/error.log warn;

events {
    worker_connections 1024;
}

http {
    access_log off;
    server_tokens off;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    default_type application/octet-stream;
    sendfile on;
    tcp_nodelay on;
    # Keep-alive for the whole run, as coffred does (nginx's default closes
    # a connection after 1000 requests).
    keepalive_timeout 65s;
    keepalive_requests 1000000;

    server {
        listen 127.0.0.1:$port ssl;
        server_name localhost;
        # The very files coffred generated, so both pay the same TLS cost.
        ssl_certificate $CERT;
        ssl_certificate_key $KEY;
        ssl_protocols TLSv1.2 TLSv1.3;
        root $TMP/www;
    }
}
EOF
}

start_nginx() {
	local dir=$TMP/nginx try port i
	mkdir -p "$dir/tmp" "$TMP/www"
	head -c 1024 /dev/urandom >"$TMP/www/1k.bin"
	# Workers run as an unprivileged user when we are root: they must reach the file.
	chmod 755 "$TMP" "$TMP/www"
	chmod 644 "$TMP/www/1k.bin"
	for ((try = 0; try < 10; try++)); do
		# Below the kernel's ephemeral range, so wrk's own sockets cannot take it.
		port=$((20000 + RANDOM % 12000))
		port_free "$port" || continue
		write_nginx_conf "$dir" "$port"
		nginx -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/stdout" 2>&1 &
		NGINX_PID=$!
		for ((i = 0; i < 100; i++)); do
			alive "$NGINX_PID" || break
			if ! port_free "$port"; then
				NGINX_PORT=$port
				sleep 0.2 # let the workers start
				mapfile -t NGINX_WORKERS < <(pgrep -P "$NGINX_PID" || true)
				SERVER_PIDS[$port]="$NGINX_PID ${NGINX_WORKERS[*]}"
				log "nginx pid $NGINX_PID (workers ${NGINX_WORKERS[*]}) on 127.0.0.1:$port"
				return 0
			fi
			sleep 0.1
		done
		stop_pid "$NGINX_PID" nginx
		NGINX_PID=""
		log "nginx did not start on port $port:"
		cat "$dir/error.log" "$dir/stdout" >&2 2>/dev/null || true
	done
	die "cannot start nginx"
}

# ---------------------------------------------------------------------------
# What the report says about the machine, the software and each target.

target_hostport() {
	local hp=${1#https://}
	echo "${hp%%/*}"
}

# The protocol and cipher an OpenSSL client (like wrk) gets.
tls_summary() {
	local hp out
	hp=$(target_hostport "$1")
	out=$(timeout 5 openssl s_client -connect "$hp" -servername localhost -CAfile "$CA" \
		</dev/null 2>/dev/null || true)
	local proto verify
	proto=$(sed -n 's/^New, \(TLSv[0-9.]*\), Cipher is \(.*\)/\1 \2/p' <<<"$out" | head -n1)
	verify=$(sed -n 's/^ *Verify return code: \(.*\)/\1/p' <<<"$out" | head -n1)
	echo "${proto:-unknown}, certificate ${verify:-not checked}"
}

# Two GETs in one curl call: the second must reuse the first connection.
keepalive_summary() {
	local n
	command -v curl >/dev/null || { echo "not checked (no curl)"; return; }
	n=$(curl -s --max-time 5 --cacert "$CA" -o /dev/null -o /dev/null -w '%{num_connects} ' \
		"$1" "$1" 2>/dev/null || true)
	case "$n" in
	"1 0 ") echo "kept (2 requests, 1 TLS connection)" ;;
	"1 1 ") echo "NOT kept (the server closed after the first response)" ;;
	*) echo "unknown (curl: '$n')" ;;
	esac
}

# proc_ticks: "pid ticks comm" for every process (user + system CPU ticks).
proc_ticks() {
	local f line rest fs
	for f in /proc/[0-9]*/stat; do
		read -r line 2>/dev/null <"$f" || continue
		rest=${line##*) }
		read -r -a fs <<<"$rest"
		line=${line#*(}
		echo "${f//[^0-9]/} $((fs[11] + fs[12])) ${line%)*}"
	done
}

cpu_total_idle() {
	awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $5 + $6 }' /proc/stat
}

last_pid() {
	local fields
	read -r -a fields </proc/loadavg
	echo "${fields[4]}"
}

# cpu_sample SECONDS [PID...]: how busy the machine is without us, and who makes it so:
# "NN% of N CPUs busy, about N processes started; top: name NN%, ..." (per
# process, % of one CPU). Short-lived processes (a build's compilers, a test
# suite's servers) do not show in the top list, only in the busy figure and
# in the count of processes started. The PIDs given (our idle servers) are
# left out of the top list.
cpu_sample() {
	local secs=$1 ours="${*:2}" before after t1 i1 t2 i2 hz p1 p2 PID_MAX
	PID_MAX=$(cat /proc/sys/kernel/pid_max 2>/dev/null || echo 4194304)
	hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
	read -r t1 i1 < <(cpu_total_idle)
	p1=$(last_pid)
	before=$(proc_ticks)
	sleep "$secs"
	read -r t2 i2 < <(cpu_total_idle)
	after=$(proc_ticks)
	p2=$(last_pid)
	awk -v hz="$hz" -v secs="$secs" -v busy="$(((t2 - t1 - (i2 - i1)) * 100 / (t2 - t1 > 0 ? t2 - t1 : 1)))" \
		-v ncpu="$(nproc)" -v started="$(((p2 - p1 + PID_MAX) % PID_MAX))" -v ours=" $ours " '
		NR == FNR { b[$1] = $2; next }
		index(ours, " " $1 " ") { next }
		{ d = $2 - (($1 in b) ? b[$1] : 0); if (d > 0) { $1 = ""; $2 = ""; sub(/^  /, ""); u[$0] += d } }
		END {
			top = ""; n = 0
			while (n < 3) {
				best = ""; bv = 0
				for (k in u) if (u[k] > bv) { bv = u[k]; best = k }
				if (best == "" || 100 * bv / (hz * secs) < 5) break
				top = top (n ? ", " : "") sprintf("%s %d%%", best, 100 * bv / (hz * secs))
				delete u[best]; n++
			}
			printf "%d%% of %d CPUs busy, about %d processes started; top: %s\n", busy, ncpu,
				started, (top == "" ? "none over 5%" : top)
		}' <(echo "$before") <(echo "$after")
}

pkg_version() {
	dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "?"
}

# ---------------------------------------------------------------------------

log "installing packages (scripts/install-deps.sh bench)"
scripts/install-deps.sh bench >&2
for tool in wrk nginx openssl pgrep; do
	command -v "$tool" >/dev/null || die "$tool not found after install-deps"
done
if [ -n "${BENCH_COFFRED:-}" ]; then
	# A given binary (e.g. to compare a change against a saved build): no build.
	COFFRED=$(realpath "$BENCH_COFFRED")
	BUILD="given binary $COFFRED"
	log "using $COFFRED (BENCH_COFFRED), not building"
else
	log "building the release flavour"
	BUILD=$(scripts/build.sh release) || die "release build failed"
	COFFRED=$ROOT/$BUILD/src/server/coffred
fi
[ -x "$COFFRED" ] || die "no coffred at $COFFRED"

HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
TMP=$(mktemp -d /tmp/coffre-bench.XXXXXX)
start_coffred
start_nginx
define_targets

SELECTED=()
if [ -n "$ONLY" ]; then
	IFS=, read -r -a want <<<"$ONLY"
	for w in "${want[@]}"; do
		case "$w" in audit-store | identity) continue ;; esac # sections, not wrk targets
		[ -n "${T_URL[$w]+x}" ] || die "BENCH_ONLY: no target '$w' (targets: ${TARGETS[*]})"
		SELECTED+=("$w")
	done
else
	SELECTED=("${TARGETS[@]}")
fi

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "sampling the machine's CPU use for 2 s (servers idle)"
CPU_BEFORE=$(cpu_sample 2 $COFFRED_PID $NGINX_PID "${NGINX_WORKERS[@]}")
case "$CPU_BEFORE" in
[0-9]%*) ;;
*) log "warning: the machine is busy before the run: $CPU_BEFORE" ;;
esac
for t in "${SELECTED[@]}"; do
	if [ "$WARMUP" -gt 0 ]; then
		log "warm-up $t (${WARMUP}s)"
		run_wrk "$t" "$WARMUP" "$TMP/warmup-$t.txt"
		read -r rps _ _ reqs err non < <(parse_wrk "$TMP/warmup-$t.txt") ||
			{ cat "$TMP/warmup-$t.txt" >&2; die "cannot read wrk's output for $t"; }
		if [ "$reqs" -eq 0 ] || [ "$non" -ne 0 ]; then
			cat "$TMP/warmup-$t.txt" >&2
			die "$t: warm-up got $reqs requests, $non not 2xx/3xx"
		fi
	fi
done

for ((round = 1; round <= ROUNDS; round++)); do
	for t in "${SELECTED[@]}"; do
		out=$TMP/round$round-$t.txt
		run_wrk "$t" "$DURATION" "$out"
		read -r rps p50 p99 reqs err non < <(parse_wrk "$out") ||
			{ cat "$out" >&2; die "cannot read wrk's output for $t"; }
		R_RPS[$t]+="$rps "
		R_P50[$t]+="$p50 "
		R_P99[$t]+="$p99 "
		R_ERR[$t]+="$err "
		R_NON2XX[$t]+="$non "
		R_CONN[$t]+="$WRK_CONNECTS "
		R_REQS[$t]+="$reqs "
		cpu_us=$(awk -v t="$SERVER_TICKS" -v hz="$HZ" -v n="$reqs" \
			'BEGIN { printf "%.1f", (n > 0) ? t * 1e6 / hz / n : 0 }')
		R_CPU[$t]+="$cpu_us "
		log "round $round/$ROUNDS $t: $rps req/s, p50 $p50 ms, p99 $p99 ms," \
			"socket errors c/r/w/t $err, non-2xx $non, TCP connects $WRK_CONNECTS," \
			"server CPU $cpu_us us/request"
	done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
CPU_AFTER=$(cpu_sample 2 $COFFRED_PID $NGINX_PID "${NGINX_WORKERS[@]}")

# ---------------------------------------------------------------------------
# Report

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
wrk_v=$(wrk -v 2>&1 | head -n1 | sed 's/^wrk //; s/ Copyright.*//' || true)
nginx_v=$(nginx -v 2>&1 | sed 's/^nginx version: //')
coffred_v=$("$COFFRED" version 2>&1 || true)
ossl_v=$(openssl version 2>/dev/null | cut -d' ' -f1-2)

sum_col() { printf '%s\n' "$@" | awk '{ s += $1 } END { printf "%d", s }'; }

declare -A MED_RPS=()
echo "coffre benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine    : $(nproc) CPUs (nproc), ${cpu:-unknown CPU}, Linux $(uname -r)"
echo "other load : before: $CPU_BEFORE"
echo "             after:  $CPU_AFTER"
echo "             load average $LOAD_BEFORE before, $LOAD_AFTER after"
echo "versions   : $coffred_v ($BUILD), $nginx_v, wrk $wrk_v"
echo "libraries  : coffred: libmicrohttpd $(pkg_version libmicrohttpd12), GnuTLS $(pkg_version libgnutls30); nginx and wrk: $ossl_v"
echo "load       : wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency, $ROUNDS rounds, targets in turn, ${WARMUP}s warm-up each"
for t in "${SELECTED[@]}"; do
	read -r -a conn <<<"${R_CONN[$t]}"
	read -r -a reqs <<<"${R_REQS[$t]}"
	nconn=$(sum_col "${conn[@]}")
	nreq=$(sum_col "${reqs[@]}")
	per=$((nreq / (nconn > 0 ? nconn : 1)))
	if [ "$per" -ge 100 ]; then ka="kept"; else ka="NOT KEPT"; fi
	printf '%-11s: %s\n' "$t" "${T_URL[$t]}${T_ARGS[$t]:+ (wrk ${T_ARGS[$t]% })}"
	printf '%-11s  TLS %s\n' "" "$(tls_summary "${T_URL[$t]}")"
	printf '%-11s  keep-alive %s: curl %s; wrk %d requests over %d new TCP connections (%d per connection)\n' \
		"" "$ka" "$(keepalive_summary "${T_URL[$t]}")" "$nreq" "$nconn" "$per"
done
echo
printf '%-14s %13s %11s %11s %17s %8s %9s %12s\n' target "median req/s" "median p50" "median p99" \
	"sock err c/r/w/t" non-2xx "req/conn" "CPU us/req"
for t in "${SELECTED[@]}"; do
	read -r -a rps <<<"${R_RPS[$t]}"
	read -r -a p50 <<<"${R_P50[$t]}"
	read -r -a p99 <<<"${R_P99[$t]}"
	read -r -a err <<<"${R_ERR[$t]}"
	read -r -a non <<<"${R_NON2XX[$t]}"
	read -r -a conn <<<"${R_CONN[$t]}"
	read -r -a reqs <<<"${R_REQS[$t]}"
	read -r -a cpu_us <<<"${R_CPU[$t]}"
	MED_RPS[$t]=$(median "${rps[@]}")
	esum=$(printf '%s\n' "${err[@]}" | awk -F/ '{ c += $1; r += $2; w += $3; t += $4 }
		END { printf "%d/%d/%d/%d", c, r, w, t }')
	nconn=$(sum_col "${conn[@]}")
	printf '%-14s %13.0f %8.2f ms %8.2f ms %17s %8s %9d %12.1f\n' "$t" "${MED_RPS[$t]}" \
		"$(median "${p50[@]}")" "$(median "${p99[@]}")" "$esum" "$(sum_col "${non[@]}")" \
		$(($(sum_col "${reqs[@]}") / (nconn > 0 ? nconn : 1))) "$(median "${cpu_us[@]}")"
done
echo
echo "rounds:"
printf '%-14s %5s %13s %11s %11s %17s %8s %9s %12s\n' target round "req/s" p50 p99 \
	"sock err c/r/w/t" non-2xx "TCP conns" "CPU us/req"
for t in "${SELECTED[@]}"; do
	read -r -a rps <<<"${R_RPS[$t]}"
	read -r -a p50 <<<"${R_P50[$t]}"
	read -r -a p99 <<<"${R_P99[$t]}"
	read -r -a err <<<"${R_ERR[$t]}"
	read -r -a non <<<"${R_NON2XX[$t]}"
	read -r -a conn <<<"${R_CONN[$t]}"
	read -r -a cpu_us <<<"${R_CPU[$t]}"
	for ((i = 0; i < ${#rps[@]}; i++)); do
		printf '%-14s %5d %13.0f %8.2f ms %8.2f ms %17s %8s %9s %12s\n' "$t" $((i + 1)) "${rps[$i]}" \
			"${p50[$i]}" "${p99[$i]}" "${err[$i]}" "${non[$i]}" "${conn[$i]}" "${cpu_us[$i]}"
	done
done
echo
unmet=0
if [ -n "${MED_RPS[coffred-audited]+x}" ]; then
	printf 'goal       : coffred-audited >= 15000 req/s (median): %.0f -> %s\n' \
		"${MED_RPS[coffred-audited]}" \
		"$(awk -v a="${MED_RPS[coffred-audited]}" 'BEGIN { print (a >= 15000) ? "MET" : "NOT MET" }')"
fi
for g in "${GOALS[@]}"; do
	read -r name base pct <<<"$g"
	if [ -z "${MED_RPS[$name]+x}" ] || [ -z "${MED_RPS[$base]+x}" ]; then
		echo "goal       : $name >= $pct% of $base: not evaluated (BENCH_ONLY=$ONLY)"
		continue
	fi
	read -r ratio verdict < <(awk -v a="${MED_RPS[$name]}" -v b="${MED_RPS[$base]}" -v p="$pct" \
		'BEGIN { r = (b > 0) ? 100 * a / b : 0; printf "%.1f %s\n", r, (r >= p) ? "MET" : "NOT-MET" }')
	[ "$verdict" = MET ] || unmet=$((unmet + 1))
	printf 'goal       : %s >= %s%% of %s (median req/s): %.0f / %.0f = %s%% -> %s\n' \
		"$name" "$pct" "$base" "${MED_RPS[$name]}" "${MED_RPS[$base]}" "$ratio" "${verdict/-/ }"
done

# The audit log alone (no HTTP): appends/s with group commit, proof times and
# offline verification at BENCH_AUDIT_EVENTS events (default 1,000,000).
if [ -z "$ONLY" ] || [[ ",$ONLY," == *",audit-store,"* ]]; then
	echo
	log "audit store benchmark (${BENCH_AUDIT_EVENTS:-1000000} events)"
	BENCH_AUDIT_BIN=$(dirname "$(dirname "$(dirname "$COFFRED")")")/bench/bench_audit
	if [ -x "$BENCH_AUDIT_BIN" ]; then
		"$BENCH_AUDIT_BIN" "${BENCH_AUDIT_EVENTS:-1000000}"
	else
		echo "audit store: no bench_audit next to $COFFRED; skipped"
	fi
fi

# Identity (bench/identity_bench.py, its own coffred and SMTP sink): complete
# logins (prelogin + login + TOTP) per second with p50/p99, and GET /v1/me
# with a session token through wrk.
if [ -z "$ONLY" ] || [[ ",$ONLY," == *",identity,"* ]]; then
	echo
	log "identity benchmark (bench/identity_bench.py)"
	BENCH_COFFRED=$COFFRED /usr/bin/python3 "$ROOT/bench/identity_bench.py"
fi

if [ "$STRICT" = 1 ] && [ "$unmet" -gt 0 ]; then
	log "$unmet goal(s) not met (BENCH_STRICT=1)"
	exit 3
fi
exit 0
