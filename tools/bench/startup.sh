#!/usr/bin/env bash
# Start-up and reload figures of docs/benchmarks.md, run by hand (release build, not CI):
# time from launching `breachdb serve` to its first /range answer, the background
# checksum verification's duration, lookup latency with and without a verification
# running, and the memory a reload costs. BEFORE=/path/to/breachdb adds the start-up
# times of another build, run alternately with this one. Needs ~12 GB free in WORK.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${WORK:-/tmp/breachdb-startup}
runs=${RUNS:-5}
duration=${DURATION:-10}
port=${PORT:-18090}
mkdir -p "$work"
source tools/bench/release-binaries.sh  # BIN: a directory holding breachdb and generate-dump already built

build_index() {  # name, generate-dump arguments…
    local name=$1; shift
    [ -f "$work/$name.idx" ] && return
    "$bin/generate-dump" "$@" -o "$work/$name.txt"
    "$bin/breachdb" ingest --quiet -o "$work/$name.idx" "$work/$name.txt"
    rm "$work/$name.txt"
}
small=${SMALL:-20000000}  # hashes of the first index
build_index 20m --hashes "$small"
# 65,536 prefixes at 1,907 hashes each: the density of two billion hashes, 1/16 of the buckets.
build_index full-density --hashes "${DENSE:-124977152}" --prefix-count 65536

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
wait_for() {  # url: polls in a tight loop, as a load balancer's first request would arrive
    until curl -fso /dev/null "$1" 2>/dev/null; do :; done
}
serve() {  # binary, index: starts a daemon in the background, its log in $work/serve.log
    "$1" serve --index "$2" --port "$port" --reload-interval 0 > "$work/serve.log" 2>&1 &
    daemon=$!
}
stop() { kill "$daemon"; wait "$daemon" 2>/dev/null || true; }
serve_verified() {  # binary, index: serve, then wait for the background verification to finish
    serve "$1" "$2"
    until grep -q "verified the served index" "$work/serve.log"; do
        kill -0 "$daemon" 2>/dev/null || { echo "the daemon exited: $work/serve.log" >&2; exit 1; }
        sleep 0.05
    done
}
trap 'kill $daemon 2>/dev/null || true' EXIT

first_answer() {  # binary, index → milliseconds from launch to the first /range answer
    local start; start=$(date +%s%N)
    serve "$1" "$2"
    wait_for "http://127.0.0.1:$port/range/00000"
    ms_since "$start"
    stop
}

echo "== time to the first /range answer (ms), $runs runs each, page cache warm"
cat "$work"/*.idx > /dev/null
for name in 20m full-density; do
    builds="$bin/breachdb"; [ -n "${BEFORE:-}" ] && builds="${BEFORE} $builds"
    for build in $builds; do : > "$work/times.$(basename "$(dirname "$build")")"; done
    for _ in $(seq "$runs"); do
        for build in $builds; do first_answer "$build" "$work/$name.idx" >> "$work/times.$(basename "$(dirname "$build")")"; done
    done
    for build in $builds; do
        echo "$name, $build: median $(median < "$work/times.$(basename "$(dirname "$build")")") ms ($(paste -sd' ' "$work/times.$(basename "$(dirname "$build")")"))"
    done
done

echo "== background verification after start (log), $runs runs"
for name in 20m full-density; do
    for _ in $(seq "$runs"); do
        serve_verified "$bin/breachdb" "$work/$name.idx"
        grep -o 'seconds=[0-9.]*\|cpu-seconds=[0-9.]*' "$work/serve.log" | paste -sd' '
        stop
    done | sed "s/^/$name: /"
done

echo "== latency with and without verification running (wrk -t2 -c8, ${duration} s, random prefixes and hashes)"
cat > "$work/range.lua" <<'LUA'
local prefixes = tonumber(os.getenv("PREFIXES"))
local threads = 0
function setup(thread) threads = threads + 1; thread:set("id", threads) end
function init(args) math.randomseed(os.time() * 64 + id) end
function request() return wrk.format("GET", string.format("/range/%05X", math.random(0, prefixes - 1))) end
LUA
cat > "$work/check.lua" <<'LUA'
local prefixes = tonumber(os.getenv("PREFIXES"))
local threads = 0
function setup(thread) threads = threads + 1; thread:set("id", threads) end
function init(args) math.randomseed(os.time() * 64 + id) end
function request()
    local hash = string.format("%05X", math.random(0, prefixes - 1))
    for _ = 1, 5 do hash = hash .. string.format("%07X", math.random(0, 0xFFFFFFF)) end
    return wrk.format("POST", "/v1/check", {["Content-Type"] = "application/json"}, '{"sha1": "' .. hash:sub(1, 40) .. '"}')
end
LUA
run() { wrk -t2 -c8 -d"${duration}s" --latency -s "$@" | grep -E 'Requests/sec|^ +(50|99)%' | tr -s ' ' | paste -sd' '; }
for name in 20m full-density; do
    export PREFIXES; PREFIXES=$([ "$name" = full-density ] && echo 65536 || echo 1048576)
    serve_verified "$bin/breachdb" "$work/$name.idx"
    for script in range check; do
        url=http://127.0.0.1:$port/$([ $script = range ] && echo range/00000 || echo v1/check)
        echo "$name /$script, quiet: $(run "$work/$script.lua" "$url")"
        # Reloads back to back: each verifies every checksum of the file before its swap, on a
        # thread at normal priority (start-up's verification runs at nice 19: gentler still).
        ( while kill -HUP "$daemon" 2>/dev/null; do sleep 0.05; done ) & hups=$!
        before=$(grep -c "reloaded the index" "$work/serve.log" || true)
        echo "$name /$script, verifying: $(run "$work/$script.lua" "$url")"
        kill $hups; wait $hups 2>/dev/null || true
        echo "  reloads (full verifications) during the run: $(( $(grep -c "reloaded the index" "$work/serve.log") - before ))"
    done
    stop
done

echo "== memory of a reload (full-density index): /proc/PID/status before, peak during, after"
serve_verified "$bin/breachdb" "$work/full-density.idx"
curl -fso /dev/null "http://127.0.0.1:$port/range/00000"
status() { grep -E '^(VmRSS|RssAnon|RssFile)' "/proc/$daemon/status" | awk '{ printf "%s %d MiB  ", $1, $2 / 1024 }'; echo; }
echo "before: $(status)"
peak_anon=0; peak_file=0
kill -HUP "$daemon"
until grep -q "reloaded the index" "$work/serve.log"; do
    anon=$(awk '/^RssAnon/ { print $2 }' "/proc/$daemon/status"); file=$(awk '/^RssFile/ { print $2 }' "/proc/$daemon/status")
    (( anon > peak_anon )) && peak_anon=$anon; (( file > peak_file )) && peak_file=$file
    sleep 0.02
done
echo "peak during: RssAnon: $((peak_anon / 1024)) MiB  RssFile: $((peak_file / 1024)) MiB"
for _ in $(seq 20); do curl -fso /dev/null "http://127.0.0.1:$port/range/00000"; done
echo "after: $(status)"
stop
