"""Why a verdict came out as it did, in words a reader can check against the article."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from watcher.topic.features import Evidence

HEADLINE_ONLY = "decided from the headline alone: no article text was available"
HEADLINE_AND_SUMMARY = "decided from the headline and a one-sentence summary: no article text"
NO_PARTY_SEED = "none compared: the article names neither party"
# As similar as this to a judged article, it is the same story: the judgement decides.
SAME_STORY_SIMILARITY = 0.9
PASSING_MENTION = "passing mention: the topic is only mentioned in passing"

# What each feature means when it pushes the score up or down.
REASONS_UP = {
    "parties": "both parties are named",
    "anchor": "the instrument is named ({})",
    "strong": "a treaty word ({})",
    "weak": "an agreement word ({})",
    "topic_sentences": "sentences where the parties and the instrument meet",
    "topic_share": "much of the text is about the instrument",
    "in_title": "the headline names the parties and the instrument",
    "in_lead": "the opening names the parties and the instrument",
    "events": "a stage in the instrument's life ({})",
    "attributes": "a fact only this instrument has ({})",
    "seed_similarity": "like the seed article “{}”",
}


@dataclass(frozen=True)
class FeedbackEffect:
    """The pull of the user's nearest judgement on one verdict."""

    title: str
    relevant: bool
    similarity: float
    logit: float

    def describe(self) -> str:
        judged = "relevant" if self.relevant else "irrelevant"
        if self.similarity >= SAME_STORY_SIMILARITY:
            return f"your feedback: you marked this story (“{self.title}”) {judged}"
        return (
            f"your feedback: like “{self.title}”, which you marked {judged} "
            f"(similarity {self.similarity:.2f}, {self.logit:+.2f} at most ±2 on the log-odds)"
        )


def _top(counter: Counter[str], n: int = 5) -> list[str]:
    return [term for term, _ in counter.most_common(n)]


def _joined(counter: Counter[str], n: int = 3) -> str:
    return ", ".join(_top(counter, n))


def _down(
    evidence: Evidence,
    contributions: dict[str, float],
    bias: float,
    feedback: FeedbackEffect | None,
) -> list[str]:
    down: list[str] = []
    missing = [name for name, found in evidence.parties.items() if not found]
    if missing:
        down.append("no mention of " + " or ".join(missing))
    if not (evidence.instrument or evidence.anchors or evidence.qualifiers):
        down.append("no treaty or agreement named")
    elif not evidence.topic_sentences:
        down.append("the parties and the instrument never meet in one sentence")
    elif (
        evidence.sentence_count > 6
        and len(evidence.topic_sentences) <= 1
        and contributions.get("topic_share", 0.0) < 0.3
    ):
        down.append(PASSING_MENTION)
    if evidence.lookalikes and contributions.get("lookalike", 0.0) < -0.05:
        down.append(
            "the instrument is discussed with another party: " + ", ".join(evidence.lookalikes)
        )
    if evidence.other_kinds and contributions.get("other_kind", 0.0) < -0.05:
        down.append(f"a deal of another kind ({_joined(evidence.other_kinds)})")
    if evidence.distractors and contributions.get("distractors", 0.0) < -0.05:
        down.append(f"a related but different story ({_joined(evidence.distractors, 4)})")
    for name, value in contributions.items():
        if value < -0.05 and name in REASONS_UP and name != "seed_similarity":
            down.append(f"{name.replace('_', ' ')} counts against it here ({value:+.2f})")
    if feedback is not None and not feedback.relevant:
        down.append(feedback.describe())
    # Always last, always there: the starting point every article climbs from.
    down.append(f"the prior: most articles are not about the topic ({bias:+.2f} on the log-odds)")
    return down


def _up(
    evidence: Evidence,
    contributions: dict[str, float],
    nearest_seed: str,
    feedback: FeedbackEffect | None,
) -> list[str]:
    details = {
        "anchor": _joined(evidence.anchors),
        "strong": _joined(evidence.instrument),
        "weak": _joined(evidence.instrument),
        "events": _joined(evidence.events),
        "attributes": _joined(evidence.attributes),
        "seed_similarity": nearest_seed,
    }
    up = [
        REASONS_UP[name].format(details.get(name, ""))
        for name, value in sorted(contributions.items(), key=lambda kv: -kv[1])
        if value > 0.05 and name in REASONS_UP
    ]
    if feedback is not None and feedback.relevant:
        up.append(feedback.describe())
    return up


def explain(
    evidence: Evidence,
    *,
    bias: float,
    contributions: dict[str, float],
    nearest_seed: str,
    seed_similarity: float,
    feedback: FeedbackEffect | None,
    language: str | None,
) -> dict[str, object]:
    notes = []
    if evidence.title_only:
        alone = evidence.sentence_count <= 1
        notes.append(HEADLINE_ONLY if alone else HEADLINE_AND_SUMMARY)
    return {
        "entities": {name: _top(found) for name, found in evidence.parties.items() if found},
        "instrument": _top(evidence.instrument),
        "anchors": _top(evidence.anchors),
        "qualifiers": _top(evidence.qualifiers),
        "attributes": _top(evidence.attributes),
        "events": _top(evidence.events),
        "lookalikes": {name: _top(found) for name, found in evidence.lookalikes.items()},
        "topic_sentences": evidence.topic_sentences,
        "nearest_seed": nearest_seed
        or (NO_PARTY_SEED if evidence.no_party else "no seed article shares its words"),
        "seed_similarity": round(seed_similarity, 3),
        # Signed: how like a judged article this one is, negative for one marked irrelevant.
        "feedback_similarity": 0.0
        if feedback is None
        else round(feedback.similarity if feedback.relevant else -feedback.similarity, 3),
        "feedback": None
        if feedback is None
        else {
            "title": feedback.title,
            "judgement": "relevant" if feedback.relevant else "irrelevant",
            "similarity": round(feedback.similarity, 3),
            "effect": round(feedback.logit, 3),
        },
        "contributions": {
            "prior": round(bias, 3),
            **{
                k: round(v, 3)
                for k, v in sorted(contributions.items(), key=lambda kv: -abs(kv[1]))
                if abs(v) >= 0.01
            },
        },
        "pushed_up_by": _up(evidence, contributions, nearest_seed, feedback),
        "pushed_down_by": _down(evidence, contributions, bias, feedback),
        "headline_only": evidence.title_only,
        "language": language or "unknown",
        "notes": notes,
    }
