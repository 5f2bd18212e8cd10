"""GradFlowMonitor: the recorded numbers are the norms of .grad and of the update, computed by hand."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule import optim
from chainrule.train import Callback, Trainer
from chainrule.train.monitor import (
    GradFlowMonitor,
    at_step,
    epoch_summary,
    first_last_ratio,
    layers,
    parameter_stats,
    read_grad_flow,
    series,
)

from .tiny_run import plugins


def blobs(n=96, seed=0):
    """Three Gaussian blobs in 8-D as (N, 1, 2, 4) images."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.normal(0, 1, (n, 8)) + 2.0 * np.eye(3, 8)[y]
    return x.reshape(n, 1, 2, 4).astype(np.float32), y.astype(np.int64)


def model():
    cr.manual_seed(1)
    return nn.Sequential(nn.Flatten(), nn.Linear(8, 16), nn.Sigmoid(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3))


class Probe(Callback):
    """Copies .grad and the weights around each step, independently of the monitor."""

    def __init__(self):
        self.grads, self.before, self.after = [], [], []

    def after_backward(self, trainer):
        self.grads.append({k: p.grad.clone() for k, p in trainer.model.named_parameters()})
        self.before.append({k: p.data.clone() for k, p in trainer.model.named_parameters()})

    def after_step(self, trainer, loss):
        self.after.append({k: p.data.clone() for k, p in trainer.model.named_parameters()})


def fit(every=1, run_dir=None, epochs=2, opt="sgd", **kw):
    m = model()
    o = optim.SGD(m.parameters(), lr=0.5, momentum=0.9) if opt == "sgd" else optim.Adam(m.parameters(), lr=0.01)
    kw.setdefault("path", None if run_dir is None else run_dir / "grad_flow.jsonl")
    monitor, probe = GradFlowMonitor(every=every, **kw), Probe()
    trainer = Trainer(
        m, o, F.cross_entropy, blobs(), blobs(48, seed=1), [monitor, probe, *plugins(run_dir)], batch_size=16, seed=0
    )
    trainer.fit(epochs)
    return monitor, probe, trainer


def norm(a):
    return float(np.linalg.norm(np.asarray(a, dtype=np.float64).ravel()))


@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_recorded_norms_equal_norms_of_grad_by_hand(opt):
    monitor, probe, trainer = fit(opt=opt)
    names = [k for k, _ in trainer.model.named_parameters()]
    assert len(probe.grads) == trainer.step == 12
    assert len(monitor.records) == 12 * len(names)
    for r in monitor.records:
        s, k = r["step"], r["layer"]
        g, w0, w1 = probe.grads[s][k], probe.before[s][k], probe.after[s][k]
        assert r["grad_norm"] == pytest.approx(norm(g), rel=1e-12)
        assert r["grad_abs_mean"] == pytest.approx(float(g.double().abs().mean()), rel=1e-12)
        assert r["weight_norm"] == pytest.approx(norm(w0), rel=1e-12)
        assert r["update_norm"] == pytest.approx(norm(w1 - w0), rel=1e-12)
        assert r["update_ratio"] == pytest.approx(norm(w1 - w0) / norm(w0), rel=1e-12)
        assert r["ndim"] == w0.ndim and r["epoch"] == s // 6 + 1
    assert all(r["grad_norm"] > 0 and r["update_norm"] > 0 for r in monitor.records)


def test_only_every_nth_step_is_recorded():
    monitor, probe, _ = fit(every=5)
    assert sorted({r["step"] for r in monitor.records}) == [0, 5, 10]
    r = next(r for r in monitor.records if r["step"] == 5 and r["layer"] == "1.weight")
    assert r["grad_norm"] == pytest.approx(norm(probe.grads[5]["1.weight"]), rel=1e-12)


def test_file_and_epoch_summaries(tmp_path):
    monitor, _, trainer = fit(run_dir=tmp_path)
    rows = read_grad_flow(tmp_path)  # the run folder finds grad_flow.jsonl
    assert len(rows) == len(monitor.records)
    for a, b in zip(rows, monitor.records):
        assert a.keys() == b.keys()
        for key in ("grad_norm", "update_ratio", "weight_norm"):
            assert a[key] == pytest.approx(b[key], rel=1e-12)
    epoch1 = [r["grad_norm"] for r in monitor.records if r["epoch"] == 1 and r["layer"] == "3.weight"]
    history = trainer.history
    assert history[0]["grad_norm/3.weight"] == pytest.approx(sum(epoch1) / len(epoch1), rel=1e-12)
    assert {"grad_abs_mean/5.bias", "weight_norm/1.weight", "update_ratio/1.bias"} <= history[1].keys()
    logged = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert logged[1]["grad_norm/3.weight"] == pytest.approx(history[1]["grad_norm/3.weight"])


def test_no_file_without_a_run_folder_or_with_path_none(tmp_path):
    monitor, _, _ = fit(run_dir=tmp_path, path=None, epochs=1)
    assert monitor.records and not (tmp_path / "grad_flow.jsonl").exists()


def fake_trainer(m, step, epoch=0):
    return SimpleNamespace(model=m, step=step, epoch=epoch)


def one_step(monitor, trainer, lr=0.1):
    """A hand-made SGD step through the monitor's hooks."""
    for p in trainer.model.parameters():
        p.grad = cr.ones_like(p)
    monitor.after_backward(trainer)
    for p in trainer.model.parameters():
        p.data -= lr * p.grad
    monitor.after_step(trainer, 1.0)
    trainer.step += 1


def test_resumed_run_keeps_the_file_before_its_first_step(tmp_path):
    m = nn.Sequential(nn.Linear(2, 2))
    first = GradFlowMonitor(path=tmp_path / "g.jsonl")
    t = fake_trainer(m, 0)
    for _ in range(6):
        one_step(first, t)
    first.flush()
    assert sorted({r["step"] for r in read_grad_flow(tmp_path / "g.jsonl")}) == [0, 1, 2, 3, 4, 5]
    resumed = GradFlowMonitor(path=tmp_path / "g.jsonl")  # a resume from step 3: steps 3.. are redone
    t = fake_trainer(m, 3)
    for _ in range(2):
        one_step(resumed, t)
    resumed.flush()
    assert [r["step"] for r in read_grad_flow(tmp_path / "g.jsonl")][::2] == [0, 1, 2, 3, 4]
    fresh = GradFlowMonitor(path=tmp_path / "g.jsonl")  # a new run from step 0 starts the file anew
    one_step(fresh, fake_trainer(m, 0))
    fresh.flush()
    assert {r["step"] for r in read_grad_flow(tmp_path / "g.jsonl")} == {0}


def test_zero_weights_and_non_finite_values():
    m = nn.Sequential(nn.Linear(2, 2))
    m[0].weight.data[...] = 0
    monitor = GradFlowMonitor(path=None)
    one_step(monitor, fake_trainer(m, 0))
    w = next(r for r in monitor.records if r["layer"] == "0.weight")
    assert w["weight_norm"] == 0 and w["update_ratio"] == math.inf  # moved away from zero
    assert math.isnan(epoch_summary([{**w, "grad_norm": math.nan}], ["grad_norm"])["grad_norm/0.weight"])
    assert epoch_summary([w, w], ["update_ratio"]) == {"update_ratio/0.weight": math.inf}


def test_non_finite_values_are_null_in_the_file(tmp_path):
    m = nn.Sequential(nn.Linear(2, 2))
    m[0].weight.data[...] = 0
    monitor = GradFlowMonitor(path=tmp_path / "g.jsonl")
    one_step(monitor, fake_trainer(m, 0))
    monitor.flush()
    raw = [json.loads(line) for line in (tmp_path / "g.jsonl").read_text().splitlines()]
    assert next(r for r in raw if r["layer"] == "0.weight")["update_ratio"] is None
    assert math.isnan(next(r for r in read_grad_flow(tmp_path / "g.jsonl") if r["layer"] == "0.weight")["update_ratio"])


def test_parameter_stats_skips_parameters_without_grad_and_honours_include():
    m = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    m[0].weight.grad = cr.full((2, 3), -2.0)
    stats = parameter_stats(m)
    assert list(stats) == ["0.weight"]
    assert stats["0.weight"]["grad_norm"] == pytest.approx(math.sqrt(6 * 4))
    assert stats["0.weight"]["grad_abs_mean"] == pytest.approx(2.0)
    assert parameter_stats(m, include=lambda name, p: name.endswith("bias")) == {}


def test_helpers_pick_layers_steps_and_ratio():
    monitor, _, _ = fit(epochs=1)
    recs = monitor.records
    assert layers(recs, weights_only=True) == ["1.weight", "3.weight", "5.weight"]
    assert layers(recs)[:2] == ["1.weight", "1.bias"]
    steps, values = series(recs)["3.weight"]
    assert steps == list(range(6)) and len(values) == 6
    first = at_step(recs, "first")
    assert first == at_step(recs, 0) and at_step(recs, "last") == at_step(recs, 5)
    assert first_last_ratio({k: first[k] for k in ("1.weight", "5.weight")}) == first["1.weight"] / first["5.weight"]
    with pytest.raises(ValueError, match="step 99 was not recorded"):
        at_step(recs, 99)


def test_bad_arguments():
    with pytest.raises(ValueError, match="every must be >= 1"):
        GradFlowMonitor(every=0)
    with pytest.raises(ValueError, match="unknown summary metrics"):
        GradFlowMonitor(summary=("grad_norm", "nope"))
    with pytest.raises(FileNotFoundError, match="no gradient-flow records"):
        read_grad_flow("/nonexistent/run")
