"""Signed one-click judgement links: HMAC-SHA256 over (article, subscriber, verdict, expiry).

Pure: no web framework here, so the renderer of alerts can sign links too. A link only opens a
confirmation page; the judgement is recorded by that page's POST (mail scanners follow links).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from watcher.config import WebConfig, secret
from watcher.notify.render import JudgeLinks

VERDICTS = ("relevant", "irrelevant")
MAX_TOKEN = 512


class BadLink(ValueError):
    """A judgement link that is malformed, tampered with or expired; the message says which."""


@dataclass(frozen=True, slots=True)
class Judgement:
    article_id: int
    subscriber: str
    verdict: str
    expires: datetime

    @property
    def relevant(self) -> bool:
        return self.verdict == "relevant"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: str, payload: str) -> str:
    digest = hmac.new(key.encode("utf-8"), b"watcher-judgement:" + payload.encode(), hashlib.sha256)
    return _b64(digest.digest())


def sign(key: str, judgement: Judgement) -> str:
    body = [judgement.article_id, judgement.subscriber, judgement.verdict]
    body.append(int(judgement.expires.timestamp()))
    payload = _b64(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    return f"{payload}.{_mac(key, payload)}"


def verify(key: str, token: str, now: datetime) -> Judgement:
    """The judgement a token carries; BadLink when it is malformed, tampered with or expired."""
    if len(token) > MAX_TOKEN or token.count(".") != 1:
        raise BadLink("this link is malformed; open it from the alert again")
    payload, mac = token.split(".")
    if not hmac.compare_digest(mac, _mac(key, payload)):
        raise BadLink(
            "this link's signature does not match; it was altered or is from another watcher"
        )
    try:
        article_id, subscriber, verdict, expires = json.loads(_unb64(payload))
        judgement = Judgement(
            int(article_id),
            str(subscriber),
            str(verdict),
            datetime.fromtimestamp(int(expires), UTC),
        )
    except (ValueError, TypeError) as exc:
        raise BadLink("this link is malformed; open it from the alert again") from exc
    if judgement.verdict not in VERDICTS:
        raise BadLink("this link carries no known judgement")
    if judgement.expires <= now:
        raise BadLink("this link has expired; judge the article in the console instead")
    return judgement


def judgement_links(
    public_url: str, key: str, article_id: int, subscriber: str, now: datetime, ttl: float
) -> dict[str, str]:
    """The signed links an alert carries for one article and one subscriber, by verdict."""
    expires = now + timedelta(seconds=ttl)
    base = public_url.rstrip("/")
    return {
        verdict: f"{base}/j/{quote(sign(key, Judgement(article_id, subscriber, verdict, expires)))}"
        for verdict in VERDICTS
    }


@dataclass(frozen=True, slots=True)
class Signer:
    """Makes the judgement links of one watcher: its public address, its key, their lifetime."""

    public_url: str
    key: str
    ttl: float

    def __call__(self, article_id: int, subscriber: str, now: datetime) -> JudgeLinks:
        made = judgement_links(self.public_url, self.key, article_id, subscriber, now, self.ttl)
        return JudgeLinks(relevant=made["relevant"], irrelevant=made["irrelevant"])


def signer_for(web: WebConfig) -> Callable[[int, str, datetime], JudgeLinks | None]:
    """Signed links when [web] public_url is set (its key from secret_env), else none."""
    if not web.public_url:
        return lambda _article_id, _subscriber, _now: None
    key = secret(web.secret_env)
    assert key is not None  # the config refuses public_url without secret_env
    return Signer(web.public_url, key, web.link_ttl)
