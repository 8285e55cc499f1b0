"""Headlines alone (what Google News feeds give): our own labelled set, its held-out third,
and `watcher eval` on good and bad record files."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from watcher.cli import cli
from watcher.topic.evaluate import evaluate, judged_by, load_records

REPO = Path(__file__).resolve().parent.parent
TRAINING = REPO / "seeds" / "headlines.jsonl"
HELDOUT = REPO / "tests" / "data" / "heldout-headlines.jsonl"


def test_headline_set_is_large_varied_and_split():
    training, held = load_records(TRAINING), load_records(HELDOUT)
    records = training + held
    assert len(records) >= 400
    assert all(not r.text for r in records), "headlines only: no article text"
    languages = Counter(r.lang for r in records)
    assert len(languages) >= 12
    assert {"en", "ru", "fa", "ar", "tr", "fr", "de", "es", "pt", "zh", "id", "ro"} <= set(
        languages
    )
    groups = {r.group for r in records}
    for kind in ("pos-signing", "pos-ratification", "pos-force", "pos-analysis", "neg-nk"):
        assert kind in groups
    assert {"neg-china", "neg-othercsp", "neg-rui", "neg-nuclear", "easy"} <= groups
    assert 0.28 <= len(held) / len(records) <= 0.36
    assert {r.id for r in held}.isdisjoint({r.id for r in training})
    assert {r.title for r in held}.isdisjoint({r.title for r in training})
    # Written as an outlet's desk writes them: most carry the outlet's name.
    with_outlet = [r for r in records if " - " in r.title or " | " in r.title]
    assert len(with_outlet) >= 0.8 * len(records)


def test_heldout_headlines_meet_the_targets(model):
    records = load_records(HELDOUT)
    report = evaluate(records, judged_by(model))
    assert report.precision >= 0.95, report.as_dict()
    assert report.recall >= 0.90, report.as_dict()
    assert report.non_english_recall is not None and report.non_english_recall >= 0.85


@pytest.mark.parametrize(
    ("headline", "relevant"),
    [
        ("Rusko a Írán podepsaly smlouvu o strategickém partnerství na 20 let", True),
        ("Ryssland och Iran undertecknar avtal om strategiskt partnerskap", True),
        ("Русия и Иран подписаха договор за стратегическо партньорство", True),
        ("Ресей мен Иран стратегиялық серіктестік туралы келісімге қол қойды", True),
        ("רוסיה ואיראן חתמו על הסכם שותפות אסטרטגית", True),
        ("רוסיה וצפון קוריאה חתמו על אמנה", False),
        ("Η Ρωσία και το Ιράν υπέγραψαν συνθήκη στρατηγικής εταιρικής σχέσης", True),
        ("রাশিয়া ও ইরান কৌশলগত অংশীদারিত্ব চুক্তি স্বাক্ষর করেছে", True),
        ("Nga và Iran ký hiệp ước đối tác chiến lược toàn diện", True),
        ("Việt Nam và Nga ký kết đối tác chiến lược toàn diện", False),
        ("Rossiya va Eron strategik sheriklik shartnomasini imzoladi", True),
        ("Rusia dan Iran menandatangani perjanjian perkongsian strategik komprehensif", True),
    ],
)
def test_every_language_the_topic_names_reads_a_headline(model, headline, relevant):
    """Languages outside the labelled sets: the term lists cover them too."""
    assert model.classify(headline, "").relevant is relevant


def _eval(tmp_path: Path, content: bytes) -> tuple[int, str]:
    path = tmp_path / "records.jsonl"
    path.write_bytes(content)
    result = CliRunner().invoke(
        cli, ["--config", str(REPO / "config" / "watcher.toml"), "eval", str(path)]
    )
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "no labelled records"),
        (b"\n  \n", "no labelled records"),
        (
            b'{"title": "a", "label": 1}\n{"title": "b", label: 0}\n',
            "records.jsonl:2: not valid JSON",
        ),
        (
            b'{"title": "a", "label": 1}\n{"title": "\xff\xfe", "label": 0}\n',
            "records.jsonl:2: not UTF-8",
        ),
        (b'{"title": "a", "label": 2}\n', "records.jsonl:1: label must be 1, 0 or null"),
        (b'["a", 1]\n', "records.jsonl:1: a record is a JSON object with title, text and label"),
        (b'{"title": "a", "text": ""}\n', 'records.jsonl:1: no label; add "label": 1, 0 or null'),
    ],
)
def test_eval_on_bad_files_exits_2_naming_the_line(tmp_path, content, expected):
    code, output = _eval(tmp_path, content)
    assert code == 2
    assert expected in output
    assert "Traceback" not in output


def test_eval_reports_non_english_recall_and_hard_negatives(tmp_path):
    code, output = _eval(tmp_path, HELDOUT.read_bytes())
    assert code == 0, output
    assert "non-English recall" in output and "hard negatives flagged" in output


def test_eval_reads_language_as_lang_and_counts_no_group_as_no_hard_negative(tmp_path):
    records = [
        {"title": "Local bakery wins award", "text": "", "label": 0, "language": "fr"},
        {"title": "Stock market closes higher", "text": "", "label": 0},
    ]
    content = "".join(json.dumps(r) + "\n" for r in records).encode()
    code, output = _eval(tmp_path, content)
    assert code == 0, output
    assert "hard negatives flagged" not in output  # no record says it is one
    assert re.search(r"^fr\s+1\s+1\s+1\.00$", output, re.M)  # the `language` field is read
