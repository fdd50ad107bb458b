"""`--outbox-key-file`, the account store's secret key, as an operator meets it."""
import base64
import os
import stat
import subprocess

from daemon import BREACHDB, free_port, ingest, serving, wait_until_up


def serve_fails(*arguments, environment=None):
    return subprocess.run([BREACHDB, "serve", "--port", str(free_port()), *arguments], capture_output=True, text=True,
                          timeout=60, env={**os.environ, **(environment or {})})


def test_postgresql_without_a_key_file_is_refused_naming_the_option(tmp_path):
    index = str(tmp_path / "index.idx")
    ingest(index, 3)
    result = serve_fails("--index", index, "--accounts", "postgres://breachdb@127.0.0.1:1/accounts")
    assert result.returncode != 0
    assert "needs --outbox-key-file / BREACHDB_OUTBOX_KEY_FILE" in result.stderr, result.stderr


def test_a_key_file_that_holds_no_key_is_refused_naming_the_file(tmp_path):
    index = str(tmp_path / "index.idx")
    ingest(index, 3)
    bad = tmp_path / "outbox.key"
    bad.write_text("not a key\n")
    result = serve_fails("--index", index, "--accounts", f"sqlite:{tmp_path}/accounts.sqlite",
                         environment={"BREACHDB_OUTBOX_KEY_FILE": str(bad)})
    assert result.returncode != 0
    assert f"{bad}: not base64" in result.stderr and "openssl rand -base64 32" in result.stderr, result.stderr


def test_sqlite_without_a_key_file_makes_one_readable_by_its_owner_only(tmp_path):
    index = str(tmp_path / "index.idx")
    ingest(index, 3)
    port = free_port()
    with serving(["--index", index, "--port", str(port), "--accounts", f"sqlite:{tmp_path}/accounts.sqlite"]):
        wait_until_up(port)
    key = tmp_path / "accounts.sqlite.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert len(base64.b64decode(key.read_text().strip(), validate=True)) == 32
