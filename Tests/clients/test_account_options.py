"""`breachdb serve --accounts` options for the mail and SMS transports, as an operator
meets them: the SMTP password from a file (`--smtp-password-file`), and a warning when an
SMS webhook's bearer token would cross the network in plain text."""
import base64
import os
import subprocess
import time
import urllib.request

from daemon import BREACHDB, free_port, ingest


def start(tmp_path, *arguments):
    index = str(tmp_path / "index.idx")
    if not os.path.exists(index):
        ingest(index, 7)
    port = free_port()
    process = subprocess.Popen(
        [BREACHDB, "serve", "--index", index, "--port", str(port), "--no-pages",
         "--accounts", f"sqlite:{tmp_path}/accounts.sqlite", *arguments],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return port, process


def up(port, process):
    """Whether the daemon answers /healthz (False when it exited first)."""
    for _ in range(100):
        if process.poll() is not None:
            return False
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return True
        except OSError:
            time.sleep(0.1)
    return False


def stop(process):
    if process.poll() is None:
        process.terminate()
    output, _ = process.communicate(timeout=15)
    return output


def refusal(tmp_path, *arguments):
    """The exit status and output of a start that must fail."""
    port, process = start(tmp_path, *arguments)
    output, _ = process.communicate(timeout=60)
    return process.returncode, output


SMTP = ["--smtp-url", "smtp://mailer@127.0.0.1:1", "--smtp-plaintext-loopback"]


def test_an_smtp_password_file_with_a_trailing_newline_is_one_password(tmp_path):
    secret = tmp_path / "smtp-password"
    secret.write_text("s3cret with spaces\n")
    port, process = start(tmp_path, *SMTP, "--smtp-password-file", str(secret))
    try:
        assert up(port, process)
    finally:
        output = stop(process)
    assert "s3cret" not in output


def test_an_unreadable_smtp_password_file_is_named(tmp_path):
    missing = str(tmp_path / "no-such-file")
    status, output = refusal(tmp_path, *SMTP, "--smtp-password-file", missing)
    assert status != 0
    assert f"--smtp-password-file / BREACHDB_SMTP_PASSWORD_FILE: cannot read {missing}" in output


def test_an_smtp_password_file_of_two_lines_or_without_a_user_is_refused(tmp_path):
    secret = tmp_path / "smtp-password"
    secret.write_text("first\nsecond\n")
    status, output = refusal(tmp_path, *SMTP, "--smtp-password-file", str(secret))
    assert status != 0 and f"{secret} holds more than one line" in output
    assert "first" not in output.replace(str(secret), "")
    secret.write_text("only\n")
    status, output = refusal(tmp_path, "--smtp-url", "smtp://127.0.0.1:1", "--smtp-plaintext-loopback",
                             "--smtp-password-file", str(secret))
    assert status != 0 and "names no user" in output
    status, output = refusal(tmp_path, "--smtp-url", "smtp://mailer:inline@127.0.0.1:1", "--smtp-plaintext-loopback",
                             "--smtp-password-file", str(secret))
    assert status != 0 and "already holds a password" in output


def test_a_bearer_token_to_a_plain_http_sms_webhook_is_warned_about(tmp_path):
    token = tmp_path / "sms-token"
    token.write_text("gateway-token\n")
    warned = "plain http:// to a host that is not loopback"
    for webhook, warns in [("http://192.0.2.10/send", True), ("http://127.0.0.1:9/send", False),
                           ("https://sms.example.com/send", False)]:
        port, process = start(tmp_path, *SMTP, "--sms-webhook", webhook, "--sms-webhook-token-file", str(token))
        try:
            assert up(port, process)
        finally:
            output = stop(process)
        assert (warned in output) == warns, (webhook, output)
        assert "gateway-token" not in output


def test_sigterm_while_postgresql_is_unreachable_at_start_ends_promptly(tmp_path):
    unreachable = f"postgres://breachdb:breachdb@127.0.0.1:{free_port()}/nothing?sslmode=disable"
    index = str(tmp_path / "index.idx")
    ingest(index, 7)
    key = tmp_path / "outbox.key"  # PostgreSQL stores need the nodes' shared key
    key.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    process = subprocess.Popen([BREACHDB, "serve", "--index", index, "--port", str(free_port()), "--no-pages",
                                "--accounts", unreachable, "--outbox-key-file", str(key)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(3)
    assert process.poll() is None, "the daemon should still be waiting for PostgreSQL"
    started = time.monotonic()
    process.terminate()
    output, _ = process.communicate(timeout=60)
    assert time.monotonic() - started < 10, output
    assert "breachdb:breachdb@" not in output
