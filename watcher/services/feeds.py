"""Checking a feed before adding it: fetch once, parse, judge every entry; store nothing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from watcher.config import Config, check_http_url
from watcher.errors import InputError
from watcher.models import Outcome

if TYPE_CHECKING:
    from watcher.topic import RelevanceModel


@dataclass(frozen=True, slots=True)
class CheckedEntry:
    title: str
    url: str | None
    published: datetime | None
    language: str | None
    score: float
    relevant: bool
    aspects: tuple[str, ...]
    summary: str
    page: dict[str, object] | None = None  # with --enrich: what reading its page gave


@dataclass(frozen=True, slots=True)
class FeedCheck:
    url: str
    final_url: str
    http_status: int | None
    outcome: Outcome
    message: str | None
    format: str | None
    title: str | None
    warning: str | None
    total_entries: int
    entries: tuple[CheckedEntry, ...]  # the first `limit`, in document order

    @property
    def ok(self) -> bool:
        """The feed could be fetched and read as a feed."""
        return self.outcome in (Outcome.NEW_CONTENT, Outcome.NOT_MODIFIED)

    @property
    def relevant(self) -> int:
        return sum(1 for e in self.entries if e.relevant)


async def check_feed(
    config: Config,
    url: str,
    model: RelevanceModel,
    now: datetime,
    limit: int = 20,
    *,
    enrich: bool = False,
) -> FeedCheck:
    """Fetch `url` once with the configured limits and judge each entry as the daemon would.
    The URL is taken as the operator's own, like a configured feed: the address policy lets
    it reach a private or loopback host. A caller that takes URLs from less trusted people
    must check them against `[polling] allow_private` first."""
    from watcher.ceilings import Limits
    from watcher.decide import after_parse, read_fetch
    from watcher.fetch import Fetcher
    from watcher.workers import parse_isolated

    try:
        url = check_http_url(url)
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    async with Fetcher(config.polling) as fetcher:
        result = await fetcher.fetch(url)
    reply = read_fetch(result, now)
    parsed = None
    if reply.outcome is Outcome.NEW_CONTENT:
        limits = Limits(memory=config.polling.worker_memory, cpu=config.polling.worker_cpu)
        parsed = await asyncio.to_thread(
            parse_isolated, result.body, result.headers, result.final_url, url, now, limits
        )
        reply = after_parse(reply, parsed)
    entries = parsed.entries if parsed is not None and not parsed.error else ()
    pages: list[dict[str, object] | None] = [None] * min(limit, len(entries))
    if enrich:
        from watcher.enrich.reader import check_pages

        pages = list(await check_pages(config, entries[:limit], model))
    checked = []
    for entry, page in zip(entries[:limit], pages, strict=True):
        verdict = model.classify(entry.title, entry.text, entry.language)
        checked.append(
            CheckedEntry(
                title=entry.title,
                url=entry.url,
                published=entry.published,
                language=entry.language or verdict.language,
                score=verdict.score,
                relevant=verdict.relevant,
                aspects=verdict.aspects,
                summary=entry.text[:200],
                page=page,
            )
        )
    return FeedCheck(
        url=url,
        final_url=result.final_url,
        http_status=result.status,
        outcome=reply.outcome,
        message=reply.message,
        format=parsed.format if parsed is not None else None,
        title=parsed.title if parsed is not None else None,
        warning=parsed.warning if parsed is not None else None,
        total_entries=len(entries),
        entries=tuple(checked),
    )
