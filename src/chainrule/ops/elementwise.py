"""Elementwise ops: each forward rule beside its local gradient d out / d input.

The engine multiplies the upstream gradient by these local gradients (and sums over broadcast
axes), which gives the lecture's gradient-flow patterns: add distributes, mul swaps, max routes.
"""

from __future__ import annotations

from .. import backend as B
from ..autograd.function import Elementwise, fmt
from ..backend import compiled, kernels, threads

_COMPILED_MIN = 1 << 12  # elements from which a compiled kernel beats the ufunc (its call costs ~3 us)
_RELU_MIN_BLOCK = 1 << 19  # elements per thread: below ~2 MB a hand-off to a second thread does not pay

# --- binary arithmetic -------------------------------------------------------------------------


class Add(Elementwise):
    """out = a + b;  d/da = 1, d/db = 1: the add gate distributes the gradient unchanged."""

    symbol = "+"

    def forward(self, a, b):
        return a + b

    def local_grads(self):
        return 1, 1


class Sub(Elementwise):
    """out = a - b;  d/da = 1, d/db = -1."""

    symbol = "-"

    def forward(self, a, b):
        return a - b

    def local_grads(self):
        return 1, -1


class Mul(Elementwise):
    """out = a * b;  d/da = b, d/db = a: the mul gate swaps its inputs."""

    symbol = "*"

    def forward(self, a, b):
        need_a, need_b = self.needs_input_grad  # keep only what a local gradient reads (as PyTorch)
        self.a, self.b = (a if need_b else None), (b if need_a else None)
        return a * b

    def local_grads(self):
        return self.b, self.a


class Div(Elementwise):
    """out = a / b;  d/da = 1 / b, d/db = -a / b^2 (each computed only when its input needs it)."""

    symbol = "/"
    promote_to_float = True  # true division: int / int is a float, as PyTorch

    def forward(self, a, b):
        self.a, self.b = (a if self.needs_input_grad[1] else None), b  # a is read only by d/db
        return a / b

    def local_grads(self):
        need_a, need_b = self.needs_input_grad  # x / constant: no -a / b^2 array to build and drop
        return (1 / self.b if need_a else 0), (-self.a / (self.b * self.b) if need_b else 0)

    def formula(self, i):
        if self.a is None or self.a.size != 1 or self.b.size != 1:
            return None
        return f"1/{fmt(self.b)}" if i == 0 else f"-{fmt(self.a)}/({fmt(self.b)})^2"


class Pow(Elementwise):
    """out = a ** b;  d/da = b a^(b-1), d/db = a^b ln a (each computed only when its input needs it)."""

    symbol = "**"

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = a**b
        return self.out

    def local_grads(self):
        need_a, need_b = self.needs_input_grad
        da = db = 0
        if need_a:
            with B.numpy.errstate(divide="ignore", invalid="ignore"):
                da = self.b * self.a ** (self.b - 1)
            if self.xp.any(self.b == 0):  # d/da a^0 = 0, also at a = 0 where the formula is 0 * inf = NaN
                da = self.xp.where(self.b == 0, 0, da)
        if need_b:
            with B.numpy.errstate(divide="ignore", invalid="ignore"):
                db = self.out * self.xp.log(self.a)
            if self.xp.any(self.a == 0):  # a^b is flat in b at a = 0, b >= 0; the formula says 0 * -inf
                db = self.xp.where((self.a == 0) & (self.b >= 0), 0, db)
        return da, db


class Maximum(Elementwise):
    """out = max(a, b);  the gradient goes to the larger input (split evenly on ties, as PyTorch)."""

    symbol = "max"

    def forward(self, a, b):
        self.a, self.b = a, b
        return self.xp.maximum(a, b)

    def local_grads(self):
        dtype = self.xp.result_type(self.a, self.b)
        tie = (self.a == self.b).astype(dtype) * 0.5
        return (self.a > self.b).astype(dtype) + tie, (self.b > self.a).astype(dtype) + tie


class Minimum(Maximum):
    """out = min(a, b);  the gradient goes to the smaller input (split evenly on ties)."""

    symbol = "min"

    def forward(self, a, b):
        # Maximum's rule on the swapped pair gives (b > a, a > b) = (a is smaller, b is smaller):
        # already d/da and d/db of min(a, b), in input order (swapping them back routed to the larger)
        self.a, self.b = b, a
        return self.xp.minimum(a, b)


class Where(Elementwise):
    """out = a where cond else b;  d/da = cond, d/db = not cond (cond carries no gradient)."""

    symbol = "where"
    promote = slice(1, None)  # a and b take a common dtype; cond stays boolean

    def forward(self, cond, a, b):
        self.cond = cond.astype(bool)
        return self.xp.where(self.cond, a, b)

    def local_grads(self):
        return 0, self.cond, ~self.cond


# --- unary functions ---------------------------------------------------------------------------


class Neg(Elementwise):
    """out = -x;  d/dx = -1."""

    symbol = "*-1"

    def forward(self, x):
        return -x

    def local_grads(self):
        return (-1,)


class Exp(Elementwise):
    """out = e^x;  d/dx = e^x."""

    symbol = "exp"

    def forward(self, x):
        self.x, self.out = x, self.xp.exp(x)
        return self.out

    def local_grads(self):
        return (self.out,)

    def formula(self, i):
        return f"e^({fmt(self.x)})" if self.x.size == 1 else None


class Log(Elementwise):
    """out = ln x;  d/dx = 1 / x."""

    symbol = "log"

    def forward(self, x):
        self.x = x
        return self.xp.log(x)

    def local_grads(self):
        return (1 / self.x,)

    def formula(self, i):
        return f"1/{fmt(self.x)}" if self.x.size == 1 else None


class Sqrt(Elementwise):
    """out = sqrt(x);  d/dx = 1 / (2 sqrt(x))."""

    symbol = "sqrt"

    def forward(self, x):
        self.out = self.xp.sqrt(x)
        return self.out

    def local_grads(self):
        return (0.5 / self.out,)

    def formula(self, i):
        return f"1/(2*{fmt(self.out)})" if self.out.size == 1 else None


class Sigmoid(Elementwise):
    """out = s = 1 / (1 + e^-x);  d/dx = (1 - s) s."""

    symbol = "σ"

    def forward(self, x):
        e = self.xp.exp(-self.xp.abs(x))  # never exp of a large positive number: no overflow
        # e's dtype, not x's: for integer x it is float (x's dtype truncated every value to 0)
        self.out = self.xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(e.dtype, copy=False)
        return self.out

    def local_grads(self):
        return ((1 - self.out) * self.out,)

    def formula(self, i):
        if self.out.size != 1:
            return None
        s = fmt(self.out)
        return f"(1 - {s})({s})"


class Tanh(Elementwise):
    """out = t = tanh x;  d/dx = 1 - t^2."""

    symbol = "tanh"

    def forward(self, x):
        self.out = self.xp.tanh(x)
        return self.out

    def local_grads(self):
        return (1 - self.out * self.out,)

    def formula(self, i):
        return f"1 - ({fmt(self.out)})^2" if self.out.size == 1 else None


class ReLU(Elementwise):
    """out = max(0, x);  d/dx = 1 where x > 0, else 0 (ReLU'(0) = 0).

    Fast form, for large NumPy arrays: the same two ufuncs over blocks of memory, one per thread.
    """

    symbol = "relu"

    def forward(self, x):
        out = _compiled_elementwise("relu_forward", x)
        if out is not None:
            self.out = out
            return out
        out = _split_elementwise(lambda a, o: self.xp.maximum(a, 0, out=o), x)
        self.out = self.xp.maximum(x, 0) if out is None else out  # out > 0 exactly where x > 0: no mask kept
        return self.out

    def local_grads(self):
        return (self.out > 0,)

    def backward(self, upstream):
        if self.needs_input_grad[0]:
            grad = _compiled_elementwise("relu_backward", upstream, self.out)
            if grad is not None:
                return (grad,)
            grad = _split_elementwise(lambda up, o, g: self.xp.multiply(up, o > 0, out=g), upstream, self.out)
            if grad is not None:
                return (grad,)
        return super().backward(upstream)


def _flat(a):
    """``a``'s elements as a 1-D view in memory order, or None when they are not one dense block."""
    flat = a.ravel(order="K")  # a view when the memory is one dense block in some axis order
    return flat if B.numpy.may_share_memory(flat, a) else None


def _same_layout_flats(arrays) -> list | None:
    """The arrays' flat views in memory order when all are NumPy arrays of one shape and layout, each
    one dense block; else None."""
    first = arrays[0]
    if any(type(a) is not B.numpy.ndarray or a.shape != first.shape or a.strides != first.strides for a in arrays):
        return None
    flats = [_flat(a) for a in arrays]
    return None if any(f is None for f in flats) else flats


def _compiled_elementwise(kernel: str, *arrays):
    """The compiled kernel ``kernel(*flat arrays, flat out)`` (ops/kernels/compiled.py) into a new
    array laid out like ``arrays[0]``; None (the NumPy forms) when the compiled kernels are off, the
    array is small (a Numba call costs a few us) or the operands differ in shape or layout."""
    if not compiled.enabled() or arrays[0].size < _COMPILED_MIN:
        return None
    flats = _same_layout_flats(arrays)
    if flats is None:
        return None
    out = B.numpy.empty_like(arrays[0])
    if out.strides != arrays[0].strides:
        return None
    from .kernels import compiled as kernels_compiled

    getattr(kernels_compiled, kernel)(*flats, _flat(out))
    return out


def _split_elementwise(ufuncs, *arrays):
    """``ufuncs(*blocks, out_block)`` over blocks of the arrays' memory, one per thread, into a new
    array shaped and laid out like ``arrays[0]``; None (do it the plain way) for the reference
    kernels, CuPy, small arrays, or operands that differ in shape or layout."""
    first = arrays[0]
    if kernels.reference() or first.size < 2 * _RELU_MIN_BLOCK or threads.get_num_threads() < 2:
        return None
    flats = _same_layout_flats(arrays)
    if flats is None:  # checked before the output is made: a strided input allocates nothing here
        return None
    out = B.numpy.empty_like(first)  # the layout (and dtype) of the first operand, as the reference result
    if out.strides != first.strides:
        return None
    flats.append(_flat(out))
    threads.parallel_for(first.size, lambda a, b: ufuncs(*(f[a:b] for f in flats)), min_block=_RELU_MIN_BLOCK)
    return out


class Abs(Elementwise):
    """out = |x|;  d/dx = sign(x) (0 at 0, as PyTorch)."""

    symbol = "abs"

    def forward(self, x):
        self.x = x
        return self.xp.abs(x)

    def local_grads(self):
        return (self.xp.sign(self.x),)


class Clip(Elementwise):
    """out = min(max(x, lo), hi);  d/dx = 1 where lo <= x <= hi, else 0 (as torch.clamp)."""

    symbol = "clip"

    def forward(self, x, lo=None, hi=None):
        self.mask = self.xp.ones(x.shape, dtype=bool)
        if lo is not None:
            self.mask &= x >= lo
        if hi is not None:
            self.mask &= x <= hi
        if lo is None and hi is None:
            return x.copy()
        return self.xp.clip(x, lo, hi)

    def local_grads(self):
        return (self.mask,)


class Sin(Elementwise):
    """out = sin x;  d/dx = cos x."""

    symbol = "sin"

    def forward(self, x):
        self.x = x
        return self.xp.sin(x)

    def local_grads(self):
        return (self.xp.cos(self.x),)


class Cos(Elementwise):
    """out = cos x;  d/dx = -sin x."""

    symbol = "cos"

    def forward(self, x):
        self.x = x
        return self.xp.cos(x)

    def local_grads(self):
        return (-self.xp.sin(self.x),)
