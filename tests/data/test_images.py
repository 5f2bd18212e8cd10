"""data.images: any picture of a digit -> MNIST's convention (light on black, 20 px box, centre of mass centred)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from chainrule.data.images import ImageError, load_image, preprocess_array

PAPER = (238, 232, 215)  # off-white, slightly yellow
INK = (25, 30, 120)  # dark blue pen


def stroke_mask(h: int, w: int, segments, thickness: float) -> np.ndarray:
    """bool (h, w): pixels within thickness/2 of any segment ((r0, c0), (r1, c1)), in fractions of h and w."""
    r, c = np.mgrid[0:h, 0:w].astype(np.float64)
    mask = np.zeros((h, w), bool)
    for (r0, c0), (r1, c1) in segments:
        p0, p1 = np.array([r0 * h, c0 * w]), np.array([r1 * h, c1 * w])
        d = p1 - p0
        t = np.clip(((r - p0[0]) * d[0] + (c - p0[1]) * d[1]) / (d @ d), 0, 1)
        mask |= np.hypot(r - (p0[0] + t * d[0]), c - (p0[1] + t * d[1])) <= thickness / 2
    return mask


SEVEN = [((0.15, 0.2), (0.15, 0.8)), ((0.15, 0.8), (0.85, 0.35))]  # a "7": a bar and a diagonal


def seven(h=90, w=60, thickness=7.0, paper=PAPER, ink=INK) -> np.ndarray:
    """uint8 (h, w, 3): a thick "7" in ``ink`` on ``paper``, not square, off-centre by construction."""
    img = np.empty((h, w, 3), np.uint8)
    img[...] = paper
    img[stroke_mask(h, w, SEVEN, thickness)] = ink
    return img


def ink_box(digit: np.ndarray) -> tuple[int, int]:
    rows, cols = np.flatnonzero(digit.any(axis=1)), np.flatnonzero(digit.any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def center_of_mass(digit: np.ndarray) -> tuple[float, float]:
    m = digit.sum()
    return (digit.sum(axis=1) @ np.arange(28)) / m, (digit.sum(axis=0) @ np.arange(28)) / m


def assert_mnist_like(digit: np.ndarray) -> None:
    assert digit.shape == (28, 28) and digit.dtype == np.float32
    assert digit.min() >= 0.0 and digit.max() == pytest.approx(1.0, abs=0.05)
    h, w = ink_box(digit > 0)
    assert max(h, w) <= 20 and max(h, w) >= 19
    r, c = center_of_mass(digit)
    assert abs(r - 14) <= 1 and abs(c - 14) <= 1, (r, c)


def shift_tolerant_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Mean |a - b| at the best whole-pixel shift of b by up to one pixel (centring rounds to whole pixels)."""
    return min(np.abs(a - np.roll(b, (dr, dc), axis=(0, 1))).mean() for dr in (-1, 0, 1) for dc in (-1, 0, 1))


def test_dark_on_light_colour_non_square_file(tmp_path):
    path = tmp_path / "seven.png"
    Image.fromarray(seven()).save(path)
    digit = load_image(path)
    assert_mnist_like(digit)
    h, w = ink_box(digit > 0.5)
    assert h > w  # the 90x60 digit stays taller than wide: the aspect ratio is kept
    assert digit[:10].sum() > digit[18:].sum()  # and the right way up: the bar of the 7 is on top


def test_polarity_colour_and_format_do_not_matter(tmp_path):
    base = preprocess_array(seven())
    light_on_dark = seven(paper=(10, 10, 10), ink=(250, 250, 250))
    gray = seven()[..., 0]
    np.testing.assert_allclose(preprocess_array(light_on_dark), base, atol=0.03)
    np.testing.assert_allclose(preprocess_array(gray), base, atol=0.03)
    Image.fromarray(seven()).save(tmp_path / "seven.jpg", quality=95)
    assert np.abs(load_image(tmp_path / "seven.jpg") - base).mean() < 0.02


def test_exif_orientation_is_applied(tmp_path):
    sideways = Image.fromarray(seven()).rotate(90, expand=True)  # a phone stores the picture turned ...
    exif = Image.Exif()
    exif[0x0112] = 6  # ... and says "rotate 90 degrees clockwise to show it"
    sideways.save(tmp_path / "photo.jpg", exif=exif, quality=95)
    assert np.abs(load_image(tmp_path / "photo.jpg") - preprocess_array(seven())).mean() < 0.01


def test_resolution_does_not_matter():
    small = preprocess_array(seven(90, 60, 7.0))
    large = preprocess_array(seven(360, 240, 28.0))
    assert shift_tolerant_diff(small, large) < 0.02


def test_transparent_background_reads_as_paper(tmp_path):
    rgba = np.zeros((90, 60, 4), np.uint8)  # fully transparent black sheet ...
    mask = stroke_mask(90, 60, SEVEN, 7.0)
    rgba[mask] = (*INK, 255)  # ... with an opaque dark stroke
    Image.fromarray(rgba).save(tmp_path / "seven.png")
    np.testing.assert_allclose(load_image(tmp_path / "seven.png"), preprocess_array(seven()), atol=0.03)


def test_thin_bar_keeps_its_aspect_ratio():
    img = np.zeros((100, 50), np.uint8)
    img[0:100, 20:30] = 255  # 100 tall, 10 wide
    digit = preprocess_array(img)
    h, w = ink_box(digit > 0.5)
    assert h == 20 and w == 2


@pytest.mark.parametrize("dtype, top", [(np.uint16, 65535), (np.float32, 1.0), (np.float64, 255.0), (bool, True)])
def test_dtypes(dtype, top):
    img = np.zeros((40, 40), dtype)
    img[8:30, 15:22] = top
    assert_mnist_like(preprocess_array(img))


@given(h=st.integers(8, 120), w=st.integers(8, 120), data=st.data(), dark_ink=st.booleans())
def test_any_rectangle_becomes_centred_20px_box(h, w, data, dark_ink):
    r0 = data.draw(st.integers(1, h - 3))
    c0 = data.draw(st.integers(1, w - 3))
    r1 = data.draw(st.integers(r0 + 1, h - 1))
    c1 = data.draw(st.integers(c0 + 1, w - 1))
    img = np.full((h, w), 230 if dark_ink else 20, np.uint8)
    img[r0:r1, c0:c1] = 20 if dark_ink else 230
    digit = preprocess_array(img)
    assert digit.shape == (28, 28) and digit.dtype == np.float32
    bh, bw = ink_box(digit > 0)
    assert max(bh, bw) in (19, 20) and min(bh, bw) >= 1
    r, c = center_of_mass(digit)
    assert abs(r - 14) <= 1 and abs(c - 14) <= 1


# --- bad input: one line that names the file ------------------------------------------------------------
def assert_one_line_naming(err: pytest.ExceptionInfo, name: str) -> None:
    msg = str(err.value)
    assert isinstance(err.value, ValueError)
    assert name in msg and "\n" not in msg


def test_text_file_is_not_an_image(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("this is not a picture\n")
    with pytest.raises(ImageError, match="not an image") as err:
        load_image(path)
    assert_one_line_naming(err, str(path))


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ImageError, match="no such image") as err:
        load_image(tmp_path / "nope.png")
    assert_one_line_naming(err, str(tmp_path / "nope.png"))
    with pytest.raises(ImageError, match="folder") as err:
        load_image(tmp_path)
    assert_one_line_naming(err, str(tmp_path))


def test_truncated_png(tmp_path):
    good = tmp_path / "good.png"
    Image.fromarray(seven()).save(good)
    bad = tmp_path / "cut.png"
    bad.write_bytes(good.read_bytes()[:200])
    with pytest.raises(ImageError) as err:
        load_image(bad)
    assert_one_line_naming(err, str(bad))


@pytest.mark.parametrize("fill", [0, 255, 128])
def test_blank_image(tmp_path, fill):
    path = tmp_path / "blank.png"
    Image.fromarray(np.full((30, 40), fill, np.uint8)).save(path)
    with pytest.raises(ImageError, match="blank") as err:
        load_image(path)
    assert_one_line_naming(err, str(path))


def test_fully_transparent_image_is_blank():
    with pytest.raises(ImageError, match="transparent"):
        preprocess_array(np.zeros((10, 10, 4), np.uint8), name="clear.png")


@pytest.mark.parametrize("shape", [(0, 5), (5, 0), (5, 5, 2), (5,), (2, 5, 5, 3)])
def test_bad_array_shapes(shape):
    with pytest.raises(ImageError, match="cam.png"):
        preprocess_array(np.ones(shape, np.uint8), name="cam.png")
