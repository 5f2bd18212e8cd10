"""Layers and models, as ``torch.nn``: ``import chainrule.nn as nn``.

Modules register their Parameters, sub-Modules and buffers by attribute assignment and share
PyTorch's names and layouts, so ``state_dict()`` keys and shapes equal the torch model's.
"""

from __future__ import annotations

from . import functional, init
from .activation import LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .container import ModuleList, Sequential
from .conv import Conv1d, Conv2d  # convolution and pooling layers: the lead's nn/conv.py, nn/pooling.py
from .dropout import Dropout
from .linear import Flatten, Identity, Linear
from .loss import CrossEntropyLoss, MSELoss, NLLLoss
from .module import IncompatibleKeys, Module, RemovableHandle, StateDictError
from .normalization import BatchNorm1d, BatchNorm2d
from .parameter import Parameter
from .pooling import AvgPool2d, MaxPool2d
from .summary import ModelSummary, summary

__all__ = [
    "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "Conv1d", "Conv2d", "CrossEntropyLoss", "Dropout", "Flatten",
    "Identity", "IncompatibleKeys", "Linear", "LogSoftmax", "MSELoss", "MaxPool2d", "ModelSummary", "Module",
    "ModuleList", "NLLLoss", "Parameter", "ReLU", "RemovableHandle", "Sequential", "Sigmoid", "Softmax",
    "StateDictError", "Tanh", "functional", "init", "summary",
]
