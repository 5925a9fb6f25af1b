from __future__ import annotations

import ast
import re

from chronolint.engine.constants import StringConstants
from chronolint.rules.api import AllOf, Invalid, Rule, Valid
from chronolint.rules.naive._common import NEEDLES, resolves_to, zoned_at_once

# A strptime directive: `%%` is a literal percent sign, `%:z` (3.12+) is `%z` with colons.
_DIRECTIVE = re.compile(r"%(:?.)")
_OFFSET_DIRECTIVES = frozenset({"z", ":z"})


def parses_offset(fmt: str) -> bool:
    """The format has a `%z` directive, the only one that makes strptime's result aware."""
    return any(d in _OFFSET_DIRECTIVES for d in _DIRECTIVE.findall(fmt))


class CallDatetimeStrptimeWithoutZone(Rule):
    """
    ## What it does
    Checks for `datetime.strptime(text, fmt)` whose format has no `%z`, unless the result
    is given a zone (`.replace(tzinfo=<not None>)`, `.astimezone()`, chained or by the very
    next statement `x = x.replace(tzinfo=...)`, or passed straight to `make_aware(...)` /
    `zone.localize(...)`) or reduced to a part without one (`.date()`, `.time()`); CHR011
    shares this recognition. A format passed by name is read from a string
    constant bound once at module level (`FMT = "..."`) or in the enclosing class body
    (`self.FMT`).

    ## Why is this bad?
    Without `%z` the parsed value is naive: it names a wall-clock reading but not which
    zone it was in, and Python will treat it as the host's local time. `%Z` does not help:
    strptime accepts a zone *name* such as `UTC` or `EST` but still returns a naive
    datetime (`tzinfo` is None), so a format with `%Z` and no `%z` is flagged.

    ## Example
    ```python
    from datetime import datetime

    sent = datetime.strptime(header, "%Y-%m-%d %H:%M:%S")
    ```

    ## Use instead
    ```python
    from datetime import datetime, timezone

    sent = datetime.strptime(header, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    ```

    ## Fix safety
    No fix: which zone the text was written in is a decision only the author can make.

    ## Differences from ruff
    ruff's DTZ007 reads only a literal format. chronolint also reads a format constant,
    so `FMT = "%Y-%m-%dT%H:%M:%S%z"` then `strptime(s, FMT)` is not flagged (ruff flags
    it, a false positive). A format it cannot read (a parameter, a computed string, an
    f-string with unknown parts) is not flagged, where ruff flags anything not visibly
    containing `%z`. `strptime(...).date()` and `.time()` are not flagged (ruff flags
    them; no naive datetime escapes), and `.replace(tzinfo=...)` is recognised after
    other `.replace(...)` calls, not only directly, and in the very next statement
    (`t = t.replace(tzinfo=timezone.utc)`), which ruff flags; nor does it flag a value
    passed straight to `make_aware(...)` or `zone.localize(...)`.
    """

    code = "CHR007"
    short = "`datetime.strptime()` with a format that has no `%z`"
    name = "call-datetime-strptime-without-zone"
    message = "`datetime.strptime()` without `%z` returns a naive datetime"
    # The call, and the import of `datetime` it must resolve through.
    needles = AllOf((("strptime",), NEEDLES))

    VALID = [
        Valid("from datetime import datetime\nx = datetime.strptime(s, '%Y-%m-%dT%H:%M:%S%z')\n"),
        Valid("from datetime import datetime\nFMT = '%Y-%m-%dT%H:%M:%S%z'\nx = datetime.strptime(s, FMT)\n"),
        Valid("import datetime as dt\nx = dt.datetime.strptime(s, '%Y-%m-%d').date()\n"),
        Valid("from datetime import datetime as D, timezone\n"
              "x = D.strptime(s, '%Y-%m-%d').replace(tzinfo=timezone.utc)\n"),
        Valid("from datetime import datetime\nx = datetime.strptime(s, '%H:%M').time()\n"),
        Valid("from datetime import datetime\ndef parse(s, fmt):\n    return datetime.strptime(s, fmt)\n"),
        Valid("from datetime import datetime\nclass P:\n    FMT = '%d/%m/%Y %z'\n"
              "    def parse(self, s):\n        return datetime.strptime(s, self.FMT)\n"),
        Valid("import time\nx = time.strptime(s, '%Y-%m-%d')\n"),
        # mlflow ag2_logger: the next statement gives the parsed value its zone.
        Valid("from datetime import datetime, timezone\ndef f(s):\n"
              "    t = datetime.strptime(s, '%Y-%m-%d %H:%M:%S.%f')\n"
              "    t = t.replace(tzinfo=timezone.utc)\n    return t\n"),
        Valid("import arrow\nx = arrow.get(s, 'YYYY-MM-DD')\n"),
        Valid("from datetime import datetime\ndef f(datetime):\n    return datetime.strptime(s, '%Y')\n"),
        Valid("from datetime import datetime\nfrom django.utils import timezone\n"
              "x = timezone.make_aware(datetime.strptime(s, '%Y-%m-%d'))\n"),
    ]
    INVALID = [
        Invalid("from datetime import datetime\nx = datetime.strptime(s, '%Y-%m-%d %H:%M:%S')\n"),
        Invalid("from datetime import datetime\nx = datetime.strptime(s, '%Y-%m-%d %H:%M:%S %Z')\n"),
        Invalid("import datetime as dt\nFMT = '%Y-%m-%d'\nx = dt.datetime.strptime(s, FMT)\n"),
        Invalid("from datetime import datetime\nx = datetime.strptime(s, '%Y %%z')\n"),
        Invalid("from datetime import datetime\nx = datetime.strptime(s, '%Y-%m-%d').replace(tzinfo=None)\n"),
        Invalid("from datetime import datetime\nt = datetime.strptime(s, '%Y')\nu = t.replace(tzinfo=None)\n"),
        Invalid("from datetime import datetime\nt = datetime.strptime(s, '%Y')\nt = t.replace(tzinfo=None)\n"),
        Invalid("from datetime import datetime\nclass P:\n    FMT = '%d/%m/%Y'\n"
                "    def parse(self, s):\n        return datetime.strptime(s, self.FMT)\n"),
        Invalid("from datetime import datetime\nDAY = '%Y-%m-%d'\nx = datetime.strptime(s, f'{DAY} %H:%M')\n"),
    ]

    def visit_Call(self, node: ast.Call, ctx) -> None:
        if not resolves_to(ctx, node.func, "datetime.datetime.strptime") or len(node.args) < 2:
            return
        fmt = self.constants(ctx).string_value(node.args[1], ctx)
        if fmt is None or parses_offset(fmt):
            return
        if zoned_at_once(node, ctx):
            return
        ctx.report(self, node)

    def constants(self, ctx) -> StringConstants:
        state = ctx.state(self)
        if "constants" not in state:
            state["constants"] = StringConstants(ctx.tree)
        return state["constants"]
