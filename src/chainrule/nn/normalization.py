"""Batch normalisation layers, with PyTorch's parameters, buffers and state_dict names."""

from __future__ import annotations

from .. import backend as B
from ..autograd.creation import ones, zeros
from ..autograd.function import ShapeError
from ..autograd.tensor import Tensor
from ..ops.normalization import batch_norm
from .factory import add_affine
from .module import Module


class _BatchNorm(Module):
    """Normalise each channel (axis 1) by batch statistics in training, running statistics in eval.

    Parameters weight (gamma, ones) and bias (beta, zeros; left out with ``bias=False``, as
    PyTorch 2.13) when ``affine``; buffers running_mean
    (zeros), running_var (ones) and num_batches_tracked when ``track_running_stats``. With
    ``momentum=None`` the running statistics are the cumulative average over all batches seen.
    """

    _ndims: tuple = ()
    _layout = ""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        n = (self.num_features,)
        add_affine(self, n, affine, bias, device, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(n, dtype=dtype, device=device))
            self.register_buffer("running_var", ones(n, dtype=dtype, device=device))
            self.register_buffer("num_batches_tracked", zeros((), dtype=B.numpy.int64, device=device))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0

    def _check_input(self, x) -> None:
        name = f"{type(self).__name__}({self.num_features})"
        if x.ndim not in self._ndims:
            raise ShapeError(f"{name}: expected input {self._layout}, got shape {tuple(x.shape)}")
        if x.shape[1] != self.num_features:
            raise ShapeError(
                f"{name}: input has {x.shape[1]} channels, expected {self.num_features} (input shape {tuple(x.shape)})"
            )

    def forward(self, x) -> Tensor:
        self._check_input(x)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked._data += 1  # the raw 0-d array, in place: no Tensor per forward
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked._data)
        use_batch_stats = self.training or self.running_mean is None
        keep_stats = not self.training or self.track_running_stats
        return batch_norm(
            x,
            self.running_mean if keep_stats else None,
            self.running_var if keep_stats else None,
            self.weight,
            self.bias,
            use_batch_stats,
            factor,
            self.eps,
            name=f"{type(self).__name__}({self.num_features})",
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch norm of (N, C) or (N, C, L) inputs, per channel C."""

    _ndims = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch norm of (N, C, H, W) inputs, per channel C (statistics over N, H and W)."""

    _ndims = (4,)
    _layout = "(N, C, H, W)"
