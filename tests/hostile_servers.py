"""Hostile receivers on 127.0.0.1: an SMTP server that floods or echoes secrets, and an HTTP
receiver that answers with an endless body."""

from __future__ import annotations

import base64
import contextlib
import socket
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class ScriptedSmtp:
    """A minimal SMTP server: `flood` bytes of '250-' continuation lines answer EHLO; with
    `echo_auth` it advertises AUTH and answers every login with the credentials it got."""

    def __init__(self, flood: int = 0, echo_auth: bool = False) -> None:
        self.sent = 0
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                with contextlib.suppress(OSError):
                    self._talk()

            def _say(self, data: bytes) -> None:
                self.wfile.write(data)
                server.sent += len(data)

            def _talk(self) -> None:
                self._say(b"220 scripted ESMTP\r\n")
                while line := self.rfile.readline(4096):
                    verb = line.split(b" ", 1)[0].strip().upper()
                    if verb == b"EHLO":
                        self._say(b"250-scripted\r\n")
                        line_bytes = b"250-" + b"x" * 994 + b"\r\n"
                        for _ in range(flood // len(line_bytes)):
                            self._say(line_bytes)
                        self._say(b"250-AUTH PLAIN\r\n" if echo_auth else b"")
                        self._say(b"250 ok\r\n")
                    elif verb == b"AUTH":
                        given = base64.b64decode(line.split()[-1]).replace(b"\0", b" ")
                        self._say(b"535 5.7.8 bad credentials: " + given.strip() + b"\r\n")
                    elif verb == b"QUIT":
                        self._say(b"221 bye\r\n")
                        return
                    else:
                        self._say(b"250 ok\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class FloodingReceiver:
    """Accepts a webhook POST and answers 200 with a `size`-byte body, counting what it
    managed to write before the client hung up."""

    def __init__(self, size: int) -> None:
        self.written = 0
        self.requests = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests += 1
                self.send_response(200)
                self.send_header("Content-Length", str(size))
                self.end_headers()
                chunk = b"y" * 65536
                try:
                    while receiver.written < size:
                        self.wfile.write(chunk)
                        receiver.written += len(chunk)
                except OSError:
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
