#!/usr/bin/env bash
# Reproduces the download figures of docs/benchmarks.md: `breachdb download` from
# `breachdb serve` on loopback (both on this machine's cores), three runs each of
#  - all 1,048,576 ranges of a 20M-hash index (ranges/s),
#  - 65,536 prefixes at the real corpus's density, ≈1,907 hashes each (MB/s of range text),
# with the downloader's peak RSS (/usr/bin/time). Needs ~8 GB free in WORK and a release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${WORK:-/tmp/breachdb-download-bench}
runs=${RUNS:-3}
mkdir -p "$work"
bin=$(swift build -c release --show-bin-path)
[ -f "$work/20m.idx" ] || "$bin/generate-dump" --hashes 20000000 | "$bin/breachdb" ingest --quiet -o "$work/20m.idx" -
[ -f "$work/dense.idx" ] || "$bin/generate-dump" --hashes 124977152 --prefix-count 65536 | "$bin/breachdb" ingest --quiet -o "$work/dense.idx" -

port=18181
measure() {  # name, index to serve, download arguments…
    local name=$1 index=$2; shift 2
    "$bin/breachdb" serve --index "$index" --port $port --reload-interval 0 >/dev/null 2>&1 &
    local daemon=$!
    until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.2; done
    for run in $(seq "$runs"); do
        rm -f "$work/out.idx"
        /usr/bin/time -f "downloader: peak RSS %M KB, CPU %U s user + %S s system" "$bin/breachdb" download --quiet --from "http://127.0.0.1:$port" -o "$work/out.idx" "$@" 2>&1 \
            | grep -E "ranges/s|peak RSS" | sed "s/^/$name run $run: /"
    done
    kill $daemon
    wait $daemon 2>/dev/null || true
}
measure all-ranges-20m "$work/20m.idx"
measure dense-slice "$work/dense.idx" --prefixes 00000-0FFFF
