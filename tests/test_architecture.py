"""The package graph has floors: a package imports only from floors below it (``autograd`` <-> ``ops``
is the one allowed loop: a Tensor's methods call the ops, and the ops build Tensors). Checked on
the source with ``ast``, so an import inside a function counts as much as one at the top.
The picture and a paragraph per package: docs/architecture.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "chainrule"

FLOORS = [
    {"backend", "io"},  # arrays, devices, BLAS, malloc (backend/); atomic files (io)
    {"autograd", "ops", "devices", "blas"},  # tensors, the engine, the ops (the one allowed loop); old aliases
    {"errors", "records", "optim", "random", "legacy", "cuda", "expression", "utils"},
    {"nn", "backends", "accelerator", "cli_support", "data"},
    {"signal", "models", "serialization", "vision", "viz", "distributed"},
    {"train"},
    {"experiments", "explore"},
    {"cli", "__init__"},
    {"__main__"},
]
FLOOR = {unit: i for i, units in enumerate(FLOORS) for unit in units}
LOOPS = {("autograd", "ops"), ("ops", "autograd")}


def unit_of(file: Path) -> str:
    """``src/chainrule/train/run.py`` -> ``train``; ``src/chainrule/cli.py`` -> ``cli``."""
    return file.relative_to(SRC).parts[0].removesuffix(".py")


def imports(file: Path) -> set[str]:
    """The chainrule units that ``file`` imports, wherever the import statement is."""
    package = file.relative_to(SRC.parent).with_suffix("").parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(file.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[: len(package) - node.level + 1])
                if node.module:
                    names = [".".join(base + node.module.split("."))]
                else:
                    names = [".".join([*base, a.name]) for a in node.names]
            else:
                names = [node.module or ""]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found |= {n.split(".")[1] for n in names if n.startswith("chainrule.")}
    return found - {unit_of(file), "__version__"}


FILES = sorted(SRC.rglob("*.py"))


def test_every_unit_has_a_floor():
    units = {unit_of(f) for f in FILES}
    assert units - set(FLOOR) == set(), "give these a floor in FLOORS (and docs/architecture.md)"


@pytest.mark.parametrize("file", FILES, ids=lambda f: str(f.relative_to(SRC)))
def test_imports_go_down(file):
    here = unit_of(file)
    wrong = sorted(
        u for u in imports(file) if FLOOR[u] > FLOOR[here] or (FLOOR[u] == FLOOR[here] and (here, u) not in LOOPS)
    )
    assert not wrong, f"{file.relative_to(SRC)} (floor {FLOOR[here]}) imports {wrong} from its floor or above"


def test_the_checker_sees_lazy_and_relative_imports(tmp_path):
    pkg = tmp_path / "chainrule" / "nn"
    pkg.mkdir(parents=True)
    f = pkg / "x.py"
    f.write_text("def f():\n    from ..train import run\n    import chainrule.viz\n")
    global SRC
    saved, SRC = SRC, tmp_path / "chainrule"
    try:
        assert imports(f) == {"train", "viz"}
    finally:
        SRC = saved
