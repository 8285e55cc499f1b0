"""watcher: watches news feeds for one topic and alerts people when something relevant appears."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("watcher")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

PROJECT_URL = "https://github.com/watcher-project/watcher"
USER_AGENT = f"watcher/{__version__} (+{PROJECT_URL})"
