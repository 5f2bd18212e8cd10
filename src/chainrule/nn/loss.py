"""Loss layers: Modules around the fused loss ops, with PyTorch's arguments."""

from __future__ import annotations

from ..autograd.tensor import Tensor
from ..ops.loss import _check_reduction, cross_entropy, mse_loss, nll_loss
from .module import Module


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        _check_reduction(reduction, type(self).__name__)
        self.reduction = reduction


class _WeightedLoss(_Loss):
    """A loss with optional per-class weights, kept as the buffer ``weight`` (as PyTorch)."""

    def __init__(self, weight=None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.register_buffer("weight", weight)


class CrossEntropyLoss(_WeightedLoss):
    """Fused log-softmax + NLL of logits (N, C) against class indices (N,) or probabilities (N, C).

    ``label_smoothing`` eps replaces the one-hot target by (1 - eps) onehot + eps / C.
    """

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(weight, reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target) -> Tensor:
        return cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                             reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """-logp[i, target_i] of log-probabilities (N, C) (from LogSoftmax), reduced."""

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target) -> Tensor:
        return nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class MSELoss(_Loss):
    """(input - target)^2 reduced by "mean" (over every element), "sum" or "none"."""

    def forward(self, input, target) -> Tensor:
        return mse_loss(input, target, reduction=self.reduction)
