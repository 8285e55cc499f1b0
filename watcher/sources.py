"""Which feeds to watch: `[[feeds]]` entries and an optional OPML 2.0 file; OPML export."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlsplit

from watcher.config import Config, check_http_url
from watcher.errors import ConfigError
from watcher.models import FeedSource

DEFAULT_INTERVAL = 15 * 60.0


def _name_for(url: str) -> str:
    return urlsplit(url).hostname or url


def read_opml(path: Path, default_interval: float = DEFAULT_INTERVAL) -> list[FeedSource]:
    """Every outline with an xmlUrl, at any depth (OPML 2.0 subscription lists nest them)."""
    try:
        root = ET.parse(path).getroot()
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: OPML file not found; fix the 'opml' key") from exc
    except ET.ParseError as exc:
        raise ConfigError(f"{path}: not valid OPML ({exc}); fix or regenerate the file") from exc
    sources: list[FeedSource] = []
    for outline in root.iter("outline"):
        url = outline.get("xmlUrl")
        if not url:
            continue
        try:
            url = check_http_url(url)
        except ValueError as exc:
            raise ConfigError(f"{path}: outline {outline.get('text')!r}: {exc}") from exc
        name = outline.get("title") or outline.get("text") or _name_for(url)
        sources.append(FeedSource(url=url, name=name, interval=default_interval))
    return sources


def feed_sources(config: Config) -> list[FeedSource]:
    """Config entries first; an OPML feed already listed in the config is not added twice."""
    sources = [
        FeedSource(url=f.url, name=f.name or _name_for(f.url), interval=f.interval)
        for f in config.feeds
    ]
    if config.opml is not None:
        sources.extend(read_opml(config.resolve(config.opml)))
    unique: dict[str, FeedSource] = {}
    for source in sources:
        unique.setdefault(source.url, source)
    return list(unique.values())


def write_opml(sources: Sequence[FeedSource], title: str = "watcher feeds") -> str:
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(datetime.now(UTC), usegmt=True)
    body = ET.SubElement(root, "body")
    for source in sources:
        ET.SubElement(
            body, "outline", type="rss", text=source.name, title=source.name, xmlUrl=source.url
        )
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
