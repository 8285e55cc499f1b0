"""The command line: parses arguments, calls the library, prints. No logic lives here."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from watcher import __version__
from watcher.app import open_store, poll_once, run_daemon
from watcher.config import Config, load_config, parse_duration
from watcher.errors import WatcherError
from watcher.fetch import Fetcher
from watcher.logs import setup_logging
from watcher.models import Outcome, PollReport
from watcher.parse import parse_feed
from watcher.pipeline import utcnow
from watcher.sources import feed_sources, write_opml
from watcher.store import Store

F = TypeVar("F", bound=Callable[..., Any])

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(
        func
    )


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def parse_since(value: str | None) -> datetime | None:
    """An ISO date or datetime, or an age such as '7d' or '12h'."""
    if value is None:
        return None
    if re.fullmatch(r"\s*\d+(\.\d+)?\s*[smhdw]\s*", value):
        return datetime.now(UTC) - timedelta(seconds=parse_duration(value))
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(
            f"{value!r} is not a date; use YYYY-MM-DD, an ISO datetime or an age like '7d'"
        ) from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


class Context:
    def __init__(self, config_path: Path | None, log_level: str) -> None:
        self.config_path = config_path
        self.log_level = log_level
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
            setup_logging(self.log_level, secrets=_secret_values(self._config))
        return self._config


def _secret_values(config: Config) -> list[str]:
    from watcher.deliver.registry import secret_values

    return secret_values(config)


pass_context = click.make_pass_decorator(Context)


class WatcherGroup(click.Group):
    """Turns WatcherError into one clear line on stderr and a non-zero exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except WatcherError as exc:
            from watcher.errors import ConfigError

            for line in str(exc).splitlines():
                err.print(f"[bold red]error:[/] {line}", highlight=False, markup=True)
            ctx.exit(2 if isinstance(exc, ConfigError) else 1)


@click.group(cls=WatcherGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="WATCHER_CONFIG",
    help="Config file (default: config/watcher.toml; env WATCHER_CONFIG).",
)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    default="INFO",
    show_default=True,
    help="How much to log on stderr.",
)
@click.version_option(__version__, prog_name="watcher")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, log_level: str) -> None:
    """Watch news feeds for one topic and alert people when something relevant appears."""
    ctx.obj = Context(config_path, log_level.upper())


@cli.command()
@pass_context
def run(ctx: Context) -> None:
    """Run the daemon: poll due feeds, classify, alert; stop with Ctrl-C or SIGTERM."""
    run_daemon(ctx.config)


def _poll_summary(reports: Sequence[PollReport]) -> dict[str, int]:
    def count(*outcomes: Outcome) -> int:
        return sum(1 for r in reports if r.outcome in outcomes)

    return {
        "feeds_polled": len(reports),
        "updated": count(Outcome.NEW_CONTENT),
        "not_modified": count(Outcome.NOT_MODIFIED),
        "failed": count(Outcome.ERROR, Outcome.RATE_LIMITED, Outcome.GONE),
        "gone": count(Outcome.GONE),
        "new_articles": sum(r.new_articles for r in reports),
        "bytes": sum(r.bytes_transferred for r in reports),
    }


@cli.command()
@click.option("--all", "everything", is_flag=True, help="Poll every feed, due or not.")
@json_option
@pass_context
def poll(ctx: Context, everything: bool, as_json: bool) -> None:
    """Poll the due feeds once and print what happened (exit 0 even if some feeds fail)."""
    config = ctx.config
    if as_json or not sys.stderr.isatty():
        reports = poll_once(config, everything=everything)
    else:
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task("polling", total=None)
            reports = poll_once(
                config,
                everything=everything,
                on_start=lambda n: progress.update(task, total=n),
                on_done=lambda _r: progress.advance(task),
            )
    summary = _poll_summary(reports)
    if as_json:
        emit_json(summary)
        return
    table = Table("feed", "outcome", "entries", "new", "message")
    for r in sorted(reports, key=lambda r: (r.outcome == Outcome.NEW_CONTENT, r.name)):
        table.add_row(r.name, r.outcome.value, str(r.entries), str(r.new_articles), r.message or "")
    out.print(table)
    out.print(
        f"{summary['feeds_polled']} feeds polled: {summary['updated']} updated, "
        f"{summary['not_modified']} not modified, {summary['failed']} failed; "
        f"{summary['new_articles']} new articles",
        highlight=False,
    )


@cli.group()
def feeds() -> None:
    """List, export and check the configured feeds."""


@feeds.command("list")
@json_option
@pass_context
def feeds_list(ctx: Context, as_json: bool) -> None:
    """List the feeds from the config and its OPML file."""
    sources = feed_sources(ctx.config)
    if as_json:
        emit_json([{"name": s.name, "url": s.url, "interval": s.interval} for s in sources])
        return
    table = Table("name", "url", "interval")
    for s in sources:
        table.add_row(s.name, s.url, _duration(s.interval))
    out.print(table)


@feeds.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File.")
@pass_context
def feeds_export(ctx: Context, output: Path | None) -> None:
    """Write the feeds as OPML 2.0 (to stdout, or to --output)."""
    document = write_opml(feed_sources(ctx.config))
    if output is None:
        click.echo(document, nl=False)
    else:
        output.write_text(document, encoding="utf-8")


@feeds.command("check")
@click.argument("url")
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True)
@json_option
@pass_context
def feeds_check(ctx: Context, url: str, limit: int, as_json: bool) -> None:
    """Fetch URL once and show what would be stored, without storing anything."""
    from watcher.config import check_http_url
    from watcher.decide import after_parse, read_fetch

    try:
        url = check_http_url(url)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="URL") from exc
    config = ctx.config

    async def fetch() -> Any:
        async with Fetcher(config.polling) as fetcher:
            return await fetcher.fetch(url)

    result = asyncio.run(fetch())
    now = utcnow()
    reply = read_fetch(result, now)
    parsed = None
    if reply.outcome is Outcome.NEW_CONTENT:
        parsed = parse_feed(result.body, result.headers, result.final_url, url, now)
        reply = after_parse(reply, parsed)
    entries = parsed.entries if parsed and not parsed.error else ()
    report = {
        "url": url,
        "final_url": result.final_url,
        "http_status": result.status,
        "outcome": reply.outcome.value,
        "message": reply.message,
        "format": parsed.format if parsed else None,
        "title": parsed.title if parsed else None,
        "warning": parsed.warning if parsed else None,
        "entries": len(entries),
        "sample": [
            {
                "title": e.title,
                "url": e.url,
                "published": e.published.isoformat() if e.published else None,
                "language": e.language,
                "text": e.text[:200],
            }
            for e in entries[:limit]
        ],
    }
    if as_json:
        emit_json(report)
        return
    out.print(
        f"{url} → HTTP {result.status or '-'} {reply.outcome.value}"
        f"{': ' + reply.message if reply.message else ''}",
        highlight=False,
    )
    if parsed and not parsed.error:
        out.print(f"{parsed.format}: {parsed.title or '(untitled)'}, {len(entries)} entries")
        table = Table("published", "title", "url")
        for item in report["sample"]:
            table.add_row(item["published"] or "(none)", item["title"], item["url"] or "")
        out.print(table)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:.0f}s"


def _ago(value: str | None, now: datetime) -> str:
    if not value:
        return "never"
    moment = datetime.fromisoformat(value)
    delta = (now - moment).total_seconds()
    words = _duration(round(abs(delta) / 60) * 60 or 60)
    return f"{words} ago" if delta >= 0 else f"in {words}"


@cli.command()
@json_option
@pass_context
def status(ctx: Context, as_json: bool) -> None:
    """Per-feed health: last success, last error, error count, next poll, article count."""
    with open_store(ctx.config) as store:
        rows = store.feed_status()
        extra = _status_extras(store)
    if as_json:
        emit_json({"feeds": rows, **extra})
        return
    now = utcnow()
    table = Table("feed", "status", "last success", "errors", "last error", "next poll", "articles")
    for row in rows:
        state = (row["disabled_reason"] and "disabled") or (row["gone_reason"] and "gone")
        state = state or row["last_status"] or "new"
        next_poll = "—" if row["gone_reason"] or row["disabled_reason"] else row["next_poll_at"]
        table.add_row(
            row["name"],
            state,
            _ago(row["last_success_at"], now),
            str(row["error_count"]),
            row["last_error"] or "",
            _ago(next_poll, now) if next_poll != "—" else next_poll,
            str(row["articles"]),
        )
    out.print(table)
    for key, value in extra.items():
        out.print(f"{key.replace('_', ' ')}: {value}", highlight=False)


def _status_extras(store: Store) -> dict[str, Any]:
    return {"articles": store.article_count(), **store.queue_summary()}


@cli.command()
@click.option("--search", "text", help="Full-text search in titles and text.")
@click.option("--since", help="Only articles published since (YYYY-MM-DD or an age like 7d).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@json_option
@pass_context
def articles(ctx: Context, text: str | None, since: str | None, limit: int, as_json: bool) -> None:
    """List stored articles, newest first."""
    since_at = parse_since(since)
    with open_store(ctx.config, sync=False) as store:
        rows = store.search_articles(text, since_at, limit)
    if as_json:
        emit_json(rows)
        return
    table = Table("id", "published", "feed", "title")
    for row in rows:
        table.add_row(str(row["id"]), row["published"][:16], row["feed_name"], row["title"])
    out.print(table)


def _model_for(ctx: Context) -> Any:
    from watcher.topic import build_model
    from watcher.topic.relevance import current_model

    config = ctx.config
    if config.database.exists():
        with open_store(config, sync=False) as store:
            return current_model(config, store)
    return build_model(config)


def _print_verdict(verdict: Any, title: str) -> None:
    colour = "green" if verdict.relevant else "red"
    out.print(f"[bold {colour}]{verdict.label}[/] score {verdict.score:.3f}  {title}")
    exp = verdict.explanation
    out.print(f"  language: {verdict.language or 'unknown'}", highlight=False)
    if verdict.aspects:
        out.print(f"  aspects: {', '.join(verdict.aspects)}", highlight=False)
    for name, terms in exp["entities"].items():
        out.print(f"  {name}: {', '.join(terms)}", highlight=False)
    for key in ("instrument", "anchors", "events"):
        if exp[key]:
            out.print(f"  {key}: {', '.join(exp[key])}", highlight=False)
    out.print(
        f"  nearest seed: {exp['nearest_seed']} (similarity {exp['seed_similarity']})",
        highlight=False,
    )
    for reason in exp["pushed_down_by"]:
        out.print(f"  pushed down by: {reason}", highlight=False)
    for note in exp["notes"]:
        out.print(f"  note: {note}", highlight=False)


@cli.command()
@click.argument("source", required=False, type=click.File("r", encoding="utf-8"))
@click.option("--title", help="The headline (default: the first line of the text).")
@json_option
@pass_context
def classify(ctx: Context, source: Any, title: str | None, as_json: bool) -> None:
    """Judge one article (FILE, or - for stdin) and explain the verdict."""
    text = source.read() if source is not None else ""
    if title is None:
        title, _, text = text.strip().partition("\n")
    if not title and not text.strip():
        raise click.UsageError("nothing to classify: give FILE, - for stdin, or --title")
    verdict = _model_for(ctx).classify(title, text)
    if as_json:
        emit_json(
            {
                "score": verdict.score,
                "label": verdict.label,
                "relevant": verdict.relevant,
                "aspects": list(verdict.aspects),
                "language": verdict.language,
                "explanation": verdict.explanation,
                "model_version": verdict.model_version,
            }
        )
        return
    _print_verdict(verdict, title)


@cli.command("eval")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
@pass_context
def evaluate_command(ctx: Context, path: Path, as_json: bool) -> None:
    """Score labelled records (JSON lines: title, text, label 1/0/null, group, lang, id)."""
    from watcher.errors import ConfigError
    from watcher.topic.evaluate import evaluate, load_records

    records = load_records(path)
    if not any(r.label is not None for r in records):
        raise ConfigError(f"{path}: no labelled records (label 1 or 0); nothing to score")
    model = _model_for(ctx)

    def judge(title: str, text: str) -> tuple[bool, float]:
        verdict = model.classify(title, text)
        return verdict.relevant, verdict.score

    report = evaluate(records, judge).as_dict()
    if as_json:
        emit_json(report)
        return
    c = report["confusion"]
    out.print(
        f"precision {report['precision']:.3f}  recall {report['recall']:.3f}  "
        f"F1 {report['f1']:.3f}  (skipped {report['skipped']} unlabelled)",
        highlight=False,
    )
    out.print(f"confusion: tp {c['tp']}  fp {c['fp']}  tn {c['tn']}  fn {c['fn']}", highlight=False)
    if report["non_english_recall"] is not None:
        out.print(
            f"non-English recall {report['non_english_recall']:.3f} "
            f"(of {report['non_english_relevant']} relevant)",
            highlight=False,
        )
    if report["hard_negatives_flagged"] is not None:
        out.print(
            f"hard negatives flagged {report['hard_negatives_flagged']:.1%} "
            f"(of {report['hard_negatives']})",
            highlight=False,
        )
    for heading in ("groups", "languages"):
        table = Table(heading[:-1], "correct", "total", "accuracy")
        for key, row in report[heading].items():
            table.add_row(key, str(row["correct"]), str(row["total"]), f"{row['accuracy']:.2f}")
        out.print(table)
    for miss in report["misclassified"]:
        out.print(
            f"misclassified {miss['id']}: label {miss['label']} score {miss['score']:.3f} "
            f"{miss['title']}",
            highlight=False,
        )


@cli.command()
@click.argument("article", type=int)
@click.argument("judgement", type=click.Choice(["relevant", "irrelevant"]))
@pass_context
def feedback(ctx: Context, article: int, judgement: str) -> None:
    """Record that ARTICLE (an id from `watcher articles`) is relevant or irrelevant."""
    with open_store(ctx.config, sync=False) as store:
        if not store.article_exists(article):
            raise click.BadParameter(
                f"no article with id {article}; see `watcher articles`", param_hint="ARTICLE"
            )
        store.record_feedback(article, judgement == "relevant", utcnow())
        count = len(store.feedback())
    out.print(
        f"recorded: article {article} is {judgement} ({count} judgements in all); "
        "the model learns from it at the next start or poll, or run `watcher rescore`",
        highlight=False,
    )


@cli.command()
@click.option("--since", help="Only articles first seen since (YYYY-MM-DD or an age like 7d).")
@click.option("--dry-run", is_flag=True, help="Show what would change; store nothing.")
@json_option
@pass_context
def rescore(ctx: Context, since: str | None, dry_run: bool, as_json: bool) -> None:
    """Judge stored articles again after the seeds, topic or feedback changed."""
    from watcher.topic.relevance import rescore as run_rescore

    with open_store(ctx.config, sync=False) as store:
        changes, total = run_rescore(
            ctx.config, store, parse_since(since), dry_run=dry_run, now=utcnow()
        )
    if as_json:
        emit_json(
            {
                "rescored": total,
                "dry_run": dry_run,
                "now_relevant": [c.__dict__ for c in changes if c.now_relevant],
                "no_longer_relevant": [c.__dict__ for c in changes if not c.now_relevant],
            }
        )
        return
    verb = "would change" if dry_run else "changed"
    out.print(f"{total} articles rescored; {len(changes)} {verb}:", highlight=False)
    for c in changes:
        arrow = "now alerts" if c.now_relevant else "no longer alerts"
        before = "-" if c.before is None else f"{c.before:.3f}"
        out.print(f"  {arrow}: #{c.article_id} {before} → {c.after:.3f} {c.title}", highlight=False)


@cli.group(invoke_without_command=True)
@click.option("--dead", is_flag=True, help="Only dead letters (given up on).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@json_option
@click.pass_context
def outbox(click_ctx: click.Context, dead: bool, limit: int, as_json: bool) -> None:
    """List queued, sent and dead notifications; `outbox retry` re-queues dead ones."""
    if click_ctx.invoked_subcommand is not None:
        return
    ctx: Context = click_ctx.obj
    with open_store(ctx.config, sync=False) as store:
        items = store.outbox_items("dead" if dead else None, limit)
        summary = store.queue_summary()
    if as_json:
        emit_json(
            {
                **summary,
                "items": [
                    {
                        "id": i.id,
                        "subscriber": i.subscriber,
                        "channel": i.channel,
                        "kind": i.kind,
                        "subject": i.subject,
                        "status": i.status,
                        "attempts": i.attempts,
                        "next_attempt_at": i.next_attempt_at.isoformat(),
                        "last_error": i.last_error,
                        "created_at": i.created_at.isoformat(),
                        "sent_at": i.sent_at.isoformat() if i.sent_at else None,
                    }
                    for i in items
                ],
            }
        )
        return
    table = Table("id", "to", "kind", "status", "tries", "subject", "last error")
    for i in items:
        table.add_row(
            i.id, i.subscriber, i.kind, i.status, str(i.attempts), i.subject, i.last_error or ""
        )
    out.print(table)
    out.print(
        f"queue depth {summary['queue_depth']}, dead letters {summary['dead_letters']}, "
        f"sent {summary['sent']}",
        highlight=False,
    )


@outbox.command("retry")
@click.argument("message_id", required=False)
@click.option("--all-dead", is_flag=True, help="Re-queue every dead letter.")
@pass_context
def outbox_retry(ctx: Context, message_id: str | None, all_dead: bool) -> None:
    """Re-queue a dead message (by id), or all of them; they keep their ids."""
    if bool(message_id) == all_dead:
        raise click.UsageError("give a message id or --all-dead (one of them)")
    with open_store(ctx.config, sync=False) as store:
        count = store.requeue(None if all_dead else message_id, utcnow())
    if message_id and count == 0:
        raise click.BadParameter(
            f"no dead message with id {message_id}; see `watcher outbox --dead`",
            param_hint="MESSAGE_ID",
        )
    out.print(f"re-queued {count} message(s); the daemon sends them on its next tick")


@cli.command()
@click.option("--subscriber", "name", help="Only this digest subscriber.")
@click.option("--dry-run", is_flag=True, help="Print the digest; send and mark nothing.")
@pass_context
def digest(ctx: Context, name: str | None, dry_run: bool) -> None:
    """Build digests now (outside their schedule) and send them, or print with --dry-run."""
    from watcher.app import open_channels
    from watcher.deliver.worker import Deliverer
    from watcher.notify.digest import build_digest
    from watcher.notify.messages import make_renderer

    config = ctx.config
    chosen = (
        [config.subscriber(name)] if name else [s for s in config.subscribers if s.mode == "digest"]
    )
    if not chosen:
        raise click.UsageError('no digest subscribers are configured (mode = "digest")')
    model = _model_for(ctx)
    with open_store(config, sync=False) as store:
        renderer = make_renderer(config, model.topic.topic.name)
        messages = [build_digest(store, renderer, s, utcnow(), dry_run=dry_run) for s in chosen]
        for subscriber, message in zip(chosen, messages, strict=True):
            if message is None:
                out.print(f"{subscriber.name}: nothing new, no digest", highlight=False)
            elif dry_run:
                out.print(f"--- {subscriber.name}: {message.subject}", highlight=False)
                click.echo(message.body.decode("utf-8", errors="replace"))
        if not dry_run and any(messages):

            async def send() -> int:
                async with open_channels(config) as channels:
                    return await Deliverer(config, store, channels, utcnow).deliver_due()

            sent = asyncio.run(send())
            out.print(f"{sent} message(s) sent; anything that failed stays queued", highlight=False)


@cli.command("notify-test")
@click.argument("subscriber")
@pass_context
def notify_test(ctx: Context, subscriber: str) -> None:
    """Send a test message to SUBSCRIBER now and report the server's answer."""
    from watcher.app import open_channels
    from watcher.errors import DeliveryError
    from watcher.models import OutboxItem
    from watcher.notify.messages import make_renderer

    config = ctx.config
    target = config.subscriber(subscriber)
    now = utcnow()
    message = make_renderer(config, "watcher").notice(
        target, "test", "watcher test message", "If you can read this, delivery works.", now
    )
    item = OutboxItem(
        id=message.id,
        subscriber=target.name,
        channel=message.channel,
        kind="test",
        subject=message.subject,
        body=message.body,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )

    async def send() -> str:
        async with open_channels(config) as channels:
            return await channels[target.channel.type].send(item, target.channel)

    try:
        answer = asyncio.run(send())
    except DeliveryError as exc:
        err.print(f"[bold red]failed:[/] {exc}", highlight=False)
        raise SystemExit(1) from exc
    out.print(f"sent {item.id} to {target.name}: {answer}", highlight=False)


def main() -> None:
    cli(prog_name="watcher")
