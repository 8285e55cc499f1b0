"""Serving the console: alone (`watcher serve`) or beside the daemon (`watcher run`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable, Iterator
from datetime import datetime

import uvicorn
from starlette.applications import Starlette

from watcher.config import Config, listen_address, secret
from watcher.errors import WatcherError
from watcher.store import Store
from watcher.web.app import create_app
from watcher.web.security import access_for

log = logging.getLogger("watcher.web")


def console_app(
    config: Config,
    clock: Callable[[], datetime],
    listen: str | None = None,
    env: dict[str, str] | None = None,
) -> Starlette:
    """The console for this config; ConfigError when its login or link key is missing."""
    access = access_for(config.web, listen or config.web.listen, env)
    link_key = secret(config.web.secret_env, env) if config.web.secret_env else None
    Store.open(config.database).close()  # a missing, damaged or read-only database stops here
    return create_app(config, access, link_key, clock)


def bind(listen: str) -> socket.socket:
    host, port = listen_address(listen)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise WatcherError(
            f"the web console cannot listen on {listen}: {exc.strerror}; "
            "set [web] listen to a free port (or '' to turn it off)"
        ) from exc
    sock.listen(128)
    sock.setblocking(False)
    return sock


class _Server(uvicorn.Server):
    """The daemon owns the signals; the console stops when the daemon tells it to."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _server(app: Starlette, own_signals: bool) -> uvicorn.Server:
    settings = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        server_header=False,
        proxy_headers=False,
        h11_max_incomplete_event_size=16 * 1024,
    )
    return uvicorn.Server(settings) if own_signals else _Server(settings)


def serve(app: Starlette, listen: str) -> None:
    """`watcher serve`: the console alone, until Ctrl-C or SIGTERM."""
    sock = bind(listen)
    log.info("web console on http://%s/", listen)
    try:
        asyncio.run(_server(app, own_signals=True).serve(sockets=[sock]))
    finally:
        sock.close()


class BackgroundConsole:
    """The console beside the daemon, in the daemon's event loop."""

    def __init__(self, app: Starlette, sock: socket.socket) -> None:
        self.server = _server(app, own_signals=False)
        self.sock = sock
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self.server.serve(sockets=[self.sock]), name="web")

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task is not None:
            with contextlib.suppress(Exception):
                await self.task
        self.sock.close()


def background_console(config: Config, clock: Callable[[], datetime]) -> BackgroundConsole | None:
    """The console `watcher run` serves, or None when its address is taken (logged: the
    daemon keeps watching without it). A missing login is a ConfigError."""
    app = console_app(config, clock)
    try:
        sock = bind(config.web.listen)
    except WatcherError as exc:
        log.error("%s", exc)
        return None
    log.info("web console on http://%s/", config.web.listen)
    return BackgroundConsole(app, sock)
