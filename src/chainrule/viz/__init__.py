"""Seeing backprop: computational graphs drawn with values and gradients, and traces."""

from .graph import Graph, GraphvizNotFound, GraphvizNotFoundWarning, draw_graph
from .trace import TraceStep, trace

__all__ = ["Graph", "GraphvizNotFound", "GraphvizNotFoundWarning", "TraceStep", "draw_graph", "trace"]
