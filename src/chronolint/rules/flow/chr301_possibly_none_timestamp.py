from __future__ import annotations

import ast

from chronolint.analysis.flow import PossiblyNone
from chronolint.rules.api import Applicability, Edit, Fix, Invalid, Location, Valid
from chronolint.rules.flow._common import FlowRule

_SESSION_MODEL = {
    "app/models.py": (
        "from datetime import datetime\n"
        "from sqlalchemy import DateTime\n"
        "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n"
        "class Base(DeclarativeBase):\n    pass\n\n"
        "class AgentSession(Base):\n"
        "    __tablename__ = 'agent_sessions'\n"
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
        "    start_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))\n"
        "    end_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))\n"
    ),
}
_USES_SESSION = "from app.models import AgentSession\n\ndef duration_ms(s: AgentSession):\n"


class PossiblyNoneTimestamp(FlowRule):
    """
    ## What it does
    Checks for subtraction and ordering (`<`, `<=`, `>`, `>=`) of a timestamp that may be
    None at that point: a nullable column (`Mapped[datetime | None]`, `nullable=True`,
    Django `null=True`), a parameter annotated `Optional[datetime]` / `datetime | None` or
    defaulting to None, or a local that was bound to None on some path, when no check on
    the way there proved it is set.

    A check is any of: `if x:`, `if x is not None:`, `if x is None: return` (or `raise`,
    `continue`, `break`), `if x is None: x = ...`, `assert x`, `x and y and x - y`,
    `x - y if x and y else None`, a walrus `if (end := s.end_time) is not None:`, and
    `isinstance(x, datetime)`. It works on attribute paths (`session.end_time`) as well as
    names; assigning the attribute, or calling a method of the same object that assigns
    it, forgets the check.

    ## Why is this bad?
    `None - datetime` raises `TypeError: unsupported operand type(s)` and `None < datetime`
    raises `TypeError: '<' not supported`. Nullable timestamps such as `end_time`,
    `stopped_at` or `last_active_at` are None exactly in the state the code forgot
    (a session still running, an agent never active), so the crash shows up in
    production, not in tests that always finish the session first.

    ## Example
    ```python
    from app.models import AgentSession

    def duration_ms(session: AgentSession) -> int:
        return int((session.end_time - session.start_time).total_seconds() * 1000)
    ```

    ## Use instead
    ```python
    from app.models import AgentSession

    def duration_ms(session: AgentSession) -> int | None:
        if session.end_time is None:
            return None
        return int((session.end_time - session.start_time).total_seconds() * 1000)
    ```

    ## Fix safety
    Display-only: what the code should do when the value is None (return None, use the
    current time, raise) is a decision only its author can make, so the suggested guard
    (`if x is None: raise ValueError(...)` before the statement) is shown in `full`,
    JSON and SARIF output and never applied, not even with `--unsafe-fixes`. It is
    offered only where the flagged value sits in a simple statement (an assignment, a
    `return`, an expression), where inserting a line before it is always valid.

    ## Options
    - `flow-call-invalidation` (`"assigned"` or `"all"`, default `"assigned"`): which calls
      forget a check on an attribute. With `"assigned"`, a call `self.reset()` forgets the
      attributes `reset` assigns, when it is a method of the same class in this file;
      other calls forget nothing. With `"all"`, every method call `a.method(b, ...)`
      forgets what was known about the attributes of `a` and of its positional arguments:
      fewer findings, for code whose methods set timestamps behind the analysis's back.
      The option shapes the one analysis CHR302 and CHR303 also read, so their facts about
      those attributes are forgotten the same way.
    """

    code = "CHR301"
    short = "Subtraction or ordering of a timestamp that may be None here"
    name = "possibly-none-timestamp-arithmetic"
    message = "timestamp may be None here"
    needs_index = True
    fix_applicability = Applicability.DISPLAY_ONLY
    finding_type = PossiblyNone

    def report_finding(self, ctx, finding: PossiblyNone) -> None:
        ctx.report(self, finding.node, message=f"`{_text(finding.node)}` may be None here ({finding.origin}); "
                                               f"`{finding.operator}` would raise TypeError")

    def compute_fix(self, diagnostic, fix_context):
        import libcst as cst  # only when a fix is computed

        statement = fix_context.node
        while statement is not None and not isinstance(statement, cst.SimpleStatementLine):
            if isinstance(statement, (cst.BaseCompoundStatement, cst.Lambda, cst.BaseComp)):
                return None  # a header (`if`, `elif`, `while`...) or a nested scope: no safe spot
            statement = fix_context.parent(statement)
        if statement is None:
            return None
        start, _ = fix_context.range_of(statement)
        line = fix_context.source_line(start.row)
        indent = line[: len(line) - len(line.lstrip())]
        value = fix_context.code_for_node(fix_context.node)
        newline = fix_context.newline
        guard = (f"{indent}if {value} is None:{newline}"
                 f"{indent}    raise ValueError({value + ' is not set'!r}){newline}")
        at = Location(start.row, 1)
        return Fix(Applicability.DISPLAY_ONLY, f"Check `{value}` for None first", (Edit(at, at, guard),))

    def text_fix(self, diagnostic, text_context):
        node = text_context.node
        if not isinstance(node, ast.expr):
            return NotImplemented
        statement = None
        for ancestor in [node, *text_context.ancestors()]:
            if isinstance(ancestor, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, *_COMPOUND)):
                return None  # a header (`if`, `elif`, `while`...) or a nested scope: no safe spot
            if isinstance(ancestor, ast.stmt):
                statement = ancestor
                break
        if not isinstance(statement, _SIMPLE_STATEMENTS):
            return NotImplemented
        if not text_context.starts_own_line(statement):
            return NotImplemented  # `a; b` or `if x: b`: libcst's statement line starts elsewhere
        row = statement.lineno
        line = text_context.source_line(row)
        indent = line[: len(line) - len(line.lstrip())]
        value = text_context.code(node, text_context.parent(node))
        newline = text_context.newline
        guard = (f"{indent}if {value} is None:{newline}"
                 f"{indent}    raise ValueError({value + ' is not set'!r}){newline}")
        at = Location(row, 1)
        return Fix(Applicability.DISPLAY_ONLY, f"Check `{value}` for None first", (Edit(at, at, guard),))

    VALID = [
        Valid("from datetime import datetime\ndef f(a: datetime, b: datetime | None):\n    if b is None:\n        return 0\n    return (b - a).seconds\n"),
        Valid("from datetime import datetime\ndef f(a: datetime, b: datetime | None):\n    return (b - a) if b else None\n"),
        Valid("from datetime import datetime\ndef f(a: datetime, b: datetime | None = None):\n    if b is None:\n        b = datetime.now()\n    return b - a\n"),
        Valid("from datetime import datetime\ndef f(a: datetime, b: datetime | None):\n    assert b is not None\n    return b > a\n"),
        Valid("from datetime import datetime\ndef f(a: datetime, b):\n    return b - a\n"),
        Valid(_USES_SESSION + "    if s.end_time and s.start_time:\n        return (s.end_time - s.start_time).total_seconds()\n",
              files=_SESSION_MODEL),
        Valid(_USES_SESSION + "    if (end := s.end_time) is None:\n        raise ValueError('running')\n    return end - s.start_time\n",
              files=_SESSION_MODEL),
    ]
    INVALID = [
        Invalid("from datetime import datetime\ndef f(a: datetime, b: datetime | None):\n    return (b - a).total_seconds()\n",
                messages=("`b` may be None here (annotated as optional); `-` would raise TypeError",),
                ranges=(((3, 13), (3, 14)),),
                suggested="from datetime import datetime\ndef f(a: datetime, b: datetime | None):\n"
                          "    if b is None:\n        raise ValueError('b is not set')\n    return (b - a).total_seconds()\n"),
        # In an `if` header a guard cannot go "before the statement": no suggestion.
        Invalid("from datetime import datetime\ndef f(a: datetime, b: datetime | None):\n    if b > a:\n        return 1\n    return 0\n",
                messages=("`b` may be None here (annotated as optional); `>` would raise TypeError",),
                ranges=(((3, 8), (3, 9)),)),
        Invalid("from datetime import datetime, timedelta\nfrom typing import Optional\n"
                "def f(b: Optional[datetime]):\n    return b + timedelta(1) if False else b - timedelta(1)\n",
                messages=("`b` may be None here (annotated as optional); `-` would raise TypeError",),
                ranges=(((4, 43), (4, 44)),)),
        Invalid("from datetime import datetime\ndef f(a: datetime, flag: bool):\n    b = None\n    if flag:\n"
                "        b = datetime.now()\n    return a < b\n",
                messages=("`b` may be None here (assigned None on some path); `<` would raise TypeError",),
                ranges=(((6, 16), (6, 17)),)),
        Invalid("from datetime import datetime\ndef f(a: datetime, b: datetime = None):\n    return a - b\n",
                messages=("`b` may be None here (parameter defaults to None); `-` would raise TypeError",),
                ranges=(((3, 16), (3, 17)),)),
        Invalid(_USES_SESSION + "    return int((s.end_time - s.start_time).total_seconds() * 1000)\n", files=_SESSION_MODEL,
                messages=("`s.end_time` may be None here (nullable column `AgentSession.end_time`); `-` would raise TypeError",),
                ranges=(((4, 17), (4, 27)),)),
        Invalid(_USES_SESSION + "    if s.end_time is None:\n        print('still running')\n    return s.end_time - s.start_time\n",
                files=_SESSION_MODEL,
                messages=("`s.end_time` may be None here (it was compared with None above); `-` would raise TypeError",),
                ranges=(((6, 12), (6, 22)),)),
    ]


_COMPOUND = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try, ast.FunctionDef,
             ast.AsyncFunctionDef, ast.ClassDef, ast.Match, *((ast.TryStar,) if hasattr(ast, "TryStar") else ()))
# The statements libcst keeps in a `SimpleStatementLine`.
_SIMPLE_STATEMENTS = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Return, ast.Raise, ast.Assert,
                      ast.Delete, ast.Pass, ast.Break, ast.Continue, ast.Import, ast.ImportFrom, ast.Global,
                      ast.Nonlocal)


def _text(node: ast.AST, limit: int = 60) -> str:
    text = ast.unparse(node)
    return text if len(text) <= limit else text[: limit - 3] + "..."
