"""The Slack channel: an incoming-webhook message (top-level text plus one mrkdwn block).

Feed text is escaped as Slack requires (&, <, >), so no title can mention @channel or
hide a link behind other words; links are built here from checked http(s) URLs only.
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import Field

from watcher.config import ChannelSettings, EnvName, HttpUrl
from watcher.deliver.base import Channel, Templates
from watcher.deliver.webhook import open_http
from watcher.notify.render import AlertNote, DigestNote, JudgeLinks, Note, NoticeNote, date


class SlackSettings(ChannelSettings):
    type: Literal["slack"] = Field(description="Post to a Slack incoming webhook.")
    url: HttpUrl = Field(description="The Slack incoming-webhook URL.")
    secret_env: EnvName | None = Field(
        None, description="Environment variable holding a signing secret (optional)."
    )

    def secret_names(self) -> tuple[str, ...]:
        return (self.secret_env,) if self.secret_env else ()


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str | None, label: str) -> str:
    if url is None:
        return escape(label)
    target = escape(url).replace("|", "%7C")
    return f"<{target}|{escape(label)}>"


def _judge(links: JudgeLinks | None) -> str:
    if links is None:
        return ""
    return f"\n{link(links.relevant, 'Relevant')} · {link(links.irrelevant, 'Not about the topic')}"


def mrkdwn(note: Note) -> str:
    if isinstance(note, AlertNote):
        view = note.article
        facts = [escape(view.feed), f"score {note.score:.2f}", *map(escape, note.aspects)]
        why = "".join(f"\n• {escape(reason)}" for reason in note.reasons)
        headline = f"*{link(view.url, note.subject)}*"
        return f"{headline}\n{' · '.join(facts)}{why}{_judge(note.judge_links)}"
    if isinstance(note, DigestNote):
        lines = [f"*{escape(note.subject)}* since {date(note.since, note.zone)}"]
        for story in note.stories:
            lines.append(
                f"• {link(story.lead.url, story.lead.title)} ({escape(story.lead.feed)},"
                f" score {story.score:.2f}){_judge(story.judge_links)}"
            )
        return "\n".join(lines)
    assert isinstance(note, NoticeNote)
    return f"*{escape(note.subject)}*\n{escape(note.body)}"


def render(note: Note, target: SlackSettings, templates: Templates) -> bytes:
    message = {
        "text": escape(note.subject),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn(note)}}],
    }
    return json.dumps(message, ensure_ascii=False).encode("utf-8")


CHANNEL = Channel(
    type="slack",
    settings=SlackSettings,
    render=render,
    open=open_http,
    example='channel = { type = "slack", url = "https://hooks.slack.com/services/…" }',
)
