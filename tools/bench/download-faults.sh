#!/usr/bin/env bash
# Reproduces the "download through faults" figures of docs/benchmarks.md: `breachdb download`
# of PREFIXES ranges at the real corpus's density (1,907 hashes, ≈74 KB of range text each)
# from `breachdb serve` on loopback, through Tests/clients/fault_proxy.py injecting a random
# fault (reset, 503 and 429 with Retry-After: 1, a cut body, a garbled body, a 3 s stall) into
# RATES (fractions of requests), RUNS rounds; each row's median ranges/s and its ratio to the
# fault-free row. Every result's content digest is checked against the source's.
# BINARY=path/to/breachdb (default: the release build); BEFORE=path/to/breachdb adds its rows;
# SERVER=path/to/breachdb serves the ranges (default: BINARY).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${WORK:-/tmp/breachdb-fault-bench}
runs=${RUNS:-3}
prefixes=${PREFIXES:-8192}
rates=${RATES:-"0 0.01 0.15"}
binary=${BINARY:-$(swift build -c release --show-bin-path)/breachdb}
generate=${GENERATE:-$(dirname "$binary")/generate-dump}
last_prefix=$(printf '%05X' $((prefixes - 1)))
mkdir -p "$work"
[ -f "$work/dense.idx" ] || "$generate" --hashes $((prefixes * 1907)) --prefix-count "$prefixes" | "$binary" ingest --quiet -o "$work/dense.idx" -
source_digest=$("$binary" stats --json -i "$work/dense.idx" | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["contentDigest"])')
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${SERVER:-$binary}" serve --index "$work/dense.idx" --port "$port" --reload-interval 0 >/dev/null 2>&1 &
daemon=$!
trap 'kill $daemon 2>/dev/null' EXIT
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.2; done

# run NAME BINARY RATE: one download of the slice through a fresh proxy, one result line.
run() {
    local name=$1 build=$2 rate=$3
    rm -f "$work/out.idx" "$work/.out.idx.partial" "$work/proxy.port"
    PYTHONPATH=Tests/clients python3 -u -c "
import sys, time
from fault_proxy import FaultProxy
proxy = FaultProxy($port, fault_rate=$rate, seed=int(time.time()))
print(proxy.port, flush=True)
sys.stdin.read()
" < <(sleep 100000) > "$work/proxy.port" &
    local proxy=$!
    until [ -s "$work/proxy.port" ]; do sleep 0.1; done
    local load started elapsed
    load=$(cut -d' ' -f1 /proc/loadavg)
    started=$(date +%s.%N)
    /usr/bin/time -f %M -o "$work/rss.txt" "$build" download --quiet --uncompressed \
        --from "http://127.0.0.1:$(cat "$work/proxy.port")" -o "$work/out.idx" \
        --prefixes "00000-$last_prefix" 2> "$work/download.err" || { cat "$work/download.err"; kill $proxy; exit 1; }
    elapsed=$(python3 -c "print($(date +%s.%N) - $started)")
    kill $proxy; rm -f "$work/proxy.port"
    local digest retries
    digest=$("$binary" stats --json -i "$work/out.idx" | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["contentDigest"])')
    [ "$digest" = "$source_digest" ] || { echo "$name: digest $digest differs from the source's $source_digest"; exit 1; }
    retries=$(grep -o 'retries: [0-9,]*' "$work/download.err" | tr -d ',' | cut -d' ' -f2)
    python3 -c "print(f'$name\t$rate\t{$prefixes / $elapsed:.0f}\t{$elapsed:.1f}\t$retries\t$load\t{$(tail -1 "$work/rss.txt") // 1024}')" | tee -a "$work/results.tsv"
}

: > "$work/results.tsv"
echo -e "row\tfault rate\tranges/s\twall s\tretries\tload\tpeak RSS MB"
for round in $(seq "$runs"); do
    for rate in $rates; do
        run "after" "$binary" "$rate"
        [ -n "${BEFORE:-}" ] && run "before" "$BEFORE" "$rate"
    done
done
python3 - "$work/results.tsv" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, rate, per_second, *_ = line.rstrip("\n").split("\t")
    rows.setdefault((name, float(rate)), []).append(float(per_second))
for (name, rate), values in sorted(rows.items()):
    clean = statistics.median(rows.get((name, 0.0), values))
    median = statistics.median(values)
    print(f"{name}, {rate:.0%} faults: {median:.0f} ranges/s median of {len(values)} ({median / clean:.2f} of fault-free)")
PY
