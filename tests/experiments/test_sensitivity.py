"""The sensitivity experiment: diverging runs are detected and reported, never a crash."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

import chainrule.nn as nn
from chainrule import optim
from chainrule.experiments import common, sensitivity

TINY = sensitivity.Budget(n_train=128, n_val=128, epochs=1, lrs=(1e-3, 1.0), batch_size=64)


def test_a_diverging_learning_rate_is_reported_as_diverged():
    train, val = common.mnist_subsets(256, 128, seed=0)
    spec = {"group": "lr", "init": "default", "optimizer": "Adam", "lr": 1.0}
    result = sensitivity.run_one(spec, train, val, TINY, seed=0)
    assert result.diverged and "exploded" in result.diverged
    assert math.isnan(result.val_acc) and result.steps < 2  # stopped at once, not trained on
    fine = sensitivity.run_one({**spec, "lr": 1e-3}, train, val, TINY, seed=0)
    assert fine.diverged is None and fine.val_acc > 0.2 and fine.steps == 4  # 256 images, batch 64


def test_whole_grid_runs_and_marks_diverged_cells(tmp_path):
    summary = sensitivity.run(budget=TINY, out=str(tmp_path), seed=0, progress=False, log=lambda s: None)
    rows = summary["runs"]
    assert len(rows) == len(sensitivity.INITS) * len(sensitivity.INIT_OPTIMIZERS) + 3 * len(TINY.lrs)
    adam_1 = next(r for r in rows if r["group"] == "lr" and r["optimizer"] == "Adam" and r["lr"] == 1.0)
    assert adam_1["diverged"] and adam_1["run"] in summary["diverged"]
    zeros = [r for r in rows if r["init"] == "zeros"]
    assert all(r["no_progress"] and not r["diverged"] for r in zeros)  # symmetric: stuck at chance
    assert summary["plots"] == ["loss_curves.png", "val_accuracy_heatmap.png"]
    for name in summary["plots"]:
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
    report = (tmp_path / "report.md").read_text()
    assert "diverged: loss exploded" in report


class Fake(SimpleNamespace):
    pass


def guard_trainer(value=1.0):
    model = nn.Sequential(nn.Linear(2, 2))
    model[0].weight.data[0, 0] = value
    return Fake(model=model, step=3)


def test_divergence_guard_rules():
    guard = common.DivergenceGuard(factor=10)
    guard.after_step(guard_trainer(), 2.0)  # reference: max(2.0, ln 10)
    guard.after_step(guard_trainer(), 20.0)  # under 10 x ln 10 = 23.0
    with pytest.raises(common.Diverged, match="exploded to 30 at step 3"):
        guard.after_step(guard_trainer(), 30.0)
    with pytest.raises(common.Diverged, match="weights of 0.weight became NaN/Inf"):
        common.DivergenceGuard().after_step(guard_trainer(math.inf), 1.0)
    big = common.DivergenceGuard()
    big.after_step(guard_trainer(), 400.0)  # a huge first loss (too-large init) is its own reference
    big.after_step(guard_trainer(), 3000.0)


def test_nan_loss_from_the_trainer_is_a_result_not_a_crash():
    """The Trainer's own NaN check (before backward) ends the run as diverged too."""
    train, val = common.mnist_subsets(128, 64, seed=0)
    model = sensitivity.shallow("He")
    model[0].weight.data[...] = math.nan
    result = common.train_run(
        "nan", model, optim.SGD(model.parameters(), lr=0.1), train, val, epochs=1, batch_size=64, seed=0
    )
    assert result.diverged.startswith("the loss became nan") and result.steps == 0
