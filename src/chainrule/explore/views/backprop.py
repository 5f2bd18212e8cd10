"""The backprop view's API (being built)."""

ROUTES: dict = {}
