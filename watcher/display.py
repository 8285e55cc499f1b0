"""Pure: values as people read them (ages, durations, times) and records as plain JSON data.

Shared by the command line and the web console, so both show a time the same way and no
Python value (None, True, a microsecond ISO stamp) reaches a person.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Sequence
from datetime import datetime, tzinfo
from enum import Enum
from typing import Any


def duration(seconds: float | None) -> str:
    """900 → '15m', 5400 → '1h 30m', 45 → '45s'."""
    if seconds is None:
        return ""
    total = round(seconds)
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if total >= size or (unit == "s" and not parts):
            amount, total = divmod(total, size)
            parts.append(f"{amount}{unit}")
        if len(parts) == 2:
            break
    return " ".join(parts)


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """'1 feed', '2 feeds', '0 feeds'; `plural` when adding an s is wrong."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def ago(moment: datetime | None, now: datetime, *, never: str = "never") -> str:
    """'3m ago', 'in 2h', 'just now', or `never` when there is no moment."""
    if moment is None:
        return never
    delta = (now - moment).total_seconds()
    if delta >= 0 and delta < 60:
        return "just now"
    if delta < 0 and delta > -60:
        return _soon(-delta)
    words = duration(round(abs(delta) / 60) * 60)
    return f"{words} ago" if delta >= 0 else f"in {words}"


def due(moment: datetime | None, now: datetime, *, never: str = "not polled any more") -> str:
    """When something scheduled happens: 'in 14m', or 'due now' once its time has come."""
    if moment is None:
        return never
    wait = (moment - now).total_seconds()
    if wait < 60:
        return _soon(wait)
    return f"in {duration(round(wait / 60) * 60)}"


def _soon(wait: float) -> str:
    # Under a minute away is not "due now": a poll run then finds nothing due (a user reads
    # "due now" in `status`, runs `poll`, and nothing happens).
    return "due now" if wait < 1 else f"in {duration(wait)}"


def local_time(moment: datetime | None, zone: tzinfo | None = None) -> str:
    """'2026-12-02 09:15 CET' in the given zone (default: the machine's), or '' for None."""
    if moment is None:
        return ""
    shown = moment.astimezone(zone)
    return f"{shown:%Y-%m-%d %H:%M} {shown.tzname() or ''}".rstrip()


def plain(value: Any) -> Any:
    """A record (dataclass), enum, datetime, tuple or bytes as JSON-ready data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def width(text: str) -> int:
    """Terminal columns `text` takes: wide (East Asian) characters take two, marks none."""
    if text.isascii():
        return len(text)
    total = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        total += 2 if unicodedata.east_asian_width(char) in "WF" else 1
    return total


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], gap: str = "  ") -> str:
    """Rows as aligned plain-text columns under a header line; the last column is not padded.
    Line breaks inside a cell become spaces, so one row is one line (greppable)."""
    cells = [[" ".join(str(c).split()) for c in row] for row in rows]
    widths = [width(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], width(cell))
    lines = []
    for row in [list(headers), ["-" * w for w in widths], *cells]:
        padded = [cell + " " * (widths[i] - width(cell)) for i, cell in enumerate(row[:-1])]
        lines.append(gap.join([*padded, row[-1]]).rstrip())
    return "\n".join(lines)
