"""Operations of `breachdb serve` as an operator sees them: graceful shutdown finishes the
requests in flight, and replacing the index under load fails no request."""
import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request

from daemon import BREACHDB, free_port, ingest, serving, wait_until_up


@contextlib.contextmanager
def serve(index, port, *arguments):
    """`breachdb serve` of `index` on `port`, once it answers."""
    with serving(["--index", index, "--port", str(port), *arguments]) as daemon:
        wait_until_up(port)
        yield daemon


def test_sigterm_lets_a_request_in_flight_finish(tmp_path):
    index = str(tmp_path / "index.idx")
    ingest(index, 7)
    port = free_port()
    with serve(index, port) as daemon:
        body = b'{"password": "password"}'
        connection = socket.create_connection(("127.0.0.1", port), timeout=10)
        connection.sendall(b"POST /v1/check HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                           b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body[:10])
        time.sleep(0.3)
        daemon.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        connection.sendall(body[10:])
        response = b""
        while chunk := connection.recv(65536):
            response += chunk
        head, _, payload = response.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        assert json.loads(payload) == {"breached": True, "count": 7}
        assert daemon.wait(timeout=15) == 0


def test_replacing_the_index_under_load_fails_no_request(tmp_path):
    index = str(tmp_path / "index.idx")
    ingest(index, 1)
    port = free_port()
    failures, answers, stop = [], [], threading.Event()

    def load():
        while not stop.is_set():
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/check", method="POST",
                                                 data=b'{"sha1": "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"}',
                                                 headers={"Content-Type": "application/json"})
                answers.append(json.loads(urllib.request.urlopen(request, timeout=5).read())["count"])
                urllib.request.urlopen(f"http://127.0.0.1:{port}/range/5BAA6", timeout=5).read()
            except Exception as error:  # any failure at all counts
                failures.append(repr(error))

    with serve(index, port, "--reload-interval", "1") as daemon:
        workers = [threading.Thread(target=load, daemon=True) for _ in range(4)]
        for worker in workers:
            worker.start()
        for count in range(2, 6):  # four new indexes, each renamed over the served path
            ingest(index, count)
            daemon.send_signal(signal.SIGHUP)
            time.sleep(0.5)
        # A reload verifies the new file first: on a busy machine, allow it some seconds.
        for _ in range(150):
            if answers and answers[-1] == 5:
                break
            time.sleep(0.1)
        time.sleep(0.5)
        stop.set()
        for worker in workers:
            worker.join()
        assert failures == []
        assert len(answers) > 50
        assert answers[-1] == 5  # the last index is the one served
        assert set(answers) <= {1, 2, 3, 4, 5}


def test_readyz_says_ready_once_the_checksums_are_verified_and_metrics_count_them(tmp_path):
    index = str(tmp_path / "index.idx")
    ingest(index, 3)
    port = free_port()
    with serve(index, port):
        for _ in range(100):
            ready = urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5)
            body = ready.read().decode()
            if body == "ready\n":
                break
            assert ready.status == 200 and body.startswith("ready; checksums being verified")
            time.sleep(0.1)
        assert body == "ready\n"
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
        chunks = {line.split('state="')[1].split('"')[0]: float(line.split()[-1])
                  for line in metrics.splitlines()
                  if line.startswith("breachdb_index_checksum_chunks{") and f'path="{index}"' in line}
        assert chunks == {"verified": 256, "damaged": 0, "unchecked": 0}


def test_a_cut_off_index_is_refused_at_start_naming_the_file(tmp_path):
    index = str(tmp_path / "index.idx")
    ingest(index, 3)
    with open(index, "r+b") as file:  # an unfinished copy
        file.truncate(os.path.getsize(index) // 2)
    result = subprocess.run([BREACHDB, "serve", "--index", index, "--port", str(free_port())],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert index in result.stderr and "cut off" in result.stderr


def test_a_postgresql_that_is_down_ends_serve_naming_it_without_the_password(tmp_path):
    index = str(tmp_path / "index.idx")
    ingest(index, 3)
    down = f"postgres://breachdb:s3cret@127.0.0.1:{free_port()}/accounts?sslmode=disable"
    key = tmp_path / "outbox.key"
    key.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    # The pool gives up after its own retries (about a minute).
    result = subprocess.run([BREACHDB, "serve", "--index", index, "--port", str(free_port()), "--accounts", down,
                             "--outbox-key-file", str(key)],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert "--accounts: cannot connect to PostgreSQL at postgres://breachdb:***@127.0.0.1:" in last, last
    assert "s3cret" not in result.stderr
