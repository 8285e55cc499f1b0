"""/metrics: the watcher's state in Prometheus' text format, read from the database at each
scrape, so the console reports the daemon's work whichever process runs it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, InfoMetricFamily
from prometheus_client.registry import Collector

from watcher.store import Store
from watcher.store.metrics import counts, last_beat

WINDOW = timedelta(hours=1)


class StoreCollector(Collector):
    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily | HistogramMetricFamily | InfoMetricFamily]:
        now = self.clock()
        c = counts(self.store.db, now - WINDOW)
        feeds = GaugeMetricFamily("watcher_feeds", "Feeds by status.", labels=["status"])
        for status, n in sorted(c.feeds_by_status.items()):
            feeds.add_metric([status], n)
        yield feeds
        polls = GaugeMetricFamily(
            "watcher_polls_last_hour", "Polls in the last hour by outcome.", labels=["outcome"]
        )
        for outcome, n in sorted(c.polls_by_outcome.items()):
            polls.add_metric([outcome], n)
        yield polls
        latency = HistogramMetricFamily(
            "watcher_fetch_seconds_last_hour", "Fetch time of the polls in the last hour."
        )
        buckets = [(str(bound), n) for bound, n in c.latency_buckets]
        latency.add_metric([], [*buckets, ("+Inf", c.latency_count)], c.latency_sum)
        yield latency
        articles = GaugeMetricFamily("watcher_articles", "Stored articles.", labels=["kind"])
        articles.add_metric(["all"], c.articles)
        articles.add_metric(["relevant"], c.relevant)
        yield articles
        new = GaugeMetricFamily(
            "watcher_new_articles_last_hour",
            "Articles first seen in the last hour.",
            labels=["kind"],
        )
        new.add_metric(["all"], c.new_articles)
        new.add_metric(["relevant"], c.new_relevant)
        yield new
        yield GaugeMetricFamily(
            "watcher_outbox_depth",
            "Messages waiting to be sent.",
            c.outbox_by_status.get("pending", 0),
        )
        deliveries = GaugeMetricFamily(
            "watcher_deliveries", "Messages in the outbox by result.", labels=["result"]
        )
        for result, n in sorted(c.outbox_by_status.items()):
            deliveries.add_metric([result], n)
        yield deliveries
        yield GaugeMetricFamily(
            "watcher_dead_letters", "Messages given up on.", c.outbox_by_status.get("dead", 0)
        )
        model = InfoMetricFamily("watcher_model", "The relevance model of the latest verdict.")
        model.add_metric([], {"version": c.model_version or "none"})
        yield model
        beat, _interval = last_beat(self.store.db)
        if beat is not None:
            yield GaugeMetricFamily(
                "watcher_seconds_since_last_tick",
                "Seconds since the daemon's scheduler last ticked.",
                max(0.0, (now - beat).total_seconds()),
            )


def render(store: Store, clock: Callable[[], datetime]) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(store, clock))
    return generate_latest(registry)
