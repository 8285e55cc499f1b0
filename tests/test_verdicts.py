"""What every verdict says about itself, what feedback may and may not do, and bad input."""

from __future__ import annotations

import json
from pathlib import Path
from unittest.mock import ANY

import pytest
from click.testing import CliRunner

from tests import feeds as fx
from tests.helpers import poll, rows
from watcher.cli import cli
from watcher.config import load_config
from watcher.topic import build_model
from watcher.topic.definition import Example
from watcher.topic.explain import HEADLINE_ONLY, PASSING_MENTION

REPO = Path(__file__).resolve().parent.parent
SEED_TITLES = {
    p.read_text(encoding="utf-8").strip().partition("\n")[0].strip()
    for p in (REPO / "seeds").glob("*.txt")
}
TREATY_TEXT = (
    "Vladimir Putin and Masoud Pezeshkian signed the comprehensive strategic partnership treaty "
    "in the Kremlin on 17 January. The 20-year treaty between Russia and Iran has 47 articles. "
    "It covers defence, energy and the North-South transport corridor."
)

CASES = [
    ("Russian Duma ratified the strategic partnership treaty with Iran", ""),
    ("Russia and Iran sign 20-year treaty", TREATY_TEXT),
    ("Putin and Kim sign comprehensive strategic partnership treaty in Pyongyang", ""),
    ("Russia and Iran sign gas supply memorandum", "Gazprom and Iran signed a gas memorandum."),
    ("Local bakery wins award", "The bakery on Main Street won a prize for its bread."),
    ("", ""),
    ("   ", "\n\t "),
]


@pytest.mark.parametrize(("title", "text"), CASES)
def test_every_verdict_says_why(model, title, text):
    verdict = model.classify(title, text)
    exp = verdict.explanation
    down = exp["pushed_down_by"]
    assert down and "the prior" in down[-1]
    assert exp["nearest_seed"] and exp["nearest_seed"] != "None"
    assert not exp["nearest_seed"].endswith(".txt")
    assert exp["language"]
    assert (HEADLINE_ONLY in exp["notes"]) == (not text.strip())
    assert exp["headline_only"] == (len(text) < 100)  # every case but one is a headline


def test_matched_words_are_the_words_written_not_stems(model):
    exp = model.classify("Russian Duma ratified the partnership treaty with Tehran", "").explanation
    assert "ratified" in exp["events"]
    assert "russian" in exp["entities"]["Russia"] and "tehran" in exp["entities"]["Iran"]
    assert exp["nearest_seed"] in SEED_TITLES


def test_language_is_detected_for_every_article(model):
    assert model.classify("Local bakery wins award", "The bread was good.").language == "en"
    assert (
        model.classify("В Москве открыли новую станцию метро, сообщили в мэрии", "").language
        == "ru"
    )


def test_lookalike_and_passing_mention_are_named(model):
    nk = model.classify(
        "Russia and North Korea treaty enters into force",
        "The comprehensive strategic partnership treaty between Moscow and Pyongyang entered "
        "into force. Kim Jong Un hailed the mutual defence clause. Iran was not mentioned by "
        "either side.",
    )
    assert not nk.relevant
    assert any("Russia–North Korea treaty" in r for r in nk.explanation["pushed_down_by"])
    filler = " ".join(f"The ministers also discussed wheat exports in round {i}." for i in range(9))
    passing = model.classify(
        "Russian and Iranian ministers discuss grain prices",
        f"{filler} Last year Russia and Iran signed a strategic partnership treaty. {filler}",
    )
    assert PASSING_MENTION in passing.explanation["pushed_down_by"]


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("", ""),
        ("   ", "  \n\t "),
        ("Russia and Iran sign treaty", "Putin and Pezeshkian signed the treaty. " * 130_000),
        ("Россия и Iran подписали 条约 مع ایران", "Смешанный текст mixed 文字 وعربي."),
        ("روسيا وإيران توقعان معاهدة الشراكة", "وقع بوتين وبزشكيان المعاهدة في موسكو."),
        ("Russia \udcff Iran treaty signed", "Broken \udc80 bytes \ud800 inside."),
        ("\x00\x01", "\ufeff\u200b\u202e"),
    ],
)
def test_bad_input_gets_a_verdict(model, title, text):
    verdict = model.classify(title, text)
    assert 0.0 <= verdict.score <= 1.0
    assert verdict.explanation["pushed_down_by"]


GAS = Example(
    title="Russia and Iran sign gas supply memorandum",
    text="Gazprom and the National Iranian Gas Company signed a memorandum on supplying Russian "
    "gas to Iran through Azerbaijan, starting with two billion cubic metres a year.",
    label=1,
    source="feedback:1",
)
OTHER_GAS_STORIES = [
    (
        "Russia and Iran agree on gas price for deliveries via Azerbaijan",
        "The two countries settled the price of Russian gas for Iran; volumes may reach 55 "
        "billion cubic metres a year.",
    ),
    ("Gazprom to build pipeline to Iran", "Gazprom will lay a pipeline to carry gas to Iran."),
    ("Iran and Russia sign oil swap deal", "Russia and Iran signed a deal to swap oil cargoes."),
]


@pytest.fixture(scope="module")
def config():
    return load_config(REPO / "config" / "watcher.toml")


def test_one_judgement_does_not_flip_unrelated_articles(model, config):
    judged = build_model(config, [GAS])
    for title, text in OTHER_GAS_STORIES:
        before, after = model.classify(title, text), judged.classify(title, text)
        assert before.relevant is after.relevant is False
        assert after.score - before.score < 0.1
    # The judged story itself follows the judgement, and says so.
    own = judged.classify(GAS.title, GAS.text)
    assert own.relevant and not model.classify(GAS.title, GAS.text).relevant
    assert any("you marked this story" in r for r in own.explanation["pushed_up_by"])


def test_feedback_pull_is_bounded_and_shown(model, config):
    near = (
        "Russia and Iran sign gas supply memorandum for Azerbaijan route",
        "Gazprom and the Iranian gas company signed a memorandum on Russian gas for Iran.",
    )
    judged = build_model(config, [GAS])
    before, after = model.classify(*near), judged.classify(*near)
    effect = after.explanation["feedback"]
    assert effect is not None and effect["judgement"] == "relevant"
    assert 0 < effect["effect"] <= 2.0
    assert after.score > before.score
    assert model.classify(*near).explanation["feedback"] is None


def _cli(config_path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", str(config_path), *args])
    return result.exit_code, result.output


def test_feedback_list_and_clear(feed_server, make_config, executor):
    item = fx.Item(
        title="Russia and Iran sign gas supply memorandum",
        link="https://n.example.org/gas",
        summary=GAS.text,
    )
    config = make_config([feed_server.set("/f", body=fx.rss20([item]))])
    poll(config, executor)
    article = str(rows(config, "SELECT id FROM articles")[0]["id"])
    assert _cli(config.source, "feedback", "--list")[1].startswith("no judgements")
    code, output = _cli(config.source, "feedback", article, "relevant")
    assert code == 0 and "recorded" in output
    code, output = _cli(config.source, "feedback", "--list", "--json")
    assert code == 0 and json.loads(output) == [
        {"article": int(article), "judgement": "relevant", "at": ANY, "title": item.title}
    ]
    code, output = _cli(config.source, "feedback", article, "--clear")
    assert code == 0 and "taken back" in output
    assert rows(config, "SELECT * FROM feedback") == []
    code, output = _cli(config.source, "feedback", article, "--clear")
    assert code == 2 and "has no judgement" in output
    assert _cli(config.source, "feedback", article)[0] == 2


def test_classify_rejects_empty_and_non_utf8_input(tmp_path):
    config_path = REPO / "config" / "watcher.toml"
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    code, output = _cli(config_path, "classify", str(empty))
    assert code == 2 and "nothing to classify" in output
    broken = tmp_path / "broken.txt"
    broken.write_bytes(b"Russia and Iran sign treaty\nfine line\nbad \xff byte\n")
    code, output = _cli(config_path, "classify", str(broken))
    assert code == 2 and "broken.txt:3: not UTF-8" in output
    assert "Traceback" not in output
