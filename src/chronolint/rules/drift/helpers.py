"""What the drift rules share: the drifts of the project index declared in this file."""

from __future__ import annotations

import os

from chronolint.index.history.drift import drifts
from chronolint.rules.api import Rule
from chronolint.rules.needles import declaring_classes


class DriftRule(Rule):
    """Reports the index's drifts of one `kind` on the model column that declares them."""

    kind: str = ""
    needs_index = True

    def needles_for(self, settings, index):
        """The `class` statements that declare this kind's drifted columns: a drift is
        reported only in the file that declares its column."""
        columns = [d.column for d in drifts(index) if d.kind == self.kind and d.column.span is not None]
        if not columns:
            return None
        return declaring_classes(columns, tuple(sorted({c.attr for c in columns})))

    def check_module(self, ctx) -> None:
        if ctx.index is None:
            return
        here = os.path.abspath(ctx.filename)
        seen: set = set()
        for drift in drifts(ctx.index):
            column = drift.column
            if drift.kind != self.kind or column.path != here or column.span is None:
                continue
            key = (column.span, drift.model.name)
            if key in seen:
                continue
            seen.add(key)
            line, col, end_line, end_col = column.span
            ctx.report(self, start=ctx.source.location(line, col), end=ctx.source.location(end_line, end_col),
                       message=self.describe(drift))

    def describe(self, drift) -> str:
        raise NotImplementedError


def relative(path: str | None, index) -> str:
    if not path:
        return "?"
    return path if not os.path.isabs(path) else os.path.relpath(path, index.root)
