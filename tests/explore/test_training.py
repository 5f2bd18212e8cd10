"""The training view's handlers: metrics followed line by line, the confusion matrix, the mistakes."""

from __future__ import annotations

import base64
import json
import shutil

import numpy as np
import pytest

from chainrule.data.transforms import to_float
from chainrule.explore import runs
from chainrule.explore.protocol import BadRequest, Context
from chainrule.explore.views import training
from chainrule.train import evaluate


@pytest.fixture
def run(tiny_run, tmp_path):
    return shutil.copytree(tiny_run, tmp_path / "run")


def test_metrics_are_the_run_s_records_then_only_new_lines(run):
    ctx = Context(run_dir=run)
    lines = (run / "metrics.jsonl").read_text().splitlines()
    first = training.metrics({}, ctx)
    assert first["total"] == len(lines) == 3 and first["done"] and first["epochs"] == 3
    assert [r["train_loss"] for r in first["records"]] == [json.loads(line)["train_loss"] for line in lines]
    with open(run / "metrics.jsonl", "a") as f:
        f.write(json.dumps({"epoch": 4, "train_loss": 0.5, "lr": 1e-3}) + "\n")
        f.write('{"epoch": 5, "train_lo')  # a line still being written
    second = training.metrics({"since": 3, "generation": first["generation"]}, ctx)
    assert second["records"] == [{**dict.fromkeys(second["records"][0]), "epoch": 4, "train_loss": 0.5, "lr": 1e-3}]
    partial = len('{"epoch": 5, "train_lo')
    assert ctx.cache["metrics"]["offset"] == (run / "metrics.jsonl").stat().st_size - partial  # read up to there
    with open(run / "metrics.jsonl", "a") as f:
        f.write('ss": 0.25}\nnot json\n[1]\n')
    third = training.metrics({"since": 4, "generation": first["generation"]}, ctx)
    assert [r["train_loss"] for r in third["records"]] == [0.25] and third["total"] == 5


def test_a_rewritten_metrics_file_starts_a_new_generation(run):
    ctx = Context(run_dir=run)
    first = training.metrics({}, ctx)
    (run / "metrics.jsonl").write_text(json.dumps({"epoch": 1, "train_loss": 1.0}) + "\n")
    again = training.metrics({"since": first["total"], "generation": first["generation"]}, ctx)
    assert again["reset"] and again["generation"] == first["generation"] + 1
    assert [r["train_loss"] for r in again["records"]] == [1.0]


def test_the_confusion_matrix_is_the_model_s_on_the_test_set(tiny_run):
    ctx = Context(run_dir=tiny_run)
    answer = training.confusion({"limit": 5}, ctx)
    images, labels = runs.test_set(ctx)
    result = evaluate(runs.loaded(ctx).model, to_float(images), labels)
    matrix = np.asarray(answer["matrix"])
    assert matrix.sum() == 10_000 and answer["accuracy"] == pytest.approx(result.accuracy)
    assert np.trace(matrix) == int(np.sum(result.predictions == labels))
    assert answer["misclassified"] == 10_000 - np.trace(matrix) and len(answer["items"]) == 5
    for item in answer["items"]:
        i = item["index"]
        assert item["label"] == labels[i] != item["predicted"] == result.predictions[i]
        assert base64.b64decode(item["pixels"]) == images[i].tobytes()
    i, j = answer["items"][0]["label"], answer["items"][0]["predicted"]
    cell = training.confusion({"label": i, "predicted": j, "limit": 200}, ctx)
    assert cell["misclassified"] == matrix[i, j] and {(x["label"], x["predicted"]) for x in cell["items"]} == {(i, j)}


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({"limit": 500}, "'limit'"),
        ({"label": 10}, "'label'"),
        ({"offset": -1}, "'offset'"),
        ({"predicted": "x"}, "'predicted'"),
    ],
)
def test_bad_confusion_requests(tiny_run, payload, words):
    with pytest.raises(BadRequest) as err:
        training.confusion(payload, Context(run_dir=tiny_run))
    assert err.value.status == 400 and words in str(err.value)


def test_without_a_run_the_training_routes_say_how_to_train_one():
    for handler in (training.metrics, training.confusion):
        with pytest.raises(BadRequest) as err:
            handler({}, Context())
        assert err.value.status == 404 and "chainrule train" in str(err.value)
