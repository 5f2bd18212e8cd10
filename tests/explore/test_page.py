"""The page in a real browser: the tabs open their views, and an API error shows in the page."""

from __future__ import annotations

VIEWS = ["network", "backprop", "convolution", "signal", "training"]


def test_every_tab_opens_its_view(served, page):
    page.goto(served())
    for name in VIEWS:
        page.click(f"#tabs button[data-view={name}]")
        shown = page.eval_on_selector_all("section.view", "all => all.filter(e => !e.hidden).map(e => e.id)")
        assert shown == [f"view-{name}"]  # its section alone (its content may still be loading)
        assert page.get_attribute(f"#tabs button[data-view={name}]", "aria-selected") == "true"
    assert page.console_errors == []


def test_an_api_error_is_shown_in_the_page(served, page):
    page.goto(served())
    page.evaluate("cr.api('no/such/route', {}).catch(() => null)")
    page.wait_for_selector("#error:not([hidden])")
    assert "no/such/route" in page.text_content("#error")
