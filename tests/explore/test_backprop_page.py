"""The backprop view in a real browser: the sigmoid example stepped edge by edge, a pattern, a refused expression."""

from __future__ import annotations

import io

from chainrule.viz import demo
from chainrule.viz.trace import trace, two_decimals


def open_preset(page, title: str) -> None:
    page.wait_for_selector(f"#bp-preset option:text('{title}')", state="attached")
    page.select_option("#bp-preset", label=title)


def test_the_sigmoid_example_step_by_step(served, page, snapshot):
    page.goto(served() + "#backprop")
    open_preset(page, "Example 2: the sigmoid circuit, a chain of gates")
    page.wait_for_selector("#bp-counter:text('step 0 / 12')")
    results = page.locator("#bp-results tr").all_text_contents()
    assert results == ["f0.73", "df/dw0-0.20", "df/dx00.39", "df/dw1-0.39", "df/dx1-0.59", "df/dw20.20"]
    f, _ = demo.build(*demo.SIGMOID_CHAIN)
    steps = trace(f, file=io.StringIO())
    assert page.locator("#bp-graph g.edge.pending text.grad").count() == 12  # no gradient sent back yet
    for k, s in enumerate(steps):
        page.click("#bp-step")
        assert page.text_content("#bp-trace li.current") == s.text
        edge = page.locator("#bp-graph g.edge.current")
        assert edge.get_attribute("id") == f"e-{s.node}-{s.index}"
        assert edge.locator("text.grad").text_content() == two_decimals(s.downstream)
        assert page.locator("#bp-trace li.done").count() == k
        if k == 4:
            snapshot(page, "explore-backprop")
    assert page.text_content("#bp-counter") == "step 12 / 12" and page.is_disabled("#bp-step")
    assert page.locator("#bp-graph g.edge.pending").count() == 0
    assert page.text_content("#n-w0 text.grad") == "-0.20"
    page.keyboard.press("ArrowLeft")
    assert page.text_content("#bp-counter") == "step 11 / 12"
    assert not page.is_visible("#n-x0 text.grad")  # x0's gradient arrives with the last step
    open_preset(page, "max gate")  # the router: upstream 9 goes to the larger input
    page.wait_for_selector("#bp-rule:text('gradient router')")
    assert page.locator("#bp-results tr").all_text_contents() == ["f5.00", "df/dx0.00", "df/dy9.00"]
    assert page.console_errors == []


def test_an_expression_outside_the_whitelist_shows_the_error(served, page):
    page.goto(served() + "#backprop")
    page.wait_for_selector("#bp-counter:text('step 0 / 4')")  # Example 1 drawn first
    page.fill("#bp-expr", "__import__('os')")
    page.click("#bp-draw")
    page.wait_for_selector("#error:not([hidden])")
    assert "'__import__'" in page.text_content("#error") and "not allowed" in page.text_content("#error")
    page.fill("#bp-expr", "x * y")
    page.fill("#bp-values", "x=3, y=-4")
    page.click("#bp-draw")  # the server still answers
    page.wait_for_selector("#bp-counter:text('step 0 / 2')")
    assert page.is_hidden("#error")
    assert page.locator("#bp-results tr").all_text_contents() == ["f-12.00", "df/dx-4.00", "df/dy3.00"]
