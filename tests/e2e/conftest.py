"""Browser tests: the real app served on a local port, driven by Playwright through Chromium.

* `live_server` serves the test's `app` (so tables are emptied after the test, as everywhere)
  on 127.0.0.1 with a free port and yields its base URL.
* `browser` is one Chromium for the whole run; `page` (desktop, 1366x900) and `tablet_page`
  (768x1024 portrait, touch) each get a fresh context; `open_page(...)` makes more, e.g. a second
  person's browser or another language.
* On a failure every page the test opened is saved as a screenshot in test-artifacts/.
* Without the playwright package or a Chromium binary the whole folder is skipped with the reason.
"""
from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from .support import DESKTOP, TABLET, chromium_path, skip_reason

_HERE = Path(__file__).parent
_SKIP_REASON = skip_reason()
_REPORTS = pytest.StashKey[dict]()

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(config, items):
    if _SKIP_REASON is None:
        return
    skip = pytest.mark.skip(reason=_SKIP_REASON)
    for item in items:
        if _HERE in Path(str(item.path)).parents:
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@pytest.fixture
def live_server(app):
    """The test's app on a real socket; yields e.g. 'http://127.0.0.1:43817'."""
    werkzeug_log = logging.getLogger("werkzeug")
    level = werkzeug_log.level
    werkzeug_log.setLevel(logging.WARNING)  # one line per request drowns the failure output
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        werkzeug_log.setLevel(level)


@pytest.fixture(scope="session")
def browser():
    if _SKIP_REASON is not None:
        pytest.skip(_SKIP_REASON)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def open_page(browser, request):
    """open_page(size="desktop"|"tablet", locale="en-US", **context_options) -> a page in a new context."""
    contexts = []

    def make(size: str = "desktop", locale: str = "en-US", **options):
        if size == "tablet":
            options = {"viewport": TABLET, "has_touch": True, **options}
        else:
            options = {"viewport": DESKTOP, **options}
        context = browser.new_context(locale=locale, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make

    reports = request.node.stash.get(_REPORTS, {})
    failed = any(r.failed for r in reports.values())
    if failed:
        folder = Path(request.config.rootpath) / "test-artifacts"
        folder.mkdir(exist_ok=True)
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
        n = 0
        for context in contexts:
            for pg in context.pages:
                n += 1
                try:
                    pg.screenshot(path=str(folder / f"{stem}-{n}.png"), full_page=True)
                except Exception:  # a crashed page must not hide the real failure
                    pass
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page):
    """A desktop page (1366x900, English)."""
    return open_page("desktop")


@pytest.fixture
def tablet_page(open_page):
    """A tablet in portrait (768x1024, touch, English)."""
    return open_page("tablet")
