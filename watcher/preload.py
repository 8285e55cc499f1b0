"""Imported once by the forkserver, so every worker shares these pages instead of copying them.

The language model alone is tens of megabytes; loaded before the fork, the workers read it
from shared memory.
"""

from __future__ import annotations

import gc

import watcher.parse  # noqa: F401  (loaded before the fork: feedparser and friends)
from watcher.topic.language import _identifier

_identifier()

# The workers fork from this process: objects frozen here are never visited by their
# collector, so the pages holding them stay shared instead of being copied on first touch.
gc.freeze()
