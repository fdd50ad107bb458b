"""The daemon's own memory after many kept-alive requests: starts `breachdb serve`, sends
REQUESTS pipelined range requests (in batches of 100) on each of CONNECTIONS connections,
and prints its RssAnon before and after, with the connections still open.

    python3 tools/bench/memory-probe.py BINARY INDEX PORT REQUESTS CONNECTIONS [SERVE OPTIONS...]

PREFIXES=N asks for random prefixes below N (default: 5BAA6 only); PAD=1 adds Add-Padding."""
import os
import random
import socket
import subprocess
import sys
import threading
import time

binary, index, port, requests, connections = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
PREFIXES = int(os.environ.get("PREFIXES", "0"))
PADDING = "Add-Padding: true\r\n" if os.environ.get("PAD") == "1" else ""
server = subprocess.Popen([binary, "serve", "--index", index, "--port", str(port), *sys.argv[6:]],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def status(field):
    for line in open(f"/proc/{server.pid}/status"):
        if line.startswith(field + ":"):
            return line.split(":")[1].strip()


def request():
    prefix = "%05X" % random.randrange(PREFIXES) if PREFIXES else "5BAA6"
    return f"GET /range/{prefix} HTTP/1.1\r\nHost: a\r\n{PADDING}\r\n".encode()


def client(opened):
    connection = socket.create_connection(("127.0.0.1", port))
    opened.append(connection)
    pending = b""
    for _ in range(requests // 100):
        connection.sendall(b"".join(request() for _ in range(100)))
        answers = 0
        while answers < 100:
            chunk = connection.recv(1 << 20)
            if not chunk:
                sys.exit(f"the daemon closed the connection after {answers} of 100 answers")
            pending += chunk
            while (end := pending.find(b"\r\n\r\n")) >= 0:
                length = int(pending[:end].split(b"Content-Length: ")[1].split(b"\r\n")[0])
                if len(pending) < end + 4 + length:
                    break
                pending = pending[end + 4 + length:]
                answers += 1


for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", port)).close()
        break
    except OSError:
        time.sleep(0.1)
print("RssAnon at start:", status("RssAnon"), flush=True)
opened = []
threads = [threading.Thread(target=client, args=(opened,)) for _ in range(connections)]
started = time.time()
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(f"{requests * connections} requests in {time.time() - started:.1f} s; connections open: "
      f"RssAnon {status('RssAnon')}, VmRSS {status('VmRSS')}")
server.terminate()
server.wait()
