"""Peak memory of this process and all its descendants (parse workers, forkserver)."""

from __future__ import annotations

import multiprocessing
import os
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path


def _status(pid: int) -> dict[str, str]:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def descendants(root: int, exclude: set[int]) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            ppid = _status(int(entry.name)).get("PPid", "0").strip()
            children.setdefault(int(ppid), []).append(int(entry.name))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        for child in children.get(pid, []):
            if child not in exclude:
                found.append(child)
                stack.append(child)
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process, from /proc/PID/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    value = _status(pid).get("VmRSS", "0 kB").split()[0]
    return int(value) / 1024


def pss_mb(pid: int) -> float:
    """Proportional set size: shared pages divided among the processes sharing them, so a
    sum over processes counts each page once (RSS would count shared pages many times)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return rss_mb(pid)


@dataclass
class Peaks:
    main: float = 0.0  # RSS of the measured process, MB
    total: float = 0.0  # PSS of it and its descendants, MB
    cpu_start: dict[int, float] = field(default_factory=dict)
    cpu_end: dict[int, float] = field(default_factory=dict)


def _sample(root: int, exclude: set[int], interval: float, conn: Connection) -> None:
    """Runs in its own process: reading smaps is costly and must not load the measured one."""
    exclude = exclude | {os.getpid()}
    peaks = Peaks()
    others: list[int] = []
    samples = 0
    conn.send("ready")
    while True:
        if samples % 8 == 0:  # walking all of /proc is costly
            others = descendants(root, exclude)
        samples += 1
        peaks.main = max(peaks.main, rss_mb(root))
        peaks.total = max(peaks.total, pss_mb(root) + sum(pss_mb(p) for p in others))
        for pid in others:
            cpu = cpu_seconds(pid)
            peaks.cpu_start.setdefault(pid, cpu)
            peaks.cpu_end[pid] = max(peaks.cpu_end.get(pid, 0.0), cpu)
        if conn.poll(interval):
            conn.send(peaks)
            return


class PeakSampler:
    """Samples the process tree every `interval` s from a separate process: peak summed PSS,
    peak RSS of the measured process, and the CPU its descendants used.

    Forkserver workers are not our children, so getrusage(RUSAGE_CHILDREN) never sees them.
    """

    def __init__(self, exclude: set[int], interval: float = 0.25) -> None:
        self.exclude = exclude
        self.interval = interval
        self.peaks = Peaks()

    @property
    def peak_main(self) -> float:
        return self.peaks.main

    @property
    def peak_total(self) -> float:
        return self.peaks.total

    def descendant_cpu(self) -> float:
        """CPU the descendants used while the sampler ran."""
        return sum(cpu - self.peaks.cpu_start[pid] for pid, cpu in self.peaks.cpu_end.items())

    def __enter__(self) -> PeakSampler:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_sample, args=(os.getpid(), self.exclude, self.interval, child), daemon=True
        )
        self._process.start()
        self._conn.recv()  # sampling has begun
        return self

    def __exit__(self, *exc: object) -> None:
        self._conn.send("stop")
        self.peaks = self._conn.recv()
        self._process.join()
