"""A worker that dies or passes a ceiling fails its own document, and is replaced."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

from tests import feeds as fx
from tests import hostile
from watcher.ceilings import Limits
from watcher.workers import Workers, parse_isolated

NOW = datetime(2025, 1, 20, tzinfo=UTC)
GOOD = fx.rss20(fx.items(3))


def cpu_seconds(pid: int) -> float:
    fields = stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def parse(pool: Workers, body: bytes, content_type: str = "application/rss+xml"):
    parsed, _ = await pool.parse_and_judge(
        body, {"content-type": content_type}, "https://e.org/", "k", NOW
    )
    return parsed


def test_a_document_past_the_cpu_ceiling_fails_alone():
    limits = Limits(memory=2**34, cpu=0.3)
    slow = parse_isolated(hostile.heavy(5_000), {}, "https://e.org/", "k", NOW, limits)
    assert slow.error is not None and "0.3s of CPU time ([polling] worker_cpu)" in slow.error
    assert not slow.entries
    good = parse_isolated(GOOD, {}, "https://e.org/", "k", NOW, limits)
    assert good.error is None and len(good.entries) == 3


def test_a_document_past_the_memory_ceiling_fails_alone():
    limits = Limits(memory=1, cpu=60.0)  # the least: what the worker holds at start + 64 MB
    strings = ",".join(['"ab"'] * 3_000_000)  # ~200 MB of string objects once decoded
    body = f'{{"version": "https://jsonfeed.org/version/1.1", "items": [], "x": [{strings}]}}'
    big = parse_isolated(
        body.encode(), {"content-type": "application/json"}, "https://e.org/", "k", NOW, limits
    )
    assert big.error is not None and "[polling] worker_memory" in big.error
    good = parse_isolated(GOOD, {}, "https://e.org/", "k", NOW, limits)
    assert good.error is None and len(good.entries) == 3


def stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


async def worker_pids(pool: Workers) -> set[int]:
    """The pool's workers: the forkserver's children (one worker names the forkserver)."""
    one = await asyncio.wrap_future(pool._pool.schedule(os.getpid))
    forkserver = stat(one)[1]
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if stat(int(entry.name))[1] == forkserver:
                    pids.add(int(entry.name))
            except (FileNotFoundError, ProcessLookupError):
                continue
    return pids


def test_a_worker_killed_mid_document_is_replaced_and_other_documents_never_notice(executor):
    async def run():
        pids = await worker_pids(executor)
        before = {pid: cpu_seconds(pid) for pid in pids}
        doomed = asyncio.ensure_future(parse(executor, hostile.heavy(20_000)))
        busy = None
        deadline = time.monotonic() + 60
        while busy is None and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
            busy = next((p for p in pids if cpu_seconds(p) > before[p] + 0.2), None)
        assert busy is not None, "no worker took the document"
        others = [asyncio.ensure_future(parse(executor, GOOD)) for _ in range(3)]
        os.kill(busy, signal.SIGKILL)
        killed = await doomed
        after = [await other for other in others] + [await parse(executor, GOOD)]
        pids = await worker_pids(executor)
        deadline = time.monotonic() + 60
        while len(pids) < executor.count and time.monotonic() < deadline:  # replacement starting
            await asyncio.sleep(0.1)
            pids = await worker_pids(executor)
        return busy, killed, after, pids

    busy, killed, after, pids = asyncio.run(run())
    assert killed.error is not None and "killed by SIGKILL" in killed.error
    assert all(p.error is None and len(p.entries) == 3 for p in after)
    assert busy not in pids and len(pids) == executor.count
