"""Structured logs on stderr (logfmt), with secrets masked wherever they might appear."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime

MASK = "***"


class SecretMask(logging.Filter):
    """Replaces known secret values in every record before any handler formats it."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            for value in self.secrets:
                message = message.replace(value, MASK)
            record.msg, record.args = message, None
            if record.exc_info and record.exc_info[1] is not None:
                text = logging.Formatter().formatException(record.exc_info)
                for value in self.secrets:
                    text = text.replace(value, MASK)
                record.exc_text, record.exc_info = text, None
        return True


class LogfmtFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="seconds")
        message = record.getMessage().replace('"', "'")
        line = f'ts={when} level={record.levelname.lower()} logger={record.name} msg="{message}"'
        if record.exc_info:
            record.exc_text = record.exc_text or self.formatException(record.exc_info)
        if record.exc_text:
            line += "\n" + record.exc_text
        return line


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is when a record arrives (a test runner may swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def setup_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    """Logfmt on stderr, every record masked for the given secrets before it is written."""
    handler = StderrHandler()
    handler.setFormatter(LogfmtFormatter())
    handler.addFilter(SecretMask(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
