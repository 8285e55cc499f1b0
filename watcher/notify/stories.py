"""Pure near-duplicate grouping: the same story told by many outlets, or told twice.

A story's signature is the set of hashed word triples of its headline and lead. Two
articles are one story when their signatures overlap enough, or their headlines mostly
share words. Hashes are CRC32 so signatures stay comparable across restarts.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

from watcher.topic.text import fold

LEAD_CHARS = 600
MIN_SHINGLE_OVERLAP = 0.4
MIN_TITLE_OVERLAP = 0.6


def signature(title: str, text: str) -> frozenset[int]:
    words = fold(f"{title} {text[:LEAD_CHARS]}").split()
    if len(words) < 3:
        return frozenset(zlib.crc32(w.encode()) for w in words)
    return frozenset(zlib.crc32(" ".join(words[i : i + 3]).encode()) for i in range(len(words) - 2))


def _jaccard(a: frozenset[int] | set[str], b: frozenset[int] | set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _title_words(title: str) -> set[str]:
    return {w for w in fold(title).split() if len(w) > 2}


def match(
    title: str, sig: frozenset[int], candidates: Sequence[tuple[int, frozenset[int], str]]
) -> int | None:
    """The id of the story this article belongs to, or None when it starts a new one."""
    words = _title_words(title)
    best_id, best = None, 0.0
    for story_id, other, other_title in candidates:
        score = max(
            _jaccard(sig, other) / MIN_SHINGLE_OVERLAP,
            _jaccard(words, _title_words(other_title)) / MIN_TITLE_OVERLAP,
        )
        if score >= 1.0 and score > best:
            best_id, best = story_id, score
    return best_id
