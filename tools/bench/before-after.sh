#!/usr/bin/env bash
# before-after.sh BEFORE_BIN AFTER_BIN: two release builds of the daemon and nginx side by
# side on one shared machine, the two builds' order alternated each round, ROUNDS times:
# /range over the prefixes of WORK/prefixes.txt plain, gzip and br, uniformly (MIXES="uniform
# zipf" adds a Zipf law's rows; nginx serving load.sh's files of WORK/www beside them),
# /healthz, /range refused (429) and POST /v1/check refused (401). Prints each run
# (requests/s, the server's CPU µs per answer, the load average) and a table of medians.
# WORK is a directory load.sh has filled (its dense index may be elsewhere: INDEX); free
# ports are picked, so it can run beside other servers.
# The /range rows go without padding unless PADDING=1 (range.lua sends Add-Padding then).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${WORK:-/tmp/breachdb-load}
index=${INDEX:-$work/dense.idx}
before=$1 after=$2
duration=${DURATION:-6} rounds=${ROUNDS:-3}
# Checked before anything starts, so that a misspelt mix does not stop the run rounds in.
for mix in ${MIXES:-uniform}; do
    case $mix in uniform | zipf) ;; *) echo "before-after.sh: MIXES takes uniform and zipf, not $mix" >&2; exit 2 ;; esac
done
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pn=$(free_port); pb=$(free_port); pa=$(free_port); prb=$(free_port); pra=$(free_port)
bash tools/bench/nginx-conf.sh "$work" "$pn" 2 > "$work/nginx.conf"
nginx -c "$work/nginx.conf"
"$before" serve --index "$index" --port "$pb" > "$work/before.log" 2>&1 & b=$!
"$after" serve --index "$index" --port "$pa" > "$work/after.log" 2>&1 & a=$!
"$before" serve --index "$index" --port "$prb" --rate-limit 1 --token-file "$work/tokens" > "$work/before-refusing.log" 2>&1 & rb=$!
"$after" serve --index "$index" --port "$pra" --rate-limit 1 --token-file "$work/tokens" > "$work/after-refusing.log" 2>&1 & ra=$!
trap 'kill $b $a $rb $ra; nginx -c "$work/nginx.conf" -s stop' EXIT
bash tools/bench/wait-verified.sh $pb $pa $prb $pra
nginx_workers=$(pgrep -P "$(cat "$work/nginx.pid")" | tr '\n' ' ')
results=$work/before-after.txt; : > "$results"
cpu_ticks() { local total=0 pid; for pid in "$@"; do total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat"))); done; echo "$total"; }
run() {  # name pids wrk-args…
    local name=$1 pids=$2; shift 2
    local t0 t1 output
    t0=$(cpu_ticks $pids)
    output=$(wrk -t1 -c32 -d"${duration}s" "$@")
    t1=$(cpu_ticks $pids)
    awk -v name="$name" -v ticks=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v load="$(cut -d' ' -f1 /proc/loadavg)" '
        / requests in / { requests = $1 } /Requests\/sec/ { rate = $2 }
        END { printf "%s\t%s\t%.1f\t%s\n", name, rate, ticks / hz * 1e6 / requests, load }' <<< "$output" | tee -a "$results"
}
export PREFIX_FILE=$work/prefixes.txt
for round in $(seq "$rounds"); do
    echo "== round $round"
    # nginx's files read into the page cache first, as a static server's would be: left out
    # by an eviction or a benchmark that dropped caches, nginx's rows would be disk reads
    # (seen: 2,000 against 18,000 requests/s).
    find "$work/www" -type f -exec cat {} + > /dev/null
    for mix in ${MIXES:-uniform}; do
        export MIX=$mix
        for enc in plain gzip br; do
            if [ $enc = plain ]; then unset ENCODING; else export ENCODING=$enc; fi
            PATH_PREFIX=/dense/ run "nginx $mix $enc" "$nginx_workers" -s "$work/range.lua" http://127.0.0.1:$pn
            if [ $((round % 2)) = 1 ]; then
                run "before $mix $enc" "$b" -s "$work/range.lua" http://127.0.0.1:$pb
                run "after $mix $enc" "$a" -s "$work/range.lua" http://127.0.0.1:$pa
            else
                run "after $mix $enc" "$a" -s "$work/range.lua" http://127.0.0.1:$pa
                run "before $mix $enc" "$b" -s "$work/range.lua" http://127.0.0.1:$pb
            fi
        done
    done
    export MIX=uniform
    unset ENCODING
    run "before /healthz" "$b" http://127.0.0.1:$pb/healthz
    run "after /healthz" "$a" http://127.0.0.1:$pa/healthz
    run "before 429" "$rb" -s "$work/range.lua" http://127.0.0.1:$prb
    run "after 429" "$ra" -s "$work/range.lua" http://127.0.0.1:$pra
    run "before 401" "$rb" -s "$work/check.lua" http://127.0.0.1:$prb/v1/check
    run "after 401" "$ra" -s "$work/check.lua" http://127.0.0.1:$pra/v1/check
done
python3 - "$results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, rate, micros, load = line.rstrip("\n").split("\t")
    rows.setdefault(name, []).append((float(rate), float(micros), load))
print("| row | requests/s median (runs) | CPU µs/answer median (runs) | load |")
print("|---|---|---|---|")
for name, runs in rows.items():
    r = statistics.median(x[0] for x in runs); c = statistics.median(x[1] for x in runs)
    print(f"| {name} | {r:,.0f} ({'; '.join(f'{x[0]:,.0f}' for x in runs)}) | {c:.0f} ({'; '.join(f'{x[1]:.0f}' for x in runs)}) | {', '.join(x[2] for x in runs)} |")
PY
