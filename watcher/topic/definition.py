"""The topic definition file (config/topic.toml) and the seed corpus, loaded and validated."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from watcher.errors import ConfigError
from watcher.topic.labelled import load_records


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TermGroup(_Strict):
    name: str
    label: str = ""
    terms: tuple[str, ...] = Field(min_length=1)


class Lookalike(TermGroup):
    """Another party that makes the same words mean a different instrument. `instead_of`
    names the topic's party it stands in for (North Korea for Iran), when there is one."""

    instead_of: str = ""


class Predecessor(_Strict):
    """An earlier instrument between the same parties (an older treaty it replaces): the
    marks that name it (its year, its title) and the words that say the new one replaces it."""

    name: str = "the earlier instrument"
    terms: tuple[str, ...] = ()
    replaced_by: tuple[str, ...] = ()


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
    lookalikes: tuple[Lookalike, ...] = ()
    predecessor: Predecessor = Predecessor()
    distractors: Terms = Terms()
    other_kinds: Terms = Terms()

    @field_validator("aspects")
    @classmethod
    def _unique_aspects(cls, value: tuple[TermGroup, ...]) -> tuple[TermGroup, ...]:
        names = [a.name for a in value]
        if len(names) != len(set(names)):
            raise ValueError("aspect names must be unique")
        return value

    @model_validator(mode="after")
    def _lookalikes_stand_in_for_parties(self) -> TopicFile:
        parties = {p.name for p in self.parties}
        for group in self.lookalikes:
            if group.instead_of and group.instead_of not in parties:
                raise ValueError(
                    f"lookalike {group.name!r}: instead_of {group.instead_of!r} is not a party"
                    f" (one of {', '.join(sorted(parties))})"
                )
        return self


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
