"""The convolution view's API (being built)."""

ROUTES: dict = {}
