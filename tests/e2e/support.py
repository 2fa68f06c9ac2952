"""Shared helpers for the browser tests: is a browser available, and small page actions.

Nothing here imports Playwright unconditionally, so the e2e folder is collected (and skipped
with a clear reason) on machines without it.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import sys

try:  # pragma: no cover - depends on the machine
    from playwright.sync_api import Page, expect
    PLAYWRIGHT_IMPORT_ERROR: str | None = None
except ImportError as exc:  # pragma: no cover
    Page = object  # type: ignore[assignment,misc]
    expect = None  # type: ignore[assignment]
    PLAYWRIGHT_IMPORT_ERROR = str(exc)

DESKTOP = {"width": 1366, "height": 900}
TABLET = {"width": 768, "height": 1024}
MIN_TAP = 44  # px: the portal's touch-target size (static/css/portal.css, --tap)
DEFAULT_TIMEOUT_MS = 10_000  # every page's default for actions and waits (expect() keeps its own)

# The pytest plugin (PyPI pytest-playwright) that launches the browser and makes the contexts.
PLUGIN_MODULE = "pytest_playwright.pytest_playwright"


def chromium_path() -> str:
    return os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"


def playwright_plugin_active(pluginmanager) -> bool:
    """Is pytest-playwright loaded in this run (installed, and not switched off with -p no:playwright)?"""
    module = sys.modules.get(PLUGIN_MODULE)
    return module is not None and pluginmanager.is_registered(module)


def skip_reason(pluginmanager=None) -> str | None:
    """Why the browser tests cannot run here, or None when they can.

    With the run's plugin manager it also checks that pytest-playwright is loaded in this run."""
    if PLAYWRIGHT_IMPORT_ERROR is not None:
        return ("Playwright is not installed (pip install -r requirements-dev.txt): "
                + PLAYWRIGHT_IMPORT_ERROR)
    if importlib.util.find_spec("pytest_playwright") is None:
        return "pytest-playwright is not installed (pip install -r requirements-dev.txt)"
    if pluginmanager is not None and not playwright_plugin_active(pluginmanager):
        return "the pytest-playwright plugin is not loaded in this run (was it switched off with -p no:playwright?)"
    path = chromium_path()
    if not (os.path.isfile(path) and os.access(path, os.X_OK)) and shutil.which(path) is None:
        return f"Chromium not installed at {path}: apt-get install -y chromium (or set CHROMIUM_PATH)"
    return None


def sign_in(page: Page, base_url: str, email: str, password: str) -> None:
    """Fill and submit the login form (in whatever language the page is in)."""
    page.goto(base_url + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click(".login-card form button[type=submit]")


def sign_out(page: Page) -> None:
    page.click("header.topbar form[action='/logout'] button[type=submit]")


def assert_no_horizontal_overflow(page: Page) -> None:
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    if not fits:
        widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        raise AssertionError(f"{page.url}: the page scrolls sideways (scrollWidth, innerWidth) = {widths}")


TOPBAR_TARGETS = "header.topbar button, header.topbar .mainnav a, header.topbar a.bell"


def assert_topbar_touch_targets(page: Page) -> int:
    """Every visible button and navigation link of the top bar is at least 44 px tall."""
    checked, too_small = 0, []
    for target in page.locator(TOPBAR_TARGETS).all():
        if not target.is_visible():
            continue
        box = target.bounding_box()
        assert box is not None
        checked += 1
        if box["height"] < MIN_TAP:
            label = (target.inner_text() or target.get_attribute("aria-label") or "").strip()
            too_small.append(f"{label!r}: {box['height']:.1f}px")
    assert not too_small, f"{page.url}: top-bar targets under {MIN_TAP}px tall: {too_small}"
    return checked
