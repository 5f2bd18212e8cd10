"""The autograd API against PyTorch: walking grad_fn/next_functions, autograd.grad, backward's
arguments, retain_graph and the freed graph, the grad-mode switches, saved arrays released."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
import torch

import chainrule as cr

LIBS = [cr, torch]


def walk(node) -> list:
    """Depth-first names of the graph below ``node``, as the autograd tutorial prints them (None skipped)."""
    if node is None:
        return []
    names = [node.name()]
    for child, _ in node.next_functions:
        names += walk(child)
    return names


# --- the lecture's circuits walked through next_functions ----------------------------------------


def test_walk_f_equals_x_plus_y_times_z():
    graphs = {}
    for lib in LIBS:
        x, y, z = (lib.tensor(v, requires_grad=True) for v in (-2.0, 5.0, -4.0))
        f = (x + y) * z
        graphs[lib.__name__] = walk(f.grad_fn)
        (add, _), (acc_z, _) = f.grad_fn.next_functions
        assert acc_z.variable is z
        assert [n.variable for n, _ in add.next_functions] == [x, y]
    assert (
        graphs["chainrule"]
        == graphs["torch"]
        == [
            "MulBackward0",
            "AddBackward0",
            "torch::autograd::AccumulateGrad",
            "torch::autograd::AccumulateGrad",
            "torch::autograd::AccumulateGrad",
        ]
    )


def test_walk_the_sigmoid_circuit():
    """f = 1 / (1 + exp(-(w0 x0 + w1 x1 + w2))): torch spells 1/t as reciprocal(t) * 1 (MulBackward0 over
    ReciprocalBackward0), chainrule as one DivBackward0; below it the graphs are the same."""
    below = {}
    for lib in LIBS:
        w0, x0, w1, x1, w2 = (lib.tensor(v, requires_grad=True) for v in (2.0, -1.0, -3.0, -2.0, -3.0))
        denominator = 1 + lib.exp(-(w0 * x0 + w1 * x1 + w2))
        f = 1 / denominator
        below[lib.__name__] = walk(denominator.grad_fn)
        top = f.grad_fn
        if lib is cr:
            assert top.name() == "DivBackward0"
            assert [n for n, _ in top.next_functions] == [None, denominator.grad_fn]
        else:
            assert top.name() == "MulBackward0" and top.next_functions[0][0].name() == "ReciprocalBackward0"
        f.backward()
        assert [round(t.grad.item(), 2) for t in (w0, x0, w1, x1, w2)] == [-0.2, 0.39, -0.39, -0.59, 0.2]
    assert sorted(below["chainrule"]) == sorted(below["torch"])
    assert [n for n in below["chainrule"] if "Accumulate" not in n] == [
        "AddBackward0",
        "ExpBackward0",
        "NegBackward0",
        "AddBackward0",
        "AddBackward0",
        "MulBackward0",
        "MulBackward0",
    ]


def test_constants_appear_as_none_and_leaves_as_accumulate_grad():
    for lib in LIBS:
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * lib.tensor([3.0, 4.0])
        (acc, i), (const, j) = y.grad_fn.next_functions
        assert acc.name() == "torch::autograd::AccumulateGrad" and acc.variable is x and const is None
        assert acc.next_functions == () and (i, j) == (0, 0)
        assert x.grad_fn is None and (x * 2).detach().grad_fn is None


def test_tutorial_print_loss_grad_fn_chain():
    """The autograd tutorial prints loss.grad_fn, then .next_functions[0][0] twice."""
    names = {}
    for lib in LIBS:
        x = lib.ones(5)
        w = lib.ones(5, 3, requires_grad=True)
        b = lib.zeros(3, requires_grad=True)
        z = lib.matmul(x, w) + b
        loss = ((z - lib.zeros(3)) ** 2).mean()
        fn = loss.grad_fn
        names[lib.__name__] = [
            fn.name(),
            fn.next_functions[0][0].name(),
            fn.next_functions[0][0].next_functions[0][0].name(),
        ]
    assert names["chainrule"] == names["torch"] == ["MeanBackward0", "PowBackward0", "SubBackward0"]


# --- autograd.grad ------------------------------------------------------------------------------


def test_grad_several_inputs_and_grad_outputs():
    results = {}
    for lib in LIBS:
        x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        y = lib.tensor([0.5, 4.0, -1.0], requires_grad=True)
        gx, gy = lib.autograd.grad((x * y + x**2).sum(), [x, y])
        (gv,) = lib.autograd.grad(x * y, x, grad_outputs=lib.tensor([1.0, 2.0, 3.0]))
        g_list = lib.autograd.grad([(x * y).sum()], (y,), grad_outputs=[lib.tensor(2.0)])
        assert x.grad is None and y.grad is None  # grad() does not accumulate
        results[lib.__name__] = [gx.tolist(), gy.tolist(), gv.tolist(), g_list[0].tolist()]
        assert isinstance(g_list, tuple) and not gx.requires_grad
    assert results["chainrule"] == results["torch"]


def test_grad_of_an_intermediate_leaves_every_grad_alone():
    outs = {}
    for lib in LIBS:
        x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        h = x * 2
        out = (h * h).sum()
        (gh,) = lib.autograd.grad(out, h, retain_graph=True)
        assert x.grad is None  # the leaf below the input is not touched either
        out.backward()
        outs[lib.__name__] = (gh.tolist(), x.grad.tolist())
    assert outs["chainrule"] == outs["torch"] == ([4.0, -8.0, 12.0], [8.0, -16.0, 24.0])


def test_grad_unused_inputs():
    for lib in LIBS:
        x, y = lib.ones(2, requires_grad=True), lib.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match="allow_unused"):
            lib.autograd.grad((x * 3).sum(), [x, y])
        gx, gy = lib.autograd.grad((x * 3).sum(), [x, y], allow_unused=True)
        assert gx.tolist() == [3.0, 3.0] and gy is None
        gx, gy = lib.autograd.grad((x * 3).sum(), [x, y], materialize_grads=True)
        assert gy.tolist() == [0.0, 0.0]


@pytest.mark.parametrize("case", ["non-scalar", "no grad", "second call"])
def test_grad_errors(case):
    for lib in LIBS:
        x = lib.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError):
            if case == "non-scalar":
                lib.autograd.grad(x * 2, x)
            elif case == "no grad":
                lib.autograd.grad((lib.ones(2) * 2).sum(), lib.ones(2))
            else:
                out = (x * x).sum()
                lib.autograd.grad(out, x)
                lib.autograd.grad(out, x)


# --- backward's arguments -------------------------------------------------------------------------


def test_backward_arguments():
    results = {}
    for lib in LIBS:
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        z = lib.tensor([3.0, -1.0], requires_grad=True)
        (x * z).backward(lib.tensor([1.0, 10.0]))  # gradient=
        (x * z).sum().backward(inputs=[x])  # only x accumulates
        lib.autograd.backward([(x * 2).sum(), (z * z).sum()])
        lib.autograd.backward((x * z), grad_tensors=lib.ones(2))
        results[lib.__name__] = (x.grad.tolist(), z.grad.tolist())
        with pytest.raises(RuntimeError, match="scalar outputs"):
            (x * 2).backward()
        with pytest.raises(RuntimeError):
            (x * 2).backward(lib.ones(3))
        with pytest.raises(RuntimeError, match="does not require grad"):
            (lib.ones(2) * 2).sum().backward()
    assert results["chainrule"] == results["torch"]


def test_create_graph_is_refused_by_design():
    x = cr.ones(2, requires_grad=True)
    with pytest.raises(NotImplementedError, match="higher-order"):
        cr.autograd.grad((x * x).sum(), x, create_graph=True)
    with pytest.raises(NotImplementedError):
        (x * x).sum().backward(create_graph=True)


# --- retain_graph, the freed graph, memory --------------------------------------------------------


def test_second_backward_raises_and_retain_graph_accumulates():
    for lib in LIBS:
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x.exp() * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([1.0, 2.0]) * (1 + np.array([1.0, 2.0])), rtol=1e-6)
        with pytest.raises(RuntimeError, match="retain_graph"):
            y.backward()
        with pytest.raises(RuntimeError, match="retain_graph"):
            lib.autograd.grad(y, x)


def test_reusing_a_freed_intermediate_raises():
    for lib in LIBS:
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        h = x.exp()
        h.sum().backward()
        with pytest.raises(RuntimeError, match="second time"):
            (h * 3).sum().backward()


def test_backward_releases_saved_arrays():
    x = cr.randn(1000, requires_grad=True)
    h = x.exp()  # exp saves its output; the next mul saves h as well
    ref = weakref.ref(h._data)
    y = (h * x).sum()
    del h
    gc.collect()
    assert ref() is not None  # kept alive by the graph for backward
    nodes = [y.grad_fn, y.grad_fn.next_functions[0][0]]
    y.backward()
    gc.collect()
    assert ref() is None, "the exp output is still held after backward"
    for node in nodes:  # what stays: the graph's shape (node names, edges) and the leaves, no array
        kept = [v for v in node.__dict__.values() if not isinstance(v, (bool, tuple, list))]
        assert kept == [] and all(t is None or t is x for t in node.__dict__.get("_leaves", ()))
        assert all(c is None or isinstance(c, cr.Function) for c in node.parent_ctxs)  # nodes, no arrays


def test_the_graph_can_be_walked_after_backward():
    """torch frees the saved tensors but keeps the nodes and edges: the tutorials walk them after."""
    walks = {}
    for lib in LIBS:
        w = lib.ones(4, 3, requires_grad=True)
        b = lib.zeros(3, requires_grad=True)
        loss = ((lib.full((4, 3), 2.0) * w + b - 1.0) ** 2).sum()
        before = walk(loss.grad_fn)
        loss.backward()
        assert walk(loss.grad_fn) == before
        node = loss.grad_fn  # sum <- pow <- sub <- add(mul, b)
        for _ in range(3):
            node = node.next_functions[0][0]
        assert node.name() == "AddBackward0" and node.next_functions[1][0].variable is b
        walks[lib.__name__] = before
    assert walks["chainrule"] == walks["torch"]


def test_retain_graph_keeps_saved_arrays():
    x = cr.randn(1000, requires_grad=True)
    h = x.exp()
    ref = weakref.ref(h._data)
    y = (h * x).sum()
    del h
    y.backward(retain_graph=True)
    gc.collect()
    assert ref() is not None
    y.backward()
    gc.collect()
    assert ref() is None


def test_graph_is_freed_per_backward_not_per_tensor():
    """A part of the graph that one backward did not reach keeps its saved values."""
    for lib in LIBS:
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        a, b = x.exp(), x.sin()
        a.sum().backward()
        b.sum().backward()  # sin was not freed by a's backward
        np.testing.assert_allclose(x.grad.numpy(), np.exp([1.0, 2.0]) + np.cos([1.0, 2.0]), rtol=1e-6)


# --- grad-mode switches ---------------------------------------------------------------------------


def test_grad_mode_switches_match_torch():
    for lib in LIBS:
        x = lib.ones(2, requires_grad=True)
        with lib.no_grad():
            assert not (x * 2).requires_grad and not lib.is_grad_enabled()
            with lib.enable_grad():
                assert (x * 2).requires_grad
        with lib.set_grad_enabled(False):
            assert not (x * 2).requires_grad
        with lib.inference_mode():
            assert not (x * 2).requires_grad
        with lib.inference_mode(False):
            assert (x * 2).requires_grad
        assert lib.is_grad_enabled()


@pytest.mark.parametrize("lib", LIBS, ids=["chainrule", "torch"])
def test_grad_mode_decorators_and_plain_call(lib):
    @lib.no_grad()
    def f():
        return lib.is_grad_enabled()

    @lib.no_grad
    def g():
        return lib.is_grad_enabled()

    @lib.set_grad_enabled(False)
    def h():
        return lib.is_grad_enabled()

    @lib.inference_mode()
    def k():
        return lib.is_grad_enabled()

    assert lib.is_grad_enabled() and not f() and not g() and not h() and not k()
    with lib.no_grad():
        assert lib.enable_grad(lambda: lib.is_grad_enabled())()
    try:
        lib.set_grad_enabled(False)  # a plain call switches at once
        assert not lib.is_grad_enabled()
        with lib.set_grad_enabled(True):
            assert lib.is_grad_enabled()
        assert not lib.is_grad_enabled()
    finally:
        lib.set_grad_enabled(True)
    assert lib.is_grad_enabled()


def test_no_grad_restores_after_an_exception():
    for lib in LIBS:
        with pytest.raises(ZeroDivisionError), lib.no_grad():
            _ = 1 / 0
        assert lib.is_grad_enabled()
