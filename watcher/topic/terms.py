"""Fast matching of many terms: all of a topic's term lists compile to one trie-shaped regex.

A term is a stem matched at a word start ("ratif" → ratified); every word of a phrase is a
stem; a trailing "=" asks for the whole word. Chinese and Japanese terms match anywhere,
since those scripts do not separate words. Arabic- and Hebrew-script terms also match after
the particles that attach to the front of a word. One pass over a sentence finds the terms of
every list; where terms overlap, the longest wins.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from watcher.topic.text import UNSPACED, fold

_GAP = "\x00"  # between the words of a phrase: the rest of a word, then a space
_END = "\x01"  # a whole-word term ends here
# Arabic and Hebrew script attach conjunctions, prepositions and the article to the next word.
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_HEBREW = re.compile(r"[\u05d0-\u05ea]")
_PARTICLES = {
    _ARABIC: ("و", "ب", "ل", "ف", "ال", "وال", "بال", "لل", "فال", "کال"),
    _HEBREW: ("ו", "ה", "ב", "ל", "מ", "ש", "וה", "וב", "ול", "ומ", "שה", "מה", "בה", "לה"),
}


def _particles(word: str) -> tuple[str, ...]:
    """The particles that may stand before `word`; () for other scripts."""
    for script, particles in _PARTICLES.items():
        if script.match(word):
            return particles
    return ()


Trie = dict[str, "Trie"]


def _trie_regex(words: Iterable[str]) -> str:
    trie: Trie = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: Trie) -> str:
        branches = []
        for char in sorted(k for k in node if k):
            if char == _GAP:
                head = r"\w* "
            elif char == _END:
                head = "(?= )"
            else:
                head = re.escape(char)
            branches.append(head + emit(node[char]))
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


# One match: the words matched, and where they start and end in the folded text. A plain
# tuple: scoring an article makes many of them.
Hit = tuple[str, int, int]


def gap(a: Hit, b: Hit) -> int:
    """Characters between two matches; 0 when they touch or overlap."""
    return max(0, b[1] - a[2], a[1] - b[2])


# French, Italian and Catalan elide an article or preposition before a vowel (l'Iran,
# d'Iran, dell'Iran); a URL slug drops the apostrophe and glues them: "liran", "diran".
_ELIDED = ("l", "d", "dell", "all", "dall", "nell", "sull", "coll")
_LATIN_VOWEL_START = re.compile(r"[aeiouy][a-z]{3,}$")


def with_elisions(terms: Iterable[str]) -> list[str]:
    """The terms, plus their glued elided forms as whole words ("iran" → "liran=",
    "diran=", …). Only the shortest single-word stems in Latin script that begin with a vowel
    and have four letters or more: not a longer form of another stem ("iranin", whose glued
    form is Turkish for "the lira's"), nor a whole-word term ("eron="), which is one because a
    longer spelling would collide with other words, as a glued one would."""
    result = list(terms)
    stems = {
        key
        for term in result
        if not term.endswith("=")
        and " " not in (key := fold(term).strip())
        and _LATIN_VOWEL_START.match(key)
    }
    for stem in sorted(stems):
        if not any(stem.startswith(other) for other in stems if other != stem):
            result.extend(f"{prefix}{stem}=" for prefix in _ELIDED)
    return result


@dataclass(frozen=True)
class _Term:
    label: str  # the term as the topic file spells it
    words: tuple[str, ...]  # folded words; all but the last are stems of the matched words
    categories: tuple[str, ...]


class TermIndex:
    """Term lists by category, compiled once. `find` maps each category to its matches."""

    def __init__(self, lists: Mapping[str, Iterable[str]]) -> None:
        categories: defaultdict[str, list[str]] = defaultdict(list)
        labels: dict[str, str] = {}
        whole: set[str] = set()
        for category, terms in lists.items():
            for term in terms:
                key = fold(term.rstrip("=")).strip()
                if not key:
                    continue
                if UNSPACED.search(key):
                    key = key.replace(" ", "")
                if category not in categories[key]:
                    categories[key].append(category)
                labels.setdefault(key, term.rstrip("="))
                if term.endswith("="):
                    whole.add(key)
        self._terms = {
            key: _Term(labels[key], tuple(key.split()), tuple(cats))
            for key, cats in categories.items()
        }
        self._phrases: defaultdict[tuple[str, int], list[_Term]] = defaultdict(list)
        worded, anywhere = [], []
        for key, entry in self._terms.items():
            if UNSPACED.search(key):
                anywhere.append(key)
                continue
            pattern = key.replace(" ", _GAP) + (_END if key in whole else "")
            worded.append(pattern)
            worded.extend(particle + pattern for particle in _particles(key))
            if len(entry.words) > 1:
                self._phrases[(entry.words[-1], len(entry.words))].append(entry)
        self._worded = re.compile(" (?:" + _trie_regex(worded) + ")") if worded else None
        self._anywhere = re.compile(_trie_regex(anywhere)) if anywhere else None

    def find(self, folded: str) -> dict[str, list[str]]:
        """Matches in text that went through `fold`: category → the words that matched, whole
        (a stem's match reads "ratified", not "ratif"), repeats kept."""
        found: defaultdict[str, list[str]] = defaultdict(list)
        for term, surface, _, _ in self._matches(folded):
            for category in term.categories:
                found[category].append(surface)
        return found

    def locate(self, folded: str) -> dict[str, list[Hit]]:
        """`find`, with where in `folded` each match lies (slower: only where it matters)."""
        found: defaultdict[str, list[Hit]] = defaultdict(list)
        for term, surface, start, end in self._matches(folded):
            for category in term.categories:
                found[category].append((surface, start, end))
        return found

    def _matches(self, folded: str) -> Iterator[tuple[_Term, str, int, int]]:
        for pattern, worded in ((self._worded, True), (self._anywhere, False)):
            if pattern is None:
                continue
            for match in pattern.finditer(folded):
                term = self._identify(match.group(0).strip())
                if term is not None:
                    start, end = match.span()
                    if worded:
                        # The rest of the last word: the match ends inside it or before a space.
                        start, end = start + 1, folded.find(" ", end - 1)
                        yield term, folded[start:end], start, end
                    else:
                        yield term, term.label, start, end

    def _identify(self, matched: str) -> _Term | None:
        term = self._terms.get(matched) or self._phrase(matched)
        if term is None:
            for particle in sorted(_particles(matched), key=len, reverse=True):
                if matched.startswith(particle) and len(matched) > len(particle):
                    rest = matched[len(particle) :]
                    term = self._terms.get(rest) or self._phrase(rest)
                    if term is not None:
                        break
        return term

    def _phrase(self, matched: str) -> _Term | None:
        if " " not in matched:
            return None
        words = matched.split()
        for phrase in self._phrases.get((words[-1], len(words)), ()):
            if all(w.startswith(stem) for w, stem in zip(words, phrase.words, strict=True)):
                return phrase
        return None
