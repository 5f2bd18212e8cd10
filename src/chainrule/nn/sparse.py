"""Embedding: a lookup table of learnable rows, as ``torch.nn.Embedding`` (weight (num_embeddings, embedding_dim))."""

from __future__ import annotations

from ..autograd.function import ShapeError
from ..autograd.tensor import Tensor, as_tensor
from ..ops.embedding import check_padding_idx, embedding
from . import init
from .factory import new_parameter
from .module import Module
from .parameter import Parameter


class Embedding(Module):
    """indices (*) -> (*, embedding_dim): row ``i`` of ``weight`` for each index ``i``.

    weight ~ N(0, 1), the ``padding_idx`` row zeroed (and never updated: it gets no gradient).
    ``max_norm``: rows looked up are renormed in place to at most that ``norm_type``-norm.
    ``_weight``: use this (num_embeddings, embedding_dim) tensor as the weight, untouched.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight=None,
        _freeze: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.padding_idx = check_padding_idx(padding_idx, self.num_embeddings, self._label())
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        shape = (self.num_embeddings, self.embedding_dim)
        if _weight is None:
            self.weight = new_parameter(shape, device, dtype)
            self.weight.requires_grad_(not _freeze)
            self.reset_parameters()
        else:
            _weight = as_tensor(_weight)
            if tuple(_weight.shape) != shape:
                raise ShapeError(f"{self._label()}: _weight has shape {tuple(_weight.shape)}, expected {shape}")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        """PyTorch's default: N(0, 1), then the padding row set to zero."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0

    def forward(self, input) -> Tensor:
        return embedding(
            input,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.sparse,
            name=self._label(),
        )

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse is not False:
            s += ", sparse=True"
        return s

    def _label(self) -> str:
        return f"Embedding({self.num_embeddings}, {self.embedding_dim})"

    @classmethod
    def from_pretrained(
        cls,
        embeddings,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """An Embedding whose weight is ``embeddings`` (2-D, shared); frozen (no gradient) by default."""
        embeddings = as_tensor(embeddings)
        if embeddings.ndim != 2:
            raise ShapeError(
                f"Embedding.from_pretrained: embeddings parameter is expected to be 2-dimensional, "
                f"got shape {tuple(embeddings.shape)}"
            )
        rows, cols = embeddings.shape
        return cls(
            rows, cols, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse, _weight=embeddings, _freeze=freeze
        )
