"""The console in a real browser: Debian's headless Chromium driven by Selenium, against a real
uvicorn server on 127.0.0.1, a database filled by a real poll, and mail caught by aiosmtpd.

Screenshots are kept in test-artifacts/ (ignored by git) for a person to look at.
"""

from __future__ import annotations

import os
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import feeds as fx
from tests.helpers import poll, rows
from tests.servers import FeedServer, MailServer
from tests.web_data import FOOTBALL, RATIFIED, TREATY, write_config
from watcher.config import Config
from watcher.pipeline import utcnow

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
LINK_KEY = "the browser test's signing key"

if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.skip(
        f"browser test needs {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium "
        "chromium-driver; .ci/run does it)",
        allow_module_level=True,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ConsoleServer:
    """The console served by uvicorn in a thread, as `watcher serve` serves it."""

    def __init__(self, config: Config, port: int, env: dict[str, str]) -> None:
        import uvicorn

        from watcher.web.serve import console_app

        self.port = port
        app = console_app(config, utcnow, f"127.0.0.1:{self.port}", env)
        settings = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(settings)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the console did not start")
            self.thread.join(0.05)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--window-size=1280,1000",
    ):
        options.add_argument(flag)
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download a driver
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def site(tmp_path: Path, executor) -> Iterator[tuple[Config, ConsoleServer, MailServer]]:
    feeds_server, mail = FeedServer(), MailServer()
    port = _free_port()
    body = (
        f'[web]\nlisten = "127.0.0.1:{port}"\npublic_url = "http://127.0.0.1:{port}"\n'
        'secret_env = "WATCHER_BROWSER_LINK_KEY"\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {mail.port}\nsecurity = "none"\ntimeout = "5s"\n'
        '[[subscribers]]\nname = "analyst"\nemail = "analyst@example.org"\n'
    )
    env = {"WATCHER_BROWSER_LINK_KEY": LINK_KEY}
    os.environ.update(env)  # the poll renders the alerts' signed links in this process
    try:
        url = feeds_server.set("/wire.xml", body=fx.rss20([TREATY, RATIFIED, FOOTBALL]))
        config = write_config(tmp_path, [{"url": url, "name": "Wire"}], body)
        poll(config, executor)
        console = ConsoleServer(config, port, env)
        yield config, console, mail
        console.close()
    finally:
        feeds_server.close()
        mail.close()
        os.environ.pop("WATCHER_BROWSER_LINK_KEY", None)


def _shot(driver: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))  # type: ignore[attr-defined]


def _after_click(driver: object, button: object) -> None:
    """Click a submit button and wait for the page it posts to (a click does not wait):
    the button's document is gone, and the new one has loaded."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def left(_driver: object) -> bool:
        try:
            button.is_enabled()  # type: ignore[attr-defined]
        except WebDriverException:  # stale, or Chromium's "does not belong to the document"
            return True
        return False

    def loaded(current: object) -> bool:
        state = current.execute_script("return document.readyState")  # type: ignore[attr-defined]
        return bool(state == "complete")

    button.click()  # type: ignore[attr-defined]
    WebDriverWait(driver, 30).until(left)
    WebDriverWait(driver, 30).until(loaded)


def _rows(driver: object) -> list[str]:
    from selenium.webdriver.common.by import By

    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#matches a.headline")]  # type: ignore[attr-defined]


def test_browse_search_judge_and_see_it_leave(browser, site):
    from selenium.webdriver.common.by import By

    config, console, _mail = site
    driver = browser
    driver.get(console.base + "/")
    assert "Matches" in driver.title
    titles = _rows(driver)
    assert any("ratifies" in t for t in titles) and not any("Local club" in t for t in titles)
    _shot(driver, "matches")

    search = driver.find_element(By.ID, "q")
    search.send_keys("lawmakers")
    _after_click(driver, driver.find_element(By.ID, "search"))
    assert _rows(driver) == [RATIFIED.title]
    _shot(driver, "search")

    driver.get(console.base + "/")
    ratified = rows(config, "SELECT id FROM articles WHERE title = ?", (RATIFIED.title,))[0]["id"]
    row = driver.find_element(By.ID, f"article-{ratified}")
    _after_click(driver, row.find_element(By.CSS_SELECTOR, "button.judge-irrelevant"))
    assert driver.current_url.rstrip("/") == console.base
    assert RATIFIED.title not in _rows(driver)
    assert rows(config, "SELECT label FROM feedback WHERE article_id = ?", (ratified,)) == [
        {"label": 0}
    ]
    _shot(driver, "judged")

    driver.get(f"{console.base}/article/{ratified}")
    assert "not relevant" in driver.find_element(By.ID, "judgement").text
    no_console_errors = [
        entry
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE" and "favicon" not in entry["message"]
    ]
    assert no_console_errors == []  # nothing the strict CSP blocked, no script error


def test_signed_link_from_a_captured_email(browser, site):
    from selenium.webdriver.common.by import By

    config, console, mail = site
    assert mail.messages, "the poll sent no alert"
    _envelope, message = mail.messages[0]
    html_part = message.get_body(preferencelist=("html",)).get_content()
    found = re.findall(r'href="(http://127\.0\.0\.1:\d+/j/[^"]+)"', html_part)
    if not found:
        pytest.fail("the alert carries no judgement link")
    link = found[-1]  # "not about the topic"
    assert link.startswith(console.base + "/j/")
    driver = browser
    driver.get(link)
    assert rows(config, "SELECT * FROM feedback") == []  # opening the link records nothing
    _shot(driver, "link-confirm")
    _after_click(driver, driver.find_element(By.ID, "confirm"))
    recorded = driver.find_element(By.ID, "recorded").text
    assert "recorded" in recorded.lower()
    assert len(rows(config, "SELECT * FROM feedback")) == 1
    _shot(driver, "link-recorded")
