"""docs/compat.md's API table against what chainrule actually exposes."""

from __future__ import annotations

from tests.compat.api_table import DOC, check, claimed, display, read_names


def test_the_doc_claims_supported_only_for_names_chainrule_has():
    rows = check(read_names())
    states = claimed(DOC.read_text(encoding="utf-8"))
    false_claims = [
        f"{display(r.name)} ({r.reason})"
        for r in rows
        if states.get(display(r.name)) == "supported" and not r.supported
    ]
    assert not false_claims, "docs/compat.md says supported, chainrule lacks:\n  " + "\n  ".join(false_claims)


def test_the_doc_has_a_row_for_every_listed_name():
    states = claimed(DOC.read_text(encoding="utf-8"))
    missing = [display(r.name) for r in read_names() if display(r.name) not in states]
    assert not missing, "regenerate docs/compat.md (python -m tests.compat.api_table --write); missing: " + ", ".join(
        missing
    )


def test_the_name_list_has_no_duplicates_and_known_prefixes():
    names = [r.name for r in read_names()]
    assert len(names) == len(set(names))
    prefixes = ("torch.", "Tensor.", "nn.", "F.", "optim.", "utils.data.", "torchvision.")
    assert all(n.startswith(prefixes) for n in names), [n for n in names if not n.startswith(prefixes)]
