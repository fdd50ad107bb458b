# Sourced by the benchmark scripts (from the repository's root): sets `bin` to a directory
# holding release builds of breachdb and generate-dump: $BIN when given (built already, no
# swift build), else this checkout's, built now.
if [ -n "${BIN:-}" ]; then
    bin=$BIN
else
    swift build -c release --product breachdb >/dev/null
    swift build -c release --product generate-dump >/dev/null
    bin=$(swift build -c release --show-bin-path)
fi
