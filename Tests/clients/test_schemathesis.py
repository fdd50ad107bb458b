"""Schemathesis (PyPI) fuzzes every operation of docs/openapi.yaml against a live
`breachdb serve --accounts`: no answer may be a 5xx, and every answer must be one the
document allows (status, content type, headers, body schema). Bounded: a fixed number
of examples per operation and a time budget, so it takes a few minutes at most."""
import os
import subprocess
import sys

from daemon import ROOT, start_server

ADMIN_TOKEN = "test-admin-token"
CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
])


def test_the_api_answers_every_generated_request_as_documented(tmp_path):
    tokens = tmp_path / "admin"
    tokens.write_text(ADMIN_TOKEN + "\n")
    accounts = tmp_path / "accounts.sqlite"
    with start_server(["--admin-token-file", str(tokens), "--accounts", f"sqlite:{accounts}"]) as base:
        run = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "run", os.path.join(ROOT, "docs", "openapi.yaml"),
             "--url", base.rstrip("/"), "--checks", CHECKS, "--phases", "examples,coverage,fuzzing",
             "--max-examples", "20", "--max-time", "150", "--workers", "1", "--seed", "15",
             "--request-timeout", "30", "--header", f"Authorization: Bearer {ADMIN_TOKEN}", "--no-color"],
            # Its example database and reports go to the test's directory, not the clone.
            capture_output=True, text=True, timeout=300, cwd=tmp_path)
    # The report's failures and errors come before its summary.
    report = run.stdout[run.stdout.find("===================================="):]
    assert run.returncode == 0, report[:12000] + run.stderr[-2000:]
