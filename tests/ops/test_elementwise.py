"""Elementwise ops at the points the registry keeps away from: kinks, ties, bounds, extremes.

(The registry tests in test_registry.py cover every op over random shapes and broadcasting.)
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from tests.oracle import Domain, helper_test_op

KINKS = np.array([-1.5, -0.5, 0.0, 0.0, 0.5, 2.0])


@pytest.mark.parametrize(
    "name, cr_fn, torch_fn",
    [
        ("relu", cr.relu, torch.relu),  # ReLU'(0) = 0 (SPEC 3)
        ("abs", cr.abs, torch.abs),  # sign(0) = 0
        ("clip", lambda x: x.clip(-0.5, 0.5), lambda x: torch.clamp(x, -0.5, 0.5)),  # 1 on the bounds
        ("clip_min", lambda x: x.clip(min=0.0), lambda x: torch.clamp(x, min=0.0)),
        ("clip_max", lambda x: cr.clip(x, max=0.0), lambda x: torch.clamp(x, max=0.0)),
    ],
)
def test_gradients_at_kinks_match_torch(name, cr_fn, torch_fn):
    _, (grad,) = helper_test_op(None, torch_fn, cr_fn, inputs=[KINKS], name=name)
    if name == "relu":
        assert grad[2] == grad[3] == 0.0


@pytest.mark.parametrize("cr_fn, torch_fn", [(cr.maximum, torch.maximum), (cr.minimum, torch.minimum)])
def test_max_min_ties_split_the_gradient_as_torch(cr_fn, torch_fn):
    a = np.array([1.0, 2.0, 3.0, -1.0])
    b = np.array([1.0, 0.0, 4.0, -1.0])
    _, (ga, gb) = helper_test_op(None, torch_fn, cr_fn, inputs=[a, b])
    np.testing.assert_array_equal((ga + gb)[[0, 3]], [ga[0] * 2, ga[3] * 2])  # half each on ties


def test_minimum_routes_to_the_smaller_input():
    """Regression: minimum used to send the gradient to the larger input."""
    a, b = cr.tensor([1.0, 5.0], requires_grad=True), cr.tensor([2.0, 4.0], requires_grad=True)
    cr.minimum(a, b).backward(np.array([10.0, 20.0]))
    assert a.grad.tolist() == [10.0, 0.0] and b.grad.tolist() == [0.0, 20.0]


def test_maximum_minimum_with_python_numbers():
    x = cr.tensor([-1.0, 2.0], requires_grad=True)
    (cr.maximum(x, 0.0) + cr.minimum(1.0, x)).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_stable_at_extremes(dtype):
    x = cr.tensor(np.array([-1000.0, -80.0, 0.0, 80.0, 1000.0], dtype=dtype), requires_grad=True)
    with np.errstate(over="raise", invalid="raise"):
        y = x.sigmoid()
        y.sum().backward()
    assert y.dtype == dtype and np.all(np.isfinite(y.detach().numpy())) and np.all(np.isfinite(x.grad.numpy()))
    assert y.data[0] == 0.0 and y.data[2] == 0.5 and y.data[-1] == 1.0
    np.testing.assert_allclose(y.data, torch.sigmoid(torch.from_numpy(x.detach().numpy())).numpy(), rtol=1e-6, atol=0)


def test_tanh_and_exp_at_large_inputs_match_torch():
    x = np.array([-30.0, -5.0, 5.0, 30.0])
    helper_test_op(None, torch.tanh, cr.tanh, inputs=[x])
    helper_test_op(None, torch.exp, cr.exp, inputs=[x], rtol=1e-12)


@pytest.mark.parametrize("p", [2, 3, -2])
def test_integer_power_of_negative_bases(p):
    x = np.array([-2.0, -0.5, 0.75, 1.5])
    helper_test_op(None, lambda t: t**p, lambda t: t**p, inputs=[x], name=f"x**{p}")


def test_power_at_zero_base():
    """d/dx x^2 at 0 is 0 and x^0 = 1 with gradient 0, as in PyTorch."""
    x = np.array([0.0, 1.0, -1.0])
    helper_test_op(None, lambda t: t**2, lambda t: t**2, inputs=[x])
    helper_test_op(None, lambda t: t**0, lambda t: t**0, inputs=[x])


def test_tensor_power_at_zero_base_matches_torch():
    """At a = 0: d/db a^b = 0 for b >= 0 (not 0 * log 0 = NaN), -inf for b < 0; d/da as torch."""
    a, b = np.array([0.0, 0.0, 0.0, 0.0, 2.0]), np.array([2.0, 0.0, 1.0, -1.0, 1.5])
    with np.errstate(divide="ignore"):
        _, (ga, gb) = helper_test_op(None, lambda x, y: x**y, lambda x, y: x**y, inputs=[a, b])
    assert gb[:3].tolist() == [0.0, 0.0, 0.0] and gb[3] == -np.inf


def test_pow_exponent_gradient_only_when_needed():
    """a ** b with b a constant never takes log(a): negative bases give no NaN warning."""
    a = cr.tensor(np.array([-2.0, 3.0]), requires_grad=True)
    b = cr.tensor(np.array([2.0, 2.0]))
    with np.errstate(invalid="raise", divide="raise"):
        (a**b).sum().backward()
    assert a.grad.tolist() == [-4.0, 6.0]


def test_reflected_division_and_subtraction_match_torch():
    helper_test_op([(3, 4)], lambda t: 1.0 / t - 2.0, lambda t: 1.0 / t - 2.0, domain=Domain(0.5, 2.0))
    helper_test_op([(3, 4)], lambda t: 3.0 - t * 2.0, lambda t: 3.0 - t * 2.0)


def test_where_takes_condition_tensors_arrays_and_numbers():
    x = cr.tensor(np.array([-1.0, 2.0, -3.0]), requires_grad=True)
    for cond in (x > 0, (x > 0).data, [False, True, False]):
        x.zero_grad()
        out = cr.where(cond, x, 0.0)
        out.sum().backward()
        assert out.tolist() == [0.0, 2.0, 0.0] and x.grad.tolist() == [0.0, 1.0, 0.0]
    c = np.array([[True], [False]])
    helper_test_op(
        [(2, 1), (1, 3)], lambda a, b: torch.where(torch.from_numpy(c), a, b), lambda a, b: cr.where(c, a, b)
    )


@pytest.mark.parametrize(
    "name, fn, low",
    [
        ("exp", lambda t: t.exp(), -2.0),
        ("log", lambda t: t.log(), 0.5),
        ("sqrt", lambda t: t.sqrt(), 0.5),
        ("sigmoid", lambda t: t.sigmoid(), -2.0),
        ("tanh", lambda t: t.tanh(), -2.0),
        ("div", lambda t: t / (t + 3.0), 0.5),
        ("pow", lambda t: t**1.5, 0.5),
        ("rpow", lambda t: 2.0**t, -2.0),
    ],
)
def test_float32_matches_torch_float32(name, fn, low):
    x = np.random.default_rng(1).uniform(low, 2.0, (4, 5)).astype(np.float32)
    out, (grad,) = helper_test_op(None, fn, fn, inputs=[x], atol=1e-6, rtol=1e-5, name=name)
    assert out.dtype == np.float32 and grad.dtype == np.float32


def test_binary_shape_mismatch_names_the_op_and_shapes():
    a, b = cr.ones(2, 3), cr.ones(4)
    for op, name in [
        (lambda: a + b, "add"),
        (lambda: a * b, "mul"),
        (lambda: a - b, "sub"),
        (lambda: a / b, "div"),
        (lambda: cr.maximum(a, b), "maximum"),
    ]:
        with pytest.raises(cr.ShapeError, match=rf"^{name}: inputs of shapes \(2, 3\), \(4,\)"):
            op()
    with pytest.raises(ValueError):  # ShapeError is a ValueError
        a + b


def test_unary_ops_on_integer_tensors_give_floats_like_exp():
    """Regression: sigmoid of an integer tensor was cast back to integers (every value 0)."""
    i = cr.tensor([-1, 0, 2])
    for name in ("sigmoid", "tanh", "exp"):
        y = getattr(i, name)()
        assert y.dtype.kind == "f" and not y.requires_grad
    np.testing.assert_allclose(i.sigmoid().data, 1 / (1 + np.exp([1.0, 0.0, -2.0])), rtol=1e-15)
