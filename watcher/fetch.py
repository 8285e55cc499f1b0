"""HTTP fetching with httpx: conditional GET, bounded concurrency, size cap and a deadline.

It returns a FetchResult for every outcome, failures included; it does not parse or write.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import defaultdict
from urllib.parse import urlsplit

import httpx

from watcher import USER_AGENT
from watcher.config import PollingConfig
from watcher.models import FetchResult

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"
)
PERMANENT_REDIRECTS = frozenset({301, 308})


class BodyTooLarge(Exception):
    pass


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


class Fetcher:
    """One shared client; at most `concurrency` fetches overall and `per_host` per host."""

    def __init__(
        self, polling: PollingConfig, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._polling = polling
        self._client = httpx.AsyncClient(
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
            limits=httpx.Limits(
                max_connections=polling.concurrency,
                max_keepalive_connections=min(polling.concurrency, 100),
            ),
        )
        self._global = asyncio.Semaphore(polling.concurrency)
        self._hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(polling.per_host)
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(
        self, url: str, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        host = (urlsplit(url).hostname or "").lower()
        async with self._global, self._hosts[host]:
            started = time.monotonic()
            try:
                async with asyncio.timeout(self._polling.deadline):
                    result = await self._exchange(url, etag, last_modified)
            except TimeoutError:
                result = self._failure(
                    url,
                    f"no complete reply within the {self._polling.deadline:.0f}s deadline "
                    "(slow server); raise [polling] deadline if this feed is just slow",
                )
            return dataclasses.replace(result, elapsed=time.monotonic() - started)

    def _failure(self, url: str, message: str, status: int | None = None) -> FetchResult:
        return FetchResult(url=url, status=status, final_url=url, error=message)

    async def _exchange(self, url: str, etag: str | None, last_modified: str | None) -> FetchResult:
        conditional: dict[str, str] = {}
        if etag:
            conditional["If-None-Match"] = etag
        if last_modified:
            conditional["If-Modified-Since"] = last_modified
        try:
            async with self._client.stream("GET", url, headers=conditional) as response:
                body = await self._read_capped(response)
                return self._result(url, response, body)
        except BodyTooLarge:
            return self._failure(
                url,
                f"feed body exceeds {_mb(self._polling.max_body)} once decoded; "
                "raise [polling] max_body if the feed is genuine",
            )
        except httpx.TooManyRedirects:
            return self._failure(
                url, f"more than {self._polling.max_redirects} redirects; fix the feed URL"
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
            return self._failure(url, f"unsupported URL scheme ({exc}); use http or https")
        except httpx.HTTPError as exc:
            return self._failure(url, f"HTTP error: {type(exc).__name__}: {exc}")

    async def _read_capped(self, response: httpx.Response) -> bytes:
        if response.status_code != 200:
            await response.aclose()
            return b""
        cap = self._polling.max_body
        chunks: list[bytes] = []
        size = 0
        # aiter_bytes decodes gzip/deflate/br as it goes, so the cap bounds the decoded size.
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > cap:
                raise BodyTooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    def _result(self, url: str, response: httpx.Response, body: bytes) -> FetchResult:
        history = response.history
        permanent = None
        if history and all(r.status_code in PERMANENT_REDIRECTS for r in history):
            permanent = str(response.url)
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
