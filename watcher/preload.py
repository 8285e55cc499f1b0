"""Imported once by the forkserver, so every worker shares these pages instead of copying them.

The language model alone is tens of megabytes; loaded before the fork, the workers read it
from shared memory.
"""

from __future__ import annotations

import feedparser  # noqa: F401  (imported for its side effect: loaded before the fork)
import numpy  # noqa: F401

from watcher.topic.language import _identifier

_identifier()
