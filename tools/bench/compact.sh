#!/usr/bin/env bash
# The compact format, export and stdin batch checks on a slice of the two-billion set at
# its density (docs/benchmarks.md, "Compact index, export and batch lookups"): index sizes
# full vs compact, compaction and verify time, export MB/s, false positives among random
# non-members in the same prefixes (whose rate per query equals the full set's), and
# `check --sha1` over 1,000,000 queries on both formats. In-process single vs batch
# lookups are in the benchmark suite (IndexBenchmarks).
#
#   HASHES=124977152 PREFIXES=65536   65,536 prefixes × 1,907 hashes (≈2.2 GB full index)
#   NONMEMBERS=100000000              random non-members checked for false positives
#   WORK=/var/tmp/breachdb-compact    needs ≈ 8 GB at the default size
#   BIN=DIR                           release binaries already built (no swift build)
set -euo pipefail
cd "$(dirname "$0")/../.."
hashes=${HASHES:-124977152}
prefixes=${PREFIXES:-65536}
nonmembers=${NONMEMBERS:-100000000}
work=${WORK:-/var/tmp/breachdb-compact}
mkdir -p "$work"
source tools/bench/release-binaries.sh
elapsed() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }'; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "=== $(date -u +%FT%TZ) $(git rev-parse --short HEAD), $hashes hashes in $prefixes prefixes, load $(load)"
if [ ! -f "$work/full.idx" ]; then
    "$bin/generate-dump" --hashes "$hashes" --prefix-count "$prefixes" --crlf | "$bin/breachdb" ingest --quiet -o "$work/full.idx" -
fi
start=$(date +%s.%N)
"$bin/breachdb" compact --quiet --index "$work/full.idx" --output "$work/compact.idx"
echo "compact: $(elapsed "$start") s, load $(load)"
for f in full compact; do
    awk -v f="$f" -v b="$(stat -c %s "$work/$f.idx")" -v h="$hashes" 'BEGIN { printf "%s: %d bytes = %.3f bytes/hash\n", f, b, b / h }'
done
"$bin/breachdb" stats --index "$work/compact.idx" | grep -E "format|false|hashes"
start=$(date +%s.%N)
"$bin/breachdb" verify --index "$work/compact.idx"
echo "verify compact: $(elapsed "$start") s, load $(load)"

echo "=== export (3 runs each; the file is removed between runs)"
for run in 1 2 3; do
    start=$(date +%s.%N)
    "$bin/breachdb" export --index "$work/full.idx" > /dev/null 2> "$work/export.log"
    echo "to /dev/null: $(elapsed "$start") s; $(cat "$work/export.log"); load $(load)"
    start=$(date +%s.%N)
    "$bin/breachdb" export --index "$work/full.idx" --output "$work/export.txt" 2> "$work/export.log"
    echo "to a file (synced): $(elapsed "$start") s; $(cat "$work/export.log"); load $(load)"
    [ "$run" = 3 ] || rm -f "$work/export.txt"
done
echo "round trip: ingest the export, export again, compare"
"$bin/breachdb" ingest --quiet -o "$work/again.idx" "$work/export.txt"
"$bin/breachdb" export --index "$work/again.idx" 2>/dev/null | cmp - "$work/export.txt" && echo "byte-identical"
rm -f "$work/export.txt" "$work/again.idx"

echo "=== false positives: $nonmembers random hashes in the same $prefixes prefixes (another seed)"
for f in compact full; do
    start=$(date +%s.%N)
    positives=$("$bin/generate-dump" --hashes "$nonmembers" --prefix-count "$prefixes" --style sha1 --seed 77 \
        | "$bin/breachdb" check --index "$work/$f.idx" --sha1 | grep -vc ':0$' || true)
    echo "$f: $positives reported present of $nonmembers ($(elapsed "$start") s), load $(load)"
done

echo "=== check --sha1: 1,000,000 queries, half present, random order (3 runs each)"
queries=$work/queries.txt
if [ ! -f "$queries" ]; then
    "$bin/breachdb" export --index "$work/full.idx" 2>/dev/null | cut -d: -f1 | shuf -n 500000 --random-source=<(yes) > "$work/hits.txt"
    "$bin/generate-dump" --hashes 500000 --prefix-count "$prefixes" --style sha1 --seed 99 > "$work/misses.txt"
    cat "$work/hits.txt" "$work/misses.txt" | shuf --random-source=<(yes) > "$queries"
fi
for f in full compact; do
    "$bin/breachdb" check --index "$work/$f.idx" --sha1 < "$queries" | md5sum
    for run in 1 2 3; do
        start=$(date +%s.%N)
        "$bin/breachdb" check --index "$work/$f.idx" --sha1 < "$queries" > /dev/null
        echo "$f: $(elapsed "$start") s, load $(load)"
    done
done
