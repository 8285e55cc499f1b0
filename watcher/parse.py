"""Feed documents (RSS 0.9x/1.0/2.0, Atom, JSON Feed) → normalised entries.

feedparser only ever receives bytes plus the response headers: never a URL or a string it
could open. JSON Feed, which feedparser cannot read, has its own small reader here.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from time import struct_time
from typing import Any

import feedparser
import feedparser.api

from watcher.models import Entry, ParsedFeed
from watcher.normalize import (
    canonical_url,
    content_hash,
    guid_key,
    hash_key,
    html_to_text,
    one_line,
    to_utc,
    url_key,
)

MAX_TEXT = 100_000
_HTML_PAGE = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.I | re.S)
_JSON_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*\{")
_BENIGN_BOZO = ("CharacterEncodingOverride", "NonXMLContentType")
_SAX_DRIVER = "watcher.sax"

# feedparser asks xml.sax for the first driver on this list that imports.
if _SAX_DRIVER not in feedparser.api.PREFERRED_XML_PARSERS:
    feedparser.api.PREFERRED_XML_PARSERS.insert(0, _SAX_DRIVER)


@dataclass(frozen=True, slots=True)
class _Raw:
    """One entry as the document gave it, before identity is decided."""

    guid: str | None
    url: str | None
    title: str
    text: str
    author: str | None
    published: datetime | None
    language: str | None


def parse_feed(
    body: bytes, headers: Mapping[str, str], url: str, feed_key: str, now: datetime
) -> ParsedFeed:
    """Parse one fetched document. Never raises for bad input: problems come back as `error`."""
    content_type = headers.get("content-type", "").lower()
    if "json" in content_type or _JSON_START.match(body):
        return _parse_json_feed(body, url, feed_key, now)
    return _parse_xml_feed(body, headers, url, feed_key, now)


def _parse_xml_feed(
    body: bytes, headers: Mapping[str, str], url: str, feed_key: str, now: datetime
) -> ParsedFeed:
    response_headers = dict(headers)
    response_headers.pop("content-encoding", None)  # httpx has already decoded the body
    doc = feedparser.parse(
        body, response_headers=response_headers, sanitize_html=False, resolve_relative_uris=False
    )
    version = doc.get("version") or ""
    problem = doc.get("bozo_exception") if doc.get("bozo") else None
    problem_name = type(problem).__name__ if problem is not None else ""
    warning = f"{problem_name}: {problem}" if problem is not None else None
    if not doc.entries and not version:
        if _HTML_PAGE.match(body[:2048]):
            message = "the URL serves an HTML page, not a feed; use the page's RSS or Atom link"
        elif not body.strip():
            message = "the server sent an empty body instead of a feed"
        else:
            message = f"not a readable feed ({warning or 'unknown format'})"
        return ParsedFeed(entries=(), error=message, format="unknown")
    channel = doc.get("feed", {})
    language = channel.get("language")
    raws = [_raw_from_feedparser(item, url, language) for item in doc.entries]
    ttl = _minutes(channel.get("ttl"))
    if warning and problem_name in _BENIGN_BOZO:
        warning = None
    return ParsedFeed(
        entries=identify(raws, feed_key, now),
        title=one_line(html_to_text(channel.get("title"))) or None,
        ttl=ttl,
        warning=warning,
        format=version or "unknown",
    )


def _minutes(value: Any) -> float | None:
    try:
        minutes = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return minutes * 60 if minutes > 0 else None


def _struct_to_datetime(value: struct_time | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _raw_from_feedparser(item: dict[str, Any], base: str, feed_language: str | None) -> _Raw:
    # Plain dict lookups: FeedParserDict.get maps legacy names (and warns about one of them)
    # at a cost that showed in profiles; every key read here is a canonical one.
    get = partial(dict.get, item)
    link = get("feedburner_origlink") or get("link")
    contents = [c["value"] for c in get("content") or () if dict.get(c, "value")]
    body = max(contents, key=len) if contents else get("summary", "")
    published = None
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        published = _struct_to_datetime(get(key))
        if published:
            break
    language = None
    for detail in ("content", "summary_detail", "title_detail"):
        value = get(detail)
        value = value[0] if isinstance(value, list) and value else value
        if isinstance(value, dict) and dict.get(value, "language"):
            language = value["language"]
            break
    return _Raw(
        guid=(get("id") or "").strip() or None,
        url=canonical_url(link, base),
        title=one_line(html_to_text(get("title"))),
        text=html_to_text(body)[:MAX_TEXT],
        author=one_line(get("author") or "") or None,
        published=published,
        language=_language_code(language or feed_language),
    )


def _language_code(value: str | None) -> str | None:
    if not value:
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    return code if 2 <= len(code) <= 3 and code.isalpha() else None


def _parse_json_feed(body: bytes, url: str, feed_key: str, now: datetime) -> ParsedFeed:
    try:
        doc = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return ParsedFeed(entries=(), error=f"invalid JSON Feed: {exc}", format="json")
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith(
        "https://jsonfeed.org/version/"
    ):
        return ParsedFeed(
            entries=(), error="JSON document is not a JSON Feed (no jsonfeed.org version)"
        )
    items = doc.get("items")
    if not isinstance(items, list):
        return ParsedFeed(entries=(), error="JSON Feed has no items list", format="json")
    base = str(doc.get("home_page_url") or doc.get("feed_url") or url)
    feed_language = doc.get("language") if isinstance(doc.get("language"), str) else None
    raws = [_raw_from_json(item, base, feed_language) for item in items if isinstance(item, dict)]
    version = str(doc["version"]).rsplit("/", 1)[-1]
    return ParsedFeed(
        entries=identify(raws, feed_key, now),
        title=one_line(str(doc.get("title") or "")) or None,
        format=f"json{version}",
    )


def _iso_date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        return None


def _raw_from_json(item: dict[str, Any], base: str, feed_language: str | None) -> _Raw:
    authors = item.get("authors") or (
        [item["author"]] if isinstance(item.get("author"), dict) else []
    )
    names = [str(a["name"]) for a in authors if isinstance(a, dict) and a.get("name")]
    html_body = item.get("content_html")
    text = html_to_text(html_body) if html_body else str(item.get("content_text") or "")
    if not text:
        text = str(item.get("summary") or "")
    link = item.get("url") or item.get("external_url")
    guid = item.get("id")
    return _Raw(
        guid=str(guid).strip() if guid not in (None, "") else None,
        url=canonical_url(str(link), base) if link else None,
        title=one_line(html_to_text(str(item.get("title") or ""))),
        text=text[:MAX_TEXT],
        author=", ".join(names) or None,
        published=_iso_date(item.get("date_published")) or _iso_date(item.get("date_modified")),
        language=_language_code(item.get("language") or feed_language),
    )


def _ambiguous(values: Iterable[tuple[str | None, str]]) -> set[str]:
    """Keys that the document gives to entries with different content."""
    seen: defaultdict[str, set[str]] = defaultdict(set)
    for key, digest in values:
        if key:
            seen[key].add(digest)
    return {key for key, digests in seen.items() if len(digests) > 1}


def identify(raws: list[_Raw], feed_key: str, now: datetime) -> tuple[Entry, ...]:
    """Identity keys: guid, else canonical link, else content hash.

    A guid or link that this document shares between entries with different content
    cannot identify either of them, so such entries fall back to the next key.
    """
    digests = [content_hash(r.title, r.text) for r in raws]
    bad_guids = _ambiguous((r.guid, d) for r, d in zip(raws, digests, strict=True))
    bad_urls = _ambiguous((r.url, d) for r, d in zip(raws, digests, strict=True))
    entries: list[Entry] = []
    for raw, digest in zip(raws, digests, strict=True):
        if not raw.title and not raw.text and not raw.url:
            continue
        keys: list[str] = []
        if raw.guid and raw.guid not in bad_guids:
            keys.append(guid_key(feed_key, raw.guid))
        if raw.url and raw.url not in bad_urls:
            keys.append(url_key(raw.url))
        keys.append(hash_key(f"{feed_key}:{digest}"))
        entries.append(
            Entry(
                keys=tuple(keys),
                url=raw.url,
                title=raw.title or (raw.text[:120] if raw.text else raw.url or ""),
                text=raw.text,
                author=raw.author,
                published=to_utc(raw.published, now) if raw.published else None,
                language=raw.language,
                content_hash=digest,
            )
        )
    return tuple(entries)
