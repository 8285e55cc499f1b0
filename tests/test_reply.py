"""Table test: what each HTTP reply means for the poller, with the rule it follows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from watcher.models import Outcome
from watcher.reply import read_reply

NOW = datetime(2025, 1, 17, 12, 0, tzinfo=UTC)

CASES = [
    # (rule, status, headers, outcome, retry_after, freshness, save_validators)
    (
        "RFC 9110 §15.3.1 200 carries a new representation",
        200,
        {},
        Outcome.NEW_CONTENT,
        None,
        None,
        True,
    ),
    (
        "RFC 9110 §15.4.5 304: nothing changed, keep the old validators",
        304,
        {},
        Outcome.NOT_MODIFIED,
        None,
        None,
        False,
    ),
    ("RFC 9110 §15.5.11 410: gone for good", 410, {}, Outcome.GONE, None, None, False),
    (
        "RFC 9110 §10.2.3 Retry-After in seconds",
        429,
        {"retry-after": "120"},
        Outcome.RATE_LIMITED,
        120.0,
        None,
        False,
    ),
    (
        "RFC 9110 §10.2.3 Retry-After as an HTTP-date",
        503,
        {"retry-after": "Fri, 17 Jan 2025 13:00:00 GMT"},
        Outcome.RATE_LIMITED,
        3600.0,
        None,
        False,
    ),
    (
        "RFC 9110 §10.2.3 a garbled Retry-After is ignored",
        503,
        {"retry-after": "soon"},
        Outcome.RATE_LIMITED,
        None,
        None,
        False,
    ),
    (
        "RFC 9111 §5.2.2.1 max-age gives freshness",
        200,
        {"cache-control": "public, max-age=3600"},
        Outcome.NEW_CONTENT,
        None,
        3600.0,
        True,
    ),
    (
        "RFC 9111 §4.2.1 max-age wins over Expires",
        200,
        {"cache-control": "max-age=60", "expires": "Fri, 17 Jan 2025 18:00:00 GMT"},
        Outcome.NEW_CONTENT,
        None,
        60.0,
        True,
    ),
    (
        "RFC 9111 §5.3 Expires relative to the origin's Date",
        304,
        {"date": "Fri, 17 Jan 2025 11:00:00 GMT", "expires": "Fri, 17 Jan 2025 13:00:00 GMT"},
        Outcome.NOT_MODIFIED,
        None,
        7200.0,
        False,
    ),
    (
        "RFC 9111 §5.3 an invalid Expires means already stale",
        200,
        {"expires": "0"},
        Outcome.NEW_CONTENT,
        None,
        0.0,
        True,
    ),
    (
        "RFC 9111 §5.2.2.4 no-cache gives no freshness",
        200,
        {"cache-control": "no-cache, max-age=600"},
        Outcome.NEW_CONTENT,
        None,
        None,
        True,
    ),
    (
        "404 is an error to back off from, never a reason to give up",
        404,
        {},
        Outcome.ERROR,
        None,
        None,
        False,
    ),
    ("500 is a transient error", 500, {}, Outcome.ERROR, None, None, False),
    ("204 has no feed body", 204, {}, Outcome.ERROR, None, None, False),
]


@pytest.mark.parametrize(("rule", "status", "headers", "outcome", "wait", "fresh", "save"), CASES)
def test_read_reply(rule, status, headers, outcome, wait, fresh, save):
    reply = read_reply(status, headers, NOW)
    assert reply.outcome is outcome, rule
    assert reply.retry_after == wait, rule
    assert reply.freshness == fresh, rule
    assert reply.save_validators is save, rule
