"""``chainrule experiment ...``: parsing, --quick/--out/--seed, exit statuses (through ``cli.main``)."""

from __future__ import annotations

import argparse
import json

import pytest

from chainrule.cli import main
from chainrule.experiments import cli, vanishing

TINY = vanishing.Budget(n_train=256, n_val=128, epochs=1, batch_size=128)


def parse(argv):
    parser = argparse.ArgumentParser(prog="chainrule")
    cli.add_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_quick_run_writes_its_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(vanishing, "QUICK", TINY)
    out = tmp_path / "run"
    args = parse(["experiment", "vanishing", "--quick", "--out", str(out), "--seed", "3", "--no-progress"])
    assert args.func(args) == 0
    printed = capsys.readouterr().out
    assert "|g1|/|g10| at start" in printed and "ReLU, He" in printed and str(out) in printed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 3 and summary["quick"] is True and summary["budget"]["n_train"] == 256
    assert (out / "report.md").is_file() and (out / "grad_flow_start.png").is_file()


def test_default_is_the_full_budget():
    args = parse(["experiment", "overfit"])
    assert args.quick is False and args.seed == 0 and args.out is None
    assert vanishing.FULL.n_train > vanishing.QUICK.n_train


def test_unwritable_out_is_one_line_and_status_1(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["experiment", "sensitivity", "--quick", "--out", str(blocker / "run"), "--no-progress"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("chainrule experiment sensitivity: error:") and "cannot write the run folder" in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("argv", [["experiment"], ["experiment", "gradients"]])
def test_missing_or_unknown_experiment_is_a_usage_error(argv):
    with pytest.raises(SystemExit) as info:
        parse(argv)
    assert info.value.code == 2
