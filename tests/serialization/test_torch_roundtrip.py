"""cr.save -> torch.load(weights_only=True) and torch.save -> cr.load, with real PyTorch on both ends."""

from __future__ import annotations

import io
import struct
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn as nn

DTYPES = [np.float32, np.float64, np.int64, np.int32, np.uint8, np.bool_, np.float16]


def _values(rng, dtype, shape):
    return (rng.standard_normal(shape) * 10).astype(dtype)


def assert_same(ours, theirs):
    """A chainrule object equals the torch object it was saved as (or loaded from), recursively."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, (cr.Tensor, np.ndarray)), type(ours)
        array = ours.detach().numpy() if isinstance(ours, cr.Tensor) else ours
        expected = theirs.detach().numpy()
        assert array.dtype == expected.dtype and array.shape == expected.shape
        np.testing.assert_array_equal(array, expected)
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and list(ours) == list(theirs)
        for key in theirs:
            assert_same(ours[key], theirs[key])
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same(a, b)
    else:
        assert type(ours) is type(theirs) and ours == theirs


# --- chainrule writes, torch reads -----------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_reads_every_dtype_and_shape(tmp_path, dtype):
    rng = np.random.default_rng(0)
    obj = {
        "matrix": cr.tensor(_values(rng, dtype, (3, 4))),
        "scalar": cr.tensor(_values(rng, dtype, ())),
        "empty": cr.tensor(_values(rng, dtype, (0, 2))),
        "array": _values(rng, dtype, (2, 2, 2)),
    }
    cr.save(obj, tmp_path / "x.pt")
    back = torch.load(tmp_path / "x.pt", weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in back.values())
    assert back["scalar"].dim() == 0
    assert_same(obj, back)


def test_views_keep_their_storage_offset_and_strides(tmp_path):
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    obj = {"rows": cr.tensor(base)[1:3], "cols": base[1:3, ::2], "t": base.T, "column": base[:, 4], "base": base}
    cr.save(obj, tmp_path / "v.pt")
    back = torch.load(tmp_path / "v.pt", weights_only=True)
    assert_same(
        {k: v if isinstance(v, np.ndarray) else v.numpy() for k, v in obj.items()}, {k: v for k, v in back.items()}
    )
    # as torch.save would have written them: one storage, the views at their offsets and strides
    assert (back["cols"].storage_offset(), back["cols"].stride()) == (6, (6, 2))
    assert back["t"].stride() == (1, 6) and back["column"].stride() == (6,)
    pointers = {v.untyped_storage().data_ptr() for k, v in back.items() if k != "rows"}
    assert len(pointers) == 1
    back["base"][0, 0] = -1.0  # they share it in torch too
    assert back["t"][0, 0] == -1.0


def test_nested_containers_and_plain_values(tmp_path):
    obj = OrderedDict(
        weights=[cr.ones(2), (cr.zeros(1, dtype=cr.float64), {"deep": np.arange(3)})],
        meta={"name": "net", "epoch": 3, "lr": 0.25, "done": False, "none": None, "big": 2**70},
        pair=(1, "a"),
        numpy_scalar=np.float64(1.5),
    )
    buffer = io.BytesIO()
    cr.save(obj, buffer)
    buffer.seek(0)
    back = torch.load(buffer, weights_only=True)
    assert type(back) is OrderedDict and back["numpy_scalar"] == 1.5 and type(back["numpy_scalar"]) is float
    obj["numpy_scalar"] = 1.5
    assert_same(obj, back)


def test_a_parameter_loads_as_a_torch_parameter(tmp_path):
    layer = nn.Linear(3, 2)
    cr.save({"w": layer.weight, "frozen": nn.Parameter(cr.ones(2), requires_grad=False)}, tmp_path / "p.pt")
    back = torch.load(tmp_path / "p.pt", weights_only=True)
    assert isinstance(back["w"], torch.nn.Parameter) and back["w"].requires_grad
    assert isinstance(back["frozen"], torch.nn.Parameter) and not back["frozen"].requires_grad
    np.testing.assert_array_equal(back["w"].detach().numpy(), layer.weight.detach().numpy())


def test_a_chainrule_state_dict_loads_into_the_torch_model(tmp_path):
    cr.manual_seed(0)
    ours = net(nn)
    cr.save(ours.state_dict(), tmp_path / "model.pt")
    theirs = net(torch.nn)
    theirs.load_state_dict(torch.load(tmp_path / "model.pt", weights_only=True))
    x = np.random.default_rng(1).standard_normal((2, 1, 6, 6)).astype(np.float32)
    theirs.eval(), ours.eval()
    np.testing.assert_allclose(theirs(torch.tensor(x)).detach().numpy(), ours(cr.tensor(x)).detach().numpy(), atol=1e-5)


def test_an_optimizer_state_dict_is_readable_by_torch(tmp_path):
    model = net(nn)
    opt = cr.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(2):
        opt.zero_grad()
        model(cr.randn(2, 1, 6, 6)).sum().backward()
        opt.step()
    state = opt.state_dict()
    cr.save(state, tmp_path / "opt.pt")
    back = torch.load(tmp_path / "opt.pt", weights_only=True)
    assert back["param_groups"][0]["lr"] == 0.01 and back["param_groups"][0]["params"] == list(range(6))
    exp_avg = back["state"][0]["exp_avg"]
    np.testing.assert_array_equal(exp_avg.numpy(), np.asarray(_array(state["state"][0]["exp_avg"])))


def _array(value):
    return value.detach().numpy() if isinstance(value, cr.Tensor) else value


def net(lib):
    """The same small network in both libraries, with buffers (BatchNorm's running stats, an int64
    0-d counter) beside the parameters."""
    return lib.Sequential(lib.Conv2d(1, 3, 3), lib.BatchNorm2d(3), lib.ReLU(), lib.Flatten(), lib.Linear(48, 4))


# --- torch writes, chainrule reads -----------------------------------------------------------------
def test_a_torch_state_dict_loads_into_the_chainrule_model(tmp_path):
    torch.manual_seed(0)
    theirs = net(torch.nn)
    theirs.train()
    theirs(torch.randn(4, 1, 6, 6))  # running statistics and the counter move away from their defaults
    torch.save(theirs.state_dict(), tmp_path / "model.pt")
    loaded = cr.load(tmp_path / "model.pt")
    assert isinstance(loaded, OrderedDict) and all(isinstance(v, cr.Tensor) for v in loaded.values())
    assert loaded["1.num_batches_tracked"].shape == () and loaded["1.num_batches_tracked"].item() == 1
    assert_same(loaded, theirs.state_dict())
    ours = net(nn)
    ours.load_state_dict(cr.load(tmp_path / "model.pt"))
    theirs.eval(), ours.eval()
    x = np.random.default_rng(2).standard_normal((2, 1, 6, 6)).astype(np.float32)
    np.testing.assert_allclose(ours(cr.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(), atol=1e-5)


def test_a_torch_optimizer_state_dict_loads(tmp_path):
    torch.manual_seed(0)
    model = net(torch.nn)
    opt = torch.optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.9))
    for _ in range(2):
        opt.zero_grad()
        model(torch.randn(2, 1, 6, 6)).sum().backward()
        opt.step()
    torch.save(opt.state_dict(), tmp_path / "opt.pt")
    loaded = cr.load(tmp_path / "opt.pt")
    assert loaded["param_groups"][0]["betas"] == (0.8, 0.9)
    assert loaded["state"][0]["step"].shape == () and loaded["state"][0]["step"].item() == 2.0
    assert_same(loaded, opt.state_dict())


def test_torch_views_into_one_storage_load_with_their_offsets(tmp_path):
    base = torch.arange(30, dtype=torch.float64).reshape(5, 6)
    obj = {
        "slice": base[1:4, 2:],
        "t": base.t(),
        "strided": base[::2, ::3],
        "column": base[:, 5],
        "base": base,
        "expanded": torch.arange(3.0).expand(4, 3),
    }
    torch.save(obj, tmp_path / "views.pt")
    loaded = cr.load(tmp_path / "views.pt")
    assert_same(loaded, obj)


@pytest.mark.parametrize(
    "dtype",
    [
        torch.float32,
        torch.float64,
        torch.float16,
        torch.int64,
        torch.int32,
        torch.int16,
        torch.int8,
        torch.uint8,
        torch.bool,
    ],
)
def test_torch_tensors_of_every_dtype_load(tmp_path, dtype):
    values = (torch.randn(3, 2) * 10).to(dtype)
    torch.save({"x": values, "scalar": values[0, 0].clone()}, tmp_path / "d.pt")
    assert_same(cr.load(tmp_path / "d.pt"), {"x": values, "scalar": values[0, 0]})


def test_bfloat16_loads_as_float32_exactly(tmp_path):
    values = torch.randn(4).to(torch.bfloat16)
    torch.save(values, tmp_path / "bf.pt")
    loaded = cr.load(tmp_path / "bf.pt")
    assert loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded.numpy(), values.float().numpy())


def test_torch_parameters_load_as_parameters(tmp_path):
    torch.save({"p": torch.nn.Parameter(torch.ones(2)), "t": torch.ones(2, requires_grad=True)}, tmp_path / "p.pt")
    loaded = cr.load(tmp_path / "p.pt")
    assert isinstance(loaded["p"], nn.Parameter) and loaded["p"].requires_grad
    assert not isinstance(loaded["t"], nn.Parameter) and loaded["t"].requires_grad


def test_both_directions_round_trip_through_chainrule(tmp_path):
    obj = {"a": cr.tensor([[1.0, 2.0]]), "b": [np.arange(4, dtype=np.uint16)], "c": ("x", 3)}
    cr.save(obj, tmp_path / "r.pt")
    back = cr.load(tmp_path / "r.pt")
    np.testing.assert_array_equal(back["a"].numpy(), [[1.0, 2.0]])
    assert back["b"][0].dtype == np.uint16 and back["b"][0].tolist() == [0, 1, 2, 3] and back["c"] == ("x", 3)
    assert torch.load(tmp_path / "r.pt", weights_only=True)["b"][0].dtype == torch.uint16


def test_map_location_forms(tmp_path):
    torch.save({"w": torch.ones(2)}, tmp_path / "m.pt")
    seen = []

    def keep_on_cpu(storage, location):
        seen.append(location)
        return storage

    for where in ("cpu", cr.device("cpu"), {"cpu": "cpu"}, keep_on_cpu, lambda storage, loc: None):
        loaded = cr.load(tmp_path / "m.pt", map_location=where)
        assert loaded["w"].device == "cpu" and loaded["w"].tolist() == [1.0, 1.0]
    assert seen == ["cpu"]
    with pytest.raises(TypeError, match="map_location"):
        cr.load(tmp_path / "m.pt", map_location=3)


def test_the_file_is_aligned_for_torchs_mmap_and_shared_tensors_stay_shared(tmp_path):
    tied = cr.ones(3)
    cr.save({"a": tied, "b": tied, "c": np.arange(5)}, tmp_path / "a.pt")
    with zipfile.ZipFile(tmp_path / "a.pt") as zf, open(tmp_path / "a.pt", "rb") as f:
        for info in zf.infolist():
            f.seek(info.header_offset)
            name_len, extra_len = struct.unpack("<HH", f.read(30)[26:30])
            assert (info.header_offset + 30 + name_len + extra_len) % 64 == 0, info.filename
    mapped = torch.load(tmp_path / "a.pt", weights_only=True, mmap=True)
    assert mapped["a"] is mapped["b"] and mapped["c"].tolist() == [0, 1, 2, 3, 4]
    ours = cr.load(tmp_path / "a.pt")
    assert ours["a"] is ours["b"]


def test_a_torch_checkpoint_resumes_training_in_chainrule(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    x = torch.randn(4, 3)
    for _ in range(2):
        opt.zero_grad()
        model(x).pow(2).sum().backward()
        opt.step()
    torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 2}, tmp_path / "ckpt.pt")
    checkpoint = cr.load(tmp_path / "ckpt.pt")
    ours = nn.Linear(3, 2)
    ours.load_state_dict(checkpoint["model"])
    ours_opt = cr.optim.Adam(ours.parameters(), lr=0.1)
    ours_opt.load_state_dict(checkpoint["optimizer"])
    assert checkpoint["epoch"] == 2
    opt.zero_grad()
    model(x).pow(2).sum().backward()
    opt.step()
    ours_opt.zero_grad()
    (ours(cr.tensor(x.numpy())) ** 2).sum().backward()
    ours_opt.step()
    np.testing.assert_allclose(ours.weight.detach().numpy(), model.weight.detach().numpy(), atol=1e-6)
