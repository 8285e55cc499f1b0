"""HTTP fetching with httpx: conditional GET, bounded concurrency, size cap and a deadline.

It returns a FetchResult for every outcome, failures included; it does not parse or write.
Feeds and article pages go through the same clients, limits and per-host politeness; every
hop of every fetch obeys the address policy (netpolicy.py), checked on each request URL and
on each DNS answer at connect time. No cookie is ever kept.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import time
from collections import defaultdict
from collections.abc import Iterable
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from watcher import USER_AGENT
from watcher.config import PollingConfig
from watcher.models import FetchResult
from watcher.netpolicy import AddressPolicy, AddressRefused, is_private_host, refusal, resolve

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
PERMANENT_REDIRECTS = frozenset({301, 308})


class BodyTooLarge(Exception):
    pass


class PolicyBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks every DNS answer against the policy, then connects to a checked
    address: the address connected to is the address checked (no DNS rebinding)."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                answers = await resolve(host, port)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"DNS lookup of {host} timed out") from exc
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        for address in answers:
            reason = self.policy.check(address)
            if reason is not None:
                raise AddressRefused(f"{host} resolves to {reason}")
        error: Exception = httpcore.ConnectError(f"{host} has no address")
        for address in answers:
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:  # the next answer may work
                error = exc
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused("unix sockets are never fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _no_cookies() -> CookieJar:
    return CookieJar(DefaultCookiePolicy(allowed_domains=[]))


def _mb(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{size / 1000:.1f} KB" if size >= 1000 else f"{size} bytes"  # not "0.0 MB"


class Fetcher:
    """Clients keyed by address policy; at most `concurrency` feed fetches overall, `pages`
    page fetches overall (so pages never take a feed's turn) and `per_host` per host."""

    def __init__(
        self,
        polling: PollingConfig,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        pages: int = 8,
    ) -> None:
        self._polling = polling
        self._transport = transport
        self._clients: dict[AddressPolicy, httpx.AsyncClient] = {}
        self._private_hosts: dict[str, bool] = {}
        self._global = asyncio.Semaphore(polling.concurrency)
        self._pages = asyncio.Semaphore(pages)
        self._hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(polling.per_host)
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    def _client(self, policy: AddressPolicy) -> httpx.AsyncClient:
        """One client per policy, so a connection opened under a looser policy is never
        reused under a stricter one."""
        client = self._clients.get(policy)
        if client is not None:
            return client
        polling = self._polling
        limits = httpx.Limits(
            max_connections=polling.concurrency,
            max_keepalive_connections=min(polling.concurrency, 100),
        )
        transport = self._transport or httpx.AsyncHTTPTransport(limits=limits)
        if self._transport is None and not policy.anywhere:
            # httpx offers no public hook for the network backend; the pool is rebuilt
            # with the same limits and a backend that checks every address it connects to.
            transport._pool = httpcore.AsyncConnectionPool(  # type: ignore[attr-defined]
                ssl_context=httpx.create_ssl_context(),
                max_connections=limits.max_connections,
                max_keepalive_connections=limits.max_keepalive_connections,
                keepalive_expiry=limits.keepalive_expiry,
                network_backend=PolicyBackend(policy),
            )

        async def check_hop(request: httpx.Request) -> None:
            reason = policy.check_url(str(request.url))
            if reason is not None:
                raise AddressRefused(reason)

        client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(
                connect=polling.connect_timeout,
                read=polling.read_timeout,
                write=polling.read_timeout,
                pool=polling.deadline,
            ),
            follow_redirects=True,
            max_redirects=polling.max_redirects,
            headers={"User-Agent": USER_AGENT, "Accept": ACCEPT},
            cookies=_no_cookies(),
            event_hooks={"request": [check_hop]},
        )
        self._clients[policy] = client
        return client

    async def feed_policy(self, configured: str) -> AddressPolicy:
        """A feed configured on a loopback or private address may stay in that network;
        any other feed reaches public addresses and `[polling] allow_private` only."""
        host = (urlsplit(configured).hostname or "").lower()
        private = self._private_hosts.get(host)
        if private is None:
            private = await is_private_host(host)
            self._private_hosts[host] = private
        if private:
            return AddressPolicy(anywhere=True)
        return AddressPolicy(self._polling.allow_private)

    async def fetch(
        self,
        url: str,
        etag: str | None = None,
        last_modified: str | None = None,
        *,
        configured: str | None = None,
    ) -> FetchResult:
        """Fetch a feed; `configured` is the URL the operator gave (the policy follows it)."""
        policy = await self.feed_policy(configured or url)
        conditional: dict[str, str] = {}
        if etag:
            conditional["If-None-Match"] = etag
        if last_modified:
            conditional["If-Modified-Since"] = last_modified
        async with self._global:
            return await self._get(
                url,
                policy,
                conditional,
                deadline=self._polling.deadline,
                max_body=self._polling.max_body,
                what="feed",
                hint="raise [polling] deadline if this feed is just slow",
            )

    async def fetch_page(
        self, url: str, policy: AddressPolicy, *, deadline: float, max_body: int
    ) -> FetchResult:
        """Fetch an article's web page: same client and politeness, the page's own limits."""
        async with self._pages:
            return await self._get(
                url,
                policy,
                {"Accept": PAGE_ACCEPT},
                deadline=deadline,
                max_body=max_body,
                what="page",
                hint="the page is slow",
            )

    async def _get(
        self,
        url: str,
        policy: AddressPolicy,
        headers: dict[str, str],
        *,
        deadline: float,
        max_body: int,
        what: str,
        hint: str,
    ) -> FetchResult:
        reason = policy.check_url(url)
        if reason is not None:
            return self._failure(url, f"refused: {reason}", refused=True)
        host = (urlsplit(url).hostname or "").lower()
        async with self._hosts[host]:
            started = time.monotonic()
            try:
                async with asyncio.timeout(deadline):
                    result = await self._exchange(url, policy, headers, max_body, what)
            except TimeoutError:
                result = self._failure(
                    url, f"no complete reply within the {deadline:.0f}s deadline ({hint})"
                )
            return dataclasses.replace(result, elapsed=time.monotonic() - started)

    def _failure(
        self, url: str, message: str, status: int | None = None, *, refused: bool = False
    ) -> FetchResult:
        return FetchResult(url=url, status=status, final_url=url, error=message, refused=refused)

    async def _exchange(
        self, url: str, policy: AddressPolicy, headers: dict[str, str], max_body: int, what: str
    ) -> FetchResult:
        try:
            client = self._client(policy)
            async with client.stream("GET", url, headers=headers) as response:
                body = await self._read_capped(response, max_body)
                return self._result(url, response, body, policy)
        except AddressRefused as exc:
            return self._failure(url, f"refused: {exc}", refused=True)
        except BodyTooLarge:
            setting = "[polling] max_body" if what == "feed" else "[enrich] max_body"
            return self._failure(
                url,
                f"{what} body exceeds {_mb(max_body)} once decoded; "
                f"raise {setting} if the {what} is genuine",
            )
        except httpx.TooManyRedirects:
            return self._failure(
                url, f"more than {self._polling.max_redirects} redirects; fix the {what} URL"
            )
        except httpx.ConnectTimeout:
            return self._failure(url, "connection timed out; the host may be down")
        except httpx.ReadTimeout:
            return self._failure(url, "server stopped sending; read timed out")
        except httpx.ConnectError as exc:
            return self._failure(url, f"cannot connect: {exc or 'connection refused'}")
        except httpx.DecodingError as exc:
            return self._failure(url, f"body could not be decoded ({exc}); the server sent junk")
        except httpx.UnsupportedProtocol as exc:
            return self._failure(
                url, f"refused: unsupported URL scheme ({exc}); use http or https", refused=True
            )
        except httpx.HTTPError as exc:
            return self._failure(url, f"HTTP error: {type(exc).__name__}: {exc}")

    async def _read_capped(self, response: httpx.Response, cap: int) -> bytes:
        if response.status_code != 200:
            await response.aclose()
            return b""
        chunks: list[bytes] = []
        size = 0
        # aiter_bytes decodes gzip/deflate/br as it goes, so the cap bounds the decoded size.
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > cap:
                raise BodyTooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    def _result(
        self, url: str, response: httpx.Response, body: bytes, policy: AddressPolicy
    ) -> FetchResult:
        history = response.history
        moved = bool(history) and all(r.status_code in PERMANENT_REDIRECTS for r in history)
        # A public feed moved onto a private address (allowed by [polling] allow_private) is
        # followed but never remembered: the stored URL stays public.
        if moved and not policy.anywhere and _on_private_address(response):
            moved = False
        permanent = str(response.url) if moved else None
        headers = {key.lower(): value for key, value in response.headers.items()}
        return FetchResult(
            url=url,
            status=response.status_code,
            final_url=str(response.url),
            body=body,
            headers=headers,
            permanent_url=permanent,
            bytes_transferred=response.num_bytes_downloaded
            + sum(r.num_bytes_downloaded for r in history),
        )


def _on_private_address(response: httpx.Response) -> bool:
    """Whether the server that answered is on a non-public address (by its socket, else by
    a literal host in the URL)."""
    stream = response.extensions.get("network_stream")
    peer = stream.get_extra_info("server_addr") if stream is not None else None
    host = str(peer[0]) if peer else (response.url.host or "")
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return refusal(address) is not None
