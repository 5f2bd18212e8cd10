"""Adagrad (torch.optim.Adagrad): each coordinate's step shrinks with its accumulated squared gradients."""

from __future__ import annotations

from typing import Any

from .. import backend as B
from .optimizer import Optimizer


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al. 2011), step for step as ``torch.optim.Adagrad``. With ``g = grad``
    (``-grad`` if maximize) and t the step count::

        g <- g + weight_decay * p                   (if weight_decay != 0)
        clr = lr / (1 + (t - 1) * lr_decay)
        s <- s + g^2                                (sum; starts at initial_accumulator_value)
        p <- p - clr * g / (sqrt(s) + eps)

    ``state[p]``: ``step`` (int) and ``sum`` (s, in p's dtype), created with the optimizer (as
    PyTorch: its state dict holds them before the first step). As PyTorch, s starts at the
    constructor's ``initial_accumulator_value`` in every group (a group's own value is kept in the
    group but not used). ``foreach`` and ``fused`` are accepted for PyTorch code and change nothing.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        if differentiable:
            raise NotImplementedError("Adagrad: differentiable=True (a step recorded by autograd) is not supported")
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(self.state[p], p)

    def _validate(self, options: dict[str, Any]) -> None:
        self._check_nonnegative(
            options,
            lr="learning rate",
            lr_decay="lr_decay value",
            weight_decay="weight_decay value",
            initial_accumulator_value="initial_accumulator_value value",
            eps="epsilon value",
        )

    def _init_state(self, state: dict, p) -> None:
        state["step"] = 0
        state["sum"] = B.module_of(p._data).full_like(p._data, self.defaults["initial_accumulator_value"])

    def _update(self, p, grad, state: dict, group: dict) -> None:
        xp = B.module_of(p._data)  # NumPy or CuPy, where the parameter is
        d = p._data
        if not state:  # a parameter group added after construction
            self._init_state(state, p)
        state["step"] += 1
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        g = self._decayed_grad(p, grad, group["weight_decay"], group["maximize"])
        s, t = state["sum"], self._scratch(d)
        s += xp.multiply(g, g, out=t)
        std = xp.sqrt(s, out=t)
        std += group["eps"]
        step = xp.divide(g, std, out=t)
        d -= xp.multiply(step, clr, out=t)
