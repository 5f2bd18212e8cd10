"""The autograd engine: Tensor, the op base class, the backward pass and the gradient checker.

``chainrule.autograd`` is also PyTorch's ``torch.autograd``: ``Function`` (an op written by the
user, with ``ctx``), ``grad(outputs, inputs)`` and ``backward(tensors, grad_tensors)``. The op base
class of chainrule's own ops is ``chainrule.autograd.function.Function`` (``cr.Function``).
"""

# Tensor first: its module pulls in the ops, which need function.py and Tensor.
# isort: off
from .tensor import Size, Tensor, as_tensor, from_numpy, tensor
from .engine import run_backward, enable_grad, grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .function import Elementwise, ShapeError
from .custom import Function, FunctionCtx
from . import function as _function
# isort: on

Op = _function.Function  # chainrule's own op base class: forward(arrays) + backward(upstream)


def Variable(data, requires_grad: bool = False, volatile: bool = False):  # noqa: N802 (PyTorch's name)
    """``torch.autograd.Variable``: since PyTorch 0.4 simply the tensor (``requires_grad`` set if asked)."""
    t = data if isinstance(data, Tensor) else tensor(data)
    return t.requires_grad_(True) if requires_grad else t


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None) -> None:
    """``torch.autograd.backward``: backpropagate from several outputs at once."""
    tensors = list(tensors) if isinstance(tensors, (list, tuple)) else [tensors]
    if grad_tensors is None or not isinstance(grad_tensors, (list, tuple)):
        grad_tensors = [grad_tensors] * len(tensors)
    run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs)


__all__ = [
    "Elementwise",
    "Function",
    "FunctionCtx",
    "Op",
    "ShapeError",
    "Size",
    "Tensor",
    "Variable",
    "as_tensor",
    "backward",
    "enable_grad",
    "from_numpy",
    "grad",
    "inference_mode",
    "is_grad_enabled",
    "no_grad",
    "set_grad_enabled",
    "tensor",
]
