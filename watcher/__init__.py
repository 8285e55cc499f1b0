"""watcher: watches news feeds for one topic and alerts people when something relevant appears."""

from __future__ import annotations

from functools import cache

PROJECT_URL = "https://github.com/watcher-project/watcher"


@cache
def _version() -> str:
    # importlib.metadata costs a command-line start ~50 ms: looked up only when asked for.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("watcher")
    except PackageNotFoundError:  # pragma: no cover - a source tree that was never installed
        return "0.0.0"


def __getattr__(name: str) -> str:
    if name == "__version__":
        return _version()
    if name == "USER_AGENT":
        return f"watcher/{_version()} (+{PROJECT_URL})"
    raise AttributeError(f"module 'watcher' has no attribute {name!r}")
