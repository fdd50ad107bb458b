#!/usr/bin/env bash
# The one way to run a benchmark of docs/benchmarks.md: tools/bench/run.sh NAME [ARGUMENTS].
# Release builds, by hand, never in CI (each takes minutes to an hour). Every row of
# docs/benchmarks.md names the NAME (and environment) that produced it.
set -euo pipefail
cd "$(dirname "$0")/../.."
name=${1:-}
[ $# -gt 0 ] && shift
case "$name" in
    index)      # in-process lookups (ordo-one/benchmark, the Benchmarks package); `index thresholds check` against the committed ones
        cd Benchmarks && exec swift package --disable-sandbox --allow-writing-to-package-directory benchmark "$@" --target IndexBenchmarks ;;
    lookups)    # single against batch lookups on an existing index: lookups [--uniform | --cached PREFIXES] INDEX [QUERIES] [ROUNDS] [QUERYFILE]
        exec swift run -c release --package-path Benchmarks LookupTiming "$@" ;;
    floor)      # the range formatter's floor: floor INDEX PREFIXES
        exec swift run -c release --package-path Benchmarks RangeFormatterFloor "$@" ;;
    signin)     # sign-in time, unknown login vs wrong password (SQLite, the default Argon2 cost): signin [ROUNDS]
        exec swift run -c release --package-path Benchmarks SignInTiming "$@" ;;
    cli)        # index size, ingest speed, check against C baselines (WORK, ~10 GB)
        exec bash tools/bench/cli.sh "$@" ;;
    compact)    # the compact index: size, export speed, false positives, check (HASHES, PREFIXES, BIN)
        exec bash tools/bench/compact.sh "$@" ;;
    load)       # the daemon against nginx under wrk (PREFIXES, DURATION, ROUNDS, …)
        exec bash tools/bench/load.sh "$@" ;;
    before-after)  # two release daemons and nginx side by side, alternated: before-after BEFORE_BIN AFTER_BIN (WORK of load, INDEX, ROUNDS, DURATION, MIXES)
        exec bash tools/bench/before-after.sh "$@" ;;
    download)   # breachdb download against nginx, plain and compressed
        exec bash tools/bench/download.sh "$@" ;;
    download-faults)  # breachdb download through the fault proxy at each of RATES (BINARY, SERVER, PREFIXES, RUNS)
        exec bash tools/bench/download-faults.sh "$@" ;;
    startup)    # start-up, reload, background verification
        exec bash tools/bench/startup.sh "$@" ;;
    full-size)  # two billion hashes (about an hour, ≈38 GB of disk)
        exec bash tools/bench/full-size.sh "$@" ;;
    memory)     # the daemon's RssAnon under pipelined requests: memory BINARY INDEX PORT REQUESTS CONNECTIONS
        exec python3 tools/bench/memory-probe.py "$@" ;;
    latency)    # one dependent random read in an index's map, then 2–32 interleaved: latency INDEX [huge]
        cc -O2 -o /tmp/breachdb-memory-latency tools/bench/memory-latency.c
        exec /tmp/breachdb-memory-latency "$@" ;;
    *)
        sed -n '/^case/,/^esac/p' "$0" | grep -E '^    [a-z-]+\)' | sed 's/^    /  /; s/)  *#/ —/'
        echo "usage: tools/bench/run.sh NAME [ARGUMENTS]" >&2
        exit 2 ;;
esac
