"""CHR206 (`bulk-update-without-updated-at`): each shape flagged, each must-stay-silent trap
named. The premise (SQLAlchemy applies `onupdate` to these statements, and without it they
leave `updated_at` alone) is asked of a real SQLAlchemy in test_auto_now_premise.py."""

from __future__ import annotations

import pytest

from chronolint.registry import rule_by_code
from chronolint.rules.base import Invalid, Valid
from rule_harness import lint_example

MODELS = {"models.py": (
    "from sqlalchemy import Column, DateTime, FetchedValue, Integer, String, func\n"
    "from sqlalchemy.orm import declarative_base\n\n"
    "Base = declarative_base()\n\n\n"
    "class Agent(Base):\n    __tablename__ = 'agents'\n    id = Column(Integer, primary_key=True)\n"
    "    status = Column(String)\n    visit_count = Column(Integer)\n    seen_at = Column(DateTime(timezone=True))\n"
    "    updated_at = Column(DateTime(timezone=True))\n\n\n"
    "class Stamped(Base):\n    __tablename__ = 'stamped'\n    id = Column(Integer, primary_key=True)\n"
    "    status = Column(String)\n    updated_at = Column(DateTime(timezone=True), onupdate=func.now())\n\n\n"
    "class Triggered(Base):\n    __tablename__ = 'triggered'\n    id = Column(Integer, primary_key=True)\n"
    "    status = Column(String)\n    updated_at = Column(DateTime(timezone=True), server_onupdate=FetchedValue())\n\n\n"
    "class Plain(Base):\n    __tablename__ = 'plain'\n    id = Column(Integer, primary_key=True)\n    status = Column(String)\n"
), "dj/models.py": (
    "from django.db import models\n\n\n"
    "class Ticket(models.Model):\n    status = models.CharField(max_length=8)\n    updated_at = models.DateTimeField(null=True)\n"
)}
HEAD = "import sqlalchemy as sa\nfrom sqlalchemy import func, update\nfrom models import Agent, Plain, Stamped, Triggered\nfrom dj.models import Ticket\n\n\n"

FLAGGED = {
    "core update().where().values(kw)": "def f(s):\n    s.execute(update(Agent).where(Agent.id == 1).values(status='x'))\n",
    "sa.update(Model)": "def f(s):\n    s.execute(sa.update(Agent).values(status='x'))\n",
    "values() with a literal dict": "def f(s):\n    s.execute(update(Agent).values({'status': 'x'}))\n",
    "two values() calls, neither sets it": "def f(s):\n    s.execute(update(Agent).values(status='x').where(Agent.id == 1).values(id=2))\n",
    "Query.update with a literal dict": "def f(s):\n    s.query(Agent).filter_by(id=1).update({Agent.status: 'x'})\n",
    "Flask-SQLAlchemy Model.query.update": "def f():\n    Agent.query.filter(Agent.id == 1).update({'status': 'x'})\n",
    "bulk_update_mappings, literal list": "def f(s):\n    s.bulk_update_mappings(Agent, [{'id': 1, 'status': 'x'}, {'id': 2, 'status': 'y', 'updated_at': None}])\n",
    "bulk_update_mappings, comprehension": "def f(s, ids):\n    s.bulk_update_mappings(Agent, [{'id': i, 'status': 'x'} for i in ids])\n",
}

SILENT = {
    "column has onupdate": "def f(s):\n    s.execute(update(Stamped).values(status='x'))\n    s.query(Stamped).update({'status': 'x'})\n"
                           "    s.bulk_update_mappings(Stamped, [{'id': 1, 'status': 'x'}])\n",
    "column has server_onupdate": "def f(s):\n    s.execute(update(Triggered).values(status='x'))\n    s.query(Triggered).update({'status': 'x'})\n",
    "model without updated_at": "def f(s):\n    s.execute(update(Plain).values(status='x'))\n",
    "values sets updated_at": "def f(s):\n    s.execute(update(Agent).values(status='x', updated_at=func.now()))\n",
    "second values() sets updated_at": "def f(s):\n    s.execute(update(Agent).values(status='x').values(updated_at=func.now()))\n",
    "dict key Model.updated_at": "def f(s):\n    s.query(Agent).update({Agent.status: 'x', Agent.updated_at: func.now()})\n",
    "values(**kw)": "def f(s, kw):\n    s.execute(update(Agent).values(**kw))\n",
    "values(dict variable)": "def f(s, changes):\n    s.execute(update(Agent).values(changes))\n",
    "values given at execute()": "def f(s, rows):\n    s.execute(update(Agent), rows)\n",
    "statement built across variables": "def f(s):\n    stmt = update(Agent)\n    stmt = stmt.values(status='x')\n    s.execute(stmt)\n",
    "Query.update(dict variable)": "def f(s, changes):\n    s.query(Agent).update(changes)\n",
    "Query.update(**kw)": "def f(s, kw):\n    s.query(Agent).update(**kw)\n",
    "query of two entities": "def f(s):\n    s.query(Agent, Plain).update({'status': 'x'})\n",
    "bulk_update_mappings(variable)": "def f(s, rows):\n    s.bulk_update_mappings(Agent, rows)\n",
    "bulk_update_mappings with **spread": "def f(s, rows):\n    s.bulk_update_mappings(Agent, [{'id': r['id'], **r} for r in rows])\n",
    "unknown model": "from elsewhere import Thing\n\n\ndef f(s):\n    s.execute(update(Thing).values(status='x'))\n    s.query(Thing).update({'status': 'x'})\n",
    "shadowed model name": "def f(s, Agent):\n    s.execute(update(Agent).values(status='x'))\n",
    "Django queryset update (CHR205's)": "def f():\n    Ticket.objects.filter(pk=1).update(status='x')\n",
    "Django model in update()": "def f(s):\n    s.execute(update(Ticket).values(status='x'))\n",
    "bookkeeping: exempt counter and timestamp column": "def f(s):\n    s.execute(update(Agent).values(visit_count=Agent.visit_count + 1, seen_at=func.now()))\n"
                                                         "    s.query(Agent).update({'visit_count': 0})\n",
    "dict.update": "def f(d):\n    d.update({'status': 'x'})\n",
    "set.update on a query attribute": "def f(holder):\n    holder.query.update({'status'})\n",
    "insert().values()": "def f(s):\n    s.execute(sa.insert(Agent).values(status='x'))\n",
}

RULE = rule_by_code("CHR206")


@pytest.mark.parametrize("name", FLAGGED)
def test_shape_is_flagged(tmp_path, name):
    found = lint_example(tmp_path, RULE, Invalid(HEAD + FLAGGED[name], files=MODELS))
    assert [d.code for d in found] == ["CHR206"], name


@pytest.mark.parametrize("name", SILENT)
def test_trap_stays_silent(tmp_path, name):
    assert lint_example(tmp_path, RULE, Valid(HEAD + SILENT[name], files=MODELS)) == []
