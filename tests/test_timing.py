from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from watcher.timing import backoff_delay, next_poll_after_error, next_poll_after_success

NOW = datetime(2025, 1, 17, 12, 0, tzinfo=UTC)
DAY = 86400.0


def test_success_uses_the_interval():
    assert next_poll_after_success(NOW, 900, None, 4 * 3600) == NOW + timedelta(seconds=900)


def test_freshness_stretches_but_only_up_to_the_bound():
    assert next_poll_after_success(NOW, 900, 1800, 4 * 3600) == NOW + timedelta(seconds=1800)
    assert next_poll_after_success(NOW, 900, 10 * 3600, 4 * 3600) == NOW + timedelta(hours=4)


def test_freshness_never_shortens_the_interval():
    assert next_poll_after_success(NOW, 900, 60, 4 * 3600) == NOW + timedelta(seconds=900)


def test_jitter_spreads_by_at_most_five_percent():
    late = next_poll_after_success(NOW, 1000, None, 4 * 3600, jitter=0.999)
    assert NOW + timedelta(seconds=1000) < late <= NOW + timedelta(seconds=1050)


def test_backoff_doubles_and_caps():
    delays = [backoff_delay(n, 900, DAY, jitter=1.0) for n in range(1, 12)]
    assert delays[:4] == [900, 1800, 3600, 7200]
    assert max(delays) == DAY
    assert all(a <= b for a, b in itertools.pairwise(delays))


def test_backoff_jitter_stays_within_half_and_full():
    assert backoff_delay(3, 900, DAY, jitter=0.0) == 1800
    assert backoff_delay(3, 900, DAY, jitter=1.0) == 3600


def test_a_feed_failing_for_ever_is_still_retried_daily():
    when = next_poll_after_error(NOW, 10_000, 900, DAY, jitter=1.0)
    assert when == NOW + timedelta(days=1)


def test_retry_after_is_a_floor_capped_by_max_backoff():
    assert next_poll_after_error(NOW, 1, 900, DAY, retry_after=7200, jitter=1.0) == NOW + timedelta(
        hours=2
    )
    assert next_poll_after_error(NOW, 1, 900, DAY, retry_after=10 * DAY, jitter=1.0) == (
        NOW + timedelta(days=1)
    )
