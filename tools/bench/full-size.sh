#!/usr/bin/env bash
# The index at the real corpus's scale (docs/benchmarks.md, "Two billion hashes"). Run by
# hand, never in CI: about an hour on 2 cores and ≈38 GB of disk at two billion (≈11 GB
# with COMPACT=1).
#
# Streams a synthetic Pwned Passwords-shaped dump — Poisson bucket sizes around 1,907 a
# prefix, heavy-tailed counts, CRLF lines, sorted as the downloader writes them — from
# generate-dump into `breachdb ingest -` (no 80 GB text file), then measures `stats`,
# `verify`, in-process single and batch lookups (`run.sh lookups`) with the index cached,
# `check --sha1` of the same queries with the index's pages evicted and cached, and the
# time from starting `serve` to its first answer.
#
#   HASHES=2000000000  how many hashes (the default is the real corpus's size)
#   COMPACT=1          the compact, check-only format (`ingest --compact`) instead of the full one
#   WORK=/var/tmp/breachdb-full  where the index goes (≈19 bytes a hash full, ≈6 compact);
#                      an index already there (full.idx or compact.idx) is measured, not rebuilt
#   MEMORY=1G  ingest's --memory (sorted input streams through; RSS must stay under it)
# If WORK lacks room the script says so and runs the largest size that fits, down to
# one billion.
set -euo pipefail
cd "$(dirname "$0")/../.."
hashes=${HASHES:-2000000000}
work=${WORK:-/var/tmp/breachdb-full}
memory=${MEMORY:-1G}
port=${PORT:-18480}
mkdir -p "$work"
if [ "${COMPACT:-}" = 1 ]; then
    kind=compact compact=(--compact) tenths_a_hash=60  # ≈5.2 bytes a hash, and room for LMDB's last pages
else
    kind=full compact=() tenths_a_hash=195  # ≈18.5 bytes a hash
fi
index=$work/$kind.idx

# The binaries are copied, so that a rebuild during the hour the run takes cannot mix two.
swift build -c release --product breachdb >/dev/null
swift build -c release --product generate-dump >/dev/null
swift build -c release --package-path Benchmarks --product LookupTiming >/dev/null
mkdir -p "$work/bin"
cp "$(swift build -c release --show-bin-path)"/{breachdb,generate-dump} "$work/bin/"
cp "$(swift build -c release --package-path Benchmarks --show-bin-path)/LookupTiming" "$work/bin/"
bin=$work/bin
elapsed() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }
evict() { python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)' "$1"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "=== $(date -u +%FT%TZ) $(git rev-parse --short HEAD), $(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), load $(load)"
if [ -f "$index" ]; then
    echo "=== $index exists: measuring it (remove it to ingest again)"
    hashes=$("$bin/breachdb" stats --index "$index" --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["metadata"]["hashCount"])')
else
    available=$(df --output=avail -B1 "$work" | tail -1)
    wanted=$hashes
    while (( hashes * tenths_a_hash / 10 > available )); do
        hashes=$(( hashes - 100000000 ))
        if (( hashes < 1000000000 )); then
            echo "full-size: $work has $((available >> 30)) GiB free; one billion hashes need ≈$((tenths_a_hash / 10)) GB" >&2
            exit 1
        fi
    done
    (( hashes == wanted )) || echo "note: $work has room for $hashes hashes, not $wanted: running that size"
    echo "=== ingest of $hashes hashes streamed through standard input (--memory $memory ${compact[*]})"
    start=$(date +%s.%N)
    "$bin/generate-dump" --hashes "$hashes" --crlf \
        | /usr/bin/time -f "ingest: %e s wall, %U s user, %S s system, peak RSS %M KiB" \
            "$bin/breachdb" ingest --quiet "${compact[@]}" --memory "$memory" --output "$index" -
    seconds=$(elapsed "$start")
    awk -v h="$hashes" -v s="$seconds" 'BEGIN { printf "ingest: %d hashes in %.0f s = %.2f M lines/s\n", h, s, h / s / 1e6 }'
fi
bytes=$(stat -c %s "$index")
awk -v h="$hashes" -v b="$bytes" 'BEGIN { printf "index: %.2f GB = %.2f bytes/hash\n", b / 1e9, b / h }'

echo "=== stats"
"$bin/breachdb" stats --index "$index"

echo "=== verify (page cache cold)"
evict "$index"
start=$(date +%s.%N)
"$bin/breachdb" verify --index "$index"
seconds=$(elapsed "$start")
awk -v s="$seconds" -v b="$bytes" -v l="$(load)" 'BEGIN { printf "verify: %.0f s, %.0f MB/s, load %s\n", s, b / s / 1e6, l }'

queries=$work/queries.txt
if (( bytes < $(awk '/MemAvailable/ { printf "%d", $2 * 1024 }' /proc/meminfo) )); then
    echo "=== one dependent random read, and 2 to 32 interleaved (run.sh latency), through a huge-page map"
    # Evicts the file and reads it back through a map advised MADV_HUGEPAGE, so that the page
    # cache holds it in 2 MiB folios, as a daemon's map does once it has faulted it in.
    cc -O2 -o "$bin/memory-latency" tools/bench/memory-latency.c
    "$bin/memory-latency" "$index" huge
    echo "=== in-process lookups, the whole index cached (1,000,000 queries, half stored, 5 rounds)"
    "$bin/LookupTiming" "$index" 1000000 5 "$queries"
else
    echo "=== in-process lookups: skipped, the index does not fit in available memory (the queries only)"
    "$bin/LookupTiming" "$index" 1000000 1 "$queries" > /dev/null
fi

echo "=== check --sha1: the same 1,000,000 queries"
for state in evicted cached; do
    [ "$state" = evicted ] && evict "$index"
    [ "$state" = cached ] && cat "$index" > /dev/null
    start=$(date +%s.%N)
    /usr/bin/time -o "$work/check.time" -f "  %F major and %R minor page faults, %I blocks of 512 B read" \
        "$bin/breachdb" check --index "$index" --sha1 < "$queries" > "$work/answers.txt"
    present=$(grep -vc ':0$' "$work/answers.txt" || [ $? -eq 1 ])  # grep exits 1 when it counts none
    seconds=$(elapsed "$start")
    awk -v s="$seconds" -v t="$state" -v p="$present" -v l="$(load)" \
        'BEGIN { printf "check --sha1, pages %s: %.2f s = %.0f ns a hash (parse, open, lookup, format); %d present; load %s\n", t, s, s * 1e3, p, l }'
    cat "$work/check.time"
done
echo "page cache holds $(fincore --bytes --noheadings --output RES "$index") bytes of the index after the cached run"

echo "=== serve: time to the first answer (page cache as left above)"
start=$(date +%s.%N)
"$bin/breachdb" serve --index "$index" --port "$port" --reload-interval 0 > "$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
first=$(head -1 "$queries")
for attempt in $(seq 6000); do  # a minute at most
    curl -fs -o /dev/null -H 'Content-Type: application/json' -d "{\"sha1\": \"$first\"}" "http://127.0.0.1:$port/v1/check" && break
    kill -0 $server 2>/dev/null && (( attempt < 6000 )) || { cat "$work/serve.log"; exit 1; }
    sleep 0.01
done
echo "serve: first /v1/check answer $(elapsed "$start") s after start"
for _ in $(seq 36000); do curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 0.1; done
echo "serve: /readyz $(curl -s -o /dev/null -w %{http_code} "http://127.0.0.1:$port/readyz") $(elapsed "$start") s after start"
echo "serve: $(grep -E '^Rss(Anon|File)' /proc/$server/status | tr -s ' \t\n' ' ')(RssFile: the index's mapped pages)"
