"""How an operator configures `breachdb serve`: a JSON config file, the environment over
it, the command line over both; a Unix domain socket instead of a port."""
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request

from daemon import BREACHDB, free_port, ingest, serving, wait_until_up


def check(port, body):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/check", method="POST", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_config_file_supplies_the_settings(tmp_path):
    index = str(tmp_path / "index.idx")
    ingest(index, 7)
    port = free_port()
    config = tmp_path / "breachdb.json"
    config.write_text(json.dumps({"index": index, "port": port, "no-plaintext": True}))
    with serving(["--config", str(config)]):
        wait_until_up(port)
        assert check(port, {"sha1": "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"}) == (200, {"breached": True, "count": 7})
        status, body = check(port, {"password": "password"})
        assert (status, body["error"]["code"]) == (400, "plaintext_disabled")


def test_the_environment_wins_over_the_file_and_the_command_line_over_both(tmp_path):
    index = str(tmp_path / "index.idx")
    ingest(index, 7)
    file_port, environment_port, command_line_port = free_port(), free_port(), free_port()
    config = tmp_path / "breachdb.json"
    config.write_text(json.dumps({"index": index, "port": file_port}))
    with serving(["--port", str(command_line_port)], {"BREACHDB_CONFIG": str(config), "BREACHDB_PORT": str(environment_port)}):
        wait_until_up(command_line_port)
    with serving([], {"BREACHDB_CONFIG": str(config), "BREACHDB_PORT": str(environment_port)}):
        wait_until_up(environment_port)


def test_a_setting_that_is_not_one_is_refused_naming_the_file_and_key(tmp_path):
    config = tmp_path / "breachdb.json"
    config.write_text(json.dumps({"index": "x.idx", "tls-cert": "cert.pem"}))
    result = subprocess.run([BREACHDB, "serve", "--config", str(config)], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert str(config) in result.stderr and '"tls-cert" is not a setting' in result.stderr


def test_a_bad_value_in_the_environment_is_refused_naming_the_variable(tmp_path):
    result = subprocess.run([BREACHDB, "serve", "--index", "x.idx"], env={**os.environ, "BREACHDB_PORT": "eighty"},
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "BREACHDB_PORT: not a whole number" in result.stderr


def test_a_range_cache_larger_than_memory_can_address_is_refused_naming_the_option(tmp_path):
    index = str(tmp_path / "index.idx")
    ingest(index, 7)
    result = subprocess.run([BREACHDB, "serve", "--index", index, "--port", str(free_port()),
                             "--range-cache-mb", str(2 ** 62)], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "--range-cache-mb" in result.stderr and "more megabytes than memory can hold" in result.stderr


def wait_until_listening(path):
    """The socket file appears at bind(), before listen(): wait for a connection to succeed."""
    for _ in range(100):
        try:
            with socket.socket(socket.AF_UNIX) as probe:
                probe.connect(path)
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on {path} after 10 s")


def test_a_unix_socket_serves_the_same_api(tmp_path):
    index = str(tmp_path / "index.idx")
    ingest(index, 7)
    path = str(tmp_path / "breachdb.sock")
    with serving(["--index", index, "--unix-socket", path]):
        wait_until_listening(path)
        with socket.socket(socket.AF_UNIX) as connection:
            connection.settimeout(10)
            connection.connect(path)
            connection.sendall(b"GET /range/5baa6 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            response = b""
            while chunk := connection.recv(65536):
                response += chunk
        head, _, body = response.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        assert body == b"1E4C9B93F3F0682250B6CF8331B7EE68FD8:7"


def test_behind_a_proxy_on_the_unix_socket_each_forwarded_client_has_its_own_rate_limit(tmp_path):
    index = str(tmp_path / "index.idx")
    ingest(index, 7)
    path = str(tmp_path / "breachdb.sock")

    def status(forwarded_for):
        with socket.socket(socket.AF_UNIX) as connection:
            connection.settimeout(10)
            connection.connect(path)
            connection.sendall(b"GET /range/5BAA6 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                               b"X-Forwarded-For: " + forwarded_for + b"\r\n\r\n")
            return int(connection.recv(65536).split(b" ")[1])
    with serving(["--index", index, "--unix-socket", path, "--rate-limit", "0.01", "--trusted-proxies", "unix"]):
        wait_until_listening(path)
        assert [status(b"203.0.113.9"), status(b"2001:db8::1"), status(b"203.0.113.9")] == [200, 200, 429]


def test_a_trusted_proxy_that_is_not_an_address_is_refused_naming_it():
    result = subprocess.run([BREACHDB, "serve", "--index", "x.idx"], env={**os.environ, "BREACHDB_TRUSTED_PROXIES": "10.0.0.0/8, lb.internal"},
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert 'BREACHDB_TRUSTED_PROXIES: "lb.internal" is not an address' in result.stderr
