"""``cr.autograd.Function`` written the way PyTorch's tutorials write one, checked three ways: the
same source run on torch gives the same values and gradients, ``cr.grad_check`` agrees with
central differences, and the ctx API (save_for_backward, saved_tensors, needs_input_grad) behaves."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr


def functions(lib):
    """The same four user-written ops, for ``lib`` = chainrule or torch (only the base class differs)."""

    class Legendre3(lib.autograd.Function):
        """P3(x) = (5 x^3 - 3 x) / 2;  dP3/dx = 3 (5 x^2 - 1) / 2."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return 0.5 * (5 * x**3 - 3 * x)

        @staticmethod
        def backward(ctx, upstream):
            (x,) = ctx.saved_tensors
            return upstream * 1.5 * (5 * x**2 - 1)

    class MyReLU(lib.autograd.Function):
        """max(x, 0);  gradient 1 where x > 0, else 0."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.clamp(min=0)

        @staticmethod
        def backward(ctx, upstream):
            (x,) = ctx.saved_tensors
            grad = upstream.clone()
            grad[x < 0] = 0
            return grad

    class ScaledShift(lib.autograd.Function):
        """x * scale + shift with Python numbers scale, shift (no gradient for them: None)."""

        @staticmethod
        def forward(ctx, x, scale, shift=0.0):
            ctx.scale = scale
            return x * scale + shift

        @staticmethod
        def backward(ctx, upstream):
            return upstream * ctx.scale, None, None

    class MulAdd(lib.autograd.Function):
        """a * b + a;  d/da = b + 1, d/db = a, each computed only when asked for."""

        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b + a

        @staticmethod
        def backward(ctx, upstream):
            a, b = ctx.saved_tensors
            da = upstream * (b + 1) if ctx.needs_input_grad[0] else None
            db = upstream * a if ctx.needs_input_grad[1] else None
            return da, db

    return {"Legendre3": Legendre3, "MyReLU": MyReLU, "ScaledShift": ScaledShift, "MulAdd": MulAdd}


OURS, THEIRS = functions(cr), functions(torch)
X = np.array([0.3, -1.2, 0.8, 2.0, -0.5])
Y = np.array([1.5, 0.5, -2.0, 0.25, 3.0])


def call(fns, name, lib, x, y):
    if name == "ScaledShift":
        return fns[name].apply(x, 2.5, 1.0)
    if name == "MulAdd":
        return fns[name].apply(x, y)
    return fns[name].apply(x)


@pytest.mark.parametrize("name", ["Legendre3", "MyReLU", "ScaledShift", "MulAdd"])
def test_values_and_gradients_match_torch(name):
    grads = {}
    for fns, lib in ((OURS, cr), (THEIRS, torch)):
        x = lib.tensor(X, requires_grad=True)
        y = lib.tensor(Y, requires_grad=True)
        out = call(fns, name, lib, x, y)
        (out * out).sum().backward()
        grads[lib.__name__] = (out.detach().numpy(), x.grad.numpy(), None if y.grad is None else y.grad.numpy())
    for ours, theirs in zip(grads["chainrule"], grads["torch"]):
        if theirs is None:
            assert ours is None
        else:
            np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("name", ["Legendre3", "MyReLU", "ScaledShift", "MulAdd"])
def test_grad_check(name):
    cr.grad_check(lambda x, y: call(OURS, name, cr, x, y), cr.tensor(X), cr.tensor(Y))


def test_legendre_polynomial_fit_like_the_tutorial():
    """The tutorial's model y = a + b P3(c + d x), a few steps of gradient descent, both libraries."""
    results = {}
    for fns, lib in ((OURS, cr), (THEIRS, torch)):
        x = lib.linspace(-np.pi, np.pi, 200, dtype=lib.float64)
        y = lib.sin(x)
        a, b, c, d = (lib.full((), v, dtype=lib.float64, requires_grad=True) for v in (0.0, -1.0, 0.0, 0.3))
        for _ in range(50):
            loss = (a + b * fns["Legendre3"].apply(c + d * x) - y).pow(2).sum()
            loss.backward()
            with lib.no_grad():
                for p in (a, b, c, d):
                    p -= 5e-6 * p.grad
                    p.grad = None
        results[lib.__name__] = [loss.item()] + [p.item() for p in (a, b, c, d)]
    np.testing.assert_allclose(results["chainrule"], results["torch"], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("fns, lib", [(OURS, cr), (THEIRS, torch)], ids=["chainrule", "torch"])
def test_only_one_input_requires_grad(fns, lib):
    seen = []
    base = fns["MulAdd"]

    class Spy(base):
        @staticmethod
        def backward(ctx, upstream):
            seen.append(tuple(ctx.needs_input_grad))
            return base.backward(ctx, upstream)

    a = lib.tensor(X, requires_grad=True)
    b = lib.tensor(Y)  # a constant
    Spy.apply(a, b).sum().backward()
    assert seen == [(True, False)]
    assert b.grad is None
    np.testing.assert_allclose(a.grad.numpy(), Y + 1)


def test_graph_node_and_no_grad():
    for fns, lib in ((OURS, cr), (THEIRS, torch)):
        x = lib.tensor(X, requires_grad=True)
        y = fns["Legendre3"].apply(x * 2)
        assert y.requires_grad and y.grad_fn.name() == "Legendre3Backward"
        ((nxt, _),) = y.grad_fn.next_functions
        assert nxt.name() == "MulBackward0"
        y.sum().backward()
        assert y.grad_fn.name() == "Legendre3Backward"  # still printable after backward
        with lib.no_grad():
            z = fns["Legendre3"].apply(x)
        assert not z.requires_grad and z.grad_fn is None
        w = fns["Legendre3"].apply(lib.tensor(X))
        assert not w.requires_grad and w.grad_fn is None


def test_second_backward_and_retain_graph():
    for fns, lib in ((OURS, cr), (THEIRS, torch)):
        x = lib.tensor(X, requires_grad=True)
        y = fns["Legendre3"].apply(x).sum()
        y.backward(retain_graph=True)
        y.backward()
        np.testing.assert_allclose(x.grad.numpy(), 2 * 1.5 * (5 * X**2 - 1))
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            y.backward()


def test_saved_tensor_changed_in_place_raises():
    for fns, lib in ((OURS, cr), (THEIRS, torch)):
        x = lib.tensor(X, requires_grad=True)
        h = x * 1
        y = fns["Legendre3"].apply(h)
        h.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_same_tensor_twice_and_by_keyword():
    for fns, lib in ((OURS, cr), (THEIRS, torch)):
        a = lib.tensor(X, requires_grad=True)
        fns["MulAdd"].apply(a, a).sum().backward()  # d/da (a^2 + a) = 2 a + 1
        np.testing.assert_allclose(a.grad.numpy(), 2 * X + 1)
        a.grad = None
        b = lib.tensor(Y, requires_grad=True)
        fns["MulAdd"].apply(a, b=b).sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), Y + 1)
        np.testing.assert_allclose(b.grad.numpy(), X)


def test_dtype_is_kept():
    for fns, lib in ((OURS, cr), (THEIRS, torch)):
        x = lib.tensor(X, dtype=lib.float32, requires_grad=True)
        y = fns["Legendre3"].apply(x)
        y.sum().backward()
        assert str(y.dtype).endswith("float32") and str(x.grad.dtype).endswith("float32")


def test_wrong_gradient_shape_or_count_is_an_error():
    for lib in (cr, torch):

        class BadShape(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, upstream):
                return upstream.sum()[None].expand(2)

        with pytest.raises(RuntimeError):
            BadShape.apply(lib.ones(3, requires_grad=True)).sum().backward()

    class TooFew(cr.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, upstream):
            return upstream

    with pytest.raises(RuntimeError, match="returned 1 gradients, expected 2"):
        TooFew.apply(cr.ones(2, requires_grad=True), cr.ones(2)).sum().backward()
