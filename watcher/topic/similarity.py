"""TF-IDF cosine similarity to example documents (the seeds, and feedback)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from watcher.topic.text import fold

MAX_TOKENS = 400


def tokens(text: str) -> list[str]:
    return [t for t in fold(text).split()[:MAX_TOKENS] if len(t) > 2 and not t.isdigit()]


@dataclass(frozen=True)
class Vectorizer:
    idf: dict[str, float]
    default_idf: float

    @classmethod
    def fit(cls, documents: Sequence[str]) -> Vectorizer:
        frequency: Counter[str] = Counter()
        for document in documents:
            frequency.update(set(tokens(document)))
        n = len(documents) + 1
        idf = {term: math.log(n / (1 + df)) + 1 for term, df in frequency.items()}
        return cls(idf=idf, default_idf=math.log(n) + 1)

    def vector(self, text: str) -> dict[str, float]:
        counts = Counter(tokens(text))
        weights = {
            t: (1 + math.log(c)) * self.idf.get(t, self.default_idf) for t, c in counts.items()
        }
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {t: w / norm for t, w in weights.items()}


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())


@dataclass(frozen=True)
class Exemplars:
    """Labelled vectors, each known by a key (its source) and shown by its title."""

    keys: tuple[str, ...]
    titles: tuple[str, ...]
    vectors: tuple[dict[str, float], ...]

    def nearest(
        self, vector: dict[str, float], exclude: str | None = None
    ) -> tuple[str | None, float]:
        """The title of the most similar exemplar but `exclude` (an example is not its own
        neighbour), and the similarity; (None, 0.0) when nothing is similar at all."""
        best_title, best = None, 0.0
        for key, title, other in zip(self.keys, self.titles, self.vectors, strict=True):
            if key == exclude:
                continue
            similarity = cosine(vector, other)
            if similarity > best:
                best_title, best = title, similarity
        return best_title, best
