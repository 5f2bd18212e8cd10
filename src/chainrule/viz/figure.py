"""Figures for the plots: drawn off-screen, then written as a PNG or handed back for Jupyter to show.

A plot function given a ``path`` writes a PNG there and returns the ``Path``; given none it returns
the figure (``finish_figure``), which a notebook displays inline as a cell's value. It is a
``matplotlib.figure.Figure`` on the Agg canvas, never registered with pyplot, so it is shown exactly
once (pyplot's inline backend would show its own figures again at the end of the cell) and freed
with its last reference. matplotlib is imported on first use, so ``import chainrule`` stays fast.
"""

from __future__ import annotations

import os
import uuid
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@cache
def figure_class() -> type:
    """``matplotlib.figure.Figure`` with ``_repr_png_``: it shows inline in Jupyter even before
    pyplot (and with it the inline backend's formatter for figures) has been imported."""
    import io

    from matplotlib.figure import Figure

    class InlineFigure(Figure):
        def _repr_png_(self) -> bytes:
            buffer = io.BytesIO()
            self.savefig(buffer, format="png")
            return buffer.getvalue()

    InlineFigure.__module__, InlineFigure.__qualname__ = __name__, "InlineFigure"  # pickle finds it below
    return InlineFigure


def __getattr__(name: str):
    if name == "InlineFigure":  # the class exists once matplotlib is imported
        return figure_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def new_figure(width: float, height: float, dpi: int) -> Figure:
    """A Figure (inches, dots per inch) on the Agg canvas: no GUI, no pyplot state, laid out tightly."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = figure_class()(figsize=(width, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig, path) -> Path:
    """Write ``fig`` as PNG to ``path`` atomically: a temporary file beside it, then ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "xb") as f:
            fig.savefig(f, format="png")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def finish_figure(fig, path=None) -> Path | Figure:
    """The end of every plot: ``path`` given, the PNG written there and its ``Path``; else ``fig``."""
    return fig if path is None else save_figure(fig, path)
