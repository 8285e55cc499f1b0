"""`watcher init`: the starter config, and (asked for) a copy of the shipped topic to edit."""

from __future__ import annotations

import shutil
from importlib.resources import files
from pathlib import Path

from watcher.config import shipped
from watcher.errors import InputError

_TOPIC_BLOCK = '# [topic]\n# path = "topic.toml"\n# seeds = "seeds"\n'
_TOPIC_KEYS = '[topic]\npath = "topic.toml"\nseeds = "seeds"\n'


def starter_text(with_topic: bool) -> str:
    """The commented starter config; with_topic sets [topic] to the copies beside it."""
    text = files("watcher").joinpath("starter.toml").read_text("utf-8")
    if with_topic:
        if _TOPIC_BLOCK not in text:  # the starter's [topic] block was reworded
            raise AssertionError("starter.toml has no commented [topic] block to enable")
        text = text.replace(_TOPIC_BLOCK, _TOPIC_KEYS, 1)
    return text


def copy_topic(directory: Path) -> tuple[Path, Path]:
    """Copy the shipped topic file and seed folder into directory, never over the user's own
    (pip users have no checkout to copy config/topic.toml and seeds/ from)."""
    topic, seeds = directory / "topic.toml", directory / "seeds"
    for path in (topic, seeds):
        if path.exists():
            raise InputError(f"{path} already exists; move it away, or leave out --topic")
    shutil.copyfile(shipped("topic.toml"), topic)
    shutil.copytree(shipped("seeds"), seeds, ignore=shutil.ignore_patterns("__pycache__"))
    return topic, seeds
