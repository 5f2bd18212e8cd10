"""plot_grad_flow: bars per layer at a step, lines across training, log scale; what is drawn is the data."""

from __future__ import annotations

import json
import math

import pytest

from chainrule.viz.grad_flow import draw_grad_flow, plot_grad_flow, plot_grad_flow_compare
from chainrule.viz.plots import new_figure

PNG = b"\x89PNG\r\n\x1a\n"


def records(steps=4, layers=("0.weight", "0.bias", "2.weight", "4.weight")):
    """Gradient norms that shrink by 10 per layer towards the input, and grow with the step."""
    out = []
    for s in range(steps):
        for i, name in enumerate(layers):
            value = (s + 1) * 10.0 ** (i - len(layers))
            out.append(
                {
                    "step": s,
                    "epoch": 1,
                    "layer": name,
                    "ndim": 1 if name.endswith("bias") else 2,
                    "grad_norm": value,
                    "grad_abs_mean": value / 3,
                    "weight_norm": 1.0,
                    "update_norm": value / 10,
                    "update_ratio": value / 10,
                }
            )
    return out


def axes():
    return new_figure(6, 4, 50).subplots()


def test_bars_at_a_step_are_the_recorded_values_on_a_log_axis():
    ax = axes()
    rows = records()
    draw_grad_flow(ax, rows, step=2)
    heights = [p.get_height() for p in ax.patches]
    expected = [r["grad_norm"] for r in rows if r["step"] == 2 and r["ndim"] == 2]  # weights only by default
    assert heights == pytest.approx(expected)
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "2", "4"]


def test_lines_across_training_one_per_layer():
    ax = axes()
    rows = records()
    draw_grad_flow(ax, rows, metric="update_ratio", layers=["0.weight", "0.bias"])
    assert len(ax.lines) == 2
    assert list(ax.lines[1].get_ydata()) == pytest.approx([r["update_ratio"] for r in rows if r["layer"] == "0.bias"])
    assert list(ax.lines[0].get_xdata()) == [0, 1, 2, 3]
    assert "update" in ax.get_ylabel() and ax.get_yscale() == "log"


def test_zero_and_nan_are_marked_not_dropped():
    rows = records(steps=1)
    rows[0]["grad_norm"] = 0.0
    rows[2]["grad_norm"] = math.nan
    ax = axes()
    draw_grad_flow(ax, rows, step="first")
    assert len(ax.patches) == 3 and all(p.get_height() > 0 for p in ax.patches)
    assert {t.get_text() for t in ax.texts} == {"0", "nan"}


def test_writes_pngs_from_records_a_file_or_a_run_folder(tmp_path):
    rows = records()
    (tmp_path / "grad_flow.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    written = [
        plot_grad_flow(rows, tmp_path / "a.png", step="last"),
        plot_grad_flow(tmp_path / "grad_flow.jsonl", tmp_path / "b.png"),
        plot_grad_flow(tmp_path, tmp_path / "sub" / "c.png", metric="grad_abs_mean", labels={"0.weight": "W1"}),
        plot_grad_flow_compare([("a", rows), ("b", rows)], tmp_path / "d.png", step=0, title="two"),
    ]
    for path in written:
        assert path.read_bytes()[:8] == PNG


def test_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="no gradient-flow records"):
        plot_grad_flow([], tmp_path / "x.png")
    with pytest.raises(ValueError, match="metric must be one of"):
        plot_grad_flow(records(), tmp_path / "x.png", metric="loss")
    with pytest.raises(ValueError, match=r"no records for layers \['9.weight'\]"):
        plot_grad_flow(records(), tmp_path / "x.png", layers=["9.weight"])
    with pytest.raises(ValueError, match="step 7 was not recorded"):
        plot_grad_flow(records(), tmp_path / "x.png", step=7)
    with pytest.raises(ValueError, match="need 'step' and 'layer'"):
        plot_grad_flow([{"grad_norm": 1.0}], tmp_path / "x.png")
    assert not list(tmp_path.iterdir())
