"""Rich display in Jupyter: model summaries as HTML tables, plots returned as inline figures, progress
bars as widgets in a kernel and text elsewhere. (Tensor reprs: tests/autograd/test_printing.py.)"""

from __future__ import annotations

import sys
import types
from html.parser import HTMLParser

import numpy as np
import pytest
from tqdm import std

import chainrule as cr
from chainrule.train import callbacks
from chainrule.viz import plots as P
from chainrule.viz.grad_flow import plot_grad_flow, plot_grad_flow_compare


class Table(HTMLParser):
    """The rows of the <tbody> and <tfoot> of an HTML table, each a list of cell texts."""

    def __init__(self, text: str):
        super().__init__()
        self.tags, self.parts, self.part, self.cell = [], {"thead": [], "tbody": [], "tfoot": []}, None, None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in self.parts:
            self.part = tag
        elif tag == "tr":
            self.parts[self.part].append([])
        elif tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.parts[self.part][-1].append(self.cell)
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


@pytest.mark.parametrize("name, total", [("shallow_cnn", 98_820), ("deep_cnn", 229_340)])
def test_summary_html_is_the_text_table(name, total):
    s = getattr(cr.models, name)().summary((1, 28, 28))
    h = s._repr_html_()
    table = Table(h)
    assert table.tags.count("table") == 1 and "caption" in table.tags
    assert table.parts["thead"] == [["Layer (type)", "Output shape", "Param #"]]
    text_rows = [line for line in str(s).splitlines() if line[:1].isdigit()]  # the layer rows of the text
    assert len(table.parts["tbody"]) == len(text_rows) == len(s.rows)
    for cells, line in zip(table.parts["tbody"], text_rows):
        assert line.split() == " ".join(cells).split()
    assert table.parts["tfoot"] == [
        [f"Total params: {total:,}"],
        [f"Trainable params: {total:,}"],
        ["Non-trainable params: 0"],
    ]
    assert f"Model: &quot;{s.model_name}&quot;" in h  # escaped


def history(n=4):
    return [
        {
            "epoch": i + 1,
            "train_loss": 1 / (i + 1),
            "train_acc": 0.5 + 0.1 * i,
            "val_loss": 1.2 / (i + 1),
            "val_acc": 0.5,
        }
        for i in range(n)
    ]


def flow_records():
    return [
        {"step": s, "layer": name, "ndim": 2, "grad_norm": g * (s + 1)}
        for s in range(3)
        for name, g in (("fc1.weight", 0.1), ("fc2.weight", 1.0))
    ]


PLOTS = {
    "curves": (lambda **k: P.plot_curves(history(), **k), ["loss", "accuracy"]),
    "confusion": (lambda **k: P.plot_confusion(np.eye(3, dtype=np.int64) * 5, **k), ["confusion matrix\n"]),
    "filters": (lambda **k: P.plot_filters(np.ones((4, 1, 3, 3)), **k), ["0", "1", "2", "3"]),
    "misclassified": (lambda **k: P.plot_misclassified(np.zeros((3, 8, 8)), [0, 1, 2], [0, 2, 2], **k), ["true 1"]),
    "grad_flow": (lambda **k: plot_grad_flow(flow_records(), **k), ["gradient norm ||g|| during training"]),
    "grad_flow_compare": (
        lambda **k: plot_grad_flow_compare([("a", flow_records()), ("b", flow_records())], **k),
        ["a", "b"],
    ),
}


@pytest.mark.parametrize("name", list(PLOTS))
def test_plots_without_a_path_return_a_figure_jupyter_shows(name, tmp_path):
    from matplotlib import pyplot
    from matplotlib.figure import Figure

    make, titles = PLOTS[name]
    open_before = pyplot.get_fignums()
    fig = make()
    assert isinstance(fig, Figure) and pyplot.get_fignums() == open_before  # not in pyplot's registry
    shown = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert all(any(s.startswith(t) for s in shown) for t in titles), shown
    assert fig._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"
    path = make(path=tmp_path / name / "plot.png")  # with a path: the PNG written, its Path returned
    assert path == tmp_path / name / "plot.png" and path.read_bytes()[:4] == b"\x89PNG"


def test_ipython_formats_each_once():
    """What a notebook gets as a cell's value: an image for a figure, HTML for a tensor and a summary."""
    formatters = pytest.importorskip("IPython.core.formatters")
    display = formatters.DisplayFormatter()
    data, _ = display.format(P.plot_curves(history()))
    assert data["image/png"][:4] == b"\x89PNG" and "text/html" not in data
    assert "<table>" in display.format(cr.tensor([[1.0, 2.0]]))[0]["text/html"]
    assert "<table" in display.format(cr.models.shallow_cnn().summary((1, 28, 28)))[0]["text/html"]


# --- progress bars ------------------------------------------------------------------------------
class ZMQInteractiveShell:  # the class name ipykernel's shell has
    pass


class ColabShell(ZMQInteractiveShell):
    pass


class TerminalInteractiveShell:
    pass


def fake_ipython(monkeypatch, shell):
    for name in ("QT_API", "SPYDER_ARGS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))


def fake_ipywidgets(monkeypatch, present: bool, iprogress=object):
    real = callbacks.importlib.util.find_spec
    monkeypatch.setattr(
        callbacks.importlib.util,
        "find_spec",
        lambda name, *a: (object() if present else None) if name == "ipywidgets" else real(name, *a),
    )
    widget_bar = type("WidgetBar", (std.tqdm,), {})
    monkeypatch.setitem(sys.modules, "tqdm.notebook", types.SimpleNamespace(IProgress=iprogress, tqdm=widget_bar))
    return widget_bar


@pytest.mark.parametrize("shell", [ZMQInteractiveShell(), ColabShell()], ids=["jupyter", "colab"])
def test_a_kernel_with_ipywidgets_gets_the_widget(monkeypatch, shell):
    fake_ipython(monkeypatch, shell)
    widget_bar = fake_ipywidgets(monkeypatch, present=True)
    assert callbacks.in_notebook() and callbacks.bar_class() is widget_bar


def test_a_kernel_without_ipywidgets_gets_text_and_no_warning(monkeypatch, recwarn):
    fake_ipython(monkeypatch, ZMQInteractiveShell())
    fake_ipywidgets(monkeypatch, present=False)
    assert callbacks.in_notebook() and callbacks.bar_class() is std.tqdm
    fake_ipywidgets(monkeypatch, present=True, iprogress=None)  # an ipywidgets tqdm cannot use
    assert callbacks.bar_class() is std.tqdm
    assert not recwarn.list


@pytest.mark.parametrize(
    "setup",
    [
        lambda mp: mp.delitem(sys.modules, "IPython", raising=False),  # plain python
        lambda mp: fake_ipython(mp, None),  # IPython imported, no shell running
        lambda mp: fake_ipython(mp, TerminalInteractiveShell()),  # the IPython terminal
        lambda mp: (fake_ipython(mp, ZMQInteractiveShell()), mp.setenv("QT_API", "pyqt5")),  # Qt console
        lambda mp: (fake_ipython(mp, ZMQInteractiveShell()), mp.setenv("SPYDER_ARGS", "[]")),  # Spyder
    ],
    ids=["python", "ipython-imported", "ipython-terminal", "qtconsole", "spyder"],
)
def test_terminals_get_the_text_bar(monkeypatch, setup):
    setup(monkeypatch)
    fake_ipywidgets(monkeypatch, present=True)
    assert not callbacks.in_notebook() and callbacks.bar_class() is std.tqdm


def test_progress_callback_draws_with_the_chosen_bar(monkeypatch):
    fake_ipython(monkeypatch, ZMQInteractiveShell())
    widget_bar = fake_ipywidgets(monkeypatch, present=True)
    trainer = types.SimpleNamespace(train_x=range(10), batch_size=4, batch_in_epoch=0, epoch=0, epochs=2)
    progress = callbacks.Progress(log=lambda line: None, bar=False)
    progress.on_epoch_start(trainer)
    assert type(progress.bar) is widget_bar and progress.bar.total == 3
    progress.on_fit_end(trainer, None)
    assert progress.bar is None
