"""TOML + environment → frozen, validated configuration. Passed in, never global."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from watcher.errors import ConfigError, NotFoundError
from watcher.netpolicy import IPNetwork, parse_networks

# Without --config or WATCHER_CONFIG: the file `watcher init` writes in the current folder,
# else the checkout's own config (what `make run` uses).
DEFAULT_CONFIGS = (Path("watcher.toml"), Path("config/watcher.toml"))
CONFIG_ENV = "WATCHER_CONFIG"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, None: 1}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {
    "b": 1,
    "kb": 1000,
    "mb": 10**6,
    "gb": 10**9,
    "kib": 1024,
    "mib": 2**20,
    "gib": 2**30,
}


def parse_duration(value: Any) -> float:
    """'90s', '15m', '2h', '1d' or a number of seconds → seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as '15m', '2h' or a number of seconds")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(
                f"invalid duration {value!r}; use a number with a unit s, m, h or d, e.g. '15m'"
            )
        seconds = float(match.group(1)) * _DURATION_UNITS[match.group(2)]
    if seconds <= 0:
        raise ValueError(f"duration {value!r} must be positive, e.g. '15m'")
    return seconds


def parse_age_limit(value: Any) -> float:
    """A duration, or 0 / "off" for no limit (→ 0.0)."""
    if value in (0, "0", "off"):
        return 0.0
    return parse_duration(value)


def parse_size(value: Any) -> int:
    """'10MB', '512KiB' or a number of bytes → bytes."""
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    else:
        match = _SIZE.match(str(value))
        if not match:
            raise ValueError(f"invalid size {value!r}; use bytes or a unit, e.g. '10MB'")
        size = int(float(match.group(1)) * _SIZE_UNITS[(match.group(2) or "b").lower()])
    if size <= 0:
        raise ValueError(f"size {value!r} must be positive, e.g. '10MB'")
    return size


def check_http_url(value: Any) -> str:
    text = str(value).strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"invalid URL {value!r}; use an absolute http:// or https:// URL")
    return text


def check_timezone(value: Any) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {value!r}; use an IANA name such as 'Europe/Berlin' or 'UTC'"
        ) from exc
    return str(value)


def check_env_name(value: Any) -> str:
    text = str(value)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text):
        raise ValueError(
            f"{value!r} is not an environment variable name; name the variable, not the secret"
        )
    return text


def check_networks(value: Any) -> tuple[IPNetwork, ...]:

    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ValueError(f'{value!r} is not a list; write e.g. ["10.0.0.0/8"]')
    return parse_networks(value)


def check_language(value: Any) -> str:
    """An ISO 639-1 language code ('en', 'fa'), lower-cased."""
    from babel import Locale

    code = str(value).strip().lower()
    if len(code) != 2 or code not in Locale("en").languages:
        raise ValueError(
            f"{value!r} is not an ISO 639-1 language code; use two letters such as 'en' or 'fa'"
        )
    return code


Duration = Annotated[float, BeforeValidator(parse_duration)]
AgeLimit = Annotated[float, BeforeValidator(parse_age_limit)]
Size = Annotated[int, BeforeValidator(parse_size)]
HttpUrl = Annotated[str, BeforeValidator(check_http_url)]
TimeZone = Annotated[str, BeforeValidator(check_timezone)]
EnvName = Annotated[str, BeforeValidator(check_env_name)]
Networks = Annotated[tuple[IPNetwork, ...], BeforeValidator(check_networks)]
Language = Annotated[str, BeforeValidator(check_language)]


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StorageConfig(Section):
    path: Path = Field(
        Path("../data/watcher.db"),
        description="SQLite database file; relative paths are relative to the config file.",
    )
    fetch_log_retention: Duration = Field(
        30 * 86400.0, description="How long the daemon keeps each poll's fetch log row."
    )


class PollingConfig(Section):
    concurrency: int = Field(64, ge=1, le=1000, description="Feeds fetched at the same time.")
    per_host: int = Field(4, ge=1, le=100, description="Feeds fetched at the same time per host.")
    connect_timeout: Duration = Field(10.0, description="Time allowed to open a connection.")
    read_timeout: Duration = Field(30.0, description="Time allowed between two received chunks.")
    deadline: Duration = Field(60.0, description="Total time allowed for one fetch, body included.")
    max_body: Size = Field(10_000_000, description="Largest decoded feed body accepted.")
    max_redirects: int = Field(5, ge=0, le=20, description="Redirects followed per fetch.")
    max_stretch: Duration = Field(
        4 * 3600.0, description="Upper bound when <ttl> or Cache-Control stretch a feed's interval."
    )
    max_backoff: Duration = Field(
        24 * 3600.0, description="Longest wait between retries of a failing feed."
    )
    tick: Duration = Field(15.0, description="How often the daemon looks for due feeds.")
    parse_workers: int = Field(
        0, ge=0, le=64, description="Processes that parse and classify; 0 means one per CPU."
    )
    allow_private: Networks = Field(
        (),
        description="Non-public networks (CIDR) a public feed's redirects may reach; default none.",
    )
    worker_memory: Size = Field(
        512 * 2**20,
        ge=128 * 2**20,
        description="Memory ceiling of each parse worker; a document needing more fails alone.",
    )
    worker_cpu: Duration = Field(
        30.0, le=3600.0, description="CPU time allowed to read and judge one document."
    )


EnrichMode = Literal["auto", "always", "never"]


class FeedConfig(Section):
    url: HttpUrl = Field(description="The feed's address (RSS, Atom or JSON Feed).")
    name: str | None = Field(None, description="A display name; defaults to the URL's host.")
    interval: Duration = Field(15 * 60.0, description="How often to poll this feed.")
    enrich: EnrichMode | None = Field(
        None, description="Read article pages: auto, always or never; default [enrich] mode."
    )


class TopicConfig(Section):
    path: Path | None = Field(
        None, description="The topic definition file; default: the topic shipped with watcher."
    )
    seeds: Path | None = Field(
        None,
        description="Folder of seed articles (*.txt); default: the seeds shipped with watcher.",
    )
    threshold: float = Field(
        0.5, ge=0.0, le=1.0, description="Score at or above which an article is relevant."
    )


class SmtpConfig(Section):
    host: str = Field("localhost", description="SMTP server host.")
    port: int = Field(587, ge=1, le=65535, description="SMTP server port.")
    from_: str = Field(
        "watcher@localhost", alias="from", description="Sender address of every email."
    )
    security: Literal["starttls", "ssl", "none"] = Field(
        "starttls", description="Transport security: starttls, ssl or none."
    )
    username: str | None = Field(None, description="Login name, if the server wants one.")
    password_env: EnvName | None = Field(
        None, description="Environment variable holding the SMTP password."
    )
    timeout: Duration = Field(30.0, description="Time allowed for one SMTP conversation.")


class ChannelSettings(Section):
    """Where a subscriber's messages go. Each channel (watcher/deliver/*) subclasses this with
    its own keys; `type` picks the channel (see watcher.deliver.registry)."""

    type: str = Field(description="The channel: email, webhook, slack or apprise.")

    def secret_names(self) -> tuple[str, ...]:
        """Environment variables whose values must never appear in logs or stored errors."""
        return ()


def _channel_settings(value: Any) -> Any:
    if isinstance(value, ChannelSettings):
        return value
    from watcher.deliver.registry import parse_settings  # the channels import this module

    return parse_settings(value)


_LEGACY_CHANNEL_KEYS = ("email", "webhook", "secret_env", "format")


def _legacy_channel(data: dict[str, Any]) -> dict[str, Any]:
    """The older `email = …` / `webhook = …` keys, turned into the `channel` table."""
    legacy = {k: data[k] for k in _LEGACY_CHANNEL_KEYS if k in data}
    if not legacy:
        return data
    name = data.get("name", "?")
    if "channel" in data or ("email" in legacy) == ("webhook" in legacy):
        raise ValueError(
            f"subscriber {name!r} needs exactly one channel: set "
            'channel = { type = "email", to = "you@example.org" } (or the older email / webhook)'
        )
    rest = {k: v for k, v in data.items() if k not in legacy}
    if "email" in legacy:
        if len(legacy) > 1:
            raise ValueError("secret_env and format belong to a webhook, not to email")
        return {**rest, "channel": {"type": "email", "to": legacy["email"]}}
    kind = {"json": "webhook", "slack": "slack"}.get(str(legacy.get("format", "json")))
    if kind is None:
        raise ValueError(
            f"format {legacy['format']!r} is not a webhook format; use "
            'channel = { type = "webhook", url = "…" } or { type = "slack", url = "…" }'
        )
    channel = {"type": kind, "url": legacy["webhook"]}
    if "secret_env" in legacy:
        channel["secret_env"] = legacy["secret_env"]
    return {**rest, "channel": channel}


class SubscriberConfig(Section):
    name: str = Field(description="Unique name of the subscriber.")
    channel: Annotated[ChannelSettings, BeforeValidator(_channel_settings)] = Field(
        description='Where messages go, e.g. { type = "email", to = "a@example.org" }.'
    )
    mode: Literal["immediate", "digest"] = Field("immediate", description="immediate or digest.")
    digest: str = Field("daily 08:00", description="Digest schedule: 'daily HH:MM' or a cron line.")
    timezone: TimeZone = Field("UTC", description="Time zone of the digest schedule.")
    send_empty: bool = Field(False, description="Send a digest even when it has no article.")
    min_score: float | None = Field(
        None, ge=0.0, le=1.0, description="Lowest score to notify; default: the topic threshold."
    )
    aspects: tuple[str, ...] = Field((), description="Only these aspects (empty: all).")
    languages: tuple[Language, ...] = Field(
        (), description="Only these languages, as ISO 639-1 codes (empty: all)."
    )
    feeds: tuple[str, ...] = Field((), description="Only these feed names or URLs (empty: all).")
    max_age: AgeLimit = Field(
        3 * 86400.0,
        description="Only articles published at most this long before watcher found them "
        '(a new feed\'s back catalogue is stored and searchable, not sent); "off": any age.',
    )
    ops: bool = Field(False, description="Also receive feed health alerts.")

    @model_validator(mode="before")
    @classmethod
    def _one_channel(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = _legacy_channel(data)
        if "channel" not in data:
            raise ValueError(
                f"subscriber {data.get('name', '?')!r} needs exactly one channel: add "
                'channel = { type = "email", to = "you@example.org" }'
            )
        return data

    @model_validator(mode="after")
    def _valid_schedule(self) -> SubscriberConfig:
        from watcher.timing import check_digest_schedule

        try:
            check_digest_schedule(self.digest, self.timezone)
        except (ValueError, KeyError) as exc:
            raise ValueError(
                f"digest schedule {self.digest!r} is not valid ({exc}); use 'daily 08:00', "
                "'weekly mon 08:00' or a cron line such as '0 8 * * 1-5'"
            ) from exc
        return self


class DeliveryConfig(Section):
    max_attempts: int = Field(12, ge=1, le=100, description="Attempts before a message is dead.")
    base_backoff: Duration = Field(30.0, description="Wait after the first failed attempt.")
    max_backoff: Duration = Field(6 * 3600.0, description="Longest wait between two attempts.")
    tick: Duration = Field(2.0, description="How often the daemon looks for due messages.")
    templates: Path | None = Field(
        None, description="Folder of Jinja2 templates that override the built-in ones."
    )
    per_subscriber: int = Field(
        1, ge=1, le=64, description="Messages sent at once to one subscriber (1 keeps order)."
    )
    deadline: Duration = Field(
        30.0, description="Total time allowed for one delivery attempt, reply included."
    )
    shutdown_grace: Duration = Field(
        10.0, description="How long shutdown waits for sends in flight; the rest stay due."
    )


class HealthConfig(Section):
    failing_after: Duration = Field(
        6 * 3600.0, description="Tell ops subscribers when a feed has failed this long."
    )
    silent_factor: float = Field(
        10.0, gt=1.0, description="Silent alert after this many times the usual gap between items."
    )
    silent_min: Duration = Field(
        3 * 86400.0, description="Never call a feed silent before this long without a new item."
    )


def check_listen(value: Any) -> str:
    text = str(value).strip()
    if text:
        listen_address(text)
    return text


class WebConfig(Section):
    listen: Annotated[str, BeforeValidator(check_listen)] = Field(
        "127.0.0.1:8080",
        description="HOST:PORT of the web console; an empty string turns it off in `watcher run`.",
    )
    public_url: HttpUrl | None = Field(
        None, description="The console's address as readers see it; enables judgement links."
    )
    secret_env: EnvName | None = Field(
        None, description="Environment variable holding the key that signs judgement links."
    )
    token_env: EnvName | None = Field(
        None, description="Environment variable holding an access token for the console."
    )
    password_hash_env: EnvName | None = Field(
        None, description="Environment variable holding a password hash (`serve --hash-password`)."
    )
    link_ttl: Duration = Field(14 * 86400.0, description="How long a judgement link stays valid.")

    @model_validator(mode="after")
    def _links_need_a_key(self) -> WebConfig:
        if self.public_url and not self.secret_env:
            raise ValueError("public_url is set but secret_env is not; judgement links need a key")
        return self


def listen_address(value: str) -> tuple[str, int]:
    """'HOST:PORT' or '[::1]:PORT' → (host, port)."""
    host, sep, port = value.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"listen address {value!r} is not HOST:PORT; use e.g. '127.0.0.1:8080'")
    return host, int(port)


class EnrichConfig(Section):
    mode: EnrichMode = Field(
        "auto",
        description="auto: read the page when the feed says too little and the verdict is "
        "uncertain or relevant; always: every new entry with a link; never.",
    )
    short_text: int = Field(
        400, ge=0, le=100_000, description="Feed text shorter than this (characters) is too little."
    )
    band: float = Field(
        0.25, ge=0.0, le=1.0, description="Uncertain: the score is within this of the threshold."
    )
    relevant: bool = Field(
        True, description="Also read the page of a relevant entry, so its alert carries the lead."
    )
    deadline: Duration = Field(
        10.0, description="Longest wait for pages; then the headline verdict stands."
    )
    max_body: Size = Field(3_000_000, description="Largest decoded article page accepted.")
    min_text: int = Field(
        300, ge=0, le=100_000, description="Page text shorter than this is no article (a wall)."
    )
    concurrency: int = Field(8, ge=1, le=100, description="Pages fetched at the same time.")
    per_poll: int = Field(5, ge=0, le=1000, description="Most pages read per poll of one feed.")
    budget: int = Field(120, ge=0, description="Most pages read per budget_window, all feeds.")
    budget_window: Duration = Field(3600.0, description="The window of the page budget.")
    allow_private: Networks = Field(
        (), description="Non-public networks (CIDR) article pages may be read from; default none."
    )


class Config(Section):
    opml: Path | None = Field(None, description="An OPML 2.0 file listing more feeds.")
    storage: StorageConfig = Field(default_factory=StorageConfig, description="Where data lives.")
    polling: PollingConfig = Field(
        default_factory=PollingConfig, description="How feeds are polled."
    )
    feeds: tuple[FeedConfig, ...] = Field((), description="The feeds to watch.")
    topic: TopicConfig = Field(default_factory=TopicConfig, description="What to watch for.")
    smtp: SmtpConfig = Field(default_factory=SmtpConfig, description="Outgoing mail server.")
    subscribers: tuple[SubscriberConfig, ...] = Field((), description="Who is told, and how.")
    delivery: DeliveryConfig = Field(
        default_factory=DeliveryConfig, description="Retries of notifications."
    )
    health: HealthConfig = Field(default_factory=HealthConfig, description="Feed health alerts.")
    web: WebConfig = Field(default_factory=WebConfig, description="The web console.")

    enrich: EnrichConfig = Field(
        default_factory=EnrichConfig, description="Reading article pages when feeds say too little."
    )
    source: Path = Field(Path("watcher.toml"), exclude=True, description="(set by the loader)")

    @model_validator(mode="after")
    def _unique_names(self) -> Config:
        seen: set[str] = set()
        for sub in self.subscribers:
            if sub.name in seen:
                raise ValueError(f"subscriber name {sub.name!r} is used twice; names must differ")
            seen.add(sub.name)
        return self

    @field_validator("feeds")
    @classmethod
    def _feeds_listed_once(cls, feeds: tuple[FeedConfig, ...]) -> tuple[FeedConfig, ...]:
        # A second entry for a URL would be dropped silently, and two feeds of one name make
        # `articles --feed NAME` and a subscriber's `feeds` filter ambiguous.
        first_url: dict[str, int] = {}
        first_name: dict[str, int] = {}
        for index, feed in enumerate(feeds):
            earlier = first_url.setdefault(feed.url, index)
            if earlier != index:
                raise ValueError(
                    f"feeds[{index}] and feeds[{earlier}] have the same url {feed.url!r}; "
                    "remove one of them"
                )
            if feed.name is None:
                continue
            earlier = first_name.setdefault(feed.name, index)
            if earlier != index:
                raise ValueError(
                    f"feeds[{index}] and feeds[{earlier}] are both named {feed.name!r}; "
                    "give each feed its own name"
                )
        return feeds

    @model_validator(mode="after")
    def _email_needs_smtp(self) -> Config:
        if "smtp" in self.model_fields_set:
            return self
        for sub in self.subscribers:
            if sub.channel.type == "email":
                raise ValueError(
                    f"subscriber {sub.name!r} is sent email but there is no [smtp] section; "
                    f"add one with the mail server's host (see {_example()})"
                )
        return self

    def resolve(self, path: Path) -> Path:
        """A path from the config, made absolute relative to the config file."""
        return path if path.is_absolute() else (self.source.parent / path).resolve()

    @property
    def database(self) -> Path:
        return self.resolve(self.storage.path)

    @property
    def topic_file(self) -> Path:
        return self.resolve(self.topic.path) if self.topic.path else shipped("topic.toml")

    @property
    def seeds_dir(self) -> Path:
        return self.resolve(self.topic.seeds) if self.topic.seeds else shipped("seeds")

    def subscriber(self, name: str) -> SubscriberConfig:
        for sub in self.subscribers:
            if sub.name == name:
                return sub
        known = ", ".join(s.name for s in self.subscribers) or "none configured"
        raise NotFoundError(f"no subscriber named {name!r} (known: {known})")


def shipped(name: str) -> Path:
    """The default topic ("topic.toml"), seeds ("seeds") or the documented example config
    ("example.toml") shipped inside the package. In a source checkout they are read from
    config/ and seeds/, their editable source."""
    package = Path(__file__).resolve().parent
    installed = package / "defaults" / name
    if installed.exists():
        return installed
    return package.parent / (name if name == "seeds" else f"config/{name}")


def _example() -> str:
    """Where the example config that documents every key is, as a config error names it."""
    path = shipped("example.toml")
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def _describe(error: dict[str, Any]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown key; remove it or fix its spelling ({_example()} lists every key)"
    if kind == "missing":
        return f"required key is missing; add it (see {_example()})"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def load_config(path: Path | None = None, env: dict[str, str] | None = None) -> Config:
    """Read and validate a config file. Raises ConfigError with one line per problem."""
    environ = os.environ if env is None else env
    chosen = path or (Path(environ[CONFIG_ENV]) if environ.get(CONFIG_ENV) else None)
    if chosen is None:
        chosen = next((p for p in DEFAULT_CONFIGS if p.is_file()), DEFAULT_CONFIGS[-1])
    try:
        raw = tomllib.loads(chosen.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        what = f"{chosen}: config file not found"
        if path is None and not environ.get(CONFIG_ENV):  # neither default is here
            what = f"no config file here ({' or '.join(str(p) for p in DEFAULT_CONFIGS)})"
        raise ConfigError(
            f"{what}; pass --config FILE, set {CONFIG_ENV}, or write one with `watcher init`"
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{chosen}: TOML syntax error: {exc}; fix the file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{chosen}: cannot read config file: {exc}") from exc
    try:
        config = Config.model_validate({**raw, "source": chosen.resolve()})
    except ValidationError as exc:
        lines = [f"{chosen}: {_location(e['loc'])}: {_describe(dict(e))}" for e in exc.errors()]
        raise ConfigError("\n".join(lines)) from exc
    return config


def secret(name: str | None, env: dict[str, str] | None = None) -> str | None:
    """The value of the environment variable a config key names, or None when unnamed."""
    if name is None:
        return None
    environ = os.environ if env is None else env
    value = environ.get(name)
    if not value:
        raise ConfigError(f"environment variable {name} is not set; export it before starting")
    return value
