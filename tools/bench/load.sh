#!/usr/bin/env bash
# Load figures of docs/benchmarks.md, on loopback only: wrk against `breachdb serve`,
# nginx serving the same /range bytes from a static file, and the daemon's /healthz
# (its hello-world route) as the baseline for /v1/check. Bounded: DURATION seconds each.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${WORK:-/tmp/breachdb-load}
duration=${DURATION:-10}
connections=${CONNECTIONS:-64}
think_times=${THINK_MS:-6 4 3}
mkdir -p "$work/www/range"
command -v wrk >/dev/null && command -v nginx >/dev/null || apt-get install -y -qq wrk nginx-light >/dev/null
swift build -c release --product breachdb >/dev/null
bin=$(swift build -c release --show-bin-path)/breachdb

"$bin" ingest --quiet -o "$work/index.idx" data/hibp-range/sha1
"$bin" range --index "$work/index.idx" 5BAA6 > "$work/www/range/5BAA6"
cat > "$work/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    default_type text/plain;
    server { listen 127.0.0.1:18081; root $work/www; }
}
CONF
nginx -c "$work/nginx.conf"
"$bin" serve --index "$work/index.idx" --port 18080 > "$work/serve.log" 2>&1 &
daemon=$!
trap 'kill $daemon; nginx -c "$work/nginx.conf" -s stop' EXIT
for _ in $(seq 50); do curl -fsS -o /dev/null http://127.0.0.1:18080/healthz && break; sleep 0.2; done
cmp <(curl -fsS http://127.0.0.1:18080/range/5BAA6) "$work/www/range/5BAA6" && echo "same /range bytes from both"

cat > "$work/check.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"sha1": "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"}'
wrk.headers["Content-Type"] = "application/json"
LUA
run() { local name=$1 clients=$2; shift 2; echo "== $name, $clients connections"
       wrk -t2 -c"$clients" -d"${duration}s" --latency "$@" | grep -E 'Requests/sec|99%|50%'; }
run "nginx /range (static file)" "$connections" http://127.0.0.1:18081/range/5BAA6
run "breachdb /range" "$connections" http://127.0.0.1:18080/range/5BAA6
run "breachdb /range, Accept-Encoding: br" "$connections" -H "Accept-Encoding: gzip, br" http://127.0.0.1:18080/range/5BAA6
run "breachdb /healthz (hello world)" "$connections" http://127.0.0.1:18080/healthz
run "breachdb POST /v1/check" "$connections" -s "$work/check.lua" http://127.0.0.1:18080/v1/check
# Latency at a load that leaves the two cores headroom (wrk shares them).
run "breachdb /healthz (hello world)" 8 http://127.0.0.1:18080/healthz
run "breachdb POST /v1/check" 8 -s "$work/check.lua" http://127.0.0.1:18080/v1/check
# wrk keeps every connection busy, so at 64 connections the mean latency is 64 ÷ throughput
# before any tail (Little's law). Here each connection waits a random think time between
# requests (exponential, mean THINK_MS; wrk times only the request), as sign-up forms do:
# p99 at 64 connections against the rate they make.
cat > "$work/think.lua" <<'LUA'
local threads = 0
function setup(thread) threads = threads + 1; thread:set("id", threads) end
-- wrk gives each thread its own Lua state: seed each apart, or their think times repeat.
function init(args) math.randomseed(os.time() * 64 + id) end
local mean = tonumber(os.getenv("THINK_MS"))
function delay() return math.floor(-math.log(1 - math.random()) * mean) end
LUA
cat "$work/check.lua" "$work/think.lua" > "$work/check-think.lua"
for think in $think_times; do
    export THINK_MS=$think
    run "breachdb /healthz (hello world), think time $think ms" "$connections" -s "$work/think.lua" http://127.0.0.1:18080/healthz
    run "breachdb POST /v1/check, think time $think ms" "$connections" -s "$work/check-think.lua" http://127.0.0.1:18080/v1/check
done
echo "daemon RSS: $(ps -o rss= -p $daemon) KiB"
