"""The autograd engine: Tensor, the op base class, the backward pass and the gradient checker."""

# Tensor first: its module pulls in the ops, which need function.py and Tensor.
# isort: off
from .tensor import Tensor, tensor
from .engine import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .function import Elementwise, Function, ShapeError
# isort: on

__all__ = [
    "Elementwise", "Function", "ShapeError", "Tensor", "enable_grad", "is_grad_enabled",
    "no_grad", "set_grad_enabled", "tensor",
]
