"""chainrule.vision.transforms: torchvision's formulas, checked by hand and with torch's own ops.

torchvision cannot be installed beside torch 2.13 here, so its tensor code paths are re-written in
torch below (``tv_affine``: ``_gen_affine_grid`` + ``grid_sample`` + the fill mask, as in
torchvision's ``_functional_tensor.py``), and its PIL paths are Pillow calls we check by geometry.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

import chainrule as cr
from chainrule.vision import transforms as T
from chainrule.vision.transforms import _geometry as G
from chainrule.vision.transforms import functional as F


def digit(seed=0, h=28, w=28) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w), dtype=np.uint8)


def test_to_tensor_scales_uint8_by_255_as_torch():
    arr = digit()
    x = T.ToTensor()(Image.fromarray(arr))
    want = torch.from_numpy(arr).unsqueeze(0).to(torch.float32).div(255)  # torchvision's to_tensor
    assert x.numpy().dtype == np.float32 and x.shape == (1, 28, 28)
    np.testing.assert_array_equal(x.numpy(), want.numpy())
    rgb = np.random.default_rng(1).integers(0, 256, (5, 4, 3), dtype=np.uint8)
    np.testing.assert_array_equal(T.ToTensor()(Image.fromarray(rgb)).numpy(), rgb.transpose(2, 0, 1) / np.float32(255))
    np.testing.assert_array_equal(T.ToTensor()(rgb).numpy(), rgb.transpose(2, 0, 1) / np.float32(255))
    floats = np.random.default_rng(2).random((4, 5), dtype=np.float32) * 7  # not uint8: kept as is
    np.testing.assert_array_equal(T.ToTensor()(floats).numpy(), floats[None])
    ints = Image.fromarray(np.arange(12, dtype=np.int32).reshape(3, 4))  # mode 'I': int32, unscaled
    assert T.ToTensor()(ints).numpy().dtype == np.int32
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 4 dimensions."):
        T.ToTensor()(np.zeros((1, 2, 3, 4), np.uint8))
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        T.ToTensor()([1, 2])


def test_normalize_matches_torch_per_channel():
    x = np.random.default_rng(0).random((2, 3, 4, 5), dtype=np.float32)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    want = torch.from_numpy(x).sub(torch.tensor(mean).view(3, 1, 1)).div(torch.tensor(std).view(3, 1, 1))
    got = T.Normalize(mean, std)(cr.tensor(x))
    np.testing.assert_array_equal(got.numpy(), want.numpy())  # float32 (x - m) / s, bit for bit
    t = cr.tensor(x[0].copy())
    assert T.Normalize(mean, std, inplace=True)(t) is t
    np.testing.assert_array_equal(t.numpy(), want[0].numpy())
    with pytest.raises(ValueError, match="std evaluated to zero after conversion to float32"):
        T.Normalize((0.5,), (0.0,))(cr.tensor(x[0]))
    with pytest.raises(TypeError, match="Input tensor should be a float tensor"):
        T.Normalize((0.5,), (1.0,))(cr.tensor(np.zeros((1, 2, 2), np.uint8)))
    with pytest.raises(ValueError, match=r"tensor image of size \(..., C, H, W\)"):
        T.Normalize((0.5,), (1.0,))(cr.tensor(np.zeros((2, 2), np.float32)))


def test_compose_lambda_and_the_mnist_pipeline():
    arr = digit(3)
    pipeline = T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,)), T.Lambda(lambda t: t * 2)])
    want = torch.from_numpy(arr)[None].float().div(255).sub(0.1307).div(0.3081) * 2
    np.testing.assert_allclose(pipeline(Image.fromarray(arr)).numpy(), want.numpy(), rtol=0, atol=1e-6)
    assert repr(pipeline).startswith("Compose(\n    ToTensor()\n    Normalize(mean=(0.1307,), std=(0.3081,))")
    with pytest.raises(TypeError, match="lambd should be callable"):
        T.Lambda(3)


def test_to_pil_image_scales_and_truncates_as_torch():
    x = np.random.default_rng(0).random((1, 6, 7), dtype=np.float32)
    img = T.ToPILImage()(cr.tensor(x))
    want = torch.from_numpy(x).mul(255).byte()[0].numpy()  # torchvision: pic.mul(255).byte()
    assert img.mode == "L" and img.size == (7, 6)
    np.testing.assert_array_equal(np.asarray(img), want)
    rgb = T.ToPILImage()(cr.tensor(np.random.default_rng(1).random((3, 4, 5), dtype=np.float32)))
    assert rgb.mode == "RGB" and rgb.size == (5, 4)
    assert T.ToPILImage()(np.zeros((4, 5), np.float32)).mode == "F"  # ndarray: no scaling, mode by dtype


def pixel_shift(arr, dx, dy):
    """arr moved right by dx and down by dy (dx, dy >= 0), zeros coming in."""
    return np.pad(arr, ((dy, 0), (dx, 0)))[: arr.shape[0], : arr.shape[1]]


def test_affine_and_rotate_by_geometry_on_pil_and_tensor():
    """Quarter turns and integer shifts map pixel centres onto pixel centres: exact results to compare."""
    arr = digit(4)
    img, t = Image.fromarray(arr), cr.tensor(arr[None].astype(np.float32))
    cases = [
        (lambda x: F.affine(x, 90, (0, 0), 1.0, 0), np.rot90(arr, -1)),  # affine: clockwise angle
        (lambda x: F.rotate(x, 90), np.rot90(arr, 1)),  # rotate: counter-clockwise, as torchvision
        (lambda x: F.affine(x, 0, (2, 1), 1.0, 0), pixel_shift(arr, 2, 1)),
        (lambda x: F.affine(x, 180, (0, 0), 1.0, 0.0), arr[::-1, ::-1]),
    ]
    for fn, want in cases:
        np.testing.assert_array_equal(np.asarray(fn(img)), want)
        np.testing.assert_array_equal(fn(t).numpy()[0], want.astype(np.float32))
    filled = F.affine(img, 0, (3, 0), 1.0, 0, fill=7)
    assert np.all(np.asarray(filled)[:, :3] == 7)
    assert F.rotate(cr.tensor(np.ones((1, 10, 20), np.float32)), 90, expand=True).shape == (1, 20, 10)


def tv_affine(img: torch.Tensor, matrix, mode: str, fill) -> torch.Tensor:
    """torchvision's tensor affine: its affine grid, grid_sample (align_corners=False), the fill mask."""
    n, c, h, w = img.shape
    theta = torch.tensor(matrix, dtype=img.dtype).reshape(1, 2, 3)
    base = torch.empty(1, h, w, 3, dtype=theta.dtype)
    base[..., 0].copy_(torch.linspace(-w * 0.5 + 0.5, w * 0.5 - 0.5, steps=w))
    base[..., 1].copy_(torch.linspace(-h * 0.5 + 0.5, h * 0.5 - 0.5, steps=h).unsqueeze_(-1))
    base[..., 2].fill_(1)
    rescaled = theta.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h], dtype=theta.dtype)
    grid = base.view(1, h * w, 3).bmm(rescaled).view(1, h, w, 2).expand(n, h, w, 2)
    x = torch.cat((img, torch.ones((n, 1, h, w), dtype=img.dtype)), dim=1)
    out = torch.nn.functional.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=False)
    mask, out = out[:, -1:].expand_as(out[:, :-1]), out[:, :-1]
    fill_img = torch.tensor(fill, dtype=img.dtype).view(1, len(fill), 1, 1).expand_as(out)
    if mode == "nearest":
        return torch.where(mask < 0.5, fill_img, out)
    return out * mask + (1.0 - mask) * fill_img


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_tensor_affine_matches_torchvisions_grid_sample(seed, mode):
    r = np.random.default_rng(seed)
    img = r.random((2, 3, 28, 28), dtype=np.float32)
    angle, shift = r.uniform(-30, 30), [int(r.integers(-3, 4)), int(r.integers(-3, 4))]
    scale, shear = r.uniform(0.8, 1.2), [r.uniform(-10, 10), r.uniform(-5, 5)]
    fill = [0.5, 0.25, 0.0]
    got = F.affine(cr.tensor(img), angle, shift, scale, shear, interpolation=mode, fill=fill).numpy()
    matrix = G.inverse_affine_matrix([0.0, 0.0], angle, shift, scale, shear)
    want = tv_affine(torch.from_numpy(img), matrix, mode, fill).numpy()
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)
    assert not np.array_equal(got, img)


@pytest.mark.parametrize("seed", range(4))
def test_pil_and_tensor_affine_agree(seed):
    """torchvision's PIL path (Pillow's transform with the inverse matrix about (w/2, h/2)) and its
    tensor path (the grid) pick the same nearest pixels."""
    r, arr = np.random.default_rng(seed), digit(seed)
    args = (
        r.uniform(-30, 30),
        (int(r.integers(-3, 4)), int(r.integers(-3, 4))),
        r.uniform(0.8, 1.2),
        (r.uniform(-10, 10), 0.0),
    )
    pil = np.asarray(F.affine(Image.fromarray(arr), *args))
    ten = F.affine(cr.tensor(arr[None]), *args).numpy()[0]  # uint8 tensor: sampled in float, rounded back
    np.testing.assert_array_equal(pil, ten)


def test_random_affine_draws_torchvisions_ranges_and_follows_manual_seed():
    aff = T.RandomAffine(degrees=10, translate=(0.1, 0.2), scale=(0.9, 1.1), shear=5)
    cr.manual_seed(0)
    params = [aff.get_params(aff.degrees, aff.translate, aff.scale, aff.shear, [28, 28]) for _ in range(300)]
    angles, shifts, scales, shears = zip(*params)
    assert all(-10 <= a <= 10 for a in angles) and all(0.9 <= s <= 1.1 for s in scales)
    assert {dx for dx, _ in shifts} == {-3, -2, -1, 0, 1, 2, 3}  # round(U(-2.8, 2.8))
    assert set(range(-5, 6)) <= {dy for _, dy in shifts} <= set(range(-6, 7))  # round(U(-5.6, 5.6))
    assert all(-5 <= sx <= 5 and sy == 0.0 for sx, sy in shears)
    img = Image.fromarray(digit(5))
    cr.manual_seed(11)
    first = [np.asarray(aff(img)) for _ in range(3)]
    cr.manual_seed(11)
    again = [np.asarray(aff(img)) for _ in range(3)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again)) and not np.array_equal(first[0], first[1])
    t = aff(cr.tensor(np.asarray(img)[None].astype(np.float32) / 255))
    assert t.shape == (1, 28, 28)
    with pytest.raises(ValueError, match="If degrees is a single number, it must be positive"):
        T.RandomAffine(-1)
    with pytest.raises(ValueError, match="translate should be a sequence of 2 values between 0 and 1"):
        T.RandomAffine(0, translate=(1.5, 0))


def test_random_rotation_and_flips_follow_manual_seed():
    img = Image.fromarray(digit(6))
    for transform in (T.RandomRotation(30), T.RandomHorizontalFlip(), T.RandomCrop(20, padding=2)):
        cr.manual_seed(1)
        a = [np.asarray(transform(img)) for _ in range(4)]
        cr.manual_seed(1)
        b = [np.asarray(transform(img)) for _ in range(4)]
        assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert np.array_equal(np.asarray(T.RandomHorizontalFlip(p=1.0)(img)), np.asarray(img)[:, ::-1])
    assert np.array_equal(T.RandomVerticalFlip(p=1.0)(cr.tensor(digit(6)[None])).numpy()[0], digit(6)[::-1])


def test_resize_as_torch():
    arr = np.random.default_rng(0).random((1, 3, 12, 16), dtype=np.float32)
    got = T.Resize((6, 8))(cr.tensor(arr)).numpy()  # antialiased bilinear, torch's default for tensors
    want = torch.nn.functional.interpolate(torch.from_numpy(arr), size=(6, 8), mode="bilinear", antialias=True)
    np.testing.assert_allclose(got, want.numpy(), atol=1e-5)
    near = T.Resize((5, 7), interpolation=T.InterpolationMode.NEAREST)(cr.tensor(arr)).numpy()
    np.testing.assert_array_equal(near, torch.nn.functional.interpolate(torch.from_numpy(arr), size=(5, 7)).numpy())
    img = Image.fromarray(digit(1, 20, 30))
    assert T.Resize(10)(img).size == (15, 10)  # the shorter edge to 10, the aspect kept: int(10 * 30 / 20)
    assert T.Resize(10)(cr.tensor(np.zeros((2, 20, 30), np.float32))).shape == (2, 10, 15)


def test_center_crop_and_pad():
    arr = digit(2, 7, 9)
    got = T.CenterCrop((3, 4))(cr.tensor(arr[None])).numpy()[0]
    top, left = int(round((7 - 3) / 2.0)), int(round((9 - 4) / 2.0))  # torchvision's offsets
    np.testing.assert_array_equal(got, arr[top : top + 3, left : left + 4])
    np.testing.assert_array_equal(np.asarray(T.CenterCrop((3, 4))(Image.fromarray(arr))), got)
    big = T.CenterCrop(11)(cr.tensor(arr[None])).numpy()[0]
    assert big.shape == (11, 11) and big[2:9, 1:10].tolist() == arr.tolist() and big[0].sum() == 0
    t = torch.from_numpy(arr[None].astype(np.float32))
    for mode, torch_mode in (("constant", "constant"), ("edge", "replicate"), ("reflect", "reflect")):
        got = T.Pad((1, 2, 3, 1), padding_mode=mode)(cr.tensor(arr[None].astype(np.float32))).numpy()
        np.testing.assert_array_equal(got, torch.nn.functional.pad(t, (1, 3, 2, 1), mode=torch_mode).numpy())
    np.testing.assert_array_equal(np.asarray(T.Pad(2, fill=9)(Image.fromarray(arr))), np.pad(arr, 2, constant_values=9))
    with pytest.raises(ValueError, match="Padding must be an int or a 1, 2, or 4 element tuple"):
        T.Pad((1, 2, 3))
