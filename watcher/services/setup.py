"""Checks made before the daemon (or a one-shot poll) starts: a setup that cannot work is
refused with one line naming the fix, rather than failing later, quietly, at delivery time."""

from __future__ import annotations

import os
from collections.abc import Mapping

from watcher.config import Config
from watcher.errors import ConfigError


def missing_secrets(config: Config, env: Mapping[str, str]) -> list[str]:
    """One line per secret the config names whose environment variable is unset or empty."""
    wanted: list[tuple[str, str]] = []
    if config.smtp.password_env and any(s.channel.type == "email" for s in config.subscribers):
        wanted.append(("[smtp] password_env", config.smtp.password_env))
    wanted += [
        (f"subscriber {s.name!r} secret_env", name)
        for s in config.subscribers
        for name in s.channel.secret_names()
    ]
    return [
        f"{where}: environment variable {name} is not set; export it before starting"
        for where, name in wanted
        if not env.get(name)
    ]


def unknown_filters(config: Config, aspects: set[str], feeds: set[str]) -> list[str]:
    """One line per subscriber filter that names an aspect or feed that does not exist."""
    problems = []
    for sub in config.subscribers:
        for aspect in sub.aspects:
            if aspect not in aspects:
                known = ", ".join(sorted(aspects)) or "none defined"
                problems.append(
                    f"subscriber {sub.name!r}: aspects: the topic has no aspect {aspect!r} "
                    f"(known: {known})"
                )
        for feed in sub.feeds:
            if feed not in feeds:
                problems.append(
                    f"subscriber {sub.name!r}: feeds: no configured feed is named {feed!r} "
                    "(use a feed's name or URL from `watcher feeds list`)"
                )
    return problems


def check_startup(config: Config, env: Mapping[str, str] | None = None) -> None:
    """Refuse a setup that cannot work (ConfigError, one line per problem)."""
    from watcher.sources import feed_sources
    from watcher.topic.definition import load_topic

    topic = load_topic(config.topic_file)
    feeds = {name for source in feed_sources(config) for name in (source.name, source.url)}
    problems = missing_secrets(config, os.environ if env is None else env)
    problems += unknown_filters(config, {a.name for a in topic.aspects}, feeds)
    if problems:
        raise ConfigError("\n".join(f"{config.source}: {line}" for line in problems))
