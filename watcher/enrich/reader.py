"""Reading article pages: the I/O side (fetch each page, extract and judge it in a worker)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from watcher.config import Config
from watcher.enrich.decide import Budget, annotate, choose, judge_page
from watcher.enrich.extract import Judge, read_and_judge
from watcher.fetch import Fetcher
from watcher.models import Entry, Feed, Page, PageOutcome, PageRead, Verdict
from watcher.netpolicy import AddressPolicy

HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "")


class PageReader(Protocol):
    """Extracts a page and judges an entry on it: the worker pool, or in-process."""

    async def read_page(self, body: bytes, url: str, title: str) -> tuple[Page, Verdict | None]: ...


class InProcessReader:
    """For one-off commands (`feeds check --enrich`), where starting a pool costs more."""

    def __init__(self, model: Judge) -> None:
        self.model = model

    async def read_page(self, body: bytes, url: str, title: str) -> tuple[Page, Verdict | None]:
        # In a thread: the event loop keeps the other pages' timeouts honest meanwhile.
        return await asyncio.to_thread(read_and_judge, body, url, title, self.model)


@dataclass(frozen=True)
class Reading:
    """The verdicts after reading pages (aligned with the entries) and what each read gave."""

    verdicts: tuple[Verdict | None, ...]
    reads: tuple[PageRead | None, ...]


class Enricher:
    def __init__(self, config: Config, fetcher: Fetcher, reader: PageReader) -> None:
        self.settings = config.enrich
        self.threshold = config.topic.threshold
        self.modes = {feed.url: feed.enrich for feed in config.feeds if feed.enrich}
        self.policy = AddressPolicy(config.enrich.allow_private)
        self.budget = Budget(config.enrich.budget, config.enrich.budget_window)
        self.fetcher = fetcher
        self.reader = reader

    def mode(self, feed: Feed) -> str:
        return self.modes.get(feed.source_url) or self.settings.mode

    async def read_pages(
        self,
        feed: Feed,
        entries: Sequence[Entry],
        verdicts: Sequence[Verdict | None],
        now: datetime,
    ) -> Reading:
        """Read the pages worth reading; never raises, never takes longer than the deadline."""
        verdicts = tuple(verdicts) if verdicts else (None,) * len(entries)
        chosen = choose(entries, verdicts, self.mode(feed), self.settings, self.threshold)
        reads: list[PageRead | None] = [None] * len(entries)
        if not chosen:
            return Reading(verdicts, tuple(reads))
        granted = self.budget.take(len(chosen), now)
        window = f"{self.settings.budget} pages per {self.settings.budget_window:.0f}s"
        for i in chosen[granted:]:
            reads[i] = PageRead(
                entries[i].url or "",
                PageOutcome.SKIPPED,
                f"the article page was not read: the page budget ({window}) is spent",
            )
        reading = chosen[:granted]
        found = await self._read_all([entries[i] for i in reading])
        better: dict[int, Verdict | None] = {}
        for i, (read, verdict) in zip(reading, found, strict=True):
            reads[i], better[i] = read, verdict
        judged = list(verdicts)
        for i in chosen:
            base = better.get(i) or verdicts[i]
            judged[i] = annotate(base, reads[i]) if base is not None else None
        return Reading(tuple(judged), tuple(reads))

    async def read_one(self, entry: Entry) -> tuple[PageRead, Verdict | None]:
        """Fetch, extract and judge one entry's page; every failure is a PageRead."""
        url = entry.url or ""
        settings = self.settings
        result = await self.fetcher.fetch_page(
            url, self.policy, deadline=settings.deadline, max_body=settings.max_body
        )

        def outcome(kind: PageOutcome, reason: str | None, page: Page | None = None) -> PageRead:
            return PageRead(url, kind, reason, page, result.bytes_transferred, result.elapsed)

        if result.refused:
            reason = f"the article page was not read: {result.error}"
            return outcome(PageOutcome.REFUSED, reason), None
        if result.error is not None or result.status != 200:
            problem = result.error or f"HTTP {result.status}"
            reason = f"the article page failed: {problem}"
            return outcome(PageOutcome.FAILED, reason), None
        kind = result.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind not in HTML_TYPES:
            reason = f"the link is not a web page ({kind})"
            return outcome(PageOutcome.UNUSABLE, reason), None
        try:
            page, verdict = await self.reader.read_page(result.body, result.final_url, entry.title)
        except Exception as exc:  # a crashed extraction costs this page, never the poll
            reason = f"the article page could not be extracted ({type(exc).__name__})"
            return outcome(PageOutcome.FAILED, reason), None
        unusable = judge_page(page, settings)
        if unusable is not None or verdict is None:
            reason = unusable or "no article text found on the page"
            return outcome(PageOutcome.UNUSABLE, reason, page), None
        return outcome(PageOutcome.READ, None, page), verdict

    async def _read_all(self, entries: Sequence[Entry]) -> list[tuple[PageRead, Verdict | None]]:
        tasks = [asyncio.create_task(self.read_one(entry)) for entry in entries]
        if not tasks:
            return []
        done, pending = await asyncio.wait(tasks, timeout=self.settings.deadline)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        late = (
            f"the article page took longer than the {self.settings.deadline:.0f}s deadline; "
            "the alert went out on the headline"
        )
        found: list[tuple[PageRead, Verdict | None]] = []
        for entry, task in zip(entries, tasks, strict=True):
            if task in done and not task.cancelled() and task.exception() is None:
                found.append(task.result())
            elif task in done and not task.cancelled():
                reason = f"the article page failed: internal error {task.exception()!r}"
                found.append((PageRead(entry.url or "", PageOutcome.FAILED, reason), None))
            else:
                found.append((PageRead(entry.url or "", PageOutcome.FAILED, late), None))
        return found


async def check_pages(
    config: Config, entries: Sequence[Entry], model: Judge
) -> list[dict[str, object]]:
    """`feeds check --enrich`: read the page of each entry (no budget, no rules) and report
    what extraction gave and how the verdict moves; nothing is stored."""
    async with Fetcher(config.polling, pages=config.enrich.concurrency) as fetcher:
        enricher = Enricher(config, fetcher, InProcessReader(model))
        found = await asyncio.gather(*(enricher.read_one(entry) for entry in entries))
    report: list[dict[str, object]] = []
    for entry, (read, verdict) in zip(entries, found, strict=True):
        page = read.page
        headline = model.classify(entry.title, entry.text, entry.language)
        report.append(
            {
                "outcome": read.outcome.value,
                "reason": read.reason,
                "final_url": page.final_url if page else None,
                "canonical_url": page.canonical_url if page else None,
                "title": page.title if page else None,
                "published": page.published.isoformat() if page and page.published else None,
                "language": page.language if page else None,
                "characters": len(page.text) if page else 0,
                "lead": page.lead if page else None,
                "score_on_feed_text": headline.score,
                "score_on_page": verdict.score if verdict else None,
                "bytes": read.bytes,
                "seconds": round(read.elapsed, 3),
            }
        )
    return report
