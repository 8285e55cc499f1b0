"""Serving the console: `watcher serve` refusals, and the console beside the daemon."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
import urllib.request
from pathlib import Path

from click.testing import CliRunner

from tests.web_data import write_config
from watcher.cli import cli
from watcher.pipeline import utcnow
from watcher.web.serve import BackgroundConsole, background_console


def _serve(config: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    done = CliRunner(env=env or {}).invoke(cli, ["--config", str(config), "serve", *args])
    return done.exit_code, done.output


def test_serve_refuses_a_public_address_without_a_login(tmp_path):
    config = write_config(tmp_path, [], "")
    code, output = _serve(config.source, "--listen", "0.0.0.0:8123")
    assert code == 2
    assert "not loopback" in output and "token_env" in output


def test_serve_refuses_a_bad_listen_address(tmp_path):
    config = write_config(tmp_path, [], "")
    code, output = _serve(config.source, "--listen", "localhost")
    assert code == 2 and "HOST:PORT" in output


def test_hash_password_prints_a_hash_the_console_accepts(tmp_path):
    from watcher.web.security import check_password

    done = CliRunner().invoke(cli, ["serve", "--hash-password"], input="pw one\npw one\n")
    assert done.exit_code == 0
    stored = done.output.strip().splitlines()[-1]
    assert stored.startswith("scrypt$") and "pw one" not in stored
    assert check_password("pw one", stored) and not check_password("pw two", stored)


def test_hash_password_reads_one_piped_line_and_refuses_none():
    from watcher.web.security import check_password

    done = CliRunner().invoke(cli, ["serve", "--hash-password"], input="from a script\n")
    assert done.exit_code == 0, done.output
    assert check_password("from a script", done.stdout.strip())
    empty = CliRunner().invoke(cli, ["serve", "--hash-password"], input="")
    assert empty.exit_code == 2 and "no password on standard input" in empty.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_daemon_serves_the_console_and_stops_it(tmp_path):
    port = _free_port()
    config = write_config(tmp_path, [], f'[web]\nlisten = "127.0.0.1:{port}"\n')

    async def scenario() -> dict[str, object]:
        console = background_console(config, utcnow)
        assert isinstance(console, BackgroundConsole)
        console.start()
        try:
            return await asyncio.to_thread(_fetch_health, port)
        finally:
            await console.stop()

    report = asyncio.run(scenario())
    assert report["database"] == {"writable": True}
    with socket.socket() as probe:  # stopped: nothing listens there any more
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is fine
        probe.bind(("127.0.0.1", port))


def _fetch_health(port: int) -> dict[str, object]:
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5)
        except urllib.error.HTTPError as exc:  # 503: no daemon tick yet, as expected here
            return dict(json.loads(exc.read()))
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the console did not answer")


def test_a_taken_port_leaves_the_daemon_running_without_a_console(tmp_path, caplog):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        config = write_config(tmp_path, [], f'[web]\nlisten = "127.0.0.1:{port}"\n')
        with caplog.at_level(logging.ERROR, logger="watcher.web"):
            assert background_console(config, utcnow) is None
    assert f"cannot listen on 127.0.0.1:{port}" in caplog.text


def test_serve_refuses_a_database_it_cannot_write(tmp_path):
    (tmp_path / "watcher.db").write_bytes(b"this is not a database")
    config = write_config(tmp_path, [], "")
    code, output = _serve(config.source)
    assert code == 2 and "is not an SQLite database" in output
