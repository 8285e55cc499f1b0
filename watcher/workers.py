"""The process pool for the CPU-bound steps (parsing, classifying) and the model it holds.

Parsing runs at ~3 MB/s per core and scoring at a few thousand articles/s: both stay off the
event loop, which must keep fetching and writing. Each worker receives the relevance model
once, when it starts; a new model (after feedback) means a new pool.

The pool is pebble's: each call is tied to the worker that runs it, so a worker that dies
(SIGKILL, the kernel's OOM killer, a CPU or memory ceiling, see ceilings.py) fails that call
alone and is replaced, where concurrent.futures' pool breaks for good and fails every call.
The feed whose document killed its worker gets a clear error and backs off like any failing
feed; other feeds never notice.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any, TypeVar

from pebble import ProcessExpired, ProcessPool

from watcher.ceilings import (
    DEFAULT_LIMITS,
    CpuCeilingExceeded,
    Limits,
    cpu_budget,
    enter_worker,
)
from watcher.enrich.extract import read_and_judge
from watcher.errors import WatcherError
from watcher.models import Article, Entry, Page, ParsedFeed, Verdict
from watcher.normalize import seen_mark
from watcher.parse import parse_feed
from watcher.topic import RelevanceModel
from watcher.topic.language import detect

log = logging.getLogger("watcher.workers")

_model: RelevanceModel | None = None
_limits: Limits | None = None  # set in workers only: the owner's own process has no ceilings

Item = tuple[int, str, str, str | None]
T = TypeVar("T")
STOP_WAIT = 10.0


class WorkerError(WatcherError):
    """A worker could not finish a call: it died, or it passed a ceiling."""

    retryable = True


def _start_worker(model: RelevanceModel | None, owner: int, limits: Limits) -> None:
    """Workers yield the CPU to the event loop, which must keep fetching and writing.

    Measured: with equal priority, two busy parse workers starve the loop on two cores and
    the cold pass over 1,000 feeds takes 17 s instead of 13 s.
    """
    global _model, _limits
    _model, _limits = model, limits
    os.nice(5)
    enter_worker(owner, limits)
    if model is not None:
        detect("load the language model now, not with the first article")


def _arrive() -> int:
    """A worker's pid, held a moment so that one worker cannot answer for all of them."""
    time.sleep(0.05)
    return os.getpid()


def _budget() -> AbstractContextManager[None]:
    return cpu_budget(_limits.cpu) if _limits is not None else nullcontext()


def _too_costly(limits: Limits | None, exc: BaseException) -> str:
    if isinstance(exc, CpuCeilingExceeded):
        cpu = limits.cpu if limits else 0
        return f"reading the document took more than {cpu:g}s of CPU time ([polling] worker_cpu)"
    memory = limits.memory // 2**20 if limits else 0
    return f"reading the document needed more than {memory} MB of memory ([polling] worker_memory)"


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
    try:
        with _budget():
            parsed = parse_feed(body, headers, url, feed_key, now)
            return parsed, tuple(
                None if seen_mark(entry.keys[0]) in seen else _judge(chosen, entry)
                for entry in parsed.entries
            )
    except (CpuCeilingExceeded, MemoryError) as exc:
        return ParsedFeed(entries=(), error=_too_costly(_limits, exc)), ()


def parse_only(
    body: bytes, headers: Mapping[str, str], url: str, feed_key: str, now: datetime
) -> ParsedFeed:
    try:
        with _budget():
            return parse_feed(body, headers, url, feed_key, now)
    except (CpuCeilingExceeded, MemoryError) as exc:
        return ParsedFeed(entries=(), error=_too_costly(_limits, exc))


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
    try:
        with _budget():
            return [
                (i, chosen.classify(title, text, language)) for i, title, text, language in items
            ]
    except (CpuCeilingExceeded, MemoryError) as exc:
        raise WorkerError(_too_costly(_limits, exc)) from None


def read_page(
    body: bytes, url: str, title: str, model: RelevanceModel | None = None
) -> tuple[Page, Verdict | None]:
    """Extract an article page and judge its entry again on the page's text (watcher/enrich),
    under the same ceilings as a feed document."""
    chosen = model or _model
    assert chosen is not None, "worker started without a model"
    try:
        with _budget():
            return read_and_judge(body, url, title, chosen)
    except (CpuCeilingExceeded, MemoryError) as exc:
        raise WorkerError(_too_costly(_limits, exc)) from None


def items_of(articles: Sequence[Article]) -> list[Item]:
    return [(a.id, a.title, a.text, a.language) for a in articles]


def _context() -> multiprocessing.context.BaseContext:
    # forkserver: forking a process that runs threads (httpx, APScheduler) is unsafe.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["watcher.preload"])
    return context


def _death(exc: ProcessExpired) -> str:
    code = exc.exitcode
    if code is not None and code < 0:
        how = f"was killed by {signal.Signals(-code).name}"
        if -code == signal.SIGKILL:
            how += " (out of memory, or killed by hand)"
    else:
        how = f"exited with status {code}"
    return f"the worker reading the document {how}; it was replaced"


def _timed_out(limits: Limits) -> str:
    return (
        f"reading the document took longer than {limits.wall:.0f}s; its worker was stopped "
        "and replaced ([polling] worker_cpu)"
    )


def stop_pool(pool: ProcessPool, wait: float = STOP_WAIT) -> None:
    """Let the workers finish what they hold, then stop them; kill them past `wait`."""
    pool.close()  # type: ignore[no-untyped-call]
    pool.join(wait)
    if pool.active:
        pool.stop()  # type: ignore[no-untyped-call]
        pool.join()


class Workers:
    def __init__(
        self, model: RelevanceModel, count: int = 0, limits: Limits = DEFAULT_LIMITS
    ) -> None:
        self.count = count or os.cpu_count() or 1
        self.model = model
        self.limits = limits
        self._pool = self._start(model)
        self.warm_up()

    def _start(self, model: RelevanceModel) -> ProcessPool:
        return ProcessPool(
            self.count,
            initializer=_start_worker,
            initargs=(model, os.getpid(), self.limits),
            context=_context(),
        )

    def warm_up(self) -> None:
        """Start every worker now, so the first article found does not wait for one (and a
        pool stopped at once does not stop a worker still starting)."""
        seen: set[int] = set()
        for _ in range(100):
            seen.update(
                f.result() for f in [self._pool.schedule(_arrive) for _ in range(self.count)]
            )
            if len(seen) >= self.count:
                return

    def replace_model(self, model: RelevanceModel) -> None:
        old, self._pool, self.model = self._pool, self._start(model), model
        threading.Thread(target=stop_pool, args=(old,), daemon=True).start()
        self.warm_up()

    def _schedule(self, function: Callable[..., T], *args: Any) -> Future[T]:
        """A call on a pool that is running: a pool that broke as a whole is rebuilt."""
        try:
            future: Future[T] = self._pool.schedule(function, args=args, timeout=self.limits.wall)
        except (RuntimeError, BrokenProcessPool):
            log.warning("the worker pool had stopped; starting a new one")
            self._pool = self._start(self.model)
            future = self._pool.schedule(function, args=args, timeout=self.limits.wall)
        return future

    async def _call(self, function: Callable[..., T], *args: Any) -> T:
        """Run a call in a worker; a worker that dies or overruns fails this call alone."""
        future = self._schedule(function, *args)
        try:
            return await asyncio.wrap_future(future)
        except ProcessExpired as exc:
            raise WorkerError(_death(exc)) from None
        except TimeoutError:
            raise WorkerError(_timed_out(self.limits)) from None

    async def parse_and_judge(
        self,
        body: bytes,
        headers: Mapping[str, str],
        url: str,
        feed_key: str,
        now: datetime,
        seen: frozenset[str] = frozenset(),
    ) -> tuple[ParsedFeed, tuple[Verdict | None, ...]]:
        """Entries of the document, and verdicts for those whose seen_mark is not in `seen`.

        A worker that dies or overruns reading it fails this document alone, as its error.
        """
        try:
            return await self._call(parse_and_judge, body, dict(headers), url, feed_key, now, seen)
        except WorkerError as exc:
            return ParsedFeed(entries=(), error=str(exc)), ()

    async def classify(self, articles: Sequence[Article]) -> list[tuple[int, Verdict]]:
        if not articles:
            return []
        return await self._call(classify_items, items_of(articles))

    async def read_page(self, body: bytes, url: str, title: str) -> tuple[Page, Verdict | None]:
        """A worker that dies or overruns on a page fails that page alone (WorkerError)."""
        return await self._call(read_page, body, url, title)

    def shutdown(self) -> None:
        stop_pool(self._pool)


def parse_isolated(
    body: bytes,
    headers: Mapping[str, str],
    url: str,
    feed_key: str,
    now: datetime,
    limits: Limits = DEFAULT_LIMITS,
) -> ParsedFeed:
    """parse_feed in a worker of its own, under the same ceilings as the daemon's: for
    one-off commands (`feeds check`), which must survive the same documents.

    From the forkserver, like the daemon's workers: the caller may run threads (the web
    console does), which a plain fork could catch holding a lock.
    """
    pool = ProcessPool(
        1, initializer=_start_worker, initargs=(None, os.getpid(), limits), context=_context()
    )
    try:
        future = pool.schedule(
            parse_only, args=(body, dict(headers), url, feed_key, now), timeout=limits.wall
        )
        try:
            parsed: ParsedFeed = future.result()
        except ProcessExpired as exc:
            return ParsedFeed(entries=(), error=_death(exc))
        except TimeoutError:
            return ParsedFeed(entries=(), error=_timed_out(limits))
        return parsed
    finally:
        stop_pool(pool)
