"""Every channel watcher can deliver through. Adding one: a module under watcher/deliver/
with its settings, render, open (and optionally check), and one line in CHANNELS."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Annotated, Any, Union

from pydantic import Field, TypeAdapter, ValidationError

from watcher.config import ChannelSettings, Config
from watcher.deliver import apprise, email, slack, webhook
from watcher.deliver.base import Channel

CHANNELS: tuple[Channel[Any], ...] = (
    email.CHANNEL,
    webhook.CHANNEL,
    slack.CHANNEL,
    apprise.CHANNEL,
)
BY_TYPE: dict[str, Channel[Any]] = {channel.type: channel for channel in CHANNELS}

_UNION: Any = Union[tuple(c.settings for c in CHANNELS)]  # noqa: UP007
_DISCRIMINATED: Any = Annotated[_UNION, Field(discriminator="type")]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(_DISCRIMINATED)
_TYPES = ", ".join(BY_TYPE)


def _problem(error: Any) -> str:
    kind, loc = error["type"], error["loc"]
    if kind == "union_tag_not_found":
        return f"says no type; add type = one of {_TYPES}, e.g. {email.CHANNEL.example}"
    if kind == "union_tag_invalid":
        return f"unknown channel type {error['input'].get('type')!r}; use one of {_TYPES}"
    channel = BY_TYPE.get(str(loc[0])) if loc else None
    key = ".".join(str(part) for part in loc[1:]) or "(table)"
    hint = f" (e.g. {channel.example})" if channel else ""
    if kind == "missing":
        return f"{key}: required key is missing; add it{hint}"
    if kind == "extra_forbidden":
        return f"{key}: unknown key for this channel; remove it{hint}"
    return f"{key}: {str(error['msg']).removeprefix('Value error, ')}"


def parse_settings(value: Any) -> ChannelSettings:
    """A `channel = { type = … }` table → the settings of that channel, or one readable error."""
    if not isinstance(value, Mapping):
        raise ValueError(f"must be a table, e.g. {email.CHANNEL.example}")
    try:
        settings = _ADAPTER.validate_python(value)
    except ValidationError as exc:
        raise ValueError("; ".join(_problem(e) for e in exc.errors())) from None
    assert isinstance(settings, ChannelSettings)
    return settings


def channel_for(settings: ChannelSettings) -> Channel[Any]:
    return BY_TYPE[settings.type]


def check(config: Config) -> None:
    """Start-up checks every channel offers (e.g. Apprise URLs parse); ConfigError if not."""
    from watcher.errors import ConfigError

    for subscriber in config.subscribers:
        try:
            channel_for(subscriber.channel).check(subscriber.channel)
        except ConfigError as exc:
            raise ConfigError(f"subscriber {subscriber.name!r}: {exc}") from exc


def secret_values(config: Config, environ: Mapping[str, str] | None = None) -> list[str]:
    """Every secret value to mask in logs and stored errors: each variable's value, and for
    values holding URLs (Apprise) each URL and each long token in it."""
    env = os.environ if environ is None else environ
    names = [config.smtp.password_env]
    names += [n for s in config.subscribers for n in s.channel.secret_names()]
    values = []
    for name in names:
        value = env.get(name) if name else None
        if not value:
            continue
        values.append(value)
        for piece in re.split(r"[\s,]+", value):
            values.append(piece)
            if "://" in piece:
                tail = piece.split("://", 1)[1]
                values += [t for t in re.split(r"[/:@?&=#]", tail) if len(t) >= 8]
    return sorted({v for v in values if len(v) >= 4}, key=len, reverse=True)


def mask(text: str, secrets: list[str]) -> str:
    for value in secrets:
        text = text.replace(value, "***")
    return text
