"""The network view's API (being built)."""

ROUTES: dict = {}
