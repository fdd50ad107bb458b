#!/usr/bin/env bash
# Load figures of docs/benchmarks.md, on loopback only: wrk against `breachdb serve` and
# against nginx serving the same /range bodies as static files, side by side, ROUNDS times.
#  - /range over PREFIXES distinct prefixes of an index at the real density (65,536 prefixes
#    × ≈1,907 hashes, ≈74 KB answers, ≈38 KB in br), picked uniformly or by a Zipf law (as password traffic
#    is skewed), plain, padded (Add-Padding), gzip (nginx: gzip_static) and br;
#  - padded /range on a sparse index (the sample data: every answer gets ≈900 fresh padding
#    rows, ≈38 KB) against nginx serving a padded answer of that size;
#  - POST /v1/check with random hashes against the daemon's hello-world route (/healthz).
#  - refused requests (429 past --rate-limit, 401 without the token): the CPU a refusal costs.
# Each row is one wrk run of DURATION seconds; the summary gives each row's median over the
# rounds and its ratio to its baseline's median. LATENCY=1 adds p99 at 64 connections with
# think times. Needs ≈8 GB in WORK once (the dense dump is deleted after ingest).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${WORK:-/tmp/breachdb-load}
duration=${DURATION:-10}
connections=${CONNECTIONS:-32}
threads=${THREADS:-1}
rounds=${ROUNDS:-3}
prefix_count=${PREFIXES:-10000}
# The dense slice: its first DENSE_PREFIXES prefixes at 1,907 hashes each, the density of
# two billion hashes (65,536 × 1,907 = 124,977,152).
dense_prefixes=${DENSE_PREFIXES:-65536}
mkdir -p "$work/www/dense" "$work/www/sparse"
command -v wrk >/dev/null && command -v nginx >/dev/null || apt-get install -y -qq wrk nginx-light >/dev/null
# nginx's brotli_static, so the br rows compare like with like (precompressed .br files).
[ -f /usr/lib/nginx/modules/ngx_http_brotli_static_module.so ] || apt-get install -y -qq libnginx-mod-http-brotli-static python3-brotli >/dev/null
source tools/bench/release-binaries.sh

if [ ! -f "$work/dense.idx" ]; then
    "$bin/generate-dump" --hashes $((dense_prefixes * 1907)) --prefix-count "$dense_prefixes" -o "$work/dense.txt"
    "$bin/breachdb" ingest --quiet -o "$work/dense.idx" "$work/dense.txt"
    rm "$work/dense.txt"
fi
"$bin/breachdb" ingest --quiet -o "$work/sparse.idx" data/hibp-range/sha1

bash tools/bench/nginx-conf.sh "$work" 18081 2 > "$work/nginx.conf"
nginx -c "$work/nginx.conf"
"$bin/breachdb" serve --index "$work/dense.idx" --port 18080 > "$work/dense.log" 2>&1 &
dense=$!
"$bin/breachdb" serve --index "$work/sparse.idx" --port 18082 > "$work/sparse.log" 2>&1 &
sparse=$!
# Refusals: one request a second allowed (so wrk's are all but refused, 429) and a token
# required on /v1 (wrk sends none, 401).
echo "load-test-token" > "$work/tokens"
"$bin/breachdb" serve --index "$work/dense.idx" --port 18083 --rate-limit 1 --token-file "$work/tokens" \
    > "$work/refusing.log" 2>&1 &
refusing=$!
trap 'kill $dense $sparse $refusing; nginx -c "$work/nginx.conf" -s stop' EXIT
bash tools/bench/wait-verified.sh 18080 18082 18083

# The prefixes (distinct, random, of the dense slice) and nginx's copies of
# their answers, plain and gzip-compressed, fetched from the daemon; the daemon's answers
# for a sample are checked against `breachdb range`.
python3 - "$work" "$prefix_count" "$dense_prefixes" <<'PY'
import brotli, gzip, http.client, os, random, sys
work, count, span = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
# The first `count` of one fixed sample, so that runs with fewer prefixes use a subset.
prefixes = random.Random(14).sample(range(span), max(count, 10000))[:count]
connection = http.client.HTTPConnection("127.0.0.1", 18080)
with open(f"{work}/prefixes.txt", "w") as listing:
    for prefix in prefixes:
        name = f"{prefix:05X}"
        listing.write(name + "\n")
        # Files of an earlier run are kept (the .br, written last, marks them complete):
        # brotli at quality 11, as for static files, takes most of this step.
        if os.path.exists(f"{work}/www/dense/{name}.br"): continue
        connection.request("GET", f"/range/{name}")
        body = connection.getresponse().read()
        with open(f"{work}/www/dense/{name}", "wb") as file: file.write(body)
        with open(f"{work}/www/dense/{name}.gz", "wb") as file: file.write(gzip.compress(body, 6))
        with open(f"{work}/www/dense/{name}.br.tmp", "wb") as file: file.write(brotli.compress(body, quality=11))
        os.rename(f"{work}/www/dense/{name}.br.tmp", f"{work}/www/dense/{name}.br")
PY
for prefix in $(head -5 "$work/prefixes.txt"); do
    cmp <("$bin/breachdb" range --index "$work/dense.idx" "$prefix") "$work/www/dense/$prefix"
done
while read -r prefix; do
    echo "$prefix $(curl -fsS -o /dev/null -w '%header{etag}' "http://127.0.0.1:18080/range/$prefix")"
done < "$work/prefixes.txt" > "$work/prefixes.txt.etags"
echo "same /range bytes from the daemon and breachdb range; $(wc -l < "$work/prefixes.txt") prefixes, $(du -sh "$work/www/dense" | cut -f1) of files"
curl -fsS -H "Add-Padding: true" -o "$work/www/sparse/00000" http://127.0.0.1:18082/range/00000
echo "sparse padded answer: $(wc -c < "$work/www/sparse/00000") bytes"

cat > "$work/range.lua" <<'LUA'
-- GET /range/{prefix} with a prefix from PREFIX_FILE (one a line) per request: uniformly,
-- or with MIX=zipf by a Zipf law (s = 1) over them. PATH_PREFIX is the directory on nginx.
local prefixes = {}
for line in io.lines(os.getenv("PREFIX_FILE")) do prefixes[#prefixes + 1] = line end
local cdf = {}
if os.getenv("MIX") == "zipf" then
    local sum = 0
    for i = 1, #prefixes do sum = sum + 1 / i; cdf[i] = sum end
    for i = 1, #prefixes do cdf[i] = cdf[i] / sum end
end
local path = os.getenv("PATH_PREFIX") or "/range/"
local headers = {}
if os.getenv("PADDING") == "1" then headers["Add-Padding"] = "true" end
if os.getenv("ENCODING") then headers["Accept-Encoding"] = os.getenv("ENCODING") end
-- With ETAGS=1, each request revalidates the prefix's plain answer (If-None-Match with the
-- ETag fetched for it, a 304), as `download --base` replicas do.
local etags = {}
if os.getenv("ETAGS") == "1" then
    for line in io.lines(os.getenv("PREFIX_FILE") .. ".etags") do
        local name, tag = line:match("^(%S+) (.+)$")
        etags[name] = tag
    end
end
local threads = 0
function setup(thread) threads = threads + 1; thread:set("id", threads) end
-- wrk gives each thread its own Lua state: seed each apart, or their picks repeat.
function init(args) math.randomseed(os.time() * 64 + id) end
local function pick()
    if #cdf == 0 then return prefixes[math.random(#prefixes)] end
    local u, low, high = math.random(), 1, #cdf
    while low < high do
        local mid = math.floor((low + high) / 2)
        if cdf[mid] < u then low = mid + 1 else high = mid end
    end
    return prefixes[low]
end
function request()
    local name = pick()
    if etags[name] then headers["If-None-Match"] = etags[name] end
    return wrk.format("GET", path .. name, headers)
end
LUA
cat > "$work/check.lua" <<'LUA'
-- POST /v1/check with a random SHA-1 of the dense slice (first digit 0) per request.
local digits = "0123456789ABCDEF"
local threads = 0
function setup(thread) threads = threads + 1; thread:set("id", threads) end
function init(args) math.randomseed(os.time() * 64 + id) end
function request()
    local hash = { "0" }
    for i = 2, 40 do local r = math.random(16); hash[i] = digits:sub(r, r) end
    return wrk.format("POST", "/v1/check", { ["Content-Type"] = "application/json" },
                      '{"sha1": "' .. table.concat(hash) .. '"}')
end
LUA
echo 00000 > "$work/sparse-prefix.txt"

results="$work/results.txt"
: > "$results"
nginx_workers=$(pgrep -P "$(cat "$work/nginx.pid")" | tr '\n' ' ')
cpu_ticks() { local total=0 pid; for pid in "$@"; do total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat"))); done; echo "$total"; }
run() {  # name, server PIDs (space-separated), wrk arguments…: requests/s, the server's CPU µs per answer, load average
    local name=$1 pids=$2; shift 2
    local before after output
    before=$(cpu_ticks $pids)
    output=$(wrk -t"$threads" -c"$connections" -d"${duration}s" "$@")
    after=$(cpu_ticks $pids)
    awk -v name="$name" -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" -v load="$(cut -d' ' -f1 /proc/loadavg)" '
        / requests in / { requests = $1 } /Requests\/sec/ { rate = $2 }
        END { printf "%s\t%s\t%.1f\t%s\n", name, rate, ticks / hz * 1e6 / requests, load }' <<< "$output" | tee -a "$results"
}
dense_range() {  # name, MIX, extra VARIABLE=value…
    local name=$1 mix=$2; shift 2
    ( export PREFIX_FILE="$work/prefixes.txt" MIX="$mix" "$@"
      PATH_PREFIX=/dense/ run "nginx $name" "$nginx_workers" -s "$work/range.lua" http://127.0.0.1:18081
      run "breachdb $name" "$dense" -s "$work/range.lua" http://127.0.0.1:18080 )
}
for round in $(seq "$rounds"); do
    echo "== round $round"
    # nginx's files read into the page cache first, as a static server's would be: left out
    # by an eviction or a benchmark that dropped caches, nginx's rows would be disk reads
    # (seen: 2,000 against 18,000 requests/s).
    find "$work/www" -type f -exec cat {} + > /dev/null
    dense_range "uniform" uniform
    dense_range "zipf" zipf
    dense_range "uniform, padded" uniform PADDING=1
    dense_range "zipf, padded" zipf PADDING=1
    dense_range "uniform, gzip" uniform ENCODING=gzip
    dense_range "zipf, gzip" zipf ENCODING=gzip
    # nginx: brotli_static (libnginx-mod-http-brotli-static) over the same bodies.
    dense_range "uniform, br" uniform ENCODING="br"
    dense_range "zipf, br" zipf ENCODING="br"
    # What python-requests and urllib3 send: gzip and br rated alike.
    dense_range "uniform, gzip, deflate, br" uniform ENCODING="gzip, deflate, br"
    PREFIX_FILE="$work/prefixes.txt" ETAGS=1 run "breachdb 304 revalidation, uniform" "$dense" -s "$work/range.lua" http://127.0.0.1:18080
    PREFIX_FILE="$work/sparse-prefix.txt" PATH_PREFIX=/sparse/ run "nginx sparse, padded" "$nginx_workers" -s "$work/range.lua" http://127.0.0.1:18081
    PREFIX_FILE="$work/sparse-prefix.txt" PADDING=1 run "breachdb sparse, padded" "$sparse" -s "$work/range.lua" http://127.0.0.1:18082
    run "breachdb /healthz (hello world)" "$dense" http://127.0.0.1:18080/healthz
    run "breachdb POST /v1/check, random hashes" "$dense" -s "$work/check.lua" http://127.0.0.1:18080/v1/check
    PREFIX_FILE="$work/prefixes.txt" run "breachdb /range refused (429)" "$refusing" -s "$work/range.lua" http://127.0.0.1:18083
    run "breachdb POST /v1/check refused (401)" "$refusing" -s "$work/check.lua" http://127.0.0.1:18083/v1/check
done
# RSS counts the index's mapped file pages (page cache, shared); the daemon's own memory is RssAnon.
memory() { awk '/^Rss(Anon|File)/ { printf "%s %s KiB  ", $1, $2 }' "/proc/$1/status"; }
echo "daemon memory after the runs: dense index: $(memory $dense); sparse index: $(memory $sparse)"

echo
echo "| mix | nginx requests/s | breachdb requests/s | ratio | server CPU µs per answer: nginx / breachdb |"
echo "|---|---|---|---|---|"
python3 - "$results" <<'PY'
import statistics, sys
rates, cpu, loads = {}, {}, []
for line in open(sys.argv[1]):
    name, rate, micros, load = line.rstrip("\n").split("\t")
    loads.append(float(load))
    rates.setdefault(name, []).append(float(rate))
    cpu.setdefault(name, []).append(float(micros))
median = {name: statistics.median(values) for name, values in rates.items()}
def cell(name): return f"{median[name]:,.0f} ({'; '.join(f'{v:,.0f}' for v in rates[name])})"
def micros(name): return f"{statistics.median(cpu[name]):.0f}"
for name in rates:
    if name.startswith("breachdb ") and "nginx " + name[9:] in median:
        mix, baseline = name[9:], "nginx " + name[9:]
        print(f"| {mix} | {cell(baseline)} | {cell(name)} | {median[name] / median[baseline]:.2f}× | {micros(baseline)} / {micros(name)} |")
hello, check = "breachdb /healthz (hello world)", "breachdb POST /v1/check, random hashes"
revalidation = "breachdb 304 revalidation, uniform"
print(f"| 304 revalidation (If-None-Match), against /healthz | {cell(hello)} | {cell(revalidation)} | {median[revalidation] / median[hello]:.2f}× | {micros(hello)} / {micros(revalidation)} |")
for refused in ("breachdb /range refused (429)", "breachdb POST /v1/check refused (401)"):
    print(f"| {refused[9:]}, against /healthz | {cell(hello)} | {cell(refused)} | {median[refused] / median[hello]:.2f}× | {micros(hello)} / {micros(refused)} |")
print(f"| POST /v1/check, random hashes, against /healthz | {cell(hello)} | {cell(check)} | {median[check] / median[hello]:.2f}× | {micros(hello)} / {micros(check)} |")
print(f"\nLoad average (1 minute) at the end of each row: {min(loads):.2f}–{max(loads):.2f}, median {statistics.median(loads):.2f}.")
PY

[ "${LATENCY:-0}" = 1 ] || exit 0
# p99 at 64 connections, each waiting a random think time between requests (exponential,
# mean THINK_MS; wrk leaves delay() out of the latency), as sign-up forms send them.
cat > "$work/think.lua" <<'LUA'
local threads = 0
function setup(thread) threads = threads + 1; thread:set("id", threads) end
function init(args) math.randomseed(os.time() * 64 + id) end
local mean = tonumber(os.getenv("THINK_MS"))
function delay() return math.floor(-math.log(1 - math.random()) * mean) end
LUA
cat > "$work/check-think.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"sha1": "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"}'
wrk.headers["Content-Type"] = "application/json"
LUA
cat "$work/think.lua" >> "$work/check-think.lua"
for think in ${THINK_MS:-6 4 3}; do
    export THINK_MS=$think
    echo "== think time $think ms, 64 connections"
    wrk -t2 -c64 -d"${duration}s" --latency -s "$work/think.lua" http://127.0.0.1:18082/healthz | grep -E 'Requests/sec|99%|50%'
    wrk -t2 -c64 -d"${duration}s" --latency -s "$work/check-think.lua" http://127.0.0.1:18082/v1/check | grep -E 'Requests/sec|99%|50%'
done
