"""The premise of CHR205 (and of CHR201-203's SQLAlchemy side), asked of the real libraries:
which write paths refresh an `updated_at` column by themselves.

Django: `auto_now=True` is applied by `Model.save()` through `pre_save`; writes that do not
call it for that field keep the old value (a real Django on SQLite, in a subprocess so
its settings stay out of this process). SQLAlchemy 2.0: `onupdate=` is applied by every
ORM and Core UPDATE it compiles, but not by raw `text()` SQL (CHR203) nor by an upsert's
conflict branch (CHR202)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = Path(__file__).parent / "data" / "django_auto_now_probe.py"
HEAD = "from django.utils import timezone\nfrom orders.models import Order\n\n"

# (shape, service code, refreshed?) — the table of issue 17, plus the correct twins.
DJANGO_TABLE = [
    ("save()", "def run(order):\n    order.status = 'paid'\n    order.save()\n", True),
    ("save(update_fields)", "def run(order):\n    order.status = 'paid'\n    order.save(update_fields=['status'])\n", False),
    ("save(update_fields + updated_at)", "def run(order):\n    order.status = 'paid'\n    order.save(update_fields=['status', 'updated_at'])\n", True),
    ("queryset.update", "def run(order):\n    Order.objects.filter(pk=order.pk).update(status='paid')\n", False),
    ("queryset.update + updated_at", "def run(order):\n    Order.objects.filter(pk=order.pk).update(status='paid', updated_at=timezone.now())\n", True),
    ("bulk_update", "def run(order):\n    order.status = 'paid'\n    Order.objects.bulk_update([order], ['status'])\n", False),
    # Naming the field is not enough: bulk_update writes the in-memory value (never pre_save).
    ("bulk_update + updated_at named", "def run(order):\n    order.status = 'paid'\n    Order.objects.bulk_update([order], ['status', 'updated_at'])\n", False),
    ("bulk_update + updated_at set and named",
     "def run(order):\n    order.status = 'paid'\n    order.updated_at = timezone.now()\n    Order.objects.bulk_update([order], ['status', 'updated_at'])\n", True),
    ("bulk_create(update_conflicts)",
     "def run(order):\n    Order.objects.bulk_create([Order(number=order.number, status='paid')], update_conflicts=True,\n"
     "                              update_fields=['status'], unique_fields=['number'])\n", False),
    # Naming the field is enough here: the INSERT half runs pre_save(add=True), so the row
    # proposed for insertion carries now(), and `SET updated_at = EXCLUDED.updated_at` takes it.
    ("bulk_create(update_conflicts) + updated_at named",
     "def run(order):\n    Order.objects.bulk_create([Order(number=order.number, status='paid')], update_conflicts=True,\n"
     "                              update_fields=['status', 'updated_at'], unique_fields=['number'])\n", True),
]


def run_django(cases: list[tuple[str, str]]) -> dict[str, bool]:
    """name → refreshed?, for each (name, module code defining `run(order)`)."""
    payload = json.dumps([{"name": name, "code": code} for name, code in cases])
    done = subprocess.run([sys.executable, str(PROBE)], input=payload, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_django_auto_now_table():
    pytest.importorskip("django")
    measured = run_django([(name, HEAD + code) for name, code, _ in DJANGO_TABLE])
    assert measured == {name: expected for name, _, expected in DJANGO_TABLE}


# -- SQLAlchemy 2.0 -------------------------------------------------------------------------

OLD = dt.datetime(2000, 1, 1)
NEW = dt.datetime(2030, 1, 1)


def _orm(tmp_path, onupdate: bool):
    sa = pytest.importorskip("sqlalchemy")
    from sqlalchemy.orm import DeclarativeBase, Session

    class Base(DeclarativeBase):
        pass

    refresh = {"onupdate": (lambda: NEW)} if onupdate else {}

    class Order(Base):
        __tablename__ = "orders"
        id = sa.Column(sa.Integer, primary_key=True)
        number = sa.Column(sa.String(32), unique=True)
        status = sa.Column(sa.String(16), default="pending")
        updated_at = sa.Column(sa.DateTime, default=lambda: OLD, **refresh)

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(Order(id=1, number="n1"))
        session.commit()
    return sa, engine, Session, Order


@pytest.fixture
def orm(tmp_path):
    made = _orm(tmp_path, onupdate=True)
    yield made
    made[1].dispose()


@pytest.fixture
def orm_without_onupdate(tmp_path):
    made = _orm(tmp_path, onupdate=False)
    yield made
    made[1].dispose()


def _stamp(sa, engine, Order) -> dt.datetime:
    with engine.connect() as conn:
        return conn.execute(sa.select(Order.__table__.c.updated_at)).scalar_one()


def _write(shape, sa, engine, Session, Order):
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    table = Order.__table__
    if shape == "core update()":
        with engine.begin() as conn:
            conn.execute(sa.update(table).where(table.c.id == 1).values(status="paid"))
    elif shape == "orm update() by primary key":
        with Session(engine) as session:
            session.execute(sa.update(Order), [{"id": 1, "status": "paid"}])
            session.commit()
    elif shape == "orm update().where()":
        with Session(engine) as session:
            session.execute(sa.update(Order).where(Order.id == 1).values(status="paid"))
            session.commit()
    elif shape == "bulk_update_mappings":
        with Session(engine) as session:
            session.bulk_update_mappings(Order, [{"id": 1, "status": "paid"}])
            session.commit()
    elif shape == "legacy Query.update":
        with Session(engine) as session:
            session.query(Order).filter(Order.id == 1).update({"status": "paid"})
            session.commit()
    elif shape == "orm update().where() + updated_at=func.now()":
        with Session(engine) as session:
            session.execute(sa.update(Order).where(Order.id == 1).values(status="paid", updated_at=sa.func.now()))
            session.commit()
    elif shape == "legacy Query.update + updated_at: func.now()":
        with Session(engine) as session:
            session.query(Order).filter(Order.id == 1).update({"status": "paid", "updated_at": sa.func.now()})
            session.commit()
    elif shape == "bulk_update_mappings + updated_at":
        with Session(engine) as session:
            session.bulk_update_mappings(Order, [{"id": 1, "status": "paid", "updated_at": NEW}])
            session.commit()
    elif shape == "attribute change":
        with Session(engine) as session:
            session.get(Order, 1).status = "paid"
            session.commit()
    elif shape == "raw text() UPDATE":
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE orders SET status = 'paid' WHERE id = 1"))
    elif shape == "sqlite upsert on_conflict_do_update":
        with engine.begin() as conn:
            stmt = sqlite_insert(table).values(id=1, number="n1", status="paid")
            conn.execute(stmt.on_conflict_do_update(index_elements=[table.c.id], set_={"status": stmt.excluded.status}))
    else:  # pragma: no cover
        raise AssertionError(shape)


SQLALCHEMY_TABLE = [
    ("core update()", True),
    ("orm update() by primary key", True),
    ("orm update().where()", True),
    ("bulk_update_mappings", True),
    ("legacy Query.update", True),
    ("attribute change", True),
    ("raw text() UPDATE", False),  # CHR203
    ("sqlite upsert on_conflict_do_update", False),  # CHR202
]


@pytest.mark.parametrize(("shape", "refreshed"), SQLALCHEMY_TABLE, ids=[s for s, _ in SQLALCHEMY_TABLE])
def test_sqlalchemy_onupdate_table(orm, shape, refreshed):
    sa, engine, Session, Order = orm
    assert _stamp(sa, engine, Order) == OLD
    _write(shape, sa, engine, Session, Order)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT status FROM orders")).scalar_one() == "paid"
    assert (_stamp(sa, engine, Order) == NEW) is refreshed


# CHR206: without `onupdate` the same bulk writes leave `updated_at` alone, and naming it
# in the write (the rule's fix: `updated_at=func.now()`) refreshes it.
WITHOUT_ONUPDATE_TABLE = [
    ("core update()", False),
    ("orm update().where()", False),
    ("orm update() by primary key", False),
    ("bulk_update_mappings", False),
    ("legacy Query.update", False),
    ("orm update().where() + updated_at=func.now()", True),
    ("legacy Query.update + updated_at: func.now()", True),
    ("bulk_update_mappings + updated_at", True),
]


@pytest.mark.parametrize(("shape", "refreshed"), WITHOUT_ONUPDATE_TABLE, ids=[s for s, _ in WITHOUT_ONUPDATE_TABLE])
def test_sqlalchemy_without_onupdate_table(orm_without_onupdate, shape, refreshed):
    sa, engine, Session, Order = orm_without_onupdate
    _write(shape, sa, engine, Session, Order)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT status FROM orders")).scalar_one() == "paid"
    assert (_stamp(sa, engine, Order) != OLD) is refreshed
