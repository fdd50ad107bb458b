#!/usr/bin/env bash
# wait-verified.sh PORT…: waits until `breachdb serve` on each 127.0.0.1:PORT is ready and has
# verified its index's checksums (/readyz says "ready" without "checksums being verified"), so
# that a benchmark's first round does not share the CPU with the verification (a cold page
# cache makes it read the whole file). Gives up after WAIT_SECONDS (600) with the last answer.
set -euo pipefail
limit=${WAIT_SECONDS:-600}
for port in "$@"; do
    start=$SECONDS answer=""
    while :; do
        answer=$(curl -fsS "http://127.0.0.1:$port/readyz" 2>/dev/null || true)
        [[ $answer == ready* && $answer != *"being verified"* ]] && break
        if ((SECONDS - start >= limit)); then
            echo "wait-verified.sh: port $port not verified after $limit s; /readyz said: ${answer:-nothing}" >&2
            exit 1
        fi
        sleep 0.5
    done
done
