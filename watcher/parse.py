"""Feed documents (RSS 0.9x/1.0/2.0, Atom, JSON Feed) → normalised entries.

feedparser only ever receives bytes plus the response headers: never a URL or a string it
could open. JSON Feed, which feedparser cannot read, has its own small reader here.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from time import struct_time
from typing import Any

import feedparser
import feedparser.api

from watcher.models import Entry, ParsedFeed
from watcher.normalize import (
    MAX_AUTHOR,
    MAX_TEXT,
    MAX_TITLE,
    canonical_url,
    clip,
    content_hash,
    guid_key,
    hash_key,
    html_to_text,
    one_line,
    scrub,
    to_utc,
    url_key,
)
from watcher.xmlguard import bound_entities, repair_charrefs

MAX_REASON = 200
MAX_JSON_DIGITS = 100  # a longer integer in a JSON Feed is kept as text, never converted
MAX_JSON_DEPTH = 64  # deeper arrays and objects in a JSON Feed are read as null
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)
_HTML_PAGE = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.I | re.S)
_JSON_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*\{")
_BENIGN_BOZO = ("CharacterEncodingOverride", "NonXMLContentType")
_SAX_DRIVER = "watcher.sax"

# feedparser asks xml.sax for the first driver on this list that imports.
if _SAX_DRIVER not in feedparser.api.PREFERRED_XML_PARSERS:
    feedparser.api.PREFERRED_XML_PARSERS.insert(0, _SAX_DRIVER)

# feedparser hands the document, decoded to UTF-8, to `replace_doctype` before either of its
# parsers sees it: the one place where the guards see what both parsers will read, whatever
# the document's own encoding (see watcher.xmlguard).
_feedparser_prolog = feedparser.api.replace_doctype


def _guarded_prolog(data: bytes) -> tuple[str | None, bytes, dict[str, str]]:
    result: tuple[str | None, bytes, dict[str, str]] = _feedparser_prolog(
        bound_entities(repair_charrefs(data))
    )
    return result


if getattr(feedparser.api.replace_doctype, "__name__", "") != _guarded_prolog.__name__:
    feedparser.api.replace_doctype = _guarded_prolog


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
    """Parse one fetched document. Never raises for bad input: problems come back as `error`,
    and an entry that cannot be read is skipped (its reason in `skipped`), not its feed."""
    content_type = headers.get("content-type", "").lower()
    try:
        if "json" in content_type or _JSON_START.match(body):
            return _parse_json_feed(body, url, feed_key, now)
        return _parse_xml_feed(body, headers, url, feed_key, now)
    except MemoryError:
        raise  # the worker's owner reports the memory ceiling
    except RecursionError:
        return ParsedFeed(entries=(), error="the document is nested too deeply to read")
    except Exception as exc:
        return ParsedFeed(entries=(), error=f"the document cannot be read: {_reason(exc)}")


def _reason(exc: BaseException) -> str:
    return clip(one_line(scrub(f"{type(exc).__name__}: {exc}")), MAX_REASON)


def _each(build: Callable[[Any], _Raw], items: Iterable[Any]) -> tuple[list[_Raw], list[str]]:
    """One bad entry costs that entry: it is skipped, and why is kept for `status`."""
    raws: list[_Raw] = []
    skipped: list[str] = []
    for number, item in enumerate(items, 1):
        try:
            raws.append(build(item))
        except (RecursionError, MemoryError):
            raise
        except Exception as exc:
            skipped.append(f"entry {number}: {_reason(exc)}")
    return raws, skipped


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
    language = _string(channel.get("language"))
    raws, skipped = _each(
        partial(_raw_from_feedparser, base=url, feed_language=language), doc.entries
    )
    entries, unidentified = identify(raws, feed_key, now)
    ttl = _minutes(channel.get("ttl"))
    if warning and problem_name in _BENIGN_BOZO:
        warning = None
    if warning and not entries:
        # Broken before its first whole entry (cut off, not well-formed): a broken feed, not
        # an empty one, so it backs off and `status` and `feeds check` say why.
        return ParsedFeed(
            entries=(),
            error=f"not a readable feed ({clip(scrub(warning), MAX_REASON)})",
            format=version or "unknown",
        )
    return ParsedFeed(
        entries=entries,
        title=_title(channel.get("title")) or None,
        ttl=ttl,
        warning=clip(scrub(warning), MAX_REASON) if warning else None,
        format=version or "unknown",
        skipped=(*skipped, *unidentified),
    )


def _string(value: Any) -> str:
    """Feed fields are text; anything else a document puts there is read as nothing."""
    return value if isinstance(value, str) else ""


def _title(markup: Any) -> str:
    return clip(one_line(html_to_text(_string(markup))), MAX_TITLE)


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
        guid=scrub(_string(get("id")).strip()) or None,
        url=canonical_url(scrub(_string(link)), base),
        title=_title(get("title")),
        text=html_to_text(_string(body))[:MAX_TEXT],
        author=clip(one_line(scrub(_string(get("author")))), MAX_AUTHOR) or None,
        published=published,
        language=_language_code(language or feed_language),
    )


def _language_code(value: Any) -> str | None:
    if not value or not isinstance(value, str):
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    return code if 2 <= len(code) <= 3 and code.isalpha() else None


def _parse_json_feed(body: bytes, url: str, feed_key: str, now: datetime) -> ParsedFeed:
    try:
        text = body.decode("utf-8-sig")
        try:
            doc = json.loads(text, parse_int=_json_int)
        except RecursionError:
            doc = json.loads(_flatten_deep(text), parse_int=_json_int)
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
    base = url
    for key in ("home_page_url", "feed_url"):
        if _string(doc.get(key)):
            base = canonical_url(scrub(doc[key])) or url
            break
    feed_language = _string(doc.get("language")) or None
    raws, skipped = _each(
        partial(_raw_from_json, base=base, feed_language=feed_language),
        (item for item in items if isinstance(item, dict)),
    )
    entries, unidentified = identify(raws, feed_key, now)
    version = str(doc["version"]).rsplit("/", 1)[-1]
    return ParsedFeed(
        entries=entries,
        title=clip(one_line(scrub(_string(doc.get("title")))), MAX_TITLE) or None,
        format=f"json{version}",
        skipped=(*skipped, *unidentified),
    )


def _flatten_deep(text: str, limit: int = MAX_JSON_DEPTH) -> str:
    """The JSON text with every array or object nested deeper than `limit` replaced by null,
    so that one entry's absurd nesting costs that field, not the feed."""
    pieces: list[str] = []
    depth, cut_from, written = 0, -1, 0
    for token in _JSON_TOKEN.finditer(text):
        bracket = token.group(0)
        if bracket[0] == '"':
            continue
        if bracket in "[{":
            depth += 1
            if depth == limit + 1:
                cut_from = token.start()
        else:
            if depth == limit + 1 and cut_from >= 0:
                pieces += [text[written:cut_from], "null"]
                written, cut_from = token.end(), -1
            depth -= 1
    pieces.append(text[written:])
    return "".join(pieces)


def _json_int(digits: str) -> int | str:
    """Integers as JSON wrote them; one too long to convert cheaply stays text."""
    return int(digits) if len(digits) <= MAX_JSON_DIGITS else digits


def _iso_date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        return None


def _raw_from_json(item: dict[str, Any], base: str, feed_language: str | None) -> _Raw:
    authors = item.get("authors")
    if not isinstance(authors, list):
        authors = [item.get("author")]
    names = [_string(a.get("name")) for a in authors if isinstance(a, dict)]
    html_body = _string(item.get("content_html"))
    text = html_to_text(html_body) if html_body else scrub(_string(item.get("content_text")))
    if not text:
        text = scrub(_string(item.get("summary")))
    link = _string(item.get("url")) or _string(item.get("external_url"))
    guid = item.get("id")
    guid_text = str(guid) if isinstance(guid, str | int) and not isinstance(guid, bool) else ""
    author = one_line(scrub(", ".join(name for name in names if name)))
    return _Raw(
        guid=scrub(guid_text).strip() or None,
        url=canonical_url(scrub(link), base) if link else None,
        title=_title(item.get("title")),
        text=text[:MAX_TEXT],
        author=clip(author, MAX_AUTHOR) or None,
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


def identify(
    raws: list[_Raw], feed_key: str, now: datetime
) -> tuple[tuple[Entry, ...], tuple[str, ...]]:
    """Identity keys: guid, else canonical link, else content hash. Returns the entries and
    why any were left out (nothing to store, or a fingerprint that cannot be taken).

    A guid or link that this document shares between entries with different content
    cannot identify either of them, so such entries fall back to the next key.
    """
    kept: list[tuple[_Raw, str]] = []
    skipped: list[str] = []
    for raw in raws:
        if not raw.title and not raw.text and not raw.url:
            skipped.append("an entry with no title, text or link")
            continue
        try:
            kept.append((raw, content_hash(raw.title, raw.text)))
        except Exception as exc:
            skipped.append(f"entry {raw.title[:60]!r}: {_reason(exc)}")
    bad_guids = _ambiguous((raw.guid, digest) for raw, digest in kept)
    bad_urls = _ambiguous((raw.url, digest) for raw, digest in kept)
    entries: list[Entry] = []
    for raw, digest in kept:
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
    return tuple(entries), tuple(skipped)
