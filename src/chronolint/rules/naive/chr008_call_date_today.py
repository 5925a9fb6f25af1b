from __future__ import annotations

import ast

from chronolint.rules.api import Invalid, Rule, Valid
from chronolint.rules.naive._common import NEEDLES, may_resolve_to

_LOCAL_DATE_CALLS = {
    "datetime.date.today": "date.today()",
    "datetime.date.fromtimestamp": "date.fromtimestamp()",
}
_LAST_NAMES = frozenset(q.rsplit(".", 1)[-1] for q in _LOCAL_DATE_CALLS)  # see `may_resolve_to`


class CallDateToday(Rule):
    """
    ## What it does
    Checks for `date.today()` and `date.fromtimestamp(ts)`. Opt-in: select `CHR008`.

    ## Why is this bad?
    Both give the calendar date *in the host's local time zone*. Around midnight a server
    on UTC and a laptop in UTC-5 disagree on what "today" is, so expiry checks, daily
    reports and "created today" filters change with where the code runs. Naming the zone
    (`datetime.now(timezone.utc).date()`) makes the date the same everywhere. The rule is
    opt-in because many programs mean the local calendar date on purpose.

    ## Example
    ```python
    from datetime import date

    if invoice.due_date < date.today():
        ...
    ```

    ## Use instead
    ```python
    from datetime import datetime, timezone

    if invoice.due_date < datetime.now(timezone.utc).date():
        ...
    ```

    ## Fix safety
    No fix: whether the date is meant in UTC or in a user's zone is the author's decision.

    ## Differences from ruff
    One code for ruff's DTZ011 (`date.today()`) and DTZ012 (`date.fromtimestamp()`).
    """

    code = "CHR008"
    name = "call-date-today"
    message = "`{call}` gives the date in the host's local time zone"
    default_enabled = False
    needles = NEEDLES

    VALID = [
        Valid("from datetime import datetime, timezone\nx = datetime.now(timezone.utc).date()\n"),
        Valid("import datetime as dt\nx = dt.datetime.fromtimestamp(0, dt.UTC).date()\n"),
        Valid("import pendulum\nx = pendulum.today()\n"),
        Valid("from datetime import date\ndef f(date):\n    return date.today()\n"),
        Valid("class Calendar:\n    def now(self):\n        return self.date.today()\n"),
    ]
    INVALID = [
        Invalid("from datetime import date\nx = date.today()\n"),
        Invalid("import datetime as dt\nx = dt.date.fromtimestamp(0)\n"),
        Invalid("from datetime import date as D\nx = D.today().isoformat()\n"),
        Invalid("import datetime\nx = datetime.date.today() - datetime.timedelta(days=1)\n"),
    ]

    def visit_Call(self, node: ast.Call, ctx) -> None:
        if not may_resolve_to(node.func, _LAST_NAMES):
            return
        call = _LOCAL_DATE_CALLS.get(ctx.resolve(node.func))
        if call is not None:
            ctx.report(self, node, call=call)
