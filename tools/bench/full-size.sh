#!/usr/bin/env bash
# The index at the real corpus's scale (docs/benchmarks.md, "Two billion hashes"). Run by
# hand, never in CI: about an hour on 2 cores and ≈38 GB of disk at two billion.
#
# Streams a synthetic Pwned Passwords-shaped dump — Poisson bucket sizes around 1,907 a
# prefix, heavy-tailed counts, CRLF lines, sorted as the downloader writes them — from
# generate-dump into `breachdb ingest -` (no 80 GB text file), then measures `stats`,
# `verify`, `check --sha1` with the index's pages evicted and cached, and the time from
# starting `serve` to its first answer.
#
#   HASHES=2000000000  how many hashes (the default is the real corpus's size)
#   WORK=/var/tmp/breachdb-full  where the index goes (it needs ≈19 bytes a hash)
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
index=$work/full.idx

# The index takes ≈18.5 bytes a hash; 19.5 leaves room for LMDB's last pages.
available=$(( $(df --output=avail -B1 "$work" | tail -1) + $( [ -f "$index" ] && stat -c %s "$index" || echo 0) ))
wanted=$hashes
while (( hashes * 39 / 2 > available )); do
    hashes=$(( hashes - 100000000 ))
    if (( hashes < 1000000000 )); then
        echo "full-size: $work has $((available >> 30)) GiB free; one billion hashes need ≈19 GB" >&2
        exit 1
    fi
done
(( hashes == wanted )) || echo "note: $work has room for $hashes hashes, not $wanted: running that size"

swift build -c release --product breachdb >/dev/null
swift build -c release --product generate-dump >/dev/null
# Copies, so that a rebuild during the hour the run takes cannot mix two binaries.
mkdir -p "$work/bin"
cp "$(swift build -c release --show-bin-path)"/{breachdb,generate-dump} "$work/bin/"
bin=$work/bin
elapsed() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }
evict() { python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)' "$1"; }

echo "=== $(date -u +%FT%TZ) $(git rev-parse --short HEAD), $(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
echo "=== ingest of $hashes hashes streamed through standard input (--memory $memory)"
start=$(date +%s.%N)
"$bin/generate-dump" --hashes "$hashes" --crlf \
    | /usr/bin/time -f "ingest: %e s wall, %U s user, %S s system, peak RSS %M KiB" \
        "$bin/breachdb" ingest --quiet --memory "$memory" --output "$index" -
seconds=$(elapsed "$start")
bytes=$(stat -c %s "$index")
awk -v h="$hashes" -v s="$seconds" -v b="$bytes" \
    'BEGIN { printf "ingest: %d hashes in %.0f s = %.2f M lines/s; index %.2f GB = %.2f bytes/hash\n", h, s, h / s / 1e6, b / 1e9, b / h }'

echo "=== stats"
"$bin/breachdb" stats --index "$index"

echo "=== verify (page cache cold: the writer drops its pages)"
evict "$index"
start=$(date +%s.%N)
"$bin/breachdb" verify --index "$index"
seconds=$(elapsed "$start")
awk -v s="$seconds" -v b="$bytes" 'BEGIN { printf "verify: %.0f s, %.0f MB/s\n", s, b / s / 1e6 }'

echo "=== check --sha1: 1,000,000 hashes, half present, in random order"
queries=$work/queries.txt
shuf -i 0-1048575 -n 400 --random-source=<(yes) | while read -r prefix; do
    "$bin/breachdb" range --index "$index" "$(printf %05X "$prefix")" | cut -c1-35 | sed "s/^/$(printf %05X "$prefix")/"
done | shuf -n 500000 --random-source=<(yes) > "$work/hits.txt"
"$bin/generate-dump" --hashes 500000 --style sha1 --unsorted --seed 99 | tr -d '\r' > "$work/misses.txt"
cat "$work/hits.txt" "$work/misses.txt" | shuf --random-source=<(yes) > "$queries"
present=$("$bin/breachdb" check --index "$index" --sha1 < "$queries" | grep -vc ':0$' || true)
echo "present: $present of 1000000 (500000 expected)"
for state in evicted cached; do
    [ "$state" = evicted ] && evict "$index"
    start=$(date +%s.%N)
    /usr/bin/time -f "  %F major and %R minor page faults, %I blocks of 512 B read" \
        "$bin/breachdb" check --index "$index" --sha1 < "$queries" > /dev/null
    seconds=$(elapsed "$start")
    awk -v s="$seconds" -v t="$state" 'BEGIN { printf "check --sha1, pages %s: %.2f s = %.0f ns a hash (parse, open, lookup, format)\n", t, s, s * 1e3 }'
done
echo "page cache holds $(fincore --bytes --noheadings --output RES "$index") bytes of the index after the cached run"

echo "=== serve: time to the first answer (page cache as left above)"
start=$(date +%s.%N)
"$bin/breachdb" serve --index "$index" --port "$port" --reload-interval 0 > "$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
until curl -fs -o /dev/null "http://127.0.0.1:$port/range/5BAA6"; do
    kill -0 $server 2>/dev/null || { cat "$work/serve.log"; exit 1; }
    sleep 0.01
done
echo "serve: first /range answer $(elapsed "$start") s after start"
for _ in $(seq 36000); do curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 0.1; done
echo "serve: /readyz $(curl -s -o /dev/null -w %{http_code} "http://127.0.0.1:$port/readyz") $(elapsed "$start") s after start"
echo "serve: $(grep -E '^Rss(Anon|File)' /proc/$server/status | tr -s ' \t\n' ' ')(RssFile: the index's mapped pages)"
