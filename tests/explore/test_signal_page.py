"""The signal view in a real browser: [3,1,2]*[3,2,1] slide by slide, superposition, and a bad list."""

from __future__ import annotations

from chainrule.signal import convolution_table


def cells(page, selector: str) -> list[str]:
    return [t.strip() for t in page.locator(selector).all_text_contents()]


def settled(page) -> None:
    """Wait until the newest request is drawn (the page drops older answers that arrive late)."""
    page.wait_for_function("document.querySelector('#view-signal').dataset.busy === '0'")


def test_flip_and_slide_steps_n_and_y_grows(served, page, snapshot):
    page.goto(served() + "#signal")
    page.fill("#signal-x", "3, 1, 2")
    page.fill("#signal-h", "3, 2, 1")
    page.click("#signal-run")
    settled(page)
    expected = convolution_table([3, 1, 2], [3, 2, 1])
    assert page.text_content("#signal-equation") == expected.equations()[0]
    seen = []
    for n in range(5):
        assert page.text_content("#signal-n") == f"n = {n}"
        assert page.text_content("#signal-equation") == expected.equations()[n]
        seen.append(page.text_content(f"#signal-y .y-cell[data-n='{n}']"))
        assert cells(page, "#signal-y .y-cell:not(.done):not(.now)") == ["·"] * (4 - n)  # y[n+1..] not yet
        if n == 2:
            assert cells(page, "#signal-table tr.products td.product") == ["3", "2", "6"]  # 3*1 + 1*2 + 2*3
            assert cells(page, "#signal-table tr.h td.overlap") == ["1", "2", "3"]  # h flipped under x
            assert page.text_content("#signal-table tr.y td.now") == "11"
            snapshot(page, "explore-signal")
        page.click("#signal-next")
    assert seen == ["9", "9", "11", "5", "2"]
    assert page.text_content("#signal-text") == expected.text()  # the CLI's table, verbatim
    assert page.text_content("#signal-lti-sum") == "y = [9, 9, 11, 5, 2]"
    labels = cells(page, "#signal-lti-table tr.lti-term td.lti-label")
    assert labels == ["3 δ[n]", "3 h[n]", "1 δ[n-1]", "1 h[n-1]", "2 δ[n-2]", "2 h[n-2]"]
    page.keyboard.press("ArrowLeft")
    assert page.text_content("#signal-n") == "n = 4"
    assert page.console_errors == []


def test_a_bad_list_shows_the_error_and_the_server_stays_up(served, page):
    page.goto(served() + "#signal")
    page.wait_for_selector("#signal-n:text('n = 0')")
    page.fill("#signal-x", "3, one, 2")
    page.click("#signal-run")
    page.wait_for_selector("#error:not([hidden])")
    assert "'one' is not a number" in page.text_content("#error") and "'x'" in page.text_content("#error")
    page.fill("#signal-x", ", ".join(["1"] * 65))
    page.click("#signal-run")
    page.wait_for_selector("#error:text('65 samples')")
    page.fill("#signal-x", "1, 1")
    page.click("#signal-run")
    page.wait_for_selector("#error", state="hidden")
    page.wait_for_selector(
        "#signal-lti-sum:text-is('y = [3, 5, 3, 1]')"
    )  # drawn after the error hides (a busy CI lagged)
    assert page.text_content("#signal-lti-sum") == "y = [3, 5, 3, 1]"


def test_a_late_answer_to_an_older_request_is_dropped(served, page):
    held = []  # the page's first request, answered only after the user's own has been drawn

    def hold_the_first(route):
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route("**/signal/table", hold_the_first)
    page.goto(served() + "#signal")
    page.wait_for_function("document.querySelector('#view-signal').dataset.busy === '1'")
    page.fill("#signal-x", "1, 1")
    page.click("#signal-run")
    settled(page)
    assert page.text_content("#signal-lti-sum") == "y = [3, 5, 3, 1]"
    with page.expect_response("**/signal/table"):
        held[0].continue_()  # the preset's answer, now stale
    page.wait_for_timeout(200)
    assert page.text_content("#signal-lti-sum") == "y = [3, 5, 3, 1]"
    assert page.text_content("#signal-n") == "n = 0" and page.console_errors == []
