"""The console's Starlette application: routes call the service layer; no SQL, no decisions."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from watcher.config import Config
from watcher.store import Store
from watcher.web import pages
from watcher.web.security import Access, Guard, csrf_token

log = logging.getLogger("watcher.web")


class Console:
    """What every route needs: the config, its own store connection, templates and a clock."""

    def __init__(
        self, config: Config, access: Access, link_key: str | None, clock: Callable[[], datetime]
    ) -> None:
        self.config = config
        self.access = access
        self.link_key = link_key
        self.clock = clock
        self._store: Store | None = None
        self._topic: tuple[float, str, list[str]] | None = None
        self.env = jinja2.Environment(
            loader=jinja2.PackageLoader("watcher", "web/templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self.env.filters["when"] = _when
        self.env.filters["http_url"] = _http_url

    @property
    def store(self) -> Store:
        if self._store is None:  # opened in the event loop's thread, where every route runs
            self._store = Store.open(self.config.database)
        return self._store

    def topic(self) -> tuple[str, list[str]]:
        """The topic's name and aspect names, read again only when its file changes."""
        from watcher.topic.definition import load_topic

        path = self.config.topic_file
        stamp = path.stat().st_mtime
        if self._topic is None or self._topic[0] != stamp:
            topic = load_topic(path)
            self._topic = (stamp, topic.topic.name, [a.name for a in topic.aspects])
        return self._topic[1], self._topic[2]

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def page(
        self, request: Request, template: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        html = self.env.get_template(template).render(
            request=request, csrf=csrf_token(request), path=request.url.path, **context
        )
        return HTMLResponse(html, status_code=status)

    def error(self, request: Request, status: int, message: str) -> HTMLResponse:
        return self.page(request, "error.html.j2", status, code=status, message=message)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else "never"


def _http_url(value: str | None) -> str | None:
    return value if value and value.startswith(("http://", "https://")) else None


def create_app(
    config: Config,
    access: Access,
    link_key: str | None,
    clock: Callable[[], datetime],
) -> Starlette:
    console = Console(config, access, link_key, clock)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            console.close()

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return console.error(request, exc.status_code, str(exc.detail))

    app = Starlette(
        routes=[
            *pages.routes(),
            Mount("/static", StaticFiles(packages=[("watcher", "web/static")]), name="static"),
        ],
        lifespan=lifespan,
        exception_handlers={HTTPException: http_error},
    )
    app.state.console = console
    app.add_middleware(Guard, access=access, render_error=console.error)
    return app


__all__ = ["Console", "Route", "create_app"]
