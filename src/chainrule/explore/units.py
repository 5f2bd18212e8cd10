"""How one unit of a layer got its value, computed again by chainrule from the layer's own weights.

``explain(layer, x, out, unit)``: ``x`` is the layer's input for one image (no batch axis), ``out``
its output, ``unit`` the index of one output value. A conv unit is the lecture's picture: the
receptive field on the previous layer (the padded input), the kernel, the products, their sum and
the bias; a dense unit is a dot product; a pool unit its window; an activation its formula.
"""

from __future__ import annotations

from .. import backend as B
from .. import nn
from ..autograd.tensor import Tensor
from ..nn import functional as F
from ..ops.pad import normalize_padding
from .protocol import BadRequest

ACTIVATIONS = {
    nn.ReLU: "max(0, x)",
    nn.Sigmoid: "1 / (1 + exp(-x))",
    nn.Tanh: "tanh(x)",
    nn.LeakyReLU: "x if x > 0 else slope * x",
    nn.ELU: "x if x > 0 else alpha * (exp(x) - 1)",
    nn.GELU: "x * Phi(x)",
    nn.SiLU: "x * sigmoid(x)",
    nn.Softplus: "log(1 + exp(x))",
    nn.ReLU6: "min(max(0, x), 6)",
    nn.Hardtanh: "min(max(x, -1), 1)",
}
MAX_LISTED = 4096  # a dense unit lists every input up to this many (the deep net's fc1 has 3,920)


def pairs(value) -> tuple:
    """A pool's int-or-pair argument (kernel_size, stride, padding, dilation) as a pair."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def unit_index(unit, shape: tuple) -> tuple:
    """``unit`` checked against the output ``shape``: a list of ints, one per axis, each in range."""
    if not isinstance(unit, list) or len(unit) != len(shape):
        raise BadRequest(f"field 'unit' must be a list of {len(shape)} indices for an output of shape {list(shape)}")
    for axis, (i, size) in enumerate(zip(unit, shape)):
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < size:
            raise BadRequest(f"field 'unit[{axis}]' must be an integer in [0, {size - 1}], got {i!r}")
    return tuple(unit)


def explain(layer, x, out, unit: tuple) -> dict:
    """The computation of ``out[unit]`` from the layer's input ``x`` (both without the batch axis)."""
    value = float(out[unit])
    if isinstance(layer, nn.Conv2d):
        return {"op": "conv", **conv_unit(layer, x, unit), "value": value}
    if isinstance(layer, nn.Linear):
        return {"op": "dense", **dense_unit(layer, x, unit[0]), "value": value}
    if isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
        return {"op": "pool", **pool_unit(layer, x, unit), "value": value}
    if isinstance(layer, nn.Flatten):
        return {
            "op": "flatten",
            "source": [int(i) for i in B.numpy.unravel_index(unit[0], x.shape)],
            "input": value,
            "value": value,
        }
    formula = next((f for kind, f in ACTIVATIONS.items() if isinstance(layer, kind)), None)
    same = x.shape == out.shape
    if formula is not None and same:
        return {"op": "activation", "formula": formula, "input": float(x[unit]), "value": value}
    return {"op": "other", "input": float(x[unit]) if same else None, "value": value}


def conv_unit(layer, x, unit: tuple) -> dict:
    """out[f, i, j] = sum over (c, u, v) of x_pad[c, i*s + u*d, j*s + v*d] * w[f, c, u, v] + b[f]."""
    f, i, j = unit
    (kh, kw), (sh, sw), (dh, dw) = layer.kernel_size, layer.stride, layer.dilation  # tuples (Conv2d's as_pair)
    pads = normalize_padding(layer.padding, (kh, kw), (sh, sw), (dh, dw), x.shape[1:], "Conv2d")
    mode = {"zeros": "constant"}.get(layer.padding_mode, layer.padding_mode)
    flat = tuple(p for pair in reversed(pads) for p in pair)  # PyTorch's order: left, right, top, bottom
    padded = F.pad(Tensor(x[None]), flat, mode=mode, value=getattr(layer, "value", 0.0) or 0.0)
    top, left = i * sh, j * sw
    rows, cols = slice(top, top + dh * (kh - 1) + 1, dh), slice(left, left + dw * (kw - 1) + 1, dw)
    per_group = layer.in_channels // layer.groups
    first = (f // (layer.out_channels // layer.groups)) * per_group
    patch = padded[0, first : first + per_group, rows, cols]
    weight = layer.weight.detach()[f]
    products = patch * weight  # chainrule's ops: the numbers the page shows are chainrule's
    sums = products.sum(dim=(1, 2))
    total = float(sums.sum().item())
    bias = float(layer.bias.detach()[f].item()) if layer.bias is not None else 0.0
    (pt, _), (pl, _) = pads
    inside = [[0 <= top + u * dh - pt < x.shape[1] and 0 <= left + v * dw - pl < x.shape[2] for v in range(kw)]
              for u in range(kh)]  # fmt: skip
    return {
        "field": {"top": top - pt, "left": left - pl, "height": kh, "width": kw, "dilation": [dh, dw]},
        "stride": [sh, sw],
        "padding": [list(p) for p in pads],
        "padding_mode": layer.padding_mode,
        "inside": inside,
        "channels": [first + c for c in range(per_group)],
        "inputs": patch.numpy().tolist(),
        "weights": weight.numpy().tolist(),
        "products": products.numpy().tolist(),
        "channel_sums": sums.numpy().tolist(),
        "sum": total,
        "bias": bias,
        "pre": total + bias,
    }


def dense_unit(layer, x, j: int) -> dict:
    """out[j] = sum_k x[k] * W[j, k] + b[j]."""
    vector = Tensor(x.reshape(-1))
    if vector.shape[0] > MAX_LISTED:
        raise BadRequest(f"a dense unit with {vector.shape[0]} inputs is past the {MAX_LISTED} the page lists", 413)
    weight = layer.weight.detach()[j]
    products = vector * weight
    total = float(products.sum().item())
    bias = float(layer.bias.detach()[j].item()) if layer.bias is not None else 0.0
    return {
        "inputs": vector.numpy().tolist(),
        "weights": weight.numpy().tolist(),
        "products": products.numpy().tolist(),
        "sum": total,
        "bias": bias,
        "pre": total + bias,
    }


def pool_unit(layer, x, unit: tuple) -> dict:
    """out[c, i, j] = max (or mean) of x[c] over the window at (i*s, j*s)."""
    c, i, j = unit
    kh, kw = pairs(layer.kernel_size)
    (sh, sw), (ph, pw) = pairs(layer.stride), pairs(layer.padding)  # stride: the pools' `stride or kernel_size`
    dh, dw = pairs(getattr(layer, "dilation", 1))
    top, left = i * sh - ph, j * sw - pw
    window = [
        [
            float(x[c, r, q]) if 0 <= r < x.shape[1] and 0 <= q < x.shape[2] else None
            for q in range(left, left + dw * kw, dw)
        ]
        for r in range(top, top + dh * kh, dh)
    ]
    op = "max" if isinstance(layer, nn.MaxPool2d) else "mean"
    return {
        "field": {"top": top, "left": left, "height": kh, "width": kw, "dilation": [dh, dw]},
        "channels": [c],
        "inputs": [window],
        "reduce": op,
    }


def softmax_unit(logits, probabilities, k: int) -> dict:
    """p[k] = exp(z[k] - max z) / sum_j exp(z[j] - max z)."""
    z = Tensor(logits)
    exps = (z - z.max()).exp()
    return {
        "op": "softmax",
        "logits": z.numpy().tolist(),
        "exps": exps.numpy().tolist(),
        "sum": float(exps.sum().item()),
        "value": float(probabilities[k]),
    }
