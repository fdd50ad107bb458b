"""An HTTP proxy for the download tests: forwards `GET /range/...` to a `breachdb serve`,
counts every request by prefix, and injects faults on chosen prefixes (once each, or on
every attempt) so that the downloader's retries can be checked against a fault-free run.
Besides faults of the network and the server it plays hostile or odd sources: an empty
200, a body trickled a byte at a time, a body with one digit changed, a gzip bomb,
redirects elsewhere or in a loop, the public API's padding order, and TLS (optionally
asking for a client certificate)."""
import base64
import gzip
import hashlib
import http.client
import http.server
import random
import re
import socket
import threading
import time

FAULTS = ("drop", "503", "429", "truncate", "garble", "stall")
# Also, named in `faults` only: "empty", "trickle", "flip" (one digit changed, digest kept),
# "strip-digest", "bomb", "redirect-away" (another host), "redirect-loop", "redirect-here"
# (same origin), "429-for-an-hour".
_BOMB = []


def bomb():
    """64 MiB of zeros, gzipped: ≈ 64 KB on the wire."""
    if not _BOMB:
        _BOMB.append(gzip.compress(b"0" * (64 << 20), compresslevel=9))
    return _BOMB[0]


class FaultProxy:
    """`faults` maps a prefix (5 hex digits) to a fault name; with `always`, the fault is
    injected on every attempt instead of the first only."""

    def __init__(self, upstream_port, faults=None, always=False, accept_encoding=None, delay=0.0, stall_seconds=3.0,
                 trickle_seconds=1.0, public_padding=False, tls=None, fault_rate=0.0, seed=1, digests=True):
        self.upstream_port = upstream_port
        self.faults = dict(faults or {})
        self.always = always
        self.accept_encoding = accept_encoding
        self.delay = delay
        self.stall_seconds = stall_seconds
        self.trickle_seconds = trickle_seconds
        # Padded answers reshaped as the public API sends them: real rows sorted, then the
        # count-0 rows shuffled (needs identity bodies: pass accept_encoding="identity").
        self.public_padding = public_padding
        # Each request gets a random fault of FAULTS with this probability (benchmarks).
        self.fault_rate = fault_rate
        self.random = random.Random(seed)
        self.paths = []             # request paths with their queries
        self.digests = digests      # False: Repr-Digest removed, as from a server that sends none
        self.lock = threading.Lock()
        self.requests = []          # prefixes, in arrival order
        self.statuses = {}          # prefix -> list of upstream statuses forwarded
        self.encodings = set()      # Content-Encoding values forwarded
        self.request_headers = []   # headers of each request
        self.injected = []          # (prefix, fault)
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *arguments):
                pass

            def do_GET(self):
                proxy.handle(self)

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a client that gave up on a stalled or faulty answer closes its end: expected here

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        if tls:  # an ssl.SSLContext for the server side
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.local = threading.local()
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        self.close()

    def upstream(self):
        if getattr(self.local, "connection", None) is None:
            self.local.connection = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=30)
        return self.local.connection

    def count(self, prefix):
        with self.lock:
            return self.requests.count(prefix)

    def handle(self, handler):
        match = re.match(r"^/range/([0-9A-Fa-f]{5})", handler.path)
        prefix = match.group(1).upper() if match else ""
        with self.lock:
            self.requests.append(prefix)
            self.paths.append(handler.path)
            self.request_headers.append(dict(handler.headers))
            attempt = self.requests.count(prefix)
            fault = self.faults.get(prefix) if (self.always or attempt == 1) else None
            if fault is None and self.fault_rate and self.random.random() < self.fault_rate:
                fault = self.random.choice(FAULTS)
        if self.delay:
            time.sleep(self.delay)
        if fault:
            with self.lock:
                self.injected.append((prefix, fault))
        if fault == "drop":
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault in ("503", "429"):
            body = b"try again later"
            handler.send_response(int(fault))
            handler.send_header("Retry-After", "1")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
            return
        if fault == "429-for-an-hour":
            handler.send_response(429)
            handler.send_header("Retry-After", "3600")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        if fault and fault.startswith("redirect-"):
            target = {"redirect-away": f"http://localhost:{self.port}{handler.path}",
                      "redirect-loop": handler.path,
                      "redirect-here": handler.path + ("&" if "?" in handler.path else "?") + "hop=1"}[fault]
            handler.send_response(302)
            handler.send_header("Location", target)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        if fault == "bomb":
            body = bomb()
            handler.send_response(200)
            handler.send_header("Content-Encoding", "gzip")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
            return
        headers = {name: value for name, value in handler.headers.items() if name.lower() not in ("host", "connection")}
        if self.accept_encoding is not None:
            headers["Accept-Encoding"] = self.accept_encoding
        connection = self.upstream()
        try:
            connection.request("GET", handler.path, headers=headers)
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException):
            self.local.connection = None
            handler.close_connection = True
            return
        with self.lock:
            self.statuses.setdefault(prefix, []).append(response.status)
            if response.getheader("Content-Encoding"):
                self.encodings.add(response.getheader("Content-Encoding"))
        if self.public_padding and handler.headers.get("Add-Padding") == "true" and response.status == 200:
            rows = body.split(b"\r\n")
            padding = [row for row in rows if row.endswith(b":0")]
            self.random.shuffle(padding)
            body = b"\r\n".join([row for row in rows if not row.endswith(b":0")] + padding)
        reshaped = self.public_padding or fault == "empty"  # by the source itself: it digests what it sends
        if fault == "empty":
            body = b""
        elif fault == "flip":
            # One hex digit of the first row changed: still a valid body, with a wrong hash.
            at = body.index(b":") - 1
            garbled = bytearray(body)
            garbled[at] = ord("0") if garbled[at] != ord("0") else ord("1")
            body = bytes(garbled)
        handler.send_response(response.status)
        for name, value in response.getheaders():
            skipped = ("connection", "transfer-encoding", "date", "server") + (() if fault == "truncate" else ("content-length",)) \
                + (() if self.digests and not reshaped and fault != "strip-digest" else ("repr-digest",)) + (("content-encoding",) if fault == "empty" else ())
            if name.lower() not in skipped:
                handler.send_header(name, value)
        if self.digests and reshaped and response.status == 200:
            handler.send_header("Repr-Digest", "sha-256=:%s:" % base64.b64encode(hashlib.sha256(body).digest()).decode())
        if fault != "truncate" and response.status != 304:
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if fault == "trickle":
            try:
                for at in range(len(body)):
                    handler.wfile.write(body[at:at + 1])
                    handler.wfile.flush()
                    time.sleep(self.trickle_seconds)
            except OSError:
                pass  # the client gave up: what the test wants
            handler.close_connection = True
        elif fault == "truncate":
            handler.wfile.write(body[: len(body) // 2])
            handler.wfile.flush()
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
        elif fault == "garble":
            garbled = bytearray(body)
            for at in range(0, len(garbled), max(1, len(garbled) // 8)):
                garbled[at] = ord("#")
            handler.wfile.write(bytes(garbled))
        elif fault == "stall":
            handler.wfile.write(body[:10])
            handler.wfile.flush()
            time.sleep(self.stall_seconds)
            handler.close_connection = True
        else:
            handler.wfile.write(body)
