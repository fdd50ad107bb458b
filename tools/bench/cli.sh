#!/usr/bin/env bash
# `tools/bench/run.sh cli`: the CLI figures of docs/benchmarks.md: index size and ingest speed at
# 1M, 20M and 100M hashes and at full-scale density, ingest against a naive C
# converter, `check --sha1` against a C program over a flat sorted file.
# Needs ~10 GB free in WORK (default /tmp/breachdb-cli-bench) and hyperfine. BIN: a directory
# of release binaries to measure instead of building this checkout's (release-binaries.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${WORK:-/tmp/breachdb-cli-bench}
mkdir -p "$work"
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine >/dev/null
source tools/bench/release-binaries.sh
cc -O2 -o "$work/naive-convert" tools/bench/naive-convert.c
cc -O2 -o "$work/flat-check" tools/bench/flat-check.c

size() { stat -c %s "$1"; }
echo "| hashes | file bytes | bytes/hash | ingest s | lines/s |"
echo "|---|---|---|---|---|"
measure() {  # name, generate-dump arguments…
    local name=$1; shift
    [ -f "$work/$name.txt" ] || "$bin/generate-dump" "$@" -o "$work/$name.txt"
    local start end
    start=$(date +%s.%N)
    "$bin/breachdb" ingest --quiet -o "$work/$name.idx" "$work/$name.txt" 2>/dev/null
    end=$(date +%s.%N)
    local lines bytes
    lines=$(wc -l < "$work/$name.txt")
    bytes=$(size "$work/$name.idx")
    awk -v n="$name" -v h="$lines" -v b="$bytes" -v s="$start" -v e="$end" \
        'BEGIN { printf "| %s (%.0f) | %.0f | %.2f | %.2f | %.2fM |\n", n, h, b, b / h, e - s, h / (e - s) / 1e6 }'
}
measure 1m --hashes 1000000
measure 20m --hashes 20000000
measure 100m --hashes 100000000
# 16,384 prefixes at 1,907 hashes each: the density of two billion hashes.
measure full-density --hashes 31244288 --prefix-count 16384
rm -f "$work/100m.txt"

echo
echo "ingest of a sorted 20M-line dump against the naive C converter:"
hyperfine -w 1 -r 5 "$bin/breachdb ingest --quiet -o $work/h.idx $work/20m.txt" \
    "$work/naive-convert $work/20m.txt $work/flat20m.bin"

echo
echo "check --sha1 over 2M hashes (half present) against C over a flat sorted file:"
head -1000000 "$work/20m.txt" | cut -c1-40 > "$work/hits.txt"
"$bin/generate-dump" --hashes 1000000 --style sha1 --unsorted --seed 7 > "$work/misses.txt"
paste -d'\n' "$work/hits.txt" "$work/misses.txt" > "$work/queries.txt"
"$work/flat-check" "$work/flat20m.bin" < "$work/queries.txt" > "$work/c.out"
"$bin/breachdb" check --index "$work/20m.idx" --sha1 < "$work/queries.txt" > "$work/s.out"
cmp "$work/c.out" "$work/s.out" && echo "same answers"
hyperfine -w 1 -r 5 "$work/flat-check $work/flat20m.bin < $work/queries.txt > /dev/null" \
    "$bin/breachdb check --index $work/20m.idx --sha1 < $work/queries.txt > /dev/null"
