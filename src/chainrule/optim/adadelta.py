"""Adadelta (torch.optim.Adadelta): per-parameter step sizes from running averages, no learning-rate tuning."""

from __future__ import annotations

from typing import Any

from .. import backend as B
from .optimizer import Optimizer


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler 2012), step for step as ``torch.optim.Adadelta``. With ``g = grad``
    (``-grad`` if maximize)::

        g <- g + weight_decay * p                   (if weight_decay != 0)
        v <- rho * v + (1 - rho) * g^2              (square_avg)
        delta = sqrt(u + eps) / sqrt(v + eps) * g   (u: acc_delta, the running average of delta^2)
        u <- rho * u + (1 - rho) * delta^2
        p <- p - lr * delta

    ``state[p]``: ``step`` (int), ``square_avg`` (v), ``acc_delta`` (u), in p's dtype. Both decay
    by rho where the gradient is 0, so entries below 1e-30 (float32; 1e-300 float64) are flushed
    to zero every few dozen steps (eps keeps every square root positive): no slow subnormals.
    ``foreach`` and ``capturable`` are accepted for PyTorch code and change nothing here.
    """

    def __init__(
        self,
        params,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        if differentiable:
            raise NotImplementedError("Adadelta: differentiable=True (a step recorded by autograd) is not supported")
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "capturable": capturable,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _validate(self, options: dict[str, Any]) -> None:
        self._check_nonnegative(options, lr="learning rate", eps="epsilon value", weight_decay="weight_decay value")
        if not 0.0 <= options["rho"] <= 1.0:
            raise ValueError(f"Invalid rho value: rho={options['rho']} (Adadelta needs 0 <= rho <= 1)")

    def _update(self, p, grad, state: dict, group: dict) -> None:
        xp = B.module_of(p._data)  # NumPy or CuPy, where the parameter is
        d = p._data
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(d)
            state["acc_delta"] = xp.zeros_like(d)
        state["step"] += 1
        g = self._decayed_grad(p, grad, group["weight_decay"], group["maximize"])
        v, u = state["square_avg"], state["acc_delta"]
        t, delta = self._scratch(d), self._scratch(d, slot=2)
        v *= rho
        v += xp.multiply(xp.multiply(g, 1 - rho, out=t), g, out=t)  # addcmul_: v + (1 - rho) * g * g
        std = xp.sqrt(xp.add(v, eps, out=t), out=t)
        xp.sqrt(xp.add(u, eps, out=delta), out=delta)
        delta /= std
        delta *= g
        u *= rho
        u += xp.multiply(xp.multiply(delta, 1 - rho, out=t), delta, out=t)
        d -= xp.multiply(delta, lr, out=t)
        self._flush_tiny(p, v, rho)
        self._flush_tiny(p, u, rho)
