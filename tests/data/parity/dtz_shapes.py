"""Parity corpus: every shape ruff's DTZ rules know, linted by both ruff and chronolint
(tests/test_ruff_parity.py). Not imported, only read."""
import datetime
import datetime as dt
from datetime import date, datetime as D, time, timezone

import arrow
import pendulum

# DTZ001 -> CHR006: the constructor
datetime.datetime(2000, 1, 1, 0, 0, 0)
datetime.datetime(2000, 1, 1, 0, 0, 0, 0, None)
datetime.datetime(2000, 1, 1, 0, 0, 0, tzinfo=None)
D(2000, 1, 1)
dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
datetime.datetime(2000, 1, 1, 0, 0, 0, 0, datetime.timezone.utc)
datetime.datetime(2000, 1, 1).astimezone()
datetime.datetime(2000, 1, 1).replace(microsecond=0).astimezone()
datetime.datetime(2000, 1, 1).replace(tzinfo=timezone.utc)
datetime.datetime(*parts)
datetime.datetime(2000, 1, 1, **zone)

# DTZ002 -> CHR003: today()
datetime.datetime.today()
D.today()
dt.datetime.today().isoformat()
D.today().astimezone()

# DTZ003 -> CHR002: utcnow()
datetime.datetime.utcnow()
D.utcnow()
D.utcnow().astimezone()
D.utcnow().replace(tzinfo=timezone.utc)

# DTZ004 -> CHR005: utcfromtimestamp()
datetime.datetime.utcfromtimestamp(1234)
D.utcfromtimestamp(1234)
D.utcfromtimestamp(1234).astimezone()

# DTZ005 -> CHR001: now()
datetime.datetime.now()
datetime.datetime.now(bad=datetime.timezone.utc)
datetime.datetime.now(None)
datetime.datetime.now(tz=None)
D.now()
D.now().astimezone()
D.now().astimezone
D.now().replace.astimezone()
D.now().replace(D.now()).astimezone()
D.now().replace(microsecond=0).astimezone()
D.now(timezone.utc)
D.now(*args)

# DTZ006 -> CHR004: fromtimestamp()
ts = datetime.datetime.fromtimestamp(1234)
ts = datetime.datetime.fromtimestamp(1234, None)
ts = datetime.datetime.fromtimestamp(1234, tz=None)
ts = datetime.datetime.fromtimestamp(1234, bad=datetime.timezone.utc)
datetime.datetime.fromtimestamp(3999999999)
D.fromtimestamp(1234, timezone.utc)
D.fromtimestamp(1234, tz=timezone.utc)
D.fromtimestamp(1234).astimezone()
D.fromtimestamp(*args)

# DTZ007 -> CHR007: strptime()
datetime.datetime.strptime(something, "%H:%M:%S%Z")
datetime.datetime.strptime(something, "%Y-%m-%d")
datetime.datetime.strptime(something, "%Y-%m-%d").replace(hour=1)
datetime.datetime.strptime(something, "%Y-%m-%d").replace(tzinfo=None)
datetime.datetime.strptime(something, "%Y-%m-%d").replace(tzinfo=datetime.timezone.utc)
datetime.datetime.strptime(something, "%Y-%m-%d").astimezone()
datetime.datetime.strptime(something, "%H:%M:%S%z")
datetime.datetime.strptime(something, something_else).astimezone()
D.strptime(something, "%Y-%m-%d")
D.strptime(something, f"%Y-%m-%dT%H:%M:%S{('.%f' if millis else '')}%z")
D.strptime(something, f"%Y-%m-%d %H:%M:%S%z")
D.strptime(something, f"%Y-%m-%dT%H:%M:%S{('.%f' if millis else '')}" "%z")
D.strptime(something, something_else)
D.strptime(something, f"%Y-%m-%d{separator}%H")

# DTZ011 / DTZ012 -> CHR008: date.today(), date.fromtimestamp()
datetime.date.today()
date.today()
datetime.date.fromtimestamp(1234)
date.fromtimestamp(1234)

# DTZ901 -> CHR009: datetime.min / datetime.max
datetime.datetime.max
datetime.datetime.min
datetime.datetime.max.replace(year=2000)
datetime.datetime.min.replace(hour=1)
datetime.datetime.max.replace(tzinfo=timezone.utc)
datetime.datetime.min.time()
D.max
D.min.replace(tzinfo=timezone.utc)
D.min.date()

# Lookalikes no rule may flag
arrow.now()
arrow.utcnow()
pendulum.today()
pendulum.now()


class Clock:
    def now(self):
        return self.datetime.now()


def shadowed(datetime):
    return datetime.now(), datetime.utcnow(), datetime(2000, 1, 1)
