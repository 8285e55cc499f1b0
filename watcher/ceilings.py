"""Inside a worker process: its memory and CPU ceilings, and who may stop it.

A hostile document must cost its own feed a clear error, not the host its memory, and the
worker that read it is replaced, not the pool (see workers.py). The ceilings:
- memory: RLIMIT_DATA (heap and private mappings, ~200 MB at start with the model loaded), never
  set below what the worker holds at start plus 64 MB. Past it, allocations fail with
  MemoryError, which names the feed;
- CPU time per call: a profiling timer (ITIMER_PROF) armed for each call raises
  CpuCeilingExceeded when it fires. Code stuck in C never sees that exception: the pool's
  wall-clock timeout kills that worker instead.
Signals: a Ctrl-C or a SIGTERM sent to the whole process group (systemd's default stop) must not
kill a worker mid-document; the owner finishes its in-flight work and stops the workers itself.
So SIGINT is ignored and SIGTERM obeyed only when the owner sends it.
"""

from __future__ import annotations

import os
import resource
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType


@dataclass(frozen=True, slots=True)
class Limits:
    """A worker's ceilings ([polling] worker_memory and worker_cpu)."""

    memory: int = 512 * 2**20  # bytes of RLIMIT_DATA per worker
    cpu: float = 30.0  # CPU seconds per call

    @property
    def wall(self) -> float:
        """Wall-clock time after which the owner kills a call: CPU time plus room for a busy
        host (workers run at a lower priority than the event loop)."""
        return self.cpu * 4 + 30


HEADROOM = 64 * 2**20  # the least a worker may allocate beyond what it holds when it starts


class CpuCeilingExceeded(BaseException):
    """The call used more CPU time than its budget. Not an Exception: a library's
    `except Exception` must not swallow it."""


def _raise_cpu_ceiling(_signum: int, _frame: FrameType | None) -> None:
    raise CpuCeilingExceeded


def enter_worker(owner: int, limits: Limits) -> None:
    """Run once in each new worker, before it takes any work."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Blocked here, so in every thread started from now on: only the waiter below takes it.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    threading.Thread(target=_obey_owner_only, args=(owner,), daemon=True).start()
    threading.Thread(target=_exit_when_orphaned, args=(owner,), daemon=True).start()
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    # Never below what the worker holds already plus some room: a ceiling it cannot even
    # start under would have the pool start it again forever.
    ceiling = max(limits.memory, data_size() + HEADROOM)
    if hard != resource.RLIM_INFINITY:
        ceiling = min(ceiling, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (ceiling, hard))
    signal.signal(signal.SIGPROF, _raise_cpu_ceiling)


def data_size() -> int:
    """What RLIMIT_DATA counts in this process now (VmData), in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmData:"):
            return int(line.split()[1]) * 1024
    return 0


def _obey_owner_only(owner: int) -> None:
    while True:
        info = signal.sigwaitinfo({signal.SIGTERM})
        if info.si_pid == owner:
            os._exit(0)


def _exit_when_orphaned(owner: int) -> None:
    """A daemon killed with SIGKILL cannot stop its workers: they stop themselves."""
    while True:
        time.sleep(0.5)
        try:
            os.kill(owner, 0)
        except ProcessLookupError:
            os._exit(0)


@contextmanager
def cpu_budget(seconds: float) -> Iterator[None]:
    """CpuCeilingExceeded once this call has used `seconds` of CPU time (ITIMER_PROF counts
    the process's user and system time, to the millisecond)."""
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)


DEFAULT_LIMITS = Limits()
