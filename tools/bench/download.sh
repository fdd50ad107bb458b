#!/usr/bin/env bash
# Reproduces the download figures of docs/benchmarks.md: `breachdb download` of a slice at
# the real corpus's density (DENSE_PREFIXES prefixes × 1,907 hashes, ≈74 KB of range text
# each) on loopback, from two sources on this machine's cores:
#  - `breachdb serve --range-cache-mb 0` (every answer formatted, and compressed when asked),
#  - nginx serving the same answers as static files (plain, and .gz for gzip_static),
# with and without compression, RUNS rounds, each row's median at the end. Per run: MB/s of
# range text (wall), MB per CPU-second of the downloader, the source's CPU, the downloader's
# peak RSS, the time its threads were runnable but waiting for a CPU (schedstat), the load.
# BEFORE=/path/to/breachdb adds the same rows for another build, side by side; ROWS (a
# regular expression) keeps only the rows whose names match.
# ALL_RANGES=1 also times all 1,048,576 ranges of a 20M-hash index (ranges/s) from the daemon,
# then an in-place refresh of that download in which nothing changed (ranges/s, file untouched).
# Needs ≈4 GB in WORK (16,384 prefixes) and nginx; ports 18300–18303.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${WORK:-/tmp/breachdb-download-bench}
runs=${RUNS:-3}
dense_prefixes=${DENSE_PREFIXES:-16384}
last_prefix=$(printf '%05X' $((dense_prefixes - 1)))
mkdir -p "$work/www/range"
bin=$(swift build -c release --show-bin-path)
[ -f "$work/dense.idx" ] || "$bin/generate-dump" --hashes $((dense_prefixes * 1907)) --prefix-count "$dense_prefixes" | "$bin/breachdb" ingest --quiet -o "$work/dense.idx" -

"$bin/breachdb" serve --index "$work/dense.idx" --port 18301 --reload-interval 0 --range-cache-mb 0 >/dev/null 2>&1 &
daemon=$!
# One worker: the source should take as little of the shared cores as it can.
bash tools/bench/nginx-conf.sh "$work" 18302 1 "keepalive_requests 1000000;" > "$work/nginx.conf"
nginx -c "$work/nginx.conf"
trap 'kill $daemon; nginx -c "$work/nginx.conf" -s stop' EXIT
until curl -sf http://127.0.0.1:18301/healthz >/dev/null; do sleep 0.2; done

# nginx's copies of the daemon's answers, plain and gzip-compressed (level 6; the daemon sends Huffman-only gzip, 4 % smaller).
[ -f "$work/www/range/$last_prefix.gz" ] || python3 - "$work" "$dense_prefixes" <<'PY'
import gzip, http.client, sys
work, count = sys.argv[1], int(sys.argv[2])
connection = http.client.HTTPConnection("127.0.0.1", 18301)
for prefix in range(count):
    name = f"{prefix:05X}"
    connection.request("GET", f"/range/{name}")
    body = connection.getresponse().read()
    with open(f"{work}/www/range/{name}", "wb") as file: file.write(body)
    with open(f"{work}/www/range/{name}.gz", "wb") as file: file.write(gzip.compress(body, 6))
PY
text_bytes=$(cat "$work"/www/range/[0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F] | wc -c)
nginx_pids="$(cat "$work/nginx.pid") $(pgrep -P "$(cat "$work/nginx.pid")")"

cpu_ticks() { local t=0; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' /proc/$p/stat))); done; echo $t; }
# run NAME BINARY URL SOURCE_PIDS [arguments…]: one download of the slice, one result line.
run() {
    local name=$1 binary=$2 url=$3 pids=$4; shift 4
    [[ $name =~ ${ROWS:-.} ]] || return 0
    rm -f "$work/out.idx"
    local load before after
    load=$(cut -d' ' -f1 /proc/loadavg)
    before=$(cpu_ticks $pids)
    /usr/bin/time -f "%e %U %S %M" -o "$work/time.txt" "$binary" download --quiet --from "$url" -o "$work/out.idx" \
        --prefixes "00000-$last_prefix" "$@" 2> "$work/download.err" &
    local timer=$! pid=""
    until [ -n "$pid" ] || ! kill -0 $timer 2>/dev/null; do pid=$(pgrep -P $timer || true); done
    # Run-queue wait of every thread, read until the downloader exits.
    local waited=0
    while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do
        # The last reading taken while the threads were there counts.
        sample=$({ cat /proc/$pid/task/*/schedstat 2>/dev/null || true; } | awk '{w += $2; n++} END {if (n) printf "%.1f", w / 1e9}')
        waited=${sample:-$waited}
        sleep 0.2
    done
    wait $timer || { cat "$work/download.err"; exit 1; }
    after=$(cpu_ticks $pids)
    read -r wall user system rss < "$work/time.txt"
    python3 -c "
mb = $text_bytes / 1e6; cpu = $user + $system
print(f'$name\t{mb / $wall:.1f}\t{mb / cpu:.1f}\t{cpu:.1f}\t$wall\t{($after - $before) / 100:.1f}\t{$rss // 1024}\t$waited\t$load')" | tee -a "$work/results.tsv"
}

: > "$work/results.tsv"
echo -e "row\tMB/s wall\tMB per downloader CPU-s\tdownloader CPU s\twall s\tsource CPU s\tpeak RSS MB\trun-queue wait s\tload"
builds=("after $bin/breachdb")
[ -n "${BEFORE:-}" ] && builds=("before $BEFORE" "${builds[@]}")
for round in $(seq "$runs"); do
    for build in "${builds[@]}"; do
        set -- $build
        label=$1 binary=$2
        run "$label daemon, gzip/br" "$binary" http://127.0.0.1:18301 "$daemon"
        run "$label nginx, gzip" "$binary" http://127.0.0.1:18302 "$nginx_pids"
        if "$binary" download --help | grep -q -- --uncompressed; then
            run "$label daemon, --uncompressed" "$binary" http://127.0.0.1:18301 "$daemon" --uncompressed
            run "$label nginx, --uncompressed" "$binary" http://127.0.0.1:18302 "$nginx_pids" --uncompressed
        fi
    done
done
echo "medians over $runs rounds (digest of the last result: $("$bin/breachdb" stats --json -i "$work/out.idx" | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["contentDigest"])'), source: $("$bin/breachdb" stats --json -i "$work/dense.idx" | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["contentDigest"])'))"
python3 - "$work/results.tsv" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, *values = line.rstrip("\n").split("\t")
    rows.setdefault(name, []).append([float(v) for v in values])
for name, runs in rows.items():
    medians = [statistics.median(column) for column in zip(*runs)]
    print(f"{name}: {medians[0]:.1f} MB/s wall, {medians[1]:.1f} MB per downloader CPU-s, source CPU {medians[4]:.1f} s, "
          f"peak RSS {medians[5]:.0f} MB, run-queue wait {medians[6]:.1f} s, load {medians[7]:.1f}")
PY

if [ -n "${ALL_RANGES:-}" ]; then
    [ -f "$work/20m.idx" ] || "$bin/generate-dump" --hashes 20000000 | "$bin/breachdb" ingest --quiet -o "$work/20m.idx" -
    "$bin/breachdb" serve --index "$work/20m.idx" --port 18303 --reload-interval 0 >/dev/null 2>&1 &
    sparse=$!
    until curl -sf http://127.0.0.1:18303/healthz >/dev/null; do sleep 0.2; done
    rm -f "$work/out.idx"
    /usr/bin/time -f "downloader: peak RSS %M KB, CPU %U s user + %S s system" "$bin/breachdb" download --quiet \
        --from http://127.0.0.1:18303 -o "$work/out.idx" --uncompressed 2>&1 | grep -E "ranges/s|peak RSS"
    # Refreshed in place with nothing changed: every range a 304, the file left untouched.
    before=$(stat -c '%i %Y %s' "$work/out.idx")
    /usr/bin/time -f "downloader: peak RSS %M KB, CPU %U s user + %S s system" "$bin/breachdb" download --quiet \
        --from http://127.0.0.1:18303 -o "$work/out.idx" --base "$work/out.idx" 2>&1 | grep -E "nothing changed|peak RSS"
    echo "index file (inode, mtime, size) before: $before, after: $(stat -c '%i %Y %s' "$work/out.idx")"
    kill $sparse
fi
