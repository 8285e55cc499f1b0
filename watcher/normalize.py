"""Pure normalisation: canonical URLs, identity keys, HTML → text, UTC dates."""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit, urlunsplit

import nh3

# Query parameters that identify a campaign or a click, never the article.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gclsrc",
        "msclkid",
        "yclid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "ocid",
        "cmpid",
        "_ga",
        "_gl",
        "ref_src",
        "ref_url",
        "smid",
        "smtyp",
        "cid",
        "sr_share",
        "ito",
        "at_medium",
        "at_campaign",
        "__twitter_impression",
        "rss",
        "from",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
        "wt.mc_id",
        "wt_mc_id",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "oly_", "vero_")
# Redirect wrappers whose real target sits in a query parameter.
_WRAPPERS = {("www.google.com", "/url"): "url", ("google.com", "/url"): "url"}

_BLOCK_TAGS = re.compile(
    r"<(?=/?(?:p|div|br|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|section|article|header|"
    r"footer|figure|figcaption|pre|hr|dd|dt)\b)",
    re.IGNORECASE,
)
_FUTURE_SLACK = timedelta(days=1)

# Field limits, in characters (README, "Limits"): what one entry may store, and so send.
MAX_TITLE = 500
MAX_AUTHOR = 200
MAX_TEXT = 100_000
MAX_URL = 2048
# C0 controls other than tab, LF and CR: XML forbids them and mail headers must not carry them.
_CONTROLS = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32), 0x7F], None)


def canonical_url(link: str | None, base: str | None = None) -> str | None:
    """Absolute, lower-cased scheme and host, no fragment, no tracking parameters."""
    if not link:
        return None
    link = link.strip()
    try:
        if base:
            link = urljoin(base, link)
        parts = urlsplit(link)
        port = parts.port
    except ValueError:  # "[oops/x", port 99999: not a link anyone can follow
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or len(link) > MAX_URL:
        return None
    target = _WRAPPERS.get((parts.hostname.lower(), parts.path))
    if target:
        inner = dict(parse_qsl(parts.query)).get(target)
        if inner and inner.startswith(("http://", "https://")):
            return canonical_url(inner)
    host = parts.hostname.lower()
    default_port = {"http": 80, "https": 443}[parts.scheme]
    netloc = host if port in (None, default_port) else f"{host}:{port}"
    query = urlencode(
        sorted(
            (key, value)
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
            if key.lower() not in _TRACKING_PARAMS
            and not key.lower().startswith(_TRACKING_PREFIXES)
        )
    )
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), netloc, path, query, ""))


def html_to_text(markup: str | None) -> str:
    """Visible text of an HTML fragment: no tags, no scripts, entities decoded, spaces tidied."""
    if not markup:
        return ""
    markup = scrub(markup)
    if "<" in markup or "&" in markup:
        spaced = _BLOCK_TAGS.sub("\n<", markup)
        markup = html.unescape(nh3.clean(spaced, tags=set(), attributes={}))
    markup = unicodedata.normalize("NFC", markup)
    lines = (" ".join(line.split()) for line in markup.splitlines())
    return "\n".join(line for line in lines if line)


def scrub(text: str) -> str:
    """Text that can be encoded, stored and sent: surrogate pairs joined, lone surrogates
    replaced by U+FFFD, control characters (NUL included) removed."""
    if text.isascii():
        return text.translate(_CONTROLS)
    joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return joined.translate(_CONTROLS)


def clip(text: str, limit: int) -> str:
    """At most `limit` characters; a cut text ends with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def one_line(text: str) -> str:
    """Collapse all whitespace, including CR and LF, to single spaces."""
    return " ".join(text.split())


def to_utc(value: datetime | None, first_seen: datetime) -> datetime:
    """A publication date in UTC; missing, naive-garbage or far-future dates become first seen."""
    if value is None:
        return first_seen
    try:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 with an offset: before or after time itself
        return first_seen
    if value > first_seen + _FUTURE_SLACK or value.year < 1990:
        return first_seen
    return value


def content_hash(title: str, text: str) -> str:
    """A fingerprint of what an entry says, insensitive to case and spacing."""
    basis = one_line(f"{title}\n{text}").casefold()
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:32]


def guid_key(feed_key: str, guid: str) -> str:
    """Guids are only unique within a feed (many are bare numbers), so scope them by feed."""
    digest = hashlib.sha256(f"{feed_key}\x00{guid.strip()}".encode()).hexdigest()[:32]
    return f"guid:{digest}"


def seen_mark(key: str) -> str:
    """A short fingerprint of an identity key: what a feed remembers of its last document."""
    return hashlib.blake2b(key.encode("utf-8"), digest_size=8).hexdigest()


def url_key(url: str) -> str:
    return f"url:{unquote(url)}"


def hash_key(digest: str) -> str:
    return f"hash:{digest}"
