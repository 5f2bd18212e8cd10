"""The stateless layer, as ``torch.nn.functional``: ``import chainrule.nn.functional as F``."""

from __future__ import annotations

from ..ops import relu, sigmoid, tanh
from ..ops.conv import conv1d, conv2d  # convolution, padding, pooling: the lead's ops
from ..ops.dropout import dropout
from ..ops.linear import linear
from ..ops.loss import cross_entropy, log_softmax, mse_loss, nll_loss, softmax
from ..ops.normalization import batch_norm
from ..ops.pad import pad
from ..ops.pool import avg_pool2d, max_pool2d

__all__ = [
    "avg_pool2d", "batch_norm", "conv1d", "conv2d", "cross_entropy", "dropout", "linear", "log_softmax",
    "max_pool2d", "mse_loss", "nll_loss", "pad", "relu", "sigmoid", "softmax", "tanh",
]
