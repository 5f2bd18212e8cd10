"""Seeing deep learning: computational graphs with values and gradients, traces, training plots."""

from .grad_flow import plot_grad_flow, plot_grad_flow_compare
from .graph import Graph, GraphvizNotFound, GraphvizNotFoundWarning, draw_graph
from .layout import Layout, layout_graph
from .plots import (
    confusion_matrix,
    feature_maps,
    plot_confusion,
    plot_curves,
    plot_feature_maps,
    plot_filters,
    plot_misclassified,
)
from .svg import graph_svg, render_svg
from .trace import TraceStep, trace

__all__ = [
    "Graph",
    "GraphvizNotFound",
    "GraphvizNotFoundWarning",
    "Layout",
    "TraceStep",
    "confusion_matrix",
    "draw_graph",
    "feature_maps",
    "graph_svg",
    "layout_graph",
    "plot_confusion",
    "plot_curves",
    "plot_feature_maps",
    "plot_filters",
    "plot_grad_flow",
    "plot_grad_flow_compare",
    "plot_misclassified",
    "render_svg",
    "trace",
]
