"""Feed documents written by the tests: RSS 0.91/1.0/2.0, Atom 1.0 and JSON Feed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape

BASE_DATE = datetime(2025, 1, 17, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Item:
    title: str
    link: str | None = None
    guid: str | None = None
    summary: str = ""
    published: datetime | None = None


def items(count: int, prefix: str = "https://news.example.org/story", start: int = 0) -> list[Item]:
    return [
        Item(
            title=f"Story number {i}",
            link=f"{prefix}/{i}",
            guid=f"{prefix}/{i}",
            summary=f"<p>Body of story {i}, with <b>bold</b> words.</p>",
            published=BASE_DATE + timedelta(minutes=i),
        )
        for i in range(start, start + count)
    ]


def rss20(entries: list[Item], title: str = "Test channel", extra: str = "") -> bytes:
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0"><channel>',
        f"<title>{escape(title)}</title><link>https://news.example.org/</link>",
        "<description>test</description>",
        extra,
    ]
    for item in entries:
        parts.append("<item>")
        parts.append(f"<title>{escape(item.title)}</title>")
        if item.link:
            parts.append(f"<link>{escape(item.link)}</link>")
        if item.guid:
            parts.append(f"<guid>{escape(item.guid)}</guid>")
        if item.published:
            parts.append(f"<pubDate>{format_datetime(item.published)}</pubDate>")
        parts.append(f"<description>{escape(item.summary)}</description>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode("utf-8")


def rss10(entries: list[Item]) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">',
        '<channel rdf:about="https://news.example.org/"><title>RDF channel</title>'
        "<link>https://news.example.org/</link><description>d</description></channel>",
    ]
    for item in entries:
        parts.append(f'<item rdf:about="{escape(item.link or "")}">')
        parts.append(f"<title>{escape(item.title)}</title><link>{escape(item.link or '')}</link>")
        parts.append(f"<description>{escape(item.summary)}</description>")
        if item.published:
            parts.append(f"<dc:date>{item.published.isoformat()}</dc:date>")
        parts.append("</item>")
    parts.append("</rdf:RDF>")
    return "\n".join(parts).encode("utf-8")


def rss091(entries: list[Item]) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="ISO-8859-1"?>',
        '<rss version="0.91"><channel><title>Old channel</title>',
        "<link>https://news.example.org/</link><description>d</description><language>de</language>",
    ]
    for item in entries:
        parts.append(
            f"<item><title>{escape(item.title)}</title><link>{escape(item.link or '')}</link>"
            f"<description>{escape(item.summary)}</description></item>"
        )
    parts.append("</channel></rss>")
    return "\n".join(parts).encode("iso-8859-1")


def atom(entries: list[Item]) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom channel</title>',
        "<id>urn:test:atom</id><updated>2025-01-17T09:00:00Z</updated>",
        '<link href="https://news.example.org/"/>',
    ]
    for item in entries:
        updated = (item.published or BASE_DATE).isoformat().replace("+00:00", "Z")
        parts.append("<entry>")
        parts.append(f'<title type="html">{escape(item.title)}</title>')
        if item.link:
            parts.append(f'<link rel="alternate" href="{escape(item.link)}"/>')
        parts.append(f"<id>{escape(item.guid or item.link or item.title)}</id>")
        parts.append(f"<updated>{updated}</updated>")
        parts.append(f'<summary type="html">{escape(item.summary)}</summary>')
        parts.append("<author><name>A. Writer</name></author></entry>")
    parts.append("</feed>")
    return "\n".join(parts).encode("utf-8")


def jsonfeed(entries: list[Item], version: str = "1.1") -> bytes:
    doc = {
        "version": f"https://jsonfeed.org/version/{version}",
        "title": "JSON channel",
        "home_page_url": "https://news.example.org/",
        "items": [
            {
                "id": item.guid or item.link,
                "url": item.link,
                "title": item.title,
                "content_html": item.summary,
                "date_published": item.published.isoformat() if item.published else None,
                "authors": [{"name": "A. Writer"}],
            }
            for item in entries
        ],
    }
    return json.dumps(doc).encode("utf-8")
