"""Hostile feed documents, written here: the tests and benchmarks/hostile.py serve them."""

from __future__ import annotations

import json
from typing import Any

GOOD = [
    ("Good story one", "https://news.example.org/1"),
    ("Good story two", "https://news.example.org/2"),
]


def rss_with(raw_item: str, prolog: str = "") -> bytes:
    """An RSS 2.0 feed: two good items around one written raw (its markup is not escaped)."""
    good = [
        f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
        f"<description>Text of {title}.</description></item>"
        for title, link in GOOD
    ]
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{prolog}<rss version="2.0"><channel>'
        f"<title>Hostile</title><link>https://news.example.org/</link>"
        f"{good[0]}{raw_item}{good[1]}</channel></rss>"
    ).encode()


def entity_bomb(entity_size: int = 100_000, references: int = 95_000) -> bytes:
    """One internal entity referenced many times: 385 KB of document, gigabytes expanded."""
    prolog = f'<!DOCTYPE rss [\n<!ENTITY big "{"A" * entity_size}">\n]>\n'
    item = f"<item><title>Bomb</title><description>{'&big;' * references}</description></item>"
    return rss_with(item, prolog)


def json_feed_with(raw_item: str) -> bytes:
    """A JSON Feed: two good items around one written raw (as JSON text)."""
    good = [
        json.dumps({"id": link, "url": link, "title": title, "content_text": f"Text of {title}."})
        for title, link in GOOD
    ]
    return (
        '{"version": "https://jsonfeed.org/version/1.1", "title": "Hostile JSON",'
        f' "items": [{good[0]}, {raw_item}, {good[1]}]}}'
    ).encode()


def _json_item(**fields: Any) -> str:
    base = {"id": "bad", "url": "https://news.example.org/bad", "title": "Odd entry"}
    return json.dumps(base | fields)


# (name, document): every one must yield the two good entries, whatever the third does.
XML_ENTRIES = {
    "port 99999": rss_with(
        "<item><title>Odd entry</title><link>http://e.org:99999/x</link></item>"
    ),
    "broken IPv6 host": rss_with(
        "<item><title>Odd entry</title><link>http://[oops/x</link></item>"
    ),
    "surrogate pair references": rss_with(
        "<item><title>Odd &#xD83D;&#xDE00; entry</title><link>https://e.org/s</link></item>"
    ),
    "lone surrogate reference": rss_with(
        "<item><title>Odd &#xD800; entry</title><link>https://e.org/l</link></item>"
    ),
    "code point past U+10FFFF": rss_with(
        "<item><title>Odd &#x110000; entry</title><link>https://e.org/p</link></item>"
    ),
    "NUL reference": rss_with(
        "<item><title>Odd &#0; entry</title><link>https://e.org/n</link></item>"
    ),
    "two-megabyte title": rss_with(f"<item><title>{'T' * 2_000_000}</title></item>"),
    "year-one date with an offset": rss_with(
        "<item><title>Odd entry</title><pubDate>Mon, 01 Jan 0001 00:00:00 +1400</pubDate></item>"
    ),
}
JSON_ENTRIES = {
    "lone \\ud800": _json_item(title="Odd \ud800 entry"),
    "language 7": _json_item(language=7),
    "content_html not a string": _json_item(content_html={"html": ["<p>x</p>"]}),
    "authors not a list": _json_item(authors={"name": "Someone"}),
    "deeply nested arrays": _json_item(extra="[" * 100_000 + "]" * 100_000).replace(
        '"' + "[" * 100_000 + "]" * 100_000 + '"', "[" * 100_000 + "]" * 100_000
    ),
    "5,000-digit integer": _json_item().replace('"id": "bad"', '"id": ' + "9" * 5000),
    "year-one date with an offset": _json_item(date_published="0001-01-01T00:00:00+14:00"),
    "title a number": _json_item(title=7),
}


def heavy(entries: int = 20_000) -> bytes:
    """A large, valid feed: seconds of CPU and a few hundred MB to read (~400 bytes an entry)."""
    items = "".join(
        f"<item><title>Entry {i} about nothing much</title><link>https://e.org/{i}</link>"
        f"<description>&lt;p&gt;Paragraph {i} of a long and dull text.&lt;/p&gt;</description>"
        "</item>"
        for i in range(entries)
    )
    return rss_with(items)


# Fragments that broke real parsers: each mutation splices some of them into a real document.
POISON = [
    b"&#xD83D;",
    b"&#xDE00;",
    b"&#x110000;",
    b"&#0;",
    b"&#99999999999999999999;",
    b"\x00",
    b"\xff\xfe",
    b"\xed\xa0\x80",
    b"<![CDATA[",
    b"]]>",
    b"<!ENTITY x 'y'>",
    b"&x;",
    b"<item>",
    b"</item>",
    b"<link>http://[oops/x</link>",
    b"<link>http://e.org:99999/</link>",
    b"<pubDate>Mon, 01 Jan 0001 00:00:00 +1400</pubDate>",
    b"<title>",
    b'"\\ud800"',
    b"[[[[[[[[",
    b'"language": 7,',
    b'"authors": {},',
    b'"content_html": [1],',
    b"9" * 5000,
    b"<",
    b">",
    b"&",
    b'"',
]


def mutate(document: bytes, rng: Any) -> bytes:
    """A few random edits: poison spliced in, bytes flipped, spans dropped or repeated."""
    data = bytearray(document)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(data) + 1)
        kind = rng.randrange(4)
        if kind == 0:
            data[at:at] = rng.choice(POISON)
        elif kind == 1 and data:
            data[min(at, len(data) - 1)] = rng.randrange(256)
        elif kind == 2:
            del data[at : at + rng.randint(1, 200)]
        else:
            span = bytes(data[at : at + rng.randint(1, 200)])
            data[at:at] = span * rng.randint(1, 3)
    return bytes(data)
