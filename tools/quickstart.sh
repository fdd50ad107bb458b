#!/usr/bin/env bash
# Installs what BreachDB needs (Debian, as root), builds it, builds an index from the
# bundled sample in data/ and answers a few checks. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! pkg-config --exists lmdb libxxhash zlib libdeflate libbrotlidec libcrypto libargon2 2>/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq liblmdb-dev libxxhash-dev zlib1g-dev libdeflate-dev libbrotli-dev libssl-dev libargon2-dev pkg-config >/dev/null
fi

swift build -c release --product breachdb
bin=$(swift build -c release --show-bin-path)/breachdb
mkdir -p .build/sample

# Two real Pwned Passwords range responses, then the john-data password list merged
# on top (each listed password counts once more).
"$bin" ingest --quiet --output .build/sample/ranges.idx data/hibp-range/sha1
"$bin" ingest --output .build/sample/sample.idx --base .build/sample/ranges.idx \
    --format plaintext data/john-password.lst

echo "--- breachdb check: password, 123456 (in the sample), a passphrase (not)"
"$bin" check --index .build/sample/sample.idx password 123456 "correct horse battery staple"
echo "--- breachdb verify"
"$bin" verify --index .build/sample/sample.idx
