"""The webhook channel: HTTP POST signed the Standard Webhooks way."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook

from watcher import USER_AGENT
from watcher.config import SubscriberConfig, secret
from watcher.errors import ConfigError, DeliveryError
from watcher.models import OutboxItem
from watcher.reply import retry_after


class WebhookChannel:
    def __init__(
        self, timeout: float = 15.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._client = httpx.AsyncClient(
            timeout=timeout, transport=transport, headers={"User-Agent": USER_AGENT}
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(self, item: OutboxItem, subscriber: SubscriberConfig) -> str:
        assert subscriber.webhook is not None
        where = f"webhook {subscriber.name}"
        now = datetime.now(UTC)
        headers = {
            "Content-Type": "application/json",
            "webhook-id": item.id,
            "webhook-timestamp": str(int(now.timestamp())),
        }
        try:
            key = secret(subscriber.secret_env)
        except ConfigError as exc:
            raise DeliveryError(where, str(exc), retryable=True) from exc
        if key:
            headers["webhook-signature"] = Webhook(key).sign(
                item.id, datetime.fromtimestamp(int(now.timestamp()), UTC), item.body.decode()
            )
        try:
            response = await self._client.post(
                subscriber.webhook, content=item.body, headers=headers
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(where, f"{type(exc).__name__}: {exc}", retryable=True) from exc
        status = response.status_code
        answer = f"HTTP {status} {response.text[:200]}".strip()
        if 200 <= status < 300:
            return answer
        if status == 410:
            raise DeliveryError(where, f"{answer}: receiver is gone", retryable=False, gone=True)
        if status in (408, 429) or status >= 500:
            wait = retry_after(response.headers.get("retry-after"), now)
            raise DeliveryError(where, answer, retryable=True, retry_after=wait)
        raise DeliveryError(where, answer, retryable=False)
