"""Activation functions beyond ReLU/sigmoid/tanh, each a forward rule beside its local gradient.

LeakyReLU, ELU, GELU (exact and tanh), SiLU, Softplus, Hardtanh/ReLU6, with torch.nn.functional's
names, arguments and defaults. ``inplace=True`` is accepted for PyTorch code; the result is a new
tensor (the input is left as it was).
"""

from __future__ import annotations

import math

from .. import backend as B
from ..autograd.function import Elementwise
from ..autograd.tensor import Tensor, as_tensor

# --- erf, for the exact GELU -------------------------------------------------------------------
# NumPy has no erf; this is W. J. Cody's rational Chebyshev approximation (Math. Comp. 1969, as in
# his CALERF), accurate to double precision on three intervals of |x|.
_A = (
    3.16112374387056560e00,
    1.13864154151050156e02,
    3.77485237685302021e02,
    3.20937758913846947e03,
    1.85777706184603153e-1,
)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03)
_C = (
    5.64188496988670089e-1,
    8.88314979438837594e00,
    6.61191906371416295e01,
    2.98635138197400131e02,
    8.81952221241769090e02,
    1.71204761263407058e03,
    2.05107837782607147e03,
    1.23033935479799725e03,
    2.15311535474403846e-8,
)
_D = (
    1.57449261107098347e01,
    1.17693950891312499e02,
    5.37181101862009858e02,
    1.62138957456669019e03,
    3.29079923573345963e03,
    4.36261909014324716e03,
    3.43936767414372164e03,
    1.23033935480374942e03,
)
_P = (
    3.05326634961232344e-1,
    3.60344899949804439e-1,
    1.25781726111229246e-1,
    1.60837851487422766e-2,
    6.58749161529837803e-4,
    1.63153871373020978e-2,
)
_Q = (
    2.56852019228982242e00,
    1.87295284992346047e00,
    5.27905102951428412e-1,
    6.05183413124413191e-2,
    2.33520497626869185e-3,
)
_INV_SQRT_PI = 1 / math.sqrt(math.pi)


def _ratio(z, num_coef, den_coef, n):
    """(((c_n z + c_0) z + c_1) z ...) / ((z + d_0) z + d_1) z ...: the rational forms of Cody's erf."""
    num, den = num_coef[-1] * z, z
    for i in range(n):
        num = (num + num_coef[i]) * z
        den = (den + den_coef[i]) * z
    return num, den


def erf(x):
    """erf(x) = 2/sqrt(pi) int_0^x e^(-t^2) dt of an array, computed in float64, in x's float dtype."""
    xp = B.module_of(x)
    x64 = x.astype(xp.float64)
    y = xp.abs(x64)
    with B.numpy.errstate(divide="ignore", over="ignore", invalid="ignore"):
        z = y * y  # |x| <= 0.46875: erf directly
        num, den = _ratio(z, _A, _B, 3)
        small = y * (num + _A[3]) / (den + _B[3])
        num, den = _ratio(y, _C, _D, 7)  # 0.46875 < |x| <= 4: erfc
        erfc = (num + _C[7]) / (den + _D[7])
        z = 1 / (y * y)  # |x| > 4: erfc by an asymptotic form
        num, den = _ratio(z, _P, _Q, 4)
        big = (_INV_SQRT_PI - z * (num + _P[4]) / (den + _Q[4])) / y
        erfc = xp.where(y <= 4.0, erfc, xp.where(y < 26.543, big, 0.0))
        head = xp.trunc(y * 16) / 16  # exp(-y^2) in two factors keeps its low bits
        erfc = erfc * xp.exp(-head * head) * xp.exp(-(y - head) * (y + head))
    out = xp.where(y <= 0.46875, small, (0.5 - erfc) + 0.5)
    out = xp.where(x64 < 0, -out, out)
    return out.astype(x.dtype if x.dtype.kind == "f" else xp.float64, copy=False)


# --- ops -----------------------------------------------------------------------------------------


class LeakyReLU(Elementwise):
    """out = x if x > 0 else slope * x;  d/dx = 1 where x > 0, else slope (slope at 0, as PyTorch)."""

    symbol = "leaky_relu"

    def forward(self, x, negative_slope=0.01):
        self.positive, self.slope = x > 0, negative_slope
        return self.xp.where(self.positive, x, x * x.dtype.type(negative_slope))

    def local_grads(self):
        return (self.xp.where(self.positive, 1.0, self.slope).astype(self.parents[0].dtype, copy=False),)


class ELU(Elementwise):
    """out = x if x > 0 else alpha (e^x - 1);  d/dx = 1 where x > 0, else alpha e^x."""

    symbol = "elu"

    def forward(self, x, alpha=1.0):
        self.x, self.alpha = x, x.dtype.type(alpha)
        return self.xp.where(x > 0, x, self.alpha * self.xp.expm1(self.xp.minimum(x, 0)))

    def local_grads(self):
        xp = self.xp
        return (xp.where(self.x > 0, 1, self.alpha * xp.exp(xp.minimum(self.x, 0))).astype(self.x.dtype),)


class GELU(Elementwise):
    """out = x Phi(x), Phi the standard normal CDF = (1 + erf(x / sqrt 2)) / 2;  d/dx = Phi(x) + x phi(x).

    ``approximate="tanh"``: out = x (1 + tanh u) / 2 with u = sqrt(2/pi) (x + 0.044715 x^3);
    d/dx = (1 + tanh u) / 2 + x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2) / 2.
    """

    symbol = "gelu"
    K, C = math.sqrt(2 / math.pi), 0.044715

    def forward(self, x, approximate="none"):
        self.x, self.approximate = x, approximate
        if approximate == "tanh":
            self.t = self.xp.tanh(self.K * (x + self.C * x * x * x))
            return 0.5 * x * (1 + self.t)
        self.cdf = 0.5 * (1 + erf(x * x.dtype.type(1 / math.sqrt(2))))
        return x * self.cdf

    def local_grads(self):
        x = self.x
        if self.approximate == "tanh":
            t = self.t
            return (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * self.K * (1 + 3 * self.C * x * x),)
        pdf = self.xp.exp(-0.5 * x * x) * x.dtype.type(1 / math.sqrt(2 * math.pi))
        return (self.cdf + x * pdf,)


class SiLU(Elementwise):
    """out = x s, s = sigmoid(x) (swish);  d/dx = s (1 + x (1 - s))."""

    symbol = "silu"

    def forward(self, x):
        e = self.xp.exp(-self.xp.abs(x))  # stable sigmoid: never exp of a large positive number
        self.x, self.s = x, self.xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        return x * self.s

    def local_grads(self):
        s = self.s
        return (s * (1 + self.x * (1 - s)),)


class Softplus(Elementwise):
    """out = log(1 + e^(beta x)) / beta, or x where beta x > threshold;  d/dx = sigmoid(beta x) (1 there)."""

    symbol = "softplus"

    def forward(self, x, beta=1.0, threshold=20.0):
        z = x * x.dtype.type(beta)
        self.linear = z > threshold
        safe = self.xp.where(self.linear, 0, z)  # e^z only where it is used: no overflow
        self.e = self.xp.exp(safe)
        return self.xp.where(self.linear, x, self.xp.log1p(self.e) / x.dtype.type(beta))

    def local_grads(self):
        return (self.xp.where(self.linear, 1, self.e / (self.e + 1)).astype(self.e.dtype, copy=False),)


class Hardtanh(Elementwise):
    """out = clamp(x, min_val, max_val);  d/dx = 1 strictly inside (min_val, max_val), else 0 (as PyTorch)."""

    symbol = "hardtanh"

    def forward(self, x, min_val=-1.0, max_val=1.0):
        self.inside = (x > min_val) & (x < max_val)
        return self.xp.clip(x, x.dtype.type(min_val), x.dtype.type(max_val))

    def local_grads(self):
        return (self.inside,)


# --- functions, as torch.nn.functional -----------------------------------------------------------


def _float_input(x, name: str) -> Tensor:
    x = as_tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: input must be floating point, got dtype {x.dtype}")
    return x


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope * x."""
    return LeakyReLU.apply(_float_input(input, "leaky_relu"), negative_slope=float(negative_slope))


def elu(input, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else alpha (e^x - 1)."""
    return ELU.apply(_float_input(input, "elu"), alpha=float(alpha))


def gelu(input, approximate: str = "none") -> Tensor:
    """x Phi(x) (exact, with erf), or its tanh approximation with ``approximate="tanh"``."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU.apply(_float_input(input, "gelu"), approximate=approximate)


def silu(input, inplace: bool = False) -> Tensor:
    """x sigmoid(x)."""
    return SiLU.apply(_float_input(input, "silu"))


def softplus(input, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(beta x)) / beta; x itself where beta x > threshold (for numerical stability)."""
    return Softplus.apply(_float_input(input, "softplus"), beta=float(beta), threshold=float(threshold))


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """clamp(x, min_val, max_val), with gradient 1 strictly between the bounds."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
    return Hardtanh.apply(_float_input(input, "hardtanh"), min_val=float(min_val), max_val=float(max_val))


def relu6(input, inplace: bool = False) -> Tensor:
    """min(max(0, x), 6) = hardtanh(x, 0, 6)."""
    return hardtanh(input, 0.0, 6.0)
