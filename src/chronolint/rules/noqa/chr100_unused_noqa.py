from __future__ import annotations

from chronolint.rules.api import Applicability, Fix, Invalid, Location, Rule, Valid
from chronolint.engine.noqa import noqa_comments, remove_codes_edit


class UnusedNoqa(Rule):
    """
    ## What it does
    Checks for `# noqa: CHR...` codes that suppress nothing: the rule is enabled for the
    file and did not fire on that line. Only chronolint's own `CHR` codes are checked;
    codes of other tools (`E501`, `DTZ005`) and a bare `# noqa` are left alone.

    ## Why is this bad?
    A stale suppression hides the next real finding on that line: once the code is fixed,
    the comment stays and silently swallows a regression. Removing them keeps every
    `noqa` meaningful.

    ruff's `RUF100` cannot do this job for chronolint's codes: it does not know which `CHR`
    findings fire, and without `external = ["CHR"]` it deletes them all.

    ## Example
    ```python
    from datetime import datetime, timezone

    started = datetime.now(timezone.utc)  # noqa: CHR001
    ```

    ## Use instead
    ```python
    from datetime import datetime, timezone

    started = datetime.now(timezone.utc)
    ```

    ## Fix safety
    Safe: only the unused codes are removed from the comment (the whole `# noqa` when no
    code is left); the code itself is unchanged, and every finding the comment still
    suppresses stays suppressed. A code whose rule is not enabled for the file, or needs
    the project index when there is none, is never reported, so removing it cannot
    uncover a finding.
    """

    code = "CHR100"
    short = "`# noqa: CHR...` codes that suppress nothing"
    name = "unused-noqa"
    message = "unused `noqa` code{plural}: {codes}"
    default_enabled = False
    needles = ("noqa",)
    fix_applicability = Applicability.SAFE

    VALID = [
        Valid("from datetime import datetime\nx = datetime.now()  # noqa: CHR001\n", settings={"extend-select": ["CHR001"]}),
        Valid("from datetime import datetime\nx = datetime.now()  # noqa\n", settings={"extend-select": ["CHR001"]}),
        Valid("x = 1  # noqa: E501, DTZ005\n", settings={"extend-select": ["CHR001"]}),
        Valid("x = 1  # noqa: CHR001\n"),  # CHR001 is not enabled: nothing to say
        Valid('x = "# noqa: CHR001"\n', settings={"extend-select": ["CHR001"]}),
    ]
    INVALID = [
        Invalid(
            "from datetime import datetime, timezone\nx = datetime.now(timezone.utc)  # noqa: CHR001\n",
            fixed="from datetime import datetime, timezone\nx = datetime.now(timezone.utc)\n",
            settings={"extend-select": ["CHR001"]},
        ),
        Invalid(
            "from datetime import datetime\nx = datetime.now()  # noqa: E501, CHR001, CHR002\n",
            fixed="from datetime import datetime\nx = datetime.now()  # noqa: E501, CHR001\n",
            settings={"extend-select": ["CHR001", "CHR002"]},
        ),
        Invalid(
            "x = 1  # noqa: CHR001  # kept for the migration\n",
            fixed="x = 1  # kept for the migration\n",
            settings={"extend-select": ["CHR001"]},
        ),
    ]

    def check_noqa(self, ctx) -> None:
        fired: dict[int, set[str]] = {}
        for diagnostic in ctx.diagnostics:
            fired.setdefault(diagnostic.noqa_row or diagnostic.start.row, set()).add(diagnostic.code)
        for comment in noqa_comments(ctx.source.text):
            unused = [c for c in comment.codes if self._can_judge(c, ctx) and c not in fired.get(comment.row, ())]
            if unused:
                self._report(ctx, comment, unused)

    def _can_judge(self, code: str, ctx) -> bool:
        """Only a code whose rule ran on this file (with what it needs) can be unused."""
        if code == self.code or code not in ctx.enabled:
            return False
        return not (code in ctx.index_rules and ctx.index is None)

    def _report(self, ctx, comment, unused: list[str]) -> None:
        line = ctx.source.line(comment.row)
        edit = remove_codes_edit(line, comment, set(unused))
        # The whole comment token, as libcst sees it, so the fixer finds the node.
        start = Location(comment.row, comment.comment_start + 1)
        end = Location(comment.row, len(line) + 1)
        ctx.report(self, start=start, end=end, fix_data=edit,
                   plural="s" if len(unused) > 1 else "", codes=", ".join(unused))

    def compute_fix(self, diagnostic, fix_context):
        return Fix(Applicability.SAFE, "Remove the unused `noqa` code", (diagnostic.fix_data,))
