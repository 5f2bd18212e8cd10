"""The network view in a real browser: draw digits with the mouse, load test digits, click a unit."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import chainrule as cr
from chainrule.data.images import preprocess_array
from chainrule.explore import runs
from chainrule.explore.protocol import Context
from chainrule.nn import functional as F

STROKES = {
    "1": [[(150, 40), (146, 110), (140, 180), (136, 245)]],
    "7": [[(70, 50), (210, 50), (170, 120), (135, 190), (115, 250)]],
    "0": [[(140, 40), (85, 80), (75, 150), (95, 225), (145, 245), (195, 210), (205, 130), (185, 65), (140, 40)]],
}


def probabilities(run_dir, image: np.ndarray) -> np.ndarray:
    model = runs.loaded(Context(run_dir=run_dir)).model
    with cr.no_grad():
        return F.softmax(model(cr.tensor(image.reshape(1, 1, 28, 28))), dim=1).numpy()[0]


def settle(page) -> None:
    page.wait_for_selector("#view-network[data-state=idle]")


def shown(page) -> tuple[str, list[float]]:
    probs = [float(page.text_content(f'.prob[data-class="{k}"] .p')) for k in range(10)]
    return page.text_content("#net-prediction"), probs


def draw(page, strokes) -> None:
    box = page.locator("#net-canvas").bounding_box()
    for stroke in strokes:
        (x, y), rest = stroke[0], stroke[1:]
        page.mouse.move(box["x"] + x, box["y"] + y)
        page.mouse.down()
        for x, y in rest:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=6)
        page.mouse.up()


@pytest.fixture
def network_page(tiny_run, served, page):
    page.goto(served(tiny_run) + "#network")
    page.wait_for_selector("#view-network[data-state=ready]")
    sent = []
    page.on(
        "request",
        lambda r: sent.append(json.loads(r.post_data)) if r.url.endswith("/api/network/forward") else None,
    )
    page.sent = sent
    return page


@pytest.mark.parametrize("digit", ["1", "7"])
def test_a_drawn_digit_shows_the_model_s_prediction(network_page, tiny_run, digit):
    page = network_page
    draw(page, STROKES[digit])
    settle(page)
    last = page.sent[-1]
    pad = np.asarray(last["pixels"], np.uint8).reshape(last["height"], last["width"])
    expected = probabilities(tiny_run, preprocess_array(pad))
    label, probs = shown(page)
    assert label == str(int(np.argmax(expected)))
    np.testing.assert_allclose(probs, expected, atol=5e-4 + 1e-9)
    assert page.console_errors == []


def test_test_digits_show_the_model_s_probabilities(network_page, tiny_run):
    page = network_page
    images, _ = runs.test_set(Context(run_dir=tiny_run))
    for _ in range(2):
        page.click("#net-random")
        settle(page)
        index = page.sent[-1]["test_index"]
        assert f"#{index}," in page.text_content("#net-caption")
        expected = probabilities(tiny_run, images[index] / np.float32(255))
        label, probs = shown(page)
        assert label == str(int(np.argmax(expected)))
        np.testing.assert_allclose(probs, expected, atol=5e-4 + 1e-9)


def test_a_clicked_conv_unit_shows_sum_and_bias_equal_to_its_value(network_page, tiny_run, snapshot):
    page = network_page
    draw(page, STROKES["0"])
    settle(page)
    cell = page.locator('canvas[data-layer="2"][data-channel="5"]')
    cell.click(position={"x": 10, "y": 13})  # zoom 3 on 7x7 maps: row 4, column 3
    page.wait_for_selector("#net-unit:not([hidden]) .unit-pre")
    assert "unit (5, 4, 3)" in page.text_content("#net-unit h3")
    total, bias, pre, value = (
        float(page.text_content(f"#net-unit .unit-{k}")) for k in ("sum", "bias", "pre", "value")
    )
    assert total + bias == pytest.approx(pre, abs=2e-4)
    last = page.sent[-1]
    pad = np.asarray(last["pixels"], np.uint8).reshape(last["height"], last["width"])
    model = runs.loaded(Context(run_dir=tiny_run)).model
    with cr.no_grad():
        maps = model[:3](cr.tensor(preprocess_array(pad).reshape(1, 1, 28, 28))).numpy()
    assert value == pytest.approx(maps[0, 5, 4, 3], abs=1e-4) == pytest.approx(pre, abs=1e-4)
    saliency = page.evaluate("cr.api('network/saliency', {test_index: 0}).then(a => [a.gradient.length, a.shape])")
    assert saliency == [784, [28, 28]]
    snapshot(page, "explore-network", "body")  # the whole page: pad, prediction, layers, the unit
    assert page.console_errors == []


def test_bad_requests_show_in_the_page_and_the_server_keeps_answering(tiny_run, served, page, tmp_path):
    run = shutil.copytree(tiny_run, tmp_path / "run")
    page.goto(served(run) + "#network")
    page.wait_for_selector("#view-network[data-state=ready]")
    page.evaluate("cr.api('network/forward', {pixels: new Array(4).fill(0), width: 600, height: 600}).catch(() => 0)")
    page.wait_for_selector("#error:not([hidden])")
    assert page.text_content("#error").startswith("413") and "512x512" in page.text_content("#error")
    page.click("#net-random")
    settle(page)
    assert page.is_hidden("#error") and page.text_content("#net-prediction") != ""
    (run / "checkpoints" / "last" / "model.safetensors").write_bytes(b"broken")
    page.click("#net-random")
    page.wait_for_selector("#error:not([hidden])")
    assert "does not load" in page.text_content("#error") and page.text_content("#error").startswith("422")


def test_without_a_run_the_view_says_how_to_train_one(served, page):
    page.goto(served() + "#network")
    page.wait_for_selector("#net-message")
    assert "chainrule train" in page.text_content("#net-message")
    assert page.console_errors == []
