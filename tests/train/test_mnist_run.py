"""End to end on the real MNIST: a short seeded run on a 2,000-image subset, then eval and predict.

Slow-ish (about half a minute on 2 cores) and still run in CI: a fixed seed and a threshold well
above chance (0.1), never a timing.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from chainrule import models
from chainrule.cli import main
from chainrule.data import load_mnist
from chainrule.train import TrainConfig, read_checkpoint, run, train


@pytest.fixture(scope="module")
def short_run(mnist_home, tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("CHAINRULE_HOME", str(mnist_home))
    out = tmp_path_factory.mktemp("run")
    config = TrainConfig(model="shallow", epochs=4, batch_size=64, limit=2000, out=str(out), progress=False, seed=0)
    summary = train(config, log=lambda s: None)
    yield out, summary
    mp.undo()


@pytest.mark.slow
def test_short_run_learns_and_leaves_a_run_folder(short_run):
    out, summary = short_run
    assert summary["test_accuracy"] > 0.85  # 10,000 real test images; chance is 0.1
    assert summary["parameters"] == 98_820
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == [1, 2, 3, 4]
    assert (out / "metrics.csv").is_file() and (out / "summary.json").is_file()
    for name in ("model.safetensors", "optimizer.safetensors", "trainer.json"):
        assert (out / "checkpoints" / "last" / name).is_file()
    plots = {p.name for p in (out / "plots").iterdir()}
    assert {"curves.png", "confusion.png", "filters.png", "feature_maps.png", "misclassified.png"} <= plots


@pytest.mark.slow
def test_eval_cli_reproduces_the_test_accuracy(short_run, mnist_home, monkeypatch, capsys):
    out, summary = short_run
    monkeypatch.setenv("CHAINRULE_HOME", str(mnist_home))
    assert main(["eval", str(out)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["images"] == 10_000
    assert abs(result["accuracy"] - summary["test_accuracy"]) < 1e-4


@pytest.mark.slow
def test_predict_cli_reads_a_digit_image(short_run, mnist_home, tmp_path, monkeypatch, capsys):
    out, _ = short_run
    monkeypatch.setenv("CHAINRULE_HOME", str(mnist_home))
    images, labels = load_mnist("test")
    # a dark digit on white paper, three times the size: predict must normalise it
    big = np.kron(255 - images[0], np.ones((3, 3), np.uint8))
    Image.fromarray(big).save(tmp_path / "digit.png")
    assert main(["predict", str(out), str(tmp_path / "digit.png")]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"{tmp_path / 'digit.png'}: {labels[0]} (")


@pytest.mark.slow
def test_checkpoint_of_another_network_is_one_line(short_run, capsys):
    out, _ = short_run
    info = json.loads((out / "checkpoints" / "last" / "trainer.json").read_text())
    info["config"]["model"] = "deep"
    (out / "checkpoints" / "last" / "trainer.json").write_text(json.dumps(info))
    try:
        assert main(["predict", str(out), "nothing.png"]) == 1
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and "does not fit this model" in err and "Missing key(s)" in err and "3.weight" in err
    finally:
        info["config"]["model"] = "shallow"
        (out / "checkpoints" / "last" / "trainer.json").write_text(json.dumps(info))


def test_lecture_models_are_exact():
    assert sum(p.numel() for p in models.shallow_cnn().parameters()) == models.LECTURE_PARAMETERS["shallow"]
    assert sum(p.numel() for p in models.deep_cnn().parameters()) == models.LECTURE_PARAMETERS["deep"]


@pytest.mark.slow
def test_interrupted_run_resumes_to_the_same_weights(mnist_home, tmp_path, monkeypatch):
    monkeypatch.setenv("CHAINRULE_HOME", str(mnist_home))

    def config(out):
        return TrainConfig(
            model="shallow", epochs=2, batch_size=100, limit=600, out=str(out), progress=False, plots=False
        )

    straight = train(config(tmp_path / "a"), log=lambda s: None)
    real_augment = run.make_augment
    calls = {"n": 0}

    def interrupting(shift):
        shifter = real_augment(shift)

        def augment(batch, rng):
            calls["n"] += 1
            if calls["n"] == 9:  # epoch 2, batch 3: as if Ctrl-C were pressed
                raise KeyboardInterrupt
            return shifter(batch, rng)

        return augment

    monkeypatch.setattr(run, "make_augment", interrupting)
    first = train(config(tmp_path / "b"), log=lambda s: None)
    assert first["stopped"] == "interrupted"
    monkeypatch.setattr(run, "make_augment", real_augment)
    resumed = train(config(tmp_path / "b"), resume=str(tmp_path / "b"), log=lambda s: None)
    assert resumed["test_accuracy"] == straight["test_accuracy"]
    a, _, _ = read_checkpoint(tmp_path / "a")
    b, _, _ = read_checkpoint(tmp_path / "b")
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


@pytest.mark.slow
def test_grad_flow_option_records_into_the_run(mnist_home, tmp_path, monkeypatch):
    monkeypatch.setenv("CHAINRULE_HOME", str(mnist_home))
    config = TrainConfig(model="shallow", epochs=1, limit=500, grad_flow=2, out=str(tmp_path), progress=False)
    train(config, log=lambda s: None)
    lines = (tmp_path / "grad_flow.jsonl").read_text().splitlines()
    assert {json.loads(line)["layer"] for line in lines} >= {"0.weight", "3.weight", "5.weight"}
    record = json.loads((tmp_path / "metrics.jsonl").read_text().splitlines()[0])
    assert record["grad_norm/0.weight"] > 0
    assert (tmp_path / "plots" / "grad_flow.png").is_file()
