"""Switch a PyTorch script to chainrule by rewriting its import statements, and nothing else.

``to_chainrule(source)`` maps every ``import torch...`` / ``from torch... import`` and
``torchvision`` import to the chainrule module of the same place (``torch`` -> ``chainrule``,
``torchvision`` -> ``chainrule.vision``), keeping the names the script binds, so the rest of the
source runs unchanged. Line numbers are kept (a statement stays on its lines), so a traceback from
the rewritten script points at the original line.

Used by the compatibility suite (tests/compat) and by the trial of public scripts.
"""

from __future__ import annotations

import ast
import sys

PACKAGES = {"torch": "chainrule", "torchvision": "chainrule.vision"}


def _target(module: str) -> str | None:
    """'torch.nn.functional' -> 'chainrule.nn.functional'; None for a module that is not torch's."""
    head, _, rest = module.partition(".")
    if head not in PACKAGES:
        return None
    return PACKAGES[head] + ("." + rest if rest else "")


def _rewrite_import(node: ast.Import) -> str | None:
    parts, changed = [], False
    for alias in node.names:
        target = _target(alias.name)
        if target is None:
            parts.append(f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else ""))
            continue
        changed = True
        if alias.asname:  # import torch.nn as nn -> import chainrule.nn as nn
            parts.append(f"import {target} as {alias.asname}")
        else:  # import torch / import torch.utils.data: the script then uses the top name
            top = alias.name.partition(".")[0]
            if "." in alias.name:
                parts.append(f"import {target}")
            parts.append(f"import {PACKAGES[top]} as {top}")
    return "; ".join(parts) if changed else None


def _rewrite_from(node: ast.ImportFrom) -> str | None:
    target = _target(node.module or "") if node.level == 0 else None
    if target is None:
        return None
    names = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in node.names)
    return f"from {target} import {names}"


def to_chainrule(source: str) -> str:
    """The same script with its torch/torchvision imports pointing at chainrule.

    ``import torch`` -> ``import chainrule as torch``; ``import torch.nn as nn`` ->
    ``import chainrule.nn as nn``; ``from torch.utils.data import DataLoader`` ->
    ``from chainrule.utils.data import DataLoader``; ``from torchvision import datasets`` ->
    ``from chainrule.vision import datasets``. Imports inside functions are rewritten too.
    """
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    edits = []  # (first line, first col, last line, last col, text), 1-based lines
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            text = _rewrite_import(node)
        elif isinstance(node, ast.ImportFrom):
            text = _rewrite_from(node)
        else:
            continue
        if text is not None:
            edits.append((node.lineno, node.col_offset, node.end_lineno, node.end_col_offset, text))
    for first, col, last, end_col, text in sorted(edits, reverse=True):
        head, tail = lines[first - 1][:col], lines[last - 1][end_col:]
        # keep the statement's line count: a multi-line import becomes one line plus blank lines
        lines[first - 1 : last] = [head + text + tail] + ["\n"] * (last - first)
    return "".join(lines)


if __name__ == "__main__":  # python tests/compat/rewrite.py script.py > script_cr.py
    with open(sys.argv[1], encoding="utf-8") as f:
        sys.stdout.write(to_chainrule(f.read()))
