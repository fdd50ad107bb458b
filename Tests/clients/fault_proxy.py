"""An HTTP proxy for the download tests: forwards `GET /range/...` to a `breachdb serve`,
counts every request by prefix, and injects faults on chosen prefixes (once each, or on
every attempt) so that the downloader's retries can be checked against a fault-free run."""
import http.client
import http.server
import re
import socket
import threading
import time

FAULTS = ("drop", "503", "429", "truncate", "garble", "stall")


class FaultProxy:
    """`faults` maps a prefix (5 hex digits) to a fault name; with `always`, the fault is
    injected on every attempt instead of the first only."""

    def __init__(self, upstream_port, faults=None, always=False, accept_encoding=None, delay=0.0, stall_seconds=3.0):
        self.upstream_port = upstream_port
        self.faults = dict(faults or {})
        self.always = always
        self.accept_encoding = accept_encoding
        self.delay = delay
        self.stall_seconds = stall_seconds
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
        self.url = f"http://127.0.0.1:{self.port}"
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
            self.request_headers.append(dict(handler.headers))
            attempt = self.requests.count(prefix)
        if self.delay:
            time.sleep(self.delay)
        fault = self.faults.get(prefix) if (self.always or attempt == 1) else None
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
        handler.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in ("connection", "transfer-encoding", "date", "server"):
                handler.send_header(name, value)
        handler.end_headers()
        if fault == "truncate":
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
