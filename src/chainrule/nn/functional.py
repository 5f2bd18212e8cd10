"""The stateless layer, as ``torch.nn.functional``: ``import chainrule.nn.functional as F``."""

from __future__ import annotations

from ..ops import relu, sigmoid, tanh
from ..ops.activation import elu, gelu, hardtanh, leaky_relu, relu6, silu, softplus
from ..ops.adaptive_pool import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool1d, adaptive_max_pool2d
from ..ops.conv import conv1d, conv2d  # convolution, padding, pooling: the lead's ops
from ..ops.conv_transpose import conv_transpose1d, conv_transpose2d
from ..ops.dropout import dropout, dropout1d, dropout2d
from ..ops.embedding import embedding
from ..ops.layer_norm import group_norm, layer_norm
from ..ops.linear import linear
from ..ops.loss import cross_entropy, log_softmax, nll_loss, softmax
from ..ops.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    one_hot,
    smooth_l1_loss,
)
from ..ops.normalization import batch_norm
from ..ops.pad import pad
from ..ops.pool import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv1d",
    "conv2d",
    "cross_entropy",
    "dropout",
    "dropout1d",
    "dropout2d",
    "elu",
    "gelu",
    "hardtanh",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "leaky_relu",
    "linear",
    "log_softmax",
    "max_pool1d",
    "max_pool2d",
    "mse_loss",
    "nll_loss",
    "one_hot",
    "pad",
    "relu",
    "relu6",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "softmax",
    "softplus",
    "tanh",
]
__all__ += ["conv_transpose1d", "conv_transpose2d", "embedding", "group_norm", "layer_norm"]
