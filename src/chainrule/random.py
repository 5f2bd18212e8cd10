"""``cr.Generator``: a seedable source of random numbers, as ``torch.Generator``.

A Generator wraps one ``numpy.random.Generator`` (its ``rng`` attribute, PCG64) that every draw
given ``generator=`` goes through: samplers, ``random_split``, ``randint``/``randperm``/``randn``.
The same seed gives the same stream; the numbers are NumPy's, not PyTorch's (a seed does not
reproduce PyTorch's exact draws). A new Generator starts from PyTorch's default seed
67280421310721, so two fresh generators agree, as in PyTorch.
"""

from __future__ import annotations

import secrets

import numpy as np

from . import devices
from .autograd import Tensor

DEFAULT_SEED = 67280421310721  # torch.Generator().initial_seed()
_STATE_BYTES = 16 + 16 + 8 + 8 + 8  # PCG64 state and increment, has_uint32, uinteger, initial seed


def _as_seed(seed) -> int:
    """An integer seed as the unsigned 64-bit value PyTorch keeps (-1 -> 2**64 - 1)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
    if not -(1 << 63) <= int(seed) < (1 << 64):
        raise ValueError(f"manual_seed: seed {seed} is outside [-2**63, 2**64)")
    return int(seed) % (1 << 64)


class Generator:
    """A random-number generator with its own state: ``Generator().manual_seed(0)``.

    ``rng`` is the ``numpy.random.Generator`` that draws; ``manual_seed(s)`` restarts it from
    ``s`` and returns the generator; ``get_state()``/``set_state()`` save and restore it exactly.
    """

    def __init__(self, device="cpu") -> None:
        self.device = devices.device(device)
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from ``seed`` (any int; negative ones wrap to uint64 as PyTorch)."""
        self._initial_seed = _as_seed(seed)
        self.rng = np.random.default_rng(self._initial_seed)
        return self

    def initial_seed(self) -> int:
        """The seed the stream last started from."""
        return self._initial_seed

    def seed(self) -> int:
        """Seed from the operating system's entropy -> that seed (non-deterministic)."""
        seed = secrets.randbits(63)
        self.manual_seed(seed)
        return seed

    def get_state(self):
        """The full state as a uint8 tensor of 56 bytes (PCG64 state, increment, buffered bits, seed)."""
        st = self.rng.bit_generator.state
        parts = [
            (st["state"]["state"], 16),
            (st["state"]["inc"], 16),
            (st["has_uint32"], 8),
            (st["uinteger"], 8),
            (self._initial_seed, 8),
        ]
        raw = b"".join(int(v).to_bytes(n, "little") for v, n in parts)
        return Tensor(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state) -> Generator:
        """Restore a state from ``get_state()``; the stream continues exactly where it was."""
        arr = np.asarray(getattr(new_state, "_data", new_state))
        if arr.dtype != np.uint8 or arr.shape != (_STATE_BYTES,):
            raise TypeError(
                f"Generator.set_state: expected a uint8 tensor of {_STATE_BYTES} bytes from "
                f"get_state(), got {arr.dtype} of shape {arr.shape}"
            )
        raw = arr.tobytes()
        values, at = [], 0
        for n in (16, 16, 8, 8, 8):
            values.append(int.from_bytes(raw[at : at + n], "little"))
            at += n
        state, inc, has_uint32, uinteger, initial = values
        bit_generator = np.random.PCG64()
        bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": state, "inc": inc},
            "has_uint32": has_uint32,
            "uinteger": uinteger,
        }
        self.rng, self._initial_seed = np.random.Generator(bit_generator), initial
        return self

    def __repr__(self) -> str:
        return f"<chainrule.Generator device={self.device} initial_seed={self._initial_seed}>"
