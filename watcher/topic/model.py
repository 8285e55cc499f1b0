"""The relevance model: topic features + similarity, weighed by a logistic regression.

The regression is fitted at start-up from the seeds, the labelled examples and the user's
feedback, shrunk towards prior weights that encode what the features mean; with no
labelled data at all the priors alone give a usable model.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from watcher.models import Verdict
from watcher.topic.definition import Example, TopicFile
from watcher.topic.features import FEATURES, Evidence, Matchers, aspects, extract
from watcher.topic.language import detect
from watcher.topic.similarity import Exemplars, Vectorizer

PRIOR = {
    "parties": 1.0,
    "anchor": 1.0,
    "strong": 0.8,
    "weak": 0.2,
    "topic_sentences": 1.5,
    "topic_share": 2.0,
    "in_title": 1.5,
    "in_lead": 1.0,
    "events": 0.3,
    "lookalike": -3.0,
    "distractors": -1.0,
    "seed_similarity": 2.0,
    "feedback": 4.0,
    "title_only": 0.0,
}
PRIOR_BIAS = -4.0
RIDGE = 2.0
TITLE_ONLY_WEIGHT = 0.5
FEEDBACK_WEIGHT = 3.0
MAX_FEEDBACK_EXEMPLARS = 200
LANGUAGE_FLOOR = 0.05


def _fit(x: np.ndarray, y: np.ndarray, w: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Weighted logistic regression by Newton steps, with a ridge penalty towards `prior`.

    Column 0 of x is the intercept; it is not penalised.
    """
    beta = prior.copy()
    penalty = np.full(len(prior), RIDGE)
    penalty[0] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(x @ beta)))
        gradient = x.T @ (w * (p - y)) + penalty * (beta - prior)
        hessian = (x.T * (w * p * (1 - p))) @ x + np.diag(penalty + 1e-6)
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.max(np.abs(step)) < 1e-6:
            break
    return beta


@dataclass(frozen=True)
class RelevanceModel:
    topic: TopicFile
    matchers: Matchers
    vectorizer: Vectorizer
    seeds: Exemplars
    liked: Exemplars
    disliked: Exemplars
    coefficients: tuple[float, ...]
    threshold: float
    version: str

    @classmethod
    def build(
        cls,
        topic: TopicFile,
        seeds: Sequence[Example],
        labelled: Sequence[Example],
        feedback: Sequence[Example],
        threshold: float,
    ) -> RelevanceModel:
        matchers = Matchers.build(topic)
        documents = [f"{e.title}\n{e.text}" for e in (*seeds, *labelled, *feedback)]
        vectorizer = Vectorizer.fit(documents)
        recent = list(feedback)[-MAX_FEEDBACK_EXEMPLARS:]
        base = cls(
            topic=topic,
            matchers=matchers,
            vectorizer=vectorizer,
            seeds=Exemplars(
                tuple(s.source.removeprefix("seed:") for s in seeds),
                tuple(vectorizer.vector(f"{s.title}\n{s.text}") for s in seeds),
            ),
            liked=_exemplars(vectorizer, [e for e in recent if e.label == 1]),
            disliked=_exemplars(vectorizer, [e for e in recent if e.label == 0]),
            coefficients=(PRIOR_BIAS, *(PRIOR[name] for name in FEATURES)),
            threshold=threshold,
            version="",
        )
        rows, targets, weights = [], [], []
        for example in (*seeds, *labelled, *feedback):
            weight = FEEDBACK_WEIGHT if example.source.startswith("feedback:") else example.weight
            for title, text, factor in (
                (example.title, example.text, 1.0),
                (example.title, "", TITLE_ONLY_WEIGHT),
            ):
                if not title and not text:
                    continue
                vector, _ = base._features(title, text, exclude=example.source)
                rows.append([1.0, *vector])
                targets.append(float(example.label))
                weights.append(weight * factor)
        prior = np.array(base.coefficients)
        coefficients = prior
        if rows and len(set(targets)) == 2:
            coefficients = _fit(np.array(rows), np.array(targets), np.array(weights), prior)
        digest = hashlib.sha256(
            repr((topic.model_dump(), documents, [e.label for e in feedback])).encode()
        ).hexdigest()[:12]
        return cls(
            **{
                **base.__dict__,
                "coefficients": tuple(float(c) for c in coefficients),
                "version": digest,
            }
        )

    def _features(
        self, title: str, text: str, exclude: str | None = None
    ) -> tuple[list[float], tuple[Evidence, str | None, float, float]]:
        values, evidence = extract(title, text, self.matchers)
        seed_name, seed_similarity, liked, disliked = None, 0.0, 0.0, 0.0
        if not evidence.no_party:  # similarity cannot rescue an article naming neither party
            vector = self.vectorizer.vector(f"{title}\n{title}\n{text}")
            seed_name, seed_similarity = _nearest(self.seeds, vector, exclude)
            _, liked = _nearest(self.liked, vector, exclude)
            _, disliked = _nearest(self.disliked, vector, exclude)
        values["seed_similarity"] = seed_similarity
        values["feedback"] = liked - disliked
        return [values[name] for name in FEATURES], (
            evidence,
            seed_name,
            seed_similarity,
            liked - disliked,
        )

    def classify(self, title: str, text: str, language: str | None = None) -> Verdict:
        vector, (evidence, seed_name, seed_similarity, feedback) = self._features(title, text)
        contributions = {
            name: self.coefficients[i + 1] * value
            for i, (name, value) in enumerate(zip(FEATURES, vector, strict=True))
        }
        logit = self.coefficients[0] + sum(contributions.values())
        score = 1.0 / (1.0 + math.exp(-logit))
        if language is None and score >= LANGUAGE_FLOOR:
            # Only articles that might reach someone need a language (for filters and display).
            language, _ = detect(f"{title}. {text}")
        relevant = score >= self.threshold
        return Verdict(
            score=round(score, 4),
            relevant=relevant,
            aspects=tuple(aspects(evidence, self.matchers)) if relevant else (),
            language=language,
            explanation=_explain(evidence, contributions, seed_name, seed_similarity, feedback),
            model_version=self.version,
        )


def _exemplars(vectorizer: Vectorizer, examples: Sequence[Example]) -> Exemplars:
    return Exemplars(
        tuple(e.source for e in examples),
        tuple(vectorizer.vector(f"{e.title}\n{e.text}") for e in examples),
    )


def _nearest(
    exemplars: Exemplars, vector: dict[str, float], exclude: str | None
) -> tuple[str | None, float]:
    if exclude is None:
        return exemplars.nearest(vector)
    keep = [
        i for i, name in enumerate(exemplars.names) if name != exclude and f"seed:{name}" != exclude
    ]
    subset = Exemplars(
        tuple(exemplars.names[i] for i in keep), tuple(exemplars.vectors[i] for i in keep)
    )
    return subset.nearest(vector)


def _top(counter: Counter[str], n: int = 5) -> list[str]:
    return [term for term, _ in counter.most_common(n)]


REASONS_DOWN = {
    "lookalike": "the instrument is discussed with another party ({})",
    "distractors": "related but different story terms ({})",
}


def _explain(
    evidence: Evidence,
    contributions: dict[str, float],
    seed_name: str | None,
    seed_similarity: float,
    feedback: float,
) -> dict[str, object]:
    down: list[str] = []
    missing = [name for name, found in evidence.parties.items() if not found]
    if missing:
        down.append("no mention of " + " or ".join(missing))
    if not evidence.instrument and not evidence.anchors:
        down.append("no treaty or agreement named")
    elif not evidence.topic_sentences:
        down.append("the parties and the instrument never meet in one sentence")
    elif (
        evidence.sentence_count > 6
        and len(evidence.topic_sentences) <= 1
        and contributions["topic_share"] < 0.3
    ):
        down.append("the topic is only mentioned in passing")
    if evidence.lookalikes and contributions["lookalike"] < -0.05:
        names = ", ".join(evidence.lookalikes)
        down.append(REASONS_DOWN["lookalike"].format(names))
    if evidence.distractors and contributions["distractors"] < -0.05:
        down.append(REASONS_DOWN["distractors"].format(", ".join(_top(evidence.distractors, 4))))
    if feedback < -0.2:
        down.append("similar to articles you marked irrelevant")
    notes = []
    if evidence.title_only:
        notes.append("decided from the title and summary only: no article text was available")
    return {
        "entities": {name: _top(found) for name, found in evidence.parties.items() if found},
        "instrument": _top(evidence.instrument),
        "anchors": _top(evidence.anchors),
        "events": _top(evidence.events),
        "lookalikes": {name: _top(found) for name, found in evidence.lookalikes.items()},
        "topic_sentences": evidence.topic_sentences,
        "nearest_seed": seed_name,
        "seed_similarity": round(seed_similarity, 3),
        "feedback_similarity": round(feedback, 3),
        "contributions": {
            k: round(v, 3)
            for k, v in sorted(contributions.items(), key=lambda kv: -abs(kv[1]))
            if abs(v) >= 0.01
        },
        "pushed_down_by": down,
        "notes": notes,
    }
