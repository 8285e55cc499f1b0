"""Matches as the console and its feeds ask for them: query parameters → a filter → rows."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from watcher.store import Store
from watcher.store.matches import MatchFilter, MatchRow, matches

PAGE_SIZE = 50
MAX_TEXT = 200
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_ASPECT = re.compile(r"^[\w-]{1,64}$")
KNOWN = frozenset(
    {"q", "aspect", "language", "feed", "min_score", "since", "until", "all", "after"}
)


class BadFilter(ValueError):
    """A query parameter the matches list cannot use; the message names it and the fix."""


def parse_filter(params: Mapping[str, str], limit: int = PAGE_SIZE) -> MatchFilter:
    """Pure: query parameters → MatchFilter. Empty values mean "no filter"."""
    unknown = sorted(set(params) - KNOWN)
    if unknown:
        raise BadFilter(f"unknown parameter {unknown[0]!r}; known: {', '.join(sorted(KNOWN))}")
    values = {key: value.strip() for key, value in params.items() if value.strip()}
    text = values.get("q")
    if text is not None and len(text) > MAX_TEXT:
        raise BadFilter(f"search text is longer than {MAX_TEXT} characters; shorten it")
    aspect = values.get("aspect")
    if aspect is not None and not _ASPECT.match(aspect):
        raise BadFilter(f"aspect {aspect[:40]!r} is not an aspect name; pick one from the list")
    language = values.get("language")
    if language is not None and not _LANGUAGE.match(language):
        raise BadFilter(f"language {language[:40]!r} is not a language code such as 'en' or 'ru'")
    since, until = _date(values, "since"), _date(values, "until", end=True)
    if since and until and since >= until:
        raise BadFilter("'since' must be before 'until'")
    return MatchFilter(
        text=text,
        aspect=aspect,
        language=language,
        feed_id=_int(values, "feed"),
        min_score=_score(values),
        since=since,
        until=until,
        include_irrelevant=values.get("all") in ("1", "on", "true", "yes"),
        after=_int(values, "after"),
        limit=limit,
    )


def _int(values: Mapping[str, str], key: str) -> int | None:
    value = values.get(key)
    if value is None:
        return None
    if not value.isdigit() or len(value) > 18:
        raise BadFilter(f"{key} {value[:40]!r} is not an id; use a whole number")
    return int(value)


def _score(values: Mapping[str, str]) -> float | None:
    value = values.get("min_score")
    if value is None:
        return None
    try:
        score = float(value)
    except ValueError:
        score = -1.0
    if not 0.0 <= score <= 1.0:
        raise BadFilter(f"min_score {value[:40]!r} must be a number from 0 to 1, e.g. 0.6")
    return score


def _date(values: Mapping[str, str], key: str, *, end: bool = False) -> datetime | None:
    """YYYY-MM-DD (a whole day: 'until' includes it) or an ISO datetime."""
    value = values.get(key)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise BadFilter(f"{key} {value[:40]!r} is not a date; use YYYY-MM-DD") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if end and len(value) == 10:
        moment += timedelta(days=1)
    return moment


def query_string(query: MatchFilter, **changes: str | int | None) -> dict[str, str]:
    """The parameters that reproduce `query` (for links to the next page and to the feeds)."""
    params: dict[str, str | int | float | None] = {
        "q": query.text,
        "aspect": query.aspect,
        "language": query.language,
        "feed": query.feed_id,
        "min_score": query.min_score,
        "since": query.since.isoformat() if query.since else None,
        "until": query.until.isoformat() if query.until else None,
        "all": "1" if query.include_irrelevant else None,
        **changes,
    }
    return {key: str(value) for key, value in params.items() if value is not None}


def find_matches(store: Store, query: MatchFilter) -> tuple[list[MatchRow], int | None]:
    """A page of matches and the cursor of the next page (None on the last page)."""
    if query.text:
        store.index_for_search()  # a search sees every stored article, indexed or not yet
    rows = matches(store.db, replace(query, limit=query.limit + 1))
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return rows, (rows[-1].id if more and rows else None)
