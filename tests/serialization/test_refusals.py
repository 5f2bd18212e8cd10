"""cr.load refuses what would run code, and says clearly which file is broken and how."""

from __future__ import annotations

import dataclasses
import io
import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.devices as D
from chainrule.serialization import SerializationError, UnsafePickleError
from chainrule.serialization.writer import TorchName, TorchPickler, _Storage, _write_record


def write_archive(path, obj=None, pickled: bytes | None = None, storages: dict[str, bytes] | None = None) -> None:
    """A zip laid out as torch.save lays it out, with a given pickle (or ``obj`` pickled by
    chainrule's writer, its storages included) and storage records."""
    storages = dict(storages or {})
    if pickled is None:
        buffer = io.BytesIO()
        pickler = TorchPickler(buffer)
        pickler.dump(obj)
        pickled = buffer.getvalue()
        storages = {s.key: s.flat.tobytes() for s in pickler.storages.values()} | storages
    with zipfile.ZipFile(path, "w") as zf:
        _write_record(zf, "archive/data.pkl", pickled)
        for key, raw in storages.items():
            _write_record(zf, f"archive/data/{key}", raw)
        _write_record(zf, "archive/version", b"3\n")


class RunsCode:
    """The classic attack: unpickling calls os.system."""

    def __init__(self, marker) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_a_pickle_that_would_run_code_is_refused_before_it_runs(tmp_path):
    marker = tmp_path / "ran"
    write_archive(tmp_path / "evil.pt", pickled=pickle.dumps({"w": RunsCode(marker)}, protocol=2))
    with pytest.raises(UnsafePickleError, match=r"evil\.pt.*refusing to unpickle global (posix|os|nt)\.system"):
        cr.load(tmp_path / "evil.pt")
    assert not marker.exists()
    with pytest.raises(pickle.UnpicklingError):  # torch's own verdict on the same file
        torch.load(tmp_path / "evil.pt", weights_only=True)
    assert not marker.exists()


@pytest.mark.parametrize(
    "module, name",
    [
        ("builtins", "eval"),
        ("builtins", "getattr"),
        ("subprocess", "Popen"),
        ("torch", "load"),
        ("numpy", "load"),
        ("torch._utils", "_rebuild_qtensor"),
    ],
)
def test_globals_outside_the_tensor_vocabulary_are_refused(tmp_path, module, name):
    pickled = b"\x80\x02c" + f"{module}\n{name}\n".encode() + b"X\x01\x00\x00\x001\x85R."
    write_archive(tmp_path / "g.pt", pickled=pickled)
    with pytest.raises(UnsafePickleError, match=f"global {module}.{name}"):
        cr.load(tmp_path / "g.pt")


@dataclasses.dataclass
class Config:
    lr: float = 0.1


def test_a_checkpoint_holding_a_custom_object_is_refused(tmp_path):
    torch.save({"model": {"w": torch.ones(1)}, "config": Config()}, tmp_path / "ckpt.pt")
    with pytest.raises(UnsafePickleError, match="Config"):
        cr.load(tmp_path / "ckpt.pt", weights_only=False)  # accepted, and still restricted


def test_a_view_reaching_past_its_storage_is_an_error_not_a_read(tmp_path):
    storage = _Storage("0", np.zeros(4, np.float32), "cpu")
    rebuild = TorchName("torch._utils", "_rebuild_tensor_v2")

    class Overreach:
        def __reduce__(self):
            return rebuild, (storage, 2, (3,), (1,), False, OrderedDict())

    write_archive(tmp_path / "far.pt", obj=Overreach(), storages={"0": storage.flat.tobytes()})
    with pytest.raises(
        SerializationError,
        match=r"far\.pt: .*size \(3,\), stride \(1,\) at offset 2 reaches past "
        r"its storage of 4 elements",
    ):
        cr.load(tmp_path / "far.pt")


def test_a_short_storage_record_is_an_error(tmp_path):
    write_archive(tmp_path / "short.pt", obj={"w": np.ones(4, np.float32)}, storages={"0": b"\x00" * 8})
    with pytest.raises(SerializationError, match=r"short\.pt: storage '0' .* holds 8 bytes, too few for 4 elements"):
        cr.load(tmp_path / "short.pt")


def test_a_missing_storage_record_is_an_error(tmp_path):
    buffer = io.BytesIO()
    TorchPickler(buffer).dump(np.ones(2))
    write_archive(tmp_path / "gone.pt", pickled=buffer.getvalue())
    with pytest.raises(SerializationError, match=r"gone\.pt: storage '0' is missing"):
        cr.load(tmp_path / "gone.pt")


def test_truncated_and_corrupt_files_name_the_file(tmp_path):
    cr.save({"w": cr.ones(64)}, tmp_path / "good.pt")
    data = (tmp_path / "good.pt").read_bytes()
    (tmp_path / "truncated.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(SerializationError, match=r"truncated\.pt: not a readable PyTorch checkpoint"):
        cr.load(tmp_path / "truncated.pt")
    start = data.index(b"archive/data/0") + 200  # inside the storage's bytes: its CRC no longer matches
    flipped = data[:start] + bytes([data[start] ^ 0xFF]) + data[start + 1 :]
    (tmp_path / "flipped.pt").write_bytes(flipped)
    with pytest.raises(SerializationError, match=r"flipped\.pt: .*CRC"):
        cr.load(tmp_path / "flipped.pt")
    (tmp_path / "text.pt").write_bytes(b"hello, not a checkpoint")
    with pytest.raises(SerializationError, match=r"text\.pt"):
        cr.load(tmp_path / "text.pt")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as zf:
        zf.writestr("readme.txt", "hi")
    with pytest.raises(SerializationError, match=r"other\.zip: a zip file without <archive>/data\.pkl"):
        cr.load(tmp_path / "other.zip")


def test_the_legacy_format_is_named(tmp_path):
    torch.save({"w": torch.ones(2)}, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(SerializationError, match=r"old\.pt: the legacy format of torch < 1\.6"):
        cr.load(tmp_path / "old.pt")


class _OnGpu(TorchPickler):
    def persistent_id(self, obj):
        pid = super().persistent_id(obj)
        return None if pid is None else (*pid[:3], "cuda:0", pid[4])


def test_tensors_saved_on_a_gpu_need_map_location_without_one(tmp_path):
    buffer = io.BytesIO()
    pickler = _OnGpu(buffer)
    pickler.dump({"w": np.arange(3.0)})
    storages = {s.key: s.flat.tobytes() for s in pickler.storages.values()}
    write_archive(tmp_path / "gpu.pt", pickled=buffer.getvalue(), storages=storages)
    if D.gpu_count() == 0:
        with pytest.raises(D.DeviceError, match=r"gpu\.pt: a tensor saved on 'cuda:0' .*map_location='cpu'"):
            cr.load(tmp_path / "gpu.pt")
    else:
        assert cr.load(tmp_path / "gpu.pt")["w"].device == "cuda:0"
    for where in ("cpu", {"cuda:0": "cpu"}, lambda storage, loc: storage):
        loaded = cr.load(tmp_path / "gpu.pt", map_location=where)["w"]
        assert loaded.device == "cpu" and loaded.tolist() == [0.0, 1.0, 2.0]
