"""The command line: parses arguments, calls the service layer, prints. No logic lives here.

Start-up time matters here (`watcher --help`, `watcher status`): this module imports only
click at load time; every command imports what it needs when it runs.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from watcher.errors import ConfigError, InputError, WatcherError

if TYPE_CHECKING:
    from watcher.config import Config
    from watcher.models import PollReport
    from watcher.services.messages import Preview
    from watcher.topic import RelevanceModel

F = TypeVar("F", bound=Callable[..., Any])

USAGE_ERRORS = (ConfigError, InputError)


def utcnow() -> datetime:
    return datetime.now(UTC)


# output -------------------------------------------------------------------------------------
def say(text: str) -> None:
    click.echo(text)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    from watcher.display import table

    click.echo(table(headers, rows))


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(
        func
    )


def emit_json(data: Any) -> None:
    from watcher.display import plain

    click.echo(json.dumps(plain(data), ensure_ascii=False, indent=2))


def fail(message: str, code: int = 1) -> None:
    """One line on stderr per line of the message, then exit with `code`."""
    for line in message.splitlines() or [""]:
        click.echo(f"{click.style('error:', fg='red', bold=True)} {line}", err=True)
    raise SystemExit(code)


def parse_since(value: str | None) -> datetime | None:
    """An ISO date or datetime, or an age such as '7d' or '12h'."""
    if value is None:
        return None
    if re.fullmatch(r"\s*\d+(\.\d+)?\s*[smhdw]\s*", value):
        from watcher.config import parse_duration

        return utcnow() - timedelta(seconds=parse_duration(value))
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(
            f"{value!r} is not a date; use YYYY-MM-DD, an ISO datetime or an age like '7d'"
        ) from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


# context ------------------------------------------------------------------------------------
class Context:
    def __init__(self, config_path: Path | None, log_level: str) -> None:
        self.config_path = config_path
        self.log_level = log_level
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            from watcher.config import load_config
            from watcher.logs import setup_logging

            self._config = load_config(self.config_path)
            setup_logging(self.log_level, secrets=_secret_values(self._config))
        return self._config


def _secret_values(config: Config) -> list[str]:
    if not config.subscribers and not config.smtp.password_env:
        return []  # and the channels need not be imported
    from watcher.deliver.registry import secret_values

    return secret_values(config)


pass_context = click.make_pass_decorator(Context)


class WatcherGroup(click.Group):
    """Turns WatcherError and Click's usage errors into one clear line per problem on stderr:
    exit 2 for a bad setup or argument, 1 for a failure."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "watcher"
            fail(f"{exc.format_message()} (see `{where} --help`)", exc.exit_code)
        except click.ClickException as exc:
            fail(exc.format_message(), exc.exit_code)
        except click.Abort:
            fail("interrupted", 130)
        raise SystemExit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except WatcherError as exc:
            fail(str(exc), 2 if isinstance(exc, USAGE_ERRORS) else 1)


@click.group(cls=WatcherGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="WATCHER_CONFIG",
    help="Config file (default: ./watcher.toml, else config/watcher.toml; env WATCHER_CONFIG).",
)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    default="INFO",
    show_default=True,
    help="How much to log on stderr.",
)
@click.version_option(package_name="watcher", prog_name="watcher")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, log_level: str) -> None:
    """Watch news feeds for one topic and alert people when something relevant appears."""
    ctx.obj = Context(config_path, log_level.upper())


# set-up -------------------------------------------------------------------------------------
@cli.command()
@click.argument(
    "directory", required=False, default=".", type=click.Path(file_okay=False, path_type=Path)
)
@click.option("--force", is_flag=True, help="Overwrite an existing watcher.toml.")
@click.option(
    "--topic",
    "with_topic",
    is_flag=True,
    help="Also copy the shipped topic file and seeds into DIRECTORY, to edit for another topic.",
)
def init(directory: Path, force: bool, with_topic: bool) -> None:
    """Write a commented starter config, DIRECTORY/watcher.toml, and say what to do next."""
    from watcher.services.starter import copy_topic, starter_text

    target = directory / "watcher.toml"
    if target.exists() and not force:
        raise InputError(f"{target} already exists; edit it, or pass --force to overwrite it")
    text = starter_text(with_topic)
    directory.mkdir(parents=True, exist_ok=True)
    if with_topic:
        topic, seeds = copy_topic(directory)
        say(f"copied the shipped topic to {topic} and its seed articles to {seeds}/")
        say(f"  for another topic: edit {topic.name}, replace the seed articles (seeds/*.txt)")
        say("  and delete or rewrite the labelled examples (seeds/*.jsonl)")
    target.write_text(text, "utf-8")
    option = "" if target == Path("watcher.toml") else f" --config {target}"
    say(f"wrote {target}")
    say("next:")
    say("  1. edit it: add your feeds, and a subscriber so that alerts go somewhere")
    say(f"  2. try a feed:  watcher{option} feeds check URL")
    say(f"  3. poll once:   watcher{option} poll")
    say(f"  4. start:       watcher{option} run   (or see contrib/watcher.service for systemd)")


# daemon and polling -------------------------------------------------------------------------
@cli.command()
@pass_context
def run(ctx: Context) -> None:
    """Run the daemon: poll due feeds, classify, alert; stop with Ctrl-C or SIGTERM."""
    config = ctx.config
    from watcher.interrupt import interruptible_loading

    try:
        with interruptible_loading():
            from watcher.services.setup import check_startup

            check_startup(config)
            from watcher.app import run_daemon

            run_daemon(config)
    except KeyboardInterrupt:  # before the daemon's own handler is in place
        click.echo("stopped before the daemon was ready", err=True)


def _poll_summary(reports: Sequence[PollReport]) -> dict[str, int]:
    from watcher.models import Outcome

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
    from watcher.app import poll_once
    from watcher.models import Outcome
    from watcher.services.setup import check_startup

    check_startup(config)
    if as_json or not sys.stderr.isatty():
        reports = poll_once(config, everything=everything)
    else:
        from rich.console import Console
        from rich.progress import Progress

        with Progress(console=Console(stderr=True), transient=True) as progress:
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
    ordered = sorted(reports, key=lambda r: (r.outcome == Outcome.NEW_CONTENT, r.name))
    print_table(
        ("feed", "outcome", "entries", "new", "message"),
        [
            (r.name, r.outcome.value, str(r.entries), str(r.new_articles), r.message or "")
            for r in ordered
        ],
    )
    from watcher.display import counted

    say(
        f"{counted(summary['feeds_polled'], 'feed')} polled: {summary['updated']} updated, "
        f"{summary['not_modified']} not modified, {summary['failed']} failed; "
        f"{counted(summary['new_articles'], 'new article')}"
    )


# feeds --------------------------------------------------------------------------------------
@cli.group()
def feeds() -> None:
    """List, export and check the configured feeds."""


@feeds.command("list")
@json_option
@pass_context
def feeds_list(ctx: Context, as_json: bool) -> None:
    """List the feeds from the config and its OPML file."""
    from watcher.display import duration
    from watcher.sources import feed_sources

    sources = feed_sources(ctx.config)
    if as_json:
        emit_json([{"name": s.name, "url": s.url, "interval": s.interval} for s in sources])
        return
    print_table(
        ("name", "url", "interval"), [(s.name, s.url, duration(s.interval)) for s in sources]
    )


@feeds.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File.")
@pass_context
def feeds_export(ctx: Context, output: Path | None) -> None:
    """Write the feeds as OPML 2.0 (to stdout, or to --output)."""
    from watcher.sources import feed_sources, write_opml

    document = write_opml(feed_sources(ctx.config))
    if output is None:
        click.echo(document, nl=False)
    else:
        output.write_text(document, encoding="utf-8")


@feeds.command("check")
@click.argument("url")
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True)
@click.option("--enrich", is_flag=True, help="Also read each sampled entry's article page.")
@json_option
@pass_context
def feeds_check(ctx: Context, url: str, limit: int, enrich: bool, as_json: bool) -> None:
    """Fetch URL once and show each entry with its verdict, storing nothing.

    Exits 1 when the feed cannot be fetched or read as a feed."""
    import asyncio

    from watcher.config import check_http_url
    from watcher.services.feeds import check_feed

    try:
        url = check_http_url(url)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="URL") from exc
    config = ctx.config
    report = asyncio.run(check_feed(config, url, _model(ctx), utcnow(), limit, enrich=enrich))
    if as_json:
        emit_json({**_plain(report), "ok": report.ok})
    else:
        # No status when the reply was refused or never came; the message then says which.
        status = f"HTTP {report.http_status}, " if report.http_status else ""
        detail = f": {report.message}" if report.message else ""
        say(f"{report.url} → {status}{report.outcome.value}{detail}")
        if report.ok:
            say(
                f"{report.format}: {report.title or '(untitled)'}; {report.total_entries} "
                f"entries, {report.relevant} of the first {len(report.entries)} would alert"
            )
            if report.warning:
                say(f"warning: {report.warning}")
            print_table(
                ("verdict", "score", "published", "title", "aspects"),
                [
                    (
                        "relevant" if e.relevant else "-",
                        f"{e.score:.2f}",
                        _time(e.published),
                        e.title,
                        ", ".join(e.aspects),
                    )
                    for e in report.entries
                ],
            )
            for e in report.entries if enrich else ():
                _print_page(e.title, e.page or {})
    if not report.ok:
        raise SystemExit(1)


def _print_page(title: str, page: dict[str, Any]) -> None:
    before, after = page["score_on_feed_text"], page["score_on_page"]
    moved = f"score {before:.3f} → {after:.3f}" if after is not None else f"score {before:.3f}"
    say(f"{title}: page {page['outcome']}, {moved}")
    if page["reason"]:
        say(f"  {page['reason']}")
    for key in ("final_url", "canonical_url", "title", "published", "language", "characters"):
        if page[key]:
            say(f"  {key.replace('_', ' ')}: {page[key]}")
    if page["lead"]:
        say(f"  lead: {page['lead']}")


def _plain(record: Any) -> Any:
    from watcher.display import plain

    return plain(record)


def _time(moment: datetime | None) -> str:
    from watcher.display import local_time

    return local_time(moment) or "-"


# looking at what is stored ------------------------------------------------------------------
@cli.command()
@json_option
@pass_context
def status(ctx: Context, as_json: bool) -> None:
    """Per-feed health: last success, errors, next poll, articles. Writes nothing."""
    from watcher.display import ago, due
    from watcher.services.database import open_store
    from watcher.services.status import status as read_status

    with open_store(ctx.config, sync=False, readonly=True) as store:
        report = read_status(store)
    if as_json:
        emit_json(report)
        return
    now = utcnow()
    print_table(
        (
            "feed",
            "status",
            "last success",
            "errors",
            "last error",
            "next poll",
            "articles",
            "pages",
        ),
        [
            (
                f.name,
                f.state,
                ago(
                    f.last_success_at,
                    now,
                    never="never polled" if not f.last_polled_at else "never",
                ),
                str(f.error_count),
                f.last_error or "",
                due(f.next_poll_at, now),
                str(f.articles),
                _pages(f.pages),
            )
            for f in report.feeds
        ],
    )
    if not report.feeds:
        say("no feeds in the database yet: run `watcher poll` or `watcher run`")
    refusals: dict[str, list[str]] = {}
    for f in report.feeds:
        if f.pages and f.pages["pages_refused"]:
            refusals.setdefault(str(f.pages["page_refusal"]), []).append(f.name)
    for reason, names in refusals.items():  # once each, not on every row of the table
        say(f"pages refused for {', '.join(names)}: {reason}")
    say(
        f"articles: {report.articles}; outbox: {report.queue_depth} queued, "
        f"{report.dead_letters} dead, {report.sent} sent"
    )
    if report.database:
        say(f"database: {report.database}")
    pages = report.pages
    say(
        f"article pages: {pages.get('pages_fetched', 0)} fetched ({pages.get('pages_read', 0)} "
        f"read), {pages.get('pages_failed', 0)} failed, {pages.get('pages_refused', 0)} refused, "
        f"{pages.get('pages_skipped', 0)} not read for the budget"
    )


def _pages(mark: dict[str, Any] | None) -> str:
    if not mark:
        return ""
    text = f"{mark['pages_read']} read, {mark['pages_failed']} failed"
    if mark["pages_refused"]:
        text += f", {mark['pages_refused']} refused (why: below)"
    return text


@cli.command()
@click.option("--search", "text", help="Full-text search in titles and text (plain words).")
@click.option("--since", help="Only articles published since (YYYY-MM-DD or an age like 7d).")
@click.option("--relevant", "relevance", flag_value="yes", help="Only relevant articles.")
@click.option("--irrelevant", "relevance", flag_value="no", help="Only articles judged not.")
@click.option("--aspect", help="Only articles with this aspect of the topic.")
@click.option("--language", help="Only articles in this language (ISO 639-1, e.g. en).")
@click.option("--feed", help="Only articles from this feed (name or URL).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@json_option
@pass_context
def articles(
    ctx: Context,
    text: str | None,
    since: str | None,
    relevance: str | None,
    aspect: str | None,
    language: str | None,
    feed: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List stored articles, newest first, with their scores and verdicts."""
    from watcher.models import ArticleFilter
    from watcher.services.articles import check_feed, check_language, list_articles
    from watcher.services.database import open_store

    wanted = ArticleFilter(
        search=text,
        since=parse_since(since),
        relevant=None if relevance is None else relevance == "yes",
        aspect=aspect,
        language=check_language(language) if language else None,
        feed=feed,
        limit=limit,
    )
    config = ctx.config
    if aspect:
        _check_aspect(config, aspect)
    with open_store(config, sync=False, readonly=True) as store:
        if feed:
            check_feed(store, feed)
        found = list_articles(store, wanted)
    if as_json:
        emit_json(found)
        return
    print_table(
        ("id", "published", "feed", "score", "verdict", "title"),
        [
            (
                str(a.id),
                _time(a.published),
                a.feed_name,
                "" if a.score is None else f"{a.score:.2f}",
                "unjudged" if a.relevant is None else ("relevant" if a.relevant else "-"),
                a.title,
            )
            for a in found
        ],
    )


def _check_aspect(config: Config, aspect: str) -> None:
    from watcher.topic.definition import load_topic

    known = [a.name for a in load_topic(config.topic_file).aspects]
    if aspect not in known:
        raise InputError(f"the topic has no aspect {aspect!r}; known: {', '.join(known)}")


# judging ------------------------------------------------------------------------------------
def _model(ctx: Context) -> RelevanceModel:
    from watcher.services.judging import current_model

    return current_model(ctx.config)


def _print_verdict(verdict: Any, title: str) -> None:
    mark = click.style(verdict.label, fg="green" if verdict.relevant else "red", bold=True)
    say(f"{mark} score {verdict.score:.3f}  {title}")
    exp = verdict.explanation
    say(f"  language: {verdict.language or 'unknown'}")
    if verdict.aspects:
        say(f"  aspects: {', '.join(verdict.aspects)}")
    for name, terms in exp["entities"].items():
        say(f"  {name}: {', '.join(terms)}")
    for key in ("instrument", "anchors", "qualifiers", "attributes", "events"):
        if exp.get(key):
            say(f"  {key}: {', '.join(exp[key])}")
    say(f"  nearest seed: {exp['nearest_seed']} (similarity {exp['seed_similarity']})")
    for reason in exp.get("pushed_up_by", []):
        say(f"  pushed up by: {reason}")
    for reason in exp["pushed_down_by"]:
        say(f"  pushed down by: {reason}")
    for note in exp["notes"]:
        say(f"  note: {note}")


def _read_text(source: Any) -> str:
    """The whole input as text; input that is not UTF-8 is a usage error naming the line."""
    data: bytes = source.read()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{source.name}:{line}: not UTF-8 (bad byte at offset {exc.start}); save it as UTF-8"
        ) from exc


@cli.command()
@click.argument("source", required=False, type=click.File("rb"))
@click.option("--title", help="The headline (default: the first line of the text).")
@json_option
@pass_context
def classify(ctx: Context, source: Any, title: str | None, as_json: bool) -> None:
    """Judge one article (FILE, or - for stdin) and explain the verdict."""
    text = _read_text(source) if source is not None else ""
    if title is None:
        title, _, text = text.strip().partition("\n")
    if not title and not text.strip():
        raise InputError("nothing to classify: give FILE, - for stdin, or --title")
    verdict = _model(ctx).classify(title, text)
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
    from watcher.topic.evaluate import evaluate, judged_by, load_records

    records = load_records(path)
    if not any(r.label is not None for r in records):
        raise ConfigError(f"{path}: no labelled records (label 1 or 0); nothing to score")
    report = evaluate(records, judged_by(_model(ctx))).as_dict()
    if as_json:
        emit_json(report)
        return
    c = report["confusion"]
    say(
        f"precision {report['precision']:.3f}  recall {report['recall']:.3f}  "
        f"F1 {report['f1']:.3f}  (skipped {report['skipped']} unlabelled)"
    )
    say(f"confusion: tp {c['tp']}  fp {c['fp']}  tn {c['tn']}  fn {c['fn']}")
    if report["non_english_recall"] is not None:
        say(
            f"non-English recall {report['non_english_recall']:.3f} "
            f"(of {report['non_english_relevant']} relevant)"
        )
    if report["hard_negatives_flagged"] is not None:
        say(
            f"hard negatives flagged {report['hard_negatives_flagged']:.1%} "
            f"(of {report['hard_negatives']})"
        )
    for heading in ("groups", "languages"):
        print_table(
            (heading[:-1], "correct", "total", "accuracy"),
            [
                (key, str(row["correct"]), str(row["total"]), f"{row['accuracy']:.2f}")
                for key, row in report[heading].items()
            ],
        )
    for miss in report["misclassified"]:
        say(
            f"misclassified {miss['id']}: label {miss['label']} score {miss['score']:.3f} "
            f"{miss['title']}"
        )


@cli.command()
@click.argument("article", type=int, required=False)
@click.argument("judgement", type=click.Choice(["relevant", "irrelevant"]), required=False)
@click.option("--clear", is_flag=True, help="Take back the judgement on ARTICLE.")
@click.option("--list", "list_all", is_flag=True, help="List every judgement.")
@json_option
@pass_context
def feedback(
    ctx: Context,
    article: int | None,
    judgement: str | None,
    clear: bool,
    list_all: bool,
    as_json: bool,
) -> None:
    """Record that ARTICLE (an id from `watcher articles`) is relevant or irrelevant.

    A judgement moves only the verdicts of articles much like the judged one, and by a
    bounded amount; the explanation of each verdict it moved says so.
    """
    from watcher.services.database import open_store
    from watcher.services.judging import clear_feedback, list_feedback, record_feedback

    if list_all:
        if article is not None or clear:
            raise InputError("--list takes no ARTICLE and no --clear")
        with open_store(ctx.config, sync=False) as store:
            judgements = list_feedback(store)
        if as_json:
            emit_json(judgements)
        elif not judgements:
            say("no judgements yet; record one with `watcher feedback ID relevant`")
        else:
            print_table(
                ("article", "judgement", "at", "title"),
                [(str(j.article), j.judgement, j.at[:16], j.title) for j in judgements],
            )
        return
    if article is None or (judgement is None) != clear:
        raise InputError("give ARTICLE and relevant|irrelevant, or ARTICLE --clear, or --list")
    with open_store(ctx.config, sync=False) as store:
        if clear:
            count = clear_feedback(store, article)
            message = f"cleared: the judgement on article {article} is taken back"
        else:
            count = record_feedback(store, article, judgement == "relevant", utcnow())
            message = f"recorded: article {article} is {judgement}"
    from watcher.display import counted

    say(
        f"{message} ({counted(count, 'judgement')} in all); the model learns from it at the "
        "next start or poll, or run `watcher rescore`"
    )


@cli.command()
@click.option("--since", help="Only articles first seen since (YYYY-MM-DD or an age like 7d).")
@click.option("--dry-run", is_flag=True, help="Show what would change; store nothing.")
@json_option
@pass_context
def rescore(ctx: Context, since: str | None, dry_run: bool, as_json: bool) -> None:
    """Judge stored articles again after the seeds, topic or feedback changed."""
    from watcher.services.database import open_store
    from watcher.services.judging import rescore as judge_again

    with open_store(ctx.config, sync=False) as store:
        result = judge_again(ctx.config, store, parse_since(since), dry_run=dry_run, now=utcnow())
    changes = result.changes
    if as_json:
        emit_json(
            {
                "rescored": result.rescored,
                "dry_run": dry_run,
                "now_relevant": [c for c in changes if c.now_relevant],
                "no_longer_relevant": [c for c in changes if not c.now_relevant],
            }
        )
        return
    from watcher.display import counted

    verb = "would change" if dry_run else "changed"
    listed = ":" if changes else ""
    say(f"{counted(result.rescored, 'article')} rescored; {len(changes)} {verb}{listed}")
    for c in changes:
        arrow = "now alerts" if c.now_relevant else "no longer alerts"
        before = "-" if c.before is None else f"{c.before:.3f}"
        say(f"  {arrow}: #{c.article_id} {before} → {c.after:.3f} {c.title}")


# notifications ------------------------------------------------------------------------------
@cli.group(invoke_without_command=True)
@click.option("--dead", is_flag=True, help="Only dead letters (given up on).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@json_option
@click.pass_context
def outbox(click_ctx: click.Context, dead: bool, limit: int, as_json: bool) -> None:
    """List queued, sent and dead notifications; `outbox retry` re-queues dead ones."""
    if click_ctx.invoked_subcommand is not None:
        return
    from watcher.display import ago
    from watcher.services.database import open_store
    from watcher.services.outbox import list_outbox

    ctx: Context = click_ctx.obj
    with open_store(ctx.config, sync=False, readonly=True) as store:
        listing = list_outbox(store, dead_only=dead, limit=limit)
    if as_json:
        emit_json({**_plain(listing), "items": [_outbox_json(i) for i in listing.items]})
        return
    now = utcnow()
    print_table(
        ("id", "to", "kind", "status", "tries", "when", "subject", "last error"),
        [
            (
                i.id,
                i.subscriber,
                i.kind,
                i.status,
                str(i.attempts),
                ago(i.sent_at or i.next_attempt_at if i.status != "dead" else i.created_at, now),
                i.subject,
                i.last_error or "",
            )
            for i in listing.items
        ],
    )
    say(
        f"queue depth {listing.queue_depth}, dead letters {listing.dead_letters}, "
        f"sent {listing.sent}; `watcher outbox retry ID` takes an id or its first characters"
    )


def _outbox_json(item: Any) -> dict[str, Any]:
    data: dict[str, Any] = _plain(item)
    data.pop("body")
    return data


@outbox.command("retry")
@click.argument("message_id", required=False)
@click.option("--all-dead", is_flag=True, help="Re-queue every dead letter.")
@pass_context
def outbox_retry(ctx: Context, message_id: str | None, all_dead: bool) -> None:
    """Re-queue a dead message (by id, or the first characters of it), or all of them; they
    keep their ids."""
    from watcher.display import counted
    from watcher.services.database import open_store
    from watcher.services.outbox import retry

    if bool(message_id) == all_dead:
        raise click.UsageError("give a message id or --all-dead (one of them)")
    with open_store(ctx.config, sync=False) as store:
        count = retry(store, None if all_dead else message_id, utcnow())
    say(f"re-queued {counted(count, 'message')}; the daemon sends them on its next tick")


@cli.command()
@click.option("--subscriber", "name", help="Only this digest subscriber.")
@click.option("--dry-run", is_flag=True, help="Print the digest; send and mark nothing.")
@pass_context
def digest(ctx: Context, name: str | None, dry_run: bool) -> None:
    """Build digests now (outside their schedule) and send them, or print with --dry-run."""
    import asyncio
    from contextlib import nullcontext

    from watcher.display import counted
    from watcher.services.database import open_store, unless_daemon
    from watcher.services.messages import readable, run_digests, send_queued

    config = ctx.config
    sending = nullcontext(False) if dry_run else unless_daemon(config)
    with sending as may_send, open_store(config, sync=False) as store:
        runs = run_digests(config, store, name, utcnow(), dry_run=dry_run)
        for done in runs:
            if done.message is None:
                say(f"{done.subscriber}: nothing new, no digest")
            elif dry_run:
                say(f"--- digest for {done.subscriber} ({done.message.channel})")
                click.echo(readable(done.message))
        if not dry_run and any(r.message for r in runs):
            if not may_send:
                say("queued; the running daemon sends it at its next tick")
                return
            sent = asyncio.run(send_queued(config, store, utcnow()))
            say(f"{counted(sent, 'message')} sent; anything that failed stays queued")


@cli.command()
@click.argument("subscriber")
@click.argument("article", required=False, type=int)
@click.option("--digest", "as_digest", is_flag=True, help="Preview the next digest instead.")
@click.option("--raw", is_flag=True, help="Print the exact bytes that would be sent.")
@pass_context
def preview(ctx: Context, subscriber: str, article: int | None, as_digest: bool, raw: bool) -> None:
    """Show what SUBSCRIBER would receive for ARTICLE (default: the newest relevant one), or
    their next digest; nothing is sent or stored."""
    from watcher.services.database import open_store
    from watcher.services.messages import preview_alert, preview_digest

    config = ctx.config
    config.subscriber(subscriber)  # an unknown name fails before the model is built
    now = utcnow()
    shown: Preview
    if as_digest:
        with open_store(config, sync=False, readonly=True) as store:
            shown = preview_digest(config, store, subscriber, now)
    elif config.database.exists():
        model = _model(ctx)
        with open_store(config, sync=False, readonly=True) as store:
            shown = preview_alert(config, store, model, subscriber, article, now)
    else:
        if article is not None:
            raise InputError("no database yet, so no stored article; run `watcher poll` first")
        shown = preview_alert(config, None, _model(ctx), subscriber, None, now)
    if raw:
        click.echo(shown.body.decode("utf-8", errors="replace"))
        return
    say(f"--- {shown.kind} for {shown.subscriber} ({shown.channel})")
    if shown.left_out:
        say(f"(not sent to {shown.subscriber}: {shown.left_out})")
    click.echo(shown.text)


@cli.command("notify-test")
@click.argument("subscriber")
@pass_context
def notify_test(ctx: Context, subscriber: str) -> None:
    """Send SUBSCRIBER a sample alert now and report the server's answer."""
    import asyncio

    from watcher.errors import DeliveryError
    from watcher.services.messages import send_test

    config = ctx.config
    config.subscriber(subscriber)
    try:
        done = asyncio.run(send_test(config, _model(ctx), subscriber, utcnow()))
    except DeliveryError as exc:
        fail(f"sending to {subscriber} failed: {exc}")
        return
    say(f"sent a sample alert ({done.message_id}) to {done.subscriber}: {done.answer}")


@cli.command()
@click.option("--listen", help="HOST:PORT to listen on (default: [web] listen).")
@click.option(
    "--hash-password",
    is_flag=True,
    help="Ask for a password, print its hash for [web] password_hash_env, and exit.",
)
@click.pass_context
def serve(click_ctx: click.Context, listen: str | None, hash_password: bool) -> None:
    """Serve the web console on the database (beside a running daemon, or alone)."""
    from watcher.config import listen_address
    from watcher.web.security import hash_password as make_hash

    if hash_password:
        stdin = sys.stdin
        if stdin.isatty():
            password = click.prompt("password", hide_input=True, confirmation_prompt=True, err=True)
        else:  # piped by a script or a secrets tool: one line, no confirmation to type
            password = stdin.readline().rstrip("\r\n")
            if not password:
                raise InputError("no password on standard input; pipe one line, or use a terminal")
        click.echo(make_hash(password))
        return
    ctx: Context = click_ctx.obj
    config = ctx.config
    address = listen or config.web.listen
    try:
        listen_address(address)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--listen") from exc
    from watcher.web.serve import console_app
    from watcher.web.serve import serve as run_console

    run_console(console_app(config, utcnow, address), address)


def main() -> None:
    cli(prog_name="watcher")
