"""The signal view's API (being built)."""

ROUTES: dict = {}
