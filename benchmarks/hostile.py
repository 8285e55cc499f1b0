"""Hostile feed documents: what a parse worker does with each, and its peak memory.

One worker with the daemon's default ceilings (512 MB, 30 s of CPU) parses and judges each
document in turn; its peak RSS (VmHWM, reset before each case through /proc/PID/clear_refs,
which needs root or the same user) is read after each one.

    .venv/bin/python benchmarks/hostile.py
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests import hostile  # noqa: E402
from watcher.ceilings import Limits  # noqa: E402
from watcher.config import load_config  # noqa: E402
from watcher.topic import build_model  # noqa: E402
from watcher.workers import Workers  # noqa: E402


def cases() -> dict[str, tuple[bytes, str]]:
    found = {
        "entity bomb (385 KB, one 100 KB entity x 95,000)": (
            hostile.entity_bomb(),
            "application/rss+xml",
        ),
        "20,000 entries (3.5 MB, valid)": (hostile.heavy(20_000), "application/rss+xml"),
    }
    for name, body in hostile.XML_ENTRIES.items():
        found[f"RSS entry: {name}"] = (body, "application/rss+xml")
    for name, item in hostile.JSON_ENTRIES.items():
        found[f"JSON Feed entry: {name}"] = (hostile.json_feed_with(item), "application/feed+json")
    return found


def worker_peak_mb(pid: int) -> float:
    """Peak RSS (VmHWM) of a process since its peak was last reset."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS


async def run_cases(pool: Workers) -> None:
    pid = await asyncio.wrap_future(pool._pool.schedule(os.getpid))
    reset_peak(pid)
    idle = worker_peak_mb(pid)
    print(f"worker {pid}: {idle:.0f} MB RSS before any document (model and parser loaded)")
    print("| case | what the watcher does | worker peak RSS | wall |")
    print("|---|---|---|---|")
    for name, (body, content_type) in cases().items():
        reset_peak(pid)
        started = time.monotonic()
        parsed, _ = await pool.parse_and_judge(
            body, {"content-type": content_type}, "https://e.org/f", "k", datetime.now(UTC)
        )
        wall = time.monotonic() - started
        did = parsed.error or f"{len(parsed.entries)} entries stored"
        if parsed.skipped:
            did += f", {len(parsed.skipped)} skipped"
        print(f"| {name} | {did} | {worker_peak_mb(pid):.0f} MB | {wall:.2f} s |", flush=True)


def main() -> None:
    config = load_config(REPO / "config" / "watcher.toml")
    pool = Workers(build_model(config), 1, Limits())
    try:
        asyncio.run(run_cases(pool))
    finally:
        pool.shutdown()


if __name__ == "__main__":
    main()
