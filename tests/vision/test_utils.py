"""make_grid / save_image: torchvision's layout (its loop re-written in torch below) and rounding."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import Image

import chainrule as cr
from chainrule.vision.utils import make_grid, save_image


def tv_make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    """torchvision.utils.make_grid, its algorithm in torch ops (torchvision is not installable here)."""
    if tensor.dim() == 2:
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 3:
        if tensor.size(0) == 1:
            tensor = torch.cat((tensor, tensor, tensor), 0)
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 4 and tensor.size(1) == 1:
        tensor = torch.cat((tensor, tensor, tensor), 1)
    if normalize:
        tensor = tensor.clone()

        def norm_ip(img, low, high):
            img.clamp_(min=low, max=high)
            img.sub_(low).div_(max(high - low, 1e-5))

        def norm_range(t):
            norm_ip(t, *(value_range if value_range is not None else (float(t.min()), float(t.max()))))

        if scale_each:
            for t in tensor:
                norm_range(t)
        else:
            norm_range(tensor)
    if tensor.size(0) == 1:
        return tensor.squeeze(0)
    nmaps = tensor.size(0)
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = int(tensor.size(2) + padding), int(tensor.size(3) + padding)
    grid = tensor.new_full((tensor.size(1), height * ymaps + padding, width * xmaps + padding), pad_value)
    k = 0
    for y in range(ymaps):
        for x in range(xmaps):
            if k >= nmaps:
                break
            grid.narrow(1, y * height + padding, height - padding).narrow(
                2, x * width + padding, width - padding
            ).copy_(tensor[k])
            k += 1
    return grid


CASES = [
    ((10, 1, 5, 4), {}),
    ((10, 3, 5, 4), {"nrow": 4, "padding": 1, "pad_value": 0.5}),
    ((3, 1, 6, 6), {"nrow": 8, "padding": 0}),
    ((7, 2, 3, 3), {"nrow": 3, "normalize": True}),
    ((5, 1, 4, 4), {"normalize": True, "scale_each": True}),
    ((5, 3, 4, 4), {"normalize": True, "value_range": (-0.5, 0.5)}),
    ((1, 1, 4, 3), {}),
    ((1, 4, 3), {}),
    ((4, 3), {"padding": 3}),
]


@pytest.mark.parametrize("shape, kwargs", CASES)
def test_make_grid_matches_torchvisions_algorithm(shape, kwargs):
    x = (np.random.default_rng(0).random(shape, dtype=np.float32) * 3 - 1).astype(np.float32)
    got = make_grid(cr.tensor(x), **kwargs)
    want = tv_make_grid(torch.from_numpy(x), **kwargs)
    assert got.shape == tuple(want.shape)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=0, atol=1e-7)
    assert got.numpy().dtype == np.float32


def test_make_grid_layout_by_hand():
    """3 images of 2x2 in rows of 2, padding 1: a 7x7 canvas, image k at (1 + 3 (k // 2), 1 + 3 (k % 2))."""
    x = np.stack([np.full((1, 2, 2), k + 1, np.float32) for k in range(3)])
    grid = make_grid(cr.tensor(x), nrow=2, padding=1, pad_value=-1).numpy()
    assert grid.shape == (3, 7, 7)  # one channel repeated to RGB
    expected = np.full((7, 7), -1, np.float32)
    expected[1:3, 1:3], expected[1:3, 4:6], expected[4:6, 1:3] = 1, 2, 3
    np.testing.assert_array_equal(grid[0], expected)
    np.testing.assert_array_equal(grid[1], grid[2])
    from_list = make_grid([cr.tensor(v) for v in x], nrow=2, padding=1, pad_value=-1).numpy()
    np.testing.assert_array_equal(from_list, grid)
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        make_grid(cr.tensor(x), normalize=True, value_range=[0, 1])


def test_save_image_rounds_as_torchvision(tmp_path):
    x = np.random.default_rng(1).random((6, 1, 5, 5), dtype=np.float32) * 1.2 - 0.1  # some out of [0, 1]
    save_image(cr.tensor(x), tmp_path / "grid.png", nrow=3)
    got = np.asarray(Image.open(tmp_path / "grid.png"))
    grid = tv_make_grid(torch.from_numpy(x), nrow=3)
    want = grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to("cpu", torch.uint8).numpy()
    assert got.shape == (2 * 7 + 2, 3 * 7 + 2, 3) and got.dtype == np.uint8
    np.testing.assert_array_equal(got, want)
    save_image(cr.tensor(x[0]), tmp_path / "one.jpg")  # format from the suffix
    assert Image.open(tmp_path / "one.jpg").format == "JPEG"
