"""Devices as scripts probe them: cr.cuda, cr.accelerator, cr.backends and cr.device against torch's answers.

torch here is the CPU build, so its answers are the answers of a machine without a GPU. Each test
that needs "no GPU" makes it so for chainrule too (CuPy made unimportable), whatever this machine
or an earlier test (the CuPy stand-in of tests/device) left behind.
"""

from __future__ import annotations

import pickle
import sys
import types

import pytest
import torch

import chainrule as cr
import chainrule.backend as B
import chainrule.devices as D


@pytest.fixture
def no_gpu(monkeypatch):
    """chainrule as on a machine without CuPy: nothing loaded, nothing to import."""
    monkeypatch.setattr(B, "_cupy", None)
    monkeypatch.setattr(D, "_probed", None)
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy -> ImportError


def fake_cupy(count=None, error=None):
    """A module shaped like CuPy as far as the probe looks: cuda.runtime.getDeviceCount()."""

    def get_device_count():
        if error is not None:
            raise error
        return count

    runtime = types.SimpleNamespace(getDeviceCount=get_device_count)
    return types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=runtime))


def test_the_probes_give_torch_answers_without_a_gpu(no_gpu):
    assert torch.cuda.is_available() is False  # the oracle is the CPU build
    assert cr.cuda.is_available() is torch.cuda.is_available()
    assert cr.cuda.device_count() == torch.cuda.device_count() == 0
    assert cr.cuda.is_initialized() is torch.cuda.is_initialized() is False
    assert cr.accelerator.is_available() is torch.accelerator.is_available() is False
    assert cr.accelerator.current_accelerator() is torch.accelerator.current_accelerator() is None
    assert cr.accelerator.device_count() == torch.accelerator.device_count() == 0
    assert cr.backends.mps.is_available() is torch.backends.mps.is_available() is False
    assert cr.backends.mps.is_built() is False
    assert cr.backends.cudnn.is_available() is torch.backends.cudnn.is_available() is False
    with pytest.raises(RuntimeError, match="none is available"):
        cr.accelerator.current_device_index()
    with pytest.raises(RuntimeError):
        torch.accelerator.current_device_index()
    cr.cuda.empty_cache()  # harmless without a GPU, as in torch
    with pytest.raises(RuntimeError, match="no GPU"):
        cr.cuda.synchronize()


def pick_device(lib, no_cuda=False):
    """pytorch/examples' idiom (mnist, vae, ...), then the 2.x device-agnostic one."""
    use_cuda = not no_cuda and lib.cuda.is_available()
    device = lib.device("cuda" if use_cuda else "cpu")
    agnostic = lib.accelerator.current_accelerator().type if lib.accelerator.is_available() else "cpu"
    return str(device), agnostic


def test_the_scripts_idioms_choose_the_cpu_as_torch_does(no_gpu):
    assert pick_device(cr) == pick_device(torch) == ("cpu", "cpu")
    assert pick_device(cr, no_cuda=True) == pick_device(torch, no_cuda=True)
    x = cr.ones(2).to(cr.device(pick_device(cr)[0]))
    assert x.device == "cpu"


def test_the_probe_counts_gpus_without_switching_the_backend(no_gpu, monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy(count=2))
    assert cr.cuda.is_available() and cr.cuda.device_count() == 2 and cr.accelerator.device_count() == 2
    accelerator = cr.accelerator.current_accelerator()
    assert accelerator == cr.device("cuda") and accelerator.type == "cuda" and accelerator.index is None
    assert pick_device(cr) == ("cuda", "cuda")
    assert B._cupy is None and not B.cupy_loaded()  # probing loaded nothing into the backend


@pytest.mark.parametrize("error", [RuntimeError("cudaErrorNoDevice"), ImportError("libcudart.so.13")])
def test_a_cupy_that_cannot_reach_a_gpu_means_no_gpu(no_gpu, monkeypatch, error):
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy(error=error))
    assert cr.cuda.is_available() is False and cr.cuda.device_count() == 0
    assert cr.accelerator.current_accelerator() is None


def test_cudnn_and_matmul_flags_are_kept_as_scripts_set_them(monkeypatch):
    import chainrule.backends.cudnn as cudnn  # the pytorch/examples imagenet spelling

    for name in ("deterministic", "benchmark", "enabled"):
        assert getattr(cr.backends.cudnn, name) == getattr(torch.backends.cudnn, name)
    monkeypatch.setattr(cudnn, "deterministic", True)
    monkeypatch.setattr(cr.backends.cudnn, "benchmark", True)
    assert cr.backends.cudnn.deterministic and cudnn.benchmark
    monkeypatch.setattr(cr.backends.cuda.matmul, "allow_tf32", True)
    assert cr.backends.cuda.matmul.allow_tf32 is True


def test_cuda_seeding_is_accepted_and_leaves_the_cpu_stream_alone():
    draws = {}
    for lib in (cr, torch):
        lib.manual_seed(0)
        first = lib.randn(4).tolist()
        lib.manual_seed(0)
        lib.cuda.manual_seed(123)
        lib.cuda.manual_seed_all(123)
        draws[lib.__name__] = (first, lib.randn(4).tolist())
    for first, second in draws.values():
        assert first == second
    with pytest.raises(ValueError):
        cr.cuda.manual_seed("a")


@pytest.mark.parametrize("spec", [("cpu",), ("cuda",), ("cuda:1",), ("cpu:0",), ("mps",), ("cuda", 2)])
def test_device_parses_as_torch_device(spec):
    ours, theirs = cr.device(*spec), torch.device(*spec)
    assert (ours.type, ours.index, str(ours), repr(ours)) == (theirs.type, theirs.index, str(theirs), repr(theirs))


def test_device_cuda_has_no_index_and_names_the_current_gpu():
    assert cr.device("cuda").index is None and torch.device("cuda").index is None
    assert cr.device(type="cuda", index=1) == "cuda:1"
    assert cr.device(cr.device("cuda:1")) == cr.device("cuda", 1)
    # a documented difference: torch says device("cuda") != device("cuda:0"); chainrule has one current GPU, 0
    assert cr.device("cuda") == cr.device("cuda:0") and hash(cr.device("cuda")) == hash(cr.device("cuda:0"))
    assert cr.device("cuda:1") != "cuda" and cr.device("cpu") != "tpu"
    assert isinstance(cr.device("cpu"), cr.device) and cr.Device is cr.device
    assert pickle.loads(pickle.dumps(cr.device("cuda:1"))) == cr.device("cuda:1")
    with pytest.raises(AttributeError, match="read-only"):
        cr.device("cpu").index = 3


@pytest.mark.parametrize("spec", [("tpu",), ("cuda:x",), ("cuda:1", 2), ("cuda", -1), ("cuda:-1",)])
def test_bad_device_specs_fail_as_in_torch(spec):
    with pytest.raises(RuntimeError):
        torch.device(*spec)
    with pytest.raises(RuntimeError) as err:  # and a ValueError, as chainrule has always raised
        cr.device(*spec)
    assert isinstance(err.value, ValueError)
    with pytest.raises(TypeError):
        cr.device(2.5)


def test_a_bare_index_needs_a_gpu_as_in_torch(no_gpu):
    with pytest.raises(RuntimeError):
        torch.device(0)
    with pytest.raises(RuntimeError, match="none is available"):
        cr.device(0)


def test_mps_parses_but_is_not_a_place_to_compute():
    with pytest.raises(D.DeviceError, match="not on Apple's MPS"):
        D.to_device(B.numpy.ones(2), "mps")


def test_default_device_as_torch(no_gpu, monkeypatch):
    monkeypatch.setattr(D, "_default", None)
    assert repr(cr.get_default_device()) == repr(torch.get_default_device()) == "device(type='cpu')"
    cr.set_default_device("cpu")
    assert D.get_default_device() == "cpu"
    cr.set_default_device(cr.device("cpu"))
    cr.set_default_device(None)
    assert cr.get_default_device() == "cpu"
    with pytest.raises(D.DeviceError, match="needs CuPy"):  # torch only fails at the first tensor; chainrule at once
        cr.set_default_device("cuda")
    assert cr.get_default_device() == "cpu"


def test_the_default_gpu_is_reported_with_its_index(monkeypatch):
    monkeypatch.setattr(D, "_default", D.Device("cuda"))
    assert repr(cr.get_default_device()) == "device(type='cuda', index=0)"  # as torch.get_default_device
