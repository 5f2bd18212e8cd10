"""The origin of convolution: sequences, LTI systems and the flip-and-slide table.

``convolve`` / ``correlate`` (1-D, as NumPy) and ``convolve2d`` / ``correlate2d`` (as SciPy) work on
arrays and on tensors with gradients; ``LTISystem`` is a system given by its unit sample response;
``is_linear`` / ``is_time_invariant`` test any callable; ``convolution_table`` works y = x * h by hand.
"""

from __future__ import annotations

from .convolve import Convolve, convolve, convolve2d, correlate, correlate2d
from .lti import Counterexample, LTISystem, PropertyCheck, Term, decompose, is_linear, is_time_invariant, unit_sample
from .table import ConvolutionTable, convolution_table

__all__ = [
    "ConvolutionTable",
    "Convolve",
    "Counterexample",
    "LTISystem",
    "PropertyCheck",
    "Term",
    "convolution_table",
    "convolve",
    "convolve2d",
    "correlate",
    "correlate2d",
    "decompose",
    "is_linear",
    "is_time_invariant",
    "unit_sample",
]
