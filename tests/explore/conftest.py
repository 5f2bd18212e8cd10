"""Fixtures for the explore page: a server in a thread, and a real browser (Debian's chromium via Playwright).

Without Chromium (or Playwright) the browser tests are skipped locally and fail in CI (``CI`` set),
where ``.ci/run`` installs Chromium: a browser test is never silently skipped there.
"""

from __future__ import annotations

import os
import shutil

import pytest

from chainrule.explore.server import start_in_thread

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def served():
    """``served(run_dir=None) -> url``: start a server on a free port; all are shut down after the test."""
    servers = []

    def start(run_dir=None) -> str:
        server, url = start_in_thread(run_dir)
        servers.append(server)
        return url

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"browser tests must run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session (per xdist worker)."""
    executable = shutil.which("chromium")
    if executable is None:
        _unavailable("Debian's chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh page (1280x900), with console errors collected in ``page.console_errors``."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.console_errors = []
    pg.on("console", lambda msg: pg.console_errors.append(msg.text) if msg.type == "error" else None)
    pg.on("pageerror", lambda err: pg.console_errors.append(str(err)))
    pg.set_default_timeout(15_000)
    yield pg
    context.close()
