"""The network view's handlers, called directly: every number against the model's own output."""

from __future__ import annotations

import base64
import shutil

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn as nn
from chainrule.data.images import preprocess_array
from chainrule.explore import runs
from chainrule.explore.protocol import BadRequest, Context
from chainrule.explore.views import network
from chainrule.nn import functional as F


def floats(b64: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(b64), dtype="<f4")


def model_output(ctx: Context, image: np.ndarray) -> np.ndarray:
    model = runs.loaded(ctx).model
    with cr.no_grad():
        return F.softmax(model(cr.tensor(image.reshape(1, 1, 28, 28))), dim=1).numpy()[0]


def stroke_one(size: int = 112) -> list[int]:
    """A slanted "1" as ink opacities on a size x size pad, the way the page sends a drawing."""
    pad = np.zeros((size, size), np.uint8)
    for t in np.linspace(0, 1, 200):
        y, x = int(15 + 80 * t), int(60 - 10 * t)
        pad[y - 4 : y + 4, x - 4 : x + 4] = 255
    return pad.reshape(-1).tolist()


@pytest.fixture
def ctx(tiny_run):
    return Context(run_dir=tiny_run)


def test_a_test_digit_is_predicted_as_the_model_does(ctx):
    answer = network.forward({"test_index": 3}, ctx)
    images, labels = runs.test_set(ctx)
    expected = model_output(ctx, images[3] / np.float32(255))
    assert answer["label"] == labels[3]
    np.testing.assert_allclose(answer["probabilities"], expected, rtol=1e-6)
    assert answer["prediction"] == int(np.argmax(expected))
    shapes = [layer["shape"] for layer in answer["layers"]]
    assert shapes == [[10, 14, 14]] * 2 + [[40, 7, 7]] * 2 + [[80, 7, 7]] * 2 + [[3920], [50], [50], [10]]
    logits = floats(answer["layers"][-1]["data"])
    np.testing.assert_allclose(np.exp(logits) / np.exp(logits).sum(), expected, rtol=1e-5)


def test_a_drawing_is_prepared_as_mnist_was(ctx):
    pixels = stroke_one()
    answer = network.forward({"pixels": pixels, "width": 112, "height": 112}, ctx)
    prepared = preprocess_array(np.asarray(pixels, np.uint8).reshape(112, 112))
    np.testing.assert_array_equal(floats(answer["input"]).reshape(28, 28), prepared)
    np.testing.assert_allclose(answer["probabilities"], model_output(ctx, prepared), rtol=1e-6)


def test_a_conv_unit_is_its_products_sum_and_bias(ctx):
    forward = network.forward({"test_index": 0}, ctx)
    for layer, unit in [(0, [2, 0, 0]), (2, [5, 3, 4]), (4, [17, 6, 6])]:
        answer = network.unit({"test_index": 0, "layer": layer, "unit": unit}, ctx)
        shape = forward["layers"][layer]["shape"]
        stored = floats(forward["layers"][layer]["data"]).reshape(shape)[tuple(unit)]
        assert answer["pre"] == pytest.approx(answer["sum"] + answer["bias"])
        assert answer["pre"] == pytest.approx(stored, abs=1e-5)
        assert answer["value"] == pytest.approx(stored, abs=1e-7)
        np.testing.assert_allclose(
            answer["products"], np.multiply(answer["inputs"], answer["weights"]), rtol=1e-6, atol=1e-9
        )
        after = floats(forward["layers"][layer + 1]["data"]).reshape(shape)[tuple(unit)]
        assert answer["next"]["value"] == pytest.approx(max(stored, 0.0), abs=1e-6) == pytest.approx(after, abs=1e-6)
    corner = network.unit({"test_index": 0, "layer": 0, "unit": [0, 0, 0]}, ctx)
    assert corner["field"] == {"top": -2, "left": -2, "height": 5, "width": 5, "dilation": [1, 1]}
    assert corner["inside"][0] == [False] * 5 and corner["inside"][2][2:] == [True] * 3
    assert corner["inputs"][0][0][0] == 0.0  # a padded cell is zero


def test_dense_softmax_activation_and_flatten_units(ctx):
    forward = network.forward({"test_index": 5}, ctx)
    dense = network.unit({"test_index": 5, "layer": 7, "unit": [4]}, ctx)
    assert len(dense["inputs"]) == 3920 and dense["pre"] == pytest.approx(dense["value"], abs=1e-5)
    assert dense["value"] == pytest.approx(floats(forward["layers"][7]["data"])[4], abs=1e-7)
    soft = network.unit({"test_index": 5, "layer": 10, "unit": [2]}, ctx)
    assert soft["value"] == pytest.approx(forward["probabilities"][2])
    assert soft["exps"][2] / soft["sum"] == pytest.approx(soft["value"], rel=1e-5)
    relu = network.unit({"test_index": 5, "layer": 8, "unit": [4]}, ctx)
    assert relu["op"] == "activation" and relu["value"] == max(relu["input"], 0.0)
    flat = network.unit({"test_index": 5, "layer": 6, "unit": [3919]}, ctx)
    assert flat["source"] == [79, 6, 6]


def test_saliency_is_torch_s_input_gradient(ctx):
    answer = network.saliency({"test_index": 7, "class": 3}, ctx)
    assert answer["shape"] == [28, 28] and len(answer["gradient"]) == 784
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 10, 5, 2, 2), torch.nn.ReLU(), torch.nn.Conv2d(10, 40, 3, 2, 1), torch.nn.ReLU(),
        torch.nn.Conv2d(40, 80, 3, 1, 1), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(3920, 50),
        torch.nn.ReLU(), torch.nn.Linear(50, 10),
    )  # fmt: skip
    state = runs.loaded(ctx).model.state_dict()
    model.load_state_dict({k: torch.tensor(v.numpy()) for k, v in state.items()})
    images, _ = runs.test_set(ctx)
    x = torch.tensor(images[7] / np.float32(255)).reshape(1, 1, 28, 28).requires_grad_()
    model(x)[0, 3].backward()
    np.testing.assert_allclose(answer["gradient"], x.grad.numpy().reshape(-1), atol=1e-6)


def test_test_digits_random_and_by_index(ctx):
    images, labels = runs.test_set(ctx)
    digit = network.test_digit({"index": 9}, ctx)
    assert digit["pixels"] == images[9].reshape(-1).tolist() and digit["label"] == labels[9]
    assert 0 <= network.test_digit({}, ctx)["index"] < len(images)


@pytest.mark.parametrize(
    ("payload", "status", "words"),
    [
        ({"pixels": [0] * 4, "width": 600, "height": 2}, 413, "512x512"),
        ({"pixels": [0] * 5, "width": 2, "height": 2}, 400, "width*height = 4"),
        ({"pixels": [0, 1, "x", 3], "width": 2, "height": 2}, 400, "ints 0..255"),
        ({"pixels": [0, 1, 256, 3], "width": 2, "height": 2}, 400, "ints 0..255"),
        ({"pixels": [0] * 16, "width": 4, "height": 4}, 422, "blank"),
        ({"pixels": [9] * 16, "width": 4, "height": 4, "preprocess": False}, 400, "28x28"),
        ({"test_index": 10_000}, 400, "test_index"),
        ({"test_index": "3"}, 400, "test_index"),
        ({}, 400, "'test_index' or 'pixels'"),
    ],
)
def test_bad_images_are_4xx_naming_the_field(ctx, payload, status, words):
    with pytest.raises(BadRequest) as err:
        network.forward(payload, ctx)
    assert err.value.status == status and words in str(err.value)


@pytest.mark.parametrize(
    ("layer", "unit", "words"),
    [
        (11, [0], "'layer' must be in [0, 10]"),
        (0, [0, 0], "3 indices"),
        (0, [0, 14, 0], "unit[1]"),
        (7, [True], "unit[0]"),
    ],
)
def test_bad_units_are_4xx(ctx, layer, unit, words):
    with pytest.raises(BadRequest) as err:
        network.unit({"test_index": 0, "layer": layer, "unit": unit}, ctx)
    assert err.value.status == 400 and words in str(err.value)


def test_without_a_run_the_view_says_how_to_train_one():
    info = network.model_info({}, Context())
    assert info["available"] is False and "chainrule train" in info["message"]
    with pytest.raises(BadRequest) as err:
        network.forward({"pixels": stroke_one(), "width": 112, "height": 112}, Context())
    assert err.value.status == 404 and "chainrule train" in str(err.value)


def test_a_run_folder_that_goes_bad_later_is_a_422(tiny_run, tmp_path):
    run = shutil.copytree(tiny_run, tmp_path / "run")
    ctx = Context(run_dir=run)
    assert network.model_info({}, ctx)["model"] == "deep"
    (run / "checkpoints" / "last" / "model.safetensors").write_bytes(b"not safetensors at all")
    with pytest.raises(BadRequest) as err:
        network.forward({"test_index": 0}, ctx)
    assert err.value.status == 422 and "model.safetensors" in str(err.value)


def test_any_sequential_of_supported_layers(tiny_run, monkeypatch):
    cr.manual_seed(0)
    model = nn.Sequential(
        nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, padding_mode="reflect"), nn.Tanh()),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, dilation=2, padding="same"),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(294, 10),
    ).eval()
    monkeypatch.setattr(runs, "load_model", lambda path: (model, {"model": "custom"}))
    ctx = Context(run_dir=tiny_run)
    info = network.model_info({}, ctx)
    assert [layer["shape"] for layer in info["layers"]][:5] == [
        [4, 28, 28],
        [4, 28, 28],
        [4, 14, 14],
        [6, 14, 14],
        [6, 7, 7],
    ]
    forward = network.forward({"test_index": 0}, ctx)
    shapes = [layer["shape"] for layer in forward["layers"]]
    for layer, unit in [(0, [1, 0, 27]), (3, [2, 5, 0]), (2, [3, 4, 4]), (4, [1, 6, 6])]:
        answer = network.unit({"test_index": 0, "layer": layer, "unit": unit}, ctx)
        stored = floats(forward["layers"][layer]["data"]).reshape(shapes[layer])[tuple(unit)]
        if answer["op"] == "conv":
            assert answer["pre"] == pytest.approx(stored, abs=1e-5)
        else:
            window = [v for row in answer["inputs"][0] for v in row if v is not None]
            reduce = max if answer["reduce"] == "max" else lambda w: sum(w) / len(w)
            assert reduce(window) == pytest.approx(stored, abs=1e-6)
