"""The buffered SAX driver changes how fast feedparser reads, never what it reads."""

from __future__ import annotations

import functools
import xml.sax
from datetime import UTC, datetime
from pathlib import Path

import feedparser.api
import pytest

from tests.feeds import Item, atom, items, rss091, rss10, rss20
from watcher.parse import parse_feed
from watcher.sax import BufferedExpatParser

NOW = datetime(2025, 1, 20, tzinfo=UTC)
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "feeds"
LONG = Item(
    title="Tom &amp; Jerry &lt;3 &#8220;quotes&#8221;",
    link="https://news.example.org/long",
    guid="long",
    summary="".join(
        f"<p>Line {i} &amp; more\nwith a break &eacute;t&eacute;</p>" for i in range(300)
    ),
)


@functools.cache
def _documents() -> dict[str, bytes]:
    written = [*items(5), LONG]
    docs = {"rss20": rss20(written), "rss10": rss10(written), "rss091": rss091(written)}
    docs["atom"] = atom(written)
    if CORPUS.is_dir():
        docs |= {
            p.name: p.read_bytes() for p in CORPUS.glob("*") if p.suffix not in (".md", ".json")
        }
    return docs


@pytest.mark.parametrize("name", sorted(_documents()))
def test_buffered_driver_reads_what_plain_expat_reads(name, monkeypatch):
    body = _documents()[name]
    buffered = parse_feed(body, {}, "https://news.example.org/feed", "k", NOW)
    monkeypatch.setattr(feedparser.api, "PREFERRED_XML_PARSERS", [])
    assert not isinstance(xml.sax.make_parser([]), BufferedExpatParser)
    plain = parse_feed(body, {}, "https://news.example.org/feed", "k", NOW)
    assert buffered == plain


def test_feedparser_parses_with_the_buffered_driver():
    assert isinstance(
        xml.sax.make_parser(feedparser.api.PREFERRED_XML_PARSERS), BufferedExpatParser
    )


class _Counter(xml.sax.handler.ContentHandler):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.text: list[str] = []

    def characters(self, content: str) -> None:
        self.calls += 1
        self.text.append(content)


def test_escaped_html_arrives_in_one_piece():
    body = b"<d>" + b"&lt;p&gt;word&lt;/p&gt;\n" * 50 + b"</d>"
    counts = {}
    for label, reader in (("plain", xml.sax.make_parser([])), ("buffered", BufferedExpatParser())):
        handler = _Counter()
        reader.setContentHandler(handler)
        reader.feed(body)
        reader.close()
        assert "".join(handler.text) == "<p>word</p>\n" * 50
        counts[label] = handler.calls
    assert counts["buffered"] == 1
    assert counts["plain"] > 100
