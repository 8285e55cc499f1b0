"""The console's routes. Each one reads its input, calls the service layer, renders a page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from watcher.errors import InputError, NotFoundError
from watcher.services.judge import preview_judgement, record_judgement, stored_verdict
from watcher.services.matches import KNOWN, BadFilter, find_matches, parse_filter, query_string
from watcher.store.matches import MatchFilter, feed_names, judgement
from watcher.web import links, metrics, syndication
from watcher.web.security import CSP_PREVIEW, checked_form

if TYPE_CHECKING:
    from watcher.services.messages import Preview
    from watcher.web.app import Console

FEED_ITEMS = 50
OUTBOX_ROWS = 100
VERDICT_WORDS = {"relevant": True, "irrelevant": False, "undo": None}


def _console(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def _filter(request: Request, limit: int) -> MatchFilter:
    try:
        return parse_filter(dict(request.query_params), limit)
    except BadFilter as exc:
        raise HTTPException(400, str(exc)) from exc
    except ValueError as exc:  # a repeated or undecodable parameter
        raise HTTPException(400, f"bad query parameters: {exc}") from exc


def _article_id(request: Request) -> int:
    raw = request.path_params["article_id"]
    if not raw.isdigit() or len(raw) > 18:
        raise HTTPException(404, f"no article with id {raw[:40]!r}")
    return int(raw)


def _local(target: str | None, fallback: str) -> str:
    """Only a path on this console: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback


# matches ---------------------------------------------------------------------------------
async def matches_page(request: Request) -> Response:
    console = _console(request)
    query = _filter(request, 50)
    rows, next_cursor = find_matches(console.store, query)
    params = query_string(query)
    return console.page(
        request,
        "matches.html.j2",
        rows=rows,
        form={key: request.query_params.get(key, "") for key in KNOWN - {"after"}},
        next_url=_next_url(query, next_cursor),
        feed_query=urlencode(params),
        here=str(request.url.path) + ("?" + request.url.query if request.url.query else ""),
        choices=_choices(console),
    )


def _next_url(query: MatchFilter, cursor: int | None) -> str | None:
    return None if cursor is None else "/?" + urlencode(query_string(query, after=cursor))


def _choices(console: Console) -> dict[str, Any]:
    name, aspects = console.topic()
    return {"aspects": aspects, "feeds": feed_names(console.store.db), "topic": name}


def _feed_urls(request: Request) -> tuple[str, str]:
    base = _console(request).config.web.public_url or str(request.base_url).rstrip("/")
    query = ("?" + request.url.query) if request.url.query else ""
    return f"{base.rstrip('/')}{request.url.path}{query}", f"{base.rstrip('/')}/{query}"


async def matches_atom(request: Request) -> Response:
    console = _console(request)
    rows, _ = find_matches(console.store, _filter(request, FEED_ITEMS))
    self_url, home = _feed_urls(request)
    title = f"watcher: {console.topic()[0]}"
    body = syndication.atom(rows, title, self_url, home, console.clock())
    return Response(body, media_type="application/atom+xml; charset=utf-8")


async def matches_json(request: Request) -> Response:
    console = _console(request)
    rows, _ = find_matches(console.store, _filter(request, FEED_ITEMS))
    self_url, home = _feed_urls(request)
    title = f"watcher: {console.topic()[0]}"
    body = syndication.json_feed(rows, title, self_url, home)
    return Response(body, media_type="application/feed+json; charset=utf-8")


# one article -------------------------------------------------------------------------------
async def article_page(request: Request) -> Response:
    console = _console(request)
    article_id = _article_id(request)
    found = console.store.articles([article_id])
    if not found:
        raise HTTPException(404, f"no article with id {article_id}")
    verdict = stored_verdict(console.store, article_id)
    return console.page(
        request,
        "article.html.j2",
        article=found[0],
        verdict=verdict,
        explanation=verdict.explanation if verdict else {},
        judged=judgement(console.store.db, article_id),
        changed=request.query_params.get("judged"),
    )


async def judge_article(request: Request) -> Response:
    console = _console(request)
    article_id = _article_id(request)
    form = await checked_form(request)
    word = str(form.get("verdict", ""))
    if word not in VERDICT_WORDS:
        raise HTTPException(400, "verdict must be relevant, irrelevant or undo")
    try:
        record_judgement(
            console.config, console.store, article_id, VERDICT_WORDS[word], console.clock()
        )
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from exc
    target = _local(str(form.get("next") or ""), f"/article/{article_id}?judged={word}")
    return RedirectResponse(target, status_code=303)


async def preview_page(request: Request) -> Response:
    console = _console(request)
    article_id = _article_id(request)
    word = request.query_params.get("verdict", "")
    if word not in ("relevant", "irrelevant"):
        raise HTTPException(400, "verdict must be relevant or irrelevant")
    try:
        flips = preview_judgement(
            console.config, console.store, article_id, word == "relevant", console.clock()
        )
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from exc
    article = console.store.articles([article_id])[0]
    return console.page(request, "preview.html.j2", article=article, verdict=word, flips=flips)


# signed judgement links ----------------------------------------------------------------------
def _link(request: Request) -> links.Judgement:
    console = _console(request)
    if console.link_key is None:
        raise HTTPException(404, "judgement links are off; set [web] public_url and secret_env")
    try:
        return links.verify(console.link_key, request.path_params["token"], console.clock())
    except links.BadLink as exc:
        raise HTTPException(400, str(exc)) from exc


async def link_page(request: Request) -> Response:
    console = _console(request)
    judged = _link(request)
    found = console.store.articles([judged.article_id])
    if not found:
        raise HTTPException(404, f"no article with id {judged.article_id}")
    return console.page(request, "confirm.html.j2", judged=judged, article=found[0], done=None)


async def link_confirm(request: Request) -> Response:
    console = _console(request)
    judged = _link(request)
    await checked_form(request)
    try:
        verdict = record_judgement(
            console.config, console.store, judged.article_id, judged.relevant, console.clock()
        )
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from exc
    article = console.store.articles([judged.article_id])[0]
    return console.page(request, "confirm.html.j2", judged=judged, article=article, done=verdict)


# feeds, outbox, subscribers -------------------------------------------------------------------
async def feeds_page(request: Request) -> Response:
    from watcher.services.status import status

    console = _console(request)
    return console.page(request, "feeds.html.j2", report=status(console.store))


async def feeds_opml(request: Request) -> Response:
    from watcher.sources import feed_sources, write_opml

    document = write_opml(feed_sources(_console(request).config))
    return Response(
        document,
        media_type="text/x-opml; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="watcher-feeds.opml"'},
    )


async def outbox_page(request: Request) -> Response:
    from watcher.services.outbox import list_outbox

    console = _console(request)
    dead = list_outbox(console.store, dead_only=True, limit=OUTBOX_ROWS)
    return console.page(
        request,
        "outbox.html.j2",
        listing=dead,
        pending=console.store.outbox_items("pending", OUTBOX_ROWS),
        dead=dead.items,
        retried=request.query_params.get("retried"),
    )


async def outbox_retry(request: Request) -> Response:
    console = _console(request)
    form = await checked_form(request)
    from watcher.services.outbox import retry

    message_id = str(form.get("id") or "") or None
    if message_id is None and form.get("all") != "1":
        raise HTTPException(400, "name a message id, or retry all dead letters")
    try:
        count = retry(console.store, message_id, console.clock())
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from exc
    except InputError as exc:
        raise HTTPException(400, str(exc)) from exc
    return RedirectResponse(f"/outbox?retried={count}", status_code=303)


async def subscribers_page(request: Request) -> Response:
    from watcher.services.subscribers import describe_channel

    console = _console(request)
    return console.page(
        request,
        "subscribers.html.j2",
        subscribers=console.config.subscribers,
        channels={s.name: describe_channel(s) for s in console.config.subscribers},
        disabled=console.store.disabled_subscribers(),
        threshold=console.config.topic.threshold,
    )


def _subscriber(request: Request) -> Any:
    name = request.path_params["name"]
    for subscriber in _console(request).config.subscribers:
        if subscriber.name == name:
            return subscriber
    raise HTTPException(404, f"no subscriber named {name[:80]!r}")


def _preview(console: Console, name: str, kind: str) -> Preview:
    from watcher.services.judging import current_model
    from watcher.services.messages import preview_alert, preview_digest

    config, store, now = console.config, console.store, console.clock()
    if kind == "digest":
        return preview_digest(config, store, name, now)
    return preview_alert(config, store, current_model(config), name, None, now)


async def subscriber_page(request: Request) -> Response:
    console = _console(request)
    subscriber = _subscriber(request)
    previews = {kind: _preview(console, subscriber.name, kind) for kind in ("alert", "digest")}
    return console.page(request, "subscriber.html.j2", subscriber=subscriber, previews=previews)


async def subscriber_frame(request: Request) -> Response:
    """The HTML of an email preview, for a sandboxed frame: its own, looser-on-style policy."""
    from watcher.services.subscribers import email_html

    console = _console(request)
    subscriber = _subscriber(request)
    kind = request.path_params["kind"]
    if kind not in ("alert", "digest"):
        raise HTTPException(404, "previews exist for alert and digest")
    preview = _preview(console, subscriber.name, kind)
    html = email_html(preview.body) if preview.channel == "email" else None
    if html is None:
        raise HTTPException(404, f"no HTML {kind} to preview for {subscriber.name}")
    headers = {"Content-Security-Policy": CSP_PREVIEW, "X-Frame-Options": "SAMEORIGIN"}
    return Response(html, media_type="text/html; charset=utf-8", headers=headers)


# operations ------------------------------------------------------------------------------------
async def metrics_page(request: Request) -> Response:
    console = _console(request)
    return Response(
        metrics.render(console.store, console.clock),
        media_type="text/plain; version=0.0.4; charset=utf-8",
    )


async def healthz(request: Request) -> Response:
    from watcher.services.health import check

    console = _console(request)
    report = check(console.store, console.clock())
    return JSONResponse(report.as_dict(), status_code=200 if report.healthy else 503)


async def robots(_request: Request) -> Response:
    return PlainTextResponse("User-agent: *\nDisallow: /\n")


def routes() -> list[BaseRoute]:
    get, post = ["GET", "HEAD"], ["POST"]
    return [
        Route("/", matches_page, methods=get),
        Route("/matches.atom", matches_atom, methods=get),
        Route("/matches.json", matches_json, methods=get),
        Route("/article/{article_id}", article_page, methods=get),
        Route("/article/{article_id}/judge", judge_article, methods=post),
        Route("/article/{article_id}/preview", preview_page, methods=get),
        Route("/j/{token}", link_page, methods=get),
        Route("/j/{token}", link_confirm, methods=post),
        Route("/feeds", feeds_page, methods=get),
        Route("/feeds.opml", feeds_opml, methods=get),
        Route("/outbox", outbox_page, methods=get),
        Route("/outbox/retry", outbox_retry, methods=post),
        Route("/subscribers", subscribers_page, methods=get),
        Route("/subscribers/{name}", subscriber_page, methods=get),
        Route("/subscribers/{name}/{kind}.html", subscriber_frame, methods=get),
        Route("/metrics", metrics_page, methods=get),
        Route("/healthz", healthz, methods=get),
        Route("/robots.txt", robots, methods=get),
    ]
