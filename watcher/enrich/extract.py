"""An article page → its main text and what it says about itself (trafilatura; runs in a worker).

The page is parsed, never rendered: no script runs, nothing else is fetched. The text goes
through the same cleaning as feed text, so an email or webhook treats both alike.
trafilatura (~10 MB, 1.7 s) is imported on the first page, so workers that never read one
do not pay; the first page of each worker pays the import within its deadline.
"""

from __future__ import annotations

import re
from configparser import ConfigParser
from datetime import UTC, datetime
from functools import cache
from typing import Protocol

from watcher.models import Page, Verdict
from watcher.normalize import canonical_url, html_to_text, one_line
from watcher.topic.language import detect

MAX_TEXT = 100_000
MAX_TREE = 200_000  # elements; a bigger page is cut, not parsed whole
LEAD_CHARS = 600
_SENTENCE_END = re.compile(r"[.!?…。؟](?=\s|$)")


class Judge(Protocol):
    def classify(self, title: str, text: str, language: str | None = None) -> Verdict: ...


@cache
def _settings() -> ConfigParser:
    from trafilatura.settings import use_config

    settings = use_config()
    settings.set("DEFAULT", "MAX_TREE_SIZE", str(MAX_TREE))
    return settings


def read_and_judge(body: bytes, url: str, title: str, model: Judge) -> tuple[Page, Verdict | None]:
    """Extract a page and judge the entry again on its text: one trip to a worker."""
    page = extract_page(body, url)
    return page, (model.classify(title, page.text, page.language) if page.text else None)


def extract_page(body: bytes, url: str) -> Page:
    """Main text, title, date, language and canonical URL of a page (empty text: none found)."""
    import trafilatura

    document = trafilatura.bare_extraction(
        body,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        favor_precision=True,
        config=_settings(),
    )
    if document is None:
        return Page(final_url=url)
    found = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    text = html_to_text(str(found.get("text") or ""))[:MAX_TEXT]
    title = one_line(html_to_text(str(found.get("title") or ""))) or None
    return Page(
        final_url=url,
        text=text,
        lead=lead(_without_heading(text, title)),
        title=title,
        canonical_url=canonical_url(found.get("url") or None, url),
        published=_date(found.get("date")),
        language=detect(f"{title or ''}. {text[:2000]}")[0] if text else None,
    )


def _without_heading(text: str, title: str | None) -> str:
    """The text without its first line when that line is the page's headline."""
    first, _, rest = text.partition("\n")
    if title and first.strip().casefold() == title.casefold():
        return rest
    return text


def _date(value: object) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def lead(text: str, limit: int = LEAD_CHARS) -> str:
    """The opening of an article: whole sentences up to `limit` characters (at least one cut)."""
    opening = " ".join(text.split())
    if len(opening) <= limit:
        return opening
    cut = opening[:limit]
    ends = [m.end() for m in _SENTENCE_END.finditer(cut)]
    if ends and ends[-1] > limit // 3:
        return cut[: ends[-1]]
    return cut.rsplit(" ", 1)[0] + " …"
