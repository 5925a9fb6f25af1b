"""The team's timestamp policy (`timestamp-policy`), read in one place.

- `"aware"` (the default): timestamps are timezone-aware, in Python and in the database.
- `"naive-utc"`: the team stores naive UTC on purpose, consistently (every column naive,
  every write `utcnow()`). Under it the rules that ask for aware values are off
  (`Rule.aware_only`), and what matters is that nothing local-naive or aware sneaks in.
"""

from __future__ import annotations

AWARE = "aware"
NAIVE_UTC = "naive-utc"
TIMESTAMP_POLICIES = (AWARE, NAIVE_UTC)


def timestamp_policy(settings) -> str:
    """The configured policy; "aware" when unset."""
    return settings.rule_options.timestamp_policy


def naive_utc(settings) -> bool:
    return timestamp_policy(settings) == NAIVE_UTC
