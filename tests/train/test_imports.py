"""The training packages import downwards only, and never lazily to dodge a cycle.

``train`` plugs into the library below it (autograd, nn, optim, data, viz for a run's plots,
distributed for ``--distributed``); ``distributed`` and ``viz`` know nothing of ``train`` (the fit
loop's strategy is duck-typed; the gradient-flow format is ``chainrule.records``); ``errors``,
``io`` and ``records`` sit at the bottom. Checked on the source, so a lazy import counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "chainrule"


def modules(part: str) -> list[Path]:
    path = SRC / part
    return sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]


def imported(file: Path, src: Path = SRC) -> set[str]:
    """The chainrule packages ``file`` (under ``src``) imports (``train``, ``viz``, ...), at any depth of the code."""
    package = file.relative_to(src.parent).with_suffix("").parts[:-1]  # ("chainrule", "train")
    found = set()
    for node in ast.walk(ast.parse(file.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, *(node.module.split(".") if node.module else [])])
                names = [target] if node.module else [f"{target}.{a.name}" for a in node.names]
            else:
                names = [node.module or ""]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found |= {n.split(".")[1] for n in names if n.startswith("chainrule.") and n.count(".") >= 1}
    return found


FORBIDDEN = {  # package -> packages above it that it must not import
    "distributed": {"train", "experiments", "cli"},
    "viz": {"train", "distributed", "experiments", "cli"},
    "records": {"train", "viz", "distributed", "experiments"},
    "io": {"train", "viz", "distributed", "experiments", "data", "autograd", "nn"},
    "errors": {"train", "viz", "distributed", "experiments", "data", "nn"},
    "data": {"train", "distributed", "experiments"},
    "train": {"experiments", "cli"},
}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_import_reaches_up(package):
    for file in modules(package):
        wrong = imported(file) & FORBIDDEN[package]
        assert not wrong, f"{file.relative_to(SRC)} imports {sorted(wrong)}"


def test_no_import_inside_a_function_of_train_or_distributed():
    """mpi4py is the one deferred import: an optional dependency that starts MPI when imported."""
    for file in modules("train") + modules("distributed"):
        for func in ast.walk(ast.parse(file.read_text())):
            if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for node in ast.walk(func):
                    if isinstance(node, (ast.Import, ast.ImportFrom)):
                        names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                        assert any(n.startswith("mpi4py") for n in names), (
                            f"{file.relative_to(SRC)}:{node.lineno} imports inside {func.name}()"
                        )


def test_the_checks_can_fail(tmp_path):
    """The walker sees relative, absolute and lazy imports."""
    (tmp_path / "chainrule" / "viz").mkdir(parents=True)
    probe = tmp_path / "chainrule" / "viz" / "probe.py"
    probe.write_text("from ..train import monitor\nimport chainrule.data\ndef f():\n    from .. import distributed\n")
    assert imported(probe, tmp_path / "chainrule") == {"train", "data", "distributed"}
