"""Issue 20, finding 4: under a thousand clients that send part of a request head and stall,
the daemon's descriptors and memory stay bounded by its connection caps, and a client from
another address is still served."""
import http.client
import os
import resource
import socket
import subprocess
import tempfile

import pytest

from daemon import BREACHDB, ROOT, free_port, ingest, serving, wait_for, wait_until_up

SLOW_CLIENTS = 1000
PER_ADDRESS = 100
TOTAL = 300
# Descriptors the daemon may open besides its connections' (a log, a thread's timer).
SLACK = 16
# Memory a held connection may cost, with room for the allocator's own growth.
MEMORY_PER_CONNECTION_KB = 64


def open_files(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def resident_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def slow_client(port, source):
    """A connection from `source` that sends half a request head, then nothing."""
    client = socket.socket()
    client.bind((source, 0))
    client.connect(("127.0.0.1", port))
    try:
        client.sendall(b"GET /range/5BAA6 HTTP/1.1\r\nHost: a\r\nAccept-Enc")
    except OSError:
        pass  # already closed by the daemon
    client.setblocking(False)
    return client


def closed_by_daemon(client):
    try:
        return client.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def served(port, source):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    try:
        connection.request("GET", "/range/5BAA6")
        response = connection.getresponse()
        return response.status == 200 and b"1E4C9B93F3F0682250B6CF8331B7EE68FD8:" in response.read()
    finally:
        connection.close()


@pytest.fixture
def daemon():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < 2 * SLOW_CLIENTS + 64:
        pytest.skip(f"the open-file limit ({hard}) is too low for {2 * SLOW_CLIENTS} clients")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with tempfile.TemporaryDirectory() as directory:
        index = os.path.join(directory, "sample.idx")
        subprocess.run([BREACHDB, "ingest", "--quiet", "-o", index, os.path.join(ROOT, "data/hibp-range/sha1")],
                       check=True)
        port = free_port()
        arguments = ["--index", index, "--port", str(port), "--max-connections", str(TOTAL),
                     "--max-connections-per-address", str(PER_ADDRESS)]
        with serving(arguments) as process:
            wait_until_up(port)
            yield process.pid, port
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_slow_clients_hold_no_more_than_the_caps_and_others_are_still_served(daemon):
    pid, port = daemon
    assert served(port, "127.0.0.2")
    files, memory = open_files(pid), resident_kb(pid)
    clients = []
    try:
        # From one address: the per-address cap holds all but PER_ADDRESS off.
        clients = [slow_client(port, "127.0.0.1") for _ in range(SLOW_CLIENTS)]
        assert wait_for(lambda: sum(map(closed_by_daemon, clients)) == SLOW_CLIENTS - PER_ADDRESS)
        assert open_files(pid) <= files + PER_ADDRESS + SLACK
        assert resident_kb(pid) <= memory + PER_ADDRESS * MEMORY_PER_CONNECTION_KB + 16_384
        assert served(port, "127.0.0.2"), "another address is served"

        # From ten addresses: the total cap holds the rest off.
        spread = [slow_client(port, f"127.0.0.{3 + n % 10}") for n in range(SLOW_CLIENTS)]
        clients += spread
        assert wait_for(lambda: sum(map(closed_by_daemon, spread)) == SLOW_CLIENTS - (TOTAL - PER_ADDRESS))
        assert open_files(pid) <= files + TOTAL + SLACK
        assert resident_kb(pid) <= memory + TOTAL * MEMORY_PER_CONNECTION_KB + 16_384
    finally:
        for client in clients:
            client.close()
    # Once they leave, their descriptors go and others are served again.
    assert wait_for(lambda: open_files(pid) <= files + SLACK)
    assert served(port, "127.0.0.2")


def test_the_caps_come_from_the_environment_and_a_negative_one_is_refused_naming_it(tmp_path):
    index = str(tmp_path / "index.idx")
    ingest(index, 7)
    result = subprocess.run([BREACHDB, "serve", "--index", index, "--port", str(free_port())],
                            env={**os.environ, "BREACHDB_MAX_CONNECTIONS": "-1"}, capture_output=True, text=True,
                            timeout=30)
    assert result.returncode != 0 and "--max-connections / BREACHDB_MAX_CONNECTIONS" in result.stderr
    port = free_port()
    with serving(["--index", index, "--port", str(port)], environment={"BREACHDB_MAX_CONNECTIONS_PER_ADDRESS": "1"}):
        wait_until_up(port)
        held = slow_client(port, "127.0.0.2")
        refused = slow_client(port, "127.0.0.2")
        try:
            assert wait_for(lambda: closed_by_daemon(refused))
            assert not closed_by_daemon(held)
            assert served(port, "127.0.0.3")
        finally:
            held.close()
            refused.close()
