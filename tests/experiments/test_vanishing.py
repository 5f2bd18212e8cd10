"""The vanishing-gradient experiment on real MNIST, on a small seeded budget."""

from __future__ import annotations

import math

import pytest

import chainrule as cr
import chainrule.nn as nn
from chainrule.experiments import vanishing

SMALL = vanishing.Budget(n_train=512, n_val=256, epochs=2, batch_size=128, every=1)
SIGMOID, XAVIER, RELU = "sigmoid, N(0, 0.01²)", "sigmoid, Xavier", "ReLU, He"


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    out = tmp_path_factory.mktemp("vanishing")
    return out, vanishing.run(budget=SMALL, out=str(out), seed=0, progress=False, log=lambda s: None)


def test_first_last_gradient_ratio_thresholds(result):
    _, summary = result
    stacks = summary["stacks"]
    for key in ("ratio_start", "ratio_last_epoch"):
        assert stacks[SIGMOID][key] < 1e-2, (key, stacks[SIGMOID])
        assert stacks[RELU][key] > 1e-1, (key, stacks[RELU])
        assert stacks[SIGMOID][key] < stacks[XAVIER][key] < stacks[RELU][key]
    assert not any(s["diverged"] for s in stacks.values())


def test_ratio_is_the_first_over_the_last_weight_gradient_norm():
    records = []
    for step in (0, 1):
        for i, norm in enumerate((1e-6, 1e-3, 1.0)):
            records.append(
                {"step": step, "epoch": 1 + step, "layer": f"{2 * i}.weight", "ndim": 2, "grad_norm": norm * (step + 1)}
            )
            records.append({"step": step, "epoch": 1 + step, "layer": f"{2 * i}.bias", "ndim": 1, "grad_norm": 5.0})
    start, last, per_step = vanishing._ratios(records)
    assert start == pytest.approx(1e-6) and last == pytest.approx(1e-6)
    assert [s for s, _ in per_step] == [0, 1]


def test_writes_plots_report_and_summary(result):
    out, summary = result
    assert summary["plots"] == [
        "grad_flow_start.png",
        "grad_flow_training.png",
        "first_last_ratio.png",
        "learning_curves.png",
    ]
    for name in summary["plots"]:
        assert (out / name).read_bytes()[:4] == b"\x89PNG"
    report = (out / "report.md").read_text()
    assert "# Vanishing gradients" in report and f"{summary['stacks'][SIGMOID]['ratio_start']:.3e}" in report
    assert all(f"]({name})" in report for name in summary["plots"])
    assert (out / "summary.json").is_file()


def test_seeded_runs_repeat_exactly(result):
    _, summary = result
    again = vanishing.run(budget=SMALL, seed=0, progress=False, log=lambda s: None, write=False)
    for name, stack in summary["stacks"].items():
        for key, value in stack.items():
            assert again["stacks"][name][key] == value or (math.isnan(value) and math.isnan(again["stacks"][name][key]))


def test_deep_mlp_has_ten_weight_layers_with_the_chosen_init():
    cr.manual_seed(0)
    model = vanishing.deep_mlp(nn.Sigmoid, vanishing._naive)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert len(linears) == 10 and linears[0].weight.shape == (128, 784) and linears[-1].weight.shape == (10, 128)
    w = linears[3].weight.data
    assert abs(float(w.std()) - 0.01) < 1e-3 and not linears[3].bias.data.any()
    assert sum(isinstance(m, nn.Sigmoid) for m in model.modules()) == 9
