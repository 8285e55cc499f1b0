"""Peak memory of this process and all its descendants (parse workers, forkserver)."""

from __future__ import annotations

import os
import threading
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


class PeakSampler:
    """Samples the process tree every `interval` s: peak summed RSS, and CPU of descendants.

    Forkserver workers are not our children, so getrusage(RUSAGE_CHILDREN) never sees them.
    """

    def descendant_cpu(self) -> float:
        """CPU the descendants used while the sampler ran."""
        return sum(cpu - self.worker_cpu_start[pid] for pid, cpu in self.worker_cpu.items())

    def __init__(self, exclude: set[int], interval: float = 0.25) -> None:
        self.exclude = exclude
        self.interval = interval
        self.peak_total = 0.0
        self.peak_main = 0.0
        self.worker_cpu: dict[int, float] = {}
        self.worker_cpu_start: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = os.getpid()
        others: list[int] = []
        samples = 0
        while not self._stop.is_set():
            main = rss_mb(me)
            if samples % 8 == 0:  # walking all of /proc is costly: it ran in the measured process
                others = descendants(me, self.exclude)
            samples += 1
            total = pss_mb(me) + sum(pss_mb(p) for p in others)
            for pid in others:
                cpu = cpu_seconds(pid)
                self.worker_cpu_start.setdefault(pid, cpu)
                self.worker_cpu[pid] = max(self.worker_cpu.get(pid, 0.0), cpu)
            self.peak_main = max(self.peak_main, main)
            self.peak_total = max(self.peak_total, total)
            self._stop.wait(self.interval)
