"""The address policy: which targets a feed's or an article's links may make us reach."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest

from tests.servers import FeedServer, Route
from watcher.config import PollingConfig
from watcher.fetch import Fetcher
from watcher.netpolicy import AddressPolicy, parse_networks, refusal

ADDRESSES = {
    # address: the kind of refusal (None: public, allowed)
    "8.8.8.8": None,
    "2606:4700::1111": None,
    "127.0.0.1": "loopback",
    "127.9.9.9": "loopback",
    "::1": "loopback",
    "10.1.2.3": "private",
    "172.16.0.1": "private",
    "192.168.1.1": "private",
    "fc00::1": "private",
    "169.254.169.254": "link-local",
    "fe80::1": "link-local",
    "224.0.0.1": "multicast",
    "ff02::1": "multicast",
    "0.0.0.0": "unspecified",
    "::": "unspecified",
    "100.64.0.1": "reserved",  # carrier-grade NAT
    "240.0.0.1": "private",  # 240/4 is in Python's private table
    "192.0.2.10": "private",  # documentation range
    "::ffff:127.0.0.1": "loopback",  # IPv4-mapped: judged as the IPv4 address
    "::ffff:8.8.8.8": None,
    "2002:a00:1::1": "private",  # 6to4 carrying 10.0.0.1
    "64:ff9b::a9fe:a9fe": "link-local",  # NAT64 carrying 169.254.169.254
}


@pytest.mark.parametrize("text", sorted(ADDRESSES))
def test_only_public_unicast_addresses_are_reachable(text):
    reason = refusal(ipaddress.ip_address(text))
    kind = ADDRESSES[text]
    if kind is None:
        assert reason is None
    else:
        assert reason is not None and f"a {kind} address" in reason


def test_allow_private_opens_exactly_the_listed_networks():
    allowed = parse_networks(["127.0.0.1/32", "10.0.0.0/8"])
    assert refusal(ipaddress.ip_address("127.0.0.1"), allowed) is None
    assert refusal(ipaddress.ip_address("::ffff:127.0.0.1"), allowed) is None
    assert refusal(ipaddress.ip_address("10.200.0.1"), allowed) is None
    assert refusal(ipaddress.ip_address("127.0.0.2"), allowed) is not None
    assert refusal(ipaddress.ip_address("169.254.169.254"), allowed) is not None
    with pytest.raises(ValueError, match="not a network"):
        parse_networks(["ten"])


URLS = {
    "http://8.8.8.8/feed": None,
    "https://news.example.org/a": None,  # a name: checked when it is resolved, not here
    "file:///etc/passwd": "only http and https",
    "ftp://example.org/x": "only http and https",
    "http://user:secret@news.example.org/": "user name or password",
    "http://127.0.0.1:8080/": "loopback",
    "http://[::1]/": "loopback",
    "http://localhost/": "loopback",
    "http://app.localhost/": "loopback",
    "http://169.254.169.254/latest/meta-data/": "link-local",
    "http://10.0.0.5/": "private",
}


@pytest.mark.parametrize("url", sorted(URLS))
def test_urls_are_checked_before_any_connection(url):
    reason = AddressPolicy().check_url(url)
    expected = URLS[url]
    if expected is None:
        assert reason is None
    else:
        assert reason is not None and expected in reason


def test_a_feed_on_a_private_address_may_stay_there_but_never_leaves_http():
    anywhere = AddressPolicy(anywhere=True)
    assert anywhere.check_url("http://10.0.0.5/") is None
    assert anywhere.check_url("file:///etc/passwd") is not None
    assert anywhere.check_url("http://u:p@10.0.0.5/") is not None


def _fetch(
    server: FeedServer, path: str, configured: str | None = None, **polling: object
) -> object:
    async def run() -> object:
        async with Fetcher(PollingConfig.model_validate(polling)) as fetcher:
            return await fetcher.fetch(server.url(path), configured=configured)

    return asyncio.run(run())


FEED = b"<rss version='2.0'><channel><title>t</title></channel></rss>"
PUBLIC = "http://8.8.8.8/feed.xml"  # a public literal: no DNS, never contacted


def test_feed_configured_on_loopback_may_redirect_within_loopback(feed_server):
    feed_server.set("/old", status=301, headers={"Location": "/new"})
    feed_server.set("/new", body=FEED)
    result = _fetch(feed_server, "/old")
    assert result.status == 200 and result.permanent_url == feed_server.url("/new")


def test_public_feed_moved_onto_loopback_is_refused(feed_server):
    feed_server.set("/feed", body=FEED)
    result = _fetch(feed_server, "/feed", configured=PUBLIC)
    assert result.refused and result.status is None
    assert "127.0.0.1 is a loopback address" in (result.error or "")
    assert feed_server.hits("/feed") == []  # refused before connecting


def test_allow_private_lets_a_public_feed_reach_it_but_a_301_is_not_remembered(feed_server):
    feed_server.set("/old", status=301, headers={"Location": "/new"})
    feed_server.set("/new", body=FEED)
    result = _fetch(feed_server, "/old", configured=PUBLIC, allow_private=["127.0.0.1/32"])
    assert result.status == 200 and result.body == FEED
    assert result.final_url == feed_server.url("/new")
    assert result.permanent_url is None


def test_redirect_to_a_non_http_scheme_is_refused(feed_server):
    feed_server.set("/feed", Route(status=302, headers={"Location": "file:///etc/passwd"}))
    result = _fetch(feed_server, "/feed")
    assert result.refused and "only http and https" in (result.error or "")


def test_cookies_are_never_kept(feed_server):
    feed_server.set(
        "/feed", status=302, headers={"Location": "/next", "Set-Cookie": "session=abc; Path=/"}
    )
    feed_server.set("/next", body=FEED)
    result = _fetch(feed_server, "/feed")
    assert result.status == 200
    assert "cookie" not in feed_server.hits("/next")[0].headers


def test_every_dns_answer_is_checked_at_connect_time(feed_server):
    """A name is resolved by the connecting backend itself, which refuses a forbidden answer
    (`localhost` resolves from the hosts file: no DNS query leaves the machine)."""
    from watcher.fetch import PolicyBackend
    from watcher.netpolicy import AddressRefused

    port = int(feed_server.base.rsplit(":", 1)[1])

    async def connect(policy: AddressPolicy) -> None:
        stream = await PolicyBackend(policy).connect_tcp("localhost", port, timeout=2)
        await stream.aclose()

    with pytest.raises(AddressRefused, match=r"localhost resolves to .* loopback"):
        asyncio.run(connect(AddressPolicy()))
    asyncio.run(connect(AddressPolicy(parse_networks(["127.0.0.0/8", "::1/128"]))))
