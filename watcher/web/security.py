"""Who may use the console, and the guards every response and every POST goes through."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

from watcher.config import WebConfig, secret
from watcher.errors import ConfigError

CSRF_COOKIE = "watcher_csrf"
CSRF_FIELD = "csrf"
MAX_QUERY = 2048
MAX_BODY = 16 * 1024
# No inline script or style anywhere: the console's own files only, nothing from elsewhere.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; frame-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
# A rendered email shown in a sandboxed frame: its inline styles, and nothing that runs or loads.
CSP_PREVIEW = "sandbox; default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
OPEN_PATHS = ("/healthz", "/j/", "/static/")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    """A salted scrypt hash to put in the environment variable that password_hash_env names."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, **_SCRYPT)
    params = f"{_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}"
    return f"scrypt${params}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        found = hashlib.scrypt(
            password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p)
        )
    except ValueError:
        return False
    return hmac.compare_digest(found.hex(), digest)


def check_hash_format(stored: str) -> None:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        raise ConfigError(
            "the password hash is not one `watcher serve --hash-password` makes; make a new one"
        )


@dataclass(frozen=True)
class Access:
    """The credentials the console accepts; none at all only on a loopback address."""

    token: str | None = None
    password_hash: str | None = None

    @property
    def required(self) -> bool:
        return bool(self.token or self.password_hash)

    def allows(self, authorization: str | None) -> bool:
        if not self.required:
            return True
        if not authorization:
            return False
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer":
            return self.token is not None and hmac.compare_digest(value.strip(), self.token)
        if scheme.lower() != "basic":
            return False
        try:
            _user, _, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        if self.token is not None and hmac.compare_digest(password, self.token):
            return True
        return self.password_hash is not None and check_password(password, self.password_hash)


def access_for(web: WebConfig, listen: str, env: dict[str, str] | None = None) -> Access:
    """The credentials from the environment; refuses a public address without any."""
    token = secret(web.token_env, env)
    password_hash = secret(web.password_hash_env, env)
    if password_hash is not None:
        check_hash_format(password_hash)
    access = Access(token, password_hash)
    from watcher.config import listen_address

    host, _port = listen_address(listen)
    loopback = host in ("localhost", "::1") or host.startswith("127.")
    if not loopback and not access.required:
        raise ConfigError(
            f"the console would listen on {listen}, which is not loopback, without a login; "
            "set [web] token_env or password_hash_env, or listen on 127.0.0.1"
        )
    return access


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Guard:
    """ASGI middleware: bounded requests, login, a CSRF cookie and strict security headers."""

    def __init__(self, app: ASGIApp, access: Access, render_error: ErrorPage) -> None:
        self.app = app
        self.access = access
        self.render_error = render_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        problem = self._refuse(request)
        if problem is not None:
            status, message, extra = problem
            response = self.render_error(request, status, message)
            response.headers.update(extra)
            await response(scope, receive, _with_headers(send, request))
            return
        await self.app(scope, receive, _with_headers(send, request))

    def _refuse(self, request: Request) -> tuple[int, str, dict[str, str]] | None:
        if len(request.scope.get("query_string", b"")) > MAX_QUERY:
            return 414, f"the query string is longer than {MAX_QUERY} bytes; shorten it", {}
        if len(request.url.path) > MAX_QUERY:
            return 414, "the address is too long", {}
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            return 413, f"the request body is larger than {MAX_BODY} bytes", {}
        if request.method == "POST" and length is None:
            return 411, "a POST needs a Content-Length", {}
        path = request.url.path
        if not path.startswith(OPEN_PATHS) and not self.access.allows(
            request.headers.get("authorization")
        ):
            challenge = {"WWW-Authenticate": 'Basic realm="watcher", charset="UTF-8"'}
            return 401, "log in with the console's token or password", challenge
        return None


ErrorPage = Callable[[Request, int, str], Any]


def _with_headers(send: Send, request: Request) -> Send:
    needs_cookie = CSRF_COOKIE not in request.cookies

    async def wrapped(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            headers = message.setdefault("headers", [])
            present = {name.lower() for name, _ in headers}
            defaults = {
                b"content-security-policy": CSP.encode(),
                b"x-content-type-options": b"nosniff",
                b"referrer-policy": b"no-referrer",
                b"x-frame-options": b"DENY",
                b"cross-origin-opener-policy": b"same-origin",
                b"cache-control": b"no-store",
            }
            for name, value in defaults.items():
                if name not in present:
                    headers.append((name, value))
            if needs_cookie:
                token = request.scope.setdefault("watcher.csrf", secrets.token_urlsafe(32))
                cookie = f"{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"
                headers.append((b"set-cookie", cookie.encode()))
        await send(message)

    return wrapped


def csrf_token(request: Request) -> str:
    """The token forms carry: the cookie's, or the one this response is about to set."""
    token = request.cookies.get(CSRF_COOKIE)
    if token:
        return token
    return str(request.scope.setdefault("watcher.csrf", secrets.token_urlsafe(32)))


async def checked_form(request: Request) -> FormData:
    """The POSTed form, once its CSRF token matches the cookie; 403 and nothing done if not."""
    if not request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        raise HTTPException(415, "send the form as application/x-www-form-urlencoded")
    form = await request.form(max_files=0, max_fields=20)
    sent = form.get(CSRF_FIELD)
    cookie = request.cookies.get(CSRF_COOKIE)
    if not isinstance(sent, str) or not cookie or not hmac.compare_digest(sent, cookie):
        raise HTTPException(
            403, "the form's security token is missing or stale; reload the page and try again"
        )
    return form
