"""Reliability through the CLI: resume from every documented path, the swap window seen by ``eval``
and ``train --resume``, load errors that name the file, valid JSON from ``eval`` of a NaN checkpoint,
and option ranges checked at parse time.

The data is a small synthetic 28x28 set (the label is the bright quadrant) patched in for MNIST, and
the network the MLP: a run of a few epochs takes a fraction of a second.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

import chainrule.data
from chainrule import models
from chainrule.cli import main
from chainrule.data.transforms import to_float
from chainrule.train import load_weights, run, save_checkpoint
from chainrule.train.checkpoint import read_info


def digits(n: int, seed: int):
    """uint8 (n, 28, 28) images with a bright 14x14 quadrant, labels 0..3 (of the 10 classes)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    x = rng.integers(0, 60, (n, 28, 28))
    for q in range(4):
        r, c = divmod(q, 2)
        x[y == q, 14 * r : 14 * r + 14, 14 * c : 14 * c + 14] += 180
    return x.astype(np.uint8), y.astype(np.int64)


def fake_load_data(config):
    if config.data_root is not None and Path(config.data_root).name == "poison-val":
        return (
            (to_float(digits(64, 0)[0]), digits(64, 0)[1]),
            (np.full((16, 1, 28, 28), np.nan, np.float32), digits(16, 1)[1]),
            (to_float(digits(32, 2)[0]), digits(32, 2)[1]),
        )
    (x, y), (xv, yv), (xt, yt) = digits(64, 0), digits(16, 1), digits(32, 2)
    return (to_float(x), y), (to_float(xv), yv), (to_float(xt), yt)


def fake_load_mnist(split="train", dataset="mnist", root=None, **kw):
    return digits(32, 2)


@pytest.fixture(scope="module")
def fake_mnist():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(run, "load_data", fake_load_data)
        mp.setattr(chainrule.data, "load_mnist", fake_load_mnist)
        yield


TRAIN = [
    "train",
    "--model",
    "mlp",
    "--batch-size",
    "32",
    "--schedule",
    "none",
    "--shift",
    "0",
    "--no-plots",
    "--no-progress",
]


def train(out: Path, epochs: int, *extra: str) -> None:
    assert main([*TRAIN, "--epochs", str(epochs), "--out", str(out), *extra]) == 0


def final_weights(run_dir: Path) -> dict:
    model = models.get_model("mlp")
    load_weights(model, run_dir)
    return {k: v.numpy() for k, v in model.state_dict().items()}


def epochs_in_metrics(run_dir: Path) -> list:
    return [json.loads(line)["epoch"] for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def one_epoch(fake_mnist, tmp_path_factory):
    """A run stopped after epoch 1 of a planned 1 (resumed below with --epochs 2, 3, ...)."""
    out = tmp_path_factory.mktemp("one") / "run"
    train(out, 1)
    return out


@pytest.fixture(scope="module")
def three_epochs(fake_mnist, tmp_path_factory):
    out = tmp_path_factory.mktemp("three") / "run"
    train(out, 3)
    return final_weights(out)


# --- resume from the run folder or any of its checkpoint folders --------------------------------------------
def test_resume_from_every_path_continues_that_run(one_epoch, three_epochs, tmp_path, capsys):
    run_dir = tmp_path / "run"
    shutil.copytree(one_epoch, run_dir)
    for epochs, path in ((2, run_dir / "checkpoints" / "last"), (3, run_dir)):
        assert main(["train", "--resume", str(path), "--epochs", str(epochs), "--no-progress"]) == 0
        assert f"resumed {run_dir / 'checkpoints' / 'last'} at epoch {epochs}" in capsys.readouterr().out
    assert epochs_in_metrics(run_dir) == [1, 2, 3]
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == ["best", "last"]  # nothing nested
    for k, v in final_weights(run_dir).items():
        np.testing.assert_array_equal(v, three_epochs[k], err_msg=k)
    best_epoch = read_info(run_dir / "checkpoints" / "best")["epoch"]
    for path in (run_dir / "checkpoints" / "best", run_dir / "checkpoints"):
        assert main(["train", "--resume", str(path), "--epochs", "4", "--no-progress"]) == 0
    assert "resumed" in capsys.readouterr().out and best_epoch >= 1
    assert epochs_in_metrics(run_dir) == [1, 2, 3, 4] and read_info(run_dir)["epoch"] == 4


@pytest.mark.parametrize("what", ["missing", "empty folder", "a file", "a bare checkpoint", "a run's plots"])
def test_resume_from_a_path_that_is_not_a_run_is_an_error(one_epoch, tmp_path, capsys, what):
    path = {
        "missing": tmp_path / "nope",
        "empty folder": tmp_path,
        "a file": tmp_path / "notes.txt",
        "a bare checkpoint": tmp_path / "ck",
        "a run's plots": tmp_path / "run" / "plots",
    }[what]
    if what == "a file":
        path.write_text("hello")
    elif what == "a bare checkpoint":
        save_checkpoint(path, models.get_model("mlp"))
    elif what == "a run's plots":
        shutil.copytree(one_epoch, tmp_path / "run")
        path.mkdir()
    before = sorted(tmp_path.rglob("*"))
    assert main(["train", "--resume", str(path), "--no-progress"]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and str(path) in err and "cannot resume from here" in err, err
    assert sorted(tmp_path.rglob("*")) == before  # no new run, nested or not


# --- the swap window, seen by eval and train --resume -------------------------------------------------------
def test_cli_entry_points_recover_an_interrupted_swap(one_epoch, three_epochs, tmp_path, capsys):
    run_dir = tmp_path / "run"
    shutil.copytree(one_epoch, run_dir)
    ckpts = run_dir / "checkpoints"
    shutil.copytree(ckpts / "last", tmp_path / "epoch1")
    assert main(["train", "--resume", str(run_dir), "--epochs", "2", "--no-progress"]) == 0
    (ckpts / "last").rename(ckpts / "last.tmp")  # the state a crash between the two renames leaves
    shutil.copytree(tmp_path / "epoch1", ckpts / "last.old")
    capsys.readouterr()
    outputs = []
    for path in (run_dir, ckpts / "last", ckpts / "last.tmp", ckpts / "last.old"):
        assert main(["eval", str(path)]) == 0
        outputs.append(json.loads(capsys.readouterr().out)["loss"])
    assert outputs[0] == outputs[1] == outputs[2] != outputs[3]  # the newest complete one: epoch 2's
    assert main(["train", "--resume", str(run_dir), "--epochs", "3", "--no-progress"]) == 0
    assert "resumed" in capsys.readouterr().out
    assert sorted(p.name for p in ckpts.iterdir()) == ["best", "last"]
    for k, v in final_weights(run_dir).items():
        np.testing.assert_array_equal(v, three_epochs[k], err_msg=k)


# --- every load error names the file ------------------------------------------------------------------------
def _edit_json(folder: Path, edit) -> None:
    info = json.loads((folder / "trainer.json").read_text())
    edit(info)
    (folder / "trainer.json").write_text(json.dumps(info))


def _other_weights(folder: Path) -> None:
    save_checkpoint(folder.parent / "other", models.get_model("shallow"))
    shutil.copy(folder.parent / "other" / "model.safetensors", folder / "model.safetensors")


def _optimizer_shapes(folder: Path) -> None:
    arrays = load_file(str(folder / "optimizer.safetensors"))
    save_file({k: np.zeros((3, 3), v.dtype) for k, v in arrays.items()}, str(folder / "optimizer.safetensors"))


BROKEN = {
    "weights of another network": (_other_weights, "model.safetensors: does not fit this model"),
    "optimizer state shapes": (
        _optimizer_shapes,
        "optimizer.safetensors (with trainer.json's 'optimizer'): does not fit this optimizer",
    ),
    "unknown parameter id": (
        lambda f: _edit_json(f, lambda i: i["optimizer"]["scalars"].update({"99": {"step": 1}})),
        "optimizer.safetensors (with trainer.json's 'optimizer'): does not fit",
    ),
    "negative epoch": (
        lambda f: _edit_json(f, lambda i: i.update(epoch=-1)),
        "trainer.json: field 'epoch': expected an integer >= 0, got -1",
    ),
    "malformed betas": (
        lambda f: _edit_json(f, lambda i: i["optimizer"]["param_groups"][0].update(betas=[0.9])),
        "trainer.json: field 'optimizer.param_groups[0].betas': expected a list of 2",
    ),
    "missing scheduler": (
        lambda f: _edit_json(f, lambda i: i["config"].update(schedule="step")),
        "trainer.json: field 'scheduler': missing, but this run has a StepLR",
    ),
    "malformed scheduler": (
        lambda f: _edit_json(f, lambda i: i.update(scheduler=["x"])),
        "trainer.json: field 'scheduler': expected an object, got a list",
    ),
    "config of wrong type": (
        lambda f: _edit_json(f, lambda i: i["config"].update(lr="fast")),
        "trainer.json: field 'config.lr': must be a number in (0, 10), got 'fast'",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_every_resume_load_error_names_the_file(one_epoch, tmp_path, capsys, case):
    break_it, message = BROKEN[case]
    run_dir = tmp_path / "run"
    shutil.copytree(one_epoch, run_dir)
    break_it(run_dir / "checkpoints" / "last")
    assert main(["train", "--resume", str(run_dir), "--epochs", "2", "--no-progress"]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and f"{run_dir / 'checkpoints' / 'last'}/" in err and message in err, err


# --- standard JSON everywhere -------------------------------------------------------------------------------
def _strict(text: str):
    def refuse(name):
        raise AssertionError(f"{name} in JSON output")

    return json.loads(text, parse_constant=refuse)


def test_eval_of_a_nan_checkpoint_prints_valid_json(fake_mnist, tmp_path, capsys):
    model = models.get_model("mlp")
    next(iter(model.parameters()))._data[...] = np.nan
    history = [{"epoch": 1, "train_loss": 0.5, "val_loss": float("nan"), "lr": float("inf")}]
    save_checkpoint(tmp_path / "ck", model, info={"config": {"model": "mlp"}, "history": history})
    assert "NaN" not in (tmp_path / "ck" / "trainer.json").read_text()
    assert _strict((tmp_path / "ck" / "trainer.json").read_text())["history"][0]["val_loss"] is None
    assert main(["eval", str(tmp_path / "ck")]) == 0
    result = _strict(capsys.readouterr().out)
    assert result["loss"] is None and result["images"] == 32


def test_a_run_diverging_in_epoch_1_says_there_is_no_checkpoint(fake_mnist, tmp_path, capsys):
    (tmp_path / "poison-val").mkdir()  # the fake data's validation images are NaN
    assert (
        main([*TRAIN, "--epochs", "2", "--out", str(tmp_path / "run"), "--data-root", str(tmp_path / "poison-val")])
        == 1
    )
    err = capsys.readouterr().err.strip()
    assert (
        "training diverged: the val loss became nan at the end of epoch 1 (global step 2); nothing was "
        "saved (no checkpoint before it was good)" in err
    ), err
    assert not (tmp_path / "run" / "checkpoints" / "last").exists()


# --- option ranges at parse time ----------------------------------------------------------------------------
BAD_OPTIONS = [
    (["train", "--limit", "-5"], "argument --limit: must be an integer >= 1, got '-5'"),
    (["train", "--limit", "0"], "argument --limit: must be an integer >= 1, got '0'"),
    (["train", "--shift", "1000000"], "argument --shift: must be an integer in [0, 8], got '1000000'"),
    (["train", "--grad-flow", "-1"], "argument --grad-flow: must be an integer >= 0, got '-1'"),
    (["train", "--epochs", "0"], "argument --epochs: must be an integer in [1, 100000], got '0'"),
    (["train", "--batch-size", "0"], "argument --batch-size: must be an integer in [1, 2147483648], got '0'"),
    (["train", "--lr", "0"], "argument --lr: must be a number in (0, 10), got '0'"),
    (["train", "--lr", "nan"], "argument --lr: must be a number in (0, 10), got 'nan'"),
    (["train", "--lr", "fast"], "argument --lr: must be a number in (0, 10), got 'fast'"),
    (["train", "--weight-decay", "-1"], "argument --weight-decay: must be a number in [0, 10], got '-1'"),
    (["train", "--val-fraction", "1"], "argument --val-fraction: must be a number in [0, 1), got '1'"),
    (["train", "--seed", "-1"], "argument --seed: must be an integer >= 0, got '-1'"),
    (["train", "--patience", "-1"], "argument --patience: must be an integer in [0, 100000], got '-1'"),
    (["train", "--model", "huge"], "argument --model: invalid choice: 'huge'"),
    (["train", "--dist-timeout", "0"], "argument --dist-timeout: must be a number in (0, 86400], got '0'"),
    (["train", "--data-root", "/no/such/folder"], "argument --data-root: no folder '/no/such/folder'"),
    (["predict", "ck", "a.png", "--top", "0"], "argument --top: must be an integer in [1, 10], got '0'"),
    (["predict", "ck", "a.png", "--top", "-1"], "argument --top: must be an integer in [1, 10], got '-1'"),
    (["predict", "ck", "a.png", "--top", "11"], "argument --top: must be an integer in [1, 10], got '11'"),
    (["lecture", "--limit", "0"], "argument --limit: must be an integer >= 1, got '0'"),
    (["lecture", "--epochs-deep", "0"], "argument --epochs-deep: must be an integer in [1, 100000], got '0'"),
]


@pytest.mark.parametrize(("argv", "message"), BAD_OPTIONS, ids=[" ".join(a) for a, _ in BAD_OPTIONS])
def test_option_ranges_are_checked_at_parse_time(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err, err
