"""``python fault_driver.py RANK STEP KIND <chainrule train args...>``: the train CLI with a fault.

Rank RANK, about to take training step STEP + 1 (``trainer.step == STEP``), kills itself with
SIGKILL (KIND ``kill``: a crash) or stops itself with SIGSTOP (KIND ``stop``: a hang, alive but
silent). Run under mpirun by the fault tests.
"""

from __future__ import annotations

import os
import signal
import sys

from chainrule.cli import main as cli_main
from chainrule.train.trainer import Trainer


def main() -> int:
    rank, step, kind = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    original = Trainer.train_step

    def train_step(self, x, y):
        if self.strategy.rank == rank and self.step == step:
            os.kill(os.getpid(), signal.SIGKILL if kind == "kill" else signal.SIGSTOP)
        return original(self, x, y)

    Trainer.train_step = train_step
    return cli_main(["train", *sys.argv[4:]])


if __name__ == "__main__":
    sys.exit(main())
