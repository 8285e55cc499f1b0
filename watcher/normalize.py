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


def canonical_url(link: str | None, base: str | None = None) -> str | None:
    """Absolute, lower-cased scheme and host, no fragment, no tracking parameters."""
    if not link:
        return None
    link = link.strip()
    if base:
        link = urljoin(base, link)
    parts = urlsplit(link)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    target = _WRAPPERS.get((parts.hostname.lower(), parts.path))
    if target:
        inner = dict(parse_qsl(parts.query)).get(target)
        if inner and inner.startswith(("http://", "https://")):
            return canonical_url(inner)
    host = parts.hostname.lower()
    default_port = {"http": 80, "https": 443}[parts.scheme]
    netloc = host if parts.port in (None, default_port) else f"{host}:{parts.port}"
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
    if "<" in markup or "&" in markup:
        spaced = _BLOCK_TAGS.sub("\n<", markup)
        markup = html.unescape(nh3.clean(spaced, tags=set(), attributes={}))
    markup = unicodedata.normalize("NFC", markup)
    lines = (" ".join(line.split()) for line in markup.splitlines())
    return "\n".join(line for line in lines if line)


def one_line(text: str) -> str:
    """Collapse all whitespace, including CR and LF, to single spaces."""
    return " ".join(text.split())


def to_utc(value: datetime | None, first_seen: datetime) -> datetime:
    """A publication date in UTC; missing, naive-garbage or far-future dates become first seen."""
    if value is None:
        return first_seen
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
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
