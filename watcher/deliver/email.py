"""The email channel: multipart text + HTML from templates, sent over SMTP (smtplib).

Headers carry only text made safe by `notify.render.clean_line` (no control characters, no
encoded words from feeds), and the Subject is encoded here, so no feed text can add a
header whatever the Python version (CVE-2024-6923). Replies are read within a size and
time budget: a hostile or stuck server costs one attempt, not the daemon's memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import smtplib
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import IO, Any, Literal

from pydantic import Field, field_validator

from watcher.config import ChannelSettings, Config, SmtpConfig, secret
from watcher.deliver.base import REPLY_LIMIT, Channel, Templates, answer_text
from watcher.errors import ConfigError, DeliveryError
from watcher.models import OutboxItem
from watcher.notify.render import Note, clean_line

SMTP_THREADS = 4


class EmailSettings(ChannelSettings):
    type: Literal["email"] = Field(description="Send email through the [smtp] server.")
    to: str = Field(description="Recipient address.")

    @field_validator("to")
    @classmethod
    def _one_address(cls, value: str) -> str:
        if clean_line(value, 320) != value or "@" not in value or "," in value:
            raise ValueError(f"{value!r} is not one email address; write it as 'name@example.org'")
        return value


def render(note: Note, target: EmailSettings, templates: Templates) -> bytes:
    message = EmailMessage(policy=SMTP)
    message["From"] = templates.sender
    message["To"] = target.to
    message["Subject"] = Header(f"[watcher] {note.subject}", "utf-8").encode(maxlinelen=0)
    message["Date"] = format_datetime(note.created_at)
    message["Message-ID"] = f"<{note.id}@watcher>"
    message["X-Watcher-Id"] = note.id
    context = {"note": note, "topic": note.topic, "message_id": note.id}
    env = templates.env
    message.set_content(env.get_template(f"{note.kind}.txt.j2").render(**context))
    message.add_alternative(
        env.get_template(f"{note.kind}.html.j2").render(**context), subtype="html"
    )
    return message.as_bytes()


class _CappedReplies:
    """The server's replies as smtplib reads them, within a byte budget per reply and one
    deadline for the whole conversation (smtplib bounds a line, not a reply or a drip)."""

    def __init__(self, raw: IO[bytes], deadline: float) -> None:
        self.raw, self.deadline, self.budget = raw, deadline, REPLY_LIMIT

    def readline(self, size: int = -1) -> bytes:
        if time.monotonic() > self.deadline:
            raise OSError("the SMTP conversation took longer than its deadline")
        line = self.raw.readline(min(size, self.budget + 1) if size >= 0 else self.budget + 1)
        self.budget -= len(line)
        if self.budget < 0:
            raise OSError(f"SMTP reply longer than {REPLY_LIMIT // 1024} KiB")
        return line

    def close(self) -> None:
        self.raw.close()


class _Conversation(smtplib.SMTP):
    deadline = float("inf")

    def getreply(self) -> tuple[int, bytes]:
        if self.file is None and self.sock is not None:
            self.file = _CappedReplies(self.sock.makefile("rb"), self.deadline)
        if isinstance(self.file, _CappedReplies):
            self.file.budget = REPLY_LIMIT
        return super().getreply()


class _TlsConversation(_Conversation, smtplib.SMTP_SSL):
    pass


class EmailSender:
    def __init__(self, smtp: SmtpConfig) -> None:
        self.smtp = smtp
        self._pool = ThreadPoolExecutor(SMTP_THREADS, thread_name_prefix="smtp")
        self._open: set[_Conversation] = set()
        self._lock = threading.Lock()

    async def send(self, item: OutboxItem, target: EmailSettings) -> str:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._send, item.body, target.to)

    async def aclose(self) -> None:
        """Hang up on conversations still open: a server that stopped answering would hold
        the process's exit (Python waits for the pool's threads) until the SMTP timeout.
        Their messages were not marked sent, so the next start sends them, same Message-ID."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            for conn in self._open:
                if conn.sock is not None:
                    with contextlib.suppress(OSError):
                        conn.sock.shutdown(socket.SHUT_RDWR)

    def _send(self, body: bytes, recipient: str) -> str:
        smtp = self.smtp
        where = f"smtp {smtp.host}:{smtp.port}"
        try:
            password = secret(smtp.password_env)
        except ConfigError as exc:
            raise DeliveryError(where, str(exc), retryable=True) from exc
        conn: _Conversation | None = None
        try:
            conn = (
                _TlsConversation(timeout=smtp.timeout, context=ssl.create_default_context())
                if smtp.security == "ssl"
                else _Conversation(timeout=smtp.timeout)
            )
            conn.deadline = time.monotonic() + smtp.timeout
            with self._lock:
                self._open.add(conn)
            with conn:
                conn.connect(smtp.host, smtp.port)
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
                return f"{code} {answer_text(reply)}"
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(
                where,
                f"server answered {exc.smtp_code} {answer_text(exc.smtp_error)}",
                retryable=exc.smtp_code < 500,
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            text = answer_text(str(exc)) or "connection failed"
            raise DeliveryError(where, f"{type(exc).__name__}: {text}", retryable=True) from exc
        finally:
            if conn is not None:
                with self._lock:
                    self._open.discard(conn)


def _expect(reply: tuple[int, bytes], step: str) -> None:
    code, text = reply
    if not 200 <= code < 400:
        raise smtplib.SMTPResponseException(code, text or step.encode())


def _open(config: Config) -> Any:
    return EmailSender(config.smtp)


CHANNEL = Channel(
    type="email",
    settings=EmailSettings,
    render=render,
    open=_open,
    example='channel = { type = "email", to = "you@example.org" }',
)
