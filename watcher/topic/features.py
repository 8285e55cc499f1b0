"""Pure feature extraction: what an article says about the topic, sentence by sentence.

The decisive question is not whether the topic's words occur, but whether the article is
*about* the topic: whether the two parties and the instrument meet in the same sentences,
in the title and the lead, and how much of the article those sentences make up.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from watcher.topic.definition import TopicFile
from watcher.topic.terms import Hit, TermIndex, gap, with_elisions
from watcher.topic.text import fold, sentences

MAX_SENTENCES = 40
LEAD = 3
OTHER_KIND_STRENGTH = 0.25
# Where a sentence's clauses part: a semicolon, a colon, a dash or a bar between spaces.
_CLAUSE_BREAK = re.compile(r"[;:]| [—–|-] |—")

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
    # For each look-alike, the party it stands in for (None: either); the predecessor, an
    # earlier instrument between the same parties, is the last look-alike when defined.
    stand_ins: tuple[int | None, ...] = ()
    predecessor: int | None = None

    @classmethod
    def build(cls, topic: TopicFile) -> Matchers:
        party_names = [p.name for p in topic.parties]
        lookalikes = [g.name for g in topic.lookalikes]
        stand_ins = [
            party_names.index(g.instead_of) if g.instead_of else None for g in topic.lookalikes
        ]
        predecessor = None
        if topic.predecessor.terms:
            predecessor = len(lookalikes)
            lookalikes.append(topic.predecessor.name)
            stand_ins.append(None)
        lists: dict[str, tuple[str, ...] | list[str]] = {
            "strong": topic.instrument.strong,
            "weak": topic.instrument.weak,
            "anchor": topic.anchors.terms,
            "qualifier": topic.qualifiers.terms,
            "attribute": topic.attributes.terms,
            "event": topic.events.terms,
            "distractor": topic.distractors.terms,
            "other_kind": topic.other_kinds.terms,
            "successor": topic.predecessor.replaced_by,
        }
        lists |= {f"party:{i}": with_elisions(p.terms) for i, p in enumerate(topic.parties)}
        lists |= {f"lookalike:{i}": g.terms for i, g in enumerate(topic.lookalikes)}
        if predecessor is not None:
            lists[f"lookalike:{predecessor}"] = topic.predecessor.terms
        return cls(
            index=TermIndex(lists),
            # Aspects are only looked for in relevant articles: most articles never pay for them.
            aspect_index=TermIndex({a.name: a.terms for a in topic.aspects}),
            parties=tuple(party_names),
            lookalikes=tuple(lookalikes),
            aspects=tuple(a.name for a in topic.aspects),
            stand_ins=tuple(stand_ins),
            predecessor=predecessor,
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
    successors: list[str]


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
        successors=found.get("successor", []),
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


@dataclass(frozen=True)
class _Document:
    all_parties: bool  # every party is named somewhere in the article
    lookalikes: bool  # some look-alike is named somewhere in the article


def _strength(unit: Unit, naming: float, doc: _Document, m: Matchers) -> float:
    """How strongly one sentence speaks of the instrument between the parties (0 to 1)."""
    if not naming or _names_predecessor(unit, m):
        return 0.0
    if naming < 1.0 and unit.events:
        naming = 0.75  # "Russia, Iran sign deal": a stage in an instrument's life
    present = sum(1 for p in unit.parties if p)
    if present == len(unit.parties):
        # "Russia's treaty with North Korea worries Iran": both parties, but the instrument is
        # the look-alike's.
        return 0.0 if _taken_by_lookalike(unit, m) else naming
    if not present and unit.anchors and doc.all_parties and not doc.lookalikes:
        # "... an early result of the comprehensive strategic partnership treaty between the
        # two states": the instrument by its name, the parties named elsewhere in an article
        # where no look-alike appears.
        return 0.5
    if present and naming == 1.0 and not any(unit.lookalikes):
        # One party with the instrument and another party's name: that other party's
        # instrument ("Russia's treaty with North Korea").
        if doc.all_parties:
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


def _names_predecessor(unit: Unit, m: Matchers) -> bool:
    """The sentence names the earlier instrument between the same parties ("the 2001
    treaty … extended") and neither this one's own name or attributes nor a word saying this
    one replaces it."""
    if m.predecessor is None or not unit.lookalikes[m.predecessor]:
        return False
    return not (unit.anchors or unit.attributes or unit.successors)


def _taken_by_lookalike(unit: Unit, m: Matchers) -> bool:
    """Every mention of the instrument lies nearer a look-alike partner than the party that
    partner stands in for (or, for a look-alike standing in for no party in particular, than
    either party): the sentence speaks of the look-alike's instrument."""
    if not any(found for j, found in enumerate(unit.lookalikes) if j != m.predecessor):
        return False
    # Where the words lie is only needed here, and rarely: it is looked up again.
    located = m.index.locate(unit.folded)
    none: list[Hit] = []
    parties = [located[f"party:{i}"] for i in range(len(m.parties))]
    partners = [
        (located[f"lookalike:{j}"], m.stand_ins[j])
        for j in range(len(m.lookalikes))
        if j != m.predecessor and f"lookalike:{j}" in located
    ]
    mentions = located.get("strong", none) + located.get("weak", none) + located.get("anchor", none)
    if not mentions:
        return False
    for mention in mentions:
        gaps = [min(gap(mention, hit) for hit in hits) for hits in parties]
        if not any(
            min(gap(mention, hit) for hit in hits)
            < (min(gaps) if stand_in is None else gaps[stand_in])
            for hits, stand_in in partners
        ):
            return False
    # "Moscow's treaty with Pyongyang obliges …; the document Russia and Iran signed has no such
    # clause": a clause of its own naming the parties without the look-alike is about them.
    clauses = _CLAUSE_BREAK.split(unit.text)
    return len(clauses) == 1 or not any(_parties_alone(clause, m) for clause in clauses)


def _parties_alone(clause: str, m: Matchers) -> bool:
    found = m.index.find(fold(clause))
    return all(found.get(f"party:{i}") for i in range(len(m.parties))) and not any(
        found.get(f"lookalike:{j}") for j in range(len(m.lookalikes))
    )


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
    doc = _Document(
        all_parties=all(counts),
        lookalikes=any(found for u in units for found in u.lookalikes),
    )
    namings = [_naming(u) for u in units]
    strengths = [_strength(u, n, doc, m) for u, n in zip(units, namings, strict=True)]
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
                if j == m.predecessor and not _names_predecessor(unit, m):
                    continue  # "it will replace the 2001 treaty": the new one, contrasted
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
