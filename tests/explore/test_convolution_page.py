"""The convolution view in a real browser: settings typed into the page, the output grid read back.

Each setting's expected output is ``F.conv2d`` (chainrule) on the same input, computed here, and
its expected size is the SPEC's formula worked out here; the page's grid and size must match both.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F

SOBEL_X = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
TYPED_IN = [[3, -1, 4, 1, 5], [9, 2, 6, 5, 3], [5, 8, 9, 7, 9], [3, 2, 3, 8, 4]]
TYPED_K = [[1, -2, 0], [0.5, 1, -1]]

# (what the page is told, the input, the kernel, conv2d's padding argument)
SETTINGS = [
    ({"h": 6, "w": 6, "kernel": "box", "padding": "1", "mode": "zeros"}, "ramp", "box", 1),
    ({"h": 5, "w": 6, "kernel": "sobel_x", "padding": "2", "mode": "constant", "value": "2.5"}, "ramp", SOBEL_X, 2),
    ({"h": 5, "w": 7, "kernel": "sobel_y", "padding": "2", "mode": "reflect"}, "ramp", "sobel_y", 2),
    ({"h": 4, "w": 6, "kernel": "identity", "padding": "1,2", "mode": "replicate"}, "ramp", "identity", (1, 2)),
    ({"typed_k": TYPED_K, "h": 5, "w": 5, "padding": "2,0,1,3", "mode": "circular"}, "ramp", TYPED_K, ((2, 0), (1, 3))),
    ({"h": 7, "w": 8, "kernel": "box", "kh": "4", "kw": "3", "padding": "same", "stride": "2"}, "ramp", "box", "same"),
    ({"h": 8, "w": 8, "kernel": "sobel_x", "padding": "2", "dilation": "2", "mode": "reflect"}, "ramp", SOBEL_X, 2),
    ({"typed_k": TYPED_K, "h": 4, "w": 5, "padding": "full"}, "ramp", TYPED_K, "full"),
    ({"h": 8, "w": 6, "kernel": "sobel_x", "padding": "valid", "stride": "2,1"}, "ramp", SOBEL_X, "valid"),
    (
        {"h": 6, "w": 7, "kernel": "box", "padding": "same", "dilation": "2,1", "mode": "replicate"},
        "ramp",
        "box",
        "same",
    ),
    (
        {"typed_in": TYPED_IN, "kernel": "sobel_x", "padding": "1", "mode": "constant", "value": "-1"},
        TYPED_IN,
        SOBEL_X,
        1,
    ),
    (
        {"h": 5, "w": 5, "kernel": "box", "kh": "2", "kw": "2", "padding": "same", "stride": "2", "mode": "circular"},
        "ramp",
        "box",
        "same",
    ),
]


def pair(text: str) -> tuple:
    values = [int(v) for v in text.split(",")]
    return (values[0], values[0]) if len(values) == 1 else tuple(values)


def kernel_of(spec, kh: int, kw: int) -> np.ndarray:
    if spec == "box":
        return np.full((kh, kw), 1 / (kh * kw))
    if spec == "identity":
        w = np.zeros((kh, kw))
        w[(kh - 1) // 2, (kw - 1) // 2] = 1
        return w
    if spec == "sobel_y":
        return np.array(SOBEL_X, dtype=float).T
    return np.array(spec, dtype=float)


def expected(ui: dict, source, kernel, padding) -> np.ndarray:
    """F.conv2d on the setting's input, and a check that its shape is the SPEC's formula."""
    x = (
        np.array(source, float)
        if isinstance(source, list)
        else np.arange(1.0, ui["h"] * ui["w"] + 1).reshape(ui["h"], ui["w"])
    )
    w = kernel_of(kernel, int(ui.get("kh", 3)), int(ui.get("kw", 3)))
    stride, dilation = pair(ui.get("stride", "1")), pair(ui.get("dilation", "1"))
    mode, value = ui.get("mode", "zeros"), float(ui.get("value", 0))
    out = F.conv2d(cr.tensor(x[None, None]), cr.tensor(w[None, None]), None, stride, padding, dilation, mode, value)
    out = out.numpy()[0, 0]
    for axis in range(2):
        n, k, s, d = x.shape[axis], w.shape[axis], stride[axis], dilation[axis]
        if padding == "same":
            assert out.shape[axis] == math.ceil(n / s)
        else:
            p = padding[axis] if isinstance(padding, tuple) else padding
            before, after = {"valid": (0, 0), "full": (d * (k - 1),) * 2}.get(p, p if isinstance(p, tuple) else (p, p))
            assert out.shape[axis] == (n + before + after - d * (k - 1) - 1) // s + 1
    return out


def settle(page) -> None:
    page.wait_for_function("document.querySelector('#view-convolution').dataset.busy === '0'")


def grid_text(text: str) -> str:
    return "\n".join(" ".join(str(v) for v in row) for row in text)


def set_controls(page, ui: dict) -> None:
    """Type the setting into the page the way a user does; the view recomputes after each change."""
    if "typed_in" in ui:
        page.select_option("#cv-input", "typed")
        page.fill("#cv-input-text", grid_text(ui["typed_in"]))
    else:
        page.select_option("#cv-input", "ramp")
        page.fill("#cv-h", str(ui["h"]))
        page.fill("#cv-w", str(ui["w"]))
    if "typed_k" in ui:
        page.select_option("#cv-kernel", "typed")
        page.fill("#cv-kernel-text", grid_text(ui["typed_k"]))
    else:
        page.select_option("#cv-kernel", ui["kernel"])
        page.fill("#cv-kh", ui.get("kh", "3"))
        page.fill("#cv-kw", ui.get("kw", "3"))
    page.fill("#cv-stride", ui.get("stride", "1"))
    page.fill("#cv-dilation", ui.get("dilation", "1"))
    page.fill("#cv-padding", ui["padding"])
    page.select_option("#cv-mode", ui.get("mode", "zeros"))
    if "value" in ui:
        page.fill("#cv-value", ui["value"])
    settle(page)


def shown_output(page) -> np.ndarray:
    rows = page.eval_on_selector_all("#cv-output tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))")
    return np.array([[float(v) for v in row] for row in rows])


@pytest.fixture
def conv_page(served, page):
    page.goto(served() + "#convolution")
    settle(page)
    return page


def test_twelve_settings_show_conv2d_values_and_sizes(conv_page):
    page = conv_page
    for ui, source, kernel, padding in SETTINGS:
        set_controls(page, ui)
        want = expected(ui, source, kernel, padding)
        got = shown_output(page)
        assert got.shape == want.shape, ui
        np.testing.assert_allclose(got, want, atol=0.005 + 1e-9, err_msg=str(ui))  # shown with 2 decimals
        assert page.text_content("#cv-out-shape") == f"{want.shape[0]}×{want.shape[1]}"
        assert page.eval_on_selector_all(".cv-out-size", "b => b.map(x => +x.textContent)") == list(want.shape)
    assert page.console_errors == []


def test_the_window_slides_with_dilation_and_each_padded_cell_names_its_source(conv_page, snapshot):
    page = conv_page
    set_controls(page, {"h": 7, "w": 7, "kernel": "sobel_x", "padding": "2", "dilation": "2", "mode": "reflect"})
    page.click("#cv-output tr:nth-child(2) td:nth-child(3)")  # output (1, 2)
    settle(page)
    taps = page.eval_on_selector_all("#cv-padded td.cv-tap", "t => t.map(c => [+c.dataset.r, +c.dataset.c])")
    assert taps == [[1 + 2 * a, 2 + 2 * b] for a in range(3) for b in range(3)]  # spaced by the dilation
    out = shown_output(page)
    assert float(page.text_content("#cv-sum")) == pytest.approx(out[1, 2], abs=0.005)
    page.click("#cv-next")
    settle(page)
    assert page.text_content("#cv-cell").startswith("(1, 3)")
    assert float(page.text_content("#cv-cell-value")) == pytest.approx(out[1, 3], abs=0.005)
    # reflect: padded (0, 0) holds input (2, 2) (the edge is not repeated), shown and coloured as its copy
    corner = page.locator("#cv-padded tr:nth-child(1) td:nth-child(1)")
    assert corner.locator(".cv-src").text_content() == "2,2" and "cv-copy" in corner.get_attribute("class")
    assert corner.locator(".cv-v").text_content() == str(2 * 7 + 2 + 1)
    page.hover("#cv-padded tr:nth-child(1) td:nth-child(1)")
    marked = page.eval_on_selector_all("#cv-padded td.cv-same", "t => t.map(c => [+c.dataset.r, +c.dataset.c])")
    assert [4, 4] in marked and len(marked) == 4  # the input cell and its three mirror images
    page.mouse.move(0, 0)
    snapshot(page, "explore-convolution")
    assert page.console_errors == []


def test_a_bad_setting_shows_the_library_error_and_the_view_recovers(conv_page):
    page = conv_page
    set_controls(page, {"h": 5, "w": 5, "kernel": "box", "padding": "5", "mode": "reflect"})
    page.wait_for_selector("#error:not([hidden])")
    assert "reflect padding 5" in page.text_content("#error") and "size 5" in page.text_content("#error")
    page.fill("#cv-stride", "0")
    page.fill("#cv-padding", "1")
    settle(page)
    assert "stride must be >= 1" in page.text_content("#error")
    page.fill("#cv-stride", "1")
    settle(page)
    assert page.is_hidden("#error")
    assert shown_output(page).shape == (5, 5)


def test_a_real_digit_is_drawn_as_pixels_with_conv2d_in_the_tooltips(mnist_home, monkeypatch, conv_page):
    monkeypatch.setenv("CHAINRULE_HOME", str(mnist_home))  # the server reads the test set at request time
    page = conv_page
    page.select_option("#cv-input", "digit")
    page.fill("#cv-digit", "0")
    page.select_option("#cv-kernel", "sobel_x")
    page.fill("#cv-padding", "1")
    page.select_option("#cv-mode", "replicate")
    settle(page)
    assert "an MNIST 7" in page.text_content("#view-convolution .cv-legend")
    assert page.eval_on_selector_all("#cv-padded.cv-big tr", "rows => rows.length") == 30
    titles = page.eval_on_selector_all("#cv-output td", "t => t.map(c => +c.title.split(' = ')[1])")
    x = np.array(page.evaluate("document.querySelector('#view-convolution').convolution.answer.input"))
    want = F.conv2d(
        cr.tensor(x[None, None]), cr.tensor(np.array(SOBEL_X, float)[None, None]), None, 1, 1, 1, "replicate"
    )
    np.testing.assert_allclose(np.array(titles).reshape(28, 28), want.numpy()[0, 0], atol=1e-12)
