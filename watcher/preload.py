"""Imported once by the forkserver, so every worker shares these pages instead of copying them.

The language model alone is tens of megabytes; loaded before the fork, the workers read it
from shared memory.
"""

from __future__ import annotations

import gc
import signal

import watcher.parse  # noqa: F401  (loaded before the fork: feedparser and friends)
from watcher.topic.language import _identifier

_identifier()

# systemd stops a service with SIGTERM to every process in it. The forkserver must outlive it
# until its owner stops: when it dies, its workers look dead to their pool (their exit status
# comes through it) and their documents fail. It exits by itself when its owner does.
signal.signal(signal.SIGTERM, signal.SIG_IGN)

# The workers fork from this process: objects frozen here are never visited by their
# collector, so the pages holding them stay shared instead of being copied on first touch.
gc.freeze()
