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


def wait_for(condition, seconds=15):
    """Whether `condition()` turns true within `seconds`, asked every 50 ms."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def ingest(index, count):
    """An index of one hash, the SHA-1 of "password", seen `count` times."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as dump:
        dump.write(f"5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:{count}\n")
    subprocess.run([BREACHDB, "ingest", "--quiet", "-o", index, dump.name], check=True)
    os.unlink(dump.name)


@contextlib.contextmanager
def serving(arguments, environment=None, log=subprocess.DEVNULL):
    """`breachdb serve ARGUMENTS` (with `environment` added, its log to the file `log`), stopped
    with SIGTERM when the block ends."""
    process = subprocess.Popen([BREACHDB, "serve", *arguments], env={**os.environ, **(environment or {})},
                               stdout=subprocess.DEVNULL, stderr=log)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=15)


@contextlib.contextmanager
def start_server(arguments=()):
    """`breachdb serve` on a free loopback port over the real range file in data/."""
    with tempfile.TemporaryDirectory() as directory:
        index = os.path.join(directory, "sample.idx")
        subprocess.run([BREACHDB, "ingest", "--quiet", "-o", index, os.path.join(ROOT, "data/hibp-range/sha1")], check=True)
        port = free_port()
        with serving(["--index", index, "--port", str(port), *arguments]):
            wait_until_up(port)
            yield f"http://127.0.0.1:{port}/"
