"""The email channel: SMTP with STARTTLS, implicit TLS or none, login, timeouts (smtplib)."""

from __future__ import annotations

import asyncio
import smtplib
import ssl

from watcher.config import SmtpConfig, SubscriberConfig, secret
from watcher.errors import ConfigError, DeliveryError
from watcher.models import OutboxItem


class EmailChannel:
    def __init__(self, smtp: SmtpConfig) -> None:
        self.smtp = smtp

    async def send(self, item: OutboxItem, subscriber: SubscriberConfig) -> str:
        assert subscriber.email is not None
        return await asyncio.to_thread(self._send, item.body, subscriber.email)

    async def aclose(self) -> None:
        return None

    def _send(self, body: bytes, recipient: str) -> str:
        smtp = self.smtp
        where = f"smtp {smtp.host}:{smtp.port}"
        try:
            password = secret(smtp.password_env)
        except ConfigError as exc:
            raise DeliveryError(where, str(exc), retryable=True) from exc
        try:
            if smtp.security == "ssl":
                conn: smtplib.SMTP = smtplib.SMTP_SSL(
                    smtp.host, smtp.port, timeout=smtp.timeout, context=ssl.create_default_context()
                )
            else:
                conn = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
            with conn:
                conn.ehlo()
                if smtp.security == "starttls":
                    conn.starttls(context=ssl.create_default_context())
                    conn.ehlo()
                if smtp.username:
                    conn.login(smtp.username, password or "")
                _expect(conn.mail(smtp.from_), "MAIL FROM")
                _expect(conn.rcpt(recipient), f"RCPT TO {recipient}")
                code, reply = conn.data(body)
                _expect((code, reply), "DATA")
                return f"{code} {reply.decode(errors='replace')}"
        except smtplib.SMTPResponseException as exc:
            text = (
                exc.smtp_error.decode(errors="replace")
                if isinstance(exc.smtp_error, bytes)
                else str(exc.smtp_error)
            )
            raise DeliveryError(
                where, f"server answered {exc.smtp_code} {text}", retryable=exc.smtp_code < 500
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(
                where, f"{type(exc).__name__}: {exc or 'connection failed'}", retryable=True
            ) from exc


def _expect(reply: tuple[int, bytes], step: str) -> None:
    code, text = reply
    if not 200 <= code < 400:
        raise smtplib.SMTPResponseException(code, text or step.encode())
