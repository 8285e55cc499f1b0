"""The blind sets (tests/data/README.md): written before their author read the term lists or the
training data. Only the dev half's misses were looked at when fixing the model; the final half
is the held-out figure, and these floors sit a little below what it measured (README,
"Blind evaluation"), so a model that gets worse on it fails here."""

from __future__ import annotations

from pathlib import Path

import pytest

from watcher.topic.evaluate import Record, evaluate, judged_by, load_records

DATA = Path(__file__).resolve().parent / "data"
SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def final_half(name: str) -> list[Record]:
    """Records whose id ends in an odd digit."""
    return [r for r in load_records(DATA / name) if int(r.id[-1]) % 2]


# Blind titles identical to a training title, written apart in the same plain style (e.g.
# "E3 trigger snapback of UN sanctions on Iran"). More than these means blind records were
# copied into the training data.
COINCIDENT_TITLES = 10


def test_blind_sets_are_split_in_two_and_not_copied_into_training():
    training = {r.title for f in SEEDS.glob("*.jsonl") for r in load_records(f)}
    shared = 0
    for name in ("blind-headlines.jsonl", "blind-articles.jsonl"):
        records = load_records(DATA / name)
        final = final_half(name)
        assert 0.45 <= len(final) / len(records) <= 0.55
        assert {r.label for r in final} == {0, 1}
        shared += sum(r.title in training for r in records)
    assert shared <= COINCIDENT_TITLES


@pytest.mark.parametrize(
    ("name", "precision", "recall"),
    [
        # measured: P 0.974 (113 of 116), R 0.950 (113 of 119), 26 languages
        ("blind-headlines.jsonl", 0.95, 0.92),
        # measured: P 1.000 (17 of 17), R 0.944 (17 of 18); one more miss would be 0.889
        ("blind-articles.jsonl", 0.90, 0.88),
    ],
)
def test_blind_final_half_meets_its_floors(model, name, precision, recall):
    report = evaluate(final_half(name), judged_by(model))
    assert report.precision >= precision, report.as_dict()
    assert report.recall >= recall, report.as_dict()
