"""Data parallelism as the fit loop's strategy: one replica per MPI rank, the step of one process.

Gradient averaging, one Allreduce per step over a flat buffer that holds every gradient. After
backward, rank r holds g_r = (1/n_r) sum_{i in its n_r images} grad_i (its loss is a mean). One
process with the whole global batch of N = sum_r n_r images would hold
g = (1/N) sum_i grad_i = sum_r n_r g_r / N. So each rank writes n_r g_r into its bucket, with n_r in
the bucket's last slot, the buckets are summed over ranks (MPI_SUM), and every rank divides by the
summed count: the same update as one process, even when the shares differ (a short last batch).

Buckets: one flat, contiguous buffer per gradient dtype (float32 for every model here), so a step
is ONE Iallreduce, not one per tensor: latency is paid once, and the reduction streams.
"""

from __future__ import annotations

import contextlib
import sys
import zlib

import numpy as np

from .faults import RankFailure
from .sampler import check_shardable
from .transfer import fetch_folder

EXIT_RANK_FAILURE = 3  # the job's exit status when the watchdog ends it


class Bucket:
    """A flat buffer of ``sum(p.numel()) + 1`` elements of one dtype; views of it, one per parameter."""

    def __init__(self, params: list) -> None:
        self.params = params
        self.dtype = params[0]._data.dtype
        self.buffer = np.empty(sum(p._data.size for p in params) + 1, self.dtype)
        self.views, start = [], 0
        for p in params:
            self.views.append(self.buffer[start : start + p._data.size].reshape(p._data.shape))
            start += p._data.size


class DataParallel:
    """The strategy (``chainrule.train.strategy``) of ``mpirun -n N chainrule train --distributed``.

    Every rank builds the same Trainer with this strategy. Rank r trains on ``batch[r::N]`` of every
    global batch (cut and augmented as one process would, then shared out), evaluates
    ``val[r::N]``, and after backward takes the global batch's gradient (one Allreduce); each fit
    starts from rank 0's weights, and each epoch's metrics are the global ones. ``comm``: a
    :class:`~.comm.Comm`. ``abort_on_failure``: a rank failure prints its message and ends the whole
    job (MPI_Abort) instead of raising :class:`RankFailure` (which would leave the process waiting
    for the lost rank in MPI_Finalize).
    """

    def __init__(self, comm, abort_on_failure: bool = True) -> None:
        self.comm, self.abort_on_failure = comm, abort_on_failure
        self.rank, self.world = comm.rank, comm.world
        self.run_dir = None  # rank 0's run folder: failure messages name its last checkpoint
        self.buckets: list[Bucket] = []
        self._model = None

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def __str__(self) -> str:
        return f"data-parallel over {self.world} MPI ranks"

    # --- start: one set of weights ------------------------------------------------------------
    def setup(self, trainer) -> None:
        """Refuse batches that leave a rank empty; give every rank rank 0's parameters."""
        check_shardable(len(trainer.train_x), trainer.batch_size, self.world)
        if trainer.model is not self._model:
            params = [p for p in trainer.model.parameters() if p.requires_grad]
            by_dtype: dict = {}
            for p in params:
                by_dtype.setdefault(p._data.dtype, []).append(p)
            self.buckets, self._model = [Bucket(group) for group in by_dtype.values()], trainer.model
        self.broadcast_parameters(trainer.model)

    def broadcast_parameters(self, model) -> None:
        for p in model.parameters():
            fits = p._data.flags.c_contiguous and p._data.flags.writeable
            data = p._data if fits else np.ascontiguousarray(p._data)
            self._guard(lambda d=data: self.comm.broadcast_(d, 0, "parameter broadcast"))
            if not fits:
                p._data = data

    def agree(self, config: dict) -> None:
        """Check that every rank was started with the same ``config``."""
        text = repr(sorted(config.items())).encode()
        codes = self._guard(lambda: self.comm.allgather([zlib.crc32(text)], "configuration check"))
        if len(set(codes[:, 0])) > 1:
            differ = [r for r in range(self.world) if codes[r, 0] != codes[0, 0]]
            self._fail(
                RankFailure(
                    f"rank(s) {differ} were started with another configuration than rank 0: "
                    "launch every rank with the same arguments",
                    differ,
                )
            )

    def check_device(self, device: str) -> None:
        if device != "cpu":
            raise ValueError(f"--distributed runs on the CPU (MPI over NumPy arrays); drop --device {device}")

    def shard(self, array):
        return array[self.rank :: self.world]

    def local_copy(self, find):
        """Rank 0's checkpoint folder ``find()``, its files broadcast to every rank (no shared disk needed)."""
        return fetch_folder(find, self.comm)

    # --- each step: the gradient of the global batch -------------------------------------------
    def reduce_gradients(self, trainer, n: int) -> None:
        what = f"gradient allreduce of step {trainer.step + 1}"
        for bucket in self.buckets:
            for p, view in zip(bucket.params, bucket.views):
                if p.grad is None:  # unused by this loss: None on every rank alike
                    view.fill(0)
                else:
                    np.multiply(p.grad._data, n, out=view)
            bucket.buffer[-1] = n
            self._guard(lambda buf=bucket.buffer: self.comm.allreduce_(buf, what))
            total = bucket.buffer[-1]
            for p, view in zip(bucket.params, bucket.views):
                g = p.grad
                if g is not None:
                    if g._data.flags.writeable and g._data.shape == view.shape and g._data.dtype == view.dtype:
                        np.divide(view, total, out=g._data)
                    else:
                        g._data = view / total

    # --- each epoch: global metrics, and a check that the replicas agree -----------------------
    def reduce_record(self, trainer, record: dict, images: int, val_images: int) -> None:
        """Turn this rank's train/val metrics into the global ones (every rank gets the same)."""
        n_val = val_images if "val_loss" in record else 0
        mine = [
            record["train_loss"] * images,
            record["train_acc"] * images,
            images,
            record["seconds"],
            record.get("val_loss", 0.0) * n_val,
            record.get("val_acc", 0.0) * n_val,
            n_val,
            self._checksum(trainer.model),
        ]
        rows = self._guard(lambda: self.comm.allgather(mine, f"metrics of epoch {record['epoch']}"))
        images, seconds = rows[:, 2].sum(), rows[:, 3].max()
        record.update(
            train_loss=float(rows[:, 0].sum() / max(images, 1)),
            train_acc=float(rows[:, 1].sum() / max(images, 1)),
            seconds=float(seconds),
            images_per_s=float(images / max(seconds, 1e-9)),
            ranks=self.world,
        )
        if "val_loss" in record:
            n_val_all = max(rows[:, 6].sum(), 1)
            record.update(val_loss=float(rows[:, 4].sum() / n_val_all), val_acc=float(rows[:, 5].sum() / n_val_all))
        if len(set(rows[:, 7])) > 1:  # bitwise drift between replicas: MPI gave ranks different sums
            if self.is_main:
                print(
                    f"warning: the replicas' weights differ after epoch {record['epoch']}; copying rank 0's "
                    "to every rank",
                    file=sys.stderr,
                    flush=True,
                )
            self.broadcast_parameters(trainer.model)

    @staticmethod
    def _checksum(model) -> int:
        crc = 0
        for p in model.parameters():
            crc = zlib.crc32(np.ascontiguousarray(p._data).view(np.uint8), crc)
        return crc

    # --- failures --------------------------------------------------------------------------------
    @contextlib.contextmanager
    def failing_together(self, explain):
        """An error on this rank ends the whole job (the others would wait for it): ``explain(err)`` gives
        the message and the exit status."""
        try:
            yield
        except Exception as err:
            if self.world == 1:
                raise
            message, status = explain(err)
            self.comm.abort(message, status)

    def _guard(self, collective):
        try:
            return collective()
        except RankFailure as err:
            self._fail(err)

    def _fail(self, err: RankFailure) -> None:
        if not self.abort_on_failure:
            raise err
        kept = (
            f" Rank 0's last checkpoint is {self.run_dir / 'checkpoints' / 'last'}: continue with --resume."
            if self.run_dir is not None
            else " Rank 0's last checkpoint is intact: continue with --resume."
        )
        text = str(err)
        self.comm.abort(f"error: {text}{'' if text.endswith(('.', '?')) else '.'}{kept}", EXIT_RANK_FAILURE)
