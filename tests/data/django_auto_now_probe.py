"""Run service functions against a real Django on SQLite and say, for each, whether the
row's `auto_now` field (`Order.updated_at`) moved. Run as a subprocess (it configures
Django settings for its own process): stdin is a JSON list of {"name", "code"}, where
`code` is a module (it may `from orders.models import Order`) defining `run(order)`;
stdout is a JSON object name → true when `updated_at` was refreshed.

Sleep-free: each case gets a fresh row whose `updated_at` is first set to a known old
value with `QuerySet.update` (which writes what it is given), then `run(order)` gets
that row loaded from the database; "refreshed" means the stored value is no longer the
old one."""

import datetime as dt
import json
import os
import sys
import tempfile
import types

import django
from django.conf import settings

settings.configure(
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.path.join(tempfile.mkdtemp(), "db.sqlite3")}},
    INSTALLED_APPS=[],
    USE_TZ=True,
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
)
django.setup()

from django.db import connection, models  # noqa: E402


class Order(models.Model):
    number = models.CharField(max_length=32, unique=True)
    status = models.CharField(max_length=16, default="pending")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "orders"


with connection.schema_editor() as editor:
    editor.create_model(Order)

package = types.ModuleType("orders")
package.__path__ = []
module = types.ModuleType("orders.models")
module.Order = Order
package.models = module
sys.modules.update({"orders": package, "orders.models": module})

OLD = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)

results = {}
for case in json.load(sys.stdin):
    number = case["name"][:32]
    Order.objects.create(number=number)
    Order.objects.filter(number=number).update(updated_at=OLD)
    namespace: dict = {"__name__": f"case_{len(results)}"}
    exec(compile(case["code"], case["name"], "exec"), namespace)
    namespace["run"](Order.objects.get(number=number))
    results[case["name"]] = Order.objects.get(number=number).updated_at != OLD
print(json.dumps(results))
