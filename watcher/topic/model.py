"""The relevance model: topic features + similarity, weighed by two logistic regressions.

One regression judges articles with text, the other headlines alone (what most feeds give):
the same words weigh differently in a headline than in an article. Both are fitted at
start-up from the seeds and the labelled records, shrunk towards prior weights that encode
what the features mean; with no labelled data at all the priors alone give a usable model.

The user's feedback is not fitted: one judgement must not move the weights every article is
judged by. It acts through similarity, on the articles most like the judged one, with a
bounded effect that the explanation shows.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from watcher.models import Verdict
from watcher.topic.definition import Example, TopicFile
from watcher.topic.explain import SAME_STORY_SIMILARITY, FeedbackEffect, explain
from watcher.topic.features import FEATURES, Evidence, Matchers, aspects, extract
from watcher.topic.language import detect
from watcher.topic.similarity import Exemplars, Vectorizer

log = logging.getLogger("watcher.topic")

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
    "attributes": 0.5,
    "other_kind": -2.0,
    "lookalike": -3.0,
    "distractors": -1.0,
    "seed_similarity": 2.0,
}
PRIOR_BIAS = -4.0
RIDGE = 2.0
MAX_STEP = 4.0  # largest change of one weight per Newton step
# An article's headline alone is a training example too, worth half the article.
TITLE_ONLY_WEIGHT = 0.5
# Feedback: only articles at least this similar to a judged one feel it, and by at most
# this much on the log-odds scale (enough to tip a borderline verdict, not a clear one).
FEEDBACK_MIN_SIMILARITY = 0.3
FEEDBACK_MAX_LOGIT = 2.0
MAX_FEEDBACK_EXEMPLARS = 200
# Below this score an article's language is guessed from its headline's first characters.
LANGUAGE_FLOOR = 0.05
QUICK_SAMPLE = 60
# Articles longer than this are judged on their beginning (the lead decides relevance).
MAX_TEXT_CHARS = 40_000


def _fit(x: np.ndarray, y: np.ndarray, w: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Weighted logistic regression by Newton steps, with a ridge penalty towards `prior`.

    Column 0 of x is the intercept; it is not penalised.
    """
    beta = prior.copy()
    penalty = np.full(len(prior), RIDGE)
    penalty[0] = 0.0
    for _ in range(100):
        p = 0.5 * (1.0 + np.tanh(0.5 * (x @ beta)))  # the logistic function, never overflowing
        gradient = x.T @ (w * (p - y)) + penalty * (beta - prior)
        hessian = (x.T * (w * p * (1 - p))) @ x + np.diag(penalty + 1e-6)
        step = np.linalg.solve(hessian, gradient)
        largest = float(np.max(np.abs(step)))
        if largest > MAX_STEP:  # damped: labels that fit the features badly cannot blow it up
            step *= MAX_STEP / largest
        beta -= step
        if largest < 1e-6:
            break
    return beta if np.all(np.isfinite(beta)) else prior.copy()


@dataclass(frozen=True)
class Weights:
    bias: float
    features: tuple[float, ...]


@dataclass(frozen=True)
class RelevanceModel:
    topic: TopicFile
    matchers: Matchers
    vectorizer: Vectorizer
    seeds: Exemplars
    liked: Exemplars
    disliked: Exemplars
    article_weights: Weights
    headline_weights: Weights
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
        documents = [f"{e.title}\n{e.text}" for e in (*seeds, *labelled, *feedback)]
        vectorizer = Vectorizer.fit(documents)
        recent = list(feedback)[-MAX_FEEDBACK_EXEMPLARS:]
        prior = Weights(PRIOR_BIAS, tuple(PRIOR[name] for name in FEATURES))
        base = cls(
            topic=topic,
            matchers=Matchers.build(topic),
            vectorizer=vectorizer,
            seeds=_exemplars(vectorizer, seeds),
            liked=_exemplars(vectorizer, [e for e in recent if e.label == 1]),
            disliked=_exemplars(vectorizer, [e for e in recent if e.label == 0]),
            article_weights=prior,
            headline_weights=prior,
            threshold=threshold,
            version="",
        )
        articles: list[tuple[list[float], int, float]] = []
        headlines: list[tuple[list[float], int, float]] = []
        for example in (*seeds, *labelled):
            if example.title:
                vector, evidence, _ = base._features(example.title, "", exclude=example.source)
                factor = TITLE_ONLY_WEIGHT if example.text.strip() else 1.0
                headlines.append((vector, example.label, example.weight * factor))
            if example.text.strip():
                vector, evidence, _ = base._features(
                    example.title, example.text, exclude=example.source
                )
                rows = headlines if evidence.title_only else articles
                rows.append((vector, example.label, example.weight))
        _warn_if_foreign([*articles, *headlines], topic.topic.name)
        digest = hashlib.sha256(
            repr((topic.model_dump(), documents, [e.label for e in feedback])).encode()
        ).hexdigest()[:12]
        return cls(
            **{
                **base.__dict__,
                "article_weights": _fitted(articles, prior),
                "headline_weights": _fitted(headlines, prior),
                "version": digest,
            }
        )

    def _features(
        self, title: str, text: str, exclude: str | None = None
    ) -> tuple[list[float], Evidence, tuple[str, float]]:
        values, evidence = extract(title, text, self.matchers)
        nearest_seed, seed_similarity = "", 0.0
        if not evidence.no_party:  # similarity cannot rescue an article naming neither party
            evidence.vector = self.vectorizer.vector(f"{title}\n{title}\n{text}")
            found, seed_similarity = self.seeds.nearest(evidence.vector, exclude)
            nearest_seed = found or ""
        values["seed_similarity"] = seed_similarity
        return [values[name] for name in FEATURES], evidence, (nearest_seed, seed_similarity)

    def _feedback(self, evidence: Evidence) -> FeedbackEffect | None:
        if evidence.no_party or evidence.vector is None:
            return None
        liked_title, liked = self.liked.nearest(evidence.vector)
        disliked_title, disliked = self.disliked.nearest(evidence.vector)
        pull = _closeness(liked) - _closeness(disliked)
        if not pull:
            return None
        title, similarity = (liked_title, liked) if pull > 0 else (disliked_title, disliked)
        return FeedbackEffect(
            title=title or "", relevant=pull > 0, similarity=similarity, logit=pull
        )

    def classify(self, title: str, text: str, language: str | None = None) -> Verdict:
        title, text = _bounded(title, 1_000), _bounded(text, MAX_TEXT_CHARS)
        vector, evidence, (nearest_seed, seed_similarity) = self._features(title, text)
        weights = self.headline_weights if evidence.title_only else self.article_weights
        contributions = {
            name: coefficient * value
            for name, coefficient, value in zip(FEATURES, weights.features, vector, strict=True)
        }
        effect = self._feedback(evidence)
        logit = weights.bias + sum(contributions.values()) + (effect.logit if effect else 0.0)
        score = 0.5 * (1.0 + math.tanh(0.5 * logit))  # the logistic function, never overflowing
        relevant = score >= self.threshold
        if effect is not None and effect.similarity >= SAME_STORY_SIMILARITY:
            # The judged article itself, or a copy of it: the user's word decides.
            relevant = effect.relevant
            score = max(score, self.threshold) if relevant else min(score, self.threshold * 0.999)
        if language is None:
            # Every article gets a language; one that cannot reach anyone gets a quicker guess
            # from the start of its headline.
            quick = score < LANGUAGE_FLOOR
            language, _ = detect((title or text)[:QUICK_SAMPLE] if quick else f"{title}. {text}")
        return Verdict(
            score=round(score, 4),
            relevant=relevant,
            aspects=tuple(aspects(evidence, self.matchers)) if relevant else (),
            language=language,
            explanation=explain(
                evidence,
                bias=weights.bias,
                contributions=contributions,
                nearest_seed=nearest_seed,
                seed_similarity=seed_similarity,
                feedback=effect,
                language=language,
            ),
            model_version=self.version,
        )


def _closeness(similarity: float) -> float:
    """Feedback's pull on the log-odds: nothing below the minimum similarity, at most
    FEEDBACK_MAX_LOGIT for a near-copy of the judged article."""
    if similarity <= FEEDBACK_MIN_SIMILARITY:
        return 0.0
    share = (similarity - FEEDBACK_MIN_SIMILARITY) / (1.0 - FEEDBACK_MIN_SIMILARITY)
    return FEEDBACK_MAX_LOGIT * min(1.0, share)


def _bounded(text: str, limit: int) -> str:
    """At most `limit` characters, and only characters that can be encoded (text decoded
    with surrogate escapes carries lone surrogates that no encoder accepts)."""
    text = text[:limit]
    if not text.isascii():
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def _warn_if_foreign(rows: list[tuple[list[float], int, float]], topic: str) -> None:
    relevant = [vector for vector, label, _ in rows if label == 1]
    blank = sum(1 for vector in relevant if not any(vector))
    if relevant and blank > len(relevant) / 2:
        log.warning(
            "%d of %d relevant examples (seed articles and seeds/*.jsonl) name nothing the "
            "topic %r knows, so they are left out: labelled for another topic? Rewrite or "
            "delete those files",
            blank,
            len(relevant),
            topic,
        )


def _fitted(rows: list[tuple[list[float], int, float]], prior: Weights) -> Weights:
    # A relevant example in which the topic finds nothing can only teach "anything is
    # relevant" (its features are all zero, so it moves the bias alone).
    rows = [row for row in rows if row[1] == 0 or any(row[0])]
    labels = {label for _, label, _ in rows}
    if labels != {0, 1}:
        return prior
    x = np.array([[1.0, *vector] for vector, _, _ in rows])
    y = np.array([float(label) for _, label, _ in rows])
    w = np.array([weight for _, _, weight in rows])
    beta = _fit(x, y, w, np.array([prior.bias, *prior.features]))
    return Weights(float(beta[0]), tuple(float(b) for b in beta[1:]))


def _exemplars(vectorizer: Vectorizer, examples: Sequence[Example]) -> Exemplars:
    return Exemplars(
        tuple(e.source for e in examples),
        tuple(e.title or e.source for e in examples),
        tuple(vectorizer.vector(f"{e.title}\n{e.text}") for e in examples),
    )
