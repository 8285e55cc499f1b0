from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from watcher.normalize import canonical_url, content_hash, html_to_text, to_utc

URLS = [
    (
        "tracking parameters go",
        "https://e.org/a?utm_source=x&utm_medium=y&id=7",
        None,
        "https://e.org/a?id=7",
    ),
    ("fragments go", "https://e.org/a#comments", None, "https://e.org/a"),
    (
        "host and scheme lower-cased",
        "HTTPS://News.Example.ORG/Path",
        None,
        "https://news.example.org/Path",
    ),
    ("default port dropped", "https://e.org:443/a", None, "https://e.org/a"),
    ("other port kept", "http://e.org:8080/a", None, "http://e.org:8080/a"),
    (
        "relative link resolved",
        "/2025/01/story",
        "https://e.org/feed.xml",
        "https://e.org/2025/01/story",
    ),
    ("query sorted", "https://e.org/a?b=2&a=1", None, "https://e.org/a?a=1&b=2"),
    (
        "google redirect unwrapped",
        "https://www.google.com/url?rct=j&url=https://e.org/x&ct=ga",
        None,
        "https://e.org/x",
    ),
    ("fbclid dropped", "https://e.org/a?fbclid=abc", None, "https://e.org/a"),
    ("not http", "mailto:someone@e.org", None, None),
    ("empty", "", None, None),
]


@pytest.mark.parametrize(("rule", "link", "base", "expected"), URLS)
def test_canonical_url(rule, link, base, expected):
    assert canonical_url(link, base) == expected, rule


def test_html_to_text_drops_markup_scripts_and_keeps_paragraphs():
    text = html_to_text(
        "<div><p>First&nbsp;line &amp; more</p><script>evil()</script>"
        "<style>p{}</style><p>Second <a href='x' onclick='y'>link</a></p></div>"
    )
    assert text == "First line & more\nSecond link"


def test_html_to_text_plain_text_passes_through():
    assert html_to_text("  plain   words\n\n here ") == "plain words\nhere"


def test_dates_become_utc_and_fall_back_to_first_seen():
    seen = datetime(2025, 1, 17, 12, tzinfo=UTC)
    moscow = datetime(2025, 1, 17, 15, tzinfo=UTC).astimezone(datetime.now().astimezone().tzinfo)
    assert to_utc(moscow, seen).tzinfo is UTC
    assert to_utc(None, seen) == seen
    assert to_utc(seen + timedelta(days=30), seen) == seen  # a date in the future is not trusted
    assert to_utc(datetime(1970, 1, 1, tzinfo=UTC), seen) == seen


def test_content_hash_ignores_case_and_spacing():
    assert content_hash("A  Title", "Body\ntext") == content_hash("a title", "body text")
    assert content_hash("A title", "body") != content_hash("A title", "other body")
