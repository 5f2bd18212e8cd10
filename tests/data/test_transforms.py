"""to_float, normalize and the vectorised random shift (checked against np.roll with zeroed borders)."""

from __future__ import annotations

import ast
import inspect

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainrule.data import normalize, random_shift, to_float, transforms
from chainrule.data.transforms import Compose, shift


def test_to_float_scales_and_adds_channel():
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    x = to_float(images)
    assert x.shape == (1, 1, 2, 2) and x.dtype == np.float32
    np.testing.assert_array_equal(x[0, 0], np.array([[0, 1], [0.2, 0.4]], np.float32))
    assert to_float(np.zeros((3, 2, 5, 5), np.uint8)).shape == (3, 2, 5, 5)
    with pytest.raises(ValueError, match=r"to_float: expected images .* got shape \(5, 5\)"):
        to_float(np.zeros((5, 5), np.uint8))


def test_normalize():
    x = np.linspace(0, 1, 8, dtype=np.float32).reshape(2, 1, 2, 2)
    y = normalize(x, 0.5, 0.25)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, (x - 0.5) / 0.25, rtol=1e-6)
    assert normalize(x.astype(np.float64), 0.1, 0.3).dtype == np.float64
    with pytest.raises(TypeError, match="float input"):
        normalize(np.zeros(3, np.uint8), 0, 1)
    with pytest.raises(ValueError, match="std must be positive"):
        normalize(x, 0, 0)


def _reference_shift(image, dy, dx):
    """np.roll, then zero the rows and columns that wrapped around."""
    out = np.roll(image, (dy, dx), axis=(-2, -1))
    if dy > 0:
        out[..., :dy, :] = 0
    elif dy < 0:
        out[..., dy:, :] = 0
    if dx > 0:
        out[..., :, :dx] = 0
    elif dx < 0:
        out[..., :, dx:] = 0
    return out


@given(
    n=st.integers(1, 6),
    channels=st.sampled_from([None, 1, 3]),
    h=st.integers(1, 9),
    w=st.integers(1, 9),
    data=st.data(),
)
def test_shift_matches_roll_with_zeroed_borders(n, channels, h, w, data):
    m = data.draw(st.integers(0, 10))
    dy = np.array(data.draw(st.lists(st.integers(-m, m), min_size=n, max_size=n)))
    dx = np.array(data.draw(st.lists(st.integers(-m, m), min_size=n, max_size=n)))
    shape = (n, h, w) if channels is None else (n, channels, h, w)
    batch = np.random.default_rng(0).integers(1, 256, shape).astype(np.float32)
    out = shift(batch, dy, dx)
    assert out.shape == batch.shape and out.dtype == batch.dtype
    for k in range(n):  # the reference goes one image at a time; the code under test does not
        np.testing.assert_array_equal(out[k], _reference_shift(batch[k], int(dy[k]), int(dx[k])))


def test_known_shift_of_one_pixel():
    image = np.zeros((1, 1, 5, 5), np.float32)
    image[0, 0, 2, 2] = 1
    out = shift(image, [1], [-2])  # one down, two left
    assert out[0, 0, 3, 0] == 1 and out.sum() == 1


def test_random_shift_is_seeded_bounded_and_per_sample():
    batch = np.zeros((200, 1, 9, 9), np.float32)
    batch[:, 0, 4, 4] = 1  # a dot in the centre: where it lands is the shift
    out = random_shift(batch, 2, np.random.default_rng(0))
    again = random_shift(batch, 2, np.random.default_rng(0))
    np.testing.assert_array_equal(out, again)
    assert out.sum() == 200  # a shift of at most 2 keeps the centre dot inside
    rows, cols = np.divmod(out[:, 0].reshape(200, -1).argmax(axis=1), 9)
    dy, dx = rows - 4, cols - 4
    assert dy.min() == -2 and dy.max() == 2 and dx.min() == -2 and dx.max() == 2  # the whole range, and no more
    assert len(set(zip(dy.tolist(), dx.tolist()))) == 25  # each sample draws its own shift
    np.testing.assert_array_equal(random_shift(batch, 0, np.random.default_rng(0)), batch)
    with pytest.raises(ValueError, match="max_shift must be >= 0"):
        random_shift(batch, -1, np.random.default_rng(0))


def test_shift_errors():
    with pytest.raises(ValueError, match=r"dy and dx must have shape \(2,\)"):
        shift(np.zeros((2, 3, 3)), [0], [0, 0])
    with pytest.raises(ValueError, match="expected a batch"):
        shift(np.zeros((3, 3)), [0, 0, 0], [0, 0, 0])


def test_no_python_loop_over_samples():
    for fn in (shift, random_shift, to_float, normalize):
        tree = ast.parse(inspect.getsource(fn))
        loops = [
            type(node).__name__
            for node in ast.walk(tree)
            if isinstance(node, (ast.For, ast.While, ast.ListComp, ast.GeneratorExp, ast.SetComp, ast.DictComp))
        ]
        assert loops == [], f"{fn.__name__} has {loops}"


def test_compose():
    f = Compose([to_float, lambda x: normalize(x, transforms.MNIST_MEAN, transforms.MNIST_STD)])
    x = f(np.full((2, 28, 28), 255, np.uint8))
    np.testing.assert_allclose(x, (1 - 0.1307) / 0.3081, rtol=1e-6)
    assert "Compose" in repr(f)
