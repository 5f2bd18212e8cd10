"""Gradient averaging: one Allreduce per step over a flat buffer that holds every gradient.

After backward, rank r holds g_r = (1/n_r) sum_{i in its n_r images} grad_i (its loss is a mean).
One process with the whole global batch of N = sum_r n_r images would hold
g = (1/N) sum_i grad_i = sum_r n_r g_r / N. So each rank writes n_r g_r into its bucket, with n_r in
the bucket's last slot, the buckets are summed over ranks (MPI_SUM), and every rank divides by the
summed count: the same update as one process, even when the shares differ (a short last batch).

Buckets: one flat, contiguous buffer per gradient dtype (float32 for every model here), so a step
is ONE Iallreduce, not one per tensor: latency is paid once, and the reduction streams.
"""

from __future__ import annotations

import zlib

from .. import backend as B
from ..train.trainer import Callback
from .faults import RankFailure
from .sampler import global_batch_size, local_batch_size

EXIT_RANK_FAILURE = 3  # the job's exit status when the watchdog ends it


class Bucket:
    """A flat buffer of ``sum(p.numel()) + 1`` elements of one dtype; views of it, one per parameter."""

    def __init__(self, params: list) -> None:
        self.params = params
        self.dtype = params[0]._data.dtype
        self.buffer = B.xp.empty(sum(p._data.size for p in params) + 1, self.dtype)
        self.views, start = [], 0
        for p in params:
            self.views.append(self.buffer[start : start + p._data.size].reshape(p._data.shape))
            start += p._data.size


class DataParallel(Callback):
    """Keep the replicas of ``model`` equal: same start, and the global-batch gradient each step.

    ``comm``: a :class:`~.comm.Comm`. Call :meth:`start` once before training (after a resume)
    to copy rank 0's parameters to every rank. ``abort_on_failure``: a rank failure prints its
    message and ends the whole job (MPI_Abort) instead of raising :class:`RankFailure` (which
    would leave the process waiting for the lost rank in MPI_Finalize).
    """

    def __init__(self, comm, model, abort_on_failure: bool = True) -> None:
        self.comm, self.model, self.abort_on_failure = comm, model, abort_on_failure
        params = [p for p in model.parameters() if p.requires_grad]
        by_dtype: dict = {}
        for p in params:
            by_dtype.setdefault(p._data.dtype, []).append(p)
        self.buckets = [Bucket(group) for group in by_dtype.values()]
        self.images = 0  # this rank's training images since the last epoch end

    # --- start: one set of weights ------------------------------------------------------------
    def start(self, trainer=None, config: dict | None = None) -> None:
        """Broadcast rank 0's parameters; check that every rank runs the same configuration."""
        if config is not None:
            text = repr(sorted(config.items())).encode()
            codes = self._guard(trainer, lambda: self.comm.allgather([zlib.crc32(text)], "configuration check"))
            if len(set(codes[:, 0])) > 1:
                differ = [r for r in range(self.comm.world) if codes[r, 0] != codes[0, 0]]
                self._fail(trainer, RankFailure(f"rank(s) {differ} were started with another configuration than "
                                                "rank 0: launch every rank with the same arguments", differ))
        for p in self.model.parameters():
            fits = p._data.flags.c_contiguous and p._data.flags.writeable
            data = p._data if fits else B.xp.ascontiguousarray(p._data)
            self._guard(trainer, lambda d=data: self.comm.broadcast_(d, 0, "parameter broadcast"))
            if not fits:
                p._data = data

    # --- each step: the gradient of the global batch -------------------------------------------
    def after_backward(self, trainer) -> None:
        rank, world = self.comm.rank, self.comm.world
        n = local_batch_size(global_batch_size(len(trainer.train_x), trainer.batch_size, trainer.batch_in_epoch),
                             rank, world)
        self.images += n
        for bucket in self.buckets:
            for p, view in zip(bucket.params, bucket.views):
                if p.grad is None:  # unused by this loss: None on every rank alike
                    view.fill(0)
                else:
                    B.xp.multiply(p.grad._data, n, out=view)
            bucket.buffer[-1] = n
            what = f"gradient allreduce of step {trainer.step + 1}"
            self._guard(trainer, lambda buf=bucket.buffer, w=what: self.comm.allreduce_(buf, w))
            total = bucket.buffer[-1]
            for p, view in zip(bucket.params, bucket.views):
                g = p.grad
                if g is not None:
                    if g._data.flags.writeable and g._data.shape == view.shape and g._data.dtype == view.dtype:
                        B.xp.divide(view, total, out=g._data)
                    else:
                        g._data = view / total

    # --- each epoch: global metrics, and a check that the replicas agree -----------------------
    def on_epoch_end(self, trainer, record: dict) -> None:
        """Turn this rank's train/val metrics into the global ones (every rank gets the same)."""
        n_val = len(trainer.val_data[0]) if trainer.val_data is not None and "val_loss" in record else 0
        mine = [record["train_loss"] * self.images, record["train_acc"] * self.images, self.images,
                record["seconds"], record.get("val_loss", 0.0) * n_val, record.get("val_acc", 0.0) * n_val, n_val,
                self._checksum()]
        rows = self._guard(trainer, lambda: self.comm.allgather(mine, f"metrics of epoch {record['epoch']}"))
        images, seconds = rows[:, 2].sum(), rows[:, 3].max()
        record.update(train_loss=float(rows[:, 0].sum() / max(images, 1)),
                      train_acc=float(rows[:, 1].sum() / max(images, 1)),
                      seconds=float(seconds), images_per_s=float(images / max(seconds, 1e-9)), ranks=self.comm.world)
        if "val_loss" in record:
            n_val_all = max(rows[:, 6].sum(), 1)
            record.update(val_loss=float(rows[:, 4].sum() / n_val_all), val_acc=float(rows[:, 5].sum() / n_val_all))
        self.images = 0
        if len(set(rows[:, 7])) > 1:  # bitwise drift between replicas: MPI gave ranks different sums
            if self.comm.is_main:
                trainer.log(f"warning: the replicas' weights differ after epoch {record['epoch']}; "
                            "copying rank 0's to every rank")
            self.start(trainer)

    def _checksum(self) -> int:
        crc = 0
        for p in self.model.parameters():
            crc = zlib.crc32(B.xp.ascontiguousarray(p._data).view(B.xp.uint8), crc)
        return crc

    # --- failures --------------------------------------------------------------------------------
    def _guard(self, trainer, collective):
        try:
            return collective()
        except RankFailure as err:
            self._fail(trainer, err)

    def _fail(self, trainer, err: RankFailure) -> None:
        if not self.abort_on_failure:
            raise err
        run_dir = getattr(trainer, "run_dir", None)
        kept = (f" Rank 0's last checkpoint is {run_dir / 'checkpoints' / 'last'}: continue with --resume."
                if run_dir is not None else " Rank 0's last checkpoint is intact: continue with --resume.")
        text = str(err)
        self.comm.abort(f"error: {text}{'' if text.endswith(('.', '?')) else '.'}{kept}", EXIT_RANK_FAILURE)
