"""``chainrule train --threads N`` / ``lecture --threads N``: checked at parse time, then set."""

from __future__ import annotations

import argparse

import pytest

from chainrule.backend import threads
from chainrule.cli import main
from chainrule.train import cli as train_cli


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--threads", "0"], "argument --threads: must be an integer in [1, 4096], got '0'"),
        (["train", "--threads", "two"], "argument --threads: must be an integer, got 'two'"),
        (["lecture", "--threads", "-3"], "argument --threads: must be an integer in [1, 4096], got '-3'"),
    ],
)
def test_bad_thread_counts_are_usage_errors(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert message in err[-1]


def test_threads_flag_sets_the_count(monkeypatch):
    before = (threads._num_threads, threads._explicit)
    calls = []
    monkeypatch.setattr(threads.blas, "set_threads", calls.append)
    try:
        train_cli._use_threads(argparse.Namespace(threads=3))
        assert threads.get_num_threads() == 3 and calls == [3]
        train_cli._use_threads(argparse.Namespace(threads=None))  # no flag: the default stays
        assert threads.get_num_threads() == 3
    finally:
        threads._num_threads, threads._explicit = before
