"""Code where ruff's DTZ rules are known to be wrong: tests/test_ruff_parity.py checks
that chronolint flags what ruff misses and stays quiet where ruff raises a false alarm.
Not imported, only read."""
import datetime as dt
from dataclasses import field
from datetime import datetime, time

from sqlalchemy import Column, DateTime

ISO_WITH_OFFSET = "%Y-%m-%dT%H:%M:%S%z"


class Feed:
    STAMP = "%d/%m/%Y %H:%M %z"

    def parse(self, raw):
        return datetime.strptime(raw, self.STAMP)


def parse_all(raw, day):
    shifted = datetime.utcnow().astimezone()
    shifted_ts = datetime.utcfromtimestamp(0).astimezone()
    parsed = datetime.strptime(raw, ISO_WITH_OFFSET)
    day_only = datetime.strptime(raw, "%Y-%m-%d").date()
    clock_only = datetime.strptime(raw, "%H:%M").time()
    midnight = datetime.combine(day, time.min)
    return shifted, shifted_ts, parsed, day_only, clock_only, midnight


created_at = Column(DateTime(timezone=True), default=datetime.utcnow)
updated_at = Column(DateTime(timezone=True), onupdate=dt.datetime.now)
stamped: datetime = field(default_factory=datetime.today)
now = datetime.utcnow
