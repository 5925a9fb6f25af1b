from __future__ import annotations

from chronolint.analysis.flow import Mixed
from chronolint.rules.api import Invalid, Valid
from chronolint.rules.flow._common import FlowRule

_SUBSCRIPTION_MODEL = {
    "app/models.py": (
        "from datetime import datetime\n"
        "from sqlalchemy import TIMESTAMP\n"
        "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n"
        "class Base(DeclarativeBase):\n    pass\n\n"
        "class Subscription(Base):\n"
        "    __tablename__ = 'subscriptions'\n"
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
        "    expires_at: Mapped[datetime] = mapped_column(TIMESTAMP, nullable=False)\n"
    ),
}


class NaiveAwareMixed(FlowRule):
    """
    ## What it does
    Checks for a naive and an aware datetime in one subtraction, ordering comparison or
    equality comparison. Awareness comes from the calls that made the values
    (`now(tz)`, `fromtimestamp(ts, tz)`, `.astimezone()`, `.replace(tzinfo=...)` are
    aware; `utcnow()`, `now()`, `today()`, `utcfromtimestamp()`, `.replace(tzinfo=None)`
    are naive), from column types (`DateTime(timezone=True)` vs `DateTime`/`TIMESTAMP`),
    and from pydantic's `AwareDatetime` / `NaiveDatetime`; it follows local assignments
    and `± timedelta`.

    ## Why is this bad?
    Subtracting or ordering a naive and an aware datetime raises
    `TypeError: can't compare offset-naive and offset-aware datetimes`. Equality does
    not raise: `naive == aware` is silently always False (and `!=` always True), so a
    check like "is this the first period?" is quietly never true.
    A common source is a naive `TIMESTAMP` column compared with `datetime.now(UTC)`.

    ## Example
    ```python
    from datetime import UTC, datetime

    from app.models import Subscription

    def is_expired(subscription: Subscription) -> bool:
        return subscription.expires_at < datetime.now(UTC)  # expires_at is TIMESTAMP (naive)
    ```

    ## Use instead
    ```python
    from datetime import UTC, datetime

    from app.models import Subscription

    def is_expired(subscription: Subscription) -> bool:
        # make the column DateTime(timezone=True) (with a migration), or compare like with like
        return subscription.expires_at < datetime.now(UTC).replace(tzinfo=None)
    ```

    ## Fix safety
    No automatic fix: making one side aware or naive changes which instant is meant, and
    the right side to change depends on the schema.
    """

    code = "CHR302"
    name = "naive-aware-datetime-mixed"
    message = "naive and aware datetimes mixed"
    needs_index = True
    finding_type = Mixed

    def report_finding(self, ctx, finding: Mixed) -> None:
        sides = "aware and naive" if finding.left_aware else "naive and aware"
        if finding.operator in ("==", "!="):
            outcome = "is always False" if finding.operator == "==" else "is always True"
        else:
            outcome = "raises TypeError"
        ctx.report(self, finding.node, message=f"`{finding.operator}` between {sides} datetimes {outcome}")

    VALID = [
        Valid("from datetime import datetime, timezone\nx = datetime.now(timezone.utc) - datetime.fromtimestamp(0, timezone.utc)\n"),
        Valid("from datetime import datetime, timedelta\nstart = datetime.utcnow()\nend = start + timedelta(hours=1)\nok = end > start\n"),
        Valid("from datetime import datetime, timezone\ndef f(d: datetime):\n    return d < datetime.now(timezone.utc)\n"),
        Valid("from datetime import datetime, UTC\nnaive = datetime.now(UTC).replace(tzinfo=None)\nok = naive < datetime.utcnow()\n"),
        Valid("from app.models import Subscription\nfrom datetime import datetime, UTC\n"
              "def active(s: Subscription):\n    return s.expires_at >= datetime.now(UTC).replace(tzinfo=None)\n",
              files=_SUBSCRIPTION_MODEL),
    ]
    INVALID = [
        Invalid("from datetime import datetime, timezone\ndef f(aware=datetime.now(timezone.utc)):\n"
                "    return datetime.utcnow() - datetime.now(timezone.utc)\n",
                messages=("`-` between naive and aware datetimes raises TypeError",),
                ranges=(((3, 12), (3, 58)),)),
        Invalid("from datetime import datetime, timezone\nstarted = datetime.now()\n"
                "late = started.astimezone() > datetime.now()\n",
                messages=("`>` between aware and naive datetimes raises TypeError",),
                ranges=(((3, 8), (3, 45)),)),
        Invalid("from datetime import datetime, timezone\nfirst = datetime(2024, 1, 1) == datetime.now(timezone.utc)\n",
                messages=("`==` between naive and aware datetimes is always False",),
                ranges=(((2, 9), (2, 59)),)),
        Invalid("from datetime import datetime, timezone\nlater = datetime.now(timezone.utc) != datetime(2024, 1, 1)\n",
                messages=("`!=` between aware and naive datetimes is always True",),
                ranges=(((2, 9), (2, 59)),)),
        Invalid("from app.models import Subscription\nfrom datetime import datetime, UTC\n"
                "def expired(s: Subscription):\n    return s.expires_at < datetime.now(UTC)\n",
                files=_SUBSCRIPTION_MODEL,
                messages=("`<` between naive and aware datetimes raises TypeError",),
                ranges=(((4, 12), (4, 44)),)),
    ]
