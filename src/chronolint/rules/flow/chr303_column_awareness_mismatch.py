from __future__ import annotations

from chronolint.analysis.calls import NaiveUtcRewrite
from chronolint.analysis.flow import Mismatch
from chronolint.rules.api import Applicability, Invalid, Valid
from chronolint.rules.flow._common import FlowRule

_MODELS = {
    "app/models.py": (
        "from datetime import datetime\n"
        "from sqlalchemy import DateTime\n"
        "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n"
        "class Base(DeclarativeBase):\n    pass\n\n"
        "class Invoice(Base):\n"
        "    __tablename__ = 'invoices'\n"
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
        "    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))\n"
        "    failed_at: Mapped[datetime | None] = mapped_column(DateTime)\n"
    ),
}
_FAILED_AT_AWARE = ("aware datetime assigned to naive column `Invoice.failed_at` "
                    "(asyncpg rejects it; other drivers drop the offset)")
_HEADER = "from datetime import datetime, timezone\nfrom app.models import Invoice\n\ndef pay(invoice: Invoice):\n"


class ColumnAwarenessMismatch(FlowRule):
    """
    ## What it does
    Checks for a naive datetime assigned to a timezone-aware column
    (`DateTime(timezone=True)`, Django with `USE_TZ = True`), or an aware datetime
    assigned to a naive one (`DateTime`, `TIMESTAMP`), by attribute assignment
    (`invoice.paid_at = ...`) or as a constructor keyword (`Invoice(paid_at=...)`).
    Awareness is read as in CHR302.

    ## Why is this bad?
    A naive value in a `timestamptz` column is read by the database in the *session's*
    time zone: `utcnow()` stored from a server in UTC+2 is off by two hours. asyncpg
    refuses an aware value for a `TIMESTAMP WITHOUT TIME ZONE` parameter outright
    (`can't subtract offset-naive and offset-aware datetimes`), and other drivers drop
    the offset silently, storing local wall-clock time.

    ## Example
    ```python
    from datetime import datetime

    from app.models import Invoice

    def mark_paid(invoice: Invoice) -> None:
        invoice.paid_at = datetime.utcnow()  # paid_at is DateTime(timezone=True)
    ```

    ## Use instead
    ```python
    from datetime import datetime, timezone

    from app.models import Invoice

    def mark_paid(invoice: Invoice) -> None:
        invoice.paid_at = datetime.now(timezone.utc)
    ```

    ## Fix safety
    When the naive value is `datetime.utcnow()` or `datetime.utcfromtimestamp(ts)` going
    into an aware column, the rewrite to `datetime.now(timezone.utc)` /
    `datetime.fromtimestamp(ts, timezone.utc)` is safe: it is the same instant, now
    labelled as UTC, and the naive original is wrong in that column on every database
    session whose time zone is not UTC. Other mismatches have no automatic fix.

    ## Options
    - `flow-call-invalidation` (`"assigned"` or `"all"`, default `"assigned"`): which calls
      forget what the flow analysis knew about an attribute; see CHR301, whose option it is.
      With `"all"`, every method call forgets the attributes of its receiver and positional
      arguments, so fewer values are known naive or aware here too.
    - `timestamp-policy` (`"aware"` or `"naive-utc"`, default `"aware"`): the rule reports
      the same mismatches under both. Under `"naive-utc"` it is the one that guards the
      policy: an aware value (`datetime.now(timezone.utc)`) written into a naive column is
      reported, while the `utcnow()` the policy writes into naive columns is not (naive into
      naive is no mismatch). A naive value in a column that is aware after all is still
      reported: that column is read in the session's time zone whatever the policy says.
    """

    code = "CHR303"
    short = "A naive value assigned to an aware column, or an aware value to a naive one"
    name = "column-awareness-mismatch"
    message = "datetime awareness does not match the column"
    needs_index = True
    fix_applicability = Applicability.SAFE
    finding_type = Mismatch

    def report_finding(self, ctx, finding: Mismatch) -> None:
        where = f"`{finding.model}.{finding.column}`"
        if finding.column_aware:
            message = f"naive datetime assigned to timezone-aware column {where}"
        else:
            message = f"aware datetime assigned to naive column {where} (asyncpg rejects it; other drivers drop the offset)"
        ctx.report(self, finding.node, message=message, fix_data=finding.rewrite)

    VALID = [
        Valid(_HEADER + "    invoice.paid_at = datetime.now(timezone.utc)\n", files=_MODELS),
        Valid(_HEADER + "    invoice.failed_at = datetime.now(timezone.utc).replace(tzinfo=None)\n", files=_MODELS),
        Valid(_HEADER + "    invoice.paid_at = None\n", files=_MODELS),
        Valid("from datetime import datetime\nclass Row:\n    paid_at = None\ndef f(row: Row):\n    row.paid_at = datetime.utcnow()\n"),
        # A SQLModel schema (no `table=True`) is no table, whatever its fields say.
        Valid("from datetime import datetime, timezone\nfrom sqlmodel import SQLModel\nclass InvoiceRead(SQLModel):\n"
              "    paid_at: datetime | None = None\ndef f(read: InvoiceRead):\n    read.paid_at = datetime.now(timezone.utc)\n",
              files={"uv.lock": '[[package]]\nname = "sqlmodel"\nversion = "0.0.38"\n'}),
        # A static method's first parameter is not `self`.
        Valid(_MODELS["app/models.py"].replace("from datetime import datetime", "from datetime import datetime, timezone")
              + "\n    @staticmethod\n    def fail(self):\n        self.failed_at = datetime.now(timezone.utc)\n"),
        # The naive-UTC policy: naive into a naive column is what it asks for.
        Valid(_HEADER + "    invoice.failed_at = datetime.utcnow()\n", files=_MODELS, settings={"timestamp-policy": "naive-utc"}),
    ]
    INVALID = [
        Invalid(_HEADER + "    invoice.paid_at = datetime.utcnow()\n", files=_MODELS,
                messages=("naive datetime assigned to timezone-aware column `Invoice.paid_at`",), ranges=(((5, 23), (5, 40)),),
                fixed=_HEADER + "    invoice.paid_at = datetime.now(timezone.utc)\n"),
        Invalid(_HEADER + "    invoice.paid_at = datetime.utcfromtimestamp(0)\n", files=_MODELS,
                messages=("naive datetime assigned to timezone-aware column `Invoice.paid_at`",), ranges=(((5, 23), (5, 51)),),
                fixed=_HEADER + "    invoice.paid_at = datetime.fromtimestamp(0, timezone.utc)\n"),
        Invalid(_HEADER + "    invoice.failed_at = datetime.now(timezone.utc)\n", files=_MODELS,
                messages=(_FAILED_AT_AWARE,), ranges=(((5, 25), (5, 51)),)),
        Invalid(_HEADER + "    return Invoice(failed_at=datetime.fromtimestamp(0, timezone.utc))\n", files=_MODELS,
                messages=(_FAILED_AT_AWARE,), ranges=(((5, 30), (5, 69)),)),
        # The naive-UTC policy: an aware value sneaking into a naive column.
        Invalid(_HEADER + "    invoice.failed_at = datetime.now(timezone.utc)\n", files=_MODELS,
                settings={"timestamp-policy": "naive-utc"}, messages=(_FAILED_AT_AWARE,), ranges=(((5, 25), (5, 51)),)),
        # Not a naive-UTC call (local time): reported, with no fix.
        Invalid(_HEADER + "    when = datetime.now()\n    invoice.paid_at = when\n", files=_MODELS,
                messages=("naive datetime assigned to timezone-aware column `Invoice.paid_at`",), ranges=(((6, 23), (6, 27)),)),
        # `self` in a model's own method is that model.
        Invalid(_MODELS["app/models.py"].replace("from datetime import datetime", "from datetime import datetime, timezone")
                + "\n    def fail(self):\n        self.failed_at = datetime.now(timezone.utc)\n"),
    ]

    def compute_fix(self, diagnostic, fix_context):
        """The naive-UTC rewrite CHR002/CHR005 use, safe here because the column is aware."""
        rewrite = diagnostic.fix_data
        if not isinstance(rewrite, NaiveUtcRewrite):
            return None
        from chronolint.rules.naive._fix import naive_utc_fix

        return naive_utc_fix(diagnostic, fix_context, rewrite.method, keep=rewrite.keep)

    def text_fix(self, diagnostic, text_context):
        rewrite = diagnostic.fix_data
        if not isinstance(rewrite, NaiveUtcRewrite):
            return None
        from chronolint.rules.naive._fix import naive_utc_text_fix

        return naive_utc_text_fix(diagnostic, text_context, rewrite.method, keep=rewrite.keep)
