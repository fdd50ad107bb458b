#!/usr/bin/env python3
"""A real SMTP server for tests and local trials: aiosmtpd (PyPI) on loopback,
writing every message it accepts to DIRECTORY/00000001.eml, 00000002.eml, … in
the order received.

    python3 tools/smtp-sink.py --directory /tmp/mail [--port 2525] [--starttls CERT KEY]

With --starttls it offers STARTTLS with that certificate and refuses mail before it
(aiosmtpd's require_starttls), as a production server would.

Prints "listening on PORT" once it accepts connections (no --port: a free one).
Exits when its parent process does, so a test run leaves no server behind."""
import argparse
import os
import socket
import ssl
import sys
import time

from aiosmtpd.controller import Controller


class NumberedFiles:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0
        os.makedirs(directory, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        path = os.path.join(self.directory, f"{self.count:08d}.eml")
        # Written aside and renamed, so a reader never sees half a message.
        with open(path + ".part", "wb") as file:
            file.write(envelope.original_content or envelope.content)
        os.rename(path + ".part", path)
        return "250 Message accepted for delivery"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--directory", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    arguments = parser.parse_args()
    port = arguments.port or free_port()
    tls = {}
    if arguments.starttls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*arguments.starttls)
        tls = {"tls_context": context, "require_starttls": True}
    controller = Controller(NumberedFiles(arguments.directory), hostname="127.0.0.1", port=port, **tls)
    controller.start()
    print(f"listening on {port}", flush=True)
    parent = os.getppid()
    try:
        while os.getppid() == parent:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    controller.stop()


if __name__ == "__main__":
    sys.exit(main())
