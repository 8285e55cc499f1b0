"""The fast paths of text folding and sentence splitting agree with their plain definitions."""

from __future__ import annotations

import random
import re

import pytest

from watcher.topic.text import fold, sentences

# The definitions, written the slow and obvious way.
_NON_WORD = re.compile(r"[\W_]+")
_SENTENCE_END = re.compile(r"(?<=[.!?؟।])\s+|(?<=[。！？])|\n+")

PIECES = [*"ab .!?؟।。！？\n\t\r中文字x\u2028\xa0\u3000,;-_'\"", "word ", "Wörter "]


def _random_texts(seed: int, alphabet: list[str], count: int = 5000) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(count)]


def test_ascii_folding_matches_the_regex_definition():
    for text in _random_texts(1, [chr(i) for i in range(128)]):
        assert text.isascii()
        assert fold(text) == " " + _NON_WORD.sub(" ", text.casefold()).strip() + " "


def test_folding_treats_accents_and_letter_forms_alike():
    assert fold("Tehran–Moscow: RATIFIED!") == " tehran moscow ratified "
    assert fold("Téhéran") == fold("Teheran")
    assert fold("كتاب") == fold("کتاب")


def _plain_sentences(text: str, limit: int) -> list[str]:
    found: list[str] = []
    for line in (raw.strip() for raw in text.splitlines()):
        if len(line.split()) < 4 and len(re.findall(r"[\u3040-\u30ff\u3400-\u9fff]", line)) < 8:
            continue
        for part in _SENTENCE_END.split(line):
            if part.strip():
                found.append(part.strip())
    return found[:limit]


@pytest.mark.parametrize("seed", range(3))
def test_sentence_splitting_matches_the_lookbehind_definition(seed):
    for text in _random_texts(seed, PIECES):
        assert sentences(text, 40) == _plain_sentences(text, 40), repr(text)
