"""Fixtures for the explore page: a server in a thread, and a real browser (Debian's chromium via Playwright).

Without Chromium (or Playwright) the browser tests are skipped locally and fail in CI (``CI`` set),
where ``.ci/run`` installs Chromium: a browser test is never silently skipped there.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from chainrule.explore.server import start_in_thread
from chainrule.train import TrainConfig, train

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


@pytest.fixture(scope="session")
def tiny_run(mnist_home, tmp_path_factory) -> Path:
    """A deep-net run folder trained in seconds (1,000 MNIST images, 3 epochs), made once per session.

    CHAINRULE_HOME points at the session's MNIST while the session lasts, so the servers' test
    digits come from the same data.
    """
    patch = pytest.MonkeyPatch()
    patch.setenv("CHAINRULE_HOME", str(mnist_home))
    out = tmp_path_factory.mktemp("explore-run")
    config = TrainConfig(
        model="deep", epochs=3, limit=1000, batch_size=50, val_fraction=0.0, out=str(out), plots=False, progress=False
    )
    if os.environ.get("CHAINRULE_SCREENSHOTS") == "1":  # the README's pictures: a real network (about a minute)
        config = TrainConfig(model="deep", epochs=3, val_fraction=0.0, out=str(out), plots=False, progress=False)
    train(config, log=lambda line: None)
    yield out
    patch.undo()


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


DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


@pytest.fixture
def snapshot(tmp_path):
    """``snapshot(page, name)``: a PNG of the page; also into docs/images/ when CHAINRULE_SCREENSHOTS=1.

    The README's pictures of the views are these screenshots:
    ``CHAINRULE_SCREENSHOTS=1 python -m pytest tests/explore`` refreshes them.
    """

    def take(pg, name: str, selector: str | None = None) -> Path:
        target = tmp_path / f"{name}.png"
        (pg.locator(selector) if selector else pg).screenshot(path=str(target))
        if os.environ.get("CHAINRULE_SCREENSHOTS") == "1":
            DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(target, DOCS_IMAGES / f"{name}.png")
        return target

    return take
