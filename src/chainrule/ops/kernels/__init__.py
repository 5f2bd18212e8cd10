"""Fast kernels: the lecture ops' speed tricks, beside their readable reference forms.

Each op module (``ops/conv.py``, ``ops/loss.py``) keeps the form whose forward and local gradient
read like its docstring's math, and calls the kernel here unless ``chainrule.backend.kernels``
says ``"reference"`` (``CHAINRULE_KERNELS=reference``, ``kernels.use`` or ``with kernels.using``).
Both forms pass the same oracle tests (tests/ops/test_registry.py runs the registry on each).

- ``conv_fast``: im2col convolution in the batch-innermost layout, the bias in the product, columns
  in cache-sized pieces without autograd (a ReLU after the conv clamped piece by piece), and for a
  large conv every thread taking its own pieces of output positions (forward) or blocks of channels
  (backward), copies and one-core products;
- ``cross_entropy_fast``: the plain case (class indices, no weight, no smoothing) without the
  target-distribution array.

The batch-innermost layout, stated once for the whole library: a 4-D activation keeps its
PyTorch shape (N, C, H, W) but lies in memory as a C-contiguous (C, H, W, N) array, read through
``transpose(3, 0, 1, 2)``. A window copy then moves runs of N contiguous numbers instead of single
ones, and an im2col product's (F, Ho*Wo*N) result already is the next layer's input, with no copy.
Every op that meets such an array gives PyTorch's shapes and values; layers that profit from it
(conv, pooling, ReLU, a Linear after a conv) read it in memory order (``window.batch_innermost``
tells whether an array is laid out so).
"""
