"""The signal view's API: the flip-and-slide table as ``chainrule convolve --table`` prints it, and superposition."""

from __future__ import annotations

import json

import numpy as np
import pytest

from chainrule.cli import main
from chainrule.explore.api import dispatch
from chainrule.explore.protocol import BadRequest, Context
from chainrule.explore.views.signal import MAX_SAMPLES, superposition, table


def test_the_lecture_example_slide_by_slide():
    answer = table({"x": "3,1,2", "h": [3, 2, 1]}, Context())
    assert answer["y"] == [9, 9, 11, 5, 2]
    assert answer["k"] == [-2, -1, 0, 1, 2, 3, 4, 5]
    assert [s["y"] for s in answer["slides"]] == [9, 9, 11, 5, 2, 0]
    n2 = answer["slides"][2]
    assert [(p["x"], p["h"], p["product"]) for p in n2["products"]] == [(3, 1, 3), (1, 2, 2), (2, 3, 6)]
    assert n2["equation"] == "y[2] = 3 x 1 + 1 x 2 + 2 x 3 = 11"
    assert n2["label"] == "h[2-k]:" and n2["cells"] == ["", "", "1", "2", "3", "", "", ""]  # h flipped, shifted by 2
    assert answer["slides"][-1]["products"] == []  # one slide past the overlap, as the CLI's table


def test_the_text_is_what_the_cli_prints(capsys):
    answer = table({"x": "0.5, -1, 2", "h": "1 -2"}, Context())
    assert main(["convolve", "0.5,-1,2", "1,-2", "--table"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(answer["text"] + "\n")
    assert all(s["equation"] in printed for s in answer["slides"])


@pytest.mark.parametrize("seed", range(3))
def test_every_slide_sums_to_numpys_convolution(seed):
    rng = np.random.default_rng(seed)
    x, h = rng.integers(-9, 10, rng.integers(1, 12)).tolist(), rng.normal(size=rng.integers(1, 12)).round(3).tolist()
    answer = table({"x": x, "h": h}, Context())
    expected = np.convolve(x, h)
    np.testing.assert_allclose(answer["y"], expected)
    for s in answer["slides"][:-1]:
        assert s["y"] == pytest.approx(sum(p["product"] for p in s["products"]))
        assert all(p["product"] == p["x"] * p["h"] == x[p["k"]] * h[s["n"] - p["k"]] for p in s["products"])


def test_superposition_sums_the_scaled_shifted_responses_to_y():
    answer = superposition({"x": "3,1,2", "h": "3,2,1"}, Context())
    assert answer["y"] == answer["sum_of_responses"] == [9, 9, 11, 5, 2]
    assert answer["impulse_response"] == [3, 2, 1] and answer["n"] == [0, 1, 2, 3, 4]
    labels = [t["label"] for t in answer["terms"]]
    assert labels == ["3 delta[n]", "1 delta[n-1]", "2 delta[n-2]"]
    second = answer["terms"][1]
    assert second["input"] == [0, 1, 0] and second["response"] == [0, 3, 2, 1, 0]  # 1 h[n - 1]
    assert np.sum([t["input"] for t in answer["terms"]], axis=0).tolist() == [3, 1, 2]


@pytest.mark.parametrize(
    "payload, words",
    [
        ({"x": "3,a,2", "h": "1"}, ["'x'", "'a' is not a number"]),
        ({"x": "", "h": "1"}, ["'x'", "empty"]),
        ({"x": [], "h": [1]}, ["'x'", "0 samples"]),
        ({"x": [1] * (MAX_SAMPLES + 1), "h": [1]}, ["'x'", f"{MAX_SAMPLES + 1} samples", str(MAX_SAMPLES)]),
        ({"x": ",".join(["1"] * (MAX_SAMPLES + 1)), "h": "1"}, ["'x'", f"{MAX_SAMPLES + 1} samples"]),
        ({"x": [1] * 60, "h": [1] * 60}, ["'x' and 'h'", "120", "at most 100"]),
        ({"x": [10**400], "h": [1]}, ["x[0]", "out of range"]),
        ({"x": "1e999", "h": "1"}, ["'x'", "not a finite number"]),
        ({"x": [1], "h": [True]}, ["h[0]", "bool"]),
        ({"x": [1], "h": ["2"]}, ["h[0]", "str"]),
        ({"x": 3, "h": [1]}, ["'x'", "str or list"]),
        ({"h": [1]}, ["missing", "'x'"]),
        ({"x": "1" * 3000, "h": "1"}, ["'x'", "3000 characters"]),
    ],
)
def test_bad_sequences_are_refused_with_the_field_named(payload, words):
    for handler in (table, superposition):
        with pytest.raises(BadRequest) as err:
            handler(payload, Context())
        assert all(w in str(err.value) for w in words), str(err.value)
        assert err.value.status == 400


def test_through_the_dispatcher_the_answer_is_strict_json():
    for route in ("signal/table", "signal/superposition"):
        status, answer = dispatch(route, b'{"x": [0.1, 0.2, 0.3], "h": "1e15, -1e15"}', Context())
        assert status == 200
        json.dumps(answer, allow_nan=False)
