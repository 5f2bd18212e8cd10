"""grad_check itself: it passes correct ops and catches wrong local gradients and NaNs."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


class WrongSquare(cr.Function):
    """out = x^2 with a deliberately wrong local gradient: x instead of 2x."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, upstream):
        return (upstream * self.x,)


class HalfWrongMul(cr.Function):
    """out = a b; right for a (upstream * b), wrong for b (upstream * b instead of upstream * a)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, upstream):
        return upstream * self.b, upstream * self.b


class NaNGrad(cr.Function):
    """out = 2x with a NaN in the local gradient."""

    def forward(self, x):
        return 2 * x

    def backward(self, upstream):
        g = 2 * upstream
        g.reshape(-1)[0] = np.nan
        return (g,)


def test_passes_on_correct_ops_and_reports_small_errors():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.uniform(0.5, 2.0, (4,))

    def fn(x, y):
        return ((x * y).sigmoid() / y + x.exp().sum(axis=0)).tanh()

    report = cr.grad_check(fn, a, b)
    assert sorted(report) == [0, 1]
    for abs_err, _rel_err in report.values():
        assert abs_err < 1e-8


def test_raises_with_a_per_input_report_on_a_wrong_gradient():
    x = np.array([1.0, -2.0, 3.0])

    def square(t):
        return WrongSquare.apply(t)

    with pytest.raises(cr.GradCheckError) as info:
        cr.grad_check(square, x)
    msg = str(info.value)
    assert "grad_check(square)" in msg
    assert "input 0 shape (3,)" in msg and "FAIL at 3 of 3 elements" in msg
    assert "analytic" in msg and "numeric" in msg
    assert isinstance(info.value, AssertionError)


def test_report_names_the_wrong_input_only():
    def mul(a, b):
        return HalfWrongMul.apply(a, b)

    with pytest.raises(cr.GradCheckError) as info:
        cr.grad_check(mul, np.array([1.0, 2.0]), np.array([3.0, -1.0]))
    lines = str(info.value).splitlines()
    assert any(line.strip().startswith("input 0") and line.endswith(": ok") for line in lines)
    assert any(line.strip().startswith("input 1") and "FAIL" in line for line in lines)
    report = cr.grad_check(mul, np.array([1.0, 2.0]), np.array([3.0, -1.0]), raise_on_failure=False)
    assert report[0][0] < 1e-8 and report[1][0] > 0.1


def test_flags_nan_in_the_analytic_gradient():
    with pytest.raises(cr.GradCheckError, match="FAIL at 1 of 4"):
        cr.grad_check(lambda t: NaNGrad.apply(t), np.ones(4))


def test_flags_nan_in_the_numerical_gradient():
    """log near 0: the step x - eps leaves the domain, so the numerical gradient is NaN."""
    with np.errstate(invalid="ignore"), pytest.raises(cr.GradCheckError, match="FAIL"):
        cr.grad_check(lambda t: t.log(), np.array([1.0, 1e-7]))


def test_integer_inputs_pass_through_and_user_data_is_untouched():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    idx = np.array([1, 0, 1])
    report = cr.grad_check(lambda t, i: t[i] * 2.0, x, idx)
    assert list(report) == [0]
    np.testing.assert_array_equal(x, [[1.0, 2.0], [3.0, 4.0]])


def test_float32_inputs_are_checked_in_float64():
    x = cr.tensor([0.1, 0.2, 0.3])  # float32
    seen = []

    def fn(t):
        seen.append(t.dtype)
        return t.sigmoid()

    report = cr.grad_check(fn, x)
    assert set(seen) == {np.dtype(np.float64)} and report[0][0] < 1e-8


def test_unused_input_gets_a_zero_gradient():
    report = cr.grad_check(lambda a, b: a * 2.0, np.ones(2), np.ones(3))
    assert report[1] == (0.0, 0.0)


def test_fn_must_return_a_tensor():
    with pytest.raises(TypeError, match="must return a Tensor"):
        cr.grad_check(lambda t: t._data, np.ones(2))


def test_report_points_at_the_worst_element_not_the_first():
    x = np.array([0.1, -0.2, 3.0])  # every element is wrong, the last by far the most

    def square(t):
        return WrongSquare.apply(t)

    with pytest.raises(cr.GradCheckError, match=r"worst at \(2,\): analytic"):
        cr.grad_check(square, x)
