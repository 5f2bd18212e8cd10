"""The overfit experiment: without regularisation the train/validation gap is the largest."""

from __future__ import annotations

import pytest

from chainrule.experiments import overfit

SMALL = overfit.Budget(
    n_train=300, n_val=400, epochs=15, batch_size=32, settings=("none", "weight decay", "dropout", "augmentation")
)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    out = tmp_path_factory.mktemp("overfit")
    return out, overfit.run(budget=SMALL, out=str(out), seed=0, progress=False, log=lambda s: None)


@pytest.mark.slow
def test_gap_is_larger_without_regularisation(result):
    _, summary = result
    rows = {r["setting"]: r for r in summary["settings"]}
    none = rows["none"]
    assert none["train_acc"] > 0.98 and none["val_acc"] > 0.7  # memorised, yet learned something
    for setting in ("weight decay", "dropout", "augmentation"):
        assert rows[setting]["gap"] < none["gap"], (setting, rows[setting], none)
        assert rows[setting]["loss_gap"] < none["loss_gap"], (setting, rows[setting], none)
    for setting in ("dropout", "augmentation"):
        assert rows[setting]["gap"] < none["gap"] - 0.03, (setting, rows[setting], none)
    for r in rows.values():
        assert r["gap"] == pytest.approx(r["train_acc"] - r["val_acc"])


@pytest.mark.slow
def test_writes_curves_gap_chart_and_report(result):
    out, summary = result
    assert summary["plots"] == ["train_val_curves.png", "generalisation_gap.png"]
    for name in summary["plots"]:
        assert (out / name).read_bytes()[:4] == b"\x89PNG"
    report = (out / "report.md").read_text()
    assert "| none |" in report and "gap (points)" in report


def test_dropout_variant_keeps_the_lecture_layers():
    plain, dropped = overfit.deep_cnn(), overfit.deep_cnn(0.5)
    assert plain.num_parameters() == dropped.num_parameters() == 229_340
    kinds = [type(m).__name__ for m in dropped.children()]
    assert kinds.count("Dropout") == 2 and kinds.index("Dropout") == kinds.index("Flatten") + 1
    with pytest.raises(ValueError, match="setting must be one of"):
        overfit._parts("batch norm")
