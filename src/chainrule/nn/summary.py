"""A Keras-like model summary: each layer's output shape and parameter count, and the totals.

The shapes come from one forward pass on zeros under ``no_grad`` in evaluation mode (so BatchNorm's
running statistics and dropout are left alone), seen through forward hooks on the layers.
"""

from __future__ import annotations

import contextlib
import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .. import backend as B
from ..autograd.engine import no_grad
from ..autograd.tensor import Tensor, tensor
from ..backend import devices as _device

if TYPE_CHECKING:
    from .module import Module

HEADER = ("Layer (type)", "Output shape", "Param #")
ALIGN = ("left", "left", "right")


def model_device(module):
    """The device of a module's parameters (the CPU for a module without any)."""
    first = next(iter(module.parameters()), None)
    return _device.CPU if first is None else first.device


@contextlib.contextmanager
def probing(model: Module, modules, hook):
    """A block that runs ``model`` in eval mode without a graph, ``hook`` seeing each of ``modules``'
    forward calls; the hooks are removed and every training mode restored after it."""
    handles = [m.register_forward_hook(hook) for m in modules]
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with no_grad():
            yield
    finally:
        for h in handles:
            h.remove()
        for m, mode in modes:
            object.__setattr__(m, "training", mode)


@dataclass
class LayerRow:
    name: str  # "fc1", "0", "features.2"
    kind: str  # the class name: "Linear"
    output_shape: tuple  # with None for the batch axis
    params: int


@dataclass
class ModelSummary:
    """The table's rows and totals; ``str()`` (and the repr) is the table."""

    model_name: str
    input_shape: tuple
    rows: list = field(default_factory=list)
    total_params: int = 0
    trainable_params: int = 0

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params

    def cells(self) -> list[tuple[str, str, str]]:
        """The table's body as text: (layer (type), output shape, parameter count) per row."""
        return [(f"{r.name} ({r.kind})", _shape_text(r.output_shape), f"{r.params:,}") for r in self.rows]

    def __str__(self) -> str:
        body = self.cells()
        w0, w1, w2 = (max(least, *(len(b[i]) for b in body)) for i, least in enumerate((24, 18, 10)))
        width = w0 + w1 + w2 + 4

        def line(cells):
            return f"{cells[0]:<{w0}}  {cells[1]:<{w1}}  {cells[2]:>{w2}}"

        out = [self.title(), "=" * width, line(HEADER), "=" * width, *(line(b) for b in body)]
        out += ["=" * width, *self.totals(), "_" * width]
        return "\n".join(out)

    __repr__ = __str__

    def title(self) -> str:
        return f'Model: "{self.model_name}"  (input {_shape_text((None,) + self.input_shape)})'

    def totals(self) -> list[str]:
        return [
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.non_trainable_params:,}",
        ]

    def _repr_html_(self) -> str:
        """Jupyter's view: the same title, columns, rows and totals as the text, as an HTML table."""
        esc = html.escape
        head = "".join(f'<th style="text-align:{a}">{esc(h)}</th>' for h, a in zip(HEADER, ALIGN))
        rows = "".join(
            "<tr>" + "".join(f'<td style="text-align:{a}">{esc(c)}</td>' for c, a in zip(cells, ALIGN)) + "</tr>"
            for cells in self.cells()
        )
        totals = "".join(f'<tr><td colspan="3" style="text-align:left">{esc(t)}</td></tr>' for t in self.totals())
        return (
            f'<table class="cr-summary"><caption style="text-align:left"><b>{esc(self.title())}</b></caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody><tfoot>{totals}</tfoot></table>"
        )


def _shape_text(shape) -> str:
    if shape is None:
        return "?"
    return "(" + ", ".join("None" if n is None else str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _out_shape(out):
    if isinstance(out, Tensor) or B.is_array(out):
        return (None,) + tuple(out.shape[1:]) if out.ndim else ()
    if isinstance(out, (tuple, list)) and out:
        return _out_shape(out[0])
    return None


def summary(model: Module, input_shape, batch_size: int = 2, dtype=None) -> ModelSummary:
    """Run ``model`` once on zeros of shape (batch_size, *input_shape) and tabulate its layers.

    ``input_shape`` leaves out the batch axis, as Keras: ``summary(mlp, (784,))``,
    ``summary(cnn, (1, 28, 28))``. Rows are the layers that hold parameters of their own or have no
    children, in call order; each parameter is counted once, at its first call.
    """
    input_shape = (int(input_shape),) if isinstance(input_shape, int) else tuple(int(n) for n in input_shape)
    params = list(model.parameters())
    if dtype is None:
        dtype = params[0].dtype if params else B.default_float
    names = {id(m): name for name, m in model.named_modules()}
    result = ModelSummary(type(model).__name__, input_shape)
    counted: set = set()

    def hook(module, inputs, out):
        own = [p for p in module.parameters(recurse=False) if id(p) not in counted]
        counted.update(id(p) for p in own)
        result.rows.append(
            LayerRow(
                names.get(id(module)) or type(module).__name__,
                type(module).__name__,
                _out_shape(out),
                sum(p.numel() for p in own),
            )
        )

    rows = [m for m in model.modules() if next(m.parameters(recurse=False), None) is not None or not m._modules]
    with probing(model, rows, hook):
        probe = B.numpy.zeros((batch_size,) + input_shape, dtype=dtype)
        model(tensor(probe, device=model_device(model)))  # where the weights are
    result.total_params = sum(p.numel() for p in params)
    result.trainable_params = sum(p.numel() for p in params if p.requires_grad)
    return result
