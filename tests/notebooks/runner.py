"""Run a notebook top to bottom in a fresh kernel, and check a committed one is stripped.

``execute(path, cwd, timeout)`` runs every cell in the ``python3`` kernel (jupyter_client starts it
with this interpreter, ``sys.executable``, so the venv's ipykernel and chainrule) with ``cwd`` as its
working folder and the current environment; a cell that raises is a ``NotebookError`` whose message
gives the notebook, the cell's number and source, and the error. ``problems(nb)`` lists what keeps a
committed notebook from being clean. ``python tests/notebooks/runner.py FILE...`` strips files in place.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # IPython colours its tracebacks
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


class NotebookError(AssertionError):
    """A cell of a notebook raised; the message names the notebook and the cell and shows the error."""


def _failed_cell(nb) -> tuple[int, object, dict] | None:
    """(number, cell, error output) of the first code cell holding an error, numbering code cells from 1."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    for i, cell in enumerate(code, 1):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return i, cell, out
    return None


def _describe(path: Path, nb, err: Exception) -> str:
    found = _failed_cell(nb)
    if found is None:  # a timeout or a dead kernel: no error output in any cell
        return f"{path.name}: {type(err).__name__}: {ANSI.sub('', str(err)).strip()}"
    i, cell, out = found
    tb = ANSI.sub("", "\n".join(out.get("traceback", [])))
    source = "\n".join(f"    {line}" for line in cell.source.splitlines())
    return (
        f"{path.name}: code cell {i} raised {out.get('ename')}: {out.get('evalue')}\n"
        f"--- cell {i} source ---\n{source}\n--- traceback ---\n{tb}"
    )


def execute(path, cwd, timeout: int = 120):
    """Execute the notebook at ``path`` in a fresh python3 kernel running in ``cwd``; returns it with outputs.

    timeout: seconds allowed per cell. Raises NotebookError on the first cell that fails.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}})
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
        raise NotebookError(_describe(path, nb, err)) from None
    return nb


def problems(nb) -> list[str]:
    """What keeps ``nb`` from being a clean committed notebook: outputs, execution counts, stray metadata."""
    found = []
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as err:
        found.append(f"not valid nbformat {nb.get('nbformat')}.{nb.get('nbformat_minor')}: {err.message}")
    if nb.get("nbformat") != 4:
        found.append(f"nbformat {nb.get('nbformat')}, expected 4")
    extra = sorted(set(nb.metadata) - {"kernelspec"})
    if extra:
        found.append(f"notebook metadata beyond the kernelspec: {extra}")
    if nb.metadata.get("kernelspec", {}).get("name") != "python3":
        found.append(f"kernelspec is {nb.metadata.get('kernelspec')!r}, expected python3")
    for i, cell in enumerate(nb.cells, 1):
        if cell.cell_type == "code" and cell.get("outputs"):
            found.append(f"cell {i} has {len(cell.outputs)} output(s)")
        if cell.cell_type == "code" and cell.get("execution_count") is not None:
            found.append(f"cell {i} has execution count {cell.execution_count}")
        if set(cell.get("metadata", {})) - {"tags"}:
            found.append(f"cell {i} has metadata {sorted(cell.metadata)}")
        if cell.get("attachments"):
            found.append(f"cell {i} has attachments")
    return found


def strip(nb):
    """``nb`` without outputs, execution counts and metadata other than the python3 kernelspec and tags."""
    nb.metadata = nbformat.from_dict({"kernelspec": dict(KERNELSPEC)})
    for cell in nb.cells:
        cell.metadata = nbformat.from_dict({k: v for k, v in cell.get("metadata", {}).items() if k == "tags"})
        cell.pop("attachments", None)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def main(paths: list[str]) -> int:
    for p in paths:
        nb = strip(nbformat.read(p, as_version=4))
        nbformat.write(nb, p)
        print(f"{p}: stripped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
