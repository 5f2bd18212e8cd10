"""Seeing backprop: computational graphs drawn with values and gradients, and traces."""
