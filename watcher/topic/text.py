"""Pure text handling for relevance: one normalisation for terms and text, sentences, noise.

Terms and article text pass through the same `fold`, so a term written with accents,
capitals, Arabic or Persian letter forms, or another digit set matches every spelling.
"""

from __future__ import annotations

import re
import unicodedata

# Letters that casefolding and accent stripping leave apart but writers use interchangeably.
_LETTERS = str.maketrans(
    {
        "ي": "ی",
        "ى": "ی",
        "ئ": "ی",
        "ك": "ک",
        "ة": "ه",
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ؤ": "و",
        "ـ": "",
        "\u200c": " ",
        "\u200d": "",
        "ı": "i",
        "ə": "e",
        "đ": "d",
        "ł": "l",
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "ё": "е",
        "ћ": "ћ",
        **{chr(0x06F0 + i): str(i) for i in range(10)},
        **{chr(0x0660 + i): str(i) for i in range(10)},
    }
)


def _mark_class() -> str:
    """A regex class of every combining mark in the Basic Multilingual Plane, as ranges."""
    ranges: list[tuple[int, int]] = []
    for cp in range(0x10000):
        if unicodedata.category(chr(cp)) == "Mn":
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return "[" + "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges) + "]+"


# Accents, harakat and the dot of Turkish İ are dropped, so spellings with and without them
# meet. A regex class does it in C: folding is most of the cost of scoring an article.
_MARKS = re.compile(_mark_class())
_NON_WORD = re.compile(r"[\W_]+")
# A sentence ends at a full stop followed by space (which is dropped), right after a Chinese
# or Japanese full stop, or at a line break. The regex only finds the candidates: a split on
# look-behinds or on alternatives tries them at every character, and measured as the
# costliest step of scoring.
_STOPS = ".!?؟।"
_WIDE_STOPS = "。！？"
_SENTENCE_END = re.compile(f"[{_STOPS}{_WIDE_STOPS}\n]")
# Scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer, Burmese;
# not Korean, which spaces its words): their terms match anywhere, and two characters count as
# one word.
UNSPACED = re.compile(
    r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]"
)

# Page furniture that scraped articles carry: not the article's words.
_NOISE_LINE = re.compile(
    r"^(?:skip to|advertisement|sponsored|share (?:this|on)|subscribe|sign up|log ?in|"
    r"read (?:more|also)|also read|related:|photo(?:graph)?:|image:|credit:|source:|"
    r"(?:translated|edited|written) by|translation:|перевод|фото:|читайте также|"
    r"реклама|подписывайтесь|© ?|copyright|all rights reserved|cookie|follow us|tags?:)",
    re.IGNORECASE,
)
_COMMENTS = re.compile(
    r"^(?:\d+\s+)?(?:comments?|leave a (?:comment|reply)|комментари[иейя]|"
    r"discussion|join the conversation|نظرات|التعليقات)\b",
    re.IGNORECASE,
)
MIN_WORDS = 4


# ASCII text (most of it) is folded by a translation table: three times faster than the regex.
_ASCII_NON_WORD = str.maketrans({chr(i): " " for i in range(128) if not chr(i).isalnum()})


def fold(text: str) -> str:
    """Lower case, no accents, unified letter forms, punctuation as single spaces."""
    text = text.casefold()
    if text.isascii():
        return " " + " ".join(text.translate(_ASCII_NON_WORD).split()) + " "
    text = _MARKS.sub("", unicodedata.normalize("NFKD", text))
    text = unicodedata.normalize("NFC", text).translate(_LETTERS)
    return " " + _NON_WORD.sub(" ", text).strip() + " "


def clean_lines(text: str) -> list[str]:
    """Article lines without page furniture; stops at a comments section."""
    kept: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if _COMMENTS.match(line) and len(line.split()) <= 4:
            break
        if _NOISE_LINE.match(line) or _too_short(line):
            continue
        kept.append(line)
    return kept


def _too_short(line: str) -> bool:
    """Fewer than MIN_WORDS words; Chinese and Japanese write none, so two characters count
    as one word."""
    if len(line.split(maxsplit=MIN_WORDS - 1)) >= MIN_WORDS:
        return False
    return len(UNSPACED.findall(line)) // 2 < MIN_WORDS


def _split_sentences(line: str) -> list[str]:
    parts: list[str] = []
    start = 0
    for found in _SENTENCE_END.finditer(line):
        at = found.start()
        if at < start:
            continue  # inside the space that ended the previous sentence
        mark = line[at]
        if mark in _WIDE_STOPS:
            parts.append(line[start : at + 1])
            start = at + 1
            continue
        after = at + 1 if mark in _STOPS else at
        rest = after
        while rest < len(line) and line[rest].isspace() and (mark != "\n" or line[rest] == "\n"):
            rest += 1
        if rest == after:
            continue  # a full stop inside a word or a number, not the end of a sentence
        parts.append(line[start:after])
        start = rest
    parts.append(line[start:])
    return parts


def sentences(text: str, limit: int) -> list[str]:
    """Sentences of the cleaned text, at most `limit` of them (the lead decides relevance)."""
    found: list[str] = []
    for line in clean_lines(text):
        for part in _split_sentences(line):
            if part.strip():
                found.append(part.strip())
                if len(found) >= limit:
                    return found
    return found
