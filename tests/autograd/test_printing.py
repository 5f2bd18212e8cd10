"""Tensor printing: the text repr against PyTorch's (summaries, print options), and the HTML repr."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.autograd import printing

RNG = np.random.default_rng(0)
CASES = {
    "1-D": RNG.standard_normal(5),
    "2-D": RNG.standard_normal((4, 6)),
    "3-D": RNG.standard_normal((3, 4, 5)),
    "0-D": np.array(3.5),
    "whole": np.arange(12.0).reshape(3, 4),
    "sci spread": np.array([0.5, 1e-3, 123.25]),
    "tiny": np.array([1e-5, 1.0]),
    "huge": RNG.standard_normal(20) * 1e9,
    "nonfinite": np.array([1.0, np.nan, np.inf, -np.inf]),
    "signed zero": np.array([-0.0, 2.0]),
    "zeros": np.zeros((2, 3)),
    "summarised 1-D": np.arange(2000.0),
    "summarised 2-D": np.arange(2000.0).reshape(40, 50) / 7,
    "summarised one long axis": RNG.standard_normal((1, 1001)),
    "summarised 3-D": RNG.standard_normal((10, 10, 11)),
    "ints": np.array([-1, 5, 300]),
    "summarised ints": np.arange(1500).reshape(3, 500),
    "bool": np.array([True, False]),
    "empty 2-D": np.zeros((0, 3), np.float32),
    "empty ints": np.zeros(0, np.int64),
}


def torch_repr(t) -> str:
    return repr(t).replace("torch.", "")


@pytest.mark.parametrize("name", list(CASES))
def test_repr_is_pytorchs(name):
    a = CASES[name]
    a = a.astype(np.float32) if a.dtype == np.float64 else a
    assert repr(cr.tensor(a)) == torch_repr(torch.tensor(a))


@pytest.mark.parametrize(
    "options",
    [
        {"precision": 2},
        {"sci_mode": True},
        {"sci_mode": False},
        {"profile": "short"},
        {"threshold": 5, "edgeitems": 1},
        {"linewidth": 40},
        {"profile": "full", "precision": 1},
    ],
    ids=str,
)
def test_set_printoptions_as_pytorch(options):
    a = [RNG.standard_normal((4, 6)), np.arange(20.0) * 3, RNG.standard_normal(30), np.arange(1200.0) * 1e-3]
    try:
        torch.set_printoptions(**options)
        cr.set_printoptions(**options)
        for x in a:
            x = x.astype(np.float32)
            assert repr(cr.tensor(x)) == torch_repr(torch.tensor(x)), options
    finally:
        torch.set_printoptions(profile="default")
        cr.set_printoptions(profile="default")
    assert cr.get_printoptions() == {
        "precision": 4,
        "threshold": 1000,
        "edgeitems": 3,
        "linewidth": 80,
        "sci_mode": None,
    }


def test_printoptions_block_restores_and_bad_options_are_named():
    with printing.printoptions(precision=1):
        assert repr(cr.tensor([1.25, 2.5])) == "tensor([1.2, 2.5])"
    assert repr(cr.tensor([1.25, 2.5])) == "tensor([1.2500, 2.5000])"
    with pytest.raises(ValueError, match="precision must be an int >= 0, got -1"):
        cr.set_printoptions(precision=-1)
    with pytest.raises(ValueError, match="profile must be one of default, short, full"):
        cr.set_printoptions(profile="long")
    assert cr.get_printoptions()["precision"] == 4


def test_summary_reads_only_the_edges(monkeypatch):
    """A summarised tensor copies only its shown values to the host: what is read stays small."""
    seen = []
    real = printing._device.to_host
    monkeypatch.setattr(printing._device, "to_host", lambda a: seen.append(a.size) or real(a))
    text = repr(cr.zeros(300, 4000))
    assert seen == [6 * 6] and text.count("...") == 7  # one in each of the 6 rows shown, one row of "...,"


class Cells(HTMLParser):
    """The tags and the text of every <td>/<th> of an HTML fragment."""

    def __init__(self, text: str):
        super().__init__()
        self.tags, self.cells, self._in = [], [], None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in ("td", "th"):
            self._in = tag
            self.cells.append((tag, ""))

    def handle_endtag(self, tag):
        self._in = None if tag in ("td", "th") else self._in

    def handle_data(self, data):
        if self._in:
            tag, text = self.cells[-1]
            self.cells[-1] = (tag, text + data)


def values(html: str) -> list[str]:
    return [text for tag, text in Cells(html).cells if tag == "td"]


def test_html_small_matrix_with_its_header():
    x = cr.tensor([[1.0, 2.0], [3.0, 4.5]], requires_grad=True)
    h = (x * 2)._repr_html_()
    assert "<table>" in h and values(h) == ["2.", "4.", "6.", "9."]
    assert "shape (2, 2) · float32 · cpu · grad_fn=&lt;MulBackward0&gt;" in h
    assert "requires_grad=True" in x._repr_html_() and "grad_fn" not in x._repr_html_()
    assert (
        "<b>Parameter</b> shape (3,) · float32 · cpu · requires_grad=True" in cr.nn.Parameter(cr.zeros(3))._repr_html_()
    )


def test_html_large_is_summarised_with_ellipses_and_indices():
    h = cr.arange(100_000.0).reshape(100, 1000)._repr_html_()
    cells = Cells(h).cells
    assert len(values(h)) == 7 * 7  # first and last 3 of each axis, and a row and a column of …
    header = [text for tag, text in cells[:8] if tag == "th"]
    assert header == ["", "0", "1", "2", "…", "997", "998", "999"]
    assert values(h)[:7] == ["0.0000e+00", "1.0000e+00", "2.0000e+00", "…", "9.9700e+02", "9.9800e+02", "9.9900e+02"]
    assert values(h)[21:28] == ["…"] * 7
    long_row = cr.arange(40)._repr_html_()  # 40 < threshold, but wider than a notebook table shows
    assert values(long_row) == ["0", "1", "2", "…", "37", "38", "39"]


def test_html_zero_d_int_and_higher_ranks():
    h = cr.tensor(5)._repr_html_()
    assert "<table>" in h and values(h) == ["5"] and "shape () · int64 · cpu" in h
    assert values(cr.tensor([-1, 300], dtype=cr.int32)._repr_html_()) == ["-1", "300"]
    h3 = cr.ones(2, 2, 2)._repr_html_()
    assert "<pre>[[[1., 1.]," in h3 and "<table>" not in h3


def test_html_escapes_everything():
    t = cr.Tensor([1.0], name="<b>x & y</b>")
    h = t._repr_html_()
    assert "<b>x" not in h and "&lt;b&gt;x &amp; y&lt;/b&gt;" in h
    assert re.sub(r"<[^>]+>", "", h).count("<") == 0  # no stray tag characters in the text
