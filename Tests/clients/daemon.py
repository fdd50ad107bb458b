"""`breachdb serve` started for the client tests: the built binary on a free loopback port."""
import contextlib
import os
import socket
import subprocess
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BREACHDB = os.environ.get("BREACHDB", os.path.join(ROOT, ".build", "debug", "breachdb"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(port):
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the daemon did not start")


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
