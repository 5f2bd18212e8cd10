"""Shared test set-up: Hypothesis profiles and float64 defaults for oracle comparisons.

Profiles: ``ci`` (default; sized so the whole suite stays fast) and ``deep`` (many more examples
for local runs): ``HYPOTHESIS_PROFILE=deep python -m pytest``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.register_profile(
    "deep", max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
