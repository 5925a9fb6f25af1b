"""What the three flow rules share: the module's findings, and when a file may have any."""

from __future__ import annotations

from functools import lru_cache

from chronolint.rules.api import Rule
from chronolint.rules.flow.analysis import flow_findings, timestamp_attributes

# A datetime, date or timedelta value comes from the datetime module (or pydantic's
# AwareDatetime, or Django's timezone), or from a timestamp column named in the file.
_BASE_NEEDLES = ("datetime", "Datetime", "DateTime", "timezone", "timedelta")
_MAX_COLUMN_NEEDLES = 1024


class FlowRule(Rule):
    """A rule that reports the flow analysis's findings carrying its code."""

    def needles_for(self, settings, index) -> tuple[str, ...]:
        """A file mentioning no datetime and no timestamp column name cannot have findings."""
        return _needles(timestamp_attributes(index))

    def check_module(self, ctx) -> None:
        for finding in flow_findings(ctx):
            if finding.code == self.code:
                ctx.report(self, finding.node, message=finding.message, fix_data=finding.fix_data)


@lru_cache(maxsize=8)
def _needles(columns: frozenset[str]) -> tuple[str, ...]:
    """One tuple for the three flow rules, which the pre-filter then looks for once a file."""
    if len(columns) > _MAX_COLUMN_NEEDLES:
        return ("",)
    return (*_BASE_NEEDLES, *sorted(columns))
