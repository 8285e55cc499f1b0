"""Labelled records (JSON lines: id, title, text, label 1/0/null, group, lang or language):
one reader for the model's training data and for `watcher eval`."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from watcher.errors import ConfigError


@dataclass(frozen=True)
class Record:
    id: str
    title: str
    text: str
    label: int | None
    group: str
    lang: str


def read_records(lines: Iterable[str], source: str) -> list[Record]:
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{source}:{number}: not valid JSON ({exc.msg})") from exc
        if not isinstance(raw, dict):
            raise ConfigError(
                f"{source}:{number}: a record is a JSON object with title, text and label, "
                'e.g. {"title": "…", "text": "", "label": 1}'
            )
        if "label" not in raw:
            raise ConfigError(f'{source}:{number}: no label; add "label": 1, 0 or null')
        label = raw["label"]
        if label not in (0, 1, None):
            raise ConfigError(f"{source}:{number}: label must be 1, 0 or null, not {label!r}")
        records.append(
            Record(
                id=str(raw.get("id", number)),
                title=str(raw.get("title") or ""),
                text=str(raw.get("text") or ""),
                label=label,
                group=str(raw.get("group") or "-"),
                lang=str(raw.get("lang") or raw.get("language") or "-"),
            )
        )
    return records


def load_records(path: Path) -> list[Record]:
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the file ({exc.strerror})") from exc
    return read_records(decode_lines(data, str(path)), str(path))


def decode_lines(data: bytes, source: str) -> list[str]:
    """The lines of a UTF-8 file (a leading byte-order mark is dropped); an error names the
    first line that is not UTF-8."""
    lines = data.removeprefix(b"\xef\xbb\xbf").split(b"\n")
    decoded = []
    for number, line in enumerate(lines, 1):
        try:
            decoded.append(line.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"{source}:{number}: not UTF-8 (bad byte at column {exc.start + 1}); "
                "save the file as UTF-8"
            ) from exc
    return decoded
