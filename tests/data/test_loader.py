"""DataLoader, random_split and train_val_split: batch shapes, seeded determinism, exact resume."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
from chainrule.data import DataLoader, random_split, train_val_split


def _data(n=23):
    images = np.arange(n * 4, dtype=np.uint8).reshape(n, 2, 2)
    return images, np.arange(n, dtype=np.int64)


def _epoch(loader):
    return [(x.copy(), y.copy()) for x, y in loader]


@given(n=st.integers(0, 40), batch=st.integers(1, 12), drop_last=st.booleans(), shuffle=st.booleans())
def test_batches_cover_the_data(n, batch, drop_last, shuffle):
    images, labels = _data(n)
    loader = DataLoader(images, labels, batch, shuffle=shuffle, seed=1, drop_last=drop_last)
    batches = _epoch(loader)
    assert len(batches) == len(loader) == (n // batch if drop_last else -(-n // batch))
    assert all(len(y) == batch for _, y in batches[:-1] if batches)
    seen = np.concatenate([y for _, y in batches]) if batches else np.zeros(0, np.int64)
    if drop_last:
        assert len(seen) == n - n % batch and all(len(y) == batch for _, y in batches)
    else:
        assert sorted(seen.tolist()) == list(range(n))  # every sample exactly once
    assert len(set(seen.tolist())) == len(seen)
    for x, y in batches:  # images travel with their labels
        np.testing.assert_array_equal(x, images[y])
    if not shuffle:
        assert seen.tolist() == list(range(len(seen)))


def test_same_seed_same_batches_new_order_each_epoch():
    images, labels = _data(50)
    a = DataLoader(images, labels, 8, shuffle=True, seed=7)
    b = DataLoader(images, labels, 8, shuffle=True, seed=7)
    a1, a2 = _epoch(a), _epoch(a)
    b1, b2 = _epoch(b), _epoch(b)
    for p, q in zip(a1 + a2, b1 + b2):
        np.testing.assert_array_equal(p[1], q[1])
    order = [np.concatenate([y for _, y in e]) for e in (a1, a2)]
    assert not np.array_equal(order[0], order[1])  # a fresh permutation per epoch
    c = DataLoader(images, labels, 8, shuffle=True, seed=8)
    assert not np.array_equal(np.concatenate([y for _, y in _epoch(c)]), order[0])


def test_resume_sees_the_batches_of_an_uninterrupted_run():
    images, labels = _data(30)
    full = DataLoader(images, labels, 4, shuffle=True, seed=3)
    uninterrupted = [_epoch(full) for _ in range(4)]
    resumed = DataLoader(images, labels, 4, shuffle=True, seed=3)
    resumed.set_epoch(2)
    for expected in uninterrupted[2:]:
        got = _epoch(resumed)
        assert len(got) == len(expected) == 8
        for (x, y), (x2, y2) in zip(expected, got):
            np.testing.assert_array_equal(y, y2)
            np.testing.assert_array_equal(x, x2)
    state = full.state_dict()
    assert state == {"seed": 3, "epoch": 4}
    other = DataLoader(images, labels, 4, shuffle=True, seed=99)
    other.load_state_dict(state)
    np.testing.assert_array_equal(other.order(other.epoch), full.order(4))
    with pytest.raises(ValueError, match="epoch must be >= 0"):
        full.set_epoch(-1)


def test_seed_none_follows_manual_seed():
    images, labels = _data(20)
    cr.manual_seed(5)
    a = DataLoader(images, labels, 5, shuffle=True)
    cr.manual_seed(5)
    b = DataLoader(images, labels, 5, shuffle=True)
    assert a.seed == b.seed
    np.testing.assert_array_equal(a.order(0), b.order(0))


def test_transform_with_and_without_rng():
    images, labels = _data(12)
    plain = DataLoader(images, labels, 5, transform=lambda x: x.astype(np.float32) * 2)
    x, _ = next(iter(plain))
    assert x.dtype == np.float32 and np.array_equal(x, images[:5] * 2.0)

    def noisy(x, rng):
        return x + rng.integers(0, 100, size=len(x))[:, None, None]

    runs = []
    for _ in range(2):
        loader = DataLoader(images, labels, 5, shuffle=True, seed=4, transform=noisy)
        runs.append([_epoch(loader) for _ in range(2)])
    for e in range(2):
        for (x1, _), (x2, _) in zip(runs[0][e], runs[1][e]):
            np.testing.assert_array_equal(x1, x2)  # augmentation reproducible from the seed too
    untransformed = _epoch(DataLoader(images, labels, 5, shuffle=True, seed=4))
    for (_, y1), (_, y2) in zip(runs[0][0], untransformed):
        np.testing.assert_array_equal(y1, y2)  # adding a transform does not change the order


def test_loader_argument_errors():
    images, labels = _data(5)
    with pytest.raises(ValueError, match="5 images but 4 labels"):
        DataLoader(images, labels[:4], 2)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="batch_size must be a positive integer"):
            DataLoader(images, labels, bad)


def test_train_val_split_indices_and_arrays():
    train, val = train_val_split(1000, val_fraction=0.1, seed=0)
    assert len(val) == 100 and len(train) == 900
    assert np.array_equal(np.sort(np.concatenate([train, val])), np.arange(1000))
    assert np.all(np.diff(train) > 0) and np.all(np.diff(val) > 0)
    again = train_val_split(1000, val_fraction=0.1, seed=0)
    assert np.array_equal(again[1], val)
    assert not np.array_equal(train_val_split(1000, val_fraction=0.1, seed=1)[1], val)
    images, labels = _data(40)
    (xt, yt), (xv, yv) = train_val_split(images, labels, val_fraction=0.25, seed=2)
    assert len(yv) == 10 and len(yt) == 30
    np.testing.assert_array_equal(xt, images[yt])
    np.testing.assert_array_equal(yv, train_val_split(40, val_fraction=0.25, seed=2)[1])
    with pytest.raises(ValueError, match="val_fraction must be in"):
        train_val_split(10, val_fraction=1.0)
    with pytest.raises(ValueError, match="different lengths"):
        train_val_split(images, labels[:3])


def test_random_split_counts_and_fractions():
    parts = random_split(10, [3, 3, 4], seed=0)
    assert [len(p) for p in parts] == [3, 3, 4]
    assert sorted(np.concatenate(parts).tolist()) == list(range(10))
    assert [len(p) for p in random_split(10, [0.5, 0.3, 0.2])] == [5, 3, 2]
    assert [len(p) for p in random_split(11, [0.5, 0.5])] == [6, 5]  # remainder to the first part
    with pytest.raises(ValueError, match="summing to 10"):
        random_split(10, [3, 3])
