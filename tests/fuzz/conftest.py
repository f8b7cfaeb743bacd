"""Hypothesis profiles for the fuzz suite: bounded in ``make test``, long for a nightly run.

``STAFFROOM_FUZZ_PROFILE`` picks one: ``ci`` (the default: a few dozen
examples per property, a minute or so for the whole suite) or ``nightly``
(thousands, for a scheduled run; see the README). Examples that found a bug
are kept in Hypothesis's database under ``.hypothesis/`` and tried first
next time.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE_ENV = "STAFFROOM_FUZZ_PROFILE"

settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "nightly",
    max_examples=3000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get(PROFILE_ENV, "ci"))


def examples(scale: float = 1.0) -> int:
    """The profile's example count, scaled (pure functions afford more than HTTP)."""
    return max(1, int(settings.default.max_examples * scale))
