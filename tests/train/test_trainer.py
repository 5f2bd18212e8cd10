"""The fit loop on a small synthetic task: learning, determinism, resume, NaN stop, Ctrl-C, files."""

from __future__ import annotations

import json
import os
import signal

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule import optim
from chainrule.train import DivergenceError, MetricsLog, Trainer, read_checkpoint
from chainrule.train.checkpoint import CheckpointError, load_weights, read_info, save_checkpoint

from .tiny_run import plugins


def quadrant_data(n=240, seed=0):
    """8x8 images with one bright quadrant: the label is the quadrant (4 classes), plus noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    x = rng.normal(0, 0.3, (n, 1, 8, 8)).astype(np.float32)
    for q in range(4):
        r, c = divmod(q, 2)
        x[y == q, :, 4 * r : 4 * r + 4, 4 * c : 4 * c + 4] += 1.0
    return x, y.astype(np.int64)


def tiny_model():
    cr.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 4))


def make_trainer(run_dir=None, lr=0.01, augment=None, patience=None, epochs=3):
    model = tiny_model()
    opt = optim.Adam(model.parameters(), lr=lr)
    train, val = quadrant_data(), quadrant_data(80, seed=1)
    sched = optim.OneCycleLR(opt, max_lr=lr, total_steps=epochs * 8)
    return Trainer(
        model,
        opt,
        F.cross_entropy,
        train,
        val,
        plugins(run_dir, patience=patience),
        batch_size=32,
        epochs=epochs,
        scheduler=sched,
        augment=augment,
        seed=3,
    )


def weights(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def assert_same_weights(a, b):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_fit_learns_the_task():
    trainer = make_trainer()
    result = trainer.fit(3)
    assert result.stopped == "finished" and len(result.history) == 3
    assert result.history[-1]["val_acc"] > 0.9  # chance is 0.25
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]


def test_fit_records_graphs_even_if_grad_mode_was_left_off():
    """A Ctrl-C raised by a user's handler inside a no_grad block's entry can leave graph recording
    off (its exit never runs); fit trains regardless and gives the caller's mode back after."""
    trainer = make_trainer(epochs=1)
    cr.set_grad_enabled(False)  # as such a leak leaves it
    try:
        result = trainer.fit()
        assert result.stopped == "finished" and len(trainer.history) == 1
        assert not cr.is_grad_enabled()
    finally:
        cr.set_grad_enabled(True)


def test_same_seed_same_numbers():
    a, b = make_trainer(), make_trainer()
    a.fit(2)
    b.fit(2)
    assert_same_weights(weights(a.model), weights(b.model))
    assert a.history[-1]["train_loss"] == b.history[-1]["train_loss"]


def shift_augment(batch, rng):
    return np.roll(batch, rng.integers(-1, 2), axis=-1)


def test_resume_after_an_epoch_gives_the_same_weights(tmp_path):
    straight = make_trainer(tmp_path / "a", augment=shift_augment)
    straight.fit(3)
    first = make_trainer(tmp_path / "b", augment=shift_augment)
    first.fit(1)
    second = make_trainer(tmp_path / "b", augment=shift_augment)
    second.resume(tmp_path / "b")
    second.fit(3)
    assert_same_weights(weights(straight.model), weights(second.model))
    assert [r["epoch"] for r in second.history] == [1, 2, 3]
    lines = (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2, 3]


def interrupted_then_resumed(tmp_path, interrupt) -> dict:
    """Fit 2 epochs with ``interrupt()`` called from the augment hook at batch 11 (epoch 2, batch 3),
    check the run stops as interrupted with the handler restored, resume it, and check the weights
    match an uninterrupted run. Returns the interrupted checkpoint's trainer info."""
    straight = make_trainer(tmp_path / "a")
    straight.fit(2)
    calls = {"n": 0}

    def interrupt_at_batch_11(batch, rng):
        calls["n"] += 1
        if calls["n"] == 11:
            interrupt()
        return batch

    first = make_trainer(tmp_path / "b", augment=interrupt_at_batch_11)
    assert first.fit(2).stopped == "interrupted"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored
    _, _, info = read_checkpoint(tmp_path / "b")
    second = make_trainer(tmp_path / "b")
    second.resume(tmp_path / "b")
    second.fit(2)
    assert_same_weights(weights(straight.model), weights(second.model))
    return info


def test_ctrl_c_mid_epoch_saves_and_resume_matches(tmp_path):
    def raise_interrupt():
        raise KeyboardInterrupt

    info = interrupted_then_resumed(tmp_path, raise_interrupt)
    assert (info["epoch"], info["batch_in_epoch"]) == (1, 2)  # the step that raised never ran


def test_a_real_sigint_mid_step_finishes_the_step_then_saves(tmp_path):
    info = interrupted_then_resumed(tmp_path, lambda: os.kill(os.getpid(), signal.SIGINT))
    assert (info["epoch"], info["batch_in_epoch"]) == (1, 3)  # that step was completed, not half-applied


def test_nan_loss_stops_with_epoch_and_step_and_keeps_checkpoint(tmp_path):
    trainer = make_trainer(tmp_path)
    trainer.fit(1)
    before = (tmp_path / "checkpoints" / "last" / "model.safetensors").read_bytes()

    def poison(batch, rng):
        return batch * np.nan

    trainer.augment = poison
    with pytest.raises(DivergenceError, match=r"loss became nan at epoch 2, step 1 \(global step 9\)"):
        trainer.fit(2)
    assert (tmp_path / "checkpoints" / "last" / "model.safetensors").read_bytes() == before
    assert not (tmp_path / "checkpoints" / "last.tmp").exists()


def test_run_folder_files(tmp_path):
    make_trainer(tmp_path).fit(2)
    assert (tmp_path / "metrics.csv").read_text().splitlines()[0].startswith("epoch,step,train_loss")
    assert len((tmp_path / "metrics.csv").read_text().splitlines()) == 3
    assert {p.name for p in (tmp_path / "checkpoints").iterdir()} == {"last", "best"}
    assert sorted(p.name for p in (tmp_path / "checkpoints" / "last").iterdir()) == [
        "model.safetensors",
        "optimizer.safetensors",
        "trainer.json",
    ]


def test_early_stopping():
    trainer = make_trainer(lr=1e-7, patience=0)  # a rate this small cannot improve much
    trainer.val_data = (trainer.val_data[0], (trainer.val_data[1] + 1) % 4)  # and the labels are wrong
    result = trainer.fit(5)
    assert result.stopped == "early_stopping" and len(result.history) < 5


def test_checkpoint_loads_into_torch(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file

    model = tiny_model()
    save_checkpoint(tmp_path / "ck", model)
    ref = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(64, 4),
    )
    ref.load_state_dict(load_file(str(tmp_path / "ck" / "model.safetensors")))  # strict: keys and shapes
    x = quadrant_data(4)[0]
    np.testing.assert_allclose(model(cr.tensor(x)).data, ref(torch.tensor(x)).detach().numpy(), atol=1e-5)


def test_checkpoint_of_another_network_names_keys(tmp_path):
    save_checkpoint(tmp_path / "ck", tiny_model())
    other = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(512, 4))
    with pytest.raises(CheckpointError, match=r"does not fit this model.*0\.weight"):
        load_weights(other, tmp_path / "ck")


def test_missing_or_corrupt_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint here"):
        read_checkpoint(tmp_path)
    (tmp_path / "ck").mkdir()
    (tmp_path / "ck" / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(CheckpointError, match="unreadable checkpoint"):
        read_checkpoint(tmp_path / "ck")
    (tmp_path / "ck" / "trainer.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="unreadable checkpoint.*JSONDecodeError"):
        read_info(tmp_path / "ck")


def test_weights_and_info_are_read_without_the_optimizer_state(tmp_path):
    model = tiny_model()
    save_checkpoint(tmp_path / "ck", model, optim.Adam(model.parameters()), {"config": {"model": "tiny"}})
    (tmp_path / "ck" / "optimizer.safetensors").write_bytes(b"corrupt")  # eval and predict never open it
    assert read_info(tmp_path / "ck") == {"config": {"model": "tiny"}, "format": "chainrule-checkpoint-1"}
    assert load_weights(tiny_model(), tmp_path / "ck")["config"] == {"model": "tiny"}
    with pytest.raises(CheckpointError, match="unreadable checkpoint"):
        read_checkpoint(tmp_path / "ck")


def test_optimizer_state_held_as_tensors_is_saved(tmp_path):
    """torch's optimizers keep their state as Tensors (momentum_buffer, a 0-d step): both are written."""

    class TensorStateOptimizer:
        def state_dict(self):
            return {
                "state": {0: {"momentum_buffer": cr.arange(6.0).reshape(2, 3), "step": cr.tensor(3.0)}},
                "param_groups": [{"lr": 0.1, "params": [0]}],
            }

    save_checkpoint(tmp_path / "ck", tiny_model(), TensorStateOptimizer())
    _, state, _ = read_checkpoint(tmp_path / "ck")
    np.testing.assert_array_equal(state["state"][0]["momentum_buffer"], np.arange(6.0).reshape(2, 3))
    assert state["state"][0]["step"] == 3.0 and state["param_groups"] == [{"lr": 0.1, "params": [0]}]


def test_metrics_log_writes_nonfinite_as_null_and_cuts_to_an_epoch(tmp_path):
    log = MetricsLog(tmp_path)
    for epoch, loss in ((1, 0.5), (2, float("nan")), (3, float("inf"))):
        log.append({"epoch": epoch, "train_loss": loss})
    log.keep_epochs(2)  # a resumed run continues after epoch 2
    assert log.records() == [{"epoch": 1, "train_loss": 0.5}, {"epoch": 2, "train_loss": None}]
    rows = (tmp_path / "metrics.csv").read_text().splitlines()
    assert rows[0].startswith("epoch,step,train_loss") and rows[1:] == ["1,,0.5,,,,,,", "2,,,,,,,,"]
