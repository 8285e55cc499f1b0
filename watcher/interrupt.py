"""Ctrl-C while the daemon is still loading: stop at once, exit 0, no traceback.

Python's own SIGINT handler raises KeyboardInterrupt wherever the main thread is. When that is
inside code run by exec() of a string (dataclasses build their methods so, at import time),
CPython 3.11 records the interrupt as unhandled even though we catch it, and the process
ends killed by SIGINT (status -2) instead of exiting 0. CPython checks for KeyboardInterrupt
itself, not a subclass, so until the daemon's own handler takes over SIGINT raises
`LoadingInterrupted`; asyncio still treats it as an interrupt (it never swallows one).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class LoadingInterrupted(KeyboardInterrupt):
    """SIGINT arrived before the daemon was ready."""


def _interrupt(signum: int, frame: FrameType | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # a second Ctrl-C while stopping ends it at once
    raise LoadingInterrupted


@contextmanager
def interruptible_loading() -> Iterator[None]:
    """SIGINT raises LoadingInterrupted inside this block, unless something installs its own
    handler meanwhile (the daemon does once ready); the previous handler is restored after."""
    previous = signal.signal(signal.SIGINT, _interrupt)
    try:
        yield
    finally:
        if signal.getsignal(signal.SIGINT) in (_interrupt, signal.SIG_DFL):
            signal.signal(signal.SIGINT, previous)
