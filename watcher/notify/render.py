"""What every channel shares: the notes it renders (alert, digest, notice), made safe once.

A note is built at enqueue time from typed records and holds only bounded, sanitised text:
titles and subjects without control characters or RFC 2047 encoded words, http(s) links only.
Each channel (watcher/deliver/*) turns a note into its own wire format; the Jinja2
environment here serves the channels that use templates.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from watcher.models import Article, DigestItem, Verdict

if TYPE_CHECKING:
    import jinja2

SUBJECT_LIMIT = 180
TITLE_LIMIT = 500
SUMMARY_LIMIT = 600
TEXT_LIMIT = 4000
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_ENCODED_WORD = re.compile(r"=\?[^?\s]*\?[bBqQ]\?[^?\s]*\?=")
_DECODE_ROUNDS = 3


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def _decode_words(text: str) -> str:
    """RFC 2047 encoded words in feed text, decoded (nested ones too, a few rounds deep)."""
    for _ in range(_DECODE_ROUNDS):
        if not _ENCODED_WORD.search(text):
            return text
        try:
            decoded = str(make_header(decode_header(text)))
        except (HeaderParseError, LookupError, UnicodeError, ValueError):
            break
        if decoded == text:
            break
        text = decoded
    return _ENCODED_WORD.sub(lambda m: m.group(0).replace("=?", "= ?"), text)


def clean_line(text: str, limit: int) -> str:
    """Feed text fit for a subject or a header: encoded words decoded, every control character
    (CR, LF, NUL …) a space, whitespace collapsed, at most `limit` characters."""
    flat = " ".join(_CONTROL.sub(" ", _decode_words(text)).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def clean_text(text: str, limit: int) -> str:
    """Body text: NUL and other control characters (but newlines) removed, bounded."""
    kept = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", text)
    return kept if len(kept) <= limit else kept[: limit - 1].rstrip() + "…"


def safe_url(value: str | None) -> str | None:
    """Only http(s) links reach a reader: no javascript:, data: or relative tricks."""
    if value and urlsplit(value).scheme in ("http", "https") and not _CONTROL.search(value):
        return value
    return None


def reasons(explanation: dict[str, object]) -> tuple[str, ...]:
    """The verdict's explanation as short sentences every channel can show."""

    def terms(key: str) -> list[str]:
        value = explanation.get(key)
        return [str(v) for v in value] if isinstance(value, list | tuple) else []

    lines = []
    entities = explanation.get("entities")
    if isinstance(entities, dict):
        lines += [f"{name}: {', '.join(map(str, found))}" for name, found in entities.items()]
    if found := terms("instrument"):
        lines.append(f"instrument: {', '.join(found)}")
    if found := terms("anchors"):
        lines.append(f"phrases: {', '.join(found)}")
    if explanation.get("nearest_seed"):
        lines.append(
            f"nearest seed article: {explanation['nearest_seed']}"
            f" (similarity {explanation.get('seed_similarity', '?')})"
        )
    lines += [f"against: {reason}" for reason in terms("pushed_down_by")]
    lines += terms("notes")
    return tuple(clean_line(line, TITLE_LIMIT) for line in lines)


@dataclass(frozen=True, slots=True)
class JudgeLinks:
    """Signed one-click judgements for one article and one subscriber (the web console's)."""

    relevant: str
    irrelevant: str


@dataclass(frozen=True, slots=True)
class ArticleView:
    """An article as a reader sees it: bounded, sanitised, links checked."""

    id: int
    title: str
    url: str | None
    feed: str
    published: datetime
    language: str | None
    summary: str
    lead: str | None = None  # the opening of the article's own page, when it was read

    @classmethod
    def of(cls, article: Article, language: str | None = None) -> ArticleView:
        return cls(
            id=article.id,
            title=clean_line(article.title, TITLE_LIMIT) or "(untitled)",
            url=safe_url(article.url),
            feed=clean_line(article.feed_name, TITLE_LIMIT),
            published=article.published,
            language=article.language or language,
            summary=clean_text(article.text, SUMMARY_LIMIT),
            lead=clean_text(article.lead, SUMMARY_LIMIT) if article.lead else None,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Note:
    """What every message has: a stable id, when it was rendered, for whom, and its subject."""

    id: str
    created_at: datetime
    topic: str
    subscriber: str
    subject: str
    zone: str = "UTC"  # the subscriber's time zone: every time in the message is shown in it

    @property
    def kind(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertNote(Note):
    article: ArticleView
    score: float
    aspects: tuple[str, ...]
    reasons: tuple[str, ...]
    explanation: dict[str, object]
    story_id: int
    judge_links: JudgeLinks | None = None

    @property
    def kind(self) -> str:
        return "alert"

    @property
    def quotes(self) -> tuple[str, ...]:
        """The sentences that name the topic, less those the alert shows anyway (the headline;
        a feed summary that is one such sentence), so that no line is read twice."""
        shown = self.article.lead or self.article.summary
        sentences = self.explanation.get("topic_sentences")
        return tuple(
            s
            for s in (sentences if isinstance(sentences, list | tuple) else ())
            if isinstance(s, str) and s.strip() not in ("", self.article.title) and s not in shown
        )


@dataclass(frozen=True, slots=True)
class DigestStory:
    """One story in a digest: its best-scored article first, then the other outlets."""

    lead: ArticleView
    score: float
    aspects: tuple[str, ...]
    others: tuple[ArticleView, ...] = ()
    judge_links: JudgeLinks | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DigestNote(Note):
    since: datetime
    stories: tuple[DigestStory, ...] = field(default_factory=tuple)

    @property
    def kind(self) -> str:
        return "digest"


@dataclass(frozen=True, slots=True, kw_only=True)
class NoticeNote(Note):
    event: str
    body: str

    @property
    def kind(self) -> str:
        return "notice"


def alert_note(
    topic: str,
    subscriber: str,
    article: Article,
    verdict: Verdict,
    story_id: int,
    now: datetime,
    judge_links: JudgeLinks | None = None,
    zone: str = "UTC",
) -> AlertNote:
    view = ArticleView.of(article, verdict.language)
    return AlertNote(
        id=new_message_id(),
        created_at=now,
        topic=topic,
        subscriber=subscriber,
        zone=zone,
        subject=clean_line(article.title, SUBJECT_LIMIT) or "(untitled)",
        article=view,
        score=verdict.score,
        aspects=verdict.aspects,
        reasons=reasons(verdict.explanation),
        explanation=verdict.explanation,
        story_id=story_id,
        judge_links=judge_links,
    )


def digest_note(
    topic: str,
    subscriber: str,
    stories: tuple[DigestStory, ...],
    since: datetime,
    now: datetime,
    zone: str = "UTC",
) -> DigestNote:
    count = len(stories)
    return DigestNote(
        id=new_message_id(),
        created_at=now,
        topic=topic,
        subscriber=subscriber,
        zone=zone,
        subject=clean_line(f"{topic}: {count} {'story' if count == 1 else 'stories'}", 180),
        since=since,
        stories=stories,
    )


def notice_note(
    topic: str,
    subscriber: str,
    event: str,
    headline: str,
    body: str,
    now: datetime,
    zone: str = "UTC",
) -> NoticeNote:
    return NoticeNote(
        id=new_message_id(),
        created_at=now,
        topic=topic,
        subscriber=subscriber,
        zone=zone,
        subject=clean_line(headline, SUBJECT_LIMIT),
        event=event,
        body=clean_text(body, TEXT_LIMIT),
    )


def group_digest(items: list[DigestItem]) -> tuple[DigestStory, ...]:
    """Pure: one entry per story, its best-scored article first, ordered by score."""
    grouped: dict[int, list[DigestItem]] = {}
    for item in sorted(items, key=lambda i: (-i.score, i.article.id)):
        grouped.setdefault(item.story_id, []).append(item)
    stories = []
    for members in grouped.values():
        aspects: list[str] = []
        for member in members:
            aspects += [a for a in member.aspects if a not in aspects]
        lead, *others = members
        stories.append(
            DigestStory(
                lead=ArticleView.of(lead.article),
                score=lead.score,
                aspects=tuple(aspects),
                others=tuple(ArticleView.of(o.article) for o in others),
            )
        )
    return tuple(stories)


def date(value: datetime | None, zone: str = "UTC") -> str:
    """A moment as people read it, in their time zone: 'Fri 17 Jan 2025, 12:30 +0330'."""
    if value is None:
        return ""
    shown = value.astimezone(UTC if zone == "UTC" else ZoneInfo(zone))
    return f"{shown:%a %d %b %Y, %H:%M} {shown.tzname()}"


def environment(override: Path | None = None) -> jinja2.Environment:
    """Jinja2 for the channels that use templates: HTML autoescaped, overridable from a folder."""
    import jinja2  # here, so that reading a config (which validates channels) does not load it

    loaders: list[jinja2.BaseLoader] = []
    if override is not None:
        loaders.append(jinja2.FileSystemLoader(str(override)))
    loaders.append(jinja2.PackageLoader("watcher", "templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["date"] = date
    return env
