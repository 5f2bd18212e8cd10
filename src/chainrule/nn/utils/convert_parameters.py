"""All parameters as one flat vector and back, as ``torch.nn.utils.parameters_to_vector`` / ``vector_to_parameters``."""

from __future__ import annotations

from collections.abc import Iterable

from ...autograd.function import ShapeError
from ...autograd.tensor import Tensor
from ...ops.shape import cat


def _same_device(param, device):
    here = param.device
    if device is not None and here != device:
        raise TypeError(
            f"Found two parameters on different devices ({device} and {here}), this is currently not supported."
        )
    return here


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """cat([p.view(-1) for p in parameters]): one vector, in order, differentiable like torch's."""
    device, flat = None, []
    for p in parameters:
        device = _same_device(p, device)
        flat.append(p.reshape(-1))
    if not flat:
        raise ShapeError("parameters_to_vector: expected a non-empty iterable of parameters, got none")
    return cat(flat, dim=0)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Point each parameter at its slice of ``vec``, in order, reshaped to its shape (``param.data = ...``,
    as torch: the parameters then share ``vec``'s memory)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected a Tensor, but got: {type(vec).__name__}")
    device, pointer = None, 0
    for p in parameters:
        device = _same_device(p, device)
        n = p.numel()
        if pointer + n > vec.shape[0]:
            raise ShapeError(
                f"vector_to_parameters: the vector has {vec.shape[0]} elements, too few for the "
                f"parameters (a parameter of shape {tuple(p.shape)} needs elements "
                f"{pointer}..{pointer + n - 1})"
            )
        p.data = vec[pointer : pointer + n].view_as(p).data
        pointer += n
