"""Unit samples, decomposition, LTISystem (vs scipy.signal.lfilter) and the linearity / TI checks."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal as ss
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
import chainrule.signal as S

lengths = st.integers(1, 64)
seeds = st.integers(0, 2**32 - 1)


def test_unit_sample():
    assert S.unit_sample(5).tolist() == [1, 0, 0, 0, 0]
    assert S.unit_sample(5, shift=3).tolist() == [0, 0, 0, 1, 0]
    assert S.unit_sample(1).dtype == np.float64 and S.unit_sample(3, dtype=np.float32).dtype == np.float32
    with pytest.raises(ValueError, match="unit_sample: length must be an int >= 1, got 0"):
        S.unit_sample(0)
    with pytest.raises(ValueError, match=r"unit_sample: shift must be an int in \[0, 3\] for length 4, got 4"):
        S.unit_sample(4, shift=4)
    with pytest.raises(ValueError, match="unit_sample: shift"):
        S.unit_sample(4, shift=-1)


@given(n=lengths, origin=st.integers(-3, 3), seed=seeds)
def test_decompose_adds_back_to_x(n, origin, seed):
    x = np.random.default_rng(seed).standard_normal(n)
    terms = S.decompose(x, origin=origin)
    assert len(terms) == n
    np.testing.assert_array_equal(sum(t.sequence for t in terms), x)
    for i, t in enumerate(terms):
        assert t.k == i - origin and t.value == x[i]
        np.testing.assert_array_equal(t.sequence, x[i] * S.unit_sample(n, i))  # one non-zero sample each


def test_decompose_the_lectures_example():
    """x[n] = x[-2] delta[n+2] + x[-1] delta[n+1] + ... + x[2] delta[n-2]."""
    terms = S.decompose([1, 3, 2, -1, 4], origin=2)
    assert [t.k for t in terms] == [-2, -1, 0, 1, 2]
    assert [t.label for t in terms] == ["1 delta[n+2]", "3 delta[n+1]", "2 delta[n]", "(-1) delta[n-1]", "4 delta[n-2]"]
    with pytest.raises(ValueError, match="decompose: x is empty"):
        S.decompose([])
    with pytest.raises(ValueError, match=r"decompose: x must be a 1-D sequence, got shape \(2, 1\)"):
        S.decompose([[1], [2]])


@given(m=lengths, n=lengths, seed=seeds)
def test_causal_fir_equals_lfilter(m, n, seed):
    rng = np.random.default_rng(seed)
    x, h = rng.standard_normal(m), rng.standard_normal(n)
    system = S.LTISystem(h)
    np.testing.assert_allclose(system(x), ss.lfilter(h, 1, x), rtol=1e-10, atol=1e-10)
    idx, y = system.response(x)
    np.testing.assert_allclose(y, np.convolve(x, h), rtol=1e-12, atol=1e-12)
    assert idx.tolist() == list(range(m + n - 1))
    assert system.is_causal


@given(m=lengths, n=st.integers(1, 8), origin=st.integers(-10, 10), seed=seeds)
def test_origin_places_h_in_time(m, n, origin, seed):
    """y[n] = sum_k x[k] h[n - k] with h[i] at time i - origin, written out as a double loop."""
    rng = np.random.default_rng(seed)
    x, h = rng.standard_normal(m), rng.standard_normal(n)
    want = np.zeros(m)
    for t in range(m):
        for k in range(m):
            i = t - k + origin  # the position in h of h[t - k]
            if 0 <= i < n:
                want[t] += x[k] * h[i]
    system = S.LTISystem(h, origin=origin)
    np.testing.assert_allclose(system(x), want, rtol=1e-10, atol=1e-10)
    assert system.indices.tolist() == list(range(-origin, n - origin))
    assert system.is_causal == (origin <= 0 or not h[:origin].any())


def test_impulse_response_gives_h_back():
    h = np.array([3.0, 2.0, 1.0])
    for origin in (0, 1, -2):
        system = S.LTISystem(h, origin=origin)
        np.testing.assert_array_equal(system.impulse_response(), h)
        np.testing.assert_array_equal(system.h, h)
    assert S.LTISystem(h)(S.unit_sample(5)).tolist() == [3, 2, 1, 0, 0]
    assert S.LTISystem(h, origin=1)(S.unit_sample(5)).tolist() == [2, 1, 0, 0, 0]  # h[-1] = 3 is before n=0
    assert S.LTISystem(h, origin=-2)(S.unit_sample(5)).tolist() == [0, 0, 3, 2, 1]  # delayed by 2
    assert not S.LTISystem(h, origin=1).is_causal
    assert S.LTISystem(h, origin=-7)([1.0, 2.0]).tolist() == [0, 0]  # the response starts after the input ends
    assert S.LTISystem(h, origin=9)([1.0, 2.0]).tolist() == [0, 0]  # ... or ends before n = 0
    assert repr(S.LTISystem([3, 2, 1], origin=1)) == "LTISystem(h=[3, 2, 1], origin=1)"
    with pytest.raises(ValueError, match="LTISystem: h is empty"):
        S.LTISystem([])
    with pytest.raises(ValueError, match=r"LTISystem: x must be a 1-D sequence, got shape \(2, 2\)"):
        S.LTISystem([1.0])(np.ones((2, 2)))
    with pytest.raises(TypeError, match="LTISystem: origin must be an int"):
        S.LTISystem([1.0], origin=0.5)


def test_lti_system_on_tensors_has_gradients():
    h = cr.tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    x = cr.tensor(np.array([1.0, 2.0, 3.0, 4.0]), requires_grad=True)
    for origin in (0, 1, -1, 5, -6):
        cr.grad_check(lambda a, b, o=origin: S.LTISystem(b, origin=o)(a), x, h)
    y = S.LTISystem(h)(x)
    assert isinstance(y, cr.Tensor)
    np.testing.assert_allclose(y.data, ss.lfilter(h.data, 1, x.data))


# --- is_linear / is_time_invariant ------------------------------------------------------------------


def square(x):
    return x**2  # y[n] = x[n]^2


def ramp(x):
    return np.arange(len(x)) * x  # y[n] = n x[n]


@pytest.mark.parametrize(
    "system",
    [
        S.LTISystem([3, 2, 1]),
        S.LTISystem([1.0, -2.0, 0.5, 4.0], origin=2),
        lambda x: np.convolve(x, [1.0, 2.0, -1.0]),
        lambda x: x,
        lambda x: 2.5 * x,
        lambda x: ss.lfilter([1.0], [1.0, -0.5], x),
    ],
    ids=["lti", "non-causal lti", "np.convolve", "identity", "gain", "iir"],
)
def test_convolution_and_other_lti_systems_pass_both(system):
    lin, ti = S.is_linear(system), S.is_time_invariant(system)
    assert lin and ti
    assert lin.counterexample is None and ti.counterexample is None
    assert str(lin) == "linearity: holds on 20 random trials"
    assert str(ti) == "time invariance: holds on 20 random trials"


def test_square_is_time_invariant_but_not_linear():
    assert S.is_time_invariant(square)
    result = S.is_linear(square)
    assert not result and result.holds is False
    cex = result.counterexample
    assert cex.identity == "S(a x1 + b x2) = a S(x1) + b S(x2)"
    x1, x2, a, b = (cex.inputs[k] for k in ("x1", "x2", "a", "b"))
    lhs, rhs = cex.outputs["S(a x1 + b x2)"], cex.outputs["a S(x1) + b S(x2)"]
    np.testing.assert_allclose(lhs, (a * x1 + b * x2) ** 2)  # the counter-example is real: recompute it
    np.testing.assert_allclose(rhs, a * x1**2 + b * x2**2)
    assert cex.max_error == pytest.approx(np.abs(lhs - rhs).max()) and cex.max_error > 1e-3
    assert "linearity: FAILS" in str(result) and "x1 = [" in str(result)


def test_ramp_is_linear_but_not_time_invariant():
    assert S.is_linear(ramp)
    result = S.is_time_invariant(ramp)
    assert not result
    cex = result.counterexample
    x, shift = cex.inputs["x"], cex.inputs["N"]
    delayed = np.concatenate([np.zeros(shift), x])
    assert cex.start == shift  # y[n - N] is known for n >= N only: the two sides are given from there
    np.testing.assert_allclose(cex.outputs["S(x[n - N])"], ramp(delayed)[shift:])
    np.testing.assert_allclose(cex.outputs["y[n - N]"], ramp(x))
    assert cex.at >= shift and cex.max_error > 1e-3
    assert f"(from n = {shift})" in str(result)
    assert cex.identity == "S(x[n - N]) = y[n - N], where y = S(x)"


@pytest.mark.parametrize(
    "system, linear, ti",
    [
        (lambda x: x + 1, False, True),  # affine: a zero input does not give a zero output
        (lambda x: x[::-1], True, False),  # time reversal
        (lambda x: np.convolve(x, [1.0, 2.0, 3.0])[1:], True, True),  # non-causal, cut at n = 0: still LTI
        # NumPy's 'same' swaps x and h when x is the shorter, which moves the window: not one fixed system
        (lambda x: np.convolve(x, [1.0, 2.0, 3.0, 4.0], "same"), True, False),
        (lambda x: np.concatenate([x[1:], [0.0]]), True, True),  # an advance, y[n] = x[n + 1]
        (lambda x: x + S.unit_sample(len(x)), False, False),  # y[n] = x[n] + delta[n]
        (lambda x: np.maximum(x, 0), False, True),
        (lambda x: cr.tensor(x) * 3.0, True, True),  # a system that returns a chainrule Tensor
        (lambda x: np.array(x.sum()), True, False),  # a scalar output is a length-1 sequence
    ],
)
def test_other_systems(system, linear, ti):
    assert bool(S.is_linear(system)) is linear
    assert bool(S.is_time_invariant(system)) is ti


def test_counterexamples_are_short_and_a_system_cannot_change_them():
    def mutating_square(x):
        x *= x  # writes into its input
        return x

    result = S.is_linear(mutating_square)
    assert not result and len(result.counterexample.inputs["x1"]) == 1 and result.trials == 1
    assert not S.is_linear(lambda x: x**2 if len(x) < 5 else x, length=8)  # found on a short input
    assert not S.is_time_invariant(lambda x: np.where(np.arange(len(x)) == 7, 0.0, x), length=10)


def test_check_arguments_and_bad_systems():
    with pytest.raises(ValueError, match="is_linear: trials must be an int >= 1, got 0"):
        S.is_linear(square, trials=0)
    with pytest.raises(ValueError, match="is_time_invariant: length must be an int >= 1"):
        S.is_time_invariant(square, length=-1)
    with pytest.raises(ValueError, match=r"is_linear: the system must return a 1-D numeric sequence.*\(1, 1\)"):
        S.is_linear(lambda x: np.ones((1, 1)))
    assert not S.is_linear(lambda x: x * np.nan)  # NaN is never equal
