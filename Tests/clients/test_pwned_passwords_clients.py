"""Real Pwned Passwords clients from PyPI against `breachdb serve` on loopback.

The clients are used unchanged but for their base URL. Run after the Swift build:
    python3 -m pytest Tests/clients
"""
import contextlib
import hashlib
import os
import socket
import subprocess
import tempfile
import time
import urllib.request

import pyhibp
import pyhibp.pwnedpasswords as pw
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BREACHDB = os.environ.get("BREACHDB", os.path.join(ROOT, ".build", "debug", "breachdb"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def start_server(arguments=()):
    """`breachdb serve` on a free loopback port over the real range file in data/."""
    with tempfile.TemporaryDirectory() as directory:
        index = os.path.join(directory, "sample.idx")
        subprocess.run([BREACHDB, "ingest", "--quiet", "-o", index, os.path.join(ROOT, "data/hibp-range/sha1")], check=True)
        port = free_port()
        process = subprocess.Popen([BREACHDB, "serve", "--index", index, "--port", str(port), *arguments],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}/"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        try:
            yield base
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def server():
    with start_server() as base:
        yield base


@pytest.fixture
def pyhibp_client(server, monkeypatch):
    pyhibp.set_user_agent(ua="breachdb-tests")
    monkeypatch.setattr(pw, "PWNED_PASSWORDS_API_BASE_URI", server)
    return pw


def test_pyhibp_finds_a_breached_password(pyhibp_client):
    assert pyhibp_client.is_password_breached(password="password") == 3861493


def test_pyhibp_finds_a_breached_password_with_padding(pyhibp_client):
    assert pyhibp_client.is_password_breached(password="password", add_padding=True) == 3861493


def test_pyhibp_reports_zero_for_an_unknown_password(pyhibp_client):
    assert pyhibp_client.is_password_breached(password="correct horse battery staple") == 0


def test_pyhibp_checks_a_sha1_hash(pyhibp_client):
    digest = hashlib.sha1(b"password").hexdigest()
    assert pyhibp_client.is_password_breached(sha1_hash=digest) == 3861493


def test_padded_rows_never_match_a_real_password(pyhibp_client):
    rows = pyhibp_client.suffix_search(hash_prefix="00000", add_padding=True)
    assert 800 <= len(rows) <= 1000
    assert all(row.endswith(":0") for row in rows)


def test_urllib3_decodes_the_brotli_range_answer(server):
    # urllib3 (under requests and most Python clients) asks for br once Brotli is installed.
    import urllib3
    assert "br" in urllib3.util.make_headers(accept_encoding=True)["accept-encoding"]
    response = urllib3.request("GET", server + "range/5BAA6", headers=urllib3.util.make_headers(accept_encoding=True))
    assert response.headers["Content-Encoding"] == "br"
    with open(os.path.join(ROOT, "data/hibp-range/sha1/5BAA6.txt"), "rb") as expected:
        assert response.data.split(b"\r\n") == expected.read().strip().replace(b"\r\n", b"\n").split(b"\n")
