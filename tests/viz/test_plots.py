"""viz.plots: each plot writes a PNG atomically; confusion_matrix counts; feature_maps hooks every conv."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

import chainrule as cr
import chainrule.nn as nn
from chainrule.viz import figure as F
from chainrule.viz import plots as P


def small_cnn() -> nn.Sequential:
    cr.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(4, 6, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(6 * 14 * 14, 10),
    )


def digit() -> np.ndarray:
    img = np.zeros((1, 1, 28, 28), np.float32)
    img[0, 0, 6:22, 12:16] = 1.0  # a "1"
    return img


def assert_png(path, width: int | None = None, height: int | None = None) -> tuple[int, int]:
    """A non-empty PNG Pillow reads, RGBA as matplotlib writes it, about width x height pixels."""
    assert path.stat().st_size > 1000
    with Image.open(path) as img:
        assert img.format == "PNG" and img.mode == "RGBA"
        img.load()
        size = img.size
    if width is not None:
        assert abs(size[0] - width) <= 2, size
    if height is not None:
        assert abs(size[1] - height) <= 2, size
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")], "a temporary file was left behind"
    return size


@pytest.fixture
def figures(monkeypatch):
    """The figures the plots save (still written to disk), to read their titles and labels back."""
    saved, real_save = [], F.save_figure

    def spy(fig, path):
        saved.append(fig)
        return real_save(fig, path)

    monkeypatch.setattr(F, "save_figure", spy)
    return saved


def history(n=8, val=True, lr=True):
    rows = []
    for i in range(n):
        row = {"epoch": i + 1, "train_loss": 1 / (i + 1), "train_acc": 0.8 + 0.02 * i}
        if val:  # validation loss bottoms out at epoch 5, then overfits
            row |= {"val_loss": 0.2 + 0.05 * abs(i - 4), "val_acc": 0.9 - 0.01 * abs(i - 4)}
        if lr:
            row["lr"] = 1e-3 * 0.5**i
        rows.append(row)
    return rows


# --- curves -------------------------------------------------------------------------------------------
def test_curves_three_panels_best_epoch_marked(tmp_path, figures):
    out = P.plot_curves(history(), tmp_path / "run" / "plots" / "curves.png")
    assert out == tmp_path / "run" / "plots" / "curves.png"  # parents created
    assert_png(out, 1300, 420)
    fig = figures[-1]
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy", "learning rate"]
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert labels[:2] == ["train", "validation"]
    assert labels[2] == "best val: epoch 5, loss 0.2000, acc 90.00%"
    assert fig.axes[2].get_yscale() == "log"  # lr spans two decades


def test_curves_without_validation_or_lr(tmp_path, figures):
    rows = history(3, val=False, lr=False)
    rows[1]["val_loss"] = None  # present but None: not drawn
    assert_png(P.plot_curves(rows, tmp_path / "c.png"), 1050, 420)
    assert len(figures[-1].axes) == 2
    assert figures[-1].axes[0].get_legend_handles_labels()[1] == ["train"]


def test_curves_best_from_accuracy_when_no_val_loss(tmp_path, figures):
    rows = [{"epoch": e, "train_loss": 1.0, "train_acc": 0.5, "val_acc": a} for e, a in [(1, 0.7), (2, 0.9), (3, 0.8)]]
    P.plot_curves(rows, tmp_path / "c.png")
    assert "best val: epoch 2, acc 90.00%" in figures[-1].axes[1].get_legend_handles_labels()[1]


def test_curves_bad_history(tmp_path):
    with pytest.raises(ValueError, match="empty"):
        P.plot_curves([], tmp_path / "c.png")
    with pytest.raises(TypeError, match=r"history\[1\]"):
        P.plot_curves([{"train_loss": 1.0}, 3.0], tmp_path / "c.png")
    assert not (tmp_path / "c.png").exists()


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    path = P.plot_curves(history(2), tmp_path / "c.png")
    before = path.read_bytes()

    def broken_savefig(self, f, **kw):
        f.write(b"half a png")
        raise RuntimeError("disk full")

    monkeypatch.setattr(Figure, "savefig", broken_savefig)
    with pytest.raises(RuntimeError, match="disk full"):
        P.plot_curves(history(4), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.png"]


def test_no_pyplot_no_global_state(tmp_path):
    code = (
        "import sys; from chainrule.viz import plots as P; "
        f"P.plot_curves([{{'epoch': 1, 'train_loss': 1.0, 'train_acc': 0.5}}], {str(tmp_path / 'c.png')!r}); "
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    assert_png(tmp_path / "c.png")


# --- confusion matrix -----------------------------------------------------------------------------------
def test_confusion_matrix_hand_count():
    y_true = [0, 0, 1, 1, 1, 2, 2, 2, 2]
    y_pred = [0, 1, 1, 1, 0, 2, 2, 1, 2]
    expected = np.array(
        [
            [1, 1, 0],  # class 0: once right, once called 1
            [1, 2, 0],  # class 1: twice right, once called 0
            [0, 1, 3],
        ]
    )  # class 2: three right, once called 1
    cm = P.confusion_matrix(y_true, y_pred, 3)
    assert cm.dtype == np.int64
    np.testing.assert_array_equal(cm, expected)
    np.testing.assert_array_equal(P.confusion_matrix(cr.tensor(y_true), np.array(y_pred), 4)[:3, :3], expected)


@given(st.integers(1, 12), st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=60))
def test_confusion_matrix_matches_a_loop(k, pairs):
    pairs = [(t % k, p % k) for t, p in pairs]
    expected = np.zeros((k, k), np.int64)
    for t, p in pairs:
        expected[t, p] += 1
    t = np.array([t for t, _ in pairs], np.int64)
    p = np.array([p for _, p in pairs], np.int64)
    np.testing.assert_array_equal(P.confusion_matrix(t, p, k), expected)


def test_confusion_matrix_errors():
    with pytest.raises(ValueError, match="y_pred has label 3 outside 0..2"):
        P.confusion_matrix([0, 1], [0, 3], 3)
    with pytest.raises(ValueError, match="y_true has label -1"):
        P.confusion_matrix([-1, 1], [0, 1], 3)
    with pytest.raises(ValueError, match="3 labels but y_pred has 2"):
        P.confusion_matrix([0, 1, 2], [0, 1], 3)
    with pytest.raises(TypeError, match="integer class labels"):
        P.confusion_matrix([0.0, 1.0], [0, 1], 3)
    with pytest.raises(ValueError, match="num_classes"):
        P.confusion_matrix([0], [0], 0)


@pytest.mark.parametrize("normalize", [False, True])
def test_plot_confusion(tmp_path, figures, normalize):
    rng = np.random.default_rng(0)
    t = rng.integers(0, 10, 500)
    p = np.where(rng.random(500) < 0.8, t, rng.integers(0, 10, 500))
    cm = P.confusion_matrix(t, p, 10)
    assert_png(P.plot_confusion(cm, tmp_path / "cm.png", normalize=normalize), 900, 800)
    ax = figures[-1].axes[0]
    correct = int((t == p).sum())
    assert f"accuracy {correct / 500:.2%} ({correct}/500)" in ax.get_title()
    texts = [x.get_text() for x in ax.texts]
    assert len(texts) == 100
    assert texts[0] == (f"{cm[0, 0] / cm[0].sum():.2f}" if normalize else str(cm[0, 0]))


def test_plot_confusion_names_and_errors(tmp_path, figures):
    names = ["T-shirt", "Trouser", "Pullover"]
    P.plot_confusion(np.eye(3, dtype=np.int64) * 5, tmp_path / "cm.png", class_names=names)
    assert [t.get_text() for t in figures[-1].axes[0].get_xticklabels()] == names
    big = P.plot_confusion(np.ones((40, 40), np.int64), tmp_path / "big.png")  # too many cells to annotate
    assert_png(big)
    assert len(figures[-1].axes[0].texts) == 0
    with pytest.raises(ValueError, match="2 class names for a 3x3"):
        P.plot_confusion(np.eye(3), tmp_path / "x.png", class_names=["a", "b"])
    with pytest.raises(ValueError, match=r"square \(K, K\)"):
        P.plot_confusion(np.ones((2, 3)), tmp_path / "x.png")


# --- filters -------------------------------------------------------------------------------------------
def test_plot_filters(tmp_path, figures):
    model = small_cnn()
    assert_png(P.plot_filters(model[0].weight, tmp_path / "f1.png"), 340, 300)
    image = figures[-1].axes[0].images[0]
    lo, hi = image.get_clim()
    assert lo == -hi and hi == pytest.approx(float(model[0].weight.data.abs().max()))
    assert_png(P.plot_filters(model[2].weight.data, tmp_path / "f2.png"))
    assert "mean over 4 input channels" in figures[-1].get_suptitle()
    assert_png(P.plot_filters(np.zeros((3, 5, 5)), tmp_path / "zeros.png"))
    with pytest.raises(ValueError, match=r"\(F, C, kh, kw\)"):
        P.plot_filters(np.zeros((3, 3)), tmp_path / "x.png")


# --- feature maps -----------------------------------------------------------------------------------------
def test_feature_maps_names_shapes_values():
    model = small_cnn()
    x = digit()
    maps = P.feature_maps(model, x)
    assert [(n, a.shape) for n, a in maps] == [("0", (4, 28, 28)), ("2", (6, 14, 14))]
    conv0 = model[0](cr.tensor(x)).detach().numpy()[0]
    np.testing.assert_allclose(maps[0][1], conv0, rtol=1e-6)
    np.testing.assert_allclose(maps[1][1], model[2](model[1](model[0](cr.tensor(x)))).detach().numpy()[0], rtol=1e-5)
    with_relu = P.feature_maps(model, x[0, 0], include_relu=True)  # (H, W) input accepted
    assert [n for n, _ in with_relu] == ["0", "1", "2", "3"]
    np.testing.assert_allclose(with_relu[1][1], np.maximum(conv0, 0), rtol=1e-6)


def test_feature_maps_cleans_up():
    model = small_cnn().train()
    P.feature_maps(model, digit())
    assert all(not m._forward_hooks for m in model.modules())
    assert all(m.training for m in model.modules())
    assert all(p.grad is None for p in model.parameters())


def test_feature_maps_nested_names_and_errors():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Dropout(0.5), nn.ReLU())
            self.head = nn.Linear(2 * 26 * 26, 10)

        def forward(self, x):
            return self.head(self.features(x).flatten(1))

    net = Net()
    # Dropout between conv and ReLU: that ReLU does not directly follow a conv; eval mode: dropout is off
    maps = P.feature_maps(net, digit(), include_relu=True)
    assert [(n, a.shape) for n, a in maps] == [("features.0", (2, 26, 26))]
    with pytest.raises(ValueError, match="no Conv2d"):
        P.feature_maps(nn.Sequential(nn.Flatten(), nn.Linear(784, 10)), digit())
    with pytest.raises(ValueError, match=r"one image.*\(2, 1, 28, 28\)"):
        P.feature_maps(small_cnn(), np.zeros((2, 1, 28, 28), np.float32))


def test_plot_feature_maps(tmp_path, figures):
    model = small_cnn()
    assert_png(P.plot_feature_maps(model, digit(), tmp_path / "fm.png"))
    out = P.plot_feature_maps(model, digit(), tmp_path / "fm5.png", max_channels=5)
    assert_png(out, 525, 435)
    titles = [s.get_suptitle() for s in figures[-1].subfigs]
    assert titles[0] == "feature maps: input 28x28"
    assert titles[1] == "layer 0 (Conv2d): 4 channels, 28x28"
    assert titles[2] == "layer 2 (Conv2d): 6 channels, 14x14, first 5 of 6 shown"


# --- misclassified --------------------------------------------------------------------------------------
def test_plot_misclassified(tmp_path, figures):
    rng = np.random.default_rng(1)
    images = rng.random((40, 1, 28, 28)).astype(np.float32)
    y_true = np.arange(40) % 10
    y_pred = y_true.copy()
    y_pred[[3, 7, 20]] = [2, 1, 9]
    probs = np.full((40, 10), 0.01)
    probs[np.arange(40), y_pred] = 0.91
    probs[3, 2] = 0.81
    assert_png(P.plot_misclassified(images, y_true, y_pred, tmp_path / "mis.png", probs=probs))
    titles = [ax.get_title() for ax in figures[-1].axes if ax.get_title()]
    assert titles == ["true 3 / pred 2 (0.81)", "true 7 / pred 1 (0.91)", "true 0 / pred 9 (0.91)"]
    assert "3 of 40 (7.50%), first 3 shown" in figures[-1].get_suptitle()

    P.plot_misclassified(
        images[:, 0],
        y_true,
        y_pred,
        tmp_path / "mis2.png",
        probs=probs.max(axis=1),
        n=2,
        class_names=[f"c{i}" for i in range(10)],
    )
    titles = [ax.get_title() for ax in figures[-1].axes if ax.get_title()]
    assert titles == ["true c3 / pred c2 (0.81)", "true c7 / pred c1 (0.91)"]


def test_plot_misclassified_none_wrong_and_errors(tmp_path, figures):
    images = np.zeros((5, 28, 28), np.float32)
    labels = np.arange(5)
    assert_png(P.plot_misclassified(images, labels, labels, tmp_path / "none.png"))
    assert "no misclassified images" in figures[-1].axes[0].texts[0].get_text()
    with pytest.raises(ValueError, match="5 images, 4 true labels"):
        P.plot_misclassified(images, labels[:4], labels, tmp_path / "x.png")
    with pytest.raises(ValueError, match="probs must be"):
        P.plot_misclassified(images, labels, labels, tmp_path / "x.png", probs=np.ones((3, 10)))
