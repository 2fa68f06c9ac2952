"""Browser tests: the real app served on a local port, driven by Playwright through Chromium.

The browser comes from the pytest-playwright plugin (requirements-dev.txt); this file adapts it:

* `live_server` serves the test's `app` (so tables are emptied after the test, as everywhere)
  on 127.0.0.1 with a free port and yields its base URL.
* The plugin's `browser` is one Chromium per test process (each xdist worker has its own),
  launched from chromium_path() with CHROMIUM_ARGS (`browser_type_launch_args` below).
* `page` (desktop, 1366x900) and `tablet_page` (768x1024 portrait, touch) each get a fresh
  context; `open_page(...)` makes more, e.g. a second person's browser or another language. All
  are English unless asked otherwise, with a default timeout of 10 s. They come from the plugin's
  `new_context`, which closes the contexts after the test.
* On a failure the plugin saves a screenshot of every page of those contexts in
  test-artifacts/<test>/ (tests/conftest.py sets its --output and --screenshot defaults).
* Without the playwright package, the plugin or a Chromium binary, the whole folder is skipped
  with the reason. They run on Chromium only; the plugin puts it in their ids: test_x[chromium].

Why the contexts' viewport and locale are not in `browser_context_args`: the plugin passes that
dict and new_context()'s own arguments together to browser.new_context(), so a key in it could
not be set again per page (the tablet's viewport, another language).
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from .support import DEFAULT_TIMEOUT_MS, DESKTOP, TABLET, chromium_path, skip_reason

_HERE = Path(__file__).parent

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(config, items):
    mine = [item for item in items if _HERE in Path(str(item.path)).parents]
    if not mine:
        return
    reason = skip_reason(config.pluginmanager)
    # Chromium only: with --browser firefox the plugin skips these tests, saying why.
    marker = pytest.mark.skip(reason=reason) if reason is not None else pytest.mark.only_browser("chromium")
    for item in mine:
        item.add_marker(marker)


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
def browser_type_launch_args(browser_type_launch_args):
    """The plugin's launch options (from --headed, --slowmo, ...) with this machine's Chromium."""
    return {**browser_type_launch_args, "executable_path": chromium_path(), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(pytestconfig):
    """--base-url, for the plugin's contexts (the tests themselves use `live_server`'s address).

    The same value as the plugin's own fixture, which, without pytest-base-url installed, is an
    instance method of a plugin class: pytest 9 warns that it is deprecated."""
    return pytestconfig.getoption("--base-url", default=None) or pytestconfig.getini("base_url") or None


@pytest.fixture
def open_page(new_context):
    """open_page(size="desktop"|"tablet", locale="en-US", **context_options) -> a page in a new context."""

    def make(size: str = "desktop", locale: str = "en-US", **options):
        if size == "tablet":
            options = {"viewport": TABLET, "has_touch": True, **options}
        else:
            options = {"viewport": DESKTOP, **options}
        context = new_context(locale=locale, **options)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        return context.new_page()

    return make


@pytest.fixture
def page(open_page):
    """A desktop page (1366x900, English); replaces the plugin's `page`."""
    return open_page("desktop")


@pytest.fixture
def tablet_page(open_page):
    """A tablet in portrait (768x1024, touch, English)."""
    return open_page("tablet")
