"""Articles and configuration shared by the console's tests (written for these tests)."""

from __future__ import annotations

from pathlib import Path

from tests import feeds as fx
from watcher.config import Config, load_config

REPO = Path(__file__).resolve().parent.parent

TREATY = fx.Item(
    title="Putin and Pezeshkian sign comprehensive strategic partnership treaty",
    link="https://wire.example.org/treaty",
    guid="wire-1",
    summary="Russia and Iran signed a 20-year comprehensive strategic partnership treaty in "
    "Moscow. The treaty covers energy, transport and security cooperation between the two.",
)
COPY = fx.Item(
    title="Russia and Iran sign comprehensive strategic partnership treaty",
    link="https://paper.example.org/world/russia-iran-treaty",
    guid="paper-77",
    summary=TREATY.summary,
)
RATIFIED = fx.Item(
    title="Iran's parliament ratifies strategic partnership treaty with Russia",
    link="https://wire.example.org/majlis",
    guid="wire-2",
    summary="Iranian lawmakers voted to ratify the comprehensive strategic partnership treaty "
    "with Russia; the Guardian Council must now approve it.",
)
HOSTILE = fx.Item(
    # double-escaped: after XML and HTML decoding, the stored title holds a literal <script>
    title="Russia Iran treaty &lt;script&gt;alert('x')&lt;/script&gt; signed",
    link="javascript:alert(1)",
    guid="wire-3",
    summary="The comprehensive strategic partnership treaty between Russia and Iran was signed "
    "&lt;img src=x onerror=alert(2)&gt; in Moscow by both presidents.",
)
FOOTBALL = fx.Item(
    title="Local club wins the cup final after extra time",
    link="https://sport.example.org/final",
    guid="sport-1",
    summary="The home side scored twice in extra time to lift the trophy in front of fans.",
)


def console_body(extra: str = "") -> str:
    return (
        "[web]\n"
        'listen = "127.0.0.1:8080"\n'
        'public_url = "https://watcher.example.org"\n'
        'secret_env = "WATCHER_TEST_LINK_KEY"\n'
        f"{extra}"
        '[smtp]\nhost = "127.0.0.1"\nport = 9\nsecurity = "none"\ntimeout = "1s"\n'
        '[[subscribers]]\nname = "analyst"\nemail = "analyst@example.org"\n'
        '[[subscribers]]\nname = "desk"\nemail = "desk@example.org"\nmode = "digest"\n'
        '[[subscribers]]\nname = "chat"\nwebhook = "http://127.0.0.1:9/hook"\n'
        'format = "slack"\n'
    )


def write_config(folder: Path, feeds: list[dict[str, str]], body: str) -> Config:
    lines = ["[storage]", 'path = "watcher.db"', "[topic]"]
    lines += [f'path = "{REPO / "config" / "topic.toml"}"', f'seeds = "{REPO / "seeds"}"']
    for feed in feeds:
        lines += ["[[feeds]]", *(f'{k} = "{v}"' for k, v in feed.items())]
    (folder / "watcher.toml").write_text("\n".join(lines) + "\n" + body, encoding="utf-8")
    return load_config(folder / "watcher.toml")
