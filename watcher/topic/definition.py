"""The topic definition file (config/topic.toml) and the seed corpus, loaded and validated."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from watcher.errors import ConfigError
from watcher.topic.labelled import load_records


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TermGroup(_Strict):
    name: str
    label: str = ""
    terms: tuple[str, ...] = Field(min_length=1)


class Instrument(_Strict):
    strong: tuple[str, ...] = Field(min_length=1)
    weak: tuple[str, ...] = ()


class Terms(_Strict):
    terms: tuple[str, ...] = ()


class About(_Strict):
    name: str
    description: str = ""


class TopicFile(_Strict):
    topic: About
    parties: tuple[TermGroup, ...] = Field(min_length=1, max_length=4)
    instrument: Instrument
    anchors: Terms = Terms()
    qualifiers: Terms = Terms()
    attributes: Terms = Terms()
    events: Terms = Terms()
    aspects: tuple[TermGroup, ...] = ()
    lookalikes: tuple[TermGroup, ...] = ()
    distractors: Terms = Terms()
    other_kinds: Terms = Terms()

    @field_validator("aspects")
    @classmethod
    def _unique_aspects(cls, value: tuple[TermGroup, ...]) -> tuple[TermGroup, ...]:
        names = [a.name for a in value]
        if len(names) != len(set(names)):
            raise ValueError("aspect names must be unique")
        return value


@dataclass(frozen=True)
class Example:
    """A labelled text the model learns from: a seed, a labelled record or user feedback."""

    title: str
    text: str
    label: int
    source: str
    weight: float = 1.0


def load_topic(path: Path) -> TopicFile:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: topic file not found; fix [topic] path") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: TOML syntax error: {exc}; fix the file") from exc
    try:
        return TopicFile.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"]) or "(top level)"
            lines.append(f"{path}: {where}: {error['msg']}")
        raise ConfigError("\n".join(lines)) from exc


def load_seeds(folder: Path) -> list[Example]:
    """Every *.txt file is a seed article: first line the title, the rest the text."""
    files = sorted(folder.glob("*.txt"))
    if not files:
        raise ConfigError(f"{folder}: no seed articles (*.txt); add some or fix [topic] seeds")
    seeds = []
    for file in files:
        title, _, text = file.read_text(encoding="utf-8").strip().partition("\n")
        seeds.append(Example(title=title.strip(), text=text, label=1, source=f"seed:{file.name}"))
    return seeds


def load_labelled(path: Path) -> list[Example]:
    """Labelled records as training examples; records labelled null are skipped."""
    if not path.exists():
        return []
    return [
        Example(title=r.title, text=r.text, label=r.label, source=f"labelled:{r.id}")
        for r in load_records(path)
        if r.label is not None
    ]
