"""Pure: values as people read them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from watcher.display import ago, counted, due, duration, plain, table, width

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(45, "45s"), (900, "15m"), (5400, "1h 30m"), (86400, "1d"), (90061, "1d 1h"), (None, "")],
)
def test_duration(seconds, words):
    assert duration(seconds) == words


@pytest.mark.parametrize(
    ("moment", "past", "future"),
    [
        (None, "never", "not polled any more"),
        (NOW - timedelta(seconds=10), "just now", "due now"),
        (NOW - timedelta(minutes=5), "5m ago", "due now"),
        (NOW + timedelta(minutes=14, seconds=50), "in 15m", "in 15m"),
        (NOW - timedelta(hours=2), "2h ago", "due now"),
        (NOW + timedelta(seconds=56), "in 56s", "in 56s"),
        (NOW + timedelta(milliseconds=300), "due now", "due now"),
    ],
)
def test_ago_and_due(moment, past, future):
    assert ago(moment, NOW) == past
    assert due(moment, NOW) == future


def test_counted_says_one_feed_and_two_feeds():
    assert [counted(n, "feed") for n in (0, 1, 2)] == ["0 feeds", "1 feed", "2 feeds"]
    assert (
        counted(1, "entry", "entries") == "1 entry"
        and counted(3, "entry", "entries") == "3 entries"
    )


def test_table_aligns_wide_characters_and_keeps_one_row_per_line():
    text = table(("id", "title"), [("1", "東京 news"), ("22", "two\nlines")])
    lines = text.splitlines()
    assert lines == ["id  title", "--  ---------", "1   東京 news", "22  two lines"]
    assert width("東京") == 4 and width("é") == 1 and width("e\u0301") == 1


def test_plain_turns_records_into_json_data():
    @dataclass(frozen=True)
    class Row:
        when: datetime
        tags: tuple[str, ...]
        body: bytes

    assert plain([Row(NOW.replace(microsecond=5), ("a",), b"x")]) == [
        {"when": "2026-01-01T12:00:00+00:00", "tags": ["a"], "body": "x"}
    ]
