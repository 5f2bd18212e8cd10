"""chainrule.utils.data against torch.utils.data: same batches for the same indices, same dtypes."""

from __future__ import annotations

import collections

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import chainrule as cr
import chainrule.utils.data as D
from chainrule.random import Generator


def as_numpy(x):
    """A batch of either library as nested Python containers of NumPy arrays."""
    if isinstance(x, (cr.Tensor, torch.Tensor)):
        return x.numpy()
    if isinstance(x, dict):
        return {k: as_numpy(v) for k, v in x.items()}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x).__name__, [as_numpy(v) for v in x]
    if isinstance(x, (list, tuple)):
        return type(x).__name__, [as_numpy(v) for v in x]
    return x


def assert_same(ours, theirs):
    """Same structure, container types, values and dtypes."""
    a, b = as_numpy(ours), as_numpy(theirs)
    _assert_same(a, b)


def _assert_same(a, b):
    assert type(a) is type(b), (a, b)
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _assert_same(a[k], b[k])
    elif isinstance(a, tuple):
        assert a[0] == b[0] and len(a[1]) == len(b[1])
        for x, y in zip(a[1], b[1]):
            _assert_same(x, y)
    else:
        assert a == b


def data(n=23, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 3, 2)).astype(np.float32), rng.integers(0, 10, n)


@pytest.mark.parametrize("batch_size, drop_last", [(1, False), (4, False), (4, True), (23, False), (50, True)])
def test_tensor_dataset_batches_match_torch_for_the_same_indices(batch_size, drop_last):
    x, y = data()
    order = np.random.default_rng(1).permutation(len(x)).tolist()
    ours = D.DataLoader(
        D.TensorDataset(cr.tensor(x), cr.tensor(y)), batch_size=batch_size, sampler=order, drop_last=drop_last
    )
    theirs = tud.DataLoader(
        tud.TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size=batch_size, sampler=order, drop_last=drop_last
    )
    assert len(ours) == len(theirs)
    got, want = list(ours), list(theirs)
    assert len(got) == len(want) == len(ours)
    for a, b in zip(got, want):
        assert_same(a, b)  # a list [x, y] of float32 and int64 tensors, as torch
    assert all(isinstance(t, cr.Tensor) for batch in got for t in batch)


def test_tensor_dataset_fast_path_equals_the_per_sample_path():
    x, y = data(37)
    ds = D.TensorDataset(cr.tensor(x), cr.tensor(y), cr.tensor(y.astype(np.float64)))
    sub = D.random_split(ds, [30, 7], generator=Generator().manual_seed(3))[0]
    for dataset in (ds, sub):
        fast = D.DataLoader(dataset, batch_size=8, shuffle=True, generator=Generator().manual_seed(5))
        slow = D.DataLoader(
            dataset,
            batch_size=8,
            shuffle=True,
            generator=Generator().manual_seed(5),
            collate_fn=lambda batch: D.default_collate(batch),
        )
        pairs = list(zip(fast, slow, strict=True))
        assert len(pairs) == len(fast)
        for a, b in pairs:
            _assert_same(as_numpy(a), as_numpy(b))


def test_tensor_dataset_with_a_grad_tensor_keeps_the_graph():
    w = cr.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    (batch,) = next(iter(D.DataLoader(D.TensorDataset(w), batch_size=3)))
    batch.sum().backward()
    np.testing.assert_array_equal(np.asarray(getattr(w.grad, "_data", w.grad)), np.ones((3, 2)))


Point = collections.namedtuple("Point", "x y")

COLLATE_CASES = {
    "ints": [3, 1, 2],
    "floats": [0.5, 1.25, -2.0],
    "bools": [True, False, True],
    "numpy float32 scalars": [np.float32(1.5), np.float32(2)],
    "numpy int32 scalars": [np.int32(4), np.int32(5)],
    "numpy arrays": [np.arange(6, dtype=np.int16).reshape(2, 3), np.ones((2, 3), dtype=np.int16)],
    "strings": ["a", "bc"],
    "tuples": [(1, 0.5, "a"), (2, 1.5, "b")],
    "lists": [[1, 2.0], [3, 4.0]],
    "dicts": [{"x": np.zeros(2, np.float32), "y": 1}, {"x": np.ones(2, np.float32), "y": 2}],
    "namedtuples": [Point(1, 2.0), Point(3, 4.0)],
    "nested": [{"pair": (np.float64(1), [1, 2])}, {"pair": (np.float64(2), [3, 4])}],
}


@pytest.mark.parametrize("name", list(COLLATE_CASES))
def test_default_collate_matches_torch(name):
    batch = COLLATE_CASES[name]
    assert_same(D.default_collate(batch), tud.default_collate(batch))


def test_default_collate_stacks_tensors_and_rejects_unequal_sizes():
    xs = [np.arange(3, dtype=np.float32) + i for i in range(4)]
    assert_same(D.default_collate([cr.tensor(v) for v in xs]), tud.default_collate([torch.tensor(v) for v in xs]))
    with pytest.raises(
        RuntimeError,
        match=r"stack expects each tensor to be equal size, but got \[3\] at entry 0 "
        r"and \[4\] at entry 1",
    ):
        D.default_collate([cr.tensor(np.zeros(3)), cr.tensor(np.zeros(4))])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors"):
        D.default_collate([object(), object()])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        D.default_collate([[1, 2], [3]])


@pytest.mark.parametrize("sample", [np.arange(3), np.float32(2.5), (np.int64(1), 2), {"a": np.ones(2)}, 7, "s"])
def test_batch_size_none_converts_each_sample_as_torch(sample):
    ours = list(D.DataLoader([sample, sample], batch_size=None))
    theirs = list(tud.DataLoader([sample, sample], batch_size=None))
    assert len(ours) == len(theirs) == 2
    for a, b in zip(ours, theirs):
        assert_same(a, b)


class Squares(D.Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        return {"x": np.full(2, i, dtype=np.float32), "i": i}


class TorchSquares(tud.Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        return {"x": np.full(2, i, dtype=np.float32), "i": i}


def test_a_user_dataset_of_dicts_batches_as_torch_and_concat_and_subset_index_alike():
    for a, b in zip(D.DataLoader(Squares(), batch_size=4), tud.DataLoader(TorchSquares(), batch_size=4)):
        assert_same(a, b)
    ours, theirs = Squares() + Squares(), TorchSquares() + TorchSquares()
    assert isinstance(ours, D.ConcatDataset) and len(ours) == len(theirs) == 20
    for i in (0, 9, 10, 19, -1, -20):
        assert_same(ours[i], theirs[i])
    with pytest.raises(ValueError, match="absolute value of index"):
        ours[-21]
    sub, tsub = D.Subset(ours, [15, 2, 7]), tud.Subset(theirs, [15, 2, 7])
    assert len(sub) == 3 and all(sub[i]["i"] == tsub[i]["i"] for i in range(3))


@pytest.mark.parametrize(
    "n, lengths",
    [(10, [0.3, 0.7]), (11, [0.5, 0.5]), (7, [0.2, 0.2, 0.6]), (100, [1 / 3, 1 / 3, 1 / 3]), (9, [4, 5]), (5, [1.0])],
)
def test_random_split_lengths_match_torch_and_partition_the_dataset(n, lengths):
    ours = D.random_split(list(range(n)), lengths, generator=Generator().manual_seed(0))
    theirs = tud.random_split(list(range(n)), lengths, generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    assert all(isinstance(s, D.Subset) for s in ours)
    assert sorted(i for s in ours for i in s) == list(range(n))
    again = D.random_split(list(range(n)), lengths, generator=Generator().manual_seed(0))
    assert [list(s) for s in again] == [list(s) for s in ours]


def test_random_split_errors_as_torch():
    with pytest.raises(ValueError, match="Sum of input lengths 9 does not equal the length of the input dataset 10"):
        D.random_split(range(10), [4, 5])
    with pytest.raises(ValueError, match="not between 0 and 1"):
        D.random_split(range(10), [1.5, -0.5])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        D.random_split(range(2), [0.9, 0.1])


def test_random_split_without_generator_follows_manual_seed():
    cr.manual_seed(4)
    first = [list(s) for s in D.random_split(range(20), [0.5, 0.5])]
    cr.manual_seed(4)
    assert [list(s) for s in D.random_split(range(20), [0.5, 0.5])] == first


def epoch_orders(loader, epochs=2):
    return [np.concatenate([b[0].numpy() for b in loader]).tolist() for _ in range(epochs)]


def test_shuffle_with_a_seeded_generator_is_reproducible_and_new_each_epoch():
    ds = D.TensorDataset(cr.tensor(np.arange(50)))
    orders = epoch_orders(D.DataLoader(ds, batch_size=7, shuffle=True, generator=Generator().manual_seed(0)))
    assert orders == epoch_orders(D.DataLoader(ds, batch_size=7, shuffle=True, generator=Generator().manual_seed(0)))
    assert orders[0] != orders[1] and sorted(orders[0]) == sorted(orders[1]) == list(range(50))
    other = epoch_orders(D.DataLoader(ds, batch_size=7, shuffle=True, generator=Generator().manual_seed(1)))
    assert other[0] != orders[0]
    cr.manual_seed(3)
    unseeded = epoch_orders(D.DataLoader(ds, batch_size=7, shuffle=True))
    cr.manual_seed(3)
    assert epoch_orders(D.DataLoader(ds, batch_size=7, shuffle=True)) == unseeded
    assert epoch_orders(D.DataLoader(ds, batch_size=7), 1)[0] == list(range(50))


def test_num_workers_and_pin_memory_give_the_same_batches():
    x, y = data(30)
    ds = D.TensorDataset(cr.tensor(x), cr.tensor(y))
    base = list(D.DataLoader(ds, batch_size=8, shuffle=True, generator=Generator().manual_seed(2)))
    workers = list(
        D.DataLoader(
            ds,
            batch_size=8,
            shuffle=True,
            generator=Generator().manual_seed(2),
            num_workers=2,
            pin_memory=True,
            persistent_workers=True,
            prefetch_factor=4,
        )
    )
    for a, b in zip(base, workers, strict=True):
        _assert_same(as_numpy(a), as_numpy(b))
    assert D.get_worker_info() is None


@pytest.mark.parametrize("n, batch_size, drop_last", [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, True)])
def test_len_matches_torch(n, batch_size, drop_last):
    ours = D.DataLoader(range(n), batch_size=batch_size, drop_last=drop_last)
    theirs = tud.DataLoader(range(n), batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs) == len(list(ours))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"sampler": [0, 1], "shuffle": True}, "sampler option is mutually exclusive with shuffle"),
        ({"batch_sampler": [[0, 1]], "batch_size": 2}, "batch_sampler option is mutually exclusive"),
        ({"batch_sampler": [[0, 1]], "drop_last": True}, "batch_sampler option is mutually exclusive"),
        ({"batch_size": None, "drop_last": True}, "batch_size=None option disables auto-batching"),
        ({"num_workers": -1}, "num_workers option should be non-negative"),
        ({"prefetch_factor": 2}, "prefetch_factor option could only be specified in multiprocessing"),
    ],
)
def test_argument_errors_as_torch(kwargs, message):
    with pytest.raises(ValueError, match=message):
        D.DataLoader(range(4), **kwargs)
    with pytest.raises(ValueError, match=message):
        tud.DataLoader(range(4), **kwargs)


def test_samplers():
    assert list(D.SequentialSampler(range(4))) == [0, 1, 2, 3]
    for drop_last in (False, True):
        ours = list(D.BatchSampler(D.SequentialSampler(range(10)), 4, drop_last))
        assert ours == list(tud.BatchSampler(tud.SequentialSampler(range(10)), 4, drop_last))
        assert len(D.BatchSampler(range(10), 4, drop_last)) == len(ours)
    perm = list(D.RandomSampler(range(9), generator=Generator().manual_seed(0)))
    assert sorted(perm) == list(range(9))
    long = list(D.RandomSampler(range(4), num_samples=10, generator=Generator()))
    assert len(long) == 10 and sorted(long[:8]) == [0, 0, 1, 1, 2, 2, 3, 3]
    drawn = list(D.RandomSampler(range(3), replacement=True, num_samples=50, generator=Generator()))
    assert len(drawn) == 50 and set(drawn) <= {0, 1, 2}
    assert sorted(D.SubsetRandomSampler([5, 7, 9], generator=Generator())) == [5, 7, 9]
    weighted = list(D.WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 40, generator=Generator()))
    assert len(weighted) == 40 and set(weighted) == {1, 3}
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        D.BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        D.RandomSampler(range(3), num_samples=0)
    with pytest.raises(AssertionError, match=r"Size mismatch between tensors: first dimensions \[3, 4\]"):
        D.TensorDataset(cr.zeros(3), cr.zeros(4))


class Stream(D.IterableDataset):
    def __iter__(self):
        return iter(range(7))


def test_iterable_dataset_batches_the_stream():
    assert [b.numpy().tolist() for b in D.DataLoader(Stream(), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.numpy().tolist() for b in D.DataLoader(Stream(), batch_size=3, drop_last=True)] == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        D.DataLoader(Stream(), shuffle=True)


def test_reachable_as_torch_utils_data():
    import chainrule as torch_like

    assert torch_like.utils.data.DataLoader is D.DataLoader and torch_like.Generator is Generator
