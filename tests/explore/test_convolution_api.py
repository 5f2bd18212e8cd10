"""The convolution view's handlers, called directly: every number against PyTorch, every bad setting a 4xx.

The oracle pads with ``torch.nn.functional.pad`` (the SPEC's modes by PyTorch's names) using pads
worked out here from the SPEC's rules, then runs ``torch.nn.functional.conv2d`` with no padding:
nothing of chainrule's padding code is reused to make the expected values.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given
from hypothesis import strategies as st

from chainrule.explore.api import dispatch
from chainrule.explore.protocol import BadRequest, Context
from chainrule.explore.views.convolution import compute, window

TORCH_MODE = {"zeros": "constant", "constant": "constant", "reflect": "reflect", "replicate": "replicate"}
TORCH_MODE["circular"] = "circular"


def spec_pads(padding, size: int, k: int, s: int, d: int) -> tuple:
    """(before, after) along one dimension, from SPEC section 3."""
    if padding == "valid":
        return 0, 0
    if padding == "full":
        return d * (k - 1), d * (k - 1)
    if padding == "same":
        out = math.ceil(size / s)
        total = max((out - 1) * s + d * (k - 1) + 1 - size, 0)
        return total // 2, total - total // 2
    return tuple(padding) if isinstance(padding, list) else (padding, padding)


def oracle(x: np.ndarray, w: np.ndarray, stride, dilation, padding, mode: str, value: float):
    """(padded input, output) by PyTorch, or None where the SPEC says the setting is refused."""
    strides = stride if isinstance(stride, list) else [stride] * 2
    dils = dilation if isinstance(dilation, list) else [dilation] * 2
    per_dim = padding if isinstance(padding, list) else [padding] * 2
    pads = [spec_pads(p, n, k, s, d) for p, n, k, s, d in zip(per_dim, x.shape, w.shape, strides, dils)]
    widest = [max(p) for p in pads]
    if mode == "reflect" and any(p >= n for p, n in zip(widest, x.shape) if p):
        return None
    if mode == "circular" and any(p > n for p, n in zip(widest, x.shape)):
        return None
    if any(n + a + b < d * (k - 1) + 1 for n, (a, b), k, d in zip(x.shape, pads, w.shape, dils)):
        return None
    (t, b), (left, r) = pads
    xt = torch.tensor(x[None, None])
    fill = value if mode == "constant" else 0.0
    padded = TF.pad(
        xt, (left, r, t, b), mode=TORCH_MODE[mode], **({"value": fill} if mode in ("zeros", "constant") else {})
    )
    out = TF.conv2d(padded, torch.tensor(w[None, None]), stride=strides, dilation=dils)
    return padded[0, 0].numpy(), out[0, 0].numpy()


def request(**fields) -> dict:
    return {"h": 5, "w": 6, "kernel": "random", **fields}


def refused(handler, payload: dict) -> BadRequest:
    with pytest.raises(BadRequest) as info:
        handler(payload, Context())
    return info.value


settings_strategy = st.fixed_dictionaries(
    {
        "h": st.integers(1, 7),
        "w": st.integers(1, 7),
        "kh": st.integers(1, 4),
        "kw": st.integers(1, 4),
        "stride": st.one_of(st.integers(1, 3), st.lists(st.integers(1, 3), min_size=2, max_size=2)),
        "dilation": st.one_of(st.integers(1, 2), st.lists(st.integers(1, 3), min_size=2, max_size=2)),
        "padding": st.one_of(
            st.sampled_from(["valid", "same", "full"]),
            st.integers(0, 3),
            st.lists(st.lists(st.integers(0, 3), min_size=2, max_size=2), min_size=2, max_size=2),
        ),
        "padding_mode": st.sampled_from(list(TORCH_MODE)),
        "value": st.sampled_from([0.0, -1.5, 2.0]),
        "seed": st.integers(0, 50),
        "input": st.sampled_from(["ramp", "random"]),
    }
)


@given(settings_strategy)
def test_compute_matches_torch_or_refuses_as_the_spec_says(payload):
    payload = {**payload, "kernel": "random"}
    answer = json.loads(json.dumps(compute_or_error(payload)))  # the answer is plain JSON
    x, w = np.array(answer.pop("input_x")), np.array(answer.pop("kernel_w"))
    expected = oracle(
        x, w, payload["stride"], payload["dilation"], payload["padding"], payload["padding_mode"], payload["value"]
    )
    if expected is None:
        assert answer["status"] == 422, (payload, answer)
        return
    padded, out = expected
    assert answer["status"] == 200, (payload, answer)
    np.testing.assert_allclose(answer["output"], out, atol=1e-9)
    assert answer["out_shape"] == list(out.shape)
    np.testing.assert_allclose(answer["padded"], padded, atol=0)
    for row in answer["sizes"]:  # the formula's numbers give the output size
        assert row["numerator"] // row["stride"] + 1 == row["out"]


def compute_or_error(payload: dict) -> dict:
    """compute's answer and status through the API, with the input and kernel of the same request
    (made by a setting that is always valid: full zero padding, stride and dilation 1)."""
    safe = compute({**payload, "padding": "full", "padding_mode": "zeros", "stride": 1, "dilation": 1}, Context())
    status, answer = dispatch("convolution/compute", json.dumps(payload).encode(), Context())
    return {**answer, "input_x": safe["input"], "kernel_w": safe["kernel"], "status": status}


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular", "constant", "zeros"])
def test_the_source_map_is_where_each_padded_value_comes_from(mode):
    answer = compute(request(input="ramp", padding=[[2, 1], [0, 3]], padding_mode=mode, value=-7.0), Context())
    x, padded = np.array(answer["input"]), np.array(answer["padded"])
    fill = -7.0 if mode == "constant" else 0.0
    for r, row in enumerate(answer["source"]):
        for c, src in enumerate(row):
            assert padded[r, c] == (fill if src is None else x[src[0], src[1]])
    inside = answer["inside"]
    assert (inside["top"], inside["left"], inside["h"], inside["w"]) == (2, 0, 5, 6)
    copies = [src for row in answer["source"] for src in row if src is not None]
    assert len(copies) == (padded.size if mode not in ("zeros", "constant") else x.size)


def test_reflect_source_map_mirrors_without_repeating_the_edge():
    answer = compute(request(h=3, w=4, padding=[[0, 0], [2, 1]], padding_mode="reflect"), Context())
    assert [src[1] for src in answer["source"][0]] == [2, 1, 0, 1, 2, 3, 2]


def test_window_products_sum_to_the_output_cell():
    payload = request(input="random", seed=3, padding="same", stride=2, dilation=[2, 1], padding_mode="circular")
    answer = compute(payload, Context())
    out = np.array(answer["output"])
    padded = np.array(answer["padded"])
    for i, j in [(0, 0), (out.shape[0] - 1, out.shape[1] - 1), (1, 2)]:
        win = window({**payload, "cell": [i, j]}, Context())
        assert win["rows"] == [i * 2 + a * 2 for a in range(3)] and win["cols"] == [j * 2 + b for b in range(3)]
        np.testing.assert_array_equal(win["inputs"], padded[np.ix_(win["rows"], win["cols"])])
        np.testing.assert_allclose(win["products"], np.array(win["inputs"]) * np.array(win["weights"]))
        assert win["sum"] == pytest.approx(out[i, j], abs=1e-12) and win["output"] == out[i, j]


def test_same_with_stride_two_reports_the_spec_rule():
    answer = compute(request(h=7, w=8, kh=4, kw=3, padding="same", stride=2), Context())
    h, w = answer["sizes"]
    assert (h["same"], h["before"], h["after"], h["out"]) == ({"out": 4, "need": 3, "total": 3}, 1, 2, 4)
    assert (w["same"], w["before"], w["after"], w["out"]) == ({"out": 4, "need": 1, "total": 1}, 0, 1, 4)


def test_kernel_presets():
    sobel = compute(request(kernel="sobel_x"), Context())["kernel"]
    assert sobel == [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
    assert compute(request(kernel="sobel_y"), Context())["kernel"] == np.array(sobel).T.tolist()
    assert compute(request(kernel="identity", kh=2, kw=3), Context())["kernel"] == [[0, 1, 0], [0, 0, 0]]
    assert np.sum(compute(request(kernel="box", kh=5, kw=5), Context())["kernel"]) == pytest.approx(1.0)
    assert compute(request(kernel=[[1, 2], [3, 4]]), Context())["kernel"] == [[1, 2], [3, 4]]


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"stride": 0}, 422, "stride must be >= 1"),
        ({"padding": 5, "padding_mode": "reflect"}, 422, "reflect padding 5"),
        ({"padding": [0, 7], "padding_mode": "circular"}, 422, "circular padding 7"),
        ({"kh": 7, "kw": 7, "padding": "valid"}, 422, "larger than the padded input"),
        ({"padding": "half"}, 422, "'valid', 'same' or 'full'"),
        ({"padding": -1}, 422, "ints >= 0"),
        ({"dilation": [1, 0]}, 422, "dilation must be >= 1"),
        ({"h": 17}, 400, "'h' must be in [1, 16]"),
        ({"padding": 13}, 400, "'padding' must be at most 12, got 13"),
        ({"padding": [[0, 1], [13, 0]]}, 400, "'padding[1][0]' must be at most 12"),
        ({"stride": [1, 9]}, 400, "'stride[1]' must be at most 8"),
        ({"kh": 7, "dilation": 6, "padding": "full"}, 400, "at most 64"),
        ({"input": [[1, 2], [3]]}, 400, "every row must hold 2"),
        ({"input": "photo"}, 400, "'input' must be a grid or one of"),
        ({"kernel": [[1e300]]}, 400, "kernel[0][0]"),
        ({"padding_mode": "mirror"}, 400, "padding_mode"),
        ({"stride": "2"}, 400, "'stride' must be a number"),
    ],
)
def test_bad_settings_are_refused_with_the_reason(fields, status, words):
    answer_status, answer = dispatch("convolution/compute", json.dumps(request(**fields)).encode(), Context())
    assert answer_status == status and words in answer["error"], answer


def test_a_window_outside_the_output_is_refused():
    err = refused(window, request(kh=3, kw=3, cell=[4, 0]))  # output 3 x 4
    assert "'cell[0]' must be in [0, 2]" in str(err)
    assert "missing field 'cell'" in str(refused(window, request()))


def test_a_real_digit(mnist_home, monkeypatch):
    monkeypatch.setenv("CHAINRULE_HOME", str(mnist_home))
    answer = compute(
        {"input": "digit", "digit": 0, "kernel": "sobel_x", "padding": 1, "padding_mode": "replicate"}, Context()
    )
    x = np.array(answer["input"])
    assert x.shape == (28, 28) and answer["label"] == 7 and 0 <= x.min() < x.max() <= 1  # the test set's first is a 7
    assert answer["out_shape"] == [28, 28]
