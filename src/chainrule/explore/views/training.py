"""The training view's API (being built)."""

ROUTES: dict = {}
