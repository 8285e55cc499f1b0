"""Pure feature extraction: what an article says about the topic, sentence by sentence.

The decisive question is not whether the topic's words occur, but whether the article is
*about* the topic: whether the two parties and the instrument meet in the same sentences,
in the title and the lead, and how much of the article those sentences make up.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from watcher.topic.definition import TopicFile
from watcher.topic.terms import TermIndex
from watcher.topic.text import fold, sentences

MAX_SENTENCES = 40
LEAD = 3
OTHER_KIND_STRENGTH = 0.25

FEATURES = (
    "parties",
    "anchor",
    "strong",
    "weak",
    "topic_sentences",
    "topic_share",
    "in_title",
    "in_lead",
    "events",
    "attributes",
    "other_kind",
    "lookalike",
    "distractors",
    "seed_similarity",
)


@dataclass(frozen=True)
class Matchers:
    """The topic's term lists, compiled into one index, and the names of its groups."""

    index: TermIndex
    aspect_index: TermIndex
    parties: tuple[str, ...]
    lookalikes: tuple[str, ...]
    aspects: tuple[str, ...]

    @classmethod
    def build(cls, topic: TopicFile) -> Matchers:
        lists: dict[str, tuple[str, ...]] = {
            "strong": topic.instrument.strong,
            "weak": topic.instrument.weak,
            "anchor": topic.anchors.terms,
            "qualifier": topic.qualifiers.terms,
            "attribute": topic.attributes.terms,
            "event": topic.events.terms,
            "distractor": topic.distractors.terms,
            "other_kind": topic.other_kinds.terms,
        }
        lists |= {f"party:{i}": p.terms for i, p in enumerate(topic.parties)}
        lists |= {f"lookalike:{i}": g.terms for i, g in enumerate(topic.lookalikes)}
        return cls(
            index=TermIndex(lists),
            # Aspects are only looked for in relevant articles: most articles never pay for them.
            aspect_index=TermIndex({a.name: a.terms for a in topic.aspects}),
            parties=tuple(p.name for p in topic.parties),
            lookalikes=tuple(g.name for g in topic.lookalikes),
            aspects=tuple(a.name for a in topic.aspects),
        )


@dataclass
class Evidence:
    """What was found, kept for the explanation."""

    parties: dict[str, Counter[str]] = field(default_factory=dict)
    instrument: Counter[str] = field(default_factory=Counter)
    anchors: Counter[str] = field(default_factory=Counter)
    qualifiers: Counter[str] = field(default_factory=Counter)
    attributes: Counter[str] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)
    lookalikes: dict[str, Counter[str]] = field(default_factory=dict)
    distractors: Counter[str] = field(default_factory=Counter)
    other_kinds: Counter[str] = field(default_factory=Counter)
    topic_sentences: list[str] = field(default_factory=list)
    folded: list[str] = field(default_factory=list)
    sentence_count: int = 0
    title_only: bool = False
    no_party: bool = False
    vector: dict[str, float] | None = None  # for similarity to seeds and judged articles


@dataclass(frozen=True)
class Unit:
    text: str
    folded: str
    parties: tuple[list[str], ...]
    strong: list[str]
    weak: list[str]
    anchors: list[str]
    qualifiers: list[str]
    attributes: list[str]
    events: list[str]
    lookalikes: tuple[list[str], ...]
    distractors: list[str]
    other_kinds: list[str]


def _unit(text: str, m: Matchers) -> Unit:
    folded = fold(text)
    found = m.index.find(folded)
    return Unit(
        text=text,
        folded=folded,
        parties=tuple(found.get(f"party:{i}", []) for i in range(len(m.parties))),
        strong=found.get("strong", []),
        weak=found.get("weak", []),
        anchors=found.get("anchor", []),
        qualifiers=found.get("qualifier", []),
        attributes=found.get("attribute", []),
        events=found.get("event", []),
        lookalikes=tuple(found.get(f"lookalike:{i}", []) for i in range(len(m.lookalikes))),
        distractors=found.get("distractor", []),
        other_kinds=found.get("other_kind", []),
    )


def _naming(unit: Unit) -> float:
    """How surely one sentence names this kind of instrument: 1 when by its name, a strong
    word, or a weak one ("deal") that a qualifier ("strategic") or a distinctive attribute
    ("20-year") makes this kind; 0.5 for a weak word or a qualifier alone; 0 for nothing."""
    if unit.anchors or unit.strong:
        return 1.0
    kinds = len(set(unit.qualifiers))
    if (unit.weak and (kinds or unit.attributes)) or kinds >= 2 or (kinds and unit.attributes):
        return 1.0
    return 0.5 if unit.weak or kinds or unit.attributes else 0.0


def _strength(unit: Unit, naming: float, all_parties_in_doc: bool) -> float:
    """How strongly one sentence speaks of the instrument between the parties (0 to 1)."""
    if not naming:
        return 0.0
    if naming < 1.0 and unit.events:
        naming = 0.75  # "Russia, Iran sign deal": a stage in an instrument's life
    present = sum(1 for p in unit.parties if p)
    if present == len(unit.parties):
        return naming
    if present and naming == 1.0 and not any(unit.lookalikes):
        # One party with the instrument and another party's name: that other party's
        # instrument ("Russia's treaty with North Korea").
        if all_parties_in_doc:
            return 0.75 if unit.anchors else 0.5
        if unit.attributes:
            # A headline cut before the partner ("Duma ratifies 20-year partnership treaty
            # with...") that still names an attribute only this instrument has.
            return 0.75
        if unit.anchors and unit.events:
            # The other party left implicit, as a country's own press does ("Parliament
            # approves the comprehensive strategic partnership treaty with Russia"): the
            # instrument by its name, at a stage of its life, and no other country named.
            return 0.5
    return 0.0


def _other_kind(unit: Unit, naming: float) -> bool:
    """A deal named only by a weak word, next to words of another kind of deal (gas, wheat,
    a railway): "Russia and Iran sign gas supply deal"."""
    return naming < 1.0 and bool(unit.other_kinds or unit.distractors)


def extract(title: str, text: str, m: Matchers) -> tuple[dict[str, float], Evidence]:
    """Features (without the similarity ones) and the evidence behind them."""
    body = sentences(text, MAX_SENTENCES)
    title_only = len(body) < 2
    evidence = Evidence(sentence_count=len(body) + bool(title), title_only=title_only)
    whole = _unit("\n".join([title, *body]), m)
    if not any(whole.parties):
        # Neither party is named: no sentence can be about the topic, and one pass over the
        # whole article gives every count the model still needs. Most articles end here.
        evidence.no_party = True
        return _without_parties(whole, evidence, m), evidence
    head = _unit(title, m) if title else None
    units = ([head] if head else []) + [_unit(s, m) for s in body]
    counts = [sum(len(u.parties[i]) for u in units) for i in range(len(m.parties))]
    all_parties = all(counts)
    namings = [_naming(u) for u in units]
    strengths = [_strength(u, n, all_parties) for u, n in zip(units, namings, strict=True)]
    others = [
        bool(s) and _other_kind(u, n) for u, n, s in zip(units, namings, strengths, strict=True)
    ]
    # A sentence about another kind of deal speaks of the instrument only faintly.
    strengths = [
        min(s, OTHER_KIND_STRENGTH) if o else s for s, o in zip(strengths, others, strict=True)
    ]
    other_kind = sum(others) / max(1, sum(1 for s in strengths if s))
    lookalike_hits = 0
    for unit, strength, other in zip(units, strengths, others, strict=True):
        for i, found in enumerate(unit.parties):
            evidence.parties.setdefault(m.parties[i], Counter()).update(found)
        evidence.instrument.update(unit.strong + unit.weak)
        evidence.anchors.update(unit.anchors)
        evidence.distractors.update(unit.distractors)
        evidence.qualifiers.update(unit.qualifiers)
        if other:
            evidence.other_kinds.update(unit.other_kinds or unit.distractors)
        if strength:
            evidence.events.update(unit.events)
            evidence.attributes.update(unit.attributes)
            if len(evidence.topic_sentences) < 3:
                evidence.topic_sentences.append(unit.text[:300])
        if unit.strong or unit.weak or unit.anchors or unit.qualifiers or unit.attributes:
            for j, found in enumerate(unit.lookalikes):
                if found:
                    evidence.lookalikes.setdefault(m.lookalikes[j], Counter()).update(found)
                    if strength < 1.0:
                        lookalike_hits += len(found)
    evidence.folded = [u.folded for u in units]
    body_strengths = strengths[1:] if head else strengths
    lead = body_strengths[:LEAD]
    weakest_party = min(counts) if counts else 0
    features = {
        "parties": math.log1p(weakest_party),
        "anchor": math.log1p(sum(evidence.anchors.values())),
        "strong": math.log1p(sum(len(u.strong) for u in units)),
        "weak": math.log1p(sum(len(u.weak) for u in units)),
        "topic_sentences": math.log1p(sum(strengths)),
        "topic_share": sum(strengths) / max(1, evidence.sentence_count),
        "in_title": strengths[0] if head else 0.0,
        "in_lead": max(lead, default=0.0),
        "events": math.log1p(sum(evidence.events.values())),
        "attributes": math.log1p(sum(evidence.attributes.values())),
        "other_kind": other_kind,
        "lookalike": lookalike_hits / (lookalike_hits + weakest_party + 1),
        "distractors": math.log1p(sum(evidence.distractors.values()))
        / math.log1p(evidence.sentence_count + 1),
    }
    return features, evidence


def _without_parties(whole: Unit, evidence: Evidence, m: Matchers) -> dict[str, float]:
    for i in range(len(m.parties)):
        evidence.parties[m.parties[i]] = Counter()
    evidence.instrument.update(whole.strong + whole.weak)
    evidence.anchors.update(whole.anchors)
    evidence.distractors.update(whole.distractors)
    evidence.folded = [whole.folded]
    lookalike_hits = 0
    if whole.strong or whole.weak or whole.anchors or whole.qualifiers or whole.attributes:
        for j, found in enumerate(whole.lookalikes):
            if found:
                evidence.lookalikes[m.lookalikes[j]] = Counter(found)
                lookalike_hits += len(found)
    return {
        "parties": 0.0,
        "anchor": math.log1p(len(whole.anchors)),
        "strong": math.log1p(len(whole.strong)),
        "weak": math.log1p(len(whole.weak)),
        "topic_sentences": 0.0,
        "topic_share": 0.0,
        "in_title": 0.0,
        "in_lead": 0.0,
        "events": 0.0,
        "attributes": 0.0,
        "other_kind": 0.0,
        "lookalike": lookalike_hits / (lookalike_hits + 1),
        "distractors": math.log1p(len(whole.distractors)) / math.log1p(evidence.sentence_count + 1),
    }


def aspects(evidence: Evidence, m: Matchers) -> list[str]:
    """The topic's aspects an article touches, most mentioned first."""
    counts: Counter[str] = Counter()
    for folded in evidence.folded:
        for name, found in m.aspect_index.find(folded).items():
            counts[name] += len(found)
    return [name for name, _ in counts.most_common()]
