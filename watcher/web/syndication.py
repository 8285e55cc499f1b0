"""Matches as feeds for a reader: Atom 1.0 and JSON Feed 1.1. Pure: rows in, bytes out.

Entry ids are tag URIs built from the article id, so a reader never sees one entry twice.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from xml.etree import ElementTree as ET

from watcher.store.matches import MatchRow

ATOM = "http://www.w3.org/2005/Atom"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def entry_id(row: MatchRow) -> str:
    return f"tag:watcher,2026:article/{row.id}"


def _summary(row: MatchRow) -> str:
    parts = [row.feed_name]
    if row.score is not None:
        parts.append(f"score {row.score:.2f}")
    if row.aspects:
        parts.append(", ".join(row.aspects))
    if row.also:
        parts.append("also reported by " + ", ".join(o.feed_name for o in row.also))
    return " · ".join(parts) + "\n\n" + row.summary


def _http(url: str | None) -> str | None:
    return url if url and url.startswith(("http://", "https://")) else None


def atom(
    rows: Sequence[MatchRow], title: str, self_url: str, console_url: str, updated: datetime
) -> bytes:
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}id").text = self_url
    ET.SubElement(feed, f"{{{ATOM}}}title").text = title
    newest = max((r.first_seen for r in rows), default=updated)
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = newest.isoformat()
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_url)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=console_url)
    ET.SubElement(ET.SubElement(feed, f"{{{ATOM}}}author"), f"{{{ATOM}}}name").text = "watcher"
    for row in rows:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}id").text = entry_id(row)
        ET.SubElement(entry, f"{{{ATOM}}}title").text = row.title
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = row.first_seen.isoformat()
        ET.SubElement(entry, f"{{{ATOM}}}published").text = row.published.isoformat()
        link = _http(row.url)
        if link:
            ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=link)
        author = ET.SubElement(entry, f"{{{ATOM}}}author")
        ET.SubElement(author, f"{{{ATOM}}}name").text = row.feed_name or "unknown"
        for aspect in row.aspects:
            ET.SubElement(entry, f"{{{ATOM}}}category", term=aspect)
        ET.SubElement(entry, f"{{{ATOM}}}summary", type="text").text = _summary(row)
    for element in feed.iter():
        if element.text:
            element.text = _NOT_XML.sub("", element.text)
        for key, value in element.attrib.items():
            element.attrib[key] = _NOT_XML.sub("", value)
    document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document


def json_feed(rows: Sequence[MatchRow], title: str, self_url: str, console_url: str) -> bytes:
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": title,
        "home_page_url": console_url,
        "feed_url": self_url,
        "authors": [{"name": "watcher"}],
        "items": [
            {
                "id": entry_id(row),
                **({"url": _http(row.url)} if _http(row.url) else {}),
                "title": row.title,
                "content_text": _summary(row),
                "date_published": row.published.isoformat(),
                "date_modified": row.first_seen.isoformat(),
                "authors": [{"name": row.feed_name or "unknown"}],
                **({"language": row.language} if row.language else {}),
                "tags": list(row.aspects),
                "_watcher": {
                    "score": row.score,
                    "relevant": row.relevant,
                    "story_id": row.story_id,
                    "also_reported_by": [
                        {"feed": o.feed_name, "title": o.title, "url": _http(o.url)}
                        for o in row.also
                    ],
                },
            }
            for row in rows
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
