"""LayerNorm and GroupNorm layers: per-sample statistics (no running averages), as ``torch.nn``."""

from __future__ import annotations

from ..autograd.tensor import Tensor
from ..ops.layer_norm import as_normalized_shape, group_norm, layer_norm
from .factory import add_affine, reset_affine
from .module import Module


class LayerNorm(Module):
    """Normalise over the last len(normalized_shape) axes of each sample:
    y = (x - mean) / sqrt(var + eps) * weight + bias, weight (ones) and bias (zeros) of normalized_shape."""

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.normalized_shape = as_normalized_shape(normalized_shape, "LayerNorm")
        self.eps, self.elementwise_affine = eps, elementwise_affine
        add_affine(self, self.normalized_shape, elementwise_affine, bias, device, dtype)

    def reset_parameters(self) -> None:
        reset_affine(self)

    def forward(self, input) -> Tensor:
        return layer_norm(
            input, self.normalized_shape, self.weight, self.bias, self.eps, name=f"LayerNorm({self.normalized_shape})"
        )

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
            f"bias={self.bias is not None}"
        )


class GroupNorm(Module):
    """x (N, C, *): the C channels in ``num_groups`` groups, each (sample, group) normalised over its
    channels and positions; then a per-channel weight (ones) and bias (zeros) when ``affine``."""

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        add_affine(self, (num_channels,), affine, bias, device, dtype)

    def reset_parameters(self) -> None:
        reset_affine(self)

    def forward(self, input) -> Tensor:
        return group_norm(
            input,
            self.num_groups,
            self.weight,
            self.bias,
            self.eps,
            name=f"GroupNorm({self.num_groups}, {self.num_channels})",
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )
