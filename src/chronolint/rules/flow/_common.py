"""What the three flow rules share: the options they hand the analysis, and when a file
may have any finding at all."""

from __future__ import annotations

from functools import lru_cache

from chronolint.analysis.flow import FlowOptions, flow_findings, timestamp_attributes
from chronolint.rules.api import Rule

# A datetime, date or timedelta value comes from the datetime module (or pydantic's
# AwareDatetime, or Django's timezone), or from a timestamp column named in the file.
_BASE_NEEDLES = ("datetime", "Datetime", "DateTime", "timezone", "timedelta")
_MAX_COLUMN_NEEDLES = 1024


class FlowRule(Rule):
    """A rule that words and reports the flow analysis's findings of one type."""

    finding_type: type  # the typed finding (`PossiblyNone`, `Mixed`, `Mismatch`) it reports
    options = ("flow-call-invalidation",)  # shapes the one analysis all three rules read

    def needles_for(self, settings, index) -> tuple[str, ...]:
        """A file mentioning no datetime and no timestamp column name cannot have findings."""
        return _needles(timestamp_attributes(index))

    def check_module(self, ctx) -> None:
        finding_type = self.finding_type
        for finding in flow_findings(ctx, flow_options(ctx.settings)):
            if type(finding) is finding_type:
                self.report_finding(ctx, finding)

    def report_finding(self, ctx, finding) -> None:
        raise NotImplementedError


def flow_options(settings) -> FlowOptions:
    """The analysis's options from the settings (CHR301's `flow-call-invalidation`)."""
    return FlowOptions(forget_on_any_call=settings.rule_options.flow_call_invalidation == "all")


@lru_cache(maxsize=8)
def _needles(columns: frozenset[str]) -> tuple[str, ...]:
    """One tuple for the three flow rules, which the pre-filter then looks for once a file."""
    if len(columns) > _MAX_COLUMN_NEEDLES:
        return ("",)
    return (*_BASE_NEEDLES, *sorted(columns))
