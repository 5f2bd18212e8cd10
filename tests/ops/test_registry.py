"""Registry-driven property tests: every op in ``tests.oracle.OPS``, over random shapes.

For each registered op and Hypothesis-drawn shapes (0-4 dims, sides 1-5; broadcast-compatible
where the op broadcasts) and arguments (axes, indices, exponents, ...):
  1. forward equals the NumPy reference (values, shape and dtype);
  2. ``cr.grad_check`` (float64 central differences) agrees with the backward pass;
  3. forward and every input gradient equal PyTorch's in float64 (``helper_test_op``);
each on the fast kernels (with the compiled kernels, ``chainrule.backend.compiled``), on the fast
NumPy forms without them, and on the reference forms (``chainrule.backend.kernels``).
A new op gets all three by registering an ``OpSpec`` in ``tests/op_specs.py``.
"""

from __future__ import annotations

import inspect
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
import chainrule.ops.elementwise
import chainrule.ops.linalg
import chainrule.ops.reduce
import chainrule.ops.shape
from chainrule.backend import compiled, kernels
from tests.oracle import OPS, assert_close, helper_test_op

SPECS = list(OPS.values())
TORCH_SPECS = [s for s in SPECS if s.torch is not None]
ids = [s.name for s in SPECS]


def _draw(spec, data):
    shapes, kwargs = spec.draw_case(data.draw)
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    return spec.inputs(shapes, seed), kwargs


def check_forward(spec, data):
    arrays, kwargs = _draw(spec, data)
    out = spec.cr(*[cr.tensor(a) for a in arrays], **kwargs)
    assert isinstance(out, cr.Tensor)
    assert_close(
        out.data, spec.np(*arrays, **kwargs), atol=spec.atol, rtol=spec.rtol, name=f"{spec.name} forward", who="NumPy"
    )  # values, shape and dtype


def check_gradient(spec, data):
    arrays, kwargs = _draw(spec, data)

    def fn(*tensors):
        return spec.cr(*tensors, **kwargs)

    fn.__name__ = spec.name
    report = cr.grad_check(fn, *arrays, **spec.grad_check)
    # every float input was checked (bool conditions and masks are passed through)
    assert sorted(report) == [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]


def check_torch(spec, data):
    arrays, kwargs = _draw(spec, data)
    helper_test_op(
        None,
        lambda *ts: spec.torch(*ts, **kwargs),
        lambda *ts: spec.cr(*ts, **kwargs),
        inputs=arrays,
        atol=spec.atol,
        rtol=spec.rtol,
        grad_atol=max(spec.atol, 1e-10),
        grad_rtol=max(spec.rtol, 1e-9),
        name=spec.name,
    )


# The fast kernels (the default, compiled where Numba is installed: the test extra has it), then the
# reference forms (``kernels.using("reference")``) and the fast NumPy forms without the compiled
# kernels, with a fifth of the examples: most ops have one form, and the point is that each passes.
REFERENCE_EXAMPLES = max(2, settings.default.max_examples // 5)
on_reference = settings(max_examples=REFERENCE_EXAMPLES)


@pytest.mark.parametrize("spec", SPECS, ids=ids)
@given(data=st.data())
def test_forward_matches_numpy(spec, data):
    with kernels.using("fast"):
        check_forward(spec, data)


@pytest.mark.parametrize("spec", SPECS, ids=ids)
@given(data=st.data())
def test_gradient_matches_numerical(spec, data):
    with kernels.using("fast"):
        check_gradient(spec, data)


@pytest.mark.parametrize("spec", TORCH_SPECS, ids=[s.name for s in TORCH_SPECS])
@given(data=st.data())
def test_forward_and_backward_match_torch(spec, data):
    with kernels.using("fast"):
        check_torch(spec, data)


REDUCED_MODES = {  # each run with a fifth of the examples
    "reference": lambda: kernels.using("reference"),
    "numpy-fast": lambda: _numpy_fast(),  # the fast kernels' NumPy forms, the compiled ones off
}


@contextmanager
def _numpy_fast():
    with kernels.using("fast"), compiled.using(False):
        yield


@pytest.mark.parametrize("mode", REDUCED_MODES)
@pytest.mark.parametrize("spec", SPECS, ids=ids)
@on_reference
@given(data=st.data())
def test_other_forms_forward_matches_numpy(mode, spec, data):
    with REDUCED_MODES[mode]():
        check_forward(spec, data)


@pytest.mark.parametrize("mode", REDUCED_MODES)
@pytest.mark.parametrize("spec", SPECS, ids=ids)
@on_reference
@given(data=st.data())
def test_other_forms_gradient_matches_numerical(mode, spec, data):
    with REDUCED_MODES[mode]():
        check_gradient(spec, data)


@pytest.mark.parametrize("mode", REDUCED_MODES)
@pytest.mark.parametrize("spec", TORCH_SPECS, ids=[s.name for s in TORCH_SPECS])
@on_reference
@given(data=st.data())
def test_other_forms_forward_and_backward_match_torch(mode, spec, data):
    with REDUCED_MODES[mode]():
        check_torch(spec, data)


def _ops_in_graph(out) -> set[str]:
    seen, stack = set(), [out]
    while stack:
        t = stack.pop()
        if t._ctx is not None and id(t) not in seen:
            seen.add(id(t))
            stack.extend(t._ctx.parents)
            seen.add(type(t._ctx).__name__)
    return {s for s in seen if isinstance(s, str)}


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_registry_covers_every_basic_op():
    """Each Function in the elementwise, reduce, linalg and shape modules is reached by a spec."""
    modules = [chainrule.ops.elementwise, chainrule.ops.reduce, chainrule.ops.linalg, chainrule.ops.shape]
    defined = {
        name
        for m in modules
        for name, obj in vars(m).items()
        if inspect.isclass(obj) and issubclass(obj, cr.Function) and obj.__module__ == m.__name__
    }
    reached = set()
    rng = np.random.default_rng(0)
    for spec in SPECS:
        shapes, kwargs = spec.draw_case(lambda strategy: strategy.example())
        arrays = spec.inputs(shapes, int(rng.integers(2**31)))
        tensors = [cr.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
        reached |= _ops_in_graph(spec.cr(*tensors, **kwargs))
    assert defined - reached == set(), f"ops without a registry spec: {sorted(defined - reached)}"
    assert len(defined) >= 25


# --- the oracle itself -----------------------------------------------------------------------------


def test_helper_test_op_reports_every_tensor_on_a_mismatch():
    """A wrong op fails with one line per tensor: shape, dtype, worst element, ok/FAIL."""
    import torch

    with pytest.raises(AssertionError) as info:
        helper_test_op([(3, 4), (4,)], lambda a, b: a * b, lambda a, b: a * b + (b * 1e-3), name="mul")
    msg = str(info.value)
    assert msg.startswith("helper_test_op(mul): 2 of 3 tensors differ from PyTorch")
    lines = msg.splitlines()[1:]
    assert [line.split()[:2] for line in lines] == [["forward", "(3,"], ["grad[0]", "(3,"], ["grad[1]", "(4,)"]]
    assert "FAIL" in lines[0] and lines[1].endswith("ok") and "FAIL" in lines[2]  # d/da = b is unchanged
    assert "max abs err" in lines[2] and "ours" in lines[2] and "torch" in lines[2]
    with pytest.raises(AssertionError, match=r"forward.*shape differs from torch \(4, 3\)"):
        helper_test_op([(3, 4)], lambda a: a.T, lambda a: a)
    with pytest.raises(AssertionError, match=r"dtype differs from torch float64"):
        helper_test_op([(3,)], lambda a: a * 2, lambda a: (a * 2.0).astype(np.float32))
    out, grads = helper_test_op([(2, 3)], torch.exp, cr.exp)  # and passes a correct op
    assert out.shape == (2, 3) and grads[0].shape == (2, 3)


def test_domains_keep_values_away_from_kinks_and_ties():
    from tests.oracle import Domain, sample

    rng = np.random.default_rng(0)
    x = sample(Domain(avoid=(0.0, 1.0), gap=0.2), (1000,), rng)
    assert np.all(np.abs(x) >= 0.2) and np.all(np.abs(x - 1.0) >= 0.2) and x.dtype == np.float64
    d = sample(Domain(distinct=True), (5, 5, 5, 5), rng)
    assert len(np.unique(d)) == d.size and np.diff(np.sort(d.ravel())).min() > 1e-3
    a, b = (sample(Domain(grid=0.5, offset=o), (1000,), rng) for o in (0.0, 0.25))
    assert np.abs(a[:, None] - b[None, :]).min() == 0.25 and a.min() >= -2.0 and b.max() <= 2.0
    assert sample(Domain(kind="bool"), (3,), rng).dtype == np.bool_
    assert sample(Domain(distinct=True), (), rng).shape == ()


def test_assert_close_on_non_finite_values():
    inf, nan = np.inf, np.nan
    assert_close(np.array([inf, -inf, nan, 1.0]), np.array([inf, -inf, nan, 1.0 + 1e-12]))
    for ours, ref in [([nan], [1.0]), ([1.0], [inf]), ([inf], [-inf]), ([1.0], [1.1])]:
        with pytest.raises(AssertionError, match="FAIL at 1 of 1"):
            assert_close(np.array(ours), np.array(ref), name="x")
    with pytest.raises(AssertionError, match=r"dtype differs from reference float64"):
        assert_close(np.ones(2, np.float32), np.ones(2))
