"""The process pool for the CPU-bound steps (parsing, classifying) and the model it holds.

Parsing runs at ~3 MB/s per core and scoring at a few thousand articles/s: both stay off the
event loop, which must keep fetching and writing. Each worker receives the relevance model
once, when it starts; a new model (after feedback) means a new pool.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime

from watcher.models import Article, Entry, ParsedFeed, Verdict
from watcher.normalize import seen_mark
from watcher.parse import parse_feed
from watcher.topic import RelevanceModel
from watcher.topic.language import detect

_model: RelevanceModel | None = None

Item = tuple[int, str, str, str | None]


def _exit_when_orphaned(owner: int) -> None:
    """A daemon killed with SIGKILL cannot stop its workers: they stop themselves."""
    while True:
        time.sleep(0.5)
        try:
            os.kill(owner, 0)
        except ProcessLookupError:
            os._exit(0)


def _start_worker(model: RelevanceModel, owner: int) -> None:
    """Workers yield the CPU to the event loop, which must keep fetching and writing.

    Measured: with equal priority, two busy parse workers starve the loop on two cores and
    the cold pass over 1,000 feeds takes 17 s instead of 13 s.
    """
    global _model
    _model = model
    os.nice(5)
    threading.Thread(target=_exit_when_orphaned, args=(owner,), daemon=True).start()
    detect("load the language model now, not with the first article")


def parse_and_judge(
    body: bytes,
    headers: Mapping[str, str],
    url: str,
    feed_key: str,
    now: datetime,
    seen: frozenset[str],
    model: RelevanceModel | None = None,
) -> tuple[ParsedFeed, tuple[Verdict | None, ...]]:
    """Parse a document and judge its entries in one trip to the worker.

    The texts are already here: judging them now spares sending them back for a second trip
    and updating their rows after the insert. Entries the feed's previous document had
    (`seen` holds the seen_mark of their first keys) are not new, and are not judged; the
    few judged ones that turn out to be stored already (another feed had them) cost a
    wasted verdict each.
    """
    chosen = model or _model
    assert chosen is not None, "worker started without a model"
    parsed = parse_feed(body, headers, url, feed_key, now)
    return parsed, tuple(
        None if seen_mark(entry.keys[0]) in seen else _judge(chosen, entry)
        for entry in parsed.entries
    )


def _judge(model: RelevanceModel, entry: Entry) -> Verdict | None:
    try:
        return model.classify(entry.title, entry.text, entry.language)
    except Exception:
        # No verdict: the pipeline judges the article again after storing it, where a
        # failure is logged and the article waits in the backlog instead of being lost.
        return None


def classify_items(
    items: Sequence[Item], model: RelevanceModel | None = None
) -> list[tuple[int, Verdict]]:
    chosen = model or _model
    assert chosen is not None, "worker started without a model"
    return [(i, chosen.classify(title, text, language)) for i, title, text, language in items]


def items_of(articles: Sequence[Article]) -> list[Item]:
    return [(a.id, a.title, a.text, a.language) for a in articles]


class Workers:
    def __init__(self, model: RelevanceModel, count: int = 0) -> None:
        self.count = count or os.cpu_count() or 1
        self.model = model
        self._pool = self._start(model)
        self.warm_up()

    def _start(self, model: RelevanceModel) -> ProcessPoolExecutor:
        # forkserver: forking a process that runs threads (httpx, APScheduler) is unsafe.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["watcher.preload"])
        return ProcessPoolExecutor(
            self.count,
            mp_context=context,
            initializer=_start_worker,
            initargs=(model, os.getpid()),
        )

    def warm_up(self) -> None:
        """Start every worker now, so the first article found does not wait for one."""
        for future in [self._pool.submit(os.getpid) for _ in range(self.count * 2)]:
            future.result()

    def replace_model(self, model: RelevanceModel) -> None:
        old, self._pool, self.model = self._pool, self._start(model), model
        old.shutdown(wait=False)
        self.warm_up()

    async def parse(
        self,
        body: bytes,
        headers: Mapping[str, str],
        url: str,
        feed_key: str,
        now: datetime,
        seen: frozenset[str] = frozenset(),
    ) -> tuple[ParsedFeed, tuple[Verdict | None, ...]]:
        """Entries of the document, and verdicts for those whose seen_mark is not in `seen`."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool, parse_and_judge, body, dict(headers), url, feed_key, now, seen
        )

    async def classify(self, articles: Sequence[Article]) -> list[tuple[int, Verdict]]:
        if not articles:
            return []
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, classify_items, items_of(articles))

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
