"""Real servers on 127.0.0.1 for the tests: a feed server (and, later, receivers)."""

from __future__ import annotations

import gzip
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Route:
    """What the feed server answers on one path."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    gzip: bool = False
    delay: float = 0.0
    drip: float | None = None  # seconds between single bytes: a slow-drip body
    raw: bytes | None = None  # bytes sent as the body exactly, e.g. a pre-compressed bomb


@dataclass
class Request:
    path: str
    headers: dict[str, str]


class FeedServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self.bytes_sent = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server._handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def set(self, path: str, route: Route | None = None, **kwargs: Any) -> str:
        self.routes[path] = route or Route(**kwargs)
        return self.url(path)

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self._lock:
            self.requests.append(Request(handler.path, headers))
        route = self.routes.get(handler.path)
        if route is None:
            self._send(handler, 404, {"Content-Type": "text/plain"}, b"not found")
            return
        if route.delay:
            time.sleep(route.delay)
        out_headers = {"Content-Type": route.content_type, **route.headers}
        if route.etag:
            out_headers["ETag"] = route.etag
        if route.last_modified:
            out_headers["Last-Modified"] = route.last_modified
        not_modified = (route.etag and headers.get("if-none-match") == route.etag) or (
            route.last_modified
            and not route.etag
            and headers.get("if-modified-since") == route.last_modified
        )
        if route.status == 200 and not_modified:
            self._send(
                handler, 304, {k: v for k, v in out_headers.items() if k != "Content-Type"}, b""
            )
            return
        body = route.body
        if route.raw is not None:
            body = route.raw
        elif route.gzip and "gzip" in headers.get("accept-encoding", ""):
            body = gzip.compress(body)
            out_headers["Content-Encoding"] = "gzip"
        if route.drip is not None:
            self._drip(handler, route, out_headers, body)
            return
        self._send(handler, route.status, out_headers, body)

    def _send(
        self, handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes
    ) -> None:
        try:
            handler.send_response(status)
            for key, value in headers.items():
                handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
            with self._lock:
                self.bytes_sent += len(body) + 200
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _drip(
        self, handler: BaseHTTPRequestHandler, route: Route, headers: dict[str, str], body: bytes
    ) -> None:
        try:
            handler.send_response(route.status)
            for key, value in headers.items():
                handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            for byte in body:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
                time.sleep(route.drip or 0)
        except (BrokenPipeError, ConnectionResetError):
            pass


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes


class WebhookReceiver:
    """Accepts POSTs on 127.0.0.1; `fail_with` statuses are answered first, then 200."""

    def __init__(self, delay: float = 0.0) -> None:
        self.deliveries: list[Delivery] = []
        self.started: list[str] = []
        self.received_at: list[float] = []
        self.fail_with: list[int] = []
        self.retry_after: str | None = None
        self.delay = delay
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.started.append(self.headers.get("webhook-id", ""))
                if receiver.delay:
                    time.sleep(receiver.delay)
                with receiver._lock:
                    status = receiver.fail_with.pop(0) if receiver.fail_with else 200
                    if status == 200:
                        receiver.received_at.append(time.time())
                        receiver.deliveries.append(
                            Delivery(
                                self.path, {k.lower(): v for k, v in self.headers.items()}, body
                            )
                        )
                reply = b"ok" if status == 200 else b"nope"
                try:
                    self.send_response(status)
                    if status == 429 and receiver.retry_after:
                        self.send_header("Retry-After", receiver.retry_after)
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"

    def ids(self) -> list[str]:
        return [d.headers["webhook-id"] for d in self.deliveries]

    def payloads(self) -> list[dict[str, Any]]:
        import json

        return [json.loads(d.body) for d in self.deliveries]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class MailServer:
    """aiosmtpd on 127.0.0.1; `fail_with` SMTP codes are answered to DATA first."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[Any] = []
        self.fail_with: list[int] = []
        server = self

        class Handler:
            async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
                if server.fail_with:
                    code = server.fail_with.pop(0)
                    return f"{code} {'try again later' if code < 500 else 'mailbox unavailable'}"
                import email
                from email import policy

                message = email.message_from_bytes(envelope.content, policy=policy.default)
                server.messages.append((envelope, message))
                return "250 Message accepted for delivery"

        import socket

        with socket.socket() as probe:  # a free loopback port for the SMTP server
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def close(self) -> None:
        self.controller.stop()
