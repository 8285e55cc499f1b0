"""The sender of the HTTP channels (webhook, Slack): POSTs a rendered body, signs it the
Standard Webhooks way when the subscriber has a secret, and reads the reply within a small
budget. Its own module so that reading a config never loads httpx."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook

from watcher import USER_AGENT
from watcher.config import secret
from watcher.deliver.base import REPLY_LIMIT, answer_text
from watcher.errors import ConfigError, DeliveryError
from watcher.models import OutboxItem
from watcher.reply import retry_after


class HttpSender:
    """POSTs rendered bodies; shared by the HTTP channels (webhook, Slack)."""

    def __init__(self, timeout: float = 15.0, transport: httpx.AsyncBaseTransport | None = None):
        self._client = httpx.AsyncClient(
            timeout=timeout, transport=transport, headers={"User-Agent": USER_AGENT}
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(self, item: OutboxItem, target: Any) -> str:
        where = f"{target.type} {item.subscriber}"
        now = datetime.now(UTC)
        headers = {
            "Content-Type": "application/json",
            "webhook-id": item.id,
            "webhook-timestamp": str(int(now.timestamp())),
        }
        try:
            key = secret(target.secret_env)
        except ConfigError as exc:
            raise DeliveryError(where, str(exc), retryable=True) from exc
        if key:
            headers["webhook-signature"] = Webhook(key).sign(
                item.id, datetime.fromtimestamp(int(now.timestamp()), UTC), item.body.decode()
            )
        try:
            async with self._client.stream(
                "POST", target.url, content=item.body, headers=headers
            ) as response:
                reply = b""
                async for chunk in response.aiter_raw():
                    reply += chunk
                    if len(reply) >= REPLY_LIMIT:
                        break  # the rest is never read: closing the stream drops it
        except httpx.HTTPError as exc:
            raise DeliveryError(where, f"{type(exc).__name__}: {exc}", retryable=True) from exc
        status = response.status_code
        answer = f"HTTP {status} {answer_text(reply)}".strip()
        if 200 <= status < 300:
            return answer
        if status == 410:
            raise DeliveryError(where, f"{answer}: receiver is gone", retryable=False, gone=True)
        if status in (408, 429) or status >= 500:
            wait = retry_after(response.headers.get("retry-after"), now)
            raise DeliveryError(where, answer, retryable=True, retry_after=wait)
        raise DeliveryError(where, answer, retryable=False)
