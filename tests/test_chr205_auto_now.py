"""CHR205 auto-now-bypassed: its fixes run against a real Django (the rule's "Fix safety"
claims), the receiver shapes it resolves, and the traps that must stay silent."""

from __future__ import annotations

import pytest

from chronolint.fixer.edits import apply_edits
from chronolint.registry import rule_by_code
from chronolint.rules.base import Invalid, Valid
from rule_harness import fix_example, lint_example
from test_auto_now_premise import run_django

RULE = rule_by_code("CHR205")
# The probe's model (tests/data/django_auto_now_probe.py), as the index reads it.
PROBE_MODELS = {"orders/models.py": (
    "from django.db import models\n\n\n"
    "class Order(models.Model):\n"
    "    number = models.CharField(max_length=32, unique=True)\n"
    "    status = models.CharField(max_length=16, default='pending')\n"
    "    updated_at = models.DateTimeField(auto_now=True)\n"
)}
HEAD = "from orders.models import Order\n\n\n"


def _findings(tmp_path, code, files=PROBE_MODELS, filename="example.py"):
    return [d for d in lint_example(tmp_path, RULE, Valid(code, files=files, filename=filename)) if d.code == "CHR205"]


FIXED_BY_APPLYING = {
    "update": "def run(order):\n    Order.objects.filter(pk=order.pk).update(status='paid')\n",
    "save": "def run(order: Order):\n    order.status = 'paid'\n    order.save(update_fields=['status'])\n",
    "bulk_create": ("def run(order):\n    Order.objects.bulk_create([Order(number=order.number, status='paid')], update_conflicts=True,\n"
                    "                              update_fields=['status'], unique_fields=['number'])\n"),
}
BULK_UPDATE = "def run(order):\n    orders = [order]\n    order.status = 'paid'\n    Order.objects.bulk_update(orders, ['status'])\n"


def test_fixes_refresh_updated_at_in_a_real_django(tmp_path):
    """Each unsafe fix, applied by `--fix --unsafe-fixes`, and the bulk_update suggestion
    (display-only, applied here by hand) turn a write that keeps the old `updated_at`
    into one that refreshes it; the code before the fix does not."""
    pytest.importorskip("django")
    cases = []
    for name, body in FIXED_BY_APPLYING.items():
        example = Invalid(HEAD + body, files=PROBE_MODELS)
        fixed = fix_example(tmp_path / name, RULE, example, unsafe=True)
        assert fixed != example.code, name
        cases += [(f"{name} before", example.code), (f"{name} fixed", fixed)]
    [finding] = _findings(tmp_path / "bulk_update", HEAD + BULK_UPDATE)
    suggested = apply_edits(HEAD + BULK_UPDATE, [finding.fix])
    assert "for obj in orders:\n        obj.updated_at = timezone.now()\n" in suggested
    cases += [("bulk_update before", HEAD + BULK_UPDATE), ("bulk_update suggested", suggested)]
    measured = run_django(cases)
    assert measured == {name: name.endswith(("fixed", "suggested")) for name, _ in cases}


FLAGGED = {
    "custom manager with a queryset method": "def f():\n    Order.pending.filter(pk=1).update(status='x')\n",
    "_default_manager": "def f():\n    Order._default_manager.update(status='x')\n",
    "queryset in a local": "def f():\n    qs = Order.objects.filter(status='a')\n    qs.update(status='x')\n",
    "bulk_update with fields=": "def f(objs):\n    Order.objects.bulk_update(objs, fields=('status',))\n",
    "save from a look-up": "def f(pk):\n    order = Order.objects.get(pk=pk)\n    order.save(update_fields=('status',))\n",
}


@pytest.mark.parametrize("name", FLAGGED)
def test_shape_is_flagged(tmp_path, name):
    assert len(_findings(tmp_path, HEAD + FLAGGED[name])) == 1


MANAGERS_FILE = (
    "from django.db import models\n\n\n"
    "class OrderManager(models.Manager):\n"
    "    def cancel_all(self):\n        return self.model.objects.filter(status='a').update(status='x')\n\n"
    "    def cancel_some(self):\n        return super().get_queryset().filter(status='b').update(status='x')\n\n\n"
    "class Order(models.Model):\n"
    "    status = models.CharField(max_length=16)\n"
    "    updated_at = models.DateTimeField(auto_now=True)\n\n"
    "    objects = OrderManager()\n\n"
    "    @classmethod\n    def close_all(cls):\n        cls.objects.update(status='closed')\n\n"
    "    def close_like_me(self):\n        type(self).objects.filter(status=self.status).update(status='closed')\n\n"
    "    def close(self):\n        self.status = 'closed'\n        self.save(update_fields=['status'])\n"
)


def test_managers_and_model_methods_in_the_models_file(tmp_path):
    found = _findings(tmp_path, MANAGERS_FILE, files={}, filename="orders/models.py")
    assert [d.start.row for d in found] == [6, 9, 20, 23, 27]


SILENT = {
    "unknown model": "def f(qs):\n    qs.update(status='x')\n",
    "model without auto_now": "from orders.models import Tag\n\n\ndef f():\n    Tag.objects.update(name='x')\n",
    "update sets the field": "from django.utils import timezone\n\n\ndef f():\n    Order.objects.update(status='x', updated_at=timezone.now())\n",
    "update with **kwargs": "def f(changes):\n    Order.objects.update(**changes)\n",
    "dict.update on a class attribute": "def f():\n    Order.DEFAULTS.update(status='x')\n",
    "save without update_fields": "def f(order: Order):\n    order.save()\n",
    "save with a variable field list": "def f(order: Order, fields):\n    order.save(update_fields=fields)\n",
    "save with an empty field list": "def f(order: Order):\n    order.save(update_fields=[])\n",
    "save on an unknown object": "def f(order):\n    order.save(update_fields=['status'])\n",
    "bulk_create without update_conflicts": "def f(objs):\n    Order.objects.bulk_create(objs, update_fields=['status'])\n",
    "bulk_create with update_conflicts from a variable": "def f(objs, flag):\n    Order.objects.bulk_create(objs, update_conflicts=flag, update_fields=['status'])\n",
    "bulk_update naming the field": "def f(objs):\n    Order.objects.bulk_update(objs, ['status', 'updated_at'])\n",
    "bulk_update with a variable field list": "def f(objs, fields):\n    Order.objects.bulk_update(objs, fields)\n",
    "update_or_create (goes through save)": "def f():\n    Order.objects.update_or_create(pk=1, defaults={'status': 'x'})\n",
    "a column, not a manager": "def f():\n    Order.status.update(x=1)\n",
    "shadowed model name": "def f(Order):\n    Order.objects.update(status='x')\n",
}


@pytest.mark.parametrize("name", SILENT)
def test_trap_stays_silent(tmp_path, name):
    files = dict(PROBE_MODELS)
    files["orders/models.py"] += (
        "    DEFAULTS = {'status': 'pending'}\n\n\n"
        "class Tag(models.Model):\n    name = models.CharField(max_length=8)\n    updated_at = models.DateTimeField(null=True)\n"
    )
    assert _findings(tmp_path, HEAD + SILENT[name], files=files) == []


def test_sqlalchemy_model_with_the_same_shapes_is_silent(tmp_path):
    files = {"orders/models.py": (
        "from sqlalchemy import Column, DateTime, Integer, func\nfrom sqlalchemy.orm import declarative_base\n\n"
        "Base = declarative_base()\n\n\nclass Order(Base):\n    __tablename__ = 'orders'\n"
        "    id = Column(Integer, primary_key=True)\n    updated_at = Column(DateTime(timezone=True), onupdate=func.now())\n"
    )}
    code = HEAD + "def f(session):\n    session.query(Order).update({'id': 1})\n    Order.query.filter().update(id=2)\n"
    assert _findings(tmp_path, code, files=files) == []


RELATED_MODELS = {"shop/models.py": (
    "from django.db import models\n\n\n"
    "class Order(models.Model):\n"
    "    status = models.CharField(max_length=16)\n"
    "    tags = models.ManyToManyField('Tag')\n\n\n"
    "class Tag(models.Model):\n"
    "    name = models.CharField(max_length=16)\n"
    "    updated_at = models.DateTimeField(auto_now=True)\n\n\n"
    "class Line(models.Model):\n"
    "    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name='lines')\n"
    "    quantity = models.IntegerField()\n"
    "    updated_at = models.DateTimeField(auto_now=True)\n\n\n"
    "class Note(models.Model):\n"
    "    order = models.ForeignKey('shop.Order', on_delete=models.CASCADE)\n"
    "    text = models.TextField()\n"
    "    updated_at = models.DateTimeField(auto_now=True)\n\n\n"
    "class Event(models.Model):\n"
    "    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name='+')\n"
    "    updated_at = models.DateTimeField(auto_now=True)\n"
)}
RELATED_HEAD = "from shop.models import Order\n\n\n"


@pytest.mark.parametrize(("name", "code", "count"), [
    ("reverse foreign key by related_name", "def f(order: Order):\n    order.lines.update(quantity=0)\n", 1),
    ("reverse foreign key, filtered", "def f(order: Order):\n    order.lines.filter(quantity=1).update(quantity=0)\n", 1),
    ("reverse foreign key by <model>_set", "def f(order: Order):\n    order.note_set.update(text='')\n", 1),
    ("many-to-many field", "def f(order: Order):\n    order.tags.update(name='x')\n", 1),
    ("related manager setting the field", "from django.utils import timezone\n\ndef f(order: Order):\n    order.lines.update(quantity=0, updated_at=timezone.now())\n", 0),
    ("related_name='+' has no accessor", "def f(order: Order):\n    order.event_set.update(updated_at=None, x=1)\n", 0),
    ("unknown accessor", "def f(order: Order):\n    order.items.update(quantity=0)\n", 0),
    ("instance of unknown model", "def f(order):\n    order.lines.update(quantity=0)\n", 0),
])
def test_related_managers(tmp_path, name, code, count):
    assert len(_findings(tmp_path, RELATED_HEAD + code, files=RELATED_MODELS)) == count, name


OVERRIDING_MODELS = {
    "shop/managers.py": (
        "from django.db import models\nfrom django.utils import timezone\n\n\n"
        "class StampingQuerySet(models.QuerySet):\n"
        "    def update(self, **kwargs):\n"
        "        kwargs.setdefault('updated_at', timezone.now())\n"
        "        return super().update(**kwargs)\n\n\n"
        "class CountingQuerySet(models.QuerySet):\n"
        "    def update(self, **kwargs):\n"
        "        return super().update(**kwargs)\n"
    ),
    "shop/models.py": (
        "from django.db import models\n\nfrom .managers import CountingQuerySet, StampingQuerySet\n\n\n"
        "class Stamped(models.Model):\n"
        "    status = models.CharField(max_length=16)\n"
        "    updated_at = models.DateTimeField(auto_now=True)\n\n"
        "    objects = StampingQuerySet.as_manager()\n\n"
        "    def save(self, *args, update_fields=None, **kwargs):\n"
        "        if update_fields is not None:\n"
        "            update_fields = {'updated_at', *update_fields}\n"
        "        super().save(*args, update_fields=update_fields, **kwargs)\n\n\n"
        "class Counted(models.Model):\n"
        "    status = models.CharField(max_length=16)\n"
        "    updated_at = models.DateTimeField(auto_now=True)\n\n"
        "    objects = CountingQuerySet.as_manager()\n\n"
        "    def save(self, *args, update_fields=None, **kwargs):\n"
        "        if update_fields is not None:\n"
        "            update_fields = {'status', *update_fields}\n"
        "        super().save(*args, update_fields=update_fields, **kwargs)\n"
    ),
}


@pytest.mark.parametrize(("name", "code", "count"), [
    ("queryset update() override that sets the field", "def f():\n    Stamped.objects.filter(pk=1).update(status='x')\n", 0),
    ("save() override that adds the field to update_fields", "def f(s: Stamped):\n    s.save(update_fields=['status'])\n", 0),
    ("queryset update() override that does not name the field", "def f():\n    Counted.objects.filter(pk=1).update(status='x')\n", 1),
    ("save() override that adds another field", "def f(c: Counted):\n    c.save(update_fields=['status'])\n", 1),
])
def test_overrides_that_set_the_field(tmp_path, name, code, count):
    head = "from shop.models import Counted, Stamped\n\n\n"
    assert len(_findings(tmp_path, head + code, files=OVERRIDING_MODELS)) == count, name
