"""Adam and AdamW (torch.optim.Adam, torch.optim.AdamW)."""

from __future__ import annotations

from typing import Any

from .. import backend as B
from .optimizer import Optimizer


class Adam(Optimizer):
    r"""Adam, step for step as ``torch.optim.Adam``. With ``g = grad`` (``-grad`` if maximize)::

        t <- t + 1
        p <- p * (1 - lr * weight_decay)      if decoupled_weight_decay (AdamW)
        g <- g + weight_decay * p             otherwise (L2 penalty, if weight_decay != 0)
        m <- m + (1 - beta1) * (g - m)        (torch's lerp_: beta1 * m + (1 - beta1) * g)
        v <- beta2 * v + (1 - beta2) * g^2
        v_max <- max(v_max, v)                (amsgrad; then v_max replaces v below)
        p <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    ``state[p]``: ``step`` (int), ``exp_avg`` (m), ``exp_avg_sq`` (v), ``max_exp_avg_sq``
    (amsgrad), arrays in p's dtype.

    Denormals: where the gradient stays 0 (dead ReLU units) m decays by beta1 per step and, in
    float32, reaches subnormal numbers after ~800 steps, where x86 arithmetic is ~100x slower
    (a whole training step ~5x slower). So every few dozen steps (the period is set by beta so
    that nothing can decay from the threshold to a subnormal in between) entries of m below
    1e-30 (float32; 1e-300 float64) are set to 0, and so are those of v when eps > 0 (with
    eps = 0 a flushed v could divide by zero). A flushed entry would have moved its weight by
    less than lr * 1e-22: no result changes, and the step time stays flat.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _validate(self, options: dict[str, Any]) -> None:
        self._check_nonnegative(options, lr="learning rate", eps="epsilon value", weight_decay="weight_decay value")
        betas = options["betas"]
        if len(betas) != 2:
            raise ValueError(f"{type(self).__name__}: betas must be a pair (beta1, beta2), got {betas}")
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(
                    f"Invalid beta parameter at index {i}: betas[{i}]={beta} "
                    f"({type(self).__name__} needs 0 <= betas[{i}] < 1)"
                )

    def _update(self, p, grad, state: dict, group: dict) -> None:
        xp = B.module_of(p._data)  # NumPy or CuPy, where the parameter is
        d = p._data
        lr, wd, eps = group["lr"], group["weight_decay"], group["eps"]
        beta1, beta2 = group["betas"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(d)
            state["exp_avg_sq"] = xp.zeros_like(d)
        if group["amsgrad"] and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = xp.zeros_like(d)
        state["step"] += 1
        step = state["step"]
        if wd != 0 and group["decoupled_weight_decay"]:
            d *= 1 - lr * wd
            g = self._decayed_grad(p, grad, 0, group["maximize"])
        else:
            g = self._decayed_grad(p, grad, wd, group["maximize"])
        m, v = state["exp_avg"], state["exp_avg_sq"]
        self._lerp_(m, g, 1 - beta1)
        t = self._scratch(d)
        v *= beta2
        v += xp.multiply(xp.multiply(g, g, out=t), 1 - beta2, out=t)

        step_size = lr / (1 - beta1**step)
        bias_correction2_sqrt = (1 - beta2**step) ** 0.5
        if group["amsgrad"]:
            v = xp.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        denom = xp.sqrt(v, out=t)
        denom /= bias_correction2_sqrt
        denom += eps
        d -= xp.multiply(xp.divide(m, denom, out=t), step_size, out=t)

        self._flush_tiny(p, m, beta1)
        if eps > 0:
            self._flush_tiny(p, state["exp_avg_sq"], beta2)
            if group["amsgrad"]:
                self._flush_tiny(p, state["max_exp_avg_sq"], beta2)


class AdamW(Adam):
    r"""AdamW (``torch.optim.AdamW``): Adam with decoupled weight decay, ``p <- p * (1 - lr * wd)``
    before the Adam step, instead of adding ``wd * p`` to the gradient. Default weight_decay 1e-2.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize, decoupled_weight_decay=True)

    def _fix_loaded_group(self, group: dict[str, Any]) -> None:
        group["decoupled_weight_decay"] = True
