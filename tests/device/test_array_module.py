"""The array module follows the operands: each op node computes with its own inputs' module, and no
module-level state is re-pointed while ops run, so NumPy and CuPy ops mix in one graph."""

from __future__ import annotations

import types

import numpy as np

import chainrule as cr
import chainrule.backend as B
import chainrule.backend.devices as D


def _state():
    """Every module-level value of the backend that is not a function, class or module."""
    return {k: v for k, v in vars(B).items() if not isinstance(v, (types.FunctionType, type, types.ModuleType))}


class _Spy(cr.Function):
    """out = 3 x; records the node's module and the backend's state from inside forward and backward."""

    seen: list = []

    def forward(self, x):
        _Spy.seen.append(("forward", self.xp, _state()))
        return x * 3

    def backward(self, upstream):
        _Spy.seen.append(("backward", self.xp, _state()))
        return (upstream * 3,)


def test_a_graph_mixing_gpu_and_cpu_ops_runs_each_op_on_its_operands_module(gpu):
    cupy = D.cupy()
    _Spy.seen.clear()
    before = _state()
    x = cr.tensor([0.5, -1.0, 2.0], requires_grad=True)  # a CPU leaf
    a = _Spy.apply(x)  # a NumPy op
    b = _Spy.apply(a.to(gpu)).exp()  # CuPy ops
    c = _Spy.apply(b.to("cpu")) * a  # NumPy ops again, on a CuPy op's result
    assert a.grad_fn.xp is np and b.grad_fn.xp is cupy and c.grad_fn.xp is np  # exp's node: its input's module
    c.sum().backward()
    assert [(when, xp) for when, xp, _ in _Spy.seen] == [
        ("forward", np),
        ("forward", cupy),
        ("forward", np),
        ("backward", np),
        ("backward", cupy),
        ("backward", np),
    ]
    assert all(state == before for _, _, state in _Spy.seen) and _state() == before  # nothing re-pointed
    v = np.array([0.5, -1.0, 2.0])
    expected = 9 * np.exp(9 * v) + 81 * v * np.exp(9 * v)  # c = 3 e^(9x) * 3x
    assert x.grad.device == "cpu" and np.allclose(x.grad.numpy(), expected, rtol=1e-5)


def test_module_of_follows_the_arrays(gpu):
    cupy = D.cupy()
    host, dev = np.ones(2), cr.ones(2, device=gpu)._data
    assert B.module_of(host) is np and B.module_of(dev) is cupy and B.module_of(host, dev) is cupy
    assert B.module_of() is np and B.module_of(1.0, [2.0]) is np and B.cupy_loaded()
    assert B.is_array(dev) and B.is_array(host) and not B.is_array(1.0)
