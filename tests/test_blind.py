"""The blind sets (tests/data/README.md): written before their author read the term lists or the
training data. Only the dev half's misses were looked at when fixing the model; the final half
is the held-out figure, and these floors sit a little below what it measured (README,
"Blind evaluation"), so a model that gets worse on it fails here."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from watcher.errors import ConfigError
from watcher.topic.definition import load_topic
from watcher.topic.evaluate import Record, evaluate, judged_by, load_records
from watcher.topic.features import extract
from watcher.topic.terms import with_elisions

DATA = Path(__file__).resolve().parent / "data"
SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def final_half(name: str) -> list[Record]:
    """Records whose id ends in an odd digit."""
    return [r for r in load_records(DATA / name) if int(r.id[-1]) % 2]


BLIND_SETS = (
    "blind-headlines.jsonl",
    "blind-articles.jsonl",
    "blind2-headlines.jsonl",
    "blind2-articles.jsonl",
)

# Blind titles identical to a training title, written apart in the same plain style (e.g.
# "E3 trigger snapback of UN sanctions on Iran"). More than these means blind records were
# copied into the training data.
COINCIDENT_TITLES = 10


def test_blind_sets_are_split_in_two_and_not_copied_into_training():
    training = {r.title for f in SEEDS.glob("*.jsonl") for r in load_records(f)}
    shared = 0
    for name in BLIND_SETS:
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
        # second set, other styles, 47 languages; measured: P 0.979 (93 of 95), R 0.869 (93 of 107)
        ("blind2-headlines.jsonl", 0.95, 0.84),
        # measured: P 1.000 (12 of 12), R 1.000 (12 of 12); one miss or one false alarm passes
        ("blind2-articles.jsonl", 0.90, 0.90),
    ],
)
def test_blind_final_half_meets_its_floors(model, name, precision, recall):
    report = evaluate(final_half(name), judged_by(model))
    assert report.precision >= precision, report.as_dict()
    assert report.recall >= recall, report.as_dict()


# The causes the second blind set's dev half showed, on sentences written for these tests.


@pytest.mark.parametrize(
    ("headline", "relevant"),
    [
        # an elided article glued to the name in a French, Italian or Catalan URL slug
        ("le-senat-diran-approuve-le-pacte-strategique-avec-moscou", True),
        ("il-parlamento-delliran-vota-il-trattato-con-mosca", True),
        # both parties in one word or one compound
        ("露イラン条約が発効、国際社会の反応は", True),
        ("Русско-иранский договор вступил в силу, сообщили в МИД", True),
        # Thai writes no spaces between words
        ("สนธิสัญญาระหว่างรัสเซียกับอิหร่านได้รับการลงนามแล้ว", True),
        # the instrument belongs to the look-alike partner named next to it
        ("Russia's pact with North Korea alarms Iran, officials say", False),
        ("Unlike Moscow's pact with Pyongyang, the Russia-Iran treaty has no defence clause", True),
        # the 2001 treaty between the same parties, unless the new one is said to replace it
        ("Moscow and Tehran renew their 2001 treaty for five more years", False),
        ("Russia-Iran treaty to replace the 2001 framework, Kremlin says", True),
    ],
)
def test_round_two_causes_are_handled(model, headline, relevant):
    assert model.classify(headline, "").relevant is relevant


def test_glued_elisions_are_whole_words_of_the_shortest_stems(model):
    forms = with_elisions(["iran", "iranin", "eron=", "islamic republic", "russia"])
    assert {"liran=", "diran=", "delliran="} <= set(forms)
    # not from a longer stem ("liranın" is Turkish for "the lira's"), a whole-word term, a
    # phrase or a word beginning with a consonant
    assert not [f for f in forms if f.startswith(("liranin", "leron", "lislamic", "lrussia"))]
    _, evidence = extract("Türk liranın değeri düştü, Moskova'da anlaşma", "", model.matchers)
    assert not evidence.parties["Iran"]


def test_a_lookalike_must_stand_in_for_a_party(tmp_path):
    topic = tmp_path / "topic.toml"
    topic.write_text(
        textwrap.dedent(
            """
            [topic]
            name = "t"
            [[parties]]
            name = "EU"
            terms = ["eu="]
            [instrument]
            strong = ["agreement"]
            [[lookalikes]]
            name = "EU–Mexico"
            instead_of = "Mercosur"
            terms = ["mexico"]
            """
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="instead_of 'Mercosur' is not a party"):
        load_topic(topic)
