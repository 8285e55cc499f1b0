"""Frozen records passed between the steps of the pipeline. No I/O library is imported here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class FeedSource:
    """A feed as the configuration declares it."""

    url: str
    name: str
    interval: float


@dataclass(frozen=True, slots=True)
class Feed:
    """A feed as the store knows it: where to fetch it now and how it has been doing."""

    id: int
    source_url: str
    url: str
    name: str
    interval: float
    etag: str | None
    last_modified: str | None
    next_poll_at: datetime
    error_count: int = 0
    last_status: str | None = None
    last_error: str | None = None
    last_success_at: datetime | None = None
    failing_since: datetime | None = None
    gone_reason: str | None = None
    seen: frozenset[str] = frozenset()  # seen_mark of each entry in the last document


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What one HTTP exchange produced. A failure is a value here, never an exception."""

    url: str
    status: int | None
    final_url: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    permanent_url: str | None = None
    bytes_transferred: int = 0
    elapsed: float = 0.0
    error: str | None = None
    refused: bool = False  # the address policy forbade a hop (netpolicy.py)


class Outcome(StrEnum):
    """How a poll ended, as reported in the feed's status."""

    NEW_CONTENT = "ok"
    NOT_MODIFIED = "not_modified"
    GONE = "gone"
    RATE_LIMITED = "rate_limited"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Reply:
    """The meaning of an HTTP reply for the poller (see reply.read_reply)."""

    outcome: Outcome
    retry_after: float | None = None
    freshness: float | None = None
    message: str | None = None
    save_validators: bool = False


@dataclass(frozen=True, slots=True)
class Entry:
    """One normalised feed entry, ready to store. `keys` are identity keys, strongest first."""

    keys: tuple[str, ...]
    url: str | None
    title: str
    text: str
    author: str | None
    published: datetime | None
    language: str | None
    content_hash: str


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """Entries found in one feed document, plus what the document said about itself."""

    entries: tuple[Entry, ...]
    title: str | None = None
    ttl: float | None = None
    warning: str | None = None
    error: str | None = None
    format: str = ""
    skipped: tuple[str, ...] = ()  # why each unreadable entry was left out


@dataclass(frozen=True, slots=True)
class Article:
    """A stored article."""

    id: int
    feed_id: int
    url: str | None
    title: str
    text: str
    author: str | None
    published: datetime
    first_seen: datetime
    language: str | None
    content_hash: str
    feed_name: str = ""
    feed_url: str = ""
    lead: str | None = None  # the opening of the article's own page, when it was read


class PageOutcome(StrEnum):
    """What reading an entry's article page gave (see watcher/enrich/)."""

    READ = "read"  # fetched, extracted, judged on its text
    UNUSABLE = "unusable"  # fetched, but no article in it (consent wall, paywall, aggregator)
    FAILED = "failed"  # no page: HTTP error, timeout, too large, late
    REFUSED = "refused"  # the address policy forbade it
    SKIPPED = "skipped"  # wanted, but the page budget was spent


@dataclass(frozen=True, slots=True)
class Page:
    """An article page as extracted: its text and what it says about itself."""

    final_url: str
    text: str = ""
    lead: str = ""  # its opening sentences, for alerts
    title: str | None = None
    canonical_url: str | None = None
    published: datetime | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class PageRead:
    """The outcome of reading one entry's page; `reason` says why it was not used."""

    url: str
    outcome: PageOutcome
    reason: str | None = None
    page: Page | None = None
    bytes: int = 0
    elapsed: float = 0.0


@dataclass(frozen=True, slots=True)
class PollReport:
    """What one poll of one feed did, for the summary table and the status page."""

    feed_id: int
    name: str
    url: str
    outcome: Outcome
    new_articles: int = 0
    entries: int = 0
    message: str | None = None
    bytes_transferred: int = 0


@dataclass(frozen=True, slots=True)
class FeedUpdate:
    """The new state of a feed after one poll; decided by pure code, written by the store."""

    next_poll_at: datetime
    last_polled_at: datetime
    last_status: str
    error_count: int
    last_http_status: int | None = None
    last_error: str | None = None
    last_success_at: datetime | None = None
    failing_since: datetime | None = None
    url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    save_validators: bool = False
    title: str | None = None
    gone_reason: str | None = None
    skipped: tuple[str, ...] | None = None  # None: no document was read, keep the last count


@dataclass(frozen=True, slots=True)
class FetchLogRow:
    at: datetime
    outcome: str
    http_status: int | None
    bytes: int
    elapsed: float
    entries: int
    error: str | None


@dataclass(frozen=True, slots=True)
class Verdict:
    """The relevance model's judgement of one article, with the reasons for it."""

    score: float
    relevant: bool
    aspects: tuple[str, ...]
    language: str | None
    explanation: dict[str, object]
    model_version: str

    @property
    def label(self) -> str:
        return "relevant" if self.relevant else "irrelevant"


@dataclass(frozen=True, slots=True)
class Message:
    """A rendered notification, ready for the outbox. Rendered once: retries resend these bytes."""

    id: str
    subscriber: str
    channel: str
    kind: str
    subject: str
    body: bytes
    article_id: int | None = None
    story_id: int | None = None


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: str
    subscriber: str
    channel: str
    kind: str
    subject: str
    body: bytes
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    last_error: str | None = None
    sent_at: datetime | None = None
    # fingerprints of the services (of a multi-service channel) that already accepted it
    delivered_to: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class StoryRef:
    """A story as routing and rendering see it: its first article and the copies since."""

    id: int
    title: str
    is_new: bool


@dataclass(frozen=True, slots=True)
class DigestItem:
    """An article waiting in a subscriber's next digest, with the story it belongs to."""

    article: Article
    story_id: int
    score: float
    aspects: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FeedHealth:
    """What feed-health decisions read about a feed."""

    id: int
    name: str
    url: str
    failing_since: datetime | None
    last_error: str | None
    last_new_at: datetime | None
    retired: bool  # gone or disabled: nothing to alert about


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    """Which stored articles a listing wants; None means "any"."""

    search: str | None = None
    since: datetime | None = None
    relevant: bool | None = None
    aspect: str | None = None
    language: str | None = None
    feed: str | None = None  # a feed's name or URL
    limit: int = 20


@dataclass(frozen=True, slots=True)
class ArticleSummary:
    """A stored article as a listing shows it: no body text; its verdict once judged."""

    id: int
    feed_name: str
    title: str
    url: str | None
    published: datetime
    first_seen: datetime
    language: str | None
    score: float | None
    relevant: bool | None
    aspects: tuple[str, ...]
    lead: str | None = None  # the opening of its own page, when the watcher read it
