"""The lecture's notebooks run top to bottom in a fresh kernel, and are committed without outputs.

Each notebook runs with CHAINRULE_QUICK=1 (the notebooks shorten their training then) and
MPLBACKEND=Agg, in a temporary working folder so nothing is written into the repository, with
MNIST from the shared test cache (``mnist_home``). A cell that raises fails the test with the
cell's source and error (see ``runner.execute``).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from tests.notebooks.runner import NotebookError, execute, problems

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
EXPECTED = [
    "01_backpropagation.ipynb",
    "02_origin_of_convolution.ipynb",
    "03_conv_layers.ipynb",
    "04_mnist.ipynb",
    "05_training_pitfalls.ipynb",
]
CELL_TIMEOUT = 120  # seconds per cell; a whole notebook takes well under a minute with the small settings


@pytest.fixture
def kernel_env(mnist_home, monkeypatch, tmp_path_factory):
    """The environment the kernel inherits: small settings, no GUI backend, MNIST from the test cache,
    and a temporary folder of pytest's for what a notebook writes to ``tempfile`` (05's reports)."""
    monkeypatch.setenv("CHAINRULE_QUICK", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("CHAINRULE_HOME", str(mnist_home))
    monkeypatch.setenv("TMPDIR", str(tmp_path_factory.mktemp("notebook-tmp")))
    monkeypatch.delenv("PYTHONSTARTUP", raising=False)


def test_the_five_notebooks_are_there():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_runs_top_to_bottom(name, kernel_env, tmp_path):
    nb = execute(NOTEBOOKS / name, cwd=tmp_path, timeout=CELL_TIMEOUT)
    ran = [c for c in nb.cells if c.cell_type == "code"]
    assert ran and all(c.execution_count is not None for c in ran), f"{name}: not every code cell ran"
    assert list(tmp_path.iterdir()) == [] or all(p.name.startswith(".") for p in tmp_path.iterdir()), (
        f"{name} left files in its working folder: {sorted(p.name for p in tmp_path.iterdir())}"
    )


@pytest.mark.parametrize("name", EXPECTED)
def test_committed_notebook_is_stripped_and_valid(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=nbformat.NO_CONVERT)
    found = problems(nb)
    assert not found, (
        f"notebooks/{name} is not clean: " + "; ".join(found) + f". Strip it: python tests/notebooks/runner.py "
        f"notebooks/{name}"
    )


def _notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    nbformat.write(nb, path)
    return path


def test_a_broken_cell_fails_with_its_source_and_error(tmp_path):
    path = _notebook(tmp_path / "broken.ipynb", "x = 1", "y = x + undefined_name  # the broken cell", "z = 3")
    with pytest.raises(NotebookError) as err:
        execute(path, cwd=tmp_path, timeout=60)
    message = str(err.value)
    assert "broken.ipynb: code cell 2 raised NameError" in message
    assert "y = x + undefined_name  # the broken cell" in message
    assert "name 'undefined_name' is not defined" in message
    assert "\x1b[" not in message  # the traceback's colour codes are removed


def test_a_notebook_that_passes_is_not_flagged(tmp_path):
    nb = execute(_notebook(tmp_path / "fine.ipynb", "a = 2", "print(a * 21)"), cwd=tmp_path, timeout=60)
    assert nb.cells[1].outputs[0]["text"] == "42\n"


def test_problems_finds_outputs_counts_and_metadata():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    assert problems(nb) == []
    nb.cells[0].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)]
    nb.cells[0].execution_count = 1
    nb.cells[0].metadata["scrolled"] = True
    nb.metadata["language_info"] = {"name": "python", "version": "3.12.3"}
    found = " | ".join(problems(nb))
    for expected in ("1 output(s)", "execution count 1", "metadata ['scrolled']", "['language_info']"):
        assert expected in found
