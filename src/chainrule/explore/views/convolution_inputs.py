"""The convolution view's request fields: the input grid, the kernel and the settings, each checked.

Only types and size caps are checked here (a request cannot make anything large); whether a
setting makes sense (stride 0, reflect padding past the edge, a kernel wider than the padded
input) is left to chainrule's own conv code, whose error the page shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from ... import backend as B
from ...data import load_mnist
from ...errors import ChainruleError
from ..protocol import BadRequest, Context, field_of, number

MAX_GRID = 16  # a typed or generated input: up to 16 x 16 (a digit is 28 x 28)
DIGIT_SIZE = 28
MAX_KERNEL = 7
MAX_STRIDE = 8
MAX_DILATION = 6
MAX_PAD = 12  # per side, as typed; "full" and "same" are capped through MAX_PADDED
MAX_PADDED = 64  # the padded input, per dimension
MAX_ABS = 1e6  # typed values: products and sums stay finite
INPUT_PRESETS = ("ramp", "random", "digit")
KERNEL_PRESETS = ("box", "identity", "sobel_x", "sobel_y", "random")
PADDING_MODES = ("zeros", "constant", "reflect", "replicate", "circular")


@dataclass
class Setting:
    """One convolution as the page asks for it: x (H, W), w (kh, kw), and conv2d's arguments as given."""

    x: object  # float64 array (H, W)
    w: object  # float64 array (kh, kw)
    stride: object  # int or [int, int], as sent (the library checks >= 1)
    dilation: object
    padding: object  # int, [ph, pw], [[top, bottom], [left, right]], "valid", "same" or "full"
    padding_mode: str
    value: float
    label: int | None = None  # the digit's class, for input "digit"


def grid(value, name: str, max_rows: int, max_cols: int):
    """A rectangular JSON list of lists of numbers (at most max_rows x max_cols) as a float64 array."""
    if not isinstance(value, list) or not value or not all(isinstance(row, list) for row in value):
        raise BadRequest(f"field {name!r} must be a non-empty list of rows (lists of numbers)")
    rows, cols = len(value), len(value[0])
    if not 1 <= rows <= max_rows or not 1 <= cols <= max_cols:
        raise BadRequest(f"field {name!r} must be 1x1 to {max_rows}x{max_cols}, got {rows}x{cols}")
    if any(len(row) != cols for row in value):
        raise BadRequest(f"field {name!r}: every row must hold {cols} numbers (the first row's length)")
    numbers = [
        [number(v, f"{name}[{i}][{j}]", lo=-MAX_ABS, hi=MAX_ABS) for j, v in enumerate(r)] for i, r in enumerate(value)
    ]
    return B.numpy.asarray(numbers, dtype=B.numpy.float64)


def size_field(payload: dict, name: str, hi: int, default: int) -> int:
    """An int field in [1, hi]."""
    return number(payload.get(name, default), name, integer=True, lo=1, hi=hi)


def read_input(payload: dict, ctx: Context):
    """(x (H, W) float64, label or None) from ``input``: a preset name or a typed grid."""
    kind = payload.get("input", "ramp")
    if isinstance(kind, list):
        return grid(kind, "input", MAX_GRID, MAX_GRID), None
    if kind not in INPUT_PRESETS:
        raise BadRequest(f"field 'input' must be a grid or one of {', '.join(INPUT_PRESETS)}, got {kind!r}")
    if kind == "digit":
        return test_digit(payload, ctx)
    h, w = size_field(payload, "h", MAX_GRID, 6), size_field(payload, "w", MAX_GRID, 6)
    if kind == "ramp":  # 1, 2, ..., H*W row by row: every cell distinct, so each copy shows its source
        return B.numpy.arange(1, h * w + 1, dtype=B.numpy.float64).reshape(h, w), None
    seed = number(payload.get("seed", 0), "seed", integer=True, lo=0, hi=2**31 - 1)
    return B.numpy.random.default_rng(seed).integers(0, 10, size=(h, w)).astype(B.numpy.float64), None


def test_digit(payload: dict, ctx: Context):
    """MNIST test image ``digit`` (0..9999) scaled to [0, 1], and its label; only data already on this machine."""
    index = number(payload.get("digit", 0), "digit", integer=True, lo=0, hi=9999)

    def load():
        try:
            return load_mnist("test", download=False)
        except (ChainruleError, OSError, ValueError) as err:
            raise BadRequest(
                f"the MNIST test set is not on this machine ({err}); `chainrule train` fetches it", 404
            ) from err

    images, labels = ctx.cached("convolution:mnist-test", load)
    return images[index].astype(B.numpy.float64) / 255.0, int(labels[index])


def read_kernel(payload: dict):
    """w (kh, kw) float64 from ``kernel``: a preset name made at size (kh, kw), or a typed grid."""
    kind = payload.get("kernel", "box")
    if isinstance(kind, list):
        return grid(kind, "kernel", MAX_KERNEL, MAX_KERNEL)
    if kind not in KERNEL_PRESETS:
        raise BadRequest(f"field 'kernel' must be a grid or one of {', '.join(KERNEL_PRESETS)}, got {kind!r}")
    kh, kw = size_field(payload, "kh", MAX_KERNEL, 3), size_field(payload, "kw", MAX_KERNEL, 3)
    np = B.numpy
    if kind == "box":
        return np.full((kh, kw), 1.0 / (kh * kw))
    if kind == "identity":  # a 1 at the centre (the upper-left of the middle four for even sizes)
        w = np.zeros((kh, kw))
        w[(kh - 1) // 2, (kw - 1) // 2] = 1.0
        return w
    if kind == "random":
        seed = number(payload.get("seed", 0), "seed", integer=True, lo=0, hi=2**31 - 1)
        return np.round(np.random.default_rng(seed + 1).normal(size=(kh, kw)), 2)
    return sobel(kh, kw, transpose=kind == "sobel_y")


def sobel(kh: int, kw: int, transpose: bool):
    """Sobel at any size: binomial smoothing across times a smoothed difference [-1, ..., 1] along.

    3x3 gives [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]] (sobel_x: responds to values growing rightwards).
    """
    np = B.numpy
    across, along = (kw, kh) if transpose else (kh, kw)
    if along < 2:
        raise BadRequest(f"a Sobel kernel needs at least 2 taps along its direction, got size {kh}x{kw}")
    smooth = np.ones(1)
    for _ in range(across - 1):
        smooth = np.convolve(smooth, [1.0, 1.0])
    diff = np.ones(1)
    for _ in range(along - 2):
        diff = np.convolve(diff, [1.0, 1.0])
    diff = np.convolve(diff, [-1.0, 1.0])
    w = np.outer(smooth, diff)
    return w.T if transpose else w


def capped(value, name: str, hi: int) -> int:
    """An int at most ``hi``; the lower bound is the library's to check (its error names the op)."""
    value = number(value, name, integer=True)
    if value > hi:
        raise BadRequest(f"field {name!r} must be at most {hi}, got {value}")
    return value


def pair_field(payload: dict, name: str, hi: int):
    """An int or [int, int] (each <= hi), as conv2d takes it; the library checks the lower bound."""
    value = payload.get(name, 1)
    if isinstance(value, list):
        if len(value) != 2:
            raise BadRequest(f"field {name!r} must be an int or a list of 2 ints, got {len(value)} entries")
        return [capped(v, f"{name}[{i}]", hi) for i, v in enumerate(value)]
    return capped(value, name, hi)


def padding_field(payload: dict):
    """``padding``: "valid" | "same" | "full" | int | [ph, pw] | [[top, bottom], [left, right]]."""
    value = payload.get("padding", 0)
    if isinstance(value, str):
        return value  # conv2d names the allowed strings if this is none of them
    if not isinstance(value, list):
        return capped(value, "padding", MAX_PAD)
    if len(value) != 2:
        raise BadRequest(f"field 'padding' must be an int, a string or a list of 2 entries (H, W), got {len(value)}")
    out = []
    for i, p in enumerate(value):
        if isinstance(p, list):
            if len(p) != 2:
                raise BadRequest(f"field 'padding[{i}]' must be an int or a [before, after] pair")
            out.append(tuple(capped(v, f"padding[{i}][{k}]", MAX_PAD) for k, v in enumerate(p)))
        else:
            out.append(capped(p, f"padding[{i}]", MAX_PAD))
    return tuple(out)


def read_setting(payload: dict, ctx: Context) -> Setting:
    """Every field of a convolution request, checked for type and size."""
    x, label = read_input(payload, ctx)
    mode = field_of(payload, "padding_mode", str, "zeros")
    if mode not in PADDING_MODES:
        raise BadRequest(f"field 'padding_mode' must be one of {', '.join(PADDING_MODES)}, got {mode!r}")
    value = number(payload.get("value", 0.0), "value", lo=-MAX_ABS, hi=MAX_ABS)
    return Setting(
        x=x,
        w=read_kernel(payload),
        stride=pair_field(payload, "stride", MAX_STRIDE),
        dilation=pair_field(payload, "dilation", MAX_DILATION),
        padding=padding_field(payload),
        padding_mode=mode,
        value=value,
        label=label,
    )
