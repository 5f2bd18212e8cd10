"""Convolution and pooling at the edges (issue 14): an empty batch gives the empty output of the
right shape with or without autograd, as torch; a dtype the op cannot take is a DtypeError (a
TypeError and a RuntimeError, as PyTorch raises RuntimeError) naming the op, the dtype and what is
expected, never a NumPy casting error.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.autograd.errors import DtypeError

CONV_CASES = [  # (name, input shape, weight shape, kwargs)
    ("conv2d", (0, 3, 8, 8), (4, 3, 3, 3), {}),
    ("conv2d", (0, 3, 8, 8), (4, 3, 3, 3), {"padding": 1, "stride": 2}),
    ("conv2d", (0, 2, 5, 7), (6, 2, 2, 3), {"dilation": 2}),
    ("conv1d", (0, 3, 8), (4, 3, 3), {"padding": 2}),
]


@pytest.mark.parametrize("grad", [False, True])
@pytest.mark.parametrize("name, x_shape, w_shape, kw", CONV_CASES)
def test_empty_batch_matches_torch(name, x_shape, w_shape, kw, grad):
    w = np.random.default_rng(0).standard_normal(w_shape).astype(np.float32)
    x = np.zeros(x_shape, np.float32)
    want = getattr(torch.nn.functional, name)(torch.from_numpy(x), torch.from_numpy(w), **kw)
    xt, wt = cr.tensor(x, requires_grad=grad), cr.tensor(w, requires_grad=grad)
    if grad:
        got = getattr(F, name)(xt, wt, **kw)
        got.sum().backward()
        assert tuple(xt.grad.shape) == x_shape and float(wt.grad.abs().sum()) == 0.0
    else:
        with cr.no_grad():  # was ZeroDivisionError
            got = getattr(F, name)(xt, wt, **kw)
    assert tuple(got.shape) == tuple(want.shape) and got.dtype == cr.float32


@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
def test_empty_batch_through_layers_and_pools(padding_mode):
    want = torch.nn.Conv2d(3, 5, 3, padding=1, padding_mode=padding_mode)(torch.zeros(0, 3, 6, 6))
    with cr.no_grad():
        conv = cr.nn.Conv2d(3, 5, 3, padding=1, padding_mode=padding_mode)
        out = conv(cr.zeros(0, 3, 6, 6))
        assert tuple(out.shape) == tuple(want.shape) == (0, 5, 6, 6)
        for pool, tpool in (
            (F.max_pool2d, torch.nn.functional.max_pool2d),
            (F.avg_pool2d, torch.nn.functional.avg_pool2d),
        ):
            got = pool(out, 2)
            assert tuple(got.shape) == tuple(tpool(torch.zeros(0, 5, 6, 6), 2).shape)


INT_DTYPES = [np.int64, np.int32, np.uint8, np.bool_]


@pytest.mark.parametrize("dtype", INT_DTYPES)
@pytest.mark.parametrize(
    "op, x_shape, w_shape", [("conv2d", (1, 3, 8, 8), (4, 3, 3, 3)), ("conv1d", (1, 3, 8), (4, 3, 3))]
)
def test_conv_with_integer_or_bool_input_names_the_op(op, x_shape, w_shape, dtype):
    x, w = np.ones(x_shape, dtype), np.ones(w_shape, np.float32)
    with pytest.raises(RuntimeError):  # torch: "expected scalar type ..." / "not implemented for 'Bool'"
        getattr(torch.nn.functional, op)(torch.from_numpy(x), torch.from_numpy(w))
    name = np.dtype(dtype).name
    for bad, what in (((x, w), "input"), ((np.ones(x_shape, np.float32), w.astype(dtype)), "weight")):
        with pytest.raises(DtypeError) as e:
            getattr(F, op)(cr.tensor(bad[0]), cr.tensor(bad[1]))
        assert isinstance(e.value, TypeError) and isinstance(e.value, RuntimeError)
        assert str(e.value) == (
            f"{op}: {what} must be floating point (float16, float32 or float64), got dtype "
            f"{name}; convert it with .float()"
        )
    with pytest.raises(RuntimeError, match=f"{op}: bias must be floating point"):
        getattr(F, op)(cr.tensor(np.ones(x_shape, np.float32)), cr.tensor(w), cr.tensor(np.ones(w_shape[0], dtype)))


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_pooling_dtypes_follow_torch(dtype):
    x = np.arange(2 * 3 * 4 * 4).reshape(2, 3, 4, 4).astype(dtype)
    name = np.dtype(dtype).name
    if dtype is np.bool_:  # torch: "max_pool2d" not implemented for 'Bool'
        with pytest.raises(RuntimeError):
            torch.nn.functional.max_pool2d(torch.from_numpy(x), 2)
        with pytest.raises(DtypeError, match="max_pool2d: input must be floating point or integer .*got dtype bool"):
            F.max_pool2d(cr.tensor(x), 2)
        with pytest.raises(DtypeError, match="max_pool1d: input must be floating point or integer"):
            F.max_pool1d(cr.tensor(x[:, :, 0]), 2)
    else:  # integer max pooling is exact and keeps the dtype, as torch
        got = F.max_pool2d(cr.tensor(x), 2)
        want = torch.nn.functional.max_pool2d(torch.from_numpy(x), 2)
        assert got.numpy().dtype == x.dtype
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    with pytest.raises(DtypeError, match=f"avg_pool2d: input must be floating point .*got dtype {name}"):
        F.avg_pool2d(cr.tensor(x), 2)
    with pytest.raises(DtypeError, match=f"avg_pool1d: input must be floating point .*got dtype {name}"):
        F.avg_pool1d(cr.tensor(x[:, :, 0]), 2)
